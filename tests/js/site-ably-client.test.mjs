// site/ably-client.js: the Ably client the page and the benchmark's Node peers build alike: the API's options,
// tokens that name this page's secret, token failures reported as they are retried, the connection's state.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { createAblyClient, fetchClientConfig, loadAbly } from '../../site/ably-client.js';

/** A fetch that answers from `answers` in turn (`{status, body}`), recording the URLs asked for. */
function fakeFetch(answers) {
  const urls = [];
  const fetch = async (url) => {
    urls.push(url);
    const { status, body } = answers[Math.min(urls.length - 1, answers.length - 1)];
    return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
  };
  return { fetch, urls };
}

/** Stands in for ably-js: keeps the options, and lets the test move the connection between states. */
class FakeRealtime {
  constructor(options) {
    this.options = options;
    this.listeners = [];
    this.connection = { state: 'connecting', on: (listener) => this.listeners.push(listener) };
  }

  change(current, reason) {
    this.connection.state = current;
    for (const listener of this.listeners) listener({ current, reason });
  }

  /** What ably-js does to get a token: call the authCallback and wait for its answer. */
  token() {
    return new Promise((resolve) => {
      this.options.authCallback({}, (error, tokenRequest) => resolve({ error, tokenRequest }));
    });
  }
}
const FakeAbly = { Realtime: FakeRealtime };

test('the client options come from the API, and its shareOrigin is handed back apart', async () => {
  const { fetch, urls } = fakeFetch([
    { status: 200, body: { endpoint: '127.0.0.1', port: 4280, shareOrigin: 'http://192.168.1.2:4280' } },
  ]);
  const answer = await fetchClientConfig({ origin: 'http://localhost:4280', fetch });
  assert.deepEqual(answer, {
    clientConfig: { endpoint: '127.0.0.1', port: 4280 },
    shareOrigin: 'http://192.168.1.2:4280',
  });
  assert.deepEqual(urls, ['http://localhost:4280/api/clientConfig']);
});

test('tokens are asked for the session with the page secret, so every renewal names the same clientId', async () => {
  const { fetch, urls } = fakeFetch([{ status: 200, body: { keyName: 'k', nonce: 'n' } }]);
  const realtime = createAblyClient({
    Ably: FakeAbly,
    clientConfig: { endpoint: '127.0.0.1' },
    sessionId: 'game-1',
    secret: 'S3cret',
    origin: 'http://localhost:4280',
    fetch,
  });
  assert.equal(realtime.options.endpoint, '127.0.0.1');
  assert.deepEqual(await realtime.token(), { error: null, tokenRequest: { keyName: 'k', nonce: 'n' } });
  await realtime.token();
  assert.deepEqual(urls, [
    'http://localhost:4280/api/createTokenRequest?session=game-1&peer=S3cret',
    'http://localhost:4280/api/createTokenRequest?session=game-1&peer=S3cret',
  ]);
});

test('a failing token endpoint is reported while it is retried, and cleared once a token arrives', async () => {
  const { fetch } = fakeFetch([
    { status: 503, body: { error: { message: 'warming up' } } },
    { status: 200, body: { keyName: 'k' } },
  ]);
  const problems = [];
  const realtime = createAblyClient({
    Ably: FakeAbly,
    clientConfig: {},
    sessionId: 'game-1',
    fetch,
    onTokenProblem: (problem) => problems.push(problem),
  });
  const { tokenRequest } = await realtime.token();
  assert.deepEqual(tokenRequest, { keyName: 'k' });
  assert.equal(problems.length, 2);
  assert.match(problems[0].error.message, /503: warming up/);
  assert.equal(problems[0].retry.attempt, 1);
  assert.ok(problems[0].retry.delayMs > 0);
  assert.equal(problems[1], null);
});

test('a token endpoint that refuses (4xx) hands Ably the error at once, to fail or retry as Ably decides', async () => {
  const { fetch, urls } = fakeFetch([{ status: 403, body: { error: { message: 'bad session' } } }]);
  const problems = [];
  const realtime = createAblyClient({
    Ably: FakeAbly,
    clientConfig: {},
    sessionId: 'game-1',
    fetch,
    onTokenProblem: (problem) => problems.push(problem),
  });
  const { error } = await realtime.token();
  assert.equal(error.statusCode, 403);
  assert.equal(urls.length, 1);
  assert.deepEqual(problems, [{ error }]);
});

test('the connection state is told at once, then at every change, with Ably’s reason', () => {
  const changes = [];
  const realtime = createAblyClient({
    Ably: FakeAbly,
    clientConfig: {},
    sessionId: 'game-1',
    onConnectionState: (change) => changes.push(change),
  });
  const reason = { message: 'Connection timed out', code: 80003 };
  realtime.change('connected');
  realtime.change('disconnected', reason);
  assert.deepEqual(changes, [
    { state: 'connecting', reason: null, tokenFailedAt: null },
    { state: 'connected', reason: null, tokenFailedAt: null },
    { state: 'disconnected', reason, tokenFailedAt: null },
  ]);
});

test('when Ably gets no token (80019), the change says whether this site’s server or Ably failed', async () => {
  const { fetch } = fakeFetch([
    { status: 500, body: { error: { message: 'down' } } },
    { status: 200, body: { keyName: 'k' } },
  ]);
  const changes = [];
  const realtime = createAblyClient({
    Ably: FakeAbly,
    clientConfig: {},
    sessionId: 'game-1',
    fetch: async (url) => {
      const answer = await fetch(url);
      if (answer.status === 500) realtime.change('disconnected', { code: 80019 }); // ably-js gave up waiting
      return answer;
    },
    onConnectionState: ({ state, tokenFailedAt }) => changes.push([state, tokenFailedAt]),
  });
  await realtime.token();
  realtime.change('disconnected', { code: 80019, cause: { code: 40101 } }); // Ably refused the TokenRequest

  assert.deepEqual(changes, [
    ['connecting', null],
    ['disconnected', 'server'],
    ['disconnected', 'ably'],
  ]);
});

test('ably-js loads once, however many clients are made', async () => {
  const [first, second] = await Promise.all([loadAbly(), loadAbly()]);
  assert.equal(first, second);
  assert.equal(typeof first.Realtime, 'function');
});
