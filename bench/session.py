"""Session benchmark: what one session costs (deliveries, bytes, largest message) and how fast it converges, for
the site's protocol (``P2PSession``) beside the tutorial's (bench/tutorial/), from two friends to 200 peers.

The emulator runs in its own process with a short presence timeout (so a crashed host is noticed quickly; the
report names it), the dev host in another (it issues the site's tokens and client config), and the peers in
Node worker processes. Sizes and protocols alternate inside each run, so drift on the machine affects all.
"""

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import aiohttp

from bench.processes import DEV_HOST_READY, emulator, running
from bench.report import RunOptions, Section
from bench.session_peers import PeerPool
from bench.session_scenarios import (
    SITE,
    SMALL_SESSION,
    TUTORIAL,
    BurstResult,
    EmulatorCounters,
    FloodResult,
    LongSessionResult,
    SequentialResult,
    burst,
    flood,
    long_session,
    sequential,
)
from bench.stats import Spread, percentile, ratio

BENCH_KEY = "benchapp.sessionkey:local-bench-secret-not-for-production"
PROTOCOLS = (SITE, TUTORIAL)


@dataclass(frozen=True)
class SessionSettings:
    sizes: tuple[int, ...] = (2, 5, 10, 50, 200)
    runs: int = 3
    small_runs: int = 9  # runs of the sizes up to SMALL_SESSION
    word_interval_ms: int = 500  # the site's and the tutorial's default pace
    presence_leave_timeout: float = 2.0
    flood_messages: int = 500  # `connected` one player sends its host at once
    long_streams: int = 1000  # streams of the phrase in one session before a newcomer joins

    def runs_of(self, n: int) -> int:
        return self.small_runs if n <= SMALL_SESSION else self.runs


QUICK = SessionSettings(sizes=(3,), runs=1, small_runs=1, flood_messages=50, long_streams=3)


