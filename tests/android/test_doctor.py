"""`bgprobe doctor PACKAGE` on the simulated phones of every kill policy (Google, Samsung, Xiaomi, Huawei,
OnePlus): the maker's advice for its skin version, the app's recent deaths with their killer, settings
changed by hand through adb read back right, and nothing on the phone changed by doctor itself (its
commands as the phone recorded them, and the phone's state before and after)."""

from __future__ import annotations

import dataclasses
import json
import os
import shlex
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from bgprobe.collectors.android.doctor import is_read

from tests.android.conftest import PKG, serial_of
from tests.android.test_conformance import compile_pattern, covered, documented_commands
from tests.android.test_faults import adb_shell
from tests.helpers import run_cli
from tests.test_terminal_80 import check_screen, in_terminal

RELEASES = ("14", "13", "12", "10", "15", "11", "9")  # the default fleet: one phone per profile


def doctor_json(env: dict[str, str], serial: str, *extra: str) -> dict[str, Any]:
    result = run_cli("doctor", PKG, "-s", serial, "--json", *extra, env=env)
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.splitlines()  # one JSON document on one line
    return json.loads(line)


def facts(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["key"]: f for f in doc["standing"]["facts"]}


def on_phone(fleet, action):  # type: ignore[no-untyped-def]
    """Run `action` on the simulator's loop thread, between two of its scheduler passes."""

    async def run() -> Any:
        return action()

    return fleet.loop.call(run())


@pytest.fixture(scope="module")
def readings(fleet, tmp_path_factory) -> dict[str, dict[str, Any]]:
    """`doctor --json` of the demo app on every phone, read once (in parallel: each is a child process)."""
    env = {
        "ADB_SERVER_SOCKET": f"tcp:127.0.0.1:{fleet.adb_port}",
        "ANDROID_ADB_SERVER_PORT": str(fleet.adb_port),
        "BGPROBE_STATE_DIR": str(tmp_path_factory.mktemp("state")),
        "ANDROID_SERIAL": "",
    }
    serials = {release: serial_of(fleet, release) for release in RELEASES}
    with ThreadPoolExecutor(len(serials)) as pool:
        docs = dict(zip(serials, pool.map(lambda s: doctor_json(env, s), serials.values()), strict=True))
    return docs


# -- the maker's advice, for its skin version ---------------------------------------------------------
MAKERS = {
    # release: (maker, skin read from its props, its entry, a step of that skin version, a step it must not get)
    "14": ("Google", None, None, None, None),
    "15": ("Google", None, None, None, None),
    "12": ("Xiaomi", "MIUI 13", "xiaomi.oem-kill", "Settings › Apps › Manage apps › <app>: Autostart on", "MIUI 14:"),
    "10": ("Huawei", "EMUI 10.1.0", "huawei.oem-kill", "Settings › Battery › App launch", "Protected apps"),
    "13": ("Samsung", "One UI 5.1", "samsung.oem-kill", "Never sleeping apps", "Device care › Battery › ⋮"),
    "11": ("OnePlus", "OxygenOS 11.0.4", "oneplus.oem-kill", "Deep optimization", None),
    # One UI 1 has no ro.build.version.oneui in any capture: the version is unknown, every variant is given
    "9": ("Samsung", None, "samsung.oem-kill", "One UI 1–2: ", None),
}


@pytest.mark.parametrize("release", RELEASES)
def test_each_policys_phone_gets_its_makers_advice(readings, release):
    doc = readings[release]
    maker, skin, entry, step, not_step = MAKERS[release]
    st = doc["standing"]
    assert doc["read_only"] is True
    assert st["manufacturer"] == maker and st["os_version"] == release and st["skin"] == skin
    by_key = facts(doc)
    assert by_key["installed"]["value"] == "yes"
    # every phone: the settings that decide background work, each with a status and where it was read
    for key in ("stopped", "allowlist", "restrict", "bucket", "exact_alarm", "notifications", "saver", "doze"):
        assert by_key[key]["status"] in ("ok", "problem", "limit", "check", "unknown", "n/a"), key
    settings: dict[str, dict[str, Any]] = {}
    for a in doc["verdict"]["settings"]:
        settings.setdefault(a["entry"], a)  # the first advice of an entry has its steps; later ones point up
    if entry is None:  # stock Android: no maker's switches to check
        assert "maker_settings" not in by_key
        assert not any(e.split(".")[0] in ("xiaomi", "samsung", "huawei", "oneplus") for e in settings)
        return
    check = by_key["maker_settings"]
    assert check["status"] == "check" and check["entry"] == entry
    assert ("unknown" in check["value"]) == (skin is None)
    steps = " ".join(settings[entry]["change"])
    assert step in steps, steps
    if not_step:
        assert not_step not in steps, steps


