"""Host a Python v2 Functions app's HTTP functions in-process, found from the app's own function metadata."""

import asyncio
import contextlib
import importlib.util
import inspect
import itertools
import logging
import re
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import azure.functions as func
from aiohttp import web
from azure.functions.decorators.http import HttpTrigger

from devserver.request_body import BODY_TIMEOUT_SECONDS, BodyTimeout, read_body

ROUTE_PREFIX = "/api/"
# Request bodies the dev host accepts (the app's functions take none). Azure Functions allows 100 MB; a lower
# limit here keeps a stray upload from filling the laptop's memory.
MAX_BODY_BYTES = 1024 * 1024
_SCRIPT_FILE = "function_app.py"
_log = logging.getLogger(__name__)
_load_count = itertools.count()


@dataclass(frozen=True)
class HttpFunction:
    """One HTTP-triggered function: where it listens and how to call it."""

    name: str
    route: str
    pattern: re.Pattern
    methods: frozenset[str] | None
    trigger_param: str
    handler: Callable[..., Any]

    def match(self, method: str, path: str) -> dict[str, str] | None:
        """Return the route params when this function serves the request, else None."""
        if self.methods is not None and method not in self.methods:
            return None
        found = self.pattern.fullmatch(path)
        return None if found is None else {k: v for k, v in found.groupdict().items() if v is not None}


def route_to_regex(route: str) -> re.Pattern:
    """Compile a Functions route template (`items/{id}`, `{id:int}`, `{name?}`, `{*rest}`), case-insensitively."""
    parts = []
    for token in re.split(r"(\{[^}]*\})", route.strip("/")):
        if not (token.startswith("{") and token.endswith("}")):
            parts.append(re.escape(token))
            continue
        name = token[1:-1]
        catch_all = name.startswith("*")
        name = name.lstrip("*").split(":")[0].split("=")[0]
        optional = name.endswith("?")
        name = name.rstrip("?")
        group = f"(?P<{name}>.*)" if catch_all else f"(?P<{name}>[^/]+)"
        parts.append(f"{group}?" if optional or catch_all else group)
    return re.compile("".join(parts), re.IGNORECASE)


def load_http_functions(app_root: Path) -> list[HttpFunction]:
    """Import `function_app.py` from `app_root` as the worker does and return its HTTP functions.

    The module is executed afresh under a private name on every call: a FunctionApp can list its
    functions only once (a second get_functions() reports duplicate names).
    """
    if str(app_root) not in sys.path:
        sys.path.insert(0, str(app_root))
    spec = importlib.util.spec_from_file_location(
        f"_devserver_function_app_{next(_load_count)}", app_root / _SCRIPT_FILE
    )
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {app_root / _SCRIPT_FILE}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    apps = [value for value in vars(module).values() if isinstance(value, func.FunctionRegister)]
    if len(apps) != 1:
        raise RuntimeError(f"{_SCRIPT_FILE} must define exactly one FunctionApp; found {len(apps)}")
    functions = []
    for function in apps[0].get_functions():
        trigger = function.get_trigger()
        name = function.get_function_name() or function.get_user_function().__name__
        if not isinstance(trigger, HttpTrigger):
            _log.warning("not hosting %s: only HTTP triggers run in the dev host", name)
            continue
        methods = frozenset(str(getattr(m, "value", m)).upper() for m in trigger.methods) if trigger.methods else None
        route = trigger.route or name  # azure-functions defaults an unset route to the function's name
        functions.append(
            HttpFunction(
                name=name,
                route=route,
                pattern=route_to_regex(route),
                methods=methods,
                trigger_param=trigger.name,
                handler=function.get_user_function(),
            )
        )
    return functions


class FunctionsHost:
    """The /api/ half of the dev host: aiohttp request → func.HttpRequest → function → aiohttp response.

    `settings_scope` is entered around every call: how the app is handed its own settings (api.settings.hosted)
    where the Functions host would give it a process environment of its own.
    """

    def __init__(
        self,
        functions: list[HttpFunction],
        body_timeout: float = BODY_TIMEOUT_SECONDS,
        settings_scope: Callable[[], AbstractContextManager[object]] = contextlib.nullcontext,
    ) -> None:
        self.functions = functions
        self.body_timeout = body_timeout
        self.settings_scope = settings_scope

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Dispatch a request under /api/ to the function whose route and methods match, else 404."""
        path = request.path[len(ROUTE_PREFIX) :]
        for function in self.functions:
            route_params = function.match(request.method, path)
            if route_params is not None:
                return await self._invoke(function, request, route_params)
        return web.Response(status=404)

    async def _invoke(self, function: HttpFunction, request: web.Request, route_params: dict) -> web.Response:
        if (request.content_length or 0) > MAX_BODY_BYTES:
            return _body_too_large()
        try:
            body = await read_body(request, self.body_timeout)
        except web.HTTPRequestEntityTooLarge:
            return _body_too_large()
        except BodyTimeout as exc:
            return _error(408, "body_timeout", str(exc))
        func_request = func.HttpRequest(
            method=request.method,
            url=str(request.url),
            headers=dict(request.headers),
            params=dict(request.query),
            route_params=route_params,
            body=body,
        )
        try:
            with self.settings_scope():
                result = await self._call(function, func_request)
        except Exception:
            _log.exception("function %s raised", function.name)
            return web.Response(status=500)
        return _to_aiohttp(result)

    @staticmethod
    async def _call(function: HttpFunction, func_request: func.HttpRequest) -> Any:
        if inspect.iscoroutinefunction(function.handler):
            return await function.handler(**{function.trigger_param: func_request})
        # The Python worker runs synchronous functions on a thread pool; so does the dev host (the thread sees the
        # settings scope: asyncio.to_thread carries the context over).
        return await asyncio.to_thread(function.handler, **{function.trigger_param: func_request})


def _body_too_large() -> web.Response:
    return _error(413, "body_too_large", f"The request body is larger than {MAX_BODY_BYTES} bytes.")


def _error(status: int, code: str, message: str) -> web.Response:
    """A refused body, in the API's error shape so the page can read why; the rest of the body is not awaited."""
    return web.json_response(
        {"error": {"code": code, "message": message}},
        status=status,
        headers={"Cache-Control": "no-store", "Connection": "close"},
    )


def _to_aiohttp(result: Any) -> web.Response:
    """Translate what a function returned: an HttpResponse, or a str/bytes body as the host accepts."""
    if not isinstance(result, func.HttpResponse):
        result = func.HttpResponse(result if isinstance(result, (str, bytes)) else b"")
    headers = dict(result.headers.items())
    if not any(name.lower() == "content-type" for name in headers):
        mimetype = result.mimetype or "text/plain"
        headers["Content-Type"] = f"{mimetype}; charset={result.charset}" if result.charset else mimetype
    return web.Response(status=result.status_code, body=result.get_body(), headers=headers)
