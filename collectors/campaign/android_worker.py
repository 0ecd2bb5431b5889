"""One Android device's share of a campaign: condition by condition (journaled and always undone),
every task run with the app's retries, each attempt recorded before the next begins."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from bgprobe.collectors.android.adb import AndroidDevice, DeviceError, DeviceLost
from bgprobe.collectors.android.state import (
    ChangeNotTaken,
    NotAvailable,
    StateController,
    UsageError,
    parse_assignments,
    temporary_state,
)
from bgprobe.collectors.campaign.observe import LogFeed, judge
from bgprobe.collectors.campaign.results import ResultsDir, TaskRun
from bgprobe.collectors.campaign.scenario import Condition, Scenario, Task
from bgprobe.reports.attempts import Attempt

POLL_S = 0.2


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


class AndroidWorker:
    def __init__(
        self,
        dev: AndroidDevice,
        facts: dict[str, str | int | None],
        scenario: Scenario,
        runs: list[TaskRun],
        results: ResultsDir,
        stop: threading.Event,
        progress: DeviceProgress,
        *,
        shard: str | None,
        wait_for_return_s: float = 20.0,
        reconnect: Callable[[], AndroidDevice | None] | None = None,
    ) -> None:
        self.dev = dev
        self.facts = facts
        self.scenario = scenario
        self.runs = runs
        self.results = results
        self.stop = stop
        self.progress = progress
        self.shard = shard
        self.wait_for_return_s = wait_for_return_s
        self.reconnect = reconnect
        self.tasks = {t.name: t for t in scenario.tasks}
        self.conditions = {c.name: c for c in scenario.conditions}
        self.feed: LogFeed | None = None
        self._events_cursor = 0
        self.done = results.done_attempts()

    # -- the loop --------------------------------------------------------------------------
    def run(self) -> None:
        progress = self.progress
        try:
            self.controller().restore_pending()  # a killed earlier run may have left this phone changed
            self._start_feed()
            for condition in self.scenario.conditions:
                runs = [r for r in self.runs if r.condition == condition.name and not self._complete(r)]
                if runs and not self.stop.is_set():
                    self._condition_block(condition, runs)
        except DeviceLost:
            progress.lost = True
            progress.current = "device lost"
        finally:
            if self.feed:
                self.feed.stop()
            progress.finished = True

    def controller(self) -> StateController:
        return StateController(self.dev, int(self.facts.get("sdk") or 0))

    def _start_feed(self) -> None:
        if self.feed:
            self.feed.stop()
        android_tasks = [t for t in self.scenario.tasks if t.platform == "android"]
        self.feed = LogFeed(self.dev, android_tasks, str(self.facts.get("os_version") or "")).start()
        self._events_cursor = 0
        time.sleep(0.1)

    def _complete(self, run: TaskRun) -> bool:
        rows = self.done.get(run.key, [])
        if not rows:
            return False
        last = rows[-1]
        return (
            last["outcome"] in ("success", "skipped", "device_lost") or last["attempt"] >= 1 + self.scenario.retry.count
        )

    def _condition_block(self, condition: Condition, runs: list[TaskRun]) -> None:
        assignments = []
        packages = sorted({self.tasks[r.task].app for r in runs})
        try:
            items = [f"{k}={v}" for k, v in condition.settings.items()]
            seen: set[str] = set()
            for pkg in packages:  # bucket= and restrict= apply to each app of the scenario
                for a in parse_assignments(items, pkg):
                    if str(a) not in seen:
                        seen.add(str(a))
                        assignments.append(a)
            controller = self.controller()
            for a in assignments:
                controller.check_available(a)
        except (NotAvailable, UsageError) as exc:
            self._skip_all(runs, exc.message)
            return
        self.progress.current = f"{condition.name}: applying"
        try:
            with temporary_state(controller, assignments):
                time.sleep(self.scenario.settle_s)
                for run in runs:
                    if self.stop.is_set():
                        return
                    self._task_run(run, condition)
        except ChangeNotTaken as exc:
            self._skip_all([r for r in runs if not self._complete(r)], f"condition not taken: {exc.message}")

    def _skip_all(self, runs: list[TaskRun], why: str) -> None:
        for run in runs:
            self._record(run, 1, "skipped", why, None, None, None, None, None)

    # -- one task run: attempts and retries ------------------------------------------------
    def _task_run(self, run: TaskRun, condition: Condition) -> None:
        task = self.tasks[run.task]
        previous = self.done.get(run.key, [])
        attempt = previous[-1]["attempt"] + 1 if previous else 1
        max_attempts = 1 + self.scenario.retry.count
        while attempt <= max_attempts and not self.stop.is_set():
            self.progress.current = f"{condition.name} / {task.name} #{run.repetition} try {attempt}"
            outcome = self._attempt(run, task, attempt)
            if outcome in ("success", "device_lost", None):
                break
            attempt += 1
            if attempt <= max_attempts:
                self._sleep(self.scenario.retry.delay(attempt - 1))

    def _attempt(self, run: TaskRun, task: Task, attempt: int) -> str | None:
        assert self.feed is not None
        cursor = self.feed.cursor()
        scheduled = self.feed.last_ts
        t0 = time.monotonic()
        try:
            if task.trigger == "forced":
                refused = self._force(task)
                if refused:
                    self._record(run, attempt, "not_started", "trigger refused", refused, scheduled, None, None, None)
                    return "not_started"
                deadline = t0 + self.scenario.attempt_timeout_s
            else:
                deadline = t0 + task.window_s
            verdict, started_wall, started_by_state = None, None, None
            while time.monotonic() < deadline:
                if self.stop.is_set():
                    return None  # interrupted: not recorded, so a resume runs it again
                if self.feed.ended.is_set():
                    raise DeviceLost(self.dev.serial, "its log stream ended")
                verdict = judge(task, task.app, self.feed.since(cursor))
                verdict.started = verdict.started or started_by_state
                if verdict.started and started_wall is None:
                    started_wall = time.monotonic()
                    if task.trigger == "natural":  # from the start, the attempt gets its own time-out
                        deadline = started_wall + self.scenario.attempt_timeout_s
                if verdict.outcome:
                    break
                plain_job = task.started is None and task.worker is None
                if not verdict.started and plain_job and self._job_active(task):
                    # a plain JobScheduler job logs nothing when it starts: ask the OS instead
                    started_by_state = started_by_state or self.feed.last_ts
                    started_wall = started_wall or time.monotonic()
                time.sleep(POLL_S)
            if verdict is None or not verdict.outcome:
                if (
                    verdict
                    and verdict.started
                    and task.started is None
                    and task.worker is None
                    and not self._job_active(task)
                ):
                    outcome, reason = "success", "jobscheduler: job left the active state"
                elif task.trigger == "natural" and not (verdict and verdict.started):
                    outcome, reason = "not_started", f"the OS did not run it within {task.window_s:.0f}s"
                else:
                    outcome, reason = "timeout", f"no end within {self.scenario.attempt_timeout_s:.0f}s"
                started = verdict.started if verdict else None
                self._record(run, attempt, outcome, reason, None, scheduled, started, self.feed.last_ts, t0)
                return outcome
            self._record(
                run,
                attempt,
                verdict.outcome,
                verdict.reason,
                verdict.detail,
                scheduled,
                verdict.started,
                verdict.finished,
                t0,
            )
            return verdict.outcome
        except DeviceLost as exc:
            self._record(run, attempt, "device_lost", "device lost", exc.message, scheduled, None, None, t0)
            self._handle_loss()
            return "device_lost"

    def _force(self, task: Task) -> str | None:
        out = self.dev.run(["cmd", "jobscheduler", "run", "-f", task.app, str(task.job)])
        return None if "Running job" in out.text else (out.text.strip() or "no answer")

    def _job_active(self, task: Task) -> bool:
        with contextlib.suppress(DeviceError):
            state = self.dev.text(["cmd", "jobscheduler", "get-job-state", task.app, str(task.job)])
            return "active" in state.split()
        return False

    def _handle_loss(self) -> None:
        """Other devices go on. If this one comes back soon, its journal is restored at once (else
        `bgprobe restore` does it); its remaining runs are left for `bgprobe run --resume`."""
        self.progress.current = "device lost; waiting for it"
        deadline = time.monotonic() + self.wait_for_return_s
        while time.monotonic() < deadline and not self.stop.is_set():
            dev = self.reconnect() if self.reconnect else None
            if dev is not None:
                self.dev = dev
                with contextlib.suppress(DeviceError):
                    self.controller().restore_pending()
                break
            time.sleep(1.0)
        raise DeviceLost(self.dev.serial, "lost during the campaign")

    def _sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end and not self.stop.is_set():
            time.sleep(min(POLL_S, end - time.monotonic()))

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
        t0: float | None,
    ) -> None:
        f = self.facts
        task = self.tasks[run.task]
        duration = None
        if started and finished:
            with contextlib.suppress(ValueError):
                duration = round(
                    (datetime.fromisoformat(finished) - datetime.fromisoformat(started)).total_seconds(), 3
                )
        row = Attempt(
            run_id=str(self.results.run["run_id"]),
            attempt_id=run.attempt_id(attempt),
            campaign=self.scenario.name,
            device=run.device,
            platform="android",
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
        if self.feed is not None:  # what the device logged about the app since the last record
            seen = self.feed.since(self._events_cursor)
            if seen:
                self._events_cursor = seen[-1].seq
            self.results.record_events([s.event.to_dict() for s in seen if s.event and s.event.package == task.app])
        self.done.setdefault(run.key, []).append(row.to_dict())
        p = self.progress
        p.done += (
            1 if outcome in ("success", "skipped", "device_lost") or attempt >= 1 + self.scenario.retry.count else 0
        )
        p.outcomes[outcome] = p.outcomes.get(outcome, 0) + 1


def _major(version: object) -> int:
    text = str(version or "").split(".")[0]
    return int(text) if text.isdigit() else 0
