"""Serve the site folder the way Azure Static Web Apps does, following staticwebapp.config.json."""

import re
from pathlib import Path
from urllib.parse import quote, unquote, unquote_to_bytes

from aiohttp import web

from devserver.swa_config import SwaConfig

# SWA answers OPTIONS on static content as it answers GET; other methods get 405.
SERVED_METHODS = ("GET", "HEAD", "OPTIONS")
# What SWA sends for a file when no route rule sets Cache-Control.
DEFAULT_CACHE_CONTROL = "must-revalidate, max-age=30"
# The longest file name Linux (and SWA's storage) allows, in bytes: a longer segment names no file.
NAME_MAX = 255
NOT_FOUND_PAGE = (
    "<!doctype html>\n<html lang=en><meta charset=utf-8><title>404 Not Found</title>\n"
    "<h1>404 Not Found</h1><p>There is no page at this address.</p></html>\n"
)
# Characters a path keeps unencoded in a Location header (RFC 3986 pchar and "/").
_PATH_SAFE = "/!$&'()*+,;=:@~"
# Percent-encoded slash or backslash: a separator smuggled into one segment.
_ENCODED_SEPARATOR = re.compile(r"%(?:2f|5c)", re.IGNORECASE)


class BadPath(ValueError):
    """A request path no file can have: answered 400 before it reaches the file system."""


def checked_path(raw_path: str) -> str:
    """Decode a request's raw path strictly, or raise BadPath saying what is wrong with it.

    Refused: percent-encoded separators, bytes that are not UTF-8, control characters (NUL included),
    backslashes and `.`/`..` segments (browsers remove those before sending).
    """
    raw = raw_path.split("?", 1)[0]
    if _ENCODED_SEPARATOR.search(raw):
        raise BadPath("The path has an encoded / or \\.")
    try:
        path = unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        raise BadPath("The path is not UTF-8.") from None
    if any(ord(char) < 0x20 or char in "\x7f\\" for char in path):
        raise BadPath("The path has a control character or a backslash.")
    if any(segment in (".", "..") for segment in path.split("/")):
        raise BadPath("The path has a . or .. segment.")
    return path


def lenient_path(raw_path: str) -> str:
    """A request's path decoded however odd it is (bad bytes become U+FFFD), for matching route rules only."""
    return unquote(raw_path.split("?", 1)[0], errors="replace")


class StaticSite:
    """The static half of the dev host: files from `root`, shaped by route rules, fallback and headers."""

    def __init__(self, root: Path, config: SwaConfig) -> None:
        self.root = root.resolve()
        self.config = config

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Answer one request for static content (anything outside /api/); the app adds the global headers."""
        headers: dict[str, str] = {}
        try:
            path, refused = checked_path(request.raw_path), None
        except BadPath as exc:
            path, refused = lenient_path(request.raw_path), exc

        # A folder's rules include its index.html's ("/" matches a "/index.html" rule), whatever the method.
        rule = self.config.route_for(request.method, path)
        if rule is None and path.endswith("/"):
            rule = self.config.route_for(request.method, path + "index.html")
        # A rewrite serves its target, so the path itself never reaches the file system: however mangled an invite
        # link (/s/..%2F.., an invalid escape, a name too long for a file), the /s/* rule serves the page.
        if rule is None or not rule.rewrite:
            if refused is not None:
                return web.Response(status=400, text=f"{refused}\n", headers=headers)
            if path == "/api" or any(len(segment.encode()) > NAME_MAX for segment in path.split("/")):
                return _not_found(headers)
        if rule is not None:
            headers.update(rule.headers)
            if rule.redirect:
                return web.Response(status=rule.status or 302, headers={**headers, "Location": rule.redirect})
            if rule.status and not rule.rewrite:
                return _not_found(headers) if rule.status == 404 else web.Response(status=rule.status, headers=headers)
        if request.method not in SERVED_METHODS:
            return web.Response(status=405, headers={**headers, "Allow": ", ".join(SERVED_METHODS)})

        target = rule.rewrite if rule is not None and rule.rewrite else path
        if not target.endswith("/") and self._is_folder(target):
            return _moved_to(quote(target + "/", safe=_PATH_SAFE), headers)
        file = self._file_for(target)
        if file is None and self.config.fallback_rewrite is not None and self.config.falls_back(path):
            file = self._file_for(self.config.fallback_rewrite)
        if file is None:
            return _not_found(headers)

        content_type = self.config.mime_type(file.name) or _javascript_type(file)
        if content_type:
            headers["Content-Type"] = content_type
        if not any(name.lower() == "cache-control" for name in headers):
            headers["Cache-Control"] = DEFAULT_CACHE_CONTROL
        status = rule.status if rule is not None and rule.status else 200
        return web.FileResponse(file, status=status, headers=headers)

    def _resolve(self, url_path: str) -> Path | None:
        """The path a URL path names inside the root, or None when it would leave the root."""
        candidate = (self.root / url_path.lstrip("/")).resolve()
        return candidate if candidate.is_relative_to(self.root) else None

    def _is_folder(self, url_path: str) -> bool:
        candidate = self._resolve(url_path)
        return candidate is not None and candidate != self.root and candidate.is_dir()

    def _file_for(self, url_path: str) -> Path | None:
        """Return the file a URL path names inside the root (a folder means its index.html), else None."""
        candidate = self._resolve(url_path)
        if candidate is None:
            return None
        if candidate.is_dir():
            candidate = candidate / "index.html"
        return candidate if candidate.is_file() else None


def _moved_to(location: str, headers: dict[str, str]) -> web.Response:
    """A folder named without its trailing slash: 301 to the folder, with a short page (as the SWA CLI sends)."""
    page = f'<!doctype html>\n<title>Redirecting</title><p>Redirecting to <a href="{location}">{location}</a></p>\n'
    return web.Response(status=301, text=page, content_type="text/html", headers={**headers, "Location": location})


def _not_found(headers: dict[str, str]) -> web.Response:
    """SWA's answer when nothing matches: an HTML page with status 404 (and the global headers)."""
    return web.Response(status=404, text=NOT_FOUND_PAGE, content_type="text/html", headers=headers)


def _javascript_type(file: Path) -> str | None:
    """ES modules must be served as JavaScript whatever the machine's MIME table says."""
    return "text/javascript" if file.suffix in (".js", ".mjs") else None
