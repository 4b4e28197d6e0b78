"""One peer in one session (site/p2p.session.js P2PSession): the PubSubClient, this peer's P2PClient, every
feature's mirror (p2p/feature.py: the word stream, bingo) and, while it is the elected host, its P2PServer with every
feature's host part, made from the mirrors. Hosting and joining are the same call, start(): the first to arrive
hosts. Every message kind is one row of MESSAGE_KINDS."""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from ably import AblyRealtime

from .bingo.feature import BINGO
from .bingo.host import BingoHost
from .bingo.mirror import BingoMirror
from .chat import MAX_CHAT_LENGTH, ChatRate, chat_text, monotonic_ms
from .client import P2PClient, receive_chat
from .feature import ANYONE, HOST, INBOX, SESSION, Kind, Tasks, admitted
from .pubsub import Identity, PubSubClient
from .rules import CONNECTED_INTERVAL_S, WORD_INTERVAL_S
from .server import P2PServer
from .words import WORD_STREAM, WordStream

EVENTS = ("players", "words", "chat", "bingo", "host-changed", "message", "error", "resynced")
# A sender paced by say() waits this long past the rate's window, so a line that reaches a peer sooner than the
# line before it did is still within the rate there.
CHAT_SEND_MARGIN_MS = 500
Listener = Callable[[Any], None]

# The session's features, in the order their mirrors take the snapshot.
FEATURES = (WORD_STREAM, BINGO)


def answer_connected(session: "P2PSession", message: dict[str, Any]) -> None:
    if session.server is not None:
        session.background("Could not answer another peer.", session.server.on_connected(message))


def show_chat(session: "P2PSession", message: dict[str, Any]) -> None:
    state = session.state
    last_line = state.chat[-1]["id"] if state.chat else 0
    receive_chat(session.client, message, monotonic_ms())
    if state.chat and state.chat[-1]["id"] != last_line:
        session.emit("chat", state.chat[-1])


# The session's message kinds (docs/protocol.md), one row each: the session's own, then each feature's.
MESSAGE_KINDS: dict[str, Kind] = {
    # A peer asks the host for the snapshot (no payload); the host answers on the peer's inbox.
    "connected": Kind(ANYONE, INBOX, answer_connected),
    # The host's snapshot: every feature's fields (the current phrase `{base, words}`, and `bingo`).
    "connection-acknowledged": Kind(HOST, INBOX, lambda session, message: session.client.on_snapshot(message)),
    # A line any player says to everyone, `{text}`: `state.chat`, with the sender's name from the roster.
    "chat": Kind(ANYONE, SESSION, show_chat),
    **{kind: row for feature in FEATURES for kind, row in feature.kinds.items()},
}
# The kinds this peer acts on; any other is a kind of your own, or unknown.
KINDS = frozenset(MESSAGE_KINDS)


class P2PSession:
    """Events (`on(event, listener)`): `players` (the roster changed: the players list), `words` (new words: the
    list appended), `chat` (a line shown: {id, from, name, text}), `bingo` (the round moved: {event, ...}, see
    p2p/bingo/mirror.py), `host-changed` ({hostClientId, previousHostClientId, isHost}), `message` (any received
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
        self.word_interval = word_interval
        self.connected_interval = connected_interval
        self.sleep = sleep
        self.listeners: dict[str, list[Listener]] = {event: [] for event in EVENTS}
        self.tasks = Tasks(self.emit)  # background work, the features' too: all ended on close()
        self.ably = PubSubClient(self._enqueue, create_realtime)
        self.client = P2PClient(self.ably)
        self.mirrors = {feature.name: feature.mirror(self) for feature in FEATURES}
        self.client.mirrors = list(self.mirrors.values())
        self.server: P2PServer | None = None
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.router: asyncio.Task[None] | None = None
        self.chat_sent = ChatRate()
        self.saying = asyncio.Lock()

    @property
    def state(self) -> Any:
        return self.client.state

    @property
    def bingo(self) -> BingoMirror:
        """This peer's bingo: the round, its card, claim_bingo() (p2p/bingo/mirror.py)."""
        return self.mirrors["bingo"]  # type: ignore[return-value]

    @property
    def bingo_host(self) -> BingoHost:
        """The host's bingo (p2p/bingo/host.py: start_round(), set_pace()); RuntimeError when not hosting."""
        part = self.server.parts["bingo"] if self.server is not None else None
        if not isinstance(part, BingoHost):
            raise RuntimeError("Only the host can deal or pace bingo.")
        return part

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
        """Publish a message of any kind (`{kind, ...payload}`) to everyone, or to one peer's inbox. The host's message
        to one peer (a bingo card, a verdict) goes again if refused for a rate (p2p/host_sends.py)."""
        row = MESSAGE_KINDS.get(message["kind"])
        if self.server is not None and target_client_id is not None and row is not None and row.sender == HOST:
            kind, payload = message["kind"], {key: value for key, value in message.items() if key != "kind"}
            await self.server.send_to(target_client_id, kind, payload)
        else:
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
        stream = self.server.parts["words"]
        assert isinstance(stream, WordStream)
        await stream.send_words_across_multiple_messages()

    async def close(self) -> None:
        """Leave now: stop hosting and close the connection (the others see the presence leave at once)."""
        self._stop_hosting()
        await self.ably.close()
        if self.router is not None:
            self.router.cancel()
            with contextlib.suppress(BaseException):
                await self.router
        await self.tasks.close()

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
            if host_changed:
                self._on_host_changed(previous)
            if self.server is not None:
                self.server.players_changed(self.client.state.players)
            if self.client.needs_announcing():
                spread = host_changed and previous is not None  # a big roster spreads its asks
                self.background("Could not announce this peer to the new host.", self.client.announce(spread))
            return
        if via == "connection":
            if self.client.needs_announcing(force=True):
                self.background("Could not ask the host for the session state again.", self._resync(message))
            return
        await self.receive(message)
        self.emit("message", message)

    async def receive(self, message: dict[str, Any]) -> None:
        """Handle one message with its row of MESSAGE_KINDS. Dropped: kinds with no row, messages on the other
        channel than the row's, and host kinds from anyone but the elected host."""
        row = MESSAGE_KINDS.get(message["kind"])
        if row is not None and admitted(row, message, self.state.host_client_id):
            result = row.handle(self, message)
            if result is not None:
                await result

    async def _resync(self, message: dict[str, Any]) -> None:
        await self.client.announce()
        self.emit("resynced", {"reason": message.get("reason")})

    def _on_host_changed(self, previous: str | None) -> None:
        state = self.client.state
        is_host = state.host_client_id is not None and state.host_client_id == state.my_client_id
        if is_host and self.server is None:
            parts = {feature.name: feature.host(self, self.mirrors[feature.name]) for feature in FEATURES}
            self.server = P2PServer(self.ably, parts, connected_interval=self.connected_interval)
            stream = parts["words"]
            if isinstance(stream, WordStream) and stream.stream_unfinished:
                self.background("Could not finish the word stream.", self.stream_words())
        elif not is_host:
            self._stop_hosting()
        for mirror in self.mirrors.values():
            mirror.host_changed()
        self.emit(
            "host-changed", {"hostClientId": state.host_client_id, "previousHostClientId": previous, "isHost": is_host}
        )

    def _stop_hosting(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    def background(self, summary: str, work: Awaitable[Any]) -> None:
        """Run `work` on its own; a failure is an `error` event."""
        self.tasks.start(summary, work)
