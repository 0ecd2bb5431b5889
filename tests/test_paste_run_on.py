"""Log lines run together on one line: a web page, a forum or a chat that lost the newlines between the
lines someone pasted (`collectors.parsers.paste.run_on_lines`, used by the scanner when its sample holds
such a line)."""

from __future__ import annotations

from bgprobe.collectors.parsers.logcat import YearHint
from bgprobe.collectors.parsers.paste import run_on_lines

from tests.helpers import TESTS, scan

RUN_TOGETHER = TESTS / "samples/corpus/android_oem/samsung_has_died_adj_run_together_coderoad.txt"


def _run_together_line() -> str:
    return next(line for line in RUN_TOGETHER.read_text(encoding="utf-8").splitlines() if line.count("has died") > 1)


def test_a_line_of_brief_records_run_together_is_split_where_each_starts():
    pieces = run_on_lines(_run_together_line(), YearHint(None), None)
    assert len(pieces) == 9
    assert all(p.startswith(("I/ActivityManager( 2258): Process ", "D/")) for p in pieces)
    assert pieces[0].endswith("(pid 32242) (adj 10) has died.")
    assert pieces[2] == "D/dalvikvm(32602): WAIT_FOR_CONCURRENT_GC blocked 0ms"


def test_a_date_in_a_message_is_no_place_where_a_line_starts():
    line = "10-30 08:00:01.000  1702  2010 I AlarmManager: alarm due 10-30 08:00:00.000 fired late"
    assert run_on_lines(line, YearHint(None), None) == []
    assert run_on_lines("Process a (pid 1) has died. I/ then prose", YearHint(None), None) == []


def test_threadtime_lines_run_together_each_give_their_event(tmp_path):
    path = tmp_path / "flat.txt"
    path.write_text(
        "10-30 08:00:00.001  1702  2010 I ActivityManager: Killing 15849:com.foo.bar/u0a280 (adj 905): empty #17 "
        "10-30 08:00:00.101  1702  2010 I ActivityManager: Killing 15850:com.foo.baz/u0a281 (adj 905): empty #18 "
        "10-30 08:00:01.000  1702  2010 I AlarmManager: alarm due 10-30 08:00:00.000 fired late\n",
        encoding="utf-8",
    )
    events, outcome = scan(path)
    assert outcome.unrecognized == 0
    assert [(e.kind, e.package, e.pid, e.reason, e.ts[-12:]) for e in events] == [
        ("process_killed", "com.foo.bar", 15849, "too_many_empty", "08:00:00.001"),
        ("process_killed", "com.foo.baz", 15850, "too_many_empty", "08:00:00.101"),
    ]


def test_the_run_together_capture_gives_each_death_once():
    events, outcome = scan(RUN_TOGETHER)
    assert outcome.unrecognized == 0
    assert sorted((e.kind, e.pid) for e in events) == sorted(
        ("process_died", pid) for pid in (32242, 32446, 32272, 12041, 19839, 556)
    )
