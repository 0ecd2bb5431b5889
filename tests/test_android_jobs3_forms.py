"""Scheduling-round forms (tests/samples/corpus/android_jobs3.toml), each with real lines of the capture
that showed it, scanned through the real path (detection, pre-filter, interpreter)."""

from __future__ import annotations

from bgprobe.reports.events import DEATH_KINDS, Event

from tests.helpers import scan_str

DEATHS = DEATH_KINDS


def deaths(events: list[Event]) -> list[tuple[str, str | None, int | None]]:
    return [(e.kind, e.package, e.pid) for e in events if e.kind in DEATHS]


# -- a RemoteServiceException the system made the app throw is its crash ------------------------------------------

CANAIRIO_178 = (
    "```java\n"
    "android.app.RemoteServiceException$ForegroundServiceDidNotStartInTimeException: Context.startForegroundService()"
    " did not then call Service.startForeground(): ServiceRecord{abb6b47 u0 hpsaturn.pollutionreporter/"
    ".service.RecordTrackService c:hpsaturn.pollutionreporter}\n"
    + " " * 100
    + "\tat android.app.ActivityThread.generateForegroundServiceDidNotStartInTimeException(ActivityThread.java:2298)\n"
    + " " * 100
    + "\tat android.app.ActivityThread.throwRemoteServiceException(ActivityThread.java:2266)\n"
)


def test_a_bare_remote_service_exception_line_is_the_apps_crash():
    assert deaths(scan_str(CANAIRIO_178)) == [("crash", "hpsaturn.pollutionreporter", None)]


def test_an_app_center_reason_of_a_did_not_stop_in_time_exception_is_a_crash():
    text = (
        "### Reason ###\n\n"
        "android.app.RemoteServiceException$ForegroundServiceDidNotStopInTimeException: A foreground service of type"
        " dataSync did not stop within its timeout: ComponentInfo{com.ichi2.anki/"
        "androidx.work.impl.foreground.SystemForegroundService}\n"
        "\tat android.app.ActivityThread.generateForegroundServiceDidNotStopInTimeException(ActivityThread.java:2875)\n"
    )
    assert deaths(scan_str(text)) == [("crash", "com.ichi2.anki", None)]


def test_a_crash_reporters_header_and_its_stack_trace_are_one_crash():
    # A-EDev/Flow#606: the throwable in the header, and again over the stack trace 11 lines later
    text = (
        "Exception: android.app.RemoteServiceException$ForegroundServiceDidNotStartInTimeException\n"
        "Message: Context.startForegroundService() did not then call Service.startForeground(): "
        "ServiceRecord{9d9ee06 u0 io.github.aedev.flow/.service.VideoPlayerService}\n\n"
        "Device Info:\n  Model: 22081283G\n  Manufacturer: Xiaomi\n  Android: 14 (SDK 34)\n  Brand: Redmi\n"
        "  Device: yunluo\n  App Version: 2.1.5 (16)\n\nStack Trace:\n"
        "android.app.RemoteServiceException$ForegroundServiceDidNotStartInTimeException: Context.startForegroundService()"
        " did not then call Service.startForeground(): ServiceRecord{9d9ee06 u0 io.github.aedev.flow/"
        ".service.VideoPlayerService}\n"
        "\tat android.app.ActivityThread.generateForegroundServiceDidNotStartInTimeException(ActivityThread.java:2277)\n"
    )
    assert deaths(scan_str(text)) == [("crash", "io.github.aedev.flow", None)]


# -- "Scheduling restart of crashed service": the process that hosted it died -------------------------------------


def test_a_service_restart_alone_is_the_death_of_its_process():
    # android/codelab-android-workmanager#154: the only sign of the death, then the restart
    text = (
        "08-08 16:54:56.374 W/ActivityManager( 3289): Scheduling restart of crashed service "
        "com.a247software.communicator/androidx.work.impl.background.systemjob.SystemJobService in 1000ms\n"
        "08-08 16:54:56.384 W/ActivityManager( 3289): setHasOverlayUi called on unknown pid: 10636\n"
        "08-08 16:56:30.355 I/ActivityManager( 3289): Start proc 10934:com.a247software.communicator/u0a181 for "
        "service com.a247software.communicator/androidx.work.impl.background.systemjob.SystemJobService\n"
    )
    events = scan_str(text)
    assert deaths(events) == [("process_died", "com.a247software.communicator", None)]
    assert [(e.kind, e.pid) for e in events if e.kind == "process_started"] == [("process_started", 10934)]


