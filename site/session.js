// Session ids: the rule every part shares (docs/architecture.md), fresh unguessable ids, and the deep links /s/<id>.

/** The same rule as the API's: letters, digits, '-' and '_', 1 to 64 characters. */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const DEEP_LINK = /^\/s\/([^/]+)\/?$/;

/** True when `id` names a session the API will issue tokens for. */
export function isValidSessionId(id) {
  return typeof id === 'string' && SESSION_ID_PATTERN.test(id);
}

/**
 * Explain what is wrong with a typed session id, in a sentence for the form, or return null when it is fine.
 * @param {string} id the trimmed input
 */
export function sessionIdProblem(id) {
  if (!id) return 'Enter the session name you were given, or host a new session.';
  if (id.length > 64) return `Session names are at most 64 characters (this one has ${id.length}).`;
  if (!isValidSessionId(id)) return "Session names may contain only letters, digits, '-' and '_'.";
  return null;
}

/**
 * A fresh session id nobody can guess: `length` symbols of 6 random bits each (72 bits by default).
 * @param {number} length
 */
export function randomSessionId(length = 12) {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  // 256 is a multiple of 64, so masking keeps every symbol equally likely.
  return Array.from(bytes, (byte) => ID_ALPHABET[byte & 63]).join('');
}

/**
 * A fresh secret for one page's token requests (`authParams.peer`): the token endpoint derives the clientId from
 * it, so every token renewal keeps the same clientId, and no other page can obtain that clientId. 192 bits.
 */
export function newPeerSecret() {
  return randomSessionId(32);
}

/** The Ably channel a session's messages travel on. */
export function channelNameFor(sessionId) {
  if (!isValidSessionId(sessionId)) throw new Error(`Invalid session id: ${JSON.stringify(sessionId)}`);
  return `p2p:${sessionId}`;
}

/** The inbox of one peer in a session: anyone in the session may publish to it, only that peer may subscribe. */
export function inboxChannelFor(sessionId, clientId) {
  return `${channelNameFor(sessionId)}:inbox:${clientId}`;
}

/** The path of a session's deep link, e.g. `/s/abc123`. */
export function sessionPath(sessionId) {
  return `/s/${sessionId}`;
}

/**
 * The session id a deep-link path names, as typed in the link (the form validates it), or null for other paths.
 * @param {string} pathname e.g. location.pathname
 */
export function sessionIdFromPath(pathname) {
  const match = DEEP_LINK.exec(pathname);
  if (!match) return null;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return match[1];
  }
}
