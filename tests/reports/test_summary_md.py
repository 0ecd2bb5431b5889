"""summary.md is headed by what it is about and whether it passed: campaign, shard, gate, verdict.
A CI job's summary page often holds one of these per shard; the verdict is the exit code's."""

from __future__ import annotations

import pytest

from tests.helpers import invoke
from tests.reports.gen import many, write_results


@pytest.fixture(scope="module")
def shard(tmp_path_factory):
    """Shard 2/4 of campaign `nightly`: 6 of 10 task runs completed."""
    rows = many(6, 4, campaign="nightly", shard="2/4")
    return write_results(tmp_path_factory.mktemp("md") / "shard2", rows, run={"campaign": "nightly", "shard": "2/4"})


def _header(text: str) -> list[str]:
    return text.splitlines()[:5]


def test_failed_gate(shard):
    proc = invoke("report", str(shard), "--format", "md", "--fail-under", "90%")
    assert proc.returncode == 1  # the verdict below is the exit code's
    assert _header(proc.stdout) == [
        "# bgprobe reliability report: nightly (shard 2/4)",
        "",
        "| campaign | shard | gate | verdict |",
        "|---|---|---|---|",
        "| nightly | 2/4 | completion ≥ 90.0% | ❌ failed: completion 60.0% is below 90.0% |",
    ]


def test_passed_gate_and_no_gate(shard):
    proc = invoke("report", str(shard), "--format", "md", "--fail-under", "0.6")
    assert proc.returncode == 0, proc.stderr
    passed = "| nightly | 2/4 | completion ≥ 60.0% | ✅ passed: completion 60.0% (gate 60.0%) |"
    assert _header(proc.stdout)[4] == passed  # at the gate passes: --fail-under fails only below it
    proc = invoke("report", str(shard), "--format", "md")
    assert proc.returncode == 0, proc.stderr
    assert _header(proc.stdout)[4] == "| nightly | 2/4 | none (no --fail-under) | ℹ️ not gated: completion 60.0% |"


def test_no_shard_no_shard_column(tmp_path):
    whole = write_results(tmp_path / "whole", many(3, 1, campaign="nightly"), run={"campaign": "nightly"})
    header = _header(invoke("report", str(whole), "--format", "md").stdout)
    assert header[0] == "# bgprobe reliability report: nightly"
    assert header[2] == "| campaign | gate | verdict |"


def test_merged_shards_name_each(tmp_path):
    one = many(3, 0, campaign="nightly", shard="1/2")
    one = write_results(tmp_path / "1", one, run={"campaign": "nightly", "shard": "1/2"})
    two = many(1, 1, campaign="nightly", shard="2/2", device="dev2")
    two = write_results(tmp_path / "2", two, run={"campaign": "nightly", "shard": "2/2", "run_id": "r2"})
    header = _header(invoke("report", str(two), str(one), "--format", "md").stdout)
    assert header[0] == "# bgprobe reliability report: nightly (shard 1/2, 2/2)"


def test_run_writes_the_same_header(shard):
    """What `bgprobe run --fail-under` leaves in the results directory (write_run_outputs)."""
    from bgprobe.reports.render_tables import write_run_outputs

    write_run_outputs(shard, gate=0.9)
    header = _header((shard / "summary.md").read_text())
    assert header[4] == "| nightly | 2/4 | completion ≥ 90.0% | ❌ failed: completion 60.0% is below 90.0% |"
    assert "failed: completion 60.0% is below 90.0%" in (shard / "report.html").read_text()


def test_verdict_digits_keep_a_near_miss_apart():
    from bgprobe.reports.attempts import attempts_frame
    from bgprobe.reports.metrics import build_report
    from bgprobe.reports.render_tables import gate_verdict
    from bgprobe.reports.schema import events_frame

    report = build_report(attempts_frame(many(2, 1)), events_frame([]))  # two of three task runs completed
    verdict = gate_verdict(report, 0.6667)
    assert verdict.state == "failed"  # 66.666… < 66.67, as --fail-under decides
    assert verdict.text == "failed: completion 66.667% is below 66.670%"  # not "66.7% is below 66.7%"
    assert gate_verdict(report, 2 / 3).state == "passed"
