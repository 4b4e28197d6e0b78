"""Every state the page can show, and every line it shows in it, word for word: PAGE below is the whole text a
player reads, in order, one state per entry, so a reviewer reads every sentence in one place. Each test walks a
few of the states, checks the page's text against its entry (nothing missing, nothing more: no duplicate or
contradictory line, one connection line), and runs axe on it.

`{session}`, `{link}` and `{name}` stand for the session's name, its invite link and the player's name; a compiled
pattern stands for a line whose end varies (a retry's countdown, a file's hashed name). The failure drills
(tests/browser/rehearsal) bring the same connection lines about the way they happen in production; here the page
is told the same things by routes, so that every line is seen on one dev host, in seconds.

Not walked: alerts for what goes wrong after joining (a join that fails once connected, a stream Ably refuses, a
background step of the session), which need a fault inside the session code; docs/troubleshooting.md lists them.

On a dev host whose emulator holds 3 players per session (Ably: 200), keeps a lost connection's state 5 s (Ably:
2 minutes) and times presence out after 1 s (Ably: 15 s).
"""

import json
import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.actions import (
    PHRASE,
    client_id,
    close_tab,
    expect_connection,
    expect_in_step_with_the_host,
    expect_roster,
    host,
    join,
    lose_network,
    restore_network,
    stream_words,
)
from tests.browser.conftest import DevHost, Peer, running_dev_host
from tests.browser.test_accessibility import expect_no_axe_violations
from tests.browser.test_connection_state import FailingEndpoint, TokenGate
from tests.browser.test_lazy_chunks import LAZY_CHUNK

PRESENCE_LIMIT = 3
CONNECTION_STATE_TTL = 5

TITLE = "Realtime peer-to-peer demo"
FORM = [
    "Session name",
    "Leave it empty to host a new private session with a random name.",
    "Your name",
    "What the other players see, up to 32 characters.",
]
HOST_FIRST = ["Host a session", "Join a session"]
JOIN_FIRST = ["Join a session", "Host a session"]
CONNECTED = "Connected What the others do shows up here as it happens."
STREAM = "Stream the words to everyone"
BINGO = [
    "Bingo",
    "Play bingo with everyone here: each player gets a card of their own, and you call the numbers.",
    "Play bingo",
]
WORDS = "Words from the host"
MESSAGES = ["Messages", "What players and bots say to everyone appears here."]
INVITE = ["Invite others", "{link}", "Copy link"]


def players(*names: str) -> list[str]:
    """The roster card: its count, then each player as the page lists them (the host marked, and this player)."""
    return [f"Players: {len(names)}", *names]


def retrying(what: str) -> re.Pattern:
    return re.compile(rf"Details: {re.escape(what)} Retrying in \d+ s \(attempt \d+\)\.")


