"""Batch publish (`POST /messages`) and batch presence (`GET /presence?channels=`), each channel on its own.

An array of BatchPublishSpecs gets an array of BatchResults, as ably-js's `batchPublish` reads them; a single spec
object gets the older flat array of per-channel results, and a 400 40020 with them as `batchResponse` when any
channel failed (ably-js test/rest/request.test.js `request_batch_api_success` / `_partial_success`).
"""

from .conftest import within

VERSION = "2"
ONLY_P2P = {"p2p:*": ["publish", "subscribe", "presence", "history"]}


def outcome(result: dict) -> tuple:
    """A per-channel result as the user sees it: the channel, and its error code or None."""
    return result["channel"], result["error"]["code"] if "error" in result else None


async def test_an_array_of_specs_gets_one_batch_result_per_spec_and_each_channel_succeeds_or_fails_alone(clients):
    rest = clients.rest(capability=ONLY_P2P)
    specs = [
        {"channels": ["p2p:a", "elsewhere"], "messages": [{"name": "n", "data": "one"}, {"data": "two"}]},
        {"channels": "p2p:b", "messages": {"data": "three"}},
    ]
    answer = await within(rest.request("POST", "/messages", VERSION, body=specs))
    first, second = answer.items
    assert answer.status_code == 201
    assert (first["successCount"], first["failureCount"], [outcome(r) for r in first["results"]]) == (
        1,
        1,
        [("p2p:a", None), ("elsewhere", 40160)],
    )
    assert first["results"][1]["error"]["statusCode"] == 401
    assert (second["successCount"], second["failureCount"], [outcome(r) for r in second["results"]]) == (
        1,
        0,
        [("p2p:b", None)],
    )
    history = await within(rest.channels.get("p2p:a").history(direction="forwards"))
    assert [m.data for m in history.items] == ["one", "two"]
    assert first["results"][0]["messageId"]


async def test_a_single_spec_gets_the_flat_per_channel_results(clients):
    rest = clients.rest()
    body = {"channels": ["p2p:x", "p2p:y"], "messages": {"data": "foo"}}
    answer = await within(rest.request("POST", "/messages", VERSION, body=body))
    assert (answer.status_code, [outcome(r) for r in answer.items]) == (201, [("p2p:x", None), ("p2p:y", None)])


async def test_a_single_spec_with_a_failing_channel_is_a_batch_error_40020_with_every_channels_result(clients):
    rest = clients.rest()
    body = {"channels": ["p2p:x", "[invalid", ""], "messages": {"data": "foo"}}
    answer = await within(rest.request("POST", "/messages", VERSION, body=body))
    (response,) = answer.items
    assert (answer.status_code, int(answer.error_code), response["error"]["code"]) == (400, 40020, 40020)
    assert [outcome(r) for r in response["batchResponse"]] == [("p2p:x", None), ("[invalid", 40010), ("", 40010)]


async def test_a_body_that_is_no_spec_is_refused_with_40001(clients):
    rest = clients.rest()
    answer = await within(rest.request("POST", "/messages", VERSION, body={"messages": {"data": "no channels"}}))
    assert (answer.status_code, int(answer.error_code)) == (400, 40001)


async def test_batch_presence_lists_each_channels_members_or_its_error(clients):
    alice = await clients.realtime("alice")
    await within(alice.channels.get("p2p:lobby").presence.enter("hello"))
    rest = clients.rest(capability=ONLY_P2P)
    answer = await within(rest.request("GET", "/presence", VERSION, params={"channels": "p2p:lobby,p2p:empty,other"}))
    (result,) = answer.items
    lobby, empty, other = result["results"]
    assert (result["successCount"], result["failureCount"]) == (2, 1)
    assert [(m["clientId"], m["data"]) for m in lobby["presence"]] == [("alice", "hello")]
    assert (empty, outcome(other)) == ({"channel": "p2p:empty", "presence": []}, ("other", 40160))


async def test_batch_presence_without_channels_is_refused_with_40003(clients):
    answer = await within(clients.rest().request("GET", "/presence", VERSION))
    assert (answer.status_code, int(answer.error_code)) == (400, 40003)
