"""Batch REST: `POST /messages` (publish to many channels) and `GET /presence?channels=` (many channels' members).

Each channel succeeds or fails on its own (capability 40160, name 40010, message checks), as on Ably. Ably
answers two shapes of batch publish: an array of BatchPublishSpecs (ably-js `batchPublish`, spec RSC22) gets an
array of BatchResults (`successCount`, `failureCount`, `results`), always 201; a single spec object (the older API,
as ably-js's `request('POST', '/messages')` test sends it) gets the flat array of per-channel results, 201 when every
channel succeeded, else 400 40020 with that array as `batchResponse`.
"""

from aiohttp import web

from . import errors
from .auth import Credentials, permits
from .channels import valid_channel_name
from .errors import AblyError
from .rest import MAX_HISTORY_LIMIT, RestApi, credentials_for, error_reply, read_body, reply
from .state import World


def batch_result(results: list[dict]) -> dict:
    """A BatchResult (spec BAR2): the per-item results and how many succeeded and failed."""
    failures = sum("error" in result for result in results)
    return {"successCount": len(results) - failures, "failureCount": failures, "results": results}


class BatchApi:
    """The batch handlers, bound to one world."""

    def __init__(self, world: World):
        self.world = world

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/messages", self.publish), web.get("/presence", self.presence)]

    async def publish(self, request: web.Request) -> web.Response:
        """Publish each spec's messages to each of its channels.

        :raises AblyError: 40001 when the body is not a spec or an array of specs (each with channels and messages).
        """
        credentials = credentials_for(self.world, request)
        body = await read_body(request)
        specs = body if isinstance(body, list) else [body]
        if not specs or not all(_is_spec(spec) for spec in specs):
            raise errors.INVALID_REQUEST_BODY(
                "Publish a BatchPublishSpec or an array of them: {channels: [names], messages: [messages]}"
            )
        outcomes = [
            [self._publish_one(credentials, name, spec["messages"]) for name in _names(spec["channels"])]
            for spec in specs
        ]
        if isinstance(body, list):
            return reply(request, [batch_result(results) for results in outcomes], 201)
        (results,) = outcomes
        if any("error" in result for result in results):
            return error_reply(request, errors.BATCH_ERROR("Batched response includes errors"), batchResponse=results)
        return reply(request, results, 201)

    def _publish_one(self, credentials: Credentials, name, messages) -> dict:
        try:
            name = valid_channel_name(name)
            if not permits(credentials.capability, name, "publish"):
                raise errors.CAPABILITY_DENIED(f"Permission denied: publish on channel {name!r}")
            return RestApi(self.world).publish_to(credentials, name, messages)
        except AblyError as exc:
            return {"channel": name, "error": exc.to_dict()}

    async def presence(self, request: web.Request) -> web.Response:
        """A BatchResult of `{channel, presence}` or `{channel, error}`, one per name in `channels` (comma-separated).

        :raises AblyError: 40003 without channels.
        """
        credentials = credentials_for(self.world, request)
        names = [name for name in request.query.get("channels", "").split(",") if name]
        if not names:
            raise errors.INVALID_PARAMETER("channels must name at least one channel (comma-separated)")
        return reply(request, batch_result([self._members(credentials, name) for name in names]))

    def _members(self, credentials: Credentials, name: str) -> dict:
        try:
            name = valid_channel_name(name)
            if not any(permits(credentials.capability, name, op) for op in ("subscribe", "presence")):
                raise errors.CAPABILITY_DENIED(f"Permission denied: presence on channel {name!r}")
            return {"channel": name, "presence": RestApi(self.world).members(name, None, None, MAX_HISTORY_LIMIT)}
        except AblyError as exc:
            return {"channel": name, "error": exc.to_dict()}


def _is_spec(spec) -> bool:
    return isinstance(spec, dict) and isinstance(spec.get("channels"), (str, list)) and "messages" in spec


def _names(channels) -> list:
    """A spec's channels: an array of names, or one name."""
    return [channels] if isinstance(channels, str) else channels
