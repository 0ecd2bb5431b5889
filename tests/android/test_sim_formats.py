"""What the simulated phones print, per Android version, reads back through `bgprobe scan` as the
right events (logcat pulled with the real adb CLI, exit-info and jobscheduler dumps included)."""

from __future__ import annotations

import subprocess

import pytest
from bgprobe.sim.fleet import adb_env

from tests.android.conftest import PKG, json_lines, serial_of
from tests.helpers import run_cli


@pytest.mark.parametrize("release", ["9", "10", "11", "12", "13", "14", "15"])
def test_kills_of_every_version_scan_back(fleet, env, tmp_path, release):
    serial = serial_of(fleet, release)
    device = fleet.device(serial)
    spec = device.jobs[(PKG, 7)]

    def kill_twice() -> None:
        device.start_job(spec, forced=True)
        device.lmkd_kill(PKG)
        device.start_job(spec, forced=True)
        device.oem_kill(PKG)

    fleet.loop.call(_run(kill_twice))
    adb = [fleet.adb_path, "-P", str(fleet.adb_port), "-s", serial]
    logcat = subprocess.run(
        [*adb, "logcat", "-d", "-b", "all", "-v", "threadtime"],
        capture_output=True,
        env=adb_env(fleet.adb_port, fleet.adb_path),
        timeout=30,
        check=True,
    ).stdout
    (tmp_path / "logcat.txt").write_bytes(logcat)
    events = json_lines(run_cli("scan", str(tmp_path / "logcat.txt"), "--package", PKG, "--json").stdout)
    kills = [e for e in events if e["kind"] == "process_killed"]
    assert any(e["source"] == "lmkd" and e["reason"] == "low_memory" for e in kills), kills
    maker = device.profile.manufacturer
    expected = {
        "Xiaomi": "oem:OneKeyClean",
        "Huawei": "force_stop",
        "Samsung": "force_stop",
        "OnePlus": "force_stop",
        "Google": "force_stop",
    }[maker]
    assert any(e["reason"] == expected for e in kills), (maker, kills)
    assert any(e["kind"] == "process_died" and e["reason"] == "sigkill" for e in events)
    if int(release) >= 11:
        dump = subprocess.run(
            [*adb, "shell", "dumpsys", "activity", "exit-info", PKG],
            capture_output=True,
            env=adb_env(fleet.adb_port, fleet.adb_path),
            timeout=30,
            check=True,
        ).stdout
        (tmp_path / "exit-info.txt").write_bytes(dump)
        records = json_lines(run_cli("scan", str(tmp_path / "exit-info.txt"), "--json").stdout)
        assert {r["reason"] for r in records} >= {"low_memory"}
        assert all(r["source"] == "exit-info" and r["package"] == PKG for r in records)


async def _run(fn):  # the simulator's state lives on its loop thread
    fn()