PAGE: dict[str, list[str | re.Pattern]] = {
    # The form
    "the form": [
        TITLE,
        "Host a new session and share its link, or join a session someone shared with you.",
        *FORM,
        *HOST_FIRST,
    ],
    "the form, opened from an invite link": [
        TITLE,
        "You were invited to a session. Choose a name and join.",
        *FORM,
        *JOIN_FIRST,
    ],
    "the form, opened from a broken invite link": [
        TITLE,
        "This invite link is broken: it does not name a session. Check the session name below, ask for the link "
        "again, or host a new session.",
        "Session name",
        "Leave it empty to host a new private session with a random name.",
        "Session names may contain only letters, digits, '-' and '_'.",
        "Your name",
        "What the other players see, up to 32 characters.",
        *JOIN_FIRST,
    ],
    "the form, opened from an invite link too long to be one": [
        TITLE,
        "This invite link is broken: it does not name a session. Check the session name below, ask for the link "
        "again, or host a new session.",
        "Session name",
        "Leave it empty to host a new private session with a random name.",
        "Session names are at most 64 characters (this one has 300).",
        "Your name",
        "What the other players see, up to 32 characters.",
        *JOIN_FIRST,
    ],
    "the form, opened from an invite link cut to nothing": [
        TITLE,
        "This invite link is broken: it does not name a session. Check the session name below, ask for the link "
        "again, or host a new session.",
        "Session name",
        "Leave it empty to host a new private session with a random name.",
        "Enter the session name you were given, or host a new session.",
        "Your name",
        "What the other players see, up to 32 characters.",
        *JOIN_FIRST,
    ],
    "the form, Join with no session name": [
        TITLE,
        "Host a new session and share its link, or join a session someone shared with you.",
        "Session name",
        "Leave it empty to host a new private session with a random name.",
        "Enter the session name you were given, or host a new session.",
        "Your name",
        "What the other players see, up to 32 characters.",
        *HOST_FIRST,
    ],
    "the form, waiting for this site's server": [
        TITLE,
        "Host a new session and share its link, or join a session someone shared with you.",
        *FORM,
        *HOST_FIRST,
        "One moment Waiting for this site's server: it may be starting up, which can take a few seconds.",
    ],
    "the form, this site's server failing": [
        TITLE,
        "Host a new session and share its link, or join a session someone shared with you.",
        *FORM,
        *HOST_FIRST,
        "Waiting This site's server is not answering properly, so you cannot join yet. Trying again by itself; if "
        "this lasts, tell the site's owner.",
        retrying("/api/clientConfig answered HTTP 500: The API is starting up."),
    ],
    "the form, this site's server refusing the settings": [
        TITLE,
        "This site's server refused to give the connection settings, so you cannot join. Please tell the site's owner.",
        "Details: /api/clientConfig answered HTTP 403: Not for you",
        "Host a new session and share its link, or join a session someone shared with you.",
        *FORM,
        *HOST_FIRST,
    ],
    "the form, the rest of the page not loading": [
        TITLE,
        "Could not load the rest of the page. Check your network, then reload the page.",
        re.compile(r"Details: Failed to fetch dynamically imported module: \S+"),
        "Reload the page",
        "Host a new session and share its link, or join a session someone shared with you.",
        *FORM,
        *HOST_FIRST,
    ],
    "the form, the session full": [
        TITLE,
        "This session is full: it has as many players as a session can hold. Try again when someone leaves, or host "
        "a new session.",
        "Host a new session and share its link, or join a session someone shared with you.",
        *FORM,
        *HOST_FIRST,
    ],
    # The session, as the host and the players see it
    "hosting": [
        TITLE,
        "Session {session}",
        "You are hosting.",
        "Your name: alice",
        CONNECTED,
        STREAM,
        *BINGO,
        WORDS,
        "Press “Stream the words to everyone” and they appear here, and on every player’s page.",
        *MESSAGES,
        *INVITE,
        *players("alice (you) host"),
    ],
    "joined as a player": [
        TITLE,
        "Session {session}",
        "alice is hosting.",
        "Your name: bob",
        CONNECTED,
        WORDS,
        "The words appear here when alice streams them.",
        *MESSAGES,
        *INVITE,
        *players("alice host", "bob (you)"),
    ],
    "pressed Host on a session someone hosts": [
        TITLE,
        "Session {session}",
        "alice is hosting this session, so you joined as a player.",
        "Your name: carol",
        CONNECTED,
        WORDS,
        "The words appear here when alice streams them.",
        *MESSAGES,
        *INVITE,
        *players("alice host", "bob", "carol (you)"),
    ],
    "hosting, the words streamed twice": [
        TITLE,
        "Session {session}",
        "You are hosting.",
        "Your name: alice",
        CONNECTED,
        STREAM,
        *BINGO,
        WORDS,
        PHRASE,
        PHRASE,
        *MESSAGES,
        *INVITE,
        *players("alice (you) host", "bob", "carol"),
    ],
    "pressed Join on a session nobody is in": [
        TITLE,
        "Session {session}",
        "Nobody is in this session yet.",
        "Check the session name, or host this session and invite your friends.",
        "Host it",
        "Change the session name",
        "Your name: {name}",
        CONNECTED,
    ],
    "pressed Host it": [
        TITLE,
        "Session {session}",
        "You are hosting.",
        "Your name: dave",
        CONNECTED,
        STREAM,
        *BINGO,
        WORDS,
        "Press “Stream the words to everyone” and they appear here, and on every player’s page.",
        *MESSAGES,
        *INVITE,
        *players("dave (you) host"),
    ],
    "somebody joined while the page asked": [
        TITLE,
        "Session {session}",
        "You are hosting.",
        "Your name: erin",
        CONNECTED,
        STREAM,
        *BINGO,
        WORDS,
        "Press “Stream the words to everyone” and they appear here, and on every player’s page.",
        *MESSAGES,
        *INVITE,
        *players("erin (you) host", "frank"),
    ],
    "pressed Change the session name": [
        TITLE,
        "Host a new session and share its link, or join a session someone shared with you.",
        *FORM,
        *HOST_FIRST,
    ],
    "took over as host": [
        TITLE,
        "Session {session}",
        "You are hosting now.",
        "Your name: bob",
        CONNECTED,
        STREAM,
        *BINGO,
        WORDS,
        PHRASE,
        PHRASE,
        *MESSAGES,
        *INVITE,
        *players("bob (you) host", "carol"),
    ],
    "another player took over as host": [
        TITLE,
        "Session {session}",
        "bob is hosting now.",
        "Your name: carol",
        CONNECTED,
        WORDS,
        PHRASE,
        PHRASE,
        *MESSAGES,
        *INVITE,
        *players("bob host", "carol (you)"),
    ],
    # The connection, one line at a time
    "connecting": [
        TITLE,
        "Session {session}",
        "Your name: alice",
        "Connecting Getting you into the session…",
    ],
    "connecting, this site's server failing to give a token": [
        TITLE,
        "Session {session}",
        "Your name: alice",
        "Waiting This site's server is not answering properly, so you cannot join yet. Trying again by itself; if "
        "this lasts, tell the site's owner.",
        retrying("/api/createTokenRequest answered HTTP 500: The API is starting up."),
    ],
    "connecting, Ably unreachable": [
        TITLE,
        "Session {session}",
        "Your name: alice",
        "Cannot connect Cannot reach Ably, the service this game connects through. Check that you are online; if "
        "other sites work, this network may block Ably (some school and office networks do), so try another one. "
        "Trying again by itself.",
        "Retry now",
    ],
    "connecting, Ably not accepting the site's key": [
        TITLE,
        "Session {session}",
        "Your name: alice",
        "Not accepted This site's Ably key is not accepted, so nobody can join yet. Please tell the site's owner (the "
        "details below are for them); this page keeps trying and joins once it is fixed.",
        "Details: Ably refuses the site's ABLY_API_KEY: Invalid key name 'stage.key': no such key (Ably error 40101)",
    ],
    "connecting, Ably refusing the site's request": [
        TITLE,
        "Session {session}",
        "Your name: alice",
        "Refused Ably, the service this game connects through, refused this site's request to join, so nobody can "
        "join yet. Please tell the site's owner (the details below are for them); this page keeps trying and joins "
        "once it is fixed.",
        "Details: Timestamp not current (Ably error 40104)",
    ],
    "the network lost": [
        TITLE,
        "Session {session}",
        "alice is hosting.",
        "Your name: bob",
        "Interrupted Connection lost. Reconnecting by itself; what you send meanwhile goes out once it is back.",
        WORDS,
        "The words appear here when alice streams them.",
        *MESSAGES,
        *INVITE,
        *players("alice host", "bob (you)"),
    ],
    "offline for a while": [
        TITLE,
        "Session {session}",
        "alice is hosting.",
        "Your name: bob",
        "No network Offline for a while. Still trying every 30 seconds: check your network, then press Retry now.",
        "Retry now",
        WORDS,
        "The words appear here when alice streams them.",
        *MESSAGES,
        *INVITE,
        *players("alice host", "bob (you)"),
    ],
    "the connection failed": [
        TITLE,
        "Session {session}",
        "You are hosting.",
        "Your name: alice",
        "Failed The connection failed and will not retry by itself. Press Retry now, or reload the page.",
        "Details: HttpError: /api/createTokenRequest answered HTTP 403: Not allowed right now (Ably error 40170)",
        "Retry now",
        STREAM,
        *BINGO,
        WORDS,
        "Press “Stream the words to everyone” and they appear here, and on every player’s page.",
        *MESSAGES,
        *INVITE,
        *players("alice (you) host"),
    ],
}

