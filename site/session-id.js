// Session ids and what is named after one: the rule every part shares, fresh unguessable ids, the session's channels
// and its invite link /s/<id>; and the peer secret of token requests. The API (api/token_policy.py) and the Python
// peer (p2p/rules.py) hold the same rules, all three tested against tests/protocol/vectors/sessions.json.

/** Letters, digits, '-' and '_', 1 to 64 characters. */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * What generated session ids are made of: lower-case letters and digits without the ones people mistake for each
 * other when reading an id aloud or off a screen (0 and o, 1, l and i), so a friend can type what they are told.
 * Older ids, and names people type, may use the whole rule above.
 */
export const GENERATED_ID_ALPHABET = '23456789abcdefghjkmnpqrstuvwxyz';
/** A generated id: groups of this many symbols joined by '-', which are easier to read out than one long run. */
const GROUP_LENGTH = 5;
/** The 64 symbols of a peer secret, 6 random bits each: nobody reads or types it. */
const SECRET_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const INVITE_PATH = /^\/s\/(.*)$/s;

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
 * A fresh session id nobody can guess, e.g. `k7m2x-9qhvd-4nfp8`: `symbols` symbols of GENERATED_ID_ALPHABET
 * (log2(31) ≈ 4.95 bits each: 74 bits for the default 15), in groups of five.
 * @param {number} symbols
 */
export function randomSessionId(symbols = 15) {
  const size = GENERATED_ID_ALPHABET.length;
  // Bytes at or above the largest multiple of the alphabet's size are drawn again, so every symbol is equally likely.
  const limit = 256 - (256 % size);
  const picked = [];
  while (picked.length < symbols) {
    for (const byte of crypto.getRandomValues(new Uint8Array(symbols))) {
      if (byte < limit && picked.length < symbols) picked.push(GENERATED_ID_ALPHABET[byte % size]);
    }
  }
  const groups = [];
  for (let start = 0; start < symbols; start += GROUP_LENGTH)
    groups.push(picked.slice(start, start + GROUP_LENGTH).join(''));
  return groups.join('-');
}

/**
 * A fresh secret for one page's token requests (`authParams.peer`): the token endpoint derives the clientId from
 * it, so every token renewal keeps the same clientId, and no other page can obtain that clientId. 192 bits.
 */
export function newPeerSecret() {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  // 256 is a multiple of 64, so masking keeps every symbol equally likely.
  return Array.from(bytes, (byte) => SECRET_ALPHABET[byte & 63]).join('');
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
 * What an invite link (any path under `/s/`) says the session is, decoded, with one trailing slash dropped; null
 * for other paths. A mangled link (`/s/`, `/s/a/b`, `/s/..%2F..`, an invalid escape) gives what it holds, which
 * sessionIdProblem() then explains: the page says the link is broken instead of guessing.
 * @param {string} pathname e.g. location.pathname
 */
export function sessionIdFromPath(pathname) {
  const match = INVITE_PATH.exec(pathname);
  if (!match) return null;
  const named = match[1].replace(/\/$/, '');
  try {
    return decodeURIComponent(named);
  } catch {
    return named;
  }
}
