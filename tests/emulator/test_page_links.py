"""The `Link` header of a paged REST answer, as Ably sends it: every link names its query (at least the format), so
an SDK that ignores a link with an empty query (ably-js: `current()` then fails with 40400) can follow each one.
@ably/spaces reloads the current page of cursor history asked for without params, so it depends on this."""

import base64
import json
import re

import aiohttp
import msgpack
import pytest
from yarl import URL

from .conftest import FAKE_KEY, within

# The shape ably-js accepts (paginatedresource.ts): a relative path, then a non-empty query.
LINK = re.compile(r'<(\./\w+\?[^>]+)>; rel="(\w+)"')
FORMATS = {"json": "application/json", "msgpack": "application/x-msgpack"}


async def get_page(session: aiohttp.ClientSession, url: URL, fmt: str) -> tuple[list, dict[str, URL]]:
    """One page (its items' names) and its links, each resolved against the page's URL as the SDKs resolve them."""
    headers = {"Accept": FORMATS[fmt], "Authorization": f"Basic {base64.b64encode(FAKE_KEY.encode()).decode()}"}
    async with session.get(url, headers=headers) as response:
        assert response.status == 200
        raw = await response.read()
        links = {rel: url.join(URL(target)) for target, rel in LINK.findall(response.headers["Link"])}
    items = msgpack.unpackb(raw) if fmt == "msgpack" else json.loads(raw)
    return [item.get("name") for item in items], links


@pytest.mark.parametrize("fmt", FORMATS)
async def test_a_page_asked_for_without_params_links_to_itself_first_and_next(raw, clients, fmt):
    rest = clients.rest("writer")
    for name in ("a", "b", "c"):
        await within(rest.channels.get("room").publish(name, "x"))
    session = await raw.http()
    base = URL(raw.emulator.url)

    names, links = await get_page(session, base / "channels/room/messages", fmt)
    assert names == ["c", "b", "a"]
    assert set(links) == {"first", "current"}
    assert all(link.query["format"] == fmt for link in links.values())
    assert (await get_page(session, links["current"], fmt))[0] == names
    assert (await get_page(session, links["first"], fmt))[0] == names

    first, links = await get_page(session, base.joinpath("channels/room/messages").with_query(limit=2), fmt)
    assert first == ["c", "b"]
    assert set(links) == {"first", "current", "next"}
    assert (await get_page(session, links["next"], fmt))[0] == ["a"]


async def test_presence_history_links_to_itself_too(raw, clients):
    member = await clients.realtime("alice")
    await within(member.channels.get("room").presence.enter("here"))
    session = await raw.http()
    _, links = await get_page(session, URL(raw.emulator.url) / "channels/room/presence/history", "json")
    assert set(links) == {"first", "current"}
    assert (await get_page(session, links["current"], "json"))[0] == [None]
