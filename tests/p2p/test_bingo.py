"""Bingo between Python peers on the emulator (docs/protocol.md, the bingo kinds): a Python host deals, calls and
verifies every claim; bots (examples/bingo_bot.py) mark their cards and claim; a round survives its host leaving;
forgeries change nothing; the bot says what happens and gets its command line wrong in one usage line."""

import asyncio
import contextlib
import inspect
import re
import signal
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from devserver import DevServer
from examples.bingo_bot import play
from p2p.bingo.feature import BINGO
from p2p.bingo.rules import card_digest, is_card, new_salt, random_card, round_of, verdict
from p2p.session import P2PSession

from ..protocol.test_vectors import RecordingSender, not_connected
from .conftest import Peers, eventually
from .test_cli import Cli

BOT = "examples.bingo_bot"
PACE_MS = 250  # the fastest pace the protocol allows: what every peer is told


async def quick(seconds: float) -> None:
    """The host's clock, 25 times faster than the pace it announces, so a round takes a second or so."""
    await asyncio.sleep(seconds / 25)


@contextlib.asynccontextmanager
async def playing(*sessions: P2PSession) -> AsyncIterator[None]:
    """The bingo bot's play() on each session, for the length of the block."""
    bots = [asyncio.ensure_future(play(session)) for session in sessions]
    try:
        yield
    finally:
        for bot in bots:
            bot.cancel()
        await asyncio.gather(*bots, return_exceptions=True)


def me(session: P2PSession) -> str:
    assert session.state.my_client_id
    return session.state.my_client_id


def won(*sessions: P2PSession) -> bool:
    return all(session.bingo.round is not None and session.bingo.round.winner for session in sessions)


async def all_acknowledged(*sessions: P2PSession) -> None:
    await eventually(lambda: all(session.state.status == "acknowledged" for session in sessions), "every snapshot")
    await eventually(lambda: all(len(s.state.players) == len(sessions) for s in sessions), "every roster")


async def test_a_python_host_and_two_bots_play_a_round_to_a_winner_every_peer_verified(peers: Peers, capsys):
    host = await peers.join("bingo-1", "Host", sleep=quick)
    ann, ben = await peers.join("bingo-1", "Ann"), await peers.join("bingo-1", "Ben")
    await all_acknowledged(host, ann, ben)
    async with playing(ann, ben):
        await host.bingo_host.start_round(PACE_MS)
        await eventually(lambda: won(host, ann, ben), "the winner at every peer")
    round_ = host.bingo.round
    winner = round_.winner
    assert winner["player"] in (me(ann), me(ben))
    assert [(s.bingo.round.winner, s.bingo.round.calls) for s in (ann, ben)] == [(winner, round_.calls)] * 2
    claim = {"round": 1, "card": winner["card"], "salt": winner["salt"]}
    assert verdict(replace(round_, phase="playing"), winner["player"], claim) == ("winner", winner["line"])
    assert len(set(round_.calls)) == len(round_.calls)
    for bot in (ann, ben):  # each card is the one whose digest the host published for that player
        card = bot.bingo.card
        assert round_.dealt[me(bot)] == card_digest(1, me(bot), card["salt"], card["card"])
    name = "Ann" if winner["player"] == me(ann) else "Ben"
    assert capsys.readouterr().out.count(f"Winner of round 1: {name} (") == 2


