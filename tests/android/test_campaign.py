"""`bgprobe run` on simulated phones through the real adb server: counts that match the devices' logs,
a SIGKILLed run resumed to exactly the planned attempts, a device dropped mid-run, Ctrl-C, shards,
and scenario errors that name file, line and field."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from bgprobe.collectors.campaign.runner import plan
from bgprobe.collectors.campaign.scenario import ScenarioError, parse_scenario

from tests.android.conftest import PKG, serial_of
from tests.helpers import run_cli

SCENARIO = f"""
[campaign]
name = "t"
repetitions = 2
attempt_timeout = "3s"
settle = "0.2s"
retry = {{ count = 1, backoff = "0.2s" }}

[[app]]
package = "{PKG}"

[[task]]
name = "upload"
job = 7
trigger = "forced"
started = 'job (?P<job>\\d+) started'
finished = 'job (?P<job>\\d+) finished \\(success\\)'
failed = 'job (?P<job>\\d+) finished \\(failure\\)'

[[task]]
name = "sync"
scheduler = "workmanager"
job = 1042
worker = "com.example.syncapp.SyncWorker"
trigger = "forced"

[[condition]]
name = "baseline"

[[condition]]
name = "restricted"
set = {{ restrict = "on" }}
"""


def attempts(path: Path) -> list[dict]:
    return [json.loads(line) for line in (path / "attempts.jsonl").read_text().splitlines() if line.strip()]


def run_campaign(env, tmp_path, serial: str):
    scenario = tmp_path / "s.toml"
    scenario.write_text(SCENARIO)
    out = tmp_path / "results"
    result = run_cli("run", str(scenario), "--out", str(out), "--quiet", "-s", serial, env=env, timeout=240)
    return result, out


def test_campaign_counts_match_the_device_logs(fleet, env, tmp_path):
    serial = serial_of(fleet, "14")
    result, out = run_campaign(env, tmp_path, serial)
    assert result.returncode == 0, result.stderr
    rows = attempts(out)
    assert len({r["attempt_id"] for r in rows}) == len(rows)  # nothing counted twice
    runs = {r["attempt_id"].rsplit("|", 1)[0] for r in rows}
    assert len(runs) == 2 * 2 * 2  # conditions x tasks x repetitions
    logs = fleet.device(serial).logs.snapshot(("main", "system", "events"))
    lines = [(f"{e.ts:%Y-%m-%dT%H:%M:%S}.{e.ts.microsecond // 1000:03d}", e.msg) for e in logs]
    for r in rows:
        assert r["device"] == fleet.device(serial).profile.serial
        assert r["os_version"] == "14" and r["manufacturer"] == "Google"
        if r["outcome"] == "success" and r["task"] == "upload":
            assert (r["finished"], "job 7 finished (success)") in lines
        if r["outcome"] == "success" and r["task"] == "sync":
            assert any(ts == r["finished"] and msg.startswith("Worker result SUCCESS") for ts, msg in lines)
    assert {r["outcome"] for r in rows} <= {"success", "failure", "killed", "timeout", "stopped", "not_started"}
    # Background restriction holds a forced run (JobStatus.isReady: the -f override covers only the
    # job's own constraints): not_started with the reason, never a timeout.
    restricted = [r for r in rows if r["condition"] == "restricted"]
    held = [r for r in restricted if r["outcome"] == "not_started"]
    assert held and all("background restricted" in r["reason"] for r in held), restricted
    assert not any(r["outcome"] == "timeout" for r in restricted)
    assert (out / "run.json").exists() and json.loads((out / "run.json").read_text())["finished"]
    # the device is back as it was
    state = run_cli("state", "show", "-s", serial, "-p", PKG, "--json", env=env)
    assert '"restrict:com.example.syncapp": "off"' in state.stdout


def test_sigkilled_run_resumes_to_exactly_the_planned_attempts(fleet, env, tmp_path):
    serial = serial_of(fleet, "12")
    scenario = tmp_path / "s.toml"
    scenario.write_text(SCENARIO)
    out = tmp_path / "results"
    proc = subprocess.Popen(
        [sys.executable, "-m", "bgprobe.cli", "run", str(scenario), "--out", str(out), "--quiet", "-s", serial],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # kill it in the middle of the restricted condition
        if (out / "attempts.jsonl").exists() and any(r["condition"] == "restricted" for r in attempts(out)):
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    before = attempts(out)
    assert before and not json.loads((out / "run.json").read_text()).get("finished")
    resumed = run_cli("run", "--resume", str(out), "--quiet", "-s", serial, env=env, timeout=240)
    assert resumed.returncode == 0, resumed.stderr
    after = attempts(out)
    ids = [r["attempt_id"] for r in after]
    assert len(ids) == len(set(ids))  # nothing counted twice
    assert after[: len(before)] == before  # nothing lost
    plan_keys = {json.loads(line)["task_run"] for line in (out / "plan.jsonl").read_text().splitlines()}
    by_run: dict[str, list[dict]] = {}
    for r in after:
        by_run.setdefault(r["attempt_id"].rsplit("|", 1)[0], []).append(r)
    assert set(by_run) == plan_keys
    for rows in by_run.values():  # every task run ended: a success, or all its attempts used
        assert rows[-1]["outcome"] == "success" or len(rows) == 2
        assert [r["attempt"] for r in rows] == list(range(1, len(rows) + 1))
    state = run_cli("state", "show", "-s", serial, "-p", PKG, "--json", env=env)
    assert '"restrict:com.example.syncapp": "off"' in state.stdout  # the killed run's change was undone


def test_ctrl_c_restores_and_exits_130(fleet, env, tmp_path):
    serial = serial_of(fleet, "15")
    scenario = tmp_path / "s.toml"
    scenario.write_text(SCENARIO.replace('name = "baseline"', 'name = "baseline"\nset = { doze = "deep" }'))
    out = tmp_path / "results"
    proc = subprocess.Popen(
        [sys.executable, "-m", "bgprobe.cli", "run", str(scenario), "--out", str(out), "--quiet", "-s", serial],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not ((out / "attempts.jsonl").exists() and attempts(out)):
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=90)
    assert proc.returncode == 130, proc.stderr.read()
    run = json.loads((out / "run.json").read_text())
    assert run["interrupted"] is True
    state = run_cli("state", "show", "-s", serial, "--json", env=env)
    assert '"doze": "ACTIVE/ACTIVE"' in state.stdout


def test_device_dropped_mid_run_is_device_lost_not_a_failure(fleet, env, tmp_path):
    lost, kept = serial_of(fleet, "11"), serial_of(fleet, "9")
    fleet.lose_device_on(lost, "cmd jobscheduler run -f com.example.syncapp 1042")
    scenario = tmp_path / "s.toml"
    scenario.write_text(SCENARIO)
    out = tmp_path / "results"
    result = run_cli("run", str(scenario), "--out", str(out), "--quiet", "--device-wait", "2", env=env, timeout=300)
    rows = attempts(out)
    lost_name = fleet.device(lost).profile.serial
    kept_name = fleet.device(kept).profile.serial
    lost_rows = [r for r in rows if r["device"] == lost_name]
    assert [r["outcome"] for r in lost_rows if r["outcome"] == "device_lost"] == ["device_lost"]
    kept_runs = {r["attempt_id"].rsplit("|", 1)[0] for r in rows if r["device"] == kept_name}
    assert len(kept_runs) == 8  # the other devices went on to the end
    assert f"{lost_name}: lost during the campaign" in result.stderr
    assert result.returncode == 3  # an infrastructure error, with every result written
    fleet.come_back(lost)
    fleet.wait_until_online([lost], timeout=40)
    assert run_cli("restore", "-s", lost, env=env).returncode == 0
    state = run_cli("state", "show", "-s", lost, "-p", PKG, "--json", env=env)
    assert '"restrict:com.example.syncapp": "off"' in state.stdout and '"doze": "ACTIVE/ACTIVE"' in state.stdout


def test_shards_split_the_plan_without_overlap():
    scenario = parse_scenario(SCENARIO)
    devices = [f"dev{i}" for i in range(5)]
    full = {r.key for r in plan(scenario, devices, None)}
    parts = [{r.key for r in plan(scenario, devices, (i, 3))} for i in (1, 2, 3)]
    assert set().union(*parts) == full
    assert sum(len(p) for p in parts) == len(full)
    assert all(p for p in parts)


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("job = 7\n", 'job = "seven"\n', "task[0].job"),
        ('trigger = "forced"\n', 'trigger = "sometimes"\n', "task[0].trigger"),
        ('set = { restrict = "on" }', 'set = { sleep = "on" }', "condition[1].set"),
    ],
)
def test_scenario_errors_name_file_line_and_field(tmp_path, old, new, field):
    bad = SCENARIO.replace(old, new, 1)
    line = 1 + bad.splitlines().index(new.rstrip("\n"))
    path = tmp_path / "s.toml"
    path.write_text(bad)
    result = run_cli("run", str(path), "--out", str(tmp_path / "o"))
    assert result.returncode == 2
    assert f"{path}:{line}: {field}:" in result.stderr, result.stderr
    assert not (tmp_path / "o").exists()  # validated before anything was written or touched
    with pytest.raises(ScenarioError, match="not valid TOML"):
        parse_scenario("[campaign\n")


def test_two_shards_merge_into_one_report(fleet, env, tmp_path):
    serial = serial_of(fleet, "13")
    scenario = tmp_path / "s.toml"
    scenario.write_text(SCENARIO.replace("repetitions = 2", "repetitions = 1"))
    outs, stderr = [], {}
    for shard in ("1/2", "2/2"):
        out = tmp_path / f"shard{shard[0]}"
        quiet = ["--quiet"] if shard == "2/2" else []  # shard 1 shows the plain progress of a CI log
        result = run_cli(
            "run", str(scenario), "--out", str(out), "--shard", shard, *quiet, "-s", serial, env=env, timeout=240
        )
        assert result.returncode == 0, result.stderr
        outs.append(out)
        stderr[shard] = result.stderr
    progress = [line for line in stderr["1/2"].splitlines() if line.startswith("[")]
    assert progress and len({line.split("] ", 1)[0] for line in progress}) == 1  # the one device
    finished = [line for line in progress if " finished" in line]
    assert len(finished) == 1 and " 2/2 finished " in finished[0]  # said once, at the end, with the outcomes
    keys = [{r["attempt_id"].rsplit("|", 1)[0] for r in attempts(o)} for o in outs]
    assert keys[0].isdisjoint(keys[1]) and len(keys[0] | keys[1]) == 4  # 2 conditions x 2 tasks
    merged = run_cli("report", str(outs[0]), str(outs[1]), str(outs[0]), "--format", "md", env=env)
    assert merged.returncode == 0, merged.stderr
    assert "of 4 task runs" in merged.stdout  # the same shard given twice is not counted twice
