"""Ably's publish rate limits, when configured (`--max-connection-publish-rate`, `--max-channel-publish-rate`): a
peer that floods has its excess publishes refused (42911 for its connection, 42913 for the channel's publishers
together), nonfatally, while the others carry on and subscribers get every publish that was accepted."""

import asyncio

import pytest
from ably.util.exceptions import AblyException

from .conftest import Clients, Inbox

RATE = 10


async def publish_all(channel, count: int, prefix: str) -> list[int | None]:
    """Publish `count` messages at once; the error code of each (None: accepted)."""

    async def one(index: int) -> int | None:
        try:
            await channel.publish(prefix, str(index))
        except AblyException as error:
            return error.code
        return None

    return list(await asyncio.gather(*(one(index) for index in range(count))))


@pytest.mark.emulator_config(max_connection_publish_rate=RATE)
async def test_a_connection_that_floods_is_refused_its_excess_while_another_publisher_carries_on(clients: Clients):
    watcher, flooder, friend = [await clients.realtime(client_id=name) for name in ("watcher", "flooder", "friend")]
    seen = Inbox()
    await watcher.channels.get("room").subscribe(seen.add)

    outcomes = await publish_all(flooder.channels.get("room"), 3 * RATE, "flood")
    accepted = outcomes.count(None)
    assert set(outcomes) == {None, 42911}, outcomes
    assert RATE <= accepted < 2 * RATE, f"about a second's worth passes at once, {accepted} did"

    await friend.channels.get("room").publish("hello", "still here")
    delivered = await seen.wait_for_count(accepted + 1)
    assert [message.name for message in delivered].count("flood") == accepted
    assert delivered[-1].name == "hello"
    assert flooder.connection.state == "connected", "the refusal is nonfatal"


@pytest.mark.emulator_config(max_channel_publish_rate=RATE)
async def test_a_channels_publishers_together_are_held_to_its_rate_and_other_channels_are_not(clients: Clients):
    alice, bob = [await clients.realtime(client_id=name) for name in ("alice", "bob")]
    outcomes = await publish_all(alice.channels.get("busy"), RATE, "a") + await publish_all(
        bob.channels.get("busy"), RATE, "b"
    )
    assert 42913 in outcomes, "the second publisher finds the channel's second spent"
    assert outcomes[:RATE] == [None] * RATE
    assert await publish_all(bob.channels.get("quiet"), RATE, "b") == [None] * RATE


async def test_without_a_configured_rate_a_burst_is_accepted_whole(clients: Clients):
    client = await clients.realtime(client_id="burst")
    assert await publish_all(client.channels.get("room"), 5 * RATE, "x") == [None] * (5 * RATE)


@pytest.mark.emulator_config(max_channel_publish_rate=RATE)
async def test_rest_publishes_count_against_the_channels_rate(clients: Clients):
    rest = clients.rest(client_id="server")
    outcomes = await publish_all(rest.channels.get("busy"), 2 * RATE, "r")
    assert 42913 in outcomes, outcomes
    assert outcomes.count(None) >= RATE, outcomes
