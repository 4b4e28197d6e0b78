// The name this device used last time, so a returning player need not type it again.

const NAME_STORAGE_KEY = 'p2p-demo.friendlyName';

/** The name this device used last time, or null (first visit, or storage blocked by the browser). */
export function rememberedFriendlyName() {
  try {
    return localStorage.getItem(NAME_STORAGE_KEY);
  } catch {
    return null;
  }
}

export function rememberFriendlyName(name) {
  try {
    localStorage.setItem(NAME_STORAGE_KEY, name);
  } catch {
    // Storage blocked (private mode, a policy): the name simply is not remembered.
  }
}
