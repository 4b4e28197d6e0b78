"""Ably's application stats API: `GET /stats` from the app's own traffic (`usage.py`), `POST /stats` (sandbox only)
for the fixtures the SDK suites inject, and the count of REST requests by outcome.

Stats records are shaped as the current SDKs parse them (app-stats schema 0.0.5: `entries`, `intervalId`, `unit`,
`schema`, `appId`, `inProgress`). Fixtures may use Ably's older nested shape (`inbound.realtime.messages.count`,
`connections.tls.peak`, `apiRequests.succeeded`, ...), which is mapped onto the schema's entries, or give `entries`.
"""

import calendar
import math
import time
from collections.abc import Callable
from datetime import UTC, datetime

from aiohttp import web

from . import errors
from .auth import now_ms, permits
from .controls import is_control
from .rest import MAX_HISTORY_LIMIT, credentials_for, direction_param, int_param, page_links, read_body, reply
from .state import World
from .usage import UNITS, interval_end

SCHEMA = "https://schemas.ably.com/json/app-stats-0.0.5.json"
# intervalId per unit as Ably writes it (the Stats type's documentation; day and month end in `:00`).
INTERVAL_IDS = {"minute": "%Y-%m-%d:%H:%M", "hour": "%Y-%m-%d:%H", "day": "%Y-%m-%d:00", "month": "%Y-%m-01:00"}
# start/end may be given as an intervalId of any unit, as the SDKs' own suites do (`2025-02-03:15`).
INTERVAL_ID_INPUTS = ("%Y-%m-%d:%H:%M", "%Y-%m-%d:%H", "%Y-%m-%d", "%Y-%m")
IN_PROGRESS = "%Y-%m-%d:%H:%M:%S"
LAST_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z, the last moment an intervalId can name
# The older shape's message sections: by transport then type (inbound, outbound), or by type only (all, persisted).
MESSAGE_DEPTH = {"inbound": 3, "outbound": 3, "all": 2, "persisted": 2}
METADATA = {"intervalId", "unit", "schema", "appId", "inProgress"}
# Requests the app's REST API did not serve: the WebSocket and connectivity checks, and the sandbox's provisioning.
UNCOUNTED_PATHS = {"/", "/is-the-internet-up.txt"}


class StatsApi:
    """`GET /stats` (and, in sandbox mode, `POST /stats`) for one world."""

    def __init__(self, world: World):
        self.world = world

    def routes(self) -> list[web.RouteDef]:
        routes = [web.get("/stats", self.stats)]
        if self.world.config.sandbox:
            routes.append(web.post("/stats", self.add_fixtures))
        return routes

    async def stats(self, request: web.Request) -> web.Response:
        """A page of the app's stats records, newest first unless `direction=forwards`, with `Link` headers."""
        credentials = credentials_for(self.world, request)
        if not permits(credentials.capability, "*", "statistics"):
            raise errors.CAPABILITY_DENIED("Permission denied: statistics")
        unit = request.query.get("unit") or request.query.get("by") or "minute"
        if unit not in UNITS:
            raise errors.INVALID_PARAMETER(f"Invalid unit {unit!r}: use minute, hour, day or month")
        direction = direction_param(request)
        limit = int_param(request, "limit", 100, 1, MAX_HISTORY_LIMIT)
        start = time_param(request, "start")
        end = time_param(request, "end")
        now = now_ms()
        end = now if end is None else end
        if start is not None and start > end:
            raise errors.INVALID_PARAMETER("start must not be later than end")
        cursor = int_param(request, "cursor", None, 0, LAST_MS)
        records, next_cursor = self.world.stats.usage.query(unit, start, end, direction == "forwards", limit, cursor)
        app_id = next(iter(self.world.authority.keys.values())).app_id
        body = [self._record(app_id, unit, begins, entries, now) for begins, entries in records]
        return reply(request, body, headers={"Link": page_links(request, next_cursor)})

    @staticmethod
    def _record(app_id: str, unit: str, begins: int, entries: dict[str, float], now: int) -> dict:
        record = {
            "intervalId": _utc(begins).strftime(INTERVAL_IDS[unit]),
            "unit": unit,
            "schema": SCHEMA,
            "appId": app_id,
            "entries": {key: int(value) if float(value).is_integer() else value for key, value in entries.items()},
        }
        if begins <= now < interval_end(begins, unit):
            record["inProgress"] = _utc(now).strftime(IN_PROGRESS)
        return record

    async def add_fixtures(self, request: web.Request) -> web.Response:
        """Add stats records (one or an array, each for one minute) to the app's, as Ably's sandbox lets tests do."""
        credentials_for(self.world, request)
        body = await read_body(request)
        fixtures = body if isinstance(body, list) else [body]
        parsed = [(_fixture_minute(fixture), fixture_entries(fixture)) for fixture in fixtures]
        for minute, entries in parsed:
            self.world.stats.usage.merge(minute, entries)
        return reply(request, {}, 201)


