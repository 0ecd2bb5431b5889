"""One row per process death, from the several events that describe it.

A single kill shows up as ActivityManager's `Killing …`, the event log's `am_kill`, Zygote's
signal exit, `has died`, and on Android 11+ an ApplicationExitInfo record. Counting events
would count one death four times; this folds them, and keeps the most authoritative reason:
exit-info first (the OS's own record), then lmkd, then ActivityManager, then the rest.

One implementation, two ways in: `DeathFolder` takes events one at a time and hands each death
on as soon as no later line can join it (`bgprobe scan`'s summary, in constant memory whatever the
input), and `fold_deaths` runs a whole event table through it (the campaign report, tests).
"""

from __future__ import annotations

import heapq
from collections import OrderedDict, deque
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING

from bgprobe.reports.events import DEATH_KINDS, Event, Kind

if TYPE_CHECKING:  # pandas is imported where a table is built: the streaming folder needs none of it
    import pandas as pd

WINDOW_SECONDS = 10.0  # all the lines about one death are logged within a few seconds
_WINDOW = timedelta(seconds=WINDOW_SECONDS)

# Lines that reach the folder out of time order (a bugreport's event log after its system log, the
# exit-info dump after both) are put back in order first, up to this many: a bugreport holds a few
# thousand death lines. Beyond it a late line still joins a death that is open, but may count as a
# death of its own. Bounded, so that a log of a million kills folds in constant memory.
REORDER_LINES = 50_000
# Deaths without a time fold by key alone (as fold_deaths always did): at most this many keys are
# remembered (the least recently seen are let go), so an undated log of a million pids stays small.
MAX_KEYS = 1 << 15
# A better-ranked line of one of these kinds names what the death was (a crash, an ANR's kill, a
# kill); a "process died" line never renames a death that another line explained.
_NAMING_KINDS = frozenset({Kind.CRASH, Kind.ANR, Kind.PROCESS_KILLED})

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


def reason_rank(source: str, reason: str | None) -> int:
    """How telling a death line's reason is (lower is better): the ranking that folding keeps by."""
    if reason in _GENERIC_REASONS:
        return 6
    if reason is not None and reason.startswith("oem:"):
        # A maker's killer named by its own line (HwPFWService's uid-only kill before ActivityManager's
        # "Force stopping … from pid N") says why; ActivityManager's own reason says only how.
        return min(_source_rank(source), 1)
    return _source_rank(source)


@cache
def _source_rank(source: str) -> int:  # a handful of distinct sources, tens of thousands of rows
    return next((rank for key, rank in _SOURCE_RANK if key in source), 5)


@cache
def _source_name(source: str) -> str:  # `logcat:ActivityManager` -> `ActivityManager`
    return source.split(":")[-1] if source.startswith("logcat") else source


class Death:
    """One death (or ANR) being folded. A plain class with slots: one is made per death line of a
    log of a million kills, and a dataclass's default factories cost more than the rest of it."""

    __slots__ = (
        "detail", "device", "keys", "kind", "package", "pid", "process", "rank", "reason", "refs", "seq", "sources",
        "ts", "uid",
    )  # fmt: skip

    def __init__(
        self,
        ts: datetime | None,
        pid: int | None,
        process: str | None,
        package: str | None,
        uid: str | None,
        kind: str,
        device: str | None = None,
        seq: int = 0,
    ) -> None:
        self.ts = ts
        self.pid = pid
        self.process = process
        self.package = package
        self.uid = uid
        self.reason: str | None = None
        self.kind = kind
        self.rank = 99
        self.sources: set[str] = set()
        self.detail: str | None = None
        self.device = device
        self.seq = seq  # creation order: fold_deaths lists deaths in it
        self.refs = 0  # entries of the folder's key tables that point here; -1 once handed on
        self.keys: list[tuple[bool, tuple[bool, str | None, object]]] = []  # (by process?, key) it was filed under


# One folded line: device, ts, pid, process, package, uid, reason, kind, source, detail.
Row = tuple[
    str | None, datetime | None, int | None, str | None, str | None, str | None, str | None, str, str, str | None
]


