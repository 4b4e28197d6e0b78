"""Production, rehearsed on this machine: the site exactly as deployed, on Ably's production hostnames over TLS.

The build (dist/site) and the API as scripts/stage_api.sh stages it are served by the dev host with Static Web Apps'
semantics, behind an https front door on the site's Azure name. ABLY_API_KEY is set and no endpoint is, so
/api/clientConfig answers `{}` as on Azure and ably-js and ably-python use Ably's production hostnames; those resolve,
in the rehearsal only, to the emulator listening with TLS on loopback (certificates from a throwaway CA).

    with production_stage(tmp_path) as stage:
        browser = browser_type.launch(args=[*CHROMIUM_ARGS, *stage.chromium_args()])
        page.goto(stage.site_url)
        subprocess.run([sys.executable, "-m", "p2p", "join", link], env={**os.environ, **stage.python_env()})

Chromium finds the stand-ins through its resolver rules, Python children through the stand-ins' CONNECT proxy, both
from one set of rules. A drill changes where a name goes for one browser (`stage.chromium_args(rules)`) or for the
Python children (`stage.proxy.rules = ...`): `stage.host_rules({ABLY_PRIMARY: stage.refused})`.
"""

import contextlib
import json
import os
import socket
import ssl
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tests.processes import ServerProcess, start_server
from tests.stand_ins.certificates import Certificate, ThrowawayCA
from tests.stand_ins.connect_proxy import ConnectProxy
from tests.stand_ins.front_door import FrontDoor
from tests.stand_ins.host_rules import HostRules
from tests.stand_ins.hostnames import ABLY_HOSTS, SITE_HOST

ROOT = Path(__file__).resolve().parents[2]
# The stand-in Ably app's key: obviously not a real one.
STAGE_KEY = "rehearsal.stagekey:not-a-real-ably-secret"
LOOPBACK = "127.0.0.1"

Target = tuple[str, int] | None  # (address, port), or None: the name does not resolve


@dataclass
class ProductionStage:
    """A running rehearsal: where each part listens, and the rules and trust a browser or Python client needs."""

    ca: ThrowawayCA
    certificate: Certificate
    emulator_url: str  # the emulator's plain loopback port: its test controls
    emulator_tls: tuple[str, int]  # where Ably's names go
    dev_host: ServerProcess
    dev_host_url: str
    front_door: FrontDoor
    proxy: ConnectProxy
    refused: tuple[str, int]  # a port where connections are refused (nothing listens)
    untrusted_tls: tuple[str, int]  # a TLS server whose certificate nobody trusts
    site_url: str = f"https://{SITE_HOST}"
    _keep: list = field(default_factory=list)  # sockets and servers that hold `refused` and `untrusted_tls`

    def host_rules(self, ably: Mapping[str, Target] | None = None) -> HostRules:
        """The site's name to the front door, Ably's names to the emulator (or as `ably` overrides), no other name."""
        targets: dict[str, Target] = {SITE_HOST: (LOOPBACK, self.front_door_port)}
        targets.update(dict.fromkeys(ABLY_HOSTS, self.emulator_tls))
        targets.update(ably or {})
        return HostRules.only(targets)

    @property
    def front_door_port(self) -> int:
        assert self.front_door.port is not None
        return self.front_door.port

    def chromium_args(self, rules: HostRules | None = None) -> list[str]:
        """Flags for a Chromium of this rehearsal: its resolver rules, and trust in the stage's certificate only."""
        return [
            *(rules or self.host_rules()).chromium_args(),
            f"--ignore-certificate-errors-spki-list={self.certificate.spki_sha256}",
        ]

    def python_env(self) -> dict[str, str]:
        """Environment for a Python child: the stand-ins' proxy as its only route out, trust in the stage's CA."""
        return python_env(self.proxy, self.ca)

    def control(self, path: str, method: str = "POST") -> object:
        """Call one of the emulator's test controls (`/_emulator/...`) on its loopback port; return its JSON."""
        request = urllib.request.Request(
            f"{self.emulator_url}/_emulator/{path}", method=method, data=b"" if method == "POST" else None
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"null")


