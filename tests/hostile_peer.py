"""A hostile player for the tests: a seeded fuzz of messages and presence entries, and a raw publisher for them.

The publisher is what any player can do: it asks the site for a token as every page does (/api/createTokenRequest
with its own peer secret, traded at Ably's REST API), then speaks Ably's realtime protocol itself over a WebSocket,
so it can send fields no SDK would (a `vcdiff` encoding, extras of any shape, ids of other peers' messages, data
that does not decode). The fuzz sets every field a client can set (docs/protocol.md, "What a peer receives"):
`name`, `data`, `encoding`, `extras`, `id`, `clientId`, `connectionId`, `timestamp`, `action` and unknown ones.

Ably is expected to refuse only what it documents (emulator/COVERAGE.md, "What the emulator refuses from a client,
and why"): DOCUMENTED_REFUSALS. Everything else is delivered as published, and every peer must carry on.
"""

import asyncio
import base64
import json
import random
import secrets
from dataclasses import dataclass, field
from typing import Any

import aiohttp

ACK, NACK, CONNECTED, ERROR, ATTACH, ATTACHED, PRESENCE, MESSAGE, SYNC = 1, 2, 4, 9, 10, 11, 14, 15, 16
ENTER, LEAVE, UPDATE = 2, 3, 4
PROTOCOL_VERSION = "5"
WAIT_S = 15.0

# What Ably documents refusing from a client (ably-common errors/codes): a clientId that is not the token's,
# empty, a wildcard or not a string (40012); data of an unsupported type (40013); a name that is not a string
# (40016); more than maxMessageSize in one publish (40009). A message whose `action` is an update, delete or
# append (1, 2, 5: how ably-js sends updateMessage and the like) asks to change another message, which Ably refuses
# without the rule on the channel's namespace (93002), a serial (40003) or a message with that serial (40400), or
# without the message-update/delete capability (40160, 40166): the site's tokens grant none. A player that publishes
# faster than Ably's rate limits is refused the excess, nonfatally: RATE_REFUSALS, 42911 (its connection's 50 a
# second), 42913 (the channel's 50 a second, all its publishers together).
RATE_REFUSALS = frozenset({42911, 42913})
DOCUMENTED_REFUSALS = frozenset({40003, 40009, 40012, 40013, 40016, 40160, 40166, 40400, 93002}) | RATE_REFUSALS

# The one entry each hostile member ends with, so the roster shows it the same way on every run: as Anonymous.
LAST_PRESENCE = {"action": UPDATE, "data": "{bad", "encoding": "json"}


@dataclass
class Known:
    """What the hostile player has seen of the session, for fuzz that borrows other peers' identities and ids."""

    client_ids: list[str] = field(default_factory=list)
    connection_ids: list[str] = field(default_factory=list)
    message_ids: list[str] = field(default_factory=list)


