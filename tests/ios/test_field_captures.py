"""The iOS parsers on real captures from the field (tests/samples/ios_field/, verbatim excerpts; each file's
first line names its public source). Every test runs the real scan path (detection + parser)."""

from __future__ import annotations

from pathlib import Path

import pytest
from bgprobe.collectors.inputs.textscan import _detect
from bgprobe.collectors.parsers.ios_layouts import parse_record
from bgprobe.collectors.parsers.ios_syslog import parse_ios_log

from tests.helpers import scan

FIELD = Path(__file__).resolve().parent.parent / "samples" / "ios_field"


def events_of(name: str):
    events, _outcome = scan(FIELD / name)
    return events


def test_every_capture_names_its_source_and_is_detected() -> None:
    names = sorted(p.name for p in FIELD.glob("*.txt"))
    assert len(names) == 17
    for name in names:
        text = (FIELD / name).read_text()
        assert text.startswith("# source: https://"), name
        expected = (
            "ios_log" if name.startswith(("springboard_", "frontboard_", "dasd_", "xcode_", "console_")) else "ips"
        )
        assert _detect(text.splitlines()) == expected, name


def test_runningboard_termination_request_from_dasd_forum_title() -> None:
    """Apple Developer Forums 759754 quotes runningboardd's line as Console.app showed it, cut after the explanation:
    a bare message (no header), the kill requested by dasd, the app named in the predicate, no pid in what is left."""
    (e,) = events_of("dasd_termination_request_runningboard_forum.txt")
    assert (e.kind, e.package, e.pid, e.reason, e.source, e.ts, e.process) == (
        "process_killed",
        "com.myapp.bundleid",
        None,
        "terminated:dasd",
        "syslog:runningboardd",
        None,
        None,
    )
    assert e.where.endswith("dasd_termination_request_runningboard_forum.txt:2")
    assert e.data == {"requester": "com.apple.dasd", "requester_pid": 76, "explanation": "BG Kill Demo"}


def test_springboard_process_exited_jetsam_per_process_limit() -> None:
    (e,) = events_of("springboard_process_exited_jetsam_console.txt")
    assert (e.kind, e.package, e.pid, e.reason, e.source, e.ts, e.platform) == (
        "process_killed",
        "app.alextran.immich",
        8295,
        "jetsam:per-process-limit",
        "syslog:SpringBoard",
        "14:57:26.048506",
        "ios",
    )
    assert e.where.endswith("springboard_process_exited_jetsam_console.txt:5")
    assert e.data == {
        "exit_domain": "jetsam",
        "exit_code": "per-process-limit",
        "exit_code_no": 7,
        "utc_offset": "-04:00",
    }


def test_frontboard_watchdog_provision_violated_syslog_relay() -> None:
    events = events_of("frontboard_watchdog_provision_syslog_relay_ios14.txt")
    assert [(e.kind, e.package, e.pid, e.reason, e.where.rsplit(":", 1)[1]) for e in events] == [
        ("process_killed", "com.REDACTED", 796, "watchdog:provision-violated", "2"),
        ("state_changed", "com.REDACTED", None, "runningboard:none", "9"),
        ("state_changed", "com.REDACTED", None, "runningboard:none", "11"),
    ]
    kill = events[0]
    assert kill.source == "syslog:SpringBoard" and kill.ts.endswith("-11-12T12:24:57")
    assert kill.data == {"exit_context": "watchdog", "exit_text": "watchdog provision violated"}


def test_dasd_push_launch_submitted_and_cancelled_ios11() -> None:
    events = events_of("dasd_pushlaunch_syslog_relay_ios11.txt")
    job = "com.apple.pushLaunch.edu.berkeley.eecs.emission"
    assert [(e.kind, e.reason, e.job, e.package, e.process, e.pid, e.source) for e in events] == [
        ("job_scheduled", "accepted", job, "edu.berkeley.eecs.emission", "dasd", 139, "syslog:dasd"),
        ("job_stopped", "cancelled", job, "edu.berkeley.eecs.emission", "dasd", 139, "syslog:dasd"),
    ]
    assert events[0].data == {"activity": f"{job}:AAE889", "type": "push_launch"}
    assert events[1].data == {"activity": f"{job}:E0E211", "type": "push_launch"}
    assert events[0].ts.endswith("-09-30T11:00:15")


def test_syslog_relay_year_comes_from_the_reference_date() -> None:
    from datetime import date

    line = (FIELD / "dasd_pushlaunch_syslog_relay_ios11.txt").read_text().splitlines()[1]
    lines = [(2, line)]
    assert parse_ios_log(lines, "x", reference=date(2017, 10, 2))[0].ts == "2017-09-30T11:00:15"
    assert parse_ios_log(lines, "x", reference=date(2018, 1, 5))[0].ts == "2017-09-30T11:00:15"  # after: year before


def test_xcode_console_uikit_bgtask_over_30s() -> None:
    (e,) = events_of("xcode_console_uikit_bgtask_over_30s.txt")
    assert (e.kind, e.process, e.pid, e.job, e.reason, e.ts) == (
        "state_changed",
        "deltachat-ios",
        5801,
        "uikit:1",
        "uikit:bgtask-over-30s",
        "2021-04-06T18:22:37.504670",
    )
    assert e.data == {
        "task_name": "Called by deltachat-ios, from $s13deltachat_ios11AppDelegateC19installEventHandleryyFyycfU_",
        "utc_offset": "+02:00",
    }


