// A big session survives its host leaving, on the emulator at Ably's default rate limits (50 publishes a second per
// channel, so the new host's inbox takes 50 announces a second): every peer ends acknowledged by the new host,
// because a big roster spreads its re-announces (site/announce-pacing.js) and any that Ably refuses is asked again.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { isRateLimited } from '../../site/announce-pacing.js';
import { startEmulator } from './support/emulator.mjs';
import { sessionOn } from './support/emulator-session.mjs';
import { waitFor, within } from './support/waiting.mjs';

const PLAYERS = 90;
/** Peers connected a second: under Ably's 42 new connections a second, which would refuse the rest (80021). */
const CONNECTIONS_A_SECOND = 20;

/** Wait until a second after `since`: the join's pace, not a synchronisation. */
const nextSecond = (since) => new Promise((resolve) => setTimeout(resolve, Math.max(0, since + 1000 - Date.now())));

/** Record in `refused` each `connected` of `peer` that Ably refuses for a rate (its code), as it happens. */
function countRefusedAnnounces(peer, refused) {
  const send = peer.ably.sendMessage.bind(peer.ably);
  peer.ably.sendMessage = async (message, to) => {
    try {
      return await send(message, to);
    } catch (error) {
      if (message.kind === 'connected' && isRateLimited(error)) refused.push(error.code);
      throw error;
    }
  };
}

describe("a big session at Ably's rate limits", () => {
  let emulator;
  before(async () => {
    emulator = await startEmulator();
  });
  after(async () => {
    await emulator?.stop();
  });

  test(`a session of ${PLAYERS} whose host leaves ends with every peer acknowledged by the new host`, async (t) => {
    const session = sessionOn(emulator, t);
    // ably-js would log each refused publish.
    const host = await session.join('Host', { ably: { logLevel: 0 } });
    const others = [];
    const refused = [];
    while (others.length < PLAYERS - 1) {
      const second = Date.now();
      const count = Math.min(CONNECTIONS_A_SECOND, PLAYERS - 1 - others.length);
      const batch = Array.from({ length: count }, (_, i) =>
        session.peer(`P${others.length + i}`, { ably: { logLevel: 0 } }),
      );
      for (const peer of batch) countRefusedAnnounces(peer, refused);
      await within(Promise.all(batch.map((peer) => peer.start())), {
        what: `${count} peers to start`,
        timeoutMs: 20_000,
      });
      others.push(...batch);
      await nextSecond(second);
    }
    await waitFor(
      () => others.every((peer) => peer.state.status === 'acknowledged' && peer.state.players.length === PLAYERS),
      { what: `every peer to be acknowledged and list ${PLAYERS} players`, timeoutMs: 30_000 },
    );
    await emulator.resetStats();
    refused.length = 0;

    const left = Date.now();
    host.close();
    const newHost = await waitFor(
      () => others[0].state.hostClientId !== host.clientId() && others[0].state.hostClientId,
      {
        what: 'a new host to be elected',
      },
    );
    await waitFor(
      () => others.every((peer) => peer.state.hostClientId === newHost && peer.state.status === 'acknowledged'),
      {
        what: `every peer to be acknowledged by the new host (${others.filter((peer) => peer.state.status !== 'acknowledged').length} waiting)`,
        timeoutMs: 60_000,
      },
    );
    const tookMs = Date.now() - left;
    const { refusals } = await emulator.stats();
    t.diagnostic(
      `${PLAYERS - 1} peers acknowledged by the new host ${tookMs} ms after the host left; refusals ${JSON.stringify(refusals)}, announces refused and asked again: ${refused.length}`,
    );

    const refusedByAbly = Object.values(refusals).reduce((sum, count) => sum + count, 0);
    assert.ok(
      Object.keys(refusals).every((code) => code === '42913' || code === '42911'),
      `only publish rates refused: ${JSON.stringify(refusals)}`,
    );
    assert.ok(
      refusedByAbly <= refused.length,
      `Ably refused ${refusedByAbly}, all announces asked again (${refused.length})`,
    );
    assert.deepEqual(
      others.flatMap((peer) => peer.errors.map(({ summary }) => summary)),
      [],
      'no peer reports an error',
    );
  });
});
