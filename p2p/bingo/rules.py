"""Bingo's rules, free of I/O (docs/protocol.md, "Bingo"): cards, lines, the card's digest, a claim's verdict.

75-ball bingo. A card is 25 numbers, row-major; column c holds distinct numbers in [15c + 1, 15c + 15] and the
centre is 0, the free cell. The host publishes only each card's digest (a commitment), so whoever hosts next can
check a claim (the claimant sends its card and salt) without anyone having seen another's card. Held to the shared
vectors (tests/protocol/vectors/bingo.json) with the site's rules.
"""

import hashlib
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ..rules import MAX_SAFE_INTEGER, is_index

SIZE = 5
CELLS = SIZE * SIZE
FREE_CELL = 12
COLUMN_SPAN = 15
MAX_NUMBER = SIZE * COLUMN_SPAN
DIGEST_PREFIX = "bingo-card/1"
MIN_PACE_MS = 250
MAX_PACE_MS = 10_000
DEFAULT_PACE_MS = 2000
MAX_DEALT = 200  # Ably's presence limit: never more players than that
PHASES = ("playing", "paused", "won")
REFUSALS = ("not-a-line", "not-your-card", "wrong-round", "round-over")
SALT = re.compile(r"[0-9a-f]{32}")
DIGEST = re.compile(r"[0-9a-f]{64}")

# The 12 lines in the order a winner's line is picked: rows, columns, then the two diagonals.
LINES: tuple[tuple[int, ...], ...] = (
    *(tuple(range(row * SIZE, row * SIZE + SIZE)) for row in range(SIZE)),
    *(tuple(range(col, CELLS, SIZE)) for col in range(SIZE)),
    (0, 6, 12, 18, 24),
    (4, 8, 12, 16, 20),
)


def is_integer(value: object, low: int, high: int) -> bool:
    """JavaScript's `Number.isInteger(value) && low <= value <= high` for a JSON value."""
    return is_index(value) and low <= value <= high  # type: ignore[operator]


def is_round(value: object) -> bool:
    return is_integer(value, 1, MAX_SAFE_INTEGER)


def is_same(value: object, number: int) -> bool:
    """`value === number` in JavaScript: `true` is not 1 there (it is in Python)."""
    return is_index(value) and value == number


def is_pace(value: object) -> bool:
    return is_integer(value, MIN_PACE_MS, MAX_PACE_MS)


def is_card(card: object) -> bool:
    """25 integers, the centre 0, every other cell a distinct number of its column's range."""
    if not isinstance(card, list) or len(card) != CELLS:
        return False
    for index, number in enumerate(card):
        low = index % SIZE * COLUMN_SPAN + 1
        if index == FREE_CELL:
            if not is_integer(number, 0, 0):
                return False
        elif not is_integer(number, low, low + COLUMN_SPAN - 1):
            return False
    return len({int(number) for number in card}) == CELLS


def card_digest(round_: int, client_id: str, salt: str, card: Sequence[int]) -> str:
    """The commitment the host publishes: SHA-256 of `bingo-card/1|round|clientId|salt|n,n,...`, lowercase hex."""
    text = "|".join([DIGEST_PREFIX, str(int(round_)), client_id, salt, ",".join(str(int(n)) for n in card)])
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def complete_line(card: Sequence[int], calls: Sequence[int]) -> list[int] | None:
    """The first complete line (every cell free or called), as its 5 indices, or None."""
    called = {int(number) for number in calls} | {0}
    return next((list(line) for line in LINES if all(card[index] in called for index in line)), None)


