// Which requests Vite's dev server keeps (vite.config.js's server.proxy; `make dev` starts Vite and a dev host, see
// devserver/vite_dev.py). Vite keeps what is its own and passes everything else to the dev host, which routes it by
// its one rule (devserver/emulator_proxy.py, is_for_emulator): /api/* to the functions, ably-js's REST calls and
// WebSocket to the emulator (or Ably with a real key), anything else, the emulator's test controls however spelled
// among them, to its site, which does not serve them. Vite's own: the page's requests (its document, modules and
// assets carry no X-Ably-Version, which ably-js sends on every REST call, and are outside /api/) and its hot-reload
// WebSocket, which asks for a `vite-` subprotocol (ably-js's asks for none).

/** The dev host Vite proxies to: DEV_HOST_URL, else the one `make run` starts. */
export const DEFAULT_DEV_HOST = 'http://127.0.0.1:4280';

/** Whether Vite answers this request itself (a Node IncomingMessage, as Vite's proxy sees it). */
export function isVitesOwn(request) {
  if ((request.headers.upgrade ?? '').toLowerCase() === 'websocket') {
    return (request.headers['sec-websocket-protocol'] ?? '').startsWith('vite-');
  }
  const path = new URL(request.url, 'http://vite.invalid').pathname;
  return !path.startsWith('/api/') && request.headers['x-ably-version'] === undefined;
}

/** Vite's `server.proxy` setting: what is not Vite's own goes to `target`; a string from `bypass` keeps the request
 * with Vite. `ws` lets the same rule carry ably-js's WebSocket. */
export function devHostProxy(target = process.env.DEV_HOST_URL || DEFAULT_DEV_HOST) {
  return {
    '^/': { target, ws: true, bypass: (request) => (isVitesOwn(request) ? request.url : undefined) },
  };
}
