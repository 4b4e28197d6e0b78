"""PubSubClient against an Ably that connects without a clientId: a clear refusal the command line can print."""

from types import SimpleNamespace

import pytest

from p2p.pubsub import Identity, NoClientId, PubSubClient


class _Channel:
    def _on_message(self, _protocol_message: object) -> None:  # what p2p/inbound.py's guard wraps
        return None

    async def subscribe(self, *_args: object) -> None:
        return None


class _AnonymousRealtime:
    """What a hostile Ably at the link's host hands back: a connection whose token names no clientId."""

    def __init__(self) -> None:
        self.auth = SimpleNamespace(client_id=None)
        self.channels = SimpleNamespace(get=lambda *_args, **_kwargs: _Channel())
        self.closed = False

    async def close(self) -> None:
        self.closed = True


async def test_a_connection_without_a_client_id_is_refused_by_name_and_closed():
    realtime = _AnonymousRealtime()

    async def create_realtime(_session_id: str) -> _AnonymousRealtime:
        return realtime

    client = PubSubClient(lambda _message: None, create_realtime)  # type: ignore[arg-type]
    with pytest.raises(NoClientId, match="issued no clientId"):
        await client.connect(Identity("Ada"), "room1")
    assert realtime.closed
