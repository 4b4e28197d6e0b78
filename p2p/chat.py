"""Chat lines, the `chat` kind (site/p2p.chat.js; docs/protocol.md, "Chat"): any player says a short line to everyone.

A line is shown only when it fits: a string of at most MAX_CHAT_LENGTH UTF-16 code units, without control
characters, from a player in the roster (the name shown is the roster's), within that player's rate; a peer keeps
the last CHAT_LINES_KEPT. The same rule as the site's, held to the same vectors (tests/protocol/vectors/chat.json).
"""

import time
import unicodedata
from collections.abc import Iterable
from typing import Any

from .rules import BIDI_CONTROLS, JS_SPACE, JS_SPACE_RUN, utf16_length

MAX_CHAT_LENGTH = 200
CHAT_LINES_KEPT = 20
CHAT_BURST = 5
CHAT_WINDOW_MS = 10_000
# Senders remembered for the rate before the quiet ones are forgotten (Ably's presence limit is 200 members).
CHAT_SENDERS_TRACKED = 256


def monotonic_ms() -> float:
    return time.monotonic() * 1000


def chat_text(text: object) -> str | None:
    """site/p2p.chat.js chatText: the text shown for a line's `text`, or None when no peer shows the line.

    Control characters that are spaces (newline, tab) become one, the others and bidi controls are removed, runs
    of spaces become one and the ends are trimmed; not a string, too long, or nothing left: None.
    """
    if not isinstance(text, str) or utf16_length(text) > MAX_CHAT_LENGTH:
        return None
    kept = "".join(
        (" " if character in JS_SPACE else "")
        if character in BIDI_CONTROLS or unicodedata.category(character) == "Cc"
        else character
        for character in text
    )
    return JS_SPACE_RUN.sub(" ", kept).strip(JS_SPACE) or None


class ChatRate:
    """site/p2p.chat.js ChatRate: at most CHAT_BURST lines per sender in any CHAT_WINDOW_MS."""

    def __init__(self) -> None:
        self.recent: dict[str, list[float]] = {}

    def take(self, sender: str, now: float) -> bool:
        """Count a line from `sender` at `now` (ms, never going back) if its rate allows it; False when not."""
        times = self.within(sender, now)
        if len(times) >= CHAT_BURST:
            return False
        if sender not in self.recent and len(self.recent) >= CHAT_SENDERS_TRACKED:
            self.recent = {known: kept for known, kept in self.recent.items() if kept[-1] > now - CHAT_WINDOW_MS}
        self.recent[sender] = [*times, now]
        return True

    def wait(self, sender: str, now: float) -> float:
        """How long (ms) until `sender` may say a line: 0 when it may now."""
        times = self.within(sender, now)
        return 0 if len(times) < CHAT_BURST else times[0] + CHAT_WINDOW_MS - now

    def within(self, sender: str, now: float) -> list[float]:
        return [at for at in self.recent.get(sender, []) if at > now - CHAT_WINDOW_MS]


class ChatLog:
    """site/p2p.chat.js ChatLog: whom this peer heard lately (the rate), and a count of the lines it showed."""

    def __init__(self) -> None:
        self.rate = ChatRate()
        self.lines_shown = 0

    def accept(self, message: dict[str, Any], players: Iterable[dict[str, Any]], now: float) -> dict[str, Any] | None:
        """The line shown for a received `chat` (`{id, from, name, text}`), or None when it is dropped: its text
        does not fit (chat_text), the sender is not in `players` (the roster), or the sender's rate is spent."""
        text = chat_text(message.get("text"))
        sender = None if text is None else next((p for p in players if p["clientId"] == message.get("from")), None)
        if sender is None or not self.rate.take(sender["clientId"], now):
            return None
        self.lines_shown += 1
        return {"id": self.lines_shown, "from": sender["clientId"], "name": sender["friendlyName"], "text": text}
