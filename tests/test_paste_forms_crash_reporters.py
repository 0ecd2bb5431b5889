"""Crash reporters' texts, app logs that print exit reasons and an on-device viewer's layout, each with a few real
lines of the capture in tests/samples/corpus/android_aosp/ that showed it (the second Android round of
2026-11-30), scanned through the real path (detection, wrap detection, paste unwrapping, interpreter). Each test
failed on the code before its fix."""

from __future__ import annotations

from pathlib import Path

from bgprobe.collectors.parsers.exitinfo import event_from_tostring

from tests.helpers import scan

# ICS OpenVPN's log (exitinfo_tostring_app_log_same_length_lines_openvpn_magisk421): its UI record twice, the same
# length each time, then the service's record.
_OPENVPN = (
    "2025-07-13 12:47:23 Reread (1) log items from log cache file\n"
    + "2025-07-13 12:52:48 Last exit reason reported by Android for UI Process: ApplicationExitInfo(timestamp=13/07"
    "/2025, 12:52 pm pid=30802 realUid=10527 packageUid=10527 definingUid=10527 user=0 process=de.blinkt.openvpn "
    "reason=3 (LOW_MEMORY) subreason=0 (UNKNOWN) status=0 importance=400 pss=0.00 rss=72MB description=null "
    "state=empty trace=null\n"
    * 2
    + "2025-07-13 12:52:49 Last exit reason reported by Android for Service Process: ApplicationExitInfo(timestamp="
    "13/07/2025, 12:52 pm pid=30816 realUid=10527 packageUid=10527 definingUid=10527 user=0 process=de.blinkt."
    "openvpn:openvpn reason=13 (OTHER KILLS BY SYSTEM) subreason=0 (UNKNOWN) status=0 importance=400 pss=0.00 "
    "rss=44MB description=Chimera #0 state=empty trace=null\n"
)


def _scan(tmp_path: Path, text: str) -> list[tuple[object, ...]]:
    path = tmp_path / "paste.txt"
    path.write_text(text, encoding="utf-8")
    events, outcome = scan(path)
    assert outcome.usable, [p.message for p in outcome.problems]
    return [(e.kind, e.package, e.process, e.pid, e.reason) for e in events]


def test_app_log_lines_that_start_with_a_date_are_no_hard_wrap(tmp_path: Path) -> None:
    # Lines no layout reads, two exactly as long as each other: they were taken for a log hard-wrapped at that width
    # and the service's record was joined onto the line before it (lost).
    assert _scan(tmp_path, _OPENVPN) == [
        ("process_killed", "de.blinkt.openvpn", "de.blinkt.openvpn", 30802, "low_memory"),
        ("process_killed", "de.blinkt.openvpn", "de.blinkt.openvpn", 30802, "low_memory"),
        ("process_killed", "de.blinkt.openvpn", "de.blinkt.openvpn:openvpn", 30816, "oem:Chimera #N"),
    ]
    # the same lines with the digits of a Persian locale in their date and time
    persian = _OPENVPN.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")).replace("pid=۳۰۸۰۲", "pid=30802")
    persian = (
        persian.replace("pid=۳۰۸۱۶", "pid=30816")
        .replace("reason=۱۳ (", "reason=13 (")
        .replace("reason=۳ (", "reason=3 (")
    )
    assert [e[3] for e in _scan(tmp_path, persian)] == [30802, 30802, 30816]


def test_syncthing_viewer_lines_with_the_time_glued_to_the_level(tmp_path: Path) -> None:
    # crash_fgs_time_limit_time_glued_level_syncthing1264: the file was refused as unrecognized.
    text = (
        "02:07:39E/AndroidRuntime FATAL EXCEPTION: main\n"
        "02:07:39E/AndroidRuntime Process: com.github.catfriend1.syncthingandroid, PID: 29148\n"
        "02:07:39E/AndroidRuntime java.lang.RuntimeException: Unable to start service com.nutomic.syncthingandroid"
        ".service.SyncthingService@7c66be0 with null: android.app.ForegroundServiceStartNotAllowedException: Time "
        "limit already exhausted for foreground service type dataSync\n"
        "02:07:39E/AndroidRuntime \tat android.app.ActivityThread.handleServiceArgs(ActivityThread.java:5246)\n"
    )
    pkg = "com.github.catfriend1.syncthingandroid"
    assert _scan(tmp_path, text) == [("crash", pkg, pkg, 29148, "java_exception")]


