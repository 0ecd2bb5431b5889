"""Makers' kill and death lines found in the third round of captures (tests/samples/corpus/android_oem3.toml), each
with real lines of the capture that showed it, scanned through the real path (detection, pre-filter, interpreter).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bgprobe.collectors.inputs.textscan import scan_text
from bgprobe.collectors.parsers.kill_reasons import normalize_am_kill_reason, stopped_package
from bgprobe.reports.events import Event


def scan_lines(tmp_path: Path, text: str) -> list[Event]:
    path = tmp_path / "paste.txt"
    path.write_text(text, encoding="utf-8")
    with path.open("rb") as f:
        return list(scan_text(f, "paste.txt", None))


def fields(events: list[Event], *names: str) -> list[tuple[Any, ...]]:
    return [tuple(getattr(e, n) for n in names) for e in events]


# lcodecorex/KeepAlive#4 (EMUI, Android 8.0): the force-stop, its kill of the app's daemon process and EMUI's clean-up
KEEPALIVE4 = (
    "2020-05-11 01:29:49.245 1145-1640/? I/ActivityManager: Force stopping com.boolbird.keepalive appid=10016 "
    "user=0: from pid 14714by app\n"
    "2020-05-11 01:29:49.246 1145-1640/? I/ActivityManager: Killing 14536:android.process.daemon/u0a16 (adj 500): "
    "stop com.boolbird.keepalivefrom pid 14714by app\n"
    "2020-05-11 01:29:49.249 1145-1640/? D/ActivityManager: cleanUpApplicationRecord app: "
    "ProcessRecord{a99c3c1 14536:android.process.daemon/u0a16}, app.bad: false, restarting: false, allowRestart: true\n"
)


def test_emui_glued_stop_text_is_the_force_stop_it_follows():
    # EMUI writes "stop " + package + the force-stop's cause, nothing between them: a force-stop, not a task manager's
    text = "stop com.boolbird.keepalivefrom pid 14714by app"
    assert normalize_am_kill_reason(text) == "force_stop"
    assert stopped_package(text) == "com.boolbird.keepalive"
    # the other forms name their package too; a stop of a user names none
    assert stopped_package("stop im.vector.app.debug,MARs #1") == "im.vector.app.debug"
    assert stopped_package("reason: installPackageLI, stop me.piebridge.brevent") == "me.piebridge.brevent"
    assert stopped_package("stop com.x due to from pid 4473") == "com.x"
    assert stopped_package("stop user 10") is None


def test_a_force_stopped_apps_process_named_after_no_package_is_the_apps(tmp_path: Path):
    events = scan_lines(tmp_path, KEEPALIVE4)
    assert fields(events, "kind", "process", "package", "pid", "reason") == [
        ("process_killed", "com.boolbird.keepalive", "com.boolbird.keepalive", None, "force_stop"),
        ("process_killed", "android.process.daemon", "com.boolbird.keepalive", 14536, "force_stop"),
        ("process_died", "android.process.daemon", "com.boolbird.keepalive", 14536, None),
    ]


def test_a_process_of_another_uid_killed_by_the_force_stop_stays_its_own(tmp_path: Path):
    # The same lines with the daemon under another uid (u0a17): a process of another app that loads the stopped
    # package's code (ProcessList.killPackageProcessesLocked kills those too) is no process of the stopped app.
    events = scan_lines(tmp_path, KEEPALIVE4.replace("/u0a16", "/u0a17"))
    assert fields(events, "package", "pid") == [
        ("com.boolbird.keepalive", None),
        ("android.process.daemon", 14536),
        ("android.process.daemon", 14536),
    ]
