"""The site's answers, checked: Ably options that keep the peer on the link's host, tokens of Ably's shape."""

import pytest

from p2p.answers import AblyAddress, ably_address, error_message, share_origin, token_details, token_request
from p2p.link import SiteError, parse_link

WHERE = "http://127.0.0.1:4280/api/clientConfig"
DEV = parse_link("http://127.0.0.1:4280", session_required=False)
TOKEN_REQUEST = {
    "keyName": "app.key",
    "clientId": "peer-1",
    "nonce": "0123456789abcdef",
    "mac": "c2lnbmVk",
    "timestamp": 1_700_000_000_000,
    "ttl": 3_600_000,
    "capability": '{"p2p:abc":["publish"]}',
}


def test_the_dev_hosts_options_put_the_port_in_the_endpoint_for_ably_python():
    config = {"endpoint": "127.0.0.1", "port": 4280, "tls": False, "transports": ["web_socket"]}
    address = ably_address(config, DEV, WHERE)
    assert address.realtime_options() == {"tls": False, "endpoint": "127.0.0.1:4280"}
    assert address.rest_base == "http://127.0.0.1:4280"


def test_tls_options_use_the_tls_port():
    site = parse_link("https://play.example", session_required=False)
    address = ably_address({"endpoint": "Play.Example", "tls": True, "tlsPort": 443, "port": 80}, site, WHERE)
    assert address.realtime_options() == {"tls": True, "endpoint": "play.example:443"}
    assert address.rest_base == "https://play.example:443"


def test_an_ipv6_site_keeps_its_brackets_for_ably_python():
    site = parse_link("http://[::1]:4280", session_required=False)
    for endpoint in ("::1", "[::1]", "0:0::1"):
        address = ably_address({"endpoint": endpoint, "tls": False, "port": 4280}, site, WHERE)
        assert address.realtime_options() == {"tls": False, "endpoint": "[::1]:4280"}


@pytest.mark.parametrize("config", [{}, {"endpoint": ""}, {"endpoint": None}, {"shareOrigin": "http://x", "n": [1]}])
def test_a_site_naming_no_endpoint_means_real_ably_with_the_sdks_defaults(config):
    address = ably_address(config, DEV, WHERE)
    assert address == AblyAddress()
    assert address.realtime_options() == {}
    assert address.rest_base == "https://main.realtime.ably.net"


@pytest.mark.parametrize(
    "endpoint",
    ["127.0.0.2", "localhost", "evil.example", "127.0.0.1:4280", "127.0.0.1.", "sandbox", "[127.0.0.1]", "\x1b[2J"],
)
def test_options_pointing_ably_at_any_other_host_are_refused(endpoint):
    with pytest.raises(SiteError, match=r"points Ably at .*, not at 127\.0\.0\.1: refused") as refused:
        ably_address({"endpoint": endpoint, "tls": False, "port": 4280}, DEV, WHERE)
    assert str(refused.value).startswith(WHERE)


def test_an_https_site_may_not_send_its_peers_to_ably_without_tls():
    site = parse_link("https://play.example", session_required=False)
    with pytest.raises(SiteError, match=r"without TLS for an https site: refused"):
        ably_address({"endpoint": "play.example", "tls": False, "port": 80}, site, WHERE)


def test_a_single_label_host_that_ably_python_would_read_as_a_routing_policy_is_refused():
    site = parse_link("http://raspberrypi:4280", session_required=False)
    with pytest.raises(SiteError, match=r"would read 'raspberrypi:4280' as an Ably routing policy"):
        ably_address({"endpoint": "raspberrypi", "tls": False, "port": 4280}, site, WHERE)
    assert ably_address({}, site, WHERE) == AblyAddress()


@pytest.mark.parametrize(
    ("config", "sentence"),
    [
        ([], "answered an array, not an object"),
        ("{}", "answered a string, not an object"),
        (None, "answered null, not an object"),
        ({"endpoint": 127}, "answered a number for endpoint, not a string"),
        ({"endpoint": "127.0.0.1", "tls": "false"}, "answered a string for tls, not true or false"),
        ({"endpoint": "127.0.0.1", "tls": False, "port": "4280"}, "answered a string for port, not a whole number"),
        ({"endpoint": "127.0.0.1", "tls": False, "port": True}, "answered true for port, not a whole number"),
        ({"endpoint": "127.0.0.1", "tls": False, "port": 4280.0}, "answered a number for port, not a whole number"),
        ({"endpoint": "127.0.0.1", "tls": False, "port": 0}, "answered port 0: expected 1 to 65535"),
        ({"endpoint": "127.0.0.1", "tls": True, "tlsPort": 65536}, "answered port 65536: expected 1 to 65535"),
    ],
)
def test_options_of_the_wrong_shape_are_refused_with_what_is_wrong(config, sentence):
    with pytest.raises(SiteError) as refused:
        ably_address(config, DEV, WHERE)
    assert str(refused.value) == f"{WHERE} {sentence}"


