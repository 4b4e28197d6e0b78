"""Fan-out benchmark: 1 publisher → N subscribers on one channel, JSON, through the emulator and through a bare
aiohttp broadcaster (the practical limit), measured in the same run.

Each run has two phases per server:

* throughput: publish as fast as the subscribers keep up, with at most ``window`` messages not yet delivered to
  every subscriber; reports deliveries per second (one delivery = one message reaching one subscriber);
* latency: publish at a steady ``latency_rate`` well below saturation; reports p50/p99 publish→receive latency
  over every delivery (publisher and subscribers share this process's monotonic clock).

Runs alternate between the two servers so that drift on the machine affects both; the report gives medians over
the runs and their spread (min–max). Both servers run in their own processes; this process is the load.
"""

import asyncio
import contextlib
import statistics
import time
from dataclasses import dataclass

import aiohttp

from bench import plots
from bench.fanout_clients import BENCH_KEY, BroadcastTarget, EmulatorTarget, Phase, Target
from bench.processes import running
from bench.report import RunOptions, Section

PHASE_TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True)
class FanoutSettings:
    subscribers: int = 100
    throughput_messages: int = 1000
    window: int = 20
    latency_messages: int = 200
    latency_rate: float = 100.0
    runs: int = 5
    payload_bytes: int = 200


QUICK = FanoutSettings(subscribers=10, throughput_messages=100, latency_messages=20, runs=1)


@dataclass
class RunResult:
    deliveries_per_second: float
    p50_ms: float
    p99_ms: float
    lost: int
    server_cpu: float | None
    load_cpu: float


async def _await_phase(phase: Phase) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(phase.done.wait(), PHASE_TIMEOUT_SECONDS)


@dataclass
class ThroughputResult:
    deliveries_per_second: float
    lost: int
    server_cpu: float | None
    load_cpu: float


async def throughput_phase(target: Target, settings: FanoutSettings, phase_id: int) -> ThroughputResult:
    """Deliveries per second with at most ``window`` messages in flight, how many deliveries never came, and the
    CPU (share of one core) the server and this load generator used meanwhile."""
    phase = target.phase = Phase(phase_id, settings.throughput_messages, settings.subscribers)
    padding = "x" * settings.payload_bytes
    server_cpu_before = target.server.cpu_seconds()
    load_cpu_before = time.process_time()
    started = time.perf_counter_ns()
    for seq in range(settings.throughput_messages):
        while seq - phase.completed >= settings.window:
            phase.progress.clear()
            try:
                await asyncio.wait_for(phase.progress.wait(), PHASE_TIMEOUT_SECONDS)
            except TimeoutError:
                break
        await target.publish(phase_id, seq, padding)
    await _await_phase(phase)
    wall_s = (time.perf_counter_ns() - started) / 1e9
    server_cpu_after = target.server.cpu_seconds()
    server_cpu = None
    if server_cpu_before is not None and server_cpu_after is not None:
        server_cpu = (server_cpu_after - server_cpu_before) / wall_s
    elapsed_s = max(phase.last_receive_ns - started, 1) / 1e9
    expected = settings.throughput_messages * settings.subscribers
    return ThroughputResult(
        deliveries_per_second=phase.received / elapsed_s,
        lost=expected - phase.received,
        server_cpu=server_cpu,
        load_cpu=(time.process_time() - load_cpu_before) / wall_s,
    )


async def latency_phase(target: Target, settings: FanoutSettings, phase_id: int) -> tuple[float, float, int]:
    """p50 and p99 publish→receive latency (ms) at a steady rate, and how many deliveries never came."""
    phase = target.phase = Phase(phase_id, settings.latency_messages, settings.subscribers)
    padding = "x" * settings.payload_bytes
    started = time.perf_counter()
    for seq in range(settings.latency_messages):
        delay = started + seq / settings.latency_rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)  # pacing the publisher, not waiting for a result
        await target.publish(phase_id, seq, padding)
    await _await_phase(phase)
    expected = settings.latency_messages * settings.subscribers
    latencies = sorted(phase.latencies_ns) or [0]
    return _percentile(latencies, 50) / 1e6, _percentile(latencies, 99) / 1e6, expected - phase.received


def _percentile(sorted_values: list[int], percent: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(percent / 100 * len(sorted_values)) - 1))
    return float(sorted_values[index])


async def run_once(target: Target, settings: FanoutSettings, phase_id: int) -> RunResult:
    throughput = await throughput_phase(target, settings, 2 * phase_id)
    p50, p99, lost_latency = await latency_phase(target, settings, 2 * phase_id + 1)
    target.phase = None
    return RunResult(
        deliveries_per_second=throughput.deliveries_per_second,
        p50_ms=p50,
        p99_ms=p99,
        lost=throughput.lost + lost_latency,
        server_cpu=throughput.server_cpu,
        load_cpu=throughput.load_cpu,
    )