class Fuzz:
    """Seeded generator of hostile message and presence entries (plain JSON-ready dicts, as sent on the wire)."""

    def __init__(self, seed: int, known: Known, own_client_id: str) -> None:
        self.random = random.Random(seed)
        self.known = known
        self.own_client_id = own_client_id

    def pick(self, options: list[Any]) -> Any:
        return self.random.choice(options)

    def payload(self) -> dict[str, Any]:
        """A JSON object as handlers see payloads: plausible, wrong-typed, claiming to be someone, or big."""
        host = self.pick(self.known.client_ids or ["host"])
        return self.pick(
            [
                {"index": self.random.randrange(0, 40), "word": "FORGED"},
                {"index": -1, "word": "FORGED"},
                {"index": 2**53, "word": "FORGED"},
                {"base": 0, "words": ["FORGED", "SNAPSHOT"]},
                {"base": 9, "words": "FORGED"},
                {},
                {"from": host, "kind": "word", "via": "session", "index": 0, "word": "FORGED"},
                {"__proto__": {"isHost": True}, "friendlyName": "FORGED"},
                {"friendlyName": "FORGED " + "x" * self.random.randrange(0, 300)},
                {"word": "F" * 20_000},
            ]
        )

    def data_and_encoding(self) -> dict[str, Any]:
        """`data` with an `encoding`: mostly ones ably-js or ably-python cannot, or must not, apply."""
        payload = json.dumps(self.payload())
        b64 = base64.b64encode(payload.encode()).decode()
        junk = base64.b64encode(self.random.randbytes(24)).decode()
        nested = "[" * 3000 + "]" * 3000
        choices: list[tuple[Any, Any]] = [
            ("json", payload),
            ("vcdiff", "AAAA"),
            ("vcdiff", junk),
            ("json/vcdiff", junk),
            ("vcdiff/base64", junk),
            ("cipher+aes-128-cbc/base64", junk),
            ("cipher+aes-256-cbc", "x"),
            ("json/base64/json", "e30="),
            ("json/base64", b64),
            ("base64", b64),
            ("utf-8/base64", b64),
            ("json/utf-8/base64", b64),
            ("utf-8", self.payload()),
            ("utf-8", "text"),
            ("utf-8", [1, 2]),
            ("json", "{bad"),
            ("json", "[1,2]"),
            ("json", "null"),
            ("json", '"FORGED"'),
            ("json", '{"index":NaN}'),
            ("json", nested),
            ("json", self.payload()),
            ("rot13", payload),
            ("", payload),
            ("/", payload),
            ("json//json", payload),
            (5, payload),
            (["json"], payload),
            ({"json": True}, payload),
            (None, self.payload()),
            (None, "text"),
            (None, [1, "two"]),
            (None, None),
            (None, 42),  # refused: 40013
            ("json", True),  # refused: 40013
        ]
        encoding, data = self.pick(choices)
        entry: dict[str, Any] = {}
        if data is not None:
            entry["data"] = data
        if encoding is not None:
            entry["encoding"] = encoding
        return entry

    def extras(self) -> Any:
        seen = self.pick(self.known.message_ids or ["nothing:0:0"])
        return self.pick(
            [
                {"delta": {"from": seen, "format": "vcdiff"}},
                {"delta": {"from": "nothing-before:0:0", "format": "vcdiff"}},
                {"delta": "vcdiff"},
                {"delta": None},
                "delta",
                "x",
                5,
                True,
                [1, "delta"],
                {"headers": {"k": "v"}},
                {"push": {"notification": {"title": "FORGED"}}},
                {"ref": {"type": "com.ably.reply", "timeserial": seen}},
                {"headers": {"pad": "x" * 30_000}},
            ]
        )

    def message_id(self) -> Any:
        connection = self.pick(self.known.connection_ids or ["conn"])
        seen = self.pick(self.known.message_ids or ["seen:0:0"])
        return self.pick(
            [
                seen,
                f"{connection}:{self.random.randrange(0, 60)}:0",  # a future message of that peer, as Ably numbers it
                secrets.token_urlsafe(9) + ":0",
                "",
                5,
                {"id": seen},
                "x" * 1000,
            ]
        )

    def common(self, entry: dict[str, Any]) -> dict[str, Any]:
        """Add, each with some chance, the other fields a client can set: forged identities, times, unknowns (and
        for a message, whose action Ably sets, an action; a presence entry's action says what it does)."""
        chances: list[tuple[str, Any]] = [
            ("extras", self.extras),
            ("id", self.message_id),
            ("connectionId", lambda: self.pick([*self.known.connection_ids, "conn", 5])),
            ("timestamp", lambda: self.pick([0, -1, 10**20, 253_402_300_800_000, "now", 1.5])),
            *([] if "action" in entry else [("action", lambda: self.pick([0, 1, 5, "message.create", -1]))]),
            ("version", lambda: self.pick(["x", {"serial": 5}])),
            ("serial", lambda: self.pick([5, "00000000"])),
            ("annotations", lambda: self.pick([5, {"summary": "x"}])),
            ("__proto__", lambda: {"name": "FORGED"}),
            ("clientId", lambda: self.pick([self.own_client_id, *self.known.client_ids, "", "*", 5])),
        ]
        for key, value in chances:
            if self.random.random() < (0.08 if key == "clientId" else 0.3):
                entry[key] = value()
        return entry

    def message(self) -> dict[str, Any]:
        name = self.pick(
            [
                "word",
                "word",
                "connected",
                "connection-acknowledged",
                "__proto__",
                "constructor",
                "toString",
                "",
                "greeting",
                "n" * 2000,
                None,
                5,  # refused: 40016
            ]
        )
        entry = {"name": name} if name is not None else {}
        return self.common({**entry, **self.data_and_encoding()})

    def presence(self) -> dict[str, Any]:
        action = self.pick([ENTER, UPDATE, UPDATE, UPDATE])
        return self.common({"action": action, **self.data_and_encoding()})


class Refused(Exception):
    """Ably refused a publish (NACK) or the connection (ERROR)."""

    def __init__(self, error: dict[str, Any]) -> None:
        self.code = error.get("code")
        super().__init__(f"{self.code}: {error.get('message')}")


