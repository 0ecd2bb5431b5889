"""One self-contained HTML page: the tables and inline SVG charts; no script, font or style from the network."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from bgprobe.reports.metrics import Report
    from bgprobe.reports.results import Results

ROW_LIMIT = 50
SECTIONS = ("os", "os_version", "manufacturer", "model", "condition", "task", "manufacturer_os", "device")
CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;max-width:1200px}
table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{border:1px solid #ccc;padding:3px 8px}
th{background:#f3f3f3;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
td.bad{background:#fdd;font-weight:bold}td.low{background:#fee}
td.better{color:#070}td.worse{color:#b00;font-weight:bold}
.chart{margin:1em 0 2em}.note{color:#855}svg text{font:11px sans-serif}
"""


def esc(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "–"
    return html.escape(str(value), quote=True)


def render_html(report: Report, results: Results) -> str:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        # A strict policy: even a stray URL in device text cannot make the page reach the network.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        'img-src data:">',
        "<title>bgprobe reliability report</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>bgprobe reliability report</h1>",
        f"<p>{len(results.outcome.usable)} input(s) · {len(results.attempts):,} attempt(s) · "
        f"{len(results.events):,} event(s)</p>",
    ]
    if report.has_attempts:
        o = report.overall.iloc[0]
        parts.append(
            f'<p id="overall"><b>Completion {esc(rate_ci(o))}</b> of {number(o["task_runs"])} task runs · '
            f"{number(o['never_succeeded'])} never succeeded · {number(o['inconclusive'])} inconclusive · "
            f"{number(o['device_lost'])} device-lost attempts (not counted) · retries mean "
            f"{number(o['retries_mean'], 2)} · time to success p50 {duration(o['ttes_p50'])}, "
            f"p90 {duration(o['ttes_p90'])}, p99 {duration(o['ttes_p99'])}</p>"
        )
        parts.append(_success_chart(report.tables["os"]))
        parts.append(_ttes_chart(report.ttes_hist))
    kills = _kill_counts(report)
    if not kills.empty:
        parts.append(_bar_chart("chart-kills", "Kills by reason", kills.index.tolist(), kills.tolist(), "#c0392b"))
    if report.comparison:
        parts.append(_comparison(report.comparison))
    for name in SECTIONS if report.has_attempts else ():
        table = report.tables.get(name)
        if table is not None and not table.empty:
            parts.append(_summary_table(name, table, float(report.overall["rate"].iloc[0])))
    for title, table, key in (
        ("Kills (attempts, by reason)", report.kills, "kills"),
        ("Stops (attempts, by reason)", report.stops, "stops"),
        ("From events, per OS version", report.event_summary, "events"),
        ("Deaths by reason and source (events)", report.deaths, "deaths"),
        ("Job stops and time-outs (events)", report.job_stops, "job-stops"),
    ):
        if not table.empty:
            parts.append(f"<h2>{esc(title)}</h2>" + _plain_table(table, f"table-{key}"))
    notes = results.outcome.problems + report.notes
    if notes:
        items = "".join(f'<li class="note">{esc(n)}</li>' for n in notes)
        parts.append(f'<h2>Notes</h2><ul id="notes">{items}</ul>')
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _summary_table(name: str, table: pd.DataFrame, overall_rate: float) -> str:
    rows, hidden = display_rows(table, ROW_LIMIT)
    labels = label_columns(table)
    extra = ["versions"] if "versions" in table.columns else []
    head = [
        *labels,
        *extra,
        "task runs",
        "completed [95% CI]",
        "never",
        "inconclusive",
        "device lost",
        "retries mean",
        "retries p90",
        "retries max",
        "TTES p50",
        "TTES p90",
        "TTES p99",
        "killed",
        "stopped",
    ]
    out = [
        f"<h2>{esc(TITLES[name])}</h2>",
        f"<p>worst {ROW_LIMIT} of {len(table)} rows</p>" if hidden else "",
        f'<table id="table-{name}" class="summary"><thead><tr>'
        + "".join(f"<th>{esc(h.replace('_', ' '))}</th>" for h in head)
        + "</tr></thead><tbody>",
    ]
    lowest = rows["rate"].min()
    for _, row in rows.iterrows():
        cls = "bad" if row["rate"] == lowest and len(rows) > 1 else ("low" if row["ci_high"] < overall_rate else "")
        cells = [f"<td>{esc(row[c])}</td>" for c in [*labels, *extra]]
        cells.append(f'<td class="n">{number(row["task_runs"])}</td>')
        cells.append(f'<td class="n {cls}">{esc(rate_ci(row))}</td>')
        cells += [f'<td class="n">{number(row[c])}</td>' for c in ("never_succeeded", "inconclusive", "device_lost")]
        cells += [
            f'<td class="n">{number(row["retries_mean"], 2)}</td>',
            f'<td class="n">{number(row["retries_p90"], 1)}</td>',
            f'<td class="n">{number(row["retries_max"])}</td>',
        ]
        cells += [f'<td class="n">{duration(row[c])}</td>' for c in ("ttes_p50", "ttes_p90", "ttes_p99")]
        cells += [f'<td class="n">{number(row[c])}</td>' for c in ("killed", "stopped")]
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def _plain_table(table: pd.DataFrame, table_id: str) -> str:
    head = "".join(f"<th>{esc(str(c).replace('_', ' '))}</th>" for c in table.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{esc(v)}</td>" for v in row) + "</tr>"
        for row in table.head(ROW_LIMIT).itertuples(index=False)
    )
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _comparison(comparison: dict[str, pd.DataFrame]) -> str:
    out = [
        '<h2>Compared with the baseline</h2><table id="table-compare"><thead><tr><th>table</th><th>cell</th>'
        "<th>baseline</th><th>now</th><th>Δ</th><th>p (adj.)</th><th>change</th></tr></thead><tbody>"
    ]
    for name, table in comparison.items():
        labels = [c for c in table.columns[: list(table.columns).index("base_task_runs")]]
        shown = table if len(table) <= 20 else table[table["change"] != ""]
        for _, row in shown.iterrows():
            delta = "–" if pd.isna(row["delta"]) else f"{row['delta'] * 100:+.1f} pt"
            out.append(
                f"<tr><td>{esc(TITLES.get(name, name))}</td><td>{esc(label_of(row, labels))}</td>"
                f'<td class="n">{pct(row["base_rate"])} ({number(row["base_task_runs"])})</td>'
                f'<td class="n">{pct(row["rate"])} ({number(row["task_runs"])})</td><td class="n">{delta}</td>'
                f'<td class="n">{number(row["p_adjusted"], 4)}</td>'
                f'<td class="{esc(row["change"])}">{esc(row["change"])}</td></tr>'
            )
    out.append("</tbody></table>")
    return "\n".join(out)


