"""The word stream, the tutorial's demo, as a feature (p2p/feature.py; site/p2p.session.js WORD_STREAM): every peer
mirrors the host's words by index (WordMirror, site/p2p.lib.client.js); the host streams the phrase and its snapshot
is the current phrase (WordStream, site/p2p.lib.server.js)."""

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from .feature import HOST, SESSION, Feature, HostPart, Kind, Mirror, Notify, Sender
from .rules import PHRASE_WORDS, WORD_INTERVAL_S, current_phrase, is_snapshot, merge_words


class WordMirror(Mirror):
    """The words live in `state` (`word_base`, `words`: what the peer shows); words ahead of a gap wait in `pending`.
    Emits `words` (the words appended) through `notify`."""

    def __init__(self, state: Any, notify: Notify = lambda _event, _detail: None) -> None:
        self.state = state
        self.notify = notify
        self.pending: dict[int, str] = {}

    def on_word(self, message: Mapping[str, Any]) -> None:
        """One word of the stream; a word of the wrong shape is dropped."""
        self.add_words([(message.get("index"), message.get("word"))])

    def add_words(self, incoming: list[tuple[Any, Any]]) -> None:
        appended = merge_words(self.state.word_base, self.state.words, self.pending, incoming)
        if appended:
            self.notify("words", appended)

    def accepts(self, snapshot: Mapping[str, Any]) -> bool:
        """A snapshot is first of all the current phrase (site/p2p.lib.client.js isSnapshot)."""
        return is_snapshot(snapshot)

    def restore(self, snapshot: Mapping[str, Any]) -> None:
        """The current phrase: one ahead of everything seen starts the words over at its base."""
        base = int(snapshot["base"])
        if base > self.state.word_base + len(self.state.words):
            self.state.word_base = base
            self.state.words = []
            self.pending = {index: word for index, word in self.pending.items() if index >= base}
        self.add_words([(base + offset, word) for offset, word in enumerate(snapshot["words"])])


class WordStream(HostPart):
    """The host's phrase, from the words it mirrored; a peer elected mid-phrase finishes it."""

    def __init__(
        self,
        ably: Sender,
        base: int = 0,
        words: list[str] | None = None,
        word_interval: float = WORD_INTERVAL_S,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.ably = ably
        self.word_interval = word_interval
        self.sleep = sleep
        self.stopped = False
        self.base, self.words = current_phrase(base, list(words or []))
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
        """End a running stream after its current word."""
        self.stopped = True


WORD_STREAM = Feature(
    name="words",
    kinds={
        # One word of the stream, `{index, word}`.
        "word": Kind(HOST, SESSION, lambda session, message: session.mirrors["words"].on_word(message)),
    },
    mirror=lambda session: WordMirror(session.state, session.emit),
    host=lambda session, _mirror: WordStream(
        session.ably, session.state.word_base, session.state.words, session.word_interval, session.sleep
    ),
)
