"""Pasted iOS text -> events: `IosTextReader` reads text as people paste it (issues, forums, docs, chats) line by
line, cuts each line into a record by its layout (`collectors.parsers.ios_layouts`) and hands the records to the
rules (`collectors.parsers.ios_rules`). What a paste adds is stripped first (`collectors.parsers.paste`: quotes,
fences and their indentation, inline code, JSON string quoting, HTML escapes; here: the 4 columns of a Markdown
indented code block, the blank lines a double-spaced paste added), records glued onto one line are split where the
next one starts, a crash or jetsam report met among the lines (its JSON header, its fields, a piece of its JSON body)
is handed whole to `collectors.parsers.ips`, and a message a rule was meant for but that did not match is read again
with the lines a hard wrap cut from it. Examples in tests/ios/test_paste_forms_ios.py; every iOS capture pasted nine
ways in tests/ios/test_paste_transforms_ios.py.

Also here: whether a file (or a sample of it) is an iOS log, and `parse_ios_log` for a whole text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from bgprobe.collectors.parsers import NumberedLines, at, ips
from bgprobe.collectors.parsers.ios_layouts import (
    _CONTINUATION_START,
    _LOOSE_LAYOUTS,
    _STRICT_LAYOUTS,
    CONSOLE,
    PROCESS_TAB,
    IosRecord,
    parse_record,
    reads_as_ios_log,
)
from bgprobe.collectors.parsers.ios_rules import SIGNATURE_MATCHER, SIGNATURES, IosLogInterpreter
from bgprobe.reports.events import Event


def looks_like_ios_log(sample: list[str]) -> bool:
    """Enough header lines of an iOS layout (or an iOS signature) in the first lines of a file."""
    lines = [s for s in sample[:200] if s.strip() and not s.startswith("# ")]
    if not lines:
        return False
    headers = sum(1 for s in lines if any(p.match(s) for _, p in _STRICT_LAYOUTS))
    if headers >= max(1, len(lines) // 3):
        return True
    text = "\n".join(lines)
    return any(sig in text for sig in SIGNATURES)


def has_ios_lines(sample: list[str]) -> bool:
    """Whether a sample of a file read as logcat or as pasted text shows an iOS line: a log header, a message an
    iOS rule is meant for, a report's mark. Only then are its lines offered to the iOS reader too (which reads every
    line: a file with none in its first 64 KiB does not pay for it)."""
    from bgprobe.collectors.parsers.paste import unwrap

    for line in sample[:400]:
        if not line.strip():
            continue
        if SIGNATURE_MATCHER.find_matches_as_indexes(line) or _JSON_MARK.search(line):
            return True
        for logical in unwrap(line):
            for text in ips.split_report_fields(logical.strip()):
                if reads_as_ios_log(text):
                    return True
                if (m := _report_field(text)) is not None and m in ips.STRONG_FIELDS:
                    return True
    return False


def _report_field(text: str) -> str | None:
    m = ips.REPORT_FIELD.match(text)
    return m["key"] if m else None


def starts_ios_record(line: str) -> bool:
    """Whether a line starts a record of its own in an iOS text: a header of a log layout (`ios_layouts`: syslog_relay
    and idevicesyslog, pymobiledevice3, `log show` / `log stream`, Console.app copies, Xcode console, a clock, a
    `process<TAB>message` row), a crash report's `Key: value` field or a line of its JSON, a dmesg line (`[  12.345]`),
    a Markdown fence. Judged as the reader judges it: indented, and without what a paste put before it (quotes,
    bullets). The text scanner rejoins a hard-wrapped iOS text with it: a line that starts no record may be the rest
    of the line before it."""
    from bgprobe.collectors.parsers.paste import Fences, strip_prefixes

    text = line.rstrip("\r")
    if not text.strip():
        return False
    # A header cut at the blank after it (`... <Notice>:`, `... App[12:34]`, the message on the next line) is one:
    # read it with the blank (which a word wrap drops).
    blank = text[len(text.rstrip()) :] or " "
    as_is = text.lstrip() + blank
    if _starts_record(as_is) or Fences().line(text)[1]:
        return True
    bare = strip_prefixes(text).lstrip() + blank
    return bare != as_is and bool(bare.strip()) and _starts_record(bare)


def _starts_record(s: str) -> bool:
    """`starts_ios_record` of a line as it is read (no paste around it, the blank after it)."""
    from bgprobe.collectors.parsers.logcat import KERNEL

    if parse_record(s, 0) is not None or PROCESS_TAB.match(s) or IosTextReader._report_mark(s):
        return True
    if s[0].isdigit() and CONSOLE.match("default\t" + s):  # a Console row copied without its type column
        return True
    return KERNEL.match(s) is not None


# A line the text scanner's rejoin of a hard-wrapped text took into the line before it (`textscan._rejoined`'s filler):
# no line of the text, and not a blank line, which ends a record. (A line of NULs is no line of a log either: the
# reader strips them from every line.)
TAKEN = "\x00"


def has_log_lines(sample: list[str]) -> bool:
    """Whether any line of a sample (as pasted: quoted, indented) has the header of an iOS log layout."""
    from bgprobe.collectors.parsers.paste import strip_prefixes

    return any(reads_as_ios_log(strip_prefixes(s).lstrip()) for s in sample[:400] if s.strip())


# Where a record glued onto the one before it starts (line breaks lost by a forum or a copy): a Console row
# (`… default 14:29:55.265753-0400 dasd …`), an Xcode / NSLog / compact-style line (`… 2020-05-29 12:06:43.858
# App[12:34] …`), a syslog_relay line. Only after a blank and only with the whole header, so that a date or a time
# in a message is no cut. Every part is bounded by a blank or a bracket: linear on a long line.
_GLUED_START = re.compile(
    r"\s(?=(?:[Dd]efault|[Ii]nfo|[Dd]ebug|[Ee]rror|[Ff]ault|[Nn]otice|[Aa]ctivity)\s+(?:(?:…|\.\.\.)\s+)?(?:\d{4}-\d\d-\d\d\s+)?"
    r"\d\d:\d\d:\d\d\.\d+\s?(?:[+-]\d{4})?\s+[^\s…])"
    r"|\s(?=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+(?:[+-]\d{4})? (?:(?:Df|Db|I|E|Er|F|Fa|A) +)?[^\s\[\]]+\[\d+:)"
    r"|\s(?=(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]?\d \d\d:\d\d:\d\d \S+ [^\s\[\]()]+"
    r"(?:\([^()\s]*\))?\[\d+\])"
)
# Lines of a report met among pasted lines (collectors.parsers.ips reads it whole). A strong mark starts one: a text
# report's exception or termination fields, a resource report's action, a key only a report's JSON has (its one-line
# header has `bug_type`). Other fields and JSON lines wait a few lines for a strong mark, and are read as log lines
# when none comes (an issue form's `Version: 4.3` is no report).
_JSON_LINE = re.compile(r'\s*(?:"[^"\\]{1,80}"\s*:|[\[\]{}],?\s*$)')
_JSON_MARK = re.compile(
    r'"(?:bug_type|termination|exception|procName|memoryStatus|largestProcess|rpages|killDelta|crashReporterKey)"\s*:'
)
MAX_PENDING = 256  # report-like lines held while waiting for a strong mark
MAX_OPEN_LINES = 64  # lines joined to an open record by content (a dasd policy dump has ~10)
MAX_JOINED = 256 << 10  # characters of one record or of the lines held: memory stays bounded whatever the text
MAX_REPORT = 16 << 20  # a report met among lines is read whole up to this (textscan reads an .ips file up to it too)
MAX_WRAPPED_PIECES = 8  # lines a hard-wrapped message may have been cut into, after its first


@dataclass(slots=True)
class _Held:
    """A record a rule was meant for but did not read, waiting for the lines a hard wrap cut from it."""

    rec: IosRecord
    prev: IosRecord | None  # the bare line before it, when it was cut at a blank too
    width: int  # the length of its last line: at a fixed width every piece but the last is that long
    open: bool  # its last line ended with a blank: the next one joins it with one
    pieces: list[tuple[int, str]] = field(default_factory=list)


class IosTextReader:
    """iOS text as people paste it, line by line, in constant memory: `feed(lineno, line)` for each line, then
    `flush()`, each returning events. The same for a clean log file (every line has a header) and for a ticket.
    `recognized` says whether any line was an iOS log line or a report (a file is refused only when none was)."""

    def __init__(
        self,
        where: str,
        *,
        year: int | None = None,
        reference: date | None = None,
        device: str | None = None,
        os_version: str | None = None,
        note: int = 0,
        on_unrecognized: Callable[[str, str], None] | None = None,
        double_spaced: bool = False,
    ) -> None:
        from bgprobe.collectors.parsers import paste  # imported when a text is read, not by `watch`

        self._strip, self._unwrap = paste.strip_prefixes, paste.unwrap
        self.where = where
        self.year, self.reference, self.device = year, reference, device
        self.interp = IosLogInterpreter(where, device=device, os_version=os_version)
        self.recognized = False
        self.unrecognized = 0  # lines a rule was meant for that none read
        self._on_unrecognized = on_unrecognized
        self._note = note  # lines of the note on top of a capture: never read
        self._started = False
        self._fences = paste.Fences()
        # A paste with a blank line after every line (the scanner tells it from a sample: `double_spaced`): one
        # blank line is no line of the text, a run of them is one blank line of it (doubled too).
        self._double_spaced = double_spaced
        self._blanks = 0  # blank lines met since the last line, in a double-spaced paste
        # Markdown's indented code block (see `_dedent`): whether one is open, and whether a blank line (or the
        # start of the text, or a fence) came last, after which one may open.
        self._code = False
        self._after_blank = True
        self._current: IosRecord | None = None
        self._depth = 0  # brackets the current record left open
        self._indent = 0  # the indentation of the line that started the current record
        self._open = False  # the current record continues on the next line whatever it starts with
        self._joined = 0
        self._last_raw = ""  # the current record's last line as pasted (a blank at its end: cut there)
        self._prev: IosRecord | None = None  # the bare record before, read and not understood, cut at a blank
        self._held: _Held | None = None
        self._pending: list[tuple[int, str]] = []  # report-like lines waiting for a strong mark
        self._pending_size = 0
        self._report: list[tuple[int, str]] | None = None
        self._report_size = 0

    # -- entry points ----------------------------------------------------------------------------
    def feed(self, lineno: int, line: str) -> list[Event]:
        if line == TAKEN:  # rejoined with the line before it (`TAKEN`)
            self._rejoined()
            return []
        text = line.rstrip("\r\x00")
        if lineno <= self._note:
            return []
        if not self._started:
            if not text.strip() or text.startswith("# "):
                return []  # a comment above the log (sample files name their source this way)
            self._started = True
        if self._double_spaced:
            if not text.strip():
                self._blanks += 1
                return []
            blanks, self._blanks = self._blanks, 0
            if blanks > 1:  # a blank line of the text itself
                return self._text_line(lineno - 1, "") + self._text_line(lineno, text)
        return self._text_line(lineno, text)

    def _text_line(self, lineno: int, text: str) -> list[Event]:
        """A line of the text (in a double-spaced paste, without the blank lines the doubling added)."""
        text, fence = self._fences.line(text)
        out: list[Event] = []
        if fence:
            out += self._end_block()
            self._code, self._after_blank = False, True
            if not text.strip():
                return out
        elif self._fences.indent < 0:
            text = self._dedent(text)
        try:
            out += self._physical(lineno, text)
        except (ValueError, IndexError, KeyError, TypeError, RecursionError):  # odd input never stops a scan
            self._current = self._held = None
        return out

    def _dedent(self, text: str) -> str:
        """A line outside a fence without the indentation of Markdown's indented code block: after a blank line (or at
        the start of the text), lines indented by 4 columns or more are a code block, and lose those 4 columns, until
        a line indented less (CommonMark 0.31, 4.4 Indented code blocks). So a log, a Console copy or a report pasted
        as such a block is read as the lines it was: its records start where they started (an indented line would
        continue the record before it), and its own indentation (a dasd dump's continuation lines) is kept."""
        if not text or text[0] not in " \t":  # a log line: a test of its first character
            self._after_blank = not text
            self._code = self._code and not text
            return text
        rest = text.lstrip(" \t")
        if not rest.strip():
            self._after_blank = True
            return text
        after_blank, self._after_blank = self._after_blank, False
        width = len(text) - len(rest)
        lead = text[:width].expandtabs(4)
        if len(lead) < 4:
            self._code = False
        elif self._code or after_blank:
            self._code = True
            return lead[4:] + text[width:]
        return text

    def feed_chunk(self, data: bytes, size: int, lineno: int) -> list[Event]:
        """The lines of data[:size] (whole lines; the first is line `lineno`), numbered as the text scanner
        numbers them (at each newline)."""
        lines = data[:size].decode("utf-8", "replace").split("\n")
        if lines and not lines[-1]:
            lines.pop()  # after the last newline
        out: list[Event] = []
        for n, text in enumerate(lines, lineno):
            out += self.feed(n, text)
        return out

    def flush(self) -> list[Event]:
        return self._end_block()

    # -- lines -----------------------------------------------------------------------------------
    def _physical(self, lineno: int, text: str) -> list[Event]:
        out: list[Event] = []
        if not text.strip():
            return self._blank()
        # The common line of a log file: a header. It is no report line and no paste: read it at once.
        header = self._header(text, lineno)
        if header is not None and header.layout not in _LOOSE_LAYOUTS and self._held is None:
            if self._report is not None:
                out += self._end_report()
            if self._pending:
                out += self._release_pending()
            pieces = _glued(text)
            if len(pieces) == 1:
                return out + self._line(lineno, text, text, header)
            for piece in pieces:
                out += self._line(lineno, piece, text)
            return out
        if header is None and self._inert(text):
            out += self._finish()  # as any line that does not go on with it does
            if self._held is not None:
                out += self._offer(lineno, text)
            self._prev = None
            return out
        bare = self._strip(text)
        if self._report is not None:
            if self._strict_header(bare) is None:
                self._report.append((lineno, bare))
                self._report_size += len(bare) + 1
                if self._report_size > MAX_REPORT:
                    out += self._end_report()  # what is read so far is the report
                return out
            out += self._end_report()
        parts = ips.split_report_fields(bare)
        if len(parts) > 1:  # a report's fields run together (line breaks lost): one line each
            for part in parts:
                out += self._physical(lineno, part)
            return out
        mark = self._report_mark(bare)
        if mark == 2:
            out += self._finish()
            out += self._release_held()
            self._report = [*self._pending, (lineno, bare)]
            self._report_size = sum(len(t) + 1 for _, t in self._report)
            self._pending = []
            return out
        if self._held is None and self._current is not None and self._continues(bare, self._header(bare, lineno)):
            return self._append(lineno, bare)
        if mark == 1:
            if not self._pending:
                out += self._finish()
                out += self._release_held()
            self._pending.append((lineno, bare))
            self._pending_size += len(bare) + 1
            if len(self._pending) > MAX_PENDING or self._pending_size > MAX_JOINED:
                out += self._release_pending()
            return out
        out += self._release_pending()
        return out + self._logical(lineno, text)

    def _logical(self, lineno: int, text: str) -> list[Event]:
        """A line that is no report: the log lines a paste holds in it, each split where a glued record starts."""
        out: list[Event] = []
        for logical in self._unwrap(text) if _maybe_wrapped(text) else [text]:
            if not logical.strip():
                continue
            for piece in _glued(logical):
                out += self._line(lineno, piece, text)
        return out

    def _inert(self, text: str) -> bool:
        """Whether a line can neither start, continue nor end anything this reader reads (most lines of a text
        that is mostly no iOS log): no signature, no paste wrapper, no report field or JSON, no tab column, no
        opening bracket or colon at its end, no blank there (a message cut at a blank), nothing waiting for it."""
        if self._pending or self._report is not None:
            return False
        if self._current is not None and (self._open or text.startswith(_CONTINUATION_START)):
            return False
        s = text.strip()
        if (
            s[0] in '>`~,-=→»➜*+<"{}'
            or (s[0] in "[]" and (len(s) <= 2 or s[1] in '{"'))
            or s[-1] in ":[{(,"
            or text[-1] in " \t"
            or "\t" in s
            or "`" in s
            or "&" in s
            or "](" in s
            or (": " in s and (_report_field(s) is not None or len(ips.split_report_fields(s)) > 1))
        ):
            return False
        return not SIGNATURE_MATCHER.find_matches_as_indexes(s)

    def _line(self, lineno: int, piece: str, raw: str, header: IosRecord | None = None) -> list[Event]:
        out: list[Event] = []
        if header is None:
            header = self._header(piece, lineno)
        if self._held is not None:
            if header is None:
                return self._offer(lineno, piece)
            out += self._release_held()
        if header is None and self._continues(piece, header):
            return out + self._append(lineno, piece)
        out += self._finish()
        if self._held is not None:  # the record just finished waits for the lines cut from it
            if header is None:
                return out + self._offer(lineno, piece)
            out += self._release_held()
        if header is not None:
            if header.layout not in _LOOSE_LAYOUTS:
                self.recognized = True
            self._start(header, raw)
        else:
            self._start(IosRecord(lineno, piece.strip()), raw)
        return out

    def _start(self, rec: IosRecord, raw: str) -> None:
        self._current, self._joined, self._last_raw = rec, 0, raw
        self._indent = len(raw) - len(raw.lstrip(" \t"))
        # A header whose message is empty or ends with a colon continues on the next line (a Console row reflowed:
        # Apple TN3163); any record that ends with an opening bracket does (dasd's `ACTIVITY:[`, `{(`).
        msg = rec.msg.rstrip()
        self._open = (rec.layout != "bare" and (not msg or msg.endswith(":"))) or msg.endswith(("[", "{", "("))
        self._depth = _depth(rec.msg) if self._open else 0

    def _rejoined(self) -> None:
        """The current record's line was several lines of the text, rejoined: it stays open after them as it would
        have after its last (`_append`): while a bracket is, and its end leads on (dasd's `[{name: …, policyWeight:
        0.500, ` then `response: …` in Apple TN3163, a row the scanner rejoined only in part)."""
        rec = self._current
        if rec is None or self._open:
            return
        depth = _depth(rec.msg)
        if depth > 0 and rec.msg.rstrip()[-1:] in ":[{(,":
            self._open, self._depth = True, depth

    def _continues(self, text: str, header: IosRecord | None) -> bool:
        """Whether a line (that has no header: `header` is its own) goes on with the current record."""
        if self._current is None or header is not None or self._joined >= MAX_OPEN_LINES:
            return False
        if len(self._current.msg) + len(text) > MAX_JOINED:
            return False
        if self._open:
            return True
        if text[:1] in (" ", "\t"):
            # Indented deeper than the line that started the record: its continuation. As deep, it is a line of its
            # own: log lines in a Markdown list item are each indented with the item (a capture pasted in one,
            # tests/ios/test_paste_transforms_ios.py).
            return len(text) - len(text.lstrip(" \t")) > self._indent
        return text.startswith(_CONTINUATION_START)

    def _append(self, lineno: int, text: str) -> list[Event]:
        rec = self._current
        assert rec is not None
        rec.msg += "\n" + text
        self._joined += 1
        self._last_raw = text
        self._depth = max(0, self._depth + _depth(text))
        # An open record stays open while a bracket is, or while its last line leads on (a colon, an opening bracket,
        # a comma: dasd's `] sumScores:…, denominator:…, ` then `FinalDecision: …}` in Apple TN3163).
        end = rec.msg.rstrip()[-1:]
        self._open = (self._open and (self._depth > 0 or end in ":[{(,")) or end in "[{("
        return []

    def _header(self, text: str, lineno: int) -> IosRecord | None:
        rec = parse_record(text, lineno, self.year, self.reference)
        if rec is None and text[:1].isspace():
            rec = parse_record(text.lstrip(), lineno, self.year, self.reference)  # an indented code block
        if rec is None and (m := PROCESS_TAB.match(text)) is not None:
            rec = IosRecord(lineno, m["msg"], m["proc"], layout="process_tab")
        return rec

    def _strict_header(self, text: str) -> IosRecord | None:
        rec = parse_record(text.lstrip(), 0, self.year, self.reference)
        return rec if rec is not None and rec.layout not in _LOOSE_LAYOUTS else None

    def _blank(self) -> list[Event]:
        """A blank line ends a record, and whatever waited for the lines after it (a report's fields wait on: a
        text report has blank lines between its parts)."""
        if self._pending:
            self._pending.append((0, ""))
            return self._release_pending() if len(self._pending) > MAX_PENDING else []
        if self._report is not None:
            self._report.append((0, ""))
            self._report_size += 1
            return self._end_report() if self._report_size > MAX_REPORT else []
        out = self._finish()
        out += self._release_held()
        self._prev = None
        return out

    # -- records ---------------------------------------------------------------------------------
    def _finish(self) -> list[Event]:
        rec, self._current = self._current, None
        if rec is None:
            return []
        interp = self.interp
        events = interp.feed(rec)
        prev, self._prev = self._prev, None
        if interp.understood:
            self.recognized = True
            return events
        if not interp.meant:
            if prev is not None and prev.layout != "bare" and rec.layout == "bare":
                # A header line cut at a blank and the bare line after it: a hard wrap may have cut the rule's words
                # themselves ('Jetpack[60050:4787549] [BackgroundTask] Background task still not ' then 'ended after
                # expiration handlers were called: …', hard-wrapped by hand in a fence:
                # tests/samples/corpus/ios_trial6/wordpress21254_*). Read together, under the header's process.
                joined = IosRecord(
                    prev.lineno,
                    f"{prev.msg.rstrip()} {rec.msg.strip()}",
                    prev.process,
                    prev.pid,
                    prev.ts,
                    layout=prev.layout,
                )
                found = interp.feed(joined)
                if interp.understood:
                    self.recognized = True
                    return events + found
                if interp.meant:  # the rest of the message may be on the lines after: offered to it as they come
                    last = self._last_raw.rstrip("\r")
                    self._held = _Held(joined, None, len(last), last[-1:] in (" ", "\t"))
                    return events
            if self._joined == 0 and self._last_raw[-1:] in (" ", "\t"):
                self._prev = rec  # cut at a blank? the line after it may hold the rest of a message
            return events
        # A rule was meant for it and did not read it: perhaps a hard wrap cut it. The line before it first (the
        # message began there), then the lines after it. Two header lines are two records, never one cut.
        if prev is not None and "bare" in (prev.layout, rec.layout):
            head = rec if prev.layout == "bare" else prev
            joined = IosRecord(
                prev.lineno, f"{prev.msg} {rec.msg.strip()}", head.process, head.pid, head.ts, layout=head.layout
            )
            found = interp.feed(joined)
            if interp.understood:
                self.recognized = True
                return events + found
        last = self._last_raw.rstrip("\r")
        self._held = _Held(rec, prev, len(last), last[-1:] in (" ", "\t"))
        return events

    def _offer(self, lineno: int, piece: str) -> list[Event]:
        """A line after a held record, read with it: with a blank between them when the record's line ended with one
        (cut there), else as they are (a fixed-width cut, mid-word) and with a blank (one the copy dropped)."""
        held = self._held
        assert held is not None
        held.pieces.append((lineno, piece))
        rec = held.rec
        spaced = rec.msg.rstrip() + " " + " ".join(p.strip() for _, p in held.pieces)
        candidates = [spaced] if held.open else [rec.msg + "".join(p for _, p in held.pieces), spaced]
        if held.prev is not None:  # the line before was cut at a blank too
            candidates += [f"{held.prev.msg} {c.lstrip()}" for c in list(candidates)]
        interp = self.interp
        for text in candidates:
            found = interp.feed(IosRecord(rec.lineno, text, rec.process, rec.pid, rec.ts, layout=rec.layout))
            if interp.understood:
                self._held = None
                self.recognized = True
                return found
        # Go on only while the pieces look cut from one message: as long as the first (a fixed width), or ending
        # with a blank (cut there).
        more = len(held.pieces) < MAX_WRAPPED_PIECES and (len(piece) == held.width or piece[-1:] in (" ", "\t"))
        return [] if more else self._release_held()

    def _release_held(self) -> list[Event]:
        """The held record stays unread (listed as such); the lines offered to it are read on their own."""
        held, self._held = self._held, None
        if held is None:
            return []
        self._unread(held.rec)
        out: list[Event] = []
        for lineno, piece in held.pieces:
            out += self._line(lineno, piece, piece)
        return out

    def _unread(self, rec: IosRecord) -> None:
        self.unrecognized += 1
        if self._on_unrecognized is not None:
            self._on_unrecognized(at(self.where, rec.lineno), rec.msg.strip())

    # -- reports ---------------------------------------------------------------------------------
    @staticmethod
    def _report_mark(text: str) -> int:
        """2: a line only a report has; 1: a line a report may have (a field, JSON); 0: neither."""
        s = text.lstrip()
        if not s:
            return 0
        if s[0] in '{"[]}':
            if _JSON_MARK.search(s):
                return 2
            return 1 if _JSON_LINE.match(s) else 0
        m = ips.REPORT_FIELD.match(s)
        if m is None:
            return 0
        return 2 if m["key"] in ips.STRONG_FIELDS else 1

    def _release_pending(self) -> list[Event]:
        pending, self._pending, self._pending_size = self._pending, [], 0
        out: list[Event] = []
        for lineno, text in pending:
            out += self._blank() if not text.strip() else self._logical(lineno, text)
        return out

    def _end_report(self) -> list[Event]:
        report, self._report = self._report, None
        if not report:
            return []
        self.recognized = True
        return ips.parse_ips([(n, t) for n, t in report if n], self.where, device=self.device)

    def _end_block(self) -> list[Event]:
        """The end of a fenced block or of the text: everything open is read."""
        out: list[Event] = []
        for _ in range(4):  # releasing may start what the next round ends
            out += self._end_report()
            out += self._finish()
            out += self._release_held()
            out += self._release_pending()
            if self._current is None and self._held is None and not self._pending and self._report is None:
                break
        self._prev = None
        return out


def _maybe_wrapped(text: str) -> bool:
    """Whether a paste may have wrapped the line (only then is it unwrapped: a plain log line pays nothing)."""
    s = text.lstrip()
    return bool(s) and (s[0] in ">`~,-=→»➜*+<" or s.startswith(('"', '{"', '["')) or "`" in s or "&" in s or "](" in s)


_LATER_TIME = re.compile(r":\d\d:\d\d")  # starts with a literal: a fast search


def _glued(text: str) -> list[str]:
    """The records of a line onto which several were glued (each after the first has its time past the first's)."""
    if len(text) < 60 or _LATER_TIME.search(text, 32) is None or _GLUED_START.search(text) is None:
        return [text]
    cuts = [m.start() for m in _GLUED_START.finditer(text)]
    pieces = [text[a:b].strip() for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
    return [p for p in pieces if p]


def _depth(text: str) -> int:
    return text.count("[") + text.count("{") + text.count("(") - text.count("]") - text.count("}") - text.count(")")


def parse_ios_log(
    lines: NumberedLines,
    where: str,
    *,
    year: int | None = None,
    reference: date | None = None,
    device: str | None = None,
    os_version: str | None = None,
    double_spaced: bool = False,
) -> list[Event]:
    """Every event of an iOS text log (any layout above, as pasted too; `double_spaced`: with a blank line after
    every line). Never raises on odd input."""
    reader = IosTextReader(
        where, year=year, reference=reference, device=device, os_version=os_version, double_spaced=double_spaced
    )
    out: list[Event] = []
    for lineno, text in lines:
        out += reader.feed(lineno, text)
    return out + reader.flush()


__all__ = [
    "IosTextReader",
    "has_ios_lines",
    "has_log_lines",
    "looks_like_ios_log",
    "parse_ios_log",
    "starts_ios_record",
]
