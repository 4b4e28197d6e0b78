/**
 * @ably/spaces on the emulator: two ably-js clients, each with its own `Spaces`, share one space. Spaces is built
 * on channels and presence alone (members and locations in presence data, locks in presence `extras`, cursors as
 * messages and history on a second channel), so what a user of Spaces sees here is what the emulator does with them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import spacesPackage from '@ably/spaces';

import { FORMATS, startEmulator } from './support/emulator.mjs';
import { uniqueName } from './support/realtime.mjs';
import { waitFor, within } from './support/waiting.mjs';

// The package has no `exports` map, so Node loads its CommonJS build, which keeps the class under `default`.
const { default: Spaces } = spacesPackage;

/** How long a member who left stays listed (as not connected) before Spaces removes it; short, to keep tests fast. */
const OFFLINE_TIMEOUT_MS = 300;

let emulator;
before(async () => {
  emulator = await startEmulator();
});
after(async () => {
  await emulator?.stop();
});

/** Every event `emitter` (a Spaces members, locations, cursors or locks) emits as `event`, in arrival order. */
function record(emitter, event) {
  const events = [];
  emitter.subscribe(event, (value) => events.push(value));
  return events;
}

/** Wait until `events` holds one that `predicate` accepts, and return it. */
function seen(events, predicate, what) {
  return waitFor(() => events.find(predicate), { what });
}

