"""`bgprobe scan` reads a file in chunks of CHUNK_SIZE bytes of whole lines (collectors/inputs/textscan.py). What a
chunk's end leaves open must be carried over to the next chunk: the lines after a crash's or an ANR's header (its
exception, its reason: the context lines `_selected` hands over), the line before a message wrapped onto the next
one, the pieces of a hard-wrapped line, and the turn of the iOS reader in a text quoting both platforms. Then
--json, --unrecognized and the summary are the same whatever the chunk size.

The logs are mixed from the real captures in tests/samples: the Android one is test_scan_split's (every Android
capture six times over, CRLF, hard-wrapped lines, over-long lines), also as a bugreport's sections hold it, the iOS
one every iOS capture three times over, and a ticket quoting both platforms (read as pasted text, every line offered
to both readers). The scans run in this
process with the module's CHUNK_SIZE made small; one process reads (test_scan_split covers the split read)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from bgprobe.collectors.inputs import textscan

from tests.helpers import TESTS, invoke
from tests.test_scan_split import write_mixed_log

SAMPLES = TESTS / "samples"
IOS_DIRS = (SAMPLES / "corpus" / "ios", SAMPLES / "ios_field")
ANDROID_DIRS = (
    SAMPLES / "android",
    SAMPLES / "android_field",
    SAMPLES / "corpus" / "android_aosp",
    SAMPLES / "corpus" / "android_oem",
)
# From 4 KiB (a chunk end every ~40 lines) to the default; odd sizes put the ends elsewhere.
CHUNK_SIZES = (4 << 10, (5 << 10) + 333, (9 << 10) + 77, 64 << 10, 1 << 20)


def _capture(path: Path) -> bytes:
    """A capture's lines without the `# source:` note on top, ending with a newline."""
    lines = path.read_bytes().splitlines(keepends=True)
    while lines and lines[0].startswith(b"#"):
        lines.pop(0)
    text = b"".join(lines)
    return text if text.endswith(b"\n") else text + b"\n"


def _captures(folders: tuple[Path, ...]) -> list[bytes]:
    return [_capture(path) for folder in folders for path in sorted(folder.glob("*.txt"))]


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("chunks")
    ios = _captures(IOS_DIRS)
    assert len(ios) >= 50
    ios_parts = []
    for round_ in range(3):  # three orders, every third capture with CRLF line ends
        order = random.Random(round_).sample(ios, len(ios))
        ios_parts += [c.replace(b"\n", b"\r\n") if i % 3 == round_ else c for i, c in enumerate(order)]
    (folder / "ios.log").write_bytes(b"".join(ios_parts))
    # A ticket quoting both platforms: its first 64 KiB (what the format is told from) dasd's syslog lines and
    # some logcat lines, then every capture of both, twice over in two orders.
    head = [b"The app stops in the background on both phones, logs below.\n"]
    while sum(map(len, head)) < 70_000:
        head += [_capture(SAMPLES / "ios_field" / "dasd_pushlaunch_syslog_relay_ios11.txt")] * 8
        head.append(_capture(SAMPLES / "android" / "logcat_am_killing_empty_android12_termux.txt"))
    both = ios + _captures(ANDROID_DIRS)
    mixed = [c for round_ in range(2) for c in random.Random(round_).sample(both, len(both))]
    (folder / "both.log").write_bytes(b"".join(head + mixed))
    android = write_mixed_log(folder / "android.log")
    # The Android log as a bugreport's text holds it: its lines in SYSTEM LOG and EVENT LOG sections, with the
    # buffer markers logcat prints; context and a wrapped line's pieces stop at a section's end.
    report = [
        b"== dumpstate: 2024-11-01 10:00:00\n",
        b"Build fingerprint: 'google/oriole/oriole:13/TQ1A.230105.002/9325679:user/release-keys'\n",
        b"------ SYSTEM LOG (logcat -v threadtime -v printable -d *:v) ------\n",
    ]
    for i, line in enumerate(android.read_bytes().splitlines(keepends=True)):
        report.append(line)
        if i % 997 == 500:
            report.append(b"--------- beginning of crash\n")
        if i % 2503 == 1000:
            report.append(b"------ 0.412s was the duration of 'SYSTEM LOG' ------\n")
            report.append(b"------ EVENT LOG (logcat -b events -v threadtime -v printable -d *:v) ------\n")
    report.append(b"------ 0.412s was the duration of 'EVENT LOG' ------\n")
    (folder / "bugreport.txt").write_bytes(b"".join(report))
    return {
        "android": android,
        "bugreport": folder / "bugreport.txt",
        "ios": folder / "ios.log",
        "both": folder / "both.log",
    }


def _outputs(path: Path) -> dict[str, str]:
    runs = {
        "json": ("scan", "--json", str(path)),
        "unrecognized": ("scan", "--unrecognized", "--json", str(path)),
        "summary": ("scan", str(path)),
    }
    out = {}
    for what, args in runs.items():
        done = invoke(*args)
        assert done.returncode == 0, done.stderr
        out[what] = done.stdout
    return out


@pytest.mark.slow  # five full scans of each mixed log: seconds
@pytest.mark.parametrize("name", ["android", "bugreport", "ios", "both"])
def test_scan_output_does_not_depend_on_the_chunk_size(
    logs: dict[str, Path], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(textscan, "_core_free", lambda: False)  # one process reads, at every size
    path = logs[name]
    assert path.stat().st_size > 30 * CHUNK_SIZES[0]  # many chunk ends at the small sizes
    expected = _outputs(path)  # at the default CHUNK_SIZE: the file is one chunk
    events = expected["json"].splitlines()
    assert len(events) >= {"android": 1000, "bugreport": 1000, "ios": 150, "both": 400}[name]
    if name != "ios":
        # not vacuous: crashes with their exception, ANRs with their reason (the lines after the header)
        assert sum('"kind":"crash"' in e and '"exception":' in e for e in events) >= 20
        assert sum('"kind":"anr"' in e and '"anr_reason":' in e for e in events) >= 10
    for size in CHUNK_SIZES:
        monkeypatch.setattr(textscan, "CHUNK_SIZE", size)
        got = _outputs(path)
        for what in expected:
            assert got[what] == expected[what], f"{name}: {what} at chunk size {size}"
