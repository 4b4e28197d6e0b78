"""The session benchmark's scenarios, each on a fresh session with fresh peers, for either protocol; each answers a
sample (measure: value) for the report. Costs come from the emulator's billing counters for the session's channels.

* ``sequential``: N peers join one after another (each until it is in every roster and holds the host's state),
  then the host streams the phrase; for the site, the host then leaves cleanly, and the next host crashes (its Node
  process is killed), each time timing the migration;
* ``burst``: a host, then the other N - 1 peers at once; ``election`` (site): all N at once into an empty session;
* ``flood`` (site): a player sends the host 500 ``connected`` at once; how many snapshots the host sends back;
* ``long`` (site): the host streams the phrase 1,000 times, then a newcomer joins; the largest message.

A new scenario (a round of a game, say) is one more function here and a table in bench/session.py.
"""

import asyncio
import collections
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp

from api.token_policy import channel_name_for, inbox_channel_for
from bench.session_peers import Peer, PeerPool, wall_ms

SITE, TUTORIAL = "site", "tutorial"
# Two to ten friends, the common case: each peer gets a process of its own, as each friend has a device; larger
# sessions share processes (PEERS_PER_WORKER each) so that 200 fit on two cores.
SMALL_SESSION, PEERS_PER_WORKER = 10, 25
# The host answers one clientId's `connected` at most once a second (site/p2p.lib.server.js): a flood's coalesced
# answer comes when that second ends.
CONNECTED_INTERVAL_SECONDS = 1.0


@dataclass
class Bench:
    """What every scenario is given: its peers, the emulator's counters (over HTTP) and the pace of the words."""

    pool: PeerPool
    http: aiohttp.ClientSession
    emulator_url: str
    protocol: str
    interval: int  # ms between words

    async def stats(self) -> dict:
        async with self.http.get(f"{self.emulator_url}/_emulator/stats") as response:
            return (await response.json())["channels"]

    async def reset(self) -> None:
        await self.http.post(f"{self.emulator_url}/_emulator/stats/reset")

    async def cost(self, session: str) -> dict[str, float]:
        """Since the last reset, on the session's channels (``p2p:<id>``, and the site's inboxes), as Ably bills."""
        channel = channel_name_for(session)
        mine = [c for name, c in (await self.stats()).items() if name == channel or name.startswith(f"{channel}:")]
        return {
            "deliveries": sum(c["messages_delivered"] + c["presence_delivered"] for c in mine),
            "mb": sum(c["bytes_out"] for c in mine) / 1e6,
            "max_message": max((c["max_message_bytes"] for c in mine), default=0),
        }

    async def peers(self, n: int, prefix: str, dedicated: int = 0) -> tuple[str, list[str], list]:
        """A fresh session, ``n`` peer names and a worker for each: up to SMALL_SESSION one each, else the first
        ``dedicated`` one each (so killing one ends only that peer) and the rest PEERS_PER_WORKER to a worker."""
        if n <= SMALL_SESSION:
            workers = await self.pool.start_workers(n)
        else:
            own = await self.pool.start_workers(dedicated)
            shared = await self.pool.start_workers(math.ceil((n - dedicated) / PEERS_PER_WORKER))
            workers = own + [shared[index % len(shared)] for index in range(n - dedicated)]
        session = "bench-" + secrets.token_urlsafe(9).replace("_", "x").replace("-", "y")
        return session, [f"{prefix}{index}" for index in range(n)], workers

    async def join(self, name: str, worker, session: str, role: str = "guest") -> None:
        await self.pool.join(name, worker, proto=self.protocol, role=role, session=session, interval=self.interval)


def acknowledged(peer: Peer) -> float | None:
    return peer.at("status", "acknowledged")


def joined(peer: Peer) -> float | None:
    return peer.at("joined")


async def sequential(bench: Bench, n: int) -> dict:
    pool = bench.pool
    session, names, workers = await bench.peers(n, "s", dedicated=2)
    sample: dict = {"join_ms": [], "connect_ms": []}
    await bench.reset()
    for index, name in enumerate(names):
        await bench.join(name, workers[index], session, role="host" if index == 0 else "guest")
        await pool.until([name], joined, "connected")
        joiner, ids = pool.peers[name], [pool.peers[other].get("joined") for other in names[: index + 1]]
        seen = await pool.until(names[: index + 1], _seen_joining(joiner, ids), "seen joining")
        sample["join_ms"].append(seen - (joiner.at("start") or 0.0))
        sample["connect_ms"].append((joiner.at("connected") or 0.0) - (joiner.at("start") or 0.0))
    joins = await bench.cost(session)
    host = names[0]
    await pool.call(host, "stream", 1)
    await pool.until([host], lambda p: p.at("called", "stream"), "streamed", 60)
    words = [key[1] for key in pool.peers[host].first if key[0] == "sent"]
    await pool.until(names, lambda p: all(("word", i) in p.first for i in words) or None, "given every word", 60)
    sent = pool.peers[host].first
    sample["word_ms"] = [pool.peers[name].first[("word", i)] - sent[("sent", i)] for name in names for i in words]
    sample |= await bench.cost(session) | {"join_deliveries": joins["deliveries"] / n}
    if bench.protocol == SITE and n >= 3:
        sample |= await _migrate(bench, names, "leave") | await _migrate(bench, names[1:], "crash")
    return sample


