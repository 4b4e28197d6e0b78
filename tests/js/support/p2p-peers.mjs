// Build peers the way site/index.js does (one P2PSession each), with the Ably client a test gives them, and the
// capability the app's token endpoint grants, taken from api/token_policy.py.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { P2PSession } from '../../../site/p2p.session.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const PYTHON = path.join(REPO_ROOT, '.venv', 'bin', 'python');

/**
 * A peer of `sessionId`, not yet connected: call `await peer.start()`. `peer.errors` collects the session's
 * `error` events and `peer.hostChanges` its `host-changed` events, so tests can assert there were none.
 * @param {(sessionId: string) => object} createRealtime returns the Ably client this peer uses
 * `connectedIntervalMs` is 0 unless given: each `connected` is answered at once, as the tests of other behaviour
 * expect (the coalescing has its own tests).
 * @param {{sessionId: string, name?: string, wordIntervalMs?: number, connectedIntervalMs?: number,
 *   sleep?: (ms: number) => Promise<void>}} options
 */
export function createPeer(createRealtime, { sessionId, name, wordIntervalMs = 0, connectedIntervalMs = 0, sleep }) {
  const peer = new P2PSession({
    sessionId,
    friendlyName: name,
    createRealtime,
    wordIntervalMs,
    connectedIntervalMs,
    sleep,
  });
  peer.errors = [];
  peer.hostChanges = [];
  peer.resyncs = [];
  peer.on('error', (detail) => peer.errors.push(detail));
  peer.on('host-changed', (detail) => peer.hostChanges.push(detail));
  peer.on('resynced', (detail) => peer.resyncs.push(detail));
  peer.rosterNames = () => peer.state.players.map((player) => player.friendlyName);
  peer.clientId = () => peer.state.myClientId;
  return peer;
}

const SESSION_PLACEHOLDER = 'SESSION-ID-PLACEHOLDER';
const CLIENT_PLACEHOLDER = 'CLIENT-ID-PLACEHOLDER';
let template = null;

/**
 * The capability /api/createTokenRequest grants `clientId` in `sessionId`, computed by api/token_policy.py
 * itself (once per process, with the session and clientId filled in here), so these tests exercise the real policy.
 */
export function appCapability(sessionId, clientId) {
  if (!template) {
    const script =
      'import json, sys; from api.token_policy import capability; print(json.dumps(capability(sys.argv[1], sys.argv[2])))';
    const output = execFileSync(PYTHON, ['-c', script, SESSION_PLACEHOLDER, CLIENT_PLACEHOLDER], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 20_000,
    });
    template = JSON.parse(output);
  }
  return Object.fromEntries(
    Object.entries(template).map(([resource, operations]) => [
      resource.replaceAll(SESSION_PLACEHOLDER, sessionId).replaceAll(CLIENT_PLACEHOLDER, clientId),
      operations,
    ]),
  );
}
