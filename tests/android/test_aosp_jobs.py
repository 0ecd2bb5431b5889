"""bgprobe's job paths on phones that behave as AOSP does (issue 16, points 2, 3, 9 and 10).

The simulated phones follow AOSP here (sources cited in sim/android/): `cmd jobscheduler run -f`
prints "Running job [FORCED]" but JobStatus.isReady() still waits for doze and background
restriction to lift; WorkManager logs "Starting work for" and "Delaying execution" at DEBUG, which
an app's default INFO level drops; `run -s` exists from Android 11; broadcasts skip stopped
(force-stopped) apps; a job whose onStartJob returns false is over before the shell answers.
Each test drives the real CLI through the real adb server, on a fleet of its own (its jobs never
start by themselves, so nothing but the test moves them).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from bgprobe.collectors.android.adb import AdbServer, AndroidDevice
from bgprobe.sim.android.profile import WORKMANAGER_SERVICE, AppSpec, DeviceProfile, JobSpec
from bgprobe.sim.fleet import SimFleet

from tests.android.conftest import json_lines, serial_of
from tests.helpers import run_cli

APP = "com.example.aosp"
NEVER = 36000.0  # a job's earliest run time 10 simulated hours away: it runs only when forced
SYNC = f"{APP}.SyncWorker"
RETRY = f"{APP}.RetryWorker"


def app() -> AppSpec:
    ns = uuid.uuid5(uuid.NAMESPACE_URL, "bgprobe-test/aosp")
    return AppSpec(
        APP,
        301,
        log_tag="Aosp",
        jobs=[
            JobSpec(7, ".UploadJobService", work_s=40, min_latency_s=NEVER),
            JobSpec(8, ".QuickJobService", work_s=0, min_latency_s=NEVER),  # onStartJob returns false
            JobSpec(21, ".ReportJobService", work_s=40, min_latency_s=NEVER),
            JobSpec(1042, WORKMANAGER_SERVICE, work_s=300, min_latency_s=NEVER, worker=SYNC, work_id=str(ns)),
            JobSpec(
                1043,
                WORKMANAGER_SERVICE,
                work_s=5,
                failure_rate=1.0,  # always Result.retry()
                backoff_s=1800,
                min_latency_s=NEVER,
                worker=RETRY,
                work_id=str(uuid.uuid5(ns, "retry")),
            ),
        ],
    )  # wm_log_level: WorkManager's default, INFO


@pytest.fixture(scope="module")
def aosp() -> Iterator[SimFleet]:
    profiles = [
        DeviceProfile(serial=f"aosp-{release}", release=release, apps=[app()], kill_policy="none")
        for release in ("14", "12", "11", "10")
    ]
    with SimFleet(profiles, ios=0, speed=60.0, seed=16) as fleet:
        yield fleet


@pytest.fixture
def env(aosp: SimFleet, tmp_path: Path) -> dict[str, str]:
    return {
        "ADB_SERVER_SOCKET": f"tcp:127.0.0.1:{aosp.adb_port}",
        "ANDROID_ADB_SERVER_PORT": str(aosp.adb_port),
        "BGPROBE_STATE_DIR": str(tmp_path / "state"),
        "ANDROID_SERIAL": "",
    }


def on_phone(fleet: SimFleet, action: Callable[[], Any]) -> Any:
    """Run `action` on the simulator's loop thread, between two of its scheduler passes."""

    async def run() -> Any:
        return action()

    return fleet.loop.call(run())


def campaign(env: dict[str, str], tmp_path: Path, serial: str, body: str, settle: str = "0.2s") -> list[dict]:
    scenario = tmp_path / "s.toml"
    scenario.write_text(f'[campaign]\nname = "aosp"\nrepetitions = 1\nsettle = "{settle}"\n{body}')
    out = tmp_path / "results"
    result = run_cli("run", str(scenario), "--out", str(out), "--quiet", "-s", serial, env=env, timeout=120)
    assert result.returncode in (0, 1), result.stderr
    return json_lines((out / "attempts.jsonl").read_text())


