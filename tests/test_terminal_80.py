"""Every command as it looks in an 80-column terminal: run in a real pseudo-terminal (os.openpty, the
window size set to 80x40, TERM set, no COLUMNS), and checked: no line wider than the terminal, no
identifier, serial or number cut by an ellipsis, and the ids the user needs shown whole."""

from __future__ import annotations

import fcntl
import os
import re
import select
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from bgprobe.sim.fleet import SimFleet

from tests.helpers import EXAMPLE_BUGREPORT

COLUMNS, ROWS = 80, 40
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")
PKG = "com.example.syncapp"
SCENARIO = f"""
[campaign]
name = "eighty"
repetitions = 1
attempt_timeout = "3s"
settle = "0.2s"

[[app]]
package = "{PKG}"

[[task]]
name = "upload"
job = 7

[[condition]]
name = "baseline"

[[condition]]
name = "doze-deep"
set = {{ doze = "deep" }}
"""


@pytest.fixture(scope="module")
def fleet() -> Iterator[SimFleet]:
    f = SimFleet(android=3, ios=1, speed=60.0, seed=11)
    info = f.start()
    f.info = info  # type: ignore[attr-defined]
    yield f
    f.stop()


@pytest.fixture(scope="module")
def env(fleet: SimFleet, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR")}
    return {
        **base,
        "TERM": "xterm-256color",
        "ADB_SERVER_SOCKET": f"tcp:127.0.0.1:{fleet.adb_port}",
        "USBMUXD_SOCKET_ADDRESS": fleet.info.usbmux,  # type: ignore[attr-defined]
        "BGPROBE_STATE_DIR": str(tmp_path_factory.mktemp("state")),
        "ANDROID_SERIAL": "",
    }


def in_terminal(args: list[str], env: dict[str, str], timeout: float = 120) -> tuple[int, list[str]]:
    """Run bgprobe with stdout and stderr on a pseudo-terminal of COLUMNS x ROWS; the screen's lines."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "bgprobe.cli", *args], stdin=slave, stdout=slave, stderr=slave, env=env
    )
    os.close(slave)
    chunks = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    os.close(master)
    code = proc.wait(timeout=10)
    text = ANSI.sub("", b"".join(chunks).decode("utf-8", "replace"))
    # A live view redraws in place: what stays on screen is the text after each carriage return.
    lines = [line.split("\r")[-1] for line in text.replace("\r\n", "\n").split("\n")]
    return code, lines


def check_screen(lines: list[str], must_show: list[str]) -> None:
    too_wide = [line for line in lines if len(line.rstrip()) > COLUMNS]
    assert not too_wide, too_wide
    cut = [line for line in lines if "…" in line]
    assert not cut, cut  # rich writes an ellipsis where it crops a cell
    screen = "\n".join(lines)
    for text in must_show:
        assert text in screen, f"{text!r} not shown whole"


def test_devices_info_jobs_and_state_at_80_columns(fleet: SimFleet, env: dict[str, str]) -> None:
    serials = list(fleet.devices)
    udid = fleet.info.ios[0].udid  # type: ignore[attr-defined]
    names = [fleet.device(s).profile.serial for s in serials]
    code, lines = in_terminal(["devices"], env)
    assert code == 0
    check_screen(lines, [*serials, *names, udid])
    code, lines = in_terminal(["info", "-s", names[0]], env)
    assert code == 0
    check_screen(lines, [serials[0], names[0], "standby buckets"])
    code, lines = in_terminal(["info", "--udid", udid], env)
    assert code == 0
    check_screen(lines, [udid])
    code, lines = in_terminal(["jobs", PKG, "-s", names[0]], env)
    assert code == 0
    check_screen(lines, ["1042", "com.example.syncapp.SyncWorker", "com.example.syncapp/.ImageUploadJobService"])
    code, lines = in_terminal(["state", "show", "-p", PKG, "-s", names[0]], env)
    assert code == 0
    check_screen(lines, [serials[0], f"bucket:{PKG}"])


def test_run_progress_and_report_at_80_columns(fleet: SimFleet, env: dict[str, str], tmp_path: Path) -> None:
    scenario = tmp_path / "s.toml"
    scenario.write_text(SCENARIO)
    code, lines = in_terminal(["run", str(scenario), "--out", str(tmp_path / "r")], env, timeout=180)
    assert code == 0, "\n".join(lines[-20:])
    names = [fleet.device(s).profile.serial for s in fleet.devices]
    check_screen(lines, [*names, "bgprobe run", "task runs", "Completion:"])
    # the final progress stays on screen: every phone finished, with its counts
    assert sum("finished" in line for line in lines) >= len(names)
    code, lines = in_terminal(["report", str(tmp_path / "r")], env)
    assert code == 0
    check_screen(lines, ["Android 14", "Android 13", "doze-deep"])


def test_watch_at_80_columns(fleet: SimFleet, env: dict[str, str]) -> None:
    code, lines = in_terminal(["watch", "--duration", "6"], env)
    assert code == 0
    check_screen(lines, ["watching 3 phones", "Ctrl-C to stop"])


def test_scan_summary_at_80_columns(env: dict[str, str]) -> None:
    code, lines = in_terminal(["scan", str(EXAMPLE_BUGREPORT)], env)
    assert code == 0
    check_screen(lines, ["com.google.android.gms.unstable", "com.example.syncapp.SyncWorker", "oem:OneKeyClean"])
    assert any("Kills and deaths" in line for line in lines)
