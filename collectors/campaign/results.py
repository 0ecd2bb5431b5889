"""The results directory of a campaign, written so that a killed run loses nothing.

- `run.json`: what ran (scenario name and hash, shard, times); `finished` appears only at the end.
- `scenario.toml`: the scenario as it was, so `--resume` runs the same thing.
- `plan.jsonl`: every planned task run (device × condition × task × repetition).
- `attempts.jsonl`: one Attempt per line, appended, flushed and fsynced before the next attempt
  begins; this file is the campaign's journal of what is done.
- `events.jsonl`, `devices.jsonl`: what was observed, and on which devices.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bgprobe.collectors.errors import EXIT_USAGE, BgprobeError
from bgprobe.reports.attempts import Attempt


class ResultsError(BgprobeError):
    exit_code = EXIT_USAGE


@dataclass(frozen=True)
class TaskRun:
    """One (device, condition, task, repetition): its attempts are the first try and the retries."""

    device: str
    condition: str
    task: str
    repetition: int

    @property
    def key(self) -> str:
        return f"{self.device}|{self.condition}|{self.task}|{self.repetition}"

    def attempt_id(self, attempt: int) -> str:
        return f"{self.key}|{attempt}"


class ResultsDir:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()  # one writer per device thread, one file

    # -- creating and resuming -------------------------------------------------------------
    @classmethod
    def create(
        cls, path: Path, *, campaign: str, scenario_text: str, scenario_path: str, shard: str | None
    ) -> ResultsDir:
        if path.exists() and any(path.iterdir()):
            raise ResultsError(
                f"{path}: results directory is not empty (use --resume {path} to continue it, or choose another --out)"
            )
        path.mkdir(parents=True, exist_ok=True)
        rd = cls(path)
        (path / "scenario.toml").write_text(scenario_text, encoding="utf-8")
        rd._write_json(
            "run.json",
            {
                "run_id": uuid.uuid4().hex[:12],
                "campaign": campaign,
                "scenario": scenario_path,
                "scenario_sha256": hashlib.sha256(scenario_text.encode()).hexdigest(),
                "shard": shard,
                "started": datetime.now().isoformat(timespec="seconds"),
                "bgprobe_version": _version(),
                "planned": 0,
            },
        )
        return rd

    @classmethod
    def open_for_resume(cls, path: Path) -> ResultsDir:
        if not (path / "run.json").exists() or not (path / "scenario.toml").exists():
            raise ResultsError(f"{path}: not a bgprobe results directory (run.json or scenario.toml missing)")
        return cls(path)

    @property
    def run(self) -> dict[str, Any]:
        return json.loads((self.path / "run.json").read_text(encoding="utf-8"))

    def update_run(self, **fields: Any) -> None:
        with self._lock:
            self._write_json("run.json", {**self.run, **fields})

    def _write_json(self, name: str, data: dict[str, Any]) -> None:
        tmp = self.path / f".{name}.tmp"
        tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
        tmp.replace(self.path / name)  # atomic: a kill never leaves half a run.json

    # -- appending -------------------------------------------------------------------------
    def _append(self, name: str, rows: list[dict[str, Any]], *, durable: bool = True) -> None:
        if not rows:
            return
        with self._lock, (self.path / name).open("a", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row, default=str) + "\n")
            f.flush()
            if durable:  # the journal of attempts must survive a crash; observations need not
                os.fsync(f.fileno())

    def write_plan(self, runs: list[TaskRun]) -> None:
        (self.path / "plan.jsonl").unlink(missing_ok=True)
        self._append("plan.jsonl", [{"task_run": r.key, **r.__dict__} for r in runs])
        self.update_run(planned=len(runs))

    def record_attempt(self, attempt: Attempt) -> None:
        self._append("attempts.jsonl", [attempt.to_dict()])

    def record_events(self, events: list[dict[str, Any]]) -> None:
        self._append("events.jsonl", events, durable=False)

    def record_device(self, facts: dict[str, Any]) -> None:
        known = {d.get("device") for d in self.read_jsonl("devices.jsonl")}
        if facts.get("device") not in known:
            self._append("devices.jsonl", [facts])

    def finish(self, *, interrupted: bool) -> None:
        self.update_run(finished=datetime.now().isoformat(timespec="seconds"), interrupted=interrupted)

    # -- reading back (resume) -------------------------------------------------------------
    def read_jsonl(self, name: str) -> list[dict[str, Any]]:
        path = self.path / name
        if not path.exists():
            return []
        rows = []
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # the torn last line of a killed run
        return rows

    def done_attempts(self) -> dict[str, list[dict[str, Any]]]:
        """task run key -> its recorded attempts, in order."""
        by_run: dict[str, list[dict[str, Any]]] = {}
        for row in self.read_jsonl("attempts.jsonl"):
            key = row["attempt_id"].rsplit("|", 1)[0]
            by_run.setdefault(key, [])
            if all(r["attempt_id"] != row["attempt_id"] for r in by_run[key]):
                by_run[key].append(row)
        for rows in by_run.values():
            rows.sort(key=lambda r: r["attempt"])
        return by_run


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("bgprobe")
    except Exception:
        return "unknown"
