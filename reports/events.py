"""The one event model: live devices, simulated devices and offline files all produce these.

Fields and kinds are README.md's ("Events"). `data` carries source-specific extras
(oom adj, rss, constraints, ...) that do not deserve a column of their own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from typing import Any

KINDS: tuple[str, ...] = (
    "job_scheduled",
    "job_started",
    "job_finished",
    "job_stopped",
    "job_timeout",
    "work_result",
    "process_started",
    "process_killed",
    "process_died",
    "anr",
    "crash",
    "state_changed",
    "trigger",
)

# Kinds that mean "this process is gone"; used by summaries and `--fail-on kill`.
DEATH_KINDS: frozenset[str] = frozenset({"process_killed", "process_died", "crash"})


@dataclass(slots=True)
class Event:
    kind: str
    source: str
    where: str
    ts: str | None = None  # ISO 8601, device clock (no zone unless the source had one)
    device: str | None = None
    platform: str = "android"
    os_version: str | None = None
    package: str | None = None
    process: str | None = None
    pid: int | None = None
    uid: str | None = None
    job: str | None = None
    reason: str | None = None
    detail: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown event kind {self.kind!r}")

    def to_dict(self) -> dict[str, Any]:
        # Shallow on purpose: dataclasses.asdict deep-copies `data` and was half of scan time.
        return {name: getattr(self, name) for name in _FIELD_NAMES}

    def to_json(self) -> str:
        return _ENCODE(self.to_dict())


_FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Event))
# One encoder for every event: json.dumps with options builds a new JSONEncoder on each call.
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode


def package_of_process(process: str | None) -> str | None:
    """`com.foo:remote` -> `com.foo`. Android process names are the package plus an optional `:suffix`."""
    if not process:
        return None
    return process.split(":", 1)[0] or None
