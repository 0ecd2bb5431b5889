"""Bounded scans (issue 10, point 8): `bgprobe scan` never blocks on a FIFO or a device, never holds an
archive member or every event in memory, reads on past an over-long line; `watch --pull` never writes
outside its folder. Memory is the peak RSS of the real CLI in a child process."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import pytest
from bgprobe.collectors.parsers.android_log import SIGNATURES
from bgprobe.sim.ios.fleet import IosSimulator
from bgprobe.sim.ios.profiles import make_profile

from tests.helpers import ANDROID_SAMPLES, TESTS, run_cli

TERMUX = ANDROID_SAMPLES / "logcat_am_killing_empty_android12_termux.txt"  # 8 kills and a process start
TERMUX_KILLS = [14231, 14249]  # the first two, in file order
MiB = 1 << 20

# Real kill and death lines (threadtime; the first line of a sample names its source), the pid made a
# placeholder and the time cut off: one template per source.
_AM_KILL = TERMUX.read_text().splitlines()[1][18:].replace("14231", "{pid}")
_LMKD_KILL = next(
    line[18:].replace("17933", "{pid}")
    for line in (ANDROID_SAMPLES / "logcat_lmkd_kill_reason_crdroid.txt").read_text().splitlines()[1:]
    if "Kill '" in line
)
_HAS_DIED = next(
    line[18:].replace("35228", "{pid}")
    for line in (ANDROID_SAMPLES / "logcat_redroid_has_died_isolated_kill.txt").read_text().splitlines()[1:]
    if "has died" in line
)
_THREADTIME = re.compile(rb"^\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} +\d+ +\d+ [VDIWEF] ")


def _noise() -> list[bytes]:
    """The threadtime lines of the real captures that carry none of the scanner's signatures, without
    their time (the generators stamp their own, in order)."""
    found: list[bytes] = []
    for folder in (ANDROID_SAMPLES, TESTS / "samples" / "android_field"):
        for path in sorted(folder.glob("*.txt")):
            for line in path.read_bytes().splitlines()[1:]:  # the first line names the source
                if _THREADTIME.match(line) and not any(sig in line for sig in SIGNATURES):
                    found.append(line[18:])
    assert len(found) >= 30, "too few noise lines in the samples"
    return found


def _stamp(i: int) -> bytes:
    """The i-th timestamp of a generated log: 7 ms apart, increasing."""
    seconds, ms = divmod(i * 7, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return b"10-30 %02d:%02d:%02d.%03d" % (hours % 24, minutes, seconds, ms)


# Runs one command and writes its exit code and peak RSS. A fresh, small process in between matters:
# Linux carries the high-water RSS of the process that forks (and vforks) into the child's
# ru_maxrss, so measured straight from pytest (hundreds of MiB after other tests) every child would
# seem that large.
_PEAK_OF_CHILD = """
import resource, subprocess, sys
report, timeout, *command = sys.argv[1:]
try:
    code = subprocess.run(command, timeout=float(timeout)).returncode
except subprocess.TimeoutExpired:
    code = "timeout"
with open(report, "w") as f:
    f.write(f"{code} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}")
