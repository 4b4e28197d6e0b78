// The Ably client of one peer, built the same way by the page and by the benchmark's Node peers: client options
// from the API's /api/clientConfig, tokens from /api/createTokenRequest with the page's secret, both retried with
// backoff (retry.js), and the connection's state reported as it changes.
//
// Why ably-js is imported dynamically: the page needs it only once the visitor hosts or joins, so the bundler
// puts it in its own file and the first load stays small. loadAbly() starts that download; createAblyClient()
// is synchronous (P2PSession builds its client synchronously) and takes the loaded module.
//
//   const [Ably, { clientConfig }] = await Promise.all([loadAbly(), fetchClientConfig()]);
//   const realtime = createAblyClient({ Ably, clientConfig, sessionId, secret, onConnectionState });
import { loadOnce } from './load-once.js';
import { fetchJsonWithRetry } from './retry.js';

/** Tries at the token endpoint within one Ably auth attempt; Ably waits 10 s for the answer, then retries itself. */
export const TOKEN_ATTEMPTS = 4;
/** Ably's code for a connection attempt that got no token ("Client configured authentication provider request failed"). */
const TOKEN_REQUEST_FAILED = 80019;

/**
 * ably-js, loaded on first call (later calls share the download; after a failed one they try again).
 * @returns {Promise<{Realtime: Function}>} the module's namespace (its `Realtime` is the client class)
 */
export const loadAbly = loadOnce(() => import('ably').then((module) => module.default ?? module));

/**
 * The Ably client options the API gives (`{}` for real Ably, the emulator's address locally) and the origin
 * invite links use when the API names one. Keeps trying with backoff until the API answers.
 * @param {object} [options]
 * @param {string} [options.origin] where the API is; '' (the default) is the page's own origin
 * @param {typeof fetch} [options.fetch]
 * @param {(retry: {attempt: number, delayMs: number, error: Error}) => void} [options.onRetry] told before each wait
 * @returns {Promise<{clientConfig: object, shareOrigin: string | null}>}
 */
export async function fetchClientConfig({ origin = '', fetch, onRetry } = {}) {
  const { shareOrigin, ...clientConfig } = await fetchJsonWithRetry(`${origin}/api/clientConfig`, { fetch, onRetry });
  return { clientConfig, shareOrigin: shareOrigin ?? null };
}

/**
 * An Ably client for one session. Tokens come from the API through an authCallback rather than authUrl, so a
 * failing token endpoint is retried within seconds (and explained) instead of after Ably's 15 s.
 * @param {object} options
 * @param {{Realtime: Function}} options.Ably the module loadAbly() resolves to
 * @param {object} options.clientConfig from fetchClientConfig()
 * @param {string} options.sessionId
 * @param {string} [options.secret] this page's peer secret: every token, renewals too, names the same clientId
 * @param {string} [options.origin] where the API is; '' (the default) is the page's own origin
 * @param {typeof fetch} [options.fetch]
 * @param {(change: {state: string, reason: object | null, tokenFailedAt: 'server' | 'ably' | null}) => void}
 *   [options.onConnectionState] told the state now, then every change (`reason`: Ably's ErrorInfo, when it gave
 *   one; `tokenFailedAt`, when Ably could not get a token (80019): at this site's server, which gave no
 *   TokenRequest, or at Ably, which refused or never received the token request ably-js made with it)
 * @param {(problem: {error: Error, retry?: {attempt: number, delayMs: number}} | null) => void} [options.onTokenProblem]
 *   told when a token request fails (`retry`: it is retried after `delayMs`; none: Ably tries again itself),
 *   and `null` once a token arrives
 * @returns {object} the Ably.Realtime client, connecting
 */
export function createAblyClient({
  Ably,
  clientConfig,
  sessionId,
  secret,
  origin = '',
  fetch,
  onConnectionState = () => {},
  onTokenProblem = () => {},
}) {
  const query = new URLSearchParams({ session: sessionId, ...(secret ? { peer: secret } : {}) });
  const tokenUrl = `${origin}/api/createTokenRequest?${query}`;
  // Ably's 80019 means no token, whoever failed: our server (no TokenRequest, or too late for ably-js) or Ably.
  let tokenAttempts = 0;
  let tokenRequestGiven = false;
  const realtime = new Ably.Realtime({
    ...clientConfig,
    authCallback: (_tokenParams, callback) => {
      const attempt = ++tokenAttempts;
      tokenRequestGiven = false;
      fetchJsonWithRetry(tokenUrl, {
        fetch,
        maxAttempts: TOKEN_ATTEMPTS,
        onRetry: ({ error, ...retry }) => onTokenProblem({ error, retry }),
      }).then(
        (tokenRequest) => {
          if (attempt === tokenAttempts) tokenRequestGiven = true;
          onTokenProblem(null);
          callback(null, tokenRequest);
        },
        (error) => {
          onTokenProblem({ error });
          callback(error, null);
        },
      );
    },
  });
  realtime.connection.on(({ current, reason = null }) => {
    const tokenFailedAt = reason?.code === TOKEN_REQUEST_FAILED ? (tokenRequestGiven ? 'ably' : 'server') : null;
    onConnectionState({ state: current, reason, tokenFailedAt });
  });
  onConnectionState({ state: realtime.connection.state, reason: null, tokenFailedAt: null });
  return realtime;
}
