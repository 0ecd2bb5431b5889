"""The journal of device changes, for Android phones and iPhones alike: written before a change is
made, so that whatever happens next (success, failure, Ctrl-C, SIGTERM, SIGKILL, a lost device, a
full disk) the change can be undone, now or by a later `bgprobe restore`.

One JSON-lines file per device in bgprobe's state directory, named after the device's key (an
Android phone's `ro.serialno`, `ios:UDID` for an iPhone). A change is an `apply` record with the
exact commands that undo it and the state it replaced; an `undone` record closes it. Every record
is fsynced: a SIGKILL right after `record()` returns must not lose it.

Reading is strict and forgiving at once: every line is validated, a line that is not a record
bgprobe wrote is reported by file and line (never an exception that stops other phones), and every
readable change is still returned. Only a torn last line (no newline: a write cut by a kill before
the change was made) is passed over quietly. Reading never creates the state directory, so
read-only commands work with an unwritable home.
"""

from __future__ import annotations

import json
import os
import re
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bgprobe.collectors.errors import DeviceError
from bgprobe.collectors.paths import state_dir

IOS_PREFIX = "ios:"
MAX_JOURNAL_BYTES = 16 << 20  # thousands of changes; anything bigger is not a journal bgprobe wrote


def ios_key(udid: str) -> str:
    """An iPhone's journal (and lock) key: one for `state set`, campaigns and `restore`."""
    return IOS_PREFIX + udid


class JournalWriteError(DeviceError):
    """The journal could not be written (disk full, read-only or unwritable state directory)."""


@dataclass
class Change:
    id: str
    device: str
    key: str  # e.g. "doze", "bucket:com.foo"
    value: str
    undo: list[list[str]]  # commands (argument lists) that put the device back
    pid: int
    at: float
    address: str = ""  # the adb serial the device had when the change was made
    prior: str = ""  # what the device showed before, in words ("forced deep idle", "level 55 (override)")


@dataclass(frozen=True)
class JournalProblem:
    """A journal line (or file) bgprobe cannot use: where, what, and what to do about it."""

    path: Path
    line: int | None
    what: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return (
            f"{where}: {self.what}; bgprobe cannot tell what that entry changed: check the phone "
            "(`bgprobe state show`), put back by hand what is still changed, then delete that line"
        )


@dataclass
class JournalRead:
    changes: list[Change] = field(default_factory=list)  # pending, oldest first
    problems: list[JournalProblem] = field(default_factory=list)
    device: str | None = None  # the key the records name