"""


def _measured(*args: str, timeout: float = 120) -> tuple[int, str, str, float]:
    """The real CLI in a child, as tests.helpers.run_cli runs it, plus its peak RSS in MiB."""
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "peak"
        cli = [sys.executable, "-m", "bgprobe.cli", *args]
        proc = subprocess.run(
            [sys.executable, "-c", _PEAK_OF_CHILD, str(report), str(timeout), *cli],
            capture_output=True,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "COLUMNS": "200"},
            timeout=timeout + 30,
        )
        code, max_rss_kib = report.read_text().split()
    if code == "timeout":
        pytest.fail(f"bgprobe {' '.join(args)} still running after {timeout} s")
    stdout, stderr = proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")
    return int(code), stdout, stderr, int(max_rss_kib) / 1024  # ru_maxrss: KiB on Linux


def _events(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines()]


def _kills(stdout: str) -> list[int]:
    return [e["pid"] for e in _events(stdout) if e["kind"] == "process_killed"]


# -- 1. FIFOs, devices, sockets -----------------------------------------------------------------


@pytest.mark.fault
def test_a_fifo_among_inputs_is_skipped_with_a_note_and_stdin_still_streams(tmp_path: Path) -> None:
    fifo = tmp_path / "capture.fifo"
    os.mkfifo(fifo)
    started = time.monotonic()
    # Nobody writes the FIFO: opening it to read would block forever (the old behaviour).
    result = run_cli("scan", str(fifo), str(TERMUX), "--json", timeout=30)
    assert time.monotonic() - started < 25
    assert result.returncode == 0, result.stderr
    assert f"bgprobe: {fifo}: a FIFO (named pipe), not a regular file: skipped" in result.stderr
    assert f"use `-`: cat {fifo} | bgprobe scan -" in result.stderr  # says how to stream it instead
    assert _kills(result.stdout)[:2] == TERMUX_KILLS and len(_kills(result.stdout)) == 8  # the readable input
    assert len(result.stderr.strip().splitlines()) == 1  # one line, nothing else
    # `-` is still the way to stream: the same capture piped in.
    piped = run_cli("scan", "-", "--json", stdin=TERMUX.read_bytes(), timeout=30)
    assert piped.returncode == 0, piped.stderr
    assert len(_kills(piped.stdout)) == 8


@pytest.mark.fault
def test_dev_zero_is_skipped_not_read_forever() -> None:
    # /dev/zero never ends and holds no newline: the old scan read it until killed.
    result = run_cli("scan", "/dev/zero", str(TERMUX), "--json", timeout=30)
    assert result.returncode == 0, result.stderr
    assert "bgprobe: /dev/zero: a character device, not a regular file: skipped" in result.stderr
    assert len(_kills(result.stdout)) == 8
    # Alone, it leaves nothing usable: exit 2, and still at once.
    alone = run_cli("scan", "/dev/zero", timeout=30)
    assert alone.returncode == 2
    assert "a character device, not a regular file" in alone.stderr


@pytest.mark.fault
def test_directory_walk_skips_fifos_and_sockets_and_does_not_follow_a_symlink_loop(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    (logs / "a").mkdir(parents=True)
    (logs / "a" / "termux.log").write_bytes(TERMUX.read_bytes())
    os.mkfifo(logs / "a" / "pipe")
    (logs / "a" / "loop").symlink_to("..")  # logs/a/loop -> logs: a cycle for a walker that follows links
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(logs / "control.sock"))
    try:
        result = run_cli("scan", str(logs), "--json", timeout=30)
    finally:
        sock.close()
    assert result.returncode == 0, result.stderr
    assert f"{logs / 'a' / 'pipe'}: a FIFO (named pipe), not a regular file: skipped" in result.stderr
    assert f"{logs / 'control.sock'}: a socket, not a regular file: skipped" in result.stderr
    # the capture read once: the loop was not followed into a second (third, ...) copy of it
    assert [e["where"].rsplit(":", 1)[0] for e in _events(result.stdout)] == [str(logs / "a" / "termux.log")] * 9


# -- 2. archive members streamed ----------------------------------------------------------------


@pytest.mark.fault
@pytest.mark.slow  # a child's peak memory over hundreds of MiB of input
def test_a_large_tar_member_is_streamed_in_bounded_memory(tmp_path: Path) -> None:
    noise = _noise()
    lines: list[bytes] = []
    size = 0
    while size < MiB:  # 1 MiB of real lines, repeated: quick to write and to compress
        lines.append(_stamp(len(lines)) + noise[len(lines) % len(noise)] + b"\n")
        size += len(lines[-1])
    block = b"".join(lines)
    blocks = 200  # a 200 MiB member (below the 256 MiB the old code still read whole into memory)
    member = tmp_path / "logcat.log"
    with member.open("wb") as f:
        for i in range(blocks):
            f.write(block)
            f.write(b"10-30 23:59:59.000 " + _AM_KILL.format(pid=20000 + i).encode() + b"\n")
    archive = tmp_path / "sysdiagnose_2024.10.30_23-59-59+0000_iPhone-OS_iPhone_21F90.tar.gz"
    with tarfile.open(archive, "w:gz", compresslevel=1) as tar:
        tar.add(member, arcname="sysdiagnose_2024.10.30_23-59-59+0000_iPhone-OS_iPhone_21F90/logs/logcat.log")
    size_mib = member.stat().st_size / MiB
    member.unlink()
    rc, out, err, peak_mib = _measured("scan", "--json", str(archive))
    assert rc == 0, err
    kills = [e for e in _events(out) if e["kind"] == "process_killed"]
    assert [e["pid"] for e in kills] == [20000 + i for i in range(blocks)]  # every kill, in order
    assert all("!sysdiagnose_" in e["where"] for e in kills)
    # Streamed: the peak does not grow with the member (the old code held all of it, > 200 MiB).
    assert peak_mib < size_mib / 2, f"peak RSS {peak_mib:.0f} MiB for a {size_mib:.0f} MiB member"


# -- 3. the summary aggregates as events stream in -------------------------------------------------


@pytest.mark.fault
@pytest.mark.slow  # a child's peak memory over hundreds of MiB of input
def test_the_summary_of_a_log_of_many_kills_keeps_memory_flat(tmp_path: Path) -> None:
    noise = _noise()
    log = tmp_path / "many-kills.log"
    per_source = 40_000  # 120,000 kill and death lines, each its own death (distinct pids, ms apart)
    with log.open("wb") as f:
        f.write(b"--------- beginning of main\n")
        for i in range(per_source):
            base = 3 * i
            for j, template in enumerate((_AM_KILL, _LMKD_KILL, _HAS_DIED)):
                pid = 100_000 + 3 * i + j
                f.write(_stamp(2 * (base + j)) + template.format(pid=pid).encode() + b"\n")
                f.write(_stamp(2 * (base + j) + 1) + noise[(base + j) % len(noise)] + b"\n")
    rc, out, err, peak_mib = _measured("--no-color", "scan", str(log), timeout=180)
    assert rc == 0, err
    assert "1 input(s) read, 120000 event(s)" in out
    assert "Events: process_killed 80000, process_died 40000" in out
    rows = {tuple(cell.strip() for cell in line.split("│")[1:4]) for line in out.splitlines() if "│" in line}
    assert ("com.google.android.cellbroadcastreceiver", "too_many_empty", "40000") in rows
    assert ("com.google.android.gms.unstable", "low_memory", "40000") in rows
    assert ("com.mservice.momotransfer", "no reason logged", "40000") in rows
    # Old: every event kept, then a DataFrame of them: ~450 MiB here, 2 GB for 951k kills.
    assert peak_mib < 150, f"peak RSS {peak_mib:.0f} MiB"


# -- 4. over-long lines ---------------------------------------------------------------------------


@pytest.mark.fault
@pytest.mark.slow  # a child's peak memory over hundreds of MiB of input
def test_an_over_long_line_is_skipped_with_a_note_and_the_rest_is_read(tmp_path: Path) -> None:
    lines = TERMUX.read_bytes().splitlines(keepends=True)
    junk = b"x" * (10 * MiB) + b"\n"  # a binary blob or a dump pasted on one line
    after_comment = tmp_path / "after-comment.log"
    after_comment.write_bytes(lines[0] + junk + b"".join(lines[1:]))  # `# source:` line, then the blob
    first = tmp_path / "first.log"
    first.write_bytes(junk + b"".join(lines[1:]))
    for path, lineno in ((after_comment, 2), (first, 1)):
        # old: "unrecognized format" / "first line is longer than 1 MiB": the whole file lost
        result = run_cli("scan", str(path), "--json", timeout=60)
        assert result.returncode == 0, result.stderr
        assert f"{path}:{lineno}: line longer than 1 MiB skipped" in result.stderr
        assert _kills(result.stdout)[:2] == TERMUX_KILLS and len(_kills(result.stdout)) == 8
        assert _events(result.stdout)[0]["where"] == f"{path}:{lineno + 1}"  # line numbers still count the blob
    # Skipping does not hold the line: a 300 MiB one costs no more memory than a short file.
    huge = tmp_path / "huge-line.log"
    with huge.open("wb") as f:
        f.write(lines[0])
        for _ in range(300):
            f.write(b"y" * MiB)
        f.write(b"\n" + b"".join(lines[1:]))
    rc, out, err, peak_mib = _measured("scan", "--json", str(huge))
    assert rc == 0, err
    assert f"{huge}:2: line longer than 1 MiB skipped" in err and len(_kills(out)) == 8
    assert peak_mib < 100, f"peak RSS {peak_mib:.0f} MiB"
    huge.unlink()


# -- 5. `watch --pull`: device-supplied names -----------------------------------------------------


@pytest.mark.fault
def test_pull_path_keeps_crafted_names_inside_the_folder(tmp_path: Path) -> None:
    from bgprobe.collectors.ios.crash import pull_path
    from bgprobe.collectors.ios.transport import IosUsageError

    out = tmp_path / "out"
    udid = "00008110-0011223344556677"
    for name in ("../../escape.ips", "/../../../etc/passwd", "/..", "a/../../../b.ips", "..\\..\\win.ips", ""):
        dest = pull_path(out, udid, name)
        assert dest.resolve().is_relative_to((out / udid).resolve()), (name, dest)
        assert ".." not in dest.relative_to(out).parts
    assert (
        pull_path(out, udid, "/JetsamEvent-2026-04-10-050526.ips") == out / udid / "JetsamEvent-2026-04-10-050526.ips"
    )
    assert pull_path(out, udid, "/Retired/x.ips") == out / udid / "Retired" / "x.ips"  # real sub-folders kept
    # control characters (a terminal escape, a NUL) are not written into file names
    assert pull_path(out, udid, "/ab\x1b[31m\x00c.ips").name == "ab_[31m_c.ips"
    # the UDID comes from usbmuxd: it is one folder, whatever it says
    for bad in ("../../x", "/etc", "..", "a/b", "x\x00y"):
        dest = pull_path(out, bad, "/r.ips")
        assert dest.parent.parent == out and dest.parent.name not in ("", ".", ".."), (bad, dest)
    # a symbolic link inside DIR that points out of it is refused, not written through
    (out / udid).mkdir(parents=True)
    (out / udid / "Retired").symlink_to(tmp_path)
    with pytest.raises(IosUsageError, match="outside"):
        pull_path(out, udid, "/Retired/x.ips")


@pytest.fixture
def iphone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """One simulated, paired iPhone (the real pymobiledevice3 talks to it), with HOME, pmd3's pairing
    cache and bgprobe's state isolated as tests/ios does."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("BGPROBE_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("BGPROBE_PAIRING_RECORDS", str(tmp_path / "pairing"))
    for name in ("USBMUXD_SOCKET_ADDRESS", "PYMOBILEDEVICE3_USBMUX", "PYMOBILEDEVICE3_UDID"):
        monkeypatch.delenv(name, raising=False)
    sim = IosSimulator([make_profile(0, 7, "17.5.1")], speed=600, seed=7)
    sim.start()
    try:
        yield sim
    finally:
        sim.stop()


