"""Helpers shared by the tests: scanning files in-process and running the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bgprobe.collectors.scan import ScanOutcome, scan_paths
from bgprobe.reports.events import Event

TESTS = Path(__file__).parent
ANDROID_SAMPLES = TESTS / "samples" / "android"
REPO = TESTS.parent
EXAMPLE_BUGREPORT = REPO / "examples" / "bugreport-example.zip"


def scan(*paths: Path | str, package: str | None = None) -> tuple[list[Event], ScanOutcome]:
    outcome = ScanOutcome()
    events = list(scan_paths([str(p) for p in paths], outcome, package=package))
    return events, outcome


def run_cli(
    *args: str, stdin: bytes | None = None, cwd: Path | None = None, env: dict[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """The real CLI in a child process: exit codes, stdout and stderr exactly as a user sees them."""
    env = {**os.environ, "COLUMNS": "200", **(env or {})}  # pytest exports COLUMNS=80: tables would wrap
    proc = subprocess.run(
        [sys.executable, "-m", "bgprobe.cli", *args],
        input=stdin,
        capture_output=True,
        cwd=cwd,
        env=env,
        timeout=timeout,
    )
    return subprocess.CompletedProcess(
        proc.args, proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")
    )