@dataclass
class Results:
    sequential: dict[tuple[str, int], list[SequentialResult]] = field(default_factory=dict)
    bursts: dict[tuple[str, int], list[BurstResult]] = field(default_factory=dict)  # a host, then N - 1 at once
    elections: dict[tuple[str, int], list[BurstResult]] = field(default_factory=dict)  # site: all N at once
    floods: list[FloodResult] = field(default_factory=list)
    long_sessions: list[LongSessionResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


async def _scenario(
    dev_host_url: str, settings: SessionSettings, results: Results, scenario, store, protocol, n, word_interval_ms=None
):
    interval = settings.word_interval_ms if word_interval_ms is None else word_interval_ms
    pool = PeerPool(dev_host_url, interval)
    try:
        outcome = await scenario(pool, protocol, n)
    finally:
        await pool.stop()
    store.setdefault((protocol, n), []).append(outcome)
    results.errors += [f"{protocol} N={n}: {error}" for error in pool.errors[:5]]


async def measure(settings: SessionSettings) -> Results:
    results = Results()
    async with emulator("--key", BENCH_KEY, "--presence-leave-timeout", str(settings.presence_leave_timeout)) as ably:
        settings_env = {"ABLY_API_KEY": BENCH_KEY, "ABLY_ENDPOINT_URL": ably.url}
        async with (
            running(["devserver", "--port", "0"], DEV_HOST_READY, env=settings_env) as dev_host,
            aiohttp.ClientSession() as http,
        ):
            counters = EmulatorCounters(http, ably)
            for run in range(max(settings.runs_of(n) for n in settings.sizes)):
                for n in (size for size in settings.sizes if run < settings.runs_of(size)):
                    order = PROTOCOLS if run % 2 == 0 else PROTOCOLS[::-1]
                    for protocol in order:
                        await _scenario(
                            dev_host.url,
                            settings,
                            results,
                            lambda pool, p, size: sequential(pool, counters, p, size),
                            results.sequential,
                            protocol,
                            n,
                        )
                        await _scenario(
                            dev_host.url,
                            settings,
                            results,
                            lambda pool, p, size: burst(pool, counters, p, size),
                            results.bursts,
                            protocol,
                            n,
                        )
                    await _scenario(
                        dev_host.url,
                        settings,
                        results,
                        lambda pool, _p, size: burst(pool, counters, SITE, size, host_first=False),
                        results.elections,
                        SITE,
                        n,
                    )
                if run >= settings.runs:
                    continue
                floods: dict = {}
                await _scenario(
                    dev_host.url,
                    settings,
                    results,
                    lambda pool, _p, _n: flood(pool, counters, settings.flood_messages),
                    floods,
                    SITE,
                    2,
                )
                results.floods += floods.get((SITE, 2), [])
            longs: dict = {}
            await _scenario(
                dev_host.url,
                settings,
                results,
                lambda pool, _p, _n: long_session(pool, counters, settings.long_streams),
                longs,
                SITE,
                3,
                word_interval_ms=0,
            )
            results.long_sessions += longs.get((SITE, 3), [])
    return results


MAX_MESSAGE_BYTES = 65536  # Ably's default limit per message (and the emulator's)
EXTRAPOLATE_TO = 1000


def _runs(results: Results, protocol: str, n: int) -> list[SequentialResult]:
    return [run for run in results.sequential.get((protocol, n), []) if not run.failures]


def _bursts(store: Mapping[tuple[str, int], Sequence[BurstResult]], protocol: str, n: int) -> list[BurstResult]:
    return [b for b in store.get((protocol, n), []) if not b.failures]


def _session_cost(run: SequentialResult):
    return run.join_cost + run.stream_cost


def _spread(values) -> Spread:
    return Spread.of(list(values))


def _ms(value: float) -> str:
    return "n/a" if value != value else f"{value:,.0f}" if value >= 10 else f"{value:.1f}"


def _pooled(runs: list[SequentialResult], field_name: str, pct: float) -> float:
    """A percentile over every join of every run: small sessions have few joins per run."""
    return percentile((ms for run in runs for ms in getattr(run, field_name)), pct)


def _fit(points: list[tuple[int, float]]) -> tuple[float, float]:
    """Least-squares line (intercept, slope) through (N, bytes)."""
    if len(points) < 2:
        return (points[0][1] if points else 0.0), 0.0
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    var = sum((x - mean_x) ** 2 for x, _ in points)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / var if var else 0.0
    return mean_y - slope * mean_x, slope


def cost_lines(results: Results, settings: SessionSettings) -> list[str]:
    lines = [
        "| N | deliveries: site | tutorial | ÷ | MB delivered: site | tutorial | ÷ "
        "| largest message B: site | tutorial |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n in settings.sizes:
        site, tutorial = _runs(results, SITE, n), _runs(results, TUTORIAL, n)
        d = [_spread(_session_cost(run).deliveries for run in runs).median for runs in (site, tutorial)]
        b = [_spread(_session_cost(run).bytes_out / 1e6 for run in runs).median for runs in (site, tutorial)]
        m = [_spread(_session_cost(run).max_message for run in runs).median for runs in (site, tutorial)]
        lines.append(
            f"| {n} | {d[0]:,.0f} | {d[1]:,.0f} | {ratio(*d)} | {b[0]:,.2f} | {b[1]:,.2f} | {ratio(*b)} "
            f"| {m[0]:,.0f} | {m[1]:,.0f} |"
        )
    return lines


def limit_line(results: Results, settings: SessionSettings) -> str:
    """Where each protocol's largest message (a line through every run's) passes Ably's 64 KiB."""
    parts = []
    for protocol in PROTOCOLS:
        points = [(n, float(_session_cost(r).max_message)) for n in settings.sizes for r in _runs(results, protocol, n)]
        intercept, slope = _fit(points)
        at = f"passes 64 KiB near N = {(MAX_MESSAGE_BYTES - intercept) / slope:,.0f}" if slope > 0.5 else "never grows"
        parts.append(f"{protocol}: {slope:,.1f} B per extra peer, {at}")
    return "Largest message against N, a least-squares line through every run: " + "; ".join(parts) + "."


def speed_lines(results: Results, settings: SessionSettings) -> list[str]:
    lines = [
        "| N | join p50 ms: site | tutorial | ÷ | join p99 ms: site | tutorial | ÷ "
        "| burst converged ms: site | tutorial | ÷ | all N at once (site) ms |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n in settings.sizes:
        site, tutorial = _runs(results, SITE, n), _runs(results, TUTORIAL, n)
        cells = []
        for pct in (50, 99):
            pair = [_pooled(runs, "join_ms", pct) for runs in (site, tutorial)]
            cells.append(f"{_ms(pair[0])} | {_ms(pair[1])} | {ratio(*pair)}")
        bursts = [
            _spread(b.converged_ms for b in _bursts(results.bursts, protocol, n) if b.converged_ms is not None).median
            for protocol in PROTOCOLS
        ]
        election = _spread(b.converged_ms for b in _bursts(results.elections, SITE, n) if b.converged_ms is not None)
        lines.append(
            f"| {n} | {' | '.join(cells)} | {_ms(bursts[0])} | {_ms(bursts[1])} | {ratio(*bursts)} "
            f"| {_ms(election.median)} |"
        )
    return lines


def phase_lines(results: Results, settings: SessionSettings) -> list[str]:
    lines = [
        "| N | protocol | start → connected p50 ms | connected → in every roster p50 ms "
        "| word latency p50 ms | p99 ms |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for n in settings.sizes:
        for protocol in PROTOCOLS:
            runs = _runs(results, protocol, n)
            connect = _pooled(runs, "connect_ms", 50)
            rest = percentile((j - c for run in runs for j, c in zip(run.join_ms, run.connect_ms, strict=True)), 50)
            words = [_pooled(runs, "word_latency_ms", pct) for pct in (50, 99)]
            lines.append(f"| {n} | {protocol} | {_ms(connect)} | {_ms(rest)} | {_ms(words[0])} | {_ms(words[1])} |")
    return lines


def cpu_lines(results: Results, settings: SessionSettings) -> list[str]:
    lines = [
        "| N | burst: peers' CPU per join ms, site | tutorial | ÷ | burst deliveries: site | tutorial |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for n in settings.sizes:
        bursts = [_bursts(results.bursts, protocol, n) for protocol in PROTOCOLS]
        cpu = [_spread(b.cpu.peers / n * 1000 for b in runs).median for runs in bursts]
        deliveries = [_spread(b.cost.deliveries for b in runs).median for runs in bursts]
        lines.append(
            f"| {n} | {cpu[0]:.1f} | {cpu[1]:.1f} | {ratio(*cpu)} | {deliveries[0]:,.0f} | {deliveries[1]:,.0f} |"
        )
    return lines


def migration_lines(results: Results, settings: SessionSettings) -> list[str]:
    lines = [
        "| N | host leaves: new host everywhere ms | all re-acknowledged ms | host crashes: new host everywhere ms "
        "| all re-acknowledged ms |",
        "|---:|---:|---:|---:|---:|",
    ]
    for n in settings.sizes:
        moves = [(run.leave, run.crash) for run in _runs(results, SITE, n) if run.leave and run.crash]
        if moves:
            cells = [
                _ms(_spread(getattr(move[which], part) for move in moves if getattr(move[which], part)).median)
                for which in (0, 1)
                for part in ("elected_ms", "acknowledged_ms")
            ]
            lines.append(f"| {n} | {' | '.join(cells)} |")
    return lines


def abuse_lines(results: Results, settings: SessionSettings) -> list[str]:
    floods = [f.snapshots for f in results.floods if not f.failures and f.snapshots is not None]
    longs = [s.max_message for s in results.long_sessions if not s.failures and s.max_message is not None]
    return [
        "| measure (site) | value | bound |",
        "|---|---:|---:|",
        f"| snapshots the host sends back for {settings.flood_messages} `connected` from one player at once "
        f"| {_spread(floods).format('.0f') if floods else 'n/a'} | a handful |",
        f"| largest message after {settings.long_streams:,} streams, a newcomer's snapshot included "
        f"| {_spread(longs).format(',.0f') if longs else 'n/a'} B | 1,024 B |",
    ]


def failure_lines(results: Results) -> list[str]:
    stores: dict[str, Mapping[tuple[str, int], Sequence[SequentialResult | BurstResult]]] = {
        "sequential": results.sequential,
        "burst": results.bursts,
        "election": results.elections,
    }
    lines = [
        f"* {label} {protocol} N={n} run {number}: {failure}"
        for label, store in stores.items()
        for (protocol, n), runs in store.items()
        for number, run in enumerate(runs, 1)
        for failure in run.failures
    ]
    lines += [f"* flood: {failure}" for run in results.floods for failure in run.failures]
    lines += [f"* long session: {failure}" for run in results.long_sessions for failure in run.failures]
    return lines + [f"* peer error: {error}" for error in results.errors[:20]]


def report(results: Results, settings: SessionSettings) -> str:
    runs = f"{settings.small_runs} runs up to N = {SMALL_SESSION}, {settings.runs} above"
    lines = [
        "**site** = the site's classes (`P2PSession`); **tutorial** = the tutorial's protocol (bench/tutorial/). Both "
        "run the pinned ably-js in Node workers against the emulator, fetching tokens over HTTP from the same dev "
        f"host's `/api/createTokenRequest`; {runs}; ÷ = site / tutorial (below 1: the site wins).",
        "",
        "### Cost per session (N joins one after another, then the phrase)",
        "",
        *cost_lines(results, settings),
        "",
        "Deliveries as Ably bills them (presence events and echoes included, presence SYNC members not); "
        + limit_line(results, settings),
        "",
        "### Speed",
        "",
        *speed_lines(results, settings),
        "",
        "Join: from start() until every peer lists the joiner and it lists everyone and holds the host's state, over "
        "every join of every run; burst: a host, then N − 1 at once, until every roster is complete and one host is "
        "agreed (median run); all N at once: the site's election, nobody hosting first.",
        "",
        "### Where a join's time goes",
        "",
        *phase_lines(results, settings),
        "",
        "Connected: the token fetched over HTTP and the WebSocket open, the same for both; the rest is the protocol. "
        "The site's peer attaches its channels and enters presence together and asks the host as soon as the roster "
        "is read, and a host does not ask itself: one round trip after connecting where it used to wait for three "
        "in turn (before this change, a burst of 10 converged in 3.05× the tutorial's time, join p99 1.78×).",
        "",
        *cpu_lines(results, settings),
        "",
        "All peers share this machine's two cores, so at large N times measure CPU more than the network.",
        "",
        "### Host migration (site only: the tutorial's session dies with its host)",
        "",
        *migration_lines(results, settings),
        "",
        f"A crashed host is noticed by presence timeout (`--presence-leave-timeout {settings.presence_leave_timeout:g}`"
        f" here; Ably's 15 s adds about {15 - settings.presence_leave_timeout:g} s).",
        "",
        "### Bounded under abuse (site only)",
        "",
        *abuse_lines(results, settings),
        "",
        "The host answers one clientId at most once a second; the snapshot holds the current phrase only.",
    ]
    failures = failure_lines(results)
    if failures:
        lines += ["", "### Failures and peer errors", "", *failures]
    return "\n".join(lines)


def run(options: RunOptions) -> Section:
    settings = QUICK if options.quick else SessionSettings()
    results = asyncio.run(measure(settings))
    return Section(
        title="Session cost and speed: the site's protocol vs the tutorial's", body=report(results, settings)
    )
