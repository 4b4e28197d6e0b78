"""Session benchmark: what one session costs and how fast it converges, the site's protocol (``P2PSession``) beside
the tutorial's (bench/tutorial/), from two friends to 200 peers, on the emulator at Ably's rate limits (a short
presence timeout, so a crashed host is noticed quickly) and the dev host (the site's tokens); each run of a scenario
is one Node process (bench/peers/session.mjs) with its peers in worker processes of their own."""

import asyncio
import json
from collections import Counter

from bench.processes import REPO_ROOT, dev_host, emulator
from bench.report import Section, Spread, percentile, ratio, table
from bench.runner import alternating
from emulator.config import EmulatorConfig

KEY = "benchapp.sessionkey:local-bench-secret-not-for-production"
PRESENCE_LEAVE_TIMEOUT, SMALL_SESSION, BINGO_PACE_MS = 2.0, 10, 250  # a friends' session: a process per peer
FULL = {"sizes": (2, 5, 10, 50, 200), "runs": 3, "small_runs": 9, "bingo": (10, 50)}
QUICK = {"sizes": (3,), "runs": 1, "small_runs": 1, "bingo": (3,)}
LIMITS = EmulatorConfig()  # Ably's rate limits are the emulator's defaults
# Peers join no faster than both protocols stay within them: the tutorial's joiner publishes once and its host twice
# per join, all on the session's channel (below Ably's rate of new connections).
JOIN_RATE = min(LIMITS.max_channel_publish_rate / 3, LIMITS.max_new_connection_rate)
SITE, TUTORIAL = "site", "tutorial"
BY_SIZE = {"sequential": (SITE, TUTORIAL), "burst": (SITE, TUTORIAL)}
Target = tuple[str, str, int]  # scenario, protocol, N
PHASES = "N|protocol|start → connected p50 ms|connected → in every roster p50 ms|burst: peers' CPU per joiner ms"
AGAIN = "new host everywhere ms|all re-acknowledged ms"
MIGRATION = f"N|host leaves: {AGAIN}|host crashes: {AGAIN}"


async def measure(settings: dict) -> tuple[dict[Target, list], list[str]]:
    """Every scenario at every size for its protocols, in turn, fresh peers each time; and what went wrong."""
    targets = [(name, p, n) for n in settings["sizes"] for name, protocols in BY_SIZE.items() for p in protocols]
    small = [target for target in targets if target[2] <= SMALL_SESSION]  # a friends' session: more runs
    larger = [target for target in targets if target not in small] + [("bingo", SITE, n) for n in settings["bingo"]]
    errors: list[str] = []

    async with (
        emulator("--key", KEY, "--presence-leave-timeout", str(PRESENCE_LEAVE_TIMEOUT)) as ably,
        dev_host(env={"ABLY_API_KEY": KEY, "ABLY_ENDPOINT_URL": ably.url}) as host,
    ):

        async def once(target: Target) -> dict | None:
            name, protocol, n = target
            run = {"scenario": name, "protocol": protocol, "n": n, "devHostUrl": host.url, "emulatorUrl": ably.url}
            run |= {"smallSession": SMALL_SESSION, "bingoPaceMs": BINGO_PACE_MS, "joinRate": JOIN_RATE}
            node = await asyncio.create_subprocess_exec(
                "node", "bench/peers/session.mjs", json.dumps(run), cwd=REPO_ROOT, stdout=asyncio.subprocess.PIPE
            )
            out = (await node.communicate())[0].decode().strip().splitlines()
            answer: dict = (
                json.loads(out[-1]) if node.returncode == 0 and out else {"sample": None, "errors": ["crashed"]}
            )
            errors.extend(f"{name} {protocol} N={n}: {error}" for error in answer["errors"])
            return answer["sample"]

        samples = await alternating(small, settings["small_runs"], once)  # warmed: the servers' first runs are slow
        return samples | await alternating(larger, settings["runs"], once, warm_up=False), errors


class Figures:
    """The samples, read as the tables read them: medians of runs, or percentiles over every join of every run."""

    def __init__(self, samples: dict[Target, list]) -> None:
        self.samples = samples

    def runs(self, name: str, protocol: str, n: int) -> list[dict]:
        return [run for run in self.samples.get((name, protocol, n), []) if run is not None]

    def spread(self, key: str, name: str, protocol: str, n: int) -> Spread:
        return Spread.of(run.get(key) for run in self.runs(name, protocol, n))

    def pooled(self, key: str, protocol: str, n: int, pct: float) -> float:
        """Small sessions have few joins per run, so percentiles pool every run's."""
        return percentile((value for run in self.runs("sequential", protocol, n) for value in run[key]), pct)

    def refused(self, protocol: str) -> str:
        """What the rate limits refused, by code, over every scenario, size and run."""
        runs = [run for (_, p, _), runs in self.samples.items() if p == protocol for run in runs if run]
        counts = sum((Counter(run["refused"]) for run in runs), Counter[str]())
        return ", ".join(f"{count:,} × {code}" for code, count in sorted(counts.items())) or "none"

    def both(self, key: str, name: str, n: int, spec: str | None = None, pct: float = 0, divide=True) -> list[str]:
        """Site, tutorial and (``divide``) site ÷ tutorial."""
        values = [self.pooled(key, p, n, pct) if pct else self.spread(key, name, p, n).median for p in (SITE, TUTORIAL)]
        return [_format(value, spec) for value in values] + ([ratio(*values)] if divide else [])


