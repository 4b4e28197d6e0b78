"""Ably's rate limits: publishes per second per connection (42911) and per channel (42913), and new connections per
second (80021), each on by default at Ably's published figure (`EmulatorConfig`; 0 turns one off).

Each is a token bucket holding one second's worth, so a burst up to the limit passes at once and a sustained rate
above it is refused, as Ably refuses it: a publish nonfatally (the connection and the channel stay), a new
connection with DISCONNECTED 80021 (status 429), which a client retries later (ably-js's connection manager treats
a disconnect with a non-retriable 4xx error as "e.g. a rate limit": no fallback host, the disconnected state, a
new attempt after `disconnectedRetryTimeout`; Ably's error page for 80021 says to retry after a delay).
Every refusal is counted by code (`Stats.refused`), so tests and benchmarks can show that none happened.
"""

import time
from collections.abc import Callable

from . import errors
from .config import EmulatorConfig
from .errors import AblyError
from .stats import Stats


class RateBucket:
    """`rate` tokens a second, at most `rate` held: `take(n)` spends n if it has them."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic):
        self.rate = rate
        self.clock = clock
        self.tokens = rate
        self.at = clock()

    def has(self, count: int) -> bool:
        now = self.clock()
        self.tokens = min(self.rate, self.tokens + (now - self.at) * self.rate)
        self.at = now
        return self.tokens >= count

    def take(self, count: int) -> None:
        self.tokens -= count


class RateLimits:
    """The emulator's rate limits (configured rates; 0 = no limit), refusing with Ably's errors and counting them."""

    def __init__(self, config: EmulatorConfig, stats: Stats):
        self.config = config
        self.stats = stats
        rate = config.max_new_connection_rate
        self.new_connections = RateBucket(rate) if rate else None

    def _refuse(self, error: AblyError) -> AblyError:
        self.stats.refused(error.code)
        return error

    def check_new_connection(self) -> None:
        """Spend one new connection from the account's second, or refuse it.

        :raises AblyError: 80021 when connections are being opened faster than the rate.
        """
        bucket = self.new_connections
        if bucket is None:
            return
        if not bucket.has(1):
            raise self._refuse(
                errors.CONNECTION_RATE_EXCEEDED(
                    "Maximum account-wide instantaneous connections rate exceeded; "
                    f"permitted rate = {bucket.rate:g}; metric = connections.maxRate"
                )
            )
        bucket.take(1)

    def check_publish(self, connection, channel, count: int) -> None:
        """Spend `count` messages from the connection's bucket (none for REST) and the channel's, or refuse them all.

        :raises AblyError: 42911 (the connection publishes too fast), 42913 (the channel's publishers together do).
        """
        config = self.config
        limits = [(channel, config.max_channel_publish_rate, errors.CHANNEL_PUBLISH_RATE_EXCEEDED, "channel.maxRate")]
        if connection is not None:  # a REST publish has no connection; a realtime one is checked against it first
            rate = config.max_connection_publish_rate
            limits.insert(0, (connection, rate, errors.CONNECTION_PUBLISH_RATE_EXCEEDED, "connection.inboundRate"))
        buckets = [self._publish_bucket(count, *limit) for limit in limits]
        for bucket in buckets:
            if bucket is not None:
                bucket.take(count)

    def _publish_bucket(self, count: int, holder, rate: float, error, metric: str) -> RateBucket | None:
        """`holder`'s (a connection's or a channel's) publish bucket at `rate`, None when that limit is off; refuses
        with `error` when it lacks `count` messages."""
        if not rate:
            return None
        holder.publish_bucket = holder.publish_bucket or RateBucket(rate)
        if not holder.publish_bucket.has(count):
            raise self._refuse(error(f"metric = {metric}; permitted rate = {rate:g} messages per second"))
        return holder.publish_bucket