def test_forced_runs_under_doze_or_restriction_are_not_started_with_the_reason(aosp, env, tmp_path):
    """Point 2: `run -f` answers "Running job [FORCED]" under doze and background restriction, and
    the job does not run (JobStatus.isReady needs mReadyNotDozing and mReadyNotRestrictedInBg
    whatever the override). Such an attempt is `not_started` with the reason, at once, not a
    `timeout` after attempt_timeout."""
    serial = serial_of(aosp, "14")
    t0 = time.monotonic()
    rows = campaign(
        env,
        tmp_path,
        serial,
        f"""attempt_timeout = "20s"
[[app]]
package = "{APP}"
[[task]]
name = "upload"
job = 7
trigger = "forced"
started = 'job (?P<job>\\d+) started'
finished = 'job (?P<job>\\d+) finished \\(success\\)'
[[condition]]
name = "doze-deep"
set = {{ doze = "deep" }}
[[condition]]
name = "restricted"
set = {{ restrict = "on" }}
""",
        settle="1s",  # the job released by the first condition's end is stopped by the second before the attempt
    )
    by_condition = {r["condition"]: r for r in rows}
    assert [r["outcome"] for r in rows] == ["not_started", "not_started"], rows
    assert "doze" in by_condition["doze-deep"]["reason"]
    assert "DEVICE_NOT_DOZING" in by_condition["doze-deep"]["reason"]
    assert "background restricted" in by_condition["restricted"]["reason"]
    assert time.monotonic() - t0 < 20  # decided from the job's readiness, not by waiting out 2 x 20 s
    # The override is still owed: once the condition is undone, JobScheduler runs the job.
    assert wait_for(lambda: aosp.device(serial).jobs[(APP, 7)].last_success is not None, 10)


def test_workmanager_at_info_is_seen_starting_and_a_kill_is_killed(aosp, env, tmp_path):
    """Point 3: an app at WorkManager's default INFO level logs no "Starting work for": the start
    comes from JobScheduler's state, so a process killed during the work is `killed`, not a
    `timeout`."""
    serial = serial_of(aosp, "14")
    dev = aosp.device(serial)
    job = dev.jobs[(APP, 1042)]

    def kill_while_running() -> None:
        if wait_for(lambda: job.running_since is not None, 15):
            time.sleep(0.8)  # the worker has been running a while
            on_phone(aosp, lambda: dev.lmkd_kill(APP))

    killer = threading.Thread(target=kill_while_running, daemon=True)
    killer.start()
    rows = campaign(
        env,
        tmp_path,
        serial,
        f"""attempt_timeout = "8s"
[[app]]
package = "{APP}"
[[task]]
name = "sync"
scheduler = "workmanager"
job = 1042
worker = "{SYNC}"
trigger = "forced"
[[condition]]
name = "baseline"
""",
    )
    killer.join(timeout=20)
    (row,) = rows
    assert row["outcome"] == "killed", row
    assert row["started"] and row["started"] <= row["finished"]
    assert not any(e.level == "D" for e in dev.logs.snapshot(("main",)) if e.tag.startswith("WM-"))  # INFO app


def test_forced_backed_off_work_is_reported_as_skipped_by_workmanager(aosp, env):
    """Point 3: WorkerWrapper skips a forced run of backed-off (or periodic) work before its time
    and says so only at DEBUG; bgprobe reads the work's state first and the job's short
    START/STOP without a Worker result after, and says why and what logging would show it."""
    serial = serial_of(aosp, "12")
    first = json_lines(run_cli("trigger", APP, "1043", "-s", serial, "--wait", "10", "--json", env=env).stdout)[0]
    assert first["outcome"] == "failure", first  # Result.retry(): backed off by 1800 s
    second = run_cli("trigger", APP, "1043", "-s", serial, "--wait", "10", "--json", env=env)
    (result,) = json_lines(second.stdout)
    assert result["accepted"] and result["outcome"] == "not_started", result  # as a campaign records it
    assert "WorkManager skipped" in result["reason"] and "backed-off" in result["reason"]
    assert "DEBUG" in result["reason"]
    assert second.returncode == 1


