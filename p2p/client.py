"""Every peer's side of a session (site/p2p.lib.client.js): the roster and elected host from presence, the
announcement to the host, and the host's state mirrored by the session's parts (p2p/hosted.py: the word stream,
bingo), accepting host kinds from the host alone."""

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .bingo_play import Bingo
from .chat import CHAT_LINES_KEPT, ChatLog, monotonic_ms
from .hosted import ANYONE, HOST, INBOX, SESSION, Kind, Notify, Part, Sender, Tasks, dispatch
from .rules import WORD_INTERVAL_S, Roster
from .words import WordStream


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


class P2PClient(Part):
    """Status goes disconnected → awaiting-acknowledgement → acknowledged; back to awaiting when the host changes.

    The client is itself the part holding the snapshot and chat kinds; `parts` are the word stream, then bingo.
    """

    kinds: ClassVar[Mapping[str, Kind]] = {
        "connection-acknowledged": Kind(HOST, INBOX, "on_connection_acknowledged"),
        "chat": Kind(ANYONE, SESSION, "on_chat"),
    }

    def __init__(
        self,
        ably: Sender,
        notify: Notify = lambda _event, _detail: None,
        word_interval: float = WORD_INTERVAL_S,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.ably = ably
        self.state = ClientState()
        self.announced_to: str | None = None
        self.roster = Roster()
        self.chat_log = ChatLog()
        self.tasks = Tasks(notify)  # this peer's background work, its parts' too
        self.words = WordStream(ably, self.state, notify, word_interval, sleep)
        self.bingo = Bingo(ably, self.state, self.tasks, sleep)
        self.parts: list[Part] = [self.words, self.bingo]
        self.table = {kind: (row, part) for part in [self, *self.parts] for kind, row in part.kinds.items()}

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
        """Handle one received message of a kind every peer receives, if admitted (p2p/hosted.py)."""
        await dispatch(self.table, message, self.state.host_client_id)

    def on_connection_acknowledged(self, message: Mapping[str, Any]) -> None:
        """The host's snapshot: each part takes its field(s); one a required part cannot read drops it all."""
        read = [(part, part.read_snapshot(message)) for part in self.parts]
        if any(part.required and taken is None for part, taken in read):
            return
        for part, taken in read:
            if taken is not None:
                part.take_snapshot(taken)
        self.state.status = "acknowledged"

    def on_chat(self, message: dict[str, Any]) -> None:
        """A line a player says to everyone (p2p/chat.py)."""
        receive_chat(self, message, monotonic_ms())


def receive_chat(client: P2PClient, message: dict[str, Any], now: float) -> None:
    """site/p2p.chat.js receiveChat: add the line to `state.chat` (the last CHAT_LINES_KEPT), or drop it."""
    line = client.chat_log.accept(message, client.state.players, now)
    if line is not None:
        client.state.chat = [*client.state.chat, line][-CHAT_LINES_KEPT:]
