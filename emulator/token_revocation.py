"""`POST /keys/{keyName}/revokeTokens`: revoke the tokens a revocable key issued, by clientId, as Ably does.

A revoked token is refused with 40141 wherever it is presented (auth.py), and a realtime connection using it
gets DISCONNECTED 40141 when the revocation applies (at once, or 30 s later with `allowReauthMargin`).
"""

import asyncio

from aiohttp import web

from . import errors
from .auth import now_ms
from .errors import AblyError
from .rest import basic_key, credentials_for, read_body, reply
from .revocations import TARGET_TYPES
from .state import World

REAUTH_MARGIN_MS = 30_000


class RevocationApi:
    """The token revocation handler, bound to one world."""

    def __init__(self, world: World):
        self.world = world

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/keys/{key_name}/revokeTokens", self.revoke_tokens)]

    async def revoke_tokens(self, request: web.Request) -> web.Response:
        """A BatchResult with one result per target: `{target, issuedBefore, appliesAt}` or `{target, error}`.

        :raises AblyError: 40162 with a token, 40133 with another key, 40163 for a key without revocable tokens,
            40000/40003 for a malformed body.
        """
        credentials = credentials_for(self.world, request)
        if basic_key(request) is None:
            raise errors.BASIC_AUTH_REQUIRED()
        key_name = request.match_info["key_name"]
        if credentials.key_name != key_name:
            raise errors.WRONG_REVOKING_KEY()
        if not self.world.authority.key(key_name).revocable:
            raise errors.KEY_NOT_REVOCABLE()
        body = await read_body(request)
        targets = body.get("targets") if isinstance(body, dict) else None
        if not isinstance(targets, list) or not targets or not all(isinstance(t, str) for t in targets):
            raise errors.BAD_REQUEST("targets must be a non-empty array of strings like clientId:alice")
        now = now_ms()
        issued_before = body.get("issuedBefore", now)
        if isinstance(issued_before, bool) or not isinstance(issued_before, int):
            raise errors.INVALID_PARAMETER(f"Invalid issuedBefore {issued_before!r}: must be a time in ms")
        applies_at = now + REAUTH_MARGIN_MS if body.get("allowReauthMargin") is True else now
        results = [self._revoke(key_name, target, issued_before, applies_at, now) for target in targets]
        asyncio.get_running_loop().call_later((applies_at - now) / 1000, disconnect_revoked, self.world)
        failures = sum("error" in result for result in results)
        return reply(
            request, {"successCount": len(results) - failures, "failureCount": failures, "results": results}, 201
        )

    def _revoke(self, key_name: str, target: str, issued_before: int, applies_at: int, now: int) -> dict:
        kind, sep, value = target.partition(":")
        if kind not in TARGET_TYPES or not sep or not value:
            error: AblyError = errors.BAD_REQUEST(
                f"Invalid target {target!r}: use clientId:<id> or revocationKey:<key>"
            )
            return {"target": target, "error": error.to_dict()}
        self.world.authority.revocations.add(key_name, target, issued_before, applies_at, now)
        return {"target": target, "issuedBefore": issued_before, "appliesAt": applies_at}


def disconnect_revoked(world: World) -> None:
    """Send DISCONNECTED 40141 to every connection whose token is now revoked (the SDK then fails: no new token)."""
    now = now_ms()
    for connection in list(world.connections.values()):
        token = connection.credentials.token
        if token is not None and connection.transport is not None and world.authority.revocations.revokes(token, now):
            connection.transport.disconnect(errors.TOKEN_REVOKED())
