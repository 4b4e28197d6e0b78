// The display name a player types: its limit, how it is tidied, and the one a player who typed none gets.
//
// Why a module of its own: the host/join form needs these on the first load, while the P2P classes that also use
// them (p2p.js, p2p.roster.js) load only when the visitor hosts or joins. p2p.js re-exports them for its callers.

export const MAX_FRIENDLY_NAME_LENGTH = 32;

// Control characters and bidi overrides: invisible, and able to make one name display as another.
const UNSAFE_NAME_CHARACTERS = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/gu;

// A name longer than this is cut before it is tidied, so a huge one costs no more than a long one.
const MAX_RAW_NAME_LENGTH = 8 * MAX_FRIENDLY_NAME_LENGTH;

/**
 * Tidy a typed display name: no control characters, single spaces, at most 32 characters. May return ''
 * (always for anything but a string, e.g. a peer's presence data of the wrong type).
 * @param {unknown} name
 */
export function normalizeFriendlyName(name) {
  const cleaned = (typeof name === 'string' ? name.slice(0, MAX_RAW_NAME_LENGTH) : '')
    .replace(UNSAFE_NAME_CHARACTERS, '')
    .replace(/\s+/g, ' ')
    .trim();
  // Array.from splits by code point, so a cut never leaves half an emoji.
  return Array.from(cleaned).slice(0, MAX_FRIENDLY_NAME_LENGTH).join('').trim();
}

/** A name for someone who did not type one, e.g. `Player-4821`. */
export function defaultFriendlyName() {
  const [n] = crypto.getRandomValues(new Uint32Array(1));
  return `Player-${1000 + (n % 9000)}`;
}
