"""One peer in one session (site/p2p.session.js P2PSession): the PubSubClient, this peer's P2PClient with the
session's parts (p2p/hosted.py: the word stream, bingo) and, while it is the elected host, its P2PServer over the
same parts. Hosting and joining are the same call, start(): the first to arrive hosts."""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from ably import AblyRealtime

from .bingo_play import Bingo
from .chat import MAX_CHAT_LENGTH, ChatRate, chat_text, monotonic_ms
from .client import P2PClient
from .pubsub import Identity, PubSubClient
from .rules import CONNECTED_INTERVAL_S, WORD_INTERVAL_S
from .server import P2PServer
from .words import WordStream

EVENTS = ("players", "words", "chat", "bingo", "host-changed", "message", "error", "resynced")
# The kinds this peer acts on (docs/protocol.md, "Messages"); any other is a kind of your own, or unknown.
KINDS = frozenset(
    kind for part in (P2PClient, P2PServer, WordStream, Bingo) for kind in [*part.kinds, *part.host_kinds]
)
# A sender paced by say() waits this long past the rate's window, so a line that reaches a peer sooner than the
# line before it did is still within the rate there.
CHAT_SEND_MARGIN_MS = 500
Listener = Callable[[Any], None]


class P2PSession:
    """Events (`on(event, listener)`): `players` (the roster changed: the players list), `words` (new words: the
    list appended), `chat` (a line shown: {id, from, name, text}), `bingo` (the round moved: {event, ...}, see
    p2p/bingo_play.py), `host-changed` ({hostClientId, previousHostClientId, isHost}), `message` (any received
    message, for kinds of your own), `error` ({summary, error}: a background task failed), `resynced`."""

    def __init__(
        self,
        session_id: str,
        create_realtime: Callable[[str], Awaitable[AblyRealtime]],
        friendly_name: str | None = None,
        word_interval: float = WORD_INTERVAL_S,
        connected_interval: float = CONNECTED_INTERVAL_S,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        """`sleep`: how the host waits between words and between bingo calls (tests pass a quicker clock)."""
        self.session_id = session_id
        self.identity = Identity(friendly_name)
        self.connected_interval = connected_interval
        self.listeners: dict[str, list[Listener]] = {event: [] for event in EVENTS}
        self.ably = PubSubClient(self._enqueue, create_realtime)
        self.client = P2PClient(self.ably, self.emit, word_interval, sleep)
        self.server: P2PServer | None = None
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.router: asyncio.Task[None] | None = None
        self.chat_sent = ChatRate()
        self.saying = asyncio.Lock()

    @property
    def state(self) -> Any:
        return self.client.state

    @property
    def bingo(self) -> Any:
        """The bingo part (p2p/bingo_play.py Bingo): the round, this peer's card, claim(); start_round() to host."""
        return self.client.bingo

    @property
    def is_host(self) -> bool:
        return self.server is not None

    def on(self, event: str, listener: Listener) -> None:
        if event not in self.listeners:
            raise ValueError(f"Unknown P2PSession event {event!r}; known: {', '.join(EVENTS)}")
        self.listeners[event].append(listener)

    def emit(self, event: str, detail: Any) -> None:
        for listener in self.listeners[event]:
            listener(detail)

    async def start(self) -> "P2PSession":
        """Connect, enter presence, learn the roster (hosting if elected) and ask the host for its snapshot.

        Raises Ably's exception (e.g. code 91003 when the session is full).
        """
        self.router = asyncio.ensure_future(self._route())
        await self.ably.connect(self.identity, self.session_id)
        await self.queue.join()
        self.client.state.status = "awaiting-acknowledgement"
        await self.client.announce()
        return self

    async def send(self, message: dict[str, Any], target_client_id: str | None = None) -> None:
        """Publish a message of any kind (`{kind, ...payload}`) to everyone, or to one peer's inbox."""
        await self.ably.send_message(message, target_client_id)

    async def say(self, text: str) -> None:
        """Say a line to everyone (`chat`): every peer shows it, browsers too, under this peer's name in the roster.

        Raises ValueError for a line no peer would show (p2p/chat.py chat_text); waits its turn rather than exceed
        the rate peers accept, so no line is dropped.
        """
        if chat_text(text) is None:
            raise ValueError(f"A chat line is text of 1 to {MAX_CHAT_LENGTH} characters, not {text!r:.40}.")
        me = self.ably.client_id or ""
        async with self.saying:  # one line at a time, in the order said
            if (delay := self.chat_sent.wait(me, monotonic_ms())) > 0:
                await asyncio.sleep((delay + CHAT_SEND_MARGIN_MS) / 1000)
            self.chat_sent.take(me, monotonic_ms())
            await self.send({"kind": "chat", "text": text})

    async def stream_words(self) -> None:
        """Stream the phrase to every peer (host only); returns when the last word is sent."""
        if self.server is None:
            raise RuntimeError("Only the host can stream words.")
        await self.client.words.send_words_across_multiple_messages()

    async def close(self) -> None:
        """Leave now: stop hosting and close the connection (the others see the presence leave at once)."""
        self._stop_hosting()
        await self.ably.close()
        if self.router is not None:
            self.router.cancel()
            with contextlib.suppress(BaseException):
                await self.router
        await self.client.tasks.close()

    def _enqueue(self, message: dict[str, Any]) -> None:
        self.queue.put_nowait(message)

    async def _route(self) -> None:
        """Handle received messages one at a time, in order: presence → election, then server and client."""
        while True:
            message = await self.queue.get()
            try:
                await self._handle(message)
            except Exception as error:
                self.emit("error", {"summary": "Could not handle a message.", "error": error})
            finally:
                self.queue.task_done()

    async def _handle(self, message: dict[str, Any]) -> None:
        via = message["via"]
        if via == "presence":
            previous = self.client.state.host_client_id
            if "event" in message:
                host_changed = self.client.apply_presence_event(message["event"])
            else:
                host_changed = self.client.apply_presence(message["members"])
            self.emit("players", self.client.state.players)
            for part in self.client.parts:
                part.on_players(self.client.state.players)
            if host_changed:
                self._on_host_changed(previous)
            if self.client.needs_announcing():
                self._background("Could not announce this peer to the new host.", self.client.announce())
            return
        if via == "connection":
            if self.client.needs_announcing(force=True):
                self._background("Could not ask the host for the session state again.", self._resync(message))
            return
        if self.server is not None:
            self._background("Could not answer another peer.", self.server.on_receive_message(message))
        state = self.client.state
        last_line = state.chat[-1]["id"] if state.chat else 0
        await self.client.on_receive_message(message)
        if state.chat and state.chat[-1]["id"] != last_line:
            self.emit("chat", state.chat[-1])
        self.emit("message", message)

    async def _resync(self, message: dict[str, Any]) -> None:
        await self.client.announce()
        self.emit("resynced", {"reason": message.get("reason")})

    def _on_host_changed(self, previous: str | None) -> None:
        state = self.client.state
        is_host = state.host_client_id is not None and state.host_client_id == state.my_client_id
        if is_host and self.server is None:
            self.server = P2PServer(self.ably, self.client.parts, connected_interval=self.connected_interval)
            for part in self.client.parts:
                part.start_hosting()
            if self.client.words.stream_unfinished:
                self._background("Could not finish the word stream.", self.stream_words())
        elif not is_host:
            self._stop_hosting()
        for part in self.client.parts:
            part.on_host_changed()
        self.emit(
            "host-changed", {"hostClientId": state.host_client_id, "previousHostClientId": previous, "isHost": is_host}
        )

    def _stop_hosting(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None
            for part in self.client.parts:
                part.stop_hosting()

    def _background(self, summary: str, work: Awaitable[Any]) -> None:
        self.client.tasks.start(summary, work)
