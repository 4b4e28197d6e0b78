"""The dev host's checks of the Ably key (issue 17, item 3): a malformed key stops it before it serves anything;
`python -m devserver --check-ably` asks Ably whether the key works and says so in one line; the dev host started with
a real key asks the same in the background and logs the line.

"Ably" is the emulator, in this process on a thread of its own, answering with TLS for Ably's production names
(tests/stand_ins: a throwaway CA, and a CONNECT proxy that is the children's only way out), so the check runs
unmodified, with ably-python's default hosts, and no real name is ever looked up.
"""

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from api import token_policy
from devserver.ably_check import NOT_ACCEPTED, SITE_NEEDS, _network_reason
from devserver.server import DevServer, KeyMalformed
from emulator import Emulator, EmulatorConfig
from emulator.auth import intersect
from tests.devserver.conftest import REPO, SETTINGS, write_local_settings
from tests.processes import ServerProcess, start_server
from tests.stand_ins.certificates import ThrowawayCA
from tests.stand_ins.connect_proxy import ConnectProxy
from tests.stand_ins.host_rules import HostRules
from tests.stand_ins.hostnames import ABLY_HOSTS, ABLY_PRIMARY
from tests.stand_ins.stage import LOOPBACK, Target, python_env

GOOD = "check.good:good-secret-not-a-real-one"
LIMITED = "check.limited:limited-secret-not-a-real-one"  # may publish and subscribe only
REVOKED = "check.revoked:revoked-secret-not-a-real-one"
MALFORMED = "no-dot-in-this-key:its-secret-value"
OPEN_LINE = r"^Open (http://127\.0\.0\.1:\d+)/$"
CHECK_LINE = r"^Ably key check: .*$"


@dataclass
class AblyStandIn:
    """The emulator on Ably's names: where its TLS port is, and the CA its certificate comes from."""

    ca: ThrowawayCA
    tls: tuple[str, int]

    @contextlib.contextmanager
    def route(self, moved: Mapping[str, Target] | None = None, ca: ThrowawayCA | None = None) -> Iterator[dict]:
        """The environment of a child that reaches Ably's names (or as `moved` says) through a proxy, trusting `ca`."""
        targets: dict[str, Target] = {**dict.fromkeys(ABLY_HOSTS, self.tls), **(moved or {})}
        with ConnectProxy(HostRules.only(targets)) as proxy:
            yield python_env(proxy, ca or self.ca)


