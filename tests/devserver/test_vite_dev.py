"""`make dev` (`python -m devserver.vite_dev`): Vite serves site/ from source and keeps its own hot-reload WebSocket;
the rest goes to a dev host behind it, which answers /api and Ably (REST calls and the WebSocket) and refuses the
emulator's test controls as it does without Vite; one signal stops both."""

import asyncio
import signal
import socket
import sys

import aiohttp
import pytest

from tests.devserver.conftest import REPO, SETTINGS, free_port
from tests.processes import ServerProcess, start_server

VITE_READY = r"Local:\s+(http://127\.0\.0\.1:\d+)/"
DEV_HOST_LINE = r"^Dev host for /api and the emulator: (http://127\.0\.0\.1:\d+) "


@pytest.fixture
def make_dev():
    """`python -m devserver.vite_dev` on a free port, on the emulator, in a process group of its own."""
    env = dict.fromkeys(SETTINGS, "") | {"NO_COLOR": "1"}
    args = [sys.executable, "-m", "devserver.vite_dev", "--host", "127.0.0.1", "--port", str(free_port())]
    server = start_server([*args, "--strictPort"], cwd=str(REPO), env=env, own_group=True)
    yield server
    server.stop()


def refuses_connections(url: str) -> bool:
    host, port = url.removeprefix("http://").split(":")
    with socket.socket() as probe:
        return probe.connect_ex((host, int(port))) != 0


async def test_vite_serves_the_sources_the_dev_host_behind_it_answers_api_and_ably_not_the_controls_sigint_stops_both(
    make_dev: ServerProcess,
):
    dev_host = (await asyncio.to_thread(make_dev.wait_for, DEV_HOST_LINE, 60)).group(1)
    vite = (await asyncio.to_thread(make_dev.wait_for, VITE_READY, 60)).group(1)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        async with http.get(vite + "/") as page:
            text = await page.text()
            assert '<script type="module" src="/index.js">' in text  # the source, not a build
            assert "/@vite/client" in text  # served by Vite, with its hot reload
        async with http.get(vite + "/api/clientConfig") as response:
            config = await response.json()
            assert (response.status, config["port"]) == (200, int(vite.rsplit(":", 1)[1]))  # Ably is found at Vite
        async with http.get(vite + "/time", headers={"X-Ably-Version": "5"}) as response:
            assert response.status == 200
            assert isinstance((await response.json())[0], int)  # the emulator's clock, not the page
        async with http.get(vite + "/_emulator/connections", headers={"X-Ably-Version": "5"}) as response:
            # The dev host's site answered (its page, without Vite's client): the controls stay on loopback.
            assert response.content_type == "text/html"
            assert "/@vite/client" not in await response.text()
        async with http.ws_connect(vite + "/?key=nosuch.key:secret&format=json&v=5") as ably:
            refusal = await ably.receive_json(timeout=15)
            assert refusal["error"]["code"] == 40101  # the emulator answered through Vite and the dev host
        async with http.ws_connect(vite + "/", protocols=("vite-hmr",)) as hot_reload:
            assert (await hot_reload.receive_json(timeout=15))["type"] == "connected"
    make_dev.process.send_signal(signal.SIGINT)
    assert await asyncio.to_thread(make_dev.process.wait, 20) == 0
    assert refuses_connections(vite)
    assert refuses_connections(dev_host)
