// One player's session, as the page shows it: the form's names, the session Host or Join starts, and what the
// network says about it. App.vue lays it out; the components only show what they are given and say what was pressed.
//
// Why the session object is raw but its state reactive: P2PSession (p2p.session.js) builds `session.state` with
// Vue's reactive(), so every change the network makes re-renders the page. The session object itself, its Ably
// client and its P2P classes are kept out of Vue's reach (shallowRef, markRaw): Vue has no business proxying a
// network client.
//
// Host and Join both join the session (the earliest player present hosts, p2p.roster.js); what the player pressed
// only changes what the page says once joined: Join on a session nobody is in says so and offers to host it (the
// player may have mistyped the name), Host on a session someone hosts says who, and that they joined as a player.
import { computed, markRaw, nextTick, reactive, ref, shallowRef, watch } from 'vue';
import { defaultFriendlyName, normalizeFriendlyName } from '../friendly-name.js';
import { rememberedFriendlyName, rememberFriendlyName } from '../remembered-name.js';
import { randomSessionId } from '../session-id.js';
import { useAlert } from './useAlert.js';
import { useConnection } from './useConnection.js';
import { useSessionLink } from './useSessionLink.js';
import { useWhatSessionsNeed } from './useWhatSessionsNeed.js';

// Ably refuses a presence enter past its members-per-channel limit with 91003: the session is full.
const SESSION_FULL = 91003;
const SESSION_FULL_SUMMARY =
  'This session is full: it has as many players as a session can hold. Try again when someone leaves, or host a new session.';

/**
 * The page's state and what its buttons do.
 * @param {{focusSessionName: () => void}} form the form's session name field, focused when it needs retyping
 */
