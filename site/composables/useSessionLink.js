// The session name the page shows: from a /s/<id> link it was opened with, typed in the form, in the address bar
// once a session starts, and in the invite link (session-id.js has the rule for ids and links).
import { computed, ref } from 'vue';
import { sessionIdFromPath, sessionIdProblem, sessionPath } from '../session-id.js';

export function useSessionLink() {
  const linkedSession = sessionIdFromPath(location.pathname);
  // The page was opened from an invite link: Join comes first.
  const invited = linkedSession !== null;
  const sessionId = ref(linkedSession ?? '');
  const sessionProblem = ref(invited ? sessionIdProblem(linkedSession) : null);
  // The invite link names no session it could join (until the player starts one).
  const brokenLink = ref(invited && sessionProblem.value !== null);
  // Where friends open the invite link when this page's origin is one only this machine can open (localhost).
  const shareOrigin = ref(null);
  const shareLink = computed(() => new URL(sessionPath(sessionId.value), shareOrigin.value ?? location.origin).href);

  /** Whether a typed session id is one to start: the problem with it shows next to its field, or clears. */
  function checkSessionId(id) {
    sessionProblem.value = sessionIdProblem(id);
    return !sessionProblem.value;
  }

  /** The session started: its name in the form and its link in the address bar. */
  function showSession(id) {
    sessionId.value = id;
    if (location.pathname !== sessionPath(id)) history.pushState(null, '', sessionPath(id));
  }

  return { invited, sessionId, sessionProblem, brokenLink, shareOrigin, shareLink, checkSessionId, showSession };
}
