"""Run-wide test settings: the order of the tests, and no time limit on Hypothesis examples."""

from hypothesis import settings

# A busy machine (the tests run side by side on two cores) now and then makes a fast example slow; the
# properties are about answers, not speed, and pytest-timeout still bounds every test.
settings.register_profile("no-deadline", deadline=None)
settings.load_profile("no-deadline")


def pytest_collection_modifyitems(items):
    """Run the browser tests last: Playwright's sync API keeps an event loop running in the main thread for the
    rest of the session, after which pytest-asyncio cannot run async tests. Under pytest-xdist this holds on each
    worker as long as the scheduler keeps the collection's order (scripts/test.sh: --no-loadscope-reorder)."""
    items.sort(key=lambda item: "tests/browser/" in item.nodeid.replace("\\", "/"))