def _seen_joining(joiner: Peer, ids: list[str]) -> Callable[[Peer], float | None]:
    """Everyone lists everyone so far, and the joiner holds the host's state (a gate: that is not timed)."""
    return lambda peer: peer.sees(ids) if peer is not joiner or acknowledged(peer) else None


async def _migrate(bench: Bench, names: list[str], how: str) -> dict:
    """The host (names[0]) leaves cleanly or its process is killed; names[1] (the next joiner) must take over."""
    pool = bench.pool
    heir, remaining = pool.peers[names[1]].get("joined"), names[1:]
    if how == "crash":
        started = pool.kill(pool.peers[names[0]].worker)
    else:
        await pool.call(names[0], "close")
        started = await pool.until(names[:1], lambda p: p.first.get(("call", "close")), "closing")
    elected = await pool.until(remaining, lambda p: p.at("host", heir), "following the new host") - started
    # The heir holds the state already (a host does not ask itself); every other peer asks it again.
    again = await pool.until(
        remaining[1:], lambda p: t if (t := acknowledged(p)) and t > started else None, "re-acknowledged"
    )
    return {f"{how}_elected_ms": elected, f"{how}_acknowledged_ms": max(elected, again - started)}


async def burst(bench: Bench, n: int, host_first: bool = True) -> dict:
    """N peers in a session at once. `host_first`: someone hosts first and the other N - 1 then join at once, as
    friends do from an invite link (the tutorial must: it has no election); else all N start at once into an empty
    session (site only: the election picks one host). Timed from the first simultaneous join."""
    pool = bench.pool
    session, names, workers = await bench.peers(n, "b")
    await bench.reset()
    joiners = names[1:] if host_first else names
    if host_first:
        await bench.join(names[0], workers[0], session, role="host")
        await pool.until(names[:1], acknowledged, "hosting", 30)
    cpu, started = pool.cpu_seconds(), wall_ms()
    for name, worker in zip(names, workers, strict=True):
        if name in joiners:
            await bench.join(name, worker, session)
    await pool.until(joiners, joined, "connected", 90)
    ids = [pool.peers[name].get("joined") for name in names]
    converged = await pool.until(names, lambda p: p.sees(ids), "seeing everyone", 90)
    if bench.protocol == SITE:
        agreed = collections.Counter(pool.peers[name].get("host") for name in names).most_common(1)[0][0]
        converged = max(converged, await pool.until(names, lambda p: p.at("host", agreed), "agreed on one host"))
    sample = {"converged_ms": converged - started, "cpu_ms_per_join": (pool.cpu_seconds() - cpu) / n * 1000}
    await pool.until(names, acknowledged, "holding the host's state", 90)
    return sample | await bench.cost(session)


async def _host_and_guest(bench: Bench, prefix: str) -> tuple[str, list[str]]:
    """A site session with a host and one guest (one worker), both acknowledged."""
    session, names, workers = await bench.peers(1, prefix)
    names.append(f"{prefix}-guest")
    for index, name in enumerate(names):
        await bench.join(name, workers[0], session, role="host" if index == 0 else "guest")
        await bench.pool.until([name], acknowledged, "acknowledged")
    return session, names


async def flood(bench: Bench, count: int) -> dict:
    """A guest sends its host `count` `connected` at once; the snapshots published to its inbox are counted."""
    session, (_, guest) = await _host_and_guest(bench, "flood")
    await bench.reset()
    await bench.pool.call(guest, "flood", count)
    await bench.pool.until([guest], lambda p: p.at("called", "flood"), "flooded")
    await asyncio.sleep(CONNECTED_INTERVAL_SECONDS + 0.5)  # the coalesced answer, when the host's second ends
    inbox = inbox_channel_for(session, bench.pool.peers[guest].get("joined"))
    return {"snapshots": (await bench.stats()).get(inbox, {}).get("messages_published", 0)}


async def long_session(bench: Bench, streams: int) -> dict:
    """The host streams the phrase `streams` times (no pause between words), then a newcomer joins."""
    session, (host, _) = await _host_and_guest(bench, "long")
    await bench.reset()
    await bench.pool.call(host, "stream", streams)
    await bench.pool.until([host], lambda p: p.at("called", "stream"), "streamed", 600)
    await bench.join("newcomer", bench.pool.peers[host].worker, session)
    await bench.pool.until(["newcomer"], acknowledged, "acknowledged")
    return {"max_message": (await bench.cost(session))["max_message"]}


async def election(bench: Bench, n: int) -> dict:
    return await burst(bench, n, host_first=False)


BY_SIZE = {
    "sequential": ((SITE, TUTORIAL), sequential),
    "burst": ((SITE, TUTORIAL), burst),
    "election": ((SITE,), election),
}
ABUSE = {"flood": flood, "long": long_session}  # site only; N: the messages of the flood, the streams before a newcomer
