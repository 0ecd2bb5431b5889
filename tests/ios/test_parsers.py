"""The iOS parsers on every real capture in tests/samples/ios/ (each file's first line names its public source)."""

from __future__ import annotations

import pytest
from bgprobe.collectors.inputs.textscan import _detect
from bgprobe.collectors.parsers.ios_layouts import parse_record
from bgprobe.collectors.parsers.ios_rules import saved_report_path
from bgprobe.collectors.parsers.ios_syslog import parse_ios_log
from bgprobe.collectors.parsers.ips import parse_ips

from .conftest import SAMPLES


def lines(name: str) -> list[tuple[int, str]]:
    return list(enumerate((SAMPLES / name).read_text().splitlines(), 1))


def log(name: str, year: int = 2022):
    return parse_ios_log(lines(name), name, year=year)


def ips(name: str):
    return parse_ips(lines(name), name)


def test_every_sample_names_its_source_and_is_detected() -> None:
    names = sorted(p.name for p in SAMPLES.glob("*.txt"))
    assert len(names) == 13
    for name in names:
        assert (SAMPLES / name).read_text().startswith("# source: ")
        kind = _detect((SAMPLES / name).read_text().splitlines())
        expected = "ips" if name.startswith(("jetsam_", "watchdog_")) else "ios_log"
        assert kind == expected, name


def test_dasd_submit_cancel_policy() -> None:
    events = log("dasd_bgprocessing_submit_cancel_policy.txt")
    job = "jp.go.mhlw.covid19radar.data-maintainance"
    assert [(e.kind, e.reason, e.job, e.source, e.where) for e in events] == [
        ("job_scheduled", "requested", job, "syslog:BackgroundTasks", "dasd_bgprocessing_submit_cancel_policy.txt:2"),
        ("job_stopped", "cancelled", job, "syslog:dasd", "dasd_bgprocessing_submit_cancel_policy.txt:6"),
        ("job_scheduled", "accepted", job, "syslog:dasd", "dasd_bgprocessing_submit_cancel_policy.txt:7"),
        ("job_scheduled", "can_proceed", job, "syslog:dasd", "dasd_bgprocessing_submit_cancel_policy.txt:8"),
    ]
    submit, cancel, accepted, policy = events
    assert (
        submit.process == "Covid19Radar.iOS"
        and submit.ts == "13:09:36.387408"
        and submit.data["utc_offset"] == "+09:00"
    )
    assert submit.data == {
        "type": "processing",
        "earliest": "2022-06-29 04:09:36 +0000",
        "requires_external_power": False,
        "requires_network": False,
        "utc_offset": "+09:00",
    }
    assert cancel.data["activity"] == f"bgProcessing-{job}:01A8A2"
    assert accepted.data == {
        "activity": f"bgProcessing-{job}:FA2FB9",
        "type": "processing",
        "priority": 10,
        "utc_offset": "+09:00",
    }
    assert policy.data["decision"] == "Can Proceed" and policy.data["final_score"] == 0.839581
    assert policy.data["policies"] == ["DeviceActivityPolicy"] and policy.data["blocking"] == []
    assert all(e.platform == "ios" for e in events)


def test_dasd_deferral_names_the_blocking_policies() -> None:
    text = (
        "bgRefresh-com.example.refresh:0A1B2C:[\n\t{name: ThermalPolicy, policyWeight: 5.000, response: "
        "{Decision: Must Not Proceed, Score: 0.00}},\n\t{name: LowPowerModePolicy, policyWeight: 5.000, response: "
        "{Decision: Must Not Proceed, Score: 0.00}}\n ] sumScores:24.610000, denominator:34.610000, "
        "FinalDecision: Must Not Proceed FinalScore: 0.000000}"
    )
    line = f"Jun 17 17:37:04 iPhone dasd(DuetActivityScheduler)[120] <Notice>: {text}"
    (e,) = log_lines([line])
    assert (e.kind, e.job, e.reason, e.process, e.pid) == (
        "job_scheduled",
        "com.example.refresh",
        "deferred",
        "dasd",
        120,
    )
    assert e.data["blocking"] == ["ThermalPolicy", "LowPowerModePolicy"]


def log_lines(texts: list[str]):
    return parse_ios_log(list(enumerate(texts, 1)), "live", year=2026)


