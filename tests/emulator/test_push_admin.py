"""Ably's push admin REST API on the emulator, through ably-python's `push.admin` (over JSON and msgpack).

Evidence for the shapes and codes: ably-python test/ably/rest/restpush_test.py and ably-js test/rest/push.test.js
(paths, filters, 204 on removal, 404 for an unknown device, 40000 for a platform Ably does not know), Ably's
capability operations `push-admin` and `push-subscribe` (refused with 40160 like any other operation).
"""

import json

import pytest
from ably import AblyException, PushChannelSubscription

from .conftest import Inbox, within

RECIPIENT = {"transportType": "apns", "deviceToken": "740f4707bebcf74f9b7c25d48e3358945f6aa01da5ddb387462c7eaf61bb78ad"}
PUBLISH_ONLY = {"*": ["publish", "subscribe"]}


def device(device_id: str, client_id: str, **fields) -> dict:
    return {
        "id": device_id,
        "clientId": client_id,
        "platform": "ios",
        "formFactor": "phone",
        "deviceSecret": f"secret-{device_id}",
        "push": {"recipient": RECIPIENT},
        **fields,
    }


async def register(admin, *devices: dict) -> None:
    for each in devices:
        await within(admin.push.admin.device_registrations.save(each))


async def all_pages(first) -> list:
    """Every item of a paginated result, following `next` links."""
    result, items = first, list(first.items)
    while result.has_next():
        result = await within(result.next())
        items.extend(result.items)
    return items


async def test_a_saved_device_is_read_back_as_registered_and_active(clients):
    admin = clients.rest()
    saved = await within(admin.push.admin.device_registrations.save(device("D1", "alice")))
    got = await within(admin.push.admin.device_registrations.get("D1"))
    assert (got.id, got.client_id, got.platform, got.form_factor) == ("D1", "alice", "ios", "phone")
    assert got.push == {"recipient": RECIPIENT, "state": "ACTIVE"}
    assert saved.device_identity_token["token"]
    assert got.device_secret == "secret-D1"  # as Ably answers it (ably-js push.test.js reads it back)


async def test_devices_are_listed_by_client_and_device_id_in_pages(clients):
    admin = clients.rest()
    await register(admin, *(device(f"D{n}", "alice" if n < 3 else "bob") for n in range(5)))
    listing = admin.push.admin.device_registrations.list
    first = await within(listing(limit=2))
    assert len(first.items) == 2
    assert sorted(d.id for d in await all_pages(first)) == ["D0", "D1", "D2", "D3", "D4"]
    assert sorted(d.id for d in (await within(listing(clientId="alice"))).items) == ["D0", "D1", "D2"]
    assert [d.id for d in (await within(listing(deviceId="D4"))).items] == ["D4"]
    assert (await within(listing(clientId="nobody"))).items == []


async def test_a_removed_device_is_gone_and_removing_again_succeeds(clients):
    admin = clients.rest()
    await register(admin, device("D1", "alice"), device("D2", "bob"), device("D3", "bob"))
    registrations = admin.push.admin.device_registrations
    assert (await within(registrations.remove("D1"))).status_code == 204
    assert (await within(registrations.remove("D1"))).status_code == 204
    assert (await within(registrations.remove_where(clientId="bob"))).status_code == 204
    assert (await within(registrations.list())).items == []
    with pytest.raises(AblyException) as caught:
        await within(registrations.get("D2"))
    assert (caught.value.status_code, caught.value.code) == (404, 40400)


async def test_channel_subscriptions_are_kept_listed_and_removed(clients):
    admin = clients.rest()
    await register(admin, device("D1", "alice"), device("D2", "bob"))
    subscriptions = admin.push.admin.channel_subscriptions
    for each in ("D1", "D2"):
        await within(subscriptions.save(PushChannelSubscription("news", device_id=each)))
    saved = await within(subscriptions.save(PushChannelSubscription("sport", client_id="carol")))
    assert (saved.channel, saved.client_id, saved.device_id) == ("sport", "carol", None)

    on_news = await within(subscriptions.list(channel="news", limit=1))
    assert [s.device_id for s in await all_pages(on_news)] == ["D1", "D2"]
    assert [s.device_id for s in (await within(subscriptions.list(channel="news", deviceId="D2"))).items] == ["D2"]
    assert sorted((await within(subscriptions.list_channels())).items) == ["news", "sport"]

    assert (await within(subscriptions.remove_where(channel="sport", client_id="carol"))).status_code == 204
    await within(admin.push.admin.device_registrations.remove("D1"))  # a device's subscriptions go with it
    assert [s.device_id for s in (await within(subscriptions.list(channel="news"))).items] == ["D2"]
    assert (await within(subscriptions.list_channels())).items == ["news"]


async def test_a_capability_without_push_admin_is_refused_with_40160(clients):
    await register(clients.rest(), device("D1", "alice"))
    push = clients.rest(capability=PUBLISH_ONLY).push.admin
    for attempt in (
        push.device_registrations.list(),
        push.device_registrations.get("D1"),
        push.device_registrations.save(device("D2", "bob")),
        push.channel_subscriptions.save(PushChannelSubscription("news", device_id="D1")),
        push.channel_subscriptions.list_channels(),
        push.publish({"clientId": "alice"}, {"notification": {"title": "hi"}}),
    ):
        with pytest.raises(AblyException) as caught:
            await within(attempt)
        assert (caught.value.status_code, caught.value.code) == (401, 40160)


