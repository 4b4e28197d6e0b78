"""The session benchmark's scenarios, each on a fresh session and fresh peers, for either protocol:

* ``sequential``: N peers join one after another (each waits until it is visible in every roster and holds the
  host's state), then the host streams the phrase; for the site, the host then leaves cleanly, and the next
  host crashes (its Node process is killed), each time timing the migration;
* ``burst``: a host, then the other N - 1 peers at once, timing convergence; for the site also all N at once into
  an empty session (the election);
* ``flood`` (site): a player sends the host a burst of ``connected``; how many snapshots the host sends back;
* ``long_session`` (site): the host streams the phrase many times, then a newcomer joins; the largest message.

Costs come from the emulator's billing counters for the session's channels only, reset between phases.
"""

import asyncio
import collections
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

import aiohttp

from api.token_policy import channel_name_for, inbox_channel_for
from bench.processes import ServerProcess
from bench.session_peers import Peer, PeerPool, known, wall_ms

SITE, TUTORIAL = "site", "tutorial"
PEERS_PER_WORKER = 25
# Two to ten friends, the common case: each peer gets a process of its own, as each friend has a device; larger
# sessions share processes (PEERS_PER_WORKER each) so that 200 fit on two cores.
SMALL_SESSION = 10


def _workers_for(n: int) -> int:
    return n if n <= SMALL_SESSION else math.ceil(n / PEERS_PER_WORKER)


JOIN_TIMEOUT_SECONDS = 30.0
STREAM_TIMEOUT_SECONDS = 60.0
MIGRATION_TIMEOUT_SECONDS = 30.0
BURST_TIMEOUT_SECONDS = 90.0
LONG_SESSION_TIMEOUT_SECONDS = 600.0
# The host answers one clientId's `connected` at most once a second (site/p2p.lib.server.js); a flood's coalesced
# answer comes when that second ends. Waiting this long after the flood lets it arrive.
CONNECTED_INTERVAL_SECONDS = 1.0


@dataclass
class Cost:
    """The emulator's counters for one session's channels over one phase, counted as Ably bills."""

    deliveries: int = 0
    publishes: int = 0
    bytes_out: int = 0
    max_message: int = 0

    def __add__(self, other: "Cost") -> "Cost":
        return Cost(
            self.deliveries + other.deliveries,
            self.publishes + other.publishes,
            self.bytes_out + other.bytes_out,
            max(self.max_message, other.max_message),
        )


@dataclass
class Cpu:
    """CPU seconds one phase used: all peers together (their Node workers), and the emulator."""

    peers: float = 0.0
    emulator: float = 0.0


class EmulatorCounters:
    """Reset and read the emulator's counters over its HTTP controls, and its CPU time."""

    def __init__(self, http: aiohttp.ClientSession, emulator: ServerProcess) -> None:
        self.http = http
        self.url = emulator.url
        self.emulator = emulator

    def cpu_mark(self, pool: PeerPool) -> tuple[float, float]:
        return pool.cpu_seconds(), self.emulator.cpu_seconds() or 0.0

    def cpu_since(self, pool: PeerPool, mark: tuple[float, float]) -> Cpu:
        peers, emulator = self.cpu_mark(pool)
        return Cpu(peers - mark[0], emulator - mark[1])

    async def reset(self) -> None:
        async with self.http.post(f"{self.url}/_emulator/stats/reset") as response:
            response.raise_for_status()

    async def published_on(self, channel: str) -> int:
        """Messages published on one channel since the last reset."""
        async with self.http.get(f"{self.url}/_emulator/stats") as response:
            response.raise_for_status()
            counters = (await response.json())["channels"].get(channel, {})
        return int(counters.get("messages_published", 0))

    async def cost(self, session: str) -> Cost:
        async with self.http.get(f"{self.url}/_emulator/stats") as response:
            response.raise_for_status()
            channels = (await response.json())["channels"]
        total = Cost()
        for name, counters in channels.items():
            if _belongs(name, session):
                total = total + Cost(
                    counters["messages_delivered"] + counters["presence_delivered"],
                    counters["messages_published"] + counters["presence_published"],
                    counters["bytes_out"],
                    counters["max_message_bytes"],
                )
        return total


