"""Android log messages -> events: kills, deaths, ANRs, crashes, job time-outs, WorkManager results.

Formats and their AOSP sources are in ../shared/reference/android.md §2 (system log) and §2.1
(event log text). `LogInterpreter` is fed `LogRecord`s in order and is the same for a live logcat
stream and a file. It keeps a little state because some messages span several log lines
(`ANR in` + `PID:`/`Reason:`, `FATAL EXCEPTION` + `Process:`, WorkManager diagnostics tables).

`SIGNATURES` are substrings that every line yielding an event contains: file scanning uses
them as a fast pre-filter and parses only the lines they select (plus a few lines of context
after the multi-line openers in `CONTEXT_SIGNATURES`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bgprobe.collectors.parsers import at
from bgprobe.collectors.parsers.kill_reasons import (
    normalize_am_kill_reason,
    normalize_force_stop_reason,
    signal_reason,
)
from bgprobe.collectors.parsers.logcat import LogRecord
from bgprobe.reports.events import Event, package_of_process

AM_KILL = re.compile(r"^Killing (?P<pid>\d+):(?P<proc>[^/\s]+)/(?P<uid>\S+) \(adj (?P<adj>-?\d+)\): (?P<reason>.*)$")
AM_DIED = re.compile(
    r"^Process (?P<proc>\S+) \(pid (?P<pid>\d+)\) has died(?::\s*(?P<adj>[a-z]+(?:\+\s?\d+)?)\s*(?P<state>[A-Z]+))?"
)
FORCE_STOP = re.compile(r"^Force stopping (?P<pkg>\S+) appid=(?P<appid>\d+) user=(?P<user>-?\d+): (?P<reason>.*)$")
ZYGOTE = re.compile(
    r"^Process (?P<pid>\d+) exited (?:due to signal (?P<sig>\d+) \((?P<signame>[^)]*)\)|cleanly \((?P<code>\d+)\))"
)
LMKD = re.compile(
    r"^(?:lowmemorykiller: )?Kill(?:ing)? '(?P<proc>[^']+)' \((?P<pid>\d+)\), (?:uid (?P<uid>\d+), )?"
    r"(?:oom_score_adj|oom_adj|adj) (?P<adj>-?\d+)(?:,| to free (?P<kb>\d+)kB(?: rss, (?P<swap>\d+)kB swap)?)?"
    r"(?:; reason: (?P<reason>.*))?"
)
# The later lines of a multi-line lmk kill, each printed with the first one's prefix (same pid/tag):
# lmkd 8.1 / early 9 (`lmkd.c` kill_one_process: one ALOGI with "\n   to free %ldkB because system is
# under %s memory pressure oom_adj %d\n"; the use_minfree_levels variant "because cache %s%ldkB is below
# limit %ldkB for oom_adj %d\n   Free memory is %s%ldkB %s reserved"), and the kernel driver's
# "to free %ldkB on behalf of '%s' (%d) because\n cache ... for oom_score_adj %hd\n Free memory is ...".
LMK_MORE = re.compile(
    r"^\s*(?:to free (?P<kb>\d+)kB(?: on behalf of '(?P<by>[^']*)' \((?P<by_pid>\d+)\))? because ?(?P<why>.*)"
    r"|(?P<cache>cache ~?-?\d+kB is below limit \d+kB for oom_(?:score_)?adj (?P<cache_adj>-?\d+))"
    r"|(?P<free>Free memory is ~?-?\d+kB (?:above|below) reserved)\.?)\s*$"
)
LMK_PRESSURE = re.compile(r"^system is under (?P<level>\w+) memory pressure oom_adj (?P<min_adj>-?\d+)$")
START_PROC = re.compile(
    r"^Start proc (?P<pid>\d+):(?P<proc>[^/\s]+)/(?P<uid>\S+) for (?P<what>.*)$"
    r"|^Start proc (?P<proc_old>\S+) for (?P<what_old>.*?): pid=(?P<pid_old>\d+) uid=(?P<uid_old>\d+)"
)
ANR_IN = re.compile(r"^ANR in (?P<proc>\S+)(?: \((?P<comp>[^)]*)\))?")
FREEZING = re.compile(r"^(?P<verb>freezing|unfreezing) (?P<pid>\d+) (?P<proc>\S+)")
JOB_SHORT = re.compile(
    r"#(?:(?P<ns>[^:\s#]+):)?(?P<uid>u\d+[as]\d+|\d+)/(?P<job>-?\d+) (?P<pkg>[A-Za-z][\w.]*)/(?P<svc>\S+?)'?$"
)
JOB_TIMEOUT = re.compile(
    r"^(?P<what>Client timed out while executing|No response from client for (?P<cb>onStartJob|onStopJob)"
    r"|Time-out while trying to bind)"
)
WM_RESULT = re.compile(
    r"Worker result (?P<res>SUCCESS|RETRY|FAILURE) for Work \[ id=(?P<id>[0-9a-fA-F-]{36}), tags=\{ (?P<tags>.*?) \}"
)
WM_WORK = re.compile(r"Work \[ id=(?P<id>[0-9a-fA-F-]{36}), tags=\{ (?P<tags>.*?) \} \] (?P<what>was cancelled)")
WM_THREW = re.compile(
    r"Work \[ id=(?P<id>[0-9a-fA-F-]{36}), tags=\{ (?P<tags>.*?) \} \] failed because it threw an exception/error"
)
# The Throwable WorkerWrapper logs with that line (one log entry, printed line by line under its prefix).
JAVA_THROWABLE = re.compile(r"^(?:Caused by: )?[\w$]+(?:\.[\w$]+)+(?:Exception|Error|Throwable)\b")
JAVA_TRACE = re.compile(r"^(?:\s+|at |\.\.\. \d+ more|Suppressed: )")
WM_DELAY = re.compile(r"^Delaying execution for (?P<cls>\S+) because it is being executed before schedule")
WM_STARTING = re.compile(r"^Starting work for (?P<cls>\S+)")
WM_SYSJOB = re.compile(r"^(?P<cb>onStartJob|onStopJob) for (?P<id>[0-9a-fA-F-]{36})")
WM_DIAG_SECTION = re.compile(r"^(?P<section>Recently completed work|Running work|Enqueued work):")
WM_DIAG_ROW = re.compile(
    r"^\s*(?P<id>[0-9a-fA-F-]{36})\s*\t\s*(?P<cls>[^\t]*)\t\s*(?P<sysid>[^\t]*)\t\s*(?P<state>[A-Z_]+)\t"
    r"\s*(?P<names>[^\t]*)\t\s*(?P<tags>[^\t]*)"
)
HUAWEI_FORCE_STOP = re.compile(r"force stop abnormal wakelock app uid: (?P<uid>\d+)")
# Samsung One UI 3+ ChimeraPolicyHandler (dont-kill-my-app#307):
# "Killed on trigger2 : org.yaxim.bruno, freed: 34707, 10202[4548]:G2(0x20000) score=..."
SAMSUNG_CHIMERA = re.compile(
    r"^Killed on (?P<trigger>\S+) : (?P<pkg>[A-Za-z][\w.]*), freed: (?P<kb>\d+), (?P<uid>\d+)\[(?P<pids>[\d, ]*)\]"
)
EVENT_LOG = re.compile(r"^\[(?P<fields>.*)\]\s*$")

# Substrings that select candidate lines in files (bytes, as the scanner searches raw chunks).
SIGNATURES: tuple[bytes, ...] = (
    b"Killing '",  # lmkd 8.1 / kernel lmk: before "Killing " (leftmost-first picks the earlier pattern)
    b"Killing ",
    b"Kill '",
    b"has died",
    b"Force stopping ",
    b"exited due to signal",
    b"Start proc ",
    b"freezing ",
    b"ANR in ",
    b"FATAL EXCEPTION",
    b"am_kill",
    b"am_proc_died",
    b"am_proc_start",
    b"am_anr",
    b"am_crash",
    b"am_low_memory",
    b"am_freeze",
    b"am_unfreeze",
    b"timed out while executing",
    b"No response from client for",
    b"Time-out while trying to bind",
    b"WM-",
    b"force stop abnormal wakelock",
    b"Killed on ",
)
# Openers of multi-line messages: the scanner also hands the next CONTEXT_LINES lines over.
CONTEXT_SIGNATURES: tuple[bytes, ...] = (b"ANR in ", b"FATAL EXCEPTION", b"Killing '")
CONTEXT_LINES = 6
# Lines fed after WorkerWrapper's "failed because it threw" (its own stack trace not counted) that
# are searched for the "Worker result" line of that work before the exception line stands alone.
WM_THREW_LINES = 50

# Event-log tags (AM EventLogTags.logtags, ../shared/reference/android.md §2.1): kind, normalized
# reason, and the field lists the tag has had, newest first ("pid", "proc", "uid" become event
# fields, the rest `data`). A line takes the first list its values fit (count, and numbers where
# numbers belong). "User" came with multi-user (4.2); am_proc_died gained ProcState in 8.x (gityuan.com
# capture: [0,6686,com.xxx.calculator,18], 18 = PROCESS_STATE_NONEXISTENT) and OomAdj before it in 9;
# am_crash gained Recoverable in 11. am_kill (User, PID, Process Name, OomAdj, Reason[, Rss]) is
# parsed on its own: its Reason is free text in the middle.
EVENT_LAYOUTS: dict[str, tuple[str, str | None, tuple[tuple[str, ...], ...]]] = {
    "am_proc_died": (
        "process_died",
        None,
        (
            ("user", "pid", "proc", "adj", "proc_state"),
            ("user", "pid", "proc", "proc_state"),
            ("user", "pid", "proc"),
            ("pid", "proc"),
        ),
    ),
    "am_proc_start": (
        "process_started",
        None,
        (("user", "pid", "uid", "proc", "type", "component"), ("pid", "uid", "proc", "type", "component")),
    ),
    "am_anr": ("anr", "anr", (("user", "pid", "proc", "flags", "anr_reason"), ("pid", "proc", "flags", "anr_reason"))),
    "am_crash": (
        "crash",
        "java_exception",
        (
            ("user", "pid", "proc", "flags", "exception", "message", "file", "line", "recoverable"),
            ("user", "pid", "proc", "flags", "exception", "message", "file", "line"),
            ("pid", "proc", "flags", "exception", "message", "file", "line"),
        ),
    ),
    "am_low_memory": ("state_changed", "low_memory", (("num_processes",),)),
    "am_freeze": ("state_changed", "frozen", (("pid", "proc"),)),
    "am_unfreeze": ("state_changed", "unfrozen", (("pid", "proc"),)),
}
# Fields that are numbers in every layout: a value that is not one rules the layout out.
_EVENT_INTS = frozenset({"user", "pid", "uid", "adj", "proc_state", "flags", "line", "recoverable", "num_processes"})
_AM_CRASH_TAIL = {"line", "recoverable", "file", "message"}

_WM_STATE_RESULT = {"SUCCEEDED": "success", "FAILED": "failure", "CANCELLED": "cancelled"}


@dataclass(slots=True)
class _Pending:
    """A multi-line message being assembled (ANR, Java crash, lmk kill), keyed by the logging pid/tag."""

    event: Event
    pid: int | None
    tag: str
    lines_left: int = CONTEXT_LINES


@dataclass(slots=True)
class _WorkThrew:
    """WorkerWrapper's "Work [...] failed because it threw an exception/error", waiting for its result line.

    WorkerWrapper (androidx.work, Java and Kotlin) catches the worker's exception, logs this line at
    ERROR with the Throwable, then onWorkFinished() logs "Worker result FAILURE for <same work>" at
    INFO - unless the work was interrupted (stopped, cancelled, replaced) or is no longer RUNNING, or
    the capture has only errors (`*:E`). So the result line is expected but not certain: the exception
    is attached to it when it comes, and stands as the failure itself when it does not."""

    event: Event
    pid: int | None
    tag: str
    lines_left: int = WM_THREW_LINES


@dataclass
class LogInterpreter:
    where: str
    source: str = "logcat"
    device: str | None = None
    os_version: str | None = None
    _pending: list[_Pending] = field(default_factory=list)
    _wm_section: str | None = None
    _wm_threw: dict[tuple[int | None, str], _WorkThrew] = field(default_factory=dict)
    # pid -> process, learnt from "Start proc" / am_proc_start: an app's own lines (WorkManager,
    # its log tags) carry only its pid, and this is how they get their package.
    _processes: dict[int, str] = field(default_factory=dict)

    # -- public ------------------------------------------------------------------------------
    def feed(self, rec: LogRecord) -> list[Event]:
        out: list[Event] = []
        if self._pending:
            self._continue_pending(rec, out)
        if self._wm_threw:
            self._continue_wm_threw(rec, out)
        msg = rec.msg
        handler = self._dispatch(rec, msg)
        if handler is not None:
            event = handler(rec, msg)
            if event is not None:
                out.append(event)
        return out

    def flush(self) -> list[Event]:
        done = [p.event for p in self._pending] + [w.event for w in self._wm_threw.values()]
        self._pending.clear()
        self._wm_threw.clear()
        return done

    # -- dispatch ----------------------------------------------------------------------------
    def _dispatch(self, rec: LogRecord, msg: str):  # type: ignore[no-untyped-def]
        tag = rec.tag
        if tag.startswith("am_") or tag == "killinfo":
            return self._event_log
        if tag.startswith("WM-"):
            return self._workmanager
        if msg.startswith("Killing "):
            return self._am_or_lmkd_kill
        if msg.startswith("Kill '") or msg.startswith("lowmemorykiller: Kill"):
            return self._lmkd
        if "has died" in msg:
            return self._died
        if msg.startswith("Process ") and " exited " in msg:
            return self._zygote
        if msg.startswith("Force stopping "):
            return self._force_stop
        if msg.startswith("Start proc "):
            return self._start_proc
        if msg.startswith("ANR in ") and tag in ("ActivityManager", ""):
            return self._anr
        if msg.startswith("FATAL EXCEPTION"):
            return self._fatal
        if msg.startswith("freezing ") or msg.startswith("unfreezing "):
            return self._freezer
        if (
            "timed out while executing" in msg
            or msg.startswith("No response from client")
            or msg.startswith("Time-out while trying to bind")
        ):
            return self._job_timeout
        if "force stop abnormal wakelock" in msg:
            return self._huawei
        if msg.startswith("Killed on "):
            return self._samsung_chimera
        return None

    def _event(self, rec: LogRecord, kind: str, source: str | None = None, **fields) -> Event:  # type: ignore[no-untyped-def]
        event = Event(
            kind=kind,
            source=source or self.source,
            where=at(self.where, rec.lineno),
            ts=rec.ts,
            device=self.device,
            os_version=self.os_version,
            **fields,
        )
        if kind == "process_started" and event.pid is not None and event.process:
            self._processes[event.pid] = event.process
        elif event.package is None and event.pid is not None and event.pid == rec.pid:
            process = self._processes.get(event.pid)
            if process:  # a line the app logged itself
                event.package = package_of_process(process)
        return event

    # -- system log --------------------------------------------------------------------------
    def _am_or_lmkd_kill(self, rec: LogRecord, msg: str) -> Event | None:
        m = AM_KILL.match(msg)
        if m is None:
            return self._lmkd(rec, msg)  # lmkd 8.1: "Killing 'proc' (pid), uid U, adj A"
        proc, text = m["proc"], m["reason"]
        return self._event(
            rec,
            "process_killed",
            source=f"{self.source}:ActivityManager",
            process=proc,
            package=package_of_process(proc),
            pid=int(m["pid"]),
            uid=m["uid"],
            reason=normalize_am_kill_reason(text),
            detail=msg,
            data={"adj": int(m["adj"]), "reason_text": text},
        )

    def _lmkd(self, rec: LogRecord, msg: str) -> Event | None:
        m = LMKD.match(msg)
        if m is None:
            return None
        data: dict[str, object] = {"adj": int(m["adj"])}
        if m["kb"]:
            data["rss_kb"] = int(m["kb"])
        if m["swap"]:
            data["swap_kb"] = int(m["swap"])
        if m["reason"]:
            data["lmkd_reason"] = m["reason"]
        source = "kernel:lowmemorykiller" if rec.layout == "kernel" else "lmkd"
        event = self._event(
            rec,
            "process_killed",
            source=source,
            process=m["proc"],
            package=package_of_process(m["proc"]),
            pid=int(m["pid"]),
            uid=m["uid"],
            reason="low_memory",
            detail=msg,
            data=data,
        )
        if m["kb"] is None and msg.startswith(("Killing '", "lowmemorykiller: Killing '")):
            # lmkd 8.1 and the kernel driver print the size and the cause on the following lines
            self._pending.append(_Pending(event, rec.pid, rec.tag))
            return None
        return event

    def _died(self, rec: LogRecord, msg: str) -> Event | None:
        m = AM_DIED.match(msg)
        if m is None:
            return None
        data = {k: m[k] for k in ("adj", "state") if m[k]}
        return self._event(
            rec,
            "process_died",
            source=f"{self.source}:ActivityManager",
            process=m["proc"],
            package=package_of_process(m["proc"]),
            pid=int(m["pid"]),
            detail=msg,
            data=data,
        )

    def _zygote(self, rec: LogRecord, msg: str) -> Event | None:
        m = ZYGOTE.match(msg)
        if m is None or m["sig"] is None:
            return None  # clean exits are normal process ends, not deaths worth reporting
        sig = int(m["sig"])
        return self._event(
            rec,
            "process_died",
            source=f"{self.source}:Zygote",
            pid=int(m["pid"]),
            reason=signal_reason(sig),
            detail=msg,
            data={"signal": sig, "signal_name": m["signame"]},
        )

    def _force_stop(self, rec: LogRecord, msg: str) -> Event | None:
        m = FORCE_STOP.match(msg)
        if m is None:
            return None
        return self._event(
            rec,
            "process_killed",
            source=f"{self.source}:ActivityManager",
            package=m["pkg"],
            process=m["pkg"],
            reason=normalize_force_stop_reason(m["reason"]),
            detail=msg,
            data={"appid": int(m["appid"]), "user": int(m["user"]), "cause": m["reason"]},
        )

    def _start_proc(self, rec: LogRecord, msg: str) -> Event | None:
        m = START_PROC.match(msg)
        if m is None:
            return None
        proc = m["proc"] or m["proc_old"]
        pid = m["pid"] or m["pid_old"]
        return self._event(
            rec,
            "process_started",
            source=f"{self.source}:ActivityManager",
            process=proc,
            package=package_of_process(proc),
            pid=int(pid),
            uid=m["uid"] or m["uid_old"],
            detail=msg,
            data={"for": (m["what"] or m["what_old"] or "").strip()},
        )

    def _anr(self, rec: LogRecord, msg: str) -> Event | None:
        m = ANR_IN.match(msg)
        if m is None:
            return None
        event = self._event(
            rec,
            "anr",
            source=f"{self.source}:ActivityManager",
            process=m["proc"],
            package=package_of_process(m["proc"]),
            reason="anr",
            detail=msg,
            data={"component": m["comp"]} if m["comp"] else {},
        )
        self._pending.append(_Pending(event, rec.pid, rec.tag))
        return None

    def _fatal(self, rec: LogRecord, msg: str) -> Event | None:
        thread = msg.partition(":")[2].strip()
        event = self._event(
            rec,
            "crash",
            source=f"{self.source}:AndroidRuntime",
            reason="java_exception",
            detail=msg,
            pid=rec.pid,
            data={"thread": thread} if thread else {},
        )
        self._pending.append(_Pending(event, rec.pid, rec.tag))
        return None

    def _continue_pending(self, rec: LogRecord, out: list[Event]) -> None:
        # Continuation lines come from the same pid and tag; other processes may interleave.
        # Android Studio copies print a multi-line message once, its later lines as bare indented
        # text (no time, pid or tag): those continue the message opened just before.
        bare = rec.layout == "raw" and rec.msg[:1].isspace()
        still: list[_Pending] = []
        for p in self._pending:
            p.lines_left -= 1
            done = p.lines_left <= 0
            if (rec.pid == p.pid and rec.tag == p.tag) or bare:
                if p.event.kind == "process_killed":
                    # lmk kills end early: the next line of the same source is either their last
                    # continuation or something else, and the kill goes out before what follows it
                    done = _absorb_lmk(p.event, rec.msg) or done
                else:
                    self._absorb(p.event, rec.msg)
            if done:
                out.append(p.event)
            else:
                still.append(p)
        self._pending = still

    def _continue_wm_threw(self, rec: LogRecord, out: list[Event]) -> None:
        bare = rec.layout == "raw" and rec.msg[:1].isspace()
        for key, w in list(self._wm_threw.items()):
            if (rec.pid == w.pid and rec.tag == w.tag) or bare:
                text = rec.msg.strip()
                if JAVA_THROWABLE.match(text):
                    data = w.event.data
                    if text.startswith("Caused by: "):
                        data["cause"] = text[11:]  # the last one is the root cause
                    elif "exception" not in data:
                        data["exception"] = text
                        w.event.detail = f"{w.event.detail} — {text}"
                    continue
                if JAVA_TRACE.match(rec.msg) or not text:
                    continue
            w.lines_left -= 1
            if w.lines_left <= 0:
                out.append(self._wm_threw.pop(key).event)

    @staticmethod
    def _absorb(event: Event, msg: str) -> None:
        text = msg.strip()
        if event.kind == "anr":
            if text.startswith("PID: ") and text[5:].strip().isdigit():
                event.pid = int(text[5:].strip())
            elif text.startswith("Reason: "):
                event.data["anr_reason"] = text[8:]
                event.detail = f"{event.detail} — {text}"
        elif event.kind == "crash":
            pm = re.match(r"^Process: (?P<proc>[^,\s]+), PID: (?P<pid>\d+)", text)
            if pm:
                event.process = pm["proc"]
                event.package = package_of_process(pm["proc"])
                event.pid = int(pm["pid"])
            elif "exception" not in event.data and re.match(r"^[\w.$]+(?:Exception|Error)\b", text):
                event.data["exception"] = text
                event.detail = f"{event.detail} — {text}"

    def _freezer(self, rec: LogRecord, msg: str) -> Event | None:
        m = FREEZING.match(msg)
        if m is None:
            return None
        return self._event(
            rec,
            "state_changed",
            source=f"{self.source}:freezer",
            process=m["proc"],
            package=package_of_process(m["proc"]),
            pid=int(m["pid"]),
            reason="frozen" if m["verb"] == "freezing" else "unfrozen",
            detail=msg,
        )

    def _job_timeout(self, rec: LogRecord, msg: str) -> Event | None:
        m = JOB_TIMEOUT.search(msg)
        if m is None:
            return None
        job = JOB_SHORT.search(msg.rstrip("'. "))
        what = m["what"]
        reason = (
            "bind_timeout"
            if what.startswith("Time-out")
            else "no_response_on_start"
            if m["cb"] == "onStartJob"
            else "no_response_on_stop"
            if m["cb"] == "onStopJob"
            else "execution_timeout"
        )
        data: dict[str, object] = {}
        fields: dict[str, object] = {}
        if job is not None:
            data["service"] = f"{job['pkg']}/{job['svc']}"
            if job["ns"]:
                data["namespace"] = job["ns"]
            fields = {"package": job["pkg"], "uid": job["uid"], "job": job["job"]}
        return self._event(
            rec,
            "job_timeout",
            source=f"{self.source}:JobServiceContext",
            reason=reason,
            detail=msg,
            data=data,
            **fields,
        )

    def _huawei(self, rec: LogRecord, msg: str) -> Event | None:
        m = HUAWEI_FORCE_STOP.search(msg)
        if m is None:
            return None
        return self._event(
            rec,
            "process_killed",
            source=f"{self.source}:HwPFWService",
            uid=m["uid"],
            reason="oem:huawei_wakelock_over_60min",
            detail=msg,
        )

    def _samsung_chimera(self, rec: LogRecord, msg: str) -> Event | None:
        m = SAMSUNG_CHIMERA.match(msg)
        if m is None:
            return None
        pids = [int(x) for x in re.split(r"[,\s]+", m["pids"]) if x]
        return self._event(
            rec,
            "process_killed",
            source=f"{self.source}:ChimeraPolicyHandler",
            package=m["pkg"],
            process=m["pkg"],
            pid=pids[0] if pids else None,
            uid=m["uid"],
            reason="oem:samsung_chimera",
            detail=msg.strip(),
            data={"trigger": m["trigger"], "freed_kb": int(m["kb"]), "pids": pids},
        )

    # -- WorkManager -------------------------------------------------------------------------
    def _workmanager(self, rec: LogRecord, msg: str) -> Event | None:
        tag = rec.tag

        def event(kind: str, **fields: object) -> Event:  # every WM line comes from the app's own pid
            return self._event(
                rec, kind, source=f"{self.source}:{tag}", package=rec.package, pid=rec.pid, detail=msg, **fields
            )

        if tag == "WM-WorkerWrapper":
            if r := WM_RESULT.search(msg):
                work = r["id"].lower()
                result = event("work_result", job=work, reason=r["res"].lower(), data=_wm_tags(r["tags"]))
                threw = self._wm_threw.pop((rec.pid, work), None)
                if threw is not None:  # the same failure, told twice: one event, with the exception
                    _merge_threw(result, threw.event)
                return result
            if t := WM_THREW.search(msg):
                work = t["id"].lower()
                failed = event("work_result", job=work, reason="failure", data=_wm_tags(t["tags"]))
                failed.data["threw"] = True
                old = self._wm_threw.pop((rec.pid, work), None)
                if old is not None:  # a second attempt of the same work before any result: the first stands
                    self._wm_threw[(rec.pid, work)] = _WorkThrew(failed, rec.pid, tag)
                    return old.event
                self._wm_threw[(rec.pid, work)] = _WorkThrew(failed, rec.pid, tag)
                return None
            if c := WM_WORK.search(msg):
                return event("work_result", job=c["id"].lower(), reason="cancelled", data=_wm_tags(c["tags"]))
            if d := WM_DELAY.match(msg):
                return event("work_result", reason="skipped_before_schedule", data={"worker": d["cls"]})
            if s := WM_STARTING.match(msg):
                return event("job_started", data={"worker": s["cls"], "scheduler": "workmanager"})
            return None
        if tag == "WM-SystemJobService":
            if (j := WM_SYSJOB.match(msg)) is None:
                return None
            started = j["cb"] == "onStartJob"
            return event(
                "job_started" if started else "job_stopped",
                job=j["id"].lower(),
                reason=None if started else "stopped_by_system",
                data={"scheduler": "workmanager"},
            )
        if tag == "WM-DiagnosticsWrkr":
            return self._wm_diagnostics(rec, msg)
        return None

    def _wm_diagnostics(self, rec: LogRecord, msg: str) -> Event | None:
        sec = WM_DIAG_SECTION.match(msg.strip())
        if sec is not None:
            self._wm_section = sec["section"]
            return None
        row = WM_DIAG_ROW.match(msg)
        if row is None:
            return None
        state = row["state"]
        section = self._wm_section or ""
        data: dict[str, object] = {
            "work_id": row["id"].lower(),
            "worker": row["cls"].strip(),
            "state": state,
            "diagnostics_section": section,
            "unique_names": _split_list(row["names"]),
            "tags": _split_list(row["tags"]),
        }
        sysid = row["sysid"].strip()
        job = sysid if sysid.lstrip("-").isdigit() else None
        if state in _WM_STATE_RESULT:
            return self._event(
                rec,
                "work_result",
                source="logcat:WM-DiagnosticsWrkr",
                job=row["id"].lower(),
                reason=_WM_STATE_RESULT[state],
                package=rec.package,
                pid=rec.pid,
                detail=msg.strip(),
                data={**data, "job_id": job},
            )
        return self._event(
            rec,
            "job_scheduled",
            source="logcat:WM-DiagnosticsWrkr",
            job=job,
            package=rec.package,
            pid=rec.pid,
            reason=state.lower(),
            detail=f"WorkManager {data['worker']} is {state}",
            data={**data, "scheduler": "workmanager"},
        )

    # -- event log ---------------------------------------------------------------------------
    def _event_log(self, rec: LogRecord, msg: str) -> Event | None:
        m = EVENT_LOG.match(msg.strip())
        if m is None:
            return None
        tag, src = rec.tag, f"logcat:events:{rec.tag}"
        try:
            if tag == "am_kill":
                return self._am_kill_event(rec, m["fields"], src)
            layout = EVENT_LAYOUTS.get(tag)
            if layout is None:
                return None
            kind, reason, layouts = layout
            values = _event_fields(m["fields"], layouts)
            if values is None:
                return None  # no known layout of this tag fits: not ours to guess at
            proc = values.pop("proc", None)
            pid = values.pop("pid", None)
            return self._event(
                rec,
                kind,
                source=src,
                pid=int(pid) if pid is not None else None,
                process=proc,
                package=package_of_process(proc),
                uid=values.pop("uid", None),
                reason=reason,
                detail=msg,
                data={k: int(v) if _is_int(v) else v for k, v in values.items()},
            )
        except (ValueError, IndexError):
            return None  # a truncated or foreign event line: not ours to guess at

    def _am_kill_event(self, rec: LogRecord, fields: str, src: str) -> Event | None:
        # [User, PID, Process Name, OomAdj, Reason(, Rss)]; the reason itself may contain commas.
        # Before multi-user (4.1) there was no User: [PID, Process Name, OomAdj, Reason].
        parts = fields.split(",", 4)
        if len(parts) >= 4 and not _is_int(parts[1]):
            pid, proc, adj, rest = fields.split(",", 3)
            data: dict[str, object] = {"adj": int(adj)}
        else:
            user, pid, proc, adj, rest = parts
            data = {"user": int(user), "adj": int(adj)}
        text = rest
        head, sep, tail = rest.rpartition(",")
        if sep and tail.strip().isdigit():
            text, data["rss_kb"] = head, int(tail)
        data["reason_text"] = text
        return self._event(
            rec,
            "process_killed",
            source=src,
            pid=int(pid),
            process=proc,
            package=package_of_process(proc),
            reason=normalize_am_kill_reason(text),
            detail=f"am_kill: [{fields}]",
            data=data,
        )


def _is_int(text: str) -> bool:
    return text.lstrip("-").isdigit()


def _event_fields(text: str, layouts: tuple[tuple[str, ...], ...]) -> dict[str, str] | None:
    """The values of an event line under the first of its tag's layouts they fit."""
    for names in layouts:
        if "message" in names:  # am_crash: free-text message between fixed fields on both sides
            tail = [n for n in names if n in _AM_CRASH_TAIL]
            head = len(names) - len(tail)
            left = text.split(",", head)
            if len(left) != head + 1:
                continue
            right = left.pop().rsplit(",", len(tail) - 1)
            values = left + right
        else:
            # the last field may itself contain commas (a reason, a component): split only so far
            values = text.split(",", len(names) - 1)
        if len(values) != len(names):
            continue
        fields = dict(zip(names, values, strict=True))
        if all(_is_int(v) for k, v in fields.items() if k in _EVENT_INTS) and not _is_int(fields.get("proc", "x")):
            return fields
    return None