async def test_push_subscribe_lets_a_client_subscribe_itself_only(clients):
    push = clients.rest("alice", capability={"news": ["push-subscribe"]}).push.admin
    mine = await within(push.channel_subscriptions.save(PushChannelSubscription("news", client_id="alice")))
    assert mine.client_id == "alice"
    with pytest.raises(AblyException) as caught:
        await within(push.channel_subscriptions.save(PushChannelSubscription("news", client_id="bob")))
    assert caught.value.code == 40160


@pytest.mark.emulator_config(push_namespaces=["pushenabled"])
async def test_only_channels_of_a_push_enabled_namespace_take_subscriptions(clients):
    subscriptions = clients.rest().push.admin.channel_subscriptions
    await within(subscriptions.save(PushChannelSubscription("pushenabled:news", client_id="alice")))
    with pytest.raises(AblyException) as caught:
        await within(subscriptions.save(PushChannelSubscription("news", client_id="alice")))
    assert (caught.value.status_code, caught.value.code) == (401, 40160)


@pytest.mark.parametrize(
    ("path", "body", "code"),
    [
        ("/push/deviceRegistrations", device("D1", "alice", platform="fridge"), 40000),
        ("/push/deviceRegistrations", device("D1", "alice", push={"color": "red"}), 40000),
        ("/push/deviceRegistrations", device("", "alice"), 40015),
        ("/push/deviceRegistrations", ["not", "an", "object"], 40001),
        ("/push/channelSubscriptions", {"channel": "news", "deviceId": "D1", "clientId": "alice"}, 40000),
        ("/push/channelSubscriptions", {"channel": "news", "deviceId": "never-registered"}, 40000),
        ("/push/publish", {"recipient": {"clientId": "alice"}, "xxx": 5}, 40000),
        ("/push/publish", {"recipient": {}, "notification": {"title": "hi"}}, 40000),
        ("/push/publish", {"recipient": {"transportType": "fcm"}, "data": {"a": "b"}}, 40000),
        ("/push/publish", {"recipient": {"transportType": "ablyChannel", "channel": ":x"}, "data": {}}, 40010),
    ],
)
async def test_a_bad_body_gets_ablys_400(clients, path, body, code):
    response = await within(clients.rest().request("POST", path, "3", body=body))
    assert (response.status_code, int(response.error_code)) == (400, code)


async def test_a_push_to_an_ably_channel_recipient_arrives_as_an_ably_push_message(clients):
    admin = clients.rest()
    inbox_device = device("D1", "alice", push={"recipient": {"transportType": "ablyChannel", "channel": "alice-inbox"}})
    # ably-python's DeviceDetails knows no ablyChannel transport (Ably's test transport), so this one goes raw.
    assert (await within(admin.request("PUT", "/push/deviceRegistrations/D1", "3", body=inbox_device))).success
    inbox = await listen(clients, "alice-inbox")
    payload = {"notification": {"title": "hi"}, "data": {"room": "42"}}
    assert await within(admin.push.admin.publish({"clientId": "alice"}, payload)) is None
    [message] = await inbox.wait_for_count(1)
    assert json.loads(message.data) == payload


async def listen(clients, channel_name: str) -> Inbox:
    """A realtime subscriber's inbox of `__ably_push__` messages on `channel_name`."""
    channel = (await clients.realtime()).channels.get(channel_name)
    inbox = Inbox()
    await channel.subscribe("__ably_push__", inbox.add)
    await within(channel.attach())
    return inbox


async def test_a_message_with_push_extras_reaches_the_devices_subscribed_to_its_channel(clients):
    admin = clients.rest()
    inbox_device = device("D1", "alice", push={"recipient": {"transportType": "ablyChannel", "channel": "inbox"}})
    assert (await within(admin.request("PUT", "/push/deviceRegistrations/D1", "3", body=inbox_device))).success
    await within(admin.push.admin.channel_subscriptions.save(PushChannelSubscription("news", device_id="D1")))
    inbox = await listen(clients, "inbox")
    push = {"notification": {"title": "Extra!"}}
    await within(
        admin.request("POST", "/channels/news/messages", "3", body={"name": "n", "data": "d", "extras": {"push": push}})
    )
    [message] = await inbox.wait_for_count(1)
    assert json.loads(message.data) == push


async def test_a_device_subscribes_itself_with_its_identity_token(clients):
    activated = await within(
        clients.rest().request("POST", "/push/deviceRegistrations", "3", body=device("D1", "alice"))
    )
    token = activated.items[0]["deviceIdentityToken"]["token"]
    client = clients.rest(capability={"news": ["push-subscribe"]})
    subscription = {"channel": "news", "deviceId": "D1"}
    refused = await within(client.request("POST", "/push/channelSubscriptions", "3", body=subscription))
    assert (refused.status_code, int(refused.error_code)) == (401, 40160)
    headers = {"X-Ably-DeviceToken": token}
    saved = await within(client.request("POST", "/push/channelSubscriptions", "3", body=subscription, headers=headers))
    assert saved.status_code == 201
    mine = await within(client.request("GET", "/push/channelSubscriptions", "3", {"deviceId": "D1"}, headers=headers))
    assert mine.items == [subscription]