async def measure(settings: FanoutSettings) -> dict[str, list[RunResult]]:
    """Start both servers, connect the clients, warm up, then alternate measured runs between the servers."""
    emulator_cmd = ["emulator", "--host", "127.0.0.1", "--port", "0", "--key", BENCH_KEY]
    bare_cmd = ["bench.broadcast_server", "--host", "127.0.0.1", "--port", "0"]
    async with (
        running(emulator_cmd, r"Ably emulator listening on (http://\S+)") as emulator,
        running(bare_cmd, r"Broadcast server listening on (http://\S+)") as bare,
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session,
    ):
        targets: list[Target] = [BroadcastTarget(session, bare), EmulatorTarget(session, emulator)]
        try:
            for target in targets:
                await target.open(settings.subscribers)
            warmup = FanoutSettings(
                subscribers=settings.subscribers,
                throughput_messages=min(100, settings.throughput_messages),
                latency_messages=min(20, settings.latency_messages),
                runs=1,
            )
            phase_id = 0
            for target in targets:
                await run_once(target, warmup, phase_id)
                phase_id += 1
            results: dict[str, list[RunResult]] = {target.name: [] for target in targets}
            for _ in range(settings.runs):
                for target in targets:
                    results[target.name].append(await run_once(target, settings, phase_id))
                    phase_id += 1
            for target in targets:
                if target.errors:
                    raise RuntimeError(f"{target.name} refused publishes: {target.errors[:3]}")
            return results
        finally:
            await asyncio.gather(*(target.close() for target in targets))


def report(results: dict[str, list[RunResult]], settings: FanoutSettings) -> str:
    """The Markdown table: medians over the runs with min–max spread, then the emulator/bare ratio and aims."""
    lines = [
        f"### Fan-out: 1 publisher → {settings.subscribers} subscribers, JSON, "
        f"{settings.payload_bytes}-byte payloads ({settings.runs} runs; median, spread = min–max)",
        "",
        "| server | deliveries/s | spread | p50 latency ms | p99 latency ms | p99 spread | lost | server CPU "
        "| load CPU |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, runs in results.items():
        rates = [run.deliveries_per_second for run in runs]
        p50s = [run.p50_ms for run in runs]
        p99s = [run.p99_ms for run in runs]
        lines.append(
            f"| {name} | {statistics.median(rates):,.0f} | {min(rates):,.0f}–{max(rates):,.0f} "
            f"| {statistics.median(p50s):.2f} | {statistics.median(p99s):.2f} "
            f"| {min(p99s):.2f}–{max(p99s):.2f} | {sum(run.lost for run in runs)} "
            f"| {_cpu(run.server_cpu for run in runs)} | {_cpu(run.load_cpu for run in runs)} |"
        )
    bare = statistics.median(run.deliveries_per_second for run in results[BroadcastTarget.name])
    emulated = statistics.median(run.deliveries_per_second for run in results[EmulatorTarget.name])
    p99 = statistics.median(run.p99_ms for run in results[EmulatorTarget.name])
    lines += [
        "",
        f"Emulator / bare throughput: **{emulated / bare:.2f}** (aim ≥ 0.50). "
        f"Emulator p99 at {settings.latency_rate:g} msg/s × {settings.subscribers} subscribers: "
        f"**{p99:.2f} ms** (aim ≤ 20 ms).",
        "",
        "CPU columns: median share of one core during the throughput phase, for the server process and for this "
        "load generator (all subscribers and the publisher). A load generator near 100% means that row is capped "
        "by the client, not the server.",
    ]
    return "\n".join(lines)


def _cpu(values) -> str:
    known = [value for value in values if value is not None]
    return f"{statistics.median(known):.0%}" if known else "n/a"


def plot(results: dict[str, list[RunResult]], out_dir) -> str:
    """Deliveries per second of every run, per server: the spread at a glance."""
    fig, axes = plots.figure(6.0, 3.2)
    names = list(results)
    for position, name in enumerate(names):
        rates = [run.deliveries_per_second for run in results[name]]
        axes.scatter(rates, [position] * len(rates), s=40, alpha=0.7)
        axes.plot([statistics.median(rates)] * 2, [position - 0.25, position + 0.25], color="black")
    axes.set_yticks(range(len(names)), names)
    axes.set_ylim(-0.6, len(names) - 0.4)
    axes.set_xlim(left=0)
    plots.thousands(axes)
    axes.set_xlabel("deliveries per second (each dot one run, bar = median)")
    axes.set_title("Fan-out: 1 publisher → N subscribers")
    return plots.save(fig, out_dir, "fanout-throughput.png")


def run(options: RunOptions) -> Section:
    """Run the benchmark; return its section of the report (with a plot in ``options.out_dir``)."""
    settings = QUICK if options.quick else FanoutSettings()
    results = asyncio.run(measure(settings))
    image = plot(results, options.out_dir)
    body = report(results, settings) + f"\n\n![Fan-out throughput per run]({image})"
    return Section(title="Emulator fan-out", body=body, plots=[image])
