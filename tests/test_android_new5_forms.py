"""Forms of the fifth round on Android 14-16 (tests/samples/corpus/android_new5.toml), each with real lines of the
capture that showed it, scanned through the real path (detection, pre-filter, interpreter)."""

from __future__ import annotations

from bgprobe.reports.events import Event

from tests.helpers import DEATHS, TESTS, scan, scan_str

CORPUS = TESTS / "samples" / "corpus" / "android_new5"


def deaths(events: list[Event]) -> list[tuple[str, str | None, int | None]]:
    return sorted((e.kind, e.package, e.pid) for e in events if e.kind in DEATHS)


# -- AndroidRuntime's "Process: <app>, PID: N" with no "FATAL EXCEPTION" above it (a paste that began there) -------

SYNCTHING_1328 = (
    "```\n"
    "03-31 22:35:16.852 11056 11056 E AndroidRuntime: Process: com.github.catfriend1.syncthingandroid, PID: 11056\n"
    "03-31 22:35:16.852 11056 11056 E AndroidRuntime: android.app.RemoteServiceException$"
    "ForegroundServiceDidNotStopInTimeException: A foreground service of type dataSync did not stop within its "
    "timeout: ComponentInfo{com.github.catfriend1.syncthingandroid/com.nutomic.syncthingandroid.service."
    "SyncthingService}\n"
    "03-31 22:35:16.923  1605  6987 I ActivityManager: Process com.github.catfriend1.syncthingandroid (pid 11056) "
    "has died: prcp FGS \n"
    "```\n"
)


def test_a_crash_pasted_from_its_process_line_is_the_apps_crash():
    # Catfriend1/syncthing-android#1328 (Android 15): the crash and the death ActivityManager told after it
    pkg = "com.github.catfriend1.syncthingandroid"
    assert deaths(scan_str(SYNCTHING_1328)) == [("crash", pkg, 11056), ("process_died", pkg, 11056)]


def test_the_process_line_under_its_fatal_exception_is_still_one_crash():
    # the same lines with RuntimeInit's first line before them: the FATAL EXCEPTION's record takes the Process line
    fatal = "03-31 22:35:16.852 11056 11056 E AndroidRuntime: FATAL EXCEPTION: main\n"
    text = SYNCTHING_1328.replace("```\n", "```\n" + fatal, 1)
    pkg = "com.github.catfriend1.syncthingandroid"
    assert deaths(scan_str(text)) == [("crash", pkg, 11056), ("process_died", pkg, 11056)]


def test_a_process_line_without_its_throwable_is_no_crash():
    # the header alone (a paste cut after it) tells no crash yet: the report is one once its throwable is seen
    text = "```\n" + SYNCTHING_1328.splitlines(keepends=True)[1] + "```\n"
    assert deaths(scan_str(text)) == []


# -- ActivityThread's failure logged by the app's crash reporter: one threadtime line between paragraphs ------------

OSMEDITOR_2630 = (
    "With the fixes for https://github.com/MarcusWolschon/osmeditor4android/issues/2628 starting GPX recording, "
    "results in\n"
    "\n"
    "07-25 15:51:18.163  2232  2232 E ACRA    : java.lang.RuntimeException: Unable to start service "
    "de.blau.android.services.TrackerService@e887149 with Intent { cmp=de.blau.android/.services.TrackerService "
    "(has extras) }: java.lang.SecurityException: Starting FGS with type location callerApp=ProcessRecord{f2e31d0 "
    "2232:de.blau.android/u0a141} targetSDK=34 requires permissions: all of the permissions allOf=true "
    "[android.permission.FOREGROUND_SERVICE_LOCATION] any of the permissions allOf=false "
    "[android.permission.ACCESS_COARSE_LOCATION, android.permission.ACCESS_FINE_LOCATION]  and the app must be in the "
    "eligible state/exemptions to access the foreground only permission\n"
    "\n"
    "See also https://github.com/MarcusWolschon/osmeditor4android/issues/2595\n"
)


def test_an_activity_thread_failure_a_crash_reporter_logged_between_paragraphs_is_the_apps_crash():
    # MarcusWolschon/osmeditor4android#2630 (Android 14's foreground-service types): ACRA's line, the process's own
    assert deaths(scan_str(OSMEDITOR_2630)) == [("crash", "de.blau.android", 2232)]


def test_the_same_failure_under_its_fatal_exception_between_paragraphs_is_one_crash():
    # AndroidRuntime's copy of the same crash, with its FATAL EXCEPTION and Process lines: one crash, not two
    line = OSMEDITOR_2630.splitlines()[2]
    fatal = line.split(" E ACRA    : ")[0]
    text = (
        "It crashes:\n\n"
        f"{fatal} E AndroidRuntime: FATAL EXCEPTION: main\n"
        f"{fatal} E AndroidRuntime: Process: de.blau.android, PID: 2232\n"
        + line.replace(" E ACRA    : ", " E AndroidRuntime: ")
        + "\n\nAny idea?\n"
    )
    assert deaths(scan_str(text)) == [("crash", "de.blau.android", 2232)]


