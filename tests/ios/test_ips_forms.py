"""Forms the iOS readers learned from the corpus (tests/samples/corpus/ios/, real captures; each file's first line
names its public source): a MetricKit termination reason on its own, FrontBoard's graceful-kill timeout, a resource
report quoted without its Event line, a BGTaskScheduler NSError, debugserver's words in prose, a localized Console
copy. Every test runs the real path (detection + parser)."""

from __future__ import annotations

from pathlib import Path

import pytest
from bgprobe.collectors.inputs.textscan import _detect
from bgprobe.collectors.parsers.ios_layouts import parse_record

from tests.helpers import scan

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
CORPUS = SAMPLES / "corpus" / "ios"


def test_metrickit_termination_reason_is_a_report() -> None:
    # "Termination reason: <RBSTerminateContext| domain:10 code:0x8BADF00D explanation:scene-update watchdog …":
    # MXCrashDiagnostic.terminationReason rendered as text, no Exception Type / Termination Reason header.
    path = CORPUS / "metrickit_rbsterminatecontext_scene_update_thermal_roam.txt"
    assert _detect(path.read_text().splitlines()) == "ips"
    events, outcome = scan(path)
    assert outcome.usable
    (e,) = events
    assert (e.kind, e.package, e.pid, e.reason) == (
        "process_killed",
        "com.msdrigg.roam",
        15540,
        "watchdog:scene-update",
    )
    assert e.data["code"] == "0x8badf00d" and e.data["allowance_s"] == 10.0


def test_frontboard_failed_to_terminate_gracefully_is_the_exit_watchdog() -> None:
    # FBProcess: "[app<com.msdrigg.roam>:12124] Failed to terminate gracefully after 5.0s" as the 0x8BADF00D
    # explanation: the process did not exit within its 5 s budget (SpringBoard's "process-exit watchdog").
    events, _ = scan(CORPUS / "metrickit_rbsterminatecontext_failed_terminate_gracefully_roam_ios26.txt")
    (e,) = events
    assert (e.kind, e.package, e.pid, e.reason) == (
        "process_killed",
        "com.msdrigg.roam",
        12124,
        "watchdog:process-exit",
    )


def test_runningboard_log_line_with_a_terminate_context_stays_a_log() -> None:
    # "Received termination request … with context <RBSTerminateContext| …": the context mid-message is a log line,
    # not a report (the reader for it is the log reader).
    path = SAMPLES / "ios_field" / "dasd_termination_request_runningboard_forum.txt"
    assert _detect(path.read_text().splitlines()) == "ios_log"


def test_resource_report_quoted_without_its_event_line() -> None:
    # Two fields of a cpu_resource_fatal report in a fence: the CPU field names the resource.
    events, _ = scan(CORPUS / "cpu_resource_fatal_two_fields_quoted_noop_pr2280.txt")
    (e,) = events
    assert (e.kind, e.reason) == ("process_killed", "resource:cpu")
    assert e.data["resource_event"] == "cpu usage" and e.data["cpu"].startswith("48 seconds cpu time over 52 seconds")


def test_bgtaskscheduler_error_names_the_refusal() -> None:
    # "Could not schedule app refresh: Error Domain=BGTaskSchedulerErrorDomain Code=3" (the app's own print of the
    # NSError) with no log header: read as an iOS log, one refused submit (notPermitted), no death.
    path = CORPUS / "bgtaskscheduler_code3_could_not_schedule_flutter_bgfetch312_negative.txt"
    assert _detect(path.read_text().splitlines()) == "ios_log"
    events, _ = scan(path)
    (e,) = events
    assert (e.kind, e.reason, e.data["error"], e.data["error_code"]) == (
        "job_stopped",
        "submit_error",
        "not_permitted",
        3,
    )


def test_debugserver_exit_description_quoted_without_xcode_prefix() -> None:
    # 'it's crashing with "Terminated due to memory issue"': debugserver's description of a jetsam kill, in prose.
    events, _ = scan(CORPUS / "xcode_terminated_due_to_memory_issue_prose_brimagepicker.txt")
    (e,) = events
    assert (e.kind, e.reason, e.source) == ("process_killed", "jetsam:unknown", "syslog:debugger")


