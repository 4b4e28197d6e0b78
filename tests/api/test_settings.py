"""App settings: read per call, validated, and errors that name the setting but never echo its value."""

import asyncio

import pytest

from api import settings
from api.errors import ApiError


def error_of(read, environ) -> ApiError:
    with pytest.raises(ApiError) as raised:
        read(environ)
    return raised.value


ENV_KEY = "envapp.envkey:fake-secret-from-env"
HOSTED_KEY = "hostedapp.hostedkey:fake-secret-from-a-host"


def test_the_settings_are_the_process_environment_read_at_each_call_as_on_azure(monkeypatch):
    monkeypatch.setenv("ABLY_API_KEY", ENV_KEY)
    assert settings.api_key() == ENV_KEY
    monkeypatch.setenv("ABLY_API_KEY", HOSTED_KEY)
    assert settings.api_key() == HOSTED_KEY


async def test_a_host_gives_its_app_settings_of_its_own_within_a_block_and_the_threads_it_starts(monkeypatch):
    monkeypatch.setenv("ABLY_API_KEY", ENV_KEY)
    monkeypatch.delenv("ABLY_TOKEN_TTL_SECONDS", raising=False)
    with settings.hosted({"ABLY_API_KEY": HOSTED_KEY, "ABLY_TOKEN_TTL_SECONDS": "60"}):
        assert settings.api_key() == HOSTED_KEY
        assert await asyncio.to_thread(settings.token_ttl_seconds) == 60
        with settings.hosted({}):
            assert error_of(lambda _: settings.api_key(), None).code == "setting_missing"  # not the environment's
    assert (settings.api_key(), settings.token_ttl_seconds()) == (ENV_KEY, settings.DEFAULT_TOKEN_TTL_SECONDS)


def test_api_key_returns_a_well_formed_key():
    assert settings.api_key({"ABLY_API_KEY": " fakeapp.fakekey:fake-secret "}) == "fakeapp.fakekey:fake-secret"


@pytest.mark.parametrize("environ", [{}, {"ABLY_API_KEY": ""}, {"ABLY_API_KEY": "   "}])
def test_api_key_missing_is_a_500_naming_the_setting(environ):
    error = error_of(settings.api_key, environ)
    assert (error.status, error.code) == (500, "setting_missing")
    assert "ABLY_API_KEY" in error.message


@pytest.mark.parametrize(
    "value",
    [
        "fake-secret-no-name",
        "fakeapp:fake-secret",
        "fakeapp.fakekey",
        "fakeapp.fakekey:",
        ".fakekey:fake-secret",
        "fakeapp.fake.key:fake-secret",
        "fake app.fakekey:fake-secret",
    ],
)
def test_api_key_malformed_is_a_500_naming_the_setting_without_the_value(value):
    error = error_of(settings.api_key, {"ABLY_API_KEY": value})
    assert (error.status, error.code) == (500, "setting_invalid")
    assert "ABLY_API_KEY" in error.message
    assert value not in error.message
    assert "fake" not in error.message


def test_token_ttl_defaults_to_one_hour():
    assert settings.token_ttl_seconds({}) == 3600


@pytest.mark.parametrize(("value", "expected"), [("1", 1), ("60", 60), (" 7200 ", 7200), ("86400", 86400)])
def test_token_ttl_accepts_whole_seconds_up_to_a_day(value, expected):
    assert settings.token_ttl_seconds({"ABLY_TOKEN_TTL_SECONDS": value}) == expected


@pytest.mark.parametrize("value", ["0", "86401", "-5", "1.5", "one hour", "3600s", "1e3"])
def test_token_ttl_outside_one_second_to_a_day_is_a_500_naming_the_setting(value):
    error = error_of(settings.token_ttl_seconds, {"ABLY_TOKEN_TTL_SECONDS": value})
    assert (error.status, error.code) == (500, "setting_invalid")
    assert "ABLY_TOKEN_TTL_SECONDS" in error.message


def test_endpoint_unset_means_real_ably():
    assert settings.endpoint({}) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("http://127.0.0.1:8081", settings.Endpoint("127.0.0.1", 8081, tls=False)),
        ("http://localhost:8081/", settings.Endpoint("localhost", 8081, tls=False)),
        ("http://emulator.test", settings.Endpoint("emulator.test", 80, tls=False)),
        ("https://ably.example.com", settings.Endpoint("ably.example.com", 443, tls=True)),
    ],
)
def test_endpoint_parses_an_origin(value, expected):
    assert settings.endpoint({"ABLY_ENDPOINT_URL": value}) == expected


@pytest.mark.parametrize(
    "value",
    [
        "127.0.0.1:8081",
        "ws://127.0.0.1:8081",
        "http://127.0.0.1:8081/path",
        "http://127.0.0.1:99999",
        "http://127.0.0.1:8081?x=1",
        "http://user:pw@127.0.0.1:8081",
        "http://",
    ],
)
def test_endpoint_not_an_http_origin_is_a_500_naming_the_setting(value):
    error = error_of(settings.endpoint, {"ABLY_ENDPOINT_URL": value})
    assert (error.status, error.code) == (500, "setting_invalid")
    assert "ABLY_ENDPOINT_URL" in error.message


@pytest.mark.parametrize(
    "request_url",
    [
        "http://u@a.example/api/clientConfig",
        "http://u:p@a.example/api/clientConfig",
        "http://a.example:99999/api/clientConfig",
        "http://a.example:-1/api/clientConfig",
        "http://:abc/api/clientConfig",
        "http://[::1/api/clientConfig",
        "/api/clientConfig",
    ],
)
def test_endpoint_same_origin_of_a_request_made_to_no_origin_is_the_requests_400_not_the_settings(request_url):
    with pytest.raises(ApiError) as raised:
        settings.endpoint({"ABLY_ENDPOINT_URL": "same-origin"}, request_url=request_url)
    assert (raised.value.status, raised.value.code) == (400, "host_invalid")
    assert "ABLY_ENDPOINT_URL" not in raised.value.message
