"""The session protocol's rules, free of I/O: names, channels, roster and election, validation, word merging.

Each function mirrors one in site/ (named in its docstring) and is checked against the same JSON vectors
(tests/protocol/vectors/), so the Python peer and the browsers agree. The session-id rule and the channel names are
not here: p2p/ uses the token endpoint's own (api/token_policy.py). JavaScript measures strings in UTF-16 code units
and compares them by code unit; where that matters the helpers below do the same.
"""

import math
import re
import secrets
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

PHRASE = "The quick brown fox jumped over the lazy dog"
PHRASE_WORDS = PHRASE.split(" ")
WORD_INTERVAL_S = 0.5
CONNECTED_INTERVAL_S = 1.0
# A peer's publishes: this many at once, then this many a second (site/publish-pacer.js; under Ably's 50 a second).
PUBLISH_BURST = 20
PUBLISH_RATE = 30
# A peer's announces (site/announce-pacing.js): after a host change, a roster past ANNOUNCE_AT_ONCE spreads them at
# random to about ANNOUNCE_RATE a second (under Ably's 50 a second per channel, the new host's inbox); an announce
# refused for a rate (these codes) goes again within a window doubling from RETRY_FIRST_S to RETRY_MAX_S.
ANNOUNCE_AT_ONCE = 25
ANNOUNCE_RATE = 25
RETRY_FIRST_S = 1.0
RETRY_MAX_S = 8.0
RATE_LIMIT_CODES = frozenset({42910, 42911, 42913, 42922})
MAX_FRIENDLY_NAME_LENGTH = 32
MAX_RAW_NAME_LENGTH = 8 * MAX_FRIENDLY_NAME_LENGTH
MAX_WORD_LENGTH = 64
MAX_PENDING_WORDS = len(PHRASE_WORDS)
MAX_SAFE_INTEGER = 2**53 - 1
ANONYMOUS = "Anonymous"
HOST_KINDS = frozenset({"connection-acknowledged", "word"})
RECEIVER_FIELDS = ("kind", "from", "via")

# Generated session ids (site/session-id.js GENERATED_ID_ALPHABET): no look-alikes (0/o, 1/l/i), in groups of five.
GENERATED_ID_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
GENERATED_ID_GROUP = 5
SECRET_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

# JavaScript's \s (WhiteSpace and LineTerminator), which differs from Python's str.isspace() (e.g. U+FEFF).
JS_SPACE = "\t\n\v\f\r \u00a0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000\ufeff"
JS_SPACE_RUN = re.compile(f"[{re.escape(JS_SPACE)}]+")
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def utf16_length(text: str) -> int:
    """A string's length as JavaScript counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def utf16_prefix(text: str, units: int) -> str:
    """JavaScript's `text.slice(0, units)`: may end in half a surrogate pair, as there."""
    return text.encode("utf-16-le", "surrogatepass")[: 2 * units].decode("utf-16-le", "surrogatepass")


def utf16_key(text: str) -> bytes:
    """Sorts strings as JavaScript's `<` does (by UTF-16 code unit)."""
    return text.encode("utf-16-be", "surrogatepass")


def normalize_friendly_name(name: object) -> str:
    """site/friendly-name.js normalizeFriendlyName: no control or bidi characters, single spaces, ≤ 32 characters."""
    raw = utf16_prefix(name, MAX_RAW_NAME_LENGTH) if isinstance(name, str) else ""
    cleaned = "".join(c for c in raw if c not in BIDI_CONTROLS and unicodedata.category(c) != "Cc")
    cleaned = JS_SPACE_RUN.sub(" ", cleaned).strip(JS_SPACE)
    return cleaned[:MAX_FRIENDLY_NAME_LENGTH].strip(JS_SPACE)


def default_friendly_name() -> str:
    """A name for someone who did not give one, e.g. `Bot-4821`."""
    return f"Bot-{1000 + secrets.randbelow(9000)}"


def random_session_id(symbols: int = 15) -> str:
    """site/session-id.js randomSessionId: e.g. `k7m2x-9qhvd-4nfp8`, 74 random bits for the default 15 symbols."""
    picked = "".join(secrets.choice(GENERATED_ID_ALPHABET) for _ in range(symbols))
    return "-".join(picked[start : start + GENERATED_ID_GROUP] for start in range(0, symbols, GENERATED_ID_GROUP))


def new_peer_secret() -> str:
    """site/session-id.js newPeerSecret: the secret token requests carry (`peer=`), so that every renewal keeps this
    peer's clientId. 192 bits."""
    return "".join(SECRET_ALPHABET[byte & 63] for byte in secrets.token_bytes(32))


