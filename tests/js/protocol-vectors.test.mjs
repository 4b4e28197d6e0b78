// The protocol's test vectors (tests/protocol/vectors/*.json, described in docs/protocol.md) against the site's
// modules. The Python peer's and the API's tests read the same files (tests/protocol/test_vectors.py,
// tests/protocol/test_session_vectors.py), so all agree.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { refusesKey } from '../../site/connection-status.js';
import { chatText, receiveChat } from '../../site/p2p.chat.js';
import { normalizeFriendlyName, PubSubClient } from '../../site/p2p.js';
import { keepWhatPeersSend } from '../../site/p2p.inbound.js';
import { currentPhrase, P2PServer } from '../../site/p2p.lib.server.js';
import { electHost, Roster, rosterFromPresence } from '../../site/p2p.roster.js';
import { P2PSession } from '../../site/p2p.session.js';
import {
  channelNameFor,
  GENERATED_ID_ALPHABET,
  inboxChannelFor,
  isValidSessionId,
  newPeerSecret,
  randomSessionId,
  SESSION_ID_PATTERN,
  sessionIdProblem,
} from '../../site/session-id.js';

const vectors = (name) => JSON.parse(readFileSync(new URL(`../protocol/vectors/${name}.json`, import.meta.url)));

/** A PubSubClient stand-in that records what is sent. */
function recordingAbly(clientId = 'me') {
  const sent = [];
  return {
    sent,
    metadata: { clientId, friendlyName: 'Me' },
    async sendMessage(message, targetClientId) {
      sent.push({ message, targetClientId: targetClientId ?? null });
    },
  };
}

for (const { name, input, output } of vectors('names').cases) {
  test(`names: ${name}`, () => {
    assert.equal(normalizeFriendlyName(input), output);
  });
}

const roster = vectors('roster');
for (const { name, members, players, host } of roster.sets) {
  test(`roster: ${name}`, () => {
    assert.deepEqual(rosterFromPresence(members), players);
    assert.equal(electHost(members), host);
    const kept = new Roster();
    kept.replace(members);
    assert.deepEqual(kept.players(), players);
    assert.equal(kept.host(), host);
  });
}
for (const { name, members, events, players, host } of roster.sequences) {
  test(`roster events: ${name}`, () => {
    const kept = new Roster();
    kept.replace(members);
    for (const event of events) kept.apply(event);
    assert.deepEqual(kept.players(), players);
    assert.equal(kept.host(), host);
  });
}

for (const { name, ably, via, message } of vectors('receive').cases) {
  test(`receive: ${name}`, () => {
    const received = [];
    const client = new PubSubClient({ createRealtime: () => null });
    client.on('message', (handed) => received.push(handed));
    client.receiving = true;
    client.receive(ably, via);
    assert.deepEqual(received, message === null ? [] : [message]);
  });
}

for (const { name, entry, kept } of vectors('inbound').cases) {
  test(`inbound: ${name}`, () => {
    assert.deepEqual(keepWhatPeersSend(JSON.parse(JSON.stringify(entry))), kept);
  });
}

/** A session that is not connected: received messages are handed to it directly, as its PubSubClient would. */
const unconnectedSession = () => new P2PSession({ sessionId: 'session', createRealtime: () => null });

const client = vectors('client');
for (const { name, messages, state } of client.sequences) {
  test(`client: ${name}`, async () => {
    const peer = unconnectedSession();
    Object.assign(peer.state, { hostClientId: client.host, status: 'awaiting-acknowledgement' });
    for (const message of messages) await peer.receive(message);
    const { status, wordBase, words, receivedWords } = peer.state;
    assert.deepEqual({ status, wordBase, words, pending: peer.client.mirrors.words.pendingWords.size }, state);
    assert.equal(receivedWords, words.join(' '));
  });
}

const chat = vectors('chat');
for (const { name, input, output } of chat.texts) {
  test(`chat text: ${name}`, () => {
    assert.equal(chatText(input), output);
  });
}
for (const { name, messages, chat: lines } of chat.sequences) {
  test(`chat: ${name}`, () => {
    const peer = { state: { players: chat.players } };
    for (const { at, message } of messages) receiveChat(peer, message, at);
    assert.deepEqual(
      (peer.state.chat ?? []).map(({ from, name: shownName, text }) => ({ from, name: shownName, text })),
      lines,
    );
  });
}

