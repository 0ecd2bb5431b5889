"""One self-contained HTML page: the tables and inline SVG charts; no script, font or style from the network.

It reads on a laptop and on a phone: a viewport meta tag (without it a phone lays the page out
980 px wide and shrinks it), charts that take their container's width, tables that scroll
sideways inside their own box instead of widening the page, and every figure printed as text.
"""

from __future__ import annotations

import html
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

ROW_LIMIT = 50
SECTIONS = ("os", "os_version", "manufacturer", "model", "condition", "task", "manufacturer_os", "device")
CSS = """
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;padding:16px 20px;color:#222;max-width:1240px}
h1{font-size:1.5em;margin:.2em 0 .4em}h2{font-size:1.15em;margin:1.5em 0 .4em}
p,li,dd{overflow-wrap:anywhere}
.scope{display:flex;flex-wrap:wrap;gap:.3em 2em;margin:.4em 0}.scope dt{color:#666;font-size:.85em}
.scope dd{margin:0;font-weight:600}
.verdict{padding:.4em .8em;border-left:4px solid #888;background:#f3f3f3;font-weight:600}
.verdict.passed{border-color:#1e8449;background:#e9f7ef}.verdict.failed{border-color:#c0392b;background:#fdedec}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,380px),1fr));gap:0 40px}
.chart{margin:0 0 1em;min-width:0}.chart>svg{display:block;width:100%;overflow:visible}
svg text{font:12px system-ui,sans-serif;fill:#222}svg text.value{font-weight:600}svg text.axis{fill:#666;font-size:11px}
svg.halo text{paint-order:stroke;stroke:#fff;stroke-width:4px;stroke-linejoin:round}
.legend{font-size:13px;color:#444;margin:.3em 0 0}.legend svg{display:inline;vertical-align:middle;margin-right:.3em}
.scroll{overflow-x:auto;margin:.5em 0 1.5em;max-width:100%}.scroll:focus-visible{outline:2px solid #2e86c1}
table{border-collapse:collapse;font-size:14px}th,td{border:1px solid #ccc;padding:3px 7px}
th{background:#f3f3f3;text-align:left;vertical-align:bottom}td.n{text-align:right;font-variant-numeric:tabular-nums}
td.n,td.rate{white-space:nowrap}td.bad{background:#fdd;font-weight:bold}td.low{background:#fee}
table.summary tbody th{position:sticky;left:0;background:#fff;font-weight:normal;box-shadow:1px 0 0 #ccc}
td.better{color:#070}td.worse{color:#b00;font-weight:bold}.note{color:#855}
@media (max-width:600px){body{padding:10px 12px;font-size:14px}th,td{padding:2px 6px}}
"""