def test_console_copy_with_a_localized_type_column() -> None:
    # A Japanese Console.app names the types エラー (error) and デフォルト (default): still a Console row.
    path = CORPUS / "console_japanese_type_column_reportcrash_corpse_imast_ios12.txt"
    row = path.read_text().splitlines()[4]
    rec = parse_record(row, 5)
    assert rec is not None and (rec.layout, rec.process, rec.level, rec.ts) == (
        "console",
        "ReportCrash",
        "デフォルト",
        "19:43:58.249245+09:00",
    )
    assert rec.msg == "Formulating report for corpse[6113] iMastShare"
    assert _detect(path.read_text().splitlines()) == "ios_log"
    _, outcome = scan(path)
    assert outcome.usable


def test_console_copy_from_a_german_console_with_spaces_for_tabs() -> None:
    # A German Console.app names the default type `standard`; the poster's copy joined the columns with spaces.
    path = CORPUS / "console_standard_type_bgtask_add_end_runner_flutter_bgfetch344_negative.txt"
    row = path.read_text().splitlines()[7]
    rec = parse_record(row, 8)
    assert rec is not None and (rec.layout, rec.process, rec.level) == ("console_spaced", "Runner", "standard")
    assert rec.msg.startswith("<private>: Will add backgroundTask with taskName:")
    rec = parse_record("standard\t18:08:37.573998+0200\tRunner\tEnding background task", 1)
    assert rec is not None and (rec.layout, rec.process) == ("console", "Runner")
    events, outcome = scan(path)
    assert outcome.usable and events == []


def test_a_process_line_without_a_name_still_gives_the_pid() -> None:
    # 'Process:              [758]' (an app without a display name, app_name "" in the JSON header): the pid alone;
    # the Identifier names the app, and no empty process name is made up.
    events, _ = scan(CORPUS / "ips_bug109_empty_app_name_process_8badf00d_zday_yalu102_ios10.txt")
    (e,) = events
    assert (e.kind, e.package, e.process, e.pid) == ("process_killed", "ml.coffeebreakers.zday", None, 758)
    assert e.reason is not None and e.reason.startswith("watchdog:")


def test_ios11_namespace_printed_as_a_number_is_assertiond() -> None:
    # 'Termination Reason: Namespace <0xF>, Code 0x8badf00d' (iOS 11, an app using background tasks killed in the
    # background): 15 was OS_REASON_ASSERTIOND in iOS 11's xnu, and assertiond's watchdog code is a background
    # assertion held beyond its time, not a hang.
    events, _ = scan(CORPUS / "crash_header_namespace_0xF_8badf00d_ios11_devpeace.txt")
    (e,) = events
    assert (e.kind, e.reason, e.data["namespace"]) == ("process_killed", "bgtask_expired", "ASSERTIOND")


def test_a_redacted_bundle_in_a_bknewprocess_still_names_the_pid() -> None:
    # '<BKNewProcess: 0x13fe253e0; <REDACTED>; pid: 1526; hostpid: -1> has active assertions beyond permitted time:'
    events, _ = scan(CORPUS / "assertions_beyond_permitted_redacted_bundle_finishtask_procedurekit233.txt")
    (e,) = events
    assert (e.kind, e.package, e.pid, e.reason) == ("process_killed", None, 1526, "bgtask_expired")


def test_analytics_report_fields_quoted_in_prose_are_read() -> None:
    # '"eventReason" : "User reclaimable memory dropped below the limit …"' and '"date" : …' lines of SystemMemoryReset
    # logs quoted in a forum answer: OSAnalytics' `"key" : value` fields, read as a report fragment (nothing killed).
    path = CORPUS / "systemmemoryreset_event_reason_no_kill_forum758524_negative.txt"
    assert _detect(path.read_text().splitlines()) == "ips"
    events, outcome = scan(path)
    assert outcome.usable and events == []


def test_a_name_blanked_out_with_xs_is_no_bundle() -> None:
    # "Identifier: XXX", "application<XXX>:7176": the poster's redaction, not a bundle identifier.
    events, _ = scan(CORPUS / "crash_header_frontboard_scene_update_background_redacted_fbsdk_ios15.txt")
    (e,) = events
    assert (e.kind, e.pid, e.reason, e.package) == ("process_killed", 7176, "watchdog:scene-update", None)


