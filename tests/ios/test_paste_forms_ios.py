"""iOS logs and reports as people paste them (issue 11, iOS part): each form and rule with a few real lines
of the capture in tests/samples/corpus/ios/ that showed it (named in the comment), scanned through the real
path (detection, the iOS line reader, the tolerant mode's hand-off, the interpreter, the report parser).
"""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

import pytest
from bgprobe.collectors.errors import InputError
from bgprobe.collectors.inputs.textscan import scan_text
from bgprobe.collectors.parsers.ios_layouts import parse_record
from bgprobe.collectors.parsers.ios_syslog import IosTextReader
from bgprobe.collectors.parsers.ips import bundle_or_none, parse_ips, split_report_fields
from bgprobe.collectors.parsers.paste import Fences, strip_prefixes
from bgprobe.reports.events import Event
from bgprobe.reports.schema import events_frame
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import examples, scan

CORPUS = Path(__file__).resolve().parent.parent / "samples" / "corpus" / "ios"


def scan_text_of(text: str) -> tuple[list[Event], list[tuple[str, str]]]:
    """Events and unread (where, text) of a pasted text, read as a file."""
    unread: list[tuple[str, str]] = []
    stream = io.BufferedReader(io.BytesIO(text.encode("utf-8")))  # type: ignore[arg-type]
    events = list(scan_text(stream, "paste.txt", None, on_unrecognized=lambda w, t: unread.append((w, t))))
    return events, unread


def fields(events: list[Event], *names: str) -> list[tuple[Any, ...]]:
    return [tuple(getattr(e, n) for n in names) for e in events]


def deaths(events: list[Event]) -> list[Event]:
    return [e for e in events if e.kind in ("process_killed", "process_died", "crash", "anr")]


# -- what a paste adds --------------------------------------------------------------------------


def test_fences_inside_a_list_item_lose_their_indentation():
    # dasd_pushlaunch_policies_markdown_ably_docs: ```bash fences indented with the list item
    fences = Fences()
    assert fences.line("        ```bash") == ("", True)
    assert fences.line("        com.apple.pushLaunch.io.ably.flutter.plugin-example:4935F4:[") == (
        "com.apple.pushLaunch.io.ably.flutter.plugin-example:4935F4:[",
        False,
    )
    assert fences.line("         ], FinalDecision: Must Not Proceed}") == (
        " ], FinalDecision: Must Not Proceed}",
        False,
    )
    assert fences.line("        ```") == ("", True)
    assert fences.line("    after the fence") == ("    after the fence", False)
    # a log line glued to the opening fence is the first line of the block
    assert Fences().line("```2020-07-02 15:49:57.235 MagicApp[1603:20715] x") == (
        "2020-07-02 15:49:57.235 MagicApp[1603:20715] x",
        True,
    )


def test_lines_indented_with_a_list_item_are_each_a_record():
    # kernel_memorystatus_then_reportsystemmemory_proc_colon_lantern_pr8971: its two lines in a list item, each
    # indented as deep as the item (outside any fence). A line as indented as the one before is no continuation of
    # it: both kills are read, not the first with the second glued to it.
    lines = (CORPUS / "kernel_memorystatus_then_reportsystemmemory_proc_colon_lantern_pr8971.txt").read_text()
    kernel, report = lines.splitlines()[4:6]
    events, _ = scan_text_of(f"3. Logs:\n\n   {kernel}\n   {report}\n")
    assert fields(events, "kind", "process", "pid", "reason", "source") == [
        ("process_killed", "Tunnel", 1509, "jetsam:per-process-limit", "syslog:kernel"),
        ("process_killed", "Tunnel", 1509, "jetsam:per-process-limit", "syslog:OSAnalytics"),
    ]
    # an indented line deeper than the record's first still continues it
    events, _ = scan_text_of(f"3. Logs:\n\n   {kernel}\n      {report}\n")
    assert len(events) == 1


def test_prefixes_are_stripped_but_a_report_json_line_stays_json():
    assert strip_prefixes('> "termination" : {"code":6}') == '"termination" : {"code":6}'
    assert strip_prefixes("&gt; kernel\tEXC_RESOURCE -&gt; Tunnel[1250]") == "kernel\tEXC_RESOURCE -> Tunnel[1250]"


def test_report_fields_run_together_are_split():
    # frontboard_baadca11_run_together_voip_forum793077: the forum lost the report's line breaks
    line = (
        "Here is part of the crash report: Exception Type: EXC_CRASH (SIGKILL) Exception Codes: 0x0000000000000000, "
        "0x0000000000000000 Termination Reason: FRONTBOARD 0xbaadca11 <RBSTerminateContext| domain:10 "
        "code:0xBAADCA11 explanation:<no explanation given> reportType:CrashLog maxTerminationResistance:Interactive>"
    )
    assert [p.split(":")[0] for p in split_report_fields(line)] == [
        "Here is part of the crash report",
        "Exception Type",
        "Exception Codes",
        "Termination Reason",
    ]
    # one field in a sentence is no report
    assert split_report_fields("The Version: 4.3 is affected") == ["The Version: 4.3 is affected"]
    events, _ = scan_text_of(line + "\n\nTriggered by Thread: 0\n")
    assert fields(events, "kind", "reason", "source") == [("process_killed", "runningboard:voip-no-callkit", "ips")]


# -- layouts only pastes have --------------------------------------------------------------------


