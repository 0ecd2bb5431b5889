"""Terminal rendering of `bgprobe scan`: figures come from reports.scan_summary, layout only here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bgprobe.cli.console import Output
from bgprobe.collectors.scan import ScanOutcome
from bgprobe.reports.events import Event
from bgprobe.reports.scan_summary import AnrRow, DeathRow, ScanSummary
from bgprobe.reports.terminal_layout import print_fitting
from bgprobe.reports.verdict import Verdict
from rich.table import Table

MAX_ROWS = 25


def render_scan(
    out: Output,
    summary: ScanSummary,
    outcome: ScanOutcome,
    package: str | None,
    verdict: Verdict | None = None,
    *,
    redact: bool = False,
) -> None:
    """The summary tables, then the verdict (`-p`) or the most affected apps. `redact`: personal data out
    of both (`--redact`: what is printed is meant to be pasted into a ticket)."""
    if redact:
        from bgprobe.reports.redact import redact_summary
        from bgprobe.reports.verdict import redact_verdict

        summary = redact_summary(summary)
        verdict = redact_verdict(verdict) if verdict is not None else None
    console = out.out
    n_inputs = len(outcome.usable)
    console.print(
        f"[bold]bgprobe scan[/bold]: {n_inputs} input(s) read, {summary.events} event(s)"
        + (f" for {package}" if package else "")
    )
    if not summary.events:
        if verdict is not None and verdict.package is not None:
            # Not "no kills found": that reads as an all-clear for an app the input never mentions.
            render_verdict(out, verdict)
        else:
            console.print("No kills, deaths, ANRs, job or WorkManager events found.")
        _unrecognized(out, outcome.unrecognized)
        return
    if summary.devices:
        console.print("Device: " + "; ".join(summary.devices))
    if summary.first is not None and summary.last is not None:
        console.print(f"Time span: {_ts(summary.first)} → {_ts(summary.last)}")
    console.print("Events: " + ", ".join(f"{k} {v}" for k, v in summary.kinds))

    maker = verdict.device.maker if verdict is not None else None
    _deaths_table(out, summary.deaths_by_reason, summary.death_rows, summary.oem_reasons, maker)
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
    if verdict is not None:
        render_verdict(out, verdict)
    _unrecognized(out, outcome.unrecognized)


def _unrecognized(out: Output, count: int) -> None:
    """What bgprobe could not read, so that nobody takes silence for "nothing happened"."""
    if count == 1:
        out.out.print("1 line looked relevant but was not understood: --unrecognized lists it")
    elif count:
        out.out.print(f"{count} lines looked relevant but were not understood: --unrecognized lists them")


def _deaths_table(out: Output, rows: list[DeathRow], total: int, oem: bool, maker: str | None = None) -> None:
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
        from bgprobe.reports.verdict import display_maker

        who = f"{display_maker(maker)}'s own" if maker else "a manufacturer's"
        out.out.print(f"[red]oem:[/red] reasons are not AOSP's: {who} background killer acted.")


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


# -- the verdict (issue 14) ---------------------------------------------------------------------------
def render_verdict(out: Output, v: Verdict) -> None:
    """The verdict as prose: headline, findings with their evidence, jobs, what to do, notes. Wrapped at the
    terminal's width with hanging indents; in a CI log or a pipe, one line per item (the viewer wraps)."""
    from bgprobe.reports.verdict import evidence_words, finding_heading, job_heading

    console = out.out
    console.print()
    title = f"Verdict for {v.package}" if v.package else "Verdict: the most affected apps"
    _say(out, title, style="bold")
    if not v.absent and (v.device.maker or v.device.model or v.device.os_version):
        _say(out, f"Phone: {v.device.describe()}" + (f" (maker: {v.device.how})" if v.device.how else ""))
    _say(out, v.headline, style="bold red" if v.trouble or v.absent else "bold green")
    if v.affected:
        _affected_table(out, v)
    for number, f in enumerate(v.findings, 1):
        _say(out, f"{number}. {finding_heading(f)}", indent=0, style="bold")
        if f.subject and f.kind == "death" and f.subject != v.package:
            _say(out, f"process: {f.subject}", indent=3)
        if f.title:
            _say(out, f.title, indent=3)
        if f.what:
            _say(out, f.what, indent=3, style="dim")
        if f.components:
            _say(out, "logged by: " + ", ".join(f.components), indent=3)
        if f.evidence:
            _say(out, "evidence: " + evidence_words(f.evidence), indent=3, path=True)
    if v.jobs:
        _say(out, "Jobs", style="bold")
        for j in v.jobs:
            _say(out, job_heading(j), indent=2)
            if j.state and (j.waiting or j.failures):
                _say(out, j.state, indent=4, style="dim")
            for b in j.blockers if j.waiting else []:
                _say(out, f"{b.name}: {b.title}", indent=4)
    if v.todo:
        _say(out, "What to do, most important first", style="bold")
        for who, heading in (("user", "On the phone"), ("developer", "In the app (for its developer)")):
            actions = [a for a in v.todo if a.who == who]
            if actions:
                _say(out, heading + ":", indent=2)
            for number, action in enumerate(actions, 1):
                _say(out, f"{number}. {action.text} (for {action.why})", indent=4)
    if v.notes:
        _say(out, "Notes", style="bold")
        for note in v.notes:
            _say(out, f"- {note}", indent=2)
    if v.looked_at and not v.absent:
        _say(out, f"Looked at: {v.looked_at}", style="dim")


def _say(out: Output, text: str, *, indent: int = 0, style: str | None = None, path: bool = False) -> None:
    """`path`: the text is file:line evidence, broken only after a separator (`/`, `!`, `:`), never inside
    a file name's date or a line number."""
    from rich.padding import Padding
    from rich.text import Text

    console = out.out
    if not console.is_terminal:  # a CI log viewer wraps long lines itself: no break mid-sentence
        console.print(" " * indent + text, style=style, soft_wrap=True, markup=False, highlight=False)
        return
    if path:
        from bgprobe.cli.console import fold

        for line in fold(text, console.width - indent, separators="/!:,"):
            console.print(" " * indent + line, style=style, markup=False, highlight=False, overflow="fold")
        return
    console.print(Padding(Text(text, style=style or "", overflow="fold"), (0, 0, 0, indent)))


def _affected_table(out: Output, v: Verdict) -> None:
    table = Table(title="Most affected apps", title_justify="left")
    for col in ("app", "deaths", "mostly by", "ANRs", "job time-outs", "last"):
        numeric = col in ("deaths", "ANRs", "job time-outs")
        table.add_column(col, justify="right" if numeric else "left", overflow="fold")
    for a in v.affected:
        mostly = f"{a.by} ({a.main_deaths})" if a.by and a.main_deaths != a.deaths else a.by
        table.add_row(a.package, str(a.deaths), mostly, str(a.anrs or ""), str(a.job_timeouts or ""), _ts(a.last))
    print_fitting(out.out, table, key_columns=1)
