"""One app's push registrations in memory: devices and channel subscriptions, kept and listed as Ably lists them.

Nothing here talks HTTP or checks rights (`push.py` does); records are stored in the shape Ably answers with.
"""

from dataclasses import dataclass, field


@dataclass
class Device:
    """A registered device: what Ably answers with (`details`, its deviceSecret included) and its identity token."""

    details: dict
    identity_token: str


@dataclass
class PushRegistry:
    """Devices by id and channel subscriptions in the order they were made (so pages are stable)."""

    devices: dict[str, Device] = field(default_factory=dict)
    subscriptions: list[dict] = field(default_factory=list)

    def device_by_token(self, token: str) -> Device | None:
        """The device whose deviceIdentityToken is `token`."""
        return next((device for device in self.devices.values() if device.identity_token == token), None)

    def find_devices(self, device_id: str | None, client_id: str | None) -> list[Device]:
        """Devices matching every filter given."""
        return [
            device
            for device in self.devices.values()
            if (device_id is None or device.details["id"] == device_id)
            and (client_id is None or device.details.get("clientId") == client_id)
        ]

    def remove_devices(self, devices: list[Device]) -> None:
        """Forget devices, and their channel subscriptions with them (as Ably does)."""
        gone = {device.details["id"] for device in devices}
        for device_id in gone:
            self.devices.pop(device_id, None)
        self.subscriptions = [sub for sub in self.subscriptions if sub.get("deviceId") not in gone]

    def find_subscriptions(
        self, channel: str | None, device_id: str | None, client_id: str | None, any_of: bool = False
    ) -> list[dict]:
        """Subscriptions on `channel` (if given) matching the deviceId and clientId filters: all of them, or with
        `any_of` (Ably's `concatFilters`) either."""
        ids = {"deviceId": device_id, "clientId": client_id}
        given = {key: value for key, value in ids.items() if value is not None}

        def matches(sub: dict) -> bool:
            hits = [sub.get(key) == value for key, value in given.items()]
            return not hits or (any(hits) if any_of else all(hits))

        return [sub for sub in self.subscriptions if (channel is None or sub["channel"] == channel) and matches(sub)]

    def subscribe(self, subscription: dict) -> None:
        """Keep a subscription once (saving it again changes nothing)."""
        if subscription not in self.subscriptions:
            self.subscriptions.append(subscription)

    def unsubscribe(self, subscriptions: list[dict]) -> None:
        self.subscriptions = [sub for sub in self.subscriptions if sub not in subscriptions]

    def ably_channels(self, devices: list[Device]) -> list[str]:
        """The channels of Ably's test transport (`ablyChannel`) among `devices`' push recipients."""
        recipients = [device.details["push"]["recipient"] for device in devices]
        return [each["channel"] for each in recipients if each.get("transportType") == "ablyChannel"]

    def relayed(self, channel: str, messages: list[dict], namespaces: list[str] | None) -> list[tuple[str, dict]]:
        """Where the `extras.push` of messages published on `channel` go: (ablyChannel, payload) for each message
        with a push payload and each device subscribed (itself or through its clientId), on a push-enabled channel."""
        extras = [message.get("extras") for message in messages]
        payloads: list[dict] = [
            each["push"] for each in extras if isinstance(each, dict) and isinstance(each.get("push"), dict)
        ]
        if not payloads or not push_enabled(channel, namespaces):
            return []
        devices: dict[str, Device] = {}
        for sub in self.find_subscriptions(channel, None, None):
            for device in self.find_devices(sub.get("deviceId"), sub.get("clientId")):
                devices[device.details["id"]] = device
        targets = self.ably_channels(list(devices.values()))
        return [(target, payload) for payload in payloads for target in targets]

    def channels(self) -> list[str]:
        """Channels with at least one subscription, in the order they got their first."""
        return list(dict.fromkeys(sub["channel"] for sub in self.subscriptions))


def push_enabled(channel: str, namespaces: list[str] | None) -> bool:
    """Whether `channel` takes push subscriptions: in one of `namespaces` (Ably's `pushEnabled` channel rules),
    or any channel when no namespaces are configured."""
    namespace, colon, _ = channel.partition(":")
    return namespaces is None or (bool(colon) and namespace in namespaces)
