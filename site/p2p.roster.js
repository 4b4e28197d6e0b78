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

/** Where `member` goes in `order` (sorted by joinedEarlier): binary search, O(log N). */
function positionOf(order, member) {
  let low = 0;
  let high = order.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (joinedEarlier(order[middle], member) < 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

const PRESENT_ACTIONS = new Set(['enter', 'present', 'update']);
const GONE_ACTIONS = new Set(['leave', 'absent']);

/**
 * The roster kept up to date one presence event at a time: each event moves at most one player, found by binary
 * search, so a burst of N joins costs O(N log N) comparisons in all instead of a sort of the whole set per event.
 * Agrees with rosterFromPresence() on the same set.
 */
export class Roster {
  constructor() {
    this.replace([]);
  }

  /** Start again from a whole presence set (after connecting, or after continuity was lost). */
  replace(members) {
    this.connections = new Map();
    for (const member of members ?? []) this.store(member);
    this.order = [];
    for (const connections of this.connections.values()) this.order.push(earliestOf(connections));
    this.order.sort(joinedEarlier);
  }

  /**
   * Apply one presence event (ably-js PresenceMessage: action, clientId, connectionId, timestamp, data).
   * @returns {{removed: number, inserted: number, player: object | null} | null} how the players list changes
   *   (indices into it before and after, -1 for none), or null when it does not
   */
  apply(event) {
    const { action, clientId, connectionId } = event ?? {};
    if (typeof clientId !== 'string' || !clientId) return null;
    const connections = this.connections.get(clientId);
    const before = connections ? earliestOf(connections) : null;
    if (PRESENT_ACTIONS.has(action)) {
      if (!this.store(event)) return null;
    } else if (GONE_ACTIONS.has(action)) {
      if (!connections?.delete(connectionId)) return null;
      if (connections.size === 0) this.connections.delete(clientId);
    } else {
      return null;
    }
    const remaining = this.connections.get(clientId);
    const after = remaining ? earliestOf(remaining) : null;
    if (after === before || (after && before && samePlayer(after, before))) return null;
    const removed = before ? positionOf(this.order, before) : -1;
    if (removed >= 0) this.order.splice(removed, 1);
    const inserted = after ? positionOf(this.order, after) : -1;
    if (inserted >= 0) this.order.splice(inserted, 0, after);
    return { removed, inserted, player: after && playerOf(after) };
  }

  /** The players in join order, as rosterFromPresence() lists them. */
  players() {
    return this.order.map(playerOf);
  }

  /** The elected host: the earliest joiner, or null. */
  host() {
    return this.order[0]?.clientId ?? null;
  }

  /** Keep one member (a plain copy), keyed by clientId then connectionId; false when it is not a valid one. */
  store(member) {
    const { clientId, connectionId, timestamp, data } = member ?? {};
    if (typeof clientId !== 'string' || !clientId || !Number.isFinite(timestamp)) return false;
    if (!this.connections.has(clientId)) this.connections.set(clientId, new Map());
    const friendlyName = normalizeFriendlyName(data?.friendlyName) || ANONYMOUS;
    this.connections.get(clientId).set(connectionId, { clientId, timestamp, friendlyName });
    return true;
  }
}

/** A clientId's earliest entry among its connections (usually one). */
function earliestOf(connections) {
  let earliest = null;
  for (const member of connections.values()) if (!earliest || joinedEarlier(member, earliest) < 0) earliest = member;
  return earliest;
}

function samePlayer(a, b) {
  return a.timestamp === b.timestamp && a.friendlyName === b.friendlyName;
}

function playerOf(member) {
  return { clientId: member.clientId, friendlyName: member.friendlyName, joinedAt: member.timestamp };
}
