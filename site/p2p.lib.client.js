// Every peer's side of a session (the host has one too): keeps the roster and the elected host from presence,
// announces itself to the host, and mirrors the host's state. P2PSession hands it the host's messages (its
// MESSAGE_KINDS table drops host kinds from anyone but the host, and messages on the wrong channel).
//
// The mirror comes in parts, one per feature of the session (p2p.session.js FEATURES), as the host's state does:
// the word stream's WordMirror below, bingo's BingoMirror (bingo/mirror.js). The host's snapshot carries every
// part's fields; each mirror takes its own.
import { AnnouncePacing } from './announce-pacing.js';
import { PHRASE_WORDS } from './p2p.lib.server.js';
import { Roster } from './p2p.roster.js';

/** The longest word a client keeps; the phrase's longest is 6 characters. */
export const MAX_WORD_LENGTH = 64;
/** Words kept ahead of a gap: one phrase's worth, whatever a host sends. */
export const MAX_PENDING_WORDS = PHRASE_WORDS.length;

const isIndex = (index) => Number.isSafeInteger(index) && index >= 0;
const isWord = (word) => typeof word === 'string' && word.length <= MAX_WORD_LENGTH;

/**
 * Merge words into `known` by index, in place, so rewind, snapshot and replay together never repeat or skip one.
 * Each word costs O(1): the pending words are at most MAX_PENDING_WORDS (the nearest ones are kept).
 * @param {{base: number, words: string[]}} known the contiguous words so far, the first at index `base`
 * @param {Map<number, string>} pending words received ahead of a gap, by index; drained as the gap fills
 * @param {Array<[unknown, unknown]>} incoming `[index, word]` pairs; invalid ones are ignored
 * @returns {string[]} the words appended to `known.words`, in order (empty when nothing changed)
 */
export function mergeWords(known, pending, incoming) {
  for (const [index, word] of incoming) {
    if (!isIndex(index) || !isWord(word) || index < known.base + known.words.length || pending.has(index)) continue;
    if (pending.size >= MAX_PENDING_WORDS) {
      const farthest = Math.max(...pending.keys());
      if (index > farthest) continue;
      pending.delete(farthest);
    }
    pending.set(index, word);
  }
  const appended = [];
  for (let next = known.base + known.words.length; pending.has(next); next += 1) {
    appended.push(pending.get(next));
    pending.delete(next);
  }
  known.words.push(...appended);
  return appended;
}

/**
 * The word stream's part of the mirror: the words received so far (`state.words` from index `state.wordBase`, and
 * `state.receivedWords` as one string), merged by index so that rewind, snapshot and replay never repeat or skip one.
 */
export class WordMirror {
  /** @param {object} state the session's state, where the words are kept */
  constructor(state) {
    this.state = Object.assign(state, { receivedWords: '', wordBase: 0, words: [] });
    this.pendingWords = new Map();
  }

  /** Whether the snapshot's words have the right shape: one that does not is dropped whole (status unchanged). */
  accepts(snapshot) {
    return isSnapshot(snapshot);
  }

  /** Take the snapshot's words: the host's current phrase. */
  restore(snapshot) {
    if (snapshot.base > this.state.wordBase + this.state.words.length) this.skipTo(snapshot.base);
    this.addWords(snapshot.words.map((word, offset) => [snapshot.base + offset, word]));
  }

  /** What the next host's WordStream starts from: the words mirrored, from index `base`. */
  taken() {
    return { base: this.state.wordBase, words: this.state.words };
  }

  /** One word of the stream (`word`); a word of the wrong shape is dropped. */
  onWord(message) {
    this.addWords([[message.index, message.word]]);
  }

  /** Merge `[index, word]` pairs into the words shown; O(1) per word. */
  addWords(incoming) {
    const known = { base: this.state.wordBase, words: this.state.words };
    const appended = mergeWords(known, this.pendingWords, incoming);
    if (appended.length === 0) return;
    const added = appended.join(' ');
    this.state.receivedWords = this.state.receivedWords ? `${this.state.receivedWords} ${added}` : added;
  }

  /** Start the words over at `base` (a snapshot ahead of everything seen): what came before is not shown. */
  skipTo(base) {
    this.state.wordBase = base;
    this.state.words = [];
    this.state.receivedWords = '';
    for (const index of this.pendingWords.keys()) if (index < base) this.pendingWords.delete(index);
  }
}

/** Status goes disconnected → awaiting-acknowledgement → acknowledged, and back to awaiting when the host changes. */
export class P2PClient {
  /**
   * @param {import('./p2p.js').Identity} identity
   * @param {string} sessionId
   * @param {import('./p2p.js').PubSubClient} ably
   * @param {{state?: object, mirrors?: Record<string, {restore: (snapshot: object) => void,
   *   accepts?: (snapshot: object) => boolean}>}} [options] `state`: the object to keep the state in (P2PSession
   *   passes a reactive one); `mirrors`: one part per feature, by name (P2PSession's); without it, the words alone;
   *   `pacing`: when announces go and go again (announce-pacing.js; tests pass one with a fake clock)
   */
  constructor(identity, sessionId, ably, { state = {}, mirrors, pacing = new AnnouncePacing() } = {}) {
    this.identity = identity;
    this.sessionId = sessionId;
    this.ably = ably;
    this.state = Object.assign(state, {
      status: 'disconnected',
      players: [],
      hostClientId: null,
      myClientId: null,
    });
    this.mirrors = mirrors ?? { words: new WordMirror(this.state) };
    this.announcedTo = null;
    this.pacing = pacing;
    this.joining = null;
    this.roster = new Roster();
  }