class HostilePeer:
    """One raw realtime connection (JSON protocol) of a player in a session, its token from the site."""

    def __init__(self, http: aiohttp.ClientSession, ws: aiohttp.ClientWebSocketResponse, client_id: str) -> None:
        self.http = http
        self.ws = ws
        self.client_id = client_id
        self.connection_id: str | None = None
        self.known = Known()
        self.serial = 0
        self.pending: dict[int, asyncio.Future[None]] = {}
        self.attached: dict[str, asyncio.Future[None]] = {}
        self.connected: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.reader = asyncio.ensure_future(self._read())

    @classmethod
    async def connect(cls, site: str, session_id: str) -> "HostilePeer":
        """Ask the site for a token as a page does (own peer secret), trade it at Ably, and connect."""
        http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WAIT_S))
        try:
            async with http.get(f"{site}/api/clientConfig") as response:
                config = await response.json()
            params = {"session": session_id, "peer": secrets.token_urlsafe(24)}
            async with http.get(f"{site}/api/createTokenRequest", params=params) as response:
                token_request = await response.json()
            base = f"{'https' if config.get('tls', True) else 'http'}://{config['endpoint']}:{config['port']}"
            url, headers = f"{base}/keys/{token_request['keyName']}/requestToken", {"X-Ably-Version": PROTOCOL_VERSION}
            async with http.post(url, json=token_request, headers=headers) as answer:
                token = await answer.json()
            query = {"access_token": token["token"], "format": "json", "v": PROTOCOL_VERSION, "echo": "false"}
            ws = await http.ws_connect(f"{base.replace('http', 'ws', 1)}/", params=query, heartbeat=10)
        except BaseException:
            await http.close()
            raise
        peer = cls(http, ws, token["clientId"])
        try:
            await asyncio.wait_for(peer.connected, WAIT_S)
        except BaseException:
            await peer.close()
            raise
        return peer

    async def _read(self) -> None:
        async for frame in self.ws:
            if frame.type != aiohttp.WSMsgType.TEXT:
                break
            self._on(json.loads(frame.data))
        for waiting in [self.connected, *self.pending.values(), *self.attached.values()]:
            if not waiting.done():
                waiting.set_exception(ConnectionError("the hostile peer's connection closed"))

    def _on(self, message: dict[str, Any]) -> None:
        action = message.get("action")
        if action == CONNECTED:
            self.connection_id = message.get("connectionId")
            self.connected.set_result(None)
        elif action == ERROR and not message.get("channel"):
            if not self.connected.done():
                self.connected.set_exception(Refused(message.get("error", {})))
        elif action in (ACK, NACK):
            first, count = message.get("msgSerial", 0), message.get("count", 1)
            for serial in range(first, first + count):
                waiting = self.pending.pop(serial, None)
                if waiting is not None and not waiting.done():
                    if action == ACK:
                        waiting.set_result(None)
                    else:
                        waiting.set_exception(Refused(message.get("error", {})))
        elif action == ATTACHED:
            waiting = self.attached.get(message.get("channel", ""))
            if waiting is not None and not waiting.done():
                waiting.set_result(None)
        elif action in (MESSAGE, PRESENCE, SYNC):
            self._learn(message)

    def _learn(self, message: dict[str, Any]) -> None:
        """Remember the identities and message ids other peers used, for the fuzz to borrow."""
        for entry in message.get("messages", []) + message.get("presence", []):
            for value, known in (
                (entry.get("clientId"), self.known.client_ids),
                (entry.get("connectionId") or message.get("connectionId"), self.known.connection_ids),
                (entry.get("id"), self.known.message_ids),
            ):
                if isinstance(value, str) and value not in known and entry.get("clientId") != self.client_id:
                    known.append(value)

    async def attach(self, channel: str, rewind: str | None = "1m") -> None:
        """Attach (rewinding, to learn what was said), so that presence entered here is on this channel."""
        self.attached[channel] = asyncio.get_running_loop().create_future()
        await self.ws.send_json(
            {"action": ATTACH, "channel": channel, **({"params": {"rewind": rewind}} if rewind else {})}
        )
        await asyncio.wait_for(self.attached[channel], WAIT_S)

    async def _send(self, frame: dict[str, Any]) -> asyncio.Future[None]:
        waiting = asyncio.get_running_loop().create_future()
        self.pending[self.serial] = waiting
        frame["msgSerial"] = self.serial
        self.serial += 1
        await self.ws.send_str(json.dumps(frame))
        return waiting

    async def publish(self, channel: str, entry: dict[str, Any]) -> asyncio.Future[None]:
        """Send one message; the future it returns resolves on Ably's ACK, or fails with Refused on its NACK."""
        return await self._send({"action": MESSAGE, "channel": channel, "messages": [entry]})

    async def presence(self, channel: str, entry: dict[str, Any]) -> asyncio.Future[None]:
        """Send one presence entry (enter, update or leave of this connection's member), answered like publish."""
        return await self._send({"action": PRESENCE, "channel": channel, "presence": [entry]})

    async def close(self) -> None:
        await self.ws.close()
        self.reader.cancel()
        await self.http.close()


@dataclass
class Outcome:
    """What Ably did with a batch of hostile sends: how many it accepted, and the codes of those it refused."""

    accepted: int = 0
    refused: list[int | None] = field(default_factory=list)

    @property
    def undocumented_refusals(self) -> list[int | None]:
        return [code for code in self.refused if code not in DOCUMENTED_REFUSALS]

    @property
    def refused_for_content(self) -> int:
        """Refusals of what was sent, not of how fast (RATE_REFUSALS)."""
        return sum(code not in RATE_REFUSALS for code in self.refused)


async def settle(sends: list[asyncio.Future[None]]) -> Outcome:
    """Wait (bounded) for Ably's answer to every send."""
    outcome = Outcome()
    results = await asyncio.wait_for(asyncio.gather(*sends, return_exceptions=True), WAIT_S * 2)
    for result in results:
        if isinstance(result, Refused):
            outcome.refused.append(result.code)
        elif isinstance(result, BaseException):
            raise result
        else:
            outcome.accepted += 1
    return outcome
