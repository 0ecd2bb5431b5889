"""`doctor --html FILE`: one self-contained page for a support ticket — the phone, the app's standing on it,
the settings that hold it back with what changes each, and the verdict `scan --html` shows (its page shell
and its verdict section: reports/render_verdict_html.py, so both pages read alike).

The caller redacts first (reports.doctor.redact_reading, on by default for --html); the page says whether
it did. The knowledge base's explanations are never personal and are printed as they are.
"""

from __future__ import annotations

from bgprobe.reports.doctor import Standing, Verdict
from bgprobe.reports.render_verdict_html import esc, page, verdict_section

LEVELS = {"problem": "holds it back", "check": "check by hand", "limit": "may delay it"}


def render_doctor_page(standing: Standing, result: Verdict, *, redacted: bool) -> str:
    st = standing
    title = f"bgprobe doctor: {st.package}"
    if st.platform == "android":
        system = f"Android {st.os_version or '?'}" + (f" (API {st.sdk})" if st.sdk else "")
    else:
        system = f"iOS {st.os_version or '?'}"
    scope = {
        "phone": f"{st.manufacturer or ''} {st.model or ''}".strip()
        + f" ({st.device}"
        + (f", {st.name}" if st.name and st.name != st.device else "")
        + ")",
        "system": system + (f", {st.skin}" if st.skin else ""),
        "skin read from": st.skin_source,
        "app": st.package + (f" {st.app_version}" if st.app_version else ""),
        "read only": f"{len(st.commands)} reads; nothing on the phone was changed",
        "personal data": "removed (--redact)" if redacted else "not removed (--no-redact)",
    }
    body = [
        f"<h1>{esc(title)}</h1>",
        '<dl class="scope" id="scope">'
        + "".join(f"<div><dt>{esc(k)}</dt><dd>{esc(v)}</dd></div>" for k, v in scope.items() if v)
        + "</dl>",
        f'<p class="verdict {"failed" if result.settings else "passed"}" id="settings-verdict">'
        f"{esc(result.settings_summary)}</p>",
        _standing(st),
        _settings(result),
        _deaths(st),
        verdict_section(result.shared),
        "<footer>Written by <code>bgprobe doctor</code>, which only reads the phone. "
        + (
            "Personal data (the phone's serial and name, e-mail and IP addresses, phone numbers, accounts, tokens,"
            " user names in paths) was replaced by placeholders such as &lt;serial&gt;; package names, pids,"
            " times and reasons are as the phone showed them."
            if redacted
            else "Not redacted: this page may hold personal data from the phone."
        )
        + "</footer>",
    ]
    return page(title, body)


def _table(key: str, title: str, columns: list[str], rows: list[list[object]]) -> str:
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    cells = "".join(
        "<tr>" + "".join(f"<td>{esc(v) if v not in (None, '') else ''}</td>" for v in row) + "</tr>" for row in rows
    )
    # A wide table scrolls inside its own box on a phone; the page keeps the screen's width.
    return (
        f'<h2 id="{key}-title">{esc(title)}</h2>'
        f'<div class="scroll" role="region" tabindex="0" aria-label="{esc(title)}">'
        f'<table id="table-{key}"><thead><tr>{head}</tr></thead><tbody>{cells}</tbody></table></div>'
    )


def _standing(st: Standing) -> str:
    rows: list[list[object]] = [[f.label, f.value, f.status, f.source] for f in st.facts]
    return _table("standing", "Standing on this phone", ["setting", "now", "status", "read from"], rows)


def _settings(result: Verdict) -> str:
    if not result.settings:
        return ""
    items = []
    for number, a in enumerate(result.settings, 1):
        steps = "".join(f"<li>{esc(step)}</li>" for step in a.change)
        items.append(
            f'<div class="finding" id="setting-{number}"><h3>{number}. {esc(LEVELS.get(a.level, a.level))}: '
            f"{esc(a.finding)}</h3>"
            + (f"<p><b>{esc(a.title)}</b></p>" if a.title else "")
            + (f'<ol class="todo">{steps}</ol>' if steps else "")
            + (f'<p class="why">For the app\'s developer: {esc(a.developer)}</p>' if a.developer else "")
            + "</div>"
        )
    return (
        '<section id="settings"><h2>Settings that hold it back, and what changes them</h2>'
        + "".join(items)
        + "</section>"
    )


def _deaths(st: Standing) -> str:
    if not st.deaths:
        return ""
    rows: list[list[object]] = [[d.ts, d.reason, d.kind, ", ".join(d.sources), d.detail] for d in st.deaths]
    shown = f"{len(st.deaths)} newest of {st.deaths_total}" if st.deaths_total > len(st.deaths) else str(len(st.deaths))
    return _table("deaths", f"Recent deaths ({shown})", ["when", "reason", "kind", "logged by", "detail"], rows)
