"""Application stats as Ably serves them (`GET /stats`): counted from the emulator's own traffic, minute by minute,
summed into hours, days and months, paged with `Link`, and bad parameters refused with Ably's 400s; in sandbox mode
`POST /stats` adds the fixtures the SDK suites inject."""

import base64
import time
from datetime import UTC, datetime

import aiohttp
import pytest
from ably import AblyException

from .conftest import FAKE_KEY, Inbox, within

MINUTE = "%Y-%m-%d:%H:%M"
SANDBOX = pytest.mark.emulator_config(sandbox=True)
FIXTURES = [  # three minutes of one hour, another hour the same day, another day the same month
    {"intervalId": "2025-02-03:15:03", "inbound": {"realtime": {"messages": {"count": 50, "data": 5000}}}},
    {"intervalId": "2025-02-03:15:04", "inbound": {"realtime": {"messages": {"count": 60, "data": 6000}}}},
    {
        "intervalId": "2025-02-03:15:05",
        "inbound": {"realtime": {"messages": {"count": 70, "data": 7000}}},
        "outbound": {"realtime": {"messages": {"count": 40, "data": 4000}}},
        "connections": {"tls": {"peak": 20, "opened": 10}, "plain": {"peak": 5, "opened": 1}},
        "apiRequests": {"succeeded": 50, "failed": 10},
        "tokenRequests": {"succeeded": 60},
    },
    {"intervalId": "2025-02-03:17:00", "inbound": {"rest": {"messages": {"count": 7, "data": 70}}}},
    {"intervalId": "2025-02-20:09:30", "inbound": {"rest": {"presence": {"count": 3, "data": 30}}}},
]


