"""The emulator's test controls (`/_emulator/...`: every clientId and session channel, dropping and expiring
anyone) answer on the emulator's loopback port only, never through the dev host's port: not to a peer on the LAN,
whatever headers it sends and however it spells the path. Behind Vite the same rule applies: Vite passes them on to the
dev host (tests/devserver/test_ably_routing.py)."""

import json

import aiohttp
from yarl import URL

from devserver.emulator_proxy import names_controls
from tests.devserver.conftest import dev_server
from tests.devserver.lan_peer import lan_peer

SESSION = "secret-session-name"
MESSAGE, ACK, ATTACH, ATTACHED = 15, 1, 10, 11
CONTROLS = ("GET connections", "GET stats", "POST connections/drop", "POST tokens/expire", "POST stats/reset")
# `/_emulator` spelled every way a server might read as it: (prefix, separator before the rest).
SPELLINGS = (
    ("/_emulator", "/"),
    ("/%5Femulator", "/"),
    ("/%5femulator", "/"),
    ("/%5F%65%6D%75%6C%61%74%6F%72", "/"),
    ("/%255Femulator", "/"),
    ("//_emulator", "/"),
    ("/_EMULATOR", "/"),
    ("/_Emulator", "/"),
    ("/./_emulator", "/"),
    ("/x/../_emulator", "/"),
    ("/x/%2e%2e/_emulator", "/"),
    ("/_emulator", "%2F"),
    ("/_emulator", "\\"),
    ("/_emulator", "//"),
)
HEADER_SETS = (
    [("X-Ably-Version", "2")],
    [("X-Ably-Version", "2"), ("X-Forwarded-For", "127.0.0.1"), ("X-Forwarded-Host", "127.0.0.1")],
    [("X-Ably-Version", "2"), ("X-Forwarded-Proto", "http"), ("X-Real-IP", "127.0.0.1")],
    [
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ("Sec-WebSocket-Version", "13"),
    ],
)
# Paths a server could take for the controls'.
CONTROL_PATHS = [prefix + separator + "connections" for prefix, separator in SPELLINGS] + [
    "/_emulator",
    "/_emulator/connections?clientId=x",
    "/%2525252525255Femulator/connections",  # still changing after several decodings
]
OTHER_PATHS = (
    "/",
    "/time",
    "/channels/_emulator/messages",  # a channel named _emulator
    "/channels/p2p%3Aabc/messages",
    "/channels/a%2F_emulator/messages",
    "/keys/app.key/requestToken",
    "/_emulatorx/connections",
    "/x_emulator/connections",
    "/%ff/_emulator",
    "/api/clientConfig",
)


async def test_no_spelling_of_a_control_reaches_the_emulator_from_the_lan_and_its_loopback_port_still_answers(
    site_dir, clean_settings
):
    async with (
        dev_server(site_dir, clean_settings, lan=True) as server,
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as http,
    ):
        emulator = server.emulator
        # A page in a session: its connection, clientId and channel are what the controls would give away.
        async with http.get(server.url + f"/api/createTokenRequest?session={SESSION}") as response:
            token_request = await response.json()
        request_token = f"{server.url}/keys/{token_request['keyName']}/requestToken"
        async with http.post(request_token, json=token_request, headers={"X-Ably-Version": "2"}) as response:
            token = (await response.json())["token"]
        async with http.ws_connect(
            server.url + f"/?access_token={token}&format=json&v=5&heartbeats=false&echo=false"
        ) as page:
            connected = await page.receive_json(timeout=10)
            connection_id, client_id = connected["connectionId"], connected["connectionDetails"]["clientId"]
            await page.send_json({"action": ATTACH, "channel": f"p2p:{SESSION}"})
            assert (await page.receive_json(timeout=10))["action"] == ATTACHED
            await publish(page, 0)
            secrets = (connection_id, client_id, SESSION)
            published = emulator.controls.stats()["total"]["messages_published"]

            with lan_peer() as peer:
                port = URL(server.url).port
                requests = [(port, *attempt) for attempt in control_attempts(connection_id, emulator.port)]
                # Proof the peer is not on loopback: the forwarded host it claims is not believed.
                requests.append((port, "GET", "/api/clientConfig", [("X-Forwarded-Host", "evil.example")]))
                answers = await peer.send(requests)

            *attempts, client_config = answers
            assert json.loads(client_config.body)["endpoint"] == peer.host
            leaks = [
                (method, target, answer.status, answer.body[:80])
                for (_, method, target, _), answer in zip(requests[:-1], attempts, strict=True)
                if any(secret.encode() in answer.body for secret in secrets)
                or any(word in answer.body for word in (b'"dropped"', b'"expired"', b'"reset"', b"messages_published"))
            ]
            assert not leaks, leaks
            # Nothing was dropped, expired or reset: the page still publishes, and the counters still count.
            await publish(page, 1)
            assert emulator.controls.stats()["total"]["messages_published"] == published + 1

        async with http.get(emulator.url + "/_emulator/connections") as response:  # where the controls do answer
            assert connection_id in await response.text()


def control_attempts(connection_id: str, emulator_port: int) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(method, target, headers): every control, in every spelling, with every header set, and a few more tricks."""
    controls = (*CONTROLS, f"POST connections/{connection_id}/drop?forget=true")
    attempts = [
        (method, prefix + separator + rest, headers)
        for method, rest in (control.split(" ") for control in controls)
        for prefix, separator in SPELLINGS
        for headers in HEADER_SETS
    ]
    ably = ("X-Ably-Version", "2")
    return [
        *attempts,
        ("GET", f"http://127.0.0.1:{emulator_port}/_emulator/connections", [ably]),  # absolute form
        ("GET", "/time", [ably, ("X-Original-URL", "/_emulator/connections"), ("X-Rewrite-URL", "/_emulator/stats")]),
        ("GET", "/_emulator/connections", [ably, ("Host", f"127.0.0.1:{emulator_port}")]),
    ]


async def publish(page: aiohttp.ClientWebSocketResponse, serial: int) -> None:
    """Publish on the session's channel and wait for the ACK: the connection and its token are alive."""
    await page.send_json(
        {"action": MESSAGE, "channel": f"p2p:{SESSION}", "msgSerial": serial, "messages": [{"name": "n", "data": "d"}]}
    )
    assert (await page.receive_json(timeout=10))["action"] == ACK


def test_every_spelling_of_the_control_prefix_is_a_control_path_and_nothing_else_is():
    paths = [*CONTROL_PATHS, *OTHER_PATHS]
    expected = dict(zip(paths, [True] * len(CONTROL_PATHS) + [False] * len(OTHER_PATHS), strict=True))
    assert {path: names_controls(path) for path in paths} == expected
