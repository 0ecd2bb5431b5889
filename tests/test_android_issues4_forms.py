"""Forms of the fourth issues round (tests/samples/corpus/android_issues4.toml), each with real lines of the
capture that showed it, scanned through the real path (detection, pre-filter, interpreter)."""

from __future__ import annotations

from bgprobe.reports.events import Event

from tests.helpers import DEATHS, scan_str


def deaths(events: list[Event]) -> list[tuple[str, str | None, int | None]]:
    return [(e.kind, e.package, e.pid) for e in events if e.kind in DEATHS]


# -- ActivityThread's "Unable to start receiver ...: <throwable>" alone is the app's crash -----------------------

FLUTTER_BG_SERVICE_393 = (
    "Unable to start receiver id.flutter.flutter_background_service.WatchdogReceiver: "
    "java.lang.IllegalStateException: Not allowed to start service Intent { cmp=io.parspack.zaban/"
    "id.flutter.flutter_background_service.BackgroundService }: app is in background uid UidRecord{6aa1b21 u0a168 "
    "RCVR bg:+1m5s28ms idle procs:1 seq(0,0,0)}\n"
    "Android 8 (API 26)\n"
)


def test_an_activity_thread_failure_alone_is_the_apps_crash():
    # ekasetiawans/flutter_background_service#393: the whole text (the file was refused before)
    assert deaths(scan_str(FLUTTER_BG_SERVICE_393)) == [("crash", "io.parspack.zaban", None)]


def test_an_activity_thread_failure_under_its_fatal_exception_is_the_same_crash():
    # nshmura/strictmode-notifier#6: 'Process:' then the RuntimeException it names: one crash, not two
    text = (
        "Process: com.myapp.demo.debug, PID: 1176\n"
        "java.lang.RuntimeException: Unable to create application com.myapp.application.App: "
        "java.lang.IllegalStateException: Not allowed to start service Intent { cmp=com.myapp.demo.debug/"
        "com.nshmura.strictmodenotifier.LogWatchService }: app is in background uid UidRecord{2cde9eb u0a360 CEM  "
        "idle procs:1 seq(0,0,0)}\n"
        "   at android.app.ActivityThread.handleBindApplication(ActivityThread.java:5794)\n"
    )
    assert deaths(scan_str(text)) == [("crash", "com.myapp.demo.debug", 1176)]


def test_a_refused_background_start_alone_is_still_no_crash():
    # the IllegalStateException an app may catch, without ActivityThread's wrapper: no death (s4ysolutions/itag#57)
    text = (
        "java.lang.IllegalStateException: Not allowed to start service Intent { cmp=solutions.s4y.itag/"
        ".ble.ITagsService }: app is in background uid UidRecord{eaefb00 u0a154 SVC  idle change:uncached procs:1 "
        "seq(0,0,0)}\n"
        "       at android.app.ContextImpl.startServiceCommon(ContextImpl.java:1595)\n"
    )
    assert deaths(scan_str(text)) == []


# -- Android Studio's compact view: time, tag, level, message (no date, pid or package) ------------------------

STREETCOMPLETE_2206 = (
    "```\n"
    "18:06:25.661 ActivityManager          E  ANR in de.westnordost.streetcomplete.expert.debug "
    "(de.westnordost.streetcomplete.expert.debug/de.westnordost.streetcomplete.screens.main.MainActivity)\n"
    + " " * 41
    + "PID: 27413\n"
    + " " * 41
    + "Reason: Input dispatching timed out (Waiting to send non-key event because the touched window has not "
    "finished processing certain input events that were delivered to it over 500.0ms ago.  Wait queue length: 28.  "
    "Wait queue head age: 5838.0ms.)\n" + " " * 41 + "Load: 9.15 / 8.43 / 7.98\n"
)


def test_an_anr_in_studios_compact_view_is_read_with_its_pid_and_reason():
    # maplibre/maplibre-native#2206 (refused as an unrecognized format before)
    (anr,) = [e for e in scan_str(STREETCOMPLETE_2206) if e.kind == "anr"]
    assert (anr.package, anr.pid) == ("de.westnordost.streetcomplete.expert.debug", 27413)
    assert anr.data["anr_reason"].startswith("Input dispatching timed out")


# -- a log line quoted in Markdown bold ------------------------------------------------------------------------


def test_a_kill_line_quoted_in_markdown_bold_is_read():
    # AntennaPod/AntennaPod#4806 (refused as an unrecognized format before)
    text = (
        "This line seems the most likely culprit:\n"
        "**ActivityManager: Killing 3774:de.danoeh.antennapod/u0a194 (adj 200): depends on provider "
        "com.termux/.filepicker.TermuxDocumentsProvider in dying proc com.termux (adj 200)**  \n"
    )
    assert deaths(scan_str(text)) == [("process_killed", "de.danoeh.antennapod", 3774)]