def test_pasted_layouts():
    # symptomsd_fatal_resource_notify_cpu_cfagent: syslog_relay without date and host
    rec = parse_record("symptomsd(SymptomEvaluator)[129] <Notice>: Fatal RESOURCE_NOTIFY trigger for X [1] (1 x)", 1)
    assert rec is not None and (rec.process, rec.image, rec.pid, rec.level, rec.layout) == (
        "symptomsd",
        "SymptomEvaluator",
        129,
        "Notice",
        "syslog_bare",
    )
    # appium_syslog_json_power_assertion_rename_wda: `log stream --style compact`
    rec = parse_record(
        "2020-05-29 12:06:43.858 Df runningboardd[2308:ee9f] [com.apple.runningboard:power] Attempting to rename", 1
    )
    assert rec is not None and (rec.process, rec.pid, rec.level, rec.subsystem, rec.ts, rec.layout) == (
        "runningboardd",
        2308,
        "Df",
        "com.apple.runningboard",
        "2020-05-29T12:06:43.858",
        "log_compact",
    )
    # assertiond_beyond_permitted_time_markdown_instabug_ios12: a Console row with spaces for tabs and a date
    rec = parse_record("default 2019-01-08 13:26:14.087889 +0800 assertiond [OurApp:24424] Forcing crash report", 1)
    assert rec is not None and (rec.process, rec.ts, rec.msg, rec.layout) == (
        "assertiond",
        "2019-01-08T13:26:14.087889+08:00",
        "[OurApp:24424] Forcing crash report",
        "console_spaced",
    )
    # dasd_coredata_import_throttle_tn3163: columns elided as `…`, the message reflowed onto the next lines
    rec = parse_record("default  … 14:14:15.613580 …  dasd ", 1)
    assert rec is not None and (rec.process, rec.msg, rec.layout) == ("dasd", "", "console_spaced")
    # Foundation's NSLog, as a terminal shows it (terminal_uncaught_exception_abort_trap_uidaemon_ios13)
    rec = parse_record("2020-07-02 15:49:57.235 MagicApp[1603:20715] *** Terminating app", 1)
    assert rec is not None and (rec.process, rec.pid) == ("MagicApp", 1603)


def test_console_rows_glued_onto_one_line_are_split():
    # console_run_together_suspended_voip_forum759754 (a negative: suspension, no death)
    line = (
        "default 14:29:55.265590-0400 audiomxd -CMSessionMgr- CMSessionMgrHandleApplicationStateChange: Sending stop "
        "command to com.myapp.bundleid with pid '2933' because client is background suspended default "
        "14:29:55.265753-0400 dasd Received state update for 2933 (app<com.myapp.bundleid(AD9F24FF)>, "
        "running-suspended-NotVisible default 14:29:55.265908-0400 locationd Received state update for 2933"
    )
    events, unread = scan_text_of("I am posting the logs collected from console app here.\n\n" + line + "\n")
    assert events == [] and unread == []
    from bgprobe.collectors.parsers.ios_syslog import _glued

    assert [parse_record(p, 1).process for p in _glued(line)] == ["audiomxd", "dasd", "locationd"]  # type: ignore[union-attr]


def test_device_log_lines_in_json_strings_are_read():
    # appium_syslog_json_power_assertion_rename_wda (a negative): the lines are read, nothing happened
    text = (
        "            {\n"
        '              "timestamp": 1590746803861,\n'
        '              "level": "ALL",\n'
        '              "message": "2020-05-29 12:06:43.858 Df runningboardd[2308:ee9f] [com.apple.runningboard:power]'
        ' Attempting to rename power assertion 34565 for target application<com.facebook.WebDriverAgentRunner.xctrunner>"\n'
        "            },\n"
    )
    assert scan_text_of(text) == ([], [])


def test_a_file_with_no_ios_or_android_line_is_still_unrecognized():
    with pytest.raises(InputError, match="unrecognized format"):
        scan_text_of("The tunnel stops after a while.\n```\nno log here\n```\n")


# -- kernel: memorystatus and EXC_RESOURCE --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # kernel_exc_resource_fatal_tunnel_adguard_ios15: Console's process<TAB>message, in a fence after a sentence
        (
            "Here's how it looks like in the device logs:\n```\n"
            "kernel\tEXC_RESOURCE -> Tunnel[1250] exceeded mem limit: ActiveHard 15 MB (fatal)\n```\n",
            [("process_killed", "Tunnel", 1250, "jetsam:per-process-limit", "syslog:kernel")],
        ),
        # kernel_exc_resource_fatal_nse_nextcloud_ios17b1: the bare kernel message in a fence
        (
            "```\nEXC_RESOURCE -> NotificationServiceExtension[478] exceeded mem limit: ActiveHard 24 MB (fatal)\n```\n",
            [("process_killed", "NotificationServiceExtension", 478, "jetsam:per-process-limit", "syslog:kernel")],
        ),
    ],
)
def test_a_fatal_memory_limit_alone_is_a_per_process_limit_kill(text: str, expected: list[tuple[Any, ...]]):
    events, _ = scan_text_of(text)
    assert fields(events, "kind", "process", "pid", "reason", "source") == expected
    assert events[0].data["limit"] == "ActiveHard"


def test_a_soft_memory_limit_kills_nothing():
    events, unread = scan_text_of(
        "kernel\tEXC_RESOURCE -> Tunnel[1250] exceeded mem limit: ActiveSoft 12 MB (non-fatal)\n"
    )
    assert events == [] and unread == []


def test_memorystatus_lines_of_ios_18_4():
    # kernel_memorystatus_keyboard_extension_fcitx5_readme: the limit, the high band, the kill with its newer fields
    events, _ = scan_text_of(
        "```\n"
        "memorystatus: keyboard [14871] exceeded mem limit: ActiveHard 77 MB (fatal)\n"
        "memorystatus: killing process 14871 [keyboard] in high band FOREGROUND (100) - "
        "memorystatus_available_pages: 121469\n"
        "keyboard[14871] Corpse allowed 1 of 5\n"
        "1817600.392 memorystatus: killing_specific_process pid 14871 [keyboard] (per-process-limit 100 16s rf:-) "
        "78848KB - memorystatus_available_pages: 121472\n"
        "```\n"
    )
    assert fields(events, "kind", "process", "pid", "reason") == [
        ("process_killed", "keyboard", 14871, "jetsam:per-process-limit"),
        ("process_killed", "keyboard", 14871, "jetsam:per-process-limit"),
    ]
    assert events[1].data == {
        "rss_kb": 78848,
        "how": "killing_specific_process",
        "priority": 100,
        "limit": "ActiveHard",
        "limit_mb": 77,
        "band": "FOREGROUND",
    }


