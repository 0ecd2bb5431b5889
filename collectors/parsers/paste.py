"""Pasted text -> the log lines it holds.

Logs reach support staff pasted into tickets, issues and chats, and the paste changes them: quoted
(`> `, nested), fenced (a ``` glued to the first line), in inline code (`` `I/Tag(1): msg` `` in a
sentence), behind `grep -n` prefixes (`8367:08-29 …`, `~/logs/a.log:466: 06-15 …`), escaped as HTML
(`&lt;`) or inside JSON strings (`"ApplicationExitInfo(…)",`, `\\n` between records), auto-linked by
a chat app (`[com.f0x1d.logfox](http://com.f0x1d.logfox/)`, `[7467](tel:7467)`), behind a kernel
priority (`<6>`), an arrow, a CI tool's stray `,` or another tool's own timestamp, and indented as a
Markdown code block. `unwrap` strips what wraps a line (a few logical lines when a JSON string held
several); `readings` lists the ways to read what is left, most literal first.

The scanner asks for these only for a line that no plain layout read (or whose message no rule
reads), so plain logcat never pays for them, and `best_record` keeps the first reading a rule reads.
Examples of each form are in tests/test_paste_forms.py, taken from tests/samples/corpus/.

The iOS reader (`collectors.parsers.ios_syslog.IosTextReader`) uses the same unwrapping, plus what only a
line-by-line reader can know: `Fences` follows Markdown code fences across lines (a fenced block inside a
list item is indented with the item, and its lines lose that indentation), and `strip_prefixes` removes
what stands before a line without opening code spans or JSON strings (a crash report's JSON body is read
as JSON, not as the strings in it). Examples in tests/ios/test_paste_forms_ios.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from bgprobe.collectors.parsers.android_log import ACTIVITY_THREAD_FAILURE, JAVA_THROWABLE
from bgprobe.collectors.parsers.logcat import (
    LINE_LAYOUTS,
    PASTE_LAYOUTS,
    LogRecord,
    YearHint,
    parse_line,
    parse_pasted_layout,
)

# What may stand before a log line, stripped one at a time from the start: quote marks, Markdown
# fences (``` or ~~~, even glued to the line), a lone opening backtick, a CI tool's commas, arrows,
# a list bullet, Markdown bold's opening `**` (a line quoted in bold: AntennaPod#4806), a kernel priority without the
# `[seconds]` that the KERNEL layout reads with it.
_WRAPPER = re.compile(r"\s*(?:>+ ?|`{3,}|~{3,}|`(?!`)|,+|-+> ?|=+> ?|[→»➜] ?|[-*+] (?=\S)|\*\*(?=\S)|<\d{1,2}>(?!\[))")
# [text](http://…) and [7467](tel:7467): the text is what was pasted.
_MD_LINK = re.compile(r"\[([^\[\]]*)\]\((?:https?|tel|mailto):[^()\s]*\)")
# Every pattern here is linear in the line's length: pasted lines reach 64 KiB (tests/test_paste_forms.py
# times them on adversarial lines). Backtick runs and JSON strings are paired by a scan, not a regex.
_BACKTICKS = re.compile(r"(`+)")
_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?')  # a string literal, or its unclosed start
# grep -n / -H prefixes: `8367:`, `8367-` (context lines), `path/to/file.log:466: `, `file.txt:`.
_GREP = re.compile(r"(?:[^\s:]+:)?\d+[:-] ?(?=\S)|[^\s:/.]*[/.][^\s:]*: ?(?=\S)")
_MAX_WRAPPERS = 16  # quotes nested deeper than this are not a paste
# Where a logcat line may start inside another tool's line ("[ADB] 01-02 10:00:00.000 …",
# "2024-05-26 13:04:00 [flutter] I/Tag(12): …").
_LOG_START = re.compile(
    r"(?:\d{4}-)?\d\d-\d\d \d\d:\d\d:\d\d|(?<![\w/])[VDIWEFA]/[\w.$-]+\s*\(\s*\d+\): "
    r"|(?<![\w/])lowmemorykiller: "  # the kernel driver's line behind what a viewer puts first ("[kswapd0] ")
    r"|(?<![\w/])(?:<\d{1,2}>)?\[\s*\d+\.\d+\] "  # a kernel line's own time stamp ("logcat: [ 12.345] ...")
    r"|(?<![\w.])\d{10}\.\d{3,6}\s+\d"  # `-v epoch`'s seconds since 1970, its pid (or uid) after them
)
_MAX_STARTS = 3


# Where a log line starts again inside a line that holds several run together: a web page, a forum or a
# chat that lost the newlines between pasted lines ("I/ActivityManager( 2258): Process a (pid 1) has
# died. I/ActivityManager( 2258): Process b (pid 2) has died."). Only after a blank, and kept only where
# the piece from there on reads as a log line (see `run_on_lines`).
_BRIEF_HEAD = r"[VDIWEFA]/[\w.$-]+\s*\(\s*(?:\w+:\s*)?\d+\): "
# A time stamp takes the brief head that follows it (logcat -v time): one start, not two.
# A page that dropped the newlines without leaving a blank glues a record to the end of the one before
# ("FATAL EXCEPTION: main11-05 04:47:32.468   911   911 E AndroidRuntime: ..."): there only logcat -v threadtime's
# whole head starts one, "MM-DD hh:mm:ss.mmm PID TID L " (system/logging/liblog/logprint.cpp, FORMAT_THREADTIME).
# (Not after what wraps a line: "`10-30 08:00:00.001 …`" is one line in a code span, not a backtick and a line.)
_GLUED_THREADTIME = r"(?<=[^\s`'\"*>~|\[(])\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\s+\d+\s+\d+ [VDIWEFA] "
_RUN_ON = re.compile(
    rf"(?<=\s)(?:(?:\d{{4}}-)?\d\d-\d\d \d\d:\d\d:\d\d\.\d+:? (?:{_BRIEF_HEAD})?|{_BRIEF_HEAD})|{_GLUED_THREADTIME}"
)
_MAX_RUN_ON = 512  # log lines one line may hold; the rest stays with the last
# What comes before a brief line's "I/Tag( pid): " in logcat -v time's own layout (Visual Studio's device log
# puts a colon after the time): no line of its own.
_TIME_ONLY = re.compile(r"\s*(?:\d{4}-)?\d\d-\d\d \d\d:\d\d:\d\d\.\d+:?\s*")


def run_on_lines(line: str, years: YearHint, preferred: re.Pattern[str] | None) -> list[str]:
    """The log lines of a line that holds several run together, split where each starts; [] when it
    holds fewer than two. A place where a log line seems to start but what follows is no log line (a
    date in a message) stays part of the piece before it."""
    pieces: list[str] = []
    last = 0
    for n, m in enumerate(_RUN_ON.finditer(line, 1)):
        if n >= _MAX_RUN_ON:
            break
        at = m.start()
        end = _RUN_ON.search(line, m.end())
        piece = line[at : end.start() if end is not None else len(line)].rstrip()
        if parse_line(piece, 0, years, preferred).layout == "raw" or _TIME_ONLY.fullmatch(line, last, at):
            continue  # no log line from here, or the time of logcat -v time's own "MM-DD hh:mm:ss.mmm I/Tag( pid): "
        pieces.append(line[last:at].rstrip())
        last = at
    pieces.append(line[last:].rstrip())
    pieces = [p for p in pieces if p.strip()]
    return pieces if len(pieces) >= 2 else []  # (one: an indented or prefixed line, not several)


# What another tool puts before each line it passes on is at most this long (a CI's ISO time stamp and a path).
_TOOL_PREFIX_MAX = 64


def tool_prefix(lines: list[str], years: YearHint, share: float) -> str | None:
    """The pattern of what another tool put before (nearly) every line of a text, learnt from the text: a CI's
    time stamp (GitHub Actions' `2020-05-04T13:12:02.5515610Z `, Jenkins' `[2024-05-01T12:00:01.123Z] `), a
    wrapper's name (`logcat: `), grep's file name or line number (`logs/a.txt:`, `8367:`). It is what stands
    before the place a log line starts (Android or iOS) in the lines no layout reads as they are, its digits
    as any digits. It must stand before at least `share` of the lines (not counting blank ones and Markdown
    fences), two at least (a record's continuation lines count), and before no line that a layout reads as it
    is (`8367:` is grep's, `08-` of `08-29 14:13:11.713` is not). None when no such prefix is found."""

    filled = [line for line in lines if line.strip() and not _FENCE.match(line)]  # (a fence is the paste's own)
    as_logcat = [parse_line(line, 0, years).layout != "raw" for line in filled]
    if sum(as_logcat) > len(filled) * (1 - share):
        return None  # a plain log: too many lines read as they are for a prefix on `share` of them

    from bgprobe.collectors.parsers.ios_layouts import reads_as_ios_log

    def reads(text: str) -> bool:
        return parse_line(text, 0, years).layout != "raw" or reads_as_ios_log(text)

    shapes: dict[str, int] = {}
    read = []  # the lines a layout reads as they are: no prefix may be taken off them
    for line, logcat in zip(filled, as_logcat, strict=True):
        if logcat or reads_as_ios_log(line):
            read.append(line)
            continue
        places = {m.start() for m in _LOG_START.finditer(line, 1)} | {m.start() for m in _IOS_START.finditer(line)}
        for at in sorted(places)[:_MAX_STARTS]:
            if at > _TOOL_PREFIX_MAX:
                break
            if reads(line[at:]):
                if _OPENS_A_PAIR.search(line[:at]) is None:  # (a code span's backtick, a string's quote: per line)
                    shape = _prefix_shape(line[:at])
                    shapes[shape] = shapes.get(shape, 0) + 1
                break
    for shape in sorted(shapes, key=lambda shape: -shapes[shape]):
        prefix = re.compile(shape).match
        prefixed = sum(1 for line in filled if prefix(line))
        if prefixed >= max(2, len(filled) * share) and not any(prefix(r) for r in read):
            return shape
    return None


def _prefix_shape(prefix: str) -> str:
    """The pattern of one line's prefix: what it holds in brackets as anything in brackets (a device farm's
    `[emulator-5554] ` and `[R58M12345AB] ` before the lines of two devices, a time in any form), its digits as any
    digits, the rest as it is. After a number, grep -n's `:` is also its `-` (the context lines it printed around
    each match)."""
    shape = "".join(
        _ANY_BRACKETED if part.startswith("[") else r"\d+" if part.isdigit() else re.escape(part)
        for part in _SHAPE_PARTS.split(prefix)
        if part
    )
    if (grep := _GREP_NUMBER_END.search(shape)) is not None:
        shape = shape[: grep.start()] + r"\d+[:-]" + shape[grep.end() :]
    return "^" + shape


# What opens something the line's end closes (`` `…` ``, a quoted string, a parenthesis): no prefix, but a wrapper
# `unwrap` takes off with its pair.
_OPENS_A_PAIR = re.compile(r"[`\"']|[(\[{][^)\]}]*$")
_SHAPE_PARTS = re.compile(r"(\[[^\[\]\n]{1,64}\]|\d+)")
_ANY_BRACKETED = r"\[[^\[\]\n]{1,64}\]"


# Where an iOS log line may start behind another tool's prefix (after a blank, a colon or a bracket): a date or a
# time, a syslog month, a Console type, in English (or a German Console's `standard`; a newer Console capitalizes
# them) or in a non-Latin script before its tab (see `ios_layouts`, whose layouts decide). Not inside the tool's own
# time: Appium's "2015-06-19 20:34:05:618 - info: [IOS_SYSLOG_ROW ] Jun 19 15:34:05 …" (appium#5271) would spend the
# few starts tried on "34", "05", "618".
_IOS_START = re.compile(
    r"(?<=[\s:\]])(?=(?<!\d:)\d\d|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"|(?:[Dd]efault|[Ss]tandard|[Ii]nfo|[Dd]ebug|[Ee]rror|[Ff]ault)\s"
    r"|[^\x00-\x7f\s]{1,12}\t\d\d:)"
)
_GREP_NUMBER_END = re.compile(r"\\d\+:(?=(?:\\ )?$)")  # (in a shape: `\d+:` at its end, a blank after it or not)


def with_colon_blank(text: str) -> str:
    """The text as a layout reads it when it ends with a tag's colon: a record whose message went onto the next
    line, the blank after the colon perhaps lost on the way (a page, a collapsed copy). Other text as it is."""
    stripped = text.rstrip()
    return stripped + " " if stripped.endswith(":") else text


def unwrap(line: str) -> list[str]:
    """The logical lines a pasted line holds, wrappers removed; indentation after them is kept (an
    indented line continues the record above it)."""
    # Blanks at the end stay, as a plain log's lines keep them: a line cut at a blank ("No longer want ", its
    # process on the next line; "I/am_kill ( 1192): ", its message there) still reads as that cut record.
    text = line.rstrip("\r\n")
    if "&" in text and ";" in text:
        import html  # only here: its entity table costs CLI start-up for every scan

        text = html.unescape(text)
    if "](" in text:
        text = _MD_LINK.sub(r"\1", text)
    text = _strip_wrappers(text)
    if "`" in text:
        spans = _code_spans(text)
        if spans:
            return [_strip_wrappers(s) for s in spans]
        text = text.replace("`", "")  # a fence or span left open: its backtick is not part of the line
    start = text.lstrip()[:2]
    if start[:1] == '"' or start in ('{"', '["'):
        strings = _json_strings(text)
        if strings:
            return strings
    if '\\n",' in text and (run := _json_string_run(text)):
        return run
    return [text]


def readings(text: str) -> list[str]:
    """Ways to read an unwrapped line, most literal first: as it is (its indentation dropped), without
    a grep prefix, and from each place a logcat line starts inside it."""
    s = text.lstrip()
    out = [s, with_colon_blank(s)]
    # A grep prefix, unless it is a qualified throwable class: Throwable.toString() begins an exception's line with
    # one (`java.lang.IllegalStateException: Not allowed to start service …`, corpus/android_aosp/crash_bg_start_*).
    if (g := _GREP.match(s)) is not None and not JAVA_THROWABLE.fullmatch(g.group().rstrip(": ")):
        out.append(s[g.end() :])
    for n, m in enumerate(_LOG_START.finditer(s, 1)):
        if n >= _MAX_STARTS:
            break
        out.append(s[m.start() :])
    return list(dict.fromkeys(r for r in out if r))


def best_record(
    text: str,
    lineno: int,
    years: YearHint,
    preferred: re.Pattern[str] | None,
    handles: Callable[[LogRecord], bool],
) -> LogRecord:
    """The record to feed for one unwrapped line: the first reading that a layout reads and a rule
    reads, else the first that a rule reads, else the first a layout reads, else the line as raw
    text (indentation kept). `bare_tag` (`Tag: msg`) counts only when a rule reads it."""
    first_layout: LogRecord | None = None
    handled_raw: LogRecord | None = None
    for reading in readings(text):
        rec = parse_line(reading, lineno, years, preferred)
        candidates = [rec] if rec.layout != "raw" else parse_pasted_layout(reading, lineno)
        for cand in candidates:
            if cand.layout == "bare_tag" and JAVA_THROWABLE.fullmatch(cand.tag or ""):
                continue  # an exception's `Class: message` (see `readings`), no `Tag: msg`
            if handles(cand):
                return cand
            if first_layout is None and cand.layout != "bare_tag":
                first_layout = cand
        if rec.layout == "raw" and handled_raw is None and handles(rec):
            handled_raw = rec
    return handled_raw or first_layout or LogRecord(lineno=lineno, msg=text)


def pasted_records(
    line: str,
    lineno: int,
    years: YearHint,
    preferred: re.Pattern[str] | None,
    handles: Callable[[LogRecord], bool],
) -> list[LogRecord]:
    """Records of a pasted line that the plain layouts did not read (one per logical line)."""
    return [best_record(text, lineno, years, preferred, handles) for text in unwrap(line) if text.strip()]


# Layouts that read prose too ("I noticed: it stops"): a match of theirs says nothing about a file.
_LOOSE = frozenset({"level_tag", "bare_tag", "studio_level_only"})
_FEW_LEVEL_ONLY = 2


def sniff_pasted(sample: list[str]) -> tuple[re.Pattern[str] | None, bool]:
    """For a file no detector recognized: the layout most of its unwrapped lines use (a hint for
    parsing, None if none), and whether any line matched a layout at all."""
    counts: dict[str, int] = {}
    patterns = {name: p for name, p in (*LINE_LAYOUTS, *PASTE_LAYOUTS)}
    trace = False  # a Java stack trace (its throwable, then a frame): no evidence, but no unknown format either
    before = ""
    header = False  # the line before (blank ones not counted) holds a thread's header (see _THREAD_HEADER)
    for line in sample:
        texts = unwrap(line)
        if any(t.strip() for t in texts):
            # (and a thread of a traces.txt, or the CPU block of an ANR report: see _THREAD_HEADER, _CPU_USAGE;
            # searched in the line as it is too, as unwrap reads a line that starts with a quote as JSON strings)
            forms = (line, *texts)
            trace = trace or (header and any(_THREAD_FIELDS.search(t) is not None for t in forms))
            trace = trace or any(_CPU_USAGE.search(t) is not None for t in forms)
            header = any(_THREAD_HEADER.search(t) is not None for t in forms)
        for text in texts:
            if not text.strip():
                continue
            trace = trace or (_JAVA_FRAME.match(text) is not None and JAVA_THROWABLE.match(before) is not None)
            # (and a crash's message alone: ActivityThread's "Unable to start receiver ...: <throwable>")
            trace = trace or ACTIVITY_THREAD_FAILURE.match(text.strip()) is not None
            before = text.strip()
            for reading in readings(text):
                name = next((n for n, p in (*LINE_LAYOUTS, *PASTE_LAYOUTS) if p.match(reading)), None)
                if name is not None:
                    counts[name] = counts.get(name, 0) + 1
                    break
    plain = {n: c for n, c in counts.items() if any(n == name for name, _ in LINE_LAYOUTS)}
    layout = patterns[max(plain, key=lambda n: plain[n])] if plain else None
    # Studio's level-only lines ("D  msg") are a log when there are a few of them; one could be prose's "I  think".
    few = counts.get("studio_level_only", 0) >= _FEW_LEVEL_ONLY
    return layout, trace or few or any(n not in _LOOSE for n in counts)


# A thread of a VM's stack dump (/data/anr/traces.txt, pasted without its "----- pid N at ... -----" and "Cmd line:"
# header: so704311): its header line, `"main" prio=5 tid=1 Native` (ART art/runtime/thread.cc Thread::DumpState;
# Dalvik dalvik/vm/Thread.cpp dvmDumpThreadEx, `"%s"%s prio=%d tid=%d %s%s`), then `  | group="main" sCount=...`.
_THREAD_HEADER = re.compile(r'"[^"\n]*"(?: daemon)? prio=\d+ tid=\d+ \w')
_THREAD_FIELDS = re.compile(r"\| (?:group=|sysTid=)")
# ActivityManager's ANR text prints ProcessCpuTracker.printCurrentState (AOSP core/java/com/android/internal/os/
# ProcessCpuTracker.java): "CPU usage from 28360ms to 0ms ago (<time> to <time>):", or "... later".
_CPU_USAGE = re.compile(r"CPU usage from -?\d+ms to -?\d+ms (?:ago|later)\b")
# A frame of a Java / Kotlin stack trace as the runtime prints it under its throwable.
_JAVA_FRAME = re.compile(r"\s*at [\w$.<>-]+\((?:[\w$.-]+\.(?:java|kt):\d+|Native Method|Unknown Source)\)\s*$")


def strip_prefixes(line: str) -> str:
    """The line without HTML escapes, auto-links and what stands before it (quotes, fences, bullets, a
    kernel priority), its code spans and JSON strings left as they are."""
    text = line.rstrip()
    if "&" in text and ";" in text:
        import html

        text = html.unescape(text)
    if "](" in text:
        text = _MD_LINK.sub(r"\1", text)
    return _strip_wrappers(text)


# A Markdown code fence: ``` or ~~~ (3 or more), perhaps indented or quoted, perhaps with an info string
# (```bash) or, as pasted in a hurry, with the first line of the block glued to it.
_FENCE = re.compile(r"(?P<quote>(?:[ \t]*>)*)(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<rest>[^`]*)$")
_INFO_STRING = re.compile(r"[\w+#.-]*\s*$")


class Fences:
    """Markdown code fences across the lines of a paste. `line(text)` says whether the line opens or closes
    a fence, and returns what is left of it: nothing for a fence (the log line glued to an opening fence),
    the line itself elsewhere, without the fence's own indentation inside an indented fence (a block in a
    list item is indented with the item: tests/samples/corpus/ios/dasd_pushlaunch_policies_markdown_*)."""

    __slots__ = ("indent", "marker")

    def __init__(self) -> None:
        self.indent = -1  # the open fence's indentation, -1 outside a fence
        self.marker = ""

    def line(self, text: str) -> tuple[str, bool]:
        if "`" in text or "~" in text:
            m = _FENCE.match(text)
            if m is not None:
                fence, rest = m["fence"], m["rest"]
                if self.indent < 0:
                    self.indent = len(m["indent"].expandtabs(4)) if not m["quote"] else 0
                    self.marker = fence
                    return ("" if _INFO_STRING.match(rest) else rest), True
                if fence[0] == self.marker[0] and len(fence) >= len(self.marker) and not rest.strip():
                    self.indent, self.marker = -1, ""
                    return "", True
        if self.indent > 0 and text[:1] in (" ", "\t"):
            width = len(text) - len(text.lstrip(" \t"))
            lead = text[:width].expandtabs(4)
            return lead[min(self.indent, len(lead)) :] + text[width:], False
        return text, False


def _strip_wrappers(text: str) -> str:
    for _ in range(_MAX_WRAPPERS):
        m = _WRAPPER.match(text)
        if m is None or m.end() == 0:
            return text
        rest = text[m.end() :]
        if not rest.strip() and not m.group().strip().startswith(("`", "~")):
            return text  # the line is only a `>` or a `,`: nothing to unwrap
        text = rest
    return text


def _code_spans(text: str) -> list[str]:
    """Markdown inline code: what lies between two runs of as many backticks."""
    parts = _BACKTICKS.split(text)  # text, run, text, run, ...
    spans: list[str] = []
    i = 1
    while i < len(parts):
        j = i + 2
        while j < len(parts) and parts[j] != parts[i]:
            j += 2
        if j >= len(parts):
            i += 2
            continue
        code = "".join(parts[i + 1 : j])
        # A span without a letter or digit carries no log text: the "`.`" a code span wrapped around a line that
        # itself ended in one leaves ("* ``Terminating app … '`.`"), whose line is then read whole.
        if any(c.isalnum() for c in code):
            spans.append(code)
        i = j + 2
    return spans


# Between two strings of a JSON array of log lines, each ending in its escaped newline: `...\n","...` (a tool's
# log kept as JSON.stringify printed it, all on one line: sidekick-feedback#229).
_JSON_LINE_END = re.compile(r'(?:\\r)?\\n"\s*,\s*"')
_JSON_LAST_END = re.compile(r'(?:\\r)?\\n"\s*[],}]')
_JSON_RUN_MIN = 2  # separators: a line holding fewer is no run of log lines


def _json_string_run(text: str) -> list[str]:
    """The log lines of a line that is a run of JSON strings each ending in an escaped newline, wherever the line
    starts (an excerpt may begin inside a string, or with what came before the array), decoded; [] when it is none."""
    pieces = _JSON_LINE_END.split(text)
    if len(pieces) <= _JSON_RUN_MIN:
        return []
    first = pieces[0]
    opening = max((i for i in range(len(first)) if first[i] == '"' and (i == 0 or first[i - 1] != "\\")), default=-1)
    pieces[0] = first[opening + 1 :]  # after the quote that opened the first string (none: the paste began in it)
    if (end := _JSON_LAST_END.search(pieces[-1])) is not None:
        pieces[-1] = pieces[-1][: end.start()]  # before the array's end and what follows it
    out: list[str] = []
    for piece in pieces:
        try:
            value = json.loads(f'"{piece}"')
        except ValueError:
            value = piece  # an escape cut in half: the text as it is
        out.extend(v for v in value.splitlines() if v.strip())
    return out


def _json_strings(text: str) -> list[str]:
    """The contents of the JSON string literals in a line, decoded, split at escaped newlines."""
    out: list[str] = []
    for m in _JSON_TOKEN.finditer(text):
        literal = m.group()
        if len(literal) < 10 or not literal.endswith('"'):
            continue  # shorter than 8 characters (a key), or never closed
        try:
            value = json.loads(literal)
        except ValueError:
            continue
        out.extend(v for v in value.splitlines() if v.strip())
    return out


__all__ = [
    "Fences",
    "best_record",
    "pasted_records",
    "readings",
    "sniff_pasted",
    "strip_prefixes",
    "tool_prefix",
    "unwrap",
]
