"""Pure parsers: text in, `bgprobe.reports.events.Event` out. Shared by live streams and files.

Conventions for every parser module:
- input is an iterable of `(lineno, text)` pairs (text without its trailing newline), so the same
  function serves a file, a bugreport section and a live stream;
- `where` is the location prefix (a file path, `bugreport.zip!entry.txt`, or `live:<serial>`);
  each event's `where` is `f"{where}:{lineno}"`;
- parsers never raise on arbitrary input: what they do not understand, they skip.
"""

from collections.abc import Iterable
from datetime import date, timedelta

NumberedLines = Iterable[tuple[int, str]]

FUTURE_DAYS = 2  # how far after its reference date a log's month-day may be (year_of)


def year_of(month: int, day: int, reference: date) -> int:
    """The year of a stamp that gives only a month and a day (logcat's "11-30", syslog's "Nov 30"): the latest year
    in which that day is not after the reference date (a bugreport's date, a file's modification time, or today for a
    phone followed live) by more than FUTURE_DAYS. Those days are a phone's clock ahead of this computer's date (another
    time zone), and a live follow or a campaign that runs past midnight: "12-01" read on the evening of November 30 is
    this year's, not the year before's, and "01-01" read on December 31 is next year's."""
    latest = reference + timedelta(days=FUTURE_DAYS)
    for year in (reference.year + 1, reference.year, reference.year - 1):
        try:
            if date(year, month, day) <= latest:
                return year
        except ValueError:  # February 29 of a year that has none, or no such day
            continue
    return reference.year - 1 if (month, day) > (reference.month, reference.day) else reference.year


def at(where: str, lineno: int) -> str:
    return f"{where}:{lineno}"