def test_uncaught_exception_with_markdown_escaped_stars() -> None:
    # '**\* Terminating app due to uncaught exception …': an unfenced syslog in an issue's Markdown source, the third
    # star escaped. Still Foundation's last words before abort(): SpringBoard[239] crashed.
    events, _ = scan(CORPUS / "syslog_ios3_uncaught_exception_markdown_escaped_springboard_proswitcher.txt")
    (e,) = events
    assert (e.kind, e.process, e.pid, e.reason) == ("crash", "SpringBoard", 239, "sigabrt")
    assert e.data["exception"] == "NSInvalidArgumentException"


def test_watchdog_explanation_with_an_empty_bundle_keeps_the_pid() -> None:
    # "process-exit watchdog transgression: application<>:38090 exhausted real (wall clock) time allowance …": the
    # report printed no bundle; the pid is the process's, and "application<>:38090" is no package.
    events, _ = scan(CORPUS / "crash_header_process_exit_watchdog_empty_bundle_plcrashreporter47.txt")
    (e,) = events
    assert (e.kind, e.package, e.pid, e.reason) == ("process_killed", None, 38090, "watchdog:process-exit")
    assert e.data["allowance_s"] == 5.0


def test_terminate_contexts_quoted_one_after_another_are_one_death_each() -> None:
    # Two crash points, each quoted as its report's '<RBSTerminateContext| domain:10 code:0x8BADF00D explanation:…'
    # line in its own fence: two watchdog kills. (A MetricKit diagnostic that repeats its context in its metadata
    # stays one death: test_metrickit_termination_reason_is_a_report.)
    events, _ = scan(CORPUS / "rbsterminatecontext_lines_under_xccrashpoint_headings_emission_ios15.txt")
    assert [(e.kind, e.package, e.pid, e.reason) for e in events] == [
        ("process_killed", "gov.nrel.cims.openpath", 406, "watchdog:scene-create"),
        ("process_killed", "gov.nrel.cims.openpath", 1161, "watchdog:scene-create"),
    ]
    assert [e.data["allowance"] for e in events] == ["cpu", "cpu"]


def test_sigkill_for_code_signing_is_a_kill() -> None:
    # "Exception Type: EXC_BAD_ACCESS (SIGKILL - CODESIGNING)": the signal is SIGKILL, sent by the kernel for a code
    # page that failed its signature check, not the app's own fault: a kill, for code signing.
    events, _ = scan(CORPUS / "crash_report_sigkill_codesigning_unfenced_flutter_bgfetch127_ios14b.txt")
    (e,) = events
    assert (e.kind, e.process, e.pid, e.reason) == ("process_killed", "Runner", 18851, "codesigning")
    assert e.package == "com.transistorsoft.flutter.backgroundfetch.backgroundFetchExample"


@pytest.mark.parametrize(
    ("termination", "reason"),
    [
        (
            '"termination" : {"flags":0,"code":2,"namespace":"CODESIGNING","indicator":"Invalid Page"},',
            "codesigning:0x2",
        ),
        ("", "codesigning"),
    ],
)
def test_json_report_sigkill_for_code_signing_is_a_kill(tmp_path: Path, termination: str, reason: str) -> None:
    # An .ips report's JSON says it after the signal, as reports of macOS 12+ and iOS print it ("exception" :
    # {... "signal":"SIGKILL (Code Signature Invalid)", ...}, "termination" : {... "namespace":"CODESIGNING",
    # "indicator":"Invalid Page"}): the kernel's kill, not a crash named after the whole signal text.
    report = tmp_path / "Runner-2024-03-01-100000.ips"
    report.write_text(
        '{"app_name":"Runner","timestamp":"2024-03-01 10:00:00.00 +0100","bug_type":"309",'
        '"os_version":"iPhone OS 17.3 (21D50)","bundleID":"com.example.runner","incident_id":"A"}\n'
        '{\n  "procName" : "Runner",\n  "pid" : 4321,\n'
        '  "exception" : {"codes":"0x0000000000000032, 0x0000000108ce0000","rawCodes":[50,4442685440],'
        '"type":"EXC_BAD_ACCESS","signal":"SIGKILL (Code Signature Invalid)","subtype":"UNKNOWN_0x32 at 0x108ce0000"},\n'
        f"  {termination}\n"
        '  "faultingThread" : 0\n}\n'
    )
    events, outcome = scan(report)
    assert outcome.usable
    (e,) = events
    assert (e.kind, e.package, e.pid, e.reason) == ("process_killed", "com.example.runner", 4321, reason)


