"""The dev host finds HTTP functions from the app's own metadata and calls them as the Functions host would."""

import textwrap

import pytest

from devserver import DevServer
from devserver.functions_host import load_http_functions, route_to_regex
from tests.devserver.conftest import REPO

TOY_APP = textwrap.dedent("""
    import json
    import azure.functions as func

    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

    @app.route(route="echo/{name}/{*rest}", methods=["GET", "POST"])
    def echo(req: func.HttpRequest) -> func.HttpResponse:
        body = {"method": req.method, "route": dict(req.route_params), "params": dict(req.params),
                "body": req.get_body().decode(), "header": req.headers.get("x-probe"), "url": req.url}
        return func.HttpResponse(json.dumps(body), mimetype="application/json", headers={"X-Fn": "echo"})

    @app.route(route="later", trigger_arg_name="request")
    async def later(request: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse("async ok", status_code=202)

    @app.route(route="plain")
    def plain(req: func.HttpRequest) -> str:
        return "just a string"

    @app.route(route="broken")
    def broken(req: func.HttpRequest) -> func.HttpResponse:
        raise RuntimeError("boom")
""")


@pytest.fixture
def toy_root(tmp_path, site_dir):
    root = tmp_path / "toyapp"
    root.mkdir()
    (root / "function_app.py").write_text(TOY_APP)
    return root


@pytest.fixture
async def toy_server(toy_root, site_dir, clean_settings, monkeypatch):
    monkeypatch.setenv("ABLY_API_KEY", "fakeapp.fakekey:fake-secret")
    async with DevServer(port=0, app_root=toy_root, site_dir=site_dir, local_settings_path=clean_settings) as server:
        yield server


@pytest.mark.parametrize(
    ("route", "path", "params"),
    [
        ("createTokenRequest", "createTokenRequest", {}),
        ("createTokenRequest", "CreateTokenRequest", {}),
        ("items/{id}", "items/42", {"id": "42"}),
        ("items/{id:int}", "items/42", {"id": "42"}),
        ("items/{id}", "items/42/more", None),
        ("files/{*path}", "files/a/b/c.txt", {"path": "a/b/c.txt"}),
        ("files/{*path}", "files/", {}),
    ],
)
def test_route_templates_match_like_the_functions_host(route, path, params):
    found = route_to_regex(route).fullmatch(path)
    assert (None if found is None else {k: v for k, v in found.groupdict().items() if v}) == params


def test_load_http_functions_reads_the_repos_function_metadata():
    functions = {function.route: function for function in load_http_functions(REPO)}
    assert set(functions) == {"createTokenRequest", "clientConfig"}
    assert all(function.trigger_param == "req" for function in functions.values())


def test_load_http_functions_can_load_the_same_app_twice():
    """A FunctionApp lists its functions once only; the host loads a fresh module each time."""
    assert len(load_http_functions(REPO)) == len(load_http_functions(REPO)) == 2


async def test_functions_host_passes_method_route_params_query_headers_and_body(http, toy_server):
    url = toy_server.url + "/api/echo/alice/x/y?q=1"
    async with http.post(url, data=b"payload", headers={"X-Probe": "probe"}) as response:
        assert response.status == 200
        assert response.headers["X-Fn"] == "echo"
        assert response.headers["Content-Type"].startswith("application/json")
        body = await response.json()
    assert body["method"] == "POST"
    assert body["route"] == {"name": "alice", "rest": "x/y"}
    assert body["params"] == {"q": "1"}
    assert (body["body"], body["header"]) == ("payload", "probe")
    assert body["url"] == url


async def test_functions_host_answers_404_for_methods_the_trigger_does_not_list(http, toy_server):
    async with http.delete(toy_server.url + "/api/echo/alice/x") as response:
        assert response.status == 404


async def test_functions_host_runs_async_handlers_with_their_own_trigger_name(http, toy_server):
    async with http.get(toy_server.url + "/api/later") as response:
        assert (response.status, await response.text()) == (202, "async ok")


async def test_functions_host_accepts_a_plain_string_return(http, toy_server):
    async with http.get(toy_server.url + "/api/plain") as response:
        assert (response.status, await response.text()) == (200, "just a string")


async def test_functions_host_turns_an_exception_into_a_500(http, toy_server):
    async with http.get(toy_server.url + "/api/broken") as response:
        assert response.status == 500
        assert "boom" not in await response.text()


async def test_functions_host_answers_404_for_unknown_functions(http, toy_server):
    async with http.get(toy_server.url + "/api/nothing-here") as response:
        assert response.status == 404
