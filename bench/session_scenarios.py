"""The session benchmark's scenarios, each on a fresh session with fresh peers; each answers a sample (measure: value).

* ``sequential``: N peers join one after another (each until it is in every roster and holds the host's state),
  then the host streams the phrase; for the site, the host then leaves cleanly, and the next host crashes (its Node
  process is killed), each time timing the migration;
* ``burst``: a host, then the other N - 1 peers at once; ``election`` (site): all N at once into an empty session;
* ``flood`` (site): a player sends the host N ``connected`` at once; how many snapshots the host sends back;
* ``long`` (site): the host streams the phrase N times, then a newcomer joins; the largest message;
* ``bingo`` (site, issue 21): a round of bingo among N players, the host calling at the fastest pace, each player
  claiming once its card has a line, until every page shows the winner; what it costs.

A new scenario (another game, say) is one more function here, a row of BY_SIZE or SITE_ONLY, and a table in
bench/session.py.
"""

import asyncio
import collections
from collections.abc import Callable

from api.token_policy import inbox_channel_for
from bench.session_peers import Peer, PeerPool, wall_ms

SITE, TUTORIAL = "site", "tutorial"
# The host answers one clientId's `connected` at most once a second (site/p2p.lib.server.js); bingo's fastest pace.
CONNECTED_INTERVAL_SECONDS, BINGO_PACE_MS = 1.0, 250


def acknowledged(peer: Peer) -> float | None:
    return peer.at("status", "acknowledged")


def joined(peer: Peer) -> float | None:
    return peer.at("joined")


def ready(peer: Peer) -> float | None:
    """Joined (its id known: the join's promise resolved) and holding the host's state."""
    return acknowledged(peer) if joined(peer) else None


def done(method: str) -> Callable[[Peer], float | None]:
    return lambda peer: peer.at("called", method)


async def sequential(pool: PeerPool, n: int) -> dict:
    session, names, workers = await pool.start(n, "s", dedicated=2)
    sample: dict = {"join_ms": [], "connect_ms": []}
    await pool.reset()
    for index, name in enumerate(names):
        await pool.join(name, workers[index], session, role="host" if index == 0 else "guest")
        await pool.until([name], joined, "connected")
        joiner, ids = pool.peers[name], [pool.peers[other].get("joined") for other in names[: index + 1]]
        seen = await pool.until(names[: index + 1], _seen_joining(joiner, ids), "seen joining")
        started = joiner.at("start") or 0.0
        sample["join_ms"].append(seen - started)
        sample["connect_ms"].append((joiner.at("connected") or 0.0) - started)
    sample["join_deliveries"] = (await pool.cost(session))["deliveries"] / n
    await pool.call(names[0], "stream", 1)
    await pool.until(names[:1], done("stream"), "streamed", 60)
    sent = {key[1]: t for key, t in pool.peers[names[0]].first.items() if key[0] == "sent"}
    await pool.until(names, lambda p: all(("word", i) in p.first for i in sent) or None, "given every word", 60)
    sample["word_ms"] = [pool.peers[name].first[("word", i)] - t for name in names for i, t in sent.items()]
    sample |= await pool.cost(session)
    if pool.protocol == SITE and n >= 3:
        sample |= await _migrate(pool, names, "leave") | await _migrate(pool, names[1:], "crash")
    return sample


def _seen_joining(joiner: Peer, ids: list[str]) -> Callable[[Peer], float | None]:
    """Everyone lists everyone so far, and the joiner holds the host's state (a gate: that is not timed)."""
    return lambda peer: peer.sees(ids) if peer is not joiner or acknowledged(peer) else None


async def _migrate(pool: PeerPool, names: list[str], how: str) -> dict:
    """The host (names[0]) leaves cleanly or its process is killed; names[1] (the next joiner) must take over."""
    heir, remaining = pool.peers[names[1]].get("joined"), names[1:]
    if how == "crash":
        started = pool.kill(pool.peers[names[0]].worker)
    else:
        await pool.call(names[0], "close")
        started = await pool.until(names[:1], lambda p: p.first.get(("call", "close")), "closing")
    elected = await pool.until(remaining, lambda p: p.at("host", heir), "following the new host") - started
    # The heir holds the state already (a host does not ask itself); every other peer asks it again.
    asked = await pool.until(remaining[1:], lambda p: t if (t := acknowledged(p)) and t > started else None, "re-acked")
    return {f"{how}_elected_ms": elected, f"{how}_acknowledged_ms": max(elected, asked - started)}


