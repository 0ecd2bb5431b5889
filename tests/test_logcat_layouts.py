"""Every logcat `-v` layout and adverb. Lines are constructed from the printf formats of
system/core liblog/logprint.cpp (docs/formats.md §1); the message is the real
termux kill line."""

from __future__ import annotations

from datetime import date

import pytest
from bgprobe.collectors.parsers.logcat import YearHint, iso_timestamp, parse_line

from tests.helpers import scan

KILL = "Killing 14231:com.google.android.cellbroadcastreceiver/u0a227 (adj 975): empty #33"
YEARS = YearHint(date(2021, 11, 2))

LAYOUTS = {
    "threadtime": (
        f"10-30 13:27:55.958  1702  1970 I ActivityManager: {KILL}",
        "2021-10-30T13:27:55.958",
        1702,
        1970,
        None,
    ),
    "threadtime_year": (
        f"2020-10-30 13:27:55.958  1702  1970 I ActivityManager: {KILL}",
        "2020-10-30T13:27:55.958",
        1702,
        1970,
        None,
    ),
    "threadtime_uid": (
        f"10-30 13:27:55.958  1000  1702  1970 I ActivityManager: {KILL}",
        "2021-10-30T13:27:55.958",
        1702,
        1970,
        "1000",
    ),
    "threadtime_uid_name": (
        f"10-30 13:27:55.958   nfc  1702  1970 I ActivityManager: {KILL}",
        "2021-10-30T13:27:55.958",
        1702,
        1970,
        "nfc",
    ),
    "threadtime_usec": (
        f"10-30 13:27:55.958123  1702  1970 I ActivityManager: {KILL}",
        "2021-10-30T13:27:55.958123",
        1702,
        1970,
        None,
    ),
    "threadtime_zone": (
        f"10-30 13:27:55.958 +0100  1702  1970 I ActivityManager: {KILL}",
        "2021-10-30T13:27:55.958+01:00",
        1702,
        1970,
        None,
    ),
    "threadtime_epoch": (
        f"         1635600475.958  1702  1970 I ActivityManager: {KILL}",
        "2021-10-30T13:27:55.958+00:00",
        1702,
        1970,
        None,
    ),
    "threadtime_monotonic": (f"  5123.958  1702  1970 I ActivityManager: {KILL}", None, 1702, 1970, None),
    "time": (f"10-30 13:27:55.958 I/ActivityManager( 1702): {KILL}", "2021-10-30T13:27:55.958", 1702, None, None),
    "time_uid": (
        f"10-30 13:27:55.958 I/ActivityManager( 1000: 1702): {KILL}",
        "2021-10-30T13:27:55.958",
        1702,
        None,
        "1000",
    ),
    "brief": (f"I/ActivityManager( 1702): {KILL}", None, 1702, None, None),
    "studio_old": (
        f"2019-04-04 16:10:46.673 1702-1970/? I/ActivityManager: {KILL}",
        "2019-04-04T16:10:46.673",
        1702,
        1970,
        None,
    ),
    "studio_new": (
        f"2023-05-10 10:15:30.123  1702-1970  ActivityManager         system_server                        I  {KILL}",
        "2023-05-10T10:15:30.123",
        1702,
        1970,
        None,
    ),
}


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_layout_parses_fields(name):
    line, ts, pid, tid, uid = LAYOUTS[name]
    rec = parse_line(line, 7, YEARS)
    assert rec.msg == KILL
    assert rec.tag == "ActivityManager"
    assert rec.level == "I"
    assert (rec.ts, rec.pid, rec.tid, rec.uid) == (ts, pid, tid, uid)
    assert rec.lineno == 7


@pytest.mark.parametrize(
    "line",
    [
        f"I( 1702) {KILL}  (ActivityManager)",  # process
        f"I/ActivityManager: {KILL}",  # tag
        f"I( 1702: 1970) {KILL}",  # thread
    ],
)
def test_layouts_without_time(line):
    rec = parse_line(line, 1, YEARS)
    assert rec.msg == KILL
    assert rec.ts is None


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_each_layout_as_a_file_gives_the_kill(tmp_path, name):
    line = LAYOUTS[name][0]
    path = tmp_path / f"{name}.txt"
    path.write_text("--------- beginning of main\n" + line + "\n")
    events, outcome = scan(path)
    assert not outcome.problems
    assert [(e.kind, e.pid, e.reason) for e in events] == [("process_killed", 14231, "too_many_empty")]


def test_long_format_file(tmp_path):
    path = tmp_path / "long.txt"
    path.write_text(
        "--------- beginning of main\n"
        "[ 10-30 13:27:55.958  1702: 1970 I/ActivityManager ]\n"
        f"{KILL}\n\n"
        "[ 10-30 13:27:56.000  1702: 1970 D/ActivityManager ]\n"
        "something else\n\n"
    )
    events, _ = scan(path)
    assert [(e.kind, e.pid, e.where.rsplit(":", 1)[1]) for e in events] == [("process_killed", 14231, "3")]


def test_year_rolls_back_across_new_year():
    hint = YearHint(date(2024, 1, 3))
    assert iso_timestamp("12-31 23:59:59.000", None, hint) == "2023-12-31T23:59:59.000"
    assert iso_timestamp("01-02 00:00:01.000", None, hint) == "2024-01-02T00:00:01.000"
    assert iso_timestamp("13-45 00:00:00.000", None, hint) is None  # not a date: no invented timestamp


def test_unknown_line_is_raw_not_an_error():
    rec = parse_line("this is not logcat", 3, YEARS)
    assert rec.layout == "raw" and rec.msg == "this is not logcat" and rec.pid is None


def test_color_adverb_escapes_are_ignored():
    line = f"\x1b[38;5;40m10-30 13:27:55.958  1702  1970 I ActivityManager: {KILL}\x1b[0m"
    rec = parse_line(line, 1, YEARS)
    assert (rec.tag, rec.pid, rec.msg) == ("ActivityManager", 1702, KILL)
