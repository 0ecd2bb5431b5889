"""The reliability report in a terminal: rich tables, the worst cells highlighted."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from bgprobe.reports.render_tables import (
    TITLES,
    display_rows,
    duration,
    label_columns,
    label_of,
    number,
    pct,
    rate_ci,
)
from bgprobe.reports.terminal_layout import print_fitting

if TYPE_CHECKING:
    from bgprobe.reports.metrics import Report
    from bgprobe.reports.results import Results
    from rich.console import Console
    from rich.table import Table

ROW_LIMIT = 15  # long tables (200 models) show their worst rows; --format csv has them all
SHOWN = ("os", "manufacturer", "model", "condition", "task", "manufacturer_os")


def render_report(console: Console, report: Report, results: Results) -> None:
    """`console`: the rich console to print on (reports never import the CLI: it hands its console over)."""
    inputs = len(results.outcome.usable)
    # Prose lines in a CI log are left to the log viewer to wrap: no break in the middle of a sentence.
    soft = not console.is_terminal
    console.print(
        f"[bold]bgprobe report[/bold]: {inputs} input(s), {len(results.attempts):,} attempt(s), "
        f"{len(results.events):,} event(s)",
        soft_wrap=soft,
    )
    if report.has_attempts:
        overall = report.overall.iloc[0]
        console.print(
            f"Completion: [bold]{rate_ci(overall)}[/bold] of {number(overall['task_runs'])} task runs "
            f"({number(overall['never_succeeded'])} never succeeded; {number(overall['inconclusive'])} inconclusive, "
            f"{number(overall['device_lost'])} device-lost and {number(overall['skipped'])} skipped attempts "
            f"not counted) · retries mean {number(overall['retries_mean'], 2)} · time to success "
            f"p50 {duration(overall['ttes_p50'])} p90 {duration(overall['ttes_p90'])}",
            soft_wrap=soft,
        )
        for name in SHOWN:
            if name in report.tables:
                table = report.tables[name]
                grid = _summary_table(table, TITLES[name], float(overall["rate"]))
                print_fitting(console, grid, key_columns=1)
        for title, table in (
            ("Kills (attempts killed, by reason)", report.kills),
            ("Stops (attempts stopped by the system, by reason)", report.stops),
            ("Not started (attempts the OS never ran, by what held them)", report.not_started),
        ):
            if not table.empty:
                print_fitting(console, _plain_table(table, title), key_columns=_label_count(table))
    if not report.event_summary.empty:
        events_title = "From events: deaths, ANRs, job time-outs per OS version"
        print_fitting(
            console, _plain_table(report.event_summary, events_title), key_columns=_label_count(report.event_summary)
        )
    if not report.deaths.empty:
        deaths = report.deaths.sort_values("deaths", ascending=False)
        print_fitting(console, _plain_table(deaths, "Deaths by reason and source"), key_columns=_label_count(deaths))
    if report.comparison:
        _render_comparison(console, report.comparison)
    for note in report.notes:
        console.print(f"[yellow]note:[/yellow] {_escape(note)}", soft_wrap=soft)


def _summary_table(table: pd.DataFrame, title: str, overall_rate: float) -> Table:
    from rich.table import Table

    rows, hidden = display_rows(table, ROW_LIMIT)
    labels = label_columns(table)
    caption = f"{hidden} more row(s) not shown (worst first; all rows: --format csv)" if hidden else None
    grid = Table(title=title, caption=caption, title_justify="left")
    # One name per group ("Xiaomi · Android 14"), and the versions only where they say more than the major
    grid.add_column(" / ".join(c.replace("_", " ") for c in labels if c != "platform"))
    show_versions = "versions" in table.columns and any(
        str(v) != str(m) for v, m in zip(rows["versions"], rows.get("os_major", rows["versions"]), strict=True)
    )
    if show_versions:
        grid.add_column("versions")
    for header in (
        "task runs",
        "completed [95% CI]",
        "never",
        "retries mean/p90/max",
        "TTES p50/p90/p99",
        "killed",
        "stopped",
        "timeout",
        "dev lost",
    ):
        grid.add_column(header, justify="right")
    lowest = rows["rate"].min()
    slowest = rows["ttes_p90"].max()
    for _, row in rows.iterrows():
        rate = rate_ci(row)
        # Worst cells: the lowest rate in bold red; any rate whose whole interval is below the overall in red.
        if not np.isnan(row["rate"]) and row["rate"] == lowest and len(rows) > 1:
            rate = f"[bold red]{rate}[/bold red]"
        elif not np.isnan(row["ci_high"]) and row["ci_high"] < overall_rate:
            rate = f"[red]{rate}[/red]"
        ttes = f"{duration(row['ttes_p50'])}/{duration(row['ttes_p90'])}/{duration(row['ttes_p99'])}"
        if row["ttes_p90"] == slowest and len(rows) > 1:
            ttes = f"[yellow]{ttes}[/yellow]"
        cells = [_escape(label_of(row, labels))]
        if show_versions:
            cells.append(_escape(row["versions"]))
        cells += [
            number(row["task_runs"]),
            rate,
            number(row["never_succeeded"]),
            f"{number(row['retries_mean'], 2)}/{number(row['retries_p90'], 1)}/{number(row['retries_max'])}",
            ttes,
            number(row["killed"]),
            number(row["stopped"]),
            number(row["timeout"]),
            number(row["device_lost"]),
        ]
        grid.add_row(*cells)
    return grid


def _label_count(table: pd.DataFrame) -> int:
    """The leading text columns of a table: together they name a row."""
    count = 0
    for column in table.columns:
        if table[column].dtype.kind in "iuf":
            break
        count += 1
    return max(count, 1)


def _plain_table(table: pd.DataFrame, title: str, limit: int = ROW_LIMIT) -> Table:
    from rich.table import Table

    grid = Table(
        title=title, title_justify="left", caption=f"{len(table) - limit} more row(s)" if len(table) > limit else None
    )
    for column in table.columns:
        grid.add_column(str(column).replace("_", " "), justify="right" if table[column].dtype.kind in "iuf" else "left")
    for row in table.head(limit).itertuples(index=False):
        grid.add_row(*(_escape(v) for v in row))
    return grid


def render_comparison(console: Console, comparison: dict[str, pd.DataFrame]) -> None:
    """Only the `--compare` tables (the demo's before/after)."""
    _render_comparison(console, comparison)


def _render_comparison(console: Console, comparison: dict[str, pd.DataFrame]) -> None:
    from rich.table import Table

    for name in ("overall", *SHOWN):
        table = comparison.get(name)
        if table is None:
            continue
        labels = [c for c in table.columns[: list(table.columns).index("base_task_runs")]]
        flagged = table[table["change"] != ""]
        rows = table if len(table) <= ROW_LIMIT else flagged.head(ROW_LIMIT)
        grid = Table(
            title=f"Compared with the baseline: {TITLES.get(name, name)}",
            title_justify="left",
            caption=None if rows is table else f"{len(flagged)} significant change(s) of {len(table)} rows",
        )
        for column in labels:
            grid.add_column(column.replace("_", " "))
        for header in ("baseline", "now", "Δ", "p (adj.)", "change", "TTES p50 base→now"):
            grid.add_column(header, justify="right")
        for _, row in rows.iterrows():
            change = {"better": "[green]better[/green]", "worse": "[bold red]worse[/bold red]"}.get(row["change"], "")
            grid.add_row(
                *[_escape(row[c]) for c in labels],
                f"{pct(row['base_rate'])} ({number(row['base_task_runs'])})",
                f"{pct(row['rate'])} ({number(row['task_runs'])})",
                _delta(row["delta"]),
                number(row["p_adjusted"], 3),
                change,
                f"{duration(row['base_ttes_p50'])}→{duration(row['ttes_p50'])}",
            )
        print_fitting(console, grid, key_columns=len(labels))


def _delta(value: object) -> str:
    if value is None or pd.isna(value):
        return "–"
    return f"{float(value) * 100:+.1f} pt"  # type: ignore[arg-type]  # a number from a frame: pandas is untyped here


def _escape(value: object) -> str:
    from rich.markup import escape

    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:g}"
    return escape(str(value))
