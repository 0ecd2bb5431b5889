"""What a campaign sees of a device while it runs: one log stream per device for the whole run,
parsed by the same interpreter as `bgprobe scan` / `watch`, plus the app's own log lines that a
scenario names. Attempts read what arrived after their start marker and judge the outcome.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bgprobe.collectors.android.adb import AndroidDevice, DeviceError
from bgprobe.collectors.campaign.scenario import LinePattern, Task
from bgprobe.collectors.parsers.android_log import LogInterpreter
from bgprobe.collectors.parsers.logcat import YearHint, parse_line
from bgprobe.reports.events import DEATH_KINDS, Event

BUFFERS = "main,system,events,crash"


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
    """Android: `logcat` of the main, system, events and crash buffers, for the whole campaign."""

    def __init__(self, dev: AndroidDevice, tasks: list[Task], os_version: str | None) -> None:
        super().__init__()
        self.dev = dev
        self.tasks = tasks
        self._stop = threading.Event()
        self._interp = LogInterpreter(where=f"live:{dev.serial}", device=dev.key, os_version=os_version)
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"feed-{dev.serial}")

    def start(self) -> LogFeed:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        years = YearHint(datetime.now().date())
        try:
            lines = self.dev.stream_lines(["logcat", "-T", "1", "-v", "threadtime", "-b", BUFFERS])
            for n, line in enumerate(lines, 1):
                if self._stop.is_set():
                    break
                rec = parse_line(line, n, years)
                if rec.ts:
                    self.last_ts = rec.ts
                for event in self._interp.feed(rec):
                    self.add(Seen(0, event.ts, event=event))
                for task in self.tasks:
                    what = _app_line(task, rec.msg)
                    if what:
                        self.add(Seen(0, rec.ts, task=task.name, what=what, text=rec.msg))
        except DeviceError:
            pass
        finally:
            for event in self._interp.flush():  # multi-line messages the stream's end left open
                self.add(Seen(0, event.ts, event=event))
            self.ended.set()


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


@dataclass
class Verdict:
    outcome: str | None = None  # None: not over yet
    reason: str | None = None
    detail: str | None = None
    started: str | None = None
    finished: str | None = None


def judge(task: Task, seen: list[Seen], *, started: str | None = None) -> Verdict:
    """The first terminal sign in log order decides; the first start sign dates the start.
    `started`: a start the OS scheduler reported when the logs had none (an app at WorkManager's
    default INFO level logs no "Starting work for"): a kill then ends the run as it would after a
    logged start."""
    v = Verdict(started=started)
    for s in seen:
        if s.task == task.name:
            if s.what == "started":
                v.started = v.started or s.ts
                continue
            outcome = {"finished": "success", "failed": "failure", "stopped": "stopped"}[s.what or ""]
            return _end(v, outcome, f"app: {s.what}", s.text, s.ts)
        e = s.event
        if e is None:
            continue
        decided = _judge_ios(task, e, v) if task.platform == "ios" else _judge_android(task, e, v)
        if decided is not None:
            return decided
    return v


def _judge_android(task: Task, e: Event, v: Verdict) -> Verdict | None:
    package = task.app
    wm = task.scheduler == "workmanager" and task.worker and (e.data or {}).get("worker") == task.worker
    if e.kind == "job_started" and (wm or (e.job == str(task.job) and e.package == package)):
        v.started = v.started or e.ts
    elif e.kind == "work_result" and wm:
        outcome = {
            "success": "success",
            "failure": "failure",
            "retry": "failure",
            "cancelled": "stopped",
            "skipped_before_schedule": "not_started",
        }.get(e.reason or "")
        if outcome:
            return _end(v, outcome, f"workmanager: {e.reason}", e.detail, e.ts)
    elif e.kind == "job_timeout" and e.job == str(task.job) and e.package in (None, package):
        return _end(v, "timeout", e.reason, e.detail, e.ts)
    elif e.kind in DEATH_KINDS and e.package == package and v.started and not _before(e.ts, v.started):
        # a death logged before the run started (the start known from the scheduler's state, which may
        # come later than the log lines around it) is the previous process's, not this run's end
        return _end(v, "killed", e.reason or e.kind, e.detail, e.ts)
    return None


def _before(ts: str | None, start: str | None) -> bool:
    """Whether `ts` is strictly earlier than `start` (ISO times of one device clock; unknown: not earlier)."""
    return bool(ts and start and ts < start)


def _judge_ios(task: Task, e: Event, v: Verdict) -> Verdict | None:
    """dasd / BackgroundTasks lines name the task identifier (parsed out of the BGTask object the framework logs);
    jetsam and watchdog name the app. A natural launch's completion carries the app's success flag; a simulated
    launch's completion does not (the framework logs none), so it counts as done, saying that the flag is unknown."""
    if e.job == task.identifier:
        if e.kind == "job_started":
            v.started = v.started or e.ts
        elif e.kind == "job_finished":
            if e.reason == "completed":
                why = "bgtask: completed (simulated launch: the framework logs no success flag)"
                return _end(v, "success", why, e.detail, e.ts)
            return _end(v, "success" if e.reason == "success" else "failure", f"bgtask: {e.reason}", e.detail, e.ts)
        elif e.kind == "job_stopped" and v.started:
            return _end(v, "stopped", f"bgtask: {e.reason}", e.detail, e.ts)
    elif e.kind in ("process_killed", "process_died", "crash") and v.started and e.package == task.app:
        return _end(v, "killed", e.reason or e.kind, e.detail, e.ts)
    return None


def _end(v: Verdict, outcome: str, reason: str | None, detail: str | None, ts: str | None) -> Verdict:
    v.outcome, v.reason, v.detail, v.finished = outcome, reason, detail, ts
    return v