def is_number(value: object) -> bool:
    """JavaScript's `Number.isFinite` for a JSON value (booleans are not numbers there)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def is_index(value: object) -> bool:
    """`Number.isSafeInteger(value) && value >= 0` (JSON 3.0 is the integer 3 in JavaScript)."""
    return is_number(value) and float(value).is_integer() and 0 <= value <= MAX_SAFE_INTEGER  # type: ignore[arg-type,operator]


def is_word(value: object) -> bool:
    return isinstance(value, str) and utf16_length(value) <= MAX_WORD_LENGTH


def is_snapshot(payload: Mapping[str, Any]) -> bool:
    """site/p2p.lib.client.js isSnapshot: the current phrase, its first index a multiple of the phrase length."""
    base, words = payload.get("base"), payload.get("words")
    return (
        is_index(base)
        and int(base) % len(PHRASE_WORDS) == 0  # type: ignore[arg-type]
        and isinstance(words, list)
        and len(words) <= len(PHRASE_WORDS)
        and all(is_word(word) for word in words)
    )


def received_message(name: object, data: object, client_id: object, via: str) -> dict[str, Any] | None:
    """site/p2p.js PubSubClient.receive: the message handlers see (`{...payload, kind, from, via}`), or None.

    Anything but a named message with a JSON object as data is ignored; the receiver fields come from Ably.
    """
    if not isinstance(data, dict) or not isinstance(name, str) or not name:
        return None
    message = {key: value for key, value in data.items() if key not in RECEIVER_FIELDS}
    message.update(kind=name, via=via)
    message["from"] = client_id if isinstance(client_id, str) else None
    return message


def current_phrase(base: int, words: list[str]) -> tuple[int, list[str]]:
    """site/p2p.lib.server.js currentPhrase: the current (or last complete) phrase and its first index."""
    size = len(PHRASE_WORDS)
    following = base + len(words)
    phrase_base = 0 if following == 0 else (following - 1) // size * size
    return phrase_base, words[max(0, phrase_base - base) :]


def merge_words(
    known_base: int, known: list[str], pending: dict[int, str], incoming: Iterable[tuple[Any, Any]]
) -> list[str]:
    """site/p2p.lib.client.js mergeWords: merge `[index, word]` pairs by index into `known` (in place).

    Words ahead of a gap wait in `pending`, at most MAX_PENDING_WORDS of them (the nearest). Returns the words
    appended to `known`.
    """
    for index, word in incoming:
        if not is_index(index) or not is_word(word):
            continue
        index = int(index)
        if index < known_base + len(known) or index in pending:
            continue
        if len(pending) >= MAX_PENDING_WORDS:
            farthest = max(pending)
            if index > farthest:
                continue
            del pending[farthest]
        pending[index] = word
    appended = []
    following = known_base + len(known)
    while following in pending:
        appended.append(pending.pop(following))
        following += 1
    known.extend(appended)
    return appended


@dataclass(frozen=True)
class Member:
    """One presence member as the roster keeps it."""

    client_id: str
    timestamp: float
    friendly_name: str

    def order(self) -> tuple[float, bytes]:
        """Join order: timestamp, then clientId (as JavaScript compares strings)."""
        return (self.timestamp, utf16_key(self.client_id))

    def player(self) -> dict[str, Any]:
        return {"clientId": self.client_id, "friendlyName": self.friendly_name, "joinedAt": self.timestamp}


def member_of(entry: object) -> Member | None:
    """A presence entry (`{clientId, timestamp, data}`) as a Member, or None when it has no clientId or time."""
    if not isinstance(entry, Mapping):
        return None
    client_id, timestamp, data = entry.get("clientId"), entry.get("timestamp"), entry.get("data")
    if not isinstance(client_id, str) or not client_id or not is_number(timestamp):
        return None
    raw_name = data.get("friendlyName") if isinstance(data, Mapping) else None
    return Member(client_id, timestamp, normalize_friendly_name(raw_name) or ANONYMOUS)  # type: ignore[arg-type]


def roster_from_presence(members: Iterable[object]) -> list[dict[str, Any]]:
    """site/p2p.roster.js rosterFromPresence: one player per clientId (its earliest entry), in join order."""
    roster = Roster()
    roster.replace(members)
    return roster.players()


def elect_host(members: Iterable[object]) -> str | None:
    """The earliest joiner's clientId, or None: every peer computes the same answer from the same set."""
    roster = Roster()
    roster.replace(members)
    return roster.host()


PRESENT_ACTIONS = frozenset({"enter", "present", "update"})
GONE_ACTIONS = frozenset({"leave", "absent"})


class Roster:
    """site/p2p.roster.js Roster: the players kept up to date one presence event at a time."""

    def __init__(self) -> None:
        self.connections: dict[str, dict[object, Member]] = {}

    def replace(self, members: Iterable[object]) -> None:
        """Start again from a whole presence set."""
        self.connections = {}
        for entry in members or []:
            self._store(entry)

    def apply(self, event: object) -> bool:
        """Apply one presence event (`{action, clientId, connectionId, timestamp, data}`); True when a player moved."""
        if not isinstance(event, Mapping):
            return False
        action, client_id = event.get("action"), event.get("clientId")
        if not isinstance(client_id, str) or not client_id:
            return False
        before = self._earliest(client_id)
        if action in PRESENT_ACTIONS:
            if not self._store(event):
                return False
        elif action in GONE_ACTIONS:
            connections = self.connections.get(client_id, {})
            if connections.pop(event.get("connectionId"), None) is None:
                return False
            if not connections:
                del self.connections[client_id]
        else:
            return False
        return self._earliest(client_id) != before

    def players(self) -> list[dict[str, Any]]:
        """The players in join order (the host first), as rosterFromPresence lists them."""
        earliest = [self._earliest(client_id) for client_id in self.connections]
        return [member.player() for member in sorted((m for m in earliest if m), key=Member.order)]

    def host(self) -> str | None:
        earliest = [m for m in (self._earliest(client_id) for client_id in self.connections) if m]
        return min(earliest, key=Member.order).client_id if earliest else None

    def _store(self, entry: object) -> bool:
        member = member_of(entry)
        if member is None:
            return False
        connection_id = entry.get("connectionId") if isinstance(entry, Mapping) else None
        self.connections.setdefault(member.client_id, {})[connection_id] = member
        return True

    def _earliest(self, client_id: str) -> Member | None:
        connections = self.connections.get(client_id)
        return min(connections.values(), key=Member.order) if connections else None