def _absorb_lmk(event: Event, msg: str) -> bool:
    """Adds a continuation line of a multi-line lmk kill to its event; True once the message is over
    (its last line, or a line of the same source that does not continue it)."""
    m = LMK_MORE.match(msg)
    if m is None:
        return True
    text = msg.strip()
    event.detail = f"{event.detail} {text}" if event.detail else text
    data = event.data
    if m["kb"] is not None:
        data["rss_kb"] = int(m["kb"])
        if m["by"] is not None:
            data["on_behalf_of"] = m["by"]
            data["on_behalf_of_pid"] = int(m["by_pid"])
        why = m["why"].strip()
        if why:
            data["lmkd_reason"] = why
            if p := LMK_PRESSURE.match(why):
                data["pressure"] = p["level"]
                data["min_adj"] = int(p["min_adj"])
                return True  # lmkd 8.1: the pressure line is the last one
            if why.startswith("cache "):
                c = LMK_MORE.match(why)
                if c is not None and c["cache_adj"] is not None:
                    data["min_adj"] = int(c["cache_adj"])
        return False
    if m["cache"] is not None:
        data["lmkd_reason"] = m["cache"]
        data["min_adj"] = int(m["cache_adj"])
        return False
    data["free_memory"] = m["free"]
    return True


def _merge_threw(result: Event, threw: Event) -> None:
    """WorkerWrapper's exception line and its later "Worker result" line are one outcome."""
    result.data["threw"] = True
    result.data["threw_at"] = threw.where
    for key in ("exception", "cause"):
        if key in threw.data:
            result.data[key] = threw.data[key]
    if "exception" in threw.data:
        result.detail = f"{result.detail} — {threw.data['exception']}"


def _wm_tags(text: str) -> dict[str, object]:
    tags = [t.strip() for t in text.split(",") if t.strip()]
    # WorkManager always tags work with the worker's class name: the last dotted, capitalized tag.
    worker = next((t for t in reversed(tags) if "." in t and t.rsplit(".", 1)[-1][:1].isupper()), None)
    return {"tags": tags, "worker": worker}


def _split_list(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]
