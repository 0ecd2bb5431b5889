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
import re
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bgprobe.collectors.errors import UsageError
from bgprobe.reports.attempts import Attempt

if TYPE_CHECKING:
    from bgprobe.collectors.campaign.scenario import Scenario


class ResultsError(UsageError):
    pass


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


# What to do about a damaged results directory, said after what is wrong with it.
REPAIR = "repair it, or start a new run with `bgprobe run SCENARIO --out NEW_DIR`"
REPAIR_LINE = "fix or delete that line (its attempt then runs again), or start a new run with --out NEW_DIR"
_SHARD = re.compile(r"^(\d+)/(\d+)$")


class ResultsDir:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()  # one writer per device thread, one file
        self._mended: set[str] = set()  # journals whose torn last line was cut off (see _append)

    # -- creating and resuming -------------------------------------------------------------
    @classmethod
    def create(
        cls, path: Path, *, campaign: str, scenario_text: str, scenario_path: str, shard: str | None
    ) -> ResultsDir:
        blocker = next((p for p in (path, *path.parents) if p.exists() and not p.is_dir()), None)
        if blocker is not None:
            where = "is a file" if blocker == path else f"is under {blocker}, a file"
            raise ResultsError(f"--out {path}: {where}, not a directory: choose another --out")
        try:
            if path.exists() and any(path.iterdir()):
                raise ResultsError(
                    f"{path}: results directory is not empty "
                    f"(use --resume {path} to continue it, or choose another --out)"
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
        except OSError as exc:  # read-only, a full disk, no permission: the user's --out, not a bug
            raise ResultsError(
                f"--out {path}: cannot write the results there ({exc.strerror or exc}): choose another --out"
            ) from exc
        return rd

    @classmethod
    def open_for_resume(cls, path: Path) -> ResultsDir:
        """The results directory to continue, checked whole before any phone is touched: run.json,
        the scenario copy and every recorded attempt. Damage is a ResultsError naming file and line."""
        if not path.is_dir():
            what = "does not exist" if not path.exists() else "is not a directory"
            raise ResultsError(f"--resume {path}: {what} (give the results directory of an earlier `bgprobe run`)")
        missing = [name for name in ("run.json", "scenario.toml") if not (path / name).exists()]
        if missing:
            raise ResultsError(
                f"{path}: not a bgprobe results directory ({' and '.join(missing)} missing): "
                "--resume continues the directory an earlier `bgprobe run` wrote"
            )
        rd = cls(path)
        rd.run  # noqa: B018 - read for its checks
        rd.load_scenario()
        rd.done_attempts()
        return rd

    @property
    def run(self) -> dict[str, Any]:
        file = self.path / "run.json"
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError) as exc:
            why = exc.strerror if isinstance(exc, OSError) else "not JSON"
            raise ResultsError(f"{file}: unreadable ({why or exc}): {REPAIR}") from exc
        problem = _run_problem(data)
        if problem:
            raise ResultsError(f"{file}: {problem}: {REPAIR}")
        return data  # type: ignore[no-any-return]  # JSON; _run_problem has checked it is an object with run's keys

    def load_scenario(self) -> Scenario:
        """The scenario copy a resumed run runs again (it must still be a valid scenario)."""
        from bgprobe.collectors.campaign.scenario import ScenarioError, load_scenario

        try:
            return load_scenario(self.path / "scenario.toml")
        except ScenarioError as err:
            raise ResultsError(f"{err.message} (the scenario this run started with: {REPAIR})") from err

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
        with self._lock:
            if name not in self._mended:
                self._mend(name)
            with (self.path / name).open("a", encoding="utf-8") as f:
                for row in rows:
                    f.write(json.dumps(row, default=str) + "\n")
                f.flush()
                if durable:  # the journal of attempts must survive a crash; observations need not
                    os.fsync(f.fileno())

    def _mend(self, name: str) -> None:
        """A run killed mid-write leaves a torn last line: cut it off before the first new row, or
        the new row would be glued to it and lost with it. (Only now, with the results directory's
        lock held: never while another bgprobe may be writing.) The torn attempt runs again."""
        self._mended.add(name)
        path = self.path / name
        try:
            with path.open("rb+") as f:
                size = f.seek(0, os.SEEK_END)
                if size == 0:
                    return
                f.seek(size - 1)
                if f.read(1) == b"\n":
                    return
                f.seek(0)
                data = f.read()
                f.truncate(data.rfind(b"\n") + 1)
        except FileNotFoundError:
            return

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
        """The JSON objects of an observation journal (devices, events); anything else is skipped."""
        path = self.path / name
        if not path.exists():
            return []
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise ResultsError(f"{path}: unreadable ({exc.strerror or exc}): {REPAIR}") from exc
        rows = []
        for line in text.splitlines():
            try:
                row = json.loads(line)
            except (ValueError, RecursionError):
                continue  # the torn last line of a killed run
            if isinstance(row, dict):
                rows.append(row)
        return rows

    def done_attempts(self) -> dict[str, list[dict[str, Any]]]:
        """task run key -> its recorded attempts, in order. A row that is not a usable attempt is a
        ResultsError naming its line: guessing what it meant could run an attempt twice or never."""
        by_run: dict[str, list[dict[str, Any]]] = {}
        for row in self._attempt_rows():
            key = row["attempt_id"].rsplit("|", 1)[0]
            by_run.setdefault(key, [])
            if all(r["attempt_id"] != row["attempt_id"] for r in by_run[key]):
                by_run[key].append(row)
        for rows in by_run.values():
            rows.sort(key=lambda r: r["attempt"])
        return by_run

    def _attempt_rows(self) -> list[dict[str, Any]]:
        path = self.path / "attempts.jsonl"
        if not path.exists():
            return []
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ResultsError(f"{path}: unreadable ({exc.strerror or exc}): {REPAIR}") from exc
        lines = data.splitlines()
        rows = []
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except (ValueError, RecursionError):
                if number == len(lines) and not data.endswith(b"\n"):
                    continue  # the torn last line of a killed run: that attempt runs again
                raise ResultsError(f"{path} line {number}: not JSON: {REPAIR_LINE}") from None
            problem = _attempt_problem(row)
            if problem:
                raise ResultsError(f"{path} line {number}: {problem}: {REPAIR_LINE}")
            rows.append(row)
        return rows


