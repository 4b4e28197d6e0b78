"""staticwebapp.config.json as SWA applies it to static content: route rules, navigation fallback, headers."""

import json
import re
from dataclasses import dataclass, field
from pathlib import Path


def glob_to_regex(pattern: str) -> re.Pattern:
    """Compile an SWA route or exclude glob: `*` matches anything (slashes included), `{a,b}` is a choice.

    Case-sensitive, as the SWA CLI matches (URL paths are case-sensitive; the Azure docs are silent).
    """
    parts = []
    for token in re.split(r"(\*|\{[^}]*\})", pattern):
        if token == "*":
            parts.append(".*")
        elif token.startswith("{") and token.endswith("}"):
            parts.append("(?:" + "|".join(re.escape(choice.strip()) for choice in token[1:-1].split(",")) + ")")
        else:
            parts.append(re.escape(token))
    return re.compile("".join(parts))


@dataclass(frozen=True)
class RouteRule:
    """One entry of `routes`: the first rule whose pattern (and methods, if any) match a request applies."""

    pattern: re.Pattern
    methods: frozenset[str] | None
    rewrite: str | None = None
    redirect: str | None = None
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def matches(self, method: str, path: str) -> bool:
        """Return whether this rule applies to a request."""
        if self.methods is not None and method not in self.methods:
            return False
        return self.pattern.fullmatch(path) is not None


@dataclass(frozen=True)
class SwaConfig:
    """The parts of staticwebapp.config.json that shape static responses."""

    routes: list[RouteRule]
    fallback_rewrite: str | None
    fallback_excludes: list[re.Pattern]
    global_headers: dict[str, str]
    mime_types: dict[str, str]

    def route_for(self, method: str, path: str) -> RouteRule | None:
        """Return the first route rule matching the request, if any."""
        return next((rule for rule in self.routes if rule.matches(method, path)), None)

    def falls_back(self, path: str) -> bool:
        """Return whether a path with no file is answered with the navigation fallback instead of 404."""
        if self.fallback_rewrite is None:
            return False
        return not any(exclude.fullmatch(path) for exclude in self.fallback_excludes)

    def mime_type(self, path: str) -> str | None:
        """Return the configured MIME type for the path's extension, if the config names one."""
        suffix = Path(path).suffix.lower()
        return self.mime_types.get(suffix) if suffix else None


def _route_rule(entry: dict) -> RouteRule:
    methods = entry.get("methods")
    return RouteRule(
        pattern=glob_to_regex(entry["route"]),
        methods=frozenset(method.upper() for method in methods) if methods else None,
        rewrite=entry.get("rewrite"),
        redirect=entry.get("redirect"),
        status=entry.get("statusCode"),
        headers=dict(entry.get("headers", {})),
    )


def load_swa_config(path: Path) -> SwaConfig:
    """Read a staticwebapp.config.json; a missing file means SWA's defaults (no rules, no headers)."""
    raw = json.loads(path.read_text()) if path.exists() else {}
    fallback = raw.get("navigationFallback") or {}
    return SwaConfig(
        routes=[_route_rule(entry) for entry in raw.get("routes", [])],
        fallback_rewrite=fallback.get("rewrite"),
        fallback_excludes=[glob_to_regex(glob) for glob in fallback.get("exclude", [])],
        global_headers=dict(raw.get("globalHeaders", {})),
        mime_types={ext.lower(): mime for ext, mime in raw.get("mimeTypes", {}).items()},
    )