class DeathFolder:
    """Folds death lines into deaths as they stream in; `on_close(death)` gets each finished death.

    A line joins the death last filed under its key (device + pid, else process, else uid) or,
    for a line without a pid (`Force stopping pkg`), under its process name, when both are within
    WINDOW_SECONDS of the death's first line; otherwise it starts a new death. Lines are folded in
    time order (`add` puts up to REORDER_LINES back in order), so once a line is more than
    WINDOW_SECONDS past a death, no later line can join it: it is handed on and forgotten. Memory
    therefore holds the deaths of the last few seconds, whatever the length of the input.
    Call `finish()` at the end for the deaths still open.
    """

    def __init__(self, on_close: Callable[[Death], None], *, reorder: int = REORDER_LINES) -> None:
        self._on_close = on_close
        self._reorder = reorder
        # Lines wait here to be folded in time order: in a queue while they arrive in order (a log
        # file, the common case, costs no sorting), in a heap once one has not.
        self._queue: deque[Row] = deque()
        self._latest: datetime | None = None
        self._pending: list[tuple[datetime, int, Row]] | None = None  # the heap: (ts, arrival, row)
        self._arrivals = 0
        # OrderedDicts: the least recently filed key is let go first, in O(1), when a table is full.
        self._by_key: OrderedDict[tuple[bool, str | None, object], Death] = OrderedDict()
        self._by_process: OrderedDict[tuple[bool, str | None, object], Death] = OrderedDict()
        # Dated deaths, to close them in time: in time order as they are made (lines in order), and
        # a heap for those made out of order (late lines beyond what `add` re-orders).
        self._open: deque[Death] = deque()
        self._late: list[tuple[datetime, int, Death]] = []
        self._seq = 0

    def add(self, row: Row) -> None:
        """One line, in any order (dated lines are re-ordered through a bounded buffer)."""
        ts = row[1]
        if ts is None or self._reorder <= 0:
            self.fold(row)
            return
        pending = self._pending
        if pending is None:
            if self._latest is None or ts >= self._latest:
                self._latest = ts
                self._queue.append(row)
                if len(self._queue) > self._reorder:
                    self.fold(self._queue.popleft())
                return
            # The first line out of order: a heap from now on (the queue, sorted, is one already).
            # the queue holds dated rows only: r[1] is a datetime
            pending = self._pending = [(r[1], n, r) for n, r in enumerate(self._queue)]  # type: ignore[misc]
            self._arrivals = len(pending)
            self._queue.clear()
        self._arrivals += 1
        if len(pending) < self._reorder:
            heapq.heappush(pending, (ts, self._arrivals, row))
        else:
            self.fold(heapq.heappushpop(pending, (ts, self._arrivals, row))[2])

    def finish(self) -> None:
        """Fold what is still buffered and hand on every open death."""
        while self._queue:
            self.fold(self._queue.popleft())
        while self._pending:
            self.fold(heapq.heappop(self._pending)[2])
        for death in [*self._open, *(d for _, _, d in self._late), *self._by_key.values(), *self._by_process.values()]:
            if death.refs >= 0:
                self._close(death)
        self._open.clear()
        self._late.clear()
        self._by_key.clear()
        self._by_process.clear()

    def fold(self, row: Row) -> None:
        """One line, in time order (lines without a time fold by key alone, in any order)."""
        device, ts, pid, process, package, uid, reason, kind, source, detail = row
        dated = ts is not None
        if ts is not None:
            # Deaths more than WINDOW_SECONDS before this line are out of reach of it and, in time
            # order, of every later line. (Measured from this line, not from the newest one seen: a
            # run of late lines, beyond what `add` re-orders, then closes its own deaths as it goes.)
            limit = ts - _WINDOW
            opened, late = self._open, self._late
            while opened and opened[0].ts < limit:  # type: ignore[operator]  # the open deaths are dated ones
                self._expire(opened.popleft())
            while late and late[0][0] < limit:
                self._expire(heapq.heappop(late)[2])
        # Dated and undated lines never join (a death's window needs both times): separate tables, so
        # that undated lines met between dated ones change nothing (fold_deaths sorts them last).
        key = (dated, device, pid if pid is not None else process or uid)
        by_process = (dated, device, process)
        current = self._by_key.get(key)
        joined = current is not None and _same_death(current, ts, process)
        if not joined and by_process in self._by_process:
            candidate = self._by_process[by_process]
            if (candidate.pid is None or pid is None or candidate.pid == pid) and _same_death(candidate, ts, process):
                current, joined = candidate, True
        if current is None or not joined:
            self._seq += 1
            current = Death(ts, pid, process, package, uid, kind, device, self._seq)
            if ts is not None:
                if not self._open or self._open[-1].ts <= ts:  # type: ignore[operator]  # open deaths are dated
                    self._open.append(current)
                else:
                    heapq.heappush(self._late, (ts, self._seq, current))
        if current.pid is None and pid is not None:
            current.pid = pid
        if joined and pid is not None and process:
            # A line naming both pid and process joins the death its pid began (Zygote's pid-only line)
            # and, with it, one its process began without a pid (a force-stop): one death, not two.
            other = self._by_process.get(by_process)
            if other is not None and other is not current and other.pid is None and _same_death(other, ts, process):
                self._absorb(current, other)
        self._file(False, key, current)
        if process:
            self._file(True, by_process, current)
        _merge(current, process, package, reason, kind, source, detail)

    # -- key tables --------------------------------------------------------------------------
    def _file(self, by_process: bool, key: tuple[bool, str | None, object], death: Death) -> None:
        """File `death` under `key`; the death that was filed there loses a way in."""
        table = self._by_process if by_process else self._by_key
        old = table.get(key)
        if old is death:
            return
        table[key] = death
        if old is not None:
            table.move_to_end(key)  # a table's order is that of its last filing
            self._release(old)
        death.refs += 1
        death.keys.append((by_process, key))
        if len(table) > MAX_KEYS:  # undated lines (dated deaths leave in time), or a flood within seconds
            self._release(table.popitem(last=False)[1])

    def _release(self, death: Death) -> None:
        death.refs -= 1
        if death.refs == 0:  # no line can reach it any more
            self._close(death)

    def _absorb(self, death: Death, other: Death) -> None:
        """`other` is `death` after all: its lines are merged in, and it leaves every table unreported."""
        for by_process, key in other.keys:
            table = self._by_process if by_process else self._by_key
            if table.get(key) is other:
                del table[key]
        other.refs, other.keys = -1, []  # closed without being handed on (an open list skips it)
        death.sources |= other.sources
        if not death.package:
            death.package = other.package
        if other.reason and other.rank < death.rank:
            death.reason, death.rank, death.detail = other.reason, other.rank, other.detail
            if other.kind in _NAMING_KINDS:
                death.kind = other.kind

    def _expire(self, death: Death) -> None:
        if death.refs < 0:
            return
        for by_process, key in death.keys:
            table = self._by_process if by_process else self._by_key
            if table.get(key) is death:
                del table[key]
        self._close(death)

    def _close(self, death: Death) -> None:
        death.refs = -1
        death.keys = []
        self._on_close(death)


