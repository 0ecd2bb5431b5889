"""The report's tables as files (CSV, Parquet, JSON lines), the formatting every renderer shares,
and `write_run_outputs`, which the campaign runner calls at the end of a run."""

from __future__ import annotations

import io
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from bgprobe.reports.metrics import Report
    from bgprobe.reports.results import Results

# Display names of the summary tables, in the order the renderers show them.
TITLES = {
    "os": "By OS version (major)",
    "os_version": "By full OS version",
    "manufacturer": "By manufacturer",
    "model": "By model",
    "condition": "By condition",
    "task": "By task",
    "manufacturer_os": "By manufacturer × OS version",
    "condition_os": "By condition × OS version",
    "device": "By device",
}


# ---------------------------------------------------------------- formatting (terminal, md, html)


def pct(value: object) -> str:
    return "–" if _missing(value) else f"{float(value) * 100:.1f}%"  # type: ignore[arg-type]  # a frame cell


def rate_ci(row: pd.Series) -> str:
    if _missing(row["rate"]):
        return "–"
    return f"{pct(row['rate'])} [{pct(row['ci_low'])[:-1]}–{pct(row['ci_high'])}]"


def duration(seconds: object) -> str:
    if _missing(seconds):
        return "–"
    s = float(seconds)  # type: ignore[arg-type]  # a frame cell: a number once not missing
    if s < 60:
        return f"{s:.1f}s"
    if s < 3600:
        return f"{s / 60:.1f}m"
    return f"{s / 3600:.1f}h"


def number(value: object, digits: int = 0) -> str:
    if _missing(value):
        return "–"
    return f"{float(value):.{digits}f}" if digits else f"{int(value):,}"  # type: ignore[arg-type, call-overload]  # a frame cell: pandas is untyped here


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def label_columns(table: pd.DataFrame) -> list[str]:
    """The grouping columns of a summary table (everything before `task_runs`, minus `versions`)."""
    columns = list(table.columns)
    return [c for c in columns[: columns.index("task_runs")] if c != "versions"]


def label_of(row: pd.Series, columns: list[str]) -> str:
    """`Xiaomi · Android 14`: platform and OS major read as one name."""
    parts = []
    for c in columns:
        if c == "platform" and "os_major" in columns:
            continue
        if _missing(row[c]):
            parts.append("?")
        elif c == "os_major" and "platform" in columns and not _missing(row["platform"]):
            parts.append(f"{PLATFORM_NAMES.get(str(row['platform']), str(row['platform']))} {row[c]}")
        else:
            parts.append(str(row[c]))
    return " · ".join(parts)


PLATFORM_NAMES = {"android": "Android", "ios": "iOS"}


def display_rows(table: pd.DataFrame, limit: int | None) -> tuple[pd.DataFrame, int]:
    """Every row when few; else the `limit` worst (lowest upper bound of the rate first) and how many were left out."""
    if limit is None or len(table) <= limit:
        return table, 0
    worst = table.sort_values(["ci_high", "rate", "task_runs"], ascending=[True, True, False], na_position="last")
    return worst.head(limit), len(table) - limit


# ---------------------------------------------------------------- exports


def export_tables(report: Report, results: Results) -> Iterator[tuple[str, pd.DataFrame]]:
    """(name, table) of everything a spreadsheet or a notebook wants, the raw attempts last."""
    if not report.overall.empty:
        yield "overall", report.overall
    yield from report.tables.items()
    for name in ("kills", "stops", "not_started", "outcomes", "deaths", "event_summary", "job_stops", "ttes_hist"):
        table = getattr(report, name)
        if not table.empty:
            yield name, table
    for name, table in (report.comparison or {}).items():
        yield f"compare_{name}", table
    if not results.attempts.empty:
        yield "attempts", results.attempts
    if not results.events.empty:
        yield "events", _events_for_export(results.events)


def _events_for_export(events: pd.DataFrame) -> pd.DataFrame:
    # `data` holds dicts of varying shape: JSON text keeps Parquet/CSV schemas flat and stable.
    return events.assign(data=events["data"].map(lambda d: json.dumps(d, default=str) if isinstance(d, dict) else d))


SUFFIX = {"csv": "csv", "parquet": "parquet", "json": "jsonl"}