@pytest.mark.fault
def test_watch_pull_of_a_crafted_report_name_stays_inside_the_folder(iphone: IosSimulator, tmp_path: Path) -> None:
    udid = iphone.udids[0]
    dev = iphone.device(udid)
    name = dev.inject_jetsam(dev.profile.apps[0].bundle_id)
    # A phone (or anything speaking usbmux) may list a report as `../../escape.ips`: pymobiledevice3's
    # AFC walk passes the entry on as `/../../escape.ips`, and the old `--pull` wrote it two folders up.
    store = dev.crash_store
    crafted = "../../escape.ips"
    store.files["/" + crafted] = store.files["/" + name]
    listdir = store.listdir
    store.listdir = lambda path: [*listdir(path), crafted] if store._norm(path) == "/" else listdir(path)  # type: ignore[method-assign]
    box = tmp_path / "box"
    out = box / "out"
    watch = ["watch", "--udid", udid, "--crashes", "--pull", str(out), "--duration", "0", "--json"]
    result = subprocess.run(
        [sys.executable, "-m", "bgprobe.cli", *watch],
        env={**os.environ, **iphone.env(), "NO_COLOR": "1", "ADB_SERVER_SOCKET": "tcp:127.0.0.1:9"},
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    written = sorted(p.relative_to(box) for p in box.rglob("*") if p.is_file())
    assert all(p.parts[0] == "out" for p in written), written  # nothing outside --pull DIR
    saved = out / udid / "_" / "_" / "escape.ips"
    assert saved.read_bytes() == store.get(name).data  # the report is still saved, under a safe name
    assert (out / udid / name).read_bytes() == store.get(name).data
    # and still parsed: the crafted listing is an event like any other report
    assert any(e["where"].startswith(f"{udid}:/../../escape.ips:") for e in _events(result.stdout))
