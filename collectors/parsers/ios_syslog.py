"""iOS log lines -> events: runningboardd terminations, jetsam, UIKit background-task warnings,
BackgroundTasks framework and dasd BGTask lifecycle.

Layouts (docs/ios-commands.md, and the captures in tests/samples/ios/ and tests/samples/ios_field/):
- syslog_relay / idevicesyslog: `Mon dd HH:MM:SS Host proc(Image)[pid] <Level>: msg` (the image and
  the level are optional; iOS 8 prints `proc[pid]`);
- pymobiledevice3 `syslog live` (os_trace_relay): `YYYY-MM-DD HH:MM:SS.ffffff proc{image}[pid] <LEVEL>: msg`;
- `log show` (default and `--style syslog`), Console.app copies (`type<TAB>time<TAB>process<TAB>msg`),
  Xcode console (`YYYY-MM-DD HH:MM:SS.ffffff+ZZZZ Proc[pid:tid] [Category] msg`), `HH:MM:SS.mmm  proc: msg`;
- a line that matches no layout continues the previous record when it is indented or starts with a
  closing bracket (dasd prints NSSet and policy dumps over several lines); otherwise it is a bare message.

SpringBoard's `[application<b>:pid] Process exited: <RBSProcessExitContext| … domain:jetsam(1)
code:per-process-limit(7)>>` (or `<FBProcessExitContext; watchdog ("…")>`) is the app's death as the system saw it
(jetsam, watchdog, signal).
runningboardd's `Received termination request from [osservice<com.apple.dasd>:76] on <RBSProcessPredicate …app<b…>
with context <RBSTerminateContext| explanation:…>` is a kill asked for by another process (`terminated:<requester>`).
dasd activities are BGTaskScheduler's `bgRefresh-`/`bgProcessing-<id>` and silent-push `com.apple.pushLaunch.<bundle>`.

`IosLogInterpreter.feed(record)` is the same for a live stream (one record per syslog_relay line or
os_trace entry) and for a file. Message matching is keyed on fixed substrings, so lines that carry no
signature cost one `in` test per signature.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from bgprobe.collectors.parsers import NumberedLines, at
from bgprobe.reports.events import Event

_MONTHS = {
    m: i for i, m in enumerate(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1)
}
_LEVEL_NAMES = {"default", "info", "debug", "error", "fault", "notice", "activity", "warning"}

SYSLOG_RELAY = re.compile(
    r"^(?P<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (?P<day>[ \d]\d) (?P<time>\d\d:\d\d:\d\d) "
    r"(?P<host>\S+) (?P<proc>[^\[\]()]+?)(?:\((?P<image>[^()]*)\))?\[(?P<pid>\d+)\]"
    r"(?: <(?P<level>\w+)>)?: (?P<msg>.*)$",
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
CONSOLE = re.compile(
    r"^(?P<level>default|info|debug|error|fault|notice|activity)\t(?P<time>\d\d:\d\d:\d\d\.\d+)"
    r"(?: ?(?P<tz>[+-]\d{4}))?\t(?P<rest>.*)$",
    re.S,
)
TIME_ONLY = re.compile(r"^(?P<time>\d\d:\d\d:\d\d\.\d+)\s+(?:(?P<proc>[\w.-]+): )?(?P<msg>.*)$", re.S)

_LAYOUTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("syslog_relay", SYSLOG_RELAY),
    ("pmd3", PMD3_LIVE),
    ("log_show", LOG_SHOW),
    ("log_show_syslog", LOG_SHOW_SYSLOG),
    ("xcode", XCODE),
    ("console", CONSOLE),
    ("time", TIME_ONLY),
)

# Substrings of every message that yields an event (also what file detection looks for).
SIGNATURES: tuple[str, ...] = (
    "termination reported by launchd",
    "Received termination request from ",
    "Process exited: ",
    "Calculated state for ",
    "memorystatus: ",
    "killing_specific_process",
    "killing_top_process",
    "killing_idle_process",
    "killed by jetsam",
    "Could not set priority of <BKNewProcess",
    "was created over 30 seconds ago",
    "Background task still not ended after expiration",
    "has active assertions beyond permitted time",
    "submitTaskRequest: ",
    "Error submitting task request",
    "Application launched for activities",
    "Running task: ",
    "Starting task: ",
    "Starting simulated task: ",
    "complete with success: ",
    "Marking simulated task complete: ",
    "Complete task request activity: ",
    "Expiring task: ",
    "Expiring simulated task: ",
    "has been scheduled",
    "Simulating launch for task",
    "Simulating expiration for task",
    "is already running",
    "is not currently being simulated",
    "is not advertised in the application's Info.plist",
    "Submitted Activity: ",
    "CANCELED: ",
    "FinalDecision: ",
)

APP_ID = r"(?:application|app)<(?P<bundle>[^<>()]+)(?:\([^()]*\))?>:(?P<pid>\d+)"
RB_TERMINATION = re.compile(
    r"\[" + APP_ID + r"\] termination reported by launchd \((?P<a>-?\d+), (?P<b>-?\d+), (?P<c>-?\d+)\)"
)
RB_STATE = re.compile(
    r"Calculated state for (?:application|app)<(?P<bundle>[^<>()]+)(?:\([^()]*\))?>: (?P<state>[\w-]+)"
    r"(?: \(role: (?P<role>\w+)\))?"
)
APP_REF = re.compile(r"\[" + APP_ID + r"\]")
# SpringBoard/FrontBoard (iOS 14+): `[application<b>:pid] Process exited: <RBSProcessExitContext| …>.` or
# `<FBProcessExitContext; watchdog ("watchdog provision violated")>.`; also `Process exited: <FBApplicationProcess: 0x…;
# application<b>:pid(v…)> -> <…ExitContext…>`.
PROCESS_EXITED = re.compile(r"\[" + APP_ID + r"\] Process exited: (?P<ctx><.*)", re.S)
PROCESS_EXITED_FB = re.compile(
    r"Process exited: <FBApplicationProcess(?:: 0x[0-9a-f]+)?; " + APP_ID + r"[^>]*> -> (?P<ctx><.*)", re.S
)
# runningboardd (iOS 13+): another process asks it to kill one, e.g. dasd ending background work:
# `Received termination request from [osservice<com.apple.dasd>:76] on <RBSProcessPredicate
# <RBSProcessHandlePredicateImpl| app<b(UUID)>:pid>> with context <RBSTerminateContext| explanation:… reportType:…
# maxTerminationResistance:…>` (the predicate and the context may be cut short where a log copy was cut).
TERMINATE_REQUEST = re.compile(
    r"Received termination request from \[(?P<req_kind>[\w-]+)<(?P<requester>[^<>()]+)(?:\([^()]*\))?>"
    r"(?::(?P<req_pid>\d+))?\] on (?P<pred>.*?) with context <RBSTerminateContext\|(?P<ctx>.*)",
    re.S,
)
PREDICATE_APP = re.compile(r"(?:application|app)<(?P<bundle>[^<>()\s]+)(?:\([^()<>]*\)?)?(?:>:(?P<pid>\d+))?")
PREDICATE_PID = re.compile(r"\bpid(?:s)?[:= ]+(?P<pid>\d+)")
TERMINATE_FIELD = re.compile(
    r"\b(?P<key>domain|code|explanation|reportType|maxTerminationResistance):(?P<value>.*?)"
    r"(?=\s+(?:domain|code|explanation|reportType|maxTerminationResistance):|>\s*$|$)",
    re.S,
)
RBS_EXIT_STATUS = re.compile(
    r"RBSProcessExitStatus\| domain:(?P<domain>[\w-]+)(?:\((?P<domain_no>\d+)\))? "
    r"code:(?P<code>[\w-]+)(?:\((?P<code_no>-?\d+)\))?"
)
FB_EXIT = re.compile(r"FBProcessExitContext; (?P<kind>[\w-]+)(?: \(\"(?P<text>[^\"]*)\"\))?")
KERNEL_LIMIT = re.compile(
    r"memorystatus: exceeded mem limit: (?P<kind>\w+) (?P<mb>\d+) MB \((?P<fatal>fatal|non-fatal)\)"
)
KERNEL_KILL = re.compile(
    r"(?P<how>killing_(?:specific|top|idle)_process) pid (?P<pid>\d+) \[(?P<name>[^\]]*)\]"
    r"(?: \((?P<reason>[\w-]+)(?: (?P<prio>-?\d+))?\))?.*?(?P<kb>\d+)KB"
)
SB_JETSAM = re.compile(
    r"killed by jetsam\. Pending auto-relaunch of '<\w+: 0x[0-9a-f]+; (?P<name>[^;]+); pid: (?P<pid>-?\d+)>'"
)
BK_GONE = re.compile(
    r"Could not set priority of <BKNewProcess: 0x[0-9a-f]+; (?P<bundle>[^;]+); pid: (?P<pid>\d+);.*No such process"
)
UIKIT_30S = re.compile(r'Background Task (?P<no>\d+) \("(?P<name>.*?)"\), was created over 30 seconds ago')
UIKIT_NOT_ENDED = re.compile(
    r"Background task still not ended after expiration handlers were called: <_UIBackgroundTaskInfo: 0x[0-9a-f]+>: "
    r"taskID = (?P<no>\d+), taskName = (?P<name>.*?), creationTime = (?P<created>\d+) \(elapsed = (?P<elapsed>\d+)\)"
)
LEGACY_ASSERTION = re.compile(
    r"identifier: (?P<ident>\S+) process: ?(?P<proc>\S*) permittedBackgroundDuration: (?P<permitted>[\d.]+) "
    r"reason: (?P<reason>\w+) owner pid:(?P<pid>\d+)"
)
BG_SUBMIT = re.compile(
    r"submitTaskRequest: <BG(?P<type>AppRefresh|Processing)TaskRequest: (?P<id>[^,>]+), "
    r"earliestBeginDate: (?P<earliest>[^,>]+)"
    r"(?:, requiresExternalPower=(?P<power>\d), requiresNetworkConnectivity=(?P<net>\d))?>"
)
BG_SUBMIT_ERROR = re.compile(
    r"Error submitting task request: <BG\w+TaskRequest: (?P<id>[^,>]+)[^>]*>, error: (?P<error>.*)"
)
# The framework logs a BGTask as its `-description` (`%{public}@` of the object): `<BGAppRefreshTask: ID>`,
# `<BGProcessingTask: ID>`, `<BGHealthResearchTask: ID>`, `<BGContinuedProcessingTask: ID (TITLE)>` (iOS 26:
# `(TITLE, REASON)`). A console that cannot decode the argument prints `<decode: missing data>` (Xcode) or
# `<private>`; the identifier then comes from the "Simulating launch …" line before it. iOS 13 logged a natural
# completion as `Marking task (null) complete with success: 1`, the activity on the next line ("Complete task request
# activity: bgRefresh-ID:HEX", capture tests/samples/corpus/ios/console_bgapprefresh_complete_success_relaunch_*).
TASK_REF = (
    r"(?:<(?P<cls>BG(?:AppRefresh|Processing|HealthResearch|ContinuedProcessing)Task): (?P<id>[^\s<>()]+)"
    r"(?: \((?P<title>.*)\))?>|(?P<undecoded><decode: [^<>]*>|<private>|\(null\))|(?P<bare>[^\s<>]+))"
)
BG_RUNNING = re.compile(r"Running task: " + TASK_REF)
BG_STARTING = re.compile(r"Starting (?P<sim>simulated )?task: " + TASK_REF)
BG_COMPLETE = re.compile(r"Marking task " + TASK_REF + r" complete with success: (?P<ok>\d)")
BG_COMPLETE_ACTIVITY = re.compile(
    r"Complete task request activity: bg(?:Refresh|Processing)-(?P<id>[^\s:]+):[0-9A-Fa-f]+"
)
BG_SIMULATED_COMPLETE = re.compile(r"Marking simulated task complete: " + TASK_REF)
BG_EXPIRING = re.compile(r"Expiring (?P<sim>simulated )?task: " + TASK_REF)
_IDENT = r"(?P<id><decode: [^<>]*>|<private>|\S+)"
BG_NOT_SCHEDULED = re.compile(r"No task request with identifier " + _IDENT + r" has been scheduled")
BG_SIMULATING = re.compile(r"Simulating (?P<what>launch|expiration) for task with identifier " + _IDENT)
BG_ALREADY_RUNNING = re.compile(r"Task with identifier " + _IDENT + r" is already running")
BG_NOT_SIMULATED = re.compile(r"Task with identifier " + _IDENT + r" is not currently being simulated")
TASK_CLASS_KIND = {
    "BGAppRefreshTask": "refresh",
    "BGProcessingTask": "processing",
    "BGHealthResearchTask": "health_research",
    "BGContinuedProcessingTask": "continued_processing",
}
BG_NOT_PERMITTED = re.compile(r"(?P<id>[\w.-]+) is not advertised in the application's Info.plist")
# BGTaskScheduler activities (`bgRefresh-<id>`, `bgProcessing-<id>`) and silent-push launches
# (`com.apple.pushLaunch.<bundle>`, iOS 11+ dasd).
ACTIVITY = (
    r"(?P<activity>(?:bg(?P<type>Refresh|Processing)-|(?P<push>com\.apple\.pushLaunch\.))"
    r"(?P<id>[^\s:']+):(?P<hex>[0-9A-Fa-f]+))"
)
DASD_SUBMITTED = re.compile(r"Submitted Activity: " + ACTIVITY + r"(?: at priority (?P<prio>\d+))?")
DASD_CANCELED = re.compile(r"CANCELED: " + ACTIVITY)
DASD_POLICY = re.compile(
    r"^"
    + ACTIVITY
    + r":\[(?P<body>.*)\]\s*sumScores:.*FinalDecision: (?P<final>[A-Za-z ]+?) FinalScore: (?P<score>[\d.]+)",
    re.S,
)
DASD_RESPONSE = re.compile(
    r"\{name: (?P<name>\w+), policyWeight: [\d.]+, response: \{Decision: (?P<decision>[A-Za-z ]+?), Score"
)
LAUNCHED_FOR = re.compile(r"Application launched for activities: (?P<set>.*)", re.S)
SAVED_REPORT = re.compile(r"^Saved type '?(?P<type>[^' ]+)'? .*? at (?P<path>/\S+\.(?:ips|panic|synced|crash))\s*$")

_SIGNALS = {
    1: "sighup",
    2: "sigint",
    3: "sigquit",
    4: "sigill",
    5: "sigtrap",
    6: "sigabrt",
    9: "sigkill",
    10: "sigbus",
    11: "sigsegv",
    13: "sigpipe",
    15: "sigterm",
}
_CONTINUATION_START = (" ", "\t", ")", "]", "}", '"', "<")


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
    `year`, else the year of `reference` (a month-day after the reference belongs to the year before), else now."""
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
                y = reference.year - 1 if (month, day) > (reference.month, reference.day) else reference.year
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
                g["level"],
                layout=layout,
            )
        elif layout == "time":
            ts = g["time"]
        else:
            ts = _iso(g["date"], g["time"], g.get("tz"))
        pid = g.get("pid")
        return IosRecord(
            lineno,
            g["msg"],
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


def looks_like_ios_log(sample: list[str]) -> bool:
    """Enough header lines of an iOS layout (or an iOS signature) in the first lines of a file."""
    lines = [s for s in sample[:200] if s.strip() and not s.startswith("# ")]
    if not lines:
        return False
    headers = sum(1 for s in lines if any(p.match(s) for _, p in _LAYOUTS[:6]))
    if headers >= max(1, len(lines) // 3):
        return True
    text = "\n".join(lines)
    return any(sig in text for sig in SIGNATURES)


_OFFSET = re.compile(r"([+-]\d\d:\d\d)$")


def split_offset(ts: str | None) -> tuple[str | None, str | None]:
    """Device-clock time without its UTC offset, and the offset: events carry local device time
    (like Android's logcat), the offset goes to `data["utc_offset"]`."""
    if not ts:
        return ts, None
    m = _OFFSET.search(ts)
    return (ts[: m.start()], m[1]) if m else (ts, None)


def saved_report_path(msg: str) -> str | None:
    """osanalyticshelper's `Saved type '298(JetsamEvent)' report … at /path.ips` -> the path."""
    m = SAVED_REPORT.match(msg)
    return m["path"] if m else None


def _int_code(text: str) -> int | None:
    try:
        return int(text, 16) if text.lower().startswith("0x") else int(text)
    except ValueError:
        return None


def _signal_name(n: int) -> str:
    return _SIGNALS.get(n, f"signal-{n}")


@dataclass
class IosLogInterpreter:
    where: str
    source: str = "syslog"
    device: str | None = None
    os_version: str | None = None
    bundles: dict[int, str] = field(default_factory=dict)  # pid -> bundle id, learnt from runningboardd
    # process -> the identifier its debugger last asked to launch/expire: names an undecoded task argument after it
    _simulating: dict[str, str] = field(default_factory=dict)
    # process -> a natural completion logged as `(null)`, waiting for its "Complete task request activity:" line
    _unnamed_completion: dict[str, tuple[IosRecord, str, str]] = field(default_factory=dict)
    # process -> the task whose start "Running task:" already reported (its "Starting task:" line is the same start)
    _running: dict[str, str] = field(default_factory=dict)
    _memory_limit: tuple[str, int] | None = None
    _gone: set[int] = field(default_factory=set)
    _exited: set[tuple[int, str]] = field(default_factory=set)

    def feed(self, rec: IosRecord) -> list[Event]:
        msg = rec.msg
        out: list[Event] = []
        if "[app" in msg:
            for m in APP_REF.finditer(msg):
                self.bundles[int(m["pid"])] = m["bundle"]
        for sig in SIGNATURES:
            if sig in msg:
                event = self._dispatch(sig, rec, msg)
                if event is not None:
                    out.append(event)
                break
        return out

    def feed_all(self, records: Iterable[IosRecord]) -> list[Event]:
        out: list[Event] = []
        for rec in records:
            out.extend(self.feed(rec))
        return out

    # -- helpers -----------------------------------------------------------------------------
    def _event(self, rec: IosRecord, kind: str, sub: str | None = None, **fields) -> Event:  # type: ignore[no-untyped-def]
        ts, offset = split_offset(rec.ts)
        if offset:
            fields["data"] = {**(fields.get("data") or {}), "utc_offset": offset}
        fields.setdefault("process", rec.process)
        fields.setdefault("pid", rec.pid)
        if "package" not in fields:
            pid = fields.get("pid")
            fields["package"] = self.bundles.get(pid) if pid is not None else None
        return Event(
            kind=kind,
            source=f"{self.source}:{sub}" if sub else self.source,
            where=at(self.where, rec.lineno),
            ts=ts,
            device=self.device,
            platform="ios",
            os_version=self.os_version,
            **fields,
        )

    def _dispatch(self, sig: str, rec: IosRecord, msg: str) -> Event | None:
        if sig == "termination reported by launchd":
            m = RB_TERMINATION.search(msg)
            if m is None:
                return None
            a, b, c = int(m["a"]), int(m["b"]), int(m["c"])
            return self._event(
                rec,
                "process_died",
                "runningboardd",
                process=rec.process if rec.process != "runningboardd" else None,
                package=m["bundle"],
                pid=int(m["pid"]),
                reason=f"runningboard:{_signal_name(c)}",
                detail=msg,
                data={"launchd_status": [a, b, c]},
            )
        if sig == "Received termination request from ":
            return self._terminate_request(rec, msg)
        if sig == "Process exited: ":
            return self._process_exited(rec, msg)
        if sig == "Calculated state for ":
            m = RB_STATE.search(msg)
            if m is None:
                return None
            return self._event(
                rec,
                "state_changed",
                "runningboardd",
                process=None,
                pid=None,
                package=m["bundle"],
                reason=f"runningboard:{m['state']}",
                detail=msg,
                data={"role": m["role"]} if m["role"] else {},
            )
        if sig == "memorystatus: " or sig.startswith("killing_"):
            return self._kernel(rec, msg)
        if sig == "killed by jetsam":
            m = SB_JETSAM.search(msg)
            pid = int(m["pid"]) if m and int(m["pid"]) > 0 else None
            return self._event(
                rec,
                "process_killed",
                "SpringBoard",
                process=m["name"] if m else None,
                pid=pid,
                package=None,
                reason="jetsam:unknown",
                detail=msg,
            )
        if sig == "Could not set priority of <BKNewProcess":
            m = BK_GONE.search(msg)
            if m is None or int(m["pid"]) in self._gone:
                return None
            self._gone.add(int(m["pid"]))
            return self._event(
                rec,
                "process_died",
                "assertiond",
                process=None,
                package=m["bundle"],
                pid=int(m["pid"]),
                reason="assertiond:no-such-process",
                detail=msg,
            )
        if sig == "was created over 30 seconds ago":
            m = UIKIT_30S.search(msg)
            if m is None:
                return None
            return self._event(
                rec,
                "state_changed",
                "UIKit",
                job=f"uikit:{m['no']}",
                reason="uikit:bgtask-over-30s",
                detail=msg,
                data={"task_name": m["name"]},
            )
        if sig == "Background task still not ended after expiration":
            m = UIKIT_NOT_ENDED.search(msg)
            if m is None:
                return None
            return self._event(
                rec,
                "job_timeout",
                "UIKit",
                job=f"uikit:{m['no']}",
                reason="bgtask_expired",
                detail=msg,
                data={"task_name": m["name"], "elapsed_s": int(m["elapsed"]), "creation_time": int(m["created"])},
            )
        if sig == "has active assertions beyond permitted time":
            m = LEGACY_ASSERTION.search(msg)
            data: dict[str, object] = {}
            pid = rec.pid
            if m is not None:
                pid = int(m["pid"])
                data = {"assertion": m["ident"], "permitted_s": float(m["permitted"]), "assertion_reason": m["reason"]}
            return self._event(
                rec, "process_killed", "assertions", pid=pid, reason="bgtask_expired", detail=msg, data=data
            )
        if sig == "submitTaskRequest: ":
            m = BG_SUBMIT.search(msg)
            if m is None:
                return None
            data = {"type": "processing" if m["type"] == "Processing" else "refresh", "earliest": m["earliest"]}
            if m["power"] is not None:
                data["requires_external_power"] = m["power"] == "1"
                data["requires_network"] = m["net"] == "1"
            return self._event(
                rec, "job_scheduled", "BackgroundTasks", job=m["id"], reason="requested", detail=msg, data=data
            )
        if sig == "Error submitting task request":
            m = BG_SUBMIT_ERROR.search(msg)
            if m is None:
                return None
            return self._event(rec, "job_stopped", "BackgroundTasks", job=m["id"], reason="submit_error", detail=msg)
        if sig == "Application launched for activities":
            m = LAUNCHED_FOR.search(msg)
            acts = re.findall(r"bg(?:Refresh|Processing)-[^\s:,)]+:[0-9A-Fa-f]+", m["set"]) if m else []
            return self._event(
                rec, "process_started", "BackgroundTasks", reason="bgtask_launch", detail=msg, data={"activities": acts}
            )
        if sig == "Running task: ":
            # `_runTask:registration:` logs it just before the handler's "Starting [simulated] task:" line: a start
            # of its own when that line is missing (a copy cut there), not a second one when it follows. A simulated
            # launch is left to its "Starting simulated task:" line, which says so.
            m = BG_RUNNING.search(msg)
            if m is None:
                return None
            job, data = self._task(rec, m, False)
            key = self._proc_key(rec)
            if job is None or self._simulating.get(key) == job:
                return None
            self._running[key] = job
            return self._event(rec, "job_started", "BackgroundTasks", job=job, detail=msg, data=data)
        if sig in ("Starting task: ", "Starting simulated task: "):
            m = BG_STARTING.search(msg)
            if m is None:
                return None
            job, data = self._task(rec, m, bool(m["sim"]))
            if not m["sim"] and job is not None and self._running.get(self._proc_key(rec)) == job:
                del self._running[self._proc_key(rec)]
                return None  # the start "Running task:" reported
            return self._event(
                rec,
                "job_started",
                "BackgroundTasks",
                job=job,
                reason="simulated" if m["sim"] else None,
                detail=msg,
                data=data,
            )
        if sig == "complete with success: ":
            m = BG_COMPLETE.search(msg)
            if m is None:
                return None
            job, data = self._task(rec, m, False)
            reason = "success" if m["ok"] == "1" else "failure"
            if job is None and m["undecoded"] == "(null)":
                self._unnamed_completion[self._proc_key(rec)] = (rec, reason, msg)
                return None
            return self._event(rec, "job_finished", "BackgroundTasks", job=job, reason=reason, detail=msg, data=data)
        if sig == "Complete task request activity: ":
            m = BG_COMPLETE_ACTIVITY.search(msg)
            held = self._unnamed_completion.pop(self._proc_key(rec), None)
            if m is None or held is None:
                return None
            first, reason, text = held
            return self._event(
                first,
                "job_finished",
                "BackgroundTasks",
                job=m["id"],
                reason=reason,
                detail=f"{text} ({msg.strip()})",
                data={"simulated": False},
            )
        if sig == "Marking simulated task complete: ":
            # the framework logs no success value for a simulated launch (BGTaskScheduler.mm: the completion of a
            # task without a DAS activity): the task completed, how it went is the app's to say
            m = BG_SIMULATED_COMPLETE.search(msg)
            if m is None:
                return None
            job, data = self._task(rec, m, True)
            return self._event(
                rec, "job_finished", "BackgroundTasks", job=job, reason="completed", detail=msg, data=data
            )
        if sig in ("Expiring task: ", "Expiring simulated task: "):
            m = BG_EXPIRING.search(msg)
            if m is None:
                return None
            job, data = self._task(rec, m, bool(m["sim"]))
            return self._event(rec, "job_stopped", "BackgroundTasks", job=job, reason="expired", detail=msg, data=data)
        if sig in ("Simulating launch for task", "Simulating expiration for task"):
            m = BG_SIMULATING.search(msg)
            if m is None:
                return None
            job = self._identifier(rec, m["id"])
            if job is not None:
                self._simulating[self._proc_key(rec)] = job
            reason = "simulated_launch" if m["what"] == "launch" else "simulated_expiration"
            return self._event(rec, "trigger", "BackgroundTasks", job=job, reason=reason, detail=msg)
        if sig == "has been scheduled":
            m = BG_NOT_SCHEDULED.search(msg)
            if m is None:
                return None
            job = self._identifier(rec, m["id"])
            return self._event(rec, "trigger", "BackgroundTasks", job=job, reason="not_submitted", detail=msg)
        if sig == "is already running":
            m = BG_ALREADY_RUNNING.search(msg)
            if m is None:
                return None
            job = self._identifier(rec, m["id"])
            return self._event(rec, "trigger", "BackgroundTasks", job=job, reason="already_running", detail=msg)
        if sig == "is not currently being simulated":
            m = BG_NOT_SIMULATED.search(msg)
            if m is None:
                return None
            job = self._identifier(rec, m["id"])
            return self._event(rec, "trigger", "BackgroundTasks", job=job, reason="not_simulated", detail=msg)
        if sig == "is not advertised in the application's Info.plist":
            m = BG_NOT_PERMITTED.search(msg)
            return (
                self._event(rec, "job_stopped", "BackgroundTasks", job=m["id"], reason="not_in_info_plist", detail=msg)
                if m
                else None
            )
        if sig == "Submitted Activity: ":
            m = DASD_SUBMITTED.search(msg)
            if m is None:
                return None
            extra = {"priority": int(m["prio"])} if m["prio"] is not None else {}
            return self._dasd(rec, m, "job_scheduled", "accepted", msg, **extra)
        if sig == "CANCELED: ":
            m = DASD_CANCELED.search(msg)
            return self._dasd(rec, m, "job_stopped", "cancelled", msg) if m else None
        if sig == "FinalDecision: ":
            m = DASD_POLICY.search(msg)
            if m is None:
                return None
            responses = DASD_RESPONSE.findall(m["body"])
            blocking = [name for name, decision in responses if decision != "Can Proceed"]
            final = m["final"].strip()
            reason = "can_proceed" if final == "Can Proceed" else "deferred"
            return self._dasd(
                rec,
                m,
                "job_scheduled",
                reason,
                msg,
                decision=final,
                final_score=float(m["score"]),
                blocking=blocking,
                policies=[name for name, _ in responses],
            )
        return None

    @staticmethod
    def _proc_key(rec: IosRecord) -> str:
        return f"{rec.process}:{rec.pid}"

    def _identifier(self, rec: IosRecord, text: str | None) -> str | None:
        """A task identifier as logged, or (undecoded) the one this process's debugger last asked for."""
        if text is None:
            return None
        if text.startswith("<"):
            return self._simulating.get(self._proc_key(rec))
        return text

    def _task(self, rec: IosRecord, m: re.Match[str], simulated: bool) -> tuple[str | None, dict[str, object]]:
        """(identifier, data) of a task reference: the BGTask class names the kind of task."""
        data: dict[str, object] = {"simulated": simulated}
        if m["cls"]:
            data["type"] = TASK_CLASS_KIND[m["cls"]]
            if m["title"]:
                data["title"] = m["title"]
            return m["id"], data
        if m["undecoded"]:
            return (self._simulating.get(self._proc_key(rec)) if simulated else None), data
        return m["bare"], data

    def _dasd(self, rec: IosRecord, m: re.Match[str], kind: str, reason: str, msg: str, **data: object) -> Event:
        if m["push"]:  # a silent-push launch: no task identifier, the activity names the app
            kind_name, job, package = "push_launch", f"com.apple.pushLaunch.{m['id']}", m["id"]
        else:
            kind_name, job, package = ("processing" if m["type"] == "Processing" else "refresh"), m["id"], None
        data = {"activity": m["activity"], "type": kind_name, **data}
        return self._event(
            rec, kind, "dasd", process=rec.process, package=package, job=job, reason=reason, detail=msg, data=data
        )

    def _terminate_request(self, rec: IosRecord, msg: str) -> Event | None:
        """runningboardd was asked (by dasd, SpringBoard, cache_delete, …) to kill the processes of a predicate: the
        kill itself follows. Reason `terminated:<requester>`; the context's explanation says why."""
        m = TERMINATE_REQUEST.search(msg)
        if m is None:
            return None
        app = PREDICATE_APP.search(m["pred"])
        pid_m = PREDICATE_PID.search(m["pred"]) if app is None or app["pid"] is None else None
        pid = int(app["pid"]) if app is not None and app["pid"] else (int(pid_m["pid"]) if pid_m else None)
        data: dict[str, object] = {"requester": m["requester"]}
        if m["req_pid"]:
            data["requester_pid"] = int(m["req_pid"])
        fields = {f["key"]: f["value"].strip() for f in TERMINATE_FIELD.finditer(m["ctx"])}
        for key, out in (
            ("explanation", "explanation"),
            ("reportType", "report_type"),
            ("maxTerminationResistance", "max_termination_resistance"),
            ("domain", "domain"),
            ("code", "code"),
        ):
            if fields.get(key):
                data[out] = fields[key]
        requester = m["requester"].removeprefix("com.apple.")
        reason = f"terminated:{requester}"
        code = _int_code(fields.get("code", ""))
        if code is not None:
            from bgprobe.collectors.parsers.ips import termination_reason

            mapped, _ = termination_reason(None, code, fields.get("explanation", ""))
            reason = mapped or reason
        return self._event(
            rec,
            "process_killed",
            "runningboardd",
            process=None,
            package=app["bundle"] if app is not None else None,
            pid=pid,
            reason=reason,
            detail=msg,
            data=data,
        )

    def _process_exited(self, rec: IosRecord, msg: str) -> Event | None:
        m = PROCESS_EXITED.search(msg) or PROCESS_EXITED_FB.search(msg)
        if m is None:
            return None
        pid, bundle, ctx = int(m["pid"]), m["bundle"], m["ctx"]
        if (pid, bundle) in self._exited:  # SpringBoard prints the same exit in two forms
            return None
        data: dict[str, object] = {}
        kind = "process_died"
        if (st := RBS_EXIT_STATUS.search(ctx)) is not None:
            domain, code = st["domain"], st["code"]
            data = {"exit_domain": domain, "exit_code": code}
            if st["code_no"] is not None:
                data["exit_code_no"] = int(st["code_no"])
            if domain == "jetsam":
                kind, reason = "process_killed", f"jetsam:{code}"
            elif domain == "signal":
                reason = code.lower()
                kind = "process_killed" if reason == "sigkill" else "crash"
            else:
                from bgprobe.collectors.parsers.ips import termination_reason

                number = _int_code(code)
                mapped, _ = termination_reason(domain.upper(), number, "")
                kind = "process_killed" if mapped is not None and number is not None else "process_died"
                reason = mapped or f"{domain}:{code}"
        elif (fb := FB_EXIT.search(ctx)) is not None:
            text = fb["text"] or ""
            data = {"exit_context": fb["kind"], **({"exit_text": text} if text else {})}
            if fb["kind"] == "watchdog":
                slug = re.sub(r"[^a-z0-9]+", "-", text.lower().removeprefix("watchdog ")).strip("-")
                kind, reason = "process_killed", f"watchdog:{slug or 'unknown'}"
            else:
                reason = f"frontboard:{fb['kind']}"
        elif "RBSProcessExitContext| voluntary" in ctx:
            reason = "voluntary"
        else:
            return None
        self._exited.add((pid, bundle))
        return self._event(
            rec,
            kind,
            rec.process or "SpringBoard",
            process=None,
            package=bundle,
            pid=pid,
            reason=reason,
            detail=msg,
            data=data,
        )

    def _kernel(self, rec: IosRecord, msg: str) -> Event | None:
        if (m := KERNEL_LIMIT.search(msg)) is not None:
            self._memory_limit = (m["kind"], int(m["mb"])) if m["fatal"] == "fatal" else None
            return None
        m = KERNEL_KILL.search(msg)
        if m is None:
            return None
        limit, self._memory_limit = self._memory_limit, None
        reason = m["reason"]
        if reason is None:
            if m["how"] == "killing_specific_process" and limit is not None:
                reason = "per-process-limit"
            elif m["how"] == "killing_idle_process":
                reason = "idle-exit"
            else:
                reason = "unknown"
        data: dict[str, object] = {"rss_kb": int(m["kb"]), "how": m["how"]}
        if m["prio"] is not None:
            data["priority"] = int(m["prio"])
        if limit is not None:
            data["limit"] = limit[0]
            data["limit_mb"] = limit[1]
        pid = int(m["pid"])
        return self._event(
            rec,
            "process_killed",
            "kernel",
            process=m["name"] or None,
            pid=pid,
            package=self.bundles.get(pid),
            reason=f"jetsam:{reason}",
            detail=msg,
            data=data,
        )


def parse_ios_log(
    lines: NumberedLines,
    where: str,
    *,
    year: int | None = None,
    reference: date | None = None,
    device: str | None = None,
    os_version: str | None = None,
) -> list[Event]:
    """Every event of an iOS text log (any layout above). Never raises on odd input."""
    interp = IosLogInterpreter(where, device=device, os_version=os_version)
    return interp.feed_all(iter_records(lines, year, reference))


__all__ = [
    "SIGNATURES",
    "IosLogInterpreter",
    "IosRecord",
    "iter_records",
    "looks_like_ios_log",
    "parse_ios_log",
    "parse_record",
    "saved_report_path",
]
