// Code that loads on demand (a dynamic import): later calls share the one download, and after a failed download
// the next call tries again, so a visitor whose network came back is not stuck with the failure.

/**
 * @template T
 * @param {() => Promise<T>} load e.g. `() => import('ably').then((module) => module.default)`
 * @returns {() => Promise<T>}
 */
export function loadOnce(load) {
  let loading = null;
  return () =>
    (loading ??= load().catch((error) => {
      loading = null;
      throw error;
    }));
}
