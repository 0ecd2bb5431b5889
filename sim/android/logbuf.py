"""logd for a simulated phone: ring buffers, `logcat` options and output layouts.

Layouts follow system/core liblog/logprint.cpp (docs/formats.md §1): threadtime
`"%s %5d %5d %c %-8.*s: "`, time, brief, long, with the uid/year/epoch adverbs.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass
from datetime import datetime

BUFFERS = ("main", "system", "radio", "events", "crash", "kernel")
DEFAULT_BUFFERS = ("main", "system", "crash")
FORMATS = ("brief", "long", "process", "raw", "tag", "thread", "threadtime", "time")
ADVERBS = ("color", "descriptive", "epoch", "monotonic", "printable", "uid", "usec", "UTC", "year", "zone", "nsec")


@dataclass(slots=True)
class LogEntry:
    seq: int
    buffer: str
    ts: datetime
    pid: int
    tid: int
    uid: int
    level: str
    tag: str
    msg: str


class LogBuffers:
    def __init__(self, capacity: int = 20000) -> None:
        self._entries: deque[LogEntry] = deque(maxlen=capacity)
        self._seq = 0
        self._waiters: list[asyncio.Event] = []

    def add(self, buffer: str, ts: datetime, pid: int, tid: int, uid: int, level: str, tag: str, msg: str) -> None:
        # A multi-line message is printed by logcat as one line per message line, each with the prefix.
        for part in msg.split("\n"):
            self._seq += 1
            self._entries.append(LogEntry(self._seq, buffer, ts, pid, tid, uid, level, tag, part))
        for waiter in self._waiters:
            waiter.set()

    def clear(self, buffers: tuple[str, ...]) -> None:
        kept = [e for e in self._entries if e.buffer not in buffers]
        self._entries.clear()
        self._entries.extend(kept)

    def snapshot(self, buffers: tuple[str, ...], after_seq: int = 0) -> list[LogEntry]:
        return [e for e in self._entries if e.buffer in buffers and e.seq > after_seq]

    @property
    def last_seq(self) -> int:
        return self._seq

    async def wait_for_more(self, timeout: float) -> None:
        waiter = asyncio.Event()
        self._waiters.append(waiter)
        try:
            await asyncio.wait_for(waiter.wait(), timeout)
        except TimeoutError:
            pass
        finally:
            self._waiters.remove(waiter)


@dataclass
class LogcatOptions:
    dump: bool = False
    clear: bool = False
    buffers: tuple[str, ...] = DEFAULT_BUFFERS
    fmt: str = "threadtime"
    adverbs: frozenset[str] = frozenset()
    tail: int | None = None  # -t N / -T N
    error: str | None = None


def parse_logcat_args(args: list[str]) -> LogcatOptions:
    """logcat's options as bgprobe and users pass them; an unknown option is reported like logcat does."""
    opts = LogcatOptions()
    buffers: list[str] = []
    fmts: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        value = args[i + 1] if i + 1 < len(args) else None
        if arg == "-d":
            opts.dump = True
        elif arg == "-c":
            opts.clear = True
        elif arg in ("-b", "--buffer") or arg.startswith("-b"):
            text = arg[2:] if arg.startswith("-b") and len(arg) > 2 else value
            if text is None:
                opts.error = "logcat: option requires an argument -- b"
                return opts
            if not (arg.startswith("-b") and len(arg) > 2):
                i += 1
            for name in text.split(","):
                if name == "all":
                    buffers.extend(BUFFERS)
                elif name == "default":
                    buffers.extend(DEFAULT_BUFFERS)
                elif name in BUFFERS:
                    buffers.append(name)
                else:
                    opts.error = f"Unknown buffer '{name}'."
                    return opts
        elif arg in ("-v", "--format") or (arg.startswith("-v") and len(arg) > 2):
            text = arg[2:] if len(arg) > 2 and arg.startswith("-v") else value
            if text is None:
                opts.error = "logcat: option requires an argument -- v"
                return opts
            if not (arg.startswith("-v") and len(arg) > 2):
                i += 1
            for name in text.split(","):
                if name in FORMATS:
                    fmts.append(name)
                elif name in ADVERBS:
                    opts.adverbs |= {name}
                else:
                    opts.error = f"Invalid parameter '{name}' to -v."
                    return opts
        elif arg in ("-t", "-T"):
            if value is None or not value.isdigit():
                opts.error = f"logcat: option requires an argument -- {arg[1]}"
                return opts
            opts.tail = int(value)
            opts.dump = opts.dump or arg == "-t"
            i += 1
        elif arg.startswith("-") and arg not in ("-s",):
            opts.error = f"logcat: invalid option -- '{arg.lstrip('-')[:1]}'"
            return opts
        # filterspecs (`*:V`, `ActivityManager:I`) and -s are accepted; the simulator keeps every level
        i += 1
    if buffers:
        opts.buffers = tuple(dict.fromkeys(buffers))
    if fmts:
        opts.fmt = fmts[-1]
    return opts


def format_entry(e: LogEntry, fmt: str, adverbs: frozenset[str]) -> str:
    if "epoch" in adverbs:
        ts = f"{e.ts.timestamp():19.3f}"
    else:
        date = e.ts.strftime("%Y-%m-%d" if "year" in adverbs else "%m-%d")
        frac = f"{e.ts.microsecond:06d}" if "usec" in adverbs else f"{e.ts.microsecond // 1000:03d}"
        ts = f"{date} {e.ts:%H:%M:%S}.{frac}"
    uid = f"{e.uid:5d} " if "uid" in adverbs else ""
    tag = e.tag
    if fmt == "threadtime":
        return f"{ts} {uid}{e.pid:5d} {e.tid:5d} {e.level} {tag:<8}: {e.msg}"
    if fmt == "time":
        uid_part = f"{e.uid:5d}:" if "uid" in adverbs else ""
        return f"{ts} {e.level}/{tag:<8}({uid_part}{e.pid:5d}): {e.msg}"
    if fmt == "brief":
        return f"{e.level}/{tag:<8}({e.pid:5d}): {e.msg}"
    if fmt == "tag":
        return f"{e.level}/{tag:<8}: {e.msg}"
    if fmt == "process":
        return f"{e.level}({e.pid:5d}) {e.msg}  ({tag})"
    if fmt == "thread":
        return f"{e.level}({e.pid:5d}:{e.tid:5d}) {e.msg}"
    if fmt == "raw":
        return e.msg
    # long
    return f"[ {ts} {uid}{e.pid:5d}:{e.tid:5d} {e.level}/{tag:<8} ]\n{e.msg}\n"


def render(entries: list[LogEntry], opts: LogcatOptions, with_banners: bool = True) -> str:
    """Lines as `logcat -d` prints them, with `--------- beginning of <buffer>` markers."""
    lines: list[str] = []
    seen: set[str] = set()
    for e in entries:
        if with_banners and e.buffer not in seen:
            seen.add(e.buffer)
            lines.append(f"--------- beginning of {e.buffer}")
        lines.append(format_entry(e, opts.fmt, opts.adverbs))
    return "".join(line + "\n" for line in lines)
