"""A bystander: a second client that keeps publishing and receiving on its own channel while a test misbehaves.

Robustness tests start one before the bad input and check it at the end: it must have kept going (at least one
round trip after the bad input) and have received every message it published, once each, in order, each ACKed.
"""

import asyncio

from .conftest import WAIT, RawClients, RawSocket, within

ACK, NACK, DISCONNECTED, ERROR, MESSAGE, ATTACH, ATTACHED = 1, 2, 6, 9, 15, 10, 11


class Bystander:
    """Publishes `0`, `1`, `2`... one at a time, each after the previous one came back, until checked."""

    def __init__(self, socket: RawSocket, channel: str, padding: int = 0):
        self.socket = socket
        self.channel = channel
        self.padding = padding
        self.sent = 0
        self.received: list[str] = []
        self.acked: list[int] = []
        self.problems: list = []
        self.stopping = False
        self._progress = asyncio.Event()
        self._task: asyncio.Task | None = None

    @classmethod
    async def start(
        cls, raw: RawClients, fmt: str = "json", channel: str = "bystander", padding: int = 0
    ) -> "Bystander":
        """Attach and start; with `padding`, each message carries that many bytes more (`<number>:xxx...`)."""
        socket, _ = await raw.connect(client_id="bystander", fmt=fmt)
        await socket.send({"action": ATTACH, "channel": channel})
        await socket.receive_action(ATTACHED)
        bystander = cls(socket, channel, padding)
        bystander._task = asyncio.create_task(bystander._run())
        return bystander

    async def _publish(self) -> None:
        number = self.sent
        self.sent += 1
        await self.socket.send(
            {
                "action": MESSAGE,
                "channel": self.channel,
                "msgSerial": number,
                "messages": [
                    {"name": "tick", "data": f"{number}:{'x' * self.padding}" if self.padding else str(number)}
                ],
            }
        )

    async def _run(self) -> None:
        try:
            await self._publish()
            while True:
                message = await self.socket.receive(timeout=2 * WAIT)
                if message is None:
                    self.problems.append("socket closed")
                    return
                action = message.get("action")
                if action == ACK:
                    self.acked.extend(range(message["msgSerial"], message["msgSerial"] + message["count"]))
                elif action == MESSAGE:
                    self.received.extend(str(item.get("data")).split(":", 1)[0] for item in message["messages"])
                elif action in (NACK, DISCONNECTED, ERROR):
                    self.problems.append(message)
                self._progress.set()
                caught_up = len(self.received) == len(self.acked) == self.sent
                if caught_up and not self.stopping:
                    await self._publish()
        except Exception as exc:  # recorded, and reported by check()
            self.problems.append(repr(exc))
            self._progress.set()

    async def _until(self, condition, what: str) -> None:
        async def wait():
            while not condition() and not self.problems:
                self._progress.clear()
                await self._progress.wait()

        await within(wait(), 2 * WAIT, what)

    async def check(self) -> None:
        """Wait for one more round trip, stop, and assert nothing was lost, duplicated, reordered or refused."""
        target = self.sent + 1
        await self._until(lambda: len(self.received) >= target, f"the bystander's message {target - 1}")
        self.stopping = True
        await self._until(
            lambda: len(self.received) == len(self.acked) == self.sent, "the bystander's last message and ACK"
        )
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        assert not self.problems, f"the bystander was disturbed: {self.problems}"
        assert self.received == [str(number) for number in range(self.sent)]
        assert self.acked == list(range(self.sent))
