"""Logs as people paste them (issue 11): each form with a few real lines from the capture in
tests/samples/corpus/ that showed it, scanned through the real path (detection, pre-filter, paste
unwrapping, interpreter). Also `scan --unrecognized` and the summary's count, through the real CLI.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from bgprobe.collectors.errors import InputError
from bgprobe.collectors.inputs.textscan import scan_text
from bgprobe.collectors.parsers.paste import readings, unwrap
from bgprobe.reports.events import Event

from tests.helpers import TESTS, invoke, scan


def scan_lines(tmp_path: Path, text: str) -> tuple[list[Event], list[tuple[str, str]]]:
    """Events and unrecognized (where, text) of a pasted text, read as a file."""
    path = tmp_path / "paste.txt"
    path.write_text(text, encoding="utf-8")
    unrecognized: list[tuple[str, str]] = []
    with path.open("rb") as f:
        events = list(scan_text(f, "paste.txt", None, on_unrecognized=lambda w, t: unrecognized.append((w, t))))
    return events, unrecognized


def fields(events: list[Event], *names: str) -> list[tuple[Any, ...]]:
    return [tuple(getattr(e, n) for n in names) for e in events]


# -- unwrapping ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pasted", "logical"),
    [
        # oppo_processmanager_not_skip: a "> " quote, nested quotes
        ("> 10-06 17:28:37.085: D/OppoProcessManager(902): Do", ["10-06 17:28:37.085: D/OppoProcessManager(902): Do"]),
        ("> > I/Tag( 1): x", ["I/Tag( 1): x"]),
        # meizu_flyme_install_kill_reason: a fence glued to the first log line
        (
            "```01-31 14:55:22.886  2957  2975 I ActivityManager: x",
            ["01-31 14:55:22.886  2957  2975 I ActivityManager: x"],
        ),
        # wm_result_inline_code_prose: a log line in inline code inside a sentence
        (
            "I get the fail `I/WM-WorkerWrapper(25984): Worker result FAILURE for Work` when I try",
            ["I/WM-WorkerWrapper(25984): Worker result FAILURE for Work"],
        ),
        # crash_fgs_autolinked_markdown: names auto-linked by a chat app
        (
            "Process: [com.f0x1d.logfox](http://com.f0x1d.logfox/), PID: [7467](tel:7467)",
            ["Process: com.f0x1d.logfox, PID: 7467"],
        ),
        # huawei_hsm_onprocessdied: a CI tool's stray leading comma
        (
            ",I/HwSystemManager( 3987): BgPowerManagerService:onProcessDied uid = 10041",
            ["I/HwSystemManager( 3987): BgPowerManagerService:onProcessDied uid = 10041"],
        ),
        # a kernel line with its priority and no [seconds]
        ("<6>lowmemorykiller: Killing 'x' (1), adj 1000,", ["lowmemorykiller: Killing 'x' (1), adj 1000,"]),
        # HTML escapes, an arrow
        ("--&gt; Process: a.b, PID: 1", ["Process: a.b, PID: 1"]),
        # exitinfo_tostring_json_array: a JSON string (and one holding two lines)
        ('    "ApplicationExitInfo(timestamp=x pid=1",', ["ApplicationExitInfo(timestamp=x pid=1"]),
        ('{"log": "line one\\nline \\"two\\""}', ["line one", 'line "two"']),
        # indentation after the wrappers is kept: it marks a continuation line
        ("> " + " " * 4 + "PID: 22366", ["    PID: 22366"]),
        # am_force_stop_json_strings_one_line: a JSON array of log lines on one line, each string ending in an
        # escaped newline, the excerpt begun inside a string and the array's end followed by more JSON
        (
            'x/u0a79 (adj 0): stop a.b\\n","ActivityManager: Force stopping a.b appid=1 user=0: from pid 2\\n",'
            '"ActivityManager: Killing 3:a.b/u0a1 (adj 0): stop \\"a.b\\"\\n"],"model":"x"}',
            [
                "x/u0a79 (adj 0): stop a.b",
                "ActivityManager: Force stopping a.b appid=1 user=0: from pid 2",
                'ActivityManager: Killing 3:a.b/u0a1 (adj 0): stop "a.b"',
            ],
        ),
    ],
)
def test_unwrap(pasted: str, logical: list[str]):
    assert unwrap(pasted) == logical


def test_readings_strip_grep_prefixes_and_find_embedded_lines():
    # anr_grep_n_prefix (grep -n) and oneplus_linkpower_grep_prefixed (grep -n over a named file)
    assert "08-29 14:13:11.713363  7904 27946 E ActivityManager: ANR in x" in readings(
        "8367:08-29 14:13:11.713363  7904 27946 E ActivityManager: ANR in x"
    )
    assert "06-15 11:36:00.035 I/LinkPower( 3334): x" in readings(
        "~/appiumdebug/14a.log:466: 06-15 11:36:00.035 I/LinkPower( 3334): x"
    )
    # another tool's own timestamp before a logcat line
    assert "01-02 10:00:00.000  1  2 I ActivityManager: x" in readings(
        "[2024-01-02 10:00:01] [ADB] 01-02 10:00:00.000  1  2 I ActivityManager: x"
    )


# -- AOSP and WorkManager forms --------------------------------------------------------------


def test_event_log_payload_wrapped_onto_the_next_line(tmp_path: Path):
    # events_am_kill_wrapped_vancedmanager: every "[...]" on the line after "): "
    text = (
        "07-04 00:08:36.685 I/wm_task_moved( 1192): [112,1,0]\n"
        "07-04 00:08:37.443 I/am_kill ( 1192): \n"
        "[0,3034,com.google.android.gms.unstable,906,empty #17]\n"
        "07-04 00:08:37.465 I/am_proc_died( 1192): \n"
        "[0,3034,com.google.android.gms.unstable]\n"
    )
    events, _ = scan_lines(tmp_path, text)
    assert fields(events, "kind", "pid", "reason") == [
        ("process_killed", 3034, "too_many_empty"),
        ("process_died", 3034, None),
    ]
    assert events[0].ts is not None and events[0].ts.endswith("00:08:37.443")


def test_grep_n_prefix_and_the_window_manager_side_of_an_anr(tmp_path: Path):
    # anr_grep_n_prefix_bg_anr_kill_linjw: WindowManager's "ANR in Window{...}" is the same ANR
    text = (
        "```\n"
        "7696:08-29 14:12:59.564898  7904  8341 I WindowManager: ANR in Window{3b0709 u0 me.linjw.demo.anr}. Reason:x\n"
        "8367:08-29 14:13:11.713363  7904 27946 E ActivityManager: ANR in me.linjw.demo.anr\n"
        "```\n"
    )
    events, unrecognized = scan_lines(tmp_path, text)
    assert fields(events, "kind", "package") == [("anr", "me.linjw.demo.anr")]
    assert unrecognized == []


def test_bare_anr_message_with_its_indented_fields(tmp_path: Path):
    # anr_bare_message_studio_indent_rethink: Studio's message column only
    pad = " " * 100
    text = f"```\nANR in com.celzero.bravedns (com.celzero.bravedns/.ui.activity.NetworkLogsActivity)\n{pad}PID: 22366\n{pad}Reason: Input dispatching timed out\n"
    events, _ = scan_lines(tmp_path, text)
    assert fields(events, "kind", "package", "pid") == [("anr", "com.celzero.bravedns", 22366)]


def test_a_logcat_line_among_other_output(tmp_path: Path):
    # lmkd_kill_terminal_wrapped_unit_test_stress: one logcat line in a test's wrapped output
    text = (
        "lmkd_unit_test\n[  INFO ] system/memory/lmkd/tests/lmkd_te\nst.cpp:265:: Child [pid=6870] allocated 27\n"
        "63MB before being killed          \n"
        "07-31 02:28:31.588   152   152 I lowmemorykiller: Kill './lmkd_unit_test' (6870), uid 0, oom_score_adj 1000 "
        "to free 2740708kB rss, 90208kB swap; reason: low watermark is breached and swap is low (144184kB < 267412kB)     \n"
    )
    events, _ = scan_lines(tmp_path, text)
    assert fields(events, "kind", "pid", "uid") == [("process_killed", 6870, "0")]


def test_an_indented_code_block_is_logcat(tmp_path: Path):
    # binder_frozen_reply_indented_bcr: nothing died, but the file is read (not "unrecognized")
    text = "    W/libbinder.IPCThreadState(27223): Transaction failed because process frozen.\n    I/binder  (27302): 27302:27223 dead process or thread\n"
    assert scan_lines(tmp_path, text) == ([], [])


def test_phantom_process_records(tmp_path: Path):
    # dumpsys_phantom_records_killed_false_termux: killed=false is no kill
    record = "    proc #21: PhantomProcessRecord {41e29d1 14910:3461:logcat/u0a164}\n"
    state = "      user #0 uid=10164 pid=14910 ppid=3461 knownSince=-3h57m28s448ms killed={}\n"
    assert scan_lines(tmp_path, "```\n" + record + state.format("false"))[0] == []
    events, _ = scan_lines(tmp_path, "```\n" + record + state.format("true"))
    assert fields(events, "kind", "pid", "process", "reason") == [
        ("process_killed", 14910, "logcat", "phantom_process")
    ]
    # ActivityManager's own line (PhantomProcessRecord.killLocked: "Killing " + this + ": " + reason)
    line = "12-01 10:00:00.000  1000  1100 I ActivityManager: Killing PhantomProcessRecord {41e29d1 14910:3461:logcat/u0a164}: Trimming phantom processes\n"
    events, _ = scan_lines(tmp_path, line)
    assert fields(events, "kind", "pid", "uid", "reason") == [("process_killed", 14910, "u0a164", "phantom_process")]


def test_exit_info_tostring_in_json_strings(tmp_path: Path):
    # exitinfo_tostring_json_array_termux_api (localized timestamp: no ISO time is made up)
    text = (
        '{\n  "exitReason": [\n'
        '    "ApplicationExitInfo(timestamp=24/07/2024, 01:38 pid=16125 realUid=10214 packageUid=10214 definingUid=10214 '
        "user=0 process=com.termux reason=13 (OTHER KILLS BY SYSTEM) subreason=3 (TOO MANY EMPTY PROCS) status=0 "
        'importance=400 pss=24MB rss=77MB description=too many empty state=empty trace=null",\n  ]\n}\n'
    )
    events, _ = scan_lines(tmp_path, text)
    assert fields(events, "kind", "package", "pid", "reason", "ts") == [
        ("process_killed", "com.termux", 16125, "too_many_empty", None)
    ]
    assert events[0].data["timestamp"] == "24/07/2024, 01:38"


def test_exit_reasons_as_a_table_and_as_getter_lines(tmp_path: Path):
    # exitinfo_stoic_table_square / exitinfo_stoic_detail_key_value_anr_square
    table = (
        "% stoic --pkg com.example appexitinfo\n"
        "id        timestamp             process-name   reason           sub-reason   importance\n"
        "-------   -------------------   ------------   --------------   ----------   ----------\n"
        "R/j8rML   2024-06-05 13:37:36   com.example    USER_REQUESTED   FORCE_STOP   FOREGROUND\n"
        "R/j8YpU   2024-06-05 13:36:24   com.example    ANR              UNKNOWN      FOREGROUND\n"
        "R/f9PHs   2024-06-04 19:01:39   com.example    CRASH_NATIVE     UNKNOWN      FOREGROUND\n"
    )
    events, _ = scan_lines(tmp_path, table)
    assert fields(events, "kind", "package", "reason", "ts") == [
        ("process_killed", "com.example", "force_stop", "2024-06-05T13:37:36"),
        ("anr", "com.example", "anr", "2024-06-05T13:36:24"),
        ("crash", "com.example", "crash_native", "2024-06-04T19:01:39"),
    ]
    record = (
        "Process Name: com.example\nTimestamp: 2024-06-05 13:36:24 (epoch: 1717619784667)\nReason: ANR\n"
        "Sub-reason: UNKNOWN\nImportance: FOREGROUND\nStatus: 0\nPss: 40496\nPid: 5645\nPackage Uid: 10192\n"
    )
    events, _ = scan_lines(tmp_path, record)
    assert fields(events, "kind", "package", "pid", "uid") == [("anr", "com.example", 5645, "10192")]
    assert events[0].data["pss_kb"] == 40496


def test_job_lines_in_inline_code_and_quotes(tmp_path: Path):
    # job_timeout_inline_code_fragment_jobqueue, job_stopped_email_quoted_studio_evernote
    text = "Suddenly I'm getting following on Android M:\n` I JobServiceContext: Client timed out while executing (no jobFinished received). sending onStop. `\n"
    assert fields(scan_lines(tmp_path, text)[0], "kind", "reason") == [("job_timeout", "execution_timeout")]
    text = (
        "Here is the exact log after 10 mins:\n\n> 03-14 10:15:44.876 6443-6443/com.alhuda.al_huda_live.debug "
        "D/PlatformJobService: Called onStopJob for job{id=98, finished=false, result=FAILURE, canceled=true, "
        "periodic=false, class=SocketNotificationJob, tag=socket_notification_tag}\n"
    )
    events, _ = scan_lines(tmp_path, text)
    assert fields(events, "kind", "package", "job", "pid") == [
        ("job_stopped", "com.alhuda.al_huda_live.debug", "98", 6443)
    ]
    assert events[0].data["class"] == "SocketNotificationJob"


def test_workmanager_old_tags_generational_ids_and_lost_prefixes(tmp_path: Path):
    # wm_alpha_old_tags_flutter_run_flutter_downloader (tags before "WM-")
    text = "Syncing files to device Android SDK built for x86...\nD/SystemJobService(12202): onStartJob for 78e95445-4759-4cfa-ade6-3dea7c66ae32\n"
    assert fields(scan_lines(tmp_path, text)[0], "kind", "pid", "job") == [
        ("job_started", 12202, "78e95445-4759-4cfa-ade6-3dea7c66ae32")
    ]
    # wm_start_year_usec_zone_generational_smsie
    text = "2024-05-26 13:04:00.089918 -0400 D/WM-SystemJobService(22521): onStartJob for WorkGenerationalId(workSpecId=35be77c3-294e-403d-8056-8c926904b155, generation=0)\n"
    assert fields(scan_lines(tmp_path, text)[0], "kind", "job") == [
        ("job_started", "35be77c3-294e-403d-8056-8c926904b155")
    ]
    # wm_cancelled_lost_prefix_flutter_downloader: the first line lost its prefix
    text = (
        " Work [ id=e1c3c953-0b9c-440b-8f99-c5b16239e8ec, tags={ vn.hunghd.flutterdownloader.DownloadWorker } ] was cancelled\n"
        "I/WM-WorkerWrapper(26420): java.util.concurrent.CancellationException: Task was cancelled.\n"
    )
    assert fields(scan_lines(tmp_path, text)[0], "kind", "job", "reason") == [
        ("work_result", "e1c3c953-0b9c-440b-8f99-c5b16239e8ec", "cancelled")
    ]
    # wm_retry_issue_title_flutter_downloader: neither level letter nor "WM-"
    text = "WorkerWrapper(10682): Worker result RETRY for Work [ id=58d73e34-308f-44aa-baf0-e4954a9d121f, tags={ vn.hunghd.flutterdownloader.DownloadWorker } ]\n\nThis package is not working at all;\n"
    assert fields(scan_lines(tmp_path, text)[0], "kind", "pid", "reason") == [("work_result", 10682, "retry")]
    # wm_result_old_tag_inline_truncated_codelab: cut after "for Work"
    text = "From the logs I can see that the work completes:\n`11-26 12:12:03.693  6820  6852 I WorkerWrapper: Worker result SUCCESS for Work`\n"
    assert fields(scan_lines(tmp_path, text)[0], "kind", "pid", "job", "reason") == [
        ("work_result", 6820, None, "success")
    ]


def test_crashes_pasted_without_logcat_prefixes(tmp_path: Path):
    exc = "android.app.RemoteServiceException$ForegroundServiceDidNotStartInTimeException: Context.startForegroundService() did not then call Service.startForeground(): "
    cases = {
        # crash_fgs_timeout_no_fatal_line_ntfy: from AndroidRuntime's "Process:" line on
        "```\n Process: io.heckel.ntfy, PID: 14340\n      "
        + exc
        + "ServiceRecord{f494d71 u0 io.heckel.ntfy/.service.SubscriberService}\n": ("io.heckel.ntfy", 14340),
        # crash_fgs_autolinked_markdown_logfox
        "FATAL EXCEPTION: main\nProcess: [com.f0x1d.logfox](http://com.f0x1d.logfox/), PID: [7467](tel:7467)\n"
        "[android.app.ForegroundServiceDidNotStartInTimeException](http://android.app.foregroundservicedidnotstartintimeexception/): x\n": (
            "com.f0x1d.logfox",
            7467,
        ),
        # crash_fgs_crashlytics_export_geofence: the package is in the exception's ServiceRecord
        "# Crashlytics - Stack trace\n\nFatal Exception: "
        + exc
        + "ServiceRecord{8df5c85 u0 com.example.app/com.x.ForegroundService}\n       at android.app.ActivityThread.x(ActivityThread.java:2251)\n": (
            "com.example.app",
            None,
        ),
        # crash_exact_alarm_grapheneos_report_timeplanner
        "```\ntype: crash\nosVersion: google/bramble/bramble:14/UP1A.231105.001/2023111500:user/release-keys\npackage: ru.aleshin.timeplanner:27\n"
        "process: ru.aleshin.timeplanner\n\njava.lang.SecurityException: Caller ru.aleshin.timeplanner needs to hold android.permission.SCHEDULE_EXACT_ALARM\n": (
            "ru.aleshin.timeplanner",
            None,
        ),
        # crash_bg_service_start_app_report_acside
        "==================== CRASH REPORT ====================\nTime: 2026-08-26 05:00:13\n\nApp Information:\n  Package: com.nullij.androidcodestudio\n\n"
        "Exception:\n  java.lang.RuntimeException: Unable to start activity ComponentInfo{com.nullij.androidcodestudio/x.MainActivity}\n": (
            "com.nullij.androidcodestudio",
            None,
        ),
        # crash_fgs_app_crash_reporter_flow: the package only in the ServiceRecord of "Message:"
        "Exception: android.app.RemoteServiceException$ForegroundServiceDidNotStartInTimeException\n"
        "Message: Context.startForegroundService() did not then call Service.startForeground(): ServiceRecord{9d9ee06 u0 io.github.aedev.flow/.service.VideoPlayerService}\n": (
            "io.github.aedev.flow",
            None,
        ),
        # oppo_user_restricted_crash_github-intercom: "Unable to launch app <pkg>/<uid>"
        "```\nFatal Exception: java.lang.RuntimeException: Unable to create application com.anprosit.drivemode.DriveModeApplication: "
        "java.lang.SecurityException: Unable to start service Intent { cmp=com.drivemode.android/io.intercom.Svc }: Unable to launch app "
        "com.drivemode.android/10133 for service Intent { cmp=com.drivemode.android/io.intercom.Svc }; user 0 is restricted\n": (
            "com.drivemode.android",
            None,
        ),
        # crash_bg_start_not_allowed_long_format_radiodroid: a compact -v long header
        "```\n[04-25 23:56:00.542 3935:3935 E/AndroidRuntime]\nFATAL EXCEPTION: main\nProcess: net.programmierecke.radiodroid2, PID: 3935\n"
        "java.lang.RuntimeException: Unable to start activity: java.lang.IllegalStateException: Not allowed to start service Intent { }\n": (
            "net.programmierecke.radiodroid2",
            3935,
        ),
        # p3_crash_studio_compact_view_process_line_runs_into_exception_wear_docs: Studio's compact view ("L  msg"),
        # the throwable run onto the "Process:" line by the page
        "    E  FATAL EXCEPTION: main\n    Process: com.google.wear.watchface.runtime, PID: 29115"
        + " " * 98
        + "android.content.res.Resources$NotFoundException: Resource ID #0x0\n": (
            "com.google.wear.watchface.runtime",
            29115,
        ),
    }
    for text, (package, pid) in cases.items():
        events, _ = scan_lines(tmp_path, text)
        assert fields(events, "kind", "package", "pid") == [("crash", package, pid)], text


def test_a_crash_report_header_without_its_throwable_is_no_crash(tmp_path: Path):
    text = "Process: com.example.app, PID: 1234\nsome prose\n\n\n\n\n\n\n\n\nmore prose\n"
    assert scan_lines(tmp_path, text)[0] == []


# -- makers ----------------------------------------------------------------------------------


def test_quoted_time_lines_grep_prefixes_and_commands_are_read_but_not_events(tmp_path: Path):
    # oppo_processmanager_not_skip, oneplus_linkpower_grep_prefixed, vivo_originos_events_grep_command
    for text in (
        "> **Notification received while app in foreground:**\n> 10-06 17:28:37.085: D/OppoProcessManager(902): Do not skip order broadcast x  ProcessRecord{1d45b03e 28496:my.cordova.application/u0a848}\n",
        "```\n~/appiumdebug/14a.log:895: 06-15 11:36:10.191 W/ziparchive(13402): Unable to open '/data/app/base.dm': No such file or directory\n",
        'cat /sdcard/karing_night_events.log | grep -E "am_kill|am_proc_died"\n\n01-02 00:21:16.775  2003  2003 I notification_enqueue: [10708,12616,com.nebula.karing,999]\n',
    ):
        events, _ = scan_lines(tmp_path, text)
        assert events == [], text


def test_event_log_line_without_date_and_time(tmp_path: Path):
    # xiaomi_am_kill_lockscreenclean_devdoc-mirror
    text = "adb logcat -b events | grep am_kill\n1494 2963 I am_kill : [0,5253,com.eg.android.AlipayGphone,500,LockScreenClean]\n"
    assert fields(scan_lines(tmp_path, text)[0], "kind", "pid", "reason") == [
        ("process_killed", 5253, "oem:LockScreenClean")
    ]


def test_refused_starts_quoted_alone_are_read_and_nothing(tmp_path: Path):
    # nokia_background_start_not_allowed_dkma-docs, oppo_not_allowed_start_service_github-keeplive
    for text in (
        "Nokia does not allow it:\n\n`ActivityManager: Background start not allowed: service Intent { act=com.myapp.ALARM_ALERT flg=0x4 pkg=com.myapp (has extras) } to com.myapp/.MyService from pid=-1 uid=666 pkg=com.myapp startFg?=true`\n",
        "Not allowed to start service Intent { cmp=com/com.fanjun.keeplive.service.LocalService }: app is in background uid UidRecord{19d6891 u0a408 TRNB idle change:idle|uncached procs:1 seq(0,0,0)}\n",
    ):
        assert scan_lines(tmp_path, text) == ([], []), text


def test_force_stop_causes_of_makers(tmp_path: Path):
    # samsung_mars_force_stop: MARs is Samsung's, not a user's force-stop
    text = (
        "11-02 15:19:00.136  4027  4078 I ActivityManager: Force stopping im.vector.app.debug appid=10157 user=0: MARs #1\n"
        "11-02 15:19:00.137  4027  4078 I ActivityManager: Killing 29855:im.vector.app.debug/u0a157 (adj 700): stop im.vector.app.debug,MARs #1\n"
    )
    assert fields(scan_lines(tmp_path, text)[0], "pid", "reason") == [(None, "oem:MARs #N"), (29855, "oem:MARs #N")]
    # meizu_flyme_install_kill_reason: Flyme's "reason: " and AOSP's installPackageLI, a fence glued to the line
    text = (
        "```01-31 14:55:22.886  2957  2975 I ActivityManager: Force stopping me.piebridge.brevent appid=10134 user=-1: installPackageLI\n"
        "01-31 14:55:22.887  2957  2975 I ActivityManager: Killing 31857:me.piebridge.brevent/u0a134 (adj 400): reason: installPackageLI, stop me.piebridge.brevent\n"
        "01-31 14:55:22.889  2957  2977 I libprocessgroup: Killing pid 19343 in uid 10134 as p\n"
    )
    events, unrecognized = scan_lines(tmp_path, text)
    assert fields(events, "pid", "reason") == [(None, "package_updated"), (31857, "package_updated")]
    assert unrecognized == []  # libprocessgroup's line (even cut) is the same death


def test_a_power_managers_announcement_names_the_cause_of_the_force_stop(tmp_path: Path):
    # oneplus_ohpd_bgdetect_force_stop: OHPD's reason carries over to ActivityManager's lines
    text = (
        "08-08 17:23:56.527 I/OHPD    ( 1370): [BgDetect][PD] total usage 6 over thold, force stop com.adguard.android (uid 10273) level 0\n"
        "08-08 17:23:56.527 I/ActivityManager( 1370): Force stopping com.adguard.android appid=10273 user=0: from pid 1370\n"
        "08-08 17:23:56.527 I/ActivityManager( 1370): Killing 20509:com.adguard.android/u0a273 (adj 200): stop com.adguard.android\n"
        "08-08 17:23:56.529 D/ActivityManager( 1370): cleanUpApplicationRecord -- 20509\n"
        "08-08 17:23:56.533 I/ActivityManager( 1370):   Force stopping service ServiceRecord{1919ec7 u0 com.adguard.android/.ServiceManager}\n"
    )
    events, unrecognized = scan_lines(tmp_path, text)
    assert fields(events, "kind", "pid", "reason") == [
        ("process_killed", None, "oem:OHPD"),
        ("process_killed", 20509, "oem:OHPD"),
        ("process_died", 20509, None),
    ]
    assert unrecognized == []
    # without the announcement, the same force-stop is an ordinary one
    events, _ = scan_lines(tmp_path, "".join(text.splitlines(keepends=True)[1:3]))
    assert fields(events, "reason") == [("force_stop",), ("stop_app",)]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # meizu_permissioncontrol_force_kill
        (
            "09-04 00:34:09.291  1778  2418 W PermissionControl: Force kill process pid=24808 by AMS",
            ("process_killed", 24808, None, "oem:PermissionControl"),
        ),
        # samsung_dha_empty_has_died: (adj N) and "has died(a,b)"
        (
            "07-27 11:48:15.445   758  1782 I ActivityManager: Process com.samsung.aasaservice (pid 5400)(adj 0) has died(117,691)",
            ("process_died", 5400, "com.samsung.aasaservice", None),
        ),
        # xiaomi_miui5_extraams_no_longer_want: AOSP 4.1-4.3 and MIUI
        (
            "04-28 14:47:37.844: I/ActivityManager(597): No longer want com.cleanmaster.miui_module (pid 918): hidden #25",
            ("process_killed", 918, "com.cleanmaster.miui_module", "too_many_cached"),
        ),
        (
            "04-28 14:47:43.020: W/ExtraActivityManagerService(597): No longer want com.miui.networkassistant (pid 1823) for more free memory",
            ("process_killed", 1823, "com.miui.networkassistant", "oem:for more free memory"),
        ),
        # huawei_cleanup_app_record (package redacted by the reporter), honor_cleanup_reset_pid_brief
        (
            "02-26 10:16:01.686 D/ActivityManager( 1109): cleanUpApplicationRecord app: ProcessRecord{0 8102:[MY_APP_PACKAGE]/u00000}, app.bad: false, restarting: false, allowRestart: true",
            ("process_died", 8102, None, None),
        ),
        (
            "I/ActivityManager( 1018): cleanUpApplicationRecordLocked, reset pid: 9540, euid: 0",
            ("process_died", 9540, None, None),
        ),
        # huawei_hsm_onprocessdied (CI commas)
        (",I/HwSystemManager( 3987): HoldService:uid:10041 pid:5895 died", ("process_died", 5895, None, None)),
        # huawei_brevent_worker_signal9
        ("E/BreventLoader( 7307): worker 7321 exited on signal 9", ("process_died", 7321, None, "sigkill")),
    ],
)
def test_makers_death_notices(tmp_path: Path, line: str, expected: tuple[Any, ...]):
    events, _ = scan_lines(tmp_path, "```\n" + line + "\n```\n")
    assert fields(events, "kind", "pid", "package", "reason") == [expected]


# -- files, notes, unrecognized ---------------------------------------------------------------


def test_a_note_on_top_of_a_capture_is_not_read(tmp_path: Path):
    text = '# source: x (the loader logs "worker 7321 exited on signal 9")\nE/BreventLoader( 7307): worker 7321 exited on signal 9\n'
    assert fields(scan_lines(tmp_path, text)[0], "pid") == [(7321,)]


def test_text_with_no_matching_line_is_still_unrecognized(tmp_path: Path):
    with pytest.raises(InputError, match="unrecognized format"):
        scan_lines(tmp_path, "Dear support,\nthe app stops at night and never restarts.\n```\nno log here\n```\n")


def test_scan_unrecognized_lists_what_looked_relevant(tmp_path: Path):
    # xiaomi_processmanager_swipeupclean: MIUI ProcessManager's own lines, and the kill it explains
    log = tmp_path / "miui.txt"
    log.write_text(
        "11-16 16:35:04.266  2037  6626 D ProcessManager: remove task: TaskRecord{76528af #545 A=com.rindventures.pidge U=0 StackId=545 sz=1}\n"
        "11-16 16:35:04.269  2037  6626 I ProcessManager: SwipeUpClean: kill com.rindventures.pidge Adj=900 State=18\n"
        "11-16 16:35:04.270  2037  6626 I ActivityManager: Killing 3978:com.rindventures.pidge/u0a254 (adj 900): SwipeUpClean\n",
        encoding="utf-8",
    )
    summary = invoke("scan", str(log))
    assert summary.returncode == 0, summary.stderr
    assert "oem:SwipeUpClean" in summary.stdout
    assert "2 lines looked relevant but were not understood: --unrecognized lists them" in summary.stdout
    listed = invoke("scan", str(log), "--unrecognized", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [r["where"] for r in rows] == [f"{log}:1", f"{log}:2"]
    assert rows[1]["unrecognized"].endswith(
        "I ProcessManager: SwipeUpClean: kill com.rindventures.pidge Adj=900 State=18"
    )
    plain = invoke("scan", str(log), "--unrecognized")
    assert plain.stdout.splitlines()[0] == f"{log}:1: " + log.read_text().splitlines()[0]


def test_adversarial_pasted_lines_are_read_in_linear_time(tmp_path: Path):
    """Lines up to 64 KiB reach the unwrapping: none of its patterns may backtrack quadratically."""
    import time

    n = 30_000
    lines = [
        "a." * n + " Killing ",  # a long token before a signature: grep-prefix pattern
        '"' + 'a\\"' * n + " Killing ",  # escaped quotes: JSON strings
        "`" * n + " Killing ",  # backtick runs: inline code
        "".join("`" * k + "x" for k in range(1, 240)) + " Killing ",
        "ApplicationExitInfo(timestamp=1 pid=1 " + " " * n + "x reason=1",  # blanks in a toString
        "> " * n + "Killing 1:a/u0a1 (adj 1): x",
        "Reason: x" + " " * n + "y",
        'x\\n","' * n + " Killing ",  # a run of JSON strings, each ending in an escaped newline
    ]
    start = time.perf_counter()
    scan_lines(tmp_path, "\n".join(lines) + "\n")
    assert time.perf_counter() - start < 2.0


def test_hard_wrapped_records_are_joined(tmp_path: Path):
    # samsung_mars_force_stop's kill line as a terminal or a blog's code box cuts it: at a fixed
    # width, mid-word (every piece but the last as long as the first), or at a blank
    line = (
        "11-02 15:19:00.137  4027  4078 I ActivityManager: Killing 29855:im.vector.app.debug/u0a157 "
        "(adj 700): stop im.vector.app.debug,MARs #1"
    )
    for width in (40, 60, 83):
        wrapped = "\n".join(line[i : i + width] for i in range(0, len(line), width))
        events, unrecognized = scan_lines(tmp_path, f"The log:\n{wrapped}\nThanks\n")
        assert fields(events, "kind", "pid", "reason") == [("process_killed", 29855, "oem:MARs #N")], width
        assert unrecognized == []
    at_blank = line.replace("(adj 700): ", "(adj 700):\n")
    assert fields(scan_lines(tmp_path, at_blank + "\n")[0], "pid", "reason") == [(29855, "oem:MARs #N")]


def test_a_bare_java_stack_trace_is_read_not_refused(tmp_path: Path):
    # jeroenmols.com (wm_worker_class_not_found_bare_trace_blog_jeroenmols): a throwable and its frames with no
    # log prefix hold no evidence, but they are no unknown format either; a sentence naming an Error is.
    capture = TESTS / "samples/corpus/android_aosp/wm_worker_class_not_found_bare_trace_blog_jeroenmols.txt"
    events, outcome = scan(capture)
    assert outcome.usable and not outcome.problems and events == []
    prose = tmp_path / "prose.txt"
    prose.write_text("java.lang.Error is what I get, any idea?\nat some point it stops\n", encoding="utf-8")
    _, outcome = scan(prose)
    assert not outcome.usable and "unrecognized format" in outcome.problems[0].message


@pytest.mark.parametrize("log_lines", [7, 4])
def test_a_prefix_another_tool_put_on_every_line_is_learnt_and_taken_off(tmp_path: Path, log_lines: int):
    # google/android-emulator-container-scripts#342: the container's script prints each logcat line behind
    # "logcat: ", inside a fence after prose. Cut after its fourth log line (as a shorter paste would be), the
    # lines were taken for one word-wrapped line before: the kill's reason text ended in "logcat:" and Zygote's
    # death had the kill's line number.
    capture = TESTS / "samples/corpus/android_aosp/am_killing_zygote_logcat_tool_prefix_emulator_container342.txt"
    lines = capture.read_text(encoding="utf-8").splitlines()
    events, _ = scan_lines(tmp_path, "\n".join([*lines[: 6 + log_lines], "```"]) + "\n")
    assert [(e.kind, e.pid, e.where.rsplit(":", 1)[1]) for e in events] == [
        ("process_killed", 5009, "7"),
        ("process_died", 5009, "8"),
    ]
    assert events[0].data["reason_text"] == "empty #17"


# An ANR whose fields are lines of their own, then its kill (the form of linjw's capture in tests/samples/corpus/).
ANR_AND_KILL = [
    "08-29 14:13:11.713  7904 27946 E ActivityManager: ANR in me.linjw.demo.anr",
    "08-29 14:13:11.713  7904 27946 E ActivityManager: PID: 26859",
    "08-29 14:13:11.713  7904 27946 E ActivityManager: Reason: executing service me.linjw.demo.anr/.RemoteService",
    "08-29 14:13:11.716  7904 27946 I ActivityManager: Killing 26859:me.linjw.demo.anr/u0a80 (adj 905): bg anr",
]


@pytest.mark.parametrize(
    "prefix",
    [
        "2020-05-04T13:12:02.5515610Z ",  # GitHub Actions (ReactiveCircus/android-emulator-runner#59)
        "[2024-05-01T12:00:01.123Z] ",  # a bracketed one
        "logs/logcat.txt:{n}:",  # grep -Hn
        "{n}:",  # grep -n
        "logcat: ",  # a wrapper's name
    ],
)
def test_a_multi_line_record_behind_a_tool_prefix_on_every_line_is_read_whole(tmp_path: Path, prefix: str):
    # The ANR's fields are lines of their own: they join the record only once the prefix is off every line.
    lines = ANR_AND_KILL
    plain, _ = scan_lines(tmp_path, "\n".join(lines) + "\n")
    expected = fields(plain, "kind", "pid", "package", "reason", "where")
    assert sorted(kind for kind, *_ in expected) == ["anr", "process_killed"]
    text = "\n".join(prefix.format(n=n) + line for n, line in enumerate(lines, 120)) + "\n"
    events, _ = scan_lines(tmp_path, text)
    assert fields(events, "kind", "pid", "package", "reason", "where") == expected


def test_anr_in_with_its_component_glued_to_the_process_name(tmp_path: Path) -> None:
    # mediatek_anrmanager_reason_glued_html_entities_wsa: a page dropped the blank before the component and the
    # newline before Reason ("ANR in com.xx(com.xx/...Activity), time26867631Reason: ..."); the process ends at the
    # parenthesis (it was read as "com.xx(com.xx/...)", no package).
    events, _ = scan_lines(
        tmp_path,
        "12-08 10:51:08.136 763-787/system_process E/ANRManager: ANR in com.xx(com.xx/com.xxactivity.ScreenSaver"
        "PicSelectActivity), time26867631Reason: Input dispatching timed out (Waiting to send non-key event)\n"
        "12-08 10:51:09.136 763-787/system_process I/ActivityManager: Start proc 1234:com.yy/u0a12 for activity x\n",
    )
    anr = next(e for e in events if e.kind == "anr")
    assert (anr.package, anr.process, anr.data["component"]) == (
        "com.xx",
        "com.xx",
        "com.xx/com.xxactivity.ScreenSaverPicSelectActivity",
    )


def test_lines_of_several_devices_each_behind_its_serial_in_brackets_are_read(tmp_path: Path):
    # A device farm's log of two phones, each line behind its serial: one prefix, whatever the brackets hold.
    lines = ANR_AND_KILL
    plain, _ = scan_lines(tmp_path, "\n".join(lines) + "\n")
    serials = ["emulator-5554", "R58M12345AB", "emulator-5554", "192.168.1.20:5555"]
    farm = "\n".join(f"[{serial}] {line}" for serial, line in zip(serials, lines, strict=True)) + "\n"
    events, _ = scan_lines(tmp_path, farm)
    assert fields(events, "kind", "pid", "package", "reason", "where") == fields(
        plain, "kind", "pid", "package", "reason", "where"
    )
    assert sorted(e.kind for e in events) == ["anr", "process_killed"]


def test_a_json_array_of_lines_another_tool_stamped_is_read(tmp_path: Path):
    # A log viewer's export: a JSON array of the lines of a CI job's log, each behind the CI's stamp. The event log's
    # record whose message went onto the next line (vanced-manager's capture) joins only once the stamp is off every
    # line, inside the strings too.
    capture = TESTS / "samples/corpus/android_aosp/events_am_kill_wrapped_vancedmanager.txt"
    plain, _ = scan(capture)
    assert len(plain) >= 2
    body = capture.read_text(encoding="utf-8").splitlines()[1:]
    stamped = [f"2020-05-04T13:12:{n % 60:02d}.5515610Z {line}" for n, line in enumerate(body)]
    events, _ = scan_lines(tmp_path, "[\n" + ",\n".join(f"  {json.dumps(line)}" for line in stamped) + "\n]\n")
    assert fields(events, "kind", "pid", "package", "reason") == fields(plain, "kind", "pid", "package", "reason")


def test_an_exception_line_is_no_grep_prefix_and_no_tag(tmp_path: Path) -> None:
    # crash_bg_start_bare_process_pid_lines_no_prefix_oneplus_ddrv: a crash pasted without logcat prefixes; its
    # exception line 'java.lang.IllegalStateException: Not allowed to start service …' was read as a grep file name
    # or a bare tag before a refused-start message, so the crash's throwable never came and nothing was found.
    events, _ = scan_lines(
        tmp_path,
        "Process: com.icourt.alpha.service.LocalService, PID: 4343\n"
        "java.lang.IllegalStateException: Not allowed to start service Intent { cmp=com.icourt.alpha/.service.Local"
        "Service }: app is in background uid UidRecord{81da92c u0a91 SVC bg:+1m0s13ms idle procs:4 seq(0,0,0)}\n"
        "at android.app.ContextImpl.startServiceCommon(ContextImpl.java:1505)\n",
    )
    assert [(e.kind, e.process, e.pid) for e in events] == [("crash", "com.icourt.alpha.service.LocalService", 4343)]
    assert events[0].data["exception"].startswith("java.lang.IllegalStateException: Not allowed to start service")