def test_a_refused_foreground_service_names_the_app_on_the_next_line(tmp_path: Path) -> None:
    # crash_fgs_not_allowed_crashlytics_service_line_filedownloader1412: ActiveServices' "... mAllowStartForeground
    # false: service <pkg>/<class>", cut after its colon by the report.
    text = (
        "Fatal Exception: android.app.ForegroundServiceStartNotAllowedException: startForegroundService() not "
        "allowed due to mAllowStartForeground false:\n"
        "service messenger.MainActivity.launcher.home.screen/com.liulishuo.filedownloader.services.FileDownloadServ"
        "ice$SharedMainProcessService\n"
        "    at android.app.ForegroundServiceStartNotAllowedException$1.createFromParcel(ForegroundServiceStartNotAl"
        "lowedException.java:54)\n"
    )
    assert _scan(tmp_path, text) == [
        ("crash", "messenger.MainActivity.launcher.home.screen", None, None, "java_exception")
    ]


def test_a_crash_reports_line_that_reads_as_level_and_tag_is_part_of_the_report(tmp_path: Path) -> None:
    # crash_fgs_did_not_stop_crashlytics_componentinfo_bgdownloader599: "A foreground service ...: ComponentInfo{..."
    # read as an `L Tag: msg` line (level A) was no line of the report, and the app went unnamed.
    text = (
        "Fatal Exception: android.app.RemoteServiceException$ForegroundServiceDidNotStopInTimeException\n"
        "A foreground service of type dataSync did not stop within its timeout: ComponentInfo{com.godzinazero."
        "godzina_zero/androidx.work.impl.foreground.SystemForegroundService}\n"
        "android.app.ActivityThread.generateForegroundServiceDidNotStopInTimeException (ActivityThread.java:2534)\n"
    )
    assert _scan(tmp_path, text) == [("crash", "com.godzinazero.godzina_zero", None, None, "java_exception")]


def test_a_crashlytics_non_fatal_exception_is_read_and_is_no_crash(tmp_path: Path) -> None:
    # negative_crashlytics_non_fatal_fgs_did_not_call_rhasspy475: refused as unrecognized before.
    text = (
        "Non-fatal Exception: android.app.RemoteServiceException: Context.startForegroundService() did not then call "
        "Service.startForeground()\n"
        "       at android.app.ActivityThread$H.handleMessage(ActivityThread.java:1808)\n"
        "       at android.os.Handler.dispatchMessage(Handler.java:106)\n"
    )
    assert _scan(tmp_path, text) == []


def test_an_exit_record_of_other_kills_with_no_subreason_is_read_by_its_description() -> None:
    # The OpenVPN service's record: REASON_OTHER, SUBREASON_UNKNOWN, description "Chimera #0" (the text Samsung's
    # killer gave ProcessRecord.killLocked, as ActivityManager logs it): it was read as a plain "other".
    line = _OPENVPN.splitlines()[-1]
    event = event_from_tostring(line, "paste.txt", 4)
    assert event is not None and (event.pid, event.reason) == (30816, "oem:Chimera #N")
    assert event.data["description"] == "Chimera #0" and event.data["reason_name"] == "OTHER"
    # an AOSP text there reads as ActivityManager's does; a subreason, when there is one, still comes first
    assert event_from_tostring(line.replace("Chimera #0", "empty #17"), "paste.txt", 4).reason == "too_many_empty"
    sub = line.replace("subreason=0 (UNKNOWN)", "subreason=24 (KILL BACKGROUND)")
    assert event_from_tostring(sub, "paste.txt", 4).reason == "kill_background"
