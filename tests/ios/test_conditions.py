"""ConditionInducer holds through pymobiledevice3's own DVT client (DvtProvider + ConditionInducer, bgprobe's
`dvt_inducer`) against the simulated iPhone's DTX service: journaled before, read back from the phone, cleared
and closed on every way out; a foreign condition left alone; `restore` after a SIGKILLed `state set`."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from bgprobe.collectors.ios.address import make_target
from bgprobe.collectors.ios.conditions import (
    ConditionError,
    DvtInducer,
    IosAssignment,
    active_condition,
    close_pending,
    dvt_inducer,
    hold,
    parse_ios_assignments,
)
from bgprobe.collectors.ios.transport import developer_provider, lockdown
from bgprobe.collectors.journal import Journal, ios_key
from bgprobe.sim.ios.fleet import IosSimulator

from .conftest import cli


@contextlib.asynccontextmanager
async def inducer(sim: IosSimulator, udid: str) -> AsyncIterator[DvtInducer]:
    """bgprobe's own path to the phone's ConditionInducer: lockdown, the developer provider, pymobiledevice3's DVT."""
    target = make_target(sim.address, udid, 10.0)
    async with (
        lockdown(target, udid) as client,
        developer_provider(target, udid, client) as provider,
        dvt_inducer(provider) as dvt,
    ):
        yield dvt


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


def test_hold_journals_enables_reads_back_and_clears(sim: IosSimulator) -> None:
    udid = sim.udids[0]
    dev = sim.device(udid)
    journal = Journal(ios_key(udid), udid)
    seen: list[Any] = []

    async def main() -> None:
        async with inducer(sim, udid) as dvt:

            async def wait() -> None:
                # held: journaled, and the phone itself reports the profile (a fresh read, not bgprobe's memory)
                seen.append(([c.key for c in journal.pending()], active_condition(await dvt.list())))
                seen.append((dev.induced, dev.network))

            change = await hold(dvt, journal, IosAssignment("network", "SlowNetwork3GAverage"), wait)
            assert change is not None and change.value == "SlowNetwork3GAverage"
            assert active_condition(await dvt.list()) is None  # cleared while the connection is still open

    asyncio.run(main())
    assert seen == [(["network"], "SlowNetwork3GAverage"), ("SlowNetwork3GAverage", "SlowNetwork3GAverage")]
    assert journal.pending() == [] and dev.induced is None and dev.network is None


@pytest.mark.parametrize("how", ["error", "cancel"])
def test_hold_clears_on_error_and_on_interrupt(sim: IosSimulator, how: str) -> None:
    udid = sim.udids[0]
    dev = sim.device(udid)
    journal = Journal(ios_key(udid), udid)
    held: list[str | None] = []

    async def wait() -> None:
        held.append(dev.thermal)
        if how == "error":
            raise RuntimeError("device went away")
        await asyncio.Event().wait()

    async def main() -> None:
        async with inducer(sim, udid) as dvt:
            task = asyncio.create_task(hold(dvt, journal, IosAssignment("thermal", "ThermalSerious"), wait))
            while not held and not task.done():
                await asyncio.sleep(0.02)
            if how == "cancel":  # what SIGINT/SIGTERM do in `state set`
                task.cancel()
            try:
                await task
            finally:
                # the clear went out on the still-open connection: the phone says so
                assert active_condition(await dvt.list()) is None

    with pytest.raises(RuntimeError if how == "error" else asyncio.CancelledError):
        asyncio.run(main())
    assert held == ["ThermalSerious"] and dev.thermal is None and journal.pending() == []


