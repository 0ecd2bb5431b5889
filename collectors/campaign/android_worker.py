"""An Android phone's share of a campaign: conditions through the journaled StateController,
`cmd jobscheduler run -f` to force a task, logcat as the feed, and JobScheduler's own account of
the job (get-job-state, the job history and readiness of `dumpsys jobscheduler`) for what the logs
do not say."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import Any

from bgprobe.collectors.android.adb import AndroidDevice, DeviceLost
from bgprobe.collectors.android.jobs import JobWatch, expected_workmanager_skip
from bgprobe.collectors.android.judge import scheduler_end
from bgprobe.collectors.android.state import (
    ChangeNotTaken,
    NotAvailable,
    StateController,
    parse_assignments,
    temporary_state,
)
from bgprobe.collectors.campaign.observe import Feed, LogFeed, android_job
from bgprobe.collectors.campaign.results import TaskRun
from bgprobe.collectors.campaign.scenario import Condition, Task
from bgprobe.collectors.campaign.worker import SchedulerView, SkipCondition, Worker
from bgprobe.collectors.errors import DeviceError, UsageError


class AndroidWorker(Worker):
    platform = "android"
    loss_errors = (DeviceLost,)

    def __init__(
        self, dev: AndroidDevice, *args: Any, reconnect: Callable[[], AndroidDevice | None] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(dev.key, *args, **kwargs)
        self.dev = dev
        self.reconnect = reconnect
        self._watch: JobWatch | None = None
        self._view = SchedulerView()
        self._next_look = 0.0
        self._expected_skip: str | None = None

    def controller(self) -> StateController:
        return StateController(self.dev, int(self.facts.get("sdk") or 0))

    def prepare(self) -> None:
        # A killed earlier run may have left this phone changed. (This run holds the phone's lock:
        # nothing else is working on it now.) What cannot be undone stays journaled for `restore`.
        self.controller().restore_pending()

    def new_feed(self) -> Feed:
        tasks = [t for t in self.scenario.tasks if t.platform == "android"]
        return LogFeed(self.dev, tasks, str(self.facts.get("os_version") or "")).start()

    @contextlib.contextmanager
    def condition(self, condition: Condition, runs: list[TaskRun]) -> Iterator[None]:
        if condition.ios and not condition.settings:
            raise SkipCondition(f"condition {condition.name!r} has only iOS settings")
        packages = sorted({self.tasks[r.task].app for r in runs})
        assignments, seen = [], set()
        try:
            items = [f"{k}={v}" for k, v in condition.settings.items()]
            for pkg in packages:  # bucket= and restrict= apply to each app of the scenario
                for a in parse_assignments(items, pkg):
                    if str(a) not in seen:
                        seen.add(str(a))
                        assignments.append(a)
            controller = self.controller()
            for a in assignments:
                controller.check_available(a)
        except (NotAvailable, UsageError) as exc:
            raise SkipCondition(exc.message) from exc
        try:
            with temporary_state(controller, assignments):
                yield
        except ChangeNotTaken as exc:
            raise SkipCondition(f"condition not taken: {exc.message}") from exc

    def begin_attempt(self, task: Task) -> None:
        """The job's history and readiness just before the attempt: what happens after is its own."""
        self._watch, self._view, self._next_look, self._expected_skip = None, SchedulerView(), 0.0, None
        if task.job is None:
            return
        try:
            self._watch = JobWatch(self.dev, task.app, task.job, sdk=int(self.facts.get("sdk") or 0) or None)
        except DeviceLost:
            raise  # the attempt records device_lost
        except DeviceError:
            return  # a slow answer: the attempt goes on with the logs alone
        if task.scheduler == "workmanager":
            self._expected_skip = expected_workmanager_skip(self._watch.entry)

    def force(self, task: Task) -> str | None:
        out = self.dev.run(["cmd", "jobscheduler", "run", "-f", task.app, str(task.job)])
        return None if "Running job" in out.text else (out.text.strip() or "no answer")

    def scheduler_view(self, task: Task) -> SchedulerView | None:
        """get-job-state at every poll; while the job is not running, its job history and readiness
        (at most once a second: `dumpsys jobscheduler` is not small on a real phone)."""
        watch = self._watch
        if watch is None:
            return None
        try:
            if watch.running():
                self._next_look = 0.0  # when it stops, read how at once
                self._view = SchedulerView(started=True)
                return self._view
            if time.monotonic() < self._next_look:
                return self._view
            self._next_look = time.monotonic() + 1.0
            look = watch.look()
        except DeviceLost:
            raise
        except DeviceError:  # a slow answer: the next poll asks again
            return self._view
        if look.stop_reason is None:
            self._view = SchedulerView(started=look.started or self._view.started, held=look.held)
            return self._view
        ended = scheduler_end(look.stop_reason, android_job(task), self._expected_skip)
        self._view = SchedulerView(started=True, ended=ended)
        return self._view

    def find_again(self) -> bool:
        dev = self.reconnect() if self.reconnect else None
        if dev is None:
            return False
        self.dev = dev
        with contextlib.suppress(DeviceError):
            self.controller().restore_pending()
        return True