def test_xiaomi_autostart_is_read_from_miuis_own_app_op(readings):
    doc = readings["12"]
    autostart = facts(doc)["autostart"]
    assert autostart["status"] == "problem" and "MIUIOP(10008): ignore" in autostart["value"]
    (advice,) = [a for a in doc["verdict"]["settings"] if a["finding"].startswith("Autostart")]
    assert advice["level"] == "problem" and any("Autostart on" in s for s in advice["change"])
    assert "cmd appops get com.example.syncapp 10008" in doc["standing"]["commands"]
    # never asked of a phone that is not a MIUI/HyperOS one
    assert not any(c.endswith(" 10008") for r in ("14", "13", "10", "11") for c in readings[r]["standing"]["commands"])


def test_version_gated_settings_say_so(readings):
    nine, twelve, fourteen = (facts(readings[r]) for r in ("9", "12", "14"))
    assert nine["exact_alarm"]["status"] == "n/a" and "before Android 12" in nine["exact_alarm"]["value"]
    assert nine["hibernation"]["status"] == "n/a" and twelve["hibernation"]["value"] == "not hibernating"
    assert twelve["notifications"]["status"] == "n/a" and fourteen["notifications"]["status"] == "ok"
    # Android 12: SCHEDULE_EXACT_ALARM with no mode of its own is granted at install; Android 14 denies it
    # by default to apps targeting 13+ (the demo app targets the phone's own API level)
    assert twelve["exact_alarm"]["status"] == "ok"
    assert fourteen["exact_alarm"]["status"] == "problem" and "denied by default" in fourteen["exact_alarm"]["value"]


# -- recent deaths and their killer -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("release", "kill", "reason", "killer_entry"),
    [
        ("12", "oem", "oem:OneKeyClean", "xiaomi.onekeyclean"),
        ("14", "lmkd", "low_memory", "android.lmkd"),
        ("13", "oem", "force_stop", "android.force-stop"),  # Samsung's optimizer force-stops
    ],
)
def test_recent_deaths_are_found_and_their_killer_named(fleet, env, release, kill, reason, killer_entry):
    serial = serial_of(fleet, release)
    device = fleet.device(serial)
    spec = device.jobs[(PKG, 7)]

    def die() -> None:
        device.start_job(spec, forced=True)
        (device.oem_kill if kill == "oem" else device.lmkd_kill)(PKG)

    on_phone(fleet, die)
    try:
        doc = doctor_json(env, serial)
    finally:  # Samsung's force-stop left the app stopped: the phone is the next test's too
        on_phone(fleet, lambda: device.stopped_packages.discard(PKG))
    deaths = doc["standing"]["deaths"]
    assert deaths[0]["reason"] == reason, deaths  # newest first
    if int(release) >= 11:
        assert "exit-info" in deaths[0]["sources"]  # folded with the log lines of the same death
    findings = [f for f in doc["verdict"]["findings"] if f["kind"] == "death" and f["reason"] == reason]
    assert findings and findings[0]["entry_id"] == killer_entry, doc["verdict"]["findings"]
    if release == "12":
        assert findings[0]["by"] == "Xiaomi's OneKeyClean"
        assert any("Lock the app in Recents" in s for s in findings[0]["user_steps"])
    assert doc["verdict"]["headline"].startswith(PKG)


# -- settings changed by hand (through adb, never through bgprobe) are read back right ----------------------
HAND_SET = (
    f"cmd appops set {PKG} RUN_ANY_IN_BACKGROUND ignore",
    f"am set-standby-bucket {PKG} rare",
    f"dumpsys deviceidle whitelist +{PKG}",
    "dumpsys deviceidle force-idle deep",
    f"cmd app_hibernation set-state {PKG} true",
    f"pm revoke {PKG} android.permission.POST_NOTIFICATIONS",
    f"cmd appops set {PKG} SCHEDULE_EXACT_ALARM allow",
)
HAND_RESTORE = (
    f"cmd appops set {PKG} RUN_ANY_IN_BACKGROUND allow",
    f"am set-standby-bucket {PKG} active",
    f"dumpsys deviceidle whitelist -{PKG}",
    "dumpsys deviceidle unforce",
    f"cmd app_hibernation set-state {PKG} false",
    f"pm grant {PKG} android.permission.POST_NOTIFICATIONS",
    f"cmd appops set {PKG} SCHEDULE_EXACT_ALARM default",
)