# Compares the page's visible lines with the expected ones: `{text}` exactly, `{pattern}` as a whole line.
SAYS = """([expected]) => {
  const lines = document.querySelector('main').innerText.split('\\n').map((l) => l.trim()).filter(Boolean);
  return lines.length === expected.length && expected.every((line, i) =>
    'text' in line ? lines[i] === line.text : new RegExp(`^(?:${line.pattern})$`).test(lines[i]));
}"""


def expect_page_says(peer: Peer, state: str, timeout: float = 15_000, **values: str) -> None:
    """Within `timeout` ms the page shows exactly PAGE[state]'s lines (with `values` for `{session}` and the like), and
    axe finds nothing wrong with it."""
    expected = [
        {"pattern": line.pattern} if isinstance(line, re.Pattern) else {"text": line.format(**values)}
        for line in PAGE[state]
    ]
    page = peer.page
    try:
        page.wait_for_function(SAYS, arg=[expected], timeout=timeout)
    except Exception:
        actual = [line.strip() for line in page.locator("main").inner_text().split("\n") if line.strip()]
        wanted = [line.get("text") or f"/{line['pattern']}/" for line in expected]
        raise AssertionError(f"{state!r}: the page says\n{json.dumps(actual, indent=1)}\nexpected\n{wanted}") from None
    expect_no_axe_violations(page)


