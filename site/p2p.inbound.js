// What a session's channels hand to ably-js, cut down to what peers send before ably-js acts on it.
//
// Any player holding a token for the session can publish a message, or enter presence, with any field, and Ably is
// not documented to refuse odd ones, so each peer must assume they arrive as published. ably-js acts on some of
// them before the app sees anything: a message with `encoding: 'vcdiff'` fails the channel (40019, no vcdiff
// plugin: the peer stops receiving, and so does everyone joining within the rewind window), one with
// `extras.delta` makes it re-attach (40018), and other encodings leave undecoded data behind. Peers send one
// thing only: a JSON object as data, which the SDKs publish as a string with `encoding: 'json'`. So before ably-js
// decodes a message or presence entry, each is cut down to that and to the fields Ably stamps (docs/protocol.md,
// "What a peer receives"; the Python peer does the same in p2p/inbound.py, and tests/protocol/vectors/inbound.json
// holds both to one rule):
//   * `data` stays only as the object a `json` string holds; anything else loses `data` and `encoding`, so the
//     handlers ignore the message and the roster shows the member as Anonymous;
//   * `id`, `clientId`, `connectionId`, `name` and `serial` stay only if strings, `timestamp` only if a time both
//     SDKs can hold, `action` only if a non-negative integer; a missing id, connectionId or timestamp is then
//     filled from the protocol message, as the SDKs do;
//   * everything else (`extras`, `version`, ...) goes: peers send none of it.
//
// guardChannel() installs this in front of RealtimeChannel.processMessage, an ably-js internal (the one method the
// connection hands every channel message to); tests/js/p2p-inbound.test.mjs fails if ably-js stops calling it.

/** 9999-12-31T23:59:59.999Z: ably-python turns presence timestamps into datetimes, which end there. */
export const MAX_TIMESTAMP = 253_402_300_799_999;

const isString = (value) => typeof value === 'string';

/** The fields an entry keeps when their value passes the test (`data` and `encoding`: see payloadOf). */
const KEPT_FIELDS = {
  id: isString,
  clientId: isString,
  connectionId: isString,
  name: isString,
  serial: isString,
  timestamp: (value) => Number.isSafeInteger(value) && value >= 0 && value <= MAX_TIMESTAMP,
  action: (value) => Number.isSafeInteger(value) && value >= 0,
};

/** The JSON object a `json`-encoded string holds, or undefined for anything else. */
function payloadOf({ data, encoding }) {
  if (encoding !== 'json' || !isString(data)) return undefined;
  try {
    const payload = JSON.parse(data);
    return payload && typeof payload === 'object' && !Array.isArray(payload) ? payload : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Cut one message or presence entry down, in place, to what peers send and Ably stamps: its payload decoded (no
 * `encoding` left for the SDK to apply) or gone, and only the fields of KEPT_FIELDS that pass their test.
 * @param {object} entry a message or presence entry as it came off the wire
 * @returns {object} the same entry
 */
export function keepWhatPeersSend(entry) {
  const payload = payloadOf(entry);
  for (const key of Object.keys(entry)) {
    if (!(Object.hasOwn(KEPT_FIELDS, key) && KEPT_FIELDS[key](entry[key]))) delete entry[key];
  }
  if (payload !== undefined) entry.data = payload;
  return entry;
}

/** Apply keepWhatPeersSend to every message and presence entry of one protocol message (in place). */
export function filterInbound(protocolMessage) {
  for (const entries of [protocolMessage.messages, protocolMessage.presence]) {
    if (Array.isArray(entries)) entries.forEach(keepWhatPeersSend);
  }
  return protocolMessage;
}

/**
 * Make an ably-js RealtimeChannel filter what it receives (filterInbound) before it processes it. Call it before
 * the channel attaches. A channel without processMessage (an ably-js that no longer has it, which
 * tests/js/p2p-inbound.test.mjs catches) is left as it is.
 * @template {object} C
 * @param {C} channel
 * @returns {C} the same channel
 */
export function guardChannel(channel) {
  const processMessage = channel.processMessage;
  if (typeof processMessage !== 'function') return channel;
  channel.processMessage = (protocolMessage) => processMessage.call(channel, filterInbound(protocolMessage));
  return channel;
}
