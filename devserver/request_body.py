"""A request's body, read within a bound: a client that trickles its body is cut off rather than waited for.

aiohttp bounds how long the headers may take (its keep-alive timer) and how large a body may be
(`client_max_size`), but not how long the body may take: one byte every few seconds would hold a handler, and its
memory, for as long as the client likes.
"""

import asyncio

from aiohttp import web

# Long enough for 1 MiB (the largest body the dev host accepts) over a slow phone link.
BODY_TIMEOUT_SECONDS = 10.0


class BodyTimeout(Exception):
    """The body did not arrive within the bound; the connection should be closed with the answer."""


async def read_body(request: web.BaseRequest, timeout: float | None = BODY_TIMEOUT_SECONDS) -> bytes:
    """Return the whole body, or raise BodyTimeout when it has not all arrived within `timeout` seconds.

    aiohttp's HTTPRequestEntityTooLarge passes through for a body over the application's size limit.
    """
    try:
        async with asyncio.timeout(timeout):
            return await request.read()
    except TimeoutError:
        raise BodyTimeout(f"The request body did not arrive within {timeout:g} s.") from None
