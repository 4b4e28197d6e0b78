// Bingo as a feature of the session (p2p.session.js FEATURES, docs/build-a-game.md): its message kinds, the
// mirror every peer keeps (bingo/mirror.js) and the host's part (bingo/host.js), made from the mirror on election.
import { BingoHost } from './host.js';
import { BingoMirror } from './mirror.js';

const mirrorOf = (session) => session.mirrors.bingo;

export const BINGO = {
  name: 'bingo',
  kinds: {
    /** A new round, `{round, paceMs, dealt}`: every card's digest, `[[clientId, digest], ...]`. */
    'bingo-round': { sender: 'host', channel: 'session', handle: (s, m) => mirrorOf(s).onRound(m) },
    /** A late joiner's card, `{round, player, digest}`. */
    'bingo-dealt': { sender: 'host', channel: 'session', handle: (s, m) => mirrorOf(s).onDealt(m) },
    /** This player's card, `{round, card, salt}`, on its inbox only. */
    'bingo-card': { sender: 'host', channel: 'inbox', handle: (s, m) => mirrorOf(s).onCard(m) },
    /** The next number, `{round, index, number}`. */
    'bingo-call': { sender: 'host', channel: 'session', handle: (s, m) => mirrorOf(s).onCall(m) },
    /** The pace, `{round, paceMs, paused}`. */
    'bingo-pace': { sender: 'host', channel: 'session', handle: (s, m) => mirrorOf(s).onPace(m) },
    /** A player's claim, `{round, card, salt}`, on the host's inbox: the host judges it (once elected). */
    'bingo-claim': { sender: 'anyone', channel: 'inbox', handle: (s, m) => mirrorOf(s).onClaimForHost(m) },
    /** The verified winner, `{round, player, card, salt, line}`: every receiver verifies it again. */
    'bingo-winner': { sender: 'host', channel: 'session', handle: (s, m) => mirrorOf(s).onWinner(m) },
    /** The host's refusal of my claim, `{round, reason}`, on my inbox. */
    'bingo-refused': { sender: 'host', channel: 'inbox', handle: (s, m) => mirrorOf(s).onRefused(m) },
  },
  mirror: (session) => new BingoMirror(session),
  host: (session, mirror) => new BingoHost(session, mirror),
};
