"""Session benchmark: what one session costs (deliveries, publishes, bytes, largest message) and how fast it
converges, for the site's protocol (``P2PSession``) beside the tutorial's (bench/tutorial/), N = 10, 50, 200.

The emulator runs in its own process with a short presence timeout (so a crashed host is noticed quickly; the
report names it), the dev host in another (it issues the site's tokens and client config), and the peers in
Node worker processes. Sizes and protocols alternate inside each run, so drift on the machine affects all.
"""

import asyncio
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import aiohttp

from bench import plots
from bench.processes import running
from bench.report import RunOptions, Section
from bench.session_peers import PeerPool
from bench.session_scenarios import (
    SITE,
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


SMALL_SESSION = 10  # two to ten friends: the common case, measured with more runs since each is quick


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
    emulator_cmd = [
        "emulator",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--key",
        BENCH_KEY,
        "--presence-leave-timeout",
        str(settings.presence_leave_timeout),
    ]
    async with running(emulator_cmd, r"Ably emulator listening on (http://\S+)") as emulator:
        env = {name: value for name, value in os.environ.items() if not name.startswith("ABLY_")}
        env.update(ABLY_API_KEY=BENCH_KEY, ABLY_ENDPOINT_URL=emulator.url)
        async with (
            running(["devserver", "--port", "0"], r"Open (http://\S+?)/?\s*$", env=env) as dev_host,
            aiohttp.ClientSession() as http,
        ):
            counters = EmulatorCounters(http, emulator)
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


def _session_cost(run: SequentialResult):
    return run.join_cost + run.stream_cost


def _spread(values) -> Spread:
    return Spread.of(list(values))


def _fit(points: list[tuple[int, float]]) -> tuple[float, float]:
    """Least-squares line (intercept, slope) through (N, bytes)."""
    if len(points) < 2:
        return (points[0][1] if points else 0.0), 0.0
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    var = sum((x - mean_x) ** 2 for x, _ in points)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / var if var else 0.0
    return mean_y - slope * mean_x, slope


def _ms(spread: Spread) -> str:
    return spread.format(".0f") if spread.median >= 10 else spread.format(".1f")


def cost_table(results: Results, settings: SessionSettings) -> tuple[list[str], dict]:
    lines = [
        "| N | protocol | deliveries | publishes | MB delivered | largest message B | deliveries per join "
        "| KB per join |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    medians = {}
    for n in settings.sizes:
        for protocol in PROTOCOLS:
            runs = _runs(results, protocol, n)
            if not runs:
                lines.append(f"| {n} | {protocol} | failed | | | | | |")
                continue
            deliveries = _spread(_session_cost(run).deliveries for run in runs)
            bytes_out = _spread(_session_cost(run).bytes_out / 1e6 for run in runs)
            medians[(protocol, n)] = (deliveries.median, bytes_out.median)
            lines.append(
                f"| {n} | {protocol} | {deliveries.format(',.0f')} "
                f"| {_spread(_session_cost(run).publishes for run in runs).format(',.0f')} "
                f"| {bytes_out.format(',.2f')} "
                f"| {_spread(_session_cost(run).max_message for run in runs).format(',.0f')} "
                f"| {_spread(run.join_cost.deliveries / n for run in runs).format(',.1f')} "
                f"| {_spread(run.join_cost.bytes_out / n / 1e3 for run in runs).format(',.1f')} |"
            )
    return lines, medians


def ratio_lines(medians: dict, settings: SessionSettings) -> list[str]:
    lines = ["| N | deliveries, site / tutorial | bytes, site / tutorial |", "|---:|---:|---:|"]
    for n in settings.sizes:
        if (SITE, n) in medians and (TUTORIAL, n) in medians:
            (site_d, site_b), (tut_d, tut_b) = medians[(SITE, n)], medians[(TUTORIAL, n)]
            lines.append(f"| {n} | {ratio(site_d, tut_d)} | {ratio(site_b, tut_b)} |")
    return lines


def goal_sentence(medians: dict, settings: SessionSettings) -> str:
    n = max(settings.sizes)
    if (SITE, n) not in medians or (TUTORIAL, n) not in medians:
        return f"**Goal at N = {n}: not measured** (a run failed; see below)."
    (site_d, site_b), (tut_d, tut_b) = medians[(SITE, n)], medians[(TUTORIAL, n)]
    d_ok, b_ok = site_d <= 0.5 * tut_d, site_b <= 0.05 * tut_b
    verdict = "met" if d_ok and b_ok else "NOT met"
    return (
        f"**Goal at N = {n} (≤ 0.5× the tutorial's deliveries and ≤ 0.05× its bytes): {verdict}** — "
        f"deliveries {site_d / tut_d:.3f}× ({'met' if d_ok else 'missed'}), "
        f"bytes {site_b / tut_b:.4f}× ({'met' if b_ok else 'missed'}). Were every presence member synced to an "
        f"attaching peer billed too (see below), deliveries would be {(site_d + n * (n - 1) / 2) / tut_d:.3f}×."
    )


def breakdown_sentence(results: Results, settings: SessionSettings) -> str:
    """Account for the join phase's deliveries at the largest N with the protocols' own arithmetic."""
    n = max(settings.sizes)
    site, tutorial = _runs(results, SITE, n), _runs(results, TUTORIAL, n)
    if not site or not tutorial:
        return ""
    triangle = n * (n + 1) // 2
    site_joins = _spread(run.join_cost.deliveries for run in site).median
    tutorial_joins = _spread(run.join_cost.deliveries for run in tutorial).median
    return (
        f"Where the join phase's deliveries come from at N = {n}: site {site_joins:,.0f} = presence enters "
        f"N(N+1)/2 = {triangle:,} (each joiner's enter reaches everyone present, itself included) + 2N = {2 * n:,} "
        f"(its `connected` to the host's inbox and the snapshot to its own) + {site_joins - triangle - 2 * n:,.0f} "
        f"other; tutorial {tutorial_joins:,.0f} = 3 broadcasts per join × N(N+1)/2 = {3 * triangle:,} "
        f"(`connected`, `connection-acknowledged`, `peer-status`, each to everyone present) + "
        f"{tutorial_joins - 3 * triangle:,.0f} replayed by rewind to joiners (up to 100 each)."
    )


def largest_message_lines(results: Results, settings: SessionSettings) -> tuple[list[str], dict]:
    lines = [
        "| protocol | bytes per extra peer | at N = 1,000 (extrapolated) | passes 64 KiB at N ≈ |",
        "|---|---:|---:|---:|",
    ]
    fits = {}
    for protocol in PROTOCOLS:
        points = [
            (n, float(_session_cost(run).max_message)) for n in settings.sizes for run in _runs(results, protocol, n)
        ]
        if not points:
            continue
        intercept, slope = fits[protocol] = _fit(points)
        at_limit = f"{(MAX_MESSAGE_BYTES - intercept) / slope:,.0f}" if slope > 0.5 else "never (no growth with N)"
        lines.append(f"| {protocol} | {slope:,.1f} | {intercept + slope * EXTRAPOLATE_TO:,.0f} B | {at_limit} |")
    return lines, fits


def speed_lines(results: Results, settings: SessionSettings) -> list[str]:
    lines = [
        "| N | protocol | join → in every roster p50 ms | p99 ms | word latency p50 ms | p99 ms "
        "| burst of N joins: converged ms | all acknowledged ms | hosts at the end |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n in settings.sizes:
        for protocol in PROTOCOLS:
            runs = _runs(results, protocol, n)
            bursts = [b for b in results.bursts.get((protocol, n), []) if not b.failures]
            join_p50 = _spread(percentile(run.join_ms, 50) for run in runs)
            join_p99 = _spread(percentile(run.join_ms, 99) for run in runs)
            word_p50 = _spread(percentile(run.word_latency_ms, 50) for run in runs)
            word_p99 = _spread(percentile(run.word_latency_ms, 99) for run in runs)
            converged = _spread(b.converged_ms for b in bursts if b.converged_ms is not None)
            acknowledged = _spread(b.acknowledged_ms for b in bursts if b.acknowledged_ms is not None)
            hosts = ", ".join(str(b.hosts) for b in bursts) or "n/a"
            lines.append(
                f"| {n} | {protocol} | {_ms(join_p50)} | {_ms(join_p99)} | {_ms(word_p50)} | {_ms(word_p99)} "
                f"| {_ms(converged)} | {_ms(acknowledged)} | {hosts} |"
            )
    return lines


def cpu_lines(results: Results, settings: SessionSettings) -> list[str]:
    lines = [
        "| N | protocol | sequential joins: peers CPU s | emulator CPU s | burst: peers CPU s | emulator CPU s |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for n in settings.sizes:
        for protocol in PROTOCOLS:
            runs = _runs(results, protocol, n)
            bursts = [b for b in results.bursts.get((protocol, n), []) if not b.failures]
            lines.append(
                f"| {n} | {protocol} | {_spread(run.join_cpu.peers for run in runs).format('.1f')} "
                f"| {_spread(run.join_cpu.emulator for run in runs).format('.1f')} "
                f"| {_spread(b.cpu.peers for b in bursts).format('.1f')} "
                f"| {_spread(b.cpu.emulator for b in bursts).format('.1f')} |"
            )
    return lines


def _bursts(results: Results, protocol: str, n: int) -> list[BurstResult]:
    return [b for b in results.bursts.get((protocol, n), []) if not b.failures]


def burst_lines(results: Results, settings: SessionSettings) -> list[str]:
    lines = [
        "| N | protocol | converged ms | ÷ tutorial | all acknowledged ms | deliveries | MB delivered "
        "| peers' CPU per join ms |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for n in settings.sizes:
        tutorial = _spread(b.converged_ms for b in _bursts(results, TUTORIAL, n) if b.converged_ms is not None)
        for protocol in PROTOCOLS:
            bursts = _bursts(results, protocol, n)
            converged = _spread(b.converged_ms for b in bursts if b.converged_ms is not None)
            acknowledged = _spread(b.acknowledged_ms for b in bursts if b.acknowledged_ms is not None)
            lines.append(
                f"| {n} | {protocol} | {_ms(converged)} | {ratio(converged.median, tutorial.median)} "
                f"| {_ms(acknowledged)} | {_spread(b.cost.deliveries for b in bursts).format(',.0f')} "
                f"| {_spread(b.cost.bytes_out / 1e6 for b in bursts).format('.2f')} "
                f"| {_spread(b.cpu.peers / n * 1000 for b in bursts).format('.1f')} |"
            )
    return lines


def burst_sentence(results: Results, settings: SessionSettings) -> str:
    n = max(settings.sizes)
    site = _spread(b.converged_ms for b in _bursts(results, SITE, n) if b.converged_ms is not None)
    tutorial = _spread(b.converged_ms for b in _bursts(results, TUTORIAL, n) if b.converged_ms is not None)
    return (
        f"A burst of {n} joins converges to one agreed host in {_ms(site)} ms for the site, "
        f"{ratio(site.median, tutorial.median)} the tutorial's {_ms(tutorial)} ms in the same run (the goal: at most "
        "1.0×). Converged: every peer lists everyone and (site) all name the same host. Peers' CPU per join: the "
        "CPU all peers used during the burst over N, i.e. what one join costs the whole room. Each site peer reads "
        "the presence set once when it connects and then applies each presence event to its roster by binary search "
        "(site/p2p.roster.js `Roster`), merging words in place; the tutorial's peers copy the roster each message "
        "carries."
    )


def abuse_lines(results: Results, settings: SessionSettings) -> list[str]:
    floods = [f for f in results.floods if not f.failures and f.snapshots is not None]
    longs = [s for s in results.long_sessions if not s.failures and s.max_message is not None]
    flood_cell = _spread(f.snapshots for f in floods).format(".0f") if floods else "n/a"
    long_cell = _spread(s.max_message for s in longs).format(",.0f") if longs else "n/a"
    words = longs[0].words if longs else 0
    return [
        "| measure (site) | value | bound |",
        "|---|---:|---:|",
        f"| {settings.flood_messages} `connected` from one player at once: snapshots the host sent back "
        f"| {flood_cell} | a handful |",
        f"| largest message in a session of {settings.long_streams:,} streams ({words:,} words), the snapshot a "
        f"newcomer then gets included | {long_cell} B | 1,024 B |",
    ]


def cpu_sentence(results: Results, settings: SessionSettings) -> str:
    n = max(settings.sizes)
    site = [b.cpu.peers for b in results.bursts.get((SITE, n), []) if not b.failures]
    tutorial = [b.cpu.peers for b in results.bursts.get((TUTORIAL, n), []) if not b.failures]
    text = (
        "All peers share this machine's cores, so at large N the join, burst and word times measure how fast the "
        "peers together get CPU rather than the network; in a real session each peer has a device of its own."
    )
    if site and tutorial:
        site_cpu, tutorial_cpu = _spread(site).median, _spread(tutorial).median
        per_peer = site_cpu / n * 1000
        text += (
            f" In the burst of {n}, the site's peers used {site_cpu:.1f} s of CPU together ({per_peer:.0f} ms each), "
            f"the tutorial's {tutorial_cpu:.1f} s ({ratio(site_cpu, tutorial_cpu)}). A site peer applies each "
            "presence event to its roster (one player moved, found by binary search) instead of re-reading and "
            "re-sorting the whole set; the tutorial's peers copy the roster every message carries."
        )
    return text


def migration_lines(results: Results, settings: SessionSettings) -> list[str]:
    lines = [
        "| N | host leaves cleanly: new host everywhere ms | everyone re-acknowledged ms | deliveries "
        "| host crashes: new host everywhere ms | everyone re-acknowledged ms | deliveries |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n in settings.sizes:
        migrations = [(run.leave, run.crash) for run in _runs(results, SITE, n) if run.leave and run.crash]
        if not migrations:
            lines.append(f"| {n} | n/a | | | n/a | | |")
            continue

        def cell(values):
            return _ms(_spread(value for value in values if value is not None))

        lines.append(
            f"| {n} | {cell(leave.elected_ms for leave, _ in migrations)} "
            f"| {cell(leave.acknowledged_ms for leave, _ in migrations)} "
            f"| {_spread(leave.cost.deliveries for leave, _ in migrations).format(',.0f')} "
            f"| {cell(crash.elected_ms for _, crash in migrations)} "
            f"| {cell(crash.acknowledged_ms for _, crash in migrations)} "
            f"| {_spread(crash.cost.deliveries for _, crash in migrations).format(',.0f')} |"
        )
    return lines


def _run_failures(label: str, store: Mapping[tuple[str, int], Sequence[SequentialResult | BurstResult]]) -> list[str]:
    return [
        f"* {label} {protocol} N={n} run {number}: {failure}"
        for (protocol, n), runs in store.items()
        for number, run in enumerate(runs, 1)
        for failure in run.failures
    ]


def failure_lines(results: Results) -> list[str]:
    lines = _run_failures("sequential", results.sequential) + _run_failures("burst", results.bursts)
    lines += [f"* flood: {failure}" for run in results.floods for failure in run.failures]
    lines += [f"* long session: {failure}" for run in results.long_sessions for failure in run.failures]
    lines += [f"* peer error: {error}" for error in results.errors[:20]]
    return lines


def plot(results: Results, settings: SessionSettings, fits: dict, out_dir) -> list[str]:
    colors = {SITE: "#4c72b0", TUTORIAL: "#dd8452"}
    fig, (deliveries, volume) = plots.panels(2, 11.0, 3.8)
    for protocol in PROTOCOLS:
        sizes = [n for n in settings.sizes if _runs(results, protocol, n)]
        deliveries.plot(
            sizes,
            [_spread(_session_cost(r).deliveries for r in _runs(results, protocol, n)).median for n in sizes],
            "o-",
            color=colors[protocol],
            label=protocol,
        )
        volume.plot(
            sizes,
            [_spread(_session_cost(r).bytes_out / 1e6 for r in _runs(results, protocol, n)).median for n in sizes],
            "o-",
            color=colors[protocol],
            label=protocol,
        )
    for axes, label in ((deliveries, "deliveries per session"), (volume, "MB delivered per session")):
        axes.set_xscale("log")
        axes.set_yscale("log")
        axes.set_xlabel("peers N (join one after another, then the words)")
        axes.set_ylabel(label)
        axes.legend()
    fig.suptitle("Session cost (emulator billing counters, median of runs)", fontsize=10)
    cost_image = plots.save(fig, out_dir, "session-cost.png")

    fig, axes = plots.figure(7.0, 4.0)
    for protocol, (intercept, slope) in fits.items():
        points = [(n, _session_cost(run).max_message) for n in settings.sizes for run in _runs(results, protocol, n)]
        axes.scatter(
            [x for x, _ in points],
            [y / 1024 for _, y in points],
            color=colors[protocol],
            label=f"{protocol} (measured)",
        )
        xs = [0, EXTRAPOLATE_TO]
        axes.plot(
            xs,
            [(intercept + slope * x) / 1024 for x in xs],
            "--",
            color=colors[protocol],
            label=f"{protocol} (fit, extrapolated)",
        )
    axes.axhline(MAX_MESSAGE_BYTES / 1024, color="red", linewidth=1, label="Ably's 64 KiB message limit")
    axes.set_xlabel("peers N")
    axes.set_ylabel("largest message (KiB)")
    axes.set_title("Largest message vs N")
    axes.legend(fontsize=8)
    size_image = plots.save(fig, out_dir, "session-largest-message.png")

    fig, (join, words, bursts) = plots.panels(3, 13.0, 3.6)
    for protocol in PROTOCOLS:
        sizes = [n for n in settings.sizes if _runs(results, protocol, n)]
        for pct, style in ((50, "o-"), (99, "s--")):
            join.plot(
                sizes,
                [_spread(percentile(r.join_ms, pct) for r in _runs(results, protocol, n)).median for n in sizes],
                style,
                color=colors[protocol],
                label=f"{protocol} p{pct}",
            )
            words.plot(
                sizes,
                [
                    _spread(percentile(r.word_latency_ms, pct) for r in _runs(results, protocol, n)).median
                    for n in sizes
                ],
                style,
                color=colors[protocol],
                label=f"{protocol} p{pct}",
            )
        burst_sizes = [n for n in settings.sizes if any(b.converged_ms for b in results.bursts.get((protocol, n), []))]
        bursts.plot(
            burst_sizes,
            [
                _spread(b.converged_ms for b in results.bursts[(protocol, n)] if b.converged_ms).median
                for n in burst_sizes
            ],
            "o-",
            color=colors[protocol],
            label=protocol,
        )
    for axes, label in (
        (join, "join → in every roster (ms)"),
        (words, "word: host → every peer (ms)"),
        (bursts, "burst of N joins converged (ms)"),
    ):
        axes.set_xscale("log")
        axes.set_xlabel("peers N")
        axes.set_ylabel(label)
        axes.legend(fontsize=7)
    fig.suptitle("Session speed (median of runs)", fontsize=10)
    speed_image = plots.save(fig, out_dir, "session-speed.png")
    return [cost_image, size_image, speed_image]


def _words(results: Results) -> str:
    counts = {run.words for runs in results.sequential.values() for run in runs if run.words}
    return "/".join(str(count) for count in sorted(counts)) or "?"


def report(results: Results, settings: SessionSettings, images: list[str]) -> str:
    cost, medians = cost_table(results, settings)
    sizes, _ = largest_message_lines(results, settings)
    sync_note = ", ".join(f"N = {n}: {n * (n - 1) // 2:,}" for n in settings.sizes)
    lines = [
        f"N peers join one session one after another (each waits until it is in every roster and holds the "
        f"host's state), then the host streams the {_words(results)}-word phrase, one word per "
        f"{settings.word_interval_ms} ms. **site** = the site's own P2P classes "
        "(`P2PSession`, site/p2p.session.js) with tokens from the dev host's `/api/createTokenRequest`; **tutorial** = "
        "the tutorial's protocol re-implemented in bench/tutorial/ (one channel with rewind 1m, `connected` broadcast, "
        "the whole roster in a targeted `connection-acknowledged` and a broadcast `peer-status`, and in every `word`). "
        f"Both run with the pinned ably-js in Node worker processes (up to 25 peers each) against the emulator. "
        f"{settings.runs} runs; median (lowest–highest).",
        "",
        goal_sentence(medians, settings),
        "",
        "### Cost per session (join phase + word stream)",
        "",
        *cost,
        "",
        *ratio_lines(medians, settings),
        "",
        breakdown_sentence(results, settings),
        "",
        "Deliveries = messages + presence events delivered to subscribers (including the echo to the sender and "
        "messages replayed by rewind), as Ably bills them; MB delivered = bytes of the frames the emulator sent on "
        "the session's channels. Not counted as deliveries: the presence members in the SYNC a peer receives when it "
        "attaches (the emulator does not count them; Ably's message-counting table lists no such item). Their bytes "
        "are in the byte counts. Were each synced member billed, the site's sequential join phase would cost "
        f"N(N−1)/2 more deliveries ({sync_note}).",
        "",
        f"![Session cost]({images[0]})",
        "",
        "### Largest message vs N",
        "",
        *sizes,
        "",
        "A least-squares line through every run's largest message. The tutorial's roster messages grow with every "
        "peer, and Ably refuses messages over 64 KiB, so its sessions stop admitting peers near the N in the last "
        "column; the site's largest message does not depend on N (no message carries the roster).",
        "",
        f"![Largest message]({images[1]})",
        "",
        "### Speed",
        "",
        *speed_lines(results, settings),
        "",
        "Join → in every roster: from the joiner calling `start()` (the tutorial: its Join) until the last peer, "
        "the joiner included, lists it and it lists everyone. Word latency: from the host publishing a word until "
        "it is visible to a peer, over every word × every peer. Burst: N peers call start() at once (the tutorial's "
        "host first, since it has no election), until every roster is complete and (site) all name the same host. "
        "The site's peers fetch a token over HTTP from the dev host on each join; the tutorial's peers sign theirs "
        "in-process (its token function is not part of the protocol), which flatters the baseline's join times.",
        "",
        "#### Burst of N joins",
        "",
        *burst_lines(results, settings),
        "",
        burst_sentence(results, settings),
        "",
        "#### Where the time goes: CPU",
        "",
        *cpu_lines(results, settings),
        "",
        cpu_sentence(results, settings),
        "",
        "#### Host migration (site only)",
        "",
        *migration_lines(results, settings),
        "",
        "The tutorial has **no host migration**: when its host leaves, nobody answers `connected` any more and "
        "the session is dead, so there is nothing to compare. Clean leave: the host calls `close()`; time from then "
        "until every remaining peer names the next joiner as host, and until each holds the new host's snapshot "
        "again. Crash: the host's Node process is killed (SIGKILL), so no presence leave is sent; the emulator "
        f"runs with `--presence-leave-timeout {settings.presence_leave_timeout:g}` (Ably: 15 s), and that timeout "
        "dominates the crash column. With Ably's 15 s, expect about "
        f"{15 - settings.presence_leave_timeout:g} s more.",
        "",
        f"![Session speed]({images[2]})",
        "",
        "### Bounded and cheap to abuse (site only)",
        "",
        *abuse_lines(results, settings),
        "",
        "Flood: a guest publishes the `connected` messages to the host's inbox at once; the host answers one "
        "clientId at most once a second, repeats sharing one answer at the end of that second, and the count is "
        "the `connection-acknowledged` messages published to the guest's inbox until "
        "1.5 s after the flood was accepted. Long session: the host streams the phrase back to back (no pause "
        "between words), then a newcomer joins and gets its snapshot, which holds the current phrase only; the "
        "largest message is the emulator's largest on the session's channels over the streams and the join.",
    ]
    failures = failure_lines(results)
    if failures:
        lines += ["", "### Failures and peer errors", "", *failures]
    return "\n".join(lines)


def run(options: RunOptions) -> Section:
    settings = QUICK if options.quick else SessionSettings()
    results = asyncio.run(measure(settings))
    _, fits = largest_message_lines(results, settings)
    images = plot(results, settings, fits, options.out_dir)
    return Section(
        title="Session cost and speed: the site's protocol vs the tutorial's",
        body=report(results, settings, images),
        plots=images,
    )
