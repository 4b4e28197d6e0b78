"""Call the API's functions as the host does (through get_user_function) with settings from a clean environment."""

import inspect
import os

import azure.functions as func
import pytest

from api import settings

FAKE_KEY_NAME = "fakeapp.fakekey"
FAKE_KEY_SECRET = "fake-secret-for-tests-only"
FAKE_KEY = f"{FAKE_KEY_NAME}:{FAKE_KEY_SECRET}"

ALL_SETTINGS = (settings.API_KEY, settings.TOKEN_TTL_SECONDS, settings.ENDPOINT_URL, settings.SHARE_ORIGIN)


@pytest.fixture
def app_settings(monkeypatch):
    """Start every test with none of the app settings set; return a setter for the ones a test needs."""
    for name in ALL_SETTINGS:
        monkeypatch.delenv(name, raising=False)

    def set_settings(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, value)

    return set_settings


@pytest.fixture
def configured(app_settings):
    """A correctly configured app: the fake key and nothing else."""
    app_settings(ABLY_API_KEY=FAKE_KEY)
    return app_settings


async def call(function, method: str = "GET", params: dict | None = None, url: str = "/api/x") -> func.HttpResponse:
    """Invoke a registered function with a hand-built request, awaiting it when it is async."""
    handler = function.build().get_user_function()
    request = func.HttpRequest(method=method, url=url, params=params or {}, headers={}, body=b"")
    result = handler(request)
    return await result if inspect.isawaitable(result) else result


def assert_no_secret(response: func.HttpResponse) -> None:
    """The key's secret must never leave the server, in any response."""
    assert FAKE_KEY_SECRET.encode() not in response.get_body()
    assert os.environ.get(settings.API_KEY, "\0").encode() not in response.get_body()
