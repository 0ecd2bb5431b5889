"""A Markdown summary for a CI job's summary page (GitHub's $GITHUB_STEP_SUMMARY and the like)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
from bgprobe.reports.render_tables import (
    TITLES,
    display_rows,
    duration,
    gate_verdict,
    label_columns,
    label_of,
    number,
    pct,
    rate_ci,
    report_scope,
)

if TYPE_CHECKING:
    from bgprobe.reports.metrics import Report
    from bgprobe.reports.results import Results

ROW_LIMIT = 10  # a CI summary is read at a glance: the worst rows of the long tables
SECTIONS = ("os", "manufacturer_os", "model", "condition", "task")


def render_markdown(report: Report, results: Results, *, gate: float | None = None) -> str:
    """`gate`: the --fail-under rate the caller checks (None: no gate), said in the header with its verdict."""
    lines = _header(report, results, gate)
    if report.has_attempts:
        o = report.overall.iloc[0]
        lines += [
            f"**Completion {rate_ci(o)}** of {number(o['task_runs'])} task runs · "
            f"{number(o['never_succeeded'])} never succeeded · retries mean {number(o['retries_mean'], 2)} "
            f"(p90 {number(o['retries_p90'], 1)}, max {number(o['retries_max'])}) · time to eventual success "
            f"p50 {duration(o['ttes_p50'])}, p90 {duration(o['ttes_p90'])}, p99 {duration(o['ttes_p99'])}",
            "",
            f"Not counted in rates: {number(o['inconclusive'])} inconclusive task run(s), "
            f"{number(o['device_lost'])} device-lost and {number(o['skipped'])} skipped attempt(s).",
            "",
        ]
    if report.comparison:
        lines += _comparison(report.comparison)
    for name in SECTIONS if report.has_attempts else ():
        table = report.tables.get(name)
        if table is None or table.empty:
            continue
        rows, hidden = display_rows(table, ROW_LIMIT)
        lines += [f"## {TITLES[name]}" + (f" (worst {ROW_LIMIT} of {len(table)})" if hidden else ""), ""]
        lines += _summary(rows)
    if not report.kills.empty:
        top = report.kills.groupby("reason")["attempts"].sum().sort_values(ascending=False).head(ROW_LIMIT)
        lines += ["## Kills by reason (attempts)", "", "| reason | attempts |", "|---|---:|"]
        lines += [f"| {_cell(r)} | {n:,} |" for r, n in top.items()] + [""]
    if not report.event_summary.empty:
        lines += ["## From events, per OS version", "", *_plain(report.event_summary)]
    if not report.deaths.empty:
        deaths = report.deaths.sort_values("deaths", ascending=False).head(ROW_LIMIT)
        lines += ["## Deaths by reason and source", "", *_plain(deaths)]
    notes = results.outcome.problems + report.notes
    if notes:
        lines += ["## Notes", ""] + [f"- {_cell(n)}" for n in notes] + [""]
    return "\n".join(lines).rstrip() + "\n"


def _header(report: Report, results: Results, gate: float | None) -> list[str]:
    """What the summary is about and whether it passed, first: a CI job's summary page often holds
    one of these per shard, read top-down."""
    scope = report_scope(results)
    verdict = gate_verdict(report, gate)
    about = ", ".join(scope.campaigns)
    if scope.shards:
        about += f" (shard {', '.join(scope.shards)})" if about else f"shard {', '.join(scope.shards)}"
    columns = {}  # campaign and shard when known (`scan --json` input has neither)
    if scope.campaigns:
        columns["campaign"] = ", ".join(scope.campaigns)
    if scope.shards:
        columns["shard"] = ", ".join(scope.shards)
    columns["gate"] = verdict.gate
    columns["verdict"] = f"{VERDICT_MARK[verdict.state]} {verdict.text}"
    inputs = f"{len(results.outcome.usable)} input(s)"
    if scope.runs:
        inputs += f" (run {', '.join(scope.runs)})"
    return [
        "# bgprobe reliability report" + (f": {_cell(about)}" if about else ""),
        "",
        "| " + " | ".join(columns) + " |",
        "|" + "---|" * len(columns),
        "| " + " | ".join(_cell(v) for v in columns.values()) + " |",
        "",
        f"{inputs} · {len(results.attempts):,} attempt(s) · {len(results.events):,} event(s)",
        "",
    ]


VERDICT_MARK = {"passed": "✅", "failed": "❌", "unchecked": "⚠️", "ungated": "ℹ️"}


def _summary(table: pd.DataFrame) -> list[str]:
    labels = label_columns(table)
    header = [*labels, "task runs", "completed [95% CI]", "never", "retries mean", "TTES p50", "TTES p90"]
    out = [
        "| " + " | ".join(h.replace("_", " ") for h in header) + " |",
        "|" + "---|" * len(labels) + "---:|" * (len(header) - len(labels)),
    ]
    for _, row in table.iterrows():
        cells = [_cell(row[c]) for c in labels] + [
            number(row["task_runs"]),
            rate_ci(row),
            number(row["never_succeeded"]),
            number(row["retries_mean"], 2),
            duration(row["ttes_p50"]),
            duration(row["ttes_p90"]),
        ]
        out.append("| " + " | ".join(cells) + " |")
    return [*out, ""]


def _comparison(comparison: dict[str, pd.DataFrame]) -> list[str]:
    lines = ["## Compared with the baseline", ""]
    overall = comparison.get("overall")
    if overall is not None and not overall.empty:
        row = overall.iloc[0]
        lines += [
            f"Overall: {pct(row['base_rate'])} → {pct(row['rate'])} "
            f"({_flag(row['change']) or 'no significant change'})",
            "",
        ]
    flagged = [(name, t[t["change"] != ""]) for name, t in comparison.items() if name != "overall"]
    flagged = [(name, t) for name, t in flagged if not t.empty]
    if not flagged:
        none = "No statistically significant change in any table (two-proportion test, BH-adjusted p < 0.05)."
        return [*lines, none, ""]
    lines += ["| table | cell | baseline | now | change | p (adj.) |", "|---|---|---:|---:|---|---:|"]
    for name, table in flagged:
        labels = [c for c in table.columns[: list(table.columns).index("base_task_runs")]]
        for _, row in table.head(ROW_LIMIT).iterrows():
            cell = label_of(row, labels)
            lines.append(
                f"| {TITLES.get(name, name)} | {cell} | {pct(row['base_rate'])} | {pct(row['rate'])} | "
                f"{_flag(row['change'])} | {number(row['p_adjusted'], 4)} |"
            )
    return [*lines, ""]


def _flag(change: str) -> str:
    return {"better": "✅ better", "worse": "❌ worse"}.get(change, "")


def _plain(table: pd.DataFrame) -> list[str]:
    out = ["| " + " | ".join(str(c).replace("_", " ") for c in table.columns) + " |", "|" + "---|" * len(table.columns)]
    out += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return [*out, ""]


def _cell(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "–"
    # A pipe would end the cell, a newline the table; < and > would become HTML on GitHub.
    text = str(value).replace("|", "\\|").replace("\n", " ").replace("<", "&lt;").replace(">", "&gt;")
    return text