def test_process_exited_with_a_dyld_reason_is_a_crash() -> None:
    # SpringBoard's "Process exited: <FBApplicationProcess: …; application<net.yvant.domination>:23793(v11522)> ->
    # <RBSProcessExitContext| specific, status:<RBSProcessExitStatus| domain:dyld(6) code:4>>" in a Console copy
    # with reordered columns: dyld ended the app itself at launch (OS_REASON_DYLD): a crash, not a kill.
    events, _ = scan(CORPUS / "console_reordered_columns_process_exited_dyld_airsdk2476.txt")
    (e,) = events
    assert (e.kind, e.package, e.pid, e.reason) == ("crash", "net.yvant.domination", 23793, "dyld:0x4")
    # (the rows' time column, with its UTC offset, is read since the reordered columns are: the event carries both)
    assert e.data == {"exit_domain": "dyld", "exit_code": "4", "utc_offset": "+01:00"}


@pytest.mark.parametrize(
    ("name", "kind", "reason"),
    [
        # 'Reason: The process was terminated for exceeding jetsam memory limits': Cr4shed's words for a JetsamEvent.
        ("cr4shed_jetsam_report_springboard_respring_ios14.txt", "process_killed", "jetsam:unknown"),
        # 'Exception type: EXC_SOFTWARE (SIGABRT)' (Cr4shed spells it with a small t), after a list star.
        ("cr4shed_sigabrt_culprit_springboard_undecimus_ios13.txt", "crash", "sigabrt"),
        # 'Exception type: NSInternalInconsistencyException': an uncaught exception, then abort().
        ("cr4shed_nsexception_bold_culprit_springboard_asteroid_ios12.txt", "crash", "sigabrt"),
    ],
)
def test_cr4shed_reports_are_read(name: str, kind: str, reason: str) -> None:
    # The jailbreak crash reporter's own text reports: 'Process: SpringBoard' (no pid), 'Bundle id: …'.
    path = CORPUS / name
    assert _detect(path.read_text().splitlines()) == "ips"
    events, _ = scan(path)
    (e,) = events
    assert (e.kind, e.process, e.pid, e.package, e.reason) == (
        kind,
        "SpringBoard",
        None,
        "com.apple.springboard",
        reason,
    )


def test_the_debugger_command_that_simulates_a_task_is_read() -> None:
    # lldb refusing "e -l objc -- (void)[[BGTaskScheduler sharedScheduler] _simulateLaunchForTaskWithIdentifier:@…]"
    # on iOS 12: a text about a BGTask command, read (not refused), with nothing in it that ran or died.
    events, outcome = scan(CORPUS / "lldb_objc_expression_errors_bgtaskscheduler_cordova_bgfetch124_negative.txt")
    assert outcome.usable and events == []


def test_the_debugger_command_names_the_task_of_an_undecoded_line(tmp_path: Path) -> None:
    # The command, then Xcode's "No task request with identifier <decode: missing data> has been scheduled" without
    # the framework's "Simulating launch …" line before it: the task is the one the command named.
    lines = (CORPUS / "lldb_simulate_launch_twice_decode_missing_rnbgfetch408_ios16.txt").read_text().splitlines()
    command, undecoded = lines[5], lines[8]
    assert command.startswith("(lldb) e -l objc") and "<decode: missing data>" in undecoded
    path = tmp_path / "paste.txt"
    path.write_text(f"{command}\n{undecoded}\n")
    events, _ = scan(path)
    assert [(e.kind, e.job, e.reason, e.pid) for e in events] == [
        ("trigger", "com.transistorsoft.fetch", "not_submitted", 2318)
    ]


def test_failed_to_terminate_gracefully_with_a_small_f_names_the_process() -> None:
    # iOS 16: "explanation:[application<com.sample.qa.user.sea>:915] failed to terminate gracefully after 5.0s" with a
    # WatchdogEvent line: the exit watchdog, and the process FrontBoard named before its words.
    events, _ = scan(CORPUS / "crash_header_frontboard_lowercase_failed_terminate_gracefully_firebase9859_ios16.txt")
    (e,) = events
    assert (e.kind, e.package, e.pid, e.reason) == (
        "process_killed",
        "com.sample.qa.user.sea",
        915,
        "watchdog:process-exit",
    )