def test_settings_changed_by_hand_are_reported_with_what_changes_them(fleet, env):
    serial = serial_of(fleet, "14")
    name = fleet.device(serial).profile.serial
    try:
        for command in HAND_SET:
            adb_shell(fleet, serial, command)
        doc = doctor_json(env, serial)
    finally:
        for command in HAND_RESTORE:
            adb_shell(fleet, serial, command)
    f = facts(doc)
    assert f["restrict"]["status"] == "problem" and "RUN_ANY_IN_BACKGROUND ignore" in f["restrict"]["value"]
    assert f["restrict"]["fix"] == f"bgprobe state set restrict=off -p {PKG} -s {name}"
    assert (f["bucket"]["value"], f["bucket"]["status"]) == ("rare", "problem")
    assert f["bucket"]["fix"] == f"bgprobe state set bucket=active -p {PKG} -s {name}"
    assert f["allowlist"]["status"] == "ok" and "the user exempted it" in f["allowlist"]["value"]
    assert f["doze"]["status"] == "problem" and "forced deep idle" in f["doze"]["value"]
    assert f["doze"]["fix"] == f"bgprobe state set doze=off -s {name}"
    assert f["hibernation"]["status"] == "problem"
    assert f["notifications"]["status"] == "limit"
    assert f["exact_alarm"]["status"] == "ok"
    # the verdict names, for each, the bgprobe command and the settings screen
    advice = {a["finding"].split(":")[0]: a for a in doc["verdict"]["settings"]}
    assert advice["background restriction"]["change"][0] == f"`{f['restrict']['fix']}`"
    assert any("Unrestricted" in s for s in advice["background restriction"]["change"][1:])
    assert any("Open the app" in s for s in advice["standby bucket"]["change"])
    assert any("Pause app activity if unused" in s for s in advice["hibernation"]["change"])
    assert advice["background restriction"]["entry"] == "android.background-restricted"
    assert advice["standby bucket"]["entry"] == "android.standby.rare"
    assert doc["verdict"]["summary"].startswith("4 settings on this phone hold")
    # and back as they were: doctor read the restored phone as the restored phone
    again = facts(doctor_json(env, serial))
    assert again["restrict"]["status"] == again["doze"]["status"] == again["hibernation"]["status"] == "ok"
    assert again["bucket"]["value"] == "active" and again["allowlist"]["status"] == "limit"
    assert again["exact_alarm"]["status"] == "problem" and again["notifications"]["status"] == "ok"


# -- read-only: nothing changed, only reads sent ------------------------------------------------------------
def snapshot(fleet, serial: str) -> dict[str, Any]:
    """Everything doctor could change on the phone (its settings, the app's modes and grants), as the phone
    holds it. Processes come and go on their own (the scheduler runs on): not compared."""
    device = fleet.device(serial)

    def read() -> dict[str, Any]:
        state = dataclasses.asdict(device.state)
        state.pop("idle_since")
        return {
            "state": state,
            "buckets": dict(device.buckets),
            "run_any_in_background": dict(device.run_any_in_background),
            "power_allowlist": set(device.power_allowlist),
            "app_ops": dict(device.app_ops),
            "runtime_granted": {k: set(v) for k, v in device.runtime_granted.items()},
            "hibernating": set(device.hibernating),
            "stopped": set(device.stopped_packages),
            "overrides": {k: j.override for k, j in device.jobs.items()},
        }

    return on_phone(fleet, read)


@pytest.mark.parametrize("release", ["12", "14"])
def test_doctor_changes_nothing_and_sends_only_documented_reads(fleet, env, release):
    serial = serial_of(fleet, release)
    backend = fleet.servers[serial].backend
    before = snapshot(fleet, serial)
    backend.commands.clear()
    doctor_json(env, serial)
    assert run_cli("doctor", PKG, "-s", serial, env=env).returncode == 0
    sent = list(backend.commands)
    assert snapshot(fleet, serial) == before
    assert len(sent) > 15
    mutating = {
        "set",
        "put",
        "force-idle",
        "force-inactive",
        "unforce",
        "step",
        "unplug",
        "reset",
        "svc",
        "broadcast",
        "force-stop",
        "kill",
        "grant",
        "revoke",
        "enable",
        "disable",
        "set-standby-bucket",
        "set-mode",
        "set-state",
        "clear",
    }
    for command in sent:
        words = shlex.split(command)
        assert is_read(words), command
        assert not mutating & set(words), command
        assert not any(w[:1] in "+=" or w == f"-{PKG}" for w in words), command  # no allowlist change
    patterns = [compile_pattern(c) for c in documented_commands()]
    assert [c for c in set(sent) if not covered(c, patterns)] == []


