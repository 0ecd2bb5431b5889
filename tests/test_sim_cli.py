"""`bgprobe sim start|status|stop` and `bgprobe demo`: reachable through the real clients, and
nothing left running afterwards."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import adbutils

from tests.helpers import run_cli

TINY = """
[campaign]
name = "tiny"
repetitions = 1
attempt_timeout = "3s"
settle = "0.2s"

[[app]]
package = "com.example.syncapp"

[[task]]
name = "upload"
job = 7
started = 'job (?P<job>\\d+) started'
finished = 'job (?P<job>\\d+) finished \\(success\\)'

[[task]]
name = "sync"
scheduler = "workmanager"
job = 1042
worker = "com.example.syncapp.SyncWorker"
"""


def listening(address: str) -> bool:
    host, port = address.rsplit(":", 1)
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, int(port))) == 0


def test_sim_start_detach_status_stop(tmp_path):
    env = {"BGPROBE_STATE_DIR": str(tmp_path)}
    started = run_cli("sim", "start", "--android", "2", "--ios", "1", "--detach", "--json", env=env, timeout=120)
    assert started.returncode == 0, started.stderr
    info = json.loads(started.stdout)
    assert len(info["android"]) == 2 and len(info["ios"]) == 1
    assert f"USBMUXD_SOCKET_ADDRESS={info['usbmux']}" in info["env"]
    host, port = info["adb_server"].rsplit(":", 1)
    try:
        client = adbutils.AdbClient(host=host, port=int(port))
        serials = {d.serial for d in client.device_list()}
        assert serials == {a["serial"] for a in info["android"]}
        status = run_cli("sim", "status", "--json", env=env)
        assert status.returncode == 0 and json.loads(status.stdout)["running"] is True
        again = run_cli("sim", "start", "--detach", env=env)
        assert again.returncode == 2 and "already running" in again.stderr
    finally:
        stopped = run_cli("sim", "stop", env=env)
    assert stopped.returncode == 0
    addresses = [info["adb_server"], info["usbmux"], *(a["serial"] for a in info["android"])]
    assert not any(listening(a) for a in addresses)
    assert run_cli("sim", "status", env=env).returncode != 0


def adb_servers_running(marker: str | None = None) -> set[int]:
    """pids of adb server processes (`adb ... fork-server server`) on this machine; with `marker`, only
    those whose environment holds it (the servers a command started inherit its environment: other
    tests, on other pytest workers, start servers of their own at the same time)."""
    found = set()
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes().split(b"\0")
                environ = (proc / "environ").read_bytes() if marker else b""
            except OSError:
                continue
            is_adb_server = b"fork-server" in cmdline and any(part.endswith(b"adb") for part in cmdline[:1])
            if is_adb_server and (marker is None or marker.encode() in environ):
                found.add(int(proc.name))
    return found


def test_demo_runs_a_campaign_reports_and_cleans_up(tmp_path):
    scenario = tmp_path / "tiny.toml"
    scenario.write_text(TINY)
    out = tmp_path / "demo"
    result = run_cli(
        "demo",
        "--quiet",
        "--android",
        "2",
        "--scenario",
        str(scenario),
        "--out",
        str(out),
        env={"BGPROBE_STATE_DIR": str(tmp_path / "state")},
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    assert "Simulated phones" in result.stdout
    assert "Simulated phones stopped." in result.stderr
    run_dir = out / "run-1"
    rows = [json.loads(line) for line in (run_dir / "attempts.jsonl").read_text().splitlines()]
    assert len({r["device"] for r in rows}) == 2
    assert {r["task"] for r in rows} == {"upload", "sync"}
    assert json.loads((run_dir / "run.json").read_text())["finished"]
    # nothing left behind: no journal entries, no adb server of ours
    journal = Path(tmp_path / "state" / "journal")
    assert not journal.exists() or not any(journal.iterdir())
    assert adb_servers_running(str(tmp_path / "state")) == set()  # the demo's private adb server is gone


def test_sim_start_with_a_fleet_profile(tmp_path):
    env = {"BGPROBE_STATE_DIR": str(tmp_path)}
    profile = Path(__file__).parent.parent / "examples" / "fleet-profile.toml"
    started = run_cli("sim", "start", "--profile", str(profile), "--detach", "--json", env=env, timeout=120)
    assert started.returncode == 0, started.stderr
    try:
        info = json.loads(started.stdout)
        assert [(a["name"], a["release"], a["manufacturer"]) for a in info["android"]] == [
            ("lab-pixel7", "13", "Google"),
            ("lab-redmi", "14", "Xiaomi"),
            ("lab-emui", "10", "Huawei"),
        ]
        assert [(i["name"], i["version"], i["product_type"]) for i in info["ios"]] == [
            ("Lab iPhone", "17.5.1", "iPhone15,2")
        ]
    finally:
        assert run_cli("sim", "stop", env=env).returncode == 0


def test_a_bad_fleet_profile_is_a_usage_error(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[android]]\nrelease = "7"\n')
    result = run_cli("sim", "start", "--profile", str(bad), "--detach", env={"BGPROBE_STATE_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert "bad fleet profile" in result.stderr and "'7' is not one of" in result.stderr
