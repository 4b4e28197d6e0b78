"""The word stream as a Part of the session (p2p/hosted.py): every peer mirrors the host's words by index; the host
streams the demo phrase and its snapshot is the current phrase (site/p2p.lib.client.js, site/p2p.lib.server.js)."""

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, ClassVar

from .hosted import HOST, SESSION, Kind, Notify, Part, Sender
from .rules import PHRASE_WORDS, WORD_INTERVAL_S, current_phrase, is_snapshot, merge_words


class WordStream(Part):
    """The words live in `state` (`word_base`, `words`: what the peer shows); words ahead of a gap wait in `pending`.

    Emits `words` (the words appended) through `notify`.
    """

    kinds: ClassVar[Mapping[str, Kind]] = {"word": Kind(HOST, SESSION, "on_word")}
    required = True  # a snapshot is first of all the current phrase

    def __init__(
        self,
        ably: Sender,
        state: Any,
        notify: Notify = lambda _event, _detail: None,
        word_interval: float = WORD_INTERVAL_S,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.ably = ably
        self.state = state
        self.notify = notify
        self.word_interval = word_interval
        self.sleep = sleep
        self.pending: dict[int, str] = {}
        self.hosting = False
        self.streaming: asyncio.Task[None] | None = None

    def on_word(self, message: Mapping[str, Any]) -> None:
        """One word of the stream; a word of the wrong shape is dropped."""
        self.add_words([(message.get("index"), message.get("word"))])

    def add_words(self, incoming: list[tuple[Any, Any]]) -> list[str]:
        appended = merge_words(self.state.word_base, self.state.words, self.pending, incoming)
        if appended:
            self.notify("words", appended)
        return appended

    def read_snapshot(self, snapshot: Mapping[str, Any]) -> tuple[int, list[str]] | None:
        return (int(snapshot["base"]), list(snapshot["words"])) if is_snapshot(snapshot) else None

    def take_snapshot(self, part: tuple[int, list[str]]) -> None:
        """The current phrase: one ahead of everything seen starts the words over at its base."""
        base, words = part
        if base > self.state.word_base + len(self.state.words):
            self.state.word_base = base
            self.state.words = []
            self.pending = {index: word for index, word in self.pending.items() if index >= base}
        self.add_words([(base + offset, word) for offset, word in enumerate(words)])

    def snapshot(self) -> dict[str, Any]:
        """The current (or last) phrase and its first index: under 1 KiB however long the session."""
        base, words = current_phrase(self.state.word_base, self.state.words)
        return {"base": base, "words": list(words)}

    @property
    def next_index(self) -> int:
        return self.state.word_base + len(self.state.words)

    @property
    def stream_unfinished(self) -> bool:
        return self.next_index % len(PHRASE_WORDS) != 0

    def start_hosting(self) -> None:
        self.hosting = True

    def stop_hosting(self) -> None:
        """Stop streaming after the current word."""
        self.hosting = False

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
            if not self.hosting:
                return
            index = self.next_index
            word = PHRASE_WORDS[index % len(PHRASE_WORDS)]
            await self.ably.send_message({"kind": "word", "index": index, "word": word})
            self.add_words([(index, word)])
