"""Helpers shared by the tests: scanning files in-process and running the CLI (in this process, or as a
real child process where the test is about processes)."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bgprobe.cli.app import main
from bgprobe.collectors.scan import ScanOutcome, scan_paths
from bgprobe.reports.events import DEATH_KINDS, Event
from click.testing import CliRunner

TESTS = Path(__file__).parent
# The kinds a capture's "deaths" are counted in (tests/test_corpus.py's cap, the form tests): deaths and ANRs.
DEATHS = DEATH_KINDS | {"anr"}
ANDROID_SAMPLES = TESTS / "samples" / "android"
REPO = TESTS.parent
EXAMPLE_BUGREPORT = REPO / "examples" / "bugreport-example.zip"


# Set by conftest.py when the run leaves out the `sim` tests (`pytest -m "not sim"`, the fast tier).
FAST_TIER = False


def examples(full: int) -> int:
    """Hypothesis examples for a property test: `full` in the full run, a tenth (at least 20) in the
    fast tier, where the same properties are checked on fewer inputs."""
    return max(20, full // 10) if FAST_TIER else full


def scan(*paths: Path | str, package: str | None = None) -> tuple[list[Event], ScanOutcome]:
    outcome = ScanOutcome()
    events = list(scan_paths([str(p) for p in paths], outcome, package=package))
    return events, outcome


def scan_str(text: str, name: str = "paste.txt") -> list[Event]:
    """The events of a pasted text, through the scan's own reader (detection, pre-filter, interpreter)."""
    from bgprobe.collectors.inputs.textscan import scan_text

    return list(scan_text(io.BytesIO(text.encode("utf-8")), name, None))


def invoke(
    *args: str, stdin: bytes | None = None, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`bgprobe ARGS` in this process, as the console script calls it: main() with sys.argv, its exit
    code from SystemExit; stdin, stdout and stderr are click's test streams (not terminals, like a pipe).
    No process start (the import of pandas alone is half a second): what the fast tier uses wherever the
    test is about what bgprobe says and does, not about its process. No time-out: such a test must not
    wait on anything (a phone, a pipe); those use run_cli."""
    env = {"COLUMNS": "200", **(env or {})}  # pytest exports COLUMNS=80: tables would wrap
    runner = CliRunner()
    argv = sys.argv
    with runner.isolation(input=stdin, env=env) as (out, err, _), contextlib.chdir(cwd or os.getcwd()):
        sys.argv = ["bgprobe", *args]
        try:
            main()
            code = 0  # main() always exits; returning is a bug of its own
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        finally:
            sys.argv = argv
        sys.stdout.flush()
        sys.stderr.flush()
        stdout, stderr = out.getvalue(), err.getvalue()
    return subprocess.CompletedProcess(
        ["bgprobe", *args], code, stdout.decode("utf-8", "replace"), stderr.decode("utf-8", "replace")
    )


def run_cli(
    *args: str,
    stdin: bytes | None = None,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """The real CLI in a child process, exit codes, stdout and stderr exactly as a user sees them: for
    tests about the process itself (its memory, file descriptors, environment) and for those that talk to
    the simulated phones (`timeout` bounds a hang)."""
    env = {**os.environ, "COLUMNS": "200", **(env or {})}
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


def wait_for_log_follower(device: Any, seconds: float = 20.0) -> None:
    """Until a `logcat` follower waits on the simulated phone's log (a command's stream is open), then a
    moment more: a fixed sleep was too short for a fresh venv on a busy machine, and a line logged
    before the stream opens is never seen."""
    deadline = time.monotonic() + seconds
    while not device.logs._waiters and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