const server = vectors('server');
for (const { name, base, words, snapshot } of server.phrases) {
  test(`snapshot: ${name}`, () => {
    assert.deepEqual(currentPhrase(base, words), snapshot);
    assert.deepEqual(new P2PServer(recordingAbly(), { base, words }).snapshot(), snapshot);
  });
}
for (const { name, base, words, sent } of server.streams) {
  test(`stream: ${name}`, async () => {
    const ably = recordingAbly();
    await new P2PServer(ably, { base, words, sleep: async () => {} }).sendWordsAcrossMultipleMessages();
    assert.deepEqual(
      ably.sent.map(({ message, targetClientId }) => {
        assert.equal(targetClientId, null);
        assert.equal(message.kind, 'word');
        return [message.index, message.word];
      }),
      sent,
    );
  });
}
for (const { name, message, answered } of server.connected) {
  test(`host: ${name}`, async () => {
    const ably = recordingAbly();
    const host = unconnectedSession();
    host.server = new P2PServer(ably, { now: () => 0 });
    await host.receive(message);
    const expected = answered
      ? [{ message: { kind: 'connection-acknowledged', base: 0, words: [] }, targetClientId: message.from }]
      : [];
    assert.deepEqual(ably.sent, expected);
  });
}

for (const { name, code, keyRefused } of vectors('key_refused').cases) {
  test(`key refused: ${name}`, () => {
    assert.equal(refusesKey(code), keyRefused);
  });
}

const sessions = vectors('sessions');
test('session ids: the site holds the rule as written in the vectors', () => {
  assert.equal(SESSION_ID_PATTERN.source, sessions.pattern);
});
for (const { name, id } of sessions.valid) {
  test(`valid session id: ${name}`, () => {
    assert.equal(isValidSessionId(id), true);
    assert.equal(sessionIdProblem(id), null);
  });
}
for (const { name, id } of sessions.invalid) {
  test(`invalid session id: ${name}`, () => {
    assert.equal(isValidSessionId(id), false);
    assert.notEqual(sessionIdProblem(id), null);
    assert.throws(() => channelNameFor(id), /Invalid session id/);
  });
}
test('generated session ids: groups of the alphabet, without look-alikes', () => {
  const { alphabet, lookAlikes, symbols, groupLength } = sessions.generated;
  assert.equal(GENERATED_ID_ALPHABET, alphabet);
  for (const lookAlike of lookAlikes) assert.ok(!alphabet.includes(lookAlike), lookAlike);
  const group = `[${alphabet}]{${groupLength}}`;
  const shape = new RegExp(
    `^${Array(symbols / groupLength)
      .fill(group)
      .join('-')}$`,
  );
  for (let made = 0; made < 200; made += 1) {
    const id = randomSessionId();
    assert.match(id, shape);
    assert.match(id, new RegExp(sessions.pattern));
  }
});
test('peer secrets: what the token endpoint takes', () => {
  const { pattern, alphabet, length } = sessions.peerSecret;
  for (let made = 0; made < 100; made += 1) {
    const secret = newPeerSecret();
    assert.equal(secret.length, length);
    assert.ok(
      [...secret].every((symbol) => alphabet.includes(symbol)),
      secret,
    );
    assert.match(secret, new RegExp(pattern));
  }
});
for (const { name, sessionId, clientId, channel, inbox } of sessions.channels) {
  test(`channels: ${name}`, () => {
    assert.equal(channelNameFor(sessionId), channel);
    assert.equal(inboxChannelFor(sessionId, clientId), inbox);
  });
}
for (const { name, sessionId, clientId, capability } of sessions.capabilities) {
  test(`capability: the token's channels are the ones the site uses (${name})`, () => {
    const used = [channelNameFor(sessionId), inboxChannelFor(sessionId, '*'), inboxChannelFor(sessionId, clientId)];
    assert.deepEqual(Object.keys(capability).sort(), used.sort());
  });
}
