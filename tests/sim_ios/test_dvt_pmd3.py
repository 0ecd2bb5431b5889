"""pymobiledevice3 11.45's own DVT client (DvtProvider over lockdown, its ConditionInducer and ProcessControl
instruments) against the simulated iPhone's DTX service: list, enable, read back and disable condition profiles;
launch, signal and kill apps; the termination callback on the negated channel code."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from bgprobe.sim.ios.fleet import IosSimulator
from pymobiledevice3.dtx.exceptions import DTXNsError
from pymobiledevice3.exceptions import PyMobileDevice3Exception
from pymobiledevice3.services.dvt.instruments.condition_inducer import ConditionInducer
from pymobiledevice3.services.dvt.instruments.dvt_provider import DvtProvider
from pymobiledevice3.services.dvt.instruments.process_control import ProcessControl

from .helpers import run_with_sim
from .test_pmd3_api import lockdown

NEWS = "com.example.newsreader"


def _active(groups: list[dict]) -> str | None:
    return next((g.get("activeProfile") for g in groups if g.get("isActive")), None)


def test_condition_inducer_lists_enables_reads_back_and_disables(cache_dir: Path) -> None:
    async def body(sim: IosSimulator) -> None:
        udid = sim.udids[0]
        dev = sim.device(udid)
        ld = await lockdown(sim, udid, cache_dir)
        async with DvtProvider(ld) as dvt, ConditionInducer(dvt) as inducer:
            groups = await inducer.list()
            ids = {g["identifier"]: [p["identifier"] for p in g["profiles"]] for g in groups}
            assert "SlowNetwork3GAverage" in ids["SlowNetworkCondition"]
            assert ids["ThermalCondition"] == ["ThermalFair", "ThermalSerious", "ThermalCritical"]
            assert _active(groups) is None
            assert "com.apple.instruments.server.services.ConditionInducer" in dvt.dtx.supported_identifiers

            await inducer.set("SlowNetwork3GAverage")  # finds the group, enableConditionWithIdentifier:…
            assert _active(await inducer.list()) == "SlowNetwork3GAverage"
            assert dev.network == "SlowNetwork3GAverage" and dev.induced == "SlowNetwork3GAverage"
            with pytest.raises(DTXNsError, match="already active"):  # one condition at a time
                await inducer.set("ThermalSerious")

            await inducer.clear()  # disableActiveCondition: fire-and-forget in pymobiledevice3
            groups = await inducer.list()  # the next answer comes after the clear was handled
            assert _active(groups) is None and dev.network is None

            await inducer.set("ThermalCritical")
            assert _active(await inducer.list()) == "ThermalCritical" and dev.thermal == "ThermalCritical"
            with pytest.raises(PyMobileDevice3Exception, match="No condition profile"):
                await inducer.set("SlowNetworkCarrierPigeon")
        # the condition ends with the connection that set it
        for _ in range(50):
            if dev.induced is None:
                break
            await asyncio.sleep(0.02)
        assert dev.induced is None and dev.thermal is None

    run_with_sim(body, devices=1, seed=0)


def test_process_control_launches_signals_and_kills(cache_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    async def body(sim: IosSimulator) -> None:
        udid = sim.udids[0]
        dev = sim.device(udid)
        ld = await lockdown(sim, udid, cache_dir)
        async with DvtProvider(ld) as dvt, ProcessControl(dvt) as pc:
            before = await pc.process_identifier_for_bundle_identifier(NEWS)
            assert before == dev.pid_of(NEWS) > 0  # suspended in the background since it last ran
            pid = await pc.launch(NEWS)  # KillExisting: a new process, on screen
            assert pid != before and await pc.process_identifier_for_bundle_identifier(NEWS) == pid
            assert await pc.is_debuggable(pid) is True
            assert dev._apps[NEWS].foreground is True

            with caplog.at_level(logging.WARNING, logger="pymobiledevice3"):
                await pc.kill(pid)  # sendSignal:toPid: with SIGKILL, answered
                assert await pc.process_identifier_for_bundle_identifier(NEWS) == 0
                for _ in range(50):  # the termination callback, on the negated channel code
                    if any(f"PID {pid} terminated" in r.getMessage() for r in caplog.records):
                        break
                    await asyncio.sleep(0.02)
            assert any(
                f"PID {pid} terminated" in r.getMessage() and "signal 9" in r.getMessage() for r in caplog.records
            )
            messages = [r.message for r in dev.history if r.process == "runningboardd"]
            assert f"[application<{NEWS}>:{pid}] termination reported by launchd (2, 9, 9)" in messages

            pid = await pc.launch(NEWS, start_suspended=True)
            assert dev._apps[NEWS].start_suspended is True
            await pc.resume(pid)
            assert dev._apps[NEWS].start_suspended is False
            await pc.service.kill_pid_(pid)  # the fire-and-forget form dtxmsg sends
            await pc.process_identifier_for_bundle_identifier(NEWS)  # answered after the kill was handled
            assert dev.pid_of(NEWS) == 0

            with pytest.raises(DTXNsError, match=r"com\.example\.not\.installed failed"):
                await pc.launch("com.example.not.installed")
            with pytest.raises(DTXNsError, match="Operation not permitted"):
                await pc.kill(dev.procs["SpringBoard"].pid)
            with pytest.raises(DTXNsError, match="No such process"):
                await pc.kill(99_999)

    run_with_sim(body, devices=1, seed=0)
