"""A client's SYNC request (ably-js `channel.sync()`, spec RTP19) gets the presence set again, in SYNC pages.

ably-js test/realtime/presence.test.js `leave_published_for_member_missing_from_sync` injects a member locally,
asks for a SYNC and expects a leave for the member the SYNC leaves out: without an answer it waits forever.
"""

SYNC, PRESENCE = 16, 14


async def attached(raw, client_id: str, **fields):
    socket, _ = await raw.connect(client_id=client_id)
    await socket.send({"action": 10, "channel": "room", **fields})
    await socket.receive_action(11)
    return socket


async def test_a_sync_request_is_answered_with_the_current_members(raw):
    member = await attached(raw, "continuous")
    await member.send({"action": PRESENCE, "channel": "room", "msgSerial": 0, "presence": [{"action": 2}]})
    await member.receive_action(1)
    watcher = await attached(raw, "watcher")
    await watcher.receive_action(SYNC)

    await watcher.send({"action": SYNC, "channel": "room"})
    answer = await watcher.receive_action(SYNC)
    assert [(m["clientId"], m["action"]) for m in answer["presence"]] == [("continuous", 1)]
    assert answer["channelSerial"].endswith(":"), "a one-page SYNC ends at once"


async def test_a_sync_request_on_an_empty_channel_gets_one_empty_page(raw):
    watcher = await attached(raw, "watcher")
    await watcher.send({"action": SYNC, "channel": "room"})
    answer = await watcher.receive_action(SYNC)
    assert answer["presence"] == []


async def test_a_sync_request_without_presence_subscribe_or_attachment_is_ignored(raw):
    watcher = await attached(raw, "watcher", params={"modes": "subscribe"})
    await watcher.send({"action": SYNC, "channel": "room"})
    await watcher.send({"action": SYNC, "channel": "elsewhere"})
    await watcher.send({"action": 0, "id": "ping"})
    assert (await watcher.receive())["id"] == "ping", "nothing but the heartbeat's echo came back"
