"""An app's scheduled work on a live device, and force-running one job (`bgprobe jobs` / `trigger`).

- JobScheduler jobs: `dumpsys jobscheduler PKG`, through the same parser as `bgprobe scan`.
- WorkManager work: the REQUEST_DIAGNOSTICS broadcast (WorkManager 2.4+) makes the app log its
  WorkSpecs with their JobScheduler ids (tag WM-DiagnosticsWrkr); we read them back from logcat.
- Alarms: `dumpsys alarm` entries naming the package.
- Trigger: `cmd jobscheduler run -f|-s PKG ID`; success and the documented errors are read from
  the text (stdout on old builds, stderr later; the exit status is not reliable), then the job
  is followed through `cmd jobscheduler get-job-state` and the logs.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime

from bgprobe.collectors.android.adb import AndroidDevice, DeviceError, DeviceLost
from bgprobe.collectors.errors import BgprobeError
from bgprobe.collectors.parsers.android_log import LogInterpreter
from bgprobe.collectors.parsers.jobscheduler import parse_jobscheduler
from bgprobe.collectors.parsers.logcat import YearHint, parse_line
from bgprobe.reports.events import Event

WM_DIAGNOSTICS = "androidx.work.diagnostics.REQUEST_DIAGNOSTICS"
RUN_OK = re.compile(r"^Running job( \[FORCED\])?\s*$", re.M)
# (pattern, why, exit code): a job or package that does not exist is the user's input error (2);
# unsatisfied constraints under --satisfied are a finding about the device (1).
RUN_ERRORS = (
    (re.compile(r"Package not found: .*"), "package not found on the device", 2),
    (re.compile(r"Could not find job .*"), "no such job in this package", 2),
    (
        re.compile(r".*has functional constraints but --force not specified.*"),
        "its constraints are not satisfied (retry without --satisfied to force it)",
        1,
    ),
    (re.compile(r"Uid \d+ not permitted to force scheduled jobs.*"), "the shell may not force jobs here", 3),
    (re.compile(r"Error: unknown option '.*'"), "this Android version does not know that option", 2),
)


class TriggerRefused(BgprobeError):
    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass
class JobsReport:
    device: str
    package: str
    jobs: list[Event] = field(default_factory=list)
    history: list[Event] = field(default_factory=list)
    work: list[Event] = field(default_factory=list)
    alarms: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def list_jobs(
    dev: AndroidDevice, package: str, *, os_version: str | None = None, diagnostics: bool = True, wait_s: float = 3.0
) -> JobsReport:
    report = JobsReport(dev.serial, package)
    text = dev.text(["dumpsys", "jobscheduler", package])
    lines = list(enumerate(text.splitlines(), 1))
    events = parse_jobscheduler(lines, f"live:{dev.serial}:dumpsys jobscheduler", package=package)
    for e in events:
        e.device, e.os_version = dev.serial, os_version
    # One row per registered job; an "Active jobs" slot says it is running, history says what it did.
    active = {e.job: e for e in events if e.kind == "job_scheduled" and e.data.get("active")}
    report.jobs = [e for e in events if e.kind == "job_scheduled" and not e.data.get("active")]
    for e in report.jobs:
        if e.job in active:
            e.detail, e.reason = active[e.job].detail, active[e.job].reason
    report.history = [e for e in events if e.kind != "job_scheduled"]
    if diagnostics and any(e.data.get("workmanager") for e in report.jobs):
        report.work = workmanager_diagnostics(dev, package, wait_s=wait_s)
        by_job = {e.data.get("job_id") or e.job: e for e in report.work}
        for job in report.jobs:
            work = by_job.get(job.job)
            if work is not None:
                job.data["work"] = {k: work.data.get(k) for k in ("work_id", "worker", "state", "tags")}
        if not report.work:
            report.notes.append(
                "WorkManager did not answer the diagnostics request (WorkManager 2.4+ needed, "
                "and the app must be installed with its DiagnosticsReceiver)"
            )
    report.alarms = [line.strip() for line in dev.text(["dumpsys", "alarm"]).splitlines() if package in line]
    return report


def workmanager_diagnostics(dev: AndroidDevice, package: str, *, wait_s: float = 3.0) -> list[Event]:
    marker = _device_now(dev)
    dev.run(["am", "broadcast", "-a", WM_DIAGNOSTICS, "-p", package])
    deadline = time.monotonic() + wait_s
    events: list[Event] = []
    while time.monotonic() < deadline:
        events = _wm_rows(dev, marker)
        if events:
            break
        time.sleep(0.2)
    return events


def _device_now(dev: AndroidDevice) -> str:
    """The device clock as logcat's -T takes it ('MM-DD hh:mm:ss.mmm'), so reads start there."""
    text = dev.text(["logcat", "-d", "-t", "1", "-v", "threadtime", "-b", "main,system"]).strip().splitlines()
    last = text[-1] if text else ""
    return last[:18] if re.match(r"\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}", last) else ""


def _wm_rows(dev: AndroidDevice, since: str) -> list[Event]:
    text = dev.text(["logcat", "-d", "-v", "threadtime", "-b", "main"])
    interp = LogInterpreter(where=f"live:{dev.serial}")
    years = YearHint(datetime.now().date())
    out: list[Event] = []
    for n, line in enumerate(text.splitlines(), 1):
        if "WM-DiagnosticsWrkr" not in line or (since and line[:18] < since):
            continue
        out.extend(interp.feed(parse_line(line, n, years)))
    return out


