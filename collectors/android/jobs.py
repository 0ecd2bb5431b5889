"""An app's scheduled work on a live device, and force-running one job (`bgprobe jobs` / `trigger`).

- JobScheduler jobs: `dumpsys jobscheduler PKG`, through the same parser as `bgprobe scan`.
- WorkManager work: the REQUEST_DIAGNOSTICS broadcast (WorkManager 2.4+) makes the app log its
  WorkSpecs with their JobScheduler ids (tag WM-DiagnosticsWrkr, INFO); we read them back from
  logcat. A stopped (force-stopped) app gets no broadcast at all (ActivityManagerService adds
  FLAG_EXCLUDE_STOPPED_PACKAGES to every one), so its stopped state is read first
  (`dumpsys package PKG`).
- Alarms: `dumpsys alarm` entries naming the package.
- Trigger: `cmd jobscheduler run -f|-s PKG ID`; success and the documented errors are read from
  the text (stdout on old builds, stderr later; the exit status is not reliable). "Running job" is
  not a start: JobSchedulerService.executeRunCommand only sets an override that JobStatus.isReady()
  weighs after doze, background restriction and quota, so the job is followed through JobScheduler
  itself (`get-job-state`, and the job history of `dumpsys jobscheduler`, which keeps a run that
  started and ended between two polls) and through the logs (WorkManager logs its start only at
  DEBUG, its result at INFO).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import datetime

from bgprobe.collectors.android.adb import AndroidDevice
from bgprobe.collectors.android.judge import AndroidJob, judge_events, scheduler_end
from bgprobe.collectors.android.logfollow import LogFollower
from bgprobe.collectors.errors import BgprobeError
from bgprobe.collectors.parsers.android_log import LogInterpreter
from bgprobe.collectors.parsers.jobscheduler import (
    aosp_duration_s,
    human_duration,
    new_history,
    parse_jobscheduler,
    stop_outcome,
)
from bgprobe.collectors.parsers.logcat import LogRecord, YearHint, parse_line
from bgprobe.reports.attempts import Outcome
from bgprobe.reports.events import DEATH_KINDS, Event, Kind

WM_DIAGNOSTICS = "androidx.work.diagnostics.REQUEST_DIAGNOSTICS"
SATISFIED_SDK = 30  # JobSchedulerShellCommand.runJob has -s/--satisfied from Android 11 (API 29's knows -f, -u)
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
# Settings.dumpPackageLPr: "  User 0: ceDataInode=... installed=true hidden=false ... stopped=true ..."
STOPPED = re.compile(r"^\s*User 0: .*?\bstopped=(true|false)\b", re.M)
# Why JobStatus.isReady() is false for a job that a forced run does not help: the override of
# `run -f` reaches only isConstraintsSatisfied(); DeviceIdleJobsController (doze),
# BackgroundJobsController (RUN_ANY_IN_BACKGROUND), QuotaController, the JobRestrictions and the
# NEVER bucket hold a forced job like any other.
HELD_BY = {
    "doze": "doze (DEVICE_NOT_DOZING unsatisfied: forced runs do not override doze)",
    "background_restricted": (
        "background restricted (BACKGROUND_NOT_RESTRICTED unsatisfied: the app may not run in the background, "
        "and forced runs do not override that)"
    ),
    "quota": "out of standby-bucket quota (WITHIN_QUOTA unsatisfied: forced runs do not override quota)",
    "never": "the app is in the NEVER standby bucket (its jobs never run)",
    "user_stopped": "its user is stopped",
    "component_disabled": "its JobService is disabled or missing",
}
# After JobScheduler says a run ended, the logs get this long to tell how (the Worker result, the
# kill) before JobScheduler's own reason is taken.
LOG_GRACE_S = 1.5


def stopped_note(package: str) -> str:
    return (
        f"{package} is stopped (force-stopped, and not started since): Android delivers no broadcast to a "
        "stopped app (ActivityManagerService adds FLAG_EXCLUDE_STOPPED_PACKAGES), so WorkManager cannot be "
        "asked for its diagnostics; a real phone also cancelled the app's jobs when it was force-stopped. "
        "Opening the app ends the stopped state."
    )


def package_stopped(dev: AndroidDevice, package: str) -> bool | None:
    """The app's stopped state (PackageManager; set by a force-stop, cleared when the app is next
    started), from `dumpsys package PKG`; None when the dump does not show it."""
    m = STOPPED.search(dev.text(["dumpsys", "package", package]))
    return None if m is None else m[1] == "true"


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
        e.device, e.os_version = dev.key, os_version  # the journal's key, as every command's events
    # One row per registered job; an "Active jobs" slot says it is running, history says what it did.
    active = {e.job: e for e in events if e.kind == Kind.JOB_SCHEDULED and e.data.get("active")}
    report.jobs = [e for e in events if e.kind == Kind.JOB_SCHEDULED and not e.data.get("active")]
    for e in report.jobs:
        if e.job in active:
            e.detail, e.reason = active[e.job].detail, active[e.job].reason
    report.history = [e for e in events if e.kind != Kind.JOB_SCHEDULED]
    stopped = package_stopped(dev, package)
    if stopped:
        report.notes.append(stopped_note(package))
    if diagnostics and not stopped and any(e.data.get("workmanager") for e in report.jobs):
        report.work = workmanager_diagnostics(dev, package, wait_s=wait_s)
        by_job = {e.data.get("job_id") or e.job: e for e in report.work}
        for job in report.jobs:
            work = by_job.get(job.job)
            if work is not None:
                job.data["work"] = {k: work.data.get(k) for k in ("work_id", "worker", "state", "tags")}
        if not report.work:
            report.notes.append(
                "WorkManager did not answer the diagnostics request (WorkManager 2.4+ needed, with its "
                "DiagnosticsReceiver in the app, and a WorkManager logging level of INFO or below: "
                "DiagnosticsWorker logs its tables at INFO)"
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
            # DiagnosticsWorker logs each table as its own message: let the last ones arrive too
            time.sleep(0.3)
            return _wm_rows(dev, marker) or events
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
    device: str  # the phone's own serial (ro.serialno), the journal's key, as its events name it
    adb_serial: str  # how adb reached it (a USB serial, or host:port over the network)
    package: str
    job: int
    command: str
    accepted: bool
    response: str
    started: bool = False
    finished: bool = False
    # An attempt's outcome, as a campaign records it (one judge); None until it is decided. A run still
    # going when --wait ends is a timeout that says so.
    outcome: Outcome | None = None
    still_running: bool = False  # that timeout: it was still running when --wait ended (not a failure)
    reason: str | None = None  # why, in the words of whatever said it (JobScheduler, WorkManager, the logs)
    seconds: float | None = None  # wall time from the trigger to the outcome
    device_seconds: float | None = None  # the same by the device's log timestamps
    notes: list[str] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """What makes `trigger` exit 1: the run failed, was killed, did not start (held, or skipped by
        WorkManager), or JobScheduler timed it out. A stop by the system, or a run that --wait did not
        see end, is not the app's failure."""
        if self.outcome == Outcome.TIMEOUT:
            return not self.still_running
        return self.outcome in (Outcome.FAILURE, Outcome.KILLED, Outcome.NOT_STARTED)