def journal_dir(*, create: bool = False) -> Path:
    path = state_dir(create=create) / "journal"
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def file_for(device_key: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", device_key)
    return journal_dir() / f"{safe}.jsonl"


_APPLY_FIELDS: dict[str, type | tuple[type, ...]] = {
    "id": str,
    "device": str,
    "key": str,
    "value": str,
    "undo": list,
    "pid": int,
    "at": (int, float),
}


def _check_apply(record: dict[str, Any]) -> str | None:
    """Why an `apply` record is not one bgprobe wrote, or None."""
    for name, kind in _APPLY_FIELDS.items():
        value = record.get(name)
        if value is None:
            return f"an apply record without `{name}`"
        if isinstance(value, bool) or not isinstance(value, kind):
            return f"an apply record whose `{name}` is {type(value).__name__}"
    undo = record["undo"]
    if not all(isinstance(cmd, list) and cmd and all(isinstance(a, str) for a in cmd) for cmd in undo):
        return "an apply record whose `undo` is not a list of commands"
    for name in ("address", "prior"):
        if not isinstance(record.get(name, ""), str):
            return f"an apply record whose `{name}` is not text"
    return None


def read_journal(path: Path) -> JournalRead:
    """Pending changes of one journal file, and what could not be read in it."""
    read = JournalRead()
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            read.problems.append(JournalProblem(path, None, "is a directory, not a journal file"))
            return read
        if not stat.S_ISREG(info.st_mode):  # a FIFO or a device would block or never end
            read.problems.append(JournalProblem(path, None, "is not a regular file"))
            return read
        if info.st_size > MAX_JOURNAL_BYTES:
            read.problems.append(JournalProblem(path, None, f"is {info.st_size} bytes, too big for a journal"))
            return read
        raw = path.read_bytes()
    except FileNotFoundError:
        return read
    except OSError as exc:
        read.problems.append(JournalProblem(path, None, f"cannot be read ({exc.strerror or exc})"))
        return read
    if not raw.strip():
        # Written before a change and emptied since: nothing says what the phone still has.
        if raw:
            read.problems.append(JournalProblem(path, None, "is blank"))
        else:
            read.problems.append(JournalProblem(path, None, "is empty"))
        return read
    text = raw.decode("utf-8", "replace")
    lines = text.split("\n")
    torn_last = not text.endswith("\n")
    applied: dict[str, Change] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            if torn_last and number == len(lines):
                continue  # a record cut by a kill while it was written: the change was not made yet
            read.problems.append(JournalProblem(path, number, "is not a JSON record"))
            continue
        if not isinstance(record, dict):
            read.problems.append(JournalProblem(path, number, f"is a JSON {type(record).__name__}, not a record"))
            continue
        kind = record.get("type")
        if kind == "apply":
            why = _check_apply(record)
            if why:
                read.problems.append(JournalProblem(path, number, f"is {why}"))
                continue
            change = Change(**{k: record[k] for k in Change.__dataclass_fields__ if k in record})
            applied[change.id] = change
            read.device = read.device or change.device
        elif kind == "undone":
            if not isinstance(record.get("id"), str):
                read.problems.append(JournalProblem(path, number, "is an undone record without an `id`"))
                continue
            applied.pop(record["id"], None)
        else:
            read.problems.append(JournalProblem(path, number, f"has an unknown record type {kind!r}"))
    read.changes = list(applied.values())
    return read


class Journal:
    def __init__(self, device_key: str, address: str = "") -> None:
        self.device_key = device_key
        self.address = address
        self._counter = 0

    @property
    def path(self) -> Path:
        return file_for(self.device_key)

    def _append(self, record: dict[str, Any]) -> None:
        path = self.path
        size_before: int | None = -1  # -1: not measured yet (nothing to take back)
        try:
            journal_dir(create=True)
            size_before = path.stat().st_size if path.is_file() else None
            with path.open("a", encoding="utf-8") as f:
                f.write(json.dumps(record) + "\n")
                f.flush()
                os.fsync(f.fileno())
        except OSError as exc:
            _take_back(path, size_before)
            raise JournalWriteError(
                f"cannot write bgprobe's journal {self.path} ({exc.strerror or exc}): free space there or set "
                "BGPROBE_STATE_DIR to a writable directory"
            ) from exc

    def record(self, key: str, value: str, undo: list[list[str]], prior: str = "") -> Change:
        self._counter += 1
        change = Change(
            id=f"{os.getpid()}-{time.time_ns()}-{self._counter}",
            device=self.device_key,
            key=key,
            value=value,
            undo=undo,
            pid=os.getpid(),
            at=time.time(),
            address=self.address,
            prior=prior,
        )
        self._append({"type": "apply", **change.__dict__})
        return change

    def mark_undone(self, change: Change) -> None:
        self._append({"type": "undone", "id": change.id, "at": time.time()})
        self._compact()

    def read(self) -> JournalRead:
        return read_journal(self.path)

    def pending(self) -> list[Change]:
        """Changes made and not yet undone, oldest first (lines that cannot be read are left out:
        `read()` says which)."""
        return self.read().changes

    def _compact(self) -> None:
        """A journal whose changes are all undone and whose every line was readable goes away."""
        read = self.read()
        if not read.changes and not read.problems:
            self.path.unlink(missing_ok=True)


def _take_back(path: Path, size_before: int | None) -> None:
    """After a failed write: no half record, and no empty file that would read as a lost journal."""
    try:
        if size_before is None and path.is_file():
            path.unlink()  # this write created it
        elif size_before is not None and size_before >= 0:
            os.truncate(path, size_before)
    except OSError:
        pass  # the torn line is then passed over as the last line of a killed write


@dataclass
class JournalScan:
    pending: dict[str, list[Change]] = field(default_factory=dict)  # device key -> pending changes
    problems: dict[str, list[JournalProblem]] = field(default_factory=dict)  # device key -> problems


def scan_journals() -> JournalScan:
    """Every journal in the state directory: what is pending, and what cannot be read, per device.
    A file whose records name no device is keyed by its file name."""
    found = JournalScan()
    folder = journal_dir()
    try:
        paths = sorted(folder.glob("*.jsonl"))
    except OSError:
        return found
    for path in paths:
        read = read_journal(path)
        key = read.device or path.stem
        if read.changes:
            found.pending.setdefault(key, []).extend(read.changes)
        if read.problems:
            found.problems.setdefault(key, []).extend(read.problems)
    return found
