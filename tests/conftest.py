"""Run-wide test settings: the site's build, the order of the tests, and no time limit on Hypothesis examples."""

import sys
from pathlib import Path

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


# Every module that takes more than a few seconds, longest first within its group (measured with --durations on 2
# cores). pytest-xdist (--dist loadfile) hands whole modules to whichever worker is free, in this order: longest first
# keeps the end of the run short, since a long module handed out last runs on alone while the other workers idle
# (unlisted modules come after these, in collection order). Re-measure and update when a module grows past a few
# seconds: one run of `scripts/test.sh --durations=0` lists each test's time.
LONGEST_FIRST = (
    "p2p/test_inbound.py",
    "p2p/test_cli.py",
    "p2p/test_hostile_site.py",
    "devserver/test_ably_key_check.py",
    "devserver/test_robustness.py",
    "deploy/test_deploy_commands.py",
    "devserver/test_cli.py",
    "deploy/test_deploy_azure_script.py",
    "docs/test_emulator_guide.py",
    "emulator/test_token_renewal.py",
    "emulator/test_slow_consumer.py",
    "p2p/test_session.py",
    "deploy/test_workflow.py",
    "emulator/test_frame_limit.py",
    "emulator/test_isolation.py",
    "emulator/test_memory.py",
    "emulator/test_presence.py",
    "devserver/test_emulator_timings.py",
    "p2p/test_bingo.py",
    "p2p/test_chat.py",
    "browser/test_what_the_page_says.py",
    "browser/rehearsal/test_drill_site_server.py",
    "browser/test_accessibility.py",
    "browser/test_python_peer.py",
    "browser/test_bingo.py",
    "browser/rehearsal/test_drill_network_loss_long.py",
    "browser/rehearsal/test_production_rehearsal.py",
    "browser/rehearsal/test_drill_ably_unreachable.py",
    "browser/test_host_migration.py",
    "browser/rehearsal/test_drill_key_refused.py",
    "browser/test_session.py",
    "browser/rehearsal/test_drill_network_loss.py",
    "browser/test_hostile_players.py",
    "browser/test_connection_state.py",
    "browser/test_late_joiner.py",
    "browser/test_forgery.py",
    "browser/test_leave.py",
    "browser/test_share.py",
    "browser/test_retry_now.py",
    "browser/test_session_full.py",
    "browser/test_friendly_name.py",
    "browser/test_friends_elsewhere.py",
)
TESTS = Path(__file__).parent


def pytest_collection_modifyitems(items):
    """Run the browser tests last, and the longest modules first within each group.

    Browser tests last: Playwright's sync API keeps an event loop running in the main thread for the rest of the
    session, after which pytest-asyncio cannot run async tests. Under pytest-xdist this holds on each worker as long
    as the scheduler keeps the collection's order (scripts/test.sh: --no-loadscope-reorder)."""

    if stale := [module for module in LONGEST_FIRST if not (TESTS / module).is_file()]:
        raise pytest.UsageError(f"tests/conftest.py LONGEST_FIRST names modules that do not exist: {stale}")

    def rank(item: pytest.Item) -> tuple[bool, int]:
        module = item.path.relative_to(TESTS).as_posix()
        longest = LONGEST_FIRST.index(module) if module in LONGEST_FIRST else len(LONGEST_FIRST)
        return module.startswith("browser/"), longest

    items.sort(key=rank)