async def test_the_host_leaves_mid_round_and_the_next_host_finishes_it_with_the_same_cards_and_calls(peers: Peers):
    ada = await peers.join("bingo-2", "Ada")  # calls every 250 ms, for real
    bob = await peers.join("bingo-2", "Bob", sleep=quick)
    cyd = await peers.join("bingo-2", "Cyd", sleep=quick)
    await all_acknowledged(ada, bob, cyd)
    announced_by: list[str | None] = []
    cyd.on("message", lambda m: announced_by.append(m["from"]) if m["kind"] == "bingo-winner" else None)
    async with playing(bob, cyd):
        await ada.bingo_host.start_round(PACE_MS)
        await eventually(lambda: cyd.bingo.card is not None and len(cyd.bingo.round.calls) >= 2, "two calls")
        cards = (bob.bingo.card, cyd.bingo.card)
        await ada.close()  # before any line can be complete: a line needs four calls
        await eventually(lambda: bob.is_host, "Bob elected")
        called_before = list(cyd.bingo.round.calls)
        await eventually(lambda: won(bob, cyd), "the winner at Bob's and Cyd's")
    calls = cyd.bingo.round.calls
    assert len(called_before) < 4
    assert calls[: len(called_before)] == called_before
    assert len(set(calls)) == len(calls)
    assert bob.bingo.round.calls == calls
    assert (cyd.bingo.round.round, bob.bingo.card, cyd.bingo.card) == (1, *cards)
    assert announced_by == [me(bob)]  # the new host verified the claim


async def test_forged_calls_winners_rounds_cards_and_claims_change_nothing_and_a_late_joiner_is_dealt(peers: Peers):
    ada = await peers.join("bingo-3", "Ada")
    bob = await peers.join("bingo-3", "Bob")
    mallory = await peers.join("bingo-3", "Mallory")
    await all_acknowledged(ada, bob, mallory)
    await ada.bingo_host.start_round(PACE_MS)
    await ada.bingo_host.set_pace(PACE_MS, paused=True)
    eve = await peers.join("bingo-3", "Eve")  # a late joiner: dealt a card in the round under way
    for session in (bob, mallory, eve):
        await eventually(lambda s=session: s.bingo.card is not None and s.bingo.round.phase == "paused", "a card")
    bob_sees: list[dict[str, Any]] = []
    bob.on("bingo", bob_sees.append)
    refusals: list[tuple[str, str]] = []
    for cheat in (mallory, eve):
        name = cheat.identity.friendly_name
        cheat.on("bingo", lambda e, n=name: refusals.append((n, e["reason"])) if e["event"] == "refused" else None)
    round_ = bob.bingo.round.copy()
    uncalled = next(n for n in range(1, 76) if n not in round_.calls)
    mine = mallory.bingo.card
    made_up = {"round": 1, "card": random_card(), "salt": new_salt()}
    for forged in (
        {"kind": "bingo-call", "round": 1, "index": len(round_.calls), "number": uncalled},
        {"kind": "bingo-winner", "round": 1, "player": me(mallory), **mine, "line": [0, 1, 2, 3, 4]},
        {"kind": "bingo-round", "round": 2, "paceMs": PACE_MS, "dealt": []},
        {"kind": "bingo-pace", "round": 1, "paceMs": 9999, "paused": False},
    ):
        await mallory.send(forged)
    await mallory.send({"kind": "bingo-card", **made_up}, me(bob))
    for cheat, claim in ((mallory, made_up), (eve, bob.bingo.card)):  # a card made up; Bob's card, claimed by Eve
        cheat.bingo.claim = claim  # pending, as claim_bingo() keeps it, so the verdict is shown
        await cheat.send({"kind": "bingo-claim", **claim}, me(ada))
    await eventually(lambda: len(refusals) == 2, "the verdicts on Mallory's and Eve's claims")
    await ada.bingo_host.set_pace(500, paused=True)  # after every forgery: what Bob shows next is the host's
    await eventually(lambda: bob.bingo.round.pace_ms == 500, "the host's new pace at Bob's")
    assert sorted(refusals) == [("Eve", "not-your-card"), ("Mallory", "not-your-card")]
    assert bob_sees == [{"event": "pace", "paceMs": 500, "paused": True}]
    assert (bob.bingo.round.calls, bob.bingo.round.winner, bob.bingo.round.round) == (round_.calls, None, 1)
    assert list(ada.bingo_host.round.dealt) == [me(ada), me(bob), me(mallory), me(eve)]  # type: ignore[union-attr]


