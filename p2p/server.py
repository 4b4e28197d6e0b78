"""The host's side of a session (site/p2p.lib.server.js): answers `connected` with a snapshot, streams the phrase."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from .client import Sender
from .rules import CONNECTED_INTERVAL_S, PHRASE_WORDS, WORD_INTERVAL_S, current_phrase

# kind, from and via: what every received message has before its payload.
RECEIVED_FIELDS = 3


class P2PServer:
    """Only the elected host runs one; a peer elected after the host left starts it with the words it mirrored."""

    def __init__(
        self,
        ably: Sender,
        base: int = 0,
        words: list[str] | None = None,
        word_interval: float = WORD_INTERVAL_S,
        connected_interval: float = CONNECTED_INTERVAL_S,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ably = ably
        self.word_interval = word_interval
        self.connected_interval = connected_interval
        self.sleep = sleep
        self.now = now
        self.stopped = False
        self.base, self.words = current_phrase(base, list(words or []))
        # clientId → when its `connected` was last answered, and the coalesced answer still to come.
        self.answered: dict[str, tuple[float, asyncio.Task[None] | None]] = {}
        self.streaming: asyncio.Task[None] | None = None

    def snapshot(self) -> dict[str, Any]:
        """The current (or last) phrase and its first index: under 1 KiB however long the session."""
        return {"base": self.base, "words": list(self.words)}

    @property
    def stream_unfinished(self) -> bool:
        return len(self.words) % len(PHRASE_WORDS) != 0

    @property
    def next_index(self) -> int:
        return self.base + len(self.words)

    async def on_receive_message(self, message: dict[str, Any]) -> None:
        """A peer joined or lost track (`connected`, on our inbox, no payload): answer with the snapshot."""
        if self.stopped or message.get("kind") != "connected":
            return
        sender = message.get("from")
        if message.get("via") != "inbox" or not isinstance(sender, str) or not sender:
            return
        if len(message) != RECEIVED_FIELDS:
            return
        await self.answer_connected(sender)

    async def answer_connected(self, client_id: str) -> None:
        """At most one snapshot per clientId per interval; repeats within it share one answer at its end."""
        now = self.now()
        for known, (at, trailing) in list(self.answered.items()):
            if trailing is None and now - at >= self.connected_interval:
                del self.answered[known]
        if client_id not in self.answered:
            self.answered[client_id] = (now, None)
            await self.send_snapshot(client_id)
            return
        at, trailing = self.answered[client_id]
        if trailing is None:
            trailing = asyncio.ensure_future(self._answer_later(client_id, at + self.connected_interval - now))
            self.answered[client_id] = (at, trailing)
        await asyncio.shield(trailing)

    async def _answer_later(self, client_id: str, delay: float) -> None:
        await self.sleep(delay)
        self.answered[client_id] = (self.now(), None)
        if not self.stopped:
            await self.send_snapshot(client_id)

    async def send_snapshot(self, client_id: str) -> None:
        await self.ably.send_message({"kind": "connection-acknowledged", **self.snapshot()}, client_id)

    def send_words_across_multiple_messages(self) -> "asyncio.Task[None]":
        """Stream the phrase, one word per message; an unfinished phrase is completed, not restarted."""
        if self.streaming is None or self.streaming.done():
            self.streaming = asyncio.ensure_future(self._stream())
        return self.streaming

    async def _stream(self) -> None:
        first = True
        while first or self.stream_unfinished:
            if not first:
                await self.sleep(self.word_interval)
            first = False
            if self.stopped:
                return
            if len(self.words) == len(PHRASE_WORDS):
                self.base, self.words = self.next_index, []
            index, word = self.next_index, PHRASE_WORDS[len(self.words)]
            await self.ably.send_message({"kind": "word", "index": index, "word": word})
            self.words.append(word)

    def stop(self) -> None:
        """Stop hosting: answer nothing more, end a running stream after its current word."""
        self.stopped = True
