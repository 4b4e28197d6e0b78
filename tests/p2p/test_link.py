"""Reading the links people paste, and turning the site's ably-js options into ably-python's."""

import pytest

from p2p.site import SessionLink, SiteError, parse_link, realtime_options, rest_base_of


@pytest.mark.parametrize(
    ("url", "link"),
    [
        ("http://127.0.0.1:4280/s/abc", SessionLink("http://127.0.0.1:4280", "abc")),
        ("https://play.example/s/A-b_9/", SessionLink("https://play.example", "A-b_9")),
        (" https://play.example/s/abc?from=qr#x \n", SessionLink("https://play.example", "abc")),
        ("https://play.example/s/a%2Db", SessionLink("https://play.example", "a-b")),
    ],
)
def test_a_session_link_names_the_site_and_the_session(url, link):
    assert parse_link(url, session_required=True) == link


@pytest.mark.parametrize(
    "url",
    [
        "",
        "play.example/s/abc",
        "ftp://play.example/s/abc",
        "http:///s/abc",
        "http://play.example:99999/s/abc",
        "http://play.example/",
        "http://play.example/x/abc",
        "http://play.example/s/a%20b",
        "http://p.example/s/" + "a" * 65,
    ],
)
def test_anything_else_is_refused_with_a_sentence(url):
    with pytest.raises(SiteError, match=r"^not a "):
        parse_link(url, session_required=True)


def test_a_bare_site_is_accepted_where_no_session_is_needed():
    assert parse_link("http://127.0.0.1:4280/", session_required=False) == SessionLink("http://127.0.0.1:4280", None)


def test_the_dev_hosts_options_put_the_port_in_the_endpoint_for_ably_python():
    config = {"endpoint": "127.0.0.1", "port": 4280, "tls": False, "transports": ["web_socket"]}
    assert realtime_options(config) == {"tls": False, "endpoint": "127.0.0.1:4280"}
    assert rest_base_of(config) == "http://127.0.0.1:4280"


def test_tls_options_use_the_tls_port():
    config = {"endpoint": "play.example", "tls": True, "tlsPort": 443}
    assert realtime_options(config) == {"tls": True, "endpoint": "play.example:443"}
    assert rest_base_of(config) == "https://play.example:443"


def test_real_ably_is_the_sdks_defaults():
    assert realtime_options({}) == {}
    assert rest_base_of({}) == "https://main.realtime.ably.net"
