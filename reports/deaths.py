"""One row per process death, from the several events that describe it.

A single kill shows up as ActivityManager's `Killing …`, the event log's `am_kill`, Zygote's
signal exit, `has died`, and on Android 11+ an ApplicationExitInfo record. Counting events
would count one death four times; this folds them, and keeps the most authoritative reason:
exit-info first (the OS's own record), then lmkd, then ActivityManager, then the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

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
    return _source_rank(source)


@cache
def _source_rank(source: str) -> int:  # a handful of distinct sources, tens of thousands of rows
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
    device: str | None = None


def fold_deaths(events: pd.DataFrame, kinds: frozenset[str] = DEATH_KINDS) -> pd.DataFrame:
    """Columns: ts, pid, process, package, uid, reason, kind, sources, detail (one row per death).

    With `kinds={"anr"}` the same folding gives one row per ANR (logcat `ANR in` + `am_anr`).
    Devices are kept apart: two phones' pid 4321 are two deaths. A `device` column is added when
    the events have one.
    """
    deaths_frame = events[events["kind"].astype(str).isin(kinds)].sort_values("ts", kind="stable")
    open_by_key: dict[object, Death] = {}
    by_process: dict[tuple[object, str], Death] = {}  # `Force stopping pkg` has no pid: join it by process name
    deaths: list[Death] = []
    # The walk is sequential (each row joins the death its key last opened); plain lists with None
    # for missing values keep it at a few microseconds a row, where itertuples + pd.isna took ~30.
    has_device = "device" in deaths_frame.columns
    devices = _plain(deaths_frame, "device") if has_device else [None] * len(deaths_frame)
    columns = (_plain(deaths_frame, column) for column in _ROW_FIELDS)
    for device, *row in zip(devices, *columns, strict=True):
        ts, pid, process, package, uid, reason, kind, source, detail = row
        key: object = (device, pid if pid is not None else process or uid)
        current = open_by_key.get(key)
        if (current is None or not _same_death(current, ts, process)) and (device, process) in by_process:
            candidate = by_process[(device, process)]
            if (candidate.pid is None or pid is None or candidate.pid == pid) and _same_death(candidate, ts, process):
                current = candidate
        if current is None or not _same_death(current, ts, process):
            current = Death(ts, pid, process, package, uid, None, kind, 99, device=device)
            deaths.append(current)
        if current.pid is None and pid is not None:
            current.pid = pid
        open_by_key[key] = current
        if process:
            by_process[(device, process)] = current
        _merge(current, process, package, reason, kind, source, detail)
    columns = [*(["device"] if has_device else []), *FOLDED_COLUMNS]
    return pd.DataFrame(
        [
            {
                "device": d.device,
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
        columns=columns,
    )


FOLDED_COLUMNS = ["ts", "pid", "process", "package", "uid", "reason", "kind", "sources", "detail"]


_ROW_FIELDS = ("ts", "pid", "process", "package", "uid", "reason", "kind", "source", "detail")


def _plain(frame: pd.DataFrame, column: str) -> list[object]:
    """A column as Python values, None where missing: datetimes, ints and strings as such."""
    values = frame[column]
    if column == "ts":
        if pd.api.types.is_datetime64_any_dtype(values):
            return [None if pd.isna(t) else t for t in values.dt.to_pydatetime()]
        return [None if pd.isna(t) else pd.Timestamp(t).to_pydatetime() for t in values]
    if column == "pid":
        return [None if pd.isna(p) else int(p) for p in values.astype("object")]
    return [None if v is None or v is pd.NA or v != v else str(v) for v in values.astype("object")]


def _same_death(current: Death, ts: datetime | None, process: str | None) -> bool:
    if process and current.process and process != current.process:
        return False
    if ts is None or current.ts is None:
        return ts is None and current.ts is None
    return abs((ts - current.ts).total_seconds()) <= WINDOW_SECONDS


def _merge(
    death: Death,
    process: str | None,
    package: str | None,
    reason: str | None,
    kind: str,
    source: str,
    detail: str | None,
) -> None:
    death.sources.add(source.split(":")[-1] if source.startswith("logcat") else source)
    if process and not death.process:
        death.process = process
    if not death.package and package:
        death.package = package
    rank = _rank(source, reason)
    if reason and rank < death.rank:
        death.reason, death.rank = reason, rank
        death.detail = detail
        if kind in ("crash", "anr", "process_killed"):
            death.kind = kind
    elif death.detail is None:
        death.detail = detail