def fold_deaths(events: pd.DataFrame, kinds: frozenset[str] = DEATH_KINDS) -> pd.DataFrame:
    """Columns: ts, pid, process, package, uid, reason, kind, sources, detail (one row per death).

    With `kinds={"anr"}` the same folding gives one row per ANR (logcat `ANR in` + `am_anr`).
    Devices are kept apart: two phones' pid 4321 are two deaths. A `device` column is added when
    the events have one.
    """
    import pandas as pd

    deaths_frame = events[events["kind"].astype(str).isin(kinds)].sort_values("ts", kind="stable")
    deaths: list[Death] = []
    folder = DeathFolder(deaths.append, reorder=0)  # sorted already
    # Plain lists with None for missing values keep the walk at a few microseconds a row, where
    # itertuples + pd.isna took ~30.
    has_device = "device" in deaths_frame.columns
    devices = _plain(deaths_frame, "device") if has_device else [None] * len(deaths_frame)
    values = (_plain(deaths_frame, column) for column in _ROW_FIELDS)
    for row in zip(devices, *values, strict=True):
        folder.fold(row)
    folder.finish()
    deaths.sort(key=lambda d: d.seq)
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
    import pandas as pd

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
    return abs(ts - current.ts) <= _WINDOW


def _merge(
    death: Death,
    process: str | None,
    package: str | None,
    reason: str | None,
    kind: str,
    source: str,
    detail: str | None,
) -> None:
    death.sources.add(_source_name(source))
    if process and not death.process:
        death.process = process
    if not death.package and package:
        death.package = package
    rank = reason_rank(source, reason)
    if reason and rank < death.rank:
        death.reason, death.rank = reason, rank
        death.detail = detail
        if kind in _NAMING_KINDS:
            death.kind = kind
    elif death.detail is None:
        death.detail = detail


def join_death(recent: list[Death], event: Event) -> Death:
    """For a live view: the death among `recent` (newest first) that `event` is another line of (same
    device and pid, or process, within WINDOW_SECONDS), updated with it; else a new Death for it."""
    try:
        ts = datetime.fromisoformat(event.ts) if event.ts else None
    except ValueError:
        ts = None
    for death in recent:
        if death.device != event.device or (death.kind != event.kind and death.kind not in DEATH_KINDS):
            continue
        same_pid = event.pid is not None and death.pid == event.pid
        same_name = event.pid is None and event.process is not None and death.process == event.process
        if (same_pid or same_name) and _same_death(death, ts, event.process):
            _merge(death, event.process, event.package, event.reason, event.kind, event.source, event.detail)
            return death
    death = Death(ts, event.pid, event.process, event.package, event.uid, event.kind, event.device)
    _merge(death, event.process, event.package, event.reason, event.kind, event.source, event.detail)
    return death
