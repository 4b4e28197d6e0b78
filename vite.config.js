// Vite builds the site: `site/` is the source root, `dist/site/` the production build the dev host and Azure
// Static Web Apps serve. Vue single-file components are compiled ahead of time by @vitejs/plugin-vue, so the page
// ships Vue's runtime only and needs no 'unsafe-eval' under the strict CSP in staticwebapp.config.json.
//
// Licences: Vite's own `build.license` option writes the licence text of every npm package that ends up in the
// build (Vue, ably-js, qrcode-generator) to `dist/site/licenses.txt`, next to the page. It reads each package's
// LICENSE file, so the list follows package.json without anything to keep by hand.
import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';
import { devHostProxy } from './scripts/dev-host-proxy.mjs';

const fromRoot = (path) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: fromRoot('site/'),
  // Files served verbatim, under their own names (favicon.svg).
  publicDir: fromRoot('site/public/'),
  // The components are written with <script setup> only, so Vue's Options API is left out of the bundle.
  plugins: [vue({ features: { optionsAPI: false } })],
  // `npm run dev` / `make dev`: what is not Vite's own (the page's requests, its hot reload) goes to a dev host,
  // which routes /api and Ably (REST calls and WebSocket) as it does without Vite.
  server: { proxy: devHostProxy() },
  build: {
    outDir: fromRoot('dist/site/'),
    emptyOutDir: true,
    // Hashed file names: served with a year-long immutable cache (staticwebapp.config.json).
    assetsDir: 'assets',
    license: { fileName: 'licenses.txt' },
  },
});
