"""The site a peer joins through: Ably options and tokens from the site's own API, read as untrusted answers.

Works alike against the dev host (the emulator's endpoint comes from /api/clientConfig) and a deployed Static Web
App (`{}`: real Ably). Every failure is a SiteError whose message is one sentence for the command line. No redirect
is followed and no answer may point elsewhere (p2p/answers.py): the peer connects only where its link says.
"""

import asyncio
import json
from typing import Any
from urllib.parse import quote

import httpx
import websockets.asyncio.client
from ably import AblyRealtime
from ably.transport.defaults import Defaults

from .answers import AblyAddress, ably_address, error_message, share_origin, token_details, token_request
from .link import SiteError, parse_link
from .rules import new_peer_secret
from .terminal import clip

TIMEOUT_S = 10.0
# The site's answers are a few hundred bytes; more is refused rather than read.
MAX_ANSWER_BYTES = 64 * 1024
ABLY_HEADERS = {"X-Ably-Version": Defaults.protocol_version, "Accept": "application/json"}
# Raw bytes are counted, so nothing may arrive compressed (a small gzip body can inflate to gigabytes).
HEADERS = {"Accept": "application/json", "Accept-Encoding": "identity"}

# ably-python opens its WebSocket with the websockets library, which follows redirects to any host: one attempt,
# so a redirect fails the connection instead (websockets reads this setting, WEBSOCKETS_MAX_REDIRECTS, per connect).
websockets.asyncio.client.MAX_REDIRECTS = 1


class Site:
    """The site's API: /api/clientConfig and /api/createTokenRequest, with this peer's own secret.

    A token request that fails while ably-python connects is kept in `failure` (and sets `failed`): ably-python
    would only retry it, and the command line can say what went wrong instead.
    """

    def __init__(self, origin: str) -> None:
        self.link = parse_link(origin, session_required=False)
        self.origin = self.link.origin
        self.peer = new_peer_secret()
        self.http = httpx.AsyncClient(timeout=TIMEOUT_S, follow_redirects=False, headers=HEADERS)
        self.address: AblyAddress | None = None
        self.shared_origin: str | None = None
        self.failure: SiteError | None = None
        self.failed = asyncio.Event()

    async def request(self, method: str, url: str, where: str, **options: Any) -> tuple[int, object]:
        """One request, redirects refused and the answer bounded: its status and its JSON (see parse_json)."""
        try:
            async with asyncio.timeout(TIMEOUT_S), self.http.stream(method, url, **options) as response:
                if response.is_redirect:
                    location = clip(response.headers.get("Location", ""), 80)
                    raise SiteError(f"{where} redirects to {location!r}: not followed (the link names the site)")
                encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
                if encoding not in ("", "identity"):
                    raise SiteError(f"{where} answered {clip(encoding, 20)!r}-encoded, not plain as asked")
                body = bytearray()
                async for chunk in response.aiter_raw():
                    body += chunk
                    if len(body) > MAX_ANSWER_BYTES:
                        raise SiteError(f"{where} answered more than {MAX_ANSWER_BYTES // 1024} KiB: refused")
        except TimeoutError:
            raise SiteError(f"{where} did not answer within {TIMEOUT_S:g} s") from None
        except httpx.HTTPError as error:
            raise SiteError(f"cannot reach {where} ({type(error).__name__}: {clip(str(error), 80)})") from None
        return response.status_code, parse_json(body, where, response.is_success)

    async def get_json(self, path: str, params: dict[str, str] | None = None) -> object:
        where = f"{self.origin}{path}"
        status, answer = await self.request("GET", where, where, params=params)
        if status != 200:
            detail = error_message(answer)
            raise SiteError(f"{where} answered {status}" + (f": {detail}" if detail else ""))
        return answer

    async def ably_address(self) -> AblyAddress:
        """Where Ably is for this site (asked once, with share_origin): see p2p/answers.py ably_address."""
        if self.address is None:
            path = "/api/clientConfig"
            where = f"{self.origin}{path}"
            config = await self.get_json(path)
            self.address, self.shared_origin = ably_address(config, self.link, where), share_origin(config, where)
        return self.address

    async def share_origin(self) -> str:
        """Where friends open this site's invite links: as on the page, the network address the site names when
        the link is one only this machine can open (the dev host's `shareOrigin`), else the link's own origin."""
        await self.ably_address()
        return self.shared_origin or self.origin

    async def token_request(self, session_id: str) -> dict[str, Any]:
        path = "/api/createTokenRequest"
        answer = await self.get_json(path, {"session": session_id, "peer": self.peer})
        return token_request(answer, f"{self.origin}{path}")

    async def realtime_for(self, session_id: str) -> AblyRealtime:
        """An ably-python client for the session, its tokens from the site (renewals keep the clientId)."""
        address = await self.ably_address()

        async def auth_callback(_token_params: object) -> dict[str, Any]:
            try:
                return await self.exchange(address, await self.token_request(session_id))
            except SiteError as error:
                self.failure = error
                self.failed.set()
                raise

        return AblyRealtime(auth_callback=auth_callback, auto_connect=True, **address.realtime_options())

    async def exchange(self, address: AblyAddress, request: dict[str, Any]) -> dict[str, Any]:
        """Trade the site's signed TokenRequest for a token at Ably's REST API.

        ably-python would do this itself, but with an `endpoint` that carries a port (which its realtime client
        needs) its REST requests name the port twice; so the peer posts it, as ably-js does.
        """
        url = f"{address.rest_base}/keys/{quote(request['keyName'], safe='')}/requestToken"
        where = f"Ably at {address.rest_base}"
        status, answer = await self.request("POST", url, where, json=request, headers=ABLY_HEADERS)
        if status not in (200, 201):
            detail = error_message(answer)
            raise SiteError(f"Ably refused the site's token request ({status}" + (f": {detail})" if detail else ")"))
        return token_details(answer, where)

    async def close(self) -> None:
        await self.http.aclose()


def parse_json(body: bytes | bytearray, where: str, required: bool) -> object:
    """The answer's JSON; without it a successful answer is refused, an error answer just has no message (None)."""
    try:
        return json.loads(body)
    except RecursionError:
        problem = "JSON nested too deeply"
    except ValueError:
        problem = "something that is not JSON"
    if required:
        raise SiteError(f"{where} answered {problem}")
    return None
