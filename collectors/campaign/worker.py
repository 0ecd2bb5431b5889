"""One device's share of a campaign, whatever its platform: condition by condition (changes
journaled and always undone), every task run with the app's retries, each attempt judged from the
live log stream and recorded before the next begins.

A platform worker supplies: its device facts, a log feed, how to apply a condition, how to force
a task, what the OS scheduler itself says about the task (when the logs may say nothing: a plain
Android job logs nothing, WorkManager logs its start only at DEBUG), and how to find the device
again after a loss.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
import traceback
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bgprobe.collectors.campaign.observe import Feed, judge
from bgprobe.collectors.campaign.results import ResultsDir, TaskRun
from bgprobe.collectors.campaign.scenario import Condition, Scenario, Task
from bgprobe.collectors.errors import BgprobeError
from bgprobe.reports.attempts import Attempt, Outcome
from bgprobe.reports.events import event_concerns

POLL_S = 0.2
# After the OS scheduler says a run ended, the logs get this long to say how (a result line, a
# kill) before the scheduler's own account is recorded.
LOG_GRACE_S = 1.5
# After a loss, how long the log stream of the lost phone gets to end (and report what it left open).
FEED_END_WAIT_S = 3.0
# A task run is complete after one of these (or its last attempt).
_DONE = frozenset({Outcome.SUCCESS, Outcome.SKIPPED, Outcome.DEVICE_LOST})


@dataclass
class WorkerFailure:
    """A worker that ended on an error instead of finishing: its device's remaining runs did not run."""

    device: str
    error: BaseException
    traceback_file: Path | None

    @property
    def is_bug(self) -> bool:
        """A BgprobeError (a full disk, a journal that cannot be written) is the machine's trouble,
        with its own exit code; anything else is a bug in bgprobe."""
        return not isinstance(self.error, BgprobeError)

    def describe(self) -> str:
        message = getattr(self.error, "message", None) or f"{type(self.error).__name__}: {self.error}"
        where = f" (traceback: {self.traceback_file})" if self.traceback_file and self.is_bug else ""
        return f"{self.device}: the campaign stopped on this device: {message}{where}"


@dataclass
class SchedulerView:
    """What the OS scheduler itself says about a task's job since its attempt began."""

    started: bool = False  # running now, or ran since the attempt began
    held: str | None = None  # why it does not start now, when forcing cannot help (doze, restriction, ...)
    ended: tuple[str, str] | None = None  # (outcome, reason) of that run by the scheduler's account


class DeviceGone(Exception):
    """The device vanished (adb: lost/offline; usbmux: detached)."""


class SkipCondition(Exception):
    """The condition cannot be established on this device: its task runs are recorded as skipped."""


@dataclass
class DeviceProgress:
    device: str
    model: str = ""
    os_version: str = ""
    total: int = 0
    done: int = 0
    current: str = "waiting"
    outcomes: dict[str, int] = field(default_factory=dict)
    lost: bool = False
    finished: bool = False
    name: str = ""  # what people call the phone (an iPhone's own name) when its key says nothing to them

    @property
    def label(self) -> str:
        return self.name or self.device


