// The roster and the host election, derived from Ably presence alone, so every peer computes the same answer.
//
// Every peer enters presence on the session channel with `{ friendlyName }` and never updates it, so a member's
// Ably timestamp stays its join time. The host is the earliest joiner: the member with the smallest
// (timestamp, clientId). Nothing here trusts a message payload for identity; clientIds are stamped by Ably.
import { normalizeFriendlyName } from './p2p.js';

export const ANONYMOUS = 'Anonymous';

/** Order members by join time; a clientId breaks ties, so peers with equal timestamps still agree. */
function joinedEarlier(a, b) {
  if (a.timestamp !== b.timestamp) return a.timestamp - b.timestamp;
  if (a.clientId === b.clientId) return 0;
  return a.clientId < b.clientId ? -1 : 1;
}

/**
 * One entry per clientId (a clientId present on several connections counts once, from its earliest entry),
 * in join order. Members without a clientId or a numeric timestamp are ignored.
 * @param {Array<{clientId?: string, timestamp?: number, data?: unknown}>} members ably-js PresenceMessages
 * @returns {Array<{clientId: string, friendlyName: string, joinedAt: number}>}
 */
export function rosterFromPresence(members) {
  const earliest = new Map();
  for (const member of members ?? []) {
    const { clientId, timestamp } = member ?? {};
    if (typeof clientId !== 'string' || !clientId || !Number.isFinite(timestamp)) continue;
    const known = earliest.get(clientId);
    if (!known || joinedEarlier(member, known) < 0) earliest.set(clientId, member);
  }
  return [...earliest.values()].sort(joinedEarlier).map((member) => ({
    clientId: member.clientId,
    friendlyName: normalizeFriendlyName(member.data?.friendlyName) || ANONYMOUS,
    joinedAt: member.timestamp,
  }));
}

/**
 * The host every peer agrees on: the earliest joiner, or null when nobody is present.
 * @param {Array<{clientId?: string, timestamp?: number}>} members ably-js PresenceMessages
 */
export function electHost(members) {
  return rosterFromPresence(members)[0]?.clientId ?? null;
}
