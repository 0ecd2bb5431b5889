"""Forms the iOS readers learned in the third corpus round (tests/samples/corpus/ios/r3_*, real captures; each file's
first line names its public source): old reports whose kill code stands in Exception Codes, resource monitors' reports
of a process left running, a JetsamEvent fragment cut inside an entry. Every test runs the real path (detection +
parser) on the captured text."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import scan

CORPUS = Path(__file__).resolve().parent.parent / "samples" / "corpus" / "ios"


def test_a_thermal_code_in_exception_codes_is_a_kill() -> None:
    # iOS 5: "Exception Type:  00000020", "Exception Codes: 0xc00010ff" (TN2151: a thermal event); it was a crash
    # named '00000020'.
    (e,) = scan(CORPUS / "r3_thermal_00000020_c00010ff_topmost_application_itrainalarm_book.txt")[0]
    assert (e.kind, e.reason, e.data["code"]) == ("process_killed", "runningboard:thermal", "0xc00010ff")


def test_a_voip_app_resumed_too_often_is_named_by_springboards_limit() -> None:
    # "Exception Codes: 0xbad22222" and "SBUnsuspendLimit ooVoo[360] exceeded 15 wakes in 300 sec": the report has no
    # Process line, SpringBoard's reason names the app.
    (e,) = scan(CORPUS / "r3_wakeups_00000020_bad22222_sbunsuspendlimit_oovoo_book.txt")[0]
    assert (e.kind, e.process, e.pid, e.reason) == ("process_killed", "ooVoo", 360, "runningboard:voip-too-frequent")


def test_nonfatal_resource_reports_are_no_death() -> None:
    # iOS 8's EXC_RESOURCE reports with subtype CPU (not CPU_FATAL) or WAKEUPS: the monitor reported, the process ran
    # on; each was a crash.
    for name in (
        "r3_exc_resource_cpu_nonfatal_ios8_updatebrainservice_book_negative.txt",
        "r3_exc_resource_wakeups_nonfatal_ios8_snapchat_book_negative.txt",
    ):
        events, outcome = scan(CORPUS / name)
        assert outcome.usable, name
        assert events == [], name


def test_a_jetsam_fragment_cut_inside_its_last_entry_still_names_the_killed_process() -> None:
    # The paste ends after the entry's "name" line, before "cpuTime" and the closing brace: rtcreportingd was lost.
    events, _ = scan(CORPUS / "r3_jetsamevent_ios12_vm_pageshortage_then_proc_thrashing_fragment_book.txt")
    assert [(e.process, e.pid, e.reason) for e in events] == [
        ("dataaccessd", 19370, "jetsam:vm-pageshortage"),
        ("rtcreportingd", 19385, "jetsam:proc-thrashing"),
    ]


def test_debugservers_words_named_in_a_sentence_are_no_second_kill() -> None:
    # The poster's extension ends with "Message from debugger: Terminated due to memory issue"; the answer says
    # "`Message from debugger: Terminated due to memory issue` is definitely the error you see when Jetsam kills ...".
    events, _ = scan(CORPUS / "r3_xcode_terminated_memory_issue_quoted_twice_packet_tunnel_icepa2.txt")
    assert [(e.kind, e.reason, e.where.rsplit(":", 1)[1]) for e in events] == [
        ("process_killed", "jetsam:unknown", "6")
    ]


def test_backboardd_telling_the_system_app_died_is_its_death() -> None:
    # iOS 7: `backboardd[1863] <Warning>: System app "com.apple.SpringBoard" has died. Waiting for it to spawn again...`
    (e,) = scan(CORPUS / "r3_syslog_ios7_backboardd_system_app_springboard_has_died_console_log_begin_ccloader13.txt")[
        0
    ]
    assert (e.kind, e.package, e.source) == ("process_died", "com.apple.SpringBoard", "syslog:backboardd")


def test_a_saved_crash_report_names_the_process_that_crashed() -> None:
    # ReportCrash: `Saved crashreport to /var/mobile/Library/Logs/CrashReporter/SpringBoard_2014-03-31-191155_…plist`.
    (e,) = scan(CORPUS / "r3_syslog_ios7_no_level_reportcrash_saved_springboard_then_safe_mode_bluepicker3.txt")[0]
    assert (e.kind, e.process) == ("crash", "SpringBoard")


def test_the_saved_report_of_a_kill_already_told_is_no_second_death() -> None:
    # iOS 4: BT killed for its assertions, then "Saved crashreport to …/BT_2010-11-25-113002_…plist": one death.
    events, _ = scan(CORPUS / "syslog_ios4_springboard_assertions_beyond_permitted_time_levels_lost_s21g.txt")
    assert [(e.kind, e.process, e.pid) for e in events] == [("process_killed", "BT", 4821)]


def test_foundations_uncaught_exception_line_quoted_without_its_stars_is_a_crash() -> None:
    # "`Terminating app due to uncaught exception 'NSInternalInconsistencyException', reason: '…'`." and the words glued
    # to Chinese text ("…会报Terminating app due to …"): Foundation's line without its "*** ".
    for name in (
        "r3_uncaught_launch_handler_already_registered_backtick_span_sentence_tsbgfetch14.txt",
        "r3_uncaught_exception_glued_to_chinese_title_imywebloader20.txt",
    ):
        (e,) = scan(CORPUS / name)[0]
        assert (e.kind, e.reason, e.data["exception"]) == ("crash", "sigabrt", "NSInternalInconsistencyException"), name


def test_debugservers_words_told_again_in_a_sentence_are_the_same_death() -> None:
    # 「Message from debugger: Terminated due to signal 9」 in the first paragraph and again in the second (its cause
    # was unknown), then the cpu report: the debugger's kill once, the report's once.
    events, _ = scan(CORPUS / "r3_blog_japanese_debugger_signal9_then_cpu_report_fields_on_one_line_yuukinishiyama.txt")
    assert sorted((e.source, e.reason) for e in events) == [
        ("ips", "resource:cpu"),
        ("syslog:debugger", "sigkill"),
    ]
