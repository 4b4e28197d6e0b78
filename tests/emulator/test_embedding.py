"""The embeddable API: start on a free port, url/port/keys, controls, stop."""

import aiohttp
import pytest

from emulator import LOCAL_DEVELOPMENT_KEY, Emulator, EmulatorConfig

from .conftest import FAKE_KEY


async def test_emulator_starts_on_a_free_port_and_stops():
    emu = Emulator(EmulatorConfig(keys=[FAKE_KEY]))
    await emu.start("127.0.0.1", port=0)
    port = emu.port
    try:
        assert emu.port > 0
        assert emu.url == f"http://127.0.0.1:{emu.port}"
        assert emu.keys == [FAKE_KEY]
        async with aiohttp.ClientSession() as session, session.get(f"{emu.url}/time") as response:
            assert response.status == 200
    finally:
        await emu.stop()
    async with aiohttp.ClientSession() as session:
        try:
            await session.get(f"http://127.0.0.1:{port}/time")
            refused = False
        except aiohttp.ClientConnectionError:
            refused = True
    assert refused


async def test_emulator_without_keys_uses_the_local_development_key():
    async with Emulator() as emu:
        assert emu.keys == [LOCAL_DEVELOPMENT_KEY]
        assert "local" in emu.key


async def test_two_emulators_run_side_by_side_with_separate_state():
    async with Emulator(EmulatorConfig(keys=[FAKE_KEY])) as first, Emulator(EmulatorConfig(keys=[FAKE_KEY])) as second:
        assert first.port != second.port
        first.world.stats.add("room", "messages_published", 1)
        assert second.controls.stats()["total"]["messages_published"] == 0


async def test_emulator_on_a_busy_port_fails_to_start_and_can_start_again_elsewhere():
    async with Emulator(EmulatorConfig(keys=[FAKE_KEY])) as first:
        second = Emulator(EmulatorConfig(keys=[FAKE_KEY]))
        with pytest.raises(OSError, match=r"(?i)address already in use"):
            await second.start("127.0.0.1", port=first.port)
        assert second.port is None
        await second.start("127.0.0.1", port=0)
        try:
            assert second.port not in (None, first.port)
        finally:
            await second.stop()