async def test_the_bingo_bot_prints_its_card_its_claim_and_the_winner_and_leaves_on_ctrl_c(peers: Peers):
    host = await peers.join("bingo-cli", "Host", sleep=quick)
    bot = await Cli.start(f"{peers.url}/s/bingo-cli", "--name", "Bot", module=BOT)
    await bot.wait_for(r"^Joined bingo-cli as Bot: playing bingo \(Ctrl-C leaves\)$")
    await eventually(lambda: len(host.state.players) == 2, "the bot in the host's roster")
    await host.bingo_host.start_round(PACE_MS)
    await bot.wait_for(r"^Card for round 1: (\d+ ){5}/ (\d+ ){5}/ (\d+ ){2}\* (\d+ ){2}/ (\d+ ){5}/ (\d+ ){4}\d+$")
    claimed = (await bot.wait_for(r"^Bingo! Claiming ([\d* ]+)$")).group(1)
    await bot.wait_for(rf"^Winner of round 1: Bot \({re.escape(claimed)}\)$")
    bot.process.send_signal(signal.SIGINT)
    status, _out, err = await bot.finish()
    assert (status, err) == (0, "")
    assert host.bingo.round.winner is not None


async def test_a_claim_awaiting_its_verdict_when_the_host_leaves_goes_to_the_next_host(peers: Peers):
    ada = await peers.join("bingo-4", "Ada")
    bob = await peers.join("bingo-4", "Bob")  # the next host
    cyd = await peers.join("bingo-4", "Cyd")
    await all_acknowledged(ada, bob, cyd)
    await ada.bingo_host.start_round(PACE_MS)
    await ada.bingo_host.set_pace(PACE_MS, paused=True)
    await eventually(lambda: cyd.bingo.card is not None and cyd.bingo.round.phase == "paused", "Cyd's card")
    verdicts: list[tuple[str, str | None]] = []
    cyd.on("message", lambda m: verdicts.append((m["kind"], m["from"])) if m["kind"] == "bingo-refused" else None)
    cyd.bingo.claim = dict(cyd.bingo.card)  # sent to Ada, who leaves before she answers
    await ada.close()
    await eventually(lambda: verdicts == [("bingo-refused", me(bob))], "Bob's verdict on Cyd's claim")
    assert cyd.bingo.claim is None


async def test_a_player_whose_connection_drops_comes_back_with_its_card_and_the_calls_it_missed(
    dev: DevServer, peers: Peers
):
    ada = await peers.join("bingo-5", "Ada", sleep=quick)
    bob = await peers.join("bingo-5", "Bob")
    await all_acknowledged(ada, bob)
    await ada.bingo_host.start_round(PACE_MS)
    await eventually(lambda: bob.bingo.card is not None, "Bob's card")
    card = bob.bingo.card
    resynced: list[dict[str, Any]] = []
    bob.on("resynced", resynced.append)
    dev.emulator.controls.drop_connection(bob.ably.connection_id, forget=True)  # a new connection: rewind, snapshot
    await eventually(lambda: len(resynced) == 1, "Bob's resync after the failed resume", timeout=20)
    called = ada.bingo_host.round.calls  # type: ignore[union-attr]
    await eventually(lambda: len(called) == 75 and bob.bingo.round.calls == called, "every call at Bob's")
    assert (bob.bingo.card, bob.bingo.round.round) == (card, 1)
    assert bob.bingo.line is not None  # every number called: his card has a line to claim


def present(*client_ids: str) -> dict[str, Any]:
    """A presence set, in join order, as the PubSubClient hands it over."""
    members = [{"clientId": c, "connectionId": c, "timestamp": n, "data": {}} for n, c in enumerate(client_ids)]
    return {"kind": "presence", "members": members, "from": None, "via": "presence"}