def _belongs(channel: str, session: str) -> bool:
    """The session's channels: both protocols use `p2p:<id>` (the name its tokens allow), the site its inboxes too."""
    return channel == channel_name_for(session) or channel.startswith(f"{channel_name_for(session)}:")


@dataclass
class Migration:
    """A host change: until every remaining peer names the new host, and until each holds its state again."""

    elected_ms: float | None
    acknowledged_ms: float | None
    cost: Cost


@dataclass
class SequentialResult:
    join_ms: list[float] = field(default_factory=list)  # per join: start() → visible in every roster
    connect_ms: list[float] = field(default_factory=list)  # per join: start() → connected (token, WebSocket)
    join_cost: Cost = field(default_factory=Cost)
    join_cpu: Cpu = field(default_factory=Cpu)
    stream_cost: Cost = field(default_factory=Cost)
    words: int = 0  # words the host streamed
    word_latency_ms: list[float] = field(default_factory=list)  # host publishes → visible, every peer, every word
    leave: Migration | None = None
    crash: Migration | None = None
    failures: list[str] = field(default_factory=list)


@dataclass
class BurstResult:
    converged_ms: float | None = None  # everyone sees everyone and (site) the same host
    acknowledged_ms: float | None = None  # ... and holds the host's state
    hosts: int = 0  # distinct hosts named at the end (must be 1)
    cost: Cost = field(default_factory=Cost)
    cpu: Cpu = field(default_factory=Cpu)
    failures: list[str] = field(default_factory=list)


@dataclass
class FloodResult:
    messages: int = 0  # `connected` the player sent
    snapshots: int | None = None  # `connection-acknowledged` the host published to that player
    failures: list[str] = field(default_factory=list)


@dataclass
class LongSessionResult:
    streams: int = 0
    words: int = 0
    max_message: int | None = None  # the largest message of the streams and the newcomer's join, snapshot included
    failures: list[str] = field(default_factory=list)


def new_session_id() -> str:
    return "bench-" + secrets.token_urlsafe(9).replace("_", "x").replace("-", "y")


async def _pooled_workers(pool: PeerPool, count: int, prefix: str) -> list:
    return list(await asyncio.gather(*(pool.start_worker(f"{prefix}{index}") for index in range(count))))


async def sequential(pool: PeerPool, counters: EmulatorCounters, protocol: str, n: int) -> SequentialResult:
    result = SequentialResult()
    session = new_session_id()
    # The first two peers get a process each, so that killing the second host's process kills only that peer.
    dedicated = await _pooled_workers(pool, min(n, 2), "solo")
    shared = await _pooled_workers(pool, _workers_for(max(0, n - 2)), "pool")
    workers = dedicated + [shared[index % len(shared)] for index in range(max(0, n - 2))]
    names = [f"s{index}" for index in range(n)]
    peers = pool.peers

    await counters.reset()
    cpu_mark = counters.cpu_mark(pool)
    for index, name in enumerate(names):
        await pool.join(name, workers[index], protocol, session, role="host" if index == 0 else "guest")
        if await pool.until([name], lambda peer: peer.id is not None, JOIN_TIMEOUT_SECONDS):
            result.failures.append(f"peer {index} did not connect within {JOIN_TIMEOUT_SECONDS:.0f} s")
            return result
        ids = [known(peers[other].id, "joined") for other in names[: index + 1]]
        late = await pool.until(
            names[: index + 1],
            _sees_join(ids, name),
            JOIN_TIMEOUT_SECONDS,
        )
        if late:
            result.failures.append(
                f"join {index}: {len(late)} peers did not see it within {JOIN_TIMEOUT_SECONDS:.0f} s"
            )
            return result
        joiner = peers[name]
        joiner_id = known(joiner.id, "joined")
        seen = [peers[other].first_seen[joiner_id] for other in names[: index + 1]]
        seen += [joiner.first_seen[other_id] for other_id in ids]
        result.join_ms.append(max(seen) - known(joiner.start_t, "start"))
        result.connect_ms.append(known(joiner.connected_t, "connected") - known(joiner.start_t, "start"))
    result.join_cost = await counters.cost(session)
    result.join_cpu = counters.cpu_since(pool, cpu_mark)

    await counters.reset()
    host = peers[names[0]]
    await pool.stream(host.name)
    if await pool.until([host.name], lambda peer: peer.streamed_t is not None, STREAM_TIMEOUT_SECONDS):
        result.failures.append("the host did not finish streaming")
        return result
    words = result.words = len(host.sent)
    late = await pool.until(names, lambda peer: len(peer.words) >= words, STREAM_TIMEOUT_SECONDS)
    if late:
        result.failures.append(f"{len(late)} peers missed words")
    result.word_latency_ms = [
        peer.words[index] - host.sent[index]
        for peer in (peers[name] for name in names)
        for index in range(words)
        if index in peer.words
    ]
    result.stream_cost = await counters.cost(session)

    if protocol == SITE and n >= 3:
        result.leave = await _migrate(pool, counters, session, names, crash=False)
        result.crash = await _migrate(pool, counters, session, names[1:], crash=True)
    return result


