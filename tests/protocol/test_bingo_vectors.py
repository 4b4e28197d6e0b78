"""Bingo's shared vectors (tests/protocol/vectors/bingo.json) against the Python peer's rules (p2p/bingo/rules.py).

tests/js reads the same vectors for the site's rules, so a card dealt, a claim verified or a snapshot mirrored by one
side is judged alike by the other.
"""

import pytest

from p2p.bingo.rules import LINES, Round, card_digest, complete_line, dealt_of, is_card, random_card, round_of, verdict

from .test_vectors import cases, vectors

BINGO = vectors("bingo")


@pytest.mark.parametrize("case", BINGO["digests"], ids=lambda case: f"{case['clientId']}-{case['round']}")
def test_a_cards_digest_is_the_sha256_of_its_commitment_string(case):
    assert card_digest(case["round"], case["clientId"], case["salt"], case["card"]) == case["digest"]


@pytest.mark.parametrize("case", BINGO["cards"], ids=lambda case: case["why"])
def test_a_card_is_well_formed_or_refused_for_its_reason(case):
    assert is_card(case["card"]) is case["valid"]


@cases(BINGO["claims"])
def test_a_claim_gets_the_hosts_verdict_and_the_first_complete_line(case):
    state = case["state"]
    mirrored = Round(state["round"], state["phase"], calls=state["calls"], dealt=dealt_of(state["dealt"]) or {})
    assert verdict(mirrored, case["from"], case["claim"]) == (case["verdict"], case.get("line"))


@cases(BINGO["snapshots"])
def test_a_snapshots_round_is_mirrored_as_given_or_dropped(case):
    kept = round_of(case["bingo"])
    assert (kept.wire() if kept else None) == (case["bingo"] if case["kept"] else None)


def test_a_dealt_card_is_random_and_valid_and_completes_a_line_only_when_called():
    cards = [random_card() for _ in range(50)]
    assert all(is_card(card) for card in cards)
    assert len({tuple(card) for card in cards}) == 50
    assert complete_line(cards[0], []) is None
    assert complete_line(cards[0], cards[0]) == list(LINES[0])
