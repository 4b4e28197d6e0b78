// Fetching the API's JSON with retries: a deployment's API can answer 5xx for a while (cold start, a bad
// setting being fixed), and the page should say so and keep trying instead of giving up or going blank.

/** An API answer that was not 2xx, with the API's own explanation when it gave one. */
export class HttpError extends Error {
  /**
   * @param {string} url
   * @param {number} status
   * @param {string} [apiMessage] `error.message` from the API's JSON error body
   */
  constructor(url, status, apiMessage) {
    super(`${url.split('?')[0]} answered HTTP ${status}${apiMessage ? `: ${apiMessage}` : ''}`);
    this.name = 'HttpError';
    this.status = status;
    // ably-js reads statusCode from an authCallback error: 403 fails the connection, others let it retry.
    this.statusCode = status;
  }
}

/**
 * How long to wait before retry number `attempt` (1 for the first retry): doubling from `baseMs` up to `maxMs`,
 * less up to 20% at random so that many pages that failed together do not all retry in the same instant.
 */
export function backoffDelay(attempt, { baseMs = 500, maxMs = 30_000, random = Math.random } = {}) {
  return Math.round(Math.min(maxMs, baseMs * 2 ** (attempt - 1)) * (1 - 0.2 * random()));
}

/** Worth trying again: the network, a timeout, or a server-side error. A 4xx means the request itself is wrong. */
export function isRetryable(error) {
  return !(error instanceof HttpError) || error.status >= 500 || error.status === 429;
}

/**
 * One GET. Every way it can fail is an error that says what happened in the API's words (its path, never the query,
 * which holds the page's secret): no answer in time, no answer at all, an HTTP error, or a 2xx answer that is not
 * the JSON object every API route returns (a proxy's or a half-deployed site's page, say), which is retried too.
 */
async function fetchJsonOnce(url, timeoutMs, fetch) {
  const path = url.split('?')[0];
  const signal = AbortSignal.timeout(timeoutMs);
  let response;
  try {
    response = await fetch(url, { headers: { Accept: 'application/json' }, cache: 'no-store', signal });
  } catch (error) {
    throw new Error(
      signal.aborted ? `${path} did not answer within ${timeoutMs / 1000} s` : `${path} could not be reached`,
      { cause: error },
    );
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new HttpError(url, response.status, body?.error?.message);
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new Error(`${path} answered HTTP ${response.status} with something other than the API's JSON`);
  }
  return body;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * GET `url` as JSON, retrying retryable failures with backoff.
 * @param {string} url
 * @param {object} [options]
 * @param {number} [options.maxAttempts] give up (rethrow the last error) after this many tries; default: never
 * @param {(retry: {attempt: number, delayMs: number, error: Error}) => void} [options.onRetry] told before each wait
 * @param {number} [options.baseMs] first delay; later ones double, up to `maxMs`
 * @param {number} [options.maxMs]
 * @param {number} [options.timeoutMs] how long one request may take
 * @param {typeof fetch} [options.fetch] the fetch to use (tests and Node peers pass their own)
 */
export async function fetchJsonWithRetry(
  url,
  {
    maxAttempts = Infinity,
    onRetry = () => {},
    baseMs = 500,
    maxMs = 30_000,
    timeoutMs = 8_000,
    fetch = globalThis.fetch,
  } = {},
) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await fetchJsonOnce(url, timeoutMs, fetch);
    } catch (error) {
      if (attempt >= maxAttempts || !isRetryable(error)) throw error;
      const delayMs = backoffDelay(attempt, { baseMs, maxMs });
      onRetry({ attempt, delayMs, error });
      await sleep(delayMs);
    }
  }
}
