"""The HTTP functions (a Blueprint registered by function_app.py): requests in, JSON responses out.

Each function's trigger names no methods, so it takes every method, and the function answers 405 itself for
anything but GET (and HEAD, its body-less twin). Naming methods instead would make the Functions host answer the
others with an empty 404: no route matches (azure-functions-host#10098, #11625). Naming all of azure-functions'
`HttpMethod` values would still leave TRACE, PROPFIND and every other method to that 404.
"""

import functools
import json
from collections.abc import Mapping

import azure.functions as func
from ably import AblyRest

from api import settings, token_policy
from api.client_config import client_options
from api.errors import ApiError, method_not_allowed

bp = func.Blueprint()

_READ_METHODS = ("GET", "HEAD")
_NO_STORE = {"Cache-Control": "no-store"}


def _json(body: Mapping[str, object], status: int = 200, headers: Mapping[str, str] | None = None) -> func.HttpResponse:
    return func.HttpResponse(
        json.dumps(body, separators=(",", ":")),
        status_code=status,
        mimetype="application/json",
        charset="utf-8",
        headers={**_NO_STORE, **(headers or {})},
    )


def _error(error: ApiError) -> func.HttpResponse:
    headers = {"Allow": ", ".join(_READ_METHODS)} if error.status == 405 else None
    return _json(error.to_json(), status=error.status, headers=headers)


def _require_get(req: func.HttpRequest) -> None:
    if req.method.upper() not in _READ_METHODS:
        raise method_not_allowed(req.method.upper(), "GET")


@functools.lru_cache(maxsize=4)
def _rest_client(key: str) -> AblyRest:
    """Return an AblyRest client for `key`, built once per key: building one costs ~20 ms, signing ~0.01 ms.

    The client is only used to sign locally, so it never opens a connection that would need closing.
    Keyed by the key itself, so a rotated ABLY_API_KEY takes effect on the next request.
    """
    return AblyRest(key)


async def _signed_token_request(key: str, params: token_policy.TokenParams) -> dict[str, object]:
    """Sign a TokenRequest locally with the key (no network call) and return it without null fields."""
    token_request = await _rest_client(key).auth.create_token_request(params)
    return {name: value for name, value in token_request.to_dict().items() if value is not None}


@bp.route(route="createTokenRequest", auth_level=func.AuthLevel.ANONYMOUS)
async def create_token_request(req: func.HttpRequest) -> func.HttpResponse:
    """Return a signed Ably TokenRequest, limited to the app's (or one session's) channels.

    Query: `session` (required) — a session id; the token covers only that session's channels and the
    caller's own inbox. `peer` (optional) — a random secret the page keeps: the clientId is derived from it, so
    token renewals keep the same clientId; without it every call gets a new random clientId.
    """
    try:
        _require_get(req)
        session = token_policy.parse_session(req.params.get("session"))
        peer = token_policy.parse_peer(req.params.get("peer"))
        key = settings.api_key()
        ttl = settings.token_ttl_seconds()
        client_id = token_policy.client_id_for_peer(peer, session, key) if peer else None
        body = await _signed_token_request(key, token_policy.token_params(session, ttl, client_id))
    except ApiError as error:
        return _error(error)
    return _json(body)


@bp.route(route="clientConfig", auth_level=func.AuthLevel.ANONYMOUS)
def client_config(req: func.HttpRequest) -> func.HttpResponse:
    """Return the Ably client options for the site: `{}` for real Ably, the emulator's address otherwise.

    `shareOrigin`, when present, is the origin the page's invite link should use instead of its own.
    """
    try:
        _require_get(req)
        body = client_options(settings.endpoint(request_url=req.url))
        if share_origin := settings.share_origin(request_url=req.url):
            body["shareOrigin"] = share_origin
    except ApiError as error:
        return _error(error)
    return _json(body)
