"""Ably's rate limits, on by default at Ably's figures: a peer that floods has its excess publishes refused (42911
for its connection, 42913 for the channel's publishers together), nonfatally, while the others carry on and
subscribers get every publish that was accepted; connections opened faster than Ably's Free plan allows (42 a
second) are refused with DISCONNECTED 80021 and get in a moment later. Every refusal is counted by code."""

import asyncio

import pytest
from ably.util.exceptions import AblyException

from emulator import EmulatorConfig

from .conftest import FAKE_KEY, Clients, Inbox, RawClients, within

DEFAULTS = EmulatorConfig()
PUBLISH_RATE = DEFAULTS.max_connection_publish_rate
CONNECTION_RATE = DEFAULTS.max_new_connection_rate


async def publish_all(channels: list, count: int, prefix: str) -> list[int | None]:
    """Publish `count` messages at once, taking the channels in turn; the error code of each (None: accepted)."""

    async def one(index: int) -> int | None:
        try:
            await channels[index % len(channels)].publish(prefix, str(index))
        except AblyException as error:
            return error.code
        return None

    return list(await asyncio.gather(*(one(index) for index in range(count))))


def test_the_defaults_are_ablys_published_limits():
    assert (DEFAULTS.max_connection_publish_rate, DEFAULTS.max_channel_publish_rate) == (50, 50)
    assert DEFAULTS.max_new_connection_rate == 42, "Ably's Free plan"


async def test_a_connection_that_floods_is_refused_its_excess_while_the_others_carry_on(clients: Clients, emulator):
    watcher, flooder, friend = [await clients.realtime(client_id=name) for name in ("watcher", "flooder", "friend")]
    seen = Inbox()
    await watcher.channels.get("room").subscribe(seen.add)

    # Spread over two channels, so that only the flooder's own rate (not either channel's) is spent.
    flood = [flooder.channels.get("room"), flooder.channels.get("chat")]
    outcomes = await publish_all(flood, int(3 * PUBLISH_RATE), "flood")
    accepted = outcomes.count(None)
    assert set(outcomes) == {None, 42911}, outcomes
    assert PUBLISH_RATE <= accepted < 2 * PUBLISH_RATE, f"about a second's worth passes at once, {accepted} did"
    assert flooder.connection.state == "connected", "the refusal is nonfatal"

    await within(friend.channels.get("room").publish("hello", "still here"))
    in_room = [outcome for index, outcome in enumerate(outcomes) if index % 2 == 0].count(None)
    delivered = await seen.wait_for_count(in_room + 1)
    assert [message.name for message in delivered].count("flood") == in_room
    assert delivered[-1].name == "hello"
    assert emulator.controls.stats()["refusals"] == {"42911": outcomes.count(42911)}


async def test_a_channels_publishers_together_are_held_to_its_rate_and_other_channels_are_not(clients: Clients):
    alice, bob, carol = [await clients.realtime(client_id=name) for name in ("alice", "bob", "carol")]
    rate = int(PUBLISH_RATE)
    outcomes = await publish_all([alice.channels.get("busy")], rate, "a") + await publish_all(
        [bob.channels.get("busy")], rate, "b"
    )
    assert outcomes[:rate] == [None] * rate
    assert 42913 in outcomes[rate:], "the second publisher finds the channel's second spent"
    assert bob.connection.state == "connected"
    assert await publish_all([carol.channels.get("quiet")], rate, "c") == [None] * rate


@pytest.mark.emulator_config(max_connection_publish_rate=0, max_channel_publish_rate=0)
async def test_with_the_publish_limits_turned_off_a_burst_is_accepted_whole(clients: Clients):
    client = await clients.realtime(client_id="burst")
    count = int(5 * PUBLISH_RATE)
    assert await publish_all([client.channels.get("room")], count, "x") == [None] * count


async def test_rest_publishes_count_against_the_channels_rate(clients: Clients):
    rest = clients.rest(client_id="server")
    outcomes = await publish_all([rest.channels.get("busy")], int(2 * PUBLISH_RATE), "r")
    assert 42913 in outcomes, outcomes
    assert outcomes.count(None) >= PUBLISH_RATE, outcomes


async def test_connections_opened_faster_than_the_rate_are_refused_with_80021_and_the_next_gets_in(
    raw: RawClients, emulator
):
    attempts = int(2 * CONNECTION_RATE)
    firsts = await asyncio.gather(*(raw.connect({"key": FAKE_KEY}, expect_connected=False) for _ in range(attempts)))
    answers = [first for _, first in firsts]
    accepted = [answer for answer in answers if answer["action"] == 4]
    refused = [answer for answer in answers if answer["action"] != 4]
    for socket, first in firsts:
        if first["action"] != 4:
            await socket.ws.close()  # the emulator closed it after DISCONNECTED: give it back to the HTTP pool
    assert CONNECTION_RATE <= len(accepted) < attempts, f"about a second's worth gets in, {len(accepted)} did"
    assert {answer["action"] for answer in refused} == {6}, "DISCONNECTED: the client tries again later"
    assert {(answer["error"]["code"], answer["error"]["statusCode"]) for answer in refused} == {(80021, 429)}
    assert "connections.maxRate" in refused[0]["error"]["message"]
    assert emulator.controls.stats()["refusals"] == {"80021": len(refused)}

    async def next_one_gets_in():
        while True:  # each refusal is an answer from the emulator: the rate refills as time passes
            socket, first = await raw.connect({"key": FAKE_KEY}, expect_connected=False)
            if first["action"] == 4:
                return
            await socket.ws.close()

    await within(next_one_gets_in(), 2.0, "a connection to be accepted within the next second")


@pytest.mark.emulator_config(max_new_connection_rate=0)
async def test_with_the_connection_rate_turned_off_every_connection_is_accepted(raw: RawClients):
    firsts = await asyncio.gather(*(raw.connect({"key": FAKE_KEY}) for _ in range(int(2 * CONNECTION_RATE))))
    assert {first["action"] for _, first in firsts} == {4}
