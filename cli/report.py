"""`bgprobe report RESULTS...`: the reliability report of results directories or `scan --json` output."""

from __future__ import annotations

import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from bgprobe.cli.console import Output
from bgprobe.cli.options import FailUnder
from bgprobe.collectors.errors import EXIT_GATE, EXIT_OK, EXIT_USAGE, BgprobeError

if TYPE_CHECKING:
    from bgprobe.reports.metrics import Report
    from bgprobe.reports.results import Results


class Format(StrEnum):
    terminal = "terminal"
    html = "html"
    md = "md"
    junit = "junit"
    csv = "csv"
    parquet = "parquet"
    json = "json"


MULTI_FILE = {Format.csv, Format.parquet}  # one file per table: -o names a directory


def report(
    ctx: typer.Context,
    results: list[str] = typer.Argument(
        ..., help="Results directories (shards merge), scan --json files or directories."
    ),
    format: Format = typer.Option(Format.terminal, "--format", "-f", help="Output format."),
    output: str | None = typer.Option(
        None,
        "-o",
        "--output",
        help="File (html, md, junit) or directory (csv, parquet, "
        "json); default: standard output where that makes sense.",
    ),
    compare: str | None = typer.Option(
        None,
        "--compare",
        help="A previous results directory: changes side by side, flagged when statistically significant.",
    ),
    fail_under: FailUnder = None,
) -> None:
    """Completion, retries, time to success, kills and stops per OS version, manufacturer, model, condition, task."""
    out: Output = ctx.obj
    gate = fail_under
    if format in MULTI_FILE and output is None:
        raise BgprobeError(f"--format {format.value} writes one file per table: give a directory with -o DIR")
    if output is not None and format is not Format.terminal:
        _check_output(format, output)  # before minutes of loading, not after

    from bgprobe.reports.metrics import build_report, overall_rate
    from bgprobe.reports.metrics import compare as compare_reports
    from bgprobe.reports.results import REPORT_COLUMNS, load_results

    # Raw-attempt exports need every column; the figures a few (a third of the memory at 1M attempts).
    loaded = load_results(results, columns=None if format in (*MULTI_FILE, Format.json) else REPORT_COLUMNS)
    if not loaded.usable:  # one line that says why: what could not be read, or that nothing was there
        reasons = [*loaded.outcome.problems, *loaded.outcome.warnings]
        raise BgprobeError(
            "nothing usable to report on: "
            + ("; ".join(reasons) if reasons else "no attempts and no events in " + ", ".join(results))
        )
    baseline = None
    if compare is not None:  # before anything is said about RESULTS: a bad baseline is the one line
        baseline = load_results([compare], columns=REPORT_COLUMNS)
        if not baseline.has_attempts:
            reasons = [*baseline.outcome.problems, *baseline.outcome.warnings] or [f"{compare}: no attempts"]
            raise BgprobeError("--compare: nothing to compare with: " + "; ".join(reasons))
        if not loaded.has_attempts:
            raise BgprobeError("--compare: RESULTS have no attempts to compare (only events)")
    for problem in loaded.outcome.problems:
        out.problem(problem)
    for warning in loaded.outcome.warnings:
        out.problem(f"warning: {warning}")
    if format is not Format.terminal:  # the terminal report prints its notes itself
        for note in loaded.outcome.notes:
            out.problem(f"note: {note}")
    built = build_report(loaded.attempts, loaded.events, loaded.outcome.notes)
    if baseline is not None:
        for problem in baseline.outcome.problems:
            out.problem(f"baseline: {problem}")
        for warning in baseline.outcome.warnings:
            out.problem(f"baseline: warning: {warning}")
        built.comparison = compare_reports(built, build_report(baseline.attempts, baseline.events))

    _emit(out, format, output, built, loaded, gate)

    if gate is not None:
        rate = overall_rate(built)
        if rate is None:
            out.problem("--fail-under: no decided task run, so no completion rate to check")
            raise typer.Exit(EXIT_USAGE)
        if rate < gate:
            out.problem(f"--fail-under: completion {rate * 100:.1f}% is below {gate * 100:.1f}%")
            raise typer.Exit(EXIT_GATE)
    raise typer.Exit(EXIT_OK)


def _emit(out: Output, fmt: Format, output: str | None, built: Report, loaded: Results, gate: float | None) -> None:
    from bgprobe.reports import render_tables

    if fmt is Format.terminal:
        from bgprobe.reports.render_terminal import render_report

        render_report(out.out, built, loaded)
        return
    if fmt in MULTI_FILE or (fmt is Format.json and output is not None):
        assert output is not None  # report() refused CSV and Parquet without -o before reading anything
        try:
            written = render_tables.write_tables(built, loaded, fmt.value, Path(output))
        except OSError as exc:
            raise _write_error(output, exc) from exc
        out.err.print(f"wrote {len(written)} file(s) to {output}")
        return
    if fmt is Format.json:
        for text in render_tables.json_lines(built, loaded):
            sys.stdout.write(text)
        return
    render: Callable[..., str]
    if fmt is Format.html:
        from bgprobe.reports.render_html import render_html as render
    elif fmt is Format.md:
        from bgprobe.reports.render_markdown import render_markdown as render
    else:
        from bgprobe.reports.render_junit import render_junit as render
    # HTML and Markdown say the gate and its verdict in their header.
    text = render(built, loaded) if fmt is Format.junit else render(built, loaded, gate=gate)
    if output is None:
        sys.stdout.write(text)
    else:
        from bgprobe.reports.results import write_atomic

        try:
            write_atomic(Path(output), text.encode("utf-8"))
        except OSError as exc:
            raise _write_error(output, exc) from exc


def _check_output(fmt: Format, output: str) -> None:
    """-o names a file (html, md, junit) in an existing directory, or a directory (tables) that is
    one or can be made one. Said before the report is computed."""
    path = Path(output)
    if fmt in MULTI_FILE or fmt is Format.json:
        if path.exists() and not path.is_dir():
            raise BgprobeError(f"-o {output}: not a directory (--format {fmt.value} writes one file per table into it)")
        existing = next((p for p in path.parents if p.exists()), Path("."))
        if not existing.is_dir():
            raise BgprobeError(f"-o {output}: {existing} is a file, not a directory")
        return
    if path.is_dir():
        raise BgprobeError(f"-o {output}: a directory; --format {fmt.value} writes one file: give a file name")
    parent = path.parent
    if not parent.exists():
        raise BgprobeError(f"-o {output}: directory {parent} does not exist (create it first)")
    if not parent.is_dir():
        raise BgprobeError(f"-o {output}: {parent} is a file, not a directory")


def _write_error(output: str, exc: OSError) -> BgprobeError:
    return BgprobeError(f"-o {output}: cannot write there ({exc.strerror or exc}): choose another -o")


__all__ = ["Format", "report"]
