"""Reading the links people paste: one site and one session, or one sentence saying what is wrong."""

import random
import string

import pytest

from p2p.link import SiteError, parse_link
from p2p.terminal import printable

from .hostile_site import run_cli

# The link cases found by issue 18, one of each kind of mistake, and the sentence each gets.
REFUSED = {
    "": "expected e.g. http://127.0.0.1:4280/s/<session>",
    "play.example/s/abc": "expected e.g.",
    "ftp://play.example/s/abc": "expected e.g.",
    "javascript://play.example/s/abc": "expected e.g.",
    "http:///s/abc": "no host",
    "http://:4280/s/abc": "no host",
    "http://[::1/s/abc": "IPv6 address goes in brackets",
    "http://::1]/s/abc": "IPv6 address goes in brackets",
    "http://[::1]x/s/abc": "IPv6 address goes in brackets",
    "http://::1/s/abc": "IPv6 address goes in brackets",
    "http://[127.0.0.1]/s/abc": "not a valid IPv6 address",
    "http://[fe80::1%25eth0]/s/abc": "not a valid IPv6 address",
    "http://256.256.256.256/s/abc": "not a valid IPv4 address",
    "http://127.1/s/abc": "not a valid IPv4 address",
    "http://0x7f.0.0.1/s/abc": "not a valid IPv4 address",
    "http://play.123/s/abc": "not a valid IPv4 address",
    "http://play.example:0/s/abc": "port '0': expected a number from 1 to 65535",
    "http://play.example:65536/s/abc": "port '65536'",
    "http://play.example:99999/s/abc": "port '99999'",
    "http://play.example:http/s/abc": "port 'http'",
    "http://play.example:-1/s/abc": "port '-1'",
    "http://play.example:+80/s/abc": "port '+80'",
    "http://play.example:٤٢/s/abc": "port '٤٢'",
    "http://user:secret@play.example/s/abc": "a user name or password in a link is not supported",
    "http://play.example@127.0.0.1/s/abc": "a user name or password",
    "http://play_example/s/abc": "not a valid host name",
    "http://-play.example/s/abc": "not a valid host name",
    "http://play..example/s/abc": "not a valid host name",
    "http://play.example./s/abc": "not a valid host name",
    "http://play\x1b.example/s/abc": "not a valid host name",
    f"http://{'a' * 64}.example/s/abc": "not a valid host name",
}
NOT_A_SESSION = [
    "http://play.example/",
    "http://play.example/x/abc",
    "http://play.example/s/",
    "http://play.example/s/abc/def",
    "http://play.example//s/abc",
    "http://play.example/s//abc",
]
NOT_A_SESSION_ID = ["http://play.example/s/a%20b", "http://p.example/s/" + "a" * 65, "http://p.example/s/a%0Ab"]


@pytest.mark.parametrize(
    ("url", "origin", "session_id"),
    [
        ("http://127.0.0.1:4280/s/abc", "http://127.0.0.1:4280", "abc"),
        ("https://play.example/s/A-b_9/", "https://play.example", "A-b_9"),
        (" https://play.example/s/abc?from=qr#x \n", "https://play.example", "abc"),
        ("https://play.example/s/a%2Db", "https://play.example", "a-b"),
        ("HTTPS://Play.Example:443/s/abc", "https://play.example", "abc"),
        ("http://play.example:8080/s/abc", "http://play.example:8080", "abc"),
        ("http://play.example:/s/abc", "http://play.example", "abc"),
        ("http://[::1]:4280/s/abc", "http://[::1]:4280", "abc"),
        ("http://[0:0::1]/s/abc", "http://[::1]", "abc"),
        ("http://spiel.bäckerei.example/s/abc", "http://spiel.xn--bckerei-5wa.example", "abc"),
        ("http://localhost:4280/s/abc", "http://localhost:4280", "abc"),
    ],
)
def test_a_session_link_names_the_site_as_urls_write_it_and_the_session(url, origin, session_id):
    link = parse_link(url, session_required=True)
    assert (link.origin, link.session_id) == (origin, session_id)


@pytest.mark.parametrize(("url", "reason"), REFUSED.items())
def test_a_link_that_is_not_plainly_one_site_is_refused_with_what_is_wrong(url, reason):
    with pytest.raises(SiteError, match=r"^not a link to the site: ") as refused:
        parse_link(url, session_required=True)
    assert reason in str(refused.value)