  /**
   * Connect (the roster is known afterwards) and announce ourselves to the elected host. A second call does nothing
   * unless the first failed. Rejects with Ably's error, leaving the status disconnected.
   *
   * The host is asked as soon as the roster has been read (PubSubClient's `onReady`), while this peer's presence
   * enter is still on its way, so the snapshot's round trip overlaps the enter's; asked again once present if the
   * election named another host meanwhile (or none yet: the first peer hosts once its own enter is in the roster).
   */
  connect() {
    if (this.state.status === 'disconnected' && !this.joining) {
      this.joining = this.join().finally(() => {
        this.joining = null;
      });
    }
    return this.joining ?? Promise.resolve();
  }

  async join() {
    let asked = Promise.resolve();
    try {
      await this.ably.connect(this.identity, this.sessionId, {
        onReady: () => {
          asked = this.announce();
          asked.catch(() => {}); // awaited below, once present
        },
      });
      await asked;
      if (this.announcedTo !== this.state.hostClientId) await this.announce();
    } catch (error) {
      this.state.status = 'disconnected';
      throw error;
    }
  }

  /**
   * Ask the current host for its snapshot (`connected` to its inbox). Status is awaiting until the answer comes.
   * Rejects with Ably's error if the request cannot be published; the next roster change then asks again.
   * The host asks nobody: its server started from this client's words, which its own stream then extends, so a
   * snapshot from itself would hold nothing new (a round trip through Ably saved on every session's first join).
   * An ask Ably refuses for a rate goes again while this host is awaited; `spread`: the host has just changed, so
   * wait first, as long as the roster's size asks (announce-pacing.js).
   */
  async announce({ spread = false } = {}) {
    const host = this.state.hostClientId;
    if (!host) return;
    this.announcedTo = host;
    if (host === this.state.myClientId) {
      this.state.status = 'acknowledged';
      return;
    }
    this.state.status = 'awaiting-acknowledgement';
    const awaiting = () =>
      this.ably.connected && this.announcedTo === host && this.state.status === 'awaiting-acknowledgement';
    try {
      await this.pacing.announce(() => this.ably.sendMessage({ kind: 'connected' }, host), {
        awaiting,
        spreadOver: spread ? this.state.players.length : 0,
      });
    } catch (error) {
      if (this.announcedTo === host) this.announcedTo = null;
      throw error;
    }
  }

  /**
   * Take a whole presence set (after connecting, or after continuity was lost): the roster in join order and the
   * elected host.
   * @returns {boolean} whether the host changed
   */
  applyPresence(members) {
    this.roster.replace(members);
    this.state.myClientId = this.ably.metadata?.clientId ?? null;
    this.state.players = this.roster.players().map((player) => this.playerShown(player));
    return this.electionChanged();
  }

  /**
   * Take one presence event (enter, present, update, leave, absent): one player moves, in place, so a burst of
   * joins is not a re-sort of the whole set per join.
   * @returns {boolean} whether the host changed
   */
  applyPresenceEvent(event) {
    const change = this.roster.apply(event);
    if (!change) return false;
    const { players } = this.state;
    if (change.removed >= 0) players.splice(change.removed, 1);
    if (change.inserted >= 0) players.splice(change.inserted, 0, this.playerShown(change.player));
    return this.electionChanged();
  }

  playerShown({ clientId, friendlyName }) {
    return {
      clientId,
      friendlyName,
      isHost: clientId === this.roster.host(),
      isMe: clientId === this.state.myClientId,
    };
  }

  /** Mark the elected host in the players list; true when it is another than before. */
  electionChanged() {
    const hostClientId = this.roster.host();
    if (hostClientId === this.state.hostClientId) return false;
    for (const player of this.state.players) {
      const isHost = player.clientId === hostClientId;
      if (player.isHost !== isHost) player.isHost = isHost;
    }
    this.state.hostClientId = hostClientId;
    return true;
  }

  /**
   * Whether this client should re-announce: it has connected, and the host it asked is not the current one
   * (or its continuity was lost, `force`).
   */
  needsAnnouncing(force = false) {
    if (this.state.status === 'disconnected' || !this.state.hostClientId) return false;
    return force || this.announcedTo !== this.state.hostClientId;
  }

  /**
   * The host's snapshot (`connection-acknowledged`): each mirror takes its fields. A snapshot a mirror does not
   * accept (the words of another shape) is dropped whole.
   */
  onSnapshot(message) {
    const mirrors = Object.values(this.mirrors);
    if (!mirrors.every((mirror) => mirror.accepts?.(message) ?? true)) return;
    for (const mirror of mirrors) mirror.restore(message);
    this.state.status = 'acknowledged';
  }
}

/** The snapshot's shape: the host's current phrase, its first index a multiple of the phrase length. */
function isSnapshot(message) {
  const { base, words } = message;
  return (
    isIndex(base) &&
    base % PHRASE_WORDS.length === 0 &&
    Array.isArray(words) &&
    words.length <= PHRASE_WORDS.length &&
    words.every(isWord)
  );
}
