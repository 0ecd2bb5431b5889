"""The REAL CLI (`python -m bgprobe.cli`) and the REAL pymobiledevice3 against the simulated iPhones."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from bgprobe.sim.ios.fleet import IosSimulator

from .conftest import cli


def test_devices_json_lists_every_iphone_and_the_unpaired_one_with_a_hint(
    sim: IosSimulator, isolated_home: Path
) -> None:
    r = cli(sim, isolated_home, "devices", "--json")
    assert r.returncode == 0, r.stderr
    rows = {row["id"]: row for row in map(json.loads, r.stdout.splitlines())}
    assert list(rows) == sim.udids
    for udid in sim.udids[:2]:
        p = sim.device(udid).profile
        row = rows[udid]
        assert (row["platform"], row["os_version"], row["build"], row["model"], row["name"]) == (
            "ios",
            p.product_version,
            p.build_version,
            p.product_type,
            p.name,
        )
        assert row["battery_level"] == sim.device(udid).battery_level and row["charging"] is False
        assert row["manufacturer"] == "Apple" and row["error"] is None
    assert "not paired" in rows[sim.udids[2]]["error"] and "Trust" in rows[sim.udids[2]]["error"]


def test_info_udid_and_usbmux_option(sim: IosSimulator, isolated_home: Path) -> None:
    udid = sim.udids[1]
    env = {k: v for k, v in os.environ.items() if k != "USBMUXD_SOCKET_ADDRESS"}
    full = {**env, "HOME": str(isolated_home), "NO_COLOR": "1"}
    r = subprocess.run(
        [sys.executable, "-m", "bgprobe.cli", "info", "--udid", udid, "--usbmux", sim.address, "--json"],
        env=full,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    p = sim.device(udid).profile
    assert (info["id"], info["os_version"], info["model"]) == (udid, "17.5.1", p.product_type)
    assert info["extra"]["developer_mode"] is True
    assert info["extra"]["hardware_model"] == p.model.hardware_model
    assert info["extra"]["battery_cycles"] == 412
    assert "not readable remotely" in info["extra"]["low_power_mode"]


def test_unpaired_device_is_a_quick_clear_error(sim: IosSimulator, isolated_home: Path) -> None:
    start = time.monotonic()
    r = cli(sim, isolated_home, "info", "--udid", sim.udids[2])
    assert r.returncode == 3
    assert time.monotonic() - start < 10
    assert f"iOS device {sim.udids[2]} is not paired with this computer" in r.stderr
    assert "Trust This Computer" in r.stderr and "Traceback" not in r.stderr


def test_watch_streams_jetsam_and_runningboard_events(sim: IosSimulator, isolated_home: Path) -> None:
    udid = sim.udids[0]
    env = {**os.environ, "HOME": str(isolated_home), "NO_COLOR": "1", **sim.env()}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bgprobe.cli", "watch", "--udid", udid, "--json", "--duration", "8", "--crashes"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # inject once watch's log stream is connected (pmd3 import + lockdown ~1.5 s; longer on a busy machine)
        deadline = time.monotonic() + 20
        while not sim.device(udid)._subscribers and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
        name = sim.device(udid).inject_jetsam("com.example.newsreader")
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    events = [json.loads(line) for line in out.splitlines()]
    # the simulated phone also kills on its own (memory pressure): pick the injected kill
    kernel = [
        e
        for e in events
        if e["source"] == "syslog:kernel" and e["process"] == "NewsReader" and e["reason"] == "jetsam:per-process-limit"
    ]
    assert kernel and kernel[-1]["kind"] == "process_killed"
    assert kernel[-1]["package"] == "com.example.newsreader" and kernel[-1]["data"]["limit_mb"] == 300
    died = [e for e in events if e["kind"] == "process_died" and e["package"] == "com.example.newsreader"]
    assert died and died[-1]["reason"] == "runningboard:sigkill"
    # --crashes: the JetsamEvent report the device saved meanwhile, pulled and parsed with its figures
    report = [e for e in events if e["source"] == "ips" and name in e["where"]]
    assert len(report) == 1 and report[0]["reason"] == "jetsam:per-process-limit"
    assert report[0]["data"]["footprint_mb"] == 120.0 and report[0]["where"].startswith(f"live:{udid}:")
    assert all(e["platform"] == "ios" and e["device"] == udid and e["os_version"] == "16.7.8" for e in events)
    # each syslog line once: no event repeated (the pmd3 re-yield would repeat them)
    keys = [(e["where"], e["kind"]) for e in events if e["source"].startswith("syslog")]
    assert len(keys) == len(set(keys))


def test_watch_crashes_lists_and_pulls_reports(sim: IosSimulator, isolated_home: Path, tmp_path: Path) -> None:
    udid = sim.udids[1]
    dev = sim.device(udid)
    jetsam = dev.inject_jetsam("com.example.fitsync")
    watchdog = dev.inject_watchdog("com.example.photobackup")
    r = cli(
        sim,
        isolated_home,
        "watch",
        "--udid",
        udid,
        "--crashes",
        "--pull",
        str(tmp_path / "out"),
        "--duration",
        "0",
        "--json",
    )
    assert r.returncode == 0, r.stderr
    events = [json.loads(line) for line in r.stdout.splitlines()]
    by_file = {e["where"].split(":")[1]: e for e in events}
    assert by_file[f"/{jetsam}"]["reason"] == "jetsam:per-process-limit"
    assert by_file[f"/{jetsam}"]["process"] == "FitSync" and by_file[f"/{jetsam}"]["data"]["footprint_mb"] == 180.0
    wd = by_file[f"/{watchdog}"]
    assert (wd["kind"], wd["package"], wd["reason"]) == (
        "process_killed",
        "com.example.photobackup",
        "watchdog:scene-update",
    )
    for name in (jetsam, watchdog):
        assert (tmp_path / "out" / udid / name).read_bytes() == dev.crash_store.get(name).data


def test_lowpower_without_a_terminal_exits_2_with_the_reason(sim: IosSimulator, isolated_home: Path) -> None:
    r = cli(sim, isolated_home, "state", "set", "--udid", sim.udids[0], "lowpower=on")
    assert r.returncode == 2
    assert "lowpower=on: iOS offers no remote switch for Low Power Mode" in r.stderr
    assert "Run this command on a terminal" in r.stderr


def test_network_condition_is_held_through_dvt_and_17_needs_a_tunnel(sim: IosSimulator, isolated_home: Path) -> None:
    """iOS 16: the simulated phone's DVT ConditionInducer (DTX over lockdown) takes the profile for the hold and
    ends it after; iOS 17+ without a tunnel: the message says which tunnel to start."""
    dev = sim.device(sim.udids[0])
    r = cli(sim, isolated_home, "state", "set", "--udid", sim.udids[0], "network=3g", "--duration", "1")
    assert r.returncode == 0, r.stderr
    assert "network=SlowNetwork3GAverage active" in r.stdout and "cleared after 1 s" in r.stdout
    assert dev.induced is None and dev.network is None
    seen: list[str | None] = []
    done = threading.Event()

    def watch() -> None:  # what the phone itself reports while the CLI holds the condition
        while not done.is_set():
            seen.append(dev.thermal)
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        r = cli(sim, isolated_home, "state", "set", "--udid", sim.udids[0], "thermal=serious", "--duration", "1")
    finally:
        done.set()
        watcher.join()
    assert r.returncode == 0, r.stderr
    assert "thermal=ThermalSerious active" in r.stdout and "cleared after 1 s" in r.stdout
    assert "ThermalSerious" in seen and dev.induced is None and dev.thermal is None  # on the phone, then gone
    r = cli(sim, isolated_home, "state", "set", "--udid", sim.udids[1], "thermal=serious")
    assert (
        r.returncode == 3
        and "developer services need a tunnel on iOS 17+" in r.stderr
        and "--rsd HOST PORT" in r.stderr
    )


def test_trigger_bundle_names_every_missing_prerequisite(sim: IosSimulator, isolated_home: Path) -> None:
    r = cli(
        sim,
        isolated_home,
        "trigger",
        "--bundle",
        "com.example.newsreader",
        "com.example.newsreader.refresh",
        "--udid",
        sim.udids[1],
        env={"BGPROBE_LLDB": "lldb-not-installed-here"},
    )
    assert r.returncode == 3, r.stderr
    assert "cannot trigger com.example.newsreader.refresh of com.example.newsreader" in r.stderr
    assert "(1) lldb is not installed (no `lldb-not-installed-here` on PATH)" in r.stderr
    assert f"(2) no tunnel to {sim.udids[1]} (iOS 17.5.1)" in r.stderr
    # the app may have been killed by an earlier test (jetsam) and is relaunched only when opened: open it
    sim.device(sim.udids[0]).launch_app("com.example.newsreader", kill_existing=False)
    r = cli(
        sim,
        isolated_home,
        "trigger",
        "--bundle",
        "com.example.newsreader",
        "t.id",
        "--udid",
        sim.udids[0],
        env={"BGPROBE_LLDB": "lldb-not-installed-here"},
    )
    # iOS 16 needs no tunnel: debugserver is forwarded over lockdown; only lldb is missing here
    assert r.returncode == 3 and "(1) lldb is not installed" in r.stderr and "(2)" not in r.stderr
