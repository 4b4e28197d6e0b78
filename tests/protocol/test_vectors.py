"""The protocol's test vectors (tests/protocol/vectors/*.json) against the Python peer's rules.

tests/js/protocol-vectors.test.mjs runs the same vectors against the site's modules, so both implementations agree.
"""

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from devserver.ably_check import key_refused
from p2p.chat import chat_text
from p2p.client import P2PClient, receive_chat
from p2p.feature import admitted
from p2p.inbound import keep_what_peers_send
from p2p.rules import (
    Roster,
    current_phrase,
    elect_host,
    normalize_friendly_name,
    received_message,
    roster_from_presence,
)
from p2p.server import P2PServer
from p2p.session import MESSAGE_KINDS, P2PSession
from p2p.words import WordMirror, WordStream

VECTORS = Path(__file__).parent / "vectors"


def vectors(name: str) -> Any:
    return json.loads((VECTORS / f"{name}.json").read_text(encoding="utf-8"))


def cases(items: list[dict[str, Any]]) -> Any:
    return pytest.mark.parametrize("case", items, ids=[item["name"] for item in items])


class RecordingSender:
    """A PubSubClient stand-in that records what is sent."""

    def __init__(self, client_id: str = "me") -> None:
        self.client_id = client_id
        self.sent: list[tuple[dict[str, Any], str | None]] = []

    async def send_message(self, message: dict[str, Any], target_client_id: str | None = None) -> None:
        self.sent.append((message, target_client_id))


async def no_pause(_seconds: float) -> None:
    return None


async def not_connected(_session_id: str) -> Any:
    raise AssertionError("the vectors' sessions never connect")


@cases(vectors("names")["cases"])
def test_names_are_tidied_as_the_site_tidies_them(case):
    assert normalize_friendly_name(case["input"]) == case["output"]


@cases(vectors("roster")["sets"])
def test_a_presence_set_gives_the_roster_and_host(case):
    assert roster_from_presence(case["members"]) == case["players"]
    assert elect_host(case["members"]) == case["host"]


@cases(vectors("roster")["sequences"])
def test_presence_events_move_the_roster_and_host(case):
    roster = Roster()
    roster.replace(case["members"])
    for event in case["events"]:
        roster.apply(event)
    assert (roster.players(), roster.host()) == (case["players"], case["host"])


@cases(vectors("receive")["cases"])
def test_a_received_ably_message_is_handed_over_or_ignored(case):
    ably = case["ably"]
    handed = received_message(ably.get("name"), ably.get("data"), ably.get("clientId"), case["via"])
    assert handed == case["message"]


@cases(vectors("inbound")["cases"])
def test_a_received_entry_keeps_only_what_peers_send(case):
    assert keep_what_peers_send(copy.deepcopy(case["entry"])) == case["kept"]


CLIENT = vectors("client")


@cases(CLIENT["sequences"])
async def test_a_client_shows_what_the_host_sent_and_nothing_else(case):
    session = P2PSession("vectors", create_realtime=not_connected)
    session.state.host_client_id = CLIENT["host"]
    session.state.status = "awaiting-acknowledgement"
    for message in case["messages"]:
        await session.receive(message)
    state = session.state
    words = session.mirrors["words"]
    assert isinstance(words, WordMirror)
    shown = {"status": state.status, "wordBase": state.word_base, "words": state.words, "pending": len(words.pending)}
    assert shown == case["state"]


CHAT = vectors("chat")


@cases(CHAT["texts"])
def test_a_chat_lines_text_is_shown_tidied_or_not_at_all(case):
    assert chat_text(case["input"]) == case["output"]


@cases(CHAT["sequences"])
def test_chat_lines_show_under_the_rosters_name_within_each_senders_rate(case):
    client = P2PClient(RecordingSender())
    client.state.players = CHAT["players"]
    for step in case["messages"]:
        receive_chat(client, step["message"], step["at"])
    assert [{key: line[key] for key in ("from", "name", "text")} for line in client.state.chat] == case["chat"]


SERVER = vectors("server")


@cases(SERVER["phrases"])
def test_the_snapshot_is_the_current_phrase(case):
    base, words = current_phrase(case["base"], case["words"])
    assert {"base": base, "words": words} == case["snapshot"]
    sender = RecordingSender()
    parts = {"words": WordStream(sender, case["base"], case["words"])}
    assert P2PServer(sender, parts).snapshot() == case["snapshot"]


@cases(SERVER["streams"])
async def test_the_host_streams_from_the_next_index(case):
    sender = RecordingSender()
    await WordStream(sender, case["base"], case["words"], sleep=no_pause).send_words_across_multiple_messages()
    assert all(message["kind"] == "word" and target is None for message, target in sender.sent)
    assert [[message["index"], message["word"]] for message, _ in sender.sent] == case["sent"]


@cases(SERVER["connected"])
async def test_the_host_answers_only_a_well_formed_connected(case):
    sender = RecordingSender()
    message = case["message"]
    row = MESSAGE_KINDS["connected"]
    if message.get("kind") == "connected" and admitted(row, message, None):  # what the session lets through
        await P2PServer(sender, {"words": WordStream(sender)}, now=lambda: 0.0).on_connected(message)
    snapshot = {"kind": "connection-acknowledged", "base": 0, "words": []}
    assert sender.sent == ([(snapshot, case["message"]["from"])] if case["answered"] else [])


@cases(vectors("key_refused")["cases"])
def test_the_key_check_calls_a_key_refused_exactly_when_the_page_does(case):
    assert key_refused(case["code"]) is case["keyRefused"]