def test_kills_run_together_in_dmesg_are_each_a_kill():
    # dmesg_run_together_zone_map_exhaustion_saaramar_ios14: kernel records without line breaks, read as dmesg
    line = (
        "[  328.770593]: 328.762 memorystatus: killing_top_process pid 41 [backboardd] (zone-map-exhaustion 17) "
        "34416KB - memorystatus_available_pages: 83242328.774 memorystatus: killing_top_process pid 1965 [dasd] "
        "(zone-map-exhaustion 1) 960KB - memorystatus_available_pages: 83223328.777 memorystatus: "
        "killing_top_process pid 1967 [chronod] (zone-map-exhaustion 1) 1072KB - memorystatus_available_pages: "
        "84300AppleSPUHIDDevice:0x100000503 close by AppleSPUHIDDeviceUserClient 0x1000005f5 (0x0)"
    )
    events, _ = scan_text_of("Actually, by taking a look at dmesg:\n\n```\n" + line + "\n```\n")
    assert fields(events, "process", "pid", "reason") == [
        ("backboardd", 41, "jetsam:zone-map-exhaustion"),
        ("dasd", 1965, "jetsam:zone-map-exhaustion"),
        ("chronod", 1967, "jetsam:zone-map-exhaustion"),
    ]
    assert [e.data["rss_kb"] for e in events] == [34416, 960, 1072]
    assert events[1].detail.startswith("killing_top_process pid 1965 [dasd]")


def test_osanalytics_names_the_jetsam_kill_in_a_process_column_copy():
    # kernel_memorystatus_console_process_tab_ios14_taurine
    events, _ = scan_text_of(
        "kernel\tEXC_RESOURCE -> amfidebilitate[449] exceeded mem limit: InactiveHard 2098 MB (fatal)\n"
        "kernel\t1401.082 memorystatus: killing_specific_process pid 449 [amfidebilitate] (per-process-limit 3) "
        "2331079KB - memorystatus_available_pages: 50117\n"
        "kernel\tAMFI: code signature validation failed.\n"
        "osanalyticshelper\tProcess amfidebilitate [449] killed by jetsam reason per-process-limit\n"
    )
    assert fields(events, "process", "pid", "reason", "source") == [
        ("amfidebilitate", 449, "jetsam:per-process-limit", "syslog:kernel"),
        ("amfidebilitate", 449, "jetsam:per-process-limit", "syslog:kernel"),
        ("amfidebilitate", 449, "jetsam:per-process-limit", "syslog:osanalyticshelper"),
    ]


def test_killed_by_jetsam_in_prose_is_no_kill():
    events, unread = scan_text_of(
        "kernel\tEXC_RESOURCE -> x[1] exceeded mem limit: ActiveSoft 1 MB (non-fatal)\n"
        "I think my app was killed by jetsam again\n"
    )
    assert events == [] and [t for _, t in unread] == ["I think my app was killed by jetsam again"]


# -- CPU limits, the debugger, uncaught exceptions ------------------------------------------------


def test_a_fatal_cpu_resource_notify_is_a_kill():
    # symptomsd_fatal_resource_notify_cpu_cfagent
    events, _ = scan_text_of(
        "It seems there is too much CPU usage when running CFAgent-Runner\n\n"
        "symptomsd(SymptomEvaluator)[129] <Notice>: Fatal RESOURCE_NOTIFY trigger for CFAgent-Runner [486] "
        "(48000541916 nanoseconds of CPU usage over 53.00s seconds, violating limit of 48000000000 nanoseconds of "
        "CPU usage over 60.00s seconds)\n"
    )
    assert fields(events, "kind", "process", "pid", "reason", "source") == [
        ("process_killed", "CFAgent-Runner", 486, "resource:cpu", "syslog:symptomsd")
    ]
    warning, _ = scan_text_of(
        "symptomsd(SymptomEvaluator)[129] <Notice>: RESOURCE_NOTIFY trigger for CFAgent-Runner [486] "
        "(30000000000 nanoseconds of CPU usage over 53.00s seconds, violating limit of …)\n"
    )
    assert warning == []


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # xcode_terminated_signal9_after_bg_time_deltachat_ios17
        ("Message from debugger: Terminated due to signal 9", ("process_killed", None, "sigkill")),
        ("Message from debugger: Terminated due to memory issue", ("process_killed", None, "jetsam:unknown")),
        ("Message from debugger: Terminated due to signal 11", ("crash", None, "sigsegv")),
        (
            "Process 8873 exited with status = 9 (0x00000009) Terminated due to signal 9",
            ("process_killed", 8873, "sigkill"),
        ),
    ],
)
def test_the_debuggers_last_words(line: str, expected: tuple[Any, ...]):
    text = "```\n19:29:59:068 💙  ⬅️ few background time, 5.666139250039123, done\n" + line + "\n```\n"
    events, _ = scan_text_of(text)
    assert fields(events, "kind", "pid", "reason") == [expected]
    assert events[0].source == "syslog:debugger"


@pytest.mark.parametrize(
    ("text", "mb"),
    [
        # lldb_stop_reason_exc_resource_memory_watch_interp_macios7075 (lldb before 2022)
        (
            "```\nProcess 1255 stopped\n* thread #1, name = 'tid_303', queue = 'com.apple.main-thread', stop reason = "
            "EXC_RESOURCE RESOURCE_TYPE_MEMORY (limit=80 MB, unused=0x0)\n    frame #0: 0x1e185ae8 CoreGraphics`x_malloc"
            " + 44\n```\n",
            80,
        ),
        # xcode_thread_exc_resource_high_watermark_quoted_harbeth33_ios17 (Xcode 14 and later, quoted)
        (
            "I always get the same error:\n\n> Thread 1: EXC_RESOURCE (RESOURCE_TYPE_MEMORY: high watermark memory "
            "limit exceeded) (limit=3376 MB)\n",
            3376,
        ),
        # exc_resource_memory_limit_title_only_screenrecorder13: the stop reason alone is the whole text
        ("EXC_RESOURCE RESOURCE_TYPE_MEMORY (limit=650 MB, unused=0x0)\n", 650),
    ],
)
def test_the_debuggers_memory_limit_stop_is_jetsams_kill(text: str, mb: int):
    events, _ = scan_text_of(text)
    assert fields(events, "kind", "pid", "reason") == [("process_killed", None, "jetsam:per-process-limit")]
    assert events[0].source == "syslog:debugger"
    assert events[0].data["limit_mb"] == mb