def _run_problem(data: object) -> str | None:
    if not isinstance(data, dict):
        return "not a JSON object"
    for name in ("run_id", "scenario"):
        if not isinstance(data.get(name), str) or not data[name]:
            return f"no {name}" if name not in data else f"{name} {data[name]!r:.40} is not a non-empty text"
    shard = data.get("shard")
    if shard is not None:
        match = _SHARD.match(shard) if isinstance(shard, str) else None
        if match is None or not 1 <= int(match[1]) <= int(match[2]):
            return f"shard {shard!r:.40} is not I/N with 1 <= I <= N"
    return None


def _attempt_problem(row: object) -> str | None:
    """What the resume logic needs of a recorded attempt: its id, number and outcome."""
    if not isinstance(row, dict):
        kind = {list: "an array", str: "a string", type(None): "null"}.get(type(row), "a number or boolean")
        return f"not a JSON object ({kind})"
    for name in ("attempt_id", "attempt", "outcome"):
        if name not in row:
            return f"no {name}"
    attempt_id, attempt, outcome = row["attempt_id"], row["attempt"], row["outcome"]
    if type(attempt) is not int or attempt < 1:
        return f"attempt {attempt!r:.40} is not a whole number from 1"
    if not isinstance(attempt_id, str) or attempt_id.rpartition("|")[2] != str(attempt):
        return f"attempt_id {attempt_id!r:.60} is not DEVICE|CONDITION|TASK|REPETITION|{attempt}"
    if not isinstance(outcome, str):
        return f"outcome {outcome!r:.40} is not text"
    return None


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("bgprobe")
    except Exception:
        return "unknown"