@contextlib.contextmanager
def production_stage(
    folder: Path,
    *,
    site_key: str = STAGE_KEY,
    ably_keys: Sequence[str] = (STAGE_KEY,),
    emulator_args: Sequence[str] = (),
    settings: Mapping[str, str] | None = None,
) -> Iterator[ProductionStage]:
    """Stage the API, start the emulator on Ably's names, the dev host and the front door; stop them all after.

    `site_key` is the site's ABLY_API_KEY and `ably_keys` the keys "Ably" accepts (a drill makes them differ);
    `emulator_args` go to `python -m emulator` (e.g. shorter timings); `settings` are more app settings
    (e.g. ABLY_TOKEN_TTL_SECONDS).
    """
    ca = ThrowawayCA(folder)
    certificate = ca.issue(SITE_HOST, *ABLY_HOSTS)
    api_dir = folder / "api"
    subprocess.run(["scripts/stage_api.sh", str(api_dir)], cwd=ROOT, check=True, capture_output=True, timeout=60)
    with contextlib.ExitStack() as stack:
        emulator = _started(
            stack,
            [sys.executable, "-m", "emulator", "--port", "0", "--tls-port", "0"]
            + ["--tls-cert", str(certificate.cert_file), "--tls-key", str(certificate.key_file)]
            + [arg for key in ably_keys for arg in ("--key", key)]
            + list(emulator_args),
        )
        emulator_url = emulator.wait_for(r"listening on (http://\S+)").group(1)
        tls_port = int(emulator.wait_for(r"listening on https://\S+:(\d+)").group(1))
        refused = stack.enter_context(_refusing_port())
        untrusted = stack.enter_context(_untrusted_tls_server(folder))
        # Until the front door is up, Python clients reach Ably's names only (the dev host's own key check).
        proxy = stack.enter_context(ConnectProxy(HostRules.only(dict.fromkeys(ABLY_HOSTS, (LOOPBACK, tls_port)))))
        env = {
            "ABLY_API_KEY": site_key,
            # Present and empty, so that a developer's local.settings.json cannot point the rehearsal elsewhere.
            "ABLY_ENDPOINT_URL": "",
            "SHARE_ORIGIN": "",
            "ABLY_TOKEN_TTL_SECONDS": "",
            **(settings or {}),
            **python_env(proxy, ca),
        }
        dev_host = _started(
            stack,
            [sys.executable, "-m", "devserver", "--port", "0", "--api", str(api_dir), "--site", "dist/site"],
            env,
        )
        dev_host_url = dev_host.wait_for(r"Open (http://\S+?)/?$").group(1)
        front_door = stack.enter_context(FrontDoor(dev_host_url, certificate))
        stage = ProductionStage(
            ca=ca,
            certificate=certificate,
            emulator_url=emulator_url,
            emulator_tls=(LOOPBACK, tls_port),
            dev_host=dev_host,
            dev_host_url=dev_host_url,
            front_door=front_door,
            proxy=proxy,
            refused=refused,
            untrusted_tls=untrusted,
        )
        proxy.rules = stage.host_rules()
        yield stage


def python_env(proxy: ConnectProxy, ca: ThrowawayCA) -> dict[str, str]:
    """The proxy for https and wss (and no other proxy, no exception), and the CA as the only trusted one."""
    assert proxy.url is not None
    return {
        **dict.fromkeys(("HTTPS_PROXY", "https_proxy"), proxy.url),
        **dict.fromkeys(("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"), ""),
        "SSL_CERT_FILE": str(ca.ca_file),
    }


def _started(stack: contextlib.ExitStack, args: list[str], env: Mapping[str, str] | None = None) -> ServerProcess:
    """Start a child process that the stack stops; its environment has no ABLY_ setting but those given."""
    inherited = {name: value for name, value in os.environ.items() if not name.startswith("ABLY_")}
    server = start_server(args, env={**inherited, **(env or {})}, cwd=str(ROOT))
    stack.callback(server.stop)
    return server


@contextlib.contextmanager
def _refusing_port() -> Iterator[tuple[str, int]]:
    """A loopback port held by a socket that never listens, so every connection to it is refused."""
    with socket.socket() as held:
        held.bind((LOOPBACK, 0))
        yield LOOPBACK, held.getsockname()[1]


@contextlib.contextmanager
def _untrusted_tls_server(folder: Path) -> Iterator[tuple[str, int]]:
    """A TLS server for Ably's names whose certificate comes from a CA nobody trusts: a TLS failure."""
    (folder / "untrusted").mkdir(exist_ok=True)
    certificate = ThrowawayCA(folder / "untrusted").issue(*ABLY_HOSTS)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(certificate.cert_file, certificate.key_file)
    listener = socket.create_server((LOOPBACK, 0))

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:  # closed: the stage is over
                return
            with contextlib.suppress(OSError), tls.wrap_socket(connection, server_side=True) as secured:
                secured.recv(1)  # the client refuses the certificate; nothing else is ever said

    threading.Thread(target=serve, name="untrusted-tls", daemon=True).start()
    try:
        yield LOOPBACK, listener.getsockname()[1]
    finally:
        listener.close()
