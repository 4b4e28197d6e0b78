"""function_app.py indexes as the Functions host would: fresh process, no settings, the expected routes."""

from pathlib import Path

import pytest

from tests.api.indexing import assert_indexes_as_expected, index_app

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def index():
    return index_app(REPO)


def test_function_app_indexes_without_settings_with_exactly_the_api_routes(index):
    assert_indexes_as_expected(index)
    assert Path(index["functions"][0]["module_file"]).parent == REPO


def test_function_app_token_endpoint_is_async_so_ably_python_runs_on_the_workers_loop(index):
    by_route = {function["route"]: function for function in index["functions"]}
    assert by_route["createTokenRequest"]["is_async"] is True
