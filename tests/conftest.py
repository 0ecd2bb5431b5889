"""Markers given by what a test uses: `sim` for every test that starts simulated phones (their own
adbd / usbmuxd behind the real adb server and pymobiledevice3). `slow` is set by hand on the few tests
that need seconds without a phone (a child's peak memory over large inputs, headless chromium).
`pytest -m "not sim and not slow"` is the fast tier: parsers, reports, inputs, scenario and CLI checks
(in-process, tests.helpers.invoke), with fewer Hypothesis examples (tests.helpers.examples)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import helpers

TESTS = Path(__file__).parent
SIM_DIRS = {TESTS / "android", TESTS / "sim", TESTS / "sim_ios"}
SIM_FILES = {
    "test_sim_cli.py",
    "test_terminal_80.py",
    "test_watch_split.py",
    "test_real_phone.py",
    "test_live_cli.py",
    "test_ios_campaign.py",
}
SIM_FIXTURES = {"fleet", "sim", "world", "iphone"}  # `world`: test_bad_inputs starts one simulated phone


def pytest_configure(config: pytest.Config) -> None:
    # before collection, where the property tests' @settings read it
    helpers.FAST_TIER = "not sim" in (config.getoption("markexpr") or "")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        path = Path(str(item.fspath))
        uses = set(getattr(item, "fixturenames", ()))
        if path.parent in SIM_DIRS or path.name in SIM_FILES or uses & SIM_FIXTURES:
            item.add_marker(pytest.mark.sim)
