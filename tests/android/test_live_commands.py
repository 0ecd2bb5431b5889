"""devices, info, jobs, trigger and watch against simulated phones through the real adb server."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from bgprobe.collectors.android.adb import AdbServer, AndroidDevice
from bgprobe.sim.fleet import SimFleet

from tests.android.conftest import PKG, json_lines, serial_of
from tests.helpers import run_cli, wait_for_log_follower


def test_devices_lists_every_phone_with_version_and_maker(fleet, env):
    result = run_cli("devices", "--json", env=env)
    assert result.returncode == 0, result.stderr
    rows = {r["id"]: r for r in json_lines(result.stdout)}
    assert set(rows) == set(fleet.devices)
    for serial, device in fleet.devices.items():
        row = rows[serial]
        assert row["os_version"] == device.profile.release
        assert row["sdk"] == device.profile.sdk
        assert row["manufacturer"] == device.profile.manufacturer
        assert row["model"] == device.profile.model
        assert row["battery_level"] == 80 and row["charging"] is True
        assert row["doze"] == "ACTIVE/ACTIVE"


def test_adb_server_option_and_env_conventions(fleet, env):
    by_option = run_cli(
        "devices",
        "--json",
        "--adb-server",
        f"127.0.0.1:{fleet.adb_port}",
        env={**env, "ADB_SERVER_SOCKET": "", "ANDROID_ADB_SERVER_PORT": "1"},
    )
    assert by_option.returncode == 0 and len(json_lines(by_option.stdout)) == len(fleet.devices)
    by_address = run_cli(
        "devices", "--json", env={**env, "ADB_SERVER_SOCKET": "", "ANDROID_ADB_SERVER_ADDRESS": "127.0.0.1"}
    )
    assert by_address.returncode == 0 and len(json_lines(by_address.stdout)) == len(fleet.devices)
    unreachable = run_cli("devices", "--adb-server", "127.0.0.2:1", env=env)
    assert unreachable.returncode == 3
    assert "adb server 127.0.0.2:1 is not reachable" in unreachable.stderr


def test_info_shows_background_settings(fleet, env):
    serial = serial_of(fleet, "14")
    result = run_cli("info", serial, "--json", env=env)
    assert result.returncode == 0, result.stderr
    (info,) = json_lines(result.stdout)
    assert info["extra"]["battery_saver"] is False
    assert info["extra"]["standby_buckets"][PKG] == 10
    assert info["extra"]["fingerprint"].startswith("google/shiba/shiba:14/")
    missing = run_cli("info", "127.0.0.1:1", env=env)
    assert missing.returncode == 3 and "device 127.0.0.1:1 not found" in missing.stderr


def test_jobs_lists_jobscheduler_and_workmanager_work(fleet, env):
    # The Pixel: stock Android force-stops nothing by itself, and a force-stopped app (Samsung's
    # policy does that) gets no diagnostics broadcast at all (FLAG_EXCLUDE_STOPPED_PACKAGES).
    serial = serial_of(fleet, "14")
    result = run_cli("jobs", PKG, "-s", serial, "--json", env=env)
    assert result.returncode == 0, result.stderr
    jobs = {r["job"]: r for r in json_lines(result.stdout)}
    assert set(jobs) == {"1042", "7", "12", "31"}
    wm = jobs["1042"]
    assert wm["data"]["workmanager"] is True
    assert wm["data"]["work"]["worker"] == "com.example.syncapp.SyncWorker"  # from the diagnostics broadcast
    assert wm["data"]["required_constraints"] == ["TIMING_DELAY", "CONNECTIVITY"]
    assert all(r["detail"] for r in jobs.values())  # every job says why it is (not) running


def test_trigger_forces_a_job_and_follows_it(fleet, env):
    serial = serial_of(fleet, "14")
    result = run_cli("trigger", PKG, "7", "-s", serial, "--wait", "20", "--json", env=env)
    assert result.returncode == 0, result.stderr
    (outcome,) = json_lines(result.stdout)
    assert outcome["accepted"] and outcome["response"] == "Running job [FORCED]"
    assert outcome["started"] is True
    assert outcome["outcome"] == "success"  # the attempt outcomes of campaigns


def test_trigger_errors_are_read_from_the_text(fleet, env):
    serial = serial_of(fleet, "12")
    no_job = run_cli("trigger", PKG, "99", "-s", serial, env=env)
    assert no_job.returncode == 2
    assert "Could not find job 99 in package com.example.syncapp" in no_job.stderr
    no_pkg = run_cli("trigger", "com.example.absent", "1", "-s", serial, env=env)
    assert no_pkg.returncode == 2 and "Package not found" in no_pkg.stderr
    old = run_cli("trigger", PKG, "7", "--satisfied", "-s", serial_of(fleet, "9"), env=env)
    assert old.returncode != 0 and "needs a newer Android" in old.stderr


def test_nothing_a_user_types_reaches_the_shell_unchecked(fleet, env):
    serial = serial_of(fleet, "14")
    for args in (
        ("trigger", "com.x;reboot", "1"),
        ("trigger", PKG, "1;reboot"),
        ("trigger", PKG, "$(reboot)"),
        ("jobs", "com.x`id`"),
        ("state", "set", "bucket=rare", "--package", "com.x y"),
        ("state", "set", "doze=deep;reboot"),
        ("watch", "com.x|id"),
    ):
        result = run_cli(*args, "-s", serial, env=env)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
    # And what does reach the shell arrives literally, whatever it contains.
    dev = AndroidDevice(AdbServer("127.0.0.1", fleet.adb_port), serial)
    nasty = "a; echo INJECTED $(id) `id` 'q' \"d\" | tee x && false || true > y"
    assert dev.run(["echo", nasty]).stdout == nasty + "\n"


def test_watch_streams_kills_as_json(fleet, env):
    serial = serial_of(fleet, "12")  # Xiaomi
    device = fleet.device(serial)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bgprobe.cli", "watch", PKG, "-s", serial, "--json", "--duration", "8"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**__import__("os").environ, **env},
    )
    wait_for_log_follower(device)
    spec = device.jobs[(PKG, 7)]

    def kill() -> None:
        device.start_job(spec, forced=True)
        device.oem_kill(PKG)

    fleet.loop.loop.call_soon_threadsafe(kill)
    out, err = proc.communicate(timeout=30)
    events = json_lines(out)
    kills = [e for e in events if e["kind"] == "process_killed" and e["reason"] == "oem:OneKeyClean"]
    assert kills, (out, err)
    key = device.profile.serial  # ro.serialno: the journal's key names the phone in every event
    assert all(e["device"] == key and e["os_version"] == "12" for e in events)


def test_a_stalled_device_is_a_timeout_error_naming_it(fleet, env):
    serial = serial_of(fleet, "9")
    fleet.servers[serial].stall(4.0)
    try:
        result = run_cli("info", serial, "--timeout", "1", env=env)
        assert result.returncode == 3
        assert serial in result.stderr and "timed out" in result.stderr
        assert "Traceback" not in result.stderr
    finally:
        time.sleep(4.5)


def test_truncated_output_parses_what_arrived(fleet):
    from bgprobe.collectors.parsers.jobscheduler import parse_jobscheduler

    serial = serial_of(fleet, "13")
    dev = AndroidDevice(AdbServer("127.0.0.1", fleet.adb_port), serial)
    full = dev.run(["dumpsys", "jobscheduler", PKG])
    fleet.servers[serial].truncate_next(1500)
    cut = dev.run(["dumpsys", "jobscheduler", PKG])
    assert cut.status == 255 and len(cut.stdout) == 1500 < len(full.stdout)
    events = parse_jobscheduler(list(enumerate(cut.stdout.splitlines(), 1)), "cut", package=PKG)
    assert events and events[0].job == "1042"


def test_reboot_loses_state_but_not_the_journal(fleet, env):
    serial = serial_of(fleet, "14")
    assert run_cli("state", "set", "doze=deep", "-s", serial, env=env).returncode == 0
    fleet.reboot(serial)
    fleet.wait_until_online([serial], timeout=40)
    shown = json_lines(run_cli("state", "show", "-s", serial, "--json", env=env).stdout)[0]
    assert shown["doze"] == "ACTIVE/ACTIVE"  # the reboot reset it, as on a phone
    restored = run_cli("restore", "-s", serial, env=env)
    assert restored.returncode == 0 and "undid doze=deep" in restored.stdout
    assert "Nothing to restore." in run_cli("restore", "-s", serial, env=env).stdout


def test_watch_reports_an_anr_left_open_when_the_stream_ends(tmp_path):
    """`ANR in` opens a multi-line message that later lines complete; if the device drops right
    after it, the ANR is still reported (the interpreter is flushed when the stream ends).
    Its own phone on a real-time clock: no other log line may complete the ANR first."""
    with SimFleet(android=1, ios=0, speed=1.0, seed=3) as quiet:
        serial = next(iter(quiet.devices))
        device = quiet.device(serial)
        env = {
            **os.environ,
            "ADB_SERVER_SOCKET": f"tcp:127.0.0.1:{quiet.adb_port}",
            "ANDROID_SERIAL": "",
            "BGPROBE_STATE_DIR": str(tmp_path / "state"),
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "bgprobe.cli", "watch", "-s", serial, "--json", "--duration", "20"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        wait_for_log_follower(device)
        quiet.loop.loop.call_soon_threadsafe(
            lambda: device.log("system", 1537, 1000, "E", "ActivityManager", f"ANR in {PKG} ({PKG}/.MainActivity)")
        )
        time.sleep(0.3)  # the line reaches the host; then the phone drops
        quiet.go_offline(serial)
        out, err = proc.communicate(timeout=40)
    anrs = [e for e in json_lines(out) if e["kind"] == "anr"]
    assert [(e["process"], e["device"]) for e in anrs] == [(PKG, device.profile.serial)], (out, err)
    assert "log stream ended" in err