@pytest.mark.parametrize(
    "exit_line", ["Message from debugger: Terminated due to memory issue", "Terminated due to signal 9"]
)
def test_the_debuggers_exit_after_its_memory_limit_stop_is_the_same_death(exit_line: str):
    # Xcode 14+'s stop (xcode_thread_exc_resource_high_watermark_quoted_harbeth33_ios17), then the debugger's exit as
    # Xcode prints it when the app is resumed (jetsam ends it) or stopped (signal 9): one kill, at the stop.
    stop = "Thread 1: EXC_RESOURCE (RESOURCE_TYPE_MEMORY: high watermark memory limit exceeded) (limit=3376 MB)"
    events, _ = scan_text_of(f"{stop}\n(lldb) continue\n{exit_line}\n")
    assert fields(events, "kind", "reason") == [("process_killed", "jetsam:per-process-limit")]
    assert events[0].where.endswith(":1")
    # without the stop before it, the exit is the death (test_the_debuggers_last_words)
    events, _ = scan_text_of(f"{exit_line}\n{exit_line}\n")
    assert len(events) == 2


def test_runningboard_removing_an_apps_assertions_is_its_death_told_once():
    # spacelaunchnow15 (iOS 14.5, a Console copy): only the clean-up lines, a WebKit helper's first (no death of its
    # own), then the app's: one death of the app.
    helper = "[xpcservice<com.apple.WebKit.Networking([application<me.spacelaunchnow.spacelaunchnow>:2636])>:2639:2639]"
    events, _ = scan_text_of(
        f"default\t08:46:40.773536-0500\trunningboardd\tRemoving assertions for terminated process: {helper}\n"
        "default\t08:46:40.790990-0500\trunningboardd\tRemoving assertions for terminated process: "
        "[application<me.spacelaunchnow.spacelaunchnow>:2636]\n"
    )
    assert fields(deaths(events), "kind", "package", "pid") == [
        ("process_died", "me.spacelaunchnow.spacelaunchnow", 2636)
    ]
    # A macOS runningboardd log as a public capture has it: launchd's termination line first names the cause; the
    # clean-up after it is the same death.
    app = "[app<application.com.nexy.assistant.41062796.41062805(501)>:53679]"
    events, _ = scan_text_of(
        f"default\t09:58:51.035398-0500\trunningboardd\t{app} termination reported by launchd (2, 11, 11)\n"
        f"default\t09:58:51.035542-0500\trunningboardd\tRemoving process: {app}\n"
        f"default\t09:58:51.036386-0500\trunningboardd\tRemoving assertions for terminated process: {app}\n"
    )
    assert [(e.pid, e.where) for e in deaths(events)] == [(53679, "paste.txt:1")]


def test_other_exc_resource_words_kill_nothing():
    # Apple's EXC_RESOURCE page and a crash report's subtype name the limit without lldb's stop reason
    events, _ = scan_text_of(
        "- `MEMORY`: The process crossed a memory limit imposed by the system.\n"
        "Exception Type:  EXC_RESOURCE\nException Subtype: MEMORY\n"
    )
    assert [e for e in events if e.kind == "process_killed"] == []


@pytest.mark.parametrize(
    "text",
    [
        # bgtaskscheduler_error1_promise_rejection_asterisks_rnbgfetch230_negative: the rejection alone is the text
        ' Possible Unhandled Promise Rejection (id: 0):\n"The operation couldn’t be completed. '
        '(BGTaskSchedulerErrorDomain error 1.)"\n',
        # bgtaskscheduler_error1_localized_description_promise_rejection_rnbgfetch486: in prose, an Xcode line after
        "Getting a promise rejection error: The operation couldn’t be completed. (BGTaskSchedulerErrorDomain error 1.)"
        "\n\n2024-02-19 17:58:44.878321+0530 Stackyon[15051:359427] [TSBackgroundFetch schedule\n",
    ],
)
def test_a_refused_submit_as_the_errors_localized_description(text: str):
    events, _ = scan_text_of(text)
    assert fields(events, "kind", "reason") == [("job_stopped", "submit_error")]
    assert events[0].data["error_code"] == 1 and events[0].data["error"] == "unavailable"


def test_the_debuggers_other_notices_are_read_and_kill_nothing():
    # xcode_debugger_killed_lldb_rpc_server_detach_chisel310_negative: Xcode killed its own LLDB RPC server
    events, unread = scan_text_of(
        'i have an error "Message from debugger: Xcode has killed the LLDB RPC server to allow the debugger to detach '
        'from your process. You may need to manually terminate your process."\n'
    )
    assert events == [] and unread == []


def test_an_uncaught_exception_is_a_crash_of_the_process_that_logged_it():
    # terminal_uncaught_exception_abort_trap_uidaemon_ios13: the shell's "Abort trap: 6" is the same death
    events, _ = scan_text_of(
        "```\nphoneme:/var/mobile root# /System/Library/CoreServices/MagicApp.app/MagicApp\n"
        "2020-07-02 15:49:57.235 MagicApp[1603:20715] *** Terminating app due to uncaught exception "
        "'NSInternalInconsistencyException', reason: 'we should never make it here'\n"
        "*** First throw call stack:\n(0x1b2b9980c 0x1b28c1fa4)\n"
        "libc++abi.dylib: terminating with uncaught exception of type NSException\nAbort trap: 6\n```\n"
    )
    assert fields(events, "kind", "process", "pid", "reason") == [("crash", "MagicApp", 1603, "sigabrt")]
    assert events[0].data["exception"] == "NSInternalInconsistencyException"


# -- background tasks and assertions ----------------------------------------------------------------


