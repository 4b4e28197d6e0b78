// The session's connection as the page tells it (connection-status.js): Ably's state, the situation, its details.
// Its connection state, what Ably said, and this site's server failing to give a token become one situation on the
// session card.
import { ref } from 'vue';
import { createAblyClient } from '../ably-client.js';
import { rootCause, situationOf } from '../connection-status.js';
import { DETAILS, describeError, retrySentence, sentence } from './useAlert.js';

/**
 * The connection's line, the Ably client that feeds it, connectNow for Retry, and forget for a session left:
 * a client made before the last forget (one that Retry or leaving replaced) is ignored.
 */
export function useConnection() {
  const connection = ref({ state: 'initialized', situation: 'connecting', detail: null });
  // The Ably client of the current session, and a count of clients made, so a client that Retry replaced is ignored.
  let realtime = null;
  let clientsMade = 0;

  /** The Ably client for this page: P2PSession's createRealtime, given what useSession loaded. */
  function createRealtime({ Ably, clientConfig }, forSession, peer) {
    const made = ++clientsMade;
    const current = () => made === clientsMade; // not a client that Retry replaced
    const seen = { state: 'initialized', reason: null, tokenFailedAt: null, tokenProblem: null, wasConnected: false };
    const show = (change) => {
      if (!current()) return;
      Object.assign(seen, change);
      if (seen.state === 'connected') seen.wasConnected = true;
      const previous = connection.value;
      const situation = situationOf({
        ...seen,
        serverProblem: Boolean(seen.tokenProblem),
        previous: previous.situation,
      });
      // A situation that carries on while Ably tries again keeps its explanation.
      const detail = connectionDetail(situation, seen) ?? (situation === previous.situation ? previous.detail : null);
      connection.value = { state: seen.state, situation, detail };
    };
    realtime = createAblyClient({
      Ably,
      clientConfig,
      sessionId: forSession,
      secret: peer,
      onConnectionState: (change) => show(change),
      onTokenProblem: (problem) => show({ tokenProblem: problem }),
    });
    return realtime;
  }

  /** Connect now rather than at Ably's next attempt. */
  function connectNow() {
    realtime?.connection.connect();
  }

  /** The session was left: its client is no longer this page's, and the line says so. */
  function forget() {
    realtime = null;
    clientsMade += 1;
    connection.value = { state: 'closed', situation: 'left', detail: null };
  }

  return { connection, createRealtime, connectNow, forget };
}

/**
 * The line under a situation: what this site's server or Ably said, for whoever fixes it; null when there is
 * nothing new to say (Ably is trying again) or it would not help (a network error says no more than the situation).
 */
function connectionDetail(situation, { state: now, reason, tokenProblem }) {
  if (situation === 'server-problem' && tokenProblem) {
    return (
      DETAILS +
      (tokenProblem.retry
        ? retrySentence({ error: tokenProblem.error, ...tokenProblem.retry })
        : sentence(tokenProblem.error.message))
    );
  }
  const explained = ['server-problem', 'key-refused', 'token-refused', 'failed'].includes(situation);
  if (explained && reason && ['disconnected', 'suspended', 'failed'].includes(now)) {
    const owner = situation === 'key-refused' ? "Ably refuses the site's ABLY_API_KEY: " : '';
    return DETAILS + owner + describeError(rootCause(reason));
  }
  return null;
}
