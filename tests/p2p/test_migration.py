"""A big session of Python peers survives its host leaving, on the emulator at Ably's default rate limits (the new
host's inbox takes 50 announces a second): every peer ends acknowledged by the new host, its re-announce spread
(p2p/announce_pacing.py), and Ably refuses none that is not asked again."""

import asyncio
import time

from devserver import DevServer
from p2p.session import P2PSession

from .conftest import Peers, eventually

PLAYERS = 80
# Peers connected a second: under Ably's 42 new connections a second, which would refuse the rest (80021).
CONNECTIONS_A_SECOND = 20


async def test_a_session_of_80_whose_host_leaves_ends_with_every_peer_acknowledged_by_the_new_host(
    dev: DevServer, peers: Peers
):
    assert dev.emulator is not None
    host = await peers.join("crowd", "Host")
    others: list[P2PSession] = []
    while len(others) < PLAYERS - 1:
        second = time.monotonic()
        count = min(CONNECTIONS_A_SECOND, PLAYERS - 1 - len(others))
        batch = [peers.new("crowd", f"P{len(others) + i}") for i in range(count)]
        await asyncio.wait_for(asyncio.gather(*(peer.start() for peer in batch)), 30)
        others.extend(batch)
        await asyncio.sleep(max(0.0, second + 1 - time.monotonic()))  # the join's pace, not a synchronisation
    await eventually(
        lambda: all(peer.state.status == "acknowledged" and len(peer.state.players) == PLAYERS for peer in others),
        f"every peer acknowledged, listing {PLAYERS} players",
        timeout=30,
    )
    dev.emulator.controls.reset_stats()
    errors: list[dict] = []
    for peer in others:
        peer.on("error", errors.append)

    left = time.monotonic()
    await host.close()
    await eventually(lambda: others[0].state.host_client_id not in (None, host.state.my_client_id), "a new host")
    new_host = others[0].state.host_client_id
    await eventually(
        lambda: all(peer.state.host_client_id == new_host and peer.state.status == "acknowledged" for peer in others),
        "every peer acknowledged by the new host",
        timeout=60,
    )
    took = time.monotonic() - left

    refusals = dev.emulator.controls.stats()["refusals"]
    print(f"{PLAYERS - 1} Python peers acknowledged by the new host {took:.2f} s after the host left; {refusals}")
    assert set(refusals) <= {"42913", "42911"}, "only publish rates refused, each asked again (else not acknowledged)"
    assert errors == []
