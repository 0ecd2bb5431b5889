"""What a campaign sees of a device while it runs: one log stream per device for the whole run,
parsed by the same interpreter as `bgprobe scan` / `watch`, plus the app's own log lines that a
scenario names. Attempts read what arrived after their start marker and judge the outcome.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime

from bgprobe.collectors.android.adb import AndroidDevice, DeviceError
from bgprobe.collectors.campaign.scenario import Task
from bgprobe.collectors.parsers.android_log import LogInterpreter
from bgprobe.collectors.parsers.logcat import YearHint, parse_line
from bgprobe.reports.events import Event

BUFFERS = "main,system,events,crash"


@dataclass(slots=True)
class Seen:
    seq: int
    ts: str | None
    event: Event | None = None  # a parsed event
    task: str | None = None  # or: the app's own line for this task ...
    what: str | None = None  # ... saying started | finished | failed | stopped
    text: str | None = None


class LogFeed:
    def __init__(self, dev: AndroidDevice, tasks: list[Task], os_version: str | None, capacity: int = 50000) -> None:
        self.dev = dev
        self.tasks = tasks
        self._items: deque[Seen] = deque(maxlen=capacity)
        self._seq = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.ended = threading.Event()
        self.last_ts: str | None = None
        self._interp = LogInterpreter(where=f"live:{dev.serial}", device=dev.key, os_version=os_version)
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"feed-{dev.serial}")

    def start(self) -> LogFeed:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def cursor(self) -> int:
        with self._lock:
            return self._seq

    def since(self, cursor: int) -> list[Seen]:
        with self._lock:
            return [s for s in self._items if s.seq > cursor]

    def _add(self, seen: Seen) -> None:
        with self._lock:
            self._seq += 1
            seen.seq = self._seq
            self._items.append(seen)

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
                    self._add(Seen(0, event.ts, event=event))
                for task in self.tasks:
                    what = _app_line(task, rec.msg)
                    if what:
                        self._add(Seen(0, rec.ts, task=task.name, what=what, text=rec.msg))
        except DeviceError:
            pass
        finally:
            self.ended.set()


def _app_line(task: Task, msg: str) -> str | None:
    for what in ("started", "finished", "failed", "stopped"):
        pattern: re.Pattern[str] | None = getattr(task, what)
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


def judge(task: Task, package: str, seen: list[Seen]) -> Verdict:
    """The first terminal sign in log order decides; the first start sign dates the start."""
    v = Verdict()
    for s in seen:
        e = s.event
        if s.task == task.name:
            if s.what == "started":
                v.started = v.started or s.ts
                continue
            outcome = {"finished": "success", "failed": "failure", "stopped": "stopped"}[s.what or ""]
            return _end(v, outcome, f"app: {s.what}", s.text, s.ts)
        if e is None:
            continue
        wm = task.scheduler == "workmanager" and task.worker and (e.data or {}).get("worker") == task.worker
        if e.kind == "job_started" and (wm or (e.job == str(task.job) and e.package == package)):
            v.started = v.started or e.ts
        elif e.kind == "work_result" and wm:
            if e.reason == "success":
                return _end(v, "success", "workmanager: success", e.detail, e.ts)
            if e.reason in ("failure", "retry"):
                return _end(v, "failure", f"workmanager: {e.reason}", e.detail, e.ts)
            if e.reason == "cancelled":
                return _end(v, "stopped", "workmanager: cancelled", e.detail, e.ts)
            if e.reason == "skipped_before_schedule":
                return _end(v, "not_started", "workmanager: delayed before schedule", e.detail, e.ts)
        elif e.kind == "job_timeout" and e.job == str(task.job) and e.package in (None, package):
            return _end(v, "timeout", e.reason, e.detail, e.ts)
        elif e.kind in ("process_killed", "process_died", "crash") and e.package == package and v.started:
            return _end(v, "killed", e.reason or e.kind, e.detail, e.ts)
    return v


def _end(v: Verdict, outcome: str, reason: str | None, detail: str | None, ts: str | None) -> Verdict:
    v.outcome, v.reason, v.detail, v.finished = outcome, reason, detail, ts
    return v
