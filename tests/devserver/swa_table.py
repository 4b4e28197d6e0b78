"""How Azure Static Web Apps answers this repository's built site (dist/site) and staticwebapp.config.json.

Each row is what Azure SWA serves (Microsoft's docs, "Configure Azure Static Web Apps", and where they are
silent the SWA CLI 2.0.10 emulator, Microsoft's own implementation of the rules). The dev host must match every
row; `test_swa_oracle.py` also runs the SWA CLI on the table. Where the CLI differs from the docs, the docs win:
the row says what the CLI sends instead (`cli`) and why. Headers: a value must match exactly (Content-Type by
media type), None means the header must be absent, a header not named is not compared. `global_headers`: the
config's globalHeaders (CSP and the security headers) are on the response; the docs apply them to every response
but the API's.

Body kinds: "index" (dist/site/index.html), a path such as "/favicon.svg" (that file of dist/site), "page" (an HTML
page other than the app: 404 or redirect), "json", "text", "empty". The build names its scripts and styles by
their content's hash, so the rows for those read the names from the built index.html.
"""

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from multidict import CIMultiDictProxy

REPO = Path(__file__).resolve().parents[2]
SITE = REPO / "dist" / "site"
CONFIG = REPO / "staticwebapp.config.json"
HTML = "text/html"
JS = "text/javascript"
JSON = "application/json"
NO_CACHE = "no-cache"
IMMUTABLE = "public, max-age=31536000, immutable"

# Why rows differ from the SWA CLI.
CLI_404_PAGE = (
    "the CLI's 404 page comes from its own file server without globalHeaders; the docs apply them to every response"
)
CLI_405 = "the CLI's 405 carries no globalHeaders; the docs apply them to every response"
CLI_FOLDER_REDIRECT = (
    "the CLI matches `/x/*` against `/x` (the docs: `/calendar/*` does not match `/calendar`); its redirect comes "
    "from its file server, with CSP default-src 'none' instead of globalHeaders"
)
ODD_PATH = (
    "the docs are silent; the CLI serves the fallback, the dev host refuses a path no file can have (400, or 404 for "
    "a name longer than 255 bytes) before it reaches the file system"
)
CLI_CRASH = "the SWA CLI 2.0.10 process exits on this path (a malformed percent-encoding), so the oracle skips it"


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    status: int
    body: str
    headers: dict[str, str | None] = field(default_factory=dict)
    global_headers: bool = True
    cli: dict[str, Any] | None = None  # the fields the SWA CLI answers differently, or SKIP
    why: str = ""


SKIP: dict[str, Any] = {"skip": True}


def not_found(method: str, path: str, **kwargs: Any) -> Row:
    """A path with no file and no fallback: SWA's 404 page."""
    return Row(
        method, path, 404, "page", {"Content-Type": HTML}, cli={"global_headers": False}, why=CLI_404_PAGE, **kwargs
    )


def not_allowed(method: str, path: str) -> Row:
    return Row(method, path, 405, "empty", cli={"global_headers": False}, why=CLI_405)


def api(method: str, path: str, status: int, body: str = "json") -> Row:
    """Anything under /api/ is the functions' answer: their own headers, no globalHeaders (docs)."""
    headers: dict[str, str | None] = {"Cache-Control": "no-store", "Content-Type": JSON} if body != "empty" else {}
    if method == "HEAD":
        headers, body = {"Cache-Control": "no-store"}, "empty"
    return Row(method, path, status, body, headers, global_headers=False)


def app(method: str, path: str) -> Row:
    """The app itself (index.html), by navigation fallback or a rewrite, never cached without revalidation."""
    return Row(
        method, path, 200, "empty" if method == "HEAD" else "index", {"Content-Type": HTML, "Cache-Control": NO_CACHE}
    )


def built(pattern: str) -> str:
    """The path of the file index.html loads whose path matches `pattern`, as the last build named it."""
    index = SITE / "index.html"
    html = index.read_text() if index.is_file() else ""
    found = re.findall(r'(?:src|href)="(' + pattern + ')"', html)
    return found[0] if found else f"/{pattern}-not-built"


ENTRY_SCRIPT = built(r"/assets/index-[\w-]+\.js")
STYLESHEET = built(r"/assets/index-[\w-]+\.css")


