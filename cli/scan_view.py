"""Terminal rendering of `bgprobe scan`: figures come from reports.scan_summary, layout only here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bgprobe.cli.console import Output
from bgprobe.collectors.scan import ScanOutcome
from bgprobe.reports.events import Event
from bgprobe.reports.scan_summary import AnrRow, DeathRow, ScanSummary
from bgprobe.reports.terminal_layout import print_fitting
from rich.table import Table

MAX_ROWS = 25


def render_scan(out: Output, summary: ScanSummary, outcome: ScanOutcome, package: str | None) -> None:
    console = out.out
    n_inputs = len(outcome.usable)
    console.print(
        f"[bold]bgprobe scan[/bold]: {n_inputs} input(s) read, {summary.events} event(s)"
        + (f" for {package}" if package else "")
    )
    if not summary.events:
        console.print("No kills, deaths, ANRs, job or WorkManager events found.")
        _unrecognized(out, outcome.unrecognized)
        return
    if summary.devices:
        console.print("Device: " + "; ".join(summary.devices))
    if summary.first is not None and summary.last is not None:
        console.print(f"Time span: {_ts(summary.first)} → {_ts(summary.last)}")
    console.print("Events: " + ", ".join(f"{k} {v}" for k, v in summary.kinds))

    _deaths_table(out, summary.deaths_by_reason, summary.death_rows, summary.oem_reasons)
    if summary.anr_count:
        _anr_table(out, summary.anrs, summary.anr_count)
    if summary.job_timeouts:
        rows = [(r.package, r.job, r.reason, r.count, r.last) for r in summary.job_timeouts]
        _simple_table(out, "JobScheduler time-outs", ["package", "job", "reason", "count", "last"], rows)
    header, work_rows = summary.work_results
    if work_rows:
        _simple_table(out, "WorkManager results", header, work_rows)
    if summary.scheduled_jobs:
        _jobs_table(out, summary.scheduled_jobs, package)
    _unrecognized(out, outcome.unrecognized)


def _unrecognized(out: Output, count: int) -> None:
    """What bgprobe could not read, so that nobody takes silence for "nothing happened"."""
    if count == 1:
        out.out.print("1 line looked relevant but was not understood: --unrecognized lists it")
    elif count:
        out.out.print(f"{count} lines looked relevant but were not understood: --unrecognized lists them")


def _deaths_table(out: Output, rows: list[DeathRow], total: int, oem: bool) -> None:
    if not rows:
        out.out.print("No process kills or deaths found.")
        return
    table = Table(title="Kills and deaths by process and reason", title_justify="left")
    for col in ("process", "reason", "deaths", "seen in", "last"):
        table.add_column(col, justify="right" if col == "deaths" else "left", overflow="fold")
    for row in rows[:MAX_ROWS]:
        reason = row.reason
        style = "bold red" if reason.startswith("oem:") else "yellow" if reason == "no reason logged" else None
        table.add_row(
            row.process,
            f"[{style}]{reason}[/]" if style else reason,
            str(row.deaths),
            row.sources,
            _ts(row.last),
        )
    print_fitting(out.out, table, key_columns=1)
    _more(out, total)
    if oem:
        out.out.print("[red]oem:[/red] reasons are not AOSP's: a manufacturer's background killer acted.")


def _anr_table(out: Output, anrs: list[AnrRow], total: int) -> None:
    table = Table(title="ANRs", title_justify="left")
    for col in ("process", "pid", "what the system said", "when"):
        table.add_column(col, overflow="fold")
    for row in anrs[:MAX_ROWS]:
        table.add_row(_cell(row.process), _cell(row.pid), _cell(row.detail), _ts(row.ts))
    print_fitting(out.out, table, key_columns=1)
    _more(out, total)


def _jobs_table(out: Output, jobs: list[Event], package: str | None) -> None:
    title = f"Scheduled jobs of {package}" if package else "Scheduled jobs"
    table = Table(title=title, title_justify="left")
    for col in ("package", "job", "service", "bucket", "unsatisfied", "why it is not running"):
        table.add_column(col, overflow="fold")
    for row in jobs[: MAX_ROWS * 2]:
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
    print_fitting(out.out, table, key_columns=1)
    _more(out, len(jobs), MAX_ROWS * 2)


def _simple_table(out: Output, title: str, columns: list[str], rows: Sequence[Sequence[object]]) -> None:
    table = Table(title=title, title_justify="left")
    for col in columns:
        table.add_column(str(col), overflow="fold")
    for row in rows[:MAX_ROWS]:
        table.add_row(*(_ts(v) if isinstance(v, datetime) else _cell(v) for v in row))
    print_fitting(out.out, table, key_columns=1)
    _more(out, len(rows))


def _more(out: Output, total: int, shown: int = MAX_ROWS) -> None:
    if total > shown:
        out.out.print(f"and {total - shown} more (use --json for everything)")


def _ts(value: datetime | None) -> str:
    return "" if value is None else f"{value:%Y-%m-%d %H:%M:%S}"


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value)