@pytest.fixture(scope="module")
def dev_host():
    flags = (
        *("--emulator-presence-limit", str(PRESENCE_LIMIT)),
        *("--emulator-connection-state-ttl", str(CONNECTION_STATE_TTL)),
        *("--emulator-presence-leave-timeout", "1"),
    )
    with running_dev_host(*flags) as dev_host:
        yield dev_host


class HeldRequests:
    """Holds a route's requests unanswered until released: the page waits as for a server that is slow to start."""

    def __init__(self) -> None:
        self.held: list[Route] = []

    def __call__(self, route: Route) -> None:
        self.held.append(route)

    def release(self) -> None:
        for route in self.held:
            route.continue_()
        self.held.clear()


def answer(status: int, body: object) -> Callable[[Route], None]:
    return lambda route: route.fulfill(status=status, content_type="application/json", body=json.dumps(body))


def ably_refuses(code: int, message: str) -> Callable[[Route], None]:
    """Ably's answer to a request it refuses: the error in the body and its code in a header, as ably-js expects."""
    body = json.dumps({"error": {"code": code, "statusCode": 401, "message": message}})
    headers = {"X-Ably-Errorcode": str(code), "X-Ably-Errormessage": message}
    return lambda route: route.fulfill(status=401, content_type="application/json", body=body, headers=headers)


def fill_in(peer: Peer, session: str) -> Page:
    page = peer.page
    page.get_by_label("Session name").fill(session)
    page.get_by_label("Your name").fill(peer.name)
    return page