def test_satisfied_needs_android_11_not_13(aosp, env):
    """Point 9: `run -s/--satisfied` came with Android 11 (JobSchedulerShellCommand.runJob of API 30;
    API 29's knows only -f and -u). On 11 and 12 it is sent (here under doze: "Running job", then
    not started); on 10 bgprobe refuses it, naming both versions."""
    for release in ("11", "12"):
        serial = serial_of(aosp, release)
        dev = aosp.device(serial)

        def doze_with_the_job_due(dev: Any = dev) -> None:
            dev.force_idle("deep")
            dev.jobs[(APP, 21)].next_run_at = dev.clock.now()  # its constraints are all met now

        on_phone(aosp, doze_with_the_job_due)
        try:
            result = run_cli("trigger", APP, "21", "--satisfied", "-s", serial, "--wait", "5", "--json", env=env)
        finally:
            on_phone(aosp, dev.unforce_idle)
        (out,) = json_lines(result.stdout)
        assert out["command"] == f"cmd jobscheduler run -s {APP} 21", out
        assert out["response"] == "Running job" and out["outcome"] == "not_started", out
        assert "doze" in out["reason"]
    old = run_cli("trigger", APP, "21", "--satisfied", "-s", serial_of(aosp, "10"), env=env)
    assert old.returncode == 2, old.stderr
    assert "Android 11" in old.stderr and "Android 10" in old.stderr


def test_diagnostics_of_a_stopped_app_say_it_is_stopped(aosp, env):
    """Point 9: ActivityManagerService gives every broadcast FLAG_EXCLUDE_STOPPED_PACKAGES, so a
    force-stopped app never hears REQUEST_DIAGNOSTICS: `jobs` says the app is stopped, not that its
    WorkManager may be too old."""
    serial = serial_of(aosp, "10")  # its jobs have never run, and nothing starts them: it stays stopped
    phone = AndroidDevice(AdbServer("127.0.0.1", aosp.adb_port), serial)
    phone.run(["am", "force-stop", APP])
    result = run_cli("jobs", APP, "-s", serial, env=env)
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert "is stopped" in text and "force-stop" in text, result.stdout
    assert "2.4+" not in text
    # nothing was sent that would have woken it: still stopped
    assert "stopped=true" in phone.text(["dumpsys", "package", APP])


def test_a_job_that_starts_and_ends_between_polls_is_a_success(aosp, env, tmp_path):
    """Point 10: a job whose onStartJob returns false is over before the shell's answer arrives;
    polling get-job-state never sees it active. JobScheduler's job history (START, STOP) says it ran."""
    serial = serial_of(aosp, "14")
    result = run_cli("trigger", APP, "8", "-s", serial, "--wait", "5", "--json", env=env)
    assert result.returncode == 0, result.stderr
    (out,) = json_lines(result.stdout)
    assert out["started"] is True and out["outcome"] == "success", out
    assert "onStartJob returned false" in (out["reason"] or "")
    rows = campaign(
        env,
        tmp_path,
        serial,
        f"""attempt_timeout = "5s"
[[app]]
package = "{APP}"
[[task]]
name = "quick"
job = 8
trigger = "forced"
[[condition]]
name = "baseline"
""",
    )
    (row,) = rows
    assert row["outcome"] == "success", row
    assert row["started"] is not None


def test_new_history_keeps_only_what_came_after_the_first_dump():
    """The job history is a ring with times relative to each dump: between two dumps every
    surviving entry shifts by the same amount, so entries that look alike (a periodic job's) are
    told apart, and a ring that dropped everything the first dump had is all new."""
    from bgprobe.collectors.parsers.jobscheduler import new_history, parse_jobscheduler

    def dump(*lines: str) -> list:
        text = ["Job history:", *lines]
        return [e for e in parse_jobscheduler(list(enumerate(text, 1)), "t") if e.kind != "job_scheduled"]

    before = dump(
        "      -10s0ms   START: #u0a1/5 *job*/p/.S",
        "       -9s0ms    STOP: #u0a1/5 *job*/p/.S app called jobFinished",
    )
    after = dump(
        "      -13s0ms   START: #u0a1/5 *job*/p/.S",
        "      -12s0ms    STOP: #u0a1/5 *job*/p/.S app called jobFinished",
        "       -2s0ms   START: #u0a1/5 *job*/p/.S",
        "       -1s0ms    STOP: #u0a1/5 *job*/p/.S app called jobFinished",
    )
    assert [(e.kind, e.data["relative_s"]) for e in new_history(before, after)] == [
        ("job_started", -2.0),
        ("job_stopped", -1.0),
    ]
    assert new_history(before, before) == []
    # the ring moved on: the old entries are gone, and the newer ones cannot be them (younger)
    evicted = dump("       -2s0ms   START: #u0a1/5 *job*/p/.S")
    assert len(new_history(before, evicted)) == 1
    assert len(new_history([], after)) == 4


def wait_for(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False
