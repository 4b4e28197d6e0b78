// Which requests Vite's dev server passes to a dev host (vite.config.js's server.proxy; `make dev` starts both,
// see devserver/vite_dev.py): the functions under /api/, and ably-js's REST calls and WebSocket, which the dev
// host answers with its emulator (or passes to Ably with a real key). The rule is the dev host's own
// (devserver/emulator_proxy.py, is_for_emulator): ably-js sends X-Ably-Version on every REST call and opens its
// WebSocket at `/`. Vite's hot-reload WebSocket is also at `/` but asks for its `vite-hmr` subprotocol, so it
// stays with Vite; so does everything else (the page and its modules, served from site/). The emulator's test
// controls (`/_emulator/...`) are never passed on, however the path is spelled: they answer on the emulator's
// loopback port only.

/** The dev host Vite proxies to: DEV_HOST_URL, else the one `make run` starts. */
export const DEFAULT_DEV_HOST = 'http://127.0.0.1:4280';
// The emulator's test controls' first path segment (emulator/controls.py, PREFIX).
const CONTROLS = '_emulator';
// Rounds of percent-decoding before a path that keeps changing is taken for a disguised control path.
const MAX_DECODES = 4;
const utf8 = new TextDecoder();

/** Percent-decode as Python's urllib.parse.unquote does: each run of %XX as UTF-8, bad bytes as U+FFFD. */
function unquote(text) {
  return text.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) =>
    utf8.decode(Uint8Array.from(run.slice(1).split('%'), (hex) => parseInt(hex, 16))),
  );
}

/** Whether a raw path could reach the emulator's test controls, however it is spelled: percent-decoded until
 * nothing changes, `\` taken for `/`, empty and `.` segments dropped, `..` applied, case ignored
 * (devserver/emulator_proxy.py, names_controls). */
export function namesControls(rawPath) {
  let path = rawPath.split('?', 1)[0];
  for (let round = 0; ; round += 1) {
    if (round === MAX_DECODES) return true;
    const decoded = unquote(path);
    if (decoded === path) break;
    path = decoded;
  }
  const segments = [];
  for (const segment of path.replaceAll('\\', '/').split('/')) {
    if (segment === '..') segments.pop();
    else if (segment !== '' && segment !== '.') segments.push(segment);
  }
  return segments.length > 0 && segments[0].toLowerCase() === CONTROLS;
}

/** Whether the dev host answers this request (a Node IncomingMessage, as Vite's proxy sees it). */
export function isForDevHost(request) {
  // The request target as sent: a path, or (absolute form) a URL whose path is taken as it is spelled.
  const rawPath = request.url.startsWith('/') ? request.url : request.url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?]*/i, '');
  if (namesControls(rawPath)) return false;
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