export function useSession({ focusSessionName }) {
  const { invited, sessionId, sessionProblem, brokenLink, shareOrigin, shareLink, checkSessionId, showSession } =
    useSessionLink();
  const { connection, createRealtime, connectNow, forget } = useConnection();
  const { error, showError } = useAlert();
  const { startProgress, warmUp, loadWhatSessionsNeed } = useWhatSessionsNeed({ showError });
  const session = shallowRef(null);
  const friendlyName = ref(normalizeFriendlyName(rememberedFriendlyName()) || defaultFriendlyName());
  const starting = ref(false);
  // The session has been joined (start() resolved): only then is there a session to invite friends to.
  const joined = ref(false);
  const hostNews = ref('');
  // Which button started the session, 'host' or 'join': what the page says once joined depends on it.
  const pressed = ref('host');
  // Join found nobody in the session: the page asks whether to host it, until the player answers or someone arrives.
  const nobodyHere = ref(false);
  // The words of the stream come in phrases of this many (p2p.lib.server.js), each shown on its own line.
  const phraseLength = ref(null);

  const state = computed(() => session.value?.state);
  const players = computed(() => state.value?.players ?? []);
  const hostPlayer = computed(() => players.value.find((player) => player.isHost) ?? null);

  /** The words received so far, one line per phrase (a phrase starts at a multiple of its length). */
  const phrases = computed(() => {
    const words = state.value?.words ?? [];
    const base = state.value?.wordBase ?? 0;
    const lines = [];
    words.forEach((word, offset) => {
      if (lines.length === 0 || (base + offset) % phraseLength.value === 0) lines.push([]);
      lines.at(-1).push(word);
    });
    return lines.map((line) => line.join(' '));
  });

  // Someone else arrived while the page asked whether to host an empty session: it is a session with players now.
  watch(
    () => players.value.length,
    (count) => {
      if (count > 1) nobodyHere.value = false;
    },
  );

  if (invited) warmUp();

  /** Host: a typed session name, or a fresh unguessable one. The first peer present hosts (p2p.roster.js). */
  async function host() {
    const typed = sessionId.value.trim();
    if (typed && !acceptSessionId(typed)) return;
    pressed.value = 'host';
    await start(typed || randomSessionId());
  }

  async function join() {
    const typed = sessionId.value.trim();
    if (!acceptSessionId(typed)) return;
    pressed.value = 'join';
    await start(typed);
  }

  /** Show the problem with a typed session id next to its field, or clear it. */
  function acceptSessionId(id) {
    if (checkSessionId(id)) return true;
    focusSessionName();
    return false;
  }

  /**
   * Join (or, when nobody is there yet, host) the session: Host and Join differ only in the session id. Retry calls
   * it too, to replace a failed session; the session view stays up meanwhile.
   * @param {string} id
   */
  async function start(id) {
    brokenLink.value = false;
    error.value = null;
    hostNews.value = '';
    nobodyHere.value = false;
    joined.value = false;
    starting.value = true;
    // Remembered now, so that a reload after a failed download (useWhatSessionsNeed) keeps the name typed.
    const typedName = normalizeFriendlyName(friendlyName.value);
    if (typedName) rememberFriendlyName(typedName);
    const loaded = await loadWhatSessionsNeed();
    if (!loaded) {
      starting.value = false;
      return;
    }
    error.value = null;
    shareOrigin.value = loaded.shareOrigin;
    phraseLength.value = loaded.phraseLength;

    const started = markRaw(
      new loaded.P2PSession({
        sessionId: id,
        friendlyName: friendlyName.value,
        createRealtime: (forSession, { peer } = {}) => createRealtime(loaded, forSession, peer),
        reactive,
      }),
    );
    started.on('error', ({ summary, error: cause }) => showError(summary, cause));
    started.on('host-changed', (change) => announceHost(change));
    session.value = started;
    friendlyName.value = started.state.friendlyName;
    rememberFriendlyName(friendlyName.value);
    showSession(id);
    addEventListener('pagehide', () => started.close(), { once: true });

    try {
      await started.start();
      if (session.value !== started) return;
      // The roster is known once start() resolves: this player alone means nobody was there.
      nobodyHere.value = pressed.value === 'join' && started.state.players.length <= 1;
      joined.value = true;
    } catch (cause) {
      if (cause?.code === SESSION_FULL) {
        leave(started);
        showError(SESSION_FULL_SUMMARY);
      }
      // A join fails when the connection does, and the connection's line says why: no second message.
      else if (!['failed', 'key-refused', 'token-refused'].includes(connection.value.situation))
        showError('Could not join the session. Try again, or reload the page.', cause);
    } finally {
      starting.value = false;
    }
  }

  /**
   * Leave a session and go back to the form with its id filled in: the session is full (presence refused this
   * peer), or the player would rather not host the empty session Join found. The connection closes, so nobody sees
   * a trace.
   */
  function leave(left) {
    left.close();
    if (session.value !== left) return;
    session.value = null;
    forget();
    joined.value = false;
    nobodyHere.value = false;
  }

  /** "Host it": the player hosts the session Join found empty, as they already do (the only player present hosts). */
  function hostEmptySession() {
    pressed.value = 'host';
    nobodyHere.value = false;
  }

  /** "Change the session name": back to the form, to type it again. */
  async function changeSessionName() {
    leave(session.value);
    await nextTick();
    focusSessionName();
  }

  /**
   * The Retry button. Not connected yet, or suspended: connect now rather than at Ably's next attempt (even while
   * the join waits for it); the channels reattach and presence is re-entered by ably-js. Failed: Ably has failed
   * the channels and dropped this peer's presence too, so join the session afresh, as a reload would, but without
   * leaving the page.
   */
  function reconnect() {
    if (connection.value.state !== 'failed') {
      connectNow();
      return;
    }
    if (starting.value) return;
    session.value.close();
    start(sessionId.value);
  }

  async function streamWords() {
    try {
      await session.value.streamWords();
    } catch (cause) {
      showError('Could not stream the words. Try again.', cause);
    }
  }

  /**
   * Announce a change of host during the session (the host left, or two peers raced to host). The first election
   * needs no announcement: the page says who hosts anyway.
   */
  function announceHost({ hostClientId, previousHostClientId, isHost }) {
    if (!previousHostClientId || !hostClientId) return;
    if (isHost) hostNews.value = 'You are hosting now.';
    else hostNews.value = `${hostPlayer.value?.friendlyName ?? 'Another player'} is hosting now.`;
    nobodyHere.value = false;
  }

  return {
    error,
    connection,
    session,
    state,
    players,
    hostPlayer,
    phrases,
    shareLink,
    invited,
    brokenLink,
    sessionId,
    sessionProblem,
    friendlyName,
    starting,
    startProgress,
    joined,
    pressed,
    nobodyHere,
    hostNews,
    warmUp,
    host,
    join,
    hostEmptySession,
    changeSessionName,
    reconnect,
    streamWords,
    showError,
  };
}
