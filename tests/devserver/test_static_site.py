"""The dev host serves the built site as SWA would: deep links, asset 404s, route and global headers, MIME types."""

import json

import pytest
from yarl import URL

from tests.devserver.conftest import INDEX_HTML, REPO

CONFIG = json.loads((REPO / "staticwebapp.config.json").read_text())


async def get(http, server, path: str):
    async with http.get(URL(server.url + path, encoded=True), allow_redirects=False) as response:
        return response.status, response.headers, await response.text()


async def test_static_root_serves_index_with_every_global_header(http, real_key_server):
    status, headers, body = await get(http, real_key_server, "/")
    assert (status, body) == (200, INDEX_HTML)
    assert headers["Content-Type"].startswith("text/html")
    for name, value in CONFIG["globalHeaders"].items():
        assert headers[name] == value


@pytest.mark.parametrize(
    ("headers", "secure"),
    [
        ({"Host": "192.168.1.20:4280"}, False),  # a friend's phone on the LAN link
        ({"Host": "laptop.lan:4280"}, False),
        ({"Host": "localhost:4280"}, True),
        ({"Host": "app.localhost"}, True),
        ({"Host": "[::1]:4280"}, True),
        ({"Host": "192.168.1.20:4280", "X-Forwarded-Proto": "https"}, True),  # a tunnel in front
    ],
)
async def test_static_pages_on_plain_http_beyond_loopback_leave_out_the_opener_policy_browsers_ignore_there(
    http, real_key_server, headers, secure
):
    # Chromium ignores Cross-Origin-Opener-Policy outside a secure context and logs a console error for it.
    async with http.get(real_key_server.url + "/", headers=headers) as response:
        assert response.status == 200
        sent = response.headers
    for name, value in CONFIG["globalHeaders"].items():
        expected = value if secure or name.lower() != "cross-origin-opener-policy" else None
        assert sent.get(name) == expected, name


async def test_static_index_html_gets_its_route_headers(http, real_key_server):
    status, headers, _ = await get(http, real_key_server, "/index.html")
    assert (status, headers["Cache-Control"]) == (200, "no-cache")


@pytest.mark.parametrize("path", ["/s/abc", "/s/Demo_Session-1", "/s/x.y", "/some/page"])
async def test_static_deep_links_serve_the_app(http, real_key_server, path):
    status, headers, body = await get(http, real_key_server, path)
    assert (status, body) == (200, INDEX_HTML)
    assert headers["Content-Security-Policy"] == CONFIG["globalHeaders"]["Content-Security-Policy"]


@pytest.mark.parametrize("path", ["/assets/x.js", "/missing.js", "/missing.css", "/s.map", "/assets/"])
async def test_static_missing_assets_are_404_not_the_app(http, real_key_server, path):
    status, headers, body = await get(http, real_key_server, path)
    assert status == 404
    assert body != INDEX_HTML
    assert headers["X-Content-Type-Options"] == "nosniff"


async def test_static_hashed_assets_are_javascript_cached_for_a_year_as_immutable(http, real_key_server):
    status, headers, body = await get(http, real_key_server, "/assets/lib-Bx1fM2aQ.js")
    assert (status, body) == (200, "export default 1;\n")
    assert headers["Content-Type"].startswith("text/javascript")
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"


@pytest.mark.parametrize("path", ["/", "/index.html", "/s/abc", "/some/page", "/style.css"])
async def test_static_pages_and_unhashed_files_are_revalidated_on_every_use(http, real_key_server, path):
    status, headers, _ = await get(http, real_key_server, path)
    assert (status, headers["Cache-Control"]) == (200, "no-cache")


async def test_static_app_modules_are_javascript(http, real_key_server):
    status, headers, _ = await get(http, real_key_server, "/index.js")
    assert status == 200
    assert headers["Content-Type"].startswith("text/javascript")


async def test_static_mime_types_from_the_config_apply(http, real_key_server):
    status, headers, _ = await get(http, real_key_server, "/manifest.webmanifest")
    assert status == 200
    assert headers["Content-Type"].startswith("application/manifest+json")


async def test_static_paths_cannot_escape_the_site_folder(http, real_key_server, site_dir):
    (site_dir.parent / "secret.txt").write_text("fake-secret-outside-the-site")
    for path in ("/..%2Fsecret.txt", "/%2e%2e/secret.txt", "/assets/..%2F..%2Fsecret.txt"):
        status, _, body = await get(http, real_key_server, path)
        assert "fake-secret-outside-the-site" not in body
        assert status in (200, 400, 404)


async def test_static_content_answers_get_head_and_options_as_swa_does(http, real_key_server):
    async with http.post(real_key_server.url + "/") as response:
        assert response.status == 405
    async with http.head(real_key_server.url + "/style.css") as response:
        assert response.status == 200
    async with http.options(real_key_server.url + "/style.css") as response:
        assert response.status == 200