def esc(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "–"
    return html.escape(str(value), quote=True)


def render_html(report: Report, results: Results, *, gate: float | None = None) -> str:
    """`gate`: the --fail-under rate the caller checks (None: no gate), shown with its verdict."""
    scope = report_scope(results)
    verdict = gate_verdict(report, gate)
    about = ", ".join(scope.campaigns) + (f" (shard {', '.join(scope.shards)})" if scope.shards else "")
    facts = {"campaign": ", ".join(scope.campaigns), "shard": ", ".join(scope.shards), "gate": verdict.gate}
    inputs = f"{len(results.outcome.usable)} input(s)" + (f" (run {', '.join(scope.runs)})" if scope.runs else "")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        # Phones lay out a page without this 980 px wide and shrink it to a third.
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        # A strict policy: even a stray URL in device text cannot make the page reach the network.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        'img-src data:">',
        f"<title>bgprobe reliability report{': ' + esc(about.strip()) if about.strip() else ''}</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>bgprobe reliability report</h1>",
        '<dl class="scope" id="scope">'
        + "".join(f"<div><dt>{k}</dt><dd>{esc(v)}</dd></div>" for k, v in facts.items() if v)
        + "</dl>",
        # The box's colour says passed or failed; no emoji (a machine without an emoji font shows a box).
        f'<p class="verdict {verdict.state}" id="verdict">{esc(verdict.text)}</p>',
        f"<p>{esc(inputs)} · {len(results.attempts):,} attempt(s) · {len(results.events):,} event(s)</p>",
    ]
    overall_rate = None
    charts = []
    if report.has_attempts:
        o = report.overall.iloc[0]
        overall_rate = None if pd.isna(o["rate"]) else float(o["rate"])
        parts.append(
            f'<p id="overall"><b>Completion {esc(rate_ci(o))}</b> of {number(o["task_runs"])} task runs · '
            f"{number(o['never_succeeded'])} never succeeded · {number(o['inconclusive'])} inconclusive · "
            f"{number(o['device_lost'])} device-lost attempts (not counted) · retries mean "
            f"{number(o['retries_mean'], 2)} · time to success p50 {duration(o['ttes_p50'])}, "
            f"p90 {duration(o['ttes_p90'])}, p99 {duration(o['ttes_p99'])}</p>"
        )
        charts.append(_success_chart(report.tables["os"], overall_rate))
        charts.append(_ttes_chart(report.ttes_hist))
    kills = _kill_counts(report)
    if not kills.empty:
        charts.append(
            _bar_chart("chart-kills", "Kills by reason", kills.index.tolist(), kills.tolist(), "#f5b7b1", "attempts")
        )
    if charts:
        parts.append('<div class="charts">' + "".join(charts) + "</div>")
    if report.comparison:
        parts.append(_comparison(report.comparison))
    for name in SECTIONS if report.has_attempts else ():
        table = report.tables.get(name)
        if table is not None and not table.empty:
            parts.append(_summary_table(name, table, overall_rate if overall_rate is not None else float("nan")))
    for title, table, key in (
        ("Kills (attempts, by reason)", report.kills, "kills"),
        ("Stops (attempts, by reason)", report.stops, "stops"),
        ("Not started (attempts, by what held them)", report.not_started, "not-started"),
        ("From events, per OS version", report.event_summary, "events"),
        ("Deaths by reason and source (events)", report.deaths, "deaths"),
        ("Job stops and time-outs (events)", report.job_stops, "job-stops"),
    ):
        if not table.empty:
            parts.append(f"<h2>{esc(title)}</h2>" + _plain_table(table, f"table-{key}", title))
    notes = results.outcome.problems + report.notes
    if notes:
        items = "".join(f'<li class="note">{esc(n)}</li>' for n in notes)
        parts.append(f'<h2>Notes</h2><ul id="notes">{items}</ul>')
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _scroll(table: str, label: str) -> str:
    """A wide table scrolls inside its own box on a phone; the page keeps the screen's width.
    Focusable so that the box can be scrolled from the keyboard."""
    return f'<div class="scroll" role="region" tabindex="0" aria-label="{esc(label)}">{table}</div>'


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
        f'<div class="scroll" role="region" tabindex="0" aria-label="{esc(TITLES[name])}">'
        f'<table id="table-{name}" class="summary"><thead><tr>'
        + "".join(f"<th>{esc(h.replace('_', ' '))}</th>" for h in head)
        + "</tr></thead><tbody>",
    ]
    lowest = rows["rate"].min()
    for _, row in rows.iterrows():
        cls = "bad" if row["rate"] == lowest and len(rows) > 1 else ("low" if row["ci_high"] < overall_rate else "")
        # The first label is a row header: it stays in view while a phone scrolls the figures sideways.
        cells = [
            f'<th scope="row">{esc(row[c])}</th>' if i == 0 else f"<td>{esc(row[c])}</td>"
            for i, c in enumerate([*labels, *extra])
        ]
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
    out.append("</tbody></table></div>")
    return "\n".join(out)


