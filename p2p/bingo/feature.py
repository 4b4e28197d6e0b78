"""Bingo as a feature of the session (p2p/feature.py; site/bingo/feature.js; docs/build-a-game.md): its message
kinds, the mirror every peer keeps (mirror.py) and the host's part (host.py), made from the mirror on election."""

from typing import Any

from ..feature import ANYONE, HOST, INBOX, SESSION, Feature, Kind
from .host import BingoHost
from .mirror import BingoMirror


def mirror_of(session: Any) -> BingoMirror:
    return session.mirrors["bingo"]


def judge(session: Any, message: dict[str, Any]) -> None:
    """A claim reaches the host's part, judged on its own (it waits its turn behind a call being sent); one sent by
    a peer that saw this peer elected before this peer did waits for the election (no lost claim)."""
    host = session.server.parts.get("bingo") if session.server is not None else None
    if host is not None:
        session.background("Could not judge a claim.", host.on_claim(message))
    else:
        mirror_of(session).hold_claim(message)


BINGO = Feature(
    name="bingo",
    kinds={
        # A new round, `{round, paceMs, dealt}`: every card's digest, `[[clientId, digest], ...]`.
        "bingo-round": Kind(HOST, SESSION, lambda s, m: mirror_of(s).on_round(m)),
        # A late joiner's card, `{round, player, digest}`.
        "bingo-dealt": Kind(HOST, SESSION, lambda s, m: mirror_of(s).on_dealt(m)),
        # This player's card, `{round, card, salt}`, on its inbox only.
        "bingo-card": Kind(HOST, INBOX, lambda s, m: mirror_of(s).on_card(m)),
        # The next number, `{round, index, number}`.
        "bingo-call": Kind(HOST, SESSION, lambda s, m: mirror_of(s).on_call(m)),
        # The pace, `{round, paceMs, paused}`.
        "bingo-pace": Kind(HOST, SESSION, lambda s, m: mirror_of(s).on_pace(m)),
        # A player's claim, `{round, card, salt}`, on the host's inbox: the host judges it.
        "bingo-claim": Kind(ANYONE, INBOX, judge),
        # The verified winner, `{round, player, card, salt, line}`: every receiver verifies it again.
        "bingo-winner": Kind(HOST, SESSION, lambda s, m: mirror_of(s).on_winner(m)),
        # The host's refusal of my claim, `{round, reason}`, on my inbox.
        "bingo-refused": Kind(HOST, INBOX, lambda s, m: mirror_of(s).on_refused(m)),
    },
    mirror=BingoMirror,
    host=BingoHost,
)