async def test_a_claim_that_reaches_the_next_host_before_it_knows_it_is_elected_is_judged_once_it_knows():
    cyd = P2PSession("held", create_realtime=not_connected, sleep=lambda _s: asyncio.Event().wait())
    cyd.ably = cyd.client.ably = sent = RecordingSender("cyd")  # type: ignore[assignment]
    card = {"round": 1, "card": random_card(), "salt": new_salt()}
    try:
        await cyd._handle(present("ada", "cyd"))
        dealt = [["bob", card_digest(1, "bob", card["salt"], card["card"])]]
        await cyd.receive(
            {"kind": "bingo-round", "round": 1, "paceMs": PACE_MS, "dealt": dealt, "from": "ada", "via": "session"}
        )
        await cyd.receive({"kind": "bingo-claim", **card, "from": "bob", "via": "inbox"})  # Bob saw Ada leave first
        await cyd._handle(present("cyd"))
        refused = ({"kind": "bingo-refused", "round": 1, "reason": "not-a-line"}, "bob")
        await eventually(lambda: refused in sent.sent, "Cyd's verdict on Bob's claim")
    finally:
        await cyd.tasks.close()


async def test_python_m_p2p_host_bingo_deals_every_player_once_one_has_joined(peers: Peers):
    host = await Cli.start("host", peers.url, "--name", "Dealer", "--bingo", "--pace-ms", "250")
    session_id = (await host.wait_for(r"^Share: \S+/s/(\S+)$")).group(1)
    await host.wait_for("^Waiting for 1 player to join before dealing$")
    ann = await peers.join(session_id, "Ann")
    await host.wait_for("^Bingo round 1: 2 cards dealt, a number every 250 ms$")
    await eventually(lambda: ann.bingo.card is not None and len(ann.bingo.round.calls) >= 1, "Ann's card, a call")
    host.process.send_signal(signal.SIGINT)
    status, _out, err = await host.finish()
    assert (status, err) == (0, "")


def test_the_python_peer_page_shows_the_bots_play_exactly_as_the_tested_example_has_it():
    page = Path(__file__).resolve().parents[2].joinpath("docs/python-peer.md").read_text()
    assert inspect.getsource(play) in page


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ((), "the following arguments are required: link"),
        (("http://127.0.0.1:4280",), "argument link: not a session link: 'http://127.0.0.1:4280'"),
    ],
)
async def test_the_bingo_bot_without_a_session_link_prints_its_usage_and_exits_2(args, error):
    status, out, err = await (await Cli.start(*args, module=BOT)).finish()
    assert (status, out) == (2, "")
    usage, line = err.splitlines()
    assert usage == "usage: python -m examples.bingo_bot [-h] [--name NAME] link"
    assert line.startswith(f"python -m examples.bingo_bot: error: {error}"), err


HOSTILE = [None, True, False, -1, 0, 1.5, 2**53, "1", "", [], {}, [1] * 300, "x" * 10_000, {"round": 1}]


async def test_any_field_of_any_bingo_kind_gone_wrong_even_from_the_host_leaves_a_well_formed_round_and_card():
    player = P2PSession("fuzz", create_realtime=not_connected)
    player.state.host_client_id, player.state.my_client_id = "host", "me"
    deal = {"round": 1, "card": random_card(), "salt": new_salt()}
    digest = card_digest(1, "me", deal["salt"], deal["card"])
    well_formed = {
        "bingo-round": {"round": 1, "paceMs": PACE_MS, "dealt": [["me", digest]]},
        "bingo-card": deal,
        "bingo-dealt": {"round": 1, "player": "late", "digest": digest},
        "bingo-call": {"round": 1, "index": 0, "number": deal["card"][0]},
        "bingo-pace": {"round": 1, "paceMs": 500, "paused": True},
        "bingo-winner": {"round": 1, "player": "me", **deal, "line": [0, 1, 2, 3, 4]},
        "bingo-refused": {"round": 1, "reason": "not-a-line"},
    }
    for kind, payload in well_formed.items():
        channel = BINGO.kinds[kind].channel
        for field in payload:
            for value in HOSTILE:
                await player.receive({**payload, field: value, "kind": kind, "from": "host", "via": channel})
                mirrored = player.bingo.round
                assert mirrored is None or round_of(mirrored.wire()) == mirrored, (kind, field, value)
                assert player.bingo.card is None or is_card(player.bingo.card["card"]), (kind, field, value)