def _plain_table(table: pd.DataFrame, table_id: str, label: str) -> str:
    head = "".join(f"<th>{esc(str(c).replace('_', ' '))}</th>" for c in table.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{esc(v)}</td>" for v in row) + "</tr>"
        for row in table.head(ROW_LIMIT).itertuples(index=False)
    )
    return _scroll(f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>', label)


def _comparison(comparison: dict[str, pd.DataFrame]) -> str:
    out = [
        '<h2>Compared with the baseline</h2><div class="scroll" role="region" tabindex="0" '
        'aria-label="Compared with the baseline"><table id="table-compare"><thead><tr><th>table</th><th>cell</th>'
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
    out.append("</tbody></table></div>")
    return "\n".join(out)


def _kill_counts(report: Report) -> pd.Series:
    if not report.kills.empty:
        return report.kills.groupby("reason")["attempts"].sum().sort_values(ascending=False).head(15)
    if not report.deaths.empty:
        return report.deaths.groupby("reason")["deaths"].sum().sort_values(ascending=False).head(15)
    return pd.Series(dtype=float)


# ---------------------------------------------------------------- inline SVG charts
# Geometry in percent of the chart's width, text in CSS pixels: a chart is as wide as its column
# on a laptop or a phone, and its text stays 12 px (a viewBox would scale the text with the
# drawing: a 760-unit chart on a 390 px phone prints 5 px labels). Every value is printed as text.

ROW = 46  # completion chart: a line of text, then the bar with its interval
BAR_ROW = 26  # count charts: one line, the label over a pale bar, the value at the right end
LABEL_CHARS = 44


def _success_chart(table: pd.DataFrame, overall: float | None) -> str:
    """Completion per OS major: a bar, its Wilson interval as a whisker, the rate and interval as text."""
    top = 22  # the axis labels
    height = top + ROW * max(len(table), 1)
    grid, rows = [], []
    for f in (0, 0.25, 0.5, 0.75, 1.0):
        anchor = "start" if f == 0 else "end" if f == 1 else "middle"
        grid.append(
            f'<text class="axis" x="{f:.0%}" y="12" text-anchor="{anchor}">{f:.0%}</text>'
            f'<line x1="{f:.0%}" x2="{f:.0%}" y1="{top - 4}" y2="{height}" stroke="#e3e8ec"/>'
        )
    if overall is not None:
        grid.append(
            f'<line class="overall" x1="{overall:.2%}" x2="{overall:.2%}" y1="{top - 4}" y2="{height}" '
            'stroke="#555" stroke-dasharray="4 3"/>'
        )
    for i, row in enumerate(table.itertuples(index=False)):
        y = top + i * ROW
        label = _os_label(row)
        decided = not pd.isna(row.rate)
        value = f"{rate_ci(pd.Series(row._asdict()))} of {number(row.task_runs)}" if decided else "no decided task run"
        parts = [
            f"<title>{esc(label)}: {esc(value)}</title>",
            f'<text x="0" y="{y + 14}">{esc(label)}</text>',
            f'<text class="value" x="100%" y="{y + 14}" text-anchor="end">{esc(value)}</text>',
            f'<rect x="0" y="{y + 20}" width="100%" height="14" fill="#eef2f5"/>',
        ]
        if decided:
            low, high = float(row.ci_low), float(row.ci_high)
            parts.append(
                f'<rect class="bar" x="0" y="{y + 20}" width="{float(row.rate):.2%}" height="14" fill="#2e86c1"/>'
                f'<line class="ci" x1="{low:.2%}" x2="{high:.2%}" y1="{y + 27}" y2="{y + 27}" stroke="#111" '
                'stroke-width="1.5"/>'
                + "".join(
                    f'<line class="ci" x1="{x:.2%}" x2="{x:.2%}" y1="{y + 21}" y2="{y + 33}" stroke="#111" '
                    'stroke-width="1.5"/>'
                    for x in (low, high)
                )
            )
        rows.append("<g>" + "".join(parts) + "</g>")
    legend = (
        '<p class="legend" id="legend-interval"><svg width="46" height="14" aria-hidden="true">'
        '<rect x="0" y="0" width="30" height="14" fill="#2e86c1"/>'
        '<line x1="20" x2="40" y1="7" y2="7" stroke="#111" stroke-width="1.5"/>'
        '<line x1="20" x2="20" y1="1" y2="13" stroke="#111" stroke-width="1.5"/>'
        '<line x1="40" x2="40" y1="1" y2="13" stroke="#111" stroke-width="1.5"/></svg>'
        "Bar: completion, completed ÷ decided task runs. Whisker: its 95% Wilson score interval, the range "
        "the true rate plausibly lies in given that many runs (wide when there are few; the tables' "
        "[low–high]). "
        '<svg width="14" height="14" aria-hidden="true"><line x1="7" x2="7" y1="0" y2="14" stroke="#555" '
        'stroke-dasharray="4 3"/></svg>Dashed: the overall completion.</p>'
    )
    return (
        '<figure class="chart"><h2>Completion by OS version</h2>'
        # halo: a white outline under each glyph keeps the text clear of the grid lines that cross it.
        f'<svg id="chart-success-by-os" class="halo" role="img" aria-label="Completion by OS version" '
        f'height="{height}">'
        f"{''.join(grid)}{''.join(rows)}</svg>{legend}</figure>"
    )


def _ttes_chart(hist: pd.DataFrame) -> str:
    labels = hist["bin"].tolist()
    values = hist["task_runs"].tolist()
    return _bar_chart(
        "chart-ttes",
        "Time to eventual success (task runs; 'never' = never succeeded)",
        labels,
        values,
        "#abebc6",
        "task runs",
        highlight="never",
    )


def _bar_chart(
    chart_id: str,
    title: str,
    labels: list[str],
    values: list[float],
    colour: str,
    unit: str,
    highlight: str | None = None,
) -> str:
    """Horizontal bars, one line each: the label over a pale bar (dark text stays legible on it) and
    the count at the right end, so labels of any length and any number of rows fit any width."""
    height = BAR_ROW * max(len(values), 1)
    top = max([float(v) for v in values] + [1.0])
    rows = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = i * BAR_ROW
        text = str(label)
        short = text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"
        fill = "#d5d8dc" if label == highlight else colour
        rows.append(
            f"<g><title>{esc(text)}: {int(value):,} {esc(unit)}</title>"
            f'<rect class="bar" x="0" y="{y + 2}" width="{float(value) / top:.2%}" height="{BAR_ROW - 4}" '
            f'fill="{fill}"/>'
            f'<text x="6" y="{y + 17}">{esc(short)}</text>'
            f'<text class="value" x="100%" dx="-6" y="{y + 17}" text-anchor="end">{int(value):,}</text></g>'
        )
    return (
        f'<figure class="chart"><h2>{esc(title)}</h2><svg id="{esc(chart_id)}" role="img" '
        f'aria-label="{esc(title)}" height="{height}">{"".join(rows)}</svg></figure>'
    )


def _os_label(row: object) -> str:
    """`Android 14` / `iOS 17` (the platform keeps Android 15 and iOS 15 apart)."""
    platform = str(getattr(row, "platform", "") or "")
    name = {"android": "Android", "ios": "iOS"}.get(platform, platform)
    return f"{name} {row.os_major}".strip()  # type: ignore[attr-defined]  # an itertuples row
