"""`bgprobe scan PATH...`: kill and job events from bugreports, logcat and dumpsys files."""

from __future__ import annotations

import sys
from enum import StrEnum

import typer
from bgprobe.cli.console import Output
from bgprobe.collectors.errors import EXIT_GATE, EXIT_OK, EXIT_USAGE
from bgprobe.collectors.package_names import check_app_id


class FailOn(StrEnum):
    kill = "kill"  # any death: killed, died, crashed
    anr = "anr"
    crash = "crash"
    timeout = "timeout"  # a JobScheduler time-out
    work_failure = "work-failure"  # a WorkManager FAILURE result


_FAIL_KINDS = {
    FailOn.kill: {"process_killed", "process_died", "crash"},
    FailOn.anr: {"anr"},
    FailOn.crash: {"crash"},
    FailOn.timeout: {"job_timeout"},
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
) -> None:
    """Find kills, deaths, ANRs, job time-outs and WorkManager results in files, and why jobs do not run."""
    from bgprobe.collectors.scan import ScanOutcome, scan_paths

    out: Output = ctx.obj
    if package is not None:
        check_app_id(package)
    outcome = ScanOutcome()
    if unrecognized:
        # Streamed as the scan meets them, like events: nothing is kept.
        outcome.on_unrecognized = _print_unrecognized_json if json_lines else _print_unrecognized
    gate_hits = 0
    summarizer = None
    if not json_lines and not unrecognized:
        # The summary is aggregated as events stream in: no event is kept, whatever the input's size.
        from bgprobe.reports.scan_summary import ScanSummarizer

        summarizer = ScanSummarizer()
    for event in scan_paths(paths, outcome, package=package):
        if _matches_gate(event, fail_on):
            gate_hits += 1
        if unrecognized:
            continue
        if summarizer is None:
            sys.stdout.write(event.to_json() + "\n")
        else:
            summarizer.add(event)
    for problem in outcome.problems:
        out.problem(problem.message)
    for warning in outcome.warnings:
        out.problem(f"warning: {warning}")
    if not outcome.usable:
        raise typer.Exit(EXIT_USAGE)
    if summarizer is not None:
        from bgprobe.cli.scan_view import render_scan

        render_scan(out, summarizer.summary(), outcome, package)
    if gate_hits:
        if not json_lines:
            out.err.print(f"--fail-on: {gate_hits} matching event(s)")
        raise typer.Exit(EXIT_GATE)
    raise typer.Exit(EXIT_OK)


def _print_unrecognized(where: str, text: str) -> None:
    sys.stdout.write(f"{where}: {text}\n")


def _print_unrecognized_json(where: str, text: str) -> None:
    import json

    sys.stdout.write(json.dumps({"where": where, "unrecognized": text}, ensure_ascii=False) + "\n")


def _matches_gate(event: object, fail_on: list[FailOn]) -> bool:
    for gate in fail_on:
        if gate is FailOn.work_failure:
            if event.kind == "work_result" and event.reason == "failure":  # type: ignore[attr-defined]
                return True
        elif event.kind in _FAIL_KINDS[gate]:  # type: ignore[attr-defined]
            return True
    return False
