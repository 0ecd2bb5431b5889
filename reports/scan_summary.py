"""The figures `bgprobe scan` shows, computed from events as they stream in.

Nothing grows with the input: deaths and ANRs are folded by `reports.deaths.DeathFolder`, which
forgets a death seconds after its last line; the rest are counts per process / job / worker and
the latest `job_scheduled` per package and job. A log of a million kills is summarized in the
memory of a small one.
"""

from __future__ import annotations

import re
import sys
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from bgprobe.reports.deaths import Death, DeathFolder
from bgprobe.reports.events import DEATH_KINDS, Event, system_name

ROWS_KEPT = 50  # ANRs listed (the rest are counted): the terminal shows at most 25
# Rows of the deaths table kept in memory. A log's processes and reasons make a few hundred; beyond
# this, deaths nobody named (`pid 12345`) are flooding it: their oldest single rows are let go.
MAX_TABLE_ROWS = 20_000


@dataclass(slots=True)
class DeathRow:
    process: str  # or `pid N` / `uid N` / `unknown process` when no line named it
    reason: str
    deaths: int
    sources: str  # the sources that logged them, comma-separated
    last: datetime | None


@dataclass(slots=True)
class TimeoutRow:
    package: str | None
    job: str | None
    reason: str | None
    count: int
    last: datetime | None


@dataclass(slots=True)
class AnrRow:
    ts: datetime | None
    pid: int | None
    process: str | None
    detail: str | None


@dataclass
class ScanSummary:
    """Plain rows, no pandas: importing it (and pyarrow with it) would cost the scan ~100 MB."""

    events: int  # how many
    first: datetime | None  # the earliest and latest event time
    last: datetime | None
    kinds: list[tuple[str, int]]  # events per kind, most first
    deaths_by_reason: list[DeathRow]  # most deaths first (all rows kept in memory: see MAX_TABLE_ROWS)
    death_rows: int  # rows of that table in all
    oem_reasons: bool  # whether any death has an OEM killer's reason
    job_timeouts: list[TimeoutRow]  # most first
    work_results: tuple[list[str], list[list[object]]]  # header (worker, each result), one row per worker
    scheduled_jobs: list[Event]  # the latest job_scheduled per package/job
    anrs: list[AnrRow]  # the first ANRs in time, folded like deaths
    anr_count: int
    devices: list[str]


