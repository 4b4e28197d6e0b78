// Chat lines, the `chat` kind (docs/protocol.md, "Chat"): any player says a short line to everyone, and every page
// shows it under the sender's name in the roster. Anyone holding a token can publish anything, so a line is shown
// only when it fits: a string of at most MAX_CHAT_LENGTH code units, drawn without control characters, from a
// player in the roster, within that player's rate (a flood is dropped); a page keeps the last CHAT_LINES_KEPT.
// The Python peer's p2p/chat.py is the same rule, held to the same vectors (tests/protocol/vectors/chat.json).

/** The longest `text` shown, in UTF-16 code units (as JavaScript counts a string's length). */
export const MAX_CHAT_LENGTH = 200;
/** The lines a page keeps, the newest last. */
export const CHAT_LINES_KEPT = 20;
/** A sender's lines shown within any CHAT_WINDOW_MS; more are dropped. */
export const CHAT_BURST = 5;
export const CHAT_WINDOW_MS = 10_000;
/** Senders remembered for the rate before the quiet ones are forgotten (Ably's presence limit is 200 members). */
const CHAT_SENDERS_TRACKED = 256;

// Control characters and bidi overrides: invisible, and able to break a line or turn it around.
const UNSAFE_CHARACTERS = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/gu;

/**
 * The text a page shows for a chat line's `text`, or null when no page shows the line: not a string, longer than
 * MAX_CHAT_LENGTH, or nothing left once tidied (control characters that are spaces, such as a newline or a tab,
 * become one; the others and bidi controls are removed; runs of spaces become one; the ends are trimmed).
 * @param {unknown} text
 * @returns {string | null}
 */
export function chatText(text) {
  if (typeof text !== 'string' || text.length > MAX_CHAT_LENGTH) return null;
  const shown = text
    .replace(UNSAFE_CHARACTERS, (character) => (/\s/.test(character) ? ' ' : ''))
    .replace(/\s+/g, ' ')
    .trim();
  return shown || null;
}

/** At most CHAT_BURST lines per sender in any CHAT_WINDOW_MS: a conversation passes, a flood is dropped. */
export class ChatRate {
  constructor() {
    /** sender → the times of its lines taken within the window, oldest first */
    this.recent = new Map();
  }

  /** Count a line from `sender` at `now` (ms, never going back) if its rate allows it; false when it does not. */
  take(sender, now) {
    const times = this.within(sender, now);
    if (times.length >= CHAT_BURST) return false;
    if (!this.recent.has(sender) && this.recent.size >= CHAT_SENDERS_TRACKED) this.forgetQuiet(now);
    this.recent.set(sender, [...times, now]);
    return true;
  }

  /** The times of `sender`'s lines still within the window at `now`. */
  within(sender, now) {
    return (this.recent.get(sender) ?? []).filter((time) => time > now - CHAT_WINDOW_MS);
  }

  forgetQuiet(now) {
    for (const [sender, times] of this.recent) if (times.at(-1) <= now - CHAT_WINDOW_MS) this.recent.delete(sender);
  }
}

/** One page's chat: whom it heard lately (the rate), and a count of the lines it showed. */
export class ChatLog {
  constructor() {
    this.rate = new ChatRate();
    this.linesShown = 0;
  }

  /**
   * The line a page shows for a received `chat` message, `{id, from, name, text}` (`id` numbers the lines this
   * page shows), or null when it is dropped: its text does not fit (chatText), the sender is not in `players`
   * (the roster), or the sender's rate is spent.
   * @param {{from: string | null, text?: unknown}} message
   * @param {Array<{clientId: string, friendlyName: string}>} players
   * @param {number} now a time in ms that never goes back
   */
  accept(message, players, now) {
    const text = chatText(message.text);
    const sender = text === null ? undefined : players.find((player) => player.clientId === message.from);
    if (!sender || !this.rate.take(sender.clientId, now)) return null;
    this.linesShown += 1;
    return { id: this.linesShown, from: sender.clientId, name: sender.friendlyName, text };
  }
}

const logs = new WeakMap();

/**
 * The `chat` row's handler: add the line to `session.state.chat` (the last CHAT_LINES_KEPT), or drop it.
 * @param {{state: {players: object[], chat?: object[]}}} session
 * @param {object} message
 * @param {number} [now] a time in ms that never goes back
 */
export function receiveChat(session, message, now = performance.now()) {
  if (!logs.has(session)) logs.set(session, new ChatLog());
  const line = logs.get(session).accept(message, session.state.players, now);
  if (line) session.state.chat = [...(session.state.chat ?? []), line].slice(-CHAT_LINES_KEPT);
}