def test_the_form_in_every_state(open_peer, dev_host):
    visitor = open_peer("alice")
    visitor.expect_console_error("status of (500|403)|Failed to load resource|ably")
    page = visitor.page
    expect_page_says(visitor, "the form")
    page.get_by_role("button", name="Join a session").click()
    expect_page_says(visitor, "the form, Join with no session name")

    for link in ("/s/..%2F..", "/s/%E0%A4%A", "/s/%3C%2Fscript%3E", "/s/a/b", "/s/friends%20game"):
        page.goto(link)
        expect_page_says(visitor, "the form, opened from a broken invite link")
    fill_in(visitor, "fixed-by-hand").get_by_role("button", name="Join a session").click()
    expect_page_says(visitor, "pressed Join on a session nobody is in", session="fixed-by-hand", name="alice")
    page.get_by_role("button", name="Change the session name").click()
    expect_page_says(visitor, "the form, opened from an invite link")  # the link's problem is in the past
    page.goto("/s/" + "x" * 300)
    expect_page_says(visitor, "the form, opened from an invite link too long to be one")
    page.goto("/s/")
    expect_page_says(visitor, "the form, opened from an invite link cut to nothing")
    page.goto("/s/friends-game")
    expect_page_says(visitor, "the form, opened from an invite link")

    page.goto("/")
    held = HeldRequests()
    page.route("**/api/clientConfig", held)
    fill_in(visitor, "")
    page.get_by_role("button", name="Host a session").click()
    expect_page_says(visitor, "the form, waiting for this site's server")
    held.release()
    page.unroute_all(behavior="ignoreErrors")
    expect_in_step_with_the_host(visitor)

    page.goto("/")
    page.route("**/api/clientConfig", FailingEndpoint(failures=100))
    page.get_by_role("button", name="Host a session").click()
    expect_page_says(visitor, "the form, this site's server failing")

    page.unroute_all(behavior="ignoreErrors")
    page.route("**/api/clientConfig", answer(403, {"error": {"code": "forbidden", "message": "Not for you"}}))
    page.goto("/")
    page.get_by_role("button", name="Host a session").click()
    expect_page_says(visitor, "the form, this site's server refusing the settings")

    page.unroute_all(behavior="ignoreErrors")
    page.route(LAZY_CHUNK, lambda route: route.abort())
    page.goto("/")
    page.get_by_role("button", name="Host a session").click()
    expect_page_says(visitor, "the form, the rest of the page not loading")


def test_the_session_as_the_host_and_the_players_see_it(open_peer, dev_host):
    alice, bob, carol, dave = open_peer("alice"), open_peer("bob"), open_peer("carol"), open_peer("dave")
    session = host(alice, "walk-the-session")
    link = alice.page.get_by_test_id("share-link").inner_text()
    expect_page_says(alice, "hosting", session=session, link=link)
    join(bob, session)
    expect_page_says(bob, "joined as a player", session=session, link=link)

    fill_in(carol, session).get_by_role("button", name="Host a session").click()
    expect_page_says(carol, "pressed Host on a session someone hosts", session=session, link=link)

    stream_words(alice)
    expect(carol.page.get_by_test_id("received-words")).to_have_text(PHRASE, timeout=20_000)
    stream_words(alice)
    expect(alice.page.get_by_test_id("phrase")).to_have_count(2, timeout=20_000)
    expect_page_says(alice, "hosting, the words streamed twice", session=session, link=link, timeout=20_000)

    empty = "nobody-here-yet"
    fill_in(dave, empty).get_by_role("button", name="Join a session").click()
    expect_page_says(dave, "pressed Join on a session nobody is in", session=empty, name="dave")
    dave.page.get_by_role("button", name="Change the session name").click()
    expect_page_says(dave, "pressed Change the session name")
    expect(dave.page.get_by_label("Session name")).to_be_focused()
    expect(dave.page.get_by_label("Session name")).to_have_value(empty)
    dave.page.get_by_role("button", name="Join a session").click()
    expect_page_says(dave, "pressed Join on a session nobody is in", session=empty, name="dave")
    dave.page.get_by_role("button", name="Host it").click()
    dave_link = dave.page.get_by_test_id("share-link").inner_text()
    expect_page_says(dave, "pressed Host it", session=empty, link=dave_link)

    erin, frank = open_peer("erin"), open_peer("frank")
    fill_in(erin, "nobody-else-yet").get_by_role("button", name="Join a session").click()
    expect_page_says(erin, "pressed Join on a session nobody is in", session="nobody-else-yet", name="erin")
    join(frank, "nobody-else-yet")
    erin_link = erin.page.get_by_test_id("share-link").inner_text()
    expect_page_says(erin, "somebody joined while the page asked", session="nobody-else-yet", link=erin_link)

    close_tab(alice)
    expect_page_says(bob, "took over as host", session=session, link=link, timeout=20_000)
    expect_page_says(carol, "another player took over as host", session=session, link=link)


