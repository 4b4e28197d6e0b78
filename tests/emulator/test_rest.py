"""REST as the SDKs use it: time, history with pagination, presence, publish, envelopes, CORS, errors."""

import json

from .conftest import Inbox, within


async def test_time_returns_the_servers_clock(clients):
    rest = clients.rest()
    server_time = await within(rest.time())
    assert server_time > 1_600_000_000_000


async def test_history_pages_backwards_then_forwards_with_link_headers(clients):
    rest = clients.rest("writer")
    channel = rest.channels.get("p2p:history")
    for i in range(7):
        await within(channel.publish("n", str(i)))

    page = await within(channel.history(limit=3))
    seen = [m.data for m in page.items]
    while page.has_next():
        page = await within(page.next())
        seen += [m.data for m in page.items]
    assert seen == [str(i) for i in reversed(range(7))]
    assert page.is_last()

    forwards = await within(channel.history(direction="forwards", limit=5))
    assert [m.data for m in forwards.items] == [str(i) for i in range(5)]
    assert [m.data for m in (await within(forwards.next())).items] == ["5", "6"]


async def test_history_filters_by_start_and_end(clients):
    rest = clients.rest("writer")
    channel = rest.channels.get("room")
    for i in range(3):
        await within(channel.publish("n", str(i)))
    everything = (await within(channel.history(direction="forwards"))).items
    middle = everything[1].timestamp
    assert [m.data for m in (await within(channel.history(start=middle, end=middle))).items] == [
        m.data for m in everything if m.timestamp == middle
    ]
    assert (await within(channel.history(start=everything[-1].timestamp + 1))).items == []


async def test_history_keeps_realtime_ids_serials_and_client_ids(clients):
    realtime = await clients.realtime("alice")
    result = await within(realtime.channels.get("room").publish("hello", {"a": 1}))
    [message] = (await within(clients.rest("reader").channels.get("room").history())).items
    assert (message.name, message.data, message.client_id, message.serial) == (
        "hello",
        {"a": 1},
        "alice",
        result.serials[0],
    )


async def test_rest_publish_reaches_realtime_subscribers(clients):
    subscriber = await clients.realtime("bob")
    inbox = Inbox()
    channel = subscriber.channels.get("room")
    await within(channel.attach())
    await channel.subscribe(inbox.add)
    await within(clients.rest("alice").channels.get("room").publish("from-rest", "hi"))
    [message] = await inbox.wait_for_count(1)
    assert (message.name, message.data, message.client_id) == ("from-rest", "hi", "alice")


async def test_rest_presence_lists_current_members(clients):
    member = await clients.realtime("alice")
    await within(member.channels.get("room").attach())
    await within(member.channels.get("room").presence.enter("hello"))
    members = (await within(clients.rest("reader").channels.get("room").presence.get())).items
    assert [(m.client_id, m.data, m.action) for m in members] == [("alice", "hello", 1)]


async def test_history_with_envelope_wraps_status_body_and_link(raw):
    token = (await raw.clients.token("reader")).token
    session = await raw.http()
    headers = {"Authorization": f"Bearer {token}"}
    for i in range(3):
        async with session.post(f"{raw.emulator.url}/channels/room/messages", json={"name": str(i)}, headers=headers):
            pass
    async with session.get(
        f"{raw.emulator.url}/channels/room/messages?limit=2&envelope=json&rnd=123", headers=headers
    ) as response:
        assert response.status == 200
        body = await response.json()
    assert body["statusCode"] == 200
    assert [m["name"] for m in body["response"]] == ["2", "1"]
    link = body["headers"]["link"]
    assert 'rel="next"' in link
    assert "rnd" not in link
    assert "envelope" not in link


async def test_errors_inside_an_envelope_keep_their_code(raw):
    session = await raw.http()
    async with session.get(
        f"{raw.emulator.url}/channels/room/messages?envelope=json", headers={"Authorization": "Bearer not-a-token"}
    ) as response:
        body = await response.json()
    assert response.status == 200
    assert body["statusCode"] == 401
    assert body["response"]["error"]["code"] == 40101
    assert body["headers"]["x-ably-errorcode"] == "40101"


