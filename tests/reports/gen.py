"""A tiny generator of attempts with known answers, and writers of results directories."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

T0 = datetime(2025, 3, 1, 12, 0, 0)


def task_run(
    outcomes: list[str],
    *,
    device: str = "dev1",
    os_version: str = "14",
    manufacturer: str = "Xiaomi",
    model: str = "23049PCD8G",
    condition: str = "baseline",
    task: str = "sync",
    repetition: int = 1,
    campaign: str = "c1",
    run_id: str = "r1",
    start_s: float = 0.0,
    gap_s: float = 60.0,
    reasons: list[str | None] | None = None,
    shard: str | None = None,
) -> list[dict[str, Any]]:
    """The attempts of one task run: attempt i is scheduled at start + i*gap and finishes 10 s later."""
    rows = []
    for i, outcome in enumerate(outcomes):
        scheduled = T0 + timedelta(seconds=start_s + i * gap_s)
        rows.append(
            {
                "run_id": run_id,
                "attempt_id": f"{device}|{condition}|{task}|{repetition}|{i + 1}",
                "campaign": campaign,
                "device": device,
                "platform": "android",
                "os_version": os_version,
                "os_major": int(os_version.split(".")[0]),
                "manufacturer": manufacturer,
                "model": model,
                "condition": condition,
                "task": task,
                "package": "com.example.app",
                "trigger": "forced",
                "repetition": repetition,
                "attempt": i + 1,
                "outcome": outcome,
                "reason": (reasons or [None] * len(outcomes))[i],
                "detail": None,
                "scheduled": scheduled.isoformat(),
                "started": (scheduled + timedelta(seconds=1)).isoformat(),
                "finished": (scheduled + timedelta(seconds=10)).isoformat(),
                "duration_s": 9.0,
                "shard": shard,
                "schema": 1,
            }
        )
    return rows


def many(successes: int, failures: int, **kw: Any) -> list[dict[str, Any]]:
    """`successes` task runs that succeed at once and `failures` that fail once (one attempt each)."""
    rows: list[dict[str, Any]] = []
    for rep in range(successes + failures):
        rows += task_run(["success" if rep < successes else "failure"], repetition=rep + 1, **kw)
    return rows


def write_results(
    directory: Path,
    attempts: list[dict[str, Any]],
    *,
    events: list[dict[str, Any]] | None = None,
    run: dict[str, Any] | None = None,
    finished: bool = True,
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    meta = {
        "run_id": "r1",
        "campaign": "c1",
        "scenario": "s.toml",
        "shard": None,
        "started": T0.isoformat(),
        "bgprobe_version": "0.1.0",
        "planned": None,
        **(run or {}),
    }
    if finished:
        meta["finished"] = (T0 + timedelta(hours=1)).isoformat()
    (directory / "run.json").write_text(json.dumps(meta))
    (directory / "attempts.jsonl").write_text("".join(json.dumps(a) + "\n" for a in attempts))
    if events is not None:
        (directory / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    return directory


def event(kind: str, **kw: Any) -> dict[str, Any]:
    base = {
        "kind": kind,
        "source": "lmkd",
        "where": "live",
        "ts": T0.isoformat(),
        "device": "dev1",
        "platform": "android",
        "os_version": "14",
        "package": "com.example.app",
        "process": "com.example.app",
        "pid": 4321,
        "uid": None,
        "job": None,
        "reason": None,
        "detail": None,
        "data": {},
    }
    return {**base, **kw}