@dataclass
class JobLook:
    """What JobScheduler says about one job since a watch began."""

    started: bool = False  # a START of it in the job history since then (or a STOP of the run that was on)
    stop_reason: str | None = None  # the reason of the STOP that ended that run (None: not ended)
    held: str | None = None  # why it does not start now, when a forced run cannot help (HELD_BY)
    entry: Event | None = None  # its `dumpsys jobscheduler` entry (None: no such job now)


class JobWatch:
    """One job as JobScheduler itself tells it, from just before a trigger on: `get-job-state` (is
    it running now) and the job history of `dumpsys jobscheduler PKG` (did it start and stop since,
    however briefly: a job whose onStartJob returns false is over before the shell answers)."""

    def __init__(self, dev: AndroidDevice, package: str, job: int, *, sdk: int | None = None) -> None:
        self.dev, self.package, self.job, self.sdk = dev, package, str(job), sdk
        self.entry, self._before = self._dump()

    def _dump(self) -> tuple[Event | None, list[Event]]:
        text = self.dev.text(["dumpsys", "jobscheduler", self.package])
        events = parse_jobscheduler(
            list(enumerate(text.splitlines(), 1)), f"live:{self.dev.serial}:dumpsys jobscheduler", package=self.package
        )
        entry = next(
            (e for e in events if e.kind == Kind.JOB_SCHEDULED and not e.data.get("active") and e.job == self.job), None
        )
        return entry, [e for e in events if e.kind in (Kind.JOB_STARTED, Kind.JOB_STOPPED)]

    @property
    def workmanager(self) -> bool:
        return bool(self.entry is not None and self.entry.data.get("workmanager"))

    def running(self) -> bool:
        """`cmd jobscheduler get-job-state`: `active` while a JobServiceContext runs it."""
        return "active" in self.dev.text(["cmd", "jobscheduler", "get-job-state", self.package, self.job]).split()

    def look(self) -> JobLook:
        entry, history = self._dump()
        if entry is not None:
            self.entry = entry
        new = [e for e in new_history(self._before, history) if e.job == self.job]
        first_start = next((i for i, e in enumerate(new) if e.kind == Kind.JOB_STARTED), None)
        after = new[first_start + 1 :] if first_start is not None else new
        stop = next((e for e in after if e.kind == Kind.JOB_STOPPED), None)
        started = first_start is not None or stop is not None
        return JobLook(
            started=started,
            stop_reason=(stop.data.get("stop_reason_text") or "") if stop is not None else None,
            held=None if started else held_by(entry, sdk=self.sdk),
            entry=entry,
        )


