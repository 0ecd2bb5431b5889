"""One row per process death, from the several events that describe it.

A single kill shows up as ActivityManager's `Killing …`, the event log's `am_kill`, Zygote's
signal exit, `has died`, and on Android 11+ an ApplicationExitInfo record. Counting events
would count one death four times; this folds them, and keeps the most authoritative reason:
exit-info first (the OS's own record), then lmkd, then ActivityManager, then the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd
from bgprobe.reports.events import DEATH_KINDS

WINDOW_SECONDS = 10.0  # all the lines about one death are logged within a few seconds

_SOURCE_RANK = (
    ("exit-info", 0),
    ("lmkd", 1),
    ("kernel:lowmemorykiller", 1),
    ("HwPFWService", 2),
    ("ActivityManager", 2),
    ("events:am_kill", 3),
    ("events:am_anr", 3),
    ("AndroidRuntime", 3),
    ("Zygote", 4),
)


# Reasons that say only "the system did it": any more specific reason from another source wins.
_GENERIC_REASONS = frozenset({"other", "unknown", "signaled"})


def _rank(source: str, reason: str | None) -> int:
    if reason in _GENERIC_REASONS:
        return 6
    return next((rank for key, rank in _SOURCE_RANK if key in source), 5)


@dataclass
class Death:
    ts: datetime | None
    pid: int | None
    process: str | None
    package: str | None
    uid: str | None
    reason: str | None
    kind: str
    rank: int
    sources: set[str] = field(default_factory=set)
    detail: str | None = None


def fold_deaths(events: pd.DataFrame, kinds: frozenset[str] = DEATH_KINDS) -> pd.DataFrame:
    """Columns: ts, pid, process, package, uid, reason, kind, sources, detail (one row per death).

    With `kinds={"anr"}` the same folding gives one row per ANR (logcat `ANR in` + `am_anr`).
    """
    deaths_frame = events[events["kind"].astype(str).isin(kinds)].sort_values("ts", kind="stable")
    open_by_key: dict[object, Death] = {}
    by_process: dict[str, Death] = {}  # `Force stopping pkg` has no pid: join it by process name
    deaths: list[Death] = []
    for row in deaths_frame.itertuples(index=False):
        ts = None if pd.isna(row.ts) else row.ts.to_pydatetime()
        pid = None if pd.isna(row.pid) else int(row.pid)
        process = None if pd.isna(row.process) else str(row.process)
        key: object = pid if pid is not None else process or _str(row.uid)
        current = open_by_key.get(key)
        if (current is None or not _same_death(current, ts, process)) and process in by_process:
            candidate = by_process[process]
            if (candidate.pid is None or pid is None or candidate.pid == pid) and _same_death(candidate, ts, process):
                current = candidate
        if current is None or not _same_death(current, ts, process):
            current = Death(ts, pid, process, _str(row.package), _str(row.uid), None, str(row.kind), 99)
            deaths.append(current)
        if current.pid is None and pid is not None:
            current.pid = pid
        open_by_key[key] = current
        if process:
            by_process[process] = current
        _merge(current, row, process)
    return pd.DataFrame(
        [
            {
                "ts": d.ts,
                "pid": d.pid,
                "process": d.process,
                "package": d.package,
                "uid": d.uid,
                "reason": d.reason or "no reason logged",
                "kind": d.kind,
                "sources": ", ".join(sorted(d.sources)),
                "detail": d.detail,
            }
            for d in deaths
        ],
        columns=["ts", "pid", "process", "package", "uid", "reason", "kind", "sources", "detail"],
    )


def _same_death(current: Death, ts: datetime | None, process: str | None) -> bool:
    if process and current.process and process != current.process:
        return False
    if ts is None or current.ts is None:
        return ts is None and current.ts is None
    return abs((ts - current.ts).total_seconds()) <= WINDOW_SECONDS


def _merge(death: Death, row: object, process: str | None) -> None:
    source = str(row.source)  # type: ignore[attr-defined]
    death.sources.add(source.split(":")[-1] if source.startswith("logcat") else source)
    if process and not death.process:
        death.process = process
    if not death.package and not pd.isna(row.package):  # type: ignore[attr-defined]
        death.package = str(row.package)  # type: ignore[attr-defined]
    reason = _str(row.reason)  # type: ignore[attr-defined]
    rank = _rank(source, reason)
    if reason and rank < death.rank:
        death.reason, death.rank = reason, rank
        death.detail = _str(row.detail)  # type: ignore[attr-defined]
        if row.kind in ("crash", "anr"):  # type: ignore[attr-defined]
            death.kind = str(row.kind)  # type: ignore[attr-defined]
        elif row.kind == "process_killed":  # type: ignore[attr-defined]
            death.kind = "process_killed"
    elif death.detail is None:
        death.detail = _str(row.detail)  # type: ignore[attr-defined]


def _str(value: object) -> str | None:
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)
