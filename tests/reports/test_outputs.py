"""Every output through the real CLI: terminal, Markdown, JUnit (read by junitparser), HTML (rendered by
headless Chromium), CSV/Parquet/JSON lines, --compare and --fail-under exit codes."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from tests.helpers import invoke
from tests.reports.gen import event, many, task_run, write_results

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def campaign(tmp_path_factory) -> Path:
    """Two phones: a Xiaomi on Android 14 that loses work, a Pixel on 15 that does not."""
    rows = many(6, 4, device="x1", os_version="14", manufacturer="Xiaomi", model="23049PCD8G", condition="doze-deep")
    rows += task_run(
        ["killed", "killed"],
        device="x1",
        os_version="14",
        manufacturer="Xiaomi",
        model="23049PCD8G",
        task="upload",
        reasons=["lmkd:low_mem", "oem:OneKeyClean"],
    )
    rows += task_run(
        ["device_lost"], device="x1", os_version="14", manufacturer="Xiaomi", model="23049PCD8G", task="refresh"
    )
    rows += many(10, 0, device="p1", os_version="15", manufacturer="Google", model="Pixel <8> & co")
    events = [event("process_killed", device="x1", reason="low_mem", source="lmkd")]
    return write_results(tmp_path_factory.mktemp("campaign") / "results", rows, events=events)


@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> Path:
    rows = many(0, 20, device="x1", os_version="14", manufacturer="Xiaomi", model="23049PCD8G", condition="doze-deep")
    rows += many(10, 0, device="p1", os_version="15", manufacturer="Google", model="Pixel <8> & co")
    return write_results(tmp_path_factory.mktemp("baseline") / "results", rows)


def test_terminal_report(campaign):
    proc = invoke("report", str(campaign))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "Completion: 76.2% [" in out  # 16 of 21 decided task runs; the device-lost one not counted
    for title in ("By OS version (major)", "By manufacturer", "By model", "By condition", "By task", "Kills"):
        assert title in out
    assert "lmkd:low_mem" in out and "Pixel <8> & co" in out


def test_markdown_and_fail_under(campaign):
    proc = invoke("report", str(campaign), "--format", "md", "--fail-under", "90%")
    assert proc.returncode == 1
    assert "below 90.0%" in proc.stderr
    assert proc.stdout.startswith("# bgprobe reliability report")
    assert "| os major |" in proc.stdout and "Pixel &lt;8&gt; & co" in proc.stdout


def test_junit_read_by_junitparser(campaign, tmp_path):
    junitparser = pytest.importorskip("junitparser")
    target = tmp_path / "junit.xml"
    proc = invoke("report", str(campaign), "--format", "junit", "-o", str(target))
    assert proc.returncode == 0, proc.stderr
    xml = junitparser.JUnitXml.fromfile(str(target))
    suites = {suite.name: suite for suite in xml}  # the phone by name (ro.serialno here), then OS and model
    assert set(suites) == {"x1 (Android 14, Xiaomi 23049PCD8G)", "p1 (Android 15, Google Pixel <8> & co)"}
    xiaomi = suites["x1 (Android 14, Xiaomi 23049PCD8G)"]
    cases = {case.name: case for case in xiaomi}  # a testcase per task run
    assert {case.classname for case in xiaomi} == {"Android 14.Xiaomi 23049PCD8G (x1)"}
    assert len(cases) == 12 and "refresh under baseline, run 1" in cases
    failures = [cases[f"sync under doze-deep, run {r}"].result for r in range(1, 11)]
    assert sum(bool(result) for result in failures) == 4  # 4 of the 10 task runs never succeeded
    failure = cases["sync under doze-deep, run 7"].result[0]
    assert isinstance(failure, junitparser.Failure)
    assert failure.message == "never succeeded in 1 attempt: failure"
    upload = cases["upload under baseline, run 1"].result[0]
    assert upload.message == "never succeeded in 2 attempts: killed ×2 (lmkd:low_mem, oem:OneKeyClean)"
    assert isinstance(cases["refresh under baseline, run 1"].result[0], junitparser.Skipped)
    assert xiaomi.tests == 12 and xiaomi.failures == 5 and xiaomi.skipped == 1
    assert cases["upload under baseline, run 1"].time == 18.0  # two attempts of 9 s
    pixel = suites["p1 (Android 15, Google Pixel <8> & co)"]
    assert pixel.failures == 0 and all(case.is_passed for case in pixel)


def test_tables_csv_parquet_json(campaign, tmp_path):
    for fmt, suffix in (("csv", "csv"), ("parquet", "parquet")):
        out = tmp_path / fmt
        proc = invoke("report", str(campaign), "--format", fmt, "-o", str(out))
        assert proc.returncode == 0, proc.stderr
        names = {p.stem for p in out.iterdir()}
        assert {"overall", "os", "manufacturer", "model", "condition", "task", "attempts", "kills"} <= names
        assert all(p.suffix == f".{suffix}" for p in out.iterdir())
    os_table = pd.read_parquet(tmp_path / "parquet" / "os.parquet").set_index("os_major")
    assert os_table.loc[15, "rate"] == 1.0 and os_table.loc[14, "task_runs"] == 11
    assert len(pd.read_csv(tmp_path / "csv" / "attempts.csv")) == 23
    stdout = invoke("report", str(campaign), "--format", "json")
    rows = [json.loads(line) for line in stdout.stdout.splitlines()]
    assert {r["table"] for r in rows} >= {"overall", "os", "attempts"}
    assert invoke("report", str(campaign), "--format", "csv").returncode == 2  # needs -o DIR


def test_compare_flags_the_fixed_cell(campaign, baseline):
    proc = invoke("report", str(campaign), "--compare", str(baseline), "--format", "md")
    assert proc.returncode == 0, proc.stderr
    # Xiaomi / Android 14 went from 0/20 to 6/11: flagged; the Pixel stayed at 10/10: not flagged.
    lines = [line for line in proc.stdout.splitlines() if "✅ better" in line]
    assert any("Xiaomi · Android 14" in line for line in lines)
    assert not any("Google" in line for line in lines)


@pytest.mark.slow  # headless chromium
def test_html_renders_in_headless_chromium(campaign, baseline, tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    page = tmp_path / "report.html"
    proc = invoke("report", str(campaign), "--compare", str(baseline), "--format", "html", "-o", str(page))
    assert proc.returncode == 0, proc.stderr
    text = page.read_text()
    assert "http://" not in text and "https://" not in text  # self-contained
    assert "Pixel &lt;8&gt; &amp; co" in text
    dom = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    for element_id in (
        "table-os",
        "table-manufacturer",
        "table-model",
        "table-condition",
        "table-task",
        "table-compare",
        "chart-success-by-os",
        "chart-ttes",
        "chart-kills",
    ):
        assert f'id="{element_id}"' in dom, element_id
    assert dom.count('class="bar"') >= 2 + 6 + 2  # OS bars, TTES bins, kill reasons
    assert "Pixel &lt;8&gt; &amp; co" in dom and "<8>" not in dom  # text, not markup


def test_render_report_on_a_console(campaign):
    import io

    from bgprobe.reports.metrics import build_report
    from bgprobe.reports.render_terminal import render_report
    from bgprobe.reports.results import REPORT_COLUMNS, load_results
    from rich.console import Console

    results = load_results([campaign], columns=REPORT_COLUMNS)
    report = build_report(results.attempts, results.events, results.outcome.notes)
    buffer = io.StringIO()
    render_report(Console(file=buffer, width=200, no_color=True), report, results)
    text = buffer.getvalue()
    assert "Completion: 76.2%" in text and "By OS version (major)" in text
