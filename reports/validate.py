"""What `report` accepts from a results file: the one check between the files and the figures.

Rows of the JSON-lines journals (attempts, events, devices) are checked one by one; a row with a
field of the wrong type or out of range is left out and counted, so that the rest of the file still
reports and the user learns which line to look at. Parquet files are checked per column (a column
of the wrong type makes the whole file unusable: it was not written by bgprobe) and then per row
for the ranges. Nothing downstream (metrics, renderers) needs to distrust the tables after this.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

MAX_COUNT = 2**31 - 1  # repetitions, attempts, schema versions: anything above is a corrupt number
# Ranges of the whole-number fields (a negative repetition or OS major 10**30 is not a phone's).
INT_RANGES: dict[str, tuple[int, int]] = {
    "os_major": (0, 999),
    "repetition": (1, MAX_COUNT),
    "attempt": (1, MAX_COUNT),
    "schema": (0, MAX_COUNT),
    "pid": (0, 2**63 - 1),
}
ATTEMPT_TEXT = (
    "run_id",
    "attempt_id",
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
    "detail",
    "shard",
)
ATTEMPT_TIMES = ("scheduled", "started", "finished")
# A task run is (device, condition, task, repetition): an attempt without them belongs nowhere.
ATTEMPT_REQUIRED = ("device", "condition", "task", "repetition", "attempt")
EVENT_TEXT = ("kind", "source", "where", "device", "platform", "os_version", "package", "process", "reason", "detail")
EVENT_IDS = ("uid", "job")  # text, but some writers give numbers: taken as their text
DEVICE_TEXT = ("device", "platform", "os_version", "manufacturer", "model", "serial")
_ZONE = re.compile(r"(?:Z|[+-]\d\d:?\d\d)$")


@dataclass
class BadRows:
    """The rows of one file that were left out: how many, and the first of them (where and why)."""

    file: Path
    count: int = 0
    first: str = ""
    _first_line: int = 0

    def add(self, line: int, why: str) -> None:
        """Line `line` (1-based) is left out because of `why`; lines may come in any order."""
        if not self.count or line < self._first_line:
            self.first, self._first_line = f"line {line}: {why}", line
        self.count += 1

    def warning(self) -> str | None:
        if not self.count:
            return None
        return f"{self.file}: skipped {self.count} unusable row(s); first at {self.first}"


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _text(name: str, value: Any, row: dict[str, Any]) -> str | None:
    return None if type(value) is str else f"{name} {_shown(value)} is not text"


def _id_text(name: str, value: Any, row: dict[str, Any]) -> str | None:
    if type(value) is int:
        row[name] = str(value)
        return None
    return _text(name, value, row)


def _whole(name: str, value: Any, row: dict[str, Any]) -> str | None:
    if type(value) is float:
        if math.isnan(value):  # what pandas writes for "not recorded"
            row[name] = None
            return None
        if value.is_integer():
            value = row[name] = int(value)
    if type(value) is not int:  # bool is not int here: `type`, not isinstance
        return f"{name} {_shown(value)} is not a whole number"
    low, high = INT_RANGES[name]
    if not low <= value <= high:
        return f"{name} {_shown(value)} is out of range ({low} to {high})"
    return None


def _seconds(name: str, value: Any, row: dict[str, Any]) -> str | None:
    if type(value) is float and math.isnan(value):
        row[name] = None
        return None
    if type(value) not in (int, float):
        return f"{name} {_shown(value)} is not a number of seconds"
    if not math.isfinite(value):
        return f"{name} {_shown(value)} is not a finite number of seconds"
    return None


def _time(name: str, value: Any, row: dict[str, Any]) -> str | None:
    if type(value) is not str:
        return f"{name} {_shown(value)} is not an ISO 8601 time"
    if not value:
        row[name] = None
        return None
    try:
        datetime.fromisoformat(value)  # Python 3.11 reads zones too; the slower strip only if it failed
    except ValueError:
        try:
            datetime.fromisoformat(_ZONE.sub("", value))
        except ValueError:
            return f"{name} {_shown(value)} is not an ISO 8601 time"
    return None


def _mapping(name: str, value: Any, row: dict[str, Any]) -> str | None:
    return None if isinstance(value, dict) else f"{name} {_shown(value)} is not an object"


Check = Callable[[str, Any, dict[str, Any]], "str | None"]


@dataclass(frozen=True)
class Rules:
    """What one kind of row must hold. Text fields are checked inline (most fields, most rows)."""

    required: tuple[str, ...]
    text: tuple[str, ...]
    others: tuple[tuple[str, Check], ...]

    def problem(self, row: dict[str, Any]) -> str | None:
        for name in self.required:
            if row.get(name) is None:
                return f"no {name}"
        for name in self.text:
            value = row.get(name)
            if value is not None and type(value) is not str:
                return f"{name} {_shown(value)} is not text"
        for name, check in self.others:
            value = row.get(name)
            if value is not None:
                problem = check(name, value, row)
                if problem:
                    return problem
        return None


ATTEMPT_RULES = Rules(
    required=ATTEMPT_REQUIRED,
    text=ATTEMPT_TEXT,
    others=(
        *((name, _whole) for name in ("os_major", "repetition", "attempt", "schema")),
        *((name, _time) for name in ATTEMPT_TIMES),
        ("duration_s", _seconds),
    ),
)
EVENT_RULES = Rules(
    required=("kind",),
    text=(*EVENT_TEXT, "ts"),  # event times stay as the source wrote them; an unreadable one is NaT
    others=(*((name, _id_text) for name in EVENT_IDS), ("pid", _whole), ("data", _mapping)),
)
DEVICE_RULES = Rules(required=("device",), text=DEVICE_TEXT, others=())


def attempt_problem(row: dict[str, Any]) -> str | None:
    """None when the attempt row is usable (NaN and integral floats normalized in place), else why not."""
    return ATTEMPT_RULES.problem(row)


def event_problem(row: dict[str, Any]) -> str | None:
    return EVENT_RULES.problem(row)


def device_problem(row: dict[str, Any]) -> str | None:
    return DEVICE_RULES.problem(row)


# ---------------------------------------------------------------- parquet: per column, then per row


def column_problem(frame: pd.DataFrame, dtypes: dict[str, str]) -> str | None:
    """Why the table cannot be used as bgprobe's table (a column of the wrong type), or None.
    Integral float columns (pandas' way of writing whole numbers with gaps) are converted in place."""
    for column, dtype in dtypes.items():
        if column not in frame.columns:
            continue
        values = frame[column]
        kind = values.dtype
        if values.isna().all():
            continue
        if dtype == "Int64":
            if pd.api.types.is_bool_dtype(kind):
                return f"column {column} holds true/false, expected whole numbers"
            if pd.api.types.is_integer_dtype(kind):
                continue
            numbers = values.dropna()
            if pd.api.types.is_float_dtype(kind) and bool((numbers.apply(float.is_integer)).all()):
                frame[column] = values.astype("Int64")
                continue
            return f"column {column} holds {_kind(values)}, expected whole numbers"
        if dtype == "Float64":
            if pd.api.types.is_numeric_dtype(kind) and not pd.api.types.is_bool_dtype(kind):
                continue
            return f"column {column} holds {_kind(values)}, expected numbers"
        if dtype.startswith("datetime"):
            if pd.api.types.is_datetime64_any_dtype(kind) or _all_text(values):
                continue
            return f"column {column} holds {_kind(values)}, expected ISO 8601 times"
        if dtype in ("string", "category") and not _all_text(values):
            return f"column {column} holds {_kind(values)}, expected text"
    return None


def _all_text(values: pd.Series) -> bool:
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = pd.Series(values.cat.categories)
    if pd.api.types.is_string_dtype(values.dtype) and not pd.api.types.is_object_dtype(values.dtype):
        return True
    return bool(values.dropna().map(type).eq(str).all())


def _kind(values: pd.Series) -> str:
    sample = values.dropna()
    if pd.api.types.is_object_dtype(values.dtype) and len(sample):
        return f"{type(sample.iloc[0]).__name__} values such as {_shown(sample.iloc[0])}"
    return f"{values.dtype} values"


def out_of_range(frame: pd.DataFrame) -> tuple[pd.Series, str]:
    """Rows whose whole numbers are out of range: the mask, and why the first of them is."""
    bad = pd.Series(False, index=frame.index)
    first = ""
    for column, (low, high) in INT_RANGES.items():
        if column not in frame.columns or not pd.api.types.is_integer_dtype(frame[column].dtype):
            continue
        values = frame[column]
        wrong = ((values < low) | (values > high)).fillna(False).astype(bool)
        if wrong.any() and not first:
            position = int(wrong.to_numpy().argmax())
            first = f"row {position + 1}: {column} {values.iloc[position]} is out of range ({low} to {high})"
        bad |= wrong
    return bad, first
