"""Condition changes as AOSP does them (issue: true on a real phone). The simulated phones model
AppOpsService, DeviceIdleController, WifiSettingsStore and the per-subscription mobile data setting
(sources in sim/android/device.py and docs/android-commands.md); each test failed against the
simulator's AOSP behaviour before bgprobe was fixed. Phones are read back through adb."""

from __future__ import annotations

from tests.android.conftest import PKG, serial_of
from tests.android.test_faults import adb_shell, factory_reset_conditions, raw_state
from tests.helpers import run_cli


def test_restrict_off_on_an_app_with_no_entry_is_taken_and_restore_never_writes_default(fleet, env):
    """`appops set … allow` prunes the entry: "No operations." is allowed, not a failed read-back;
    and an app with no entry is restored with allow (MODE_DEFAULT would restrict it)."""
    serial = serial_of(fleet, "14")
    try:
        off = run_cli("state", "set", "restrict=off", "-p", PKG, "-s", serial, env=env)
        assert off.returncode == 0, off.stderr
        assert run_cli("restore", "-s", serial, env=env).returncode == 0
        on = run_cli("state", "set", "restrict=on", "-p", PKG, "-s", serial, env=env)
        assert on.returncode == 0, on.stderr
        assert "RUN_ANY_IN_BACKGROUND: ignore" in adb_shell(
            fleet, serial, f"cmd appops get {PKG} RUN_ANY_IN_BACKGROUND"
        )
        assert run_cli("restore", "-s", serial, env=env).returncode == 0
        after = adb_shell(fleet, serial, f"cmd appops get {PKG} RUN_ANY_IN_BACKGROUND")
        assert "No operations." in after and "default" not in after.split("Default mode")[0]
        assert not fleet.device(serial).restricted(PKG)
    finally:
        factory_reset_conditions(fleet, serial)


def test_doze_restore_wakes_a_phone_on_battery(fleet, env):
    """Screen off and on battery (a farm's normal state), `unforce` leaves deep IDLE in place
    (exitForceIdleLocked): restore must bring the phone out of doze as it was."""
    serial = serial_of(fleet, "13")
    try:
        adb_shell(fleet, serial, "dumpsys battery unplug")
        before = raw_state(fleet, serial)
        assert "mState=INACTIVE" in before["deviceidle"]  # unplugged with the screen off
        assert run_cli("state", "set", "doze=deep", "-s", serial, env=env).returncode == 0
        assert "mState=IDLE" in raw_state(fleet, serial)["deviceidle"]
        assert run_cli("restore", "-s", serial, env=env).returncode == 0
        assert raw_state(fleet, serial) == before
    finally:
        factory_reset_conditions(fleet, serial)


def test_doze_off_leaves_no_idle_state_behind(fleet, env):
    """`doze=off` on a phone forced into deep idle on battery: unforced AND out of IDLE."""
    serial = serial_of(fleet, "13")
    try:
        adb_shell(fleet, serial, "dumpsys battery unplug")
        adb_shell(fleet, serial, "dumpsys deviceidle force-idle deep")
        before = raw_state(fleet, serial)
        result = run_cli("state", "set", "doze=off", "-s", serial, env=env)
        assert result.returncode == 0, result.stderr
        now = adb_shell(fleet, serial, "dumpsys deviceidle get deep").strip()
        assert now != "IDLE" and adb_shell(fleet, serial, "dumpsys deviceidle get force").strip() == "false"
        assert run_cli("restore", "-s", serial, env=env).returncode == 0
        assert raw_state(fleet, serial) == before  # forced deep idle again, as it came
    finally:
        factory_reset_conditions(fleet, serial)


def test_mobile_data_of_a_dual_sim_phone_is_its_data_subscriptions(fleet, env):
    """With two SIMs the switch is `mobile_data<subId>`; the plain `mobile_data` is stale."""
    serial = serial_of(fleet, "12")  # the Redmi Note 11 of the simulated fleet has two SIMs
    assert fleet.device(serial).profile.sims == 2
    before = raw_state(fleet, serial)
    try:
        offline = run_cli("state", "set", "network=offline", "-s", serial, env=env)
        assert offline.returncode == 0, offline.stderr
        assert adb_shell(fleet, serial, "settings get global mobile_data1").strip() == "0"
        shown = run_cli("state", "show", "-s", serial, "--json", env=env)
        assert '"network": "offline"' in shown.stdout
        assert run_cli("restore", "-s", serial, env=env).returncode == 0
        assert raw_state(fleet, serial) == before
        assert adb_shell(fleet, serial, "settings get global mobile_data1").strip() == "1"
    finally:
        factory_reset_conditions(fleet, serial)


def test_wifi_states_of_airplane_mode_come_back(fleet, env):
    """wifi_on 3 (off because airplane mode is on, back when it ends) and 2 (on in airplane mode)."""
    serial = serial_of(fleet, "15")
    try:
        for arrival, wifi_on in ((["cmd connectivity airplane-mode enable"], "3"), (["svc wifi enable"], "2")):
            for command in arrival:
                adb_shell(fleet, serial, command)
            before = raw_state(fleet, serial)
            assert before["airplane"] == "1" and before["wifi"] == wifi_on
            for network in ("online", "offline"):
                assert run_cli("state", "set", f"network={network}", "-s", serial, env=env).returncode == 0
                assert run_cli("restore", "-s", serial, env=env).returncode == 0
                assert raw_state(fleet, serial) == before, (wifi_on, network)
        adb_shell(fleet, serial, "cmd connectivity airplane-mode disable")
        assert adb_shell(fleet, serial, "settings get global wifi_on").strip() == "1"  # and Wi-Fi is back on
    finally:
        adb_shell(fleet, serial, "cmd connectivity airplane-mode disable")
        factory_reset_conditions(fleet, serial)


def test_doze_keeps_a_battery_plugged_by_the_same_command(fleet, env):
    """`battery=plugged doze=deep` in one condition: forcing idle works while charging, so the
    doze step does not undo the plug it was given."""
    serial = serial_of(fleet, "14")
    try:
        result = run_cli("state", "set", "battery=plugged", "doze=deep", "-s", serial, env=env)
        assert result.returncode == 0, result.stderr
        state = raw_state(fleet, serial)
        assert "AC powered: true" in state["battery"] and "mState=IDLE" in state["deviceidle"]
        assert run_cli("restore", "-s", serial, env=env).returncode == 0
    finally:
        factory_reset_conditions(fleet, serial)


def test_a_bucket_change_says_it_cannot_be_handed_back(fleet, env):
    serial = serial_of(fleet, "11")
    try:
        result = run_cli("state", "set", "bucket=rare", "-p", PKG, "-s", serial, env=env)
        assert result.returncode == 0, result.stderr
        assert "goes back to bucket active, but as set from the shell" in result.stderr
        assert run_cli("restore", "-s", serial, env=env).returncode == 0
    finally:
        factory_reset_conditions(fleet, serial)