def file(method: str, path: str, content_type: str | None, cache: str = NO_CACHE) -> Row:
    headers: dict[str, str | None] = {"Cache-Control": cache}
    if content_type:
        headers["Content-Type"] = content_type
    return Row(method, path, 200, "empty" if method == "HEAD" else path, headers)


TABLE: list[Row] = [
    # The app: "/" and index.html, revalidated on every load since they name the current hashed files.
    app("GET", "/"),
    app("GET", "/?q=1"),
    app("GET", "/index.html"),
    app("HEAD", "/"),
    app("OPTIONS", "/"),
    # Deep links: the /s/* rewrite and its no-cache.
    app("GET", "/s/abc"),
    app("GET", "/s/abc?x=1"),
    app("GET", "/s/x.y"),
    app("GET", "/s/"),
    app("HEAD", "/s/abc"),
    app("GET", "/s"),  # the docs: the fallback and the /* rule; the CLI: the /s/* rule. The same answer.
    # Mangled invite links: the /s/* rewrite serves the page whatever the path holds (it never reaches the file
    # system), and the page says the link is broken.
    app("GET", "/s/a/b"),
    app("GET", "/s/%00"),
    app("GET", "/s/..%2F.."),
    app("GET", "/s/a%5Cb"),
    app("GET", "/s/%2e%2e"),
    app("GET", "/s/%3C%2Fscript%3E"),
    app("GET", "/s/" + "a" * 300),
    Row("GET", "/s/%E0%A4%A", 200, "index", {"Content-Type": HTML, "Cache-Control": NO_CACHE}, cli=SKIP, why=CLI_CRASH),
    Row("GET", "/s/%ff", 200, "index", {"Content-Type": HTML, "Cache-Control": NO_CACHE}, cli=SKIP, why=CLI_CRASH),
    # Navigation fallback: any other path without a file extension the config excludes, no-cache by the /* rule.
    app("GET", "/about"),
    app("GET", "/about/team"),
    app("GET", "/index.html/"),
    app("GET", "/a%20b"),
    app("GET", "/INDEX.HTML"),  # routes and files are case-sensitive: no rule, no file, so the fallback
    app("GET", "/S/abc"),  # not the /s/* rule: the fallback
    app("GET", "/time"),  # an Ably REST path, but a browser's navigation: the site's
    # Hashed files: cached for a year, never revalidated (a new build names new files).
    file("GET", ENTRY_SCRIPT, JS, IMMUTABLE),
    file("HEAD", ENTRY_SCRIPT, JS, IMMUTABLE),
    file("OPTIONS", ENTRY_SCRIPT, JS, IMMUTABLE),
    file("GET", STYLESHEET, "text/css", IMMUTABLE),
    # Files served under their own names: revalidated, like the page.
    file("GET", "/favicon.svg", "image/svg+xml"),
    file("GET", "/licenses.txt", "text/plain"),
    # A folder without its slash: 301 to the folder, with the /* rule's headers (/assets/* does not match /assets).
    Row(
        "GET",
        "/assets",
        301,
        "page",
        {"Location": "/assets/", "Cache-Control": NO_CACHE},
        cli={"Cache-Control": IMMUTABLE, "Content-Security-Policy": "default-src 'none'", "global_headers": False},
        why=CLI_FOLDER_REDIRECT,
    ),
    Row(
        "GET",
        "/assets?x=1",
        301,
        "page",
        {"Location": "/assets/", "Cache-Control": NO_CACHE},
        cli={"Cache-Control": IMMUTABLE, "Content-Security-Policy": "default-src 'none'", "global_headers": False},
        why=CLI_FOLDER_REDIRECT,
    ),
    # Missing files the fallback excludes, and folders without index.html: 404.
    not_found("GET", "/assets/"),
    not_found("GET", "/assets/nope.js"),
    not_found("GET", "/index.js"),  # the sources are not deployed, only the build
    not_found("GET", "/nope.js"),
    not_found("GET", "/nope.css"),
    not_found("GET", "/nope.png"),
    not_found("GET", "/nope.json"),
    not_found("GET", "/missing.txt"),
    not_found("GET", "/favicon.ico"),
    not_found("GET", "/Index.js"),
    # /api without a slash is not the API, and the prefix is reserved: 404, not the app.
    not_found("GET", "/api"),
    # The built-in authentication endpoints, blocked by the config's /.auth/* rule (the app has no login).
    not_found("GET", "/.auth/me"),
    not_found("GET", "/.auth/login/github"),
    not_found("GET", "/.auth/logout"),
    not_found("POST", "/.auth/login/github"),  # a statusCode rule applies to every method
    # Methods static content does not answer.
    not_allowed("POST", "/"),
    not_allowed("PUT", "/index.js"),
    not_allowed("DELETE", "/s/abc"),
    not_allowed("PATCH", "/"),
    # The API: the functions' own answers.
    api("GET", "/api/clientConfig", 200),
    api("HEAD", "/api/clientConfig", 200),
    api("GET", "/api/createTokenRequest?session=demo", 200),
    api("POST", "/api/clientConfig", 405),
    api("OPTIONS", "/api/clientConfig", 405),
    api("DELETE", "/api/createTokenRequest?session=demo", 405),
    # Methods azure-functions' HttpMethod does not name: the triggers list no methods, so these reach the function.
    api("TRACE", "/api/clientConfig", 405),
    api("PROPFIND", "/api/createTokenRequest?session=demo", 405),
    api("PURGE", "/api/clientConfig", 405),
    api("GET", "/api/", 404, "empty"),
    api("GET", "/api/nope", 404, "empty"),
    # Odd paths: refused before the file system, with the config's headers.
    Row("GET", "/%00", 400, "text", cli={"status": 200, "body": "index"}, why=ODD_PATH),
    Row("GET", "/a%2Fb", 400, "text", cli={"status": 200, "body": "index"}, why=ODD_PATH),
    Row("GET", "/%2e%2e/favicon.svg", 400, "text", cli={"status": 200, "body": "/favicon.svg"}, why=ODD_PATH),
    Row("GET", "/a%00b.js", 400, "text", cli={"status": 404, "body": "page", "global_headers": False}, why=ODD_PATH),
    Row("GET", "/" + "a" * 300, 404, "page", cli={"status": 200, "body": "index"}, why=ODD_PATH),
    Row("GET", "/%ff", 400, "text", cli=SKIP, why=CLI_CRASH),
]


