// Bingo as the page shows it: the round this player mirrors (session.state.bingo and its own card, kept by
// bingo/mirror.js), the marks on its card, and what its buttons do: "Bingo!" for everyone, and for the host "Play
// bingo", pause and resume, faster and slower. The host's part lives on the session's server, which a new host
// makes anew, so each button finds it when pressed.
import { computed, ref, watch } from 'vue';
import { columnRange, LINES, MAX_PACE_MS, MIN_PACE_MS } from '../bingo/rules.js';

export const COLUMNS = ['B', 'I', 'N', 'G', 'O'];

/** A number as a caller says it, with its column letter: 42 → "G 42". */
export const ballName = (number) => `${COLUMNS.find((_, col) => number <= columnRange(col)[1])} ${number}`;

/** What a line is called on the card: "row 2", "the B column", "a diagonal". */
export function lineName(line) {
  const at = LINES.findIndex((each) => each.join() === line.join());
  if (at < 5) return `row ${at + 1}`;
  if (at < 10) return `the ${COLUMNS[at - 5]} column`;
  return 'a diagonal';
}

/**
 * @param {{session: import('vue').Ref<object>, showError: (summary: string, cause?: unknown) => void}} options
 *   `session`: the P2PSession (raw); its reactive `state` drives everything shown
 */
export function useBingo({ session, showError }) {
  const state = computed(() => session.value.state);
  const bingo = computed(() => state.value.bingo);
  const card = computed(() => {
    const mine = state.value.bingoCard;
    return mine && mine.round === bingo.value?.round ? mine.card : null;
  });
  // On by default: the card marks every number called. Off: the player taps the numbers they heard.
  const autoMark = ref(true);
  const tapped = ref(new Set());
  watch(
    () => bingo.value?.round,
    () => {
      tapped.value = new Set();
    },
  );

  const called = computed(() => new Set(bingo.value?.calls ?? []));
  const lastCall = computed(() => bingo.value?.calls.at(-1) ?? null);

  /** Whether the cell at `index` of my card is marked: the free centre always. */
  function isMarked(index) {
    const number = card.value?.[index];
    if (number === 0) return true;
    return autoMark.value ? called.value.has(number) : tapped.value.has(index);
  }

  /** Tap a cell (when the player marks their own card). */
  function toggle(index) {
    const next = new Set(tapped.value);
    if (!next.delete(index)) next.add(index);
    tapped.value = next;
  }

  const playing = computed(() => ['playing', 'paused'].includes(bingo.value?.phase));
  /** My marks make a line: the page says so, next to the "Bingo!" button. */
  const hasLine = computed(() => Boolean(card.value) && LINES.some((line) => line.every(isMarked)));
  const claiming = computed(() => Boolean(state.value.bingoClaim));
  const canClaim = computed(() => playing.value && Boolean(card.value) && !claiming.value);

  /** The player's name for a clientId, from the roster. */
  const nameOf = (clientId) =>
    state.value.players.find((player) => player.clientId === clientId)?.friendlyName ?? 'A player who left';

  const winner = computed(() => {
    const won = bingo.value?.winner;
    if (!won) return null;
    return {
      name: won.player === state.value.myClientId ? 'You' : nameOf(won.player),
      isMe: won.player === state.value.myClientId,
      line: lineName(won.line),
      numbers: won.line.map((index) => (won.card[index] === 0 ? 'free' : ballName(won.card[index]))),
    };
  });

  /** Where this player stands in the round, in one sentence. */
  const standing = computed(() => {
    const round = bingo.value;
    if (!round || card.value) return '';
    if (round.phase === 'won') return 'You will play the next round.';
    if (state.value.bingoCardLost === round.round) {
      return 'Your card was lost with the player who hosted before: you will play the next round.';
    }
    const dealtMe = round.dealt.some(([player]) => player === state.value.myClientId);
    return dealtMe ? 'Your card is on its way…' : 'Waiting for the host to deal you a card…';
  });

  const host = () => session.value.server?.parts.bingo;

  /** Run a host action, saying so if it fails (e.g. this peer stopped hosting meanwhile). */
  async function asHost(summary, action) {
    try {
      const part = host();
      if (!part) throw new Error('You are not hosting any more.');
      await action(part);
    } catch (cause) {
      showError(summary, cause);
    }
  }

  const startRound = () => asHost('Could not start the round. Try again.', (part) => part.startRound());
  const setPace = (change) => asHost('Could not change the pace. Try again.', (part) => part.setPace(change));
  const pause = () => setPace({ paused: true });
  const resume = () => setPace({ paused: false });
  const faster = () => setPace({ paceMs: Math.max(MIN_PACE_MS, bingo.value.paceMs / 2) });
  const slower = () => setPace({ paceMs: Math.min(MAX_PACE_MS, bingo.value.paceMs * 2) });

  async function claim() {
    try {
      await session.value.mirrors.bingo.claim();
    } catch (cause) {
      showError('Could not send your Bingo! to the host. Try again.', cause);
    }
  }

  return {
    bingo,
    card,
    autoMark,
    isMarked,
    toggle,
    called,
    lastCall,
    playing,
    hasLine,
    claiming,
    canClaim,
    winner,
    standing,
    startRound,
    pause,
    resume,
    faster,
    slower,
    claim,
  };
}
