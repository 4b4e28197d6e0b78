"""Every peer's side of a session (site/p2p.lib.client.js): the roster and elected host from presence, the
announcement to the host, and the host's snapshot handed to every feature's mirror (p2p/feature.py)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .announce_pacing import AnnouncePacing
from .chat import CHAT_LINES_KEPT, ChatLog
from .feature import Mirror, Sender
from .rules import Roster


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


class P2PClient:
    """Status goes disconnected → awaiting-acknowledgement → acknowledged; back to awaiting when the host changes."""

    def __init__(
        self,
        ably: Sender,
        state: ClientState | None = None,
        mirrors: Sequence[Mirror] = (),
        pacing: AnnouncePacing | None = None,
    ) -> None:
        """`mirrors`: every feature's, in the order they take the snapshot; `pacing`: when announces go and go again
        (announce_pacing.py; tests pass one with a fake clock)."""
        self.ably = ably
        self.state = state or ClientState()
        self.mirrors = list(mirrors)
        self.announced_to: str | None = None
        self.pacing = pacing or AnnouncePacing()
        self.roster = Roster()
        self.chat_log = ChatLog()

    async def announce(self, spread: bool = False) -> None:
        """Ask the current host for its snapshot (`connected` on its inbox); awaiting until it answers. An ask Ably
        refuses for a rate goes again while this host is awaited; `spread`: the host has just changed, so wait first,
        as long as the roster's size asks (announce_pacing.py). The host asks nobody (site/p2p.lib.client.js): an
        answer from itself would hold nothing new, and would compete with the others' asks for its inbox's rate."""
        host = self.state.host_client_id
        if not host:
            return
        self.announced_to = host
        if host == self.state.my_client_id:
            self.state.status = "acknowledged"
            return
        self.state.status = "awaiting-acknowledgement"

        def awaiting() -> bool:
            return self.announced_to == host and self.state.status == "awaiting-acknowledgement"

        try:
            await self.pacing.announce(
                lambda: self.ably.send_message({"kind": "connected"}, host),
                awaiting,
                spread_over=len(self.state.players) if spread else 0,
            )
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

    def on_snapshot(self, message: Mapping[str, Any]) -> None:
        """The host's snapshot: every mirror takes its fields, unless one refuses the snapshot whole."""
        if all(mirror.accepts(message) for mirror in self.mirrors):
            for mirror in self.mirrors:
                mirror.restore(message)
            self.state.status = "acknowledged"


def receive_chat(client: P2PClient, message: dict[str, Any], now: float) -> None:
    """site/p2p.chat.js receiveChat: add the line to `state.chat` (the last CHAT_LINES_KEPT), or drop it."""
    line = client.chat_log.accept(message, client.state.players, now)
    if line is not None:
        client.state.chat = [*client.state.chat, line][-CHAT_LINES_KEPT:]
