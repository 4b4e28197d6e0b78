"""The site a peer joins through: session links, and Ably options and tokens from the site's own API.

Works alike against the dev host (the emulator's endpoint comes from /api/clientConfig) and a deployed Static Web
App (`{}`: real Ably). Every failure is a SiteError whose message is one sentence for the command line.
"""

from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
from ably import AblyRealtime
from ably.transport.defaults import Defaults

from .rules import is_valid_session_id, new_peer_secret

TIMEOUT_S = 10.0
ABLY_HEADERS = {"X-Ably-Version": Defaults.protocol_version, "Accept": "application/json"}


class SiteError(Exception):
    """Something about the site or the link that the user can act on."""


@dataclass(frozen=True)
class SessionLink:
    """A site (its origin) and, for a session link, the session id."""

    origin: str
    session_id: str | None


def parse_link(url: str, session_required: bool) -> SessionLink:
    """`https://site/s/<id>` → (origin, id); a bare site URL is accepted when no session is required."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SiteError(f"not a link to the site: {url!r} (expected e.g. http://127.0.0.1:4280/s/<session>)")
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        raise SiteError(f"not a link to the site: {url!r} (bad port)") from None
    origin = f"{parts.scheme}://{parts.hostname}{port}"
    segments = [segment for segment in parts.path.split("/") if segment]
    if len(segments) == 2 and segments[0] == "s":
        session_id = unquote(segments[1])
        if not is_valid_session_id(session_id):
            raise SiteError(f"not a valid session id: {session_id!r} (letters, digits, '-' and '_', at most 64)")
        return SessionLink(origin, session_id)
    if session_required or segments:
        raise SiteError(f"not a session link: {url!r} (expected {origin}/s/<session>)")
    return SessionLink(origin, None)


class Site:
    """The site's API: /api/clientConfig and /api/createTokenRequest, with this peer's own secret."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.peer = new_peer_secret()
        self.http = httpx.AsyncClient(base_url=origin, timeout=TIMEOUT_S)

    async def get_json(self, path: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        try:
            response = await self.http.get(path, params=params)
        except httpx.HTTPError as error:
            raise SiteError(f"cannot reach the site at {self.origin} ({type(error).__name__}: {error})") from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code != 200 or not isinstance(body, dict):
            detail = body.get("error", {}).get("message") if isinstance(body, dict) else None
            raise SiteError(f"{self.origin}{path} answered {response.status_code}" + (f": {detail}" if detail else ""))
        return body

    async def client_config(self) -> dict[str, Any]:
        return await self.get_json("/api/clientConfig")

    async def token_request(self, session_id: str) -> dict[str, Any]:
        return await self.get_json("/api/createTokenRequest", {"session": session_id, "peer": self.peer})

    async def realtime_for(self, session_id: str) -> AblyRealtime:
        """An ably-python client for the session, its tokens from the site (renewals keep the clientId)."""
        config = await self.client_config()
        options, rest_base = realtime_options(config), rest_base_of(config)

        async def auth_callback(_token_params: object) -> dict[str, Any]:
            return await self.exchange(rest_base, await self.token_request(session_id))

        return AblyRealtime(auth_callback=auth_callback, auto_connect=True, **options)

    async def exchange(self, rest_base: str, token_request: dict[str, Any]) -> dict[str, Any]:
        """Trade the site's signed TokenRequest for a token at Ably's REST API.

        ably-python would do this itself, but with an `endpoint` that carries a port (which its realtime client
        needs) its REST requests name the port twice; so the peer posts it, as ably-js does.
        """
        key_name = token_request.get("keyName")
        url = f"{rest_base}/keys/{key_name}/requestToken"
        try:
            response = await self.http.post(url, json=token_request, headers=ABLY_HEADERS)
        except httpx.HTTPError as error:
            raise SiteError(f"cannot reach Ably at {rest_base} ({type(error).__name__}: {error})") from None
        if response.status_code != 201 and response.status_code != 200:
            raise SiteError(f"Ably refused the site's token request ({response.status_code}: {response.text[:200]})")
        details: dict[str, Any] = response.json()
        return details

    async def close(self) -> None:
        await self.http.aclose()


def rest_base_of(config: dict[str, Any]) -> str:
    """Where Ably's REST API is for these client options: the emulator's origin, or Ably's primary host."""
    endpoint = config.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint:
        return f"https://{Defaults.get_hostname(Defaults.endpoint)}"
    tls = bool(config.get("tls", True))
    port = config.get("tlsPort" if tls else "port")
    return f"{'https' if tls else 'http'}://{endpoint}" + (f":{port}" if port else "")


def realtime_options(config: dict[str, Any]) -> dict[str, Any]:
    """The site's ably-js options as ably-python's: it takes the port inside `endpoint` for realtime."""
    endpoint = config.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint:
        return {}
    tls = bool(config.get("tls", True))
    port = config.get("tlsPort" if tls else "port")
    return {"tls": tls, "endpoint": f"{endpoint}:{port}" if port else endpoint}
