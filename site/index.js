// The page's entry: mount the Vue app (components/App.vue) on #app.
//
// Why components and not templates in index.html: the CSP forbids 'unsafe-eval', so templates cannot be compiled
// in the browser. Vite compiles the single-file components ahead of time; the page ships Vue's runtime only.
import { createApp } from 'vue';
import App from './components/App.vue';

// Back/forward between "/" and "/s/<id>" changes what the page should show; a reload rebuilds it from the URL.
addEventListener('popstate', () => location.reload());
// A page restored from the back/forward cache left its session on pagehide; start again from the URL.
addEventListener('pageshow', (evt) => evt.persisted && location.reload());
createApp(App).mount('#app');
