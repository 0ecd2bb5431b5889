"""`bgprobe scan PATH...`: kill and job events from bugreports, logcat and dumpsys files."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from enum import StrEnum
from typing import TYPE_CHECKING

import typer
from bgprobe.cli.console import Output
from bgprobe.collectors.errors import EXIT_GATE, EXIT_OK, EXIT_USAGE
from bgprobe.collectors.package_names import check_app_id
from bgprobe.reports.events import DEATH_KINDS, Kind

if TYPE_CHECKING:
    from bgprobe.reports.events import Event


class FailOn(StrEnum):
    kill = "kill"  # any death: killed, died, crashed
    anr = "anr"
    crash = "crash"
    timeout = "timeout"  # a JobScheduler time-out
    work_failure = "work-failure"  # a WorkManager FAILURE result


_FAIL_KINDS: dict[FailOn, frozenset[str]] = {
    FailOn.kill: DEATH_KINDS,
    FailOn.anr: frozenset({Kind.ANR}),
    FailOn.crash: frozenset({Kind.CRASH}),
    FailOn.timeout: frozenset({Kind.JOB_TIMEOUT}),
}


def scan(
    ctx: typer.Context,
    paths: list[str] = typer.Argument(
        ..., help="Bugreport zip/txt, logcat or dumpsys files, .gz, directories; - for stdin."
    ),
    package: str | None = typer.Option(None, "--package", "-p", help="Only this app's events, and its jobs."),
    json_lines: bool = typer.Option(False, "--json", help="One JSON object per event on stdout."),
    fail_on: list[FailOn] = typer.Option([], "--fail-on", help="Exit 1 when such an event is found (repeatable)."),
    unrecognized: bool = typer.Option(
        False,
        "--unrecognized",
        help="Instead of events, list (file:line: text) the lines that looked relevant — kills, deaths, jobs, "
        "work, makers' power managers — but that no rule read. With --json: one JSON object per line.",
    ),
    html: str | None = typer.Option(
        None,
        "--html",
        metavar="FILE",
        help="Also write one self-contained page for a ticket: the verdict and the summary tables "
        "(redacted unless --no-redact).",
    ),
    redact: bool | None = typer.Option(
        None,
        "--redact/--no-redact",
        help="Remove personal data (e-mail and IP addresses, phone numbers, IMEI, serials, accounts, places, "
        "tokens, user names in paths) from what is written for sharing; package names, pids, times and reasons "
        "stay. Default: on for --html, off for --json and the terminal.",
    ),
    maker: str | None = typer.Option(
        None,
        "--maker",
        metavar="NAME",
        help="The phone's maker, and skin version if known ('Xiaomi MIUI 14', 'Samsung One UI 6'), when the "
        "input does not name it (a bugreport's Build fingerprint does): the verdict then explains that maker's "
        "killers and settings.",
    ),
) -> None:
    """Find kills, deaths, ANRs, job time-outs and WorkManager results in files, and why jobs do not run."""
    from bgprobe.collectors.scan import ScanOutcome, scan_paths

    out: Output = ctx.obj
    if package is not None:
        check_app_id(package)
    if html is not None:
        from bgprobe.cli.scan_verdict import check_html_path

        check_html_path(html, unrecognized=unrecognized)
    if "-" in paths and sys.stdin.isatty():  # otherwise the terminal just waits, without a word
        out.err.print(
            "Reading a log from standard input: paste it, then press Ctrl-D on a line of its own "
            "(Ctrl-Z then Enter on Windows).",
            markup=False,
            highlight=False,
        )
    outcome = ScanOutcome()
    if unrecognized:
        # Streamed as the scan meets them, like events: nothing is kept.
        outcome.on_unrecognized = _print_unrecognized_json if json_lines else _print_unrecognized
        if redact:
            from bgprobe.cli.scan_verdict import redacted

            outcome.on_unrecognized = redacted(outcome.on_unrecognized)
    tap = None
    # `--json` of every app, without a page or redaction, shows no verdict: no tap (a busy log's events
    # each cost it as much as their JSON line).
    if not unrecognized and not (json_lines and package is None and html is None and not redact):
        # The verdict (issue 14): the tap sees every app's events (names for "did you mean", makers' killers),
        # hands on the app's as the scan always selected them, and redacts --json when asked.
        from bgprobe.cli.scan_verdict import ScanTap

        tap = ScanTap(package, summarize=html is not None and json_lines, redact_events=json_lines and bool(redact))
    gate_hits = 0
    summarizer = None
    if not json_lines and not unrecognized:
        # The summary is aggregated as events stream in: no event is kept, whatever the input's size.
        from bgprobe.reports.scan_summary import ScanSummarizer

        summarizer = ScanSummarizer()
    events = scan_paths(paths, outcome, package=package if tap is None else None)
    if tap is not None:
        events = tap.wrap(events)
    if json_lines and not unrecognized:
        gate_hits = _write_json_lines(events, fail_on)
    else:
        for event in events:
            if fail_on and _matches_gate(event, fail_on):
                gate_hits += 1
            if unrecognized:
                continue
            summarizer.add(event)  # type: ignore[union-attr]  # made whenever --json is not given
    for problem in outcome.problems:
        out.problem(problem.message)
    for warning in outcome.warnings:
        out.problem(f"warning: {warning}")
    if not outcome.usable:
        raise typer.Exit(EXIT_USAGE)
    aggregated = summarizer if summarizer is not None else tap.summarizer if tap is not None else None
    summary = aggregated.summary() if aggregated is not None else None
    verdict = tap.finish(paths, outcome, summary, maker) if tap is not None else None
    if summarizer is not None and summary is not None:
        from bgprobe.cli.scan_view import render_scan

        render_scan(out, summary, outcome, package, verdict, redact=bool(redact))
    elif verdict is not None and verdict.absent:
        out.problem(f"note: {verdict.headline}")  # stdout holds the (no) events: said where a person reads it
    if html is not None and summary is not None:
        from bgprobe.cli.scan_verdict import write_html
        from bgprobe.reports.render_verdict_html import render_scan_page

        page = render_scan_page(
            verdict, summary, inputs=outcome.usable, unrecognized=outcome.unrecognized, redact=redact is not False
        )
        write_html(html, page)
    if gate_hits:
        if not json_lines:
            out.err.print(f"--fail-on: {gate_hits} matching event(s)")
        raise typer.Exit(EXIT_GATE)
    raise typer.Exit(EXIT_OK)


_BATCH = 256  # JSON lines written at once to a pipe or file (a terminal gets each as it comes)


def _write_json_lines(events: Iterator[Event], fail_on: list[FailOn]) -> int:
    """Writes each event as a JSON line; returns how many match a --fail-on gate. Lines go out in
    batches unless stdout is a terminal: one write per event cost a tenth of a busy log's scan."""
    out = sys.stdout
    write = out.write
    gate_hits = 0
    if out.isatty():
        for event in events:
            if fail_on and _matches_gate(event, fail_on):
                gate_hits += 1
            write(event.to_json() + "\n")
        return gate_hits
    lines: list[str] = []
    try:
        for event in events:
            if fail_on and _matches_gate(event, fail_on):
                gate_hits += 1
            lines.append(event.to_json())
            if len(lines) >= _BATCH:
                lines.append("")
                batch = "\n".join(lines)
                lines.clear()
                write(batch)
    finally:  # the events found before an error are written
        if lines:
            lines.append("")
            write("\n".join(lines))
    return gate_hits


def _print_unrecognized(where: str, text: str) -> None:
    sys.stdout.write(f"{where}: {text}\n")


def _print_unrecognized_json(where: str, text: str) -> None:
    import json

    sys.stdout.write(json.dumps({"where": where, "unrecognized": text}, ensure_ascii=False) + "\n")


def _matches_gate(event: Event, fail_on: list[FailOn]) -> bool:
    for gate in fail_on:
        if gate is FailOn.work_failure:
            if event.kind == Kind.WORK_RESULT and event.reason == "failure":
                return True
        elif event.kind in _FAIL_KINDS[gate]:
            return True
    return False