def test_runningboard_assertion_and_state() -> None:
    events = log("runningboard_background_assertion_jetsam_priority.txt")
    assert [(e.kind, e.package, e.reason, e.data, e.where.rsplit(":", 1)[1]) for e in events] == [
        (
            "state_changed",
            "com.elsystm.elsystm",
            "runningboard:running-active",
            {"role": "Background", "utc_offset": "+02:00"},
            "14",
        ),
    ]


def test_runningboard_termination_reported_by_launchd() -> None:
    (e,) = log("runningboard_termination_reported_by_launchd.txt")
    assert (e.kind, e.package, e.pid, e.reason, e.source) == (
        "process_died",
        "com.AppCo.MyApp",
        432,
        "runningboard:sigbus",
        "syslog:runningboardd",
    )
    assert e.data == {"launchd_status": [2, 10, 10], "utc_offset": "-06:00"} and e.ts == "08:00:54.700689"


def test_kernel_memorystatus_fatal_limit() -> None:
    (e,) = log("kernel_memorystatus_fatal_limit.txt")
    assert (e.kind, e.process, e.pid, e.reason, e.ts) == (
        "process_killed",
        "Tunnel",
        1879,
        "jetsam:per-process-limit",
        "16:12:49.229",
    )
    assert e.data == {"rss_kb": 51200, "how": "killing_specific_process", "limit": "ActiveHard", "limit_mb": 50}


def test_syslog_relay_ios8_assertiond_and_springboard_jetsam() -> None:
    events = log("syslog_relay_format_assertiond_jetsam_ios8.txt")
    assert [(e.kind, e.package, e.process, e.pid, e.reason, e.ts) for e in events] == [
        ("process_died", "com.apple.mobilemail", None, 1683, "assertiond:no-such-process", "2022-06-17T17:37:04"),
        ("process_killed", None, "MobileMail", None, "jetsam:unknown", "2022-06-17T17:37:04"),
    ]
    rec = parse_record(lines("syslog_relay_format_assertiond_jetsam_ios8.txt")[1][1], 2, 2015)
    assert (rec.process, rec.pid, rec.level, rec.image, rec.layout) == (
        "assertiond",
        53,
        "Warning",
        None,
        "syslog_relay",
    )


def test_uikit_created_over_30s() -> None:
    (e,) = log("uikit_bgtask_created_over_30s.txt")
    assert (e.kind, e.job, e.reason) == ("state_changed", "uikit:37", "uikit:bgtask-over-30s")
    assert e.data == {"task_name": "Called by Runner, from -[BackgroundTaskManager createBackgroundTask]"}


def test_uikit_not_ended_after_expiration() -> None:
    events = log("uikit_bgtask_not_ended_after_expiration.txt")
    assert [(e.kind, e.process, e.pid, e.job, e.reason, e.data["elapsed_s"]) for e in events] == [
        ("job_timeout", "ProjectX", 38194, "uikit:262", "bgtask_expired", 44),
        ("job_timeout", "ProjectX", 38194, "uikit:171", "bgtask_expired", 55),
        ("job_timeout", "ProjectX", 38194, "uikit:196", "bgtask_expired", 51),
    ]
    assert events[0].ts == "2023-01-10T17:43:24.270137" and events[0].data["utc_offset"] == "+00:00"


def test_legacy_assertion_beyond_permitted_time() -> None:
    (e,) = log("legacy_assertion_beyond_permitted_time.txt")
    assert (e.kind, e.pid, e.reason) == ("process_killed", 888, "bgtask_expired")
    assert e.data == {
        "assertion": "UIKitBackgroundCompletionTask",
        "permitted_s": 600.0,
        "assertion_reason": "finishTask",
    }


def test_jetsam_event_ips_fixture() -> None:
    (e,) = ips("jetsam_event_ips_fixture_ios27.txt")
    assert (e.kind, e.source, e.process, e.pid, e.reason, e.ts, e.os_version) == (
        "process_killed",
        "ips",
        "financed",
        44152,
        "jetsam:per-process-limit",
        "2026-06-14T15:08:19.00",
        "27.0",
    )
    assert e.data["utc_offset"] == "-06:00"
    assert e.data["footprint_mb"] == 12.6 and e.data["rpages"] == 804 and e.data["page_size"] == 16384
    assert e.data["states"] == ["daemon", "idle"] and e.data["priority"] == 0
    assert e.data["largest"] == "TGOnDeviceInferenceProviderServi" and e.data["largest_process"] is False
    assert e.data["free_pages"] == 11374 and e.data["product"] == "iPhone18,1" and e.data["build"] == "24A5355q"


