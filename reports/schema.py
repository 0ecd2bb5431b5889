"""pandas schema of the event table, validated at the boundary between collectors and reports."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from bgprobe.reports.events import KINDS, Event

if TYPE_CHECKING:
    import pandas as pd

# Column -> pandas dtype. Nullable dtypes throughout: most sources know only some fields.
EVENT_DTYPES: dict[str, str] = {
    "ts": "datetime64[ms]",
    "device": "string",
    "platform": "category",
    "os_version": "string",
    "kind": "category",
    "package": "string",
    "process": "string",
    "pid": "Int64",
    "uid": "string",
    "job": "string",
    "reason": "string",
    "detail": "string",
    "source": "string",
    "where": "string",
    "data": "object",
}


def device_times(values: pd.Series) -> pd.Series:
    """ISO 8601 texts -> naive datetimes of the device's wall clock.

    Sources disagree on zones (logcat prints none, `-v zone` and iOS logs do): parsing a mix
    raises in pandas. Times are read as the device showed them, the offset dropped.
    """
    import pandas as pd

    text = values.astype("string").str.replace(r"(?:Z|[+-]\d\d:?\d\d)$", "", regex=True)
    return pd.to_datetime(text, errors="coerce", format="ISO8601")


def events_frame(events: Iterable[Event]) -> pd.DataFrame:
    """Build the validated event DataFrame (unknown timestamps become NaT)."""
    import pandas as pd

    rows = [e.to_dict() for e in events]
    frame = pd.DataFrame(rows, columns=list(EVENT_DTYPES))
    frame["ts"] = device_times(frame["ts"])
    for column, dtype in EVENT_DTYPES.items():
        if column == "kind":
            frame[column] = pd.Categorical(frame[column], categories=list(KINDS))
        elif column != "data":
            frame[column] = frame[column].astype(dtype)
    return validate_events(frame)


def validate_events(frame: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in EVENT_DTYPES if c not in frame.columns]
    if missing:
        raise ValueError(f"event table lacks columns: {', '.join(missing)}")
    unknown = set(frame["kind"].dropna().astype(str)) - set(KINDS)
    if unknown:
        raise ValueError(f"event table has unknown kinds: {', '.join(sorted(unknown))}")
    return frame