# -- output, exit codes --------------------------------------------------------------------------------------
def test_json_is_valid_and_redacted_on_request(fleet, env, readings):
    serial = serial_of(fleet, "12")
    name = fleet.device(serial).profile.serial
    doc = readings["12"]
    assert doc["standing"]["name"] == name and doc["verdict"]["summary"] and doc["standing"]["commands"]
    text = json.dumps(doctor_json(env, serial, "--redact"))
    assert name not in text and serial not in text and "<serial>" in text
    assert PKG in text  # package names are kept: the diagnosis is made of them


def test_a_missing_package_exits_2_with_close_names(fleet, env):
    serial = serial_of(fleet, "14")
    result = run_cli("doctor", "com.example.syncap", "-s", serial, env=env)
    assert result.returncode == 2
    assert result.stderr.startswith("bgprobe: com.example.syncap is not installed")
    assert "close names: com.example.syncapp" in result.stderr
    bad = run_cli("doctor", "not a package", "-s", serial, env=env)
    assert bad.returncode == 2 and "not a valid Android package name" in bad.stderr


def test_no_device_exits_3(fleet, env):
    missing = run_cli("doctor", PKG, "-s", "sim-nosuch-01", env=env)
    assert missing.returncode == 3 and "device sim-nosuch-01 not found" in missing.stderr
    unreachable = run_cli("doctor", PKG, "--adb-server", "127.0.0.2:1", env=env)
    assert unreachable.returncode == 3 and "not reachable" in unreachable.stderr


def test_html_is_one_redacted_page_unless_no_redact(fleet, env, tmp_path):
    serial = serial_of(fleet, "12")
    name = fleet.device(serial).profile.serial
    page = tmp_path / "doctor.html"
    result = run_cli("doctor", PKG, "-s", serial, "--html", str(page), env=env)
    assert result.returncode == 0, result.stderr
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "default-src 'none'" in html  # loads nothing from anywhere
    assert name not in html and serial not in html and "&lt;serial&gt;" in html
    assert PKG in html and "MIUIOP(10008): ignore" in html and "Settings that hold it back" in html
    assert 'id="verdict-section"' in html  # the verdict section of `scan --html`
    plain = tmp_path / "plain.html"
    assert run_cli("doctor", PKG, "-s", serial, "--html", str(plain), "--no-redact", env=env).returncode == 0
    assert name in plain.read_text(encoding="utf-8")
    # a directory is refused before the phone is read
    backend = fleet.servers[serial].backend
    backend.commands.clear()
    refused = run_cli("doctor", PKG, "-s", serial, "--html", str(tmp_path), env=env)
    assert refused.returncode == 2 and "--html" in refused.stderr
    assert not [c for c in backend.commands if PKG in c]


def test_doctor_fits_80_columns(fleet, env):
    serial = serial_of(fleet, "12")
    base = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR")}
    code, lines = in_terminal(["doctor", PKG, "-s", serial], {**base, **env, "TERM": "xterm-256color"})
    assert code == 0
    check_screen(lines, [PKG, fleet.device(serial).profile.serial, "MIUIOP(10008): ignore", "MIUI 13"])
    screen = "\n".join(lines)
    for heading in ("Standing", "Settings that hold it back", f"Verdict for {PKG}"):
        assert heading in screen


def test_battery_optimization_advice_does_not_say_the_phone_is_dozing(readings):
    # The Doze entry's title ("The phone is in Doze …") describes a state; the phones here are awake and
    # charging, so the advice for an optimized app says what optimization means instead.
    doc = readings["12"]
    assert facts(doc)["doze"]["status"] == "ok"
    (advice,) = [a for a in doc["verdict"]["settings"] if a["finding"].startswith("battery optimization")]
    assert advice["title"].startswith("Whenever the phone dozes"), advice
    assert "The phone is in Doze" not in advice["title"]