def test_console_copy_with_space_before_utc_offset() -> None:
    assert events_of("console_space_before_tz_assertiond_ios11.txt") == []  # no kill / task line, but readable
    line = (FIELD / "console_space_before_tz_assertiond_ios11.txt").read_text().splitlines()[4]
    rec = parse_record(line, 5)
    assert (rec.layout, rec.level, rec.process, rec.ts, rec.msg) == (
        "console",
        "default",
        "assertiond",
        "09:06:11.753870-06:00",
        "[aura-test:444] Port death watcher fired.",
    )


def test_frontboard_scene_update_watchdog_full_header_ios15() -> None:
    (e,) = events_of("watchdog_frontboard_scene_update_ios15.txt")
    assert (e.kind, e.source, e.package, e.process, e.pid, e.reason, e.ts, e.os_version) == (
        "process_killed",
        "ips",
        "my.com.tngdigital.wallet.integration",
        "eWallet-iOS",
        12860,
        "watchdog:scene-update",
        "2022-11-17T19:14:35.7460",
        "15.1",
    )
    assert e.where.endswith(":24")
    assert e.data["allowance_s"] == 10.0 and e.data["allowance"] == "wall" and e.data["namespace"] == "FRONTBOARD"
    assert e.data["code"] == "0x8badf00d" and e.data["build"] == "19B74" and e.data["utc_offset"] == "+08:00"


def test_frontboard_scene_create_app_name_uuid_ios17() -> None:
    (e,) = events_of("watchdog_frontboard_scene_create_app_uuid_ios17.txt")
    assert (e.kind, e.package, e.pid, e.reason, e.ts) == (
        "process_killed",
        "FransiMobile",
        459,
        "watchdog:scene-create",
        None,
    )
    assert e.data["allowance_s"] == 19.71 and e.data["exception_type"] == "EXC_CRASH (SIGKILL)"


def test_json_header_then_text_report_ios13() -> None:
    (e,) = events_of("watchdog_json_header_text_body_ios13.txt")
    assert (e.kind, e.package, e.process, e.pid, e.reason, e.ts, e.os_version) == (
        "process_killed",
        "games.spontom.theloungerz",
        "theloungerz",
        1935,
        "sigkill",  # the excerpt stops before the Termination Reason: SIGKILL alone still means killed
        "2020-05-11T17:49:43.0476",
        "13.3.1",
    )
    assert e.where.endswith(":22") and e.detail == "EXC_CRASH (SIGKILL)"
    assert e.data["bug_type"] == "109" and e.data["build"] == "17D50" and e.data["utc_offset"] == "+05:30"


@pytest.mark.parametrize(
    ("name", "line", "detail"),
    [
        ("runningboard_dead10cc_text_ios16.txt", 4, "RUNNINGBOARD 0xdead10cc"),
        ("runningboard_dead10cc_namespace_ios13.txt", 5, "Namespace RUNNINGBOARD, Code 0xdead10cc"),
    ],
)
def test_runningboard_dead10cc(name: str, line: int, detail: str) -> None:
    (e,) = events_of(name)
    assert (e.kind, e.reason, e.detail, e.package, e.pid) == (
        "process_killed",
        "runningboard:file-lock-while-suspended",
        detail,
        None,
        None,
    )
    assert e.where.endswith(f":{line}") and e.data["namespace"] == "RUNNINGBOARD" and e.data["code"] == "0xdead10cc"


def test_cpu_usage_resource_report_process_killed_ios14() -> None:
    (e,) = events_of("cpu_usage_kill_microstackshots_ios14.txt")
    assert (e.kind, e.package, e.process, e.pid, e.reason, e.ts, e.os_version) == (
        "process_killed",
        "com.ReLearn.lecture",
        "ReLearn",
        1202,
        "resource:cpu",
        "2021-02-27T18:50:16.430",
        "14.3",
    )
    assert e.where.endswith(":21")
    assert e.data["cpu_limit"] == "48s" and e.data["limit_duration"] == "60s" and e.data["build"] == "18C66"
    assert e.data["resource_event"] == "cpu usage" and e.data["utc_offset"] == "-05:00"


def test_springboard_scene_create_bare_bundle_ios11() -> None:
    (e,) = events_of("watchdog_springboard_scene_create_ios11.txt")
    assert (e.kind, e.package, e.pid, e.reason) == (
        "process_killed",
        "org.mozilla.ios.Lockbox",
        None,
        "watchdog:scene-create",
    )
    assert e.data["allowance_s"] == 10.0 and e.data["namespace"] == "SPRINGBOARD"


def test_pretty_printed_ips_header_reads_like_the_one_line_header() -> None:
    """deltachat/deltachat-ios#2402 (iOS 17.6.1) pastes the .ips header pretty-printed over many lines; the same
    report must give the same events as with Apple's one-line header (built here from a stored sample)."""
    import json

    from bgprobe.collectors.parsers.ips import parse_ips

    original = (FIELD.parent / "ios" / "jetsam_event_ips_fixture_ios27.txt").read_text().splitlines()
    pretty = [original[0], *json.dumps(json.loads(original[1]), indent=2).splitlines(), "", *original[2:]]
    one = parse_ips(list(enumerate(original, 1)), "x")
    many = parse_ips(list(enumerate(pretty, 1)), "x")
    assert [(e.kind, e.process, e.pid, e.reason, e.ts, e.os_version) for e in many] == [
        (e.kind, e.process, e.pid, e.reason, e.ts, e.os_version) for e in one
    ]
    assert many[0].reason == "jetsam:per-process-limit" and many[0].where == "x:9"