def test_an_assertion_held_beyond_its_time_names_the_process_not_the_logger():
    # assertiond_beyond_permitted_time_markdown_instabug_ios12: the header in one fence, the Console line in another
    events, _ = scan_text_of(
        "1. The crash:\n\n```\nException Type:  EXC_CRASH (SIGKILL)\n"
        "Exception Codes: 0x0000000000000000, 0x0000000000000000\nException Note:  EXC_CORPSE_NOTIFY\n"
        "Termination Reason: Namespace ASSERTIOND, Code 0x8badf00d\nTriggered by Thread:  0\n```\n\n"
        "2. Related iOS console log:\n\n```\n"
        "default 2019-01-08 13:26:14.087889 +0800 assertiond [OurApp:24424] Forcing crash report with description: "
        "OurApp:24424 has active assertions beyond permitted time:\n"
        '<BKProcessAssertion: 0x10473d0c0; "Shared Background Assertion 446 for com.ourdomain.OurApp" '
        "(finishTask:180s); id:…475658F36F42> (owner: OurApp:24424)\n```\n"
    )
    assert fields(events, "kind", "process", "pid", "reason", "source") == [
        ("process_killed", None, None, "bgtask_expired", "ips"),
        ("process_killed", "OurApp", 24424, "bgtask_expired", "syslog:assertions"),
    ]
    assert events[1].data == {"permitted_s": 180.0, "assertion_reason": "finishTask", "utc_offset": "+08:00"}


def test_assertiond_0x8badf00d_is_an_expired_background_assertion_in_every_report():
    # assertiond_8badf00d_crash_header_flutter_ios12 and the report above: the same header, the same reason
    events, _ = scan(CORPUS / "assertiond_8badf00d_crash_header_flutter_ios12.txt")
    assert fields(events, "kind", "process", "pid", "reason") == [("process_killed", "Runner", 5312, "bgtask_expired")]
    assert events[0].data["namespace"] == "ASSERTIOND" and events[0].data["code"] == "0x8badf00d"


def test_hard_wrapped_uikit_messages_are_joined():
    # uikit_bgtask_expired_hard_wrapped_uynguyen_blog: each line cut at a blank (trailing spaces)
    events, unread = scan_text_of(
        "```bash\n\n"
        "Background task still not ended after expiration handlers were called: <_UIBackgroundTaskInfo: 0x28190d140>: "
        "taskID = 8, taskName = Called by AppGetKilled, \n"
        "from $s12AppGetKilled13SceneDelegateC23sceneDidEnterBackgroundyySo7UISceneCF, creationTime = 70784 "
        "(elapsed = 26). \n"
        "This app will likely be terminated by the system. Call UIApplication.endBackgroundTask(_:) to avoid this.\n"
        'Background Task 5 ("Called by AppGetKilled, from $s12AppGetKilled13SceneDelegateC23sceneDidEnterBackground'
        'yySo7UISceneCF"), \n'
        "was created over 30 seconds ago. \n"
        "In applications running in the background, this creates a risk of termination. \n\n```\n"
    )
    assert fields(events, "kind", "job", "reason") == [
        ("job_timeout", "uikit:8", "bgtask_expired"),
        ("state_changed", "uikit:5", "uikit:bgtask-over-30s"),
    ]
    assert events[0].data["elapsed_s"] == 26 and unread == []


def test_webkit_says_the_background_time_was_already_running_out():
    # webkit_runningboard_expiration_timer_cordova_ios14: an Xcode line without its date and process
    events, _ = scan_text_of(
        "## Debug logs\n[ProcessSuspension] 0x2805bb780 - WKProcessAssertionBackgroundTaskManager: Ignored request "
        "to start a new background task because RunningBoard has already started the expiration timer\n"
    )
    assert fields(events, "kind", "reason", "source") == [("state_changed", "webkit:bgtask-refused", "syslog:WebKit")]
    assert deaths(events) == []


# -- dasd ---------------------------------------------------------------------------------------------


def test_dasd_policy_evaluations_in_indented_fences_with_and_without_scores():
    # dasd_pushlaunch_policies_markdown_ably_docs: a veto ends the evaluation without scores
    events, _ = scan_text_of(
        "        - `cameraIsActive` error:\n        ```bash\n"
        "        com.apple.pushLaunch.io.ably.flutter.plugin-example:4935F4:[\n"
        "        {name: MemoryPressurePolicy, policyWeight: 5.000, response: {Decision: Must Not Proceed, Score: 0.00,"
        " Rationale: [{cameraIsActive == 1}]}}\n"
        "        ], FinalDecision: Must Not Proceed}\n        ```\n"
        "        - Another successful delivery:\n        ```bash\n"
        "        com.apple.pushLaunch.io.ably.flutter.plugin-example:5E1C66:[\n"
        "        {name: DeviceActivityPolicy, policyWeight: 5.000, response: {Decision: Can Proceed, Score: 0.25}}\n"
        "        ] sumScores:93.270000, denominator:97.020000, FinalDecision: Can Proceed FinalScore: 0.961348}\n"
        "        ```\n"
    )
    job = "com.apple.pushLaunch.io.ably.flutter.plugin-example"
    assert fields(events, "kind", "package", "job", "reason") == [
        ("job_scheduled", "io.ably.flutter.plugin-example", job, "deferred"),
        ("job_scheduled", "io.ably.flutter.plugin-example", job, "can_proceed"),
    ]
    assert events[0].data["blocking"] == ["MemoryPressurePolicy"] and "final_score" not in events[0].data
    assert events[1].data["final_score"] == 0.961348


def test_a_reflowed_console_row_of_any_dasd_activity():
    # dasd_coredata_import_throttle_tn3163: the row cut after the process, the uid before the activity
    events, _ = scan_text_of(
        "default  … 14:14:15.613580 …  dasd \n"
        "501:com.apple.coredata.cloudkit.activity.import.A73C42D5-ADEE-4758-B2A1-F75DEBF93702:CF81BC:\n"
        "[{name: Activity Group Policy, policyWeight: 0.500, \n"
        "response: {Decision: Must Not Proceed, Score: 0.00, \n"
        'Rationale: [{"com.apple.coredata.cloudkit.YourCoolApp.A73C42D5".currentAvailableLimit == 0}]}\n'
        "}], FinalDecision: Must Not Proceed}\n"
        "…\n"
        "default  … 14:14:15.746773 …  dasd \n"
        "501:com.apple.coredata.cloudkit.activity.import.A73C42D5-ADEE-4758-B2A1-F75DEBF93702:CF81BC:\n"
        "[{name: Application Policy, policyWeight: 25.000, \n"
        "response: {Decision: Can Proceed, Score: 0.60}}\n"
        "] sumScores:60.704720, denominator:71.940000, \n"
        "FinalDecision: Can Proceed FinalScore: 0.843824}\n"
    )
    job = "com.apple.coredata.cloudkit.activity.import.A73C42D5-ADEE-4758-B2A1-F75DEBF93702"
    assert fields(events, "kind", "job", "reason", "process") == [
        ("job_scheduled", job, "deferred", "dasd"),
        ("job_scheduled", job, "can_proceed", "dasd"),
    ]
    assert events[0].data["blocking"] == ["Activity Group Policy"] and events[0].data["type"] == "activity"