# -- Android 14's am_unfreeze: [pid, process, reason] ------------------------------------------------------------

LIMXTOP_BLOG = (
    "```bash\n"
    "42055:02-15 22:11:28.871  1622  1965 I am_unfreeze: [27271,com.google.android.adservices.api,6]\n"
    "42081:02-15 22:11:28.935  1622  1965 I am_unfreeze: [23781,com.android.vending,6]\n"
    "```\n"
)


def test_an_unfreeze_event_with_its_reason_names_the_process_without_it():
    # limxtop1989/blog's egrep -n output: CachedAppOptimizer.reportUnfreeze's third field is the reason code
    events = [e for e in scan_str(LIMXTOP_BLOG) if e.kind == "state_changed"]
    assert [(e.process, e.pid, e.reason, e.data.get("unfreeze_reason")) for e in events] == [
        ("com.google.android.adservices.api", 27271, "unfrozen", 6),
        ("com.android.vending", 23781, "unfrozen", 6),
    ]


def test_an_unfreeze_event_of_android_13_still_reads():
    # the two fields of Android 11-13 (pid, process): no reason
    events = scan_str("I am_unfreeze: [23781,com.android.vending]\nI am_freeze: [23781,com.android.vending]\n")
    assert [(e.process, e.pid, e.reason) for e in events] == [
        ("com.android.vending", 23781, "unfrozen"),
        ("com.android.vending", 23781, "frozen"),
    ]


# -- Samsung lmkd's "Reclaim" line is its kill ------------------------------------------------------------------------

SAMSUNG_RECLAIM = (
    "01-01 15:11:14.049   879   879 I lmkd    : Reclaim 'com.samsung.android.scpm' (31960), uid 5009, oom_score_adj "
    "915, state 19 to free 18184kB rss, 52268kB swap; reason: low watermark is breached and swap is low (5818388kB < "
    "838860kB)"
)


def test_samsung_lmkds_reclaim_line_is_a_low_memory_kill_with_its_sizes_and_reason():
    # flutter/flutter#161070 (One UI): fed to the interpreter as the scan does once the line is selected
    from bgprobe.collectors.parsers.android_log import LogInterpreter
    from bgprobe.collectors.parsers.logcat import YearHint, parse_line

    interp = LogInterpreter(where="paste")
    (kill,) = interp.feed(parse_line(SAMSUNG_RECLAIM, 1, YearHint(None)))
    assert (kill.kind, kill.process, kill.pid, kill.uid, kill.reason) == (
        "process_killed",
        "com.samsung.android.scpm",
        31960,
        "5009",
        "low_memory",
    )
    assert kill.data["rss_kb"] == 18184 and kill.data["swap_kb"] == 52268 and kill.data["proc_state"] == 19
    assert kill.data["lmkd_reason"].startswith("low watermark is breached and swap is low")


def test_samsung_lmkds_reclaim_lines_are_selected_and_read_in_a_scan():
    # The whole capture through the scan's own path: the pre-filter selects "Reclaim '" (it did not when the rule
    # came), so both of lmkd's kills are read as its kills, beside ActivityManager's four deaths.
    capture = "n5_lmkd_samsung_reclaim_state_swap_low_has_died_counts_threadtime_fence_flutter161070.txt"
    events, outcome = scan(CORPUS / capture)
    assert outcome.usable
    kills = [(e.source, e.pid, e.reason) for e in events if e.kind == "process_killed"]
    assert kills == [("lmkd", 31960, "low_memory"), ("lmkd", 31464, "low_memory")]


# -- Google Play Console's crash page copied: "Exception <throwable>:" ------------------------------------------------


def test_a_play_console_crash_copy_is_the_apps_crash():
    # Open-Vehicle-Android#210: "Exception android.app.RemoteServiceException$ForegroundServiceDidNotStopInTimeException:"
    # then its frames, in a fence. It was refused as no known format (no pre-filter word selected the line).
    events, outcome = scan(
        CORPUS / "n5_crash_fgs_did_not_stop_play_console_no_message_fence_android16_openvehicles210.txt"
    )
    assert outcome.usable
    (crash,) = [e for e in events if e.kind in DEATHS]
    assert (crash.kind, crash.source, crash.reason) == ("crash", "crash-report", "java_exception")
    assert crash.data["exception"] == "android.app.RemoteServiceException$ForegroundServiceDidNotStopInTimeException"


def test_a_play_console_header_needs_a_throwable_after_exception():
    # bitkit-android#981's header and frame read as the crash; the same opener in a sentence names no throwable.
    text = (
        "The app crashes in the background.\n"
        "Exception handling in the service was rewritten: it did not help\n"
        "Exception java.lang.RuntimeException:\n"
        "  at android.app.ActivityThread.handleCreateService (ActivityThread.java:5929)\n"
        "It happens on Android 15 only.\n"
        "Nothing else is in the log.\n"
    )
    (e,) = [e for e in scan_str(text) if e.kind in DEATHS]
    assert (e.data["exception"], e.where) == ("java.lang.RuntimeException", "paste.txt:3")
