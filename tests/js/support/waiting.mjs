/**
 * Bounded waits for the emulator tests: every wait names what it waits for and fails with that name
 * when its time is up, so a hung test reports which condition never came true instead of timing out mute.
 */

/**
 * Resolve once `predicate()` returns a truthy value (that value is returned), checking every `intervalMs`.
 * @param {() => any | Promise<any>} predicate
 * @param {{what: string, timeoutMs?: number, intervalMs?: number}} options
 */
export async function waitFor(predicate, { what, timeoutMs = 10_000, intervalMs = 10 }) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Resolve with the first `event` an ably-js EventEmitter (connection, channel) emits, within `timeoutMs`.
 * @param {{once: Function, off: Function}} emitter
 * @param {string | string[]} event
 */
export function nextEvent(emitter, event, { what = String(event), timeoutMs = 10_000 } = {}) {
  return new Promise((resolve, reject) => {
    const listener = (change) => {
      clearTimeout(timer);
      resolve(change);
    };
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    emitter.once(event, listener);
  });
}

/**
 * Settle `promise` within `timeoutMs`, or reject naming `what`.
 * @template T
 * @param {Promise<T>} promise
 * @returns {Promise<T>}
 */
export function within(promise, { what, timeoutMs = 10_000 }) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