def _sees_join(ids: list[str], joiner: str) -> Callable[[Peer], bool]:
    """Every peer sees everyone who joined so far, and the joiner's join has been acknowledged by the host."""
    return lambda peer: peer.sees_all(ids) and (peer.name != joiner or peer.status == "acknowledged")


async def _migrate(
    pool: PeerPool, counters: EmulatorCounters, session: str, names: list[str], crash: bool
) -> Migration:
    """The host (names[0]) leaves cleanly or its process is killed; names[1] (the next joiner) must take over."""
    peers = pool.peers
    leaving, heir, remaining = peers[names[0]], peers[names[1]], names[1:]
    await counters.reset()
    if crash:
        started = pool.kill(leaving.worker)
    else:
        await pool.close_peer(leaving.name)
        if await pool.until([leaving.name], lambda peer: peer.closing_t is not None, MIGRATION_TIMEOUT_SECONDS):
            return Migration(None, None, Cost())
        started = known(leaving.closing_t, "closing")
    elected = acknowledged = None
    if not await pool.until(remaining, lambda peer: peer.host == heir.id, MIGRATION_TIMEOUT_SECONDS):
        elected = max(known(peers[name].host_since, "host") for name in remaining) - started
        # The heir holds the state already (a host does not ask itself); every other peer asks it again.
        guests = remaining[1:]
        if not await pool.until(
            guests,
            lambda peer: peer.status == "acknowledged" and (peer.status_since or 0.0) > started,
            MIGRATION_TIMEOUT_SECONDS,
        ):
            acknowledged = max([elected, *(known(peers[name].status_since, "status") - started for name in guests)])
    return Migration(elected, acknowledged, await counters.cost(session))


