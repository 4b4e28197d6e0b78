"""`GET /channels/{channelId}`: a channel's ChannelDetails with its occupancy, counted from its attachments now."""

from aiohttp import web

from .protocol import Flag
from .rest import channel_for, reply
from .state import Channel, World

# Occupancy metric → the attach mode an attachment must hold to count for it (`connections` counts every one).
METRIC_MODES = {
    "publishers": Flag.PUBLISH,
    "subscribers": Flag.SUBSCRIBE,
    "presenceConnections": Flag.PRESENCE,
    "presenceSubscribers": Flag.PRESENCE_SUBSCRIBE,
    "objectPublishers": Flag.OBJECT_PUBLISH,
    "objectSubscribers": Flag.OBJECT_SUBSCRIBE,
}


def occupancy(channel: Channel | None) -> dict:
    """Ably's occupancy metrics (spec CHM2): attachments by mode, and the presence members."""
    subscribers = list(channel.subscribers.values()) if channel is not None else []
    metrics = {"connections": len(subscribers)}
    metrics.update({name: sum(bool(s.modes & mode) for s in subscribers) for name, mode in METRIC_MODES.items()})
    metrics["presenceMembers"] = len(channel.presence.members) if channel is not None else 0
    return {"metrics": metrics}


class ChannelStatusApi:
    """The channel status handler, bound to one world."""

    def __init__(self, world: World):
        self.world = world

    def routes(self) -> list[web.RouteDef]:
        return [web.get("/channels/{channel}", self.status)]

    async def status(self, request: web.Request) -> web.Response:
        """ChannelDetails (spec CHD2): `isActive` is true, as Ably answers for a channel it is asked about.

        :raises AblyError: 40160 without the `channel-metadata` capability, 40010 for an invalid name.
        """
        _, name = channel_for(self.world, request, "channel-metadata")
        status = {"isActive": True, "occupancy": occupancy(self.world.channels.get(name))}
        return reply(request, {"channelId": name, "status": status})
