// What hosting or joining needs, loaded when the visitor hosts or joins: the Ably client options from this site's
// server, and ably-js, the QR code library and the session code (P2PSession and the P2P classes). The form needs none
// of that code, so it is imported dynamically, each in its own file, and the first load stays small; all three start
// downloading as soon as the visitor shows intent (warmUp), so they are usually there by the click.
import { ref } from 'vue';
import { fetchClientConfig, loadAbly } from '../ably-client.js';
import { loadOnce } from '../load-once.js';
import { loadQrCode } from '../share.js';
import { DETAILS, RELOAD, retrySentence } from './useAlert.js';

// How long Host or Join waits for this site's server before saying it is waiting (a cold start takes seconds).
const SLOW_SERVER_MS = 2_000;

/** P2PSession and the stream's phrase length, loaded when the visitor hosts or joins (or warmed up earlier). */
const loadP2PSession = loadOnce(() =>
  Promise.all([import('../p2p.session.js'), import('../p2p.lib.server.js')]).then(([session, server]) => ({
    P2PSession: session.P2PSession,
    phraseLength: server.PHRASE_WORDS.length,
  })),
);

/** @param {{showError: (summary: string, cause?: unknown) => void}} alert where a failure for good is said */
export function useWhatSessionsNeed({ showError }) {
  // While Host or Join loads: `{situation, detail}` when this site's server is slow or failing, else null.
  const startProgress = ref(null);
  let warmedUp = false;

  /**
   * Start downloading what hosting or joining needs, once: called when the visitor first touches the form, or
   * right away on a session link. Not awaited, and a failure stays silent: loadWhatSessionsNeed loads again and
   * says why.
   */
  function warmUp() {
    if (warmedUp) return;
    warmedUp = true;
    for (const load of [loadAbly, loadQrCode, loadP2PSession]) load().catch(() => {});
  }

  /**
   * Everything, loaded together. Keeps trying the API with backoff until it answers, saying under the buttons that
   * it waits (after SLOW_SERVER_MS) and why it retries. Null (the alert says why) when something failed for good.
   */
  async function loadWhatSessionsNeed() {
    const slow = setTimeout(() => {
      startProgress.value ??= { situation: 'server-slow', detail: null };
    }, SLOW_SERVER_MS);
    const [config, code] = await Promise.allSettled([
      fetchClientConfig({
        onRetry: (retry) => {
          startProgress.value = { situation: 'server-problem', detail: DETAILS + retrySentence(retry) };
        },
      }),
      Promise.all([loadAbly(), loadQrCode(), loadP2PSession()]),
    ]).finally(() => {
      clearTimeout(slow);
      startProgress.value = null;
    });
    if (config.status === 'rejected') {
      showError(
        "This site's server refused to give the connection settings, so you cannot join. Please tell the site's owner.",
        config.reason,
      );
      return null;
    }
    // Chromium keeps a failed dynamic import's failure until the page reloads (importing the same file again fails
    // at once), so trying again cannot help there: the alert offers the reload. An invite link keeps its session in
    // the address, and the name typed is remembered.
    if (code.status === 'rejected') {
      showError('Could not load the rest of the page. Check your network, then reload the page.', code.reason, {
        action: RELOAD,
      });
      return null;
    }
    const [Ably, , { P2PSession, phraseLength }] = code.value;
    const { clientConfig, shareOrigin } = config.value;
    return { Ably, P2PSession, phraseLength, clientConfig, shareOrigin };
  }

  return { startProgress, warmUp, loadWhatSessionsNeed };
}
