"""The real `pymobiledevice3` CLI, as a child process with its own HOME, against a threaded simulator."""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import time
from pathlib import Path

from bgprobe.sim.ios.fleet import IosSimulator

PMD3 = [str(Path(sys.executable).with_name("pymobiledevice3"))]


def _env(sim: IosSimulator, home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / ".local/share"),
        "COLUMNS": "200",
        "NO_COLOR": "1",
        **sim.env(),
    }


def pmd3(sim: IosSimulator, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PMD3, *args], env=_env(sim, home), capture_output=True, text=True, timeout=60)


def test_usbmux_list(threaded_sim: IosSimulator, isolated_home: Path) -> None:
    proc = pmd3(threaded_sim, isolated_home, "usbmux", "list")
    assert proc.returncode == 0, proc.stderr
    listed = json.loads(proc.stdout)
    assert [d["UniqueDeviceID"] for d in listed] == threaded_sim.udids
    assert {d["DeviceClass"] for d in listed} == {"iPhone"}


def test_lockdown_info(threaded_sim: IosSimulator, isolated_home: Path) -> None:
    udid = threaded_sim.udids[1]
    proc = pmd3(threaded_sim, isolated_home, "lockdown", "info", "--udid", udid)
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    p = threaded_sim.device(udid).profile
    assert (info["UniqueDeviceID"], info["ProductVersion"], info["BuildVersion"]) == (
        udid,
        p.product_version,
        p.build_version,
    )


def test_syslog_live_reads_os_trace_lines(threaded_sim: IosSimulator, isolated_home: Path) -> None:
    udid = threaded_sim.udids[0]
    proc = subprocess.Popen(
        [*PMD3, "syslog", "live", "--udid", udid],
        env=_env(threaded_sim, isolated_home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + 20
        while len(lines) < 5 and time.monotonic() < deadline:
            if sel.select(timeout=0.5):
                line = proc.stdout.readline()
                if not line:
                    break
                lines.append(line)
    finally:
        proc.kill()
        proc.wait()
    assert len(lines) >= 5, proc.stderr.read() if proc.stderr else ""
    # pmd3's text form: "<timestamp> <filename>{<image>}[<pid>] <LEVEL>: <message>"
    assert any("dasd{DuetActivityScheduler}[" in line or "{BackgroundTasks}[" in line for line in lines), lines


def test_crash_ls_and_pull(threaded_sim: IosSimulator, isolated_home: Path, tmp_path: Path) -> None:
    udid = threaded_sim.udids[0]
    dev = threaded_sim.device(udid)
    jetsam = dev.inject_jetsam("com.example.photobackup")
    watchdog = dev.inject_watchdog("com.example.newsreader")
    proc = pmd3(threaded_sim, isolated_home, "crash", "ls", "--udid", udid)
    assert proc.returncode == 0, proc.stderr
    assert {f"/{jetsam}", f"/{watchdog}"} <= set(proc.stdout.split())
    out = tmp_path / "pulled"
    out.mkdir()
    proc = pmd3(threaded_sim, isolated_home, "crash", "pull", "--udid", udid, str(out))
    assert proc.returncode == 0, proc.stderr
    for name in (jetsam, watchdog):
        assert (out / name).read_bytes() == dev.crash_store.get(name).data


def test_developer_condition_and_dvt_process_commands(threaded_sim: IosSimulator, isolated_home: Path) -> None:
    """pymobiledevice3's own `developer dvt condition` and `developer dvt` process commands against the simulated DTX service."""
    udid = threaded_sim.udids[0]
    dev = threaded_sim.device(udid)
    proc = pmd3(threaded_sim, isolated_home, "developer", "dvt", "condition", "list", "--udid", udid)
    assert proc.returncode == 0, proc.stderr
    groups = {g["identifier"]: g for g in json.loads(proc.stdout)}
    assert {"SlowNetworkCondition", "ThermalCondition"} <= groups.keys()
    assert "SlowNetworkLTE" in [p["identifier"] for p in groups["SlowNetworkCondition"]["profiles"]]
    # `dvt condition set` holds the profile until SIGINT/SIGTERM; its connection ending ends the condition
    setter = subprocess.Popen(
        [*PMD3, "developer", "dvt", "condition", "set", "ThermalFair", "--udid", udid],
        env=_env(threaded_sim, isolated_home),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while dev.induced != "ThermalFair" and time.monotonic() < deadline and setter.poll() is None:
            time.sleep(0.05)
        assert dev.induced == "ThermalFair" and dev.thermal == "ThermalFair"
        setter.terminate()
        setter.communicate(timeout=30)
    finally:
        setter.kill()
    deadline = time.monotonic() + 5
    while dev.induced is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert dev.induced is None and dev.thermal is None

    proc = pmd3(threaded_sim, isolated_home, "developer", "dvt", "launch", "com.example.newsreader", "--udid", udid)
    assert proc.returncode == 0, proc.stderr
    pid = int(proc.stdout.strip().rsplit(" ", 1)[-1])
    assert pid == dev.pid_of("com.example.newsreader") > 0
    proc = pmd3(
        threaded_sim,
        isolated_home,
        "developer",
        "dvt",
        "process-id-for-bundle-id",
        "com.example.newsreader",
        "--udid",
        udid,
    )
    assert proc.returncode == 0 and int(proc.stdout) == pid, proc.stderr
    proc = pmd3(threaded_sim, isolated_home, "developer", "dvt", "kill", str(pid), "--udid", udid)
    assert proc.returncode == 0, proc.stderr
    assert dev.pid_of("com.example.newsreader") == 0
