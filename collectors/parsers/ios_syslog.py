"""iOS log lines -> events: runningboardd terminations, jetsam, UIKit background-task warnings,
BackgroundTasks framework and dasd BGTask lifecycle.

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

Pasted text (issues, forums, docs, chats) is read by `IosTextReader`, line by line: what a paste adds is
stripped first (`collectors.parsers.paste`: quotes, fences and their indentation, inline code, JSON
string quoting, HTML escapes), records glued onto one line are split where the next one starts, a crash
or jetsam report met among the lines (its JSON header, its fields, a piece of its JSON body) is handed
whole to `collectors.parsers.ips`, and a message a rule was meant for but that did not match is read
again with the lines a hard wrap cut from it. Examples in tests/ios/test_paste_forms_ios.py.

SpringBoard's `[application<b>:pid] Process exited: <RBSProcessExitContext| … domain:jetsam(1)
code:per-process-limit(7)>>` (or `<FBProcessExitContext; watchdog ("…")>`) is the app's death as the system saw it
(jetsam, watchdog, signal).
runningboardd's `Received termination request from [osservice<com.apple.dasd>:76] on <RBSProcessPredicate …app<b…>
with context <RBSTerminateContext| explanation:…>` is a kill asked for by another process (`terminated:<requester>`).
dasd activities are BGTaskScheduler's `bgRefresh-`/`bgProcessing-<id>`, silent-push `com.apple.pushLaunch.<bundle>`,
and in its policy evaluations any other activity (Core Data's CloudKit import and export, an app's own).

`IosLogInterpreter.feed(record)` is the same for a live stream (one record per syslog_relay line or
os_trace entry) and for a file. Message matching is keyed on fixed substrings, so lines that carry no
signature cost one `in` test per signature.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

import ahocorasick_rs
from bgprobe.collectors.parsers import NumberedLines, at, ips
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
    r"^(?P<level>default|info|debug|error|fault|notice|activity)\s+(?:(?:…|\.\.\.)\s+)?"
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

_LAYOUTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("syslog_relay", SYSLOG_RELAY),
    ("pmd3", PMD3_LIVE),
    ("log_show", LOG_SHOW),
    ("log_show_syslog", LOG_SHOW_SYSLOG),
    ("log_compact", LOG_COMPACT),
    ("xcode", XCODE),
    ("console", CONSOLE),
    ("console_spaced", CONSOLE_SPACED),
    ("syslog_bare", SYSLOG_BARE),
    ("time", TIME_ONLY),
)
# Layouts that say "this is an iOS log" by themselves (a clock alone, or two tab columns, do not).
_STRICT_LAYOUTS = tuple((name, p) for name, p in _LAYOUTS if name != "time")
# How every header starts (a date or time, a month, a Console type, `proc(Image)[pid] <Level>`): a line that starts
# otherwise is tried against no layout, so that prose and other tools' lines cost one match.
_HEADER_START = re.compile(
    r"(?:\d\d|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) |default|info|debug|error|fault|notice|activity"
    r"|[^\s\[\]()<>]{1,256}(?:\([^()]{0,256}\))?\[\d+\] <)"
)
_LOOSE_LAYOUTS = frozenset({"time", "process_tab", "bare"})

# Substrings of every message that yields an event (also what file detection looks for).
SIGNATURES: tuple[str, ...] = (
    "termination reported by launchd",
    "Received termination request from ",
    "Process exited: ",
    "Calculated state for ",
    "memorystatus: ",
    "exceeded mem limit: ",
    "killing_specific_process",
    "killing_top_process",
    "killing_idle_process",
    "killing_highwater_process",
    "killed by jetsam",
    "RESOURCE_NOTIFY trigger for ",
    "Terminated due to ",
    "Terminating app due to uncaught exception",
    "Could not set priority of <BKNewProcess",
    "was created over 30 seconds ago",
    "Background task still not ended after expiration",
    "has active assertions beyond permitted time",
    "Ignored request to start a new background task because RunningBoard has already started the expiration timer",
    "Background task expired while holding WebKit ProcessAssertion",
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

_SIGNATURE_MATCHER = ahocorasick_rs.AhoCorasick(list(SIGNATURES))

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
    r"(?=\s{1,64}(?:domain|code|explanation|reportType|maxTerminationResistance):|>\s{0,64}$|$)",
    re.S,
)
RBS_EXIT_STATUS = re.compile(
    r"RBSProcessExitStatus\| domain:(?P<domain>[\w-]+)(?:\((?P<domain_no>\d+)\))? "
    r"code:(?P<code>[\w-]+)(?:\((?P<code_no>-?\d+)\))?"
)
FB_EXIT = re.compile(r"FBProcessExitContext; (?P<kind>[\w-]+)(?: \(\"(?P<text>[^\"]*)\"\))?")
# xnu bsd/kern/kern_memorystatus.c (apple-oss-distributions/xnu, xnu-4570 to xnu-11417), memorystatus_log_exception:
# `EXC_RESOURCE -> %s[%d] exceeded mem limit: %s%s %d MB (%s)` (iOS 11 to 18.3), `memorystatus: %s [%d] exceeded mem
# limit: …` (xnu-11417, iOS 18.4+). A fatal (Hard) limit is enforced at once: memorystatus_on_ledger_footprint_exceeded
# calls memorystatus_kill_process_sync(pid, kMemorystatusKilledPerProcessLimit): the line alone is a per-process-limit
# kill. Without the process (`memorystatus: exceeded mem limit: …`, in
# tests/samples/ios/kernel_memorystatus_fatal_limit.txt) it is only the limit of the kill line after it.
KERNEL_LIMIT = re.compile(
    r"(?:EXC_RESOURCE -> (?P<name>[^\[\]]{0,256}?)\[(?P<pid>\d+)\] |memorystatus: (?:(?P<name2>[^\[\]]{0,256}?) "
    r"\[(?P<pid2>\d+)\] )?)exceeded mem limit: (?P<kind>\w+) (?P<mb>\d+) MB \((?P<fatal>fatal|non-fatal)\)"
)
# The kill itself (same file, memorystatus_kill_proc and memorystatus_kill_specific_process): `%lu.%03d memorystatus:
# killing_top_process pid %d [%s] (%s %d) %lluKB - memorystatus_available_pages: %llu` with the kill cause and the
# priority band; xnu-11417 adds the time in the band and the relaunch flags, `(per-process-limit 100 16s rf:-)`;
# before xnu-6153 (iOS 13) there is no KB; the aggressive form leaves the bracket open. Several kills printed
# without a line break (dmesg) are read one by one (`finditer`): none of the parts reaches past the next `[`.
KERNEL_KILL = re.compile(
    r"(?P<how>killing_(?:specific|top|idle|highwater)_process(?:_aggressive|_elevated)?\d*) pid (?P<pid>\d+) "
    r"\[(?P<name>[^\]]{0,256})\](?: \((?P<reason>[\w-]{1,64})(?: (?P<prio>-?\d{1,6}))?[^()\[\]]{0,80}\)?)?"
    r"(?:[^\[\]\d]{0,16}(?P<kb>\d{1,12})KB)?"
)
# memorystatus_do_kill prints it for a process in the foreground band or above, just before the killing_* line of
# the same kill: it adds the band to that kill, it is no kill of its own.
KERNEL_HIGH_BAND = re.compile(
    r"killing process (?P<pid>\d+) \[(?P<name>[^\]]{0,256})\] in high band (?P<band>[\w-]+) \((?P<prio>-?\d+)\)"
)
SB_JETSAM = re.compile(
    r"killed by jetsam\. Pending auto-relaunch of '<\w+: 0x[0-9a-f]+; (?P<name>[^;]+); pid: (?P<pid>-?\d+)>'"
)
# OSAnalytics' jetsam report as osanalyticshelper / ReportSystemMemory log it: `Process %{public}@ [%d] killed by
# jetsam reason %{public}@` (OSAJetsamReport in the decompiled OSAnalytics framework of the public code index;
# capture tests/samples/corpus/ios/kernel_memorystatus_console_process_tab_*).
OSA_JETSAM = re.compile(
    r"Process (?P<name>[^\[\]]{1,256}?) \[(?P<pid>\d+)\] killed by jetsam reason (?P<reason>[\w-]+)"
)
# symptomsd (SymptomEvaluator) on the kernel's RESOURCE_NOTIFY: `%@RESOURCE_NOTIFY trigger for %s [%ld] (%@, violating
# limit of %lld %@ over %.2fs seconds)`, `%@` = "Fatal " for a fatal limit (decompiled SymptomEvaluator in the public
# code index). A fatal CPU or wakeups limit ends the process: xnu osfmk/kern/thread.c
# SENDING_NOTIFICATION__THIS_PROCESS_IS_CAUSING_TOO_MUCH_CPU sends RESOURCE_NOTIFY with kRNFatalLimitFlag, then
# jetsam_on_ledger_cpulimit_exceeded() (or task_terminate_internal); task.c does the same for wakeups.
RESOURCE_NOTIFY = re.compile(
    r"(?P<fatal>Fatal )?RESOURCE_NOTIFY trigger for (?P<name>[^\[\]]{1,256}?) \[(?P<pid>\d+)\] \((?P<usage>[^,()]*)"
)
# debugserver's exit description of the debuggee, printed by Xcode as "Message from debugger: …" and by lldb after
# "Process N exited with status = …": `Terminated due to signal %i` (it died of a signal), `Terminated due to memory
# issue` (the kernel's NOTE_EXIT_MEMORY: jetsam killed it) (llvm-project lldb/tools/debugserver/source/DNB.cpp,
# kqueue_thread). The process is the one being debugged: the log does not name it.
DEBUGGER_EXIT = re.compile(
    r"(?:Message from debugger: |Process (?P<pid>\d+) exited with status = -?\d+ \(0x[0-9a-fA-F]+\) )"
    r"Terminated due to (?:signal (?P<sig>\d+)|(?P<memory>memory issue))"
)
# Foundation's last line before abort() on an uncaught Objective-C exception; the process then dies of SIGABRT
# (developer.apple.com/documentation/xcode/sigabrt: "such as when an app encounters an uncaught Objective-C or C++
# language exception").
UNCAUGHT_EXCEPTION = re.compile(
    r"\*\*\* Terminating app due to uncaught exception '(?P<name>[^']{0,256})'(?:, reason: '(?P<reason>[^\n]{0,400}))?"
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
# The process named before the message: `OurApp:24424 has active assertions beyond permitted time:` (assertiond,
# iOS 11-12, after "Forcing crash report with description:"), `BT[4821] has active …` (SpringBoard, iOS 4); the
# assertion on the next line gives its allowance, `<BKProcessAssertion: 0x…; "…" (finishTask:180s); id:…>`.
BEYOND_PERMITTED = re.compile(
    r"(?P<name>[^\s:\[\]]{1,256})(?::(?P<pid>\d+)|\[(?P<pid2>\d+)\]) has active assertions beyond permitted time"
)
ASSERTION_ALLOWANCE = re.compile(r"\((?P<reason>[A-Za-z]\w*):(?P<secs>\d+(?:\.\d+)?)s\)")
# WebKit's WKProcessAssertionBackgroundTaskManager (ProcessSuspension channel), in every app with a WKWebView
# (WebKit Source/WebKit/UIProcess/Cocoa/ProcessAssertionCocoa.mm, -_updateBackgroundTask and
# -_handleBackgroundTaskExpiration): the app's background time was already running out (RunningBoard's expiration
# timer), so WebKit could not take the background task it wanted; or the one it held expired.
WEBKIT_BG_REFUSED = (
    "Ignored request to start a new background task because RunningBoard has already started the expiration timer"
)
WEBKIT_BG_EXPIRED = "Background task expired while holding WebKit ProcessAssertion"
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
# A policy evaluation: `ACTIVITY:[` + one `{name: …Policy, policyWeight: …, response: {Decision: …}}` per policy +
# `] sumScores:…, denominator:…, FinalDecision: Can Proceed FinalScore: 0.84}`. A policy that vetoes ends the
# evaluation without scores, `], FinalDecision: Must Not Proceed}` (Ably's push guide). Any activity is evaluated:
# besides BGTaskScheduler's and silent pushes, Core Data's CloudKit import/export and apps' own, the name prefixed
# with the uid in Console (`501:com.apple.coredata.cloudkit.activity.import.<UUID>:CF81BC:`, Apple TN3163).
DASD_POLICY = re.compile(
    r"^\s*'?(?:\d+:)?(?P<activity>(?:bg(?P<type>Refresh|Processing)-|(?P<push>com\.apple\.pushLaunch\.))?"
    r"(?P<id>[^\s:'\[\]{}()]+):(?P<hex>[0-9A-Fa-f]+))'?:\s*\[(?P<body>.*)\]\s*(?:sumScores:[^\[\]{}]*?)?,?\s*"
    r"FinalDecision: (?P<final>[A-Za-z ]{1,40}?)(?:\s{1,8}FinalScore: (?P<score>[\d.]{1,20}))?\s{0,8}\}",
    re.S,
)
DASD_RESPONSE = re.compile(
    r"\{name: (?P<name>[^,{}]{1,80}?), policyWeight: [\d.]{1,20},\s{0,8}response: \{Decision: "
    r"(?P<decision>[A-Za-z ]{1,40}?), Score"
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
        if _SIGNATURE_MATCHER.find_matches_as_indexes(line) or _JSON_MARK.search(line):
            return True
        for logical in unwrap(line):
            for text in ips.split_report_fields(logical.strip()):
                rec = parse_record(text, 0)
                if rec is not None and rec.layout not in _LOOSE_LAYOUTS:
                    return True
                if (m := _report_field(text)) is not None and m in ips.STRONG_FIELDS:
                    return True
    return False


def _report_field(text: str) -> str | None:
    m = ips.REPORT_FIELD.match(text)
    return m["key"] if m else None


def has_log_lines(sample: list[str]) -> bool:
    """Whether any line of a sample (as pasted: quoted, indented) has the header of an iOS log layout."""
    from bgprobe.collectors.parsers.paste import strip_prefixes

    return any(
        (rec := parse_record(strip_prefixes(s).lstrip(), 0)) is not None and rec.layout not in _LOOSE_LAYOUTS
        for s in sample[:400]
        if s.strip()
    )


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
    # the last fatal memory limit the kernel logged (kind, MB, pid or None): the kill line after it carries it
    _memory_limit: tuple[str, int, int | None] | None = None
    _high_band: dict[int, tuple[str, int]] = field(default_factory=dict)  # pid -> band of the kill being logged
    _gone: set[int] = field(default_factory=set)
    _exited: set[tuple[int, str]] = field(default_factory=set)
    # after each `feed`: whether a signature was in the message (a rule was meant for it), and whether a rule read it
    # (an event, or a line that only adds to another: a memory limit, the same start told twice)
    meant: bool = False
    understood: bool = False
    _read: bool = False

    def feed(self, rec: IosRecord) -> list[Event]:
        msg = rec.msg
        out: list[Event] = []
        self.meant = self.understood = self._read = False
        if "[app" in msg:
            for m in APP_REF.finditer(msg):
                self.bundles[int(m["pid"])] = m["bundle"]
        if not _SIGNATURE_MATCHER.find_matches_as_indexes(msg):
            return out  # most lines: one search in C instead of a test per signature
        for sig in SIGNATURES:
            if sig in msg:
                self.meant = True
                found = self._dispatch(sig, rec, msg)
                if isinstance(found, list):
                    out.extend(found)
                elif found is not None:
                    out.append(found)
                break
        self.understood = bool(out) or self._read
        return out

    def handles(self, rec: IosRecord) -> bool:
        """Whether a rule is meant for the record's message (one of its signatures is in it)."""
        return bool(_SIGNATURE_MATCHER.find_matches_as_indexes(rec.msg))

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
        fields["package"] = ips.bundle_or_none(fields["package"])
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

    def _dispatch(self, sig: str, rec: IosRecord, msg: str) -> Event | list[Event] | None:
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
        if sig in ("memorystatus: ", "exceeded mem limit: ") or sig.startswith("killing_"):
            return self._kernel(rec, msg)
        if sig == "killed by jetsam":
            if (m := OSA_JETSAM.search(msg)) is not None:
                return self._event(
                    rec,
                    "process_killed",
                    rec.process or "OSAnalytics",
                    process=m["name"],
                    pid=int(m["pid"]),
                    reason=f"jetsam:{m['reason']}",
                    detail=msg,
                )
            m = SB_JETSAM.search(msg)
            if m is None:
                return None
            pid = int(m["pid"]) if int(m["pid"]) > 0 else None
            return self._event(
                rec,
                "process_killed",
                "SpringBoard",
                process=m["name"],
                pid=pid,
                package=None,
                reason="jetsam:unknown",
                detail=msg,
            )
        if sig == "RESOURCE_NOTIFY trigger for ":
            return self._resource_notify(rec, msg)
        if sig == "Terminated due to ":
            return self._debugger_exit(rec, msg)
        if sig == "Terminating app due to uncaught exception":
            m = UNCAUGHT_EXCEPTION.search(msg)
            if m is None:
                return None
            data = {"exception": m["name"]}
            if m["reason"]:
                data["exception_reason"] = m["reason"].rstrip("'")
            return self._event(rec, "crash", "Foundation", reason="sigabrt", detail=msg, data=data)
        if sig in (WEBKIT_BG_REFUSED, WEBKIT_BG_EXPIRED):
            reason = "webkit:bgtask-refused" if sig == WEBKIT_BG_REFUSED else "webkit:bgtask-expired"
            return self._event(rec, "state_changed", "WebKit", reason=reason, detail=msg)
        if sig == "Could not set priority of <BKNewProcess":
            m = BK_GONE.search(msg)
            if m is None:
                return None
            if int(m["pid"]) in self._gone:
                self._read = True  # the same death, logged again
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
            # The process held a background assertion past its allowance: the logger (assertiond, SpringBoard) is
            # not the process, the message names it.
            m = LEGACY_ASSERTION.search(msg)
            at_sig = msg.find(sig)
            named = BEYOND_PERMITTED.search(msg, max(0, at_sig - 300), at_sig + len(sig))
            data: dict[str, object] = {}
            pid = rec.pid if named is None else int(named["pid"] or named["pid2"])
            if m is not None:
                pid = int(m["pid"])
                data = {"assertion": m["ident"], "permitted_s": float(m["permitted"]), "assertion_reason": m["reason"]}
            elif (allowance := ASSERTION_ALLOWANCE.search(msg)) is not None:
                data = {"permitted_s": float(allowance["secs"]), "assertion_reason": allowance["reason"]}
            process = named["name"] if named is not None else rec.process
            return self._event(
                rec,
                "process_killed",
                "assertions",
                process=process,
                pid=pid,
                reason="bgtask_expired",
                detail=msg,
                data=data,
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
                self._read = True  # its "Starting …" line tells this start
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
                self._read = True
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
                self._read = True  # named by the "Complete task request activity:" line after it
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
            at_sig = msg.find(sig)
            m = BG_NOT_PERMITTED.search(msg, max(0, at_sig - 300), at_sig + len(sig))
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
            # "Absolutely Must Proceed" (the app is in the foreground) proceeds too; any "Not" defers
            reason = "deferred" if "Not" in final else "can_proceed"
            extra: dict[str, object] = {"final_score": float(m["score"])} if m["score"] else {}
            return self._dasd(
                rec,
                m,
                "job_scheduled",
                reason,
                msg,
                decision=final,
                blocking=blocking,
                policies=[name for name, _ in responses],
                **extra,
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
        elif m["type"] is None:  # any other activity (policy evaluations): the job is its name
            kind_name, job, package = "activity", m["id"], None
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
            mapped, _ = ips.termination_reason(None, code, fields.get("explanation", ""))
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
            self._read = True
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
                number = _int_code(code)
                mapped, _ = ips.termination_reason(domain.upper(), number, "")
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

    def _kernel(self, rec: IosRecord, msg: str) -> list[Event] | None:
        """memorystatus lines: a fatal memory limit (a kill by itself, and the limit of the kill line after it), the
        high band of the kill being logged, and the kill lines (several when dmesg printed them on one line)."""
        out: list[Event] = []
        for m in KERNEL_LIMIT.finditer(msg):
            self._read = True
            if m["fatal"] != "fatal":
                self._memory_limit = None
                continue
            name = m["name"] if m["name"] is not None else m["name2"]
            pid_text = m["pid"] or m["pid2"]
            pid = int(pid_text) if pid_text else None
            self._memory_limit = (m["kind"], int(m["mb"]), pid)
            if pid is not None:
                out.append(
                    self._event(
                        rec,
                        "process_killed",
                        "kernel",
                        process=name or None,
                        pid=pid,
                        package=self.bundles.get(pid),
                        reason="jetsam:per-process-limit",
                        detail=msg if "\n" not in msg else m.group(),
                        data={"how": "exceeded_mem_limit", "limit": m["kind"], "limit_mb": int(m["mb"])},
                    )
                )
        for m in KERNEL_HIGH_BAND.finditer(msg):
            self._read = True
            if len(self._high_band) > 64:  # a band whose kill line never came: forget the oldest
                self._high_band.pop(next(iter(self._high_band)))
            self._high_band[int(m["pid"])] = (m["band"], int(m["prio"]))
        for m in KERNEL_KILL.finditer(msg):
            out.append(self._kernel_kill(rec, msg, m))
        return out

    def _kernel_kill(self, rec: IosRecord, msg: str, m: re.Match[str]) -> Event:
        pid = int(m["pid"])
        limit = self._memory_limit
        if limit is not None and limit[2] not in (None, pid):
            limit = None  # another process's limit
        else:
            self._memory_limit = None
        reason = m["reason"]
        if reason is None:
            if m["how"] == "killing_specific_process" and limit is not None:
                reason = "per-process-limit"
            elif m["how"].startswith("killing_idle_process"):
                reason = "idle-exit"
            elif m["how"].startswith("killing_highwater_process"):
                reason = "highwater"
            else:
                reason = "unknown"
        data: dict[str, object] = {"how": m["how"]}
        if m["kb"] is not None:
            data = {"rss_kb": int(m["kb"]), **data}
        if m["prio"] is not None:
            data["priority"] = int(m["prio"])
        if limit is not None:
            data["limit"] = limit[0]
            data["limit_mb"] = limit[1]
        if (band := self._high_band.pop(pid, None)) is not None:
            data["band"] = band[0]
        many = msg.count("killing_") > 1  # one record of several printed on one line: its own text
        return self._event(
            rec,
            "process_killed",
            "kernel",
            process=m["name"] or None,
            pid=pid,
            package=self.bundles.get(pid),
            reason=f"jetsam:{reason}",
            detail=m.group() if many else msg,
            data=data,
        )

    def _resource_notify(self, rec: IosRecord, msg: str) -> Event | None:
        """symptomsd's RESOURCE_NOTIFY: a fatal CPU (or wakeups) limit, after which the kernel ends the process."""
        m = RESOURCE_NOTIFY.search(msg)
        if m is None:
            return None
        if not m["fatal"]:
            self._read = True  # a warning: the process goes on
            return None
        usage = m["usage"]
        kind = "cpu" if "CPU" in usage else "wakeups" if "wakeup" in usage.lower() else "unknown"
        return self._event(
            rec,
            "process_killed",
            rec.process or "symptomsd",
            process=m["name"],
            pid=int(m["pid"]),
            reason=f"resource:{kind}",
            detail=msg,
            data={"usage": usage.strip()},
        )

    def _debugger_exit(self, rec: IosRecord, msg: str) -> Event | None:
        """How the process being debugged ended, as debugserver saw it: a signal (SIGKILL, SIGTERM come from
        another process: a kill; any other is a crash), or jetsam."""
        m = DEBUGGER_EXIT.search(msg)
        if m is None:
            return None
        pid = int(m["pid"]) if m["pid"] else None
        if m["memory"]:
            kind, reason = "process_killed", "jetsam:unknown"
        else:
            signal = int(m["sig"])
            reason = _signal_name(signal)
            kind = "process_killed" if signal in (9, 15) else "crash"
        return self._event(rec, kind, "debugger", process=None, pid=pid, reason=reason, detail=msg)


# -- pasted text ------------------------------------------------------------------------------------

# Where a record glued onto the one before it starts (line breaks lost by a forum or a copy): a Console row
# (`… default 14:29:55.265753-0400 dasd …`), an Xcode / NSLog / compact-style line (`… 2020-05-29 12:06:43.858
# App[12:34] …`), a syslog_relay line. Only after a blank and only with the whole header, so that a date or a time
# in a message is no cut. Every part is bounded by a blank or a bracket: linear on a long line.
_GLUED_START = re.compile(
    r"\s(?=(?:default|info|debug|error|fault|notice|activity)\s+(?:(?:…|\.\.\.)\s+)?(?:\d{4}-\d\d-\d\d\s+)?"
    r"\d\d:\d\d:\d\d\.\d+\s?(?:[+-]\d{4})?\s+[^\s…])"
    r"|\s(?=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+(?:[+-]\d{4})? (?:(?:Df|Db|I|E|Er|F|Fa|A) +)?[^\s\[\]]+\[\d+:)"
    r"|\s(?=(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d\d:\d\d:\d\d \S+ [^\s\[\]()]+"
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
        self._current: IosRecord | None = None
        self._depth = 0  # brackets the current record left open
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
        text = line.rstrip("\r\x00")
        if lineno <= self._note:
            return []
        if not self._started:
            if not text.strip() or text.startswith("# "):
                return []  # a comment above the log (sample files name their source this way)
            self._started = True
        text, fence = self._fences.line(text)
        out: list[Event] = []
        if fence:
            out += self._end_block()
            if not text.strip():
                return out
        try:
            out += self._physical(lineno, text)
        except (ValueError, IndexError, KeyError, TypeError, RecursionError):  # odd input never stops a scan
            self._current = self._held = None
        return out

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
        return not _SIGNATURE_MATCHER.find_matches_as_indexes(s)

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
        # A header whose message is empty or ends with a colon continues on the next line (a Console row reflowed:
        # Apple TN3163); any record that ends with an opening bracket does (dasd's `ACTIVITY:[`, `{(`).
        msg = rec.msg.rstrip()
        self._open = (rec.layout != "bare" and (not msg or msg.endswith(":"))) or msg.endswith(("[", "{", "("))
        self._depth = _depth(rec.msg) if self._open else 0

    def _continues(self, text: str, header: IosRecord | None) -> bool:
        """Whether a line (that has no header: `header` is its own) goes on with the current record."""
        if self._current is None or header is not None or self._joined >= MAX_OPEN_LINES:
            return False
        if len(self._current.msg) + len(text) > MAX_JOINED:
            return False
        return self._open or text.startswith(_CONTINUATION_START)

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
            if rec.layout == "bare" and self._joined == 0 and self._last_raw[-1:] in (" ", "\t"):
                self._prev = rec  # cut at a blank? the line after it may hold the rest of a message
            return events
        # A rule was meant for it and did not read it: perhaps a hard wrap cut it. The line before it first (the
        # message began there), then the lines after it.
        if prev is not None:
            joined = IosRecord(
                prev.lineno, f"{prev.msg} {rec.msg.strip()}", rec.process, rec.pid, rec.ts, layout=rec.layout
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
        lines = [(n, t.lstrip() if not t.lstrip().startswith(('"', "{", "[", "}", "]")) else t) for n, t in report if n]
        return ips.parse_ips(lines, self.where, device=self.device)

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
) -> list[Event]:
    """Every event of an iOS text log (any layout above, as pasted too). Never raises on odd input."""
    reader = IosTextReader(where, year=year, reference=reference, device=device, os_version=os_version)
    out: list[Event] = []
    for lineno, text in lines:
        out += reader.feed(lineno, text)
    return out + reader.flush()


__all__ = [
    "SIGNATURES",
    "IosLogInterpreter",
    "IosRecord",
    "IosTextReader",
    "has_ios_lines",
    "has_log_lines",
    "iter_records",
    "looks_like_ios_log",
    "parse_ios_log",
    "parse_record",
    "saved_report_path",
]
