"""Markers given by what a test uses: `sim` for every test that starts simulated phones (their own
adbd / usbmuxd behind the real adb server and pymobiledevice3). `slow` is set by hand on the few tests
that need seconds without a phone (a child's peak memory over large inputs, headless chromium).
`pytest -m "not sim and not slow"` is the fast tier: parsers, reports, inputs, scenario and CLI checks
(in-process, tests.helpers.invoke), with fewer Hypothesis examples (tests.helpers.examples). A run whose
-m leaves out every `sim` test does not even collect the folders and files that hold only such tests."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
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


def _leaves_out_sim(markexpr: str) -> bool:
    """Whether `-m markexpr` deselects every test marked `sim`, whatever other markers it has (each
    combination of the names in the expression is tried, with pytest's own -m parser)."""
    if not markexpr:
        return False
    from _pytest.mark.expression import Expression  # pytest's -m parser (no public name for it)

    expression = Expression.compile(markexpr)
    names = sorted(set(re.findall(r"[A-Za-z_]\w*", markexpr)) - {"and", "or", "not", "sim"})
    for count in range(len(names) + 1):
        for chosen in itertools.combinations(names, count):
            if expression.evaluate(_marked({"sim", *chosen})):
                return False
    return True


def _marked(marks: set[str]) -> Callable[..., bool]:
    """The -m matcher of a test that carries `marks`."""
    return lambda name, /, **_: name in marks


def pytest_configure(config: pytest.Config) -> None:
    # before collection, where the property tests' @settings read it
    helpers.FAST_TIER = _leaves_out_sim(config.getoption("markexpr") or "")


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    # every test in these is marked sim (below): when -m leaves those out, their modules need not be read
    if helpers.FAST_TIER and (collection_path in SIM_DIRS or collection_path.name in SIM_FILES):
        return True
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        path = Path(str(item.fspath))
        uses = set(getattr(item, "fixturenames", ()))
        if path.parent in SIM_DIRS or path.name in SIM_FILES or uses & SIM_FIXTURES:
            item.add_marker(pytest.mark.sim)