async def burst(pool: PeerPool, n: int, host_first: bool = True) -> dict:
    """N peers in a session at once, timed from the first simultaneous join. `host_first`: someone hosts, then the
    other N - 1 join at once, as friends do from an invite link (the tutorial must: it has no election); else all N
    start at once into an empty session (site only: the election picks one host)."""
    session, names, workers = await pool.start(n, "b")
    await pool.reset()
    if host_first:
        await pool.join(names[0], workers[0], session, role="host")
        await pool.until(names[:1], acknowledged, "hosting")
    cpu, started = pool.cpu_seconds(), wall_ms()
    for name, worker in list(zip(names, workers, strict=True))[1 if host_first else 0 :]:
        await pool.join(name, worker, session)
    await pool.until(names, joined, "connected", 90)
    ids = [pool.peers[name].get("joined") for name in names]
    converged = await pool.until(names, lambda p: p.sees(ids), "seeing everyone", 90)
    if pool.protocol == SITE:
        agreed = collections.Counter(pool.peers[name].get("host") for name in names).most_common(1)[0][0]
        converged = max(converged, await pool.until(names, lambda p: p.at("host", agreed), "agreed on one host"))
    sample = {"converged_ms": converged - started, "cpu_ms_per_join": (pool.cpu_seconds() - cpu) / n * 1000}
    await pool.until(names, acknowledged, "holding the host's state", 90)
    return sample | await pool.cost(session)


async def bingo(pool: PeerPool, n: int) -> dict:
    """N players join (a host, then the rest at once); the host plays a round; until every page shows the winner."""
    session, names, workers = await pool.start(n, "g")
    await pool.join(names[0], workers[0], session, role="host")
    await pool.until(names[:1], acknowledged, "hosting")
    for name, worker in list(zip(names, workers, strict=True))[1:]:
        await pool.join(name, worker, session)
    await pool.until(names, ready, "acknowledged", 90)
    ids = [pool.peers[name].get("joined") for name in names]
    await pool.until(names, lambda p: p.sees(ids), "seeing everyone", 90)  # so that every player is dealt a card
    await pool.reset()
    started = wall_ms()
    await pool.call(names[0], "playBingo", BINGO_PACE_MS)
    won = await pool.until(names, lambda p: p.at("won"), "shown the winner", 120)
    return {"round_ms": won - started, "calls": pool.peers[names[0]].get("won")} | await pool.cost(session)


async def election(pool: PeerPool, n: int) -> dict:
    return await burst(pool, n, host_first=False)


async def _host_and_guest(pool: PeerPool, prefix: str) -> tuple[str, list[str]]:
    """A site session with a host and one guest (one worker), both acknowledged."""
    session, names, workers = await pool.start(1, prefix)
    for index, name in enumerate([*names, f"{prefix}-guest"]):
        await pool.join(name, workers[0], session, role="host" if index == 0 else "guest")
        await pool.until([name], ready, "acknowledged")
    return session, [*names, f"{prefix}-guest"]


async def flood(pool: PeerPool, count: int) -> dict:
    """A guest sends its host `count` `connected` at once; the snapshots published to its inbox are counted."""
    session, (_, guest) = await _host_and_guest(pool, "flood")
    await pool.reset()
    await pool.call(guest, "flood", count)
    await pool.until([guest], done("flood"), "flooded")
    await asyncio.sleep(CONNECTED_INTERVAL_SECONDS + 0.5)  # the coalesced answer, when the host's second ends
    inbox = inbox_channel_for(session, pool.peers[guest].get("joined"))
    return {"snapshots": (await pool.stats()).get(inbox, {}).get("messages_published", 0)}


async def long_session(pool: PeerPool, streams: int) -> dict:
    """The host streams the phrase `streams` times (no pause between words), then a newcomer joins."""
    session, (host, _) = await _host_and_guest(pool, "long")
    await pool.reset()
    await pool.call(host, "stream", streams)
    await pool.until([host], done("stream"), "streamed", 600)
    await pool.join("newcomer", pool.peers[host].worker, session)
    await pool.until(["newcomer"], acknowledged, "acknowledged")
    return {"max_message": (await pool.cost(session))["max_message"]}


BY_SIZE = {
    "sequential": ((SITE, TUTORIAL), sequential),
    "burst": ((SITE, TUTORIAL), burst),
    "election": ((SITE,), election),
}
# N: the messages of the flood, the streams before a newcomer, the players.
SITE_ONLY = {"flood": flood, "long": long_session, "bingo": bingo}
