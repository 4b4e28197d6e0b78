"""Python peers in one session through the site's token endpoint and the emulator: the rules of docs/protocol.md."""

import pytest
from ably.util.exceptions import AblyException

from p2p.rules import PHRASE, PHRASE_WORDS

from .conftest import Peers, dev_host, eventually


def names(session) -> list[str]:
    return [player["friendlyName"] for player in session.state.players]


async def test_the_first_peer_hosts_and_a_joiner_gets_the_whole_phrase_once_in_order(peers: Peers):
    ada = await peers.join("room1", "Ada")
    bob = await peers.join("room1", "Bob")
    await eventually(lambda: bob.state.status == "acknowledged", "Bob's snapshot")
    assert (ada.is_host, bob.is_host) == (True, False)
    await eventually(lambda: names(ada) == names(bob) == ["Ada", "Bob"], "both rosters in join order")
    await ada.stream_words()
    await eventually(lambda: bob.state.received_words == PHRASE, "the phrase at Bob's")
    assert (bob.state.word_base, bob.state.words) == (0, PHRASE_WORDS)


async def test_a_late_joiner_gets_the_words_so_far_from_rewind_and_snapshot(peers: Peers):
    ada = await peers.join("room2", "Ada")
    await ada.stream_words()
    cyd = await peers.join("room2", "Cyd")
    await eventually(lambda: cyd.state.status == "acknowledged", "Cyd's snapshot")
    assert cyd.state.received_words == PHRASE


async def test_when_the_host_leaves_mid_stream_the_next_earliest_finishes_the_phrase(peers: Peers):
    ada = await peers.join("room3", "Ada", word_interval=0.2)
    bob = await peers.join("room3", "Bob", word_interval=0.05)
    await eventually(lambda: bob.state.status == "acknowledged", "Bob's snapshot")
    stream = ada.server.parts["words"].send_words_across_multiple_messages()  # type: ignore[union-attr,attr-defined]
    await eventually(lambda: len(bob.state.words) >= 3, "three words at Bob's")
    await ada.close()
    stream.cancel()
    await eventually(lambda: bob.is_host, "Bob elected")
    await eventually(lambda: bob.state.received_words == PHRASE, "the phrase finished by Bob")


async def test_host_kinds_from_a_peer_that_is_not_the_host_are_ignored(peers: Peers):
    ada = await peers.join("room4", "Ada")
    bob = await peers.join("room4", "Bob")
    mallory = await peers.join("room4", "Mallory")
    await eventually(lambda: mallory.state.status == "acknowledged", "Mallory's snapshot")
    await mallory.send({"kind": "word", "index": 0, "word": "Forged"})
    await mallory.send({"kind": "connection-acknowledged", "base": 0, "words": ["Forged"]}, bob.state.my_client_id)
    await ada.send({"kind": "word", "index": 0, "word": "The"})
    await eventually(lambda: bob.state.words == ["The"], "the host's word at Bob's")
    assert mallory.state.words == ["The"]


async def test_a_new_kind_reaches_every_peer_with_the_senders_verified_client_id(peers: Peers):
    ada = await peers.join("room5", "Ada")
    bob = await peers.join("room5", "Bob")
    heard: list[dict] = []
    ada.on("message", lambda message: heard.append(message) if message["kind"] == "greeting" else None)
    await bob.send({"kind": "greeting", "text": "hello", "from": "the host"})
    await eventually(lambda: len(heard) == 1, "the greeting at Ada's")
    assert heard[0] == {"kind": "greeting", "text": "hello", "from": bob.state.my_client_id, "via": "session"}


async def test_a_full_session_refuses_the_enter_with_91003():
    async with dev_host(presence_members_max=1) as dev:
        assert dev.url
        group = Peers(dev.url)
        try:
            await group.join("small", "Ada")
            with pytest.raises(AblyException) as refused:
                await group.join("small", "Bob")
            assert refused.value.code == 91003
        finally:
            await group.close()


async def test_a_peer_whose_resume_fails_asks_the_host_again_and_gets_a_fresh_snapshot(dev, peers: Peers):
    ada = await peers.join("room6", "Ada")
    bob = await peers.join("room6", "Bob")
    await eventually(lambda: bob.state.status == "acknowledged", "Bob's snapshot")
    resynced: list[dict] = []
    bob.on("resynced", resynced.append)
    dev.emulator.controls.drop_connection(bob.ably.connection_id, forget=True)
    await eventually(lambda: len(resynced) == 1, "Bob's resync after the failed resume", timeout=20)
    await ada.stream_words()
    await eventually(
        lambda: bob.state.status == "acknowledged", "the host's fresh snapshot (within its one-second rate)"
    )
    await eventually(lambda: bob.state.received_words == PHRASE, "the phrase at Bob's")