@pytest.fixture(scope="module")
def ably(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AblyStandIn]:
    ca = ThrowawayCA(tmp_path_factory.mktemp("ably-ca"))
    certificate = ca.issue(*ABLY_HOSTS)
    config = EmulatorConfig(
        keys=[GOOD, LIMITED, REVOKED],
        key_capabilities={LIMITED.split(":")[0]: {"p2p:*": ["publish", "subscribe"]}},
        revoked_keys=[REVOKED.split(":")[0]],
        tls_cert=str(certificate.cert_file),
        tls_key=str(certificate.key_file),
    )
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="ably-stand-in", daemon=True)
    thread.start()
    emulator = Emulator(config)
    asyncio.run_coroutine_threadsafe(emulator.start(LOOPBACK, 0), loop).result(timeout=30)
    try:
        assert emulator.tls_port is not None
        yield AblyStandIn(ca, (LOOPBACK, emulator.tls_port))
    finally:
        asyncio.run_coroutine_threadsafe(emulator.stop(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


def settings_env(**values: str) -> dict[str, str]:
    """This process's environment without Ably settings (present and empty, so no local.settings.json fills them)."""
    inherited = {name: value for name, value in os.environ.items() if not name.startswith("ABLY_")}
    return {**inherited, **dict.fromkeys(SETTINGS, ""), **values}


def check_ably(env: Mapping[str, str]) -> tuple[int, list[str], list[str]]:
    """Run `python -m devserver --check-ably`: its exit status, stdout lines and stderr lines."""
    done = subprocess.run(
        [sys.executable, "-m", "devserver", "--check-ably"],
        cwd=REPO,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=90,
    )
    return done.returncode, done.stdout.splitlines(), done.stderr.splitlines()


@contextlib.contextmanager
def refusing_port() -> Iterator[tuple[str, int]]:
    """A loopback port where connections are refused (held, never listening)."""
    with socket.socket() as held:
        held.bind((LOOPBACK, 0))
        yield LOOPBACK, held.getsockname()[1]


def site_folder(tmp_path: Path) -> Path:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text("<!doctype html><title>site</title>")
    return tmp_path / "site"


def dev_host(tmp_path: Path, env: Mapping[str, str], *args: str) -> ServerProcess:
    command = [sys.executable, "-m", "devserver", "--port", "0", "--site", str(site_folder(tmp_path)), *args]
    return start_server(command, cwd=str(REPO), env=dict(env))


def fetch_json(url: str) -> object:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


# --- python -m devserver --check-ably ---------------------------------------------------------------------------


def test_check_ably_says_in_one_line_that_the_key_works_with_its_capabilities_covering_what_the_site_needs(ably):
    with ably.route() as route:
        status, out, err = check_ably(settings_env(ABLY_API_KEY=GOOD, **route))
    assert (status, err) == (0, [])
    assert out == [
        "Ably key check: the key check.good works at main.realtime.ably.net and its fallback hosts: its capabilities "
        '{"*":["*"]} cover what the site needs ({"p2p:*":["history","presence","publish","subscribe"]})'
    ]


def test_check_ably_reaches_ably_through_a_fallback_host_when_the_primary_refuses_connections(ably):
    with refusing_port() as refused, ably.route({ABLY_PRIMARY: refused}) as route:
        status, out, _ = check_ably(settings_env(ABLY_API_KEY=GOOD, **route))
    assert status == 0
    assert out[0].startswith("Ably key check: the key check.good works")


def test_check_ably_names_what_a_key_that_works_lacks_for_the_site(ably):
    with ably.route() as route:
        status, out, err = check_ably(settings_env(ABLY_API_KEY=LIMITED, **route))
    assert (status, out) == (1, [])
    assert err == [
        'Ably key check: Ably accepts the key check.limited, but its capabilities {"p2p:*":["publish","subscribe"]} '
        "lack what the site needs: history, presence on p2p:* (the key's owner can add them in Ably's dashboard, "
        "API Keys)"
    ]


@pytest.mark.parametrize(
    ("key", "ably_says"),
    [
        ("check.good:a-wrong-secret", "Ably error 40101: Invalid mac: the token request was not signed with this key"),
        ("check.unknown:its-secret", "Ably error 40101: Invalid key name 'check.unknown': no such key"),
        (REVOKED, "Ably error 40131: Key/token status changed (revoke)"),
    ],
    ids=["wrong secret", "unknown key", "revoked key"],
)
def test_check_ably_says_the_key_is_not_accepted_quoting_ablys_code(ably, key, ably_says):
    with ably.route() as route:
        status, out, err = check_ably(settings_env(ABLY_API_KEY=key, **route))
    assert (status, out) == (1, [])
    assert err == [f"Ably key check: {NOT_ACCEPTED} ({ably_says}; key {key.split(':')[0]})"]


@pytest.mark.parametrize(
    ("where", "reason"),
    [
        ("nowhere", "the proxy (HTTPS_PROXY) answered 502 Bad Gateway"),
        ("untrusted", "TLS failed: its certificate is not trusted (unable to get local issuer certificate)"),
    ],
    ids=["names not found", "a certificate nobody trusts"],
)
def test_check_ably_says_ably_is_unreachable_and_why(ably, tmp_path, where, reason):
    moved = dict.fromkeys(ABLY_HOSTS, None) if where == "nowhere" else None
    stranger = ThrowawayCA(tmp_path) if where == "untrusted" else None  # trusts another CA than the certificate's
    with ably.route(moved, ca=stranger) as route:
        status, out, err = check_ably(settings_env(ABLY_API_KEY=GOOD, **route))
    assert (status, out) == (1, [])
    assert err == [f"Ably key check: Ably is unreachable at main.realtime.ably.net and its fallback hosts: {reason}"]


def test_check_ably_asks_where_ably_endpoint_url_points_and_says_when_the_connection_is_refused():
    with refusing_port() as (host, port):
        endpoint = f"https://{host}:{port}"
        status, out, err = check_ably(settings_env(ABLY_API_KEY=GOOD, ABLY_ENDPOINT_URL=endpoint))
    assert (status, out) == (1, [])
    assert err == [f"Ably key check: Ably is unreachable at {host}:{port}: the connection was refused"]


def test_a_failed_name_lookup_reads_as_the_name_not_found():
    # No name is looked up for real in these tests, so the chain httpx raises for one is made here.
    def connect() -> None:
        try:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        except OSError as error:
            raise httpx.ConnectError(str(error)) from error

    with pytest.raises(httpx.ConnectError) as failed:
        connect()
    assert _network_reason(failed.value) == "its name was not found (DNS)"


@pytest.mark.parametrize(
    ("key", "says"),
    [
        ("", "The app setting ABLY_API_KEY is not set."),
        (
            MALFORMED,
            "The app setting ABLY_API_KEY is invalid: expected an Ably API key of the form appId.keyId:secret.",
        ),
    ],
    ids=["no key", "a malformed key"],
)
def test_check_ably_without_a_usable_key_names_the_setting_and_never_the_secret(key, says):
    status, out, err = check_ably(settings_env(ABLY_API_KEY=key, HTTPS_PROXY="http://127.0.0.1:9"))
    assert (status, out, err) == (1, [], [f"Ably key check: {says}"])
    assert "its-secret-value" not in " ".join(err)


def test_what_the_check_asks_of_the_key_grants_every_token_the_api_signs_in_full():
    for session, client_id in (("abc", "someone"), ("a-much-longer_session-id", "x")):
        signed = token_policy.capability(session, client_id)
        assert intersect(signed, SITE_NEEDS) == {resource: sorted(ops) for resource, ops in signed.items()}


# --- the dev host ------------------------------------------------------------------------------------------------


def test_the_dev_host_refuses_a_malformed_key_in_one_line_before_serving_anything(tmp_path):
    host = dev_host(tmp_path, settings_env(ABLY_API_KEY=MALFORMED))
    assert host.process.wait(timeout=30) == 1
    host.wait_for("cannot start")
    assert [line.rstrip("\n") for line in host.seen] == [
        "devserver: cannot start: The app setting ABLY_API_KEY is invalid: expected an Ably API key of the form "
        "appId.keyId:secret. It is set in the environment."
    ]


def test_make_dev_refuses_a_malformed_key_in_the_same_line_before_starting_vite():
    done = subprocess.run(
        [sys.executable, "-m", "devserver.vite_dev"],
        cwd=REPO,
        env=settings_env(ABLY_API_KEY=MALFORMED),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.splitlines() == [
        "devserver: cannot start: The app setting ABLY_API_KEY is invalid: expected an Ably API key of the form "
        "appId.keyId:secret. It is set in the environment."
    ]


async def test_the_dev_host_refuses_a_malformed_key_from_local_settings_json(site_dir, clean_settings):
    write_local_settings(clean_settings, {"ABLY_API_KEY": MALFORMED})
    server = DevServer(port=0, site_dir=site_dir, local_settings_path=clean_settings)
    with pytest.raises(KeyMalformed, match=r"form appId\.keyId:secret\. It is set in local\.settings\.json\.$"):
        await server.start()
    assert server.url is None


def test_the_dev_host_with_a_real_key_serves_first_then_logs_that_the_key_works(ably, tmp_path):
    with ably.route() as route:
        host = dev_host(tmp_path, settings_env(ABLY_API_KEY=GOOD, **route))
        try:
            url = host.wait_for(OPEN_LINE).group(1)
            line = host.wait_for(CHECK_LINE).group(0)
            assert line.startswith("Ably key check: the key check.good works at main.realtime.ably.net")
            assert fetch_json(url + "/api/clientConfig") == {}
        finally:
            assert host.stop() == 0
    opened = next(index for index, seen in enumerate(host.seen) if seen.startswith("Open "))
    checked = next(index for index, seen in enumerate(host.seen) if seen.startswith("Ably key check: "))
    assert opened < checked


def test_the_dev_host_whose_key_ably_refuses_logs_that_the_sites_owner_must_check_it(ably, tmp_path):
    with ably.route() as route:
        host = dev_host(tmp_path, settings_env(ABLY_API_KEY=REVOKED, **route))
        try:
            host.wait_for(OPEN_LINE)
            line = host.wait_for(CHECK_LINE).group(0)
        finally:
            assert host.stop() == 0
    assert (
        line
        == f"Ably key check: {NOT_ACCEPTED} (Ably error 40131: Key/token status changed (revoke); key check.revoked)"
    )


def test_the_dev_host_serves_while_ably_does_not_answer_and_stops_at_once(ably, tmp_path):
    with (
        socket.create_server((LOOPBACK, 0)) as silent,
        ably.route(dict.fromkeys(ABLY_HOSTS, silent.getsockname())) as route,
    ):
        # Connections to `silent` wait in its backlog, never accepted: ably-python waits 4 s per host for TLS.
        host = dev_host(tmp_path, settings_env(ABLY_API_KEY=GOOD, **route))
        try:
            url = host.wait_for(OPEN_LINE).group(1)
            assert fetch_json(url + "/api/clientConfig") == {}
            assert not [line for line in host.seen if line.startswith("Ably key check")], "the check did not wait"
        finally:
            assert host.stop() == 0  # the pending check is cancelled


def test_the_dev_host_hosts_a_staged_app_with_its_own_api_package_while_checking_the_key(ably, tmp_path):
    staged = tmp_path / "api"
    subprocess.run(["scripts/stage_api.sh", str(staged)], cwd=REPO, check=True, capture_output=True, timeout=60)
    # The staged copy answers differently from this repository's api package, so the test sees which one runs.
    with (staged / "api" / "client_config.py").open("a") as module:
        module.write('\n\ndef client_options(endpoint):\n    return {"hosted": "the staged copy"}\n')
    with ably.route() as route:
        host = dev_host(tmp_path, settings_env(ABLY_API_KEY=GOOD, **route), "--api", str(staged))
        try:
            url = host.wait_for(OPEN_LINE).group(1)
            assert host.wait_for(CHECK_LINE).group(0).startswith("Ably key check: the key check.good works")
            assert fetch_json(url + "/api/clientConfig") == {"hosted": "the staged copy"}
        finally:
            assert host.stop() == 0
