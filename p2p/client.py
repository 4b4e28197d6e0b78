"""Every peer's side of a session (site/p2p.lib.client.js): the roster and elected host from presence, the
announcement to the host, and the host's words mirrored, accepting host kinds from the host alone."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from .chat import CHAT_LINES_KEPT, ChatLog, monotonic_ms
from .rules import HOST_KINDS, Roster, is_snapshot, merge_words


class Sender(Protocol):
    """What the client needs of its PubSubClient."""

    @property
    def client_id(self) -> str | None: ...

    async def send_message(self, message: dict[str, Any], target_client_id: str | None = None) -> None: ...


@dataclass
class ClientState:
    """What a peer shows: the fields of the site's `session.state` that the protocol defines."""

    status: str = "disconnected"
    word_base: int = 0
    words: list[str] = field(default_factory=list)
    players: list[dict[str, Any]] = field(default_factory=list)
    host_client_id: str | None = None
    my_client_id: str | None = None
    chat: list[dict[str, Any]] = field(default_factory=list)

    @property
    def received_words(self) -> str:
        return " ".join(self.words)


Handler = Callable[["P2PClient", dict[str, Any]], Awaitable[None] | None]


class P2PClient:
    """Status goes disconnected → awaiting-acknowledgement → acknowledged; back to awaiting when the host changes.

    `handlers` holds one function per kind a client receives (add host-sent kinds to HOST_KINDS).
    """

    handlers: ClassVar[dict[str, Handler]] = {}

    def __init__(self, ably: Sender) -> None:
        self.ably = ably
        self.state = ClientState()
        self.pending_words: dict[int, str] = {}
        self.announced_to: str | None = None
        self.roster = Roster()
        self.chat_log = ChatLog()

    async def announce(self) -> None:
        """Ask the current host for its snapshot (`connected` on its inbox); awaiting until it answers."""
        host = self.state.host_client_id
        if not host:
            return
        self.state.status = "awaiting-acknowledgement"
        self.announced_to = host
        try:
            await self.ably.send_message({"kind": "connected"}, host)
        except BaseException:
            if self.announced_to == host:
                self.announced_to = None
            raise

    def apply_presence(self, members: list[Any]) -> bool:
        """Take a whole presence set; True when the elected host changed."""
        self.roster.replace(members)
        return self._refresh_roster()

    def apply_presence_event(self, event: dict[str, Any]) -> bool:
        """Take one presence event; True when the elected host changed."""
        return self.roster.apply(event) and self._refresh_roster()

    def _refresh_roster(self) -> bool:
        self.state.my_client_id = self.ably.client_id
        host = self.roster.host()
        self.state.players = [
            {**player, "isHost": player["clientId"] == host, "isMe": player["clientId"] == self.state.my_client_id}
            for player in self.roster.players()
        ]
        changed = host != self.state.host_client_id
        self.state.host_client_id = host
        return changed

    def needs_announcing(self, force: bool = False) -> bool:
        if self.state.status == "disconnected" or not self.state.host_client_id:
            return False
        return force or self.announced_to != self.state.host_client_id

    async def on_receive_message(self, message: dict[str, Any]) -> None:
        """Handle one received message; host kinds count only when Ably says the host sent them."""
        if message["kind"] in HOST_KINDS and message.get("from") != self.state.host_client_id:
            return
        handler = self.handlers.get(message["kind"])
        if handler is not None:
            result = handler(self, message)
            if result is not None:
                await result

    def add_words(self, incoming: list[tuple[Any, Any]]) -> list[str]:
        return merge_words(self.state.word_base, self.state.words, self.pending_words, incoming)

    def skip_to(self, base: int) -> None:
        """Start the words over at `base` (a snapshot ahead of everything seen)."""
        self.state.word_base = base
        self.state.words = []
        self.pending_words = {index: word for index, word in self.pending_words.items() if index >= base}


def on_connection_acknowledged(client: P2PClient, message: dict[str, Any]) -> None:
    """The host's snapshot, on our inbox: the current phrase. Anything else is dropped."""
    if message.get("via") != "inbox" or not is_snapshot(message):
        return
    base = int(message["base"])
    if base > client.state.word_base + len(client.state.words):
        client.skip_to(base)
    client.add_words([(base + offset, word) for offset, word in enumerate(message["words"])])
    client.state.status = "acknowledged"


def on_word(client: P2PClient, message: dict[str, Any]) -> None:
    """One word of the stream, on the session channel; a word of the wrong shape is dropped."""
    if message.get("via") != "session":
        return
    client.add_words([(message.get("index"), message.get("word"))])


def on_chat(client: P2PClient, message: dict[str, Any]) -> None:
    """A line a player says to everyone (p2p/chat.py), on the session channel."""
    if message.get("via") == "session":
        receive_chat(client, message, monotonic_ms())


def receive_chat(client: P2PClient, message: dict[str, Any], now: float) -> None:
    """site/p2p.chat.js receiveChat: add the line to `state.chat` (the last CHAT_LINES_KEPT), or drop it."""
    line = client.chat_log.accept(message, client.state.players, now)
    if line is not None:
        client.state.chat = [*client.state.chat, line][-CHAT_LINES_KEPT:]


P2PClient.handlers = {"connection-acknowledged": on_connection_acknowledged, "word": on_word, "chat": on_chat}