# -- reports among lines and report fragments ------------------------------------------------------


def test_a_json_report_after_console_rows_in_another_fence():
    # jetsamevent_ios18_two_part_header_only_immich (a negative): cut before the processes array
    events, unread = scan_text_of(
        "```shell\n"
        "default\t14:33:27.240164+0200\tImmich\tChange distributor advanced _lastToken to: <private>\n```\n\n```\n"
        '{"bug_type":"298","timestamp":"2024-09-08 14:33:32.00 +0200","os_version":"iPhone OS 18.0 (22A5350a)"}\n'
        '{\n  "build" : "iPhone OS 18.0 (22A5350a)",\n  "memoryStatus" : {\n  "pageSize" : 16384,\n'
        '  "memoryPages" : {\n    "active" : 46095,\n```\n'
    )
    assert events == [] and unread == []


def test_a_resource_report_from_its_event_line():
    # wakeups_action_none_no_header_firebase_ios13 (a negative): no header, "Action taken: none"
    text = (
        "```\n\nEvent:            wakeups\nAction taken:     none\n"
        "Wakeups:          45001 wakeups over the last 295 seconds (153 wakeups per second average)\n"
        "Wakeups limit:    45000\n\nHeaviest stack for the target process:\n"
        "  43  ??? (libsystem_pthread.dylib + 14600) [0x1e1d3f908]\n\nPowerstats for:   MYAPP [2370]\n"
    )
    assert scan_text_of(text) == ([], [])
    killed, _ = scan_text_of(text.replace("Action taken:     none", "Action taken:     Process killed"))
    assert fields(killed, "kind", "reason") == [("process_killed", "resource:wakeups")]


def test_termination_by_a_signal_the_process_sent_itself_names_it():
    # ips_json_fragment_sigabrt_termination_immich_ios17: four lines of a JSON body, after prose
    lines = [
        "@alextran1502 I am running into this as well.",
        "```",
        '  "exception" : {"codes":"0x0000000000000000, 0x0000000000000000","rawCodes":[0,0],"type":"EXC_CRASH",'
        '"signal":"SIGABRT"},',
        '  "termination" : {"flags":0,"code":6,"namespace":"SIGNAL","indicator":"Abort trap: 6","byProc":"Runner",'
        '"byPid":2743},',
        '  "asi" : {"libsystem_c.dylib":["abort() called"]},',
        "```",
    ]
    (e,) = parse_ips(list(enumerate(lines, 1)), "x")
    assert (e.kind, e.process, e.pid, e.reason) == ("crash", "Runner", 2743, "sigabrt")
    assert e.data["terminated_by"] == "Runner" and e.data["exception"] == {"type": "EXC_CRASH", "signal": "SIGABRT"}
    # a fault: the process's own exception handler ends it (its pid, no name)
    (fault,) = parse_ips(
        [
            (
                1,
                '"termination" : {"flags":0,"code":11,"namespace":"SIGNAL","indicator":"Segmentation fault: 11",'
                '"byProc":"exc handler","byPid":63365},',
            )
        ],
        "x",
    )
    assert (fault.process, fault.pid, fault.reason) == (None, 63365, "sigsegv")
    # a kill by another process does not name the victim after the killer
    (kill,) = parse_ips(
        [(1, '"termination" : {"code":9,"namespace":"SIGNAL","indicator":"Killed: 9","byProc":"launchd","byPid":1},')],
        "x",
    )
    assert (kill.process, kill.pid, kill.data["terminated_by"]) == (None, None, "launchd")


def test_a_kill_by_watchdogd_after_prose():
    # springboard_watchdogd_monitoring_timed_out_ips_ios15_forum: the header line after a sentence, a cut body
    lines = [
        "SpringBoard crash log:",
        '{"bundleID":"SpringBoard","timestamp":"2021-10-12 17:09:49.00 +0800","os_version":"iPhone OS 15.0 (19A346)",'
        '"bug_type":"309","app_name":"SpringBoard","name":"SpringBoard"}',
        "{",
        '"procName" : "SpringBoard",',
        '"pid" : -1,',
        '"termination" : {"flags":0,"indicator":"monitoring timed out for service","code":1,"namespace":"WATCHDOG",'
        '"details":["unresponsive dispatch queue(s): com.apple.main-thread"]},',
    ]
    (e,) = parse_ips(list(enumerate(lines, 1)), "x")
    assert (e.kind, e.process, e.pid, e.reason, e.os_version) == (
        "process_killed",
        "SpringBoard",
        None,
        "watchdog:monitoring-timed-out-for-service",
        "15.0",
    )


def test_a_processes_array_cut_inside_an_entry():
    # jetsamevent_ios18_processes_vm_pageshortage_fragment_immich: the first entry has no opening brace
    events, _ = scan(CORPUS / "jetsamevent_ios18_processes_vm_pageshortage_fragment_immich.txt")
    assert fields(events, "process", "pid", "reason") == [
        ("PowerUIAgent", 8859, "jetsam:vm-pageshortage"),
        ("assistant_service", 8257, "jetsam:vm-pageshortage"),
    ]
    assert events[0].data["kill_delta"] == 7167906


@pytest.mark.parametrize("placeholder", ["redacted", "***", ".......", "<private>"])
def test_redaction_placeholders_are_no_bundle(placeholder: str):
    # watchdog_scene_update_kern_memory_error_header_ios13 (redacted), frontboard_rbsterminatecontext_* (***),
    # watchdog_springboard_scene_update_background_blog (.......)
    assert bundle_or_none(placeholder) is None
    assert bundle_or_none("com.REDACTED") == "com.REDACTED"  # what the log says, partly masked
    events, _ = scan(CORPUS / "watchdog_springboard_scene_update_background_blog.txt")
    assert fields(events, "package", "pid", "reason") == [(None, 307, "watchdog:scene-update")]


