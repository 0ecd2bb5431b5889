"""Stream one text source through the parsers, in constant memory.

The source is read in large chunks cut at line ends (each also holding the next chunk's first lines, to look
ahead into). What a chunk's end leaves open goes on into the next (a record's following lines, a wrapped line):
the events do not depend on where the chunks end. What the chunk holds decides the path:
- logcat (any single-line layout): a multi-pattern search (Aho-Corasick with a SIMD prefilter,
  `ahocorasick_rs`) finds the lines that carry a kill / job / WorkManager signature, and only
  those lines are decoded and parsed. That keeps scanning near grep's speed.
- anything else that holds log lines (text pasted into a ticket: quoted, fenced, behind grep
  prefixes, among prose and other tools' output, crash reports, ...): the logcat path with a wider
  set of signatures, each selected line unwrapped by `collectors.parsers.paste`. Format detection
  is a hint, not a gate: such a file is "unrecognized" only when no line in it matched anything.
  In every mode, a selected line that no layout or rule reads plainly gets the same unwrapping.
- logcat `-v long`: records span lines, so every line goes through the parser.
- a bugreport (dumpstate) text or a multi-service dumpsys: sections switch the mode: SYSTEM /
  EVENT / KERNEL log sections take the logcat path, `DUMP OF SERVICE jobscheduler|deviceidle`
  and the exit-info part of `DUMP OF SERVICE activity` are collected and parsed whole (they are
  small), everything else is skipped.
- a single dumpsys output (jobscheduler, exit-info, deviceidle): collected and parsed whole.
"""

from __future__ import annotations

import codecs
import collections
import contextlib
import dataclasses
import io
import itertools
import json
import operator
import os
import pickle
import re
import signal
import stat
import tempfile
import threading
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, BinaryIO, cast

import ahocorasick_rs
from bgprobe.collectors.errors import InputError
from bgprobe.collectors.parsers import NumberedLines
from bgprobe.collectors.parsers.android_log import (
    CONTEXT_SIGNATURES,
    DISPATCH_WORDS,
    DISPATCH_WORDS_UPPER,
    EVIDENCE,
    PASTE_SIGNATURES,
    SIGNATURES,
    LogInterpreter,
    MissedProcess,
)
from bgprobe.collectors.parsers.logcat import (
    KERNEL,
    LEVEL_TAG,
    LogRecord,
    YearHint,
    line_reader,
    looks_like_long_format,
    parse_line,
    parse_long,
    sniff_layout,
)
from bgprobe.reports.events import Event, package_of_process

if TYPE_CHECKING:  # imported when a text may hold iOS lines (`_ios_reader`), not by every scan
    from bgprobe.collectors.parsers.ios_syslog import IosTextReader

CHUNK_SIZE = 8 << 20
MAX_LINE = 1 << 20  # a "line" longer than this is junk, not a log record: skipped with a warning
SNIFF_SIZE = 64 << 10
MAX_RECORD = 64 << 10  # logd caps a record's payload at ~4 KiB: a longer "line" is not a log record
MAX_REPORT = 16 << 20  # an .ips report is parsed whole: real ones are well under a megabyte

# Plain logcat is searched for SIGNATURES and EVIDENCE; other text for the PASTE_SIGNATURES too. The
# paste patterns come last, so a pattern's index means the same in both.
_PLAIN_PATTERNS = (*SIGNATURES, *EVIDENCE)
_PASTE_PATTERNS = (*_PLAIN_PATTERNS, *PASTE_SIGNATURES)
_MATCHER = ahocorasick_rs.BytesAhoCorasick(list(_PLAIN_PATTERNS), matchkind=ahocorasick_rs.MATCHKIND_LEFTMOST_FIRST)
_PASTE_MATCHER = ahocorasick_rs.BytesAhoCorasick(
    list(_PASTE_PATTERNS), matchkind=ahocorasick_rs.MATCHKIND_LEFTMOST_FIRST
)
_CONTEXT = tuple(CONTEXT_SIGNATURES.get(p, 0) for p in _PASTE_PATTERNS)  # lines handed over after a hit
_CONTEXT_DOUBLED = tuple(2 * n for n in _CONTEXT)  # the same lines in a double-spaced paste (`_double_spaced`)
_RELEVANT = len(_PLAIN_PATTERNS)  # hits below this index looked like evidence: listed when no rule reads them
# Layouts that may read prose ("I noticed: ..."): alone they do not make a pasted file recognized.
_LOOSE_LAYOUTS = frozenset({"raw", "bare_tag", "level_tag"})

DUMPSTATE_HEADER = re.compile(r"^== dumpstate: (?P<date>\d{4}-\d\d-\d\d)[ T](?P<time>[\d:]+)")
FINGERPRINT = re.compile(
    r"^Build fingerprint: '(?P<brand>[^/]*)/(?P<product>[^/]*)/(?P<device>[^:]*):(?P<release>[^/]*)/"
)
SECTION_START = re.compile(r"^------ (?P<title>.+?) \((?P<cmd>.*)\) ------\s*$")
SECTION_END = re.compile(r"^-{6,9} [\d.]+s was the duration of ")
SERVICE_START = re.compile(r"^DUMP OF SERVICE (?:(?:CRITICAL|HIGH|NORMAL) )?(?P<service>[\w.-]+):")
EXIT_INFO_HEADER = b"ACTIVITY MANAGER PROCESS EXIT INFO"

# Bytes that start a line which may change the section in a bugreport.
_BOUNDARY_MARKERS = (
    b"\n------ ",
    b"\nDUMP OF SERVICE ",
    b"\n--------- ",
    b"\n== dumpstate: ",
    b"\nBuild fingerprint: ",
)


_OVERLONG = object()  # stands for a line longer than MAX_LINE that was dropped
_Piece = tuple[bytes, int] | object


@dataclass
class ReportFacts:
    """What a bugreport says about its device; stamped on every event of that report."""

    device: str | None = None
    os_version: str | None = None
    report_date: date | None = None


@dataclass
class _Collector:
    """Lines of one dumpsys section, parsed whole when the section ends."""

    parse: Callable[[NumberedLines], list[Event]]
    lines: list[tuple[int, str]] = field(default_factory=list)
    active: bool = True  # exit-info: only part of the activity dump is wanted