def random_card() -> list[int]:
    """A new valid card: 5 distinct numbers per column from its range, the centre free."""
    pick = secrets.SystemRandom()
    columns = [
        pick.sample(range(col * COLUMN_SPAN + 1, col * COLUMN_SPAN + COLUMN_SPAN + 1), SIZE) for col in range(SIZE)
    ]
    card = [columns[index % SIZE][index // SIZE] for index in range(CELLS)]
    card[FREE_CELL] = 0
    return card


def new_salt() -> str:
    """128 random bits, new per deal: the digest of a card says nothing about the card."""
    return secrets.token_hex(16)


@dataclass
class Round:
    """The round every peer mirrors (the snapshot's `bingo` field); `dealt` maps clientId → digest in deal order."""

    round: int
    phase: str = "playing"
    pace_ms: int = DEFAULT_PACE_MS
    calls: list[int] = field(default_factory=list)
    dealt: dict[str, str] = field(default_factory=dict)
    winner: dict[str, Any] | None = None

    def wire(self) -> dict[str, Any]:
        """As the snapshot carries it."""
        return {
            "round": self.round,
            "phase": self.phase,
            "paceMs": self.pace_ms,
            "calls": list(self.calls),
            "dealt": [[player, digest] for player, digest in self.dealt.items()],
            "winner": dict(self.winner) if self.winner else None,
        }

    def copy(self) -> "Round":
        return replace(self, calls=list(self.calls), dealt=dict(self.dealt))


def dealt_of(value: object) -> dict[str, str] | None:
    """`[[clientId, digest], ...]` (distinct players, at most MAX_DEALT) as a dict, or None."""
    if not isinstance(value, list) or len(value) > MAX_DEALT:
        return None
    dealt: dict[str, str] = {}
    for entry in value:
        if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str) and entry[0]):
            return None
        if not (isinstance(entry[1], str) and DIGEST.fullmatch(entry[1])) or entry[0] in dealt:
            return None
        dealt[entry[0]] = entry[1]
    return dealt


def calls_of(value: object) -> list[int] | None:
    """Distinct numbers 1..75 in call order, or None."""
    if not isinstance(value, list) or len(value) > MAX_NUMBER:
        return None
    if not all(is_integer(number, 1, MAX_NUMBER) for number in value) or len(set(value)) != len(value):
        return None
    return [int(number) for number in value]


def verdict(state: Round | None, player: object, claim: Mapping[str, Any]) -> tuple[str, list[int] | None]:
    """A claim's verdict, `('winner', line)` or `(reason, None)`, checked in this order: the round is the current
    one ('wrong-round'), not yet won ('round-over'), a well-formed card and salt whose digest is the one dealt to
    `player` ('not-your-card'), a complete line against the calls ('not-a-line')."""
    if state is None or not is_same(claim.get("round"), state.round):
        return "wrong-round", None
    if state.phase == "won":
        return "round-over", None
    card, salt = claim.get("card"), claim.get("salt")
    if not (is_card(card) and isinstance(salt, str) and SALT.fullmatch(salt) and isinstance(player, str)):
        return "not-your-card", None
    if state.dealt.get(player) != card_digest(state.round, player, salt, card):  # type: ignore[arg-type]
        return "not-your-card", None
    line = complete_line(card, state.calls)  # type: ignore[arg-type]
    return ("winner", line) if line else ("not-a-line", None)


def winner_of(state: Round, message: Mapping[str, Any]) -> dict[str, Any] | None:
    """A `bingo-winner` (or a snapshot's `winner`) that re-verifies against `state`, as the round keeps it."""
    player, line = message.get("player"), message.get("line")
    ruling, computed = verdict(state, player, message)
    if computed is None or not isinstance(line, list) or len(line) != len(computed):
        return None
    if ruling != "winner" or not all(map(is_same, line, computed)):
        return None
    return {"player": player, "card": [int(n) for n in message["card"]], "salt": message["salt"], "line": computed}


def round_of(value: object) -> Round | None:
    """The snapshot's `bingo` field as a Round, or None when absent or malformed (only that part is dropped)."""
    if not isinstance(value, Mapping):
        return None
    number, phase, pace = value.get("round"), value.get("phase"), value.get("paceMs")
    calls, dealt = calls_of(value.get("calls")), dealt_of(value.get("dealt"))
    if not (is_round(number) and phase in PHASES and is_pace(pace)) or calls is None or dealt is None:
        return None
    state = Round(int(number), "playing", int(pace), calls, dealt)  # type: ignore[arg-type]
    winner = value.get("winner")
    if winner is None:
        return None if phase == "won" else replace(state, phase=phase)
    state.winner = winner_of(state, {**winner, "round": state.round}) if isinstance(winner, Mapping) else None
    return replace(state, phase="won") if state.winner and phase == "won" else None