def test_joining_a_full_session_says_so_on_the_form(open_peer, dev_host):
    alice, bob, carol, dave = open_peer("alice"), open_peer("bob"), open_peer("carol"), open_peer("dave")
    session = host(alice)
    join(bob, session)
    join(carol, session)
    dave.expect_console_error("91003|maximum number of")
    fill_in(dave, session).get_by_role("button", name="Join a session").click()
    expect_page_says(dave, "the form, the session full")


def test_the_connection_line_while_joining(open_peer, dev_host):
    alice = open_peer("alice")
    alice.expect_console_error("status of (500|401)|Failed to load resource")
    page = alice.page

    held = HeldRequests()
    page.route("**/api/createTokenRequest*", held)
    fill_in(alice, "walk-the-connection").get_by_role("button", name="Host a session").click()
    expect_page_says(alice, "connecting", session="walk-the-connection")
    held.release()
    page.unroute_all(behavior="ignoreErrors")
    expect_in_step_with_the_host(alice)

    page.route("**/api/createTokenRequest*", FailingEndpoint(failures=100))
    page.goto("/")
    fill_in(alice, "walk-the-connection").get_by_role("button", name="Host a session").click()
    expect_page_says(alice, "connecting, this site's server failing to give a token", session="walk-the-connection")

    # What Ably answers the token request ably-js makes with the site's TokenRequest.
    refusals = {
        "connecting, Ably unreachable": lambda route: route.abort(),
        "connecting, Ably not accepting the site's key": ably_refuses(
            40101, "Invalid key name 'stage.key': no such key"
        ),
        "connecting, Ably refusing the site's request": ably_refuses(40104, "Timestamp not current"),
    }
    for state, refusal in refusals.items():
        page.unroute_all(behavior="ignoreErrors")
        page.route(re.compile(r"/keys/[^/]+/requestToken"), refusal)
        page.goto("/")
        fill_in(alice, "walk-the-connection").get_by_role("button", name="Host a session").click()
        expect_page_says(alice, state, session="walk-the-connection")


def test_the_connection_line_in_a_session(open_peer, dev_host: DevHost):
    alice, bob = open_peer("alice"), open_peer("bob")
    session = host(alice)
    link = alice.page.get_by_test_id("share-link").inner_text()
    join(bob, session)

    lose_network(bob, dev_host)
    expect_page_says(bob, "the network lost", session=session, link=link)
    expect_page_says(bob, "offline for a while", session=session, link=link)
    restore_network(bob)  # the browser says it is online again: ably-js reconnects at once
    expect_page_says(bob, "joined as a player", session=session, link=link)

    gate = TokenGate()
    alice.page.route("**/api/createTokenRequest*", gate)
    alice.expect_console_error("status of 403")
    gate.shut = True
    close_tab(bob)
    expect_roster(alice, ["alice"])
    dev_host.control(f"tokens/expire?clientId={client_id(alice)}")  # the renewal gets the 403
    expect_connection(alice, "failed")
    expect_page_says(alice, "the connection failed", session=session, link=link)
    expect(alice.page.get_by_test_id("stream-words")).to_be_disabled()  # Ably would refuse what it sends