def test_a_token_request_keeps_only_ablys_fields():
    assert token_request({**TOKEN_REQUEST, "extra": {"deep": [1]}}, WHERE) == TOKEN_REQUEST
    minimal = {name: TOKEN_REQUEST[name] for name in ("keyName", "clientId", "nonce", "mac", "timestamp")}
    assert token_request(minimal, WHERE) == minimal


@pytest.mark.parametrize(
    ("change", "sentence"),
    [
        ({"keyName": None}, "answered no keyName"),
        ({"clientId": ""}, "answered no clientId"),
        ({"clientId": "*"}, "answered the wildcard clientId, not one for this peer"),
        ({"timestamp": "1700000000000"}, "answered a string for timestamp, not a whole number"),
        ({"timestamp": False}, "answered false for timestamp, not a whole number"),
        ({"ttl": 1.5}, "answered a number for ttl, not a whole number"),
        ({"capability": {"p2p:abc": ["publish"]}}, "answered an object for capability, not a string"),
        ({"mac": ["x"]}, "answered an array for mac, not a string"),
    ],
)
def test_a_token_request_of_the_wrong_shape_is_refused(change, sentence):
    answer = {name: value for name, value in {**TOKEN_REQUEST, **change}.items() if value is not None}
    with pytest.raises(SiteError, match=f"^{WHERE} {sentence}$"):
        token_request(answer, WHERE)


def test_token_details_keep_what_ably_python_reads_and_need_a_token_and_its_times():
    details = {"token": "t", "issued": 1, "expires": 2, "capability": "{}", "clientId": "c", "keyName": "app.key"}
    assert token_details(details, WHERE) == {key: value for key, value in details.items() if key != "keyName"}
    with pytest.raises(SiteError, match="answered no issued"):
        token_details({"token": "t", "expires": 2}, WHERE)
    with pytest.raises(SiteError, match="answered a number for token, not a string"):
        token_details({"token": 7, "issued": 1, "expires": 2}, WHERE)


def test_an_error_answers_message_is_clipped_and_anything_else_is_no_message():
    assert error_message({"error": {"message": "No such session", "code": 40400}}) == "No such session"
    assert len(error_message({"error": {"message": "x" * 10_000}}) or "") == 160
    for answer in ({"error": "x"}, {"error": {"message": 5}}, [], None, {"error": {"message": ""}}):
        assert error_message(answer) is None


@pytest.mark.parametrize(
    ("config", "origin"),
    [
        ({"shareOrigin": "http://192.168.1.20:4280"}, "http://192.168.1.20:4280"),
        ({"shareOrigin": "https://Friends.Example:443/"}, "https://friends.example"),
        ({"shareOrigin": None}, None),
        ({}, None),
        ([], None),
    ],
)
def test_the_share_origin_is_the_sites_network_address_as_an_origin_or_none(config, origin):
    assert share_origin(config, WHERE) == origin


@pytest.mark.parametrize(
    ("value", "sentence"),
    [
        (42, "answered a number for shareOrigin, not a string"),
        (["http://x"], "answered an array for shareOrigin, not a string"),
        ("javascript:alert(1)", "answered shareOrigin 'javascript:alert(1)': not a site's address"),
        ("http://friends.example/s/abc", "answered shareOrigin 'http://friends.example/s/abc': not a site's address"),
        ("http://friends.example/x", "answered shareOrigin 'http://friends.example/x': not a site's address"),
        ("\x1b[2J", "answered shareOrigin '\\x1b[2J': not a site's address"),
    ],
)
def test_a_share_origin_that_is_not_a_sites_address_is_refused(value, sentence):
    with pytest.raises(SiteError) as refused:
        share_origin({"shareOrigin": value}, WHERE)
    assert str(refused.value) == f"{WHERE} {sentence}"
