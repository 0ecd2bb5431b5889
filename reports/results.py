"""Load and merge what `report` reads: results directories of `bgprobe run`, and `scan --json` output.

Reading is forgiving on purpose: a killed run leaves a torn last line and no parquet files, an
older bgprobe leaves fewer columns. Whatever can be used is used; what is missing is said in
`LoadOutcome.notes`, rows left out because they are damaged in `LoadOutcome.warnings` (one line
per file, see reports/validate.py), what cannot be read at all in `LoadOutcome.problems`. The
caller exits 2 only when `Results.usable` is false.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from bgprobe.reports.attempts import ATTEMPT_DTYPES, OUTCOMES, SCHEMA_VERSION, attempts_frame
from bgprobe.reports.events import KINDS, Event
from bgprobe.reports.schema import EVENT_DTYPES, device_times, events_frame
from bgprobe.reports.validate import (
    BadRows,
    attempt_problem,
    column_problem,
    device_problem,
    event_problem,
    out_of_range,
)

# `name`: what the phone calls itself (an iPhone's "Anna's iPhone"); JUnit names suites by it rather than a UDID.
DEVICE_COLUMNS = ("device", "platform", "os_version", "manufacturer", "model", "serial", "name")
DEVICE_DTYPES = dict.fromkeys(DEVICE_COLUMNS, "string")
# An event's identity for merging: the same kill read from the same shard twice is one kill.
# `where`/`detail`/`data` are left out: they describe the line, not the event.
EVENT_IDENTITY = ["ts", "device", "kind", "source", "pid", "process", "package", "job", "reason"]
# Attempts are merged on (campaign, attempt_id): attempt_id is device|condition|task|repetition|attempt,
# which two different campaigns on the same phone would share.
ATTEMPT_ID_PARTS = ("device", "condition", "task", "repetition", "attempt")


@dataclass
class LoadOutcome:
    problems: list[str] = field(default_factory=list)  # inputs that could not be used at all
    warnings: list[str] = field(default_factory=list)  # files with damaged rows, left out (one line per file)
    notes: list[str] = field(default_factory=list)  # what is missing or odd; the report still stands
    usable: list[str] = field(default_factory=list)  # inputs that contributed rows
    runs: list[dict[str, Any]] = field(default_factory=list)  # each results directory's run.json
    missing_task_runs: int = 0  # planned task runs with no attempt yet (killed or running campaign)
    duplicates: int = 0  # attempts seen more than once across inputs (kept once)
    columns: list[str] = field(default_factory=lambda: list(ATTEMPT_DTYPES))  # attempt columns to keep


@dataclass
class Results:
    attempts: pd.DataFrame
    events: pd.DataFrame
    devices: pd.DataFrame
    outcome: LoadOutcome

    @property
    def usable(self) -> bool:
        return not self.attempts.empty or not self.events.empty

    @property
    def has_attempts(self) -> bool:
        return not self.attempts.empty


def load_results(
    paths: Sequence[str | Path], *, prefer_jsonl: bool = False, columns: Sequence[str] | None = None
) -> Results:
    """Read every input (results dir, scan JSON-lines file, or a directory of those) and merge them.

    `prefer_jsonl` reads attempts/events from the append-only .jsonl even when parquet exists
    (the campaign runner uses it to rebuild the parquet files after a resume). `columns`: only these
    attempt columns (REPORT_COLUMNS is what the figures and renderers need; None: all, for exports).
    """
    outcome = LoadOutcome(columns=list(columns) if columns is not None else list(ATTEMPT_DTYPES))
    attempts: list[pd.DataFrame] = []
    events: list[pd.DataFrame] = []
    devices: list[pd.DataFrame] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            outcome.problems.append(f"{path}: no such file or directory")
        elif path.is_dir() and _is_results_dir(path):
            _load_results_dir(path, outcome, attempts, events, devices, prefer_jsonl)
        elif path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.suffix in (".jsonl", ".json") and p.is_file())
            if not files:
                outcome.problems.append(f"{path}: empty, or not a results directory (no run.json, attempts or events)")
            for file in files:
                _load_lines_file(file, outcome, attempts, events)
        else:
            _load_lines_file(path, outcome, attempts, events)
    merged = _merge_attempts(attempts, outcome)
    return Results(
        attempts=merged,
        events=_merge_events(events),
        devices=_merge_devices(devices, merged),
        outcome=outcome,
    )


def _is_results_dir(path: Path) -> bool:
    return any((path / name).exists() for name in ("run.json", "attempts.jsonl", "attempts.parquet", "plan.jsonl"))


def _load_results_dir(
    path: Path,
    outcome: LoadOutcome,
    attempts: list[pd.DataFrame],
    events: list[pd.DataFrame],
    devices: list[pd.DataFrame],
    prefer_jsonl: bool,
) -> None:
    run = _read_run_json(path, outcome)
    frame = _read_table(path, "attempts", outcome, prefer_jsonl)
    if frame is None:
        outcome.notes.append(f"{path}: no attempts recorded yet")
    else:
        frame = _upgrade_attempts(frame, path, outcome)
        if run.get("shard") and "shard" in frame and frame["shard"].isna().all():
            frame["shard"] = str(run["shard"])
        attempts.append(frame)
    planned = _planned(path, run)
    if planned is not None:
        # A task run exists once its first attempt is written; count, do not match keys (plan key format may vary).
        started = 0 if frame is None else int((frame["attempt"] == 1).sum())
        missing = max(0, planned - started)
        if missing:
            outcome.missing_task_runs += missing
            outcome.notes.append(f"{path}: {missing} of {planned} planned task run(s) have no attempt yet")
    event_frame = _read_table(path, "events", outcome, prefer_jsonl)
    if event_frame is not None:
        events.append(event_frame)
    # devices.jsonl is a line per phone and has every field the runner wrote (a devices.parquet
    # written by an older bgprobe lacks `name`): read it whenever it is there.
    device_frame = _read_table(path, "devices", outcome, prefer_jsonl or (path / "devices.jsonl").exists())
    if device_frame is not None:
        devices.append(device_frame)
    if frame is not None or event_frame is not None:
        outcome.usable.append(str(path))
    elif not run:
        outcome.problems.append(f"{path}: nothing readable in this results directory")


def _read_run_json(path: Path, outcome: LoadOutcome) -> dict[str, Any]:
    file = path / "run.json"
    if not file.exists():
        outcome.notes.append(f"{path}: no run.json (an older bgprobe, or a copy of part of a results directory)")
        return {}
    try:
        run = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        outcome.notes.append(f"{path}/run.json: unreadable ({type(exc).__name__}: {' '.join(str(exc).split())})")
        return {}
    if not isinstance(run, dict):
        outcome.notes.append(f"{path}/run.json: not a JSON object; ignored")
        return {}
    if not run.get("finished"):
        outcome.notes.append(f"{path}: run {run.get('run_id', '?')} has not finished (still running, or killed)")
    outcome.runs.append({**run, "path": str(path)})
    return run


def _planned(path: Path, run: dict[str, Any]) -> int | None:
    plan = path / "plan.jsonl"
    if plan.exists():
        try:
            with plan.open("rb") as fh:
                return sum(1 for line in fh if line.strip())
        except OSError:  # a directory, unreadable: the count is only for a note
            pass
    planned = run.get("planned")
    return int(planned) if isinstance(planned, int) else None


def _read_table(path: Path, name: str, outcome: LoadOutcome, prefer_jsonl: bool) -> pd.DataFrame | None:
    """`name.parquet` (written when a run finishes) or else the append-only `name.jsonl`."""
    parquet, jsonl = path / f"{name}.parquet", path / f"{name}.jsonl"
    use_parquet = parquet.exists() and not prefer_jsonl
    if use_parquet and jsonl.exists() and jsonl.stat().st_mtime > parquet.stat().st_mtime + 1:
        # A resumed run appended after the parquet was written: the jsonl is the truth.
        outcome.notes.append(f"{path}: {name}.jsonl is newer than {name}.parquet; read the .jsonl")
        use_parquet = False
    if use_parquet:
        frame, why = _read_parquet_table(parquet, name, outcome)
        if frame is not None:
            return frame
        if not jsonl.exists():  # nothing to fall back on: this part of the results is lost
            outcome.problems.append(f"{parquet}: {why}")
            return None
        outcome.notes.append(f"{parquet}: {why}; read {name}.jsonl instead")
    if not jsonl.exists():
        return None
    bad = BadRows(jsonl)
    numbered = _read_lines(jsonl, outcome, bad)
    check = {"attempts": attempt_problem, "events": event_problem}.get(name, device_problem)
    rows = _usable(numbered, check, bad)
    if bad.count:
        outcome.warnings.append(bad.warning() or "")
    if not rows:
        return None
    if name == "attempts":
        return attempts_frame(rows)[outcome.columns]
    if name == "events":
        return _events(rows, jsonl, outcome)
    return pd.DataFrame(rows)


def _read_parquet_table(parquet: Path, name: str, outcome: LoadOutcome) -> tuple[pd.DataFrame | None, str]:
    """The table, checked column by column (and attempts row by row for ranges); else why not."""
    try:
        frame = _read_parquet(parquet, outcome.columns if name == "attempts" else None)
    except Exception as exc:  # pyarrow raises several types for a truncated or foreign file
        detail = " ".join(str(exc).split())[:120]
        return None, f"unreadable ({type(exc).__name__}: {detail})"
    dtypes = {"attempts": ATTEMPT_DTYPES, "events": EVENT_DTYPES}.get(name, DEVICE_DTYPES)
    why = column_problem(frame, dtypes)
    if why is not None:
        return None, f"not a bgprobe {name} table ({why})"
    if name == "attempts":
        wrong, first = out_of_range(frame)
        if wrong.any():
            outcome.warnings.append(f"{parquet}: skipped {int(wrong.sum())} unusable row(s); first at {first}")
            frame = frame[~wrong.to_numpy()].reset_index(drop=True)
            if frame.empty:
                return None, "no usable rows"
    return _typed(frame, name, outcome.columns), ""


def _usable(rows: list[tuple[int, dict[str, Any]]], check: Any, bad: BadRows) -> list[dict[str, Any]]:
    """The rows that pass `check` (reports/validate.py); the others counted in `bad` by line."""
    good = []
    for number, row in rows:
        problem = check(row)
        if problem is None:
            good.append(row)
        else:
            bad.add(number, problem)
    return good


# What the figures and every renderer need; raw exports read all columns.
REPORT_COLUMNS = (
    "campaign",
    "device",
    "platform",
    "os_version",
    "os_major",
    "manufacturer",
    "model",
    "condition",
    "task",
    "repetition",
    "attempt",
    "outcome",
    "reason",
    "scheduled",
    "started",
    "finished",
    "duration_s",
)
# Low-cardinality text read as dictionaries: pandas categoricals take a fraction of the memory of
# 1M strings, and metrics group on their integer codes.
CATEGORY_COLUMNS = (
    "run_id",
    "campaign",
    "device",
    "platform",
    "os_version",
    "manufacturer",
    "model",
    "condition",
    "task",
    "package",
    "trigger",
    "outcome",
    "reason",
    "shard",
    "kind",
    "source",
)


def _read_parquet(file: Path, columns: list[str] | None) -> pd.DataFrame:
    import pyarrow.parquet as pq

    names = set(pq.read_schema(file).names)
    wanted = [c for c in columns if c in names] if columns is not None else None
    table = pq.read_table(file, columns=wanted, read_dictionary=[c for c in CATEGORY_COLUMNS if c in names])
    # split_blocks + self_destruct: the arrow buffers are freed as columns convert (peak memory ~halved).
    return table.to_pandas(split_blocks=True, self_destruct=True)


def as_categories(frame: pd.DataFrame) -> pd.DataFrame:
    """Text dimensions as categoricals (no-op for those already so)."""
    for column in CATEGORY_COLUMNS:
        if column in frame.columns and column != "outcome" and not isinstance(frame[column].dtype, pd.CategoricalDtype):
            frame[column] = frame[column].astype("category")
    return frame


def _typed(frame: pd.DataFrame, name: str, columns: list[str]) -> pd.DataFrame:
    """Parquet from any bgprobe version: the current columns and dtypes, whatever was written."""
    if name == "attempts":
        for column in columns:
            dtype = ATTEMPT_DTYPES[column]
            if column not in frame.columns:  # an older writer: the column, empty, with today's dtype
                frame[column] = pd.Series(index=frame.index, dtype=dtype)
            if column == "outcome":
                frame[column] = _outcomes(frame[column])
            elif dtype.startswith("datetime") and not pd.api.types.is_datetime64_any_dtype(frame[column]):
                frame[column] = device_times(frame[column])
        return frame[columns]
    if name == "events":
        for column in EVENT_DTYPES:
            if column not in frame.columns:
                frame[column] = None
        if not pd.api.types.is_datetime64_any_dtype(frame["ts"]):
            frame["ts"] = device_times(frame["ts"])
        frame["kind"] = pd.Categorical(frame["kind"].astype("object"), categories=list(KINDS))
        return frame[list(EVENT_DTYPES)]
    return frame


def _read_lines(file: Path, outcome: LoadOutcome, bad: BadRows) -> list[tuple[int, dict[str, Any]]]:
    """JSON objects, one a line, with their line numbers. Lines that are not JSON objects are
    counted in `bad`, except a torn last line (a killed run) which is only a note."""
    rows: list[tuple[int, dict[str, Any]]] = []
    try:
        with file.open("rb") as fh:
            data = fh.read()
    except OSError as exc:
        outcome.problems.append(f"{file}: unreadable ({exc.strerror or exc})")
        return rows
    lines = data.splitlines()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except (ValueError, RecursionError):  # RecursionError: JSON nested thousands deep
            if number == len(lines) and not data.endswith(b"\n"):
                outcome.notes.append(
                    f"{file}: skipped 1 unparsable line(s) (the last line is torn: the run was killed while writing)"
                )
            else:
                bad.add(number, "not JSON")
            continue
        if isinstance(row, dict):
            rows.append((number, row))
        else:
            bad.add(number, f"not a JSON object (a JSON {_json_kind(row)})")
    return rows


def _json_kind(value: object) -> str:
    return {list: "array", str: "string", type(None): "null", bool: "boolean"}.get(type(value), "number")


def _load_lines_file(
    file: Path, outcome: LoadOutcome, attempts: list[pd.DataFrame], events: list[pd.DataFrame]
) -> None:
    """A JSON-lines file given directly: `scan --json` events, or an attempts.jsonl on its own."""
    bad = BadRows(file)
    rows = _read_lines(file, outcome, bad)
    is_attempt = [("outcome" in r and "task" in r) for _, r in rows]
    attempt_rows = _usable([nr for nr, a in zip(rows, is_attempt, strict=True) if a], attempt_problem, bad)
    event_rows = _usable(
        [nr for nr, a in zip(rows, is_attempt, strict=True) if not a and "kind" in nr[1]], event_problem, bad
    )
    if attempt_rows:
        attempts.append(_upgrade_attempts(attempts_frame(attempt_rows)[outcome.columns], file, outcome))
    if event_rows:
        events.append(_events(event_rows, file, outcome))
    if attempt_rows or event_rows:
        outcome.usable.append(str(file))
        if bad.count:
            outcome.warnings.append(bad.warning() or "")
    elif bad.count:
        outcome.problems.append(f"{file}: nothing usable ({bad.count} unusable line(s); first at {bad.first})")
    elif not rows:
        outcome.problems.append(f"{file}: no JSON records (expected `bgprobe scan --json` output or attempts)")
    else:
        outcome.problems.append(f"{file}: neither events nor attempts")


def _events(rows: list[dict[str, Any]], file: Path, outcome: LoadOutcome) -> pd.DataFrame:
    known = set(EVENT_DTYPES)
    events: list[Event] = []
    unknown = 0
    for row in rows:
        try:
            events.append(Event(**{k: v for k, v in row.items() if (k in known and v is not None) or k == "kind"}))
        except (TypeError, ValueError):
            unknown += 1  # a kind or field this bgprobe does not know: newer writer
    if unknown:
        outcome.notes.append(f"{file}: skipped {unknown} event(s) of unknown kind or shape")
    return events_frame(events)


def _upgrade_attempts(frame: pd.DataFrame, where: Path, outcome: LoadOutcome) -> pd.DataFrame:
    """Fill what older writers left out, so that metrics see one schema."""
    if frame["os_major"].isna().any():
        major = frame["os_version"].str.extract(r"^(\d+)", expand=False)
        frame["os_major"] = frame["os_major"].fillna(pd.to_numeric(major, errors="coerce").astype("Int64"))
    missing_id = frame["attempt_id"].isna() if "attempt_id" in frame else pd.Series(False, index=frame.index)
    if missing_id.any():
        parts = [frame[c].astype("string").fillna("?") for c in ATTEMPT_ID_PARTS]
        built = parts[0].str.cat(parts[1:], sep="|")
        frame["attempt_id"] = frame["attempt_id"].fillna(built)
        count = int(missing_id.sum())
        outcome.notes.append(f"{where}: {count} attempt(s) without attempt_id (older bgprobe); built one")
    unknown = frame["outcome"].isna()
    if unknown.any():
        outcome.notes.append(f"{where}: {int(unknown.sum())} attempt(s) with an unknown outcome, left out of rates")
    newer = frame["schema"].dropna() if "schema" in frame else pd.Series([], dtype="Int64")
    if len(newer) and int(newer.max()) > SCHEMA_VERSION:
        outcome.notes.append(f"{where}: written by a newer bgprobe (schema {int(newer.max())}); extra fields ignored")
    for column in [c for c in ("campaign", "run_id") if c in frame]:
        if frame[column].isna().any():
            frame[column] = frame[column].astype("object").fillna("")
    return frame


def _merge_attempts(frames: list[pd.DataFrame], outcome: LoadOutcome) -> pd.DataFrame:
    frames = [f for f in frames if not f.empty]
    if not frames:
        return as_categories(attempts_frame([])[outcome.columns])
    merged = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    merged = as_categories(merged)
    merged["outcome"] = _outcomes(merged["outcome"])
    duplicated = _identity(merged).duplicated(keep=False)
    if duplicated.any():
        # Keep the row that finished last: a resumed or re-run attempt supersedes the earlier one.
        merged = merged.sort_values("finished", na_position="first", kind="stable")
        before = len(merged)
        merged = merged[~_identity(merged).duplicated(keep="last").to_numpy()].sort_index()
        outcome.duplicates = before - len(merged)
        outcome.notes.append(f"{outcome.duplicates} attempt(s) appeared more than once; each counted once")
    return merged.reset_index(drop=True)


def _identity(frame: pd.DataFrame) -> pd.Series:
    """The attempt's merge key, (campaign, attempt_id), as one integer per row.

    attempt_id is device|condition|task|repetition|attempt, so its parts (categorical codes, already
    in memory) identify it; hashing a million id strings instead costs half a second.
    """
    key = np.zeros(len(frame), dtype=np.int64)
    for column in ("campaign", *ATTEMPT_ID_PARTS):
        values = frame[column]
        if isinstance(values.dtype, pd.CategoricalDtype):
            codes, size = values.cat.codes.to_numpy(dtype=np.int64), len(values.cat.categories)
        elif pd.api.types.is_integer_dtype(values.dtype):
            codes = values.to_numpy(dtype=np.int64, na_value=-1)
            size = int(codes.max()) + 1 if len(codes) else 0
        else:
            codes, uniques = pd.factorize(values, use_na_sentinel=True)
            size = len(uniques)
        key = key * (size + 1) + (codes + 1)
        if len(key) and key.max() > 2**40:  # keep the mixed-radix key far from int64 overflow
            key = pd.factorize(key)[0].astype(np.int64)
    return pd.Series(key, index=frame.index)


def _outcomes(column: pd.Series) -> pd.Series:
    """The outcome column with exactly OUTCOMES as categories (unknown names become NA)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.set_categories(list(OUTCOMES))
    return pd.Series(pd.Categorical(column, categories=list(OUTCOMES)), index=column.index)


def _merge_events(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if not f.empty]
    if not frames:
        return events_frame([])
    if len(frames) == 1:
        return frames[0]
    merged = pd.concat(frames, ignore_index=True)
    merged["kind"] = pd.Categorical(merged["kind"], categories=list(KINDS))
    return merged.drop_duplicates(EVENT_IDENTITY).reset_index(drop=True)


def _merge_devices(frames: Iterable[pd.DataFrame], attempts: pd.DataFrame) -> pd.DataFrame:
    frames = [f for f in frames if not f.empty]
    if frames:
        merged = pd.concat(frames, ignore_index=True)
    else:  # older results without devices.jsonl: what the attempts say about each device
        cols = [c for c in DEVICE_COLUMNS if c in attempts.columns]
        merged = attempts[cols].drop_duplicates("device") if not attempts.empty else pd.DataFrame(columns=cols)
    for column in DEVICE_COLUMNS:
        if column not in merged.columns:
            merged[column] = None
    return merged.drop_duplicates("device", keep="last").reset_index(drop=True)[list(DEVICE_COLUMNS)]


def write_atomic(path: Path, data: bytes) -> None:
    """Readers (a CI job uploading artifacts) never see half a file."""
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)
