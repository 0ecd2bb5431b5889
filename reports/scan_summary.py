"""The figures `bgprobe scan` shows, computed from events only."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from bgprobe.reports.deaths import fold_deaths


@dataclass
class ScanSummary:
    events: pd.DataFrame
    kinds: pd.Series  # events per kind
    deaths: pd.DataFrame  # one row per death (see reports.deaths)
    deaths_by_reason: pd.DataFrame  # process, reason, deaths, sources, last
    job_timeouts: pd.DataFrame  # package, job, reason, count, last
    work_results: pd.DataFrame  # worker, result counts
    scheduled_jobs: pd.DataFrame  # latest job_scheduled per package/job
    anrs: pd.DataFrame  # one row per ANR, folded like deaths
    devices: list[str]


def summarize(events: pd.DataFrame) -> ScanSummary:
    kinds = events["kind"].astype(str).value_counts()
    deaths = fold_deaths(events)
    if deaths.empty:
        by_reason = pd.DataFrame(columns=["process", "reason", "deaths", "sources", "last"])
    else:
        by_reason = (
            deaths.assign(process=deaths.apply(_who, axis=1))
            .groupby(["process", "reason"], dropna=False)
            .agg(deaths=("kind", "size"), sources=("sources", _join_unique), last=("ts", "max"))
            .reset_index()
            .sort_values(["deaths", "last"], ascending=[False, False])
        )
    timeouts = events[events["kind"] == "job_timeout"]
    job_timeouts = (
        timeouts.groupby(["package", "job", "reason"], dropna=False)
        .agg(count=("kind", "size"), last=("ts", "max"))
        .reset_index()
        .sort_values("count", ascending=False)
    )
    results = events[events["kind"] == "work_result"]
    workers = results["data"].map(lambda d: (d or {}).get("worker") or "?")
    work_results = (
        results.assign(worker=workers)
        .pivot_table(index="worker", columns="reason", values="kind", aggfunc="size", fill_value=0, observed=True)
        .reset_index()
        if not results.empty
        else pd.DataFrame(columns=["worker"])
    )
    scheduled = events[events["kind"] == "job_scheduled"]
    scheduled_jobs = scheduled.drop_duplicates(subset=["package", "job"], keep="last")
    devices = sorted(
        {
            f"{d} (Android {v})" if isinstance(v, str) else str(d)
            for d, v in zip(events["device"], events["os_version"], strict=True)
            if isinstance(d, str)
        }
    )
    return ScanSummary(
        events=events,
        kinds=kinds,
        deaths=deaths,
        deaths_by_reason=by_reason,
        job_timeouts=job_timeouts,
        work_results=work_results,
        scheduled_jobs=scheduled_jobs,
        anrs=fold_deaths(events, frozenset({"anr"})),
        devices=devices,
    )


def _who(death: pd.Series) -> str:
    if isinstance(death["process"], str):
        return death["process"]
    if not pd.isna(death["pid"]):
        return f"pid {int(death['pid'])}"
    return f"uid {death['uid']}" if isinstance(death["uid"], str) else "unknown process"


def _join_unique(values: pd.Series) -> str:
    parts: set[str] = set()
    for v in values:
        parts.update(p.strip() for p in str(v).split(",") if p.strip())
    return ", ".join(sorted(parts))
