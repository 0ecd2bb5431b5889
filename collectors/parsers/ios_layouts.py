"""iOS log records: how a line of each layout is cut into time, process, pid, image, level, subsystem, category
and message (`parse_record`), and how the lines of a log become records (`iter_records`). What a message means is
`collectors.parsers.ios_rules`; pasted text is read by `collectors.parsers.ios_syslog.IosTextReader`.

Layouts (docs/ios-commands.md, and the captures in tests/samples/ios/ and tests/samples/ios_field/):
- syslog_relay / idevicesyslog: `Mon dd HH:MM:SS Host proc(Image)[pid] <Level>: msg` (the image and
  the level are optional; iOS 8 prints `proc[pid]`), also without its date and host as pasted;
- pymobiledevice3 `syslog live` (os_trace_relay): `YYYY-MM-DD HH:MM:SS.ffffff proc{image}[pid] <LEVEL>: msg`;
- `log show` (default, `--style syslog` and `--style compact`), Console.app copies (`type<TAB>time<TAB>process<TAB>msg`,
  or with spaces for tabs, an older Console's date, elided columns), Xcode console and Foundation's NSLog
  (`YYYY-MM-DD HH:MM:SS.ffffff+ZZZZ Proc[pid:tid] [Category] msg`), `HH:MM:SS.mmm  proc: msg`;
- a line that matches no layout continues the previous record when it is indented or starts with a
  closing bracket (dasd prints NSSet and policy dumps over several lines), or when the record before it
  is still open (it ended with an opening bracket, or with a colon after its header); otherwise it is a
  bare message.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from bgprobe.collectors.parsers import NumberedLines, year_of

_MONTHS = {
    m: i for i, m in enumerate(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1)
}
_LEVEL_NAMES = {"default", "info", "debug", "error", "fault", "notice", "activity", "warning"}

# The day is space-padded ("Apr  3"); a page or a forum that collapses blanks leaves "Apr 3", an editor that turns
# blanks into tabs "Apr\t3".
# A simulator's (and macOS's) system.log has no level, and launchd puts the job it speaks of after its pid
# ("launchd_sim[74280] (UIKitApplication:org.x.app[0x3d0e][74872]): Service exited due to Killed: 9",
# NativeScript/nativescript-cli#2193): the message keeps that "(label): " (ios_rules.LAUNCHD_EXIT reads it).
SYSLOG_RELAY = re.compile(
    r"^(?P<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[ \t](?P<day>[ \d]?\d) (?P<time>\d\d:\d\d:\d\d) "
    r"(?P<host>\S+) (?P<proc>[^\[\]()]+?)(?:\((?P<image>[^()]*)\))?\[(?P<pid>\d+)\]"
    r"(?:(?: <(?P<level>\w+)>)?: | (?=\())(?P<msg>.*)$",
    re.S,
)
PMD3_LIVE = re.compile(
    r"^(?P<date>\d{4}-\d\d-\d\d) (?P<time>\d\d:\d\d:\d\d(?:\.\d+)?) (?P<proc>[^{}\[\]]+?)\{(?P<image>[^{}]*)\}"
    r"\[(?P<pid>\d+)\] <(?P<level>\w+)>: (?P<msg>.*)$",
    re.S,
)
LOG_SHOW = re.compile(
    r"^(?P<date>\d{4}-\d\d-\d\d) (?P<time>\d\d:\d\d:\d\d\.\d+)(?P<tz>[+-]\d{4})?\s+0x[0-9a-f]+\s+(?P<level>\w+)\s+"
    r"0x[0-9a-f]+\s+(?P<pid>\d+)\s+\d+\s+(?P<proc>[^:]+?): (?:\((?P<image>[^()]*)\) )?"
    r"(?:\[(?P<subsystem>[^\]:\s]+):(?P<category>[^\]]+)\] )?(?P<msg>.*)$",
    re.S,
)
LOG_SHOW_SYSLOG = re.compile(
    r"^(?P<date>\d{4}-\d\d-\d\d) (?P<time>\d\d:\d\d:\d\d\.\d+)(?P<tz>[+-]\d{4})?\s+(?P<host>\S+) "
    r"(?P<proc>[^\[\]]+?)\[(?P<pid>\d+)\]: (?:\((?P<image>[^()]*)\) )?"
    r"(?:\[(?P<subsystem>[^\]:\s]+):(?P<category>[^\]]+)\] )?(?P<msg>.*)$",
    re.S,
)
XCODE = re.compile(
    r"^(?P<date>\d{4}-\d\d-\d\d) (?P<time>\d\d:\d\d:\d\d\.\d+)(?P<tz>[+-]\d{4})? (?P<proc>[^\[\]]+?)"
    r"\[(?P<pid>\d+):(?P<tid>\d+)\] (?:\[(?P<category>[^\]]+)\] )?(?P<msg>.*)$",
    re.S,
)
# The type column is the localized word of the Mac's Console.app: a Japanese Console copies `エラー` (error) and
# `デフォルト` (default) (tests/samples/corpus/ios/console_japanese_type_column_*). A word in a non-Latin script before
# the tab and the time is taken for one. Of Latin-script translations only a German Console's `standard` (default)
# is known, from a real copy (tests/samples/corpus/ios/console_standard_type_*); others are not guessed. A newer
# Console writes the English words with a capital (`Default`, tests/samples/corpus/ios_new5/signal5923_*, iOS 18): the
# same words, either case.
_CONSOLE_TYPES = r"[Dd]efault|[Ss]tandard|[Ii]nfo|[Dd]ebug|[Ee]rror|[Ff]ault|[Nn]otice|[Aa]ctivity"
CONSOLE = re.compile(
    r"^(?P<level>" + _CONSOLE_TYPES + r"|[^\x00-\x7f\s]{1,12})\t(?P<time>\d\d:\d\d:\d\d\.\d+)"
    r"(?: ?(?P<tz>[+-]\d{4}))?\t(?P<rest>.*)$",
    re.S,
)
TIME_ONLY = re.compile(r"^(?P<time>\d\d:\d\d:\d\d\.\d+)\s+(?:(?P<proc>[\w.-]+): )?(?P<msg>.*)$", re.S)
# `log show|stream --style compact`: the type abbreviated (Df default, Db debug, I info, E/Er error, F/Fa fault,
# A activity), no UTC offset, the thread id in hex: `2020-05-29 12:06:43.858 Df runningboardd[2308:ee9f]
# [com.apple.runningboard:power] msg` (the simulator log in beeware/briefcase's tests; Appium's device log in
# tests/samples/corpus/ios/appium_syslog_json_*). Before XCODE, which would take `Df runningboardd` for a process.
LOG_COMPACT = re.compile(
    r"^(?P<date>\d{4}-\d\d-\d\d) (?P<time>\d\d:\d\d:\d\d\.\d+) (?P<level>Df|Db|Dc|I|In|E|Er|F|Fa|A|Ac) +"
    r"(?P<proc>[^\[\]]+?)\[(?P<pid>\d+):(?P<tid>[0-9a-fA-F]+)\] "
    r"(?:\[(?P<subsystem>[^\]:\s]*):(?P<category>[^\]]*)\] )?(?P<msg>.*)$",
    re.S,
)
# Console.app rows whose tabs became spaces (a forum post, an e-mail), with the date older Consoles put in the time
# column and columns elided as `…`: `default 14:29:55.265590-0400 audiomxd msg`, `default 2019-01-08 13:26:14.087889
# +0800 assertiond [OurApp:24424] msg`, `default  … 14:14:15.613580 …  dasd ` (Apple TN3163). The process is the
# word after the time; a row cut after it (TN3163 reflows the message onto the next lines) has an empty message.
CONSOLE_SPACED = re.compile(
    r"^(?P<level>" + _CONSOLE_TYPES + r")\s+(?:(?:…|\.\.\.)\s+)?"
    r"(?:(?P<date>\d{4}-\d\d-\d\d)\s+)?(?P<time>\d\d:\d\d:\d\d\.\d+)\s?(?P<tz>[+-]\d{4})?\s+"
    r"(?:(?:…|\.\.\.)\s+)?(?P<proc>[^\s…]+)(?:\s+(?P<msg>.*))?$",
    re.S,
)
# syslog_relay without its date and host (copied from the process column on): `symptomsd(SymptomEvaluator)[129]
# <Notice>: msg` (tests/samples/corpus/ios/symptomsd_fatal_resource_notify_*). The level makes it a header.
SYSLOG_BARE = re.compile(
    r"^(?P<proc>[^\s\[\]()<>]+)(?:\((?P<image>[^()]*)\))?\[(?P<pid>\d+)\] <(?P<level>\w+)>: (?P<msg>.*)$", re.S
)
# Pasted only: a Console copy reduced to its process and message columns, `kernel<TAB>EXC_RESOURCE -> …`
# (tests/samples/corpus/ios/kernel_memorystatus_console_process_tab_*). Any two tab-separated columns look
# like it: it names the process, and makes a file an iOS log only when a rule reads its message.
PROCESS_TAB = re.compile(r"^(?P<proc>[A-Za-z_][\w.-]{0,63})\t(?P<msg>\S.*)$", re.S)
# A Console.app copy whose columns were reordered (a user drags them; added columns such as Subsystem and Category
# come along): a type column and a time column with microseconds and the UTC offset, wherever they stand, and the
# process in the last column, as in both such copies here: subsystem, type, category, message, time, process
# (tests/samples/corpus/ios_new5/azusa1040_*, iOS 17) and time, category, message, subsystem, library, type, process
# (tests/samples/corpus/ios/console_reordered_columns_*). The other columns are the message.
CONSOLE_COLUMNS = re.compile(
    r"^(?=(?:[^\t\n]{0,512}\t){1,8}(?:" + _CONSOLE_TYPES + r")\t)"
    r"(?=(?:[^\t\n]{0,512}\t){0,8}\d\d:\d\d:\d\d\.\d{6}[+-]\d{4}\t)"
    r"(?P<rest>[^\t\n]{0,512}(?:\t[^\t\n]{0,4096}){3,12})$"
)
_COLUMN_TYPE = re.compile(r"(?:" + _CONSOLE_TYPES + r")")
_COLUMN_TIME = re.compile(r"(?P<time>\d\d:\d\d:\d\d\.\d{6})(?P<tz>[+-]\d{4})")

_LAYOUTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("syslog_relay", SYSLOG_RELAY),
    ("pmd3", PMD3_LIVE),
    ("log_show", LOG_SHOW),
    ("log_show_syslog", LOG_SHOW_SYSLOG),
    ("log_compact", LOG_COMPACT),
    ("xcode", XCODE),
    ("console", CONSOLE),
    ("console_spaced", CONSOLE_SPACED),
    ("console_columns", CONSOLE_COLUMNS),
    ("syslog_bare", SYSLOG_BARE),
    ("time", TIME_ONLY),
)
# Layouts that say "this is an iOS log" by themselves (a clock alone, or two tab columns, do not).
_STRICT_LAYOUTS = tuple((name, p) for name, p in _LAYOUTS if name != "time")
# How every header starts (a date or time, a month, a Console type, `proc(Image)[pid] <Level>`): a line that starts
# otherwise is tried against no layout, so that prose and other tools' lines cost one match.
_HEADER_START = re.compile(
    r"(?:\d\d|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[ \t]|" + _CONSOLE_TYPES + r"|notice"
    r"|(?:[^\t\n]{0,512}\t){1,8}(?:" + _CONSOLE_TYPES + r")\t"
    r"|[^\s\[\]()<>]{1,256}(?:\([^()]{0,256}\))?\[\d+\] <|[^\x00-\x7f\s]{1,12}\t\d\d:)"
)
_LOOSE_LAYOUTS = frozenset({"time", "process_tab", "bare"})
# `{(` opens the description of an NSSet (Foundation's `{(` … `)}`), the value of the line before it: SpringBoard's
# "… has active assertions beyond permitted time:" then the assertions (tests/samples/corpus/ios/w4_purushukla_*).
_CONTINUATION_START = (" ", "\t", ")", "]", "}", '"', "<", "{(")


@dataclass(slots=True)
class IosRecord:
    lineno: int
    msg: str
    process: str | None = None
    pid: int | None = None
    ts: str | None = None
    image: str | None = None
    level: str | None = None
    subsystem: str | None = None
    category: str | None = None
    layout: str = "bare"


def _iso(date_text: str, time_text: str, tz: str | None) -> str:
    stamp = f"{date_text}T{time_text}"
    if tz:
        stamp += f"{tz[:3]}:{tz[3:]}"
    return stamp


def parse_record(text: str, lineno: int, year: int | None = None, reference: date | None = None) -> IosRecord | None:
    """One header line -> record, or None when `text` has no known header. A `Mon dd` stamp (syslog_relay) takes
    `year`, else its year by `reference` (`year_of`), else now."""
    if _HEADER_START.match(text) is None:
        return None
    for layout, pattern in _LAYOUTS:
        m = pattern.match(text)
        if m is None:
            continue
        g = m.groupdict()
        if layout == "syslog_relay":
            month, day = _MONTHS[g["mon"]], int(g["day"])
            if year is not None:
                y = year
            elif reference is not None:
                y = year_of(month, day, reference)
            else:
                y = datetime.now().year
            ts = f"{y:04d}-{month:02d}-{day:02d}T{g['time']}"
        elif layout == "console":
            parts = g["rest"].split("\t")
            if len(parts) < 2:
                return None
            proc, msg = parts[0], "\t".join(parts[2:]) if len(parts) > 2 else parts[1]
            image = parts[1] if len(parts) > 2 else None
            tz = g["tz"]
            return IosRecord(
                lineno,
                msg,
                proc,
                None,
                f"{g['time']}{tz[:3] + ':' + tz[3:] if tz else ''}",
                image,
                g["level"].lower(),
                layout=layout,
            )
        elif layout == "console_columns":
            return _console_columns(g["rest"], lineno)
        elif g.get("date"):
            ts = _iso(g["date"], g["time"], g.get("tz"))
        elif g.get("time"):
            tz = g.get("tz")
            ts = f"{g['time']}{tz[:3] + ':' + tz[3:] if tz else ''}"
        else:
            ts = None
        pid = g.get("pid")
        return IosRecord(
            lineno,
            (g.get("msg") or "").strip() if layout == "console_spaced" else g["msg"],
            (g.get("proc") or "").strip() or None,
            int(pid) if pid else None,
            ts,
            g.get("image"),
            g.get("level"),
            g.get("subsystem"),
            g.get("category"),
            layout,
        )
    return None


def _console_columns(text: str, lineno: int) -> IosRecord | None:
    """A Console row in reordered columns (CONSOLE_COLUMNS): the type and the time by their form, the process last,
    the rest the message (the rules look for their words in it)."""
    columns = text.split("\t")
    at_type = next((i for i, c in enumerate(columns) if _COLUMN_TYPE.fullmatch(c)), None)
    at_time = next((i for i, c in enumerate(columns) if _COLUMN_TIME.fullmatch(c)), None)
    if at_type is None or at_time is None or len(columns) - 1 in (at_type, at_time):
        return None
    time = _COLUMN_TIME.fullmatch(columns[at_time])
    assert time is not None
    rest = [c for i, c in enumerate(columns[:-1]) if i not in (at_type, at_time)]
    tz = time["tz"]
    return IosRecord(
        lineno,
        "\t".join(rest),
        columns[-1].strip() or None,
        None,
        f"{time['time']}{tz[:3]}:{tz[3:]}",
        None,
        columns[at_type].lower(),
        layout="console_columns",
    )


def iter_records(lines: NumberedLines, year: int | None = None, reference: date | None = None) -> Iterator[IosRecord]:
    """Records of a text log; continuation lines are joined to their record with a newline."""
    current: IosRecord | None = None
    for lineno, raw in lines:
        text = raw.rstrip("\r\x00")
        if not text.strip():
            continue
        if current is None and text.startswith("# "):
            continue  # a comment above the log (sample files name their source this way)
        rec = parse_record(text, lineno, year, reference)
        if rec is None and current is not None and text.startswith(_CONTINUATION_START):
            current.msg += "\n" + text
            continue
        if current is not None:
            yield current
        current = rec if rec is not None else IosRecord(lineno, text.strip())
    if current is not None:
        yield current


_OFFSET = re.compile(r"([+-]\d\d:\d\d)$")


def split_offset(ts: str | None) -> tuple[str | None, str | None]:
    """Device-clock time without its UTC offset, and the offset: events carry local device time
    (like Android's logcat), the offset goes to `data["utc_offset"]`."""
    if not ts:
        return ts, None
    m = _OFFSET.search(ts)
    return (ts[: m.start()], m[1]) if m else (ts, None)


def reads_as_ios_log(text: str) -> bool:
    """Whether a line is an iOS log line as it is: a header of a layout that says so by itself (not a clock alone,
    not two tab columns)."""
    rec = parse_record(text, 0)
    return rec is not None and rec.layout not in _LOOSE_LAYOUTS