def _kill_counts(report: Report) -> pd.Series:
    if not report.kills.empty:
        return report.kills.groupby("reason")["attempts"].sum().sort_values(ascending=False).head(15)
    if not report.deaths.empty:
        return report.deaths.groupby("reason")["deaths"].sum().sort_values(ascending=False).head(15)
    return pd.Series(dtype=float)


# ---------------------------------------------------------------- inline SVG charts


def _success_chart(table: pd.DataFrame) -> str:
    """Completion rate per OS major with its Wilson interval as a whisker."""
    width, height, left, bottom = 760, 240, 40, 30
    n = max(len(table), 1)
    step = (width - left) / n
    bars = []
    for i, row in enumerate(table.itertuples(index=False)):
        rate = 0.0 if pd.isna(row.rate) else float(row.rate)
        x = left + i * step + step * 0.15
        h = rate * (height - bottom - 10)
        y = height - bottom - h
        low = height - bottom - (0 if pd.isna(row.ci_low) else row.ci_low) * (height - bottom - 10)
        high = height - bottom - (0 if pd.isna(row.ci_high) else row.ci_high) * (height - bottom - 10)
        cx = x + step * 0.35
        bars.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{step * 0.7:.1f}" height="{h:.1f}" fill="#2e86c1">'
            f"<title>{esc(_os_label(row))}: {pct(row.rate)} of {row.task_runs}</title></rect>"
            f'<line x1="{cx:.1f}" x2="{cx:.1f}" y1="{low:.1f}" y2="{high:.1f}" stroke="#000"/>'
            f'<text x="{cx:.1f}" y="{height - bottom + 14}" text-anchor="middle">{esc(_os_label(row))}</text>'
        )
    ys = {f: height - bottom - f * (height - bottom - 10) for f in (0, 0.25, 0.5, 0.75, 1.0)}
    axis = "".join(
        f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">{int(f * 100)}%</text>'
        f'<line x1="{left}" x2="{width}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eee"/>'
        for f, y in ys.items()
    )
    return (
        f'<div class="chart"><h2>Completion by OS version</h2><svg id="chart-success-by-os" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">{axis}{"".join(bars)}</svg></div>'
    )


def _ttes_chart(hist: pd.DataFrame) -> str:
    labels = hist["bin"].tolist()
    values = hist["task_runs"].tolist()
    return _bar_chart(
        "chart-ttes",
        "Time to eventual success (task runs; 'never' = never succeeded)",
        labels,
        values,
        "#27ae60",
        highlight="never",
    )


def _bar_chart(chart_id: str, title: str, labels: list, values: list, colour: str, highlight: str | None = None) -> str:
    """Horizontal bars: labels of any length stay readable."""
    row_h, left, width = 20, 180, 760
    height = row_h * max(len(values), 1) + 10
    top = max([float(v) for v in values] + [1.0])
    bars = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        w = (width - left - 60) * float(value) / top
        y = 5 + i * row_h
        fill = "#7f8c8d" if label == highlight else colour
        bars.append(
            f'<text x="{left - 6}" y="{y + 14}" text-anchor="end">{esc(str(label)[:30])}</text>'
            f'<rect class="bar" x="{left}" y="{y + 2}" width="{w:.1f}" height="{row_h - 4}" fill="{fill}">'
            f"<title>{esc(label)}: {int(value):,}</title></rect>"
            f'<text x="{left + w + 4:.1f}" y="{y + 14}">{int(value):,}</text>'
        )
    return (
        f'<div class="chart"><h2>{esc(title)}</h2><svg id="{esc(chart_id)}" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}">{"".join(bars)}</svg></div>'
    )


def _os_label(row: object) -> str:
    """`Android 14` / `iOS 17` (the platform keeps Android 15 and iOS 15 apart)."""
    platform = str(getattr(row, "platform", "") or "")
    name = {"android": "Android", "ios": "iOS"}.get(platform, platform)
    return f"{name} {row.os_major}".strip()  # type: ignore[attr-defined]