@dataclass
class TriggerResult:
    device: str
    package: str
    job: int
    command: str
    accepted: bool
    response: str
    started: bool = False
    finished: bool = False
    outcome: str = "unknown"  # finished | failed | timed_out | killed | stopped | still_running | not_started | skipped
    seconds: float | None = None  # wall time from the trigger to the outcome
    device_seconds: float | None = None  # the same by the device's log timestamps
    events: list[Event] = field(default_factory=list)


def trigger(
    dev: AndroidDevice, package: str, job: int, *, sdk: int, satisfied: bool = False, wait_s: float = 60.0
) -> TriggerResult:
    if satisfied and sdk < 33:
        raise BgprobeError(
            f"{dev.serial}: --satisfied (`cmd jobscheduler run -s`) needs a newer Android "
            f"than API {sdk}; run without it to force the job"
        )
    args = ["cmd", "jobscheduler", "run", "-s" if satisfied else "-f", package, str(job)]
    watcher = _LogWatcher(dev, package)
    watcher.start()
    try:
        t0 = time.monotonic()
        out = dev.run(args)
        response = out.text.strip()
        result = TriggerResult(dev.serial, package, job, " ".join(args), bool(RUN_OK.search(out.text)), response)
        if not result.accepted:
            why, code = next(((w, c) for p, w, c in RUN_ERRORS if p.search(out.text)), (None, 3))
            raise TriggerRefused(
                f"{dev.serial}: the job was not run: {response or 'no answer'}" + (f" ({why})" if why else ""), code
            )
        _follow_job(dev, package, job, result, watcher, t0, wait_s)
    finally:
        watcher.stop()
    result.events = watcher.events
    result.device_seconds = _device_duration(result.events)
    return result


def _device_duration(events: list[Event]) -> float | None:
    """Start to end by the device's own log timestamps (a fast simulated clock, or a slow link,
    makes wall time misleading)."""
    starts = [e.ts for e in events if e.kind in ("job_started", "process_started") and e.ts]
    ends = [e.ts for e in events if e.kind in ("work_result", "job_timeout", "process_killed") and e.ts]
    if not starts or not ends:
        return None
    begin, end = datetime.fromisoformat(min(starts)), datetime.fromisoformat(max(ends))
    return round((end - begin).total_seconds(), 3) if end >= begin else None


def _follow_job(
    dev: AndroidDevice, package: str, job: int, result: TriggerResult, watcher: _LogWatcher, t0: float, wait_s: float
) -> None:
    """Poll the job's state and the logs until it finishes, fails, is killed or time runs out."""
    deadline = t0 + wait_s
    while time.monotonic() < deadline:
        state = dev.text(["cmd", "jobscheduler", "get-job-state", package, str(job)]).strip()
        if "active" in state.split():
            result.started = True
        outcome = watcher.outcome(job)
        if outcome == "skipped":
            result.outcome = outcome
            return
        if outcome:
            result.started = True
            result.finished = outcome in ("finished", "failed")
            result.outcome = outcome
            result.seconds = round(time.monotonic() - t0, 2)
            return
        if result.started and "active" not in state.split():
            result.finished = True
            result.outcome = "finished"
            result.seconds = round(time.monotonic() - t0, 2)
            return
        time.sleep(0.25)
    result.outcome = "still_running" if result.started else "not_started"


class _LogWatcher:
    """Follows the device's logs during a trigger, through the same parsers as `bgprobe scan`."""

    def __init__(self, dev: AndroidDevice, package: str) -> None:
        self.dev = dev
        self.package = package
        self.events: list[Event] = []
        self.app_lines: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"logwatch-{dev.serial}")

    def start(self) -> None:
        self._thread.start()
        time.sleep(0.1)  # the stream must be open before the job is triggered

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)

    def _run(self) -> None:
        interp = LogInterpreter(where=f"live:{self.dev.serial}")
        years = YearHint(datetime.now().date())
        try:
            lines = self.dev.stream_lines(["logcat", "-T", "1", "-v", "threadtime", "-b", "main,system,events,crash"])
            for n, line in enumerate(lines, 1):
                if self._stop.is_set():
                    break
                rec = parse_line(line, n, years)
                for event in interp.feed(rec):
                    if event.package in (None, self.package) or (event.process or "").startswith(self.package):
                        self.events.append(event)
                self.app_lines.append(rec.msg)
        except (DeviceError, DeviceLost):
            pass

    def outcome(self, job: int) -> str | None:
        for e in self.events:
            if e.kind == "job_timeout" and e.job == str(job):
                return "timed_out"
            if e.kind in ("process_killed", "process_died") and e.package == self.package:
                return "killed"
            if e.kind == "work_result" and e.reason in ("success",):
                return "finished"
            if e.kind == "work_result" and e.reason in ("failure", "retry"):
                return "failed"
            if e.kind == "work_result" and e.reason == "skipped_before_schedule":
                return "skipped"
        return None


def check_job_id(text: str) -> int:
    if not re.fullmatch(r"-?\d{1,10}", text):
        raise BgprobeError(f"job id {text!r} is not an integer")
    value = int(text)
    if not -(2**31) <= value < 2**31:
        raise BgprobeError(f"job id {text} is out of range for a JobScheduler id (32-bit)")
    return value
