// What the page tells the player about getting into the session and staying in it: one situation at a time, a row
// of SITUATIONS (the words, and whether Retry now can help), chosen by situationOf() from Ably's connection state
// and reason, this site's server (the token endpoint, and the connection settings before it), and whether this
// page has been connected before. docs/troubleshooting.md lists every row and its cause.
//
// Why the rule needs to know where getting a token failed: ably-js reports every failure to get one as 80019
// ("Client configured authentication provider request failed"), whoever failed, and gives a network failure the
// same code as a failed authCallback (40170). ably-client.js knows whether our server handed over a TokenRequest
// (`tokenFailedAt`). If it did not, this site's server is failing. If it did, ably-js asked Ably for the token
// itself (POST /keys/<key name>/requestToken), and Ably's answer says why it refused: the key (40101 wrong secret
// or invalid MAC, 40130 not recognised, 40131 revoked, 40132 expired, ...: the codes `python -m devserver
// --check-ably` calls "not accepted" too), or something else about the request (40104 the server's clock, 40160
// a capability the key lacks, ...). Anything without one of Ably's codes never reached Ably (DNS, a refused
// connection, TLS), as ably-js's 80003 does for the WebSocket.

/**
 * The words for each situation: a short `label` (the badge), a `sentence` saying what is going on and what to do,
 * `tone` (the badge's colour: good, waiting or bad) and `retry` (offer Retry now, which reconnects at once).
 */
export const SITUATIONS = Object.freeze({
  'server-slow': {
    label: 'One moment',
    sentence: "Waiting for this site's server: it may be starting up, which can take a few seconds.",
    tone: 'waiting',
  },
  'server-problem': {
    label: 'Waiting',
    sentence:
      "This site's server is not answering properly, so you cannot join yet. Trying again by itself; if this lasts, tell the site's owner.",
    tone: 'waiting',
  },
  connecting: { label: 'Connecting', sentence: 'Getting you into the session…', tone: 'waiting' },
  unreachable: {
    label: 'Cannot connect',
    sentence:
      'Cannot reach Ably, the service this game connects through. Check that you are online; if other sites work, this network may block Ably (some school and office networks do), so try another one. Trying again by itself.',
    tone: 'bad',
    retry: true,
  },
  'key-refused': {
    label: 'Not accepted',
    sentence:
      "This site's Ably key is not accepted, so nobody can join yet. Please tell the site's owner (the details below are for them); this page keeps trying and joins once it is fixed.",
    tone: 'bad',
  },
  'token-refused': {
    label: 'Refused',
    sentence:
      "Ably, the service this game connects through, refused this site's request to join, so nobody can join yet. Please tell the site's owner (the details below are for them); this page keeps trying and joins once it is fixed.",
    tone: 'bad',
  },
  connected: { label: 'Connected', sentence: 'What the others do shows up here as it happens.', tone: 'good' },
  reconnecting: {
    label: 'Interrupted',
    sentence: 'Connection lost. Reconnecting by itself; what you send meanwhile goes out once it is back.',
    tone: 'waiting',
  },
  offline: {
    label: 'No network',
    sentence: 'Offline for a while. Still trying every 30 seconds: check your network, then press Retry now.',
    tone: 'bad',
    retry: true,
  },
  failed: {
    label: 'Failed',
    sentence: 'The connection failed and will not retry by itself. Press Retry now, or reload the page.',
    tone: 'bad',
    retry: true,
  },
  leaving: { label: 'Leaving', sentence: 'Leaving the session…', tone: 'waiting' },
  left: { label: 'Left', sentence: 'You left the session. Reload the page to join again.', tone: 'bad' },
});

/** ably-js's code for "could not get a token", whoever failed. */
const TOKEN_REQUEST_FAILED = 80019;
/** ably-js's code for a failed authCallback, which it also gives a token request that got no answer from Ably. */
const AUTH_CALLBACK_FAILED = 40170;

/**
 * Ably refuses the key: bad credentials, the account, app or key disabled or revoked, or a key it does not know.
 * `python -m devserver --check-ably` says the same (devserver/ably_check.py); tests/protocol/vectors/key_refused.json
 * holds both to one rule.
 */
export const refusesKey = (code) =>
  code === 40101 || code === 40102 || (code >= 40110 && code < 40140) || code === 40400;
/** Ably answered the token request with one of its own 4xxxx codes (not ably-js's stand-in for no answer). */
const answered = (code) => code >= 40000 && code < 50000 && code !== AUTH_CALLBACK_FAILED;

/** The situation for each of Ably's refusals. */
const REFUSALS = { key: 'key-refused', refused: 'token-refused' };
/** Situations a reconnection attempt does not change: they stay until the connection is back (or fails). */
const UNTIL_CONNECTED = new Set(['unreachable', 'key-refused', 'token-refused', 'reconnecting', 'offline']);
/** Situations that stay while the page closes the connection they broke (a failed join is cleaned up). */
const UNTIL_LEFT = new Set(['failed', 'key-refused', 'token-refused']);

/** Why there is no token: 'server' (this site's), 'key' or 'refused' (Ably's answer), 'network', or null. */
function failure(reason, tokenFailedAt) {
  if (reason?.code !== TOKEN_REQUEST_FAILED) return null;
  if (tokenFailedAt === 'server') return 'server';
  const code = reason.cause?.code;
  if (refusesKey(code)) return 'key';
  return answered(code) ? 'refused' : 'network';
}

/**
 * The situation to show now.
 * @param {object} now
 * @param {string} now.state Ably's connection state
 * @param {object | null} [now.reason] Ably's ErrorInfo for the last change (with its `cause`)
 * @param {'server' | 'ably' | null} [now.tokenFailedAt] for 80019, where getting the token failed (ably-client.js)
 * @param {boolean} [now.serverProblem] this site's server is failing to give a token right now (ably-client's
 *   onTokenProblem)
 * @param {boolean} [now.wasConnected] this client has been connected before: a later drop is a lost connection
 * @param {string | null} [now.previous] the situation shown until now
 * @returns {keyof typeof SITUATIONS}
 */
export function situationOf({
  state,
  reason = null,
  tokenFailedAt = null,
  serverProblem = false,
  wasConnected = false,
  previous = null,
}) {
  if (state === 'connected') return 'connected';
  if (state === 'closing' || state === 'closed') {
    if (UNTIL_LEFT.has(previous)) return previous;
    return state === 'closing' ? 'leaving' : 'left';
  }
  const failed = failure(reason, tokenFailedAt);
  if (state === 'failed') return REFUSALS[failed] ?? 'failed';
  if (serverProblem) return 'server-problem';
  if (state === 'initialized' || state === 'connecting') return UNTIL_CONNECTED.has(previous) ? previous : 'connecting';
  // disconnected or suspended: Ably tries again by itself
  if (REFUSALS[failed]) return REFUSALS[failed];
  if (failed === 'server') return 'server-problem';
  if (!wasConnected) return 'unreachable';
  return state === 'suspended' ? 'offline' : 'reconnecting';
}

/** The innermost explanation Ably gives (80019's cause, when it has one). */
export function rootCause(reason) {
  return reason?.code === TOKEN_REQUEST_FAILED && reason.cause ? reason.cause : reason;
}
