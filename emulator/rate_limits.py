"""Ably's publish rate limits: messages per second per connection (42911) and per channel (42913).

Each is a token bucket holding one second's worth, so a burst up to the limit passes at once and a sustained rate
above it is refused publish by publish, as Ably refuses them: nonfatal, the connection and the channel stay.
Off (0) unless configured (`--max-connection-publish-rate`, `--max-channel-publish-rate`; Ably's are 50), until the
tests and benchmarks that flood on purpose expect these refusals (the site's peers pace themselves under them:
site/publish-pacer.js).
"""

import time
from collections.abc import Callable

from . import errors


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


def check_publish(connection_rate: float, channel_rate: float, connection, channel, count: int) -> None:
    """Spend `count` messages from the connection's bucket (none for REST) and the channel's, or refuse them all.

    :raises AblyError: 42911 (the connection publishes too fast), 42913 (the channel's publishers together do).
    """
    buckets = []
    if connection_rate and connection is not None:
        connection.publish_bucket = connection.publish_bucket or RateBucket(connection_rate)
        if not connection.publish_bucket.has(count):
            raise errors.CONNECTION_PUBLISH_RATE_EXCEEDED(
                f"metric = connection.inboundRate; permitted rate = {connection_rate:g} messages per second"
            )
        buckets.append(connection.publish_bucket)
    if channel_rate:
        channel.publish_bucket = channel.publish_bucket or RateBucket(channel_rate)
        if not channel.publish_bucket.has(count):
            raise errors.CHANNEL_PUBLISH_RATE_EXCEEDED(
                f"metric = channel.maxRate; permitted rate = {channel_rate:g} messages per second"
            )
        buckets.append(channel.publish_bucket)
    for bucket in buckets:
        bucket.take(count)
