// Which requests Vite's dev server passes to a dev host (vite.config.js's server.proxy; `make dev` starts both,
// see devserver/vite_dev.py): the functions under /api/, and ably-js's REST calls and WebSocket, which the dev
// host answers with its emulator (or passes to Ably with a real key). The rule is the dev host's own
// (devserver/emulator_proxy.py, is_for_emulator): ably-js sends X-Ably-Version on every REST call and opens its
// WebSocket at `/`. Vite's hot-reload WebSocket is also at `/` but asks for its `vite-hmr` subprotocol, so it
// stays with Vite; so does everything else (the page and its modules, served from site/).

/** The dev host Vite proxies to: DEV_HOST_URL, else the one `make run` starts. */
export const DEFAULT_DEV_HOST = 'http://127.0.0.1:4280';

/** Whether the dev host answers this request (a Node IncomingMessage, as Vite's proxy sees it). */
export function isForDevHost(request) {
  const path = new URL(request.url, 'http://vite.invalid').pathname;
  if (path.startsWith('/api/') || request.headers['x-ably-version'] !== undefined) return true;
  const upgrade = (request.headers.upgrade ?? '').toLowerCase() === 'websocket';
  const subprotocol = request.headers['sec-websocket-protocol'] ?? '';
  return upgrade && path === '/' && !subprotocol.startsWith('vite-');
}

/** Vite's `server.proxy` setting: what the dev host answers goes to `target`; a string from `bypass` keeps the
 * request with Vite. `ws` lets the same rule carry ably-js's WebSocket. */
export function devHostProxy(target = process.env.DEV_HOST_URL || DEFAULT_DEV_HOST) {
  return {
    '^/': { target, ws: true, bypass: (request) => (isForDevHost(request) ? undefined : request.url) },
  };
}
