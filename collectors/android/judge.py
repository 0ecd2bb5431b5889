"""The one judge of an Android job attempt: how `bgprobe trigger` and a campaign's attempt ended, from
the app's events in log order and from JobScheduler's own account, in the attempt outcomes (`Outcome`).

The logs decide when they can: the job's time-out (JobScheduler's "Client timed out"), a WorkManager
result of this work, the app's death (killed, died, crashed) once the run has started. A death
logged before the start is the previous process's end, not this run's. JobScheduler's job history
says how a run ended that no log line described (`scheduler_end`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bgprobe.collectors.parsers.jobscheduler import stop_outcome
from bgprobe.reports.attempts import Outcome
from bgprobe.reports.deaths import reason_rank
from bgprobe.reports.events import DEATH_KINDS, Event, Kind, event_concerns

DIAGNOSTICS_WORKER = "androidx.work.impl.workers.DiagnosticsWorker"  # its own result line is not the job's

# A WorkManager Worker result (WorkerWrapper, at INFO) -> the attempt's outcome
_BY_RESULT = {
    "success": Outcome.SUCCESS,
    "failure": Outcome.FAILURE,
    "retry": Outcome.FAILURE,
    "cancelled": Outcome.STOPPED,
    "skipped_before_schedule": Outcome.NOT_STARTED,
}
# JobScheduler's word for how a run ended (stop_outcome of the STOP's reason) -> the attempt's outcome
_BY_STOP = {
    "finished": Outcome.SUCCESS,
    "timed_out": Outcome.TIMEOUT,
    "killed": Outcome.KILLED,
    "stopped": Outcome.STOPPED,
}


@dataclass
class Verdict:
    outcome: Outcome | None = None  # None: not over yet
    reason: str | None = None
    detail: str | None = None
    started: str | None = None  # device time of the start
    finished: str | None = None  # device time of the end


@dataclass(frozen=True)
class AndroidJob:
    """What an attempt is about: the app, its JobScheduler job, and whether WorkManager work is behind
    it (then its Worker class and WorkSpec id, as far as they are known)."""

    package: str
    job: int | None
    workmanager: bool = False
    worker: str | None = None
    work_id: str | None = None

    def concerns(self, e: Event) -> bool:
        """The app's event, or one that names no app (a line of a process whose start the logs did not show)."""
        return event_concerns(e, self.package) or (e.package is None and e.process is None)

    def is_work(self, e: Event) -> bool:
        """A WorkManager line about this work: its WorkSpec id when both are known, else its Worker
        class, else any work but the DiagnosticsWorker that bgprobe's own request ran."""
        if not self.workmanager or not self.concerns(e):
            return False
        worker = (e.data or {}).get("worker")
        if self.work_id and e.job:
            return e.job == self.work_id
        if self.worker:
            return worker == self.worker
        return worker != DIAGNOSTICS_WORKER


def judge_event(job: AndroidJob, e: Event, v: Verdict) -> Verdict | None:
    """One event, in log order: the verdict when it ends the attempt, else None (a start is noted in `v`)."""
    if e.kind == Kind.JOB_STARTED and (job.is_work(e) or (e.job == str(job.job) and event_concerns(e, job.package))):
        v.started = v.started or e.ts
    elif e.kind == Kind.WORK_RESULT and job.is_work(e):
        outcome = _BY_RESULT.get(e.reason or "")
        if outcome == Outcome.NOT_STARTED:
            return end(v, outcome, workmanager_skip_reason(None, seen=True), e.detail, e.ts)
        if outcome is not None:
            return end(v, outcome, f"workmanager: {e.reason}", e.detail, e.ts)
    elif e.kind == Kind.JOB_TIMEOUT and e.job == str(job.job) and job.concerns(e):
        return end(v, Outcome.TIMEOUT, e.reason, e.detail, e.ts)
    elif e.kind in DEATH_KINDS and event_concerns(e, job.package) and v.started and not before(e.ts, v.started):
        # a death logged before the run started (the start known from the scheduler's state, which may
        # come later than the log lines around it) is the previous process's, not this run's end
        return end(v, Outcome.KILLED, e.reason or e.kind, e.detail, e.ts)
    return None


def judge_events(job: AndroidJob, events: list[Event], *, started: str | None = None) -> Verdict:
    """The first terminal sign in log order decides. `started`: a start JobScheduler reported when the
    logs had none (a plain job logs nothing; WorkManager logs its start only at DEBUG)."""
    v = Verdict(started=started)
    for i, e in enumerate(events):
        decided = judge_event(job, e, v)
        if decided is not None:
            return with_death_reason(decided, e, events[i + 1 :])
    return v


def with_death_reason(v: Verdict, first: Event, later: Iterable[Event]) -> Verdict:
    """A run ended by a death gets the most telling reason among that death's lines (same pid, or the same
    process for a line without one), ranked as the summary folds deaths: the reason no longer depends on
    which buffer's line the stream brought first (a force-stop's "Killing …: stop" or its "has died")."""
    if v.outcome != Outcome.KILLED or first.kind not in DEATH_KINDS:
        return v
    best, best_rank = v.reason, reason_rank(first.source, first.reason) if first.reason else 99
    for e in later:
        if e.kind not in DEATH_KINDS or not e.reason:
            continue
        same = e.pid == first.pid if first.pid is not None and e.pid is not None else e.process == first.process
        rank = reason_rank(e.source, e.reason)
        if same and rank < best_rank:
            best, best_rank = e.reason, rank
    v.reason = best
    return v


def scheduler_end(stop_reason: str, job: AndroidJob, expected_skip: str | None) -> tuple[Outcome, str]:
    """How a run ended by JobScheduler's account (the STOP of its job history), when no log line said.
    WorkManager work that JobScheduler saw finish without a Worker result was skipped by WorkerWrapper."""
    kind = stop_outcome(stop_reason)
    if kind == "finished" and job.workmanager:
        reason = workmanager_skip_reason(expected_skip)
        if job.worker is None:  # its diagnostics did not answer either: its level may be above INFO
            reason += "; or the app logs WorkManager above INFO, which hides its results too"
        return Outcome.NOT_STARTED, reason
    return _BY_STOP[kind], f"jobscheduler: {stop_reason}"


def workmanager_skip_reason(expected: str | None, *, seen: bool = False) -> str:
    why = (
        "WorkerWrapper logged: Delaying execution ... because it is being executed before schedule"
        if seen
        else "JobScheduler ran the job and no Worker result followed; WorkerWrapper logs "
        '"Delaying execution for ... because it is being executed before schedule" only at DEBUG '
        "(an app that sets Configuration.Builder.setMinimumLoggingLevel(Log.DEBUG) shows it)"
    )
    return (
        "WorkManager skipped a forced run of periodic/backed-off work"
        + (f" ({expected})" if expected else "")
        + f": {why}"
    )


def before(ts: str | None, start: str | None) -> bool:
    """Whether `ts` is strictly earlier than `start` (ISO times of one device clock; unknown: not earlier)."""
    return bool(ts and start and ts < start)


def end(v: Verdict, outcome: Outcome, reason: str | None, detail: str | None, ts: str | None) -> Verdict:
    v.outcome, v.reason, v.detail, v.finished = outcome, reason, detail, ts
    return v