def expectation(row: Row, server: str) -> dict[str, Any]:
    """What `server` ("dev" or "cli") must send for `row`: the row, with the CLI's documented differences."""
    expected = {"status": row.status, "body": row.body, "global_headers": row.global_headers, **row.headers}
    return {**expected, **(row.cli or {})} if server == "cli" else expected


def mismatches(
    row: Row, expected: dict[str, Any], status: int, headers: CIMultiDictProxy[str], body: bytes, site: Path
) -> list[str]:
    """Compare one response with its expectation; return what differs (empty when it matches)."""
    found: list[str] = []
    if status != expected["status"]:
        found.append(f"status {status}, expected {expected['status']}")
    config = json.loads(CONFIG.read_text())
    differing = [name for name, value in config["globalHeaders"].items() if headers.get(name) != value]
    if expected["global_headers"] and differing:
        found.append(f"globalHeaders missing or different: {', '.join(differing)}")
    if not expected["global_headers"] and not differing:
        found.append("globalHeaders present")
    for name, value in expected.items():
        if name in ("status", "body", "global_headers"):
            continue
        actual = headers.get(name)
        if name == "Content-Type" and actual is not None:
            actual = actual.split(";")[0].strip()
        if actual != value:
            found.append(f"{name}: {actual!r}, expected {value!r}")
    wanted = expected["body"]
    kind = body_kind(body, headers, site)
    if wanted.startswith("/") and body == (site / wanted.lstrip("/")).read_bytes():
        kind = wanted
    if kind != wanted:
        found.append(f"body {kind}, expected {wanted}")
    return [f"{row.method} {row.path}: {problem}" for problem in found]


def body_kind(body: bytes, headers: CIMultiDictProxy[str], site: Path) -> str:
    if not body:
        return "empty"
    if body == (site / "index.html").read_bytes():
        return "index"
    media_type = headers.get("Content-Type", "").split(";")[0].strip()
    return {"application/json": "json", "text/html": "page", "text/plain": "text"}.get(media_type, "other")