def test_bknewprocess_holding_assertions_beyond_permitted_time_names_the_app() -> None:
    # An iOS 8 report without Process / Identifier lines (a Stack Overflow paste, 'Exception Type: 00000020',
    # 0x8badf00d, 'SIMULATED'): backboardd's '<BKNewProcess: 0x…; com.app.app; pid: 560; hostpid: -1> has active
    # assertions beyond permitted time' is the only place the app and its pid are named.
    events, outcome = scan(CORPUS / "crash_ios8_simulated_8badf00d_bknewprocess_assertions_developreference.txt")
    assert outcome.usable
    (e,) = events
    assert (e.kind, e.package, e.pid, e.reason) == ("process_killed", "com.app.app", 560, "bgtask_expired")


def test_report_fields_run_together_on_one_line_are_read_one_per_field() -> None:
    # A page joined 'Exception Type: … Exception Codes: … Termination Reason: FRONTBOARD 2343432205 <RBSTerminateContext|
    # …>' into one line: the exception type is the type alone and the namespace is the Termination Reason's.
    events, _ = scan(CORPUS / "crash_fields_run_together_one_line_frontboard_decimal_hiroakit.txt")
    (e,) = events
    assert (e.package, e.pid, e.reason) == ("com.hiroakit.AppPlayground1", 4612, "watchdog:scene-create")
    assert e.data["exception_type"] == "EXC_CRASH (SIGKILL)" and e.data["namespace"] == "FRONTBOARD"


def test_a_crashed_thread_quoted_without_its_report_is_a_crash() -> None:
    # An answer quoting only 'Thread 3 Crashed:' and its frames (padding collapsed) through abort(): a crash, SIGABRT;
    # it was refused as an unrecognized format.
    path = CORPUS / "dts_answer_thread3_abort_background_qos_frames_narouhz767076.txt"
    assert _detect(path.read_text().splitlines()) == "ips"
    events, outcome = scan(path)
    assert outcome.usable
    (e,) = events
    assert (e.kind, e.reason, e.data["crashed_thread"]) == ("crash", "sigabrt", 3)


def test_watchos_background_refresh_violation_codes_are_named() -> None:
    # watchOS 3.1's 0xc51bad03 ('may not have had sufficient runtime to complete the task') under SPRINGBOARD: the
    # background refresh task ran out of time; it read as the bare 'springboard:0xc51bad03'.
    events, _ = scan(CORPUS / "crash_header_watchos3_c51bad03_bg_refresh_kiwix_so41838340.txt")
    (e,) = events
    assert (e.kind, e.reason, e.data["code"]) == ("process_killed", "bgtask_expired", "0xc51bad03")


def test_two_old_report_headers_one_after_another_are_two_watchdog_kills() -> None:
    # A 2007 post quoting the headers of two first-iPhone crash logs ('Exception Type: 00000020', 'Exception Codes:
    # 0x8badf00d', no Termination Reason yet) with '.hr' between them: each is the watchdog's kill. Before, one
    # crash was read (the fields of both as one report) with the reason '00000020'.
    events, _ = scan(CORPUS / "crash_headers_iphone_os1_two_8badf00d_hr_between_dasgenie.txt")
    assert [(e.kind, e.process, e.pid, e.reason) for e in events] == [
        ("process_killed", "MobileMail", 67, "watchdog:unknown"),
        ("process_killed", "Preferences", 73, "watchdog:unknown"),
    ]


def test_a_low_memory_report_table_names_the_jettisoned_process() -> None:
    # An iPhone OS 3 Low Memory report quoted in a Japanese blog from 'Free pages:' on: 'Largest process: foo' and the
    # Processes table, where 'foo <uuid>   11483 (jettisoned) (active)' was terminated to free memory (TN2151). It
    # was refused as an unrecognized format.
    path = CORPUS / "lowmemory_report_iphone_os3_jettisoned_table_japanese_rabbit2go.txt"
    assert _detect(path.read_text().splitlines()) == "ips"
    events, _ = scan(path)
    assert [(e.kind, e.process, e.reason, e.data["rpages"]) for e in events] == [
        ("process_killed", "foo", "jetsam:jettisoned", 11483)
    ]
