"""Run-wide test order."""


def pytest_collection_modifyitems(items):
    """Run the browser tests last: Playwright's sync API keeps an event loop running in the main thread for the
    rest of the session, after which pytest-asyncio cannot run async tests. Under pytest-xdist this holds on each
    worker as long as the scheduler keeps the collection's order (scripts/test.sh: --no-loadscope-reorder)."""
    items.sort(key=lambda item: "tests/browser/" in item.nodeid.replace("\\", "/"))