class Worker:
    platform = "android"
    loss_errors: tuple[type[BaseException], ...] = ()  # the transport's own "device is gone" errors

    @property
    def _gone_errors(self) -> tuple[type[BaseException], ...]:
        return (DeviceGone, *self.loss_errors)

    def __init__(
        self,
        identity: str,
        facts: dict[str, Any],
        scenario: Scenario,
        runs: list[TaskRun],
        results: ResultsDir,
        stop: threading.Event,
        progress: DeviceProgress,
        *,
        shard: str | None,
        wait_for_return_s: float = 20.0,
    ) -> None:
        self.identity = identity
        self.facts = facts
        self.scenario = scenario
        self.runs = runs
        self.results = results
        self.stop = stop
        self.progress = progress
        self.shard = shard
        self.wait_for_return_s = wait_for_return_s
        self.tasks = {t.name: t for t in scenario.tasks}
        self.feed: Feed | None = None
        self._events_cursor = 0
        self.done = results.done_attempts()
        self.failure: WorkerFailure | None = None

    # -- platform hooks ----------------------------------------------------------------------
    def prepare(self) -> None:
        """Before the first condition (e.g. undo what a killed earlier run left)."""

    def new_feed(self) -> Feed:
        raise NotImplementedError

    def condition(self, condition: Condition, runs: list[TaskRun]) -> AbstractContextManager[None]:
        raise NotImplementedError

    def begin_attempt(self, task: Task) -> None:
        """Just before an attempt (and its trigger): note what the scheduler already knows."""

    def force(self, task: Task) -> str | None:
        """Trigger the task now; None when accepted, else what the device answered."""
        raise NotImplementedError

    def scheduler_view(self, task: Task) -> SchedulerView | None:
        """The OS scheduler's account of the task since begin_attempt (None: it has none)."""
        return None

    def find_again(self) -> bool:
        """After a loss: is the device back (and put back as it was)?"""
        return False

    # -- the loop --------------------------------------------------------------------------
    def run(self) -> None:
        try:
            self.prepare()
            self._start_feed()
            for condition in self.scenario.conditions:
                runs = [r for r in self.runs if r.condition == condition.name and not self._complete(r)]
                if runs and not self.stop.is_set():
                    self._condition_block(condition, runs)
        except self._gone_errors:
            self.progress.lost = True
            self.progress.current = "device lost"
        except Exception as exc:
            # Conditions were undone on the way out (their `with` blocks); every attempt recorded so far
            # is on disk. The run must not end as a success: the failure is kept for the command.
            self.failure = WorkerFailure(self.identity, exc, self._save_traceback())
            self.progress.current = "failed"
        finally:
            if self.feed:
                self.feed.stop()
            if not self.progress.lost:
                self.progress.current = "stopped" if self.stop.is_set() else "finished"
            self.progress.finished = True

    def _save_traceback(self) -> Path | None:
        path = self.results.path / f"worker-error-{re.sub(r'[^A-Za-z0-9_.-]', '_', self.identity)}.txt"
        try:
            path.write_text(traceback.format_exc(), encoding="utf-8")
        except OSError:
            return None
        return path

    def _start_feed(self) -> None:
        if self.feed:
            self.feed.stop()
        self.feed = self.new_feed()
        self._events_cursor = 0

    def _complete(self, run: TaskRun) -> bool:
        rows = self.done.get(run.key, [])
        if not rows:
            return False
        last = rows[-1]
        return last["outcome"] in _DONE or last["attempt"] >= self.max_attempts

    @property
    def max_attempts(self) -> int:
        return 1 + self.scenario.retry.count

    def _condition_block(self, condition: Condition, runs: list[TaskRun]) -> None:
        self.progress.current = f"{condition.name}: applying"
        try:
            with self.condition(condition, runs):
                time.sleep(self.scenario.settle_s)
                for run in runs:
                    if self.stop.is_set():
                        return
                    self._task_run(run, condition)
        except SkipCondition as why:
            self._skip_all([r for r in runs if not self._complete(r)], str(why))

    def _skip_all(self, runs: list[TaskRun], why: str) -> None:
        for run in runs:
            self._record(run, 1, Outcome.SKIPPED, why, None, None, None, None)

    # -- one task run: attempts and retries ------------------------------------------------
    def _task_run(self, run: TaskRun, condition: Condition) -> None:
        task = self.tasks[run.task]
        previous = self.done.get(run.key, [])
        attempt = previous[-1]["attempt"] + 1 if previous else 1
        while attempt <= self.max_attempts and not self.stop.is_set():
            self.progress.current = f"{condition.name} / {task.name} #{run.repetition} try {attempt}"
            outcome = self._attempt(run, task, attempt)
            if outcome in (Outcome.SUCCESS, Outcome.DEVICE_LOST, None):
                break
            attempt += 1
            if attempt <= self.max_attempts:
                self._sleep(self.scenario.retry.delay(attempt - 1))

    def _attempt(self, run: TaskRun, task: Task, attempt: int) -> str | None:
        feed = self.feed
        assert feed is not None
        cursor, scheduled = feed.cursor(), feed.last_ts
        try:
            self.begin_attempt(task)
            if task.trigger == "forced":
                refused = self.force(task)
                if refused:
                    self._record(run, attempt, Outcome.NOT_STARTED, "trigger refused", refused, scheduled, None, None)
                    return Outcome.NOT_STARTED
            outcome, reason, detail, started, finished = self._observe(task, feed, cursor)
        except self._gone_errors as exc:
            # A lost phone's log stream ends too: what its end left open (an ANR without its body) is
            # this attempt's, so it is recorded with it (briefly waited for: the stream may end later).
            feed.ended.wait(FEED_END_WAIT_S)
            self._record(run, attempt, Outcome.DEVICE_LOST, "device lost", str(exc), scheduled, None, None)
            self._handle_loss()
            raise DeviceGone(str(exc)) from exc
        if outcome is None:
            return None  # interrupted: not recorded, so a resume runs it again
        self._record(run, attempt, outcome, reason, detail, scheduled, started, finished)
        return outcome

    def _observe(
        self, task: Task, feed: Feed, cursor: int
    ) -> tuple[str | None, str | None, str | None, str | None, str | None]:
        """Watch until the attempt ends: (outcome, reason, detail, started, finished).

        The logs decide when they can (judge); the OS scheduler's own account fills in what they
        do not say: that the job started, that a forced run is held by something forcing cannot
        pass (then it is not_started at once, not a timeout later), and how a run ended that no
        log line described."""
        t0 = time.monotonic()
        deadline = t0 + (self.scenario.attempt_timeout_s if task.trigger == "forced" else task.window_s)
        started_wall: float | None = None
        started_by_os: str | None = None
        ended_seen: float | None = None
        view: SchedulerView | None = None
        verdict = None
        while time.monotonic() < deadline:
            if self.stop.is_set():
                return None, None, None, None, None
            if feed.ended.is_set():
                raise DeviceGone(f"{self.identity}: its log stream ended")
            verdict = judge(task, feed.since(cursor), started=started_by_os)
            if verdict.started and started_wall is None:
                started_wall = time.monotonic()
                if task.trigger == "natural":  # from the start, the attempt gets its own time-out
                    deadline = started_wall + self.scenario.attempt_timeout_s
            if verdict.outcome == Outcome.KILLED:
                # The death's other lines (other log buffers) follow within moments; its most telling reason
                # is among them (judge), so the recorded reason does not depend on which came first.
                time.sleep(POLL_S)
                verdict = judge(task, feed.since(cursor), started=started_by_os)
            if verdict.outcome:
                return verdict.outcome, verdict.reason, verdict.detail, verdict.started, verdict.finished
            view = self.scheduler_view(task)
            if view is not None:
                if view.started and not verdict.started:
                    started_by_os = feed.last_ts  # a kill from now on ends this run (judge)
                if task.trigger == "forced" and view.held and not view.started:
                    return Outcome.NOT_STARTED, view.held, None, None, None
                if view.ended:
                    ended_seen = ended_seen or time.monotonic()
                    if time.monotonic() - ended_seen >= LOG_GRACE_S:
                        return self._by_scheduler(view, verdict.started or started_by_os, feed)
            time.sleep(POLL_S)
        started = (verdict.started if verdict else None) or started_by_os
        if view is not None and view.ended:
            return self._by_scheduler(view, started, feed)
        if not started:
            # `finished` is when the wait ended (the device's clock): the attempt's length is its wall time
            if task.trigger == "natural":
                why = f"the OS did not run it within {task.window_s:g}s"
                if view is not None and view.held:  # what held it: doze, restriction, quota (its first words)
                    why += f" (held: {view.held.split(' (')[0]})"
                return Outcome.NOT_STARTED, why, None, None, feed.last_ts
            if view is not None:
                held = f" ({view.held})" if view.held else ""
                limit = self.scenario.attempt_timeout_s
                why = f"the OS did not start it within {limit:.0f}s{held}"
                return Outcome.NOT_STARTED, why, None, None, feed.last_ts
        limit = self.scenario.attempt_timeout_s
        return Outcome.TIMEOUT, f"no end within {limit:.0f}s", None, started, feed.last_ts

    @staticmethod
    def _by_scheduler(
        view: SchedulerView, started: str | None, feed: Feed
    ) -> tuple[str | None, str | None, str | None, str | None, str | None]:
        assert view.ended is not None
        outcome, reason = view.ended
        if outcome == Outcome.NOT_STARTED:
            return outcome, reason, None, None, None
        return outcome, reason, None, started, feed.last_ts

    def _handle_loss(self) -> None:
        """Other devices go on. If this one comes back soon, its journal is restored at once (else
        `bgprobe restore` does it); its remaining runs are left for `bgprobe run --resume`."""
        self.progress.current = "device lost; waiting for it"
        deadline = time.monotonic() + self.wait_for_return_s
        while time.monotonic() < deadline and not self.stop.is_set():
            with contextlib.suppress(BgprobeError):
                if self.find_again():
                    return
            time.sleep(1.0)

    def _sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end and not self.stop.is_set():
            time.sleep(min(POLL_S, max(0.0, end - time.monotonic())))

    # -- recording -------------------------------------------------------------------------
    def _record(
        self,
        run: TaskRun,
        attempt: int,
        outcome: str,
        reason: str | None,
        detail: str | None,
        scheduled: str | None,
        started: str | None,
        finished: str | None,
    ) -> None:
        f = self.facts
        task = self.tasks[run.task]
        duration = None
        if started and finished:
            with contextlib.suppress(ValueError):
                delta = datetime.fromisoformat(finished) - datetime.fromisoformat(started)
                duration = round(delta.total_seconds(), 3)
        row = Attempt(
            run_id=str(self.results.run["run_id"]),
            attempt_id=run.attempt_id(attempt),
            campaign=self.scenario.name,
            device=run.device,
            platform=self.platform,
            os_version=str(f.get("os_version") or ""),
            os_major=_major(f.get("os_version")),
            manufacturer=str(f.get("manufacturer") or ""),
            model=str(f.get("model") or ""),
            condition=run.condition,
            task=run.task,
            package=task.app,
            trigger=task.trigger,
            repetition=run.repetition,
            attempt=attempt,
            outcome=outcome,
            reason=reason,
            detail=detail,
            scheduled=scheduled,
            started=started,
            finished=finished,
            duration_s=duration,
            shard=self.shard,
        )
        self.results.record_attempt(row)
        self._record_events(task)
        self.done.setdefault(run.key, []).append(row.to_dict())
        p = self.progress
        if outcome in _DONE or attempt >= self.max_attempts:
            p.done += 1
        p.outcomes[outcome] = p.outcomes.get(outcome, 0) + 1

    def _record_events(self, task: Task) -> None:
        """What the device logged about the app since the last record."""
        if self.feed is None:
            return
        seen = self.feed.since(self._events_cursor)
        if seen:
            self._events_cursor = seen[-1].seq
        self.results.record_events([s.event.to_dict() for s in seen if s.event and event_concerns(s.event, task.app)])


def _major(version: object) -> int:
    text = str(version or "").split(".")[0]
    return int(text) if text.isdigit() else 0
