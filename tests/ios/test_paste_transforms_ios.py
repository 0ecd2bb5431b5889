"""However a real iOS capture was pasted, it gives the same events: every iOS capture of tests/samples (each
named in tests/samples/corpus/ios*.toml, its source on its first line) is rewritten as tickets, issues and chats
rewrite logs (the transforms of tests/test_paste_transforms.py: quoted, indented as a Markdown code block, fenced
after a sentence, after prose, a blank line after every line, no-break spaces, CRLF, inside <details>, inside a
numbered list item's fence) and scanned; its events must be those of the capture as it is.

What these caught: an indented Console copy ran into one record (every line started with a blank, so each
continued the one before), an indented `process<TAB>message` row was no row, an indented or list-item crash
report (MetricKit's `Termination reason: <RBSTerminateContext| …`, a bug_type 109 header and its text report)
was not told or not read, a JetsamEvent report followed by a closing fence or a sentence gave nothing, and a
double-spaced paste cut every multi-line record (dasd's policy dumps, a hard-wrapped UIKit warning) at its
first line."""

from __future__ import annotations

from pathlib import Path

import pytest
from bgprobe.collectors.parsers.ios_syslog import IosTextReader

from tests.test_paste_transforms import TRANSFORMS, captures, key, pasted

# Captures whose multi-line records (dasd's `{(` sets and policy dumps, TN3163's reflowed Console rows, a
# hard-wrapped UIKit warning, an assertion's lines) must join across the blank lines of a double-spaced paste.
_DOUBLE_SPACED = {
    "uikit_bgtask_expired_hard_wrapped_uynguyen_blog.txt",
    "dasd_pushlaunch_policies_markdown_ably_docs.txt",
    "dasd_coredata_import_throttle_tn3163.txt",
    "dasd_bgprocessing_submit_cancel_policy.txt",
    "legacy_assertion_beyond_permitted_time.txt",
}


@pytest.mark.parametrize("name", list(TRANSFORMS))
def test_an_ios_capture_pasted_any_way_gives_its_events(tmp_path: Path, name: str) -> None:
    ios = captures("ios")
    assert len(ios) >= 80
    differ, events = set(), 0
    for path in ios:
        expected = key(path)
        events += len(expected)
        if key(pasted(path, name, tmp_path)) != expected:
            differ.add(path.name)
    assert events >= 100  # not vacuous: the captures give events
    assert not differ, f"{name}: read differently: {sorted(differ)}"


def _reader_key(lines: list[str], double_spaced: bool) -> list[str]:
    reader = IosTextReader("paste.txt", double_spaced=double_spaced)
    events = [e for n, line in enumerate(lines, 1) for e in reader.feed(n, line)] + reader.flush()
    return sorted(repr((e.kind, e.package, e.pid, e.reason, e.job, e.detail)) for e in events)


@pytest.mark.parametrize("capture", sorted(_DOUBLE_SPACED))
def test_a_double_spaced_capture_reads_as_itself(capture: str) -> None:
    # A blank line after every line (and three for each blank line of the capture): its multi-line records
    # (dasd's `{(` sets and policy dumps, TN3163's reflowed Console rows, a hard-wrapped UIKit warning) join
    # across the doubled blanks as they did without them.
    path = next(p for p in captures("ios") if p.name == capture)
    lines = path.read_text(encoding="utf-8").splitlines()
    expected = _reader_key(lines, double_spaced=False)
    assert expected
    assert _reader_key(lines[:1] + TRANSFORMS["blank"](lines[1:]), double_spaced=True) == expected
