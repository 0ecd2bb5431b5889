"""The real pymobiledevice3 11.45 Python API against the simulated usbmuxd/lockdownd/services."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest
from bgprobe.sim.ios import formats
from bgprobe.sim.ios.fleet import IosSimulator
from bgprobe.sim.ios.profiles import make_profile
from pymobiledevice3.exceptions import ConnectionTerminatedError, InvalidServiceError, NotPairedError
from pymobiledevice3.lockdown import create_using_usbmux
from pymobiledevice3.services.crash_reports import CrashReportsManager
from pymobiledevice3.services.diagnostics import DiagnosticsService
from pymobiledevice3.services.os_trace import OsTraceService, SyslogLogLevel
from pymobiledevice3.services.syslog import SyslogService
from pymobiledevice3.usbmux import list_devices

from .helpers import run_with_sim

SYSLOG_LINE = re.compile(
    r"^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d\d:\d\d:\d\d \S+ "
    r"[\w.]+\([\w.]+\)\[\d+\] <(Notice|Info|Debug|Error|Fault)>: ",
)


async def lockdown(sim: IosSimulator, udid: str, cache: Path):
    return await create_using_usbmux(
        serial=udid, autopair=False, usbmux_address=sim.address, pairing_records_cache_folder=cache
    )


def test_list_devices_shows_every_phone() -> None:
    async def body(sim: IosSimulator) -> None:
        devices = await list_devices(usbmux_address=sim.address)
        assert [d.serial for d in devices] == sim.udids
        assert {d.connection_type for d in devices} == {"USB"}
        assert len({d.devid for d in devices}) == 3

    run_with_sim(body, devices=3)


def test_lockdown_values_short_info_and_domains(cache_dir: Path) -> None:
    async def body(sim: IosSimulator) -> None:
        for udid, dev in sim.devices.items():
            ld = await lockdown(sim, udid, cache_dir)
            p = dev.profile
            assert ld.paired
            assert ld.product_version == p.product_version
            assert ld.short_info == {
                "Identifier": udid,
                "DeviceClass": "iPhone",
                "DeviceName": p.name,
                "BuildVersion": p.build_version,
                "ProductVersion": p.product_version,
                "ProductType": p.product_type,
                "UniqueDeviceID": udid,
                "ConnectionType": "USB",
            }
            assert ld.all_values["SerialNumber"] == p.serial_number
            assert ld.all_values["HardwareModel"] == p.model.hardware_model
            assert ld.all_values["CPUArchitecture"] == "arm64e"
            battery = await ld.get_value("com.apple.mobile.battery")
            assert battery["BatteryCurrentCapacity"] == dev.battery_level
            assert battery["BatteryIsCharging"] is False
            assert await ld.get_value("com.apple.mobile.battery", "BatteryIsCharging") is False
            if p.major >= 16:
                assert await ld.get_developer_mode_status() is True
            with pytest.raises(InvalidServiceError):
                await ld.start_lockdown_service("com.apple.not.a.service")
            await ld.close()

    run_with_sim(body, devices=4)


async def _watch(ld, n: int) -> list[str]:
    out: list[str] = []
    async for line in SyslogService(ld).watch():
        out.append(line)
        if len(out) == n:
            return out
    return out


def test_syslog_relay_lines_in_order_without_duplicates(cache_dir: Path) -> None:
    async def body(sim: IosSimulator) -> None:
        udid = sim.udids[1]
        dev = sim.device(udid)
        ld = await lockdown(sim, udid, cache_dir)
        lines = await _watch(ld, 40)
        for line in lines:
            assert SYSLOG_LINE.match(line), line
            assert f" {dev.profile.hostname} " in line
        # exactly a contiguous run of what the device logged: in order, nothing repeated or lost
        rendered = [formats.syslog_relay_line(r, dev.profile.hostname) for r in dev.history]
        start = rendered.index(lines[0])
        assert rendered[start : start + len(lines)] == lines

    run_with_sim(body, devices=2, speed=3000)


def _scripted_watch(split_writes: bool, cache: Path) -> list[str]:
    """Emit A, B, C, D one at a time (each reaches pmd3 as its own TCP chunk) and record what watch() yields."""

    async def body(sim: IosSimulator) -> list[str]:
        dev = sim.device(sim.udids[0])
        ld = await lockdown(sim, sim.udids[0], cache)
        got: list[str] = []

        async def reader() -> None:
            async for line in SyslogService(ld).watch():
                got.append(line.rsplit(": ", 1)[1])

        task = asyncio.create_task(reader())
        while not dev._subscribers:  # the relay connection is up once it subscribed
            await asyncio.sleep(0.01)
        for word in ("A", "B", "C", "D"):
            dev.emit(dev.procs["dasd"], word)
            await asyncio.sleep(0.15)
        task.cancel()
        return got

    # speed=1: the device's own ticks are 15-45 s apart, so only the scripted lines flow
    return run_with_sim(body, devices=1, speed=1, split_writes=split_writes)


def test_upstream_watch_reyields_lines_when_a_chunk_ends_on_the_delimiter(cache_dir: Path) -> None:
    """pmd3 SyslogService.watch() keeps `buf` when a chunk ends exactly on b"\\n\\x00", so every earlier
    line comes again. A real phone writes `line\\n\\x00`, which is what split_writes=False does."""
    assert _scripted_watch(False, cache_dir)[:6] == ["A", "A", "B", "A", "B", "C"]


def test_split_writes_prevents_the_reyield(cache_dir: Path) -> None:
    """split_writes=True sends each delimiter at the start of the next write: no chunk ends on a
    boundary, so each line comes once — one line late (D stays buffered until a fifth line)."""
    assert _scripted_watch(True, cache_dir) == ["A", "B", "C"]


def test_os_trace_relay_syslog_entries(cache_dir: Path) -> None:
    async def body(sim: IosSimulator) -> None:
        udid = sim.udids[0]
        dev = sim.device(udid)
        ld = await lockdown(sim, udid, cache_dir)
        dasd = dev.procs["dasd"]
        seen_dasd = seen_label = False
        n = 0
        async for entry in OsTraceService(ld).syslog():
            n += 1
            assert entry.level == SyslogLogLevel.NOTICE
            if entry.filename == "/usr/libexec/dasd":
                assert entry.pid == dasd.pid
                assert entry.image_name.endswith("/DuetActivityScheduler")
                seen_dasd = True
            if entry.label is not None:
                assert entry.label.subsystem in ("com.apple.BackgroundTasks", "com.apple.UIKit")
                seen_label = True
            if seen_dasd and seen_label and n > 10:
                break
        # the device-side pid filter
        async for entry in OsTraceService(ld).syslog(pid=dasd.pid):
            assert entry.pid == dasd.pid
            assert entry.message
            break

    run_with_sim(body, devices=1, speed=3000)


def test_crash_reports_ls_and_pull_byte_exact(cache_dir: Path, tmp_path: Path) -> None:
    async def body(sim: IosSimulator) -> None:
        udid = sim.udids[0]
        dev = sim.device(udid)
        dev.report_delay_s = (0.0, 0.0)  # listed and pulled at once (the write delay has its own test)
        jetsam = dev.inject_jetsam("com.example.fitsync")
        watchdog = dev.inject_watchdog("com.example.photobackup")
        ld = await lockdown(sim, udid, cache_dir)
        async with CrashReportsManager(ld) as crash:
            await crash.flush()  # crashreportmover's "ping"
            listing = await crash.ls("/")
            assert f"/{jetsam}" in listing and f"/{watchdog}" in listing
            for name in (jetsam, watchdog):
                out = tmp_path / "out"
                out.mkdir(exist_ok=True)
                await crash.pull(str(out), f"/{name}", progress_bar=False)
                assert (out / name).read_bytes() == dev.crash_store.get(name).data
        header, body_text = (tmp_path / "out" / jetsam).read_text().split("\n", 1)
        assert json.loads(header)["bug_type"] == "298"
        assert json.loads(body_text)["processes"][-1]["reason"] == "per-process-limit"
        header, body_text = (tmp_path / "out" / watchdog).read_text().split("\n", 1)
        assert json.loads(header)["bug_type"] == "309"
        assert json.loads(body_text)["termination"]["code"] == 0x8BADF00D

    run_with_sim(body, devices=1, speed=60)


def test_diagnostics_battery(cache_dir: Path) -> None:
    async def body(sim: IosSimulator) -> None:
        dev = sim.device(sim.udids[0])
        dev.set_conditions(charging=True, thermal="ThermalSerious")
        ld = await lockdown(sim, sim.udids[0], cache_dir)
        async with DiagnosticsService(ld) as diag:
            battery = await diag.get_battery()
        assert battery["CurrentCapacity"] == dev.battery_level
        assert battery["IsCharging"] is True
        assert battery["InstantAmperage"] > 0
        assert {"Temperature", "Voltage"} <= battery.keys()

    run_with_sim(body, devices=1)


def test_unpaired_phone_raises_not_paired_without_blocking(cache_dir: Path) -> None:
    async def body(sim: IosSimulator) -> None:
        udid = sim.udids[1]
        ld = await lockdown(sim, udid, cache_dir)  # autopair=False: no Trust dialog wait
        assert ld.paired is False
        assert ld.short_info["UniqueDeviceID"] == udid  # public values still readable
        with pytest.raises(NotPairedError):
            await _watch(ld, 1)
        sim.set_paired(udid, True)
        ld = await lockdown(sim, udid, cache_dir)
        assert ld.paired is True

    run_with_sim(body, timeout=10, devices=2, unpaired=[make_profile(1, seed=0).udid], seed=0)


def test_tls_session_and_services(cache_dir: Path) -> None:
    async def body(sim: IosSimulator) -> None:
        udid = sim.udids[0]
        dev = sim.device(udid)
        ld = await lockdown(sim, udid, cache_dir)
        assert ld.paired
        assert (await ld.get_value("com.apple.mobile.battery"))["HasBattery"] is True
        lines = await _watch(ld, 5)
        assert all(SYSLOG_LINE.match(line) for line in lines)
        dev.report_delay_s = (0.0, 0.0)
        name = dev.inject_jetsam("com.example.newsreader", reason="vm-pageshortage")
        async with CrashReportsManager(ld) as crash:
            assert f"/{name}" in await crash.ls("/")

    run_with_sim(body, devices=1, speed=3000, tls=True)


def test_killing_the_simulator_mid_watch_raises_connection_terminated(cache_dir: Path) -> None:
    async def body(sim: IosSimulator) -> None:
        ld = await lockdown(sim, sim.udids[0], cache_dir)
        got = 0
        with pytest.raises(ConnectionTerminatedError):
            async for _line in SyslogService(ld).watch():
                got += 1
                if got == 3:
                    await sim.astop()
        assert got >= 3

    run_with_sim(body, devices=1, speed=3000)


def test_killing_the_simulator_mid_os_trace_raises_connection_terminated(cache_dir: Path) -> None:
    async def body(sim: IosSimulator) -> None:
        ld = await lockdown(sim, sim.udids[0], cache_dir)
        with pytest.raises(ConnectionTerminatedError):
            async for _entry in OsTraceService(ld).syslog():
                await sim.astop()

    run_with_sim(body, devices=1, speed=3000)


def test_unplug_and_replug(cache_dir: Path) -> None:
    async def body(sim: IosSimulator) -> None:
        gone = sim.udids[0]
        sim.unplug(gone)
        assert [d.serial for d in await list_devices(usbmux_address=sim.address)] == sim.udids[1:]
        sim.plug(gone)
        assert {d.serial for d in await list_devices(usbmux_address=sim.address)} == set(sim.udids)
        ld = await lockdown(sim, gone, cache_dir)
        assert ld.paired

    run_with_sim(body, devices=2)


def test_thread_runner_for_sync_callers(cache_dir: Path) -> None:
    sim = IosSimulator(2, speed=600)
    address = sim.start()
    try:
        assert sim.start() == address  # idempotent
        devices = asyncio.run(list_devices(usbmux_address=address))
        assert [d.serial for d in devices] == sim.udids
        # fault injection from this (non-loop) thread hops onto the simulator loop
        name = sim.device(sim.udids[0]).inject_watchdog("com.example.fitsync")
        assert sim.device(sim.udids[0]).crash_store.exists(name)
    finally:
        sim.stop()
        sim.stop()  # idempotent