class TextScanner:
    def __init__(
        self,
        name: str,
        reference_date: date | None,
        *,
        package: str | None = None,
        facts: ReportFacts | None = None,
        on_unrecognized: Callable[[str, str], None] | None = None,
    ) -> None:
        self.name = name
        self.package = package
        # Members of one bugreport share its facts: persistent logcat takes the report's year.
        self.facts = facts if facts is not None else ReportFacts()
        self.years = YearHint(self.facts.report_date or reference_date)
        self.warnings: list[str] = []
        # Lines that looked like evidence (a signature or an EVIDENCE word) but that no rule read:
        # counted, and handed to `on_unrecognized(where, text)` when given.
        self.unrecognized = 0
        self._on_unrecognized = on_unrecognized
        self._interp = LogInterpreter(where=name)
        self._layout: re.Pattern[str] | None = None
        self._mode = "skip"
        self._collector: _Collector | None = None
        self._note = 0  # lines of the note a capture may carry on top (see `_detect`): never read as log
        self._paste = False  # a file no detector recognized: read as pasted text
        self._recognized = True  # for pasted text: whether any line matched a layout or a rule
        self._watch: Callable[[int, int], bool] | None = None  # see _Split: called before each line read
        self._handover: _Split | None = None  # the split whose second process may take over at this chunk
        # What a chunk's end leaves to the next one, so that the events do not depend on where chunks end
        # (CHUNK_SIZE): the lines a hit's context still takes (`_selected`), the last line when it may be the
        # prefix of a message wrapped onto the next one, and the bytes a wrapped line read across the end
        # took (`_join_wrapped`). A section boundary and a dropped over-long line end all three.
        self._context_left = 0
        self._tail: tuple[bytes, int] | None = None  # (that last line, its number)
        self._joined_over = 0
        self._sectioned = False  # a bugreport: its section boundaries end what a chunk's end hands over
        self._ios_lines: _IosLines | None = None  # the chunk's lines for the iOS reader, when there is one
        # A log whose sample has HTML escapes (copied from a web page's source), or Markdown or HTML markup (a
        # paste): its lines are searched for the paste forms too (PASTE_SIGNATURES: "Kill &#39;", ", PID: ").
        self._escaped = False
        # A paste with a blank line after every line (line ends doubled on the way): its blank lines are no
        # lines of the log, and a multi-line record (a crash, a wrapped message, a dump's entry) reads across them.
        self._double_spaced = False
        # `paste.run_on_lines`, when the sample holds a line of several log lines run together (a web page's
        # copy that lost its newlines): then every line read is split so first. None: no line is.
        self._run_on: Callable[[str, YearHint, re.Pattern[str] | None], list[str]] | None = None

    # -- entry point -------------------------------------------------------------------------
    def scan(self, stream: BinaryIO) -> Iterator[Event]:
        source = utf8_stream(stream)
        chunks = _line_chunks(source)
        # The format is told from the first SNIFF_SIZE bytes of real lines: an over-long line (a
        # binary blob, a dump pasted on one line) is left out of the sample, and skipped with a note
        # when its turn comes, so that it cannot make the whole file "unrecognized".
        head: list[_Piece] = []
        sampled: list[bytes] = []
        first = b""  # the first bytes as they are: judged when every line was too long for the sample
        size = 0
        for piece in chunks:
            if piece is not _OVERLONG:
                data, end = cast(tuple[bytes, int], piece)
                if end < SNIFF_SIZE < len(data) - end:  # a few lines in a big buffer: keep only them
                    piece = (data[: data.rfind(b"\n") + 1], end)  # (and the lines held back after them)
                first = first or data[: min(end, SNIFF_SIZE)]
                size = _take_sample(data, end, sampled, size)
            head.append(piece)
            if size >= SNIFF_SIZE:
                break
        sample_bytes = b"".join(sampled)
        if not sample_bytes.strip():
            sample_bytes = first
            if not first.strip():
                if any(piece is _OVERLONG for piece in head):
                    raise InputError(self.name, f"no line shorter than {MAX_LINE >> 20} MiB: not a log or dump")
                raise InputError(self.name, "empty file")
        if _looks_binary(sample_bytes):
            raise InputError(self.name, "binary data, not a log, dumpsys output or bugreport")
        pieces: Iterator[_Piece] = itertools.chain(head, chunks)
        markup = _MARKUP_HINT.search(sample_bytes) is not None
        if markup:  # a paste with a Markdown fence or HTML: its markup around lines goes
            sample_bytes = _markup_off(sample_bytes)
            pieces = _rewritten(pieces, _markup_off)
        sample = sample_bytes.decode("utf-8", "replace").splitlines()[:400]
        # Quoted, numbered, a CI's log, a JSON array of the lines, ... as a whole, one in another: lines as they were
        for _ in range(_PREFIX_LAYERS):
            if _json_string_lines(sample):  # a JSON array of the log's lines, one string a line
                sample = [_json_string_line(line) for line in sample]
                pieces = _from_json_strings(pieces)
            elif _code_span_lines(sample):  # each line in its own code span
                sample, pieces = _sample_and_pieces_rewritten(sample, pieces, _code_spans_off)
            else:
                prefix = _line_prefix(sample) or _tool_prefix(sample, self.years)
                if prefix is None:
                    break
                sample = [re.sub(prefix, "", line, count=1) for line in sample]
                pieces = _without_prefix(pieces, prefix)
            if markup:  # HTML quoted in turn (`> <p>Exception Type: …<br />`): its tags now open the lines
                sample, pieces = _sample_and_pieces_rewritten(sample, pieces, _markup_off)
        kind = _detect(sample)
        self._double_spaced = _double_spaced(sample)
        self._note = len(sample) - len(_without_note(sample))
        if kind is None:
            # Not a format we know as a whole: read it line by line as pasted text. The layout most
            # of its unwrapped lines use is the hint; a file none of whose lines matches is refused.
            from bgprobe.collectors.parsers.paste import sniff_pasted

            kind = "logcat"
            self._paste = True
            self._layout, self._recognized = sniff_pasted(_without_note(sample))
        if kind == "long":
            yield from self._scan_long(pieces)
            return
        if kind == "ios_log":  # hard-wrapped as a logcat may be (an .ips report is JSON: no text to rejoin)
            from bgprobe.collectors.parsers.ios_syslog import TAKEN, starts_ios_record

            if wrap := _wrapping(sample, starts_ios_record):
                # (the reader is told the lines taken: a blank line would end a dasd dump or a reflowed Console row)
                pieces = _rejoined(pieces, wrap, starts_ios_record, note=self._note, filler=TAKEN.encode())
        if kind in ("ips", "ios_log"):
            yield from self._scan_ios(kind, pieces)
            return
        sectioned = self._sectioned = kind == "bugreport"
        self._mode = "skip" if sectioned else kind
        if kind == "logcat" and not self._paste:
            self._layout = sniff_layout(sample)
        if kind == "logcat" and (wrap := _wrapping(sample, self._is_record)):  # cut at a terminal's width
            pieces = _rejoined(pieces, wrap, self._is_record, note=self._note)
        if kind == "logcat":
            from bgprobe.collectors.parsers.paste import run_on_lines

            # A log in a Markdown fence or HTML was pasted too: its lines are searched for the forms met only in
            # pastes (PASTE_SIGNATURES), as a paste's are - a crash's "Process: <app>, PID: N" line without the
            # "FATAL EXCEPTION" above it (syncthing-android#1328).
            self._escaped = markup or _HTML_ESCAPE.search(sample_bytes) is not None or self._with_prose(sample)

            if any(run_on_lines(line, self.years, self._layout) for line in sample):
                self._run_on = run_on_lines
        elif not sectioned and kind != "logcat":
            self._start_single_dump(kind)
        ios = self._ios_reader(kind, sample)
        if kind == "logcat" and ios is None:
            pieces = self._split(pieces, source)
        lineno = 1
        for piece in pieces:
            if piece is _OVERLONG:
                self._overlong(lineno)
                lineno += 1
                continue
            chunk, size = cast(tuple[bytes, int], piece)  # not _OVERLONG: a chunk and its size
            if ios is None:
                lineno = yield from self._chunk(chunk, size, lineno, sectioned)
                continue
            # Both platforms' readers take the chunk's lines in turn, the iOS one up to each line the Android
            # one reads (see _logcat_hits), so that their events come in the same order whatever the chunk size.
            self._ios_lines = _IosLines(ios, chunk, lineno)
            end_lineno = yield from self._chunk(chunk, size, lineno, sectioned)
            yield from self._stamp(self._ios_lines.feed_to(size))
            self._ios_lines, lineno = None, end_lineno
        yield from self._end_section()
        yield from self._stamp(self._interp.flush())
        if ios is not None:
            yield from self._stamp(ios.flush())
            self._recognized = self._recognized or ios.recognized
        if not self._recognized:
            raise InputError(
                self.name, "unrecognized format (expected logcat, dumpsys output, a bugreport, an iOS log or .ips)"
            )

    def _split(self, pieces: Iterator[_Piece], source: BinaryIO) -> Iterator[_Piece]:
        """The pieces this process reads: all of them, or, for a large plain log in a regular file, those
        up to where a second process that read the rest (see _Split) can take over."""
        split = _Split.plan(self, source)
        if split is None:
            yield from pieces
            return
        try:
            split.start(pieces)
            index = 0
            for piece in pieces:
                if piece is not _OVERLONG:
                    if index == split.first:
                        self._handover, self._watch = split, split.watch
                    elif index == split.first + 1:  # no hand-over in its first chunk: read on alone
                        self._handover = self._watch = None
                        split.close()
                    index += 1
                yield piece
                if split.adopted:
                    return
        finally:
            self._handover = self._watch = None
            split.close()

    def _overlong(self, lineno: int) -> None:
        self.warnings.append(f"{self.name}:{lineno}: line longer than {MAX_LINE >> 20} MiB skipped")
        # Read whole, that line would be one of the context lines (skipped as no log record), and would stop
        # a wrapped line's pieces and be no message's prefix.
        self._context_left = max(0, self._context_left - 1)
        self._tail, self._joined_over = None, 0

    def _end_carry(self) -> None:
        """A section boundary: context, a wrapped line's pieces and a prefix do not run over it."""
        self._context_left, self._tail, self._joined_over = 0, None, 0

    # -- chunk processing --------------------------------------------------------------------
    def _chunk(self, data: bytes, size: int, lineno: int, sectioned: bool) -> Generator[Event, None, int]:
        """Events of data[:size]; returns the line number after it (lines are counted only once)."""
        if not sectioned and self._mode == "logcat":  # a plain log: no sections, one generator less per event
            return (yield from self._logcat_hits(data, 0, size, lineno))
        bounds = _boundaries(data, size) if sectioned else []
        pos = 0
        for b in bounds:
            if b > pos:
                lineno = yield from self._segment(data, pos, b, lineno)
            end = data.find(b"\n", b, size)
            end = size if end == -1 else end
            line = data[b:end].decode("utf-8", "replace").rstrip("\r")
            self._end_carry()
            yield from self._boundary(line, lineno)
            pos = end + 1
            lineno += 1
        if pos < size:
            lineno = yield from self._segment(data, pos, size, lineno)
        return lineno

    def _segment(self, data: bytes, start: int, end: int, lineno: int) -> Generator[Event, None, int]:
        mode = self._mode
        if mode == "logcat":
            return (yield from self._logcat_hits(data, start, end, lineno))
        if mode in ("jobscheduler", "exitinfo", "deviceidle", "collect"):
            self._collect(data, start, end, lineno)
        return lineno + data.count(b"\n", start, end)

    def _logcat_hits(self, data: bytes, start: int, end: int, lineno: int) -> Generator[Event, None, int]:
        starts, carried_until = self._selected(data, start, end)
        tail, self._tail = self._tail, None
        if tail is not None and start in starts:
            # The last line of the chunk before ends with a colon, the first of this one is read: the line
            # before a read line is read first when it may hold the prefix of the message wrapped onto it.
            yield from self._feed_tail(*tail)
        # The loop below runs once per selected line (up to a third of a busy log's): what it calls is
        # looked up once, the file's layout is matched inline (parse_line only when it does not read the
        # line), and events go out without a stamping generator when there is nothing to stamp.
        prev = start
        # lines before this offset were read as the end of a wrapped line (in the chunk before, too)
        joined_until = start + self._joined_over if self._joined_over else -1
        self._joined_over = 0
        interp, years, layout, note, facts = self._interp, self.years, self._layout, self._note, self.facts
        feed = interp.feed
        read_line = line_reader(layout) if layout is not None else None
        count, find = data.count, data.find
        watch, ios_lines, run_on = self._watch, self._ios_lines, self._run_on
        double_spaced = self._double_spaced
        for line_start in sorted(starts):
            lineno += count(b"\n", prev, line_start)
            prev = line_start
            if line_start < joined_until:
                continue
            if ios_lines is not None:  # the iOS reader first, up to this line and with it (see `scan`)
                line_end = find(b"\n", line_start, end)
                yield from self._stamp(ios_lines.feed_to(end if line_end == -1 else line_end + 1))
            if watch is not None and line_start >= carried_until and watch(line_start, lineno):
                # The second process read the rest of the file from here on, as this one would have. (Not
                # among the lines the chunk before handed over: it did not read that chunk, nor take them.)
                yield from self._handover.adopt(line_start)  # type: ignore[union-attr]  # watch is set with it
                return lineno + count(b"\n", prev, end)
            line_end = find(b"\n", line_start, end)
            if line_end == -1:
                line_end = end
            if line_end - line_start > MAX_RECORD:
                self.warnings.append(
                    f"{self.name}:{lineno}: line of {line_end - line_start} bytes is not a log record; skipped"
                )
                continue
            line = data[line_start:line_end].decode("utf-8", "replace").rstrip("\r")
            if double_spaced and not line.strip():
                continue
            if run_on is not None and (pieces := run_on(line, years, layout)):
                for piece in pieces:  # each of the log lines run together on this one, as if on its own
                    yield from self._feed_line(piece, lineno, _looks_relevant(piece))
                continue
            # The common case inline (no generator per line): a line a layout reads and a rule understands.
            rec: LogRecord | None = None
            if read_line is not None and "\x1b[" not in line:
                rec = read_line(line, lineno, years)
            if rec is None:
                rec = parse_line(line, lineno, years, layout)
            if rec.layout != "raw" and lineno > note:
                events = feed(rec)
                if interp.understood:
                    self._recognized = True
                    if events:
                        if facts.device is None and facts.os_version is None:
                            yield from events  # nothing to stamp
                        else:
                            yield from self._stamp(events)
                    continue
                if events:
                    yield from self._stamp(events)
            else:
                rec = None  # not fed: `_feed_line` reads the line itself
            where = (data, line_end, end)
            joined_until = (yield from self._feed_line(line, lineno, starts[line_start], where, rec)) or -1
        if joined_until > end:  # a wrapped line's pieces went on into the next chunk's first lines
            self._joined_over = joined_until - end
        after = lineno + count(b"\n", prev, end)
        if end - start >= 2 and data[end - 2] in _MAYBE_WRAPPED:
            last = max(data.rfind(b"\n", start, end - 1) + 1, start)
            if last not in starts and last >= joined_until and _ends_with_colon(data, last, end):
                self._tail = (data[last : end - 1], after - 1)
        return after

    def _with_prose(self, sample: list[str]) -> bool:
        """Whether a log's sample has a line of prose among its records (a line at column 0 that its layout does not
        read): such a log was pasted into a ticket, whose lines are searched for the paste forms too - a crash
        reporter's one log line between two paragraphs (osmeditor4android#2630). `adb logcat` writes every line as a
        record but the '--------- beginning of' banners, and a message's own line breaks under its prefix."""
        layout = self._layout
        if self._paste or layout is None:
            return False
        lines = _without_note(sample)
        return any(
            s.strip() and not s[:1].isspace() and not s.startswith("---------") and not layout.match(s) for s in lines
        )

    def _is_record(self, line: str) -> bool:
        """Whether the line starts a log record of its own (a layout reads it, indented, quoted or not; a record
        whose message went onto the next line may have lost the blank after its colon)."""
        from bgprobe.collectors.parsers.paste import strip_prefixes, with_colon_blank

        def reads(text: str) -> bool:
            return parse_line(with_colon_blank(text.lstrip()), 0, self.years, self._layout).layout != "raw"

        return reads(line) or reads(strip_prefixes(line))

    def _feed_tail(self, text: bytes, lineno: int) -> Generator[Event, None, None]:
        """The last line of the chunk before, read as `_logcat_hits` reads a line that is no evidence."""
        if len(text) > MAX_RECORD:
            self.warnings.append(f"{self.name}:{lineno}: line of {len(text)} bytes is not a log record; skipped")
            return
        yield from self._feed_line(text.decode("utf-8", "replace").rstrip("\r"), lineno, False)

    def _selected(self, data: bytes, start: int, end: int) -> tuple[dict[int, bool], int]:
        """The lines of data[start:end] to read: line start -> whether a hit on it looked like evidence
        (False: context, or a paste-only form). Runs once per pre-filter hit. Also: where the context lines
        the chunk before handed over end; the context lines left at `end` are handed over to the next."""
        starts: dict[int, bool] = {}
        find, rfind, contexts, relevant = data.find, data.rfind, _CONTEXT, _RELEVANT
        step = 1
        if self._double_spaced:  # a record's following lines are every second line
            contexts, step = _CONTEXT_DOUBLED, 2
        nxt, left, carried = start, 0, self._context_left
        for taken in range(carried):
            if nxt >= end:
                left = carried - taken
                break
            starts[nxt] = False
            following = find(b"\n", nxt, end)
            nxt = end if following == -1 else following + 1
        carried_until = nxt
        line_start = line_end = start  # the last line taken: later hits on it add nothing but context
        matcher = _PASTE_MATCHER if self._paste or self._escaped else _MATCHER
        for pattern_index, hit_start, _hit_end in matcher.find_matches_as_indexes(memoryview(data)[start:end]):
            at = start + hit_start
            context = contexts[pattern_index]
            if at < line_end:
                if pattern_index < relevant:
                    starts[line_start] = True
                if not context:
                    continue
            else:
                nl = rfind(b"\n", line_end, at)
                line_start = nl + 1 if nl != -1 else line_end
                starts[line_start] = starts.get(line_start, False) or pattern_index < relevant
                line_end = find(b"\n", at, end)
                line_end = end if line_end == -1 else line_end + 1
                # A message wrapped onto its own line ("I/am_kill ( 1192): " then "[0,3034,...]"): the
                # line that ends with its prefix's colon and the one after it are read together. (The
                # last byte before the newline is checked first: most lines end in neither.)
                if (
                    line_end >= 2
                    and data[line_end - 2] in _MAYBE_WRAPPED
                    and _ends_with_colon(data, line_start, line_end)
                ):
                    context = max(context, step)
                if line_start - 2 >= start and data[line_start - 2] in _MAYBE_WRAPPED:
                    before = max(rfind(b"\n", start, line_start - 1) + 1, start)
                    if _ends_with_colon(data, before, line_start):
                        starts.setdefault(before, False)
                if not context:
                    continue
            nxt = line_end
            for taken in range(context):
                if nxt >= end:
                    left = max(left, context - taken)  # the rest is at the next chunk's start
                    break
                starts.setdefault(nxt, False)
                following = find(b"\n", nxt, end)
                nxt = end if following == -1 else following + 1
        self._context_left = left
        return starts, carried_until

    def _feed_line(
        self,
        line: str,
        lineno: int,
        relevant: bool,
        where: tuple[bytes, int, int] | None = None,
        fed: LogRecord | None = None,
    ) -> Generator[Event, None, int | None]:
        """Feeds one line (its records: a pasted line may hold several) to the interpreter. When lines
        after it were read with it (see `_join_wrapped`), returns the offset where they end. `fed`: the
        line as a layout read it, already fed (by `_logcat_hits`) and not understood."""
        if lineno <= self._note:
            return None
        interp = self._interp
        rec = fed or parse_line(line, lineno, self.years, self._layout)
        meant = False
        if rec.layout != "raw":
            if fed is None:  # the common case: a line the layouts read and a rule understands
                yield from self._stamp(interp.feed(rec))
                if interp.understood:
                    self._recognized = True
                    return None
            if rec.layout not in _LOOSE_LAYOUTS:
                self._recognized = True
            # A rule was meant for its message but did not match it (unwrapping would give the same
            # message: perhaps a wrapped line), or none was (perhaps a paste hides a log line in it).
            meant = relevant and interp.handles(rec)
            # A chat's or GitHub's auto-link inside the message ("Start proc 10889:[com.x/u0a471](http://com.x/u0a471)
            # for ...") is a paste's wrapper too, one the rule meant for the line cannot read past: unwrapped, it can.
            linked = meant and "](" in line
            records = [] if meant and not linked else self._pasted(line, lineno, rec, only_handled=True)
        else:
            records = self._pasted(line, lineno, rec, only_handled=False)
        understood = False
        for rec in records:
            yield from self._stamp(interp.feed(rec))
            understood = understood or interp.understood
            meant = meant or (relevant and not interp.understood and interp.handles(rec))
            if not self._recognized and (understood or rec.layout not in _LOOSE_LAYOUTS):
                self._recognized = True
        if not relevant or understood:
            return None
        if meant and where is not None:
            joined_until = yield from self._join_wrapped(line, lineno, _LinesAfter(*where, self._sectioned))
            if joined_until is not None:
                return joined_until
        self.unrecognized += 1
        if self._on_unrecognized is not None:
            self._on_unrecognized(f"{self.name}:{lineno}", line.strip())
        return None

    def _join_wrapped(self, line: str, lineno: int, following: _LinesAfter) -> Generator[Event, None, int | None]:
        """A line that a rule was meant for but did not match may have been hard-wrapped (a terminal,
        an e-mail, a blog's code box): read it with the lines after it that are no log lines of their
        own. Cut at a fixed width, every piece but the last is as long as the first and they join as
        they are; cut at a blank, the next line joins with one. Returns where the joined lines end."""
        from bgprobe.collectors.parsers.paste import unwrap

        width = len(line)
        pieces: list[tuple[str, int]] = []
        for after, stop in following.lines(_MAX_WRAPPED_PIECES):
            if not after.strip() and self._double_spaced:
                continue
            if not after.strip() or parse_line(after, lineno, self.years, self._layout).layout != "raw":
                break
            rest = unwrap(after)
            if len(rest) != 1:
                break
            pieces.append((rest[0].strip() if not pieces else rest[0], stop))
            if len(after) != width:
                break  # the last piece of a fixed-width wrap (or a line cut at a blank)
        if not pieces:
            return None
        head = line.rstrip() if len(pieces) == 1 else line
        candidates = [(head + "".join(p for p, _ in pieces), pieces[-1][1])]
        at_blank = (f"{line.rstrip()} {pieces[0][0].strip()}", pieces[0][1])
        # A line that still ends with the blank it was cut at ("...,too many " then "background]") joins with it
        # first: a rule that reads any text (am_kill's reason) would also read the words run together.
        candidates.insert(0, at_blank) if line[-1:].isspace() else candidates.append(at_blank)
        interp = self._interp
        for joined, stop in candidates:
            understood = False
            for rec in self._records(joined, lineno):
                if interp.handles(rec):
                    yield from self._stamp(interp.feed(rec))
                    understood = understood or interp.understood
            if understood:
                self._recognized = True
                return stop
        return None

    def _records(self, line: str, lineno: int) -> list[LogRecord]:
        """The line as the layouts read it; for a line they do not read (or whose message no rule
        reads), what is left once the wrappers of a paste are stripped (`collectors.parsers.paste`)."""
        rec = parse_line(line, lineno, self.years, self._layout)
        if rec.layout != "raw" and self._interp.handles(rec):
            return [rec]
        return self._pasted(line, lineno, rec, only_handled=rec.layout != "raw") or [rec]

    def _pasted(self, line: str, lineno: int, rec: LogRecord, *, only_handled: bool) -> list[LogRecord]:
        """The records of a line as a paste holds them (for a line a layout read: only those a rule is
        meant for, none if none is); the raw record when unwrapping finds nothing."""
        if only_handled and not _may_have_rule(line):
            return []  # no part of it can have a rule: unwrapping would find nothing to feed
        from bgprobe.collectors.parsers.paste import pasted_records  # imported on first need

        handles = self._interp.handles
        pasted = pasted_records(line, lineno, self.years, self._layout, handles)
        if only_handled:
            return pasted if any(handles(r) for r in pasted) else []
        return pasted or [rec]

    def _collect(self, data: bytes, start: int, end: int, lineno: int) -> None:
        collector = self._collector
        if collector is None:
            return
        if not collector.active:  # activity dump: wait for the exit-info header
            header = data.find(EXIT_INFO_HEADER, start, end)
            if header == -1:
                return
            line_start = max(data.rfind(b"\n", start, header) + 1, start)
            lineno += data.count(b"\n", start, line_start)
            start = line_start
            collector.active = True
        double_spaced = self._double_spaced
        for offset, line in enumerate(data[start:end].decode("utf-8", "replace").splitlines()):
            if double_spaced and not line.strip():
                continue
            if self._mode == "collect" and collector.lines and line.startswith("ACTIVITY MANAGER "):
                collector.active = False  # the next activity section: exit-info is complete
                return
            collector.lines.append((lineno + offset, line))

    # -- sections ----------------------------------------------------------------------------
    def _boundary(self, line: str, lineno: int) -> Iterator[Event]:
        if m := DUMPSTATE_HEADER.match(line):
            try:
                self.facts.report_date = date.fromisoformat(m["date"])
                self.years = YearHint(self.facts.report_date)
            except ValueError:
                pass
            return
        if m := FINGERPRINT.match(line):
            self.facts.device = m["device"] or None
            self.facts.os_version = m["release"] or None
            return
        if SECTION_END.match(line):
            yield from self._end_section()
            self._mode = "skip"
            return
        if m := SERVICE_START.match(line):
            yield from self._end_section()
            self._start_service(m["service"])
            return
        if m := SECTION_START.match(line):
            yield from self._end_section()
            title, cmd = m["title"].upper(), m["cmd"]
            is_log = "logcat" in cmd or title.startswith(("KERNEL LOG", "LAST KMSG"))
            self._mode = "logcat" if is_log and "RADIO" not in title else "skip"
            if self._mode == "logcat":
                self._layout = None  # each log section may use other adverbs (-v uid)
            return
        # "--------- beginning of main" and other dashed lines inside a log section: not a boundary
        if self._mode == "logcat":
            yield from self._feed_line(line, lineno, False)

    def _start_service(self, service: str) -> None:
        parsers: dict[str, tuple[str, Callable[[NumberedLines], list[Event]], bool]] = {
            "jobscheduler": ("jobscheduler", self._parse_jobscheduler, True),
            "deviceidle": ("deviceidle", self._parse_deviceidle, True),
            "activity": ("collect", self._parse_exit_info, False),
        }
        if service in parsers:
            mode, parse, active = parsers[service]
            self._mode = mode
            self._collector = _Collector(parse, active=active)
        else:
            self._mode = "skip"

    def _end_section(self) -> Iterator[Event]:
        collector, self._collector = self._collector, None
        if collector is not None and collector.lines:
            yield from self._stamp(collector.parse(collector.lines))

    # The dumpsys parsers are imported when a dump is met: plain logcat scans never need them.
    def _parse_jobscheduler(self, lines: NumberedLines) -> list[Event]:
        from bgprobe.collectors.parsers.jobscheduler import parse_jobscheduler

        return parse_jobscheduler(lines, self.name, package=self.package)

    def _parse_exit_info(self, lines: NumberedLines) -> list[Event]:
        from bgprobe.collectors.parsers.exitinfo import parse_exit_info

        return parse_exit_info(lines, self.name, package=self.package)

    def _parse_deviceidle(self, lines: NumberedLines) -> list[Event]:
        from bgprobe.collectors.parsers.deviceidle import parse_deviceidle

        return parse_deviceidle(lines, self.name)

    def _stamp(self, events: list[Event] | Iterator[Event]) -> Iterator[Event]:
        facts = self.facts
        for e in events:
            if e.device is None:
                e.device = facts.device
            if e.os_version is None:
                e.os_version = facts.os_version
            yield e

    # -- line-by-line modes ------------------------------------------------------------------
    def _scan_long(self, pieces: Iterator[_Piece]) -> Iterator[Event]:
        for rec in parse_long(self._numbered_lines(pieces), self.years):
            yield from self._stamp(self._interp.feed(rec))
        yield from self._stamp(self._interp.flush())

    def _scan_ios(self, kind: str, pieces: Iterator[_Piece]) -> Iterator[Event]:
        """An iOS text log record by record (continuation lines joined to their record); an `.ips`
        report whole (it is one JSON document), up to MAX_REPORT."""
        lines = self._numbered_lines(pieces)
        if kind == "ips":
            from bgprobe.collectors.parsers.ips import parse_ips

            report: list[tuple[int, str]] = []
            size = 0
            for lineno, text in lines:
                size += len(text) + 1
                if size > MAX_REPORT:
                    raise InputError(self.name, f"larger than {MAX_REPORT >> 20} MiB: not a single crash report")
                report.append((lineno, text))
            events: Iterable[Event] = parse_ips(report, self.name)
        else:
            reader = self._ios_reader("ios_log", [])
            assert reader is not None

            def read() -> Iterator[Event]:
                for lineno, text in lines:
                    yield from reader.feed(lineno, text)
                yield from reader.flush()

            events = read()
        for e in events:
            if not self.package or e.package in (None, self.package):
                yield from self._stamp([e])

    def _ios_reader(self, kind: str, sample: list[str]) -> Any:
        """The iOS line reader (`IosTextReader`: pasted forms, reports among lines) for an iOS log, and for the
        lines of a file read as logcat that may hold iOS lines, when its sample shows one: pasted text, where every
        line is then offered to both platforms' rules, and a dmesg whose messages are XNU's (Linux's dmesg has the
        same layout). None otherwise: plain logcat never pays for it."""
        if kind == "logcat":
            from bgprobe.collectors.parsers.logcat import KERNEL

            if not self._paste and self._layout is not KERNEL:
                return None
            from bgprobe.collectors.parsers.ios_syslog import has_ios_lines

            if not has_ios_lines(_without_note(sample)):
                return None
        elif kind != "ios_log":
            return None
        from bgprobe.collectors.parsers.ios_syslog import IosTextReader

        def unread(where: str, text: str) -> None:  # a line an iOS rule was meant for but did not read
            self.unrecognized += 1
            if self._on_unrecognized is not None:
                self._on_unrecognized(where, text)

        return IosTextReader(
            self.name,
            reference=self.years.reference,
            note=self._note,
            on_unrecognized=unread,
            double_spaced=self._double_spaced,
        )

    def _numbered_lines(self, pieces: Iterator[_Piece]) -> Iterator[tuple[int, str]]:
        """(line number, text) of every line, for the formats parsed line by line (long, iOS)."""
        lineno = 1
        for piece in pieces:
            if piece is _OVERLONG:
                self._overlong(lineno)
                lineno += 1
                continue
            data, size = cast(tuple[bytes, int], piece)  # not _OVERLONG
            lines = data[:size].decode("utf-8", "replace").splitlines()
            yield from enumerate(lines, lineno)
            lineno += len(lines)

    def _start_single_dump(self, kind: str) -> None:
        parse = {
            "jobscheduler": self._parse_jobscheduler,
            "exitinfo": self._parse_exit_info,
            "deviceidle": self._parse_deviceidle,
        }[kind]
        self._collector = _Collector(parse)