for (const format of FORMATS) {
  describe(`Spaces between two clients (${format})`, () => {
    const spaceName = uniqueName(`spaces-${format}`);
    let alice;
    let bob;

    /** One person in the space: their client's Space, and what their listeners have recorded. */
    async function join(clientId) {
      const client = emulator.realtime({ format, clientId });
      const space = await within(new Spaces(client).get(spaceName, { offlineTimeout: OFFLINE_TIMEOUT_MS }), {
        what: `${clientId} getting the space`,
      });
      return {
        clientId,
        client,
        space,
        members: {
          enter: record(space.members, 'enter'),
          leave: record(space.members, 'leave'),
          remove: record(space.members, 'remove'),
        },
        locations: record(space.locations, 'update'),
        locks: record(space.locks, 'update'),
      };
    }

    before(async () => {
      alice = await join('alice');
      bob = await join('bob');
    });

    // Spaces answers a departure with work it does not await (it reads presence again, and removes the member after
    // offlineTimeout): closing the other client meanwhile would reject it unhandled. So alice closes first, and bob
    // only once his space has removed her.
    after(async () => {
      if (!alice || !bob) return;
      const bobSees = [];
      bob.space.subscribe('update', ({ members }) => bobSees.push(members));
      alice.client.close();
      await waitFor(() => bobSees.some((members) => members.length === 0), { what: 'bob to see alice removed' });
      bob.client.close();
      await within(bob.client.connection.whenState('closed'), { what: "bob's client to close" });
    });

    test('members enter with their profile data and each sees the other', async () => {
      await within(alice.space.enter({ name: 'Alice', colour: 'teal' }), { what: 'alice entering' });
      await within(bob.space.enter({ name: 'Bob', colour: 'amber' }), { what: 'bob entering' });

      const aliceSeen = await seen(bob.members.enter, (m) => m.clientId === 'alice', 'bob to see alice enter');
      await seen(alice.members.enter, (m) => m.clientId === 'bob', 'alice to see bob enter');
      assert.deepEqual(aliceSeen.profileData, { name: 'Alice', colour: 'teal' });
      assert.equal(aliceSeen.isConnected, true);

      const others = async (person) => (await person.space.members.getOthers()).map((m) => [m.clientId, m.profileData]);
      assert.deepEqual(await others(alice), [['bob', { name: 'Bob', colour: 'amber' }]]);
      assert.deepEqual(await others(bob), [['alice', { name: 'Alice', colour: 'teal' }]]);
      assert.equal((await bob.space.members.getSelf()).connectionId, bob.client.connection.id);
    });

    test('a location one member sets is seen by the other', async () => {
      await within(alice.space.locations.set({ slide: 3, element: 'title' }), { what: 'alice setting her location' });

      const update = await seen(bob.locations, (u) => u.member.clientId === 'alice', "bob to see alice's location");
      assert.deepEqual(update.currentLocation, { slide: 3, element: 'title' });
      assert.equal(update.previousLocation, null);
      assert.deepEqual(await bob.space.locations.getOthers(), {
        [alice.client.connection.id]: { slide: 3, element: 'title' },
      });
    });

    test('cursor positions one member sets reach the other in order, and the last is read back from history', async () => {
      const positions = record(bob.space.cursors, 'update');
      await within(bob.space.cursors.channel.whenState('attached'), { what: "bob's cursors channel to attach" });
      // Spaces drops cursor positions until the setter's cursors channel shows someone else present on it: the
      // first set() makes alice present there, then she waits, as a user's next mouse move would, for bob.
      await alice.space.cursors.set({ position: { x: 0, y: 0 } });
      const cursorsPresence = alice.space.cursors.channel.presence;
      await waitFor(async () => (await cursorsPresence.get()).length === 2, {
        what: "alice's cursors channel to show both members",
      });

      const moves = [
        { position: { x: 10, y: 20 }, data: { state: 'move' } },
        { position: { x: 30, y: 40 }, data: { state: 'move' } },
        { position: { x: 50, y: 60 }, data: { state: 'drag' } },
      ];
      for (const move of moves) await alice.space.cursors.set(move);

      await waitFor(() => positions.length >= moves.length, {
        what: `bob to receive ${moves.length} cursor positions`,
      });
      assert.deepEqual(
        positions.map(({ clientId, position, data }) => ({ clientId, position, data })),
        moves.map((move) => ({ clientId: 'alice', ...move })),
      );
      const fromHistory = await within(bob.space.cursors.getOthers(), { what: "bob reading alice's cursor" });
      assert.deepEqual(fromHistory[alice.client.connection.id].position, { x: 50, y: 60 });
    });

    test('a component lock is held by one member, refused to the other, released, then taken by the other', async () => {
      const lockId = 'slide-3-title';
      const lockEvent = (person, clientId, status) =>
        seen(
          person.locks,
          (lock) => lock.id === lockId && lock.member.clientId === clientId && lock.status === status,
          `${person.clientId} to see ${clientId}'s lock ${status}`,
        );

      const request = await within(alice.space.locks.acquire(lockId, { attributes: { component: 'title' } }), {
        what: 'alice acquiring the lock',
      });
      assert.equal(request.status, 'pending');
      await lockEvent(alice, 'alice', 'locked');
      const held = await lockEvent(bob, 'alice', 'locked');
      assert.deepEqual(held.attributes, { component: 'title' });

      await within(bob.space.locks.acquire(lockId), { what: 'bob asking for the held lock' });
      for (const person of [alice, bob]) {
        const refused = await lockEvent(person, 'bob', 'unlocked');
        assert.deepEqual([refused.reason?.code, refused.reason?.statusCode], [101003, 400]);
      }
      assert.equal((await bob.space.locks.get(lockId)).member.clientId, 'alice');

      await within(alice.space.locks.release(lockId), { what: 'alice releasing the lock' });
      await lockEvent(bob, 'alice', 'unlocked');
      assert.equal(await bob.space.locks.get(lockId), undefined);

      await within(bob.space.locks.acquire(lockId), { what: 'bob acquiring the free lock' });
      await lockEvent(alice, 'bob', 'locked');
      await lockEvent(bob, 'bob', 'locked');
      assert.equal((await alice.space.locks.get(lockId)).member.clientId, 'bob');
    });

    test('a member who leaves is shown as gone, then removed, and their lock and location go with them', async () => {
      await within(bob.space.locations.set({ slide: 4 }), { what: 'bob setting his location' });
      await seen(alice.locations, (u) => u.member.clientId === 'bob', "alice to see bob's location");
      await within(bob.space.leave({ name: 'Bob', colour: 'amber', away: true }), { what: 'bob leaving' });

      const left = await seen(alice.members.leave, (m) => m.clientId === 'bob', 'alice to see bob leave');
      assert.equal(left.isConnected, false);
      assert.deepEqual(left.profileData, { name: 'Bob', colour: 'amber', away: true });
      await seen(alice.members.remove, (m) => m.clientId === 'bob', 'alice to see bob removed');
      await seen(alice.locks, (l) => l.member.clientId === 'bob' && l.status === 'unlocked', "bob's lock released");
      const gone = await seen(
        alice.locations,
        (u) => u.member.clientId === 'bob' && u.currentLocation === null,
        "bob's location cleared",
      );
      assert.deepEqual(gone.previousLocation, { slide: 4 });
      assert.deepEqual(await alice.space.members.getOthers(), []);
      assert.equal(await alice.space.locks.get('slide-3-title'), undefined);
    });
  });
}