def held_by(entry: Event | None, *, sdk: int | None = None) -> str | None:
    """Why JobScheduler does not start the job now though a forced run asked it to (None: nothing
    that a forced run cannot pass), from its entry's readiness.

    Android 10+ prints `readyNotDozing` / `readyNotRestrictedInBg` (JobStatus.dump, "Implicit
    constraints"); before, only the satisfied constraints tell: DEVICE_NOT_DOZING is set there for
    every job that doze does not hold (8.0+), BACKGROUND_NOT_RESTRICTED likewise from Android 9."""
    if entry is None or entry.data.get("ready") is True:
        return None
    d = entry.data
    unsat = d.get("unsatisfied_constraints") or []
    sat = d.get("satisfied_constraints")
    implicit = d.get("implicit_constraints") or {}
    flags = d.get("ready_flags") or {}

    def held(name: str, implicit_key: str, since_sdk: int) -> bool:
        if implicit_key in implicit:
            return implicit[implicit_key] is False
        absent = sat is not None and sdk is not None and sdk >= since_sdk and name not in sat
        return name in unsat or absent

    if held("DEVICE_NOT_DOZING", "readyNotDozing", 26) and not d.get("doze_whitelisted"):
        return HELD_BY["doze"]
    if held("BACKGROUND_NOT_RESTRICTED", "readyNotRestrictedInBg", 28) or d.get("user_bg_restricted"):
        return HELD_BY["background_restricted"]
    if d.get("restricted_due_to") or flags.get("!restricted") is False:
        return f"restricted by the system ({', '.join(d.get('restricted_due_to') or []) or 'a job restriction'})"
    if d.get("standby_bucket") == "NEVER":
        return HELD_BY["never"]
    if "WITHIN_QUOTA" in unsat or "TARE_WEALTH" in unsat:
        return HELD_BY["quota"]
    if flags.get("user") is False:
        return HELD_BY["user_stopped"]
    if flags.get("comp") is False:
        return HELD_BY["component_disabled"]
    return None


def expected_workmanager_skip(entry: Event | None) -> str | None:
    """When WorkerWrapper will skip a forced run of this WorkManager job: periodic or backed-off work
    run before WorkSpec.calculateNextRunTime(). WorkManager gives its JobInfo that time as the
    minimum latency (SystemJobInfoConverter), so it is the job's earliest run time; failures mean
    backed off. None: it will run (as far as the dump tells)."""
    if entry is None:
        return None
    earliest = aosp_duration_s((entry.data.get("run_time") or {}).get("earliest"))
    if earliest is None or earliest <= 0:
        return None
    failures = entry.data.get("num_failures") or 0
    if failures:
        runs = "run" if failures == 1 else "runs"
        return f"backed-off work after {failures} failed {runs}, next try in {human_duration(earliest)}"
    return f"periodic work before its next period (in {human_duration(earliest)})"


