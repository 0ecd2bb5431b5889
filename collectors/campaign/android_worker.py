"""An Android phone's share of a campaign: conditions through the journaled StateController,
`cmd jobscheduler run -f` to force a task, logcat as the feed."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from bgprobe.collectors.android.adb import AndroidDevice, DeviceError, DeviceLost
from bgprobe.collectors.android.state import (
    ChangeNotTaken,
    NotAvailable,
    StateController,
    UsageError,
    parse_assignments,
    temporary_state,
)
from bgprobe.collectors.campaign.observe import Feed, LogFeed
from bgprobe.collectors.campaign.results import TaskRun
from bgprobe.collectors.campaign.scenario import Condition, Task
from bgprobe.collectors.campaign.worker import SkipCondition, Worker


class AndroidWorker(Worker):
    platform = "android"
    loss_errors = (DeviceLost,)

    def __init__(
        self, dev: AndroidDevice, *args: Any, reconnect: Callable[[], AndroidDevice | None] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(dev.key, *args, **kwargs)
        self.dev = dev
        self.reconnect = reconnect

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

    def force(self, task: Task) -> str | None:
        out = self.dev.run(["cmd", "jobscheduler", "run", "-f", task.app, str(task.job)])
        return None if "Running job" in out.text else (out.text.strip() or "no answer")

    def job_active(self, task: Task) -> bool:
        with contextlib.suppress(DeviceError):
            state = self.dev.text(["cmd", "jobscheduler", "get-job-state", task.app, str(task.job)])
            return "active" in state.split()
        return False

    def find_again(self) -> bool:
        dev = self.reconnect() if self.reconnect else None
        if dev is None:
            return False
        self.dev = dev
        with contextlib.suppress(DeviceError):
            self.controller().restore_pending()
        return True
