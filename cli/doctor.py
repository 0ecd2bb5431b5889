"""`bgprobe doctor PACKAGE`: an app's standing on the phone in hand, and what would change it.

Read-only: it changes nothing on the phone (collectors/android/doctor.py refuses any command that is
not a read); its verdict names the `bgprobe state set …` or the settings screen that would.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from bgprobe.cli.console import Output, fold
from bgprobe.cli.options import AdbServers, Json, Serial, Timeout, Udid, Usbmux
from bgprobe.cli.targets import android_devices, ios_target, wants_ios, warn_pending_ios
from bgprobe.collectors.package_names import check_app_id, check_package_name

if TYPE_CHECKING:
    from bgprobe.reports.doctor import Standing, Verdict

MARKS = {"ok": "✓", "problem": "✗", "limit": "!", "check": "?", "unknown": "?", "n/a": "–"}
STYLES = {"problem": "red", "limit": "yellow", "check": "cyan", "unknown": "cyan", "ok": "green", "n/a": "dim"}
LEVEL_WORDS = {"problem": "holds it back", "check": "check by hand", "limit": "may delay it"}


def doctor(
    ctx: typer.Context,
    package: str = typer.Argument(..., help="Android package name (with --udid or --usbmux: the iOS bundle id)."),
    serial: Serial = None,
    adb_server: AdbServers = None,
    timeout: Timeout = None,
    json_out: Json = False,
    udid: Udid = None,
    usbmux: Usbmux = None,
    html: Path | None = typer.Option(
        None,
        "--html",
        metavar="FILE",
        help="Also write the reading and the verdict as one self-contained page to FILE.",
    ),
    redact: bool | None = typer.Option(
        None,
        "--redact/--no-redact",
        help="Remove personal data from what is written for sharing (--json, --html); default: on for --html.",
    ),
) -> None:
    """The app's standing on one phone (read-only) and the verdict: what holds its background work back."""
    from bgprobe.reports.doctor import redact_reading, verdict

    out: Output = ctx.obj
    if html is not None:  # said before the phone is read
        from bgprobe.cli.scan_verdict import check_html_path

        check_html_path(str(html))
    if wants_ios(udid, usbmux):
        check_app_id(package)
        standing = _ios(out, package, udid, usbmux, timeout)
    else:
        from bgprobe.collectors.android.doctor import app_standing

        check_package_name(package)
        (dev,) = android_devices(out, serial, adb_server, timeout, one=True)
        standing = app_standing(dev, package)
    result = verdict(standing)
    if html is not None:
        from bgprobe.cli.scan_verdict import write_html
        from bgprobe.reports.render_doctor_html import render_doctor_page

        shared = redact is not False  # a page is made to be attached to a ticket: redacted unless --no-redact
        st, v = redact_reading(standing, result) if shared else (standing, result)
        write_html(str(html), render_doctor_page(st, v, redacted=shared))
        out.err.print(f"written: {html}", markup=False, highlight=False)
    if redact:
        standing, result = redact_reading(standing, result)
    if json_out:
        payload = {"read_only": True, "standing": standing.to_dict(), "verdict": result.to_dict()}
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, default=str) + "\n")
        return
    render(out, standing, result)


def _ios(out: Output, bundle: str, udid: str | None, usbmux: str | None, timeout: float | None) -> Standing:
    from bgprobe.collectors.ios.doctor import ios_standing
    from bgprobe.collectors.ios.transport import IosError, run, select_udids

    target = ios_target(usbmux, udid, timeout)
    udids = run(select_udids(target))
    if len(udids) > 1:
        raise IosError(f"several iPhones are attached ({', '.join(udids)}): choose one with --udid")
    warn_pending_ios(out, udids)
    return run(ios_standing(target, udids[0], bundle))


# -- the terminal -------------------------------------------------------------------------------------
def render(out: Output, st: Standing, result: Verdict) -> None:
    con = out.out
    width = con.width

    def line(text: str = "", style: str | None = None) -> None:
        con.print(text, markup=False, highlight=False, crop=False, overflow="ignore", style=style)

    def para(text: str, indent: int = 0, first: str = "") -> None:
        lead = first or " " * indent
        for i, piece in enumerate(fold(text, max(20, width - indent))):
            line((lead if i == 0 else " " * indent) + piece)

    who = st.name if st.name and st.name != st.device else None
    line(f"{st.package} on {st.device}" + (f" ({who})" if who else ""), "bold")
    if st.platform == "android":
        system = f"Android {st.os_version or '?'}" + (f" (API {st.sdk})" if st.sdk else "")
        skin = st.skin or "maker skin: none found"
        para(f"{st.manufacturer or '?'} {st.model or ''} · {system} · {skin}".replace("  ", " "))
    else:
        para(
            f"Apple {st.model or ''} · iOS {st.os_version or '?'}"
            + (f" · app {st.app_version}" if st.app_version else "")
        )
    para(f"Read only: {len(st.commands)} reads; nothing on the phone was changed.")
    line()
    line("Standing", "bold")
    rows = [(f.label, f"{MARKS.get(f.status, '?')} {f.value}", f.status) for f in st.facts]
    key_width = min(max(len(r[0]) for r in rows), 24) if rows else 0
    for label, value, status in rows:
        lines = fold(value, max(20, width - key_width - 4))
        head = f"  {label:<{key_width}}  "
        if len(head) > key_width + 4:  # a label longer than the column: alone on its line
            line(f"  {label}")
            head = " " * (key_width + 4)
        con.print(head, end="", markup=False, highlight=False, crop=False)
        con.print(lines[0], style=STYLES.get(status), markup=False, highlight=False, crop=False)
        for more in lines[1:]:
            line(" " * (key_width + 4) + more)
    line()
    _deaths(out, st)
    _alarms(out, st)
    for note in st.notes:
        para(note, 2, "note: ")
    line()
    line("Settings that hold it back", "bold")
    para(result.settings_summary)
    for i, a in enumerate(result.settings, 1):
        head = f"{i}. "
        para(f"{LEVEL_WORDS.get(a.level, a.level)}: {a.finding}", len(head), head)
        if a.title:
            para(a.title, len(head))
        for step in a.change:
            para(step, len(head) + 4, " " * len(head) + "do: ")
    # What happened to the app and its jobs: the verdict `bgprobe scan -p` prints, of the same events
    from bgprobe.cli.scan_view import render_verdict

    render_verdict(out, result.shared)


def _deaths(out: Output, st: Standing) -> None:
    from bgprobe.reports.terminal_layout import print_fitting
    from rich.table import Table

    if not st.deaths:
        out.out.print(
            "No recent deaths of the app in exit-info or the log buffers."
            if st.platform == "android"
            else "No jetsam, watchdog or crash report of the app on the phone.",
            markup=False,
        )
        out.out.print()
        return
    shown = f"{len(st.deaths)} newest of {st.deaths_total}" if st.deaths_total > len(st.deaths) else str(len(st.deaths))
    table = Table(title=f"Recent deaths ({shown}, newest first)", title_justify="left")
    for col in ("when", "reason", "kind", "logged by"):
        table.add_column(col, overflow="fold")
    for d in st.deaths:
        table.add_row(d.ts or "?", d.reason, d.kind.replace("process_", ""), ", ".join(d.sources))
    print_fitting(out.out, table, key_columns=2)
    out.out.print()


def _alarms(out: Output, st: Standing) -> None:
    if st.alarms:
        out.out.print(f"{len(st.alarms)} alarm line(s) in `dumpsys alarm` name the app.", markup=False)
