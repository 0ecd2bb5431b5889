"""Loading and merging: shards, the same shard twice, torn lines, missing and empty inputs, scan output."""

from __future__ import annotations

import json

from bgprobe.reports.metrics import build_report
from bgprobe.reports.results import load_results

from tests.helpers import EXAMPLE_BUGREPORT, invoke
from tests.reports.gen import event, many, task_run, write_results


def overall(results):
    return build_report(results.attempts, results.events).overall.iloc[0]


def test_two_shards_merge_and_the_same_shard_twice_counts_once(tmp_path):
    shard1 = write_results(tmp_path / "s1", many(6, 4, device="a", shard="1/2"), run={"shard": "1/2"})
    shard2 = write_results(tmp_path / "s2", many(3, 1, device="b", shard="2/2"), run={"shard": "2/2"})
    merged = load_results([shard1, shard2])
    assert len(merged.attempts) == 14
    assert overall(merged)["task_runs"] == 14 and overall(merged)["completed"] == 9
    twice = load_results([shard1, shard1, shard2])
    assert len(twice.attempts) == 14 and twice.outcome.duplicates == 10
    assert overall(twice)["completed"] == 9


def test_a_rerun_attempt_keeps_the_latest_finished(tmp_path):
    first = task_run(["failure"])
    again = task_run(["success"], start_s=3600)  # same attempt_id, finished later (resumed run)
    merged = load_results([write_results(tmp_path / "a", first), write_results(tmp_path / "b", again)])
    assert list(merged.attempts["outcome"].astype(str)) == ["success"]


def test_two_campaigns_on_the_same_phone_are_not_merged(tmp_path):
    a = write_results(tmp_path / "a", many(1, 0, campaign="c1"))
    b = write_results(tmp_path / "b", many(0, 1, campaign="c2"))
    assert len(load_results([a, b]).attempts) == 2


def test_torn_last_line_is_skipped_and_said(tmp_path):
    directory = write_results(tmp_path / "killed", many(3, 1), finished=False, run={"planned": 10})
    with (directory / "attempts.jsonl").open("a") as fh:
        fh.write('{"run_id": "r1", "attempt_id": "dev1|base')  # killed mid-write
    results = load_results([directory])
    assert len(results.attempts) == 4
    notes = " ".join(results.outcome.notes)
    assert "skipped 1 unparsable line(s) (the last line is torn" in notes
    assert "has not finished" in notes
    assert "6 of 10 planned task run(s) have no attempt yet" in notes
    assert results.outcome.missing_task_runs == 6


def test_older_results_without_run_json_or_attempt_id(tmp_path):
    rows = many(2, 1)
    for row in rows:
        del row["attempt_id"], row["os_major"], row["schema"]
    directory = tmp_path / "old"
    directory.mkdir()
    (directory / "attempts.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    results = load_results([directory])
    assert overall(results)["task_runs"] == 3
    assert list(results.attempts["os_major"]) == [14, 14, 14]
    assert any("no run.json" in n for n in results.outcome.notes)
    assert any("without attempt_id" in n for n in results.outcome.notes)


def test_parquet_is_preferred_and_read_back_identically(tmp_path):
    from bgprobe.reports.render_tables import write_run_outputs

    directory = write_results(tmp_path / "run", many(5, 2), events=[event("process_killed", reason="low_mem")])
    write_run_outputs(directory)
    for name in ("junit.xml", "report.html", "summary.md", "attempts.parquet", "events.parquet", "report/os.parquet"):
        assert (directory / name).exists(), name
    (directory / "attempts.jsonl").unlink()  # only the parquet is left
    results = load_results([directory])
    assert overall(results)["completed"] == 5 and len(results.events) == 1


def test_nothing_usable_exits_2(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    unrelated = tmp_path / "unrelated"
    unrelated.mkdir()
    (unrelated / "notes.txt").write_text("hello")
    proc = invoke("report", str(tmp_path / "missing"), str(empty), str(unrelated))
    assert proc.returncode == 2, proc.stderr
    assert "missing: no such file or directory" in proc.stderr
    assert "empty: empty, or not a results directory" in proc.stderr
    assert "unrelated: empty, or not a results directory" in proc.stderr
    assert "nothing usable" in proc.stderr


def test_a_half_usable_set_reports_what_is_there(tmp_path):
    good = write_results(tmp_path / "good", many(3, 1))
    proc = invoke("report", str(good), str(tmp_path / "gone"), "--format", "md")
    assert proc.returncode == 0, proc.stderr
    assert "no such file or directory" in proc.stderr
    assert "75.0%" in proc.stdout


def test_scan_output_as_input(tmp_path):
    scan = invoke("scan", "--json", str(EXAMPLE_BUGREPORT))
    assert scan.returncode in (0, 1), scan.stderr
    file = tmp_path / "scans" / "venus.jsonl"
    file.parent.mkdir()
    file.write_text(scan.stdout)
    for target in (file, file.parent):  # a file and a directory of such files
        results = load_results([target])
        assert results.usable and not results.has_attempts
        report = build_report(results.attempts, results.events)
        summary = report.event_summary.set_index("os_version")
        assert summary.loc["13", "deaths"] >= 1 and summary.loc["13", "anrs"] >= 1
        assert summary.loc["13", "job_timeouts"] == 1
        assert not report.deaths.empty and {"reason", "source"} <= set(report.deaths.columns)
    proc = invoke("report", str(file))
    assert proc.returncode == 0, proc.stderr
    assert "Deaths by reason and source" in proc.stdout
    assert "job time-outs" in proc.stdout
