"""The SWA CLI (Microsoft's emulator of Azure Static Web Apps) beside the dev host, on every row of the SWA table.

The CLI serves the built site (dist/site) with a copy of staticwebapp.config.json and sends /api to a dev host
started here. Each row must hold for the CLI as written, or as its `cli` fields say where the CLI differs from
Microsoft's docs.
"""

import asyncio
import shutil
import sys

import aiohttp
import pytest
from yarl import URL

from devserver import DevServer
from tests.devserver.conftest import FAKE_REAL_KEY, REPO, free_port
from tests.devserver.swa_table import SITE, TABLE, expectation, mismatches
from tests.processes import start_server

SWA_CLI = REPO / "node_modules" / "@azure" / "static-web-apps-cli" / "dist" / "cli" / "bin.js"
READY = r"emulator started at (http://\S+?)\.? "


@pytest.fixture
async def dev_host(tmp_path, monkeypatch):
    """The dev host in real-key mode (a fake key: no emulator, no network), as the CLI's API backend."""
    monkeypatch.setenv("ABLY_API_KEY", FAKE_REAL_KEY)
    monkeypatch.delenv("ABLY_ENDPOINT_URL", raising=False)
    async with DevServer(port=0, app_root=REPO, local_settings_path=tmp_path / "absent.json") as server:
        yield server


@pytest.fixture
async def swa_cli(dev_host, tmp_path):
    """`swa start dist/site --api-devserver-url <dev host>` from node_modules, or a skip saying why it cannot start."""
    node = shutil.which("node")
    if node is None or not SWA_CLI.exists():
        pytest.skip("the SWA CLI cannot start: node or node_modules/@azure/static-web-apps-cli is missing")
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    shutil.copy(REPO / "staticwebapp.config.json", config_dir)
    args = [node, str(SWA_CLI), "start", str(SITE), "--api-devserver-url", dev_host.url]
    args += ["--swa-config-location", str(config_dir), "--host", "127.0.0.1", "--port", str(free_port())]
    # Run outside the repository: the CLI would read .github/workflows for settings the arguments already give.
    cli = start_server(args, cwd=str(tmp_path), env={"NO_UPDATE_NOTIFIER": "1", "CI": "1"}, own_group=True)
    try:
        ready = await asyncio.to_thread(cli.wait_for, READY, 60)
    except TimeoutError as exc:
        cli.stop()
        pytest.skip(f"the SWA CLI cannot start here: {str(exc)[-600:]}")
    yield ready.group(1)
    cli.stop()


async def test_the_swa_cli_answers_every_row_of_the_swa_table_as_the_row_says(swa_cli):
    problems = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as http:
        for row in TABLE:
            if (row.cli or {}).get("skip"):
                continue
            url = URL(swa_cli + row.path, encoded=True)
            async with http.request(row.method, url, allow_redirects=False) as response:
                body = await response.read()
                problems += mismatches(row, expectation(row, "cli"), response.status, response.headers, body, SITE)
    assert not problems, "the SWA CLI differs from the table:\n" + "\n".join(problems)


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
