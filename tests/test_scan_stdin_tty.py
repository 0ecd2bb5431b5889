"""`bgprobe scan -` typed or pasted into a terminal: it says what it waits for, and one Ctrl-D ends it.

Run in a real pseudo-terminal (stdin, stdout and stderr on it, canonical mode as a shell leaves it), so
the terminal's own end-of-file (Ctrl-D at the start of a line makes one read return nothing) is what the
scanner sees. Before, it said nothing and read again after that empty read: a second Ctrl-D was needed.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path

SAMPLE = Path(__file__).parent / "samples/corpus/android_oem/samsung_kpu_dha_kill_cleanup_github-thalitester.txt"


def _read_until(master: int, proc: subprocess.Popen[bytes], want: bytes, seconds: float) -> bytes:
    seen = b""
    deadline = time.monotonic() + seconds
    while want not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                seen += os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
        elif proc.poll() is not None:
            break
    return seen


def test_scan_stdin_on_a_terminal_says_so_and_one_ctrl_d_ends_it() -> None:
    # A real capture's kill line (first line of the file names its source), pasted as a user would.
    kill = next(
        line for line in SAMPLE.read_text().splitlines() if line.lstrip(",")[:2].isdigit() and "DHA:empty" in line
    ).lstrip(",")
    master, slave = os.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")} | {"TERM": "xterm"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bgprobe.cli", "scan", "-"], stdin=slave, stdout=slave, stderr=slave, env=env
    )
    os.close(slave)
    try:
        prompt = _read_until(master, proc, b"Ctrl-D", 60)
        assert b"Reading a log from standard input" in prompt, prompt
        os.write(master, kill.encode() + b"\n")
        os.write(master, b"\x04")  # one Ctrl-D at the start of a line
        deadline = time.monotonic() + 60
        rest = b""
        while proc.poll() is None and time.monotonic() < deadline:
            rest += _read_until(master, proc, b"\x00never", 0.5)
        assert proc.poll() is not None, "scan - still waits after one Ctrl-D"
        rest += _read_until(master, proc, b"\x00never", 0.5)
        assert proc.returncode == 0, rest
        assert b"samsungapps" in rest and b"DHA:empty" in rest, rest  # the pasted kill is in the summary
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
