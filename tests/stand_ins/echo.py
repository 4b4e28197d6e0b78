"""A stand-in for echo.ably.io, Ably's public test-support server that the SDKs' own suites call: it answers
with what it was asked to (an authUrl's token or error), and mints JWTs the way an app's server would.

Routes, as the suites use them (ably-js test/realtime/auth.test.js, test/rest/auth.test.js, test/rest/request.test.js,
test/realtime/connectivity.test.js; ably-python test/ably/realtime/realtimeauth_test.py):
  /?type=json|text&body=B&status=S  answer S (200) with B, or with the request's parameters (query and form) as JSON;
                                    400 without a type
  /qs_to_body?...                   the query parameters as a JSON body (a TokenRequest put together from two parts)
  /respondwith?status=S&body=B      answer S with B (empty)
  /methods                          `[{"method": "<the request's method>"}]` (REST request() of PUT, PATCH, DELETE)
  /createJWT?keyName=&keySecret=    an Ably JWT (HS256, kid = keyName) with `capability` (JSON, default all),
      `clientId`, `expiresIn` (seconds, default 3600), `innerToken` (an Ably token to embed as `x-ably-token`);
      `returnType=jwt` answers `application/jwt`, otherwise text/plain. `encrypted` (a JWE) is not made: 501.

Run by scripts/sdk_suites.sh --offline over https, inside a network namespace where echo.ably.io resolves to it:
`python -m tests.stand_ins.echo --host 127.0.0.2 --port 443 --cert C --key K`.
"""

import argparse
import base64
import hashlib
import hmac
import json
import ssl
import time

from aiohttp import web

TEXT, JSON = "text/plain", "application/json"


def ably_jwt(key_name: str, key_secret: str, claims: dict, header: dict | None = None) -> str:
    """A JWT signed as Ably documents it: HS256 under the key's secret, the key's name as `kid`."""
    protected = {"typ": "JWT", "alg": "HS256", "kid": key_name, **(header or {})}
    signed = f"{_b64url(json.dumps(protected).encode())}.{_b64url(json.dumps(claims).encode())}"
    return f"{signed}.{_b64url(hmac.new(key_secret.encode(), signed.encode(), hashlib.sha256).digest())}"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


async def _params(request: web.Request) -> dict[str, str]:
    """The query and, for a form or JSON body, its fields (the body's win, as an authUrl POST sends authParams)."""
    params = dict(request.query)
    if request.can_read_body:
        if request.content_type == JSON:
            params.update(await request.json())
        else:
            params.update(await request.post())  # type: ignore[arg-type]
    return params


async def echo(request: web.Request) -> web.Response:
    params = await _params(request)
    status, kind, body = int(params.pop("status", 200)), params.pop("type", None), params.pop("body", None)
    if kind not in ("json", "text"):  # ably-js's connectivity test expects a bare echo.ably.io to answer an error
        return web.Response(status=400, text="type must be json or text")
    content_type = JSON if kind == "json" else TEXT
    return web.Response(status=status, text=json.dumps(params) if body is None else body, content_type=content_type)


async def qs_to_body(request: web.Request) -> web.Response:
    return web.json_response(dict(request.query))


async def respond_with(request: web.Request) -> web.Response:
    return web.Response(status=int(request.query.get("status", 200)), text=request.query.get("body", ""))


async def methods(request: web.Request) -> web.Response:
    return web.json_response([{"method": request.method.lower()}])


async def create_jwt(request: web.Request) -> web.Response:
    query = request.query
    if query.get("encrypted"):
        return web.Response(status=501, text="encrypted JWTs are not made by this stand-in")
    now = int(time.time())
    claims: dict = {"iat": now, "exp": now + int(query.get("expiresIn", 3600))}
    header = {}
    if query.get("innerToken"):
        header["x-ably-token"] = query["innerToken"]
    else:
        claims["x-ably-capability"] = query.get("capability", '{"*":["*"]}')
    if query.get("clientId"):
        claims["x-ably-clientId"] = query["clientId"]
    token = ably_jwt(query.get("keyName", ""), query.get("keySecret", ""), claims, header)
    return web.Response(text=token, content_type="application/jwt" if query.get("returnType") == "jwt" else TEXT)


def create_app() -> web.Application:
    app = web.Application()
    app.router.add_route("*", "/", echo)
    app.router.add_get("/qs_to_body", qs_to_body)
    app.router.add_get("/respondwith", respond_with)
    app.router.add_route("*", "/methods", methods)
    app.router.add_get("/createJWT", create_jwt)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description="A stand-in for echo.ably.io (https), for the SDK suites offline.")
    parser.add_argument("--host", default="127.0.0.2")
    parser.add_argument("--port", type=int, default=443)
    parser.add_argument("--cert", required=True, help="PEM certificate chain for echo.ably.io")
    parser.add_argument("--key", required=True, help="its PEM private key")
    args = parser.parse_args()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.cert, args.key)
    web.run_app(create_app(), host=args.host, port=args.port, ssl_context=context, print=print)


if __name__ == "__main__":
    main()
