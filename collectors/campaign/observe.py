"""What a campaign sees of a device while it runs: one log stream per device for the whole run,
parsed by the same interpreter as `bgprobe scan` / `watch`, plus the app's own log lines that a
scenario names. Attempts read what arrived after their start marker and judge the outcome.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import Protocol

from bgprobe.collectors.android.adb import AndroidDevice
from bgprobe.collectors.android.judge import AndroidJob, Verdict, end, judge_event, with_death_reason
from bgprobe.collectors.android.logfollow import LogFollower
from bgprobe.collectors.campaign.scenario import LinePattern, Task
from bgprobe.collectors.parsers.logcat import LogRecord
from bgprobe.reports.attempts import Outcome
from bgprobe.reports.events import DEATH_KINDS, Event, Kind


@dataclass(slots=True)
class Seen:
    seq: int
    ts: str | None
    event: Event | None = None  # a parsed event
    task: str | None = None  # or: the app's own line for this task ...
    what: str | None = None  # ... saying started | finished | failed | stopped
    text: str | None = None


class Feed(Protocol):
    """What a worker reads: numbered observations, and whether the stream has ended."""

    ended: threading.Event
    last_ts: str | None

    def cursor(self) -> int: ...

    def since(self, cursor: int) -> list[Seen]: ...

    def stop(self) -> None: ...


class SeenBuffer:
    """Thread-safe numbered observations, shared by the platform feeds."""

    def __init__(self, capacity: int = 50000) -> None:
        self._items: deque[Seen] = deque(maxlen=capacity)
        self._seq = 0
        self._lock = threading.Lock()
        self.ended = threading.Event()
        self.last_ts: str | None = None

    def cursor(self) -> int:
        with self._lock:
            return self._seq

    def since(self, cursor: int) -> list[Seen]:
        with self._lock:
            return [s for s in self._items if s.seq > cursor]

    def add(self, seen: Seen) -> None:
        with self._lock:
            self._seq += 1
            seen.seq = self._seq
            self._items.append(seen)
        if seen.ts:
            self.last_ts = seen.ts


class LogFeed(SeenBuffer):
    """Android: the device's logs for the whole campaign (the one follower of watch and trigger), every
    app's events, and the lines of the apps' own that the scenario's tasks name."""

    def __init__(self, dev: AndroidDevice, tasks: list[Task], os_version: str | None) -> None:
        super().__init__()
        self.tasks = tasks
        self._follower = LogFollower(dev, self._event, on_record=self._record, os_version=os_version)
        self.ended = self._follower.ended  # set once what the stream's end left open is in the buffer

    def start(self) -> LogFeed:
        self._follower.start()
        return self

    def stop(self) -> None:
        self._follower.stop()

    def _event(self, event: Event) -> None:
        self.add(Seen(0, event.ts, event=event))

    def _record(self, rec: LogRecord) -> None:
        if rec.ts:
            self.last_ts = rec.ts
        for task in self.tasks:
            what = _app_line(task, rec.msg)
            if what:
                self.add(Seen(0, rec.ts, task=task.name, what=what, text=rec.msg))


def _app_line(task: Task, msg: str) -> str | None:
    # RE2 patterns (see scenario.py): linear in the line, so this feed thread never stalls on one
    for what in ("started", "finished", "failed", "stopped"):
        pattern: LinePattern | None = getattr(task, what)
        if pattern is None:
            continue
        m = pattern.search(msg)
        if m and (task.job is None or m.groupdict().get("job") in (None, str(task.job))):
            return what
    return None


def judge(task: Task, seen: list[Seen], *, started: str | None = None) -> Verdict:
    """The first terminal sign in log order decides; the first start sign dates the start: the app's own
    lines that the task names, and the events, read by the platform's judge (Android: the one judge of
    `trigger` too). `started`: a start the OS scheduler reported when the logs had none (an app at
    WorkManager's default INFO level logs no "Starting work for"): a kill then ends the run as it would
    after a logged start."""
    v = Verdict(started=started)
    job = android_job(task)
    for i, s in enumerate(seen):
        if s.task == task.name:
            if s.what == "started":
                v.started = v.started or s.ts
                continue
            return end(v, _BY_APP_LINE[s.what or ""], f"app: {s.what}", s.text, s.ts)
        e = s.event
        if e is None:
            continue
        decided = _judge_ios(task, e, v) if task.platform == "ios" else judge_event(job, e, v)
        if decided is not None:
            later = (x.event for x in seen[i + 1 :] if x.event is not None)
            return decided if task.platform == "ios" else with_death_reason(decided, e, later)
    return v


def android_job(task: Task) -> AndroidJob:
    return AndroidJob(task.app, task.job, task.scheduler == "workmanager", task.worker)


_BY_APP_LINE = {"finished": Outcome.SUCCESS, "failed": Outcome.FAILURE, "stopped": Outcome.STOPPED}


def _judge_ios(task: Task, e: Event, v: Verdict) -> Verdict | None:
    """dasd / BackgroundTasks lines name the task identifier (parsed out of the BGTask object the framework logs);
    jetsam and watchdog name the app. A natural launch's completion carries the app's success flag; a simulated
    launch's completion does not (the framework logs none), so it counts as done, saying that the flag is unknown."""
    if e.job == task.identifier:
        if e.kind == Kind.JOB_STARTED:
            v.started = v.started or e.ts
        elif e.kind == Kind.JOB_FINISHED:
            if e.reason == "completed":
                why = "bgtask: completed (simulated launch: the framework logs no success flag)"
                return end(v, Outcome.SUCCESS, why, e.detail, e.ts)
            outcome = Outcome.SUCCESS if e.reason == "success" else Outcome.FAILURE
            return end(v, outcome, f"bgtask: {e.reason}", e.detail, e.ts)
        elif e.kind == Kind.JOB_STOPPED and v.started:
            return end(v, Outcome.STOPPED, f"bgtask: {e.reason}", e.detail, e.ts)
    elif e.kind in DEATH_KINDS and v.started and e.package == task.app:  # the bundle id, exactly
        return end(v, Outcome.KILLED, e.reason or e.kind, e.detail, e.ts)
    return None
