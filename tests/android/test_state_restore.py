"""Never leave a device worse than you found it: every path that can end a change, tested for real
(SIGKILL, SIGTERM, Ctrl-C, a device lost mid-change, a change the device does not take)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from bgprobe.collectors.journal import Journal

from tests.android.conftest import PKG, json_lines, serial_of
from tests.helpers import run_cli

ORIGINAL = {
    "doze": "ACTIVE/ACTIVE",
    "battery": "plugged",
    "saver": "off",
    "network": "online",
    f"bucket:{PKG}": "active",
    f"restrict:{PKG}": "off",
}


def show(env: dict[str, str], serial: str) -> dict:
    result = run_cli("state", "show", "-s", serial, "-p", PKG, "--json", env=env)
    assert result.returncode == 0, result.stderr
    (state,) = json_lines(result.stdout)
    return state


def assert_original(env: dict[str, str], serial: str) -> None:
    state = show(env, serial)
    assert {k: state[k] for k in ORIGINAL} == ORIGINAL
    assert state["battery_faked"] is False


def pending(env: dict[str, str], serial: str) -> list:
    """The journal of the phone behind `serial` (journals are keyed by ro.serialno)."""
    from tests.android.conftest import FLEET

    old = os.environ.get("BGPROBE_STATE_DIR")
    os.environ["BGPROBE_STATE_DIR"] = env["BGPROBE_STATE_DIR"]
    try:
        return Journal(FLEET[0].device(serial).profile.serial).pending()
    finally:
        if old is None:
            os.environ.pop("BGPROBE_STATE_DIR", None)
        else:
            os.environ["BGPROBE_STATE_DIR"] = old


def test_set_show_restore_round_trip(fleet, env):
    serial = serial_of(fleet, "13")
    assert_original(env, serial)
    result = run_cli(
        "state",
        "set",
        "battery=unplugged",
        "saver=on",
        "network=offline",
        "bucket=rare",
        "restrict=on",
        "doze=deep",
        "-p",
        PKG,
        "-s",
        serial,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    state = show(env, serial)
    assert state["doze"] == "IDLE/OVERRIDE" and state["battery"] == "unplugged" and state["saver"] == "on"
    assert state["network"] == "offline" and state[f"bucket:{PKG}"] == "rare" and state[f"restrict:{PKG}"] == "on"
    assert len(pending(env, serial)) == 6
    # the simulated scheduler obeys: the app's jobs now wait for doze, restriction and the network
    job = fleet.device(serial).jobs[(PKG, 1042)]
    assert {"DEVICE_NOT_DOZING", "BACKGROUND_NOT_RESTRICTED", "CONNECTIVITY"} <= set(fleet.device(serial).blockers(job))
    warned = run_cli("devices", env=env)
    assert f"{serial} still has changes from an earlier bgprobe run" in warned.stderr
    restored = run_cli("restore", "-s", serial, env=env)
    assert restored.returncode == 0, restored.stderr
    assert restored.stdout.count("undid") == 6
    assert_original(env, serial)
    assert pending(env, serial) == []
    again = run_cli("restore", "-s", serial, env=env)
    assert again.returncode == 0 and "Nothing to restore." in again.stdout


def test_version_gates_say_so_plainly(fleet, env):
    android10 = serial_of(fleet, "10")
    result = run_cli("state", "set", "bucket=restricted", "-p", PKG, "-s", android10, env=env)
    assert result.returncode == 2
    assert "the restricted bucket is not available before Android 11" in result.stderr
    assert pending(env, android10) == []


def test_a_change_the_device_does_not_take_is_an_error(fleet, env):
    huawei = serial_of(fleet, "10")  # EMUI keeps its own standby buckets
    result = run_cli("state", "set", "bucket=rare", "-p", PKG, "-s", huawei, env=env)
    assert result.returncode == 3
    assert "bucket=rare (com.example.syncapp) was not taken by the device" in result.stderr
    assert pending(env, huawei) == []


def test_saver_needs_the_battery_unplugged(fleet, env):
    serial = serial_of(fleet, "14")
    result = run_cli("state", "set", "saver=on", "-s", serial, env=env)
    assert result.returncode == 2 and "needs the battery unplugged first" in result.stderr
    assert pending(env, serial) == []
    assert_original(env, serial)


HOLDER = textwrap.dedent("""
    import sys, time
    from bgprobe.collectors.android.adb import AndroidDevice, AdbServer
    from bgprobe.collectors.android.state import StateController, parse_assignments, temporary_state
    dev = AndroidDevice(AdbServer("127.0.0.1", int(sys.argv[1])), sys.argv[2])
    controller = StateController(dev, int(sys.argv[3]))
    with temporary_state(controller, parse_assignments(["network=offline", "doze=deep"], None)):
        print("applied", flush=True)
        time.sleep(60)
""")


def hold_changes(fleet, env, serial: str) -> subprocess.Popen:
    sdk = fleet.device(serial).profile.sdk
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(fleet.adb_port), serial, str(sdk)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )
    assert proc.stdout.readline().strip() == "applied", proc.stderr.read()
    return proc


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_and_ctrl_c_restore_before_exit(fleet, env, sig):
    serial = serial_of(fleet, "12")
    proc = hold_changes(fleet, env, serial)
    assert show(env, serial)["network"] == "offline"
    proc.send_signal(sig)
    proc.wait(timeout=30)
    assert_original(env, serial)
    assert pending(env, serial) == []


def test_sigkill_leaves_a_journal_that_restore_finishes(fleet, env):
    serial = serial_of(fleet, "15")
    proc = hold_changes(fleet, env, serial)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    state = show(env, serial)
    assert state["network"] == "offline" and state["doze"].startswith("IDLE")
    assert [c.key for c in pending(env, serial)] == ["network", "doze"]
    warned = run_cli("info", serial, env=env)
    assert "still has changes from an earlier bgprobe run (network=offline, doze=deep)" in warned.stderr
    finished = run_cli("restore", env=env)
    assert finished.returncode == 0, finished.stderr
    assert_original(env, serial)
    assert pending(env, serial) == []


def test_device_lost_mid_change_keeps_the_journal_for_restore(fleet, env):
    serial = serial_of(fleet, "11")
    fleet.lose_device_on(serial, "deviceidle force-idle")
    result = run_cli("state", "set", "network=offline", "doze=deep", "-s", serial, "--timeout", "5", env=env)
    assert result.returncode == 3
    assert f"device {serial} was lost" in result.stderr
    assert "Traceback" not in result.stderr
    kept = [c.key for c in pending(env, serial)]
    assert kept == ["network", "doze"]  # network applied; doze journaled before the device vanished
    # While it is away, restore says so and keeps the journal.
    away = run_cli("restore", env=env)
    assert away.returncode == 3
    name = fleet.device(serial).profile.serial
    assert f"{name} (last seen as {serial}) has unrestored changes (network=offline, doze=deep)" in away.stderr
    fleet.come_back(serial)
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        if any(r["id"] == serial and not r["error"] for r in json_lines(run_cli("devices", "--json", env=env).stdout)):
            break
        time.sleep(0.5)
    back = run_cli("restore", "-s", serial, env=env)
    assert back.returncode == 0, back.stderr
    assert_original(env, serial)
    assert pending(env, serial) == []
