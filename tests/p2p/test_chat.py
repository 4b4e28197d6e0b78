"""Chat lines (`chat`, p2p/chat.py) between Python peers through a dev host: say() reaches every peer under the
sender's roster name, paced so that no line is dropped; what does not fit, floods and non-players show nothing."""

from typing import Any

import pytest

from api.token_policy import channel_name_for
from p2p import chat
from p2p.site import Site

from .conftest import Peers, eventually


def shown(session) -> list[str]:
    return [f"{line['name']}: {line['text']}" for line in session.state.chat]


async def joined(peers: Peers, session_id: str, *names: str) -> list[Any]:
    sessions = [await peers.join(session_id, name) for name in names]
    for session in sessions:
        await eventually(lambda s=session: len(s.state.players) == len(names), f"{names} at each peer's")
    return sessions


async def test_a_line_said_shows_at_every_peer_the_senders_too_under_its_roster_name(peers: Peers):
    ada, bob = await joined(peers, "chat1", "Ada", "Bob")
    heard: list[dict[str, Any]] = []
    ada.on("chat", heard.append)
    await bob.say("Hello,\n\tAda")
    for session in (ada, bob):
        await eventually(lambda s=session: shown(s) == ["Bob: Hello, Ada"], "Bob's line")
    assert heard == [{"id": 1, "from": bob.state.my_client_id, "name": "Bob", "text": "Hello, Ada"}]


@pytest.mark.parametrize("text", ["", " \n\t ", "\x1b\x07", "x" * (chat.MAX_CHAT_LENGTH + 1)])
async def test_say_refuses_a_line_no_peer_would_show_and_sends_nothing(peers: Peers, text):
    ada, bob = await joined(peers, "chat2", "Ada", "Bob")
    with pytest.raises(ValueError, match="A chat line is text of 1 to 200 characters"):
        await bob.say(text)
    await bob.say("the next line")
    await eventually(lambda: shown(ada) == ["Bob: the next line"], "only the next line")


async def test_say_waits_its_turn_so_a_burst_over_the_rate_shows_whole_and_in_order(peers: Peers, monkeypatch):
    monkeypatch.setattr(chat, "CHAT_WINDOW_MS", 1_000)  # the rule as it is, a tenth of its window, in both peers
    ada, bob = await joined(peers, "chat3", "Ada", "Bob")
    lines = [f"line {n}" for n in range(chat.CHAT_BURST + 3)]
    for line in lines:
        await bob.say(line)
    await eventually(lambda: shown(ada) == [f"Bob: {line}" for line in lines], "every line at Ada's, in order")


async def test_a_flood_shows_the_senders_first_lines_and_the_others_still_speak(peers: Peers):
    ada, bob = await joined(peers, "chat4", "Ada", "Bob")
    for n in range(4 * chat.CHAT_BURST):
        await bob.send({"kind": "chat", "text": f"flood {n}"})  # send(), not say(): no pacing
    await ada.say("still here")
    await eventually(lambda: "Ada: still here" in shown(bob), "Ada's line at Bob's")
    assert shown(bob) == [f"Bob: flood {n}" for n in range(chat.CHAT_BURST)] + ["Ada: still here"]


async def test_a_line_on_an_inbox_or_from_a_client_that_is_not_a_player_shows_nowhere(peers: Peers):
    ada, bob = await joined(peers, "chat5", "Ada", "Bob")
    markers: list[str] = []
    ada.on("message", lambda message: markers.append(message["via"]) if message["kind"] == "marker" else None)
    await bob.send({"kind": "chat", "text": "to the inbox"}, ada.state.my_client_id)
    await bob.send({"kind": "marker"}, ada.state.my_client_id)
    await eventually(lambda: markers == ["inbox"], "the marker after it, on the same inbox")

    site = Site(peers.url)  # a peer secret of its own: a clientId of its own, never in presence
    lurker = await site.realtime_for("chat5")
    try:
        await lurker.channels.get(channel_name_for("chat5")).publish("chat", {"text": "I host now"})
    finally:
        await lurker.close()
        await site.close()
    await bob.say("after the lurker")
    await eventually(lambda: shown(ada) == ["Bob: after the lurker"], "Bob's line only")
