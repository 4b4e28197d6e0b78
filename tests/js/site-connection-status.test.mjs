// site/connection-status.js: which one situation the page shows, from what Ably and this site's server said.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { rootCause, SITUATIONS, situationOf } from '../../site/connection-status.js';

/** ably-js's 80019, wrapping what failed. */
const noToken = (cause) => ({
  code: 80019,
  statusCode: 401,
  message: 'Client configured authentication provider request failed',
  cause,
});
/** What ably-js makes of a token request Ably never received (its XHR failed): code 40170, like a failed callback. */
const NETWORK = { code: 40170, statusCode: 401, message: 'XHR error occurred (event type: error)' };

test('every situation has words, a tone and (only where pressing it can help) Retry now', () => {
  for (const [name, row] of Object.entries(SITUATIONS)) {
    assert.ok(row.label && /[.…]$/.test(row.sentence), name);
    assert.ok(['good', 'waiting', 'bad'].includes(row.tone), name);
  }
  const retrying = Object.keys(SITUATIONS).filter((name) => SITUATIONS[name].retry);
  assert.deepEqual(retrying, ['unreachable', 'offline', 'failed']);
});

test('a token request Ably never received, before any connection, is "cannot reach Ably", never "connection lost"', () => {
  for (const state of ['disconnected', 'suspended']) {
    assert.equal(situationOf({ state, reason: noToken(NETWORK), tokenFailedAt: 'ably' }), 'unreachable');
  }
  const webSocketFailed = { code: 80003, message: 'Unable to connect (network unreachable)' };
  assert.equal(situationOf({ state: 'disconnected', reason: webSocketFailed }), 'unreachable');
});

test('Ably refusing the key (wrong secret, unknown, revoked, expired) is "not accepted", whether it retries or fails', () => {
  for (const code of [40101, 40130, 40131, 40132, 40400]) {
    const reason = noToken({ code, statusCode: 401, message: 'refused' });
    assert.equal(situationOf({ state: 'disconnected', reason, tokenFailedAt: 'ably' }), 'key-refused', `${code}`);
    assert.equal(situationOf({ state: 'failed', reason, tokenFailedAt: 'ably', wasConnected: true }), 'key-refused');
  }
});

test('Ably refusing the token request for another reason (the clock, a capability) is "refused", with its words', () => {
  for (const code of [40104, 40160]) {
    const reason = noToken({ code, statusCode: 401, message: 'refused' });
    assert.equal(situationOf({ state: 'disconnected', reason, tokenFailedAt: 'ably' }), 'token-refused', `${code}`);
  }
});

test('this site’s server failing to give a token is its own situation, not Ably’s, even with the same codes', () => {
  assert.equal(situationOf({ state: 'connecting', serverProblem: true }), 'server-problem');
  const late = noToken({ code: 40170, message: 'Token request via authCallback/authUrl did not complete' });
  assert.equal(situationOf({ state: 'disconnected', reason: late, tokenFailedAt: 'server' }), 'server-problem');
  assert.equal(
    situationOf({ state: 'disconnected', reason: noToken(NETWORK), tokenFailedAt: 'server' }),
    'server-problem',
  );
});

test('a problem stays while Ably tries again, until the connection is back', () => {
  for (const previous of ['unreachable', 'key-refused', 'token-refused', 'reconnecting', 'offline']) {
    assert.equal(situationOf({ state: 'connecting', previous }), previous);
    assert.equal(situationOf({ state: 'connected', previous }), 'connected');
  }
  assert.equal(situationOf({ state: 'connecting', previous: 'server-problem' }), 'connecting');
});

test('a connection that was up and drops is "connection lost", then "offline" once Ably suspends it', () => {
  const dropped = { code: 80003, message: 'Connection to server unavailable' };
  assert.equal(situationOf({ state: 'disconnected', reason: dropped, wasConnected: true }), 'reconnecting');
  assert.equal(situationOf({ state: 'suspended', reason: dropped, wasConnected: true }), 'offline');
});

test('closing a connection that failed keeps the failure on the page; otherwise the player left', () => {
  assert.equal(situationOf({ state: 'closed', previous: 'failed' }), 'failed');
  assert.equal(situationOf({ state: 'closing', previous: 'key-refused' }), 'key-refused');
  assert.equal(situationOf({ state: 'closed', previous: 'connected' }), 'left');
  assert.equal(situationOf({ state: 'failed', reason: { code: 40102, message: 'clientId mismatch' } }), 'failed');
});

test('the root cause of 80019 is what it wraps; other reasons are their own', () => {
  const cause = { code: 40131, message: 'Key/token status changed (revoke)' };
  assert.equal(rootCause(noToken(cause)), cause);
  assert.equal(rootCause({ code: 80003 }).code, 80003);
  assert.equal(rootCause(null), null);
});