async def burst(
    pool: PeerPool, counters: EmulatorCounters, protocol: str, n: int, host_first: bool = True
) -> BurstResult:
    """N peers in a session at once. `host_first`: someone hosts first and the other N - 1 then join at once, as
    friends do from an invite link (the tutorial must: it has no election); else all N start at once into an empty
    session (site only: the election picks one host). Timed from the first simultaneous join."""
    result = BurstResult()
    session = new_session_id()
    workers = await _pooled_workers(pool, _workers_for(n), "burst")
    names = [f"b{index}" for index in range(n)]
    peers = pool.peers
    await counters.reset()
    joiners = names
    if host_first:
        await pool.join(names[0], workers[0], protocol, session, role="host")
        if await pool.until(names[:1], lambda peer: peer.status == "acknowledged", JOIN_TIMEOUT_SECONDS):
            result.failures.append("the host did not start")
            return result
        joiners = names[1:]
    cpu_mark = counters.cpu_mark(pool)
    started = wall_ms()
    for index, name in enumerate(joiners):
        await pool.join(name, workers[index % len(workers)], protocol, session)
    if await pool.until(joiners, lambda peer: peer.id is not None, BURST_TIMEOUT_SECONDS):
        result.failures.append("not every peer connected")
        return result
    ids = [known(peers[name].id, "joined") for name in names]
    late = await pool.until(names, lambda peer: peer.sees_all(ids), BURST_TIMEOUT_SECONDS)
    if late:
        result.failures.append(f"{len(late)} of {n} peers never saw everyone")
        return result
    hosts = collections.Counter(peers[name].host for name in names if protocol == SITE)
    if protocol == SITE:
        agreed = hosts.most_common(1)[0][0]
        await pool.until(names, lambda peer: peer.host == agreed, MIGRATION_TIMEOUT_SECONDS)
        hosts = collections.Counter(peers[name].host for name in names)
    result.hosts = len(hosts) if protocol == SITE else 1
    if result.hosts != 1:
        result.failures.append(f"{result.hosts} hosts at the end, not one")
    converged = [max(peers[name].first_seen[peer_id] for peer_id in ids) for name in names]
    if protocol == SITE:
        converged += [known(peers[name].host_since, "host") for name in names]
    result.converged_ms = max(converged) - started
    result.cpu = counters.cpu_since(pool, cpu_mark)
    if not await pool.until(names, lambda peer: peer.status == "acknowledged", BURST_TIMEOUT_SECONDS):
        result.acknowledged_ms = max(known(peers[name].status_since, "status") for name in names) - started
    result.cost = await counters.cost(session)
    return result


async def _host_and_guest(pool: PeerPool, prefix: str) -> tuple[str, list[str], list[str]]:
    """A site session with a host and one guest, both acknowledged; returns (session, names, failures)."""
    session = new_session_id()
    worker = (await _pooled_workers(pool, 1, prefix))[0]
    names = [f"{prefix}-host", f"{prefix}-guest"]
    for index, name in enumerate(names):
        await pool.join(name, worker, SITE, session, role="host" if index == 0 else "guest")
        if await pool.until([name], lambda peer: peer.status == "acknowledged", JOIN_TIMEOUT_SECONDS):
            return session, names, [f"{name} was not acknowledged within {JOIN_TIMEOUT_SECONDS:.0f} s"]
    return session, names, []


async def flood(pool: PeerPool, counters: EmulatorCounters, count: int) -> FloodResult:
    """A guest sends its host `count` `connected` at once; the snapshots published to its inbox are counted."""
    result = FloodResult(messages=count)
    session, (_, guest), result.failures = await _host_and_guest(pool, "flood")
    if result.failures:
        return result
    await counters.reset()
    await pool.flood(guest, count)
    if await pool.until([guest], lambda peer: peer.flooded_t is not None, JOIN_TIMEOUT_SECONDS):
        result.failures.append(f"the flood was not published within {JOIN_TIMEOUT_SECONDS:.0f} s")
        return result
    await asyncio.sleep(CONNECTED_INTERVAL_SECONDS + 0.5)
    inbox = inbox_channel_for(session, known(pool.peers[guest].id, "joined"))
    result.snapshots = await counters.published_on(inbox)
    return result


async def long_session(pool: PeerPool, counters: EmulatorCounters, streams: int) -> LongSessionResult:
    """The host streams the phrase `streams` times (no pause between words), then a newcomer joins."""
    result = LongSessionResult(streams=streams)
    session, (host, _), result.failures = await _host_and_guest(pool, "long")
    if result.failures:
        return result
    await counters.reset()
    await pool.stream(host, times=streams)
    if await pool.until([host], lambda peer: peer.streamed_t is not None, LONG_SESSION_TIMEOUT_SECONDS):
        result.failures.append(f"{streams} streams did not finish within {LONG_SESSION_TIMEOUT_SECONDS:.0f} s")
        return result
    result.words = len(pool.peers[host].sent)
    newcomer = "long-newcomer"
    await pool.join(newcomer, pool.peers[host].worker, SITE, session)
    if await pool.until([newcomer], lambda peer: peer.status == "acknowledged", JOIN_TIMEOUT_SECONDS):
        result.failures.append("the newcomer was not acknowledged")
        return result
    result.max_message = (await counters.cost(session)).max_message
    return result