# -- both platforms in one paste, what no rule read, long lines -------------------------------------


def test_a_ticket_quoting_both_platforms_has_each_line_read_by_both():
    events, _ = scan_text_of(
        "On Android I get:\n```\n"
        "10-30 13:27:55.958  1702  1970 I ActivityManager: Killing 14231:com.a/u0a227 (adj 975): empty #33\n```\n"
        "and on iOS:\n```\nkernel\tEXC_RESOURCE -> Tunnel[1250] exceeded mem limit: ActiveHard 15 MB (fatal)\n```\n"
    )
    assert sorted(fields(events, "platform", "pid", "reason")) == [
        ("android", 14231, "too_many_empty"),
        ("ios", 1250, "jetsam:per-process-limit"),
    ]


def test_an_ios_line_a_rule_was_meant_for_but_did_not_read_is_listed():
    events, unread = scan_text_of(
        "default\t14:57:26.045425-0400\trunningboardd\tXPC connection invalidated\n"
        "default\t14:57:26.045500-0400\tMyApp\tBackground task still not ended after expiration handlers were called:"
        " (cut by the console)\n"
    )
    assert events == [] and [w for w, _ in unread] == ["paste.txt:2"]


def test_adversarial_ios_lines_are_read_in_linear_time():
    """Lines up to 64 KiB reach the iOS reader: none of its patterns may backtrack quadratically."""
    n = 30_000
    log = [
        "default\t14:57:26.045425-0400\trunningboardd\tXPC connection invalidated",  # an iOS log, then:
        "killing_top_process pid 1 [" * (n // 10),
        "memorystatus: killing_top_process pid 1 [x] (y 1) " + "1" * n,
        "default 10:00:00.000000 p " * (n // 10),
        "EXC_RESOURCE -> " + "a" * n + " exceeded mem limit: ",
        "a" * n + " has active assertions beyond permitted time",
        "bgRefresh-x:ABC:[ FinalDecision: " + " " * n,
        "bgRefresh-x:ABC:[" + "]" * n + " FinalDecision: x",
        "com.apple.pushLaunch.a:1:[" + "{name: a, policyWeight: 1, response: {Decision: " * (n // 40),
        "(" * n + " Expiring task: ",
        "2020-01-01 10:00:00.1 " * (n // 20),
        "Process " + "a" * n + " killed by jetsam reason x",
        "Fatal RESOURCE_NOTIFY trigger for " + "a" * n,
        "a" * n + " is not advertised in the application's Info.plist",
        "Received termination request from [daemon<x>:1] on <p> with context <RBSTerminateContext| domain:"
        + " " * n
        + "x",
    ]
    report = [  # a report's lines (read whole by the report parser)
        '  "termination" : {' + '"a":' * (n // 4),
        "Exception Type: x Exception Codes: y " * (n // 30),
        "Termination Description: SPRINGBOARD, " + "a" * n + " watchdog transgression: x exhausted",
        "Version: x" + " " * n + "y",
        '    "pid" : 1, "reason" : "x", "rpages" : ' + '"a",' * (n // 4),
    ]
    for lines in (log, report):
        start = time.perf_counter()
        scan_text_of("\n".join(lines) + "\n")
        assert time.perf_counter() - start < 2.0


_IOS_LINES = [
    "```",
    "        ```bash",
    "default\t14:33:27.228890+0200\tImmich\tbeginObservingChanges: _lastToken = <NSPersistentHistoryToken - {",
    '    "07A1BAB3-5CCE-413F-86AB-1B002F78D82A" = 1244996;',
    "}>",
    "default  … 14:14:15.613580 …  dasd ",
    "501:com.apple.coredata.cloudkit.activity.import.A73C42D5:CF81BC:",
    "[{name: Activity Group Policy, policyWeight: 0.500, ",
    "}], FinalDecision: Must Not Proceed}",
    "kernel\tEXC_RESOURCE -> Tunnel[1250] exceeded mem limit: ActiveHard 15 MB (fatal)",
    "1817600.392 memorystatus: killing_specific_process pid 14871 [keyboard] (per-process-limit 100 16s rf:-) 78848KB",
    "Background task still not ended after expiration handlers were called: <_UIBackgroundTaskInfo: 0x2>: taskID = 8, ",
    "from x, creationTime = 70784 (elapsed = 26). ",
    '{"bug_type":"298","timestamp":"2024-09-08 14:33:32.00 +0200","os_version":"iPhone OS 18.0 (22A5350a)"}',
    '  "termination" : {"flags":0,"code":6,"namespace":"SIGNAL","indicator":"Abort trap: 6","byPid":2743},',
    '    "reason" : "vm-pageshortage",',
    "Exception Type: EXC_CRASH (SIGKILL) Exception Codes: 0x0 Termination Reason: FRONTBOARD 0xbaadca11",
    "Event:            wakeups",
    "Action taken:     Process killed",
    "symptomsd(SymptomEvaluator)[129] <Notice>: Fatal RESOURCE_NOTIFY trigger for X [486] (1 nanoseconds of CPU",
    "Message from debugger: Terminated due to signal 9",
    "2020-07-02 15:49:57.235 MagicApp[1603:20715] *** Terminating app due to uncaught exception 'X', reason: 'y'",
    '> [BackgroundTask] Background Task 5 ("x"), was created over 30 seconds ago.',
]


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            st.sampled_from(_IOS_LINES),
            st.sampled_from(_IOS_LINES).map(lambda s: s[: len(s) // 2]),
            st.text(max_size=80),
        ),
        max_size=40,
    )
)
def test_the_ios_reader_never_raises(lines: list[str]):
    reader = IosTextReader("fuzz")
    events = [e for n, line in enumerate(lines, 1) for e in reader.feed(n, line)] + reader.flush()
    events_frame(events)  # every event fits the schema


def test_a_syslog_day_whose_padding_a_forum_collapsed_is_still_a_header():
    # syslog pads the day ("Apr  3"); the Solar2D forum capture (syslog_collapsed_day_before_jetsam_solar2d_forum) has
    # "Apr 3": the file was refused as an unknown format before.
    message = " 07:46:43 iPhone apsd[100] <Warning>: Low Priority Push: com.apple.mobilenotes - App killed"
    for day, date in (("Apr 3", "04-03"), ("Apr  3", "04-03"), ("Apr 13", "04-13")):
        record = parse_record(day + message, 1)
        assert record is not None, day
        assert (record.process, record.pid, record.layout) == ("apsd", 100, "syslog_relay")
        assert record.ts is not None and record.ts[5:] == date + "T07:46:43"


def test_markdown_that_ate_an_underscore_and_a_bknewprocess_holder_are_read() -> None:
    # uikit_bgtask_still_not_ended_taskid36_forum729335: a forum's Markdown dropped the underscore of
    # '<_UIBackgroundTaskInfo: …>' (the line was listed as unrecognized).
    events, _ = scan(CORPUS / "uikit_bgtask_still_not_ended_taskid36_forum729335.txt")
    assert [(e.kind, e.job, e.reason) for e in events] == [("job_timeout", "uikit:36", "bgtask_expired")]
    # backboardd_bknewprocess_beyond_permitted_indented_set_forum209252: the message alone, no log prefix; the
    # holder is named by its BKNewProcess description (the kill named no app and no pid).
    events, _ = scan(CORPUS / "backboardd_bknewprocess_beyond_permitted_indented_set_forum209252.txt")
    assert [(e.kind, e.package, e.pid, e.reason) for e in events] == [
        ("process_killed", "com.app.app", 392, "bgtask_expired")
    ]


# -- launchd: a simulator's system.log ------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        # p3_launchd_sim_service_exited_killed_9_tns_run_nativescript2193 (macOS 10.12's wording)
        ("Service exited due to Killed: 9", ("process_killed", "sigkill")),
        # nativescript-cli#1816 (10.11's), and another signal: the app crashed
        ("Service exited due to signal: Killed: 9", ("process_killed", "sigkill")),
        ("Service exited due to signal: Broken pipe: 13", ("crash", "sigpipe")),
        # 10.13+: the signal's name and who sent it
        ("Service exited due to SIGKILL | sent by CoreServicesUIAgent[10664]", ("process_killed", "sigkill")),
        ("Service exited with abnormal code: 1", ("process_died", "exit:1")),
    ],
)
def test_launchd_names_the_job_that_exited_after_its_pid(message: str, expected: tuple[str, str]):
    line = (
        "Nov  4 05:51:01 iMac com.apple.CoreSimulator.SimDevice.82B7B218-3579-4E6F-B23A-2A1C96095112.launchd_sim"
        f"[74280] (UIKitApplication:org.nativescript.aapaconferenceapp[0x3d0e][74872]): {message}\n"
    )
    events, _ = scan_text_of(line)
    assert fields(events, "kind", "package", "pid", "reason") == [
        (expected[0], "org.nativescript.aapaconferenceapp", 74872, expected[1])
    ]


def test_a_syslog_behind_appiums_own_time_and_row_tag_is_read():
    # p3_appium_ios_syslog_row_jetsamproperties_simulator_negative: Appium's "2015-06-19 20:34:05:618 - info:
    # [IOS_SYSLOG_ROW ] " before each line; the prefix's own time is no place an iOS line starts (it was refused)
    row = (
        "2015-06-19 20:34:05:618 - info: [IOS_SYSLOG_ROW ] Jun 19 15:34:05 vliao-mac com.apple.CoreSimulator.SimDevice."
        "EA8122D5-BEFA-4FFE-B2A7-70722DD1ED14.launchd_sim[8214] ({}): The JetsamProperties key is not available on this "
        "platform.\n"
    )
    text = "```\n" + row.format("com.apple.assetsd") + row.format("com.apple.calaccessd") + "```\n"
    assert scan_text_of(text) == ([], [])


@pytest.mark.parametrize(
    ("tail", "expected"),
    [
        # p3_springboard_exited_voluntarily_indented_ios_sim179
        ("exited voluntarily.", ("process_died", "voluntary")),
        # p3_springboard_exited_abnormally_via_signal_process_colon_flutter6775
        ("exited abnormally via signal.", ("crash", "signal")),
        ("exited abnormally with signal 9: Killed: 9", ("process_killed", "sigkill")),
        ("exited abnormally with signal 11: Segmentation fault: 11", ("crash", "sigsegv")),
    ],
)
def test_springboard_tells_an_apps_exit_by_its_launchd_job(tail: str, expected: tuple[str, str]):
    line = f"Oct  7 15:59:24 abuild-smartphone SpringBoard[43803]: Application 'UIKitApplication:com.me.Test[0xeec0]' {tail}\n"
    events, _ = scan_text_of(line)
    assert fields(events, "kind", "package", "reason") == [(expected[0], "com.me.Test", expected[1])]


def test_a_voluntary_exit_after_a_launch_that_failed_ends_no_process():
    # p3_springboard_launch_failed_wrong_architecture_negative_ios_sim169: the app's program could not run, SpringBoard
    # got no pid for its job, then said it "exited voluntarily": no process ended (the rule above read a death there)
    failed = (
        "Jul  8 11:19:34 Manis-MacBook-Pro.local SpringBoard[14311]: Unable to get pid for "
        "'UIKitApplication:com.irfanali.ezywatermarkvideo[0x732f]': No such process (err 3)\n"
        "Jul  8 11:19:34 Manis-MacBook-Pro.local SpringBoard[14311]: Application "
        "'UIKitApplication:com.irfanali.ezywatermarkvideo[0x732f]' exited voluntarily.\n"
    )
    assert scan_text_of(failed) == ([], [])
    # appium#6270's form of the same: FrontBoard's bootstrap of a process with no pid
    bootstrap = (
        "Mar 10 22:59:41 BANL142db6c4c SpringBoard[30370]: Bootstrapping failed for <FBApplicationProcess: 0x78c6d2c0; "
        "com.intuit.converter; pid: -1>\n"
        "Mar 10 22:59:41 BANL142db6c4c SpringBoard[30370]: Application 'UIKitApplication:com.intuit.converter[0xd4d7]' "
        "exited voluntarily.\n"
    )
    assert scan_text_of(bootstrap) == ([], [])