def test_the_restart_lines_after_a_told_death_add_none():
    # Rakashazi/emu-ex-plus-alpha#53: one death told by "has died", four services of the package rescheduled
    text = (
        "I/ActivityManager(  863): Process com.huawei.systemmanager:service (pid 29660) has died.\n"
        "W/ActivityManager(  863): Scheduling restart of crashed service "
        "com.huawei.systemmanager/.widget.OnekeyCleanService in 51362ms\n"
        "W/ActivityManager(  863): Scheduling restart of crashed service "
        "com.huawei.systemmanager/.service.MainService in 61361ms\n"
        "W/ActivityManager(  863): Scheduling restart of crashed service "
        "com.huawei.systemmanager/com.huawei.permission.HoldService in 81361ms\n"
    )
    assert deaths(scan_str(text)) == [("process_died", "com.huawei.systemmanager", 29660)]


def test_two_restart_lines_of_one_dead_process_are_one_death():
    # chr56/Phonograph_Plus#141: "Application dead when creating service", then two restarts of the service
    line = (
        "12-28 22:40:05.2{ms}  1431 14518 W ActivityManager: Scheduling restart of crashed service "
        "player.phonograph.plus/player.phonograph.service.MusicService in {delay}ms\n"
    )
    text = line.format(ms="39", delay=1000) + line.format(ms="41", delay=4000)
    assert deaths(scan_str(text)) == [("process_died", "player.phonograph.plus", None)]


def test_a_pending_restart_moved_later_is_no_death():
    # ActiveServices.performScheduleRestartLocked's other caller: restarts already pending, moved on memory pressure
    text = (
        "04-21 10:00:00.000  1702  1702 W ActivityManager: Rescheduling restart of crashed service "
        "com.example.app/.sync.SyncService in 16000ms for config\n"
        "04-21 10:00:00.001  1702  1702 W ActivityManager: Scheduling restart of crashed service "
        "com.example.app/.sync.SyncService in 1000ms for start-requested\n"
    )
    assert deaths(scan_str(text)) == [("process_died", "com.example.app", None)]


# -- a dumpsys jobscheduler excerpt quoted with "> " ----------------------------------------------------------------


def test_a_job_header_quoted_in_markdown_still_names_the_job():
    # transistorsoft/react-native-background-fetch#172: `dumpsys jobscheduler | grep <pkg>`, its first line quoted
    text = (
        "task is listed when checked via command\n\n"
        "> JOB #u0a478/999: 8b2dc7 com.bg_fetch/com.transistorsoft.tsbackgroundfetch.FetchJobService\n"
        "    u0a478 tag=*job*/com.bg_fetch/com.transistorsoft.tsbackgroundfetch.FetchJobService\n"
        "    Source: uid=u0a478 user=0 pkg=com.bg_fetch\n"
        "      Service: com.bg_fetch/com.transistorsoft.tsbackgroundfetch.FetchJobService\n"
    )
    jobs = [(e.kind, e.package, e.job, e.uid) for e in scan_str(text)]
    assert jobs == [("job_scheduled", "com.bg_fetch", "999", "u0a478")]


# -- a dumpsys deviceidle pasted as inline code -------------------------------------------------------------------


def test_deviceidle_settings_behind_an_opening_backtick_are_read():
    # adolfintel/DozeOff#8: "`dumpsys deviceidle` output:" then the dump as inline code, its backtick glued on
    text = (
        "`dumpsys deviceidle` output:\n\n"
        "`  Settings:\n"
        "    light_after_inactive_to=+3m0s0ms\n"
        "    light_pre_idle_to=+3m0s0ms\n"
        "    light_idle_to=+5m0s0ms\n"
    )
    (event,) = scan_str(text)
    assert (event.kind, event.reason) == ("state_changed", "doze:unknown")
    assert event.data["settings"]["light_idle_to"] == "+5m0s0ms"
