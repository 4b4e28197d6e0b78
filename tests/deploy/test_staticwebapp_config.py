"""staticwebapp.config.json: valid for SWA (the SWA CLI's schema), deep links, asset 404s and a strict CSP."""

import copy
import json
from pathlib import Path

import pytest
from jsonschema import Draft4Validator

REPO = Path(__file__).resolve().parents[2]
SCHEMA = REPO / "node_modules/@azure/static-web-apps-cli/schema/staticwebapp.config.json"
ABLY_ORIGINS = {
    "https://*.ably.net",
    "wss://*.ably.net",
    "https://*.ably-realtime.com",
    "wss://*.ably-realtime.com",
}


@pytest.fixture(scope="module")
def validator() -> Draft4Validator:
    schema = json.loads(SCHEMA.read_text())
    Draft4Validator.check_schema(schema)
    return Draft4Validator(schema)


@pytest.fixture
def config() -> dict:
    return json.loads((REPO / "staticwebapp.config.json").read_text())


def csp(config: dict) -> dict[str, list[str]]:
    policy = config["globalHeaders"]["Content-Security-Policy"]
    directives = [part.split() for part in policy.split(";") if part.strip()]
    return {name: values for name, *values in directives}


def test_config_validates_against_the_swa_cli_schema(validator, config):
    assert list(validator.iter_errors(config)) == []


@pytest.mark.parametrize(
    "break_it",
    [
        lambda c: c["platform"].update(apiRuntime="python:3.12"),
        lambda c: c["platform"].update(apiRuntime="python"),
        lambda c: c.update(responseErrorOverrides={}),
        lambda c: c["navigationFallback"].pop("rewrite"),
    ],
    ids=["unsupported-python", "runtime-without-version", "unknown-key", "fallback-without-rewrite"],
)
def test_config_schema_check_catches_a_broken_config(validator, config, break_it):
    broken = copy.deepcopy(config)
    break_it(broken)
    assert list(validator.iter_errors(broken)) != []


def test_config_runs_the_api_on_python_3_11(config):
    assert config["platform"] == {"apiRuntime": "python:3.11"}


def test_config_rewrites_session_deep_links_to_the_app_uncached_like_index_html(config):
    route = {"route": "/s/*", "rewrite": "/index.html", "headers": {"Cache-Control": "no-cache"}}
    assert route in config["routes"]


def test_config_caches_hashed_assets_for_a_year_and_has_browsers_revalidate_everything_else(config):
    """Vite names every file under /assets/ by its content's hash, so a changed file is a new URL; index.html, deep
    links and the navigation fallback (the `/*` rule, as the fallback has no headers of its own) name the current
    hashes and must never be served stale."""
    rules = {route["route"]: route for route in config["routes"]}
    assert rules["/assets/*"]["headers"] == {"Cache-Control": "public, max-age=31536000, immutable"}
    assert rules["/s/*"]["headers"] == {"Cache-Control": "no-cache"}
    assert config["routes"][-1] == {"route": "/*", "headers": {"Cache-Control": "no-cache"}}
    order = [route["route"] for route in config["routes"]]
    assert order.index("/assets/*") < order.index("/*")  # the first matching rule wins


def test_config_blocks_the_built_in_auth_endpoints_the_app_does_not_use(config):
    assert config["routes"][0] == {"route": "/.auth/*", "statusCode": 404}


def test_config_navigation_fallback_leaves_missing_assets_and_the_api_as_404(config):
    fallback = config["navigationFallback"]
    assert fallback["rewrite"] == "/index.html"
    assert {"/api/*", "/assets/*"} <= set(fallback["exclude"])
    extension_glob = next(glob for glob in fallback["exclude"] if glob.startswith("*.{"))
    assert {"js", "mjs", "css", "map", "json"} <= set(extension_glob[3:-1].split(","))
    # A 404 override to index.html would turn a missing script into HTML (then blocked by nosniff).
    assert "404" not in config.get("responseOverrides", {})


def test_config_csp_allows_scripts_and_styles_only_from_the_origin(config):
    policy = csp(config)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    header = config["globalHeaders"]["Content-Security-Policy"]
    assert "unsafe-eval" not in header
    assert "unsafe-inline" not in header


def test_config_csp_connects_only_to_the_origin_and_ablys_endpoints(config):
    connect = csp(config)["connect-src"]
    assert connect[0] == "'self'"
    assert set(connect[1:]) == ABLY_ORIGINS


def test_config_sets_the_security_headers(config):
    headers = config["globalHeaders"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Strict-Transport-Security"].startswith("max-age=")