def test_jetsam_process_entry_fragment() -> None:
    (e,) = ips("jetsam_process_entry_per_process_limit.txt")
    assert (e.kind, e.process, e.pid, e.reason, e.where) == (
        "process_killed",
        "RebornTunnel",
        4624,
        "jetsam:per-process-limit",
        "jetsam_process_entry_per_process_limit.txt:2",
    )
    assert e.data["rpages"] == 960 and e.data["footprint_mb"] is None  # no pageSize in a lone entry
    assert e.data["states"] == ["frontmost"] and e.data["kill_delta"] == 13593


def test_watchdog_text_header_ios11() -> None:
    (e,) = ips("watchdog_crash_header_ios11.txt")
    assert (e.kind, e.package, e.reason, e.ts, e.os_version) == (
        "process_killed",
        "com.example.app",
        "watchdog:scene-create",
        "2018-02-08T21:48:18.7050",
        "11.1",
    )
    assert e.data["allowance_s"] == 19.25 and e.data["allowance"] == "wall"
    assert e.data["namespace"] == "SPRINGBOARD" and e.data["code"] == "0x8badf00d" and e.data["build"] == "15B93"


def test_watchdog_rbs_cpu_allowance() -> None:
    (e,) = ips("watchdog_scene_create_cpu_allowance_rbs.txt")
    assert (e.kind, e.package, e.pid, e.reason) == (
        "process_killed",
        "jp.go.mhlw.covid19radar",
        27928,
        "watchdog:scene-create",
    )
    assert e.data["allowance"] == "cpu" and e.data["allowance_s"] == 3.37 and e.data["namespace"] == "FRONTBOARD"


def test_watchdog_ips_json_termination_field() -> None:
    (e,) = ips("watchdog_ips_json_termination_field.txt")
    assert (e.kind, e.package, e.pid, e.reason) == (
        "process_killed",
        "au.com.shiftyjelly.podcasts",
        11304,
        "watchdog:scene-update",
    )
    assert e.data["code"] == "0x8badf00d" and e.data["allowance_s"] == 10.0


@pytest.mark.parametrize("junk", ["", "{", '{"bug_type":"298"}\n{not json', "Exception Type:\n", "\x00\xff" * 50])
def test_ips_never_raises(junk: str) -> None:
    assert isinstance(parse_ips(enumerate(junk.splitlines(), 1), "x"), list)


def test_layouts_pmd3_log_show_and_xcode() -> None:
    # the framework's messages with their task objects (BGTaskScheduler.mm, decompiled iOS 26.1), in three layouts
    texts = [
        "2023-11-14 22:13:20.000005 NewsReader{BackgroundTasks}[812] <NOTICE>: Starting task: "
        "<BGAppRefreshTask: com.example.refresh>",
        "2024-03-01 10:00:00.123456+0100 0x1a2b     Default     0x0                  812    0    NewsReader: "
        "(BackgroundTasks) [com.apple.BackgroundTasks:Framework] Marking task <BGAppRefreshTask: com.example.refresh> "
        "complete with success: 1",
        "2024-03-01 10:00:01.000000+0100  localhost NewsReader[812]: (BackgroundTasks) Expiring task: "
        "<BGProcessingTask: com.example.other>",
    ]
    events = log_lines(texts)
    assert [(e.kind, e.process, e.pid, e.job, e.reason, e.ts) for e in events] == [
        ("job_started", "NewsReader", 812, "com.example.refresh", None, "2023-11-14T22:13:20.000005"),
        ("job_finished", "NewsReader", 812, "com.example.refresh", "success", "2024-03-01T10:00:00.123456"),
        ("job_stopped", "NewsReader", 812, "com.example.other", "expired", "2024-03-01T10:00:01.000000"),
    ]


def test_saved_report_path() -> None:
    msg = "Saved type '298(JetsamEvent)' report (3 of max 25) at /private/var/mobile/Library/Logs/CrashReporter/JetsamEvent-2026-01-01-000000.ips"
    assert saved_report_path(msg) == "/private/var/mobile/Library/Logs/CrashReporter/JetsamEvent-2026-01-01-000000.ips"
    assert saved_report_path("Saved nothing") is None
