"""Index a Functions app the way the Python worker does, in a fresh interpreter with no app settings.

Mirrors the worker's indexing step (`index_function_app` in azure-functions-runtime): put the app root on
sys.path, import `function_app`, require exactly one FunctionApp at module level, call get_functions(), and check
that each function's Python parameters are exactly its binding names (the worker rejects the function otherwise).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

_INDEX_SCRIPT = r"""
import inspect, json, os, sys
sys.path.insert(0, sys.argv[1])
import azure.functions as func
import function_app

apps = [value for value in vars(function_app).values() if isinstance(value, func.FunctionRegister)]
if len(apps) != 1:
    raise SystemExit(f"expected exactly one FunctionApp in function_app.py, found {len(apps)}")
functions = []
for function in apps[0].get_functions():
    trigger = function.get_trigger()
    handler = function.get_user_function()
    bindings = [binding["name"] for binding in function.get_bindings_dict()["bindings"]]
    functions.append({
        "name": function.get_function_name(),
        "route": trigger.route,
        "methods": None if trigger.methods is None else sorted(str(method.value) for method in trigger.methods),
        "auth_level": trigger.auth_level.name,
        "trigger_param": trigger.name,
        "python_params": list(inspect.signature(handler).parameters),
        "input_bindings": [name for name in bindings if name != "$return"],
        "is_async": inspect.iscoroutinefunction(handler),
        "module_file": function_app.__file__,
    })
ably_settings = sorted(name for name in os.environ if name.startswith("ABLY_"))
print(json.dumps({"functions": functions, "ably_settings": ably_settings}))
"""


def index_app(app_root: Path, timeout: float = 60.0) -> dict:
    """Return what the worker would index from `app_root`; fail with the child's stderr if it cannot."""
    env = {name: value for name, value in os.environ.items() if not name.startswith(("ABLY_", "PYTHON"))}
    result = subprocess.run(
        [sys.executable, "-I", "-c", _INDEX_SCRIPT, str(app_root)],
        cwd=app_root,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, f"indexing {app_root} failed:\n{result.stderr}"
    return json.loads(result.stdout)


EXPECTED_FUNCTIONS = {
    "createTokenRequest": "create_token_request",
    "clientConfig": "client_config",
}


def assert_indexes_as_expected(index: dict) -> None:
    """The app has exactly the API's routes, all anonymous, each callable with the binding names the host passes."""
    assert index["ably_settings"] == []
    by_route = {function["route"]: function for function in index["functions"]}
    assert {route: function["name"] for route, function in by_route.items()} == EXPECTED_FUNCTIONS
    for function in by_route.values():
        # No methods named: the host passes every method (TRACE and WebDAV's too) and the function answers 405.
        assert function["methods"] is None
        assert function["auth_level"] == "ANONYMOUS"
        assert function["trigger_param"] == "req"
        assert function["python_params"] == function["input_bindings"] == ["req"]
