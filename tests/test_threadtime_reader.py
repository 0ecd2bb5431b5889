"""The scan reads threadtime lines with `logcat.line_reader(THREADTIME)`: the layout's head by regex, then the
first ": " after the level by a find, instead of the regex's lazy tag (issue 11, speed). It must give what
`parse_line(line, ..., THREADTIME)` gives for every line THREADTIME matches (and nothing for one it does not):
checked on every line of the real captures, and on those lines with blanks, colons, digits and non-ASCII
characters put in and taken out (Unicode spaces and digits, which the regex's \\s and \\d match too)."""

from __future__ import annotations

from datetime import date

from bgprobe.collectors.parsers.logcat import THREADTIME, YearHint, line_reader, parse_line
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import TESTS, examples

READ = line_reader(THREADTIME)
REFERENCE = date(2024, 11, 1)


def _capture_lines() -> list[str]:
    lines = []
    for path in sorted((TESTS / "samples").rglob("*.txt")):
        lines += path.read_text(encoding="utf-8", errors="replace").split("\n")[1:]  # the first names the source
    return [line for line in lines if "\x1b[" not in line]  # a coloured line is read by parse_line alone


LINES = _capture_lines()
THREADTIME_LINES = [line for line in LINES if THREADTIME.match(line)]


def _same(line: str) -> None:
    fast = READ(line, 7, YearHint(REFERENCE))
    full = parse_line(line, 7, YearHint(REFERENCE), THREADTIME) if THREADTIME.match(line) else None
    assert fast == full, line


def test_every_captured_line_reads_as_the_layout_regex_reads_it() -> None:
    assert len(THREADTIME_LINES) >= 200  # threadtime of many apps and makers, with uid and epoch variants
    for line in LINES:
        _same(line)
    # blanks of every kind around the tag (stripped from it), and a ": " inside it (the tag ends there)
    for line in THREADTIME_LINES:
        m = THREADTIME.match(line)
        assert m is not None
        tag, end = m.start("tag"), m.end("tag")
        for blank in (" ", "\t", "\u00a0", "\u3000", "\x1c"):
            _same(line[:tag] + blank + line[tag:end] + blank * 2 + line[end:])
        _same(line[:tag] + "a: b" + line[tag:])
    # the days of a log come from the reader's cache: a second reading of every line, same records
    years_fast, years_full = YearHint(REFERENCE), YearHint(REFERENCE)
    for line in THREADTIME_LINES:
        assert READ(line, 1, years_fast) == parse_line(line, 1, years_full, THREADTIME), line


_PIECES = st.sampled_from(
    [" ", ":", ": ", " : ", "\t", "\u00a0", "\u3000", "\x1c", "\r", "1", "٣", "I", "🔴", "-", "."]
)


@settings(max_examples=examples(600), deadline=None)
@given(
    st.sampled_from(THREADTIME_LINES),
    st.lists(st.tuples(st.floats(0, 1), st.booleans(), _PIECES), min_size=1, max_size=4),
)
def test_edited_lines_read_as_the_layout_regex_reads_them(line: str, edits: list[tuple[float, bool, str]]) -> None:
    chars = list(line)
    for where, delete, piece in edits:
        at = min(int(where * len(chars)), len(chars) - 1)
        if delete and chars:
            del chars[at]
        else:
            chars.insert(at, piece)
    _same("".join(chars))
