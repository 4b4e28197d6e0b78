"""Run-wide test settings: the site's build, the order of the tests, and no time limit on Hypothesis examples."""

import sys

import pytest
from hypothesis import settings

from tests.site_build import BuildFailed, ensure_site_built

# A busy machine (the tests run side by side on two cores) now and then makes a fast example slow; the
# properties are about answers, not speed, and pytest-timeout still bounds every test.
settings.register_profile("no-deadline", deadline=None)
settings.load_profile("no-deadline")


def pytest_configure(config):
    """Build dist/site first if it is missing or stale: the dev host serves it and the browser tests load it.

    Under pytest-xdist the controller configures (and builds) before it starts the workers.
    """
    try:
        if ensure_site_built():
            print("tests: built dist/site with `npm run build` (it was missing or older than site/)", file=sys.stderr)
    except BuildFailed as exc:
        pytest.exit(f"the tests need the site's build: {exc}", returncode=pytest.ExitCode.USAGE_ERROR)


def pytest_collection_modifyitems(items):
    """Run the browser tests last: Playwright's sync API keeps an event loop running in the main thread for the
    rest of the session, after which pytest-asyncio cannot run async tests. Under pytest-xdist this holds on each
    worker as long as the scheduler keeps the collection's order (scripts/test.sh: --no-loadscope-reorder)."""
    items.sort(key=lambda item: "tests/browser/" in item.nodeid.replace("\\", "/"))
