"""The attempt record: one row per task attempt of a campaign (`bgprobe run` writes, `report` reads).

A *task run* is one (device, condition, task, repetition); its attempts are the first try and the
app's retries. Metrics are per task run: completed when any attempt succeeded; retries = attempts
after the first; time-to-eventual-success = from the first attempt's scheduled time to the
successful attempt's finish.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

SCHEMA_VERSION = 1


class Outcome(StrEnum):
    """How an attempt ended: `bgprobe run` records these, `bgprobe trigger` reports them. The values are
    the strings of attempts.jsonl and the reports."""

    SUCCESS = "success"  # the work reported completion
    FAILURE = "failure"  # the work ran and reported failure (WorkManager FAILURE/RETRY, app's own failure line)
    TIMEOUT = "timeout"  # no end seen within the attempt's time-out (or JobScheduler timed the job out)
    KILLED = "killed"  # the app's process was killed, died or crashed during the attempt
    STOPPED = "stopped"  # the system stopped the job (constraints lost, doze, quota) before it finished
    NOT_STARTED = "not_started"  # the OS did not run it (held, or not within the window; WorkManager skipped it)
    DEVICE_LOST = "device_lost"  # infrastructure: the device vanished; not the app's failure
    SKIPPED = "skipped"  # the condition is not available on this device (e.g. restricted bucket before 11)


# The outcome strings in order (plain str: pandas categories hold these).
OUTCOMES: tuple[str, ...] = tuple(o.value for o in Outcome)
# Outcomes that say nothing about the app: kept apart from completion rates.
INFRA_OUTCOMES: frozenset[str] = frozenset({Outcome.DEVICE_LOST, Outcome.SKIPPED})


@dataclass(slots=True)
class Attempt:
    run_id: str  # the campaign run (a shard of it has the same run_id)
    attempt_id: str  # unique and stable: device|condition|task|repetition|attempt (merge key)
    campaign: str
    device: str  # the device's own identity (ro.serialno / UDID)
    platform: str  # android | ios
    os_version: str  # full version, e.g. "14" or "17.4.1"
    os_major: int
    manufacturer: str
    model: str
    condition: str  # e.g. "baseline", "doze-deep", "bucket-rare"
    task: str  # the scenario's task name
    package: str
    trigger: str  # forced | natural
    repetition: int  # 1..N
    attempt: int  # 1 = first try, 2.. = retries
    outcome: str
    reason: str | None = None  # normalized: stop reason, kill reason, time-out kind ...
    detail: str | None = None
    scheduled: str | None = None  # ISO 8601 device time the attempt was scheduled / triggered
    started: str | None = None
    finished: str | None = None
    duration_s: float | None = None
    shard: str | None = None  # "I/N" when the campaign was sharded
    schema: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


ATTEMPT_FIELDS = tuple(f.name for f in fields(Attempt))

ATTEMPT_DTYPES: dict[str, str] = {
    "run_id": "string",
    "attempt_id": "string",
    "campaign": "string",
    "device": "string",
    "platform": "category",
    "os_version": "string",
    "os_major": "Int64",
    "manufacturer": "string",
    "model": "string",
    "condition": "string",
    "task": "string",
    "package": "string",
    "trigger": "category",
    "repetition": "Int64",
    "attempt": "Int64",
    "outcome": "category",
    "reason": "string",
    "detail": "string",
    "scheduled": "datetime64[ms]",
    "started": "datetime64[ms]",
    "finished": "datetime64[ms]",
    "duration_s": "Float64",
    "shard": "string",
    "schema": "Int64",
}


def attempts_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Validated attempts table. Unknown columns are dropped, missing optional ones filled."""
    import pandas as pd
    from bgprobe.reports.schema import device_times

    frame = pd.DataFrame(rows, columns=list(ATTEMPT_DTYPES))
    for column, dtype in ATTEMPT_DTYPES.items():
        if dtype.startswith("datetime"):
            frame[column] = device_times(frame[column])
        elif column == "outcome":
            frame[column] = pd.Categorical(frame[column], categories=list(OUTCOMES))
        else:
            frame[column] = frame[column].astype(dtype)
    return frame
