"""The members of one channel's presence set, as state the world holds; presence.py is what clients do with it."""

from .protocol import PresenceAction


class PresenceSet:
    """The members of one channel, keyed like the SDKs key them: (clientId, connectionId)."""

    def __init__(self):
        self.members: dict[tuple[str, str], dict] = {}

    def apply(self, record: dict, supplied_id: str | None) -> int | None:
        """Apply one validated client presence message; return the action to broadcast, or None for a no-op.

        A leave without data carries the member's last data, as Ably's leave events do.
        Entering twice is broadcast as an update and updating while absent as an enter, as Ably does; a
        re-entry that repeats the stored member id (the SDK's automatic re-enter after a resume) changes nothing.
        """
        member_key = (record["clientId"], record["connectionId"])
        existing = self.members.get(member_key)
        if record["action"] == PresenceAction.LEAVE:
            if existing is None:
                return None
            del self.members[member_key]
            if "data" not in record:
                for carried in ("data", "encoding"):
                    if carried in existing:
                        record[carried] = existing[carried]
            return PresenceAction.LEAVE
        if existing is not None and supplied_id is not None and supplied_id == existing["id"]:
            return None
        self.members[member_key] = {**record, "action": PresenceAction.PRESENT}
        return PresenceAction.UPDATE if existing is not None else PresenceAction.ENTER

    def of_connection(self, connection_id: str) -> list[dict]:
        return [member for (_, conn_id), member in self.members.items() if conn_id == connection_id]

    def query(self, client_id: str | None, connection_id: str | None, limit: int) -> list[dict]:
        return [
            member
            for member in self.members.values()
            if (client_id is None or member["clientId"] == client_id)
            and (connection_id is None or member["connectionId"] == connection_id)
        ][:limit]