@pytest.mark.parametrize("url", NOT_A_SESSION)
def test_a_site_link_without_exactly_one_session_is_not_a_session_link(url):
    with pytest.raises(SiteError, match=r"^not a session link: .* \(expected http://play.example/s/<session>\)$"):
        parse_link(url, session_required=True)


@pytest.mark.parametrize("url", NOT_A_SESSION_ID)
def test_a_session_id_outside_the_alphabet_or_too_long_is_refused(url):
    with pytest.raises(SiteError, match=r"^not a valid session id: "):
        parse_link(url, session_required=True)


def test_a_bare_site_is_accepted_where_no_session_is_needed():
    link = parse_link("http://127.0.0.1:4280/", session_required=False)
    assert (link.origin, link.session_id) == ("http://127.0.0.1:4280", None)
    with pytest.raises(SiteError, match=r"^not a session link: "):
        parse_link("http://127.0.0.1:4280/x", session_required=False)


def test_a_long_link_is_clipped_in_the_sentence():
    with pytest.raises(SiteError) as refused:
        parse_link("http://" + "a" * 100_000, session_required=True)
    assert len(str(refused.value)) < 300


SCHEMES = ["http://"] * 4 + ["https://"] * 2 + ["HTTP://", "ftp://", "//", "http:/", "http:\\\\", ""]
HOSTS = [
    "[",
    "]",
    "::1",
    "[::1]",
    "[fe80::1%25x]",
    "127.0.0.1",
    "256.256.256.256",
    "1.2.3",
    "0x7f",
    "play.example",
    "bäckerei",
    "．",
    ".",
    "..",
    "-",
    "_",
    "@",
    "user:pw@",
    ":",
    ":0",
    ":80",
    ":65535",
    ":65536",
    ":٤٢",
    ":9" * 30,
]
PATHS = ["/s/", "/s/abc", "/s/a%20b", "%", "%2D", "/", "//", "?s=1", "#/s/abc", "/s/abc/x", "/S/abc"]
ODD = ["\x00", "\x1b[2J", "\n", "\r", "\t", " ", "\x7f", "\x85", "\u202e", "\u200b", "\ud800", "é", "٤", "。"]


def fuzzed_links(seed: int, count: int) -> list[str]:
    """Links glued from pieces of valid and broken ones, some characters then changed: the same ones every run."""
    rng = random.Random(seed)
    links = []
    for _ in range(count):
        pieces = [rng.choice(SCHEMES)]
        pieces += rng.choices(HOSTS, k=rng.randint(0, 3)) + rng.choices(PATHS, k=rng.randint(0, 2))
        link = list("".join(pieces))
        for _ in range(rng.choice([0, 0, 1, 2])):
            position = rng.randrange(len(link) + 1)
            link[position:position] = rng.choice(ODD + list(string.printable))
        links.append("".join(link))
    return links


@pytest.mark.parametrize("seed", range(4))
def test_any_link_is_a_canonical_site_or_one_sentence(seed):
    for url in fuzzed_links(seed, 2500):
        try:
            link = parse_link(url, session_required=False)
        except SiteError as error:
            refused = str(error)
        else:
            again = parse_link(link.origin + (f"/s/{link.session_id}" if link.session_id else ""), False)
            assert again == link, url
            assert link.origin.isascii(), url
            assert link.origin.isprintable(), url
            continue
        assert refused.startswith("not a "), url


@pytest.mark.parametrize("seed", range(2))
def test_the_command_line_gives_every_fuzzed_link_it_refuses_a_usage_line_one_escaped_line_and_status_2(seed):
    refused = 0
    for url in fuzzed_links(100 + seed, 400):
        try:
            parse_link(url, session_required=True)
        except SiteError:
            refused += 1
        else:
            continue  # a link to a site: the command would connect to it
        status, out, err = run_cli("join", "--", url)
        assert (status, out) == (2, ""), url
        usage, error = err.splitlines()
        assert usage.startswith("usage: python -m p2p join "), err
        assert error.startswith("python -m p2p join: error: argument link: not a "), err
        assert printable(error) == error, err
    assert refused > 300