def write_tables(report: Report, results: Results, fmt: str, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in export_tables(report, results):
        path = directory / f"{name}.{SUFFIX[fmt]}"
        plain = _plain(table)
        if fmt == "csv":
            plain.to_csv(path, index=False)
        elif fmt == "parquet":
            plain.to_parquet(path, index=False)
        else:
            path.write_text(_jsonl(plain), encoding="utf-8")
        written.append(path)
    return written


def json_lines(report: Report, results: Results) -> Iterator[str]:
    """Every table as JSON lines on one stream: each object names its `table`."""
    for name, table in export_tables(report, results):
        text = _jsonl(_plain(table).assign(table=name))
        if text:
            yield text


def _plain(table: pd.DataFrame) -> pd.DataFrame:
    # Categoricals and masked ints export fine; only the index must go.
    return table.reset_index(drop=True)


def _jsonl(table: pd.DataFrame) -> str:
    if table.empty:
        return ""
    buffer = io.StringIO()
    table.to_json(buffer, orient="records", lines=True, date_format="iso", force_ascii=False)
    text = buffer.getvalue()
    return text if text.endswith("\n") else text + "\n"


# ---------------------------------------------------------------- end of a campaign run


def write_run_outputs(results_dir: Path, gate: float | None = None) -> tuple[Report, Results]:
    """Into a results directory: junit.xml, report.html, summary.md and the Parquet files.

    `gate`: the run's --fail-under, for the verdict that heads summary.md and report.html.

    Reads the append-only .jsonl (the truth after a resume), writes attempts/events/devices.parquet
    (what later reports read fastest) and the report tables under report/. Each file is replaced
    atomically, so a CI job collecting artifacts never reads half a file.
    """
    from bgprobe.reports.metrics import build_report
    from bgprobe.reports.render_html import render_html
    from bgprobe.reports.render_junit import render_junit
    from bgprobe.reports.render_markdown import render_markdown
    from bgprobe.reports.results import load_results, write_atomic

    results_dir = Path(results_dir)
    results = load_results([results_dir], prefer_jsonl=True)
    report = build_report(results.attempts, results.events, results.outcome.notes)
    write_atomic(results_dir / "junit.xml", render_junit(report, results).encode("utf-8"))
    write_atomic(results_dir / "report.html", render_html(report, results, gate=gate).encode("utf-8"))
    write_atomic(results_dir / "summary.md", render_markdown(report, results, gate=gate).encode("utf-8"))
    for name, table in (
        ("attempts", results.attempts),
        ("events", _events_for_export(results.events)),
        ("devices", results.devices),
    ):
        if not table.empty:
            buffer = io.BytesIO()
            table.reset_index(drop=True).to_parquet(buffer, index=False)
            write_atomic(results_dir / f"{name}.parquet", buffer.getvalue())
    tables = results_dir / "report"
    tables.mkdir(exist_ok=True)
    for name, table in export_tables(report, results):
        if name in ("attempts", "events"):
            continue  # already above, once
        buffer = io.BytesIO()
        _plain(table).to_parquet(buffer, index=False)
        write_atomic(tables / f"{name}.parquet", buffer.getvalue())
    return report, results  # the caller renders from these instead of loading again


# ---------------------------------------------------------------- what a report is about, and its verdict


@dataclass(frozen=True)
class Scope:
    """The campaigns, shards and runs a report covers (from each run.json, and the attempts themselves)."""

    campaigns: list[str]
    shards: list[str]
    runs: list[str]


def report_scope(results: Results) -> Scope:
    runs = results.outcome.runs
    campaigns = [str(r["campaign"]) for r in runs if r.get("campaign")]
    shards = [str(r["shard"]) for r in runs if r.get("shard")]
    for column, found in (("campaign", campaigns), ("shard", shards)):
        if column in results.attempts.columns:  # an attempts file given on its own has no run.json
            found += [str(v) for v in results.attempts[column].dropna().unique() if str(v)]
    return Scope(
        campaigns=sorted(set(campaigns)),
        shards=sorted(set(shards), key=_shard_key),
        runs=sorted({str(r["run_id"]) for r in runs if r.get("run_id")}),
    )


def _shard_key(shard: str) -> tuple[int, int, str]:
    index, _, count = shard.partition("/")
    return (int(count), int(index), "") if index.isdigit() and count.isdigit() else (0, 0, shard)


@dataclass(frozen=True)
class Verdict:
    state: str  # passed | failed | unchecked (a gate, but no rate to check) | ungated
    gate: str  # "completion ≥ 90.0%" or "none"
    text: str  # one line, the same comparison `--fail-under` makes


def gate_verdict(report: Report, gate: float | None) -> Verdict:
    """What `run`/`report --fail-under` decide, in words: exit 1 exactly when this says failed."""
    from bgprobe.reports.metrics import overall_rate

    rate = overall_rate(report)
    if gate is None:
        shown = "no completion rate" if rate is None else f"completion {pct(rate)}"
        return Verdict("ungated", "none (no --fail-under)", f"not gated: {shown}")
    digits = _digits_apart(rate, gate)
    wanted = f"completion ≥ {gate * 100:.{digits}f}%"
    if rate is None:
        return Verdict("unchecked", wanted, "not checked: no decided task run, so no completion rate")
    now = f"{rate * 100:.{digits}f}%"
    if rate < gate:  # the comparison cli/run.py and cli/report.py make
        return Verdict("failed", wanted, f"failed: completion {now} is below {gate * 100:.{digits}f}%")
    return Verdict("passed", wanted, f"passed: completion {now} (gate {gate * 100:.{digits}f}%)")


def _digits_apart(rate: float | None, gate: float) -> int:
    """Decimals that keep a failing 89.96 % from reading "90.0% is below 90.0%"."""
    for digits in (1, 2, 3, 4):
        if rate is None or rate == gate or f"{rate * 100:.{digits}f}" != f"{gate * 100:.{digits}f}":
            return digits
    return 4