class ScanSummarizer:
    """Feed every event to `add`, then `summary()` once."""

    def __init__(self) -> None:
        self.events = 0
        self._first: datetime | None = None
        self._last: datetime | None = None
        self._kinds: dict[str, int] = {}
        self._devices: set[tuple[str, str | None, str]] = set()  # (device, OS version, platform)
        self._by_reason: dict[tuple[str, str], list[Any]] = {}  # (process, reason) -> [deaths, sources, last]
        self._once: OrderedDict[tuple[str, str], None] = OrderedDict()  # rows of one death, oldest first
        self._dropped = 0  # rows let go when the table was full
        self._dropped_oem = False
        self._timeouts: dict[tuple[str | None, str | None, str | None], list[Any]] = {}  # -> [count, last]
        self._work: dict[tuple[str, str | None], int] = {}  # (worker, result) -> count
        self._scheduled: dict[tuple[str | None, str | None], Event] = {}  # the latest, in order of arrival
        self._anrs: list[Death] = []
        self._anr_count = 0
        self._deaths = DeathFolder(self._count_death)
        self._anr_folder = DeathFolder(self._keep_anr)

    def add(self, e: Event) -> None:
        self.events += 1
        kind = e.kind
        self._kinds[kind] = self._kinds.get(kind, 0) + 1
        ts = device_time(e.ts) if e.ts else None
        if ts is not None:
            if self._first is None or ts < self._first:
                self._first = ts
            if self._last is None or ts > self._last:
                self._last = ts
        if e.device is not None:
            self._devices.add((e.device, e.os_version, e.platform))
        if kind in DEATH_KINDS:
            # The table shows neither a death's package nor its text: the buffered line does not keep
            # them. Names repeat from line to line: one copy of each.
            self._deaths.add(
                (e.device, ts, e.pid, _one(e.process), None, e.uid, _one(e.reason), kind, sys.intern(e.source), None)
            )
        elif kind == "anr":
            self._anr_folder.add((e.device, ts, e.pid, e.process, None, e.uid, e.reason, kind, e.source, e.detail))
        elif kind == "job_timeout":
            entry = self._timeouts.setdefault((e.package, e.job, e.reason), [0, None])
            entry[0] += 1
            entry[1] = _later(entry[1], ts)
        elif kind == "work_result":
            worker = (e.data or {}).get("worker") or "?"
            self._work[(worker, e.reason)] = self._work.get((worker, e.reason), 0) + 1
        elif kind == "job_scheduled":
            key = (e.package, e.job)
            self._scheduled.pop(key, None)  # re-inserted: the order is that of each job's last report
            self._scheduled[key] = e

    # -- deaths and ANRs, as the folders close them ------------------------------------------
    def _count_death(self, death: Death) -> None:
        if death.process is not None:
            who = death.process
        elif death.pid is not None:
            who = f"pid {death.pid}"  # a death no line named (Zygote's exit alone)
        else:
            who = f"uid {death.uid}" if death.uid is not None else "unknown process"
        key = (who, death.reason or "no reason logged")
        row = self._by_reason.get(key)
        if row is None:
            if len(self._by_reason) >= MAX_TABLE_ROWS and self._once:
                self._drop_a_row()
            row = self._by_reason[key] = [0, _NO_SOURCES, None]
            self._once[key] = None
        elif row[0] == 1:
            del self._once[key]
        row[0] += 1
        sources = _sources(frozenset(death.sources))
        if not sources <= row[1]:
            row[1] = _UNIONS.setdefault(row[1] | sources, row[1] | sources)
        if death.ts is not None and (row[2] is None or death.ts > row[2]):
            row[2] = death.ts

    def _drop_a_row(self) -> None:
        """The table is full: let go of the oldest row that counts a single death. Such rows are a
        flood of unnamed pids (`pid 12345`): they rank below every process that died twice, and
        below the newer single deaths, so the rows shown stay the same; they are still counted."""
        key, _ = self._once.popitem(last=False)
        del self._by_reason[key]
        self._dropped += 1
        self._dropped_oem = self._dropped_oem or key[1].startswith("oem:")

    def _keep_anr(self, anr: Death) -> None:
        self._anr_count += 1
        self._anrs.append(anr)
        if len(self._anrs) >= 2 * ROWS_KEPT:
            self._anrs = sorted(self._anrs, key=_in_time_order)[:ROWS_KEPT]

    # -- the tables --------------------------------------------------------------------------
    def summary(self) -> ScanSummary:
        """The tables, ordered as the pandas group-by and sort over every event ordered them (a
        Python sort is stable: ties keep the group-by's order)."""
        self._deaths.finish()
        self._anr_folder.finish()
        by_reason = [
            DeathRow(process, reason, n, ", ".join(sorted(sources)), last)
            for (process, reason), (n, sources, last) in sorted(self._by_reason.items())
        ]
        by_reason.sort(key=lambda r: (-r.deaths, *_latest_first(r.last)))
        timeouts = [
            TimeoutRow(package, job, reason, n, last)
            for (package, job, reason), (n, last) in sorted(
                self._timeouts.items(), key=lambda item: tuple(_nulls_last(v) for v in item[0])
            )
        ]
        timeouts.sort(key=lambda r: -r.count)
        results = sorted({r for _, r in self._work if r is not None})
        workers = sorted({w for w, r in self._work if r is not None})
        work_rows: list[list[object]] = [[w, *(self._work.get((w, r), 0) for r in results)] for w in workers]
        return ScanSummary(
            events=self.events,
            first=self._first,
            last=self._last,
            kinds=sorted(self._kinds.items(), key=lambda kv: -kv[1]),
            deaths_by_reason=by_reason,
            death_rows=len(by_reason) + self._dropped,
            oem_reasons=self._dropped_oem or any(r.reason.startswith("oem:") for r in by_reason),
            job_timeouts=timeouts,
            work_results=(["worker", *results], work_rows),
            scheduled_jobs=list(self._scheduled.values()),
            anrs=[AnrRow(a.ts, a.pid, a.process, a.detail) for a in sorted(self._anrs, key=_in_time_order)[:ROWS_KEPT]],
            anr_count=self._anr_count,
            devices=sorted(f"{d} ({system_name(p)} {v})" if v is not None else d for d, v, p in self._devices),
        )


def summarize(events: list[Event]) -> ScanSummary:
    summarizer = ScanSummarizer()
    for e in events:
        summarizer.add(e)
    return summarizer.summary()


_ZONE = re.compile(r"(?:Z|[+-]\d\d:?\d\d)$")


def device_time(text: str) -> datetime | None:
    """An event's ISO 8601 time as the device showed it (zone dropped, to the millisecond), as
    `reports.schema.device_times` reads it; None when it is not a time."""
    if "," in text:  # 08:00:00,123: Python reads it, pandas' ISO 8601 does not
        return None
    if text[-1:] == "Z" or "+" in text or text.count("-") > 2:  # a zone, perhaps (the regex is slower)
        text = _ZONE.sub("", text)
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        return None
    if t.microsecond % 1000 or t.tzinfo is not None:
        t = t.replace(microsecond=t.microsecond - t.microsecond % 1000, tzinfo=None)
    return t


_NO_SOURCES: frozenset[str] = frozenset()
_UNIONS: dict[frozenset[str], frozenset[str]] = {}  # one copy of each set of sources


@cache
def _sources(names: frozenset[str]) -> frozenset[str]:
    """A death's sources as the table lists them (a source with a comma counts as its parts)."""
    return frozenset(part.strip() for name in names for part in name.split(",") if part.strip())


def _one(text: str | None) -> str | None:
    return None if text is None else sys.intern(text)


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    return a if b is None or a >= b else b


def _nulls_last(value: str | None) -> tuple[bool, str]:
    return (value is None, value or "")


def _latest_first(t: datetime | None) -> tuple[bool, timedelta]:
    return (t is None, datetime.min - t if t is not None else timedelta(0))


def _in_time_order(d: Death) -> tuple[bool, datetime, int]:
    return (d.ts is None, d.ts or datetime.min, d.seq)
