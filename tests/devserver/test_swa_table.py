"""The dev host answers every row of the SWA table (tests/devserver/swa_table.py) as Azure Static Web Apps does."""

import pytest
from aiohttp.test_utils import TestClient, TestServer
from yarl import URL

from devserver.functions_host import FunctionsHost, load_http_functions
from devserver.server import create_app
from devserver.static_site import StaticSite
from devserver.swa_config import load_swa_config
from tests.devserver.conftest import FAKE_REAL_KEY, REPO
from tests.devserver.swa_table import SITE, TABLE, expectation, mismatches


@pytest.fixture
async def client(monkeypatch):
    """The dev host's application over the built site and the config (real-key mode: no emulator), in-process."""
    monkeypatch.setenv("ABLY_API_KEY", FAKE_REAL_KEY)
    monkeypatch.delenv("ABLY_ENDPOINT_URL", raising=False)
    app = create_app(
        StaticSite(SITE, load_swa_config(REPO / "staticwebapp.config.json")), FunctionsHost(load_http_functions(REPO))
    )
    async with TestClient(TestServer(app)) as client:
        yield client


def test_the_swa_table_has_at_least_50_rows_and_each_difference_from_the_cli_says_why():
    assert len(TABLE) >= 50
    assert len({(row.method, row.path) for row in TABLE}) == len(TABLE)
    assert all(row.why for row in TABLE if row.cli is not None)


async def test_the_dev_host_answers_every_row_of_the_swa_table(client):
    origin = str(client.make_url("")).rstrip("/")
    problems = []
    for row in TABLE:
        url = URL(origin + row.path, encoded=True)
        async with client.session.request(row.method, url, allow_redirects=False) as response:
            body = await response.read()
            problems += mismatches(row, expectation(row, "dev"), response.status, response.headers, body, SITE)
    assert not problems, "\n".join(problems)
