"""ConditionInducer holds: journaled before, cleared and closed on every way out. The inducer is a fake
of bgprobe's own `Inducer` seam (DVT is not served by the simulator and was not run on a phone)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from bgprobe.collectors.ios.conditions import (
    ConditionError,
    IosAssignment,
    close_pending,
    hold,
    parse_ios_assignments,
)
from bgprobe.collectors.journal import Journal

GROUPS = [
    {
        "identifier": "SlowNetworkCondition",
        "isActive": False,
        "profiles": [{"identifier": "SlowNetwork3GAverage"}, {"identifier": "SlowNetwork100PctLoss"}],
    },
    {
        "identifier": "ThermalCondition",
        "isActive": False,
        "profiles": [{"identifier": "ThermalFair"}, {"identifier": "ThermalSerious"}],
    },
]


class FakeInducer:
    def __init__(self, active: str | None = None) -> None:
        self.calls: list[tuple[str, ...]] = []
        self.active = active

    async def list(self) -> list[dict[str, Any]]:
        self.calls.append(("list",))
        groups = [dict(g) for g in GROUPS]
        if self.active:
            groups[0]["isActive"], groups[0]["activeProfile"] = True, self.active
        return groups

    async def set(self, profile_id: str) -> None:
        self.calls.append(("set", profile_id))
        self.active = profile_id

    async def clear(self) -> None:
        self.calls.append(("clear",))
        self.active = None


def test_parse_assignments() -> None:
    assert parse_ios_assignments(["network=3g"]) == [IosAssignment("network", "SlowNetwork3GAverage")]
    assert parse_ios_assignments(["thermal=ThermalCritical"]) == [IosAssignment("thermal", "ThermalCritical")]
    assert parse_ios_assignments(["network=none", "lowpower=on"]) == [
        IosAssignment("network", ""),
        IosAssignment("lowpower", "on"),
    ]
    with pytest.raises(ConditionError, match="one induced condition at a time"):
        parse_ios_assignments(["network=3g", "thermal=fair"])
    with pytest.raises(ConditionError, match="expected a ConditionInducer profile id"):
        parse_ios_assignments(["network=wifi-only"])
    with pytest.raises(ConditionError, match="KEY one of network, thermal, lowpower"):
        parse_ios_assignments(["doze=deep"])


def test_hold_journals_sets_waits_clears(tmp_path, monkeypatch) -> None:
    journal = Journal("ios:UDID1")
    inducer = FakeInducer()
    seen_during: list[list[Any]] = []

    async def wait() -> None:
        seen_during.append([c.key for c in journal.pending()])
        assert inducer.active == "SlowNetwork3GAverage"

    change = asyncio.run(hold(inducer, journal, IosAssignment("network", "SlowNetwork3GAverage"), wait))
    assert change is not None and change.value == "SlowNetwork3GAverage"
    assert seen_during == [["network"]]  # journaled while held
    # read back after setting: the active profile is the one asked for
    assert inducer.calls == [("list",), ("set", "SlowNetwork3GAverage"), ("list",), ("clear",)]
    assert journal.pending() == [] and inducer.active is None


@pytest.mark.parametrize("how", ["error", "cancel"])
def test_hold_clears_on_error_and_on_interrupt(how: str) -> None:
    journal = Journal("ios:UDID2")
    inducer = FakeInducer()

    async def wait() -> None:
        if how == "error":
            raise RuntimeError("device went away")
        await asyncio.Event().wait()

    async def main() -> None:
        task = asyncio.create_task(hold(inducer, journal, IosAssignment("thermal", "ThermalSerious"), wait))
        await asyncio.sleep(0.05)
        if how == "cancel":  # what SIGINT/SIGTERM do in `state set`
            task.cancel()
        await task

    with pytest.raises(RuntimeError if how == "error" else asyncio.CancelledError):
        asyncio.run(main())
    assert inducer.calls[-1] == ("clear",) and inducer.active is None
    assert journal.pending() == []


def test_hold_refuses_unknown_profile_and_a_foreign_active_condition() -> None:
    journal = Journal("ios:UDID3")

    async def wait() -> None:
        raise AssertionError("must not hold")

    with pytest.raises(ConditionError, match=r"no such ConditionInducer profile .*SlowNetwork3GAverage"):
        asyncio.run(hold(FakeInducer(), journal, IosAssignment("network", "SlowNetworkLTE"), wait))
    busy = FakeInducer(active="SlowNetwork100PctLoss")
    with pytest.raises(ConditionError, match="another induced condition is active"):
        asyncio.run(hold(busy, journal, IosAssignment("network", "SlowNetwork3GAverage"), wait))
    assert ("set", "SlowNetwork3GAverage") not in busy.calls and journal.pending() == []
    # network=none clears whatever is active, holds nothing
    assert asyncio.run(hold(busy, journal, IosAssignment("network", ""), wait)) is None and busy.active is None


def test_left_over_entry_is_closed_by_restore(isolated_home) -> None:
    from .conftest import cli

    journal = Journal("ios:UDID4")
    journal.record("network", "SlowNetwork3GAverage", [["dvt", "ConditionInducer", "disableActiveCondition"]])
    assert [c.key for c in close_pending(Journal("ios:UDID4"))] == ["network"]
    assert Journal("ios:UDID4").pending() == []
    # through the CLI: a SIGKILLed hold leaves an entry; `restore` closes it without any device
    Journal("ios:UDID5").record("thermal", "ThermalSerious", [["dvt"]])
    import os

    r = cli(None, isolated_home, "restore", env={"BGPROBE_STATE_DIR": os.environ["BGPROBE_STATE_DIR"]})
    assert r.returncode == 0, r.stderr
    assert "UDID5: thermal=ThermalSerious ended when bgprobe's DVT connection closed" in r.stdout