@dataclass
class _Work:
    """The WorkManager work behind a job, read before forcing it."""

    worker: str | None = None
    work_id: str | None = None
    state: str | None = None
    expected_skip: str | None = None


def _work_before_forcing(dev: AndroidDevice, package: str, job: int, watch: JobWatch, notes: list[str]) -> _Work:
    """Its state in WorkManager's own diagnostics (when the app can be asked), and whether
    WorkerWrapper will skip a forced run (backed off, or periodic before its next period)."""
    work = _Work(expected_skip=expected_workmanager_skip(watch.entry))
    if package_stopped(dev, package):
        notes.append(stopped_note(package))
        return work
    rows = workmanager_diagnostics(dev, package)
    row = next((e for e in rows if str(e.data.get("job_id") or e.job) == str(job)), None)
    if row is not None:
        work.worker, work.work_id, work.state = row.data.get("worker"), row.data.get("work_id"), row.data.get("state")
        notes.append(f"WorkManager: {work.worker} ({work.work_id}) is {work.state}")
    elif not rows:
        notes.append("WorkManager did not answer the diagnostics request: its state is unknown")
    if work.state == "RUNNING":
        notes.append("the work is already running: a forced run starts nothing new")
    elif work.expected_skip and work.state in (None, "ENQUEUED"):
        notes.append(f"WorkManager will skip this forced run if it is {work.expected_skip}")
    return work


def trigger(
    dev: AndroidDevice,
    package: str,
    job: int,
    *,
    sdk: int,
    satisfied: bool = False,
    wait_s: float = 60.0,
    os_version: str | None = None,
) -> TriggerResult:
    if satisfied and sdk < SATISFIED_SDK:
        raise BgprobeError(
            f"{dev.serial}: --satisfied (`cmd jobscheduler run -s`) needs a newer Android: it exists from "
            f"Android 11 (API {SATISFIED_SDK}), and this phone runs Android {os_version or '?'} (API {sdk}); "
            "without --satisfied the job is forced (-f)"
        )
    args = ["cmd", "jobscheduler", "run", "-s" if satisfied else "-f", package, str(job)]
    notes: list[str] = []
    watch = JobWatch(dev, package, job, sdk=sdk)  # the job history just before the trigger
    work = _work_before_forcing(dev, package, job, watch, notes) if watch.workmanager else None
    watcher = _LogWatcher(dev, package, os_version)
    watcher.start()
    try:
        watcher.mark()  # what it logged before this trigger (a kill, a result) is not this run's
        t0 = time.monotonic()
        out = dev.run(args)
        response = out.text.strip()
        result = TriggerResult(
            dev.key, dev.serial, package, job, " ".join(args), bool(RUN_OK.search(out.text)), response
        )
        result.notes = notes
        if not result.accepted:
            why, code = next(((w, c) for p, w, c in RUN_ERRORS if p.search(out.text)), (None, 3))
            if code == 2 and "Could not find job" in out.text and package_stopped(dev, package):
                why = f"{why}; {package} is stopped: a force-stop cancels an app's jobs until it runs again"
            raise TriggerRefused(
                f"{dev.serial}: the job was not run: {response or 'no answer'}" + (f" ({why})" if why else ""), code
            )
        _follow_job(result, watcher, watch, work, t0, wait_s)
    finally:
        watcher.stop()
    result.events = watcher.since_mark()
    result.device_seconds = _device_duration(result.events)
    return result


def _device_duration(events: list[Event]) -> float | None:
    """Start to end by the device's own log timestamps (a fast simulated clock, or a slow link,
    makes wall time misleading)."""
    starts = [e.ts for e in events if e.kind in (Kind.JOB_STARTED, Kind.PROCESS_STARTED) and e.ts]
    ends = [e.ts for e in events if e.kind in (Kind.WORK_RESULT, Kind.JOB_TIMEOUT, *DEATH_KINDS) and e.ts]
    if not starts or not ends:
        return None
    begin, end = datetime.fromisoformat(min(starts)), datetime.fromisoformat(max(ends))
    return round((end - begin).total_seconds(), 3) if end >= begin else None


