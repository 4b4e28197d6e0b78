"""staticwebapp.config.json semantics the dev host reproduces: globs, first-match routes, fallback, CSP."""

import json

import pytest

from devserver.swa_config import glob_to_regex, load_swa_config
from tests.devserver.conftest import REPO


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("/s/*", "/s/abc", True),
        ("/s/*", "/s/a/b.c", True),
        ("/s/*", "/s", False),
        ("/s/*", "/S/abc", False),  # case-sensitive, as the SWA CLI matches (the oracle row GET /S/abc)
        ("/index.html", "/index.html", True),
        ("/index.html", "/index.htm", False),
        ("*.{js,css}", "/assets/index-Bx1fM2aQ.js", True),
        ("*.{js,css}", "/style.css", True),
        ("*.{js,css}", "/s/abc", False),
        ("*.{js,css}", "/page.jsx", False),
        ("/api/*", "/api/createTokenRequest", True),
    ],
)
def test_glob_matches_like_swa_route_patterns(pattern, path, matches):
    assert (glob_to_regex(pattern).fullmatch(path) is not None) is matches


def test_route_for_returns_the_first_matching_rule(tmp_path):
    path = tmp_path / "staticwebapp.config.json"
    path.write_text(
        json.dumps(
            {
                "routes": [
                    {"route": "/a/b", "headers": {"X-Rule": "first"}},
                    {"route": "/a/*", "headers": {"X-Rule": "second"}},
                    {"route": "/post-only", "methods": ["POST"], "statusCode": 403},
                ]
            }
        )
    )
    config = load_swa_config(path)
    assert config.route_for("GET", "/a/b").headers == {"X-Rule": "first"}
    assert config.route_for("GET", "/a/c").headers == {"X-Rule": "second"}
    assert config.route_for("GET", "/post-only") is None
    assert config.route_for("POST", "/post-only").status == 403


def test_the_repos_config_falls_back_for_navigation_but_not_for_assets_or_the_api():
    config = load_swa_config(REPO / "staticwebapp.config.json")
    assert config.falls_back("/some/page")
    assert not config.falls_back("/assets/missing")
    assert not config.falls_back("/missing.css")
    assert not config.falls_back("/api/unknown")


def test_a_missing_config_file_means_no_rules_no_fallback_and_no_headers(tmp_path):
    config = load_swa_config(tmp_path / "absent.json")
    assert (config.routes, config.global_headers, config.falls_back("/x")) == ([], {}, False)
