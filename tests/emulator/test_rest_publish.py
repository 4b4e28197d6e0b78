"""REST publish as Ably does it beyond the basics: on behalf of a realtime connection, `_forceNack`, idempotency.

Evidence: ably-js test/rest/message.test.js (publish on behalf via `connectionKey`), ably-python
test/ably/rest/restchannelpublish_test.py (`test_invalid_connection_key` 40006, `test_publish_params` 40099,
`test_idempotent_client_supplied_publish`: one message in history after three publishes with one id).
"""

import pytest
from ably.types.message import Message
from ably.util.exceptions import AblyException

import emulator.idempotency

from .conftest import Inbox, connection_id, within


async def subscribed(clients, client_id: str = "bob") -> tuple[object, Inbox]:
    client = await clients.realtime(client_id)
    inbox = Inbox()
    channel = client.channels.get("room")
    await channel.subscribe(inbox.add)
    await within(channel.attach())
    return client, inbox


async def test_a_message_with_a_connection_key_is_published_as_that_connection(clients):
    realtime, inbox = await subscribed(clients)
    key = realtime.connection.connection_details.connection_key
    await within(clients.rest("alice").channels.get("room").publish(messages=[Message("hi", "x", connection_key=key)]))
    [message] = await inbox.wait_for_count(1)
    assert message.connection_id == connection_id(realtime)


async def test_a_connection_key_that_names_no_connection_is_refused_with_40006(clients):
    channel = clients.rest("alice").channels.get("room")
    with pytest.raises(AblyException) as caught:
        await within(channel.publish(messages=[Message(data="payload", connection_key="should.be.wrong")]))
    assert (caught.value.code, caught.value.status_code) == (40006, 400)
    assert (await within(channel.history())).items == []


async def test_the_force_nack_test_param_refuses_the_publish_with_40099(clients):
    channel = clients.rest("alice").channels.get("room")
    with pytest.raises(AblyException) as caught:
        await within(channel.publish(Message("name", "data"), {"_forceNack": True}))
    assert (caught.value.code, caught.value.status_code) == (40099, 400)
    assert (await within(channel.history())).items == []


async def test_a_message_id_published_again_is_stored_and_delivered_once(clients):
    _, inbox = await subscribed(clients)
    channel = clients.rest("alice").channels.get("room")
    for _ in range(3):
        await within(channel.publish(messages=[Message("once", "x", id="foobar")]))
    await within(channel.publish("after", "y"))
    assert [m.name for m in await inbox.wait_for_count(2)] == ["once", "after"]
    assert [m.id for m in (await within(channel.history())).items][1:] == ["foobar"]


async def test_a_retried_idempotent_batch_gets_the_first_serials_back(raw):
    session = await raw.http()
    token = (await raw.clients.token("alice")).token
    batch = [{"id": "base64base:0", "name": "one"}, {"id": "base64base:1", "name": "two"}]
    answers = []
    for _ in range(2):
        async with session.post(
            f"{raw.emulator.url}/channels/room/messages", json=batch, headers={"Authorization": f"Bearer {token}"}
        ) as response:
            answers.append((response.status, (await response.json())["serials"]))
    assert answers[0] == answers[1]
    assert answers[0][0] == 201


async def test_realtime_publishes_with_one_id_are_delivered_once(clients):
    _, inbox = await subscribed(clients)
    publisher = (await clients.realtime("alice")).channels.get("room")
    await within(publisher.publish([Message("once", "x", id="same-id")]))
    await within(publisher.publish([Message("once", "x", id="same-id")]))
    await within(publisher.publish("after", "y"))
    assert [m.name for m in await inbox.wait_for_count(2)] == ["once", "after"]


async def test_an_id_is_forgotten_after_the_idempotency_window(clients, monkeypatch):
    _, inbox = await subscribed(clients)
    channel = clients.rest("alice").channels.get("room")
    await within(channel.publish(messages=[Message("first", "x", id="foobar")]))
    later = emulator.idempotency.time.monotonic() + 121
    monkeypatch.setattr(emulator.idempotency.time, "monotonic", lambda: later)
    await within(channel.publish(messages=[Message("again", "x", id="foobar")]))
    assert [m.name for m in await inbox.wait_for_count(2)] == ["first", "again"]