def test_hold_refuses_an_unknown_profile_and_leaves_a_foreign_condition_alone(sim: IosSimulator) -> None:
    udid = sim.udids[0]
    dev = sim.device(udid)
    journal = Journal(ios_key(udid), udid)

    async def wait() -> None:
        raise AssertionError("must not hold")

    async def main() -> None:
        async with inducer(sim, udid) as dvt:
            with pytest.raises(ConditionError, match=r"no such ConditionInducer profile \(it has: .*SlowNetworkLTE"):
                await hold(dvt, journal, IosAssignment("network", "SlowNetworkCarrierPigeon"), wait)
            # another client (Xcode, a colleague's pymobiledevice3) holds a condition on its own connection
            async with inducer(sim, udid) as other:
                await other.set("SlowNetwork100PctLoss")
                with pytest.raises(ConditionError, match=r"another induced condition is active \(SlowNetwork100"):
                    await hold(dvt, journal, IosAssignment("network", "SlowNetwork3GAverage"), wait)
                assert dev.induced == "SlowNetwork100PctLoss" and journal.pending() == []
                # network=none clears whatever is active (disableActiveCondition, whoever asks), holds nothing
                assert await hold(dvt, journal, IosAssignment("network", ""), wait) is None
                assert active_condition(await other.list()) is None  # hold read it back on its own connection

    asyncio.run(main())
    assert dev.induced is None and dev.network is None


def test_restore_after_a_killed_state_set_closes_the_entry_the_phone_already_ended(
    sim: IosSimulator, isolated_home: Path
) -> None:
    """`state set network=3g` holds the profile on its DVT connection; SIGKILL leaves its journal entry, and the
    phone ends the condition with the connection; `restore --udid` reads the phone and closes the entry."""
    udid = sim.udids[0]
    dev = sim.device(udid)
    env = {**os.environ, "HOME": str(isolated_home), "NO_COLOR": "1", "ADB_SERVER_SOCKET": "tcp:127.0.0.1:9"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bgprobe.cli", "state", "set", "--udid", udid, "network=3g"],
        env={**env, **sim.env()},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while dev.induced != "SlowNetwork3GAverage" and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert dev.induced == "SlowNetwork3GAverage", proc.stderr.read() if proc.poll() is not None else ""
        assert [c.value for c in Journal(ios_key(udid)).pending()] == ["SlowNetwork3GAverage"]
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    deadline = time.monotonic() + 5
    while dev.induced is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert dev.induced is None and dev.network is None  # the phone ended it with the connection
    assert [c.key for c in Journal(ios_key(udid)).pending()] == ["network"]  # bgprobe had no chance to close it

    r = cli(sim, isolated_home, "restore", "--udid", udid)
    assert r.returncode == 0, r.stderr
    assert (
        f"{udid}: network=SlowNetwork3GAverage ended when bgprobe's DVT connection closed (the phone's active "
        "condition is none; left as it is); journal entry closed" in r.stdout
    )
    assert Journal(ios_key(udid)).pending() == []


def test_restore_clears_a_journaled_condition_the_phone_still_holds(sim: IosSimulator, isolated_home: Path) -> None:
    """A connection the phone did not see close (a tunnel that lingers) keeps the journaled profile active:
    `restore --udid` finds it on the phone and clears it."""
    udid = sim.udids[0]
    dev = sim.device(udid)
    Journal(ios_key(udid), udid).record("thermal", "ThermalCritical", [["dvt", "ConditionInducer"]])

    async def main() -> subprocess.CompletedProcess[str]:
        async with inducer(sim, udid) as lingering:
            await lingering.set("ThermalCritical")
            assert dev.thermal == "ThermalCritical"
            return await asyncio.to_thread(cli, sim, isolated_home, "restore", "--udid", udid)

    r = asyncio.run(main())
    assert r.returncode == 0, r.stderr
    assert f"{udid}: thermal=ThermalCritical was still active on the phone: cleared" in r.stdout
    assert dev.induced is None and dev.thermal is None and Journal(ios_key(udid)).pending() == []


def test_left_over_entry_is_closed_by_restore(isolated_home: Path) -> None:
    journal = Journal("ios:UDID4")
    journal.record("network", "SlowNetwork3GAverage", [["dvt", "ConditionInducer", "disableActiveCondition"]])
    assert [c.key for c in close_pending(Journal("ios:UDID4"))] == ["network"]
    assert Journal("ios:UDID4").pending() == []
    # through the CLI: a SIGKILLed hold leaves an entry; `restore` closes it without any device
    Journal("ios:UDID5").record("thermal", "ThermalSerious", [["dvt"]])
    r = cli(None, isolated_home, "restore", env={"BGPROBE_STATE_DIR": os.environ["BGPROBE_STATE_DIR"]})
    assert r.returncode == 0, r.stderr
    assert "UDID5: thermal=ThermalSerious ended when bgprobe's DVT connection closed" in r.stdout
