"""logcat line layouts -> `LogRecord`.

Formats (AOSP system/core liblog/logprint.cpp, android_log_formatLogLine):
- threadtime `MM-DD HH:MM:SS.mmm  pid  tid L tag: msg`, with the `year`, `epoch`, `monotonic`,
  `usec`/`nsec`, `zone` and `uid` adverbs;
- time `MM-DD HH:MM:SS.mmm L/tag(  pid): msg`, brief `L/tag(  pid): msg`, tag `L/tag: msg`,
  process `L(  pid) msg  (tag)`, thread `L(  pid: tid) msg`;
- long `[ MM-DD HH:MM:SS.mmm  pid: tid L/tag ]` followed by the message lines (pastes may drop the
  inner blanks: `[04-25 23:56:00.542 3935:3935 E/AndroidRuntime]`, RadioDroid#807);
- Android Studio exports, old (`2019-04-04 16:10:46.673 1126-5987/? D/Tag: msg`) and the
  Logcat window of Studio Dolphin+ (`2023-05-10 10:15:30.123  1234-5678  Tag  com.pkg  D  msg`);
- kernel/dmesg lines (`<6>[  12.345] lowmemorykiller: ...`), kept as raw messages;
- field variants seen in real captures (tests/samples/android_field): Visual Studio / .NET device
  logs (`MM-DD HH:MM:SS.mmm: L/Tag(pid): msg`), old Studio copies without a year
  (`09-27 10:40:01.358 1450-1492/? E/Tag: msg`), on-device viewers that print `L Tag: msg`, and
  copies whose level letter became a coloured emoji (`🔴`).

Lines pasted by people (quoted, fenced, behind grep prefixes, ...) are unwrapped by
`collectors.parsers.paste`, which also tries the `PASTE_LAYOUTS` below on what is left.

Logcat has no year: `YearHint` supplies one from the bugreport or the file's date.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

from bgprobe.collectors.parsers import year_of

_LEVELS = "VDIWEFAS"
# Log viewers that colour the level replace the letter with an emoji (deltachat-android#4016: 🔴 for E).
# Only that one is seen in a real capture; any other symbol in the level's place is kept as it is
# (no parser decides anything on the level), rather than guessed.
_EMOJI_LEVELS = {"🔴": "E"}
_LVL = r"[VDIWEFAS]|[^\x00-\x7f]{1,2}"

_THREADTIME_HEAD = (
    r"^(?P<ts>(?:\d{4}-)?\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?|\s*\d+\.\d+)(?P<zone> [+-]\d{4})?"
    rf"\s+(?:(?P<uid>[A-Za-z0-9_]+)\s+)??(?P<pid>\d+)\s+(?P<tid>\d+) (?P<lvl>{_LVL}) "
)
THREADTIME = re.compile(_THREADTIME_HEAD + r"(?P<tag>.*?)\s*: (?P<msg>.*)$")
# THREADTIME up to the level: with a find of the first ": " after it, what a scan reads most lines with
# (see `line_reader`).
THREADTIME_HEAD = re.compile(_THREADTIME_HEAD)
# `-v time`; Visual Studio / .NET Android device logs put a colon after the time (dotnet/maui#20053).
TIME = re.compile(
    r"^(?P<ts>(?:\d{4}-)?\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?|\s*\d+\.\d+)(?P<zone> [+-]\d{4})?:? "
    r"(?P<lvl>[VDIWEFAS])/(?P<tag>[^(]*?)\s*\(\s*(?:(?P<uid>[A-Za-z0-9_]+):\s*)?(?P<pid>\d+)\): (?P<msg>.*)$"
)
BRIEF = re.compile(
    r"^(?P<lvl>[VDIWEFAS])/(?P<tag>[^(]*?)\s*\(\s*(?:(?P<uid>[A-Za-z0-9_]+):\s*)?(?P<pid>\d+)\): (?P<msg>.*)$"
)
THREAD = re.compile(r"^(?P<lvl>[VDIWEFAS])\(\s*(?P<pid>\d+):\s*(?P<tid>\d+)\) (?P<msg>.*)$")
PROCESS = re.compile(r"^(?P<lvl>[VDIWEFAS])\(\s*(?P<pid>\d+)\) (?P<msg>.*?)\s+\((?P<tag>[^()]*)\)$")
TAG = re.compile(r"^(?P<lvl>[VDIWEFAS])/(?P<tag>[^:]*?)\s*: (?P<msg>.*)$")
# Studio releases before ~3.x wrote no year (sym900728/LockPattern#5: `09-27 10:40:01.358 1450-1492/? E/...`).
STUDIO_OLD = re.compile(
    r"^(?P<ts>(?:\d{4}-)?\d\d-\d\d \d\d:\d\d:\d\d\.\d+) (?P<pid>\d+)-(?P<tid>\d+)/(?P<pkg>\S+) "
    r"(?P<lvl>[VDIWEFA])/(?P<tag>.*?): (?P<msg>.*)$"
)
STUDIO_NEW = re.compile(
    r"^(?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)\s+(?P<pid>\d+)-(?P<tid>\d+)\s+(?P<tag>\S+)\s+"
    r"(?P<pkg>\S+)\s+(?P<lvl>[VDIWEFA])\s+(?P<msg>.*)$"
)
LONG_HEADER = re.compile(
    r"^\[ ?(?P<ts>(?:\d{4}-)?\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?|\s*\d+\.\d+)(?P<zone> [+-]\d{4})?"
    r"\s+(?:(?P<uid>[A-Za-z0-9_]+)\s+)??(?P<pid>\d+):\s*(?P<tid>\d+) (?P<lvl>[VDIWEFAS])/(?P<tag>.*?)\s*\]$"
)
KERNEL = re.compile(r"^(?:<\d+>)?\[\s*(?P<mono>\d+\.\d+)\]\s*(?P<msg>.*)$")
# `L Tag: msg` with neither time nor pid: copies from on-device log viewers (Droid-ify/client#1135).
# Tried last: it is the loosest layout.
LEVEL_TAG = re.compile(r"^(?P<lvl>[VDIWEFA]) (?P<tag>[A-Za-z][\w.$-]*(?: [\w.$-]+)*?)\s*: (?P<msg>.*)$")

# Layouts seen only in pasted text, tried by collectors.parsers.paste on lines no layout above read
# (never by the plain scan, so that they cannot change how a real logcat file is told apart):
# - threadtime without its date and time, as a developer doc printed it (Xiaomi's MIUI process
#   management notes: `1494 2963 I am_kill : [0,5253,<pkg>,500,LockScreenClean]`);
# - brief without its level letter, as an issue title kept it (flutter_downloader#657:
#   `WorkerWrapper(10682): Worker result RETRY for Work [ id=... ]`);
# - `Tag: msg` alone (dontkillmyapp's Nokia page: `ActivityManager: Background start not allowed: ...`):
#   loose enough to read any `Key: value` prose, so it is taken only when a rule reads its message.
THREADTIME_NO_TIME = re.compile(r"^\s*(?P<pid>\d+)\s+(?P<tid>\d+) (?P<lvl>[VDIWEFAS]) (?P<tag>\S.*?)\s*: (?P<msg>.*)$")
TAG_PID = re.compile(r"^(?P<tag>[A-Za-z][\w.$-]*)\s*\(\s*(?P<pid>\d+)\): (?P<msg>.*)$")
BARE_TAG = re.compile(r"^(?P<tag>[A-Za-z][\w.$-]*): (?P<msg>\S.*)$")
# - syncthing-android's log viewer (LogActivity.getAndroidLog, Catfriend1/syncthing-android): `logcat -v time` with
#   the date, the milliseconds and the blank after them and every "(pid):" taken out, so the time runs into the
#   level and the tag ends at a blank: `02:07:39E/AndroidRuntime FATAL EXCEPTION: main` (syncthing-android#1264).
#   The time has no date: it is not kept.
TIME_GLUED_BRIEF = re.compile(r"^\d\d:\d\d:\d\d(?P<lvl>[VDIWEFA])/(?P<tag>[^\s(:]+):? (?P<msg>.*)$")
# - Unity's Android Logcat window (Unity-Technologies/com.unity.mobile.logcat): Copy joins the visible columns with
#   blanks (AndroidLogcatMessagesViews.LogEntriesToString): the time as "yyyy/MM/dd HH:mm:ss.fff", whose "/" is the
#   user's culture's date separator ("2022-08-17 …", natmlx/natml-unity#22; "2025.02.14 …",
#   googleads-mobile-unity#3726), pid, tid, the priority spelled out (its Priority enum: Verbose … Fatal), the tag
#   and the message, with no colon between them (LogcatEntry.ToString puts one). A buffer's "--------- beginning of
#   main" has pid and tid -1 and no tag: not read. The time is not kept (as none of these layouts keeps one).
UNITY_LOGCAT = re.compile(
    r"^(?:\d{4}[/.-])?\d\d[/.-]\d\d \d\d:\d\d:\d\d\.\d{3} (?P<pid>\d+) (?P<tid>\d+) "
    r"(?P<lvl>Verbose|Debug|Info|Warn|Error|Fatal) (?P<tag>\S+?):? (?P<msg>.*)$"
)
_WORD_LEVELS = {"Verbose": "V", "Debug": "D", "Info": "I", "Warn": "W", "Warning": "W", "Error": "E", "Fatal": "F"}
# - Visual Studio's Device Log window (Xamarin / .NET for Android, Windows): a copy of its rows joins the columns Time,
#   Device Name, Type, PID, Tag and Message with tabs, the type spelled out, newest row first (dotnet/android#3398:
#   `07-28 11:25:08.147<TAB>android_8_0<TAB>Info<TAB>1627<TAB>ActivityManager<TAB>Start proc 7244:...`;
#   dotnet/maui#17253, a device name with a blank: `iData i3`). The time is not kept (none of these layouts keeps one).
#   A page that shows the rows outside <pre>, or a mail that expands tabs, turns the tabs into blanks: the tag then ends
#   at the first one.
VS_DEVICE_LOG = re.compile(
    r"^(?:\d{4}-)?\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}[\t ]+[^\t]*?[\t ]+"
    r"(?P<lvl>Verbose|Debug|Info|Warning|Error|Fatal)[\t ]+(?P<pid>\d+)[\t ]+"
    r"(?P<tag>[^\t]+(?=\t)|[^\t ]+)[\t ]+(?P<msg>.*)$"
)
# - Android Studio's Logcat with its date, process ids and package columns turned off (its "compact view"): the time,
#   the tag padded to a column, the level letter between blanks, the message; a multi-line message goes on under the
#   message's column (maplibre/maplibre-native#2206: `18:06:25.661 ActivityManager          E  ANR in <pkg> (...)`).
#   The time has no date: it is not kept.
STUDIO_COMPACT = re.compile(r"^\d\d:\d\d:\d\d\.\d{3}[ \t]+(?P<tag>\S+)[ \t]+(?P<lvl>[VDIWEFA])[ \t]+(?P<msg>\S.*)$")
# - the same Logcat with every column turned off but the level: its LevelFormat writes " L " and one more blank, so the
#   line is the level letter and two blanks before the message (JetBrains/android, logcat/src/com/android/tools/idea/
#   logcat/messages/LevelFormat.kt; capacitor-background-geolocation#345: `D  [c.t.l.service.AbstractService a] ...`).
#   No tag, pid or time: the message is read as a line of no known tag is. (A copy may turn the two blanks into a tab.)
STUDIO_LEVEL_ONLY = re.compile(r"^(?P<lvl>[VDIWEFA])(?:  |\t)(?P<msg>\S.*)$")
PASTE_LAYOUTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("threadtime_no_time", THREADTIME_NO_TIME),
    ("tag_pid", TAG_PID),
    ("time_glued_brief", TIME_GLUED_BRIEF),
    ("unity_logcat", UNITY_LOGCAT),
    ("studio_compact", STUDIO_COMPACT),
    ("studio_level_only", STUDIO_LEVEL_ONLY),
    ("vs_device_log", VS_DEVICE_LOG),
    ("bare_tag", BARE_TAG),
)

# Order matters only for speed: the most common layouts first.
_LINE_LAYOUTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("threadtime", THREADTIME),
    ("time", TIME),
    ("studio", STUDIO_NEW),
    ("studio", STUDIO_OLD),
    ("brief", BRIEF),
    ("thread", THREAD),
    ("process", PROCESS),
    ("tag", TAG),
    ("kernel", KERNEL),  # a plain dmesg / kernel log file
    ("level_tag", LEVEL_TAG),
)


@dataclass(slots=True)
class LogRecord:
    lineno: int
    msg: str
    tag: str = ""
    level: str = ""
    pid: int | None = None
    tid: int | None = None
    uid: str | None = None
    ts: str | None = None  # ISO 8601 once a year is known
    layout: str = "raw"
    package: str | None = None  # Android Studio exports name the app


class YearHint:
    """Supplies the missing year of `MM-DD` timestamps: `year_of` the reference date (the bugreport's date, the file's
    modification time, or today for a phone followed live)."""

    def __init__(self, reference: date | None) -> None:
        self.reference = reference or datetime.now().date()
        # "MM-DD" -> "YYYY-MM-DDT" (None: no such month-day), for the reference it was made for:
        # every line of a log repeats a handful of days, and the year is the costly part of its stamp.
        self._days: dict[str, str | None] = {}
        self._days_ref = self.reference

    def year_for(self, month: int, day: int) -> int:
        return year_of(month, day, self.reference)

    def day_prefix(self, month_day: str) -> str | None:
        """`MM-DD` -> `YYYY-MM-DDT`, or None when it names no month and day; ValueError when it is not
        two numbers."""
        if self._days_ref is not self.reference:
            self._days, self._days_ref = {}, self.reference
        try:
            return self._days[month_day]
        except KeyError:
            pass
        month, day = int(month_day[0:2]), int(month_day[3:5])
        prefix = f"{self.year_for(month, day):04d}-{month_day}T" if 1 <= month <= 12 and 1 <= day <= 31 else None
        if len(self._days) < 4096:  # a garbled log cannot grow it without bound
            self._days[month_day] = prefix
        return prefix


def iso_timestamp(text: str, zone: str | None, years: YearHint) -> str | None:
    text = text.strip()
    try:
        if "-" not in text:  # epoch seconds (`-v epoch`); monotonic times are too small to be dates
            seconds = float(text)
            if seconds < 1e9:
                return None
            return datetime.fromtimestamp(seconds, tz=UTC).isoformat(timespec="milliseconds")
        if len(text) >= 10 and text[4] == "-":
            stamp = text[:10] + "T" + text[11:]
        else:
            prefix = years.day_prefix(text[:5])
            if prefix is None:
                return None
            stamp = prefix + text[6:]
    except (ValueError, OverflowError, OSError):
        return None
    if zone:
        z = zone.strip()
        stamp += f"{z[:3]}:{z[3:]}"
    return stamp


ANSI = re.compile(r"\x1b\[[0-9;]*m")  # `-v color`


LINE_LAYOUTS = _LINE_LAYOUTS  # (name, pattern) of every single-line layout, for sniffing pasted text


def parse_line(line: str, lineno: int, years: YearHint, preferred: re.Pattern[str] | None = None) -> LogRecord:
    """Parse one logcat line in any single-line layout; unknown lines become raw records.
    `preferred` (the layout the file was sniffed as) is tried first: in a plain log it reads nearly
    every line, with one match."""
    if "\x1b[" in line:
        line = ANSI.sub("", line)
    if preferred is not None:
        m = preferred.match(line)
        if m is not None:
            read = _READERS.get(preferred)
            if read is None:  # a layout of no known name: read as the loop below would
                return _read_any(m, preferred, lineno, years)
            return read(m, lineno, years)
    for _, pattern in _LINE_LAYOUTS:
        if pattern is preferred:
            continue  # it did not match above
        m = pattern.match(line)
        if m is not None:
            return _READERS[pattern](m, lineno, years)
    return LogRecord(lineno=lineno, msg=line)


def layout_reader(pattern: re.Pattern[str]) -> Callable[[re.Match[str], int, YearHint], LogRecord]:
    """`read(match, lineno, years) -> LogRecord` for matches of `pattern`: what parse_line returns for a
    line that pattern, given as `preferred`, matches (scanning calls it inline, without parse_line)."""
    read = _READERS.get(pattern)
    if read is None:
        return lambda m, lineno, years: _read_any(m, pattern, lineno, years)
    return read


def line_reader(pattern: re.Pattern[str]) -> Callable[[str, int, YearHint], LogRecord | None]:
    """`read_line(line, lineno, years) -> LogRecord | None`: what parse_line(line, lineno, years, pattern)
    returns when `pattern` matches the line (a line without ANSI colours), None when it does not.

    Threadtime is read without its regex's tail: `(?P<tag>.*?)\\s*: (?P<msg>.*)$` after the head takes
    the first ": " after the level (the lazy tag stops before the first one; the blanks before it are
    the `\\s*` the reader strips from the tag anyway, as str.strip strips what `\\s` matches), and the
    message is the rest (a line has no newline). A line with no ": " after the head the regex would try
    other readings of its head for: those go to the full regex, as any line the head does not read."""
    if pattern is not THREADTIME:
        match, read = pattern.match, layout_reader(pattern)

        def read_matched(line: str, lineno: int, years: YearHint) -> LogRecord | None:
            m = match(line)
            return read(m, lineno, years) if m is not None else None

        return read_matched
    head = THREADTIME_HEAD.match
    full = THREADTIME.match
    read_full: Callable[[re.Match[str], int, YearHint], LogRecord] = _READERS[THREADTIME]
    emoji = _EMOJI_LEVELS

    def read_threadtime(line: str, lineno: int, years: YearHint) -> LogRecord | None:
        m = head(line)
        if m is not None:
            h = m.end()
            q = line.find(": ", h)
            if q != -1:
                ts_text, zone, uid, pid, tid, level = m.groups()
                ts = None
                if zone is None and ts_text[2] == "-" and years._days_ref is years.reference:
                    # `MM-DD hh:mm:ss.mmm`: iso_timestamp's result, its day's prefix taken from its cache
                    prefix = years._days.get(ts_text[:5])
                    if prefix is not None:
                        ts = prefix + ts_text[6:]
                if ts is None:
                    ts = iso_timestamp(ts_text, zone, years)
                return LogRecord(
                    lineno,
                    line[q + 2 :],
                    line[h:q].strip(),
                    emoji.get(level, level),
                    int(pid),
                    int(tid),
                    uid,
                    ts,
                    "threadtime",
                )
        m = full(line)
        return read_full(m, lineno, years) if m is not None else None

    return read_threadtime


def _read_any(m: re.Match[str], pattern: re.Pattern[str], lineno: int, years: YearHint) -> LogRecord:
    return _reader(pattern, _layout_name(pattern))(m, lineno, years)


def _reader(pattern: re.Pattern[str], layout: str) -> Callable[[re.Match[str], int, YearHint], LogRecord]:
    """The function that makes a LogRecord of a match of `pattern`: the groups it has are looked up
    once, here, instead of a groupdict per line (same fields, same values)."""
    if pattern is KERNEL:
        msg_at = pattern.groupindex["msg"] - 1

        def read_kernel(m: re.Match[str], lineno: int, years: YearHint) -> LogRecord:
            return LogRecord(lineno=lineno, msg=m.groups()[msg_at], tag="kernel", layout="kernel")

        return read_kernel
    index = pattern.groupindex

    def pos(name: str) -> int:  # position in m.groups(), or -1: a group this layout does not have
        return index[name] - 1 if name in index else -1

    ts_at, zone_at, uid_at, pid_at, tid_at, pkg_at = (pos(n) for n in ("ts", "zone", "uid", "pid", "tid", "pkg"))
    tag_at = pos("tag")
    lvl_at, msg_at = index["lvl"] - 1, index["msg"] - 1  # every layout but KERNEL has both
    emoji = _EMOJI_LEVELS

    def read(m: re.Match[str], lineno: int, years: YearHint) -> LogRecord:
        g = m.groups()
        ts_text = g[ts_at] if ts_at >= 0 else None
        pid = g[pid_at] if pid_at >= 0 else None
        tid = g[tid_at] if tid_at >= 0 else None
        level = g[lvl_at]
        return LogRecord(
            lineno,
            g[msg_at],
            (g[tag_at] or "").strip() if tag_at >= 0 else "",
            emoji.get(level, level),
            int(pid) if pid else None,
            int(tid) if tid else None,
            g[uid_at] if uid_at >= 0 else None,
            iso_timestamp(ts_text, g[zone_at] if zone_at >= 0 else None, years) if ts_text else None,
            layout,
            _studio_package(g[pkg_at]) if pkg_at >= 0 else None,
        )

    return read


def parse_pasted_layout(line: str, lineno: int) -> list[LogRecord]:
    """The readings of a line under the PASTE_LAYOUTS that match it (none carries a time)."""
    out = []
    for layout, pattern in PASTE_LAYOUTS:
        m = pattern.match(line)
        if m is None:
            continue
        g = m.groupdict()
        level = g.get("lvl") or ""
        level = _WORD_LEVELS.get(level, level)
        out.append(
            LogRecord(
                lineno=lineno,
                msg=g["msg"],
                tag=(g.get("tag") or "").strip(),
                level=level,
                pid=int(g["pid"]) if g.get("pid") else None,
                tid=int(g["tid"]) if g.get("tid") else None,
                layout=layout,
            )
        )
    return out


def _layout_name(pattern: re.Pattern[str]) -> str:
    return next((name for name, p in _LINE_LAYOUTS if p is pattern), "raw")


_READERS = {pattern: _reader(pattern, name) for name, pattern in reversed(_LINE_LAYOUTS)}


def _studio_package(pkg: str | None) -> str | None:
    # Studio writes "?" or "pid-1234" when it does not know the app.
    if not pkg or pkg == "?" or pkg.startswith("pid-"):
        return None
    return pkg


def sniff_layout(sample_lines: list[str]) -> re.Pattern[str] | None:
    """The single-line layout most of these lines use, or None (long format, or not logcat)."""
    counts: dict[int, int] = {}
    patterns = [p for _, p in _LINE_LAYOUTS]
    for line in sample_lines:
        for i, p in enumerate(patterns):
            if p.match(line):
                counts[i] = counts.get(i, 0) + 1
                break
    if not counts:
        return None
    best = max(counts, key=lambda i: counts[i])
    return patterns[best]


def looks_like_long_format(sample_lines: list[str]) -> bool:
    return sum(1 for line in sample_lines if LONG_HEADER.match(line)) >= 1


def parse_long(lines: Iterable[tuple[int, str]], years: YearHint) -> Iterator[LogRecord]:
    """`-v long`: a `[ header ]` line, then message lines up to a blank line. Yields LogRecords,
    one per message line (multi-line messages keep their header), like threadtime would."""
    header: re.Match[str] | None = None
    for lineno, line in lines:
        h = LONG_HEADER.match(line)
        if h is not None:
            header = h
            continue
        if not line.strip() or header is None:
            if header is None and line.strip():
                yield parse_line(line, lineno, years)
            continue
        g = header.groupdict()
        yield LogRecord(
            lineno=lineno,
            msg=line,
            tag=g["tag"].strip(),
            level=g["lvl"],
            pid=int(g["pid"]),
            tid=int(g["tid"]),
            uid=g.get("uid"),
            ts=iso_timestamp(g["ts"], g.get("zone"), years),
            layout="long",
        )