def _follow_job(
    result: TriggerResult, watcher: _LogWatcher, watch: JobWatch, work: _Work | None, t0: float, wait_s: float
) -> None:
    """Follow the job until it ends, is held, or time runs out: `get-job-state` while it runs, the
    job history and its readiness (`dumpsys jobscheduler`) whenever it does not, the logs always;
    judged as a campaign's attempt is (`judge`)."""
    deadline = t0 + wait_s
    next_look = 0.0
    ended_at: float | None = None
    look: JobLook | None = None
    started_by_os: str | None = None  # when JobScheduler said it started and the logs had not (device time)
    job = AndroidJob(
        result.package,
        result.job,
        workmanager=work is not None,
        worker=work.worker if work else None,
        work_id=work.work_id if work else None,
    )

    def done(outcome: Outcome, reason: str | None) -> None:
        result.outcome, result.reason = outcome, reason
        result.finished = outcome in (Outcome.SUCCESS, Outcome.FAILURE)
        result.seconds = round(time.monotonic() - t0, 2)

    while True:
        now = time.monotonic()
        if watch.running():
            result.started = True
            next_look = 0.0  # once it stops, read the history at once
        elif now >= next_look:
            look = watch.look()
            next_look = now + 1.0
            result.started = result.started or look.started
        verdict = judge_events(job, watcher.since_mark(), started=started_by_os)
        if result.started and not verdict.started:
            started_by_os = started_by_os or watcher.last_ts or ""  # a death from now on ends this run
        result.started = result.started or bool(verdict.started)
        if verdict.outcome:
            result.started = result.started or verdict.outcome != Outcome.NOT_STARTED
            done(verdict.outcome, ": ".join(w for w in (verdict.reason, verdict.detail) if w) or None)
            return
        if look is not None and not result.started and look.held:
            done(Outcome.NOT_STARTED, look.held)  # a forced run waits for these, however long it is followed
            return
        if look is not None and look.stop_reason is not None:
            ended_at = ended_at or now
            plain_finish = stop_outcome(look.stop_reason) == "finished" and work is None
            if now - ended_at >= LOG_GRACE_S or plain_finish:
                done(*scheduler_end(look.stop_reason, job, work.expected_skip if work else None))
                return
        if now >= deadline:
            break
        time.sleep(0.25)
    if result.started:
        result.outcome, result.reason = Outcome.TIMEOUT, f"still running when --wait ({wait_s:g}s) ended"
        result.still_running = True
    else:
        held = look.held if look is not None else None
        result.outcome = Outcome.NOT_STARTED
        result.reason = held or f"JobScheduler did not start it within {wait_s:g}s"


class _LogWatcher:
    """The app's events during a trigger (the one log follower of watch and campaigns), and the
    device time of the last line, for a start that JobScheduler reports and the logs do not."""

    def __init__(self, dev: AndroidDevice, package: str, os_version: str | None = None) -> None:
        self.events: list[Event] = []
        self.last_ts: str | None = None
        self._mark = 0
        self._follower = LogFollower(
            dev, self.events.append, package=package, unattributed=True, on_record=self._record, os_version=os_version
        )

    def start(self) -> None:
        self._follower.start()
        time.sleep(0.1)  # the stream must be open before the job is triggered

    def stop(self) -> None:
        """The stream ends here: what it left open (an ANR without its body) is among the events."""
        self._follower.stop()

    def mark(self) -> None:
        self._mark = len(self.events)

    def since_mark(self) -> list[Event]:
        return self.events[self._mark :]

    def _record(self, rec: LogRecord) -> None:
        if rec.ts:
            self.last_ts = rec.ts


def check_job_id(text: str) -> int:
    if not re.fullmatch(r"-?\d{1,10}", text):
        raise BgprobeError(f"job id {text!r} is not an integer")
    value = int(text)
    if not -(2**31) <= value < 2**31:
        raise BgprobeError(f"job id {text} is out of range for a JobScheduler id (32-bit)")
    return value
