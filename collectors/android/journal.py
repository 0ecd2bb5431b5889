"""The journal of device changes: written before a change is made, so that whatever happens next
(success, failure, Ctrl-C, SIGTERM, SIGKILL, a lost device) the change can be undone, now or by a
later `bgprobe restore`.

One JSON-lines file per device in the user's state directory. A change is an `apply` record with
the exact shell commands that undo it; an `undone` record closes it. fsync after every record:
a SIGKILL right after `record()` returns must not lose it.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bgprobe.collectors.paths import state_dir


@dataclass
class Change:
    id: str
    device: str
    key: str  # e.g. "doze", "bucket:com.foo"
    value: str
    undo: list[list[str]]  # shell commands (argument lists) that put the device back
    pid: int
    at: float
    address: str = ""  # the adb serial the device had when the change was made


def journal_dir() -> Path:
    path = state_dir() / "journal"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _file_for(device_key: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", device_key)
    return journal_dir() / f"{safe}.jsonl"


class Journal:
    def __init__(self, device_key: str, address: str = "") -> None:
        self.device_key = device_key
        self.address = address
        self.path = _file_for(device_key)
        self._counter = 0

    def _append(self, record: dict[str, Any]) -> None:
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
            f.flush()
            os.fsync(f.fileno())

    def record(self, key: str, value: str, undo: list[list[str]]) -> Change:
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
        )
        self._append({"type": "apply", **change.__dict__})
        return change

    def mark_undone(self, change: Change) -> None:
        self._append({"type": "undone", "id": change.id, "at": time.time()})
        self._compact()

    def pending(self) -> list[Change]:
        """Changes made and not yet undone, oldest first. Unreadable lines (a torn write) are skipped."""
        if not self.path.exists():
            return []
        applied: dict[str, Change] = {}
        for line in self.path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if record.get("type") == "apply":
                names = ("id", "device", "key", "value", "undo", "pid", "at", "address")
                fields = {k: record[k] for k in names if k in record}
                try:
                    applied[record["id"]] = Change(**fields)
                except TypeError:
                    continue
            elif record.get("type") == "undone":
                applied.pop(record.get("id"), None)
        return list(applied.values())

    def _compact(self) -> None:
        if not self.pending():
            self.path.unlink(missing_ok=True)


def devices_with_pending_changes() -> dict[str, list[Change]]:
    """Device keys -> changes that a finished or killed bgprobe did not undo."""
    found: dict[str, list[Change]] = {}
    for path in sorted(journal_dir().glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if record.get("device"):
                changes = Journal(record["device"]).pending()
                if changes:
                    found[record["device"]] = changes
                break
    return found