def minute_of(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime(MINUTE)


def hour_of(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d:%H")


async def add_fixtures(emulator, fixtures=FIXTURES) -> int:
    auth = {"Authorization": "Basic " + base64.b64encode(FAKE_KEY.encode()).decode()}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{emulator.url}/stats", json=fixtures, headers=auth) as response,
    ):
        return response.status


def total(records, entry: str) -> int:
    return sum(record.entries.get(entry, 0) for record in records)


async def test_the_apps_traffic_shows_up_in_the_minute_it_happened(clients):
    subscriber = await clients.realtime(client_id="watcher")
    channel = subscriber.channels.get("stats-room")
    inbox = Inbox()
    await within(channel.subscribe(inbox.add), what="the subscription")
    await within(channel.presence.enter("here"), what="the presence enter")
    publisher = clients.rest()
    before = int(time.time() * 1000)
    for text in ("one", "two", "three"):
        await within(publisher.channels.get("stats-room").publish("word", text), what="a REST publish")
    await inbox.wait_for_count(3)
    after = int(time.time() * 1000)

    page = await within(clients.rest().stats(start=before - 60_000, end=after, direction="forwards"))

    assert page.items, "no stats record for the minutes the traffic happened in"
    assert {record.interval_id for record in page.items} <= {minute_of(ms) for ms in (before - 60_000, before, after)}
    records = page.items
    assert total(records, "messages.inbound.rest.messages.count") == 3
    assert total(records, "messages.inbound.rest.messages.data") == 3 * len("word") + len("onetwothree")
    assert total(records, "messages.outbound.realtime.messages.count") == 3
    assert total(records, "messages.inbound.realtime.presence.count") == 1
    assert total(records, "messages.all.messages.count") == 6
    assert total(records, "apiRequests.other.succeeded") >= 3
    assert total(records, "apiRequests.tokenRequests.succeeded") >= 2
    newest = page.items[-1]
    assert (newest.unit, newest.app_id) == ("minute", "fakeapp")
    assert newest.schema.startswith("https://schemas.ably.com/json/app-stats-")


async def test_the_current_interval_says_how_far_it_has_got(clients):
    before = int(time.time() * 1000)
    await within(clients.rest().channels.get("now").publish("tick", "tock"))
    after = int(time.time() * 1000)

    records = (await within(clients.rest().stats(unit="hour", start=before, end=after))).items
    queried = int(time.time() * 1000)

    assert total(records, "messages.inbound.rest.messages.count") == 1
    newest = records[0]
    assert newest.interval_id == hour_of(after)
    if hour_of(queried) == newest.interval_id:
        assert newest.in_progress.startswith(f"{newest.interval_id}:")
    else:  # the hour turned while the test ran: that interval is complete
        assert newest.in_progress is None


async def test_connections_and_channels_are_counted_when_opened(clients):
    first = await clients.realtime()
    await clients.realtime()
    await within(first.channels.get("a").attach())
    await within(first.channels.get("b").attach())

    records = (await within(clients.rest().stats(unit="hour"))).items

    assert total(records, "connections.all.opened") == 2
    assert max(record.entries.get("connections.all.peak", 0) for record in records) == 2
    assert total(records, "channels.opened") == 2


@SANDBOX
async def test_minutes_add_up_to_hours_days_and_months(emulator, clients):
    assert await add_fixtures(emulator) == 201
    rest = clients.rest()

    async def records(unit: str):
        page = await within(
            rest.stats(start="2025-02-01:00:00", end="2025-02-28:00:00", unit=unit, direction="forwards")
        )
        return [(record.interval_id, record.entries.get("messages.all.all.count")) for record in page.items]

    assert await records("minute") == [
        ("2025-02-03:15:03", 50),
        ("2025-02-03:15:04", 60),
        ("2025-02-03:15:05", 110),
        ("2025-02-03:17:00", 7),
        ("2025-02-20:09:30", 3),
    ]
    assert await records("hour") == [("2025-02-03:15", 220), ("2025-02-03:17", 7), ("2025-02-20:09", 3)]
    assert await records("day") == [("2025-02-03:00", 227), ("2025-02-20:00", 3)]
    assert await records("month") == [("2025-02-01:00", 230)]


@SANDBOX
async def test_fixtures_in_the_older_shape_become_the_schemas_entries(emulator, clients):
    assert await add_fixtures(emulator) == 201

    page = await within(clients.rest().stats(start="2025-02-03:15:05", end="2025-02-03:15:05"))
    entries = page.items[0].entries

    assert entries["messages.inbound.realtime.messages.count"] == 70
    assert entries["messages.inbound.realtime.all.data"] == 7000
    assert entries["messages.outbound.all.all.count"] == 40
    assert entries["connections.all.peak"] == 25
    assert entries["connections.all.opened"] == 11
    assert entries["apiRequests.other.succeeded"] == 50
    assert entries["apiRequests.tokenRequests.succeeded"] == 60
    assert entries["apiRequests.all.succeeded"] == 110
    assert page.items[0].in_progress is None


@SANDBOX
async def test_pages_follow_the_link_header_both_ways(emulator, clients):
    assert await add_fixtures(emulator) == 201
    rest = clients.rest()

    async def walk(direction: str) -> list[str]:
        page = await within(rest.stats(end="2025-02-03:15:05", limit=1, direction=direction))
        seen = [page.items[0].interval_id]
        while page.has_next():
            page = await within(page.next())
            seen += [record.interval_id for record in page.items]
        first = await within(page.first())
        assert first.items[0].interval_id == seen[0]
        return seen

    assert await walk("backwards") == ["2025-02-03:15:05", "2025-02-03:15:04", "2025-02-03:15:03"]
    assert await walk("forwards") == ["2025-02-03:15:03", "2025-02-03:15:04", "2025-02-03:15:05"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"unit": "week"}, "Invalid unit"),
        ({"direction": "sideways"}, "Invalid direction"),
        ({"limit": "0"}, "Invalid limit"),
        ({"limit": "1001"}, "Invalid limit"),
        ({"start": "200", "end": "30"}, "start must not be later than end"),  # passes the SDK's string check
        ({"end": "yesterday"}, "Invalid end"),
        ({"end": "99999999999999999999"}, "Invalid end"),  # beyond the year 9999
        ({"start": "-5"}, "Invalid start"),
        ({"cursor": "x"}, "Invalid cursor"),
    ],
)
async def test_bad_parameters_are_refused_with_400(clients, params, message):
    with pytest.raises(AblyException) as refused:
        await within(clients.rest().stats(params=params))

    assert (refused.value.status_code, refused.value.code) == (400, 40003)
    assert message in refused.value.message


async def test_reading_stats_needs_the_statistics_capability(clients):
    with pytest.raises(AblyException) as refused:
        await within(clients.rest(capability={"*": ["subscribe", "publish"]}).stats())

    assert (refused.value.status_code, refused.value.code) == (401, 40160)


async def test_only_the_sandbox_takes_fixtures(emulator):
    assert await add_fixtures(emulator) == 404


@SANDBOX
async def test_a_fixture_that_is_not_per_minute_is_refused(emulator):
    assert await add_fixtures(emulator, [{"intervalId": "2025-02-03:15", "channels": {"peak": 1}}]) == 400
    assert await add_fixtures(emulator, [{"intervalId": "2025-02-03:15:00", "pets": {"count": 1}}]) == 400