async def test_cors_preflight_and_responses_allow_a_browser_with_credentials(raw):
    session = await raw.http()
    origin = "http://localhost:5173"
    async with session.options(
        f"{raw.emulator.url}/channels/room/messages",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization,x-ably-version,ably-agent",
        },
    ) as response:
        assert response.status == 204
        assert response.headers["Access-Control-Allow-Origin"] == origin
        assert response.headers["Access-Control-Allow-Credentials"] == "true"
        assert response.headers["Access-Control-Allow-Headers"] == "authorization,x-ably-version,ably-agent"
        assert "GET" in response.headers["Access-Control-Allow-Methods"]
    async with session.get(f"{raw.emulator.url}/channels/room/messages", headers={"Origin": origin}) as response:
        assert response.status == 401
        assert response.headers["Access-Control-Allow-Origin"] == origin
        assert "X-Ably-Errorcode" in response.headers["Access-Control-Expose-Headers"]


async def test_connectivity_check_urls_answer_yes(raw):
    session = await raw.http()
    for path in ("/is-the-internet-up.txt", "/"):
        async with session.get(f"{raw.emulator.url}{path}") as response:
            assert (response.status, await response.text()) == (200, "yes\n")


async def test_unknown_routes_and_methods_get_ably_error_bodies(raw):
    session = await raw.http()
    async with session.get(f"{raw.emulator.url}/no/such/thing") as response:
        body = await response.json()
        assert (response.status, body["error"]["code"], response.headers["X-Ably-Errorcode"]) == (404, 40400, "40400")
    # A known path with another method is not found either, as on Ably (ably-js rest/request.test.js `request_404`).
    async with session.get(f"{raw.emulator.url}/keys/ablyjs.test/requestToken") as response:
        assert (response.status, (await response.json())["error"]["code"]) == (404, 40400)
    async with session.delete(f"{raw.emulator.url}/time") as response:
        assert (response.status, (await response.json())["error"]["code"]) == (404, 40400)


async def test_history_rejects_bad_parameters_with_40003(raw):
    token = (await raw.clients.token("reader")).token
    session = await raw.http()
    for query in ("limit=0", "limit=1001", "direction=sideways", "start=soon", "start=5&end=1"):
        async with session.get(
            f"{raw.emulator.url}/channels/room/messages?{query}", headers={"Authorization": f"Bearer {token}"}
        ) as response:
            body = await response.json()
            assert (response.status, body["error"]["code"]) == (400, 40003), query


async def test_history_needs_the_history_capability(raw):
    token = (await raw.clients.token("reader", {"room": ["subscribe"]})).token
    session = await raw.http()
    async with session.get(
        f"{raw.emulator.url}/channels/room/messages", headers={"Authorization": f"Bearer {token}"}
    ) as response:
        assert (response.status, (await response.json())["error"]["code"]) == (401, 40160)


async def test_rest_publish_rejects_malformed_bodies_with_40001(raw):
    token = (await raw.clients.token("writer")).token
    session = await raw.http()
    for body in (b"{broken", json.dumps([]).encode(), json.dumps([1, 2]).encode()):
        async with session.post(
            f"{raw.emulator.url}/channels/room/messages",
            data=body,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        ) as response:
            assert (response.status, (await response.json())["error"]["code"]) == (400, 40001), body


async def test_presence_history_lists_enter_update_leave_events_in_pages(clients):
    member = await clients.realtime("alice")
    channel = member.channels.get("room")
    await within(channel.attach())
    await within(channel.presence.enter("in"))
    await within(channel.presence.update("busy"))
    await within(channel.presence.leave())
    rest_presence = clients.rest("reader").channels.get("room").presence
    page = await within(rest_presence.history(limit=2))
    events = [(m.action, m.data) for m in page.items]
    page = await within(page.next())
    events += [(m.action, m.data) for m in page.items]
    assert events == [(3, "busy"), (4, "busy"), (2, "in")]
    assert page.is_last()
