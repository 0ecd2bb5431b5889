"""The behaviour model and the emitted formats, checked against the real captures (no pymobiledevice3)."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path

from bgprobe.sim.clock import SimClock
from bgprobe.sim.ios import formats as fmt
from bgprobe.sim.ios.device import SimulatedIPhone
from bgprobe.sim.ios.formats import LogRecord, PolicyResponse
from bgprobe.sim.ios.profiles import make_profile

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "ios"


def sample(name: str) -> str:
    """A capture the repo ships (tests/samples/ios): read, never skipped when missing."""
    return (SAMPLES / name).read_text()


def messages(name: str) -> list[str]:
    """The message column of a Console-style capture (tab-separated, continuation lines joined)."""
    out: list[str] = []
    for line in sample(name).splitlines()[1:]:
        if line.startswith("default\t"):
            out.append(line.split("\t")[-1])
        elif out:
            out[-1] += "\n" + line
    return out


def test_syslog_relay_line_layout() -> None:
    rec = LogRecord(
        1,
        datetime(2024, 6, 7, 17, 37, 4),
        "SpringBoard",
        41,
        "/x/SpringBoard",
        "/x/SpringBoard",
        "Received memory warning.",
        "Warning",
    )
    line = fmt.syslog_relay_line(rec, "isuntv-taiwan")
    assert line == "Jun  7 17:37:04 isuntv-taiwan SpringBoard(SpringBoard)[41] <Warning>: Received memory warning."
    assert line[3] == " " and line[6] == " " and line[15] == " "  # what idevicesyslog checks


def test_dasd_lines_reproduce_the_sample() -> None:
    text = sample("dasd_bgprocessing_submit_cancel_policy.txt")
    act = "bgProcessing-jp.go.mhlw.covid19radar.data-maintainance"
    assert fmt.dasd_submitted(f"{act}:FA2FB9") in text
    assert fmt.dasd_canceled(f"{act}:01A8A2") in text
    assert fmt.dasd_canceling([f"{act}:01A8A2"]) in text
    policy = fmt.dasd_policy(
        f"{act}:FA2FB9", [PolicyResponse("DeviceActivityPolicy", 5.0, "Can Proceed", 0.05)], "Can Proceed", 0.839581
    )
    assert policy in text
    assert (
        fmt.bg_submit(
            "processing",
            "jp.go.mhlw.covid19radar.data-maintainance",
            datetime.fromisoformat("2022-06-29T04:09:36+00:00"),
            False,
            False,
        )
        in text
    )


def test_runningboard_and_uikit_lines_reproduce_the_samples() -> None:
    rb = messages("runningboard_background_assertion_jetsam_priority.txt")
    if rb:
        b, pid = "com.elsystm.elsystm", 1957
        assert rb[1] == fmt.rb_acquiring(b, pid, 59, "32-59-4107")
        assert rb[2:6] == [
            fmt.rb_created_active(b, pid, "32-59-4107"),
            fmt.rb_jetsam_priority(b, pid),
            fmt.rb_darwin_role(b, pid),
            fmt.rb_calculated_state(b),
        ]
        assert rb[0] == fmt.sb_process_state(b, pid, 0x281A5EA00)
    term = sample("runningboard_termination_reported_by_launchd.txt")
    if term:
        assert fmt.rb_termination("com.AppCo.MyApp", 432, signal=10) in term
        assert fmt.rb_removing("com.AppCo.MyApp", 432) in term
    over = sample("uikit_bgtask_created_over_30s.txt")
    if over:
        assert (
            fmt.uikit_created_over_30s(37, "Called by Runner, from -[BackgroundTaskManager createBackgroundTask]")
            in over
        )
    not_ended = sample("uikit_bgtask_not_ended_after_expiration.txt")
    if not_ended:
        name = "Called by OneSignal, from -[OSAttributedFocusTimeProcessor beginDelayBackgroundTask]"
        assert fmt.uikit_not_ended(0x280883B00, 262, name, 943356, 44) in not_ended


def test_watchdog_termination_reproduces_the_ips_sample() -> None:
    text = sample("watchdog_ips_json_termination_field.txt")
    row = next(line for line in text.splitlines() if '"termination"' in line).strip().rstrip(",")
    expected = json.loads("{" + row + "}")["termination"]
    reasons = fmt.watchdog_reasons(
        "scene-update",
        "au.com.shiftyjelly.podcasts",
        11304,
        False,
        10.0,
        (
            "Elapsed total CPU time (seconds): 7.780 (user 5.000, system 2.780), 13% CPU",
            "Elapsed application CPU time (seconds): 0.177, 0% CPU",
        ),
    )
    assert {"code": 2343432205, "flags": 6, "namespace": "FRONTBOARD", "reasons": reasons} == expected


def _device(version: str = "17.4.1", speed: float = 20_000, seed: int = 3) -> SimulatedIPhone:
    return SimulatedIPhone(make_profile(0, seed, product_version=version), SimClock(speed), seed=seed)


def _live(dev: SimulatedIPhone, seconds: float) -> list[LogRecord]:
    async def main() -> None:
        task = asyncio.create_task(dev.run())
        await asyncio.sleep(seconds)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(main())
    return list(dev.history)


def test_jetsam_ips_layout_follows_the_fixture_and_kscrash_entry() -> None:
    for version in ("15.7.9", "18.1"):
        dev = _device(version)
        name = dev.inject_jetsam("com.example.fitsync")
        assert name.startswith("JetsamEvent-") and name.endswith(".ips")
        header_line, body_text = dev.crash_store.files[f"/{name}"].data.decode().split("\n", 1)
        header, body = json.loads(header_line), json.loads(body_text)
        assert list(header) == ["bug_type", "timestamp", "os_version", "incident_id"]
        assert header["os_version"] == dev.profile.os_string
        assert {"build", "product", "kernel", "bug_type", "memoryStatus", "largestProcess", "processes"} <= body.keys()
        killed = body["processes"][-1]
        assert killed["reason"] == "per-process-limit"
        assert {
            "uuid",
            "states",
            "killDelta",
            "lifetimeMax",
            "age",
            "purgeable",
            "fds",
            "genCount",
            "coalition",
            "rpages",
            "reason",
            "pid",
            "idleDelta",
            "name",
            "cpuTime",
        } <= killed.keys()
        assert ("physicalPages" in killed) is (dev.profile.major >= 17)
        kernel = [r.message for r in dev.history if r.process == "kernel"]
        assert kernel[0] == "memorystatus: exceeded mem limit: ActiveHard 300 MB (fatal)"
        assert " memorystatus: killing_specific_process pid " in kernel[1]
        assert "[FitSync] (per-process-limit 3) " in kernel[1]
        saved = dev.history[-1]
        assert saved.process == "osanalyticshelper" and saved.message.startswith("Saved type ")
        assert saved.message.endswith(f"{fmt.CRASH_DIR}/{name}")


def test_thermal_serious_defers_processing_but_not_refresh() -> None:
    dev = _device(speed=60_000)
    dev.set_conditions(thermal="ThermalSerious", charging=True)
    recs = _live(dev, 0.8)  # ~13 device hours: the news app's first refresh opportunity comes within 9
    text = "\n".join(r.message for r in recs)
    assert "{name: ThermalPolicy, policyWeight: 5.000, response: {Decision: Must Not Proceed" in text
    assert "Starting task: <BGAppRefreshTask: com.example.newsreader.refresh>" in text
    assert "Starting task: <BGProcessingTask: com.example.newsreader.cleanup>" not in text
    assert dev.deferrals("com.example.newsreader") > 0


def test_dead_network_defers_only_network_tasks_and_low_power_defers_all() -> None:
    dev = _device()
    dev.set_conditions(network="SlowNetwork100PctLoss", charging=True)
    text = "\n".join(r.message for r in _live(dev, 0.6))
    assert "NetworkQualityPolicy" in text
    assert "Starting task: <BGProcessingTask: com.example.newsreader.cleanup>" in text  # needs no network
    assert "Starting task: <BGProcessingTask: com.example.fitsync.upload>" not in text
    dev = _device(seed=4)
    dev.set_conditions(low_power=True, charging=True)
    text = "\n".join(r.message for r in _live(dev, 0.4))
    assert "LowPowerModePolicy" in text and "Starting task:" not in text


def test_same_seed_same_device() -> None:
    def boot(seed: int) -> SimulatedIPhone:
        # a fixed clock start and speed 1: the boot burst happens within the same device second
        return SimulatedIPhone(make_profile(0, seed), SimClock(1, start=datetime(2025, 3, 1, 9, 0)), seed=seed)

    a, b = boot(11), boot(11)
    assert a.profile == b.profile
    first = [r.message for r in _live(a, 0.05)]
    assert len(first) >= 8
    assert first == [r.message for r in _live(boot(11), 0.05)]
    assert first != [r.message for r in _live(boot(12), 0.05)]
    assert make_profile(0, 1).udid != make_profile(1, 1).udid
