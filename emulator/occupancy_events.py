"""Inband occupancy: an attachment with the channel param `occupancy=metrics` gets `[meta]occupancy` messages.

As on Ably, the first comes at attach and the next whenever the channel's occupancy has changed, at most once per
`OCCUPANCY_INTERVAL` (Ably debounces them too); the data is `{"metrics": {...}}` as `GET /channels/{name}` counts
them (channel_status.py).
"""

import asyncio
import json
import secrets
import weakref

from .auth import now_ms
from .channel_status import occupancy
from .protocol import Action
from .state import Connection, World

OCCUPANCY_INTERVAL = 1.0
MESSAGE_NAME = "[meta]occupancy"


class Watcher:
    """One world's attachments that asked for occupancy, by channel, and what each channel last reported."""

    def __init__(self, world: World):
        self.world = world
        self.watching: dict[str, set[str]] = {}
        self.reported: dict[str, dict] = {}
        self.timer: asyncio.TimerHandle | None = None

    def attached(self, connection: Connection, name: str, wanted: bool) -> None:
        """An attachment to `name` was made: it gets the occupancy now if it `wanted` it, and its changes later.

        What the channel's watchers last got stays as it was, so a change a newcomer shows still reaches them all.
        """
        if not wanted:
            self.watching.get(name, set()).discard(connection.id)
            return
        self.watching.setdefault(name, set()).add(connection.id)
        metrics = occupancy(self.world.channels.get(name))
        self.reported.setdefault(name, metrics)
        connection.send(_message(name, metrics))
        if self.timer is None:
            self.timer = asyncio.get_running_loop().call_later(OCCUPANCY_INTERVAL, self.tick)

    def tick(self) -> None:
        """Report changed occupancy to the attachments still watching; stop when nobody watches any more."""
        self.timer = None
        for name, ids in list(self.watching.items()):
            channel = self.world.channels.get(name)
            subscribers = channel.subscribers if channel is not None else {}
            ids.intersection_update(subscribers)
            if not ids:
                del self.watching[name]
                self.reported.pop(name, None)
                continue
            metrics = occupancy(channel)
            if metrics != self.reported.get(name):
                self.reported[name] = metrics
                message = _message(name, metrics)
                for connection_id in ids:
                    subscribers[connection_id].connection.send(message)
        if self.watching:
            self.timer = asyncio.get_running_loop().call_later(OCCUPANCY_INTERVAL, self.tick)
        else:  # the watcher holds its world: let a deleted sandbox app's world go
            _WATCHERS.pop(self.world, None)


_WATCHERS: "weakref.WeakKeyDictionary[World, Watcher]" = weakref.WeakKeyDictionary()


def on_attached(world: World, connection: Connection, name: str, params) -> None:
    """After an ATTACH was answered: start (or stop) sending this attachment `[meta]occupancy` messages."""
    wanted = isinstance(params, dict) and str(params.get("occupancy", "")).startswith("metrics")
    if name not in connection.channels or (not wanted and world not in _WATCHERS):
        return
    watcher = _WATCHERS.get(world) or _WATCHERS.setdefault(world, Watcher(world))
    watcher.attached(connection, name, wanted)


def _message(name: str, metrics: dict) -> dict:
    data = json.dumps(metrics, separators=(",", ":"))
    item = {"id": f"{secrets.token_urlsafe(9)}:0", "name": MESSAGE_NAME, "data": data, "encoding": "json"}
    return {"action": Action.MESSAGE, "channel": name, "messages": [{**item, "timestamp": now_ms()}]}
