"""Does this site's Ably key work? Ask Ably with ably-python, as the API signs: its time (is Ably reachable at all?),
then a token signed with the key (is the key accepted, and what may it do?). The answer is one line, saying also
whether the key's capabilities cover what the site's tokens ask for (api/token_policy.py).

`python -m devserver --check-ably` (`make check-ably`) prints the line; the dev host logs it when it starts with a
real key. Ably is where the API's settings say: Ably's production hosts, or ABLY_ENDPOINT_URL.

This module imports the `api` package, so the dev host imports it only once the Functions app is loaded: an app staged
elsewhere (`--api DIR`) must have imported its own `api` first, not this repository's.
"""

import asyncio
import logging
import socket
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from ably import AblyRest
from ably.util.exceptions import AblyException

from api import settings, token_policy
from api.errors import ApiError
from api.settings import Endpoint
from emulator.auth import canonical_capability, intersect  # the project's one model of Ably's capability rules

# What the site's tokens ask for, over every session: the policy's operations on the channels under its prefix.
SITE_NEEDS = {f"{token_policy.CHANNEL_PREFIX}*": sorted(token_policy.OPERATIONS)}
PREFIX = "Ably key check: "
NOT_ACCEPTED = "this site's Ably key is not accepted: the site's owner must check ABLY_API_KEY"
PRODUCTION = "main.realtime.ably.net and its fallback hosts"
TIMEOUT_SECONDS = 30.0
_log = logging.getLogger(__name__)
# Ably's codes (ably-common errors.json) for a key it will not take: bad credentials (40101, 40102), the account,
# app or key disabled, blocked or revoked (4011x-4013x), or a key it does not know (40400). The page says the same
# (site/connection-status.js refusesKey); tests/protocol/vectors/key_refused.json holds both to one rule.
_KEY_REFUSED = frozenset({40101, 40102, 40400, *range(40110, 40140)})


def key_refused(code: object) -> bool:
    """Whether Ably's error code means it will not take the key (not the request, the network or Ably itself)."""
    return code in _KEY_REFUSED


_TIMESTAMP_NOT_CURRENT = 40104


@dataclass(frozen=True)
class Verdict:
    """Whether the key works for the site, and the one line that says so, or why not."""

    works: bool
    line: str


async def check_ably(environ: Mapping[str, str]) -> Verdict:
    """Ask Ably about the key in `environ` (the API's settings). Never raises; answers within TIMEOUT_SECONDS."""
    try:
        key = settings.api_key(environ)
        endpoint = settings.endpoint(environ)
    except ApiError as error:
        return _fails(error.message)
    where = f"{endpoint.host}:{endpoint.port}" if endpoint else PRODUCTION
    rest = AblyRest(key=key, **_client_options(endpoint))
    try:
        async with asyncio.timeout(TIMEOUT_SECONDS):
            return await _ask(rest, key.split(":", 1)[0], where)
    except TimeoutError:
        return _fails(f"Ably is unreachable at {where}: no answer within {TIMEOUT_SECONDS:.0f} s")
    finally:
        await rest.close()


async def log_verdict(environ: Mapping[str, str]) -> None:
    """Check the key and log the verdict's line (a warning when the key does not work for the site)."""
    verdict = await check_ably(environ)
    _log.log(logging.INFO if verdict.works else logging.WARNING, verdict.line)


async def _ask(rest: AblyRest, key_name: str, where: str) -> Verdict:
    try:
        clock_offset_s = await rest.time() / 1000 - time.time()
    except (AblyException, httpx.HTTPError, OSError) as error:
        if reason := _network_reason(error):
            return _fails(f"Ably is unreachable at {where}: {reason}")
        return _fails(f"Ably's time request failed at {where}: {_ably_error(error)}")
    try:
        token = await rest.auth.request_token()
    except (AblyException, httpx.HTTPError, OSError) as error:
        if reason := _network_reason(error):
            return _fails(f"Ably answered its time at {where}, then not the token request: {reason}")
        if isinstance(error, AblyException) and key_refused(error.code):
            return _fails(f"{NOT_ACCEPTED} ({_ably_error(error)}; key {key_name})")
        clock = ""
        if isinstance(error, AblyException) and error.code == _TIMESTAMP_NOT_CURRENT:
            clock = f"; {_clock_words(clock_offset_s)}"
        return _fails(f"Ably refused a token for the key {key_name}: {_ably_error(error)}{clock}")
    capability = {resource: sorted(operations) for resource, operations in token.capability.items()}
    lacking = _lacking(capability)
    if lacking:
        return _fails(
            f"Ably accepts the key {key_name}, but its capabilities {canonical_capability(capability)} lack what the "
            f"site needs: {lacking} (the key's owner can add them in Ably's dashboard, API Keys)"
        )
    return Verdict(
        True,
        f"{PREFIX}the key {key_name} works at {where}: its capabilities {canonical_capability(capability)} cover "
        f"what the site needs ({canonical_capability(SITE_NEEDS)})",
    )


def _lacking(capability: dict[str, list[str]]) -> str:
    """What the site needs that `capability` does not allow, in words (empty when nothing)."""
    granted = intersect(SITE_NEEDS, capability)
    missing = {
        resource: sorted(set(operations) - set(granted.get(resource, ())))
        for resource, operations in SITE_NEEDS.items()
    }
    return "; ".join(f"{', '.join(operations)} on {resource}" for resource, operations in missing.items() if operations)


def _client_options(endpoint: Endpoint | None) -> dict[str, Any]:
    """ably-python's defaults (Ably's production hosts and fallbacks), or the endpoint the settings name."""
    if endpoint is None:
        return {}
    port = {"tls_port": endpoint.port} if endpoint.tls else {"port": endpoint.port}
    return {"endpoint": endpoint.host, "tls": endpoint.tls, **port}


def _clock_words(ably_minus_here_s: float) -> str:
    ahead = "ahead of" if ably_minus_here_s < 0 else "behind"
    return f"this machine's clock is {abs(ably_minus_here_s):.0f} s {ahead} Ably's: set it right"


def _fails(reason: str) -> Verdict:
    """A verdict against the key, on one line whatever Ably or the network said."""
    return Verdict(False, PREFIX + " ".join(reason.split()))


def _ably_error(error: BaseException) -> str:
    if isinstance(error, AblyException):
        return f"Ably error {error.code}: {error.message}"
    return f"{type(error).__name__}: {error}"


def _network_reason(error: BaseException) -> str | None:
    """Why a request got no answer (name not found, refused, TLS, proxy...), or None when Ably did answer.

    ably-python passes network errors on as they are, or wrapped in an AblyException 50000 (its `catch_all`).
    """
    causes: list[BaseException] = []
    cause: BaseException | None = error
    while cause is not None and len(causes) < 10:
        causes.append(cause)
        cause = cause.__cause__ or cause.__context__  # httpcore hides the socket's error as a suppressed context
    network = [cause for cause in causes if isinstance(cause, (httpx.HTTPError, OSError))]
    if not network:
        return None
    for cause in network:
        if isinstance(cause, socket.gaierror):
            return "its name was not found (DNS)"
        if isinstance(cause, ConnectionRefusedError):
            return "the connection was refused"
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"TLS failed: its certificate is not trusted ({cause.verify_message})"
        if isinstance(cause, ssl.SSLError):
            return f"TLS failed ({cause.reason or cause})"
        if isinstance(cause, httpx.ProxyError):
            return f"the proxy (HTTPS_PROXY) answered {cause}"
        if isinstance(cause, httpx.TimeoutException):
            return "no answer in time"
    return f"{type(network[0]).__name__}: {network[0]}"
