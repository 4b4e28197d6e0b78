// The alert region's message, and how the page words what went wrong: a summary for the player, then "Details: "
// and what this site's server or Ably said, for whoever fixes it. The connection's line and the form's progress
// use the same wording (useConnection.js, useSession.js).
import { ref } from 'vue';

// Shown before what went wrong in the words of this site's server or Ably.
export const DETAILS = 'Details: ';

/** "… answered HTTP 500. Retrying in 2 s (attempt 3).": what failed, and what the page is doing about it. */
export function retrySentence({ error: cause, attempt, delayMs }) {
  const seconds = Math.max(1, Math.round(delayMs / 1000));
  return `${sentence(cause.message)} Retrying in ${seconds} s (attempt ${attempt + 1}).`;
}

/** A message as a sentence: with one full stop at the end. */
export function sentence(message) {
  return `${message.replace(/\.$/, '')}.`;
}

/** Ably errors carry a code worth quoting; other errors only a message. */
export function describeError(cause) {
  const message = cause?.message ?? String(cause);
  return cause?.code ? `${message} (Ably error ${cause.code})` : message;
}

/** What an alert can offer to do about it: reload the page (what fixes a failed download, see useWhatSessionsNeed). */
export const RELOAD = Object.freeze({ label: 'Reload the page', run: () => location.reload() });

/**
 * The alert region's content (`{summary, detail, action}` or null), and showError to fill it.
 * `action`: `{label, run}`, a button in the alert (e.g. RELOAD), or null.
 */
export function useAlert() {
  const error = ref(null);
  function showError(summary, cause, { action = null } = {}) {
    error.value = { summary, detail: cause ? DETAILS + describeError(cause) : null, action };
  }
  return { error, showError };
}
