"""The production rehearsal in Chromium: the build and the staged API as deployed, behind https on the site's Azure
name, on Ably's production hostnames over TLS (tests/stand_ins). Each module gets one stage and one Chromium whose
resolver sends the stage's names to loopback and no other name anywhere; pages open at the site's https address.

A module changes the stage by overriding `stage_options` (production_stage's keyword arguments), and where the
browser finds each name by overriding `host_rules` (e.g. Ably's primary host refusing connections).
"""

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserType

from tests.stand_ins.host_rules import HostRules
from tests.stand_ins.stage import ProductionStage, production_stage


@pytest.fixture(scope="module")
def stage_options() -> dict[str, Any]:
    """production_stage's options for this module's stage (default: as deployed, with Ably's timings)."""
    return {}


@pytest.fixture(scope="module")
def stage(tmp_path_factory: pytest.TempPathFactory, stage_options: dict[str, Any]) -> Iterator[ProductionStage]:
    with production_stage(tmp_path_factory.mktemp("stage"), **stage_options) as stage:
        yield stage


@pytest.fixture(scope="module")
def host_rules(stage: ProductionStage) -> HostRules:
    """Where this module's Chromium finds the site and Ably: the stage, by default."""
    return stage.host_rules()


@pytest.fixture(scope="module")
def browser(
    browser_type: BrowserType, browser_type_launch_args: dict[str, Any], stage: ProductionStage, host_rules: HostRules
) -> Iterator[Browser]:
    """This module's Chromium: the usual flags, plus the rehearsal's resolver rules and trust in its certificate."""
    args = [*browser_type_launch_args.get("args", []), *stage.chromium_args(host_rules)]
    browser = browser_type.launch(**{**browser_type_launch_args, "args": args})
    yield browser
    browser.close()


@pytest.fixture
def site_url(stage: ProductionStage) -> str:
    return stage.site_url