_SPLIT_MIN_CHUNKS = 3  # a log of fewer chunks is read by one process: a fork would cost more than it saves
_SPLIT_SHARE = 0.47  # the share of the chunks the first process reads (it also replays the second's output)
_FRAME = 2048  # entries per frame the second process writes
_END = 1 << 62  # the position of what is written after the last line (the interpreter's flush)
_QUIET_MAP = 1 << 63  # in a frame's length on the pipe: the frame is the quiet map
_LENGTH = _QUIET_MAP - 1


class _Prewritten(Event):
    """An event the second process of a split scan made, with the JSON line it wrote for it."""

    __slots__ = ("json",)
    json: str | None

    def to_json(self) -> str:
        text = getattr(self, "json", None)
        return text if text is not None else Event.to_json(self)


_EVENT_FIELDS = tuple(f.name for f in dataclasses.fields(Event))
_EVENT_VALUES = operator.attrgetter(*_EVENT_FIELDS)


class _Split:
    """Two processes read one large plain log (Python reads a line at a time on one core: a busy log's
    selected lines cost ~15 us each, its events as much again).

    The second process is forked before any line is read. It reads the same chunks (its own file
    offset on the same file), skims the first `first` chunks for their line count, and reads the
    rest with a fresh interpreter: every event, --unrecognized line, warning and error, tagged with
    the position of the line being read, goes to an unlinked temporary file (frames of pickled entries,
    their lengths on a pipe). For its first chunk it also lists the lines before which its interpreter
    was quiet (`LogInterpreter.quiet`: nothing open that a later line could close).

    The first process reads up to that chunk as usual, then reads on into it until a line before which
    both interpreters are quiet (and hold the same WorkManager diagnostics section). From there on
    both would read alike, so it takes the second's output for the lines from there to the end:
    the same events in the same order, and the same warnings, unrecognized lines and error. One
    thing the second could not know: the process a pid was started as before its first chunk (an
    app's own lines get their package from it); its events that found none are completed from the
    first's map at the hand-over. If the interpreters are never quiet together in that chunk (a
    WorkManager diagnostics dump before it, say), or the second process fails before, the first
    reads the rest itself: the output is the same either way.
    """

    def __init__(self, scanner: TextScanner, source: BinaryIO, first: int) -> None:
        self.scanner, self.source, self.first = scanner, source, first
        self.pid = 0
        self.out: Any = None  # the temporary file
        self.lengths = -1  # the pipe's read end
        self.offset = 0  # how far the frames were read
        self.quiet: dict[int, str | None] | None = None  # line start -> diagnostics section, in `first`
        self.before: list[tuple[int, int, bool]] = []  # the frames written before the quiet map
        self.adopted = False
        self.failed = False

    @classmethod
    def plan(cls, scanner: TextScanner, source: BinaryIO) -> _Split | None:
        """A split of this scan, if it is a plain log of at least _SPLIT_MIN_CHUNKS chunks in a regular
        file, in a process that can fork safely (one thread), None otherwise."""
        if (
            scanner._paste
            or scanner._mode != "logcat"
            or scanner._layout is None
            or scanner._layout is KERNEL
            or scanner.facts.device is not None
            or scanner.facts.os_version is not None
            or not hasattr(os, "fork")
            or threading.active_count() != 1
            or type(source) is not io.BufferedReader
            or type(source.raw) is not io.FileIO
        ):
            return None
        try:
            fd = source.fileno()
            info = os.fstat(fd)
            remaining = info.st_size - source.tell()
        except (OSError, ValueError):
            return None
        if not stat.S_ISREG(info.st_mode) or not os.path.isdir("/proc/self/fd"):
            return None
        chunks = 1 + remaining // CHUNK_SIZE  # the sample's chunk(s) and the rest, roughly
        if chunks < _SPLIT_MIN_CHUNKS or not _core_free():
            return None
        return cls(scanner, source, max(1, round(chunks * _SPLIT_SHARE)))

    # -- first process -----------------------------------------------------------------------
    def start(self, pieces: Iterator[_Piece]) -> None:
        self.out = tempfile.TemporaryFile(prefix="bgprobe-scan-")  # noqa: SIM115 - closed by close()
        read_end, write_end = os.pipe()
        parent = os.getpid()
        fd = self.source.fileno()
        position = os.lseek(fd, 0, os.SEEK_CUR)  # taken before the fork: from then on this process reads on
        pid = os.fork()
        if pid == 0:  # the second process: never returns
            os.close(read_end)
            self._second(pieces, write_end, parent, fd, position)
        os.close(write_end)
        self.pid, self.lengths = pid, read_end

    def close(self) -> None:
        """Stops the second process (if it still runs) and drops what it wrote."""
        if self.pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            self.pid = 0
        if self.lengths >= 0:
            os.close(self.lengths)
            self.lengths = -1
        if self.out is not None:
            self.out.close()
            self.out = None
        self.quiet = self.quiet if self.quiet is not None else {}

    def watch(self, line_start: int, lineno: int) -> bool:
        """Before each line of the hand-over chunk: whether the second process takes over here."""
        if self.quiet is None:
            self.quiet = {}
            while (frame := self._next_frame()) is not None:
                offset, length, quiet_map = frame
                if quiet_map:
                    self.quiet = self._load(offset, length)
                    break
                self.before.append(frame)  # the entries of that chunk's lines, read if it takes over
        section = self.quiet.get(line_start, _NOT_QUIET)
        interp = self.scanner._interp
        return section is not _NOT_QUIET and section == interp._wm_section and interp.quiet(lineno)

    def adopt(self, line_start: int) -> Iterator[Event]:
        """What the second process found from this line of the hand-over chunk on."""
        self.adopted = True
        scanner = self.scanner
        processes = scanner._interp._processes
        start = (self.first << 32) + line_start
        frames = iter(self.before)
        while True:
            frame = next(frames, None) or self._next_frame()
            if frame is None:
                raise RuntimeError(f"scan of {scanner.name}: the second process ended before the end of the file")
            offset, length, quiet_map = frame
            if quiet_map:
                continue
            for entry in self._load(offset, length):
                what = entry[0]
                if what == "end":
                    return
                if entry[1] < start:
                    continue
                if what == "e":
                    event = _Prewritten(*entry[2])
                    event.json = entry[3]
                    if entry[4] is not None and (process := processes.get(entry[4])):
                        # the pid was started before the second process's first chunk
                        event.package = package_of_process(process)
                        event.json = None
                    yield event
                elif what == "u":
                    scanner.unrecognized += 1
                    if scanner._on_unrecognized is not None:
                        scanner._on_unrecognized(entry[2], entry[3])
                elif what == "w":
                    scanner.warnings.append(entry[2])
                elif what == "x":
                    raise pickle.loads(entry[2])
                else:  # "f": the second process failed
                    raise RuntimeError(f"scan of {scanner.name}: the second process failed: {entry[2]}")

    def _next_frame(self) -> tuple[int, int, bool] | None:
        """(offset, length, whether it is the quiet map) of the next frame the second process wrote,
        waiting for it; None when it will write no more."""
        head = b""
        while len(head) < 8:
            part = os.read(self.lengths, 8 - len(head))
            if not part:
                return None
            head += part
        value = int.from_bytes(head, "little")
        offset, length = self.offset, value & _LENGTH
        self.offset += length
        return offset, length, bool(value & _QUIET_MAP)

    def _load(self, offset: int, length: int) -> Any:
        return pickle.loads(os.pread(self.out.fileno(), length, offset))

    # -- second process ----------------------------------------------------------------------
    def _second(self, pieces: Iterator[_Piece], lengths: int, parent: int, fd: int, position: int) -> None:
        code = 0
        try:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C: the first process stops this one
            _die_with(parent)
            _private_offset(fd, position)
            self._read(pieces, lengths)
        except BaseException as exc:  # reported to the first process, which decides what it means
            code = 1
            with contextlib.suppress(BaseException):  # if not even that can be written, it reads alone
                self._write(lengths, [("f", 0, f"{type(exc).__name__}: {exc}")])
        finally:
            os._exit(code)

    def _read(self, pieces: Iterator[_Piece], lengths: int) -> None:
        scanner, interp = self.scanner, self.scanner._interp
        entries: list[tuple[Any, ...]] = []
        interp.mark_missed = True
        at = 0  # the position of the line being read: chunk index << 32 | its offset in the chunk
        index = 0  # the chunk being read

        def tag(line_start: int, lineno: int) -> bool:
            nonlocal at
            at = (index << 32) + line_start
            if quiet is not None and interp.quiet(lineno):
                quiet[line_start] = interp._wm_section
            return False

        class Tagged(list[str]):
            def append(self, text: str) -> None:
                entries.append(("w", at, text))

        def unrecognized(where: str, text: str) -> None:
            entries.append(("u", at, where, text))

        scanner.warnings = Tagged()
        scanner._on_unrecognized = unrecognized
        scanner._watch = tag
        quiet: dict[int, str | None] | None = None
        lineno = 1

        def event(e: Event) -> tuple[Any, ...]:
            return ("e", at, _EVENT_VALUES(e), e.to_json(), e.pid if type(e) is MissedProcess else None)

        iterator = iter(pieces)
        while True:
            try:
                piece = next(iterator)
            except StopIteration:
                break
            except Exception as exc:  # a read error: the first process raises it here too
                entries.append(("x", (index << 32) - 1, _pickled(exc)))
                self._write(lengths, entries)
                self._write(lengths, [("end", _END)])
                return
            if piece is _OVERLONG:
                if index > self.first:
                    at = (index << 32) - 1
                    scanner._overlong(lineno)
                lineno += 1
                continue
            chunk, size = cast(tuple[bytes, int], piece)  # not _OVERLONG: a chunk and its size
            if index < self.first:
                lineno += chunk.count(b"\n", 0, size)
                index += 1
                continue
            if index == self.first:
                quiet = {}
            for e in scanner._chunk(chunk, size, lineno, False):
                entries.append(event(e))
                if len(entries) >= _FRAME:
                    self._write(lengths, entries)
                    entries.clear()
            lineno += chunk.count(b"\n", 0, size)
            if index == self.first:  # its entries, then the quiet map: what the first process asks for
                self._write(lengths, entries)
                entries.clear()
                self._write(lengths, quiet, quiet_map=True)
                quiet = None
            index += 1
        at = _END
        entries.extend(event(e) for e in scanner._interp.flush())
        entries.append(("end", _END))
        self._write(lengths, entries)

    def _write(self, lengths: int, entries: Any, *, quiet_map: bool = False) -> None:
        """One frame: pickled into the temporary file, its length (and whether it is the quiet map) on
        the pipe once it is all there."""
        data = pickle.dumps(entries, protocol=pickle.HIGHEST_PROTOCOL)
        view = memoryview(data)
        while view:
            view = view[os.write(self.out.fileno(), view) :]
        os.write(lengths, (len(data) | (_QUIET_MAP if quiet_map else 0)).to_bytes(8, "little"))