def _vs(*labels: str, divide: bool = True) -> list[str]:
    return [cell for label in labels for cell in (f"{label}: site", "tutorial", *["÷"] * divide)]


COST = ["N", *_vs("deliveries"), *_vs("per join", divide=False), *_vs("MB delivered")]
COST += _vs("largest message B", divide=False)
SPEED = ["N", *_vs("join p50 ms", "join p99 ms", "burst converged ms")]
BINGO = ["N", "numbers called", "messages published", "deliveries", "round ms"]
BINGO_KEYS = ("calls", "published", "deliveries", "round_ms")


def report(samples: dict[Target, list], errors: list[str], settings: dict) -> str:
    f, cost, speed, phases, migration = Figures(samples), [], [], [], []
    for n in settings["sizes"]:
        cost.append([n, *f.both("deliveries", "sequential", n, ",.0f")])
        cost[-1] += f.both("join_deliveries", "sequential", n, ",.1f", divide=False)
        cost[-1] += f.both("mb", "sequential", n, ",.2f") + f.both("max_message", "sequential", n, ",.0f", divide=False)
        speed.append([n, *f.both("join_ms", "", n, pct=50), *f.both("join_ms", "", n, pct=99)])
        speed[-1] += f.both("converged_ms", "burst", n)
        for p in (SITE, TUTORIAL):
            phases.append([n, p, *(_format(f.pooled(k, p, n, 50)) for k in ("connect_ms", "protocol_ms"))])
            phases[-1].append(_format(f.spread("cpu_per_joiner_ms", "burst", p, n).median, ".1f"))
        moves = [f"{how}_{what}_ms" for how in ("leave", "crash") for what in ("elected", "acknowledged")]
        if n >= 3:
            migration.append([n, *(_format(f.spread(key, "sequential", SITE, n).median) for key in moves)])
    bingo = [[n, *(f.spread(key, "bingo", SITE, n).format(",.0f") for key in BINGO_KEYS)] for n in settings["bingo"]]
    parts = [
        "**site** = the site's classes (`P2PSession`); **tutorial** = the tutorial's protocol (bench/tutorial/), both "
        "on the pinned ably-js in Node workers against the emulator, tokens over HTTP from the same dev host's "
        f"`/api/createTokenRequest`; {settings['small_runs']} runs up to N = {SMALL_SESSION}, {settings['runs']} "
        "above, alternating, on this 2-core machine; ÷ = site / tutorial, from the same run.",
        "### Cost per session (N joins one after another, then the phrase)",
        table(COST, cost),
        "Reading: deliveries as Ably bills them (presence events and echoes included, presence SYNC members not); per "
        "join: the joins' deliveries ÷ N; below 1 the site costs less; Ably refuses a message over 64 KiB.",
        "### Speed",
        table(SPEED, speed),
        "Reading: join = the join command (a page builds its session on the click) until every peer lists the joiner "
        "and it lists everyone (holding the host's state, required, untimed), over all joins of all runs; burst = a "
        "host, then N − 1 at once (at the rate below) until every roster is complete and every peer follows the host "
        f"(median run); up to N = {SMALL_SESSION}, a process per peer (a device per friend), each join when all idle.",
        "### Where a join's time goes",
        table(PHASES.split("|"), phases),
        "Reading: connected = the token fetched over HTTP and the WebSocket open, the same for both; the rest is the "
        "protocol's own (attaching, entering presence, asking the host). Peers' CPU: all peers' processes, burst start "
        "→ converged, ÷ (N − 1) (median run): on 2 cores, a burst of 5 or 10 takes at least (N − 1) × that ÷ 2.",
        "### Host migration (site only: the tutorial's session dies with its host)",
        table(MIGRATION.split("|"), migration),
        "Reading: a crashed host is noticed by presence timeout (`--presence-leave-timeout "
        f"{PRESENCE_LEAVE_TIMEOUT:g}` here; Ably's 15 s adds about {15 - PRESENCE_LEAVE_TIMEOUT:g} s).",
        "### A round of bingo (site only)",
        table(BINGO, bingo),
        f"Reading: from Play bingo until every page shows the winner, a number called every {BINGO_PACE_MS} ms, each "
        "player claiming once its card has a line; messages as published and as Ably bills them (deliveries).",
        f"Refused at Ably's rate limits ({LIMITS.max_connection_publish_rate:g} publishes a second per connection and "
        f"per channel, {LIMITS.max_new_connection_rate:g} new connections a second), every scenario, size and run: "
        f"site **{f.refused(SITE)}**, tutorial **{f.refused(TUTORIAL)}**; peers join at most {int(JOIN_RATE)} at once, "
        f"then {0.8 * JOIN_RATE:.0f} a second, both protocols alike (the tutorial's unpaced host is refused beyond).",
    ]
    if errors:
        parts += ["### Failures and peer errors", "\n".join(f"* {error}" for error in errors[:40])]
    return "\n\n".join(parts)


def _format(value: float, spec: str | None = None) -> str:
    """``n/a`` when nothing was measured; without ``spec``, whole numbers from 10 up, else one decimal."""
    return "n/a" if value != value else format(value, spec or (",.0f" if value >= 10 else ".1f"))


async def run(quick: bool) -> Section:
    settings = QUICK if quick else FULL
    samples, errors = await measure(settings)
    return Section("Session cost and speed: the site's protocol vs the tutorial's", report(samples, errors, settings))
