"""The year of a logcat `MM-DD` stamp (YearHint): the latest year in which the month-day is not after the reference
date by more than two days. A campaign's live follow starts with today's date and runs past midnight; a phone's clock
may be a time zone ahead of this computer's. Found when a campaign test ran across midnight on November 30: its
"12-01" lines were read as the year before, and the attempts' finish times no longer matched the phone's log."""

from __future__ import annotations

from datetime import date

import pytest
from bgprobe.collectors.parsers.logcat import THREADTIME, YearHint, parse_line


@pytest.mark.parametrize(
    ("reference", "month_day", "year"),
    [
        ((2026, 11, 30), (12, 1), 2026),  # past midnight: the next day, this year
        ((2026, 11, 30), (12, 2), 2026),
        ((2026, 11, 30), (12, 3), 2025),  # more than two days ahead: a log of the year before
        ((2026, 11, 30), (11, 30), 2026),
        ((2026, 11, 30), (1, 5), 2026),
        ((2026, 12, 31), (1, 1), 2027),  # New Year's night: next year's January
        ((2026, 12, 31), (1, 5), 2026),
        ((2028, 3, 1), (2, 29), 2028),  # a leap day
    ],
)
def test_the_year_of_a_month_day(reference: tuple[int, int, int], month_day: tuple[int, int], year: int) -> None:
    assert YearHint(date(*reference)).year_for(*month_day) == year


def test_a_line_logged_after_midnight_keeps_the_follows_year() -> None:
    years = YearHint(date(2026, 11, 30))
    before = parse_line("11-30 23:59:59.900  1702  1970 I ActivityManager: a", 1, years, THREADTIME)
    after = parse_line("12-01 00:00:00.100  1702  1970 I ActivityManager: b", 2, years, THREADTIME)
    assert (before.ts, after.ts) == ("2026-11-30T23:59:59.900", "2026-12-01T00:00:00.100")
    assert before.ts is not None and after.ts is not None and before.ts < after.ts


def test_an_ios_syslog_line_after_midnight_keeps_the_year_too() -> None:
    # The same rule for syslog_relay's `Mon dd` stamps (idevicesyslog, pymobiledevice3's syslog).
    from bgprobe.collectors.parsers.ios_layouts import parse_record

    rec = parse_record("Dec  1 00:00:01 iPhone SpringBoard[58] <Notice>: x", 1, reference=date(2026, 11, 30))
    assert rec is not None and rec.ts is not None and rec.ts.startswith("2026-12-01T00:00:01")
