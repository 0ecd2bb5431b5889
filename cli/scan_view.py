"""Terminal rendering of `bgprobe scan`: figures come from reports.scan_summary, layout only here."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from bgprobe.cli.console import Output
from bgprobe.collectors.scan import ScanOutcome
from bgprobe.reports.events import Event
from bgprobe.reports.scan_summary import summarize
from bgprobe.reports.schema import events_frame
from rich.table import Table

MAX_ROWS = 25


def render_scan(out: Output, events: Iterable[Event], outcome: ScanOutcome, package: str | None) -> None:
    frame = events_frame(events)
    console = out.out
    n_inputs = len(outcome.usable)
    console.print(
        f"[bold]bgprobe scan[/bold]: {n_inputs} input(s) read, {len(frame)} event(s)"
        + (f" for {package}" if package else "")
    )
    if frame.empty:
        console.print("No kills, deaths, ANRs, job or WorkManager events found.")
        return
    summary = summarize(frame)
    if summary.devices:
        console.print("Device: " + "; ".join(summary.devices))
    span = frame["ts"].dropna()
    if not span.empty:
        console.print(f"Time span: {span.min():%Y-%m-%d %H:%M:%S} → {span.max():%Y-%m-%d %H:%M:%S}")
    console.print("Events: " + ", ".join(f"{k} {v}" for k, v in summary.kinds.items()))

    _deaths_table(out, summary.deaths_by_reason)
    if not summary.anrs.empty:
        _anr_table(out, summary.anrs)
    if not summary.job_timeouts.empty:
        columns = ["package", "job", "reason", "count", "last"]
        _simple_table(out, "JobScheduler time-outs", summary.job_timeouts, columns)
    if not summary.work_results.empty:
        cols = [c for c in summary.work_results.columns]
        _simple_table(out, "WorkManager results", summary.work_results, cols)
    if not summary.scheduled_jobs.empty:
        _jobs_table(out, summary.scheduled_jobs, package)


def _deaths_table(out: Output, table_frame: pd.DataFrame) -> None:
    if table_frame.empty:
        out.out.print("No process kills or deaths found.")
        return
    table = Table(title="Kills and deaths by process and reason", title_justify="left")
    for col in ("process", "reason", "deaths", "seen in", "last"):
        table.add_column(col, justify="right" if col == "deaths" else "left", overflow="fold")
    for row in table_frame.head(MAX_ROWS).itertuples(index=False):
        reason = str(row.reason)
        style = "bold red" if reason.startswith("oem:") else "yellow" if reason == "no reason logged" else None
        table.add_row(
            str(row.process),
            f"[{style}]{reason}[/]" if style else reason,
            str(row.deaths),
            str(row.sources),
            _ts(row.last),
        )
    out.out.print(table)
    _more(out, len(table_frame))
    if (table_frame["reason"].astype(str).str.startswith("oem:")).any():
        out.out.print("[red]oem:[/red] reasons are not AOSP's: a manufacturer's background killer acted.")


def _anr_table(out: Output, anrs: pd.DataFrame) -> None:
    table = Table(title="ANRs", title_justify="left")
    for col in ("process", "pid", "what the system said", "when"):
        table.add_column(col, overflow="fold")
    for row in anrs.head(MAX_ROWS).itertuples(index=False):
        table.add_row(_cell(row.process), _cell(row.pid), _cell(row.detail), _ts(row.ts))
    out.out.print(table)
    _more(out, len(anrs))


def _jobs_table(out: Output, jobs: pd.DataFrame, package: str | None) -> None:
    title = f"Scheduled jobs of {package}" if package else "Scheduled jobs"
    table = Table(title=title, title_justify="left")
    for col in ("package", "job", "service", "bucket", "unsatisfied", "why it is not running"):
        table.add_column(col, overflow="fold")
    for row in jobs.head(MAX_ROWS * 2).itertuples(index=False):
        data = row.data or {}
        service = str(data.get("service") or data.get("worker") or "")
        if data.get("workmanager"):
            service = "WorkManager (SystemJobService)"
        unsatisfied = data.get("unsatisfied_constraints") or []
        table.add_row(
            _cell(row.package),
            _cell(row.job),
            service,
            str(data.get("standby_bucket") or ""),
            " ".join(unsatisfied) if isinstance(unsatisfied, list) else str(unsatisfied),
            _cell(row.detail),
        )
    out.out.print(table)
    _more(out, len(jobs), MAX_ROWS * 2)


def _simple_table(out: Output, title: str, frame: pd.DataFrame, columns: list[str]) -> None:
    table = Table(title=title, title_justify="left")
    for col in columns:
        table.add_column(str(col), overflow="fold")
    for row in frame.head(MAX_ROWS)[columns].itertuples(index=False):
        table.add_row(*(_ts(v) if isinstance(v, pd.Timestamp) else _cell(v) for v in row))
    out.out.print(table)
    _more(out, len(frame))


def _more(out: Output, total: int, shown: int = MAX_ROWS) -> None:
    if total > shown:
        out.out.print(f"… and {total - shown} more (use --json for everything)")


def _ts(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return f"{pd.Timestamp(value):%Y-%m-%d %H:%M:%S}"


def _cell(value: object) -> str:
    if value is None or (not isinstance(value, (str, list, dict)) and pd.isna(value)):
        return ""
    return str(value)
