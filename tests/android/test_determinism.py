"""The same --seed and scenario give the same attempts and outcomes, run after run (issue 15): the
simulated phones draw every random decision keyed by (seed, phone, job, epoch, run), never per clock
tick, so how long polls and adb round trips took does not change what a campaign records."""

from __future__ import annotations

import json
import re

import pytest

from tests.helpers import run_cli

pytestmark = pytest.mark.sim

SCENARIO = """
[campaign]
name = "determinism"
repetitions = 2
attempt_timeout = "3s"
settle = "0.3s"
retry = { count = 0, backoff = "0.5s", policy = "none" }

[[app]]
package = "com.example.syncapp"

[[task]]
name = "upload"
job = 7
trigger = "forced"
started = 'job (?P<job>\\d+) started'
finished = 'job (?P<job>\\d+) finished \\(success\\)'
failed = 'job (?P<job>\\d+) finished \\(failure\\)'

[[task]]
name = "cleanup"
job = 12
trigger = "natural"
window = "1.7s"
started = 'job (?P<job>\\d+) started'
finished = 'job (?P<job>\\d+) finished \\(success\\)'

[[task]]
name = "report"
job = 31
trigger = "forced"
started = 'job (?P<job>\\d+) started'
finished = 'job (?P<job>\\d+) finished \\(success\\)'

[[condition]]
name = "baseline"

[[condition]]
name = "restricted"
set = { restrict = "on" }
"""


def _campaign(tmp_path, seed: int, n: int) -> list[tuple]:
    scenario = tmp_path / "determinism.toml"
    scenario.write_text(SCENARIO)
    out = tmp_path / f"out-{n}"
    env = {"BGPROBE_STATE_DIR": str(tmp_path / f"state-{n}")}
    args = ["demo", "--quiet", "--android", "3", "--seed", str(seed), "--scenario", str(scenario), "--out", str(out)]
    result = run_cli(*args, env=env, timeout=180)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in (out / "run-1" / "attempts.jsonl").read_text().splitlines()]
    # wall times and the adb port a phone got aside: what was attempted, and how each attempt ended
    return sorted(
        (
            r["device"],
            r["condition"],
            r["task"],
            r["repetition"],
            r["attempt"],
            r["outcome"],
            re.sub(r"127\.0\.0\.1:\d+", "PHONE", r["reason"] or ""),
        )
        for r in rows
        if r["platform"] == "android"
    )


def test_same_seed_same_attempts_and_outcomes_other_seed_differs(tmp_path):
    first = _campaign(tmp_path, 7, 1)
    second = _campaign(tmp_path, 7, 2)
    assert len(first) == 36  # 3 phones (Google, Samsung, Xiaomi) x 3 tasks x 2 conditions x 2 repetitions
    assert first == second
    assert {o[5] for o in first} >= {"success", "killed", "not_started"}  # the makers' killers drew
    other = _campaign(tmp_path, 8, 3)
    assert other != first