def time_param(request: web.Request, name: str) -> int | None:
    """`start`/`end`: milliseconds since the epoch, or an intervalId (`yyyy-mm-dd:hh:mm`, `:hh`, `yyyy-mm-dd`,
    `yyyy-mm`) meaning the start of that interval, UTC; from 1970 to the year 9999."""
    value = request.query.get(name)
    if value in (None, ""):
        return None
    if value.lstrip("-").isdigit():
        return int_param(request, name, None, 0, LAST_MS)
    for layout in INTERVAL_ID_INPUTS:
        try:
            ms = calendar.timegm(time.strptime(value, layout)) * 1000
        except ValueError:
            continue
        if ms >= 0:
            return ms
    raise errors.INVALID_PARAMETER(f"Invalid {name} {value!r}: milliseconds since the epoch or an intervalId")


def _utc(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def _fixture_minute(fixture) -> int:
    if not isinstance(fixture, dict) or not isinstance(fixture.get("intervalId"), str):
        raise errors.INVALID_REQUEST_BODY("Each stats record needs an intervalId (yyyy-mm-dd:hh:mm)")
    try:
        minute = calendar.timegm(time.strptime(fixture["intervalId"], INTERVAL_IDS["minute"])) * 1000
    except ValueError:
        minute = -1
    if minute < 0:
        raise errors.INVALID_REQUEST_BODY(
            f"Invalid intervalId {fixture['intervalId']!r}: stats records are per minute (yyyy-mm-dd:hh:mm) from 1970"
        )
    return minute


def fixture_entries(fixture: dict) -> dict[str, float]:
    """A stats record's entries: `entries` as given, and the older nested sections mapped onto the schema's names."""
    entries: dict[str, float] = {}
    connections: dict[str, dict[str, float]] = {}
    for path, value in _leaves({key: item for key, item in fixture.items() if key not in METADATA}):
        if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value) or value < 0:
            raise errors.INVALID_REQUEST_BODY(f"Stats value {'.'.join(path)} must be a non-negative number")
        section, rest = path[0], path[1:]
        if section == "entries" and len(rest) == 1:
            key = rest[0]
        elif len(rest) == MESSAGE_DEPTH.get(section):
            key = f"messages.{section}.{'.'.join(rest)}"
        elif section == "connections" and len(rest) == 2:
            connections.setdefault(rest[0], {})[rest[1]] = value
            continue
        elif section == "channels" and len(rest) == 1:
            key = f"channels.{rest[0]}"
        elif section == "apiRequests" and len(rest) == 1:
            key = f"apiRequests.other.{rest[0]}"
        elif section == "tokenRequests" and len(rest) == 1:
            key = f"apiRequests.tokenRequests.{rest[0]}"
        else:
            raise errors.INVALID_REQUEST_BODY(f"Unsupported stats field {'.'.join(path)}")
        entries[key] = value
    # The schema counts connections of every kind together (`connections.all`): plain and TLS add up.
    by_kind = [connections["all"]] if "all" in connections else list(connections.values())
    for counts in by_kind:
        for field, value in counts.items():
            entries[f"connections.all.{field}"] = entries.get(f"connections.all.{field}", 0) + value
    return entries


def _leaves(value, path: tuple[str, ...] = ()):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, str(key)))
    else:
        yield path, value


def count_requests(world_for: Callable[[web.Request], World]):
    """Middleware: each REST request counts in its app's `apiRequests` (token requests and push apart) by outcome:
    succeeded, refused (a 4xx: bad request, credentials, capability) or failed (a 5xx)."""

    @web.middleware
    async def middleware(request: web.Request, handler):
        if is_control(request) or request.method == "OPTIONS" or _uncounted(request.path):
            return await handler(request)
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            _count(world_for(request), request.path, exc.status)
            raise
        _count(world_for(request), request.path, response.status)
        return response

    return middleware


def _uncounted(path: str) -> bool:
    return path in UNCOUNTED_PATHS or path == "/apps" or path.startswith("/apps/")


def _count(world: World, path: str, status: int) -> None:
    if path.startswith("/keys/") and path.endswith("/requestToken"):
        kind = "tokenRequests"
    elif path.startswith("/push/"):
        kind = "push"
    else:
        kind = "other"
    outcome = "succeeded" if status < 400 else "refused" if status < 500 else "failed"
    world.stats.usage.count(f"apiRequests.{kind}.{outcome}", 1)
