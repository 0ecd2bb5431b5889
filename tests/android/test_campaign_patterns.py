"""A task pattern cannot hang a campaign (issue 10, point 6): `^((.*)*)*X$` made CPython's `re`
backtrack for minutes on every log line, in the feed thread and holding the GIL, so SIGTERM went
unanswered for over 95 s and the phone stayed in deep doze. With RE2 the campaign runs, and SIGTERM
ends it (exit 130) with the phone put back."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.android.conftest import PKG, json_lines, serial_of
from tests.helpers import run_cli

SCENARIO = f"""
[campaign]
name = "patterns"
repetitions = 50
attempt_timeout = "2s"
settle = "0.2s"

[[app]]
package = "{PKG}"

[[task]]
name = "upload"
job = 7
started = '^((.*)*)*X$'
finished = 'job (?P<job>\\d+) finished \\(success\\)'

[[condition]]
name = "doze-deep"
set = {{ doze = "deep" }}
"""


def attempts(out: Path) -> list[dict]:
    path = out / "attempts.jsonl"
    return json_lines(path.read_text()) if path.exists() else []


@pytest.mark.fault
def test_a_catastrophic_pattern_neither_stalls_the_campaign_nor_blocks_sigterm(fleet, env, tmp_path):
    serial = serial_of(fleet, "10")
    scenario = tmp_path / "s.toml"
    scenario.write_text(SCENARIO)
    out = tmp_path / "results"
    proc = subprocess.Popen(
        [sys.executable, "-m", "bgprobe.cli", "run", str(scenario), "--out", str(out), "--quiet", "-s", serial],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(attempts(out)) < 2:  # attempts judged: the feed is alive
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        t0 = time.monotonic()
        proc.wait(timeout=20)
        ended_in = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    assert proc.returncode == 130, stderr
    assert ended_in < 20
    rows = attempts(out)
    assert len(rows) >= 2 and {r["condition"] for r in rows} == {"doze-deep"}  # ran under deep doze
    assert json.loads((out / "run.json").read_text())["interrupted"] is True
    state = run_cli("state", "show", "-s", serial, "--json", env=env)
    assert json_lines(state.stdout)[0]["doze"] == "ACTIVE/ACTIVE", state.stdout
