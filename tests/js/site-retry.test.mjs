// site/retry.js: the API's JSON fetched with backoff, so a page explains a failing API and keeps trying.
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';

import { backoffDelay, fetchJsonWithRetry, HttpError, isRetryable } from '../../site/retry.js';

const realFetch = globalThis.fetch;
afterEach(() => {
  globalThis.fetch = realFetch;
});

/** Replace fetch with one that answers from `answers` in turn: `{status, body}` or an Error to throw. */
function fakeFetch(answers) {
  const calls = [];
  globalThis.fetch = async (url, init) => {
    calls.push({ url, init });
    const answer = answers[Math.min(calls.length - 1, answers.length - 1)];
    if (answer instanceof Error) throw answer;
    return new Response(JSON.stringify(answer.body), {
      status: answer.status,
      headers: { 'Content-Type': 'application/json' },
    });
  };
  return calls;
}

const API_DOWN = { status: 500, body: { error: { code: 'setting_missing', message: 'ABLY_API_KEY is not set' } } };

test('backoff doubles from the base delay up to the cap, less at most a fifth at random', () => {
  const none = () => 0;
  const most = () => 1;
  assert.deepEqual(
    [1, 2, 3, 4].map((attempt) => backoffDelay(attempt, { baseMs: 500, random: none })),
    [500, 1000, 2000, 4000],
  );
  assert.equal(backoffDelay(20, { baseMs: 500, maxMs: 30_000, random: none }), 30_000);
  assert.equal(backoffDelay(1, { baseMs: 500, random: most }), 400);
});

test('network failures, 5xx and 429 are retried; other 4xx answers are not', () => {
  assert.equal(isRetryable(new TypeError('Failed to fetch')), true);
  assert.equal(isRetryable(new HttpError('/api/x', 503)), true);
  assert.equal(isRetryable(new HttpError('/api/x', 429)), true);
  assert.equal(isRetryable(new HttpError('/api/x', 400)), false);
  assert.equal(isRetryable(new HttpError('/api/x', 403)), false);
});

test('an HTTP error names the path (not the query) and quotes the API message, and carries statusCode for ably-js', () => {
  const error = new HttpError('/api/createTokenRequest?session=abc&peer=secret', 500, 'ABLY_API_KEY is not set');
  assert.equal(error.message, '/api/createTokenRequest answered HTTP 500: ABLY_API_KEY is not set');
  assert.equal(error.statusCode, 500);
});

test('failures are retried, each announced with its delay, until the API answers', async () => {
  const calls = fakeFetch([API_DOWN, new TypeError('Failed to fetch'), { status: 200, body: { ok: true } }]);
  const retries = [];

  const body = await fetchJsonWithRetry('/api/clientConfig', { baseMs: 1, onRetry: (retry) => retries.push(retry) });

  assert.deepEqual(body, { ok: true });
  assert.equal(calls.length, 3);
  assert.deepEqual(
    retries.map((retry) => retry.attempt),
    [1, 2],
  );
  assert.match(retries[0].error.message, /HTTP 500: ABLY_API_KEY is not set/);
  assert.equal(retries[1].error.message, '/api/clientConfig could not be reached');
  assert.equal(retries[1].error.cause.message, 'Failed to fetch');
  assert.equal(calls[0].init.cache, 'no-store');
});

test('after maxAttempts the last error is thrown', async () => {
  const calls = fakeFetch([API_DOWN]);
  await assert.rejects(fetchJsonWithRetry('/api/createTokenRequest', { baseMs: 1, maxAttempts: 3 }), { status: 500 });
  assert.equal(calls.length, 3);
});

test('a 400 is thrown at once without a retry', async () => {
  const calls = fakeFetch([{ status: 400, body: { error: { code: 'session_invalid', message: 'bad session' } } }]);
  const retries = [];
  await assert.rejects(fetchJsonWithRetry('/api/createTokenRequest', { onRetry: (r) => retries.push(r) }), {
    status: 400,
  });
  assert.equal(calls.length, 1);
  assert.deepEqual(retries, []);
});

test('a 2xx answer that is not a JSON object (a proxy page, a half-deployed site) is an error, and retried', async () => {
  const calls = [];
  const answers = ['<html>Starting…</html>', 'null', '[1, 2]', '{"keyName": "k"}'];
  globalThis.fetch = async (url) => {
    calls.push(url);
    return new Response(answers[calls.length - 1], { status: 200 });
  };
  const retries = [];

  const body = await fetchJsonWithRetry('/api/createTokenRequest?session=s&peer=secret', {
    baseMs: 1,
    onRetry: (retry) => retries.push(retry.error.message),
  });

  assert.deepEqual(body, { keyName: 'k' });
  assert.deepEqual(
    retries,
    Array(3).fill("/api/createTokenRequest answered HTTP 200 with something other than the API's JSON"),
  );
});

test('a request that gets no answer is given up after timeoutMs, says so, and is retried', async () => {
  let calls = 0;
  globalThis.fetch = (url, { signal }) => {
    calls += 1;
    if (calls > 1) return Promise.resolve(new Response('{"ok": true}', { status: 200 }));
    return new Promise((resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
  };
  const retries = [];
  const keepAlive = setTimeout(() => {}, 5_000); // Node does not wait for AbortSignal.timeout's timer

  const body = await fetchJsonWithRetry('/api/clientConfig', {
    baseMs: 1,
    timeoutMs: 50,
    onRetry: (retry) => retries.push(retry.error.message),
  }).finally(() => clearTimeout(keepAlive));

  assert.deepEqual(body, { ok: true });
  assert.deepEqual(retries, ['/api/clientConfig did not answer within 0.05 s']);
});