_NOT_QUIET = object()


def _core_free() -> bool:
    """Whether a second process would have a core to itself: more usable cores than processes running now
    besides this one (Linux's /proc/loadavg, its runnable count at this instant; elsewhere the last minute's
    load, which a scan run just before, a benchmark's previous round, would still hold up). On a busy machine
    the two would take turns on one core, and the split's own work (the second process skims the first part
    for its line count, the first replays the second's events) would make the scan slower, not faster."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if cores < 2:
        return False
    try:
        with open("/proc/loadavg", encoding="ascii") as f:
            others = int(f.read().split()[3].split("/")[0]) - 1  # "running/total": this process is one
    except (OSError, ValueError, IndexError):
        try:
            return os.getloadavg()[0] < cores - 1
        except OSError:
            return False
    return others < cores - 1


def _pickled(exc: BaseException) -> bytes:
    try:
        data = pickle.dumps(exc)
        pickle.loads(data)
        return data
    except Exception:  # an exception that does not survive pickling: its type and text
        return pickle.dumps(OSError(f"{type(exc).__name__}: {exc}"))


def _die_with(parent: int) -> None:
    """Ends this process when `parent` ends, however it ends (Linux's PR_SET_PDEATHSIG): a first process
    that is killed leaves no second one reading on."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # it ended before that was set
        os._exit(0)


def _private_offset(fd: int, position: int) -> None:
    """Gives `fd` its own file offset in this process, at `position` (the offset at the fork: the parent
    reads on through the one they share): reopened through /proc, in place of the inherited one."""
    own = os.open(f"/proc/self/fd/{fd}", os.O_RDONLY)
    try:
        os.lseek(own, position, os.SEEK_SET)
        os.dup2(own, fd)
    finally:
        os.close(own)


class _Utf16AsUtf8(io.RawIOBase):
    """A UTF-16 text stream read as UTF-8 bytes: Windows PowerShell 5 writes `adb logcat > log.txt`
    as UTF-16 with a byte-order mark, and support staff receive exactly such files."""

    def __init__(self, stream: BinaryIO, encoding: str) -> None:
        # StreamReader takes `errors`; typeshed's _StreamReader protocol leaves it out
        self._text = codecs.getreader(encoding)(stream, errors="replace")  # type: ignore[call-arg]
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            text = self._text.read(CHUNK_SIZE // 4)
            if not text:
                return 0
            self._pending = text.encode("utf-8")
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


def utf8_stream(stream: BinaryIO) -> BinaryIO:
    """The stream as UTF-8 bytes: UTF-16 (with a BOM, or without one when its first characters are ASCII)
    is transcoded, a UTF-8 BOM dropped."""
    head = stream.peek(64)[:64] if hasattr(stream, "peek") else b""
    if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return io.BufferedReader(_Utf16AsUtf8(stream, "utf-16"), CHUNK_SIZE)
    if head[:3] == codecs.BOM_UTF8:
        stream.read(3)
        return stream
    encoding = _utf16_without_bom(head)
    if encoding is not None:
        return io.BufferedReader(_Utf16AsUtf8(stream, encoding), CHUNK_SIZE)
    return stream


def _utf16_without_bom(head: bytes) -> str | None:
    """ "utf-16-le" or "utf-16-be" when the first bytes are ASCII text in UTF-16 with no BOM (a tool that
    wrote one without it, a BOM lost on the way): every other byte zero, the others printable or blanks."""
    even = len(head) // 2 * 2
    if even < 16:
        return None
    for zeros, chars, encoding in (
        (head[1:even:2], head[0:even:2], "utf-16-le"),
        (head[0:even:2], head[1:even:2], "utf-16-be"),
    ):
        if not zeros.strip(b"\x00") and all(32 <= c < 127 or c in (9, 10, 13) for c in chars):
            return encoding
    return None


def _line_chunks(stream: BinaryIO) -> Iterator[_Piece]:
    """(buffer, size) pairs whose buffer[:size] is whole lines, or _OVERLONG for a dropped line.

    The buffer is not sliced (that would copy megabytes); the bytes after `size` are the start of
    the next chunk: the _LOOKAHEAD_LINES lines after the chunk's last (`_lookahead_cut`), whole, which
    a wrapped line's pieces are looked for in (`_LinesAfter`), then the start of a line. A read error
    (truncated gzip, damaged zip member) is raised only after the lines read before it have been
    yielded, so their events are kept.
    """
    carry = b""
    skipping = False
    for block, error in _blocks(stream):
        if skipping and block:
            nl = block.find(b"\n")
            if nl == -1:
                block = b""
            else:
                block, skipping = block[nl + 1 :], False
                yield _OVERLONG
        buf = carry + block if carry else block
        cut = buf.rfind(b"\n")
        if cut == -1:
            if len(buf) > MAX_LINE:
                carry, skipping = b"", True
            else:
                carry = buf
        elif len(buf) - cut - 1 > MAX_LINE:  # the line it starts is over-long already: drop it as it comes
            yield buf, cut + 1  # (the pieces of a wrapped line stop at that line: no lookahead needed)
            carry, skipping = b"", True
        else:
            held = _lookahead_cut(buf, cut)
            if held:
                carry = buf[held:]
                yield buf, held
            else:  # too few lines to tell where a wrapped line's pieces end: read on
                carry = buf
        if error is not None:
            if carry and not skipping:
                yield carry, len(carry)
            raise error
    if skipping:
        yield _OVERLONG
    elif carry:
        yield carry, len(carry)


def _lookahead_cut(buf: bytes, last: int) -> int:
    """Where to end a chunk whose buffer's last newline is at `last`: before the last _LOOKAHEAD_LINES whole
    lines, or before fewer when one of those is no log record (the pieces of a wrapped line stop there).
    0 when the buffer holds too few lines for that."""
    end = last
    for _ in range(_LOOKAHEAD_LINES):
        nl = buf.rfind(b"\n", 0, end)
        if end - nl - 1 > MAX_RECORD:
            # no lookahead goes past this line: the lines after it need not be held back
            return nl + 1 if nl != -1 else 0
        if nl == -1:
            return 0
        end = nl
    return end + 1


def _blocks(stream: BinaryIO) -> Iterator[tuple[bytes, BaseException | None]]:
    """~CHUNK_SIZE blocks; `read1` keeps what a compressed stream yielded before an error."""
    read = getattr(stream, "read1", None) or stream.read
    ended = False
    held = b""  # a block's last bytes when they may start a character that the next block ends (`_as_typed`)
    while not ended:
        parts: list[bytes] = []
        size = 0
        error: BaseException | None = None
        while size < CHUNK_SIZE:
            try:
                part = read(CHUNK_SIZE - size)
            except Exception as exc:  # EOFError, zlib.error, BadZipFile, OSError: damaged or vanished data
                error = exc
                break
            if not part:  # the end; never read again: a terminal would wait for a second Ctrl-D
                ended = True
                break
            parts.append(part)
            size += len(part)
        block = b"".join(parts)
        if held:
            block, held = held + block, b""
        if error is None and not ended and (cut := _web_copy_tail(block)):
            block, held = block[:-cut], block[-cut:]
        block = _as_typed(block)
        if error is not None:
            yield block, error
            return
        if block:
            yield block, None


# What a paste may put before every line of a text, each as a pattern of its start (ASCII: the same source is
# used for str and bytes). The one blank after a mark is part of it; further ones are the line's own
# indentation (a dump's structure is in it).
_LINE_PREFIXES = (
    # e-mail and Markdown quotes, nested or not (`> `, `>> `, `> > `), up to three blanks before each
    r"^(?:[ \t]{0,3}>(?: |(?=\S)|$))+",
    # a viewer's or an editor's line numbers: `  12 | `, `12\t`
    r"^[ \t]{0,6}\d{1,7}(?: ?\| ?|\t)",
    # a list's bullet on each line
    r"^[ \t]{0,3}[-*+] ",
    # a CI's time stamp on each line of its job's log: ISO 8601 with its `T` (no log layout has one), as GitHub
    # Actions writes it (`2020-05-04T13:12:02.5515610Z `), or in brackets
    r"^\[?\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[.,]\d{1,9})?(?:Z|[+-]\d\d:?\d\d)?\]? ",
    # a chat's stamp and name on each line: `[10:42 AM] Anna: ` (after the CI's: a bracketed one is no chat's). No
    # slash or parenthesis in the name: `[  +12 ms] I/flutter (4242): ` is `flutter run -v`'s time before a log line
    r"^\[[^\]\n]{1,40}\] [^:/()\n]{1,40}: ",
)
_PREFIX_LAYERS = 4  # prefixes on prefixes (a quoted CI log of grep's output), JSON arrays of them, taken off at most
_PREFIXED_MIN = 0.6  # the share of a sample's lines (not counting blank ones and its note) with the prefix


_WRAPPED_MIN = 0.1  # cut anywhere: the share of a sample's lines exactly as long as the longest
# A line that starts with a date and a time starts a record of its own, in any log: an app's own log
# ("2025-07-13 12:52:48 Last exit reason ...", ICS OpenVPN) that no logcat layout reads, whose same-shaped lines
# are often exactly as long as each other (tests/samples/corpus/android_aosp/exitinfo_tostring_app_log_*). A cut
# lands anywhere, hardly ever just before a whole date and time. (\d is any script's digit: a Persian locale's
# "۲۰۲۵-۱۱-۰۹ ۲۳:۴۱:۳۶" too.) Behind grep's `file:N:` or `N:` as well: no layout being read, that prefix is not learnt.
# A time alone too, with its seconds: syncthing-android's viewer keeps only that ("02:07:39E/AndroidRuntime ...").
_STAMPED = re.compile(
    r"\s*(?:(?:[^\s:]+:)?\d+[:-])?\[?(?:(?:\d{4}-)?\d\d-\d\d[ T]\d\d:\d\d(?::\d\d)?\b|\d\d:\d\d:\d\d)"
)


@dataclass(frozen=True)
class _Wrap:
    """How a log was hard-wrapped at `width` columns: cut anywhere (a terminal without soft wraps, tmux, a
    blog's code box), or at blanks (a mail at 72-78 columns, a page's text: the blank at the cut is gone)."""

    width: int
    at_blanks: bool

    def continues(self, line: str, after: str, is_record: Callable[[str], bool]) -> bool:
        """Whether `after` is the rest of `line`, cut where this wrap cuts: no record starts there, and the line
        is as long as the width (cut anywhere) or the word `after` starts with would not have fitted on it."""
        if not line.strip() or not after.strip() or _STAMPED.match(after) or is_record(after):
            return False
        if not self.at_blanks:
            return len(line) == self.width
        if after[:1].isspace() and len(after) - len(after.lstrip()) != len(line) - len(line.lstrip()):
            return False  # indented deeper than the line (a stack frame, a dump's field): a line of its own
        first, *rest = after.split(None, 1)
        if len(first) > self.width:  # a word longer than the width is on a line of its own: alone, it goes on
            return not rest
        return len(line) + 1 + len(first) > self.width

    def join(self, line: bytes, after: bytes) -> bytes:
        line = line.rstrip(b"\r")
        if not self.at_blanks:
            return line + after
        return line + (b"" if line.endswith((b" ", b"\t")) else b" ") + after.lstrip()  # (some keep the blank)


def _wrapping(sample: list[str], is_record: Callable[[str], bool]) -> _Wrap | None:
    """How the sample's log was hard-wrapped, or None. A log's own lines differ in length and each starts a
    record; cut at a width, no line of several words is longer than it, and lines go on in a line that starts
    no record: cut anywhere, each such line is exactly as long as the width (and many lines are); cut at
    blanks, where the next word would not have fitted (most are shorter than the width). Two at least."""
    lines = [line.rstrip("\r") for line in _without_note(sample)]
    filled = [line for line in lines if line.strip()]
    worded = [len(line) for line in filled if " " in line.strip()]  # a word longer than the width stays whole
    if len(filled) < 3 or not worded or max(worded) < 40:
        return None
    width = max(worded)
    pairs = list(itertools.pairwise(lines))
    at_blanks = _Wrap(width, True)
    words = sum(at_blanks.continues(a, b, is_record) for a, b in pairs)
    # Cut anywhere: the width is the longest line's, or the length most lines that go on have (one line longer
    # than the rest: a quote mark fewer, a line the wrap missed). Lines of one shape (the same record's head) may
    # all be as long as the longest: that alone is no width.
    going_on = [len(a) for a, b in pairs if a.strip() and b.strip() and not is_record(b)]
    widths = [width]
    if going_on:
        widths.append(collections.Counter(going_on).most_common(1)[0][0])
    for width_cut in dict.fromkeys(widths):
        anywhere = _Wrap(width_cut, False)
        exact = sum(anywhere.continues(a, b, is_record) for a, b in pairs)
        cut = sum(1 for line in filled if len(line) == width_cut)
        longer = sum(1 for n in worded if n > width_cut)
        if exact >= 2 and exact >= words * 0.9 and cut >= len(filled) * _WRAPPED_MIN and longer <= 1:
            return anywhere
    return at_blanks if words >= 2 else None


def _rejoined(
    pieces: Iterator[_Piece], wrap: _Wrap, is_record: Callable[[str], bool], *, note: int = 0, filler: bytes = b""
) -> Iterator[_Piece]:
    """The pieces of a hard-wrapped log with each record's pieces joined again on its first line: a line goes
    on with each line after it that `wrap` says continues the one before, into the lines a piece holds back
    for the next one too. Each line taken is left as `filler` (a blank line unless the reader needs to tell
    it from one), so that every line keeps its number. The `note` lines on top are never joined into."""
    lineno = 1  # the number of the piece's first line
    carried = 0  # the lines at the start of this piece that the piece before took into its last record
    for piece in pieces:
        if piece is _OVERLONG:
            yield piece
            lineno, carried = lineno + 1, 0
            continue
        data, size = cast(tuple[bytes, int], piece)
        lines = data[:size].split(b"\n")[:-1]  # data[:size] is whole lines
        ahead = data[size:].split(b"\n")[:-1]  # the whole lines held back for the next piece (its first ones)
        raw = lines + ahead
        texts = [line.decode("utf-8", "replace").rstrip("\r") for line in raw]
        out: list[bytes] = [filler] * min(carried, len(lines))
        i = len(out)
        while i < len(lines):
            line, j = raw[i], i + 1
            while j < len(raw) and lineno + i > note and wrap.continues(texts[j - 1], texts[j], is_record):
                line, j = wrap.join(line, raw[j]), j + 1
            out.append(line)
            out.extend(filler for _ in range(i + 1, min(j, len(lines))))
            i = j
        carried = max(0, i - len(lines))
        lineno += len(lines)
        joined = b"".join(line + b"\n" for line in out)
        yield joined + data[size:], len(joined)


_DOUBLE_SPACED_MIN = 0.9  # the share of a sample's lines followed by a blank line


def _double_spaced(sample: list[str]) -> bool:
    """Whether a blank line follows (nearly) every line: an editor, a chat or a page that doubled the line ends
    of a paste. Plain logs and dumps have no blank lines, or a few between sections."""
    lines = _without_note(sample)
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    filled = [i for i, line in enumerate(lines[:-1]) if line.strip()]
    followed = sum(1 for i in filled if not lines[i + 1].strip())  # (its own blank lines doubled too)
    return len(filled) >= 3 and followed >= len(filled) * _DOUBLE_SPACED_MIN


def _line_prefix(sample: list[str]) -> str | None:
    """The pattern of what stands before (nearly) every line of the text (`_LINE_PREFIXES`: quoted as a whole by
    an e-mail or an issue's reply, line numbers of a viewer, ...), or None. The lines are then read without it,
    so that a quoted dump is still told and read as a dump and multi-line records join as they would."""
    lines = [line for line in _without_note(sample) if line.strip()]
    for prefix in _LINE_PREFIXES:
        start = re.compile(prefix).match
        if lines and sum(1 for line in lines if start(line)) >= len(lines) * _PREFIXED_MIN:
            return prefix
    return None


def _tool_prefix(sample: list[str], years: YearHint) -> str | None:
    """The pattern of what another tool (a CI's log, a wrapper script, grep) put before (nearly) every line of the
    text, learnt from it (`paste.tool_prefix`), or None."""
    from bgprobe.collectors.parsers.paste import tool_prefix

    return tool_prefix(_without_note(sample), years, _PREFIXED_MIN)


# A line that is one JSON string (a log exported or printed as a JSON array of its lines), a comma after it or not.
_JSON_STRING_LINE = re.compile(r'[ \t]*("(?:[^"\\]|\\.)*")[ \t]*,?[ \t\r]*')


_JSON_ARRAY_ENDS = frozenset({"[", "]", "],", "];"})


def _json_string_lines(sample: list[str]) -> bool:
    """Whether (nearly) every line of the text is one JSON string: the log as a JSON array of its lines."""
    lines = [line for line in _without_note(sample) if line.strip() and line.strip() not in _JSON_ARRAY_ENDS]
    strings = sum(1 for line in lines if _JSON_STRING_LINE.fullmatch(line))
    return strings >= 2 and strings >= len(lines) * _PREFIXED_MIN


def _json_string_line(line: str) -> str:
    """The text of a line that is one JSON string (its newlines as blanks: a line stays one line), a blank line for
    the array's brackets, else the line."""
    m = _JSON_STRING_LINE.fullmatch(line)
    if m is None:
        return "" if line.strip() in _JSON_ARRAY_ENDS else line  # the array's own brackets are no line of the log
    try:
        text = json.loads(m[1])
    except ValueError:
        return line
    return text.replace("\r", " ").replace("\n", " ") if isinstance(text, str) else line


def _from_json_strings(pieces: Iterator[_Piece]) -> Iterator[_Piece]:
    """The pieces with each line that is one JSON string replaced by its text (`_json_string_line`)."""
    for piece in pieces:
        if piece is _OVERLONG:
            yield piece
            continue
        data, size = cast(tuple[bytes, int], piece)
        lines = data[:size].decode("utf-8", "replace").split("\n")
        text = "\n".join(_json_string_line(line) for line in lines).encode()
        yield text + data[size:], len(text)


def _rewritten(pieces: Iterator[_Piece], rewrite: Callable[[bytes], bytes]) -> Iterator[_Piece]:
    """The pieces with `rewrite` applied to each one's whole lines and, apart, to the lookahead after them (which
    starts a line too). A rewrite keeps the lines' count and order: every line keeps its number."""
    for piece in pieces:
        if piece is _OVERLONG:
            yield piece
            continue
        data, size = cast(tuple[bytes, int], piece)
        lines = rewrite(data[:size])
        yield lines + rewrite(data[size:]), len(lines)


def _sample_and_pieces_rewritten(
    sample: list[str], pieces: Iterator[_Piece], rewrite: Callable[[bytes], bytes]
) -> tuple[list[str], Iterator[_Piece]]:
    """The sample's lines and the pieces, both rewritten by `rewrite` (a whole-line form undone)."""
    return rewrite("\n".join(sample).encode()).decode().split("\n"), _rewritten(pieces, rewrite)


def _without_prefix(pieces: Iterator[_Piece], prefix: str) -> Iterator[_Piece]:
    """The pieces with the prefix at each line's start removed."""
    strip = re.compile(prefix.encode(), re.MULTILINE).sub
    return _rewritten(pieces, lambda lines: strip(b"", lines))


# A line that is one Markdown code span (`` `05-07 14:05:49.444 … Killing …` ``): a chat's or an issue's way with log
# lines, each in its own span. (Not a fence: ``` starts one.)
_CODE_SPAN_LINE = re.compile(rb"^[ \t]*`(?!`)(.*[^`\n])`[ \t]*(\r?)$", re.MULTILINE)


def _code_span_lines(sample: list[str]) -> bool:
    """Whether (nearly) every line of the text is one code span."""
    lines = [line for line in _without_note(sample) if line.strip()]
    spans = sum(1 for line in lines if _CODE_SPAN_LINE.fullmatch(line.encode()))
    return spans >= 2 and spans >= len(lines) * _PREFIXED_MIN


def _code_spans_off(lines: bytes) -> bytes:
    return _CODE_SPAN_LINE.sub(rb"\1\2", lines)


# Markup a paste keeps around a log's lines (decided from the sample, as the other forms of a whole text are: testing
# each block of a large log for these would cost as much as grep reads it): a Markdown fence closed at the end of the
# last line, glued to it (a chat's code block); a ticket's or a page's HTML source, `<pre>` (`<pre><code>`) glued to
# the first line and closed on the last, a `<br>` ending each line; a forum post's BBCode source, `[code]`
# (`[code=java]`, `[quote]`) glued to the first line and closed on the last; a quoted block's paragraphs, `<p>` opening
# a line and `</p>` closing one (Stack Overflow's feeds: `<p>Exception Type: 00000020<br />`,
# tests/samples/corpus/ios/w4_so_atom_feed_*). Taken off a line's start and end only (a tag in a message stays); in
# lower or upper case.
_MARKUP_HINT = re.compile(rb"```|<(?:br|/?pre|/?code)\b|\[/?(?:code|quote)[\]=]", re.IGNORECASE)
_GLUED_CLOSING_FENCE = re.compile(rb"([^\s`][ \t]*)`{3,}[ \t]*(?=\r?$)", re.MULTILINE)
_MARKUP_LINE_START = re.compile(
    rb"^([ \t]*)(?:<(?:pre|code|p|blockquote)(?:\s[^>\n]*)?>|\[(?:code|quote)(?:=[^\]\n]*)?\])+",
    re.MULTILINE | re.IGNORECASE,
)
_MARKUP_LINE_END = re.compile(
    rb"(?:</?(?:pre|code|p|blockquote)>|<br\s*/?>|\[/(?:code|quote)\])+[ \t]*(\r?)$", re.MULTILINE | re.IGNORECASE
)


def _markup_off(lines: bytes) -> bytes:
    """Whole lines without the markup of a paste around them (`_MARKUP_HINT`)."""
    lines = _GLUED_CLOSING_FENCE.sub(rb"\1", lines)
    return _MARKUP_LINE_END.sub(rb"\1", _MARKUP_LINE_START.sub(rb"\1", lines))


_HTML_ESCAPE = re.compile(rb"&(?:#\d{2,3}|#x[0-9a-fA-F]{2}|quot|apos|lt|gt|amp);")


def _as_typed(block: bytes) -> bytes:
    """The block with what a web page or a blog makes of typed characters undone: text copied from one may
    have no-break spaces (U+00A0, an HTML &nbsp;) for some or all of its blanks, and typographic single
    quotes (U+2018, U+2019) for the straight ones the log wrote ("Kill 'com.foo' (1234)"). The layouts, the
    rules and the pre-filter read them as what they stand for. (Not the double ones: a straight one would
    end a JSON string early in a crash report.) Each test is one byte's memchr: a file without those bytes
    pays nothing more."""
    if b"\xa0" in block:
        block = block.replace(b"\xc2\xa0", b" ")
    if b"\r" in block and b"\n" not in block:  # lines ended by a CR alone (classic Mac OS, some Windows tools)
        block = block.replace(b"\r", b"\n")
    if b"\xe2" in block:
        block = block.replace("\u2018".encode(), b"'").replace("\u2019".encode(), b"'")
    if b"\x1b" in block:  # a terminal's colours and line erasing (logcat -v color, a CI's log): no part of the text
        block = _TERMINAL_CONTROL.sub(b"", block)
    return block


# An ANSI control sequence (ECMA-48 CSI: ESC [, parameter bytes, intermediate bytes, the final byte).
_TERMINAL_CONTROL = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]")
_TERMINAL_CONTROL_START = re.compile(rb"\x1b(?:\[[0-?]*[ -/]*)?$")  # one a block's end may cut


def _web_copy_tail(block: bytes) -> int:
    """How many bytes at the block's end may be the start of a character or a control sequence `_as_typed`
    replaces (kept for the next block, which ends it)."""
    if block.endswith((b"\xc2", b"\xe2")):
        return 1
    if block.endswith(b"\xe2\x80"):
        return 2
    if b"\x1b" in block[-_CONTROL_MAX:] and (cut := _TERMINAL_CONTROL_START.search(block, len(block) - _CONTROL_MAX)):
        return len(block) - cut.start()
    return 0


_CONTROL_MAX = 32  # the longest ANSI control sequence a block's end is checked for


def _take_sample(data: bytes, end: int, sampled: list[bytes], size: int) -> int:
    """Append the lines of data[:end] to `sampled` up to SNIFF_SIZE bytes in all, leaving out lines
    longer than MAX_RECORD (not log records); returns the new total."""
    pos = 0
    while pos < end and size < SNIFF_SIZE:
        nl = data.find(b"\n", pos, end)
        stop = end if nl == -1 else nl + 1
        if stop - pos <= MAX_RECORD:
            part = data[pos : min(stop, pos + SNIFF_SIZE - size)]
            sampled.append(part)
            size += len(part)
        pos = stop
    return size


_MAX_WRAPPED_PIECES = 8  # lines a hard-wrapped record may have been cut into, after its first
_LOOKAHEAD_LINES = _MAX_WRAPPED_PIECES  # lines of the next chunk held back at a chunk's end (`_line_chunks`)


_BOUNDARY_STARTS = tuple(marker[1:] for marker in _BOUNDARY_MARKERS)


class _IosLines:
    """A chunk's lines for the iOS reader (`IosTextReader`), fed up to a given offset at a time."""

    __slots__ = ("data", "lineno", "pos", "reader")

    def __init__(self, reader: IosTextReader, data: bytes, lineno: int) -> None:
        self.reader, self.data, self.pos, self.lineno = reader, data, 0, lineno

    def feed_to(self, offset: int) -> list[Event]:
        """Events of the lines from where the last call stopped up to `offset` (a line's end, or the chunk's),
        numbered as the text scanner numbers them (at each newline)."""
        if offset <= self.pos:
            return []
        lines = self.data[self.pos : offset].decode("utf-8", "replace").split("\n")
        if not lines[-1]:
            lines.pop()  # after the last newline
        self.pos = offset
        out: list[Event] = []
        feed = self.reader.feed
        for n, text in enumerate(lines, self.lineno):
            out += feed(n, text)
        self.lineno += len(lines)
        return out


class _LinesAfter:
    """The lines after a given line end in a chunk, decoded only when asked for."""

    __slots__ = ("data", "end", "sectioned", "start")

    def __init__(self, data: bytes, line_end: int, end: int, sectioned: bool) -> None:
        self.data, self.start, self.end, self.sectioned = data, line_end + 1, end, sectioned

    def lines(self, limit: int) -> Iterator[tuple[str, int]]:
        """(text, offset just past it) of up to `limit` lines: past the chunk's end, on into the lines of the
        next chunk held back after it (`_line_chunks`), up to a section boundary in a bugreport."""
        data, start, end = self.data, self.start, self.end
        over = False
        for _ in range(limit):
            if start >= end:
                if over:
                    return
                over, end = True, data.rfind(b"\n") + 1
                if start >= end:
                    return
            if over and self.sectioned and data.startswith(_BOUNDARY_STARTS, start):
                return
            stop = data.find(b"\n", start, end)
            stop = end if stop == -1 else stop
            if stop - start > MAX_RECORD:
                return
            yield data[start:stop].decode("utf-8", "replace").rstrip("\r"), stop + 1
            start = stop + 1


# What unwrapping a paste (collectors.parsers.paste) rewrites rather than cuts: HTML entities, Markdown
# links, backticks, JSON strings, and the ANSI colours parse_line drops. A line without them is only cut
# into parts, each of which holds a dispatch word if a rule reads it (DISPATCH_WORDS).
_REWRITTEN = ("&", "](", "`", '"', "\x1b")
_RULE_WORDS = ahocorasick_rs.AhoCorasick([*DISPATCH_WORDS, *_REWRITTEN])


def _may_have_rule(line: str) -> bool:
    """False when no record that unwrapping this line can give has a rule: then it need not be unwrapped
    (a third of a busy log's selected lines are power managers' and context lines no rule reads)."""
    if _RULE_WORDS.find_matches_as_indexes(line):
        return True
    upper = line.upper()
    return any(word in upper for word in DISPATCH_WORDS_UPPER)


_MAYBE_WRAPPED = frozenset(b": \t\r")  # last bytes of a line that may end with a bare prefix (as ints)


def _looks_relevant(text: str) -> bool:
    """Whether the text holds a word that makes a line look like evidence (what `_selected` notes of a line)."""
    return any(i < _RELEVANT for i, _, _ in _PASTE_MATCHER.find_matches_as_indexes(text.encode()))


def _ends_with_colon(data: bytes, start: int, end: int) -> bool:
    return data[start:end].rstrip().endswith(b":")


def _boundaries(data: bytes, size: int) -> list[int]:
    found: list[int] = []
    for marker in _BOUNDARY_MARKERS:
        if data.startswith(marker[1:]):
            found.append(0)
        pos = data.find(marker, 0, size)
        while pos != -1:
            found.append(pos + 1)
            pos = data.find(marker, pos + 1, size)
    return sorted(set(found))


def _looks_binary(sample: bytes) -> bool:
    if not sample:
        return False
    if sample.count(0) > len(sample) // 100:
        return True
    text = sample.decode("utf-8", "replace")
    bad = text.count("\ufffd") + sum(1 for c in text if ord(c) < 32 and c not in "\t\n\r\f\v\x1b")
    return bad > len(text) // 20


_LOGCAT_LIKE_MIN = 0.3
# A dump quoted in Markdown or an e-mail keeps its marks behind "> " (react-native-background-fetch#172).
_JOBSCHEDULER_MARKS = (
    r"^\s*(?:> ?)?\s*(JOB #|Slot #\d+: |Registered \d+ jobs|Required constraints:|Num failures:|Ready: )"
)


# Android 6/7 print no light state (`mEnabled=`, `mState=INACTIVE` alone): the deep states are named instead.
_DEVICEIDLE_MARKS = (
    r"mState=\w+ mLightState=|^\s*light_after_inactive_to=|^\s*mLightEnabled=|^\s*Whitelist \(except idle\)"
    r"|\bmState=(?:ACTIVE|INACTIVE|IDLE_PENDING|SENSING|LOCATING|IDLE|IDLE_MAINTENANCE|QUICK_DOZE_DELAY)\b"
)


def _detect(sample: list[str]) -> str | None:
    """bugreport | logcat | long | jobscheduler | exitinfo | deviceidle, or None."""
    # A leading block of `#` lines is a note written on top of a pasted capture (the `# source:` line of
    # the samples in tests/, a shell prompt comment): it is not part of the dump and must not decide its kind.
    sample = _without_note(sample)
    text = "\n".join(sample)
    if "== dumpstate: " in text or "DUMP OF SERVICE " in text or re.search(r"^------ .* \(.*logcat", text, re.M):
        return "bugreport"
    lines = [s for s in sample if s.strip() and not s.startswith(("#", "---------"))]
    if lines and looks_like_long_format(lines[:50]):
        return "long"
    layout = sniff_layout(lines[:200])
    if layout is not None:
        # An indented line that is not a record continues the one above it (an ANR's reasons and CPU
        # usage, a stack trace as Android Studio copies it): it does not count against logcat.
        # (Indented records exist: monotonic timestamps are right-aligned.)
        records = [s for s in lines[:200] if not s[:1].isspace() or layout.match(s)]
        matched = sum(1 for s in records if layout.match(s))
        # `I get this error: ` is prose that LEVEL_TAG (`I Tag: msg`) reads: one such line alone makes no log.
        if matched >= max(2 if layout is LEVEL_TAG else 1, int(len(records) * _LOGCAT_LIKE_MIN)):
            return "logcat"
    from bgprobe.collectors.parsers.exitinfo import looks_like_exit_info

    if looks_like_exit_info(sample):
        return "exitinfo"
    if re.search(_JOBSCHEDULER_MARKS, text, re.M):
        return "jobscheduler"
    if re.search(_DEVICEIDLE_MARKS, text, re.M):
        return "deviceidle"
    return _detect_ios(sample)


def _without_note(sample: list[str]) -> list[str]:
    """The sample without the block of `#` lines a capture may carry on top (see `_detect`)."""
    skip = 0
    while skip < len(sample) and sample[skip].startswith("#"):
        skip += 1
    return sample[skip:]


def _detect_ios(sample: list[str]) -> str | None:
    """ips | ios_log, or None. Runs only when no Android layout matched, so logcat scans never pay for it. A report
    among iOS log lines (a ticket quoting both) is read by the log reader, which hands the report to the same parser."""
    from bgprobe.collectors.parsers.ios_syslog import has_log_lines, looks_like_ios_log
    from bgprobe.collectors.parsers.ips import looks_like_ips

    if looks_like_ips(sample):
        return "ios_log" if has_log_lines(sample) else "ips"
    if looks_like_ios_log(sample):
        # A ticket quoting both platforms: read as pasted text, where every line is offered to both.
        from bgprobe.collectors.parsers.paste import sniff_pasted

        return None if sniff_pasted(sample)[1] else "ios_log"
    return None


def scan_text(
    stream: BinaryIO,
    name: str,
    reference_date: date | None,
    *,
    package: str | None = None,
    warnings: list[str] | None = None,
    facts: ReportFacts | None = None,
    on_unrecognized: Callable[[str, str], None] | None = None,
) -> Iterator[Event]:
    """All events of one text source. Raises InputError when the source is not usable at all.
    `on_unrecognized(where, text)` is called for each line that looked relevant but that no rule read."""
    scanner = TextScanner(name, reference_date, package=package, facts=facts, on_unrecognized=on_unrecognized)
    try:
        yield from scanner.scan(stream)
    finally:
        if warnings is not None:
            warnings.extend(scanner.warnings)


__all__ = ["ReportFacts", "TextScanner", "scan_text"]
