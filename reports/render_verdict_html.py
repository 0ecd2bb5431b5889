"""`scan --html FILE`: one self-contained page for a support ticket — the verdict, then the summary tables.

Self-contained: no script, font, style or image from the network (a Content-Security-Policy forbids it, so
that even a URL in a log line cannot make the page reach out), and the one file says everything. It reads
on a laptop and on a phone: a viewport meta tag, text that wraps anywhere (package names, paths), tables
that scroll sideways inside their own box. The look is `render_html.py`'s (the reliability report), whose
module is not imported here: it needs pandas, which the scan path never loads.

Redacted by default (`--redact`, reports/redact.py): the page is made to be attached to a ticket. The
knowledge base's explanations are never personal and are printed as they are.

`verdict_section(verdict)` is the verdict alone, as an HTML fragment, for other pages that show one.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from bgprobe.reports.verdict import Verdict, evidence_words, finding_heading, job_heading

if TYPE_CHECKING:
    from bgprobe.reports.scan_summary import ScanSummary

ROW_LIMIT = 200  # rows per table: the page stays light; --json has every event
CSS = """
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;padding:16px 20px;color:#222;max-width:1240px}
h1{font-size:1.5em;margin:.2em 0 .4em}h2{font-size:1.15em;margin:1.5em 0 .4em}h3{font-size:1em;margin:1em 0 .2em}
p,li,dd,dt,td,th,code{overflow-wrap:anywhere}
.scope{display:flex;flex-wrap:wrap;gap:.3em 2em;margin:.4em 0}.scope dt{color:#666;font-size:.85em}
.scope dd{margin:0;font-weight:600}
.verdict{padding:.4em .8em;border-left:4px solid #888;background:#f3f3f3;font-weight:600}
.verdict.passed{border-color:#1e8449;background:#e9f7ef}.verdict.failed{border-color:#c0392b;background:#fdedec}
.finding{border-top:1px solid #ddd;margin-top:.8em}.what{color:#444}.facts{margin:.3em 0;color:#333}
.facts dt{font-weight:600;display:inline}.facts dd{display:inline;margin:0 0 0 .3em}.facts div{margin:.1em 0}
.todo li{margin:.25em 0}.why{color:#666;font-size:.9em}.note{color:#855}
.scroll{overflow-x:auto;margin:.5em 0 1.5em;max-width:100%}.scroll:focus-visible{outline:2px solid #2e86c1}
table{border-collapse:collapse;font-size:14px}th,td{border:1px solid #ccc;padding:3px 7px;vertical-align:top}
th{background:#f3f3f3;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.oem{color:#b00;font-weight:bold}footer{margin-top:2em;color:#666;font-size:.85em}
@media (max-width:600px){body{padding:10px 12px;font-size:14px}th,td{padding:2px 6px}}
"""


def esc(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M:%S}"
    return html.escape(str(value), quote=True)


def page(title: str, body: Sequence[str]) -> str:
    """The shell every bgprobe share page uses: head (charset, viewport, a policy that loads nothing), body."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        # Phones lay out a page without this 980 px wide and shrink it to a third.
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        # A strict policy: even a stray URL in device text cannot make the page reach the network.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        'img-src data:">',
        f"<title>{esc(title)}</title>",
        f"<style>{CSS}</style></head><body>",
        *body,
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def render_scan_page(
    verdict: Verdict | None,
    summary: ScanSummary,
    *,
    inputs: Sequence[str] = (),
    unrecognized: int = 0,
    redact: bool = True,
) -> str:
    """The page: what was read, the verdict, the summary tables. `redact`: personal data out of all of it."""
    if redact:
        from bgprobe.reports.redact import redact_summary, redact_text
        from bgprobe.reports.verdict import redact_verdict

        summary = redact_summary(summary)
        verdict = redact_verdict(verdict) if verdict is not None else None
        inputs = [redact_text(name) for name in inputs]
    package = verdict.package if verdict is not None else None
    title = f"bgprobe scan: {package}" if package else "bgprobe scan"
    span = f"{esc(summary.first)} → {esc(summary.last)}" if summary.first and summary.last else ""
    facts = {
        "inputs": ", ".join(inputs),
        "phone": verdict.device.describe()
        if verdict is not None and verdict.device.describe() != "unknown phone"
        else "",
        "maker from": verdict.device.how if verdict is not None and verdict.device.how else "",
        "time span": span,
        "events": f"{summary.events:,}" + (f" for {package}" if package else ""),
        "personal data": "removed (--redact)" if redact else "not removed (--no-redact)",
    }
    body = [
        f"<h1>{esc(title)}</h1>",
        '<dl class="scope" id="scope">'
        + "".join(
            f"<div><dt>{esc(k)}</dt><dd>{v if k == 'time span' else esc(v)}</dd></div>" for k, v in facts.items() if v
        )
        + "</dl>",
    ]
    if verdict is not None:
        body.append(verdict_section(verdict))
    body.append(summary_section(summary, package))
    if unrecognized:
        body.append(
            f'<p class="note">{unrecognized:,} line{"s" if unrecognized != 1 else ""} looked relevant but '
            f"{'were' if unrecognized != 1 else 'was'} not understood: <code>bgprobe scan --unrecognized</code> "
            "lists them.</p>"
        )
    body.append(
        "<footer>Written by <code>bgprobe scan</code>. "
        + (
            "Personal data (e-mail and IP addresses, phone numbers, IMEI/MEID, serials, Android IDs, accounts, MAC"
            " addresses, coordinates, URL query strings and tokens, user names in paths) was replaced by"
            " placeholders such as &lt;email&gt;; package names, pids, times and reasons are as logged."
            if redact
            else "Not redacted: this page may hold personal data from the logs."
        )
        + "</footer>"
    )
    return page(title, body)


def verdict_section(v: Verdict) -> str:
    """The verdict as an HTML fragment: headline, findings with evidence, jobs, what to do, notes."""
    state = "" if v.absent else "failed" if v.trouble else "passed"
    title = f"Verdict for {v.package}" if v.package else "Verdict: the most affected apps"
    parts = [
        f'<section id="verdict-section"><h2>{esc(title)}</h2>',
        f'<p class="verdict {state}" id="verdict">{esc(v.headline)}</p>',
    ]
    if v.affected:
        rows = [
            [
                a.package,
                a.deaths,
                a.by + (f" ({a.main_deaths})" if a.main_deaths != a.deaths else ""),
                a.anrs,
                a.job_timeouts,
                a.last,
            ]
            for a in v.affected
        ]
        parts.append(
            _table(
                "affected", "Most affected apps", ["app", "deaths", "mostly by", "ANRs", "job time-outs", "last"], rows
            )
        )
    if v.findings:
        parts.append('<h3 id="findings-title">What happened</h3>')
    for number, f in enumerate(v.findings, 1):
        facts = []
        if f.subject and f.kind == "death" and f.subject != v.package:
            facts.append(("process", f.subject))
        if f.components:
            facts.append(("logged by", ", ".join(f.components)))
        if f.evidence:
            facts.append(("evidence", evidence_words(f.evidence)))
        if f.entry_id:
            facts.append(("knowledge entry", f.entry_id))
        parts.append(
            f'<div class="finding" id="finding-{number}"><h3>{number}. {esc(finding_heading(f))}</h3>'
            + (f"<p><b>{esc(f.title)}</b></p>" if f.title else "")
            + (f'<p class="what">{esc(f.what)}</p>' if f.what else "")
            + '<dl class="facts">'
            + "".join(f"<div><dt>{esc(k)}:</dt><dd>{esc(val)}</dd></div>" for k, val in facts)
            + "</dl></div>"
        )
    if v.jobs:
        items = []
        for j in v.jobs:
            blockers = "".join(
                f"<li><b>{esc(b.name)}</b>: {esc(b.title)}</li>" for b in (j.blockers if j.waiting else [])
            )
            items.append(
                f"<li><b>{esc(job_heading(j))}</b>"
                + (f'<br><span class="what">{esc(j.state)}</span>' if j.state and (j.waiting or j.failures) else "")
                + (f"<ul>{blockers}</ul>" if blockers else "")
                + "</li>"
            )
        parts.append(f'<h3>Jobs</h3><ul id="jobs">{"".join(items)}</ul>')
    if v.todo:
        parts.append("<h3>What to do, most important first</h3>")
        for who, heading in (("user", "On the phone"), ("developer", "In the app (for its developer)")):
            actions = [a for a in v.todo if a.who == who]
            if actions:
                todo = "".join(f'<li>{esc(a.text)} <span class="why">(for {esc(a.why)})</span></li>' for a in actions)
                parts.append(f'<p><b>{esc(heading)}</b></p><ol class="todo" id="todo-{who}">{todo}</ol>')
    if v.notes:
        notes = "".join(f'<li class="note">{esc(n)}</li>' for n in v.notes)
        parts.append(f'<h3>Notes</h3><ul id="notes">{notes}</ul>')
    if v.looked_at and not v.absent:
        parts.append(f'<p class="why">Looked at: {esc(v.looked_at)}</p>')
    parts.append("</section>")
    return "\n".join(parts)


def summary_section(summary: ScanSummary, package: str | None) -> str:
    """The scan's summary tables, as the terminal shows them."""
    parts = ['<section id="summary"><h2>What the scan found</h2>']
    if summary.kinds:
        parts.append("<p>Events: " + esc(", ".join(f"{k} {n}" for k, n in summary.kinds)) + "</p>")
    if summary.devices:
        parts.append("<p>Device: " + esc("; ".join(summary.devices)) + "</p>")
    if summary.deaths_by_reason:
        rows = [[r.process, r.reason, r.deaths, r.sources, r.last] for r in summary.deaths_by_reason]
        parts.append(
            _table(
                "deaths",
                "Kills and deaths by process and reason",
                ["process", "reason", "deaths", "seen in", "last"],
                rows,
            )
        )
    if summary.anrs:
        rows = [[a.process, a.pid, a.detail, a.ts] for a in summary.anrs]
        parts.append(
            _table("anrs", f"ANRs ({summary.anr_count})", ["process", "pid", "what the system said", "when"], rows)
        )
    if summary.job_timeouts:
        rows = [[t.package, t.job, t.reason, t.count, t.last] for t in summary.job_timeouts]
        parts.append(_table("timeouts", "JobScheduler time-outs", ["package", "job", "reason", "count", "last"], rows))
    header, work_rows = summary.work_results
    if work_rows:
        parts.append(_table("work", "WorkManager results", [str(h) for h in header], work_rows))
    if summary.scheduled_jobs:
        rows = []
        for e in summary.scheduled_jobs:
            data = e.data or {}
            unsatisfied = data.get("unsatisfied_constraints") or []
            service = "WorkManager (SystemJobService)" if data.get("workmanager") else data.get("service") or ""
            rows.append(
                [
                    e.package,
                    e.job,
                    service,
                    data.get("standby_bucket") or "",
                    " ".join(unsatisfied) if isinstance(unsatisfied, list) else unsatisfied,
                    e.detail,
                ]
            )
        title = f"Scheduled jobs of {package}" if package else "Scheduled jobs"
        parts.append(
            _table("jobs", title, ["package", "job", "service", "bucket", "unsatisfied", "why it is not running"], rows)
        )
    if not summary.events:
        parts.append("<p>No kills, deaths, ANRs, job or WorkManager events.</p>")
    parts.append("</section>")
    return "\n".join(parts)


def _table(key: str, title: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body = []
    for row in rows[:ROW_LIMIT]:
        cells = []
        for value in row:
            if isinstance(value, int) and not isinstance(value, bool):
                cells.append(f'<td class="n">{value}</td>')  # no separator: pids and job ids are copied whole
            elif isinstance(value, str) and value.startswith("oem:"):
                cells.append(f'<td class="oem">{esc(value)}</td>')
            else:
                cells.append(f"<td>{esc(value) if value not in (None, '') else ''}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    more = (
        f'<p class="why">and {len(rows) - ROW_LIMIT:,} more (--json has every event)</p>'
        if len(rows) > ROW_LIMIT
        else ""
    )
    # A wide table scrolls inside its own box on a phone; the page keeps the screen's width.
    return (
        f'<h3 id="{key}-title">{esc(title)}</h3>'
        f'<div class="scroll" role="region" tabindex="0" aria-label="{esc(title)}">'
        f'<table id="table-{key}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>{more}'
    )
