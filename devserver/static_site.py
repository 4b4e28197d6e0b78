"""Serve the site folder the way Azure Static Web Apps does, following staticwebapp.config.json."""

from pathlib import Path

from aiohttp import web

from devserver.swa_config import SwaConfig

_READ_METHODS = ("GET", "HEAD")


class StaticSite:
    """The static half of the dev host: files from `root`, shaped by route rules, fallback and headers."""

    def __init__(self, root: Path, config: SwaConfig) -> None:
        self.root = root.resolve()
        self.config = config

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Answer one request for static content (anything outside /api/)."""
        path = request.path
        headers = dict(self.config.global_headers)
        if request.method not in _READ_METHODS:
            return web.Response(status=405, headers={**headers, "Allow": ", ".join(_READ_METHODS)})

        rule = self.config.route_for(request.method, path)
        if rule is not None:
            headers.update(rule.headers)
            if rule.redirect:
                return web.Response(status=rule.status or 302, headers={**headers, "Location": rule.redirect})
            if rule.status and not rule.rewrite:
                return web.Response(status=rule.status, headers=headers)

        target = rule.rewrite if rule is not None and rule.rewrite else path
        file = self._file_for(target)
        if file is None and self.config.fallback_rewrite is not None and self.config.falls_back(path):
            file = self._file_for(self.config.fallback_rewrite)
        if file is None:
            return web.Response(status=404, text="Not Found", headers=headers)

        content_type = self.config.mime_type(file.name) or _javascript_type(file)
        if content_type:
            headers["Content-Type"] = content_type
        status = rule.status if rule is not None and rule.status else 200
        return web.FileResponse(file, status=status, headers=headers)

    def _file_for(self, url_path: str) -> Path | None:
        """Return the file a URL path names inside the root (a folder means its index.html), else None."""
        candidate = (self.root / url_path.lstrip("/")).resolve()
        if not candidate.is_relative_to(self.root):
            return None
        if candidate.is_dir():
            candidate = candidate / "index.html"
        return candidate if candidate.is_file() else None


def _javascript_type(file: Path) -> str | None:
    """ES modules must be served as JavaScript whatever the machine's MIME table says."""
    return "text/javascript" if file.suffix in (".js", ".mjs") else None
