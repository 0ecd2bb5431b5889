"""iOS log messages -> events: the rules that read runningboardd terminations, jetsam, UIKit background-task warnings,
the BackgroundTasks framework and dasd's BGTask lifecycle from a record's message (records:
`collectors.parsers.ios_layouts`).

SpringBoard's `[application<b>:pid] Process exited: <RBSProcessExitContext| … domain:jetsam(1)
code:per-process-limit(7)>>` (or `<FBProcessExitContext; watchdog ("…")>`) is the app's death as the system saw it
(jetsam, watchdog, signal).
runningboardd's `Received termination request from [osservice<com.apple.dasd>:76] on <RBSProcessPredicate …app<b…>
with context <RBSTerminateContext| explanation:…>` is a kill asked for by another process (`terminated:<requester>`).
dasd activities are BGTaskScheduler's `bgRefresh-`/`bgProcessing-<id>`, silent-push `com.apple.pushLaunch.<bundle>`,
and in its policy evaluations any other activity (Core Data's CloudKit import and export, an app's own).

`IosLogInterpreter.feed(record)` is the same for a live stream (one record per syslog_relay line or
os_trace entry) and for a file. Each rule is keyed on fixed substrings of the messages it reads (`RULES`, one list:
the signatures, the dispatch table and file detection are built from it), so a line that carries no signature costs
one Aho-Corasick search.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import ahocorasick_rs
from bgprobe.collectors.parsers import at, ips
from bgprobe.collectors.parsers.ios_layouts import IosRecord, split_offset
from bgprobe.reports.events import DEATH_KINDS, Event

APP_ID = r"(?:application|app)<(?P<bundle>[^<>()]+)(?:\([^()]*\))?>:(?P<pid>\d+)"
RB_TERMINATION = re.compile(
    r"\[" + APP_ID + r"\] termination reported by launchd \((?P<a>-?\d+), (?P<b>-?\d+), (?P<c>-?\d+)\)"
)
# runningboardd's clean-up once a process it tracked is gone: "Removing assertions for terminated process:
# [<identity>]". An app's own ([app<bundle>:pid]) is its death; a helper of it ([xpcservice<…([application<bundle>:
# pid])>:…]) goes with it. The cause, when logged, is launchd's termination line before it (the same death: `_gone`).
RB_ASSERTIONS_REMOVED = re.compile(r"Removing assertions for terminated process: \[" + APP_ID + r"\]")
RB_STATE = re.compile(
    r"Calculated state for (?:application|app)<(?P<bundle>[^<>()]+)(?:\([^()]*\))?>: (?P<state>[\w-]+)"
    r"(?: \(role: (?P<role>\w+)\))?"
)
APP_REF = re.compile(r"\[" + APP_ID + r"\]")
# SpringBoard/FrontBoard (iOS 14+): `[application<b>:pid] Process exited: <RBSProcessExitContext| …>.` or
# `<FBProcessExitContext; watchdog ("watchdog provision violated")>.`; also `Process exited: <FBApplicationProcess: 0x…;
# application<b>:pid(v…)> -> <…ExitContext…>`.
# A poster may take the bundle out of the identity, brackets and all: `[app:810] Process exited: …`,
# `<FBApplicationProcess: 0xb91b47a80; app:810(v8AE)>` (a MAUI app's rows, tests/samples/corpus/ios_frameworks5/
# maui38281_*): the pid still names the process that exited.
_EXITED_APP_ID = r"(?:application|app)(?:<(?P<bundle>[^<>()]+)(?:\([^()]*\))?>)?:(?P<pid>\d+)"
# iOS 13's FrontBoard may mark the identity with a star: `[application<b>:63390]* Process exited: …`
# (tests/samples/corpus/ios_frameworks5/rn26731_*).
PROCESS_EXITED = re.compile(r"\[" + _EXITED_APP_ID + r"\]\*? Process exited: (?P<ctx><.*)", re.S)
PROCESS_EXITED_FB = re.compile(
    r"Process exited: <FBApplicationProcess(?:: 0x[0-9a-f]+)?; " + _EXITED_APP_ID + r"[^>]*> -> (?P<ctx><.*)", re.S
)
# launchd (a simulator's launchd_sim, macOS's launchd) on a job that ended, the job's label before the message: an app
# is "UIKitApplication:<bundle>[0x…][<pid>]". The wording changed over releases: "Service exited due to signal: Killed:
# 9" (NativeScript/nativescript-cli#1816), "Service exited due to Killed: 9" (nativescript-cli#2193), "Service exited
# due to SIGKILL | sent by CoreServicesUIAgent[10664]" (sindresorhus/touch-bar-simulator#28), "Service exited with
# abnormal code: 1". (launchd's source is not published: the forms are those of the captures.)
LAUNCHD_EXIT = re.compile(
    r"^\((?:UIKitApplication:(?P<bundle>[^\[\]()\s]+)|(?P<label>[^()\[\]]+))"
    r"(?:\[0x[0-9a-f]+\])?(?:\[(?P<pid>\d+)\])?\): "
    r"Service exited (?:due to (?:signal: )?(?P<signal>[^|\n]+?)(?: \| sent by (?P<sender>[^\n]+?))?"
    r"|with abnormal code: (?P<code>-?\d+))\s*$"
)
# SpringBoard (iOS 7-9, and the simulators of the time) on an app's end, the app by its launchd job: "Application
# 'UIKitApplication:com.me.Test[0xeec0]' exited voluntarily." (ios-control/ios-sim#179), "… exited abnormally via
# signal." (flutter/flutter#6775), "… exited abnormally with signal 9: Killed: 9". (SpringBoard's source is not
# published: the forms are those of the captures.)
SB_APP_EXITED = re.compile(
    r"Application 'UIKitApplication:(?P<bundle>[^\[\]'\s]+)(?:\[0x[0-9a-f]+\])?' exited "
    r"(?:(?P<voluntary>voluntarily)|abnormally (?:with signal (?P<signal>\d+)|via signal))"
)
# SpringBoard when an app's launch failed before it ran (its launchd job could not run the program: "Program
# specified by service does not contain one of the requested architectures"): "Unable to get pid for
# 'UIKitApplication:<bundle>[0x732f]': No such process (err 3)" (ios-control/ios-sim#169), "Bootstrapping failed for
# <FBApplicationProcess: 0x…; <bundle>; pid: -1>" (appium#6270). Its "exited voluntarily." that follows ends no process.
SB_NOT_LAUNCHED = re.compile(
    r"Unable to get pid for 'UIKitApplication:(?P<bundle>[^\[\]'\s]+)"
    r"|Bootstrapping failed for <FBApplicationProcess: 0x[0-9a-f]+; (?P<fb_bundle>[^;\s]+); pid: -1>"
)
# FrontBoard (in SpringBoard, iOS 8-10) ending an app with a crash report it forces: `Forcing crash report of
# <FBApplicationProcess: 0x1314bd3f0; myApp; pid: 390> (reason: 1, description: com.myApp failed to scene-create after
# 3.88s (launch took 16.12s of total time limit 20.00s))` (ios-control/ios-deploy#213: the watchdog, 0x8badf00d), or
# `(reason: 4, description: <FBApplicationProcess: 0x…; SQLCipherVsShar; pid: 4146> was suspended with locked system
# files:` (Console's copy in signalapp/SQLCipherVsSharedData's README: 0xdead10cc). The name is the executable's as the
# kernel keeps it, cut to 15 characters. (FrontBoard's source is not published: the forms are those of the captures.)
FB_FORCED_CRASH = re.compile(
    r"Forcing crash report of <FBApplicationProcess: 0x[0-9a-f]+; (?P<name>[^;<>]+); pid: (?P<pid>\d+)>"
    r"(?: \(reason: (?P<code>\d+)(?:, description: (?P<desc>.*))?)?",
    re.S,
)
# The description of a watchdog's kill names the app by its bundle and the event it did not finish in time.
FB_FAILED_IN_TIME = re.compile(r"^(?P<bundle>[\w.-]+) failed to (?P<event>[\w-]+) (?:in time|after )")
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
# iOS 14+ writes `<RBSProcessExitStatus| domain:signal(2) code:SIGABRT(6)>`; iOS 13 wrote `<RBSProcessExitStatus;
# domain: runningboard (15); code: 0x2182baad>` (tests/samples/corpus/ios_frameworks5/rn26731_*).
RBS_EXIT_STATUS = re.compile(
    r"RBSProcessExitStatus(?:\| domain:(?P<domain>[\w-]+)(?:\((?P<domain_no>\d+)\))? "
    r"code:(?P<code>[\w-]+)(?:\((?P<code_no>-?\d+)\))?"
    r"|; domain: (?P<domain13>[\w-]+)(?: \((?P<domain_no13>\d+)\))?; code: (?P<code13>[\w-]+))"
)
# RunningBoard's explanation when it ends a process that kept an assertion it was asked to give up (iOS 13: `Timed-out
# waiting for process [application<b>:pid] to invalidate assertion with identifier … and explanation 'Shared Background
# Assertion 2 for <b>'`, code 0x2182baad, tests/samples/corpus/ios_frameworks5/rn26731_*): UIKit's background tasks
# share that assertion, so the app's background task outlived its time, as with 0x2182bad2 (developer.apple.com/
# documentation/xcode/sigkill: "a background task failing to complete in time").
RB_ASSERTION_TIMEOUT = re.compile(r"Timed-out waiting for process \[[^\]]{0,300}\] to invalidate assertion")
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
# kqueue_thread). The process is the one being debugged: the log does not name it. The description is quoted
# without Xcode's prefix too ('it's crashing with "Terminated due to memory issue"',
# tests/samples/corpus/ios/xcode_terminated_due_to_memory_issue_prose_*): debugserver's exact words, read alone.
# A post may quote them in lower case inside its sentence ('the application is "terminated due to signal 9" after 1
# minute', tests/samples/corpus/ios_frameworks5/rnvideo4519_*): in double quotes only, where they are still quoted.
DEBUGGER_EXIT = re.compile(
    r"(?:Message from debugger: |Process (?P<pid>\d+) exited with status = -?\d+ \(0x[0-9a-fA-F]+\) )?"
    r"(?:T|(?<=\")t)erminated due to (?:signal (?P<sig>\d+)|(?P<memory>memory issue))"
)
# The words named as the subject of a sentence, not reported: "`Message from debugger: Terminated due to memory issue`
# is definitely the error you see when Jetsam kills your extension" (tests/samples/corpus/ios/r3_xcode_*_icepa2.txt).
DEBUGGER_WORDS_DEFINED = re.compile(r"""^[`'"\u201d\u2019]?\s{1,4}(?:is|means|indicates)\b""")
# What may stand around debugserver's words when they are the whole line: quotes, brackets, punctuation, blanks.
_AROUND_QUOTED_WORDS = " \t`'\"\u300c\u300d\u201c\u201d\u2018\u2019.,:;!?()[]<>*_"
# The jailbreak crash reporter Cr4shed's fixed reason in its report of a jetsam kill (OSAnalytics' JetsamEvent),
# `Reason: The process was terminated for exceeding jetsam memory limits` (Muirey03/Cr4shed, generateCr4shedReport;
# the whole report is read by ips.py). Shown alone, as the line its reports say ('I'm getting tons of jetsam logs:'
# and the line in a fence, tests/samples/corpus/ios_trial6/cr4shed63_*), it is such a kill, of a process the line
# does not name. Only alone on its line (quotes, brackets, punctuation around it): inside a sentence or a list of
# common errors it names the report's words, no kill.
CR4SHED_JETSAM_WORDS = ips.CR4SHED_JETSAM
# backboardd (iOS 6-8) when the system app it watches ended: `System app "com.apple.SpringBoard" has died. Waiting for
# it to spawn again...` (tests/samples/corpus/ios/r3_syslog_ios7_backboardd_*; backboardd's source is not published).
SYSTEM_APP_DIED = re.compile(r'System app "(?P<bundle>[^"\s]+)" has died')
# ReportCrash (iPhone OS 3 to iOS 9) after it wrote a crash report: `Saved crashreport to
# /var/mobile/Library/Logs/CrashReporter/SpringBoard_2014-03-31-191155_Mikes-iPhone.plist using uid: 0 …`: the file
# is named <process>_<date>_<device>.plist (a LowMemory report is `LowMemory-<date>.plist`, a resource report ends in
# `.cpu_resource.plist`: neither is named so).
SAVED_CRASHREPORT = re.compile(r"Saved crashreport to \S*/(?P<name>[^/_\s]+)_\d{4}-\d{2}-\d{2}-\d{6}_[^/.\s]+\.plist\b")
# lldb's stop reason when the kernel raised EXC_RESOURCE RESOURCE_TYPE_MEMORY (FLAVOR_HIGH_WATERMARK) at the debugged
# process: its footprint crossed the memory limit (xnu osfmk/kern/task.c
# THIS_PROCESS_CROSSED_HIGH_WATERMARK__SENDING_EXC_RESOURCE). Xcode shows it as `Thread 1: …`; lldb before
# D131130 (2022) wrote `EXC_RESOURCE RESOURCE_TYPE_MEMORY (limit=14 MB, unused=0x0)`, since then `EXC_RESOURCE
# (RESOURCE_TYPE_MEMORY: high watermark memory limit exceeded) (limit=14 MB)` (llvm-project
# lldb/source/Plugins/Process/Utility/StopInfoMachException.cpp, commit 9c81b743). An app's limit is its jetsam
# per-process limit: the debugger holds the app where, undebugged, jetsam ends it ("Terminated due to memory issue"
# when resumed), so it is read as that kill (tests/samples/corpus/ios/xcode_thread_exc_resource_*, lldb_stop_reason_*).
DEBUGGER_MEMORY_LIMIT = re.compile(
    r"EXC_RESOURCE (?:RESOURCE_TYPE_MEMORY \(limit=(?P<mb>\d+) MB"
    r"|\(RESOURCE_TYPE_MEMORY: [^()]{0,64}\) \(limit=(?P<mb2>\d+) MB\))"
)
# Xcode 15 and later when the app it runs is killed for its memory: the run's error (IDEDebugSessionErrorDomain, code
# 11) says `The app “WhisperAX” has been killed by the operating system because it is using too much memory.` with
# `Recovery Suggestion: Use a memory profiling tool to track the process memory usage.` (iOS 17 to 18:
# tests/samples/corpus/ios_new5/argmax70_*, fastvlm24_*, swiftmistral15_*), where Xcode 14 gave the same error's
# `Failure Reason: Message from debugger: Terminated due to memory issue` (tests/samples/corpus/ios/
# xcode_quit_unexpectedly_details_*): debugserver's memory exit, jetsam's kill of the debugged app. Xcode's text is not
# published: the form is that of the captures. The app is named by its display name, in curly quotes; the words up
# to "the operating" tell it (a copy wrapped at 72 or 80 columns keeps no more of the sentence on that line).
XCODE_KILLED_FOR_MEMORY = re.compile(
    r"The app “(?P<app>[^“”\n]{1,256})”(?: on [^\n]{0,128}?)? has been killed by the operating"
)
# FrontBoard (iOS 14+) when a process it asked to exit has not, 5 s later: FBProcess's graceful-kill timer logs
# "%@ Failed to terminate gracefully after %.1fs" (the process as `[app<bundle(UUID)>:pid]`) and kills it with
# 0x8badf00d, the same text as the kill's explanation (FrontBoard -[FBProcess _terminateWithRequest:…]
# performGracefulKill; ips.GRACEFUL_KILL reads it in reports). iOS 16 wrote a small f. Quoted on its own after the
# code, '0x8BADF00D  [application<com.xxx.xxx>:58767] failed to terminate gracefully after 5.0s'
# (tests/samples/corpus/ios_new5/mars1103_*), it is that kill. The identity and "failed to terminate" after it tell
# it: a copy wrapped at 72 or 80 columns may cut the rest of the line away.
GRACEFUL_KILL_LINE = re.compile(
    r"\[" + APP_ID + r"\] [Ff]ailed to terminate(?: gracefully(?: after (?P<after>[\d.]+)s)?)?"
)
# Foundation's last line before abort() on an uncaught Objective-C exception; the process then dies of SIGABRT
# (developer.apple.com/documentation/xcode/sigabrt: "such as when an app encounters an uncaught Objective-C or C++
# language exception"). Markdown source escapes the stars ('**\* Terminating app …', a syslog pasted into an issue
# unfenced: tests/samples/corpus/ios/syslog_ios3_uncaught_exception_markdown_escaped_*). Quoted, the stars may be left
# out, and the words glued to the poster's (tests/samples/corpus/ios/r3_uncaught_*): the exception's quoted name
# after them is what tells Foundation's line.
UNCAUGHT_EXCEPTION = re.compile(
    r"(?:(?:\\?\*){3} )?Terminating app due to uncaught exception '(?P<name>[^']{0,256})'"
    r"(?:, reason: '(?P<reason>[^\n]{0,400}))?"
)
BK_GONE = re.compile(
    r"Could not set priority of <BKNewProcess: 0x[0-9a-f]+; (?P<bundle>[^;]+); pid: (?P<pid>\d+);.*No such process"
)
UIKIT_30S = re.compile(r'Background Task (?P<no>\d+) \("(?P<name>.*?)"\), was created over 30 seconds ago')
# UIKit's private class is _UIBackgroundTaskInfo; a forum's Markdown may take the underscore for emphasis and drop it
# (tests/samples/corpus/ios/uikit_bgtask_still_not_ended_taskid36_forum729335.txt). A quote may end after the task's id
# or inside its name (tests/samples/corpus/ios/w4_forum759585_*): the task is still named by its id.
UIKIT_NOT_ENDED = re.compile(
    r"Background task still not ended after expiration handlers were called: <_?UIBackgroundTaskInfo: 0x[0-9a-f]+>: "
    r"taskID = (?P<no>\d+)"
    r"(?:, taskName = (?P<name>.*?), creationTime = (?P<created>\d+) \(elapsed = (?P<elapsed>\d+)\))?"
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
# The debugger command Apple documents for starting or expiring a task during development
# (developer.apple.com/documentation/backgroundtasks/starting-and-terminating-tasks-during-development):
# `e -l objc -- (void)[[BGTaskScheduler sharedScheduler] _simulateLaunchForTaskWithIdentifier:@"TASK_IDENTIFIER"]`.
# No event by itself (the framework's "Simulating launch …" line says it ran; lldb may refuse it): it names the task
# of the undecoded lines after it (tests/samples/corpus/ios/lldb_*).
LLDB_SIMULATE = re.compile(r"_simulate(?:Launch|Expiration)ForTaskWithIdentifier:@\"(?P<id>[^\"\s]{1,256})\"")
BG_ALREADY_RUNNING = re.compile(r"Task with identifier " + _IDENT + r" is already running")
BG_NOT_SIMULATED = re.compile(r"Task with identifier " + _IDENT + r" is not currently being simulated")
TASK_CLASS_KIND = {
    "BGAppRefreshTask": "refresh",
    "BGProcessingTask": "processing",
    "BGHealthResearchTask": "health_research",
    "BGContinuedProcessingTask": "continued_processing",
}
# A refused submit as its NSError prints it, whoever logged the error (the app's own "Could not schedule app refresh:
# \(error)" of Apple's sample code, a plugin's exception): `Error Domain=BGTaskSchedulerErrorDomain Code=N`, N a
# BGTaskScheduler.Error.Code (developer.apple.com/documentation/backgroundtasks/bgtaskscheduler/error/code). As its
# localizedDescription (what JavaScript and Dart bridges reject a promise with), the error has no description of its
# own, so CoreFoundation's last resort names domain and code: `The operation couldn’t be completed.
# (BGTaskSchedulerErrorDomain error 1.)` (CF CFError.c, _CFErrorCreateLocalizedDescription:
# "The operation couldn\U2019t be completed. (%@ error %ld.)"; tests/samples/corpus/ios/bgtaskscheduler_error1_*).
BG_ERROR = re.compile(
    r"Error Domain=BGTaskSchedulerErrorDomain Code=(?P<code>\d+)|\(BGTaskSchedulerErrorDomain error (?P<code2>\d+)\.\)"
)
BG_ERROR_CODES = {1: "unavailable", 2: "too_many_pending", 3: "not_permitted", 4: "immediate_run_ineligible"}
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

# Darwin's signal numbers (xnu bsd/sys/signal.h), which differ from Linux's: 7 is SIGEMT (Linux: SIGBUS), 10 SIGBUS
# (Linux: SIGUSR1), 12 SIGSYS (collectors.parsers.kill_reasons.LINUX_SIGNALS has Linux's).
DARWIN_SIGNALS = {
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


def saved_report_path(msg: str) -> str | None:
    """osanalyticshelper's `Saved type '298(JetsamEvent)' report … at /path.ips` -> the path."""
    m = SAVED_REPORT.match(msg)
    return m["path"] if m else None


def _int_code(text: str) -> int | None:
    try:
        return int(text, 16) if text.lower().startswith("0x") else int(text)
    except ValueError:
        return None


def darwin_signal_name(n: int) -> str:
    return DARWIN_SIGNALS.get(n, f"signal-{n}")


def signal_end(reason: str) -> str:
    """The kind of a process's end by this signal (`darwin_signal_name`): SIGKILL and SIGTERM come from another
    process (a kill), any other is the process's own crash."""
    return "process_killed" if reason in ("sigkill", "sigterm") else "crash"


Found = Event | list[Event] | None  # what a rule gives: one event, several, or none


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
    # the debugger stopped the app at its memory limit (read as jetsam's kill): its exit after that is the same death
    _held_at_limit: bool = False
    _gone: set[int] = field(default_factory=set)
    _dead: set[str] = field(default_factory=set)  # names of processes whose death an event told
    _told_in_prose: set[str] = field(default_factory=set)  # debugserver's words read (a sentence may tell them again)
    _exited: set[tuple[int, str]] = field(default_factory=set)
    _xcode_killed: set[str] = field(default_factory=set)  # apps Xcode's run error said jetsam killed
    # process -> its last pid, of the Xcode console's own lines (`date time Proc[pid:tid] msg`): the debugged app
    _console_procs: dict[str, int | None] = field(default_factory=dict)
    _not_launched: set[str] = field(default_factory=set)  # apps whose launch SpringBoard said failed (SB_NOT_LAUNCHED)
    _forced: set[str] = field(default_factory=set)  # apps FrontBoard forced a crash report of (FB_FORCED_CRASH)
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
        if rec.layout == "xcode" and rec.process:
            self._console_procs[rec.process] = rec.pid
        if not SIGNATURE_MATCHER.find_matches_as_indexes(msg):
            return out  # most lines: one search in C instead of a test per signature
        for sig in SIGNATURES:
            if sig in msg:
                self.meant = True
                found = _RULE_OF[sig](self, rec, msg)
                if isinstance(found, list):
                    out.extend(found)
                elif found is not None:
                    out.append(found)
                break
        self.understood = bool(out) or self._read
        return out

    def handles(self, rec: IosRecord) -> bool:
        """Whether a rule is meant for the record's message (one of its signatures is in it)."""
        return bool(SIGNATURE_MATCHER.find_matches_as_indexes(rec.msg))

    def feed_all(self, records: Iterable[IosRecord]) -> list[Event]:
        out: list[Event] = []
        for rec in records:
            out.extend(self.feed(rec))
        return out

    # -- helpers -----------------------------------------------------------------------------
    def _event(self, rec: IosRecord, kind: str, sub: str | None = None, **fields: Any) -> Event:
        ts, offset = split_offset(rec.ts)
        if offset:
            fields["data"] = {**(fields.get("data") or {}), "utc_offset": offset}
        fields.setdefault("process", rec.process)
        fields.setdefault("pid", rec.pid)
        if "package" not in fields:
            pid = fields.get("pid")
            fields["package"] = self.bundles.get(pid) if pid is not None else None
        fields["package"] = ips.bundle_or_none(fields["package"])
        if kind in DEATH_KINDS:
            if fields.get("process"):
                self._dead.add(fields["process"])
            if fields.get("pid") is not None:
                self._gone.add(fields["pid"])  # a later line of the same end is no second death
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

    # -- the rules, one per message form (RULES below says which signatures pick each) ---------
    def _launchd_termination(self, rec: IosRecord, msg: str) -> Found:
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
            reason=f"runningboard:{darwin_signal_name(c)}",
            detail=msg,
            data={"launchd_status": [a, b, c]},
        )

    def _launchd_exit(self, rec: IosRecord, msg: str) -> Found:
        m = LAUNCHD_EXIT.match(msg)
        if m is None:
            return None
        data: dict[str, object] = {"launchd_job": m["bundle"] or m["label"]}
        if m["code"] is not None:
            kind, reason = "process_died", f"exit:{m['code']}"
        else:
            signal = m["signal"]  # "Killed: 9" (strsignal's text and the number) or "SIGKILL"
            number = re.search(r": (\d+)$", signal)
            reason = darwin_signal_name(int(number[1])) if number else signal.strip().lower()
            kind = signal_end(reason)
            if m["sender"]:
                data["sent_by"] = m["sender"]
        return self._event(
            rec,
            kind,
            "launchd",
            process=None if m["bundle"] else m["label"],
            package=m["bundle"],
            pid=int(m["pid"]) if m["pid"] else None,
            reason=reason,
            detail=msg,
            data=data,
        )

    def _springboard_not_launched(self, rec: IosRecord, msg: str) -> Found:
        m = SB_NOT_LAUNCHED.search(msg)
        if m is None:
            return None
        self._not_launched.add(m["bundle"] or m["fb_bundle"])
        self._read = True
        return None

    def _springboard_app_exited(self, rec: IosRecord, msg: str) -> Found:
        m = SB_APP_EXITED.search(msg)
        if m is None:
            return None
        if m["voluntary"] and m["bundle"] in self._not_launched:
            self._not_launched.discard(m["bundle"])  # a launch that failed: no process ended
            self._read = True
            return None
        if m["bundle"] in self._forced:
            self._forced.discard(m["bundle"])  # the end of the app FrontBoard killed: the same death
            self._read = True
            return None
        if m["voluntary"]:
            kind, reason = "process_died", "voluntary"  # as RBSProcessExitContext's "voluntary" is read
        elif m["signal"]:
            reason = darwin_signal_name(int(m["signal"]))
            kind = signal_end(reason)
        else:
            kind, reason = "crash", "signal"
        return self._event(
            rec,
            kind,
            rec.process or "SpringBoard",
            process=None,
            package=m["bundle"],
            pid=None,
            reason=reason,
            detail=msg,
        )

    def _runningboard_state(self, rec: IosRecord, msg: str) -> Found:
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

    def _killed_by_jetsam(self, rec: IosRecord, msg: str) -> Found:
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

    def _cr4shed_jetsam_words(self, rec: IosRecord, msg: str) -> Found:
        """Cr4shed's reason of a jetsam report alone on its line (CR4SHED_JETSAM_WORDS): one jetsam kill, unnamed."""
        if msg.strip(_AROUND_QUOTED_WORDS) != CR4SHED_JETSAM_WORDS:
            return None
        return self._event(
            rec, "process_killed", "cr4shed", process=None, pid=None, reason="jetsam:unknown", detail=msg.strip()
        )

    def _uncaught_exception(self, rec: IosRecord, msg: str) -> Found:
        m = UNCAUGHT_EXCEPTION.search(msg)
        if m is None:
            return None
        data = {"exception": m["name"]}
        if m["reason"]:
            data["exception_reason"] = m["reason"].rstrip("'")
        return self._event(rec, "crash", "Foundation", reason="sigabrt", detail=msg, data=data)

    def _webkit_refused(self, rec: IosRecord, msg: str) -> Found:
        return self._event(rec, "state_changed", "WebKit", reason="webkit:bgtask-refused", detail=msg)

    def _webkit_expired(self, rec: IosRecord, msg: str) -> Found:
        return self._event(rec, "state_changed", "WebKit", reason="webkit:bgtask-expired", detail=msg)

    def _system_app_died(self, rec: IosRecord, msg: str) -> Found:
        m = SYSTEM_APP_DIED.search(msg)
        if m is None:
            return None
        return self._event(
            rec, "process_died", "backboardd", process=None, pid=None, package=m["bundle"], reason=None, detail=msg
        )

    def _saved_crashreport(self, rec: IosRecord, msg: str) -> Found:
        m = SAVED_CRASHREPORT.search(msg)
        if m is None:
            return None
        if m["name"] in self._dead:
            self._read = True  # the report of a death already told (a kill's report is saved too)
            return None
        return self._event(rec, "crash", "ReportCrash", process=m["name"], pid=None, reason=None, detail=msg)

    def _assertions_removed(self, rec: IosRecord, msg: str) -> Found:
        m = RB_ASSERTIONS_REMOVED.search(msg)
        if m is None or int(m["pid"]) in self._gone:
            self._read = True  # a helper process's clean-up, or the end of a death already told
            return None
        return self._event(
            rec, "process_died", "runningboardd", process=None, package=m["bundle"], pid=int(m["pid"]), detail=msg
        )

    def _bk_gone(self, rec: IosRecord, msg: str) -> Found:
        m = BK_GONE.search(msg)
        if m is None:
            return None
        if int(m["pid"]) in self._gone:
            self._read = True  # the same death, logged again
            return None
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

    def _uikit_over_30s(self, rec: IosRecord, msg: str) -> Found:
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

    def _uikit_not_ended(self, rec: IosRecord, msg: str) -> Found:
        m = UIKIT_NOT_ENDED.search(msg)
        if m is None or (m["name"] is None and msg.rstrip().endswith(",")):
            # Cut after a comma, the message goes on (a paste hard-wrapped at a blank): not read yet, so that the
            # reader joins the next line to it (tests/ios/test_paste_forms_ios.py, hard-wrapped UIKit messages).
            return None
        return self._event(
            rec,
            "job_timeout",
            "UIKit",
            job=f"uikit:{m['no']}",
            reason="bgtask_expired",
            detail=msg,
            data=(
                {"task_name": m["name"], "elapsed_s": int(m["elapsed"]), "creation_time": int(m["created"])}
                if m["name"] is not None
                else {}
            ),
        )

    def _fb_forced_crash(self, rec: IosRecord, msg: str) -> Found:
        m = FB_FORCED_CRASH.search(msg)
        if m is None:
            return None
        desc = m["desc"] or ""
        fields: dict[str, Any] = {}
        if (failed := FB_FAILED_IN_TIME.match(desc)) is not None:
            fields["package"], reason = failed["bundle"], f"watchdog:{failed['event']}"
        elif "has active assertions beyond permitted time" in desc:
            reason = "bgtask_expired"
        elif "was suspended with locked system files" in desc:
            reason = ips.termination_reason(None, 0xDEAD10CC, "")[0] or "runningboard:0xdead10cc"
        elif " watchdog transgression: " in desc:
            reason = ips.termination_reason(None, ips.WATCHDOG_CODE, desc)[0] or "watchdog:unknown"
        else:
            reason = "frontboard:forced-crash-report"  # a description no capture here has shown
        if "package" in fields:
            self._forced.add(fields["package"])
        return self._event(
            rec,
            "process_killed",
            rec.process or "SpringBoard",
            process=m["name"].strip(),
            pid=int(m["pid"]),
            reason=reason,
            detail=msg,
            data={"forced_crash_reason": int(m["code"])} if m["code"] else {},
            **fields,
        )

    def _beyond_permitted(self, rec: IosRecord, msg: str) -> Found:
        # The process held a background assertion past its allowance: the logger (assertiond, SpringBoard) is
        # not the process, the message names it.
        m = LEGACY_ASSERTION.search(msg)
        sig = "has active assertions beyond permitted time"
        at_sig = msg.find(sig)
        named = BEYOND_PERMITTED.search(msg, max(0, at_sig - 300), at_sig + len(sig))
        data: dict[str, object] = {}
        pid = rec.pid if named is None else int(named["pid"] or named["pid2"])
        if m is not None:
            # The assertion's owner, when the message names no process: SpringBoard owns the `Suspending process`
            # assertion it takes for an app (owner pid:1557 for BT[4821], tests/samples/corpus/ios/syslog_ios4_*).
            pid = pid if named is not None else int(m["pid"])
            data = {"assertion": m["ident"], "permitted_s": float(m["permitted"]), "assertion_reason": m["reason"]}
        elif (allowance := ASSERTION_ALLOWANCE.search(msg)) is not None:
            data = {"permitted_s": float(allowance["secs"]), "assertion_reason": allowance["reason"]}
        if named is None and m is None and rec.pid is None and msg[at_sig + len(sig) :][:1] != ":":
            # The words without the ':' that leads into the list of assertions in the reports and log lines that
            # tell the kill (SpringBoard, backboardd, assertiond: every capture here), and no process named: a heading
            # or a sentence about the message (a blog post titled with it, tests/samples/corpus/ios/w4_purushukla_*).
            return None
        process = named["name"] if named is not None else rec.process
        if process is None and m is not None and (held := re.fullmatch(r"(?P<name>[^\[\]]+)\[\d+\]", m["proc"])):
            process = held["name"]  # the assertion's `process: OpenMobile[1087]` when the line names none
        fields: dict[str, Any] = {}
        if named is None and (bk := ips.BK_BEYOND_PERMITTED.search(msg)) is not None:
            # backboardd (iOS 8-10) names the holder by its BKNewProcess description: `<BKNewProcess: 0x…;
            # com.app.app; pid: 392; hostpid: -1> has active assertions beyond permitted time:`
            fields["package"], pid = bk["bundle"], int(bk["pid"])
        return self._event(
            rec,
            "process_killed",
            "assertions",
            process=process,
            pid=pid,
            reason="bgtask_expired",
            detail=msg,
            data=data,
            **fields,
        )

    def _bg_submit(self, rec: IosRecord, msg: str) -> Found:
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

    def _bg_submit_error(self, rec: IosRecord, msg: str) -> Found:
        m = BG_SUBMIT_ERROR.search(msg)
        if m is None:
            return None
        return self._event(rec, "job_stopped", "BackgroundTasks", job=m["id"], reason="submit_error", detail=msg)

    def _bg_error(self, rec: IosRecord, msg: str) -> Found:
        m = BG_ERROR.search(msg)
        if m is None:
            return None
        code = int(m["code"] or m["code2"])
        data = {"error_code": code, "error": BG_ERROR_CODES.get(code, "unknown")}
        return self._event(rec, "job_stopped", "BackgroundTasks", reason="submit_error", detail=msg, data=data)

    def _bg_launched(self, rec: IosRecord, msg: str) -> Found:
        m = LAUNCHED_FOR.search(msg)
        acts = re.findall(r"bg(?:Refresh|Processing)-[^\s:,)]+:[0-9A-Fa-f]+", m["set"]) if m else []
        return self._event(
            rec, "process_started", "BackgroundTasks", reason="bgtask_launch", detail=msg, data={"activities": acts}
        )

    def _bg_running(self, rec: IosRecord, msg: str) -> Found:
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

    def _bg_starting(self, rec: IosRecord, msg: str) -> Found:
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

    def _bg_complete(self, rec: IosRecord, msg: str) -> Found:
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

    def _bg_complete_activity(self, rec: IosRecord, msg: str) -> Found:
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

    def _bg_simulated_complete(self, rec: IosRecord, msg: str) -> Found:
        # the framework logs no success value for a simulated launch (BGTaskScheduler.mm: the completion of a
        # task without a DAS activity): the task completed, how it went is the app's to say
        m = BG_SIMULATED_COMPLETE.search(msg)
        if m is None:
            return None
        job, data = self._task(rec, m, True)
        return self._event(rec, "job_finished", "BackgroundTasks", job=job, reason="completed", detail=msg, data=data)

    def _bg_expiring(self, rec: IosRecord, msg: str) -> Found:
        m = BG_EXPIRING.search(msg)
        if m is None:
            return None
        job, data = self._task(rec, m, bool(m["sim"]))
        return self._event(rec, "job_stopped", "BackgroundTasks", job=job, reason="expired", detail=msg, data=data)

    def _lldb_simulate(self, rec: IosRecord, msg: str) -> Found:
        m = LLDB_SIMULATE.search(msg)
        if m is None:
            return None
        self._read = True
        self._simulating[""] = m["id"]  # the debugger names no process: any process's undecoded line
        return None

    def _bg_simulating(self, rec: IosRecord, msg: str) -> Found:
        m = BG_SIMULATING.search(msg)
        if m is None:
            return None
        job = self._identifier(rec, m["id"])
        if job is not None:
            self._simulating[self._proc_key(rec)] = job
        reason = "simulated_launch" if m["what"] == "launch" else "simulated_expiration"
        return self._event(rec, "trigger", "BackgroundTasks", job=job, reason=reason, detail=msg)

    def _bg_not_scheduled(self, rec: IosRecord, msg: str) -> Found:
        m = BG_NOT_SCHEDULED.search(msg)
        if m is None:
            return None
        job = self._identifier(rec, m["id"])
        return self._event(rec, "trigger", "BackgroundTasks", job=job, reason="not_submitted", detail=msg)

    def _bg_already_running(self, rec: IosRecord, msg: str) -> Found:
        m = BG_ALREADY_RUNNING.search(msg)
        if m is None:
            return None
        job = self._identifier(rec, m["id"])
        return self._event(rec, "trigger", "BackgroundTasks", job=job, reason="already_running", detail=msg)

    def _bg_not_simulated(self, rec: IosRecord, msg: str) -> Found:
        m = BG_NOT_SIMULATED.search(msg)
        if m is None:
            return None
        job = self._identifier(rec, m["id"])
        return self._event(rec, "trigger", "BackgroundTasks", job=job, reason="not_simulated", detail=msg)

    def _bg_not_permitted(self, rec: IosRecord, msg: str) -> Found:
        sig = "is not advertised in the application's Info.plist"
        at_sig = msg.find(sig)
        m = BG_NOT_PERMITTED.search(msg, max(0, at_sig - 300), at_sig + len(sig))
        return (
            self._event(rec, "job_stopped", "BackgroundTasks", job=m["id"], reason="not_in_info_plist", detail=msg)
            if m
            else None
        )

    def _dasd_submitted(self, rec: IosRecord, msg: str) -> Found:
        m = DASD_SUBMITTED.search(msg)
        if m is None:
            return None
        extra = {"priority": int(m["prio"])} if m["prio"] is not None else {}
        return self._dasd(rec, m, "job_scheduled", "accepted", msg, **extra)

    def _dasd_canceled(self, rec: IosRecord, msg: str) -> Found:
        m = DASD_CANCELED.search(msg)
        return self._dasd(rec, m, "job_stopped", "cancelled", msg) if m else None

    def _dasd_policy(self, rec: IosRecord, msg: str) -> Found:
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

    # -- what the rules share -------------------------------------------------------------------
    @staticmethod
    def _proc_key(rec: IosRecord) -> str:
        return f"{rec.process}:{rec.pid}"

    def _identifier(self, rec: IosRecord, text: str | None) -> str | None:
        """A task identifier as logged, or (undecoded) the one this process's debugger last asked for."""
        if text is None:
            return None
        if text.startswith("<"):
            return self._simulated(rec)
        return text

    def _simulated(self, rec: IosRecord) -> str | None:
        """The task this process's debugger last asked to simulate (named by the framework's line, or by the debugger
        command when it did not log one)."""
        return self._simulating.get(self._proc_key(rec)) or self._simulating.get("")

    def _task(self, rec: IosRecord, m: re.Match[str], simulated: bool) -> tuple[str | None, dict[str, object]]:
        """(identifier, data) of a task reference: the BGTask class names the kind of task."""
        data: dict[str, object] = {"simulated": simulated}
        if m["cls"]:
            data["type"] = TASK_CLASS_KIND[m["cls"]]
            if m["title"]:
                data["title"] = m["title"]
            return m["id"], data
        if m["undecoded"]:
            return (self._simulated(rec) if simulated else None), data
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
            domain, code = st["domain"] or st["domain13"], st["code"] or st["code13"]
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
                if domain.upper() in ips.SELF_NAMESPACES:
                    kind = "crash"  # the process gave the reason itself, ending (`domain:dyld(6) code:4`)
                reason = mapped or f"{domain}:{code}"
                if RB_ASSERTION_TIMEOUT.search(ctx):
                    kind, reason = "process_killed", "bgtask_expired"
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
        if DEBUGGER_WORDS_DEFINED.match(msg[m.end() :]):
            self._read = True  # a sentence about debugserver's words: no process ended here
            return None
        if self._held_at_limit:
            # Resumed from the memory-limit stop, jetsam ends it ("Terminated due to memory issue"), or Xcode's stop
            # button does (signal 9): the death the stop was read as, not a second one.
            self._held_at_limit = False
            self._read = True
            return None
        # debugserver's own words, without Xcode's or lldb's lead: how a post tells them again.
        words = m.group(0)[m.group(0).index("erminated due to ") - 1 :].capitalize()
        if msg.strip(_AROUND_QUOTED_WORDS) != m.group(0) and words in self._told_in_prose:
            # In a sentence: the same words told again there are the death already told, not another (a post names
            # it, then asks about it: tests/samples/corpus/ios/r3_blog_japanese_debugger_*; quotes Xcode's line,
            # then tells it in its steps, 'notification in XCode will appear: Terminated due to signal 9':
            # tests/samples/corpus/ios_frameworks5/mediapipeunity875_*).
            self._read = True
            return None
        # Alone on its line, as Xcode prints it, each is a run of the app that ended.
        self._told_in_prose.add(words)
        pid = int(m["pid"]) if m["pid"] else None
        process: str | None = None
        if pid is None and len(self._console_procs) == 1:
            # Xcode's console shows the output of the process it debugs (its stdout and stderr, where NSLog writes
            # `date time Proc[pid:tid] msg`): lines of one process there before the debugger's words name the app
            # that ended ('pokemon-webspoof[40083:16152817] Received memory warning.' then 'Message from debugger:
            # Terminated due to memory issue', tests/samples/corpus/ios_trial6/pokemongowebspoof148_*). Lines of
            # several processes are not an app's console alone: none is named.
            ((process, pid),) = self._console_procs.items()
        if m["memory"]:
            kind, reason = "process_killed", "jetsam:unknown"
        else:
            reason = darwin_signal_name(int(m["sig"]))
            kind = signal_end(reason)
        return self._event(rec, kind, "debugger", process=process, pid=pid, reason=reason, detail=msg)

    def _debugger_memory_limit(self, rec: IosRecord, msg: str) -> Event | None:
        """The debugged process stopped at its memory limit (lldb's EXC_RESOURCE stop reason): jetsam's kill."""
        m = DEBUGGER_MEMORY_LIMIT.search(msg)
        if m is None:
            return None
        mb = int(m["mb"] or m["mb2"])
        data = {"how": "debugger_stop_exc_resource", "limit_mb": mb}
        self._held_at_limit = True
        return self._event(
            rec,
            "process_killed",
            "debugger",
            process=None,
            pid=None,
            reason="jetsam:per-process-limit",
            detail=msg,
            data=data,
        )

    def _graceful_kill(self, rec: IosRecord, msg: str) -> Event | None:
        """FrontBoard's kill of a process that did not exit in time (GRACEFUL_KILL_LINE): the watchdog's process-exit
        kill. SpringBoard's "Process exited" for the same process after it is the same death."""
        m = GRACEFUL_KILL_LINE.search(msg)
        if m is None:
            return None
        pid, bundle = int(m["pid"]), m["bundle"]
        if pid in self._gone:
            self._read = True
            return None
        self._exited.add((pid, bundle))
        return self._event(
            rec,
            "process_killed",
            "frontboard",
            process=rec.process if rec.process not in (None, "SpringBoard", "FrontBoard") else None,
            package=bundle,
            pid=pid,
            reason="watchdog:process-exit",
            detail=msg,
            data={"code": "0x8badf00d", **({"after_s": float(m["after"])} if m["after"] else {})},
        )

    def _xcode_killed_for_memory(self, rec: IosRecord, msg: str) -> Event | None:
        """Xcode's run error for an app jetsam killed while it ran it (XCODE_KILLED_FOR_MEMORY). Xcode shows the
        error with its underlying error, the same words twice (tests/samples/corpus/ios_new5/argmax70_*): one death
        of the app however often they are told."""
        m = XCODE_KILLED_FOR_MEMORY.search(msg)
        if m is None:
            return None
        app = m["app"].strip()
        if app in self._xcode_killed:
            self._read = True
            return None
        self._xcode_killed.add(app)
        return self._event(
            rec,
            "process_killed",
            "debugger",
            process=app,
            pid=None,
            reason="jetsam:unknown",
            detail=msg,
            data={"how": "xcode_run_error_memory"},
        )

    def _debugger_message(self, rec: IosRecord, msg: str) -> Found:
        """Xcode's other notices from the debugger ("Message from debugger: Xcode has killed the LLDB RPC server to
        allow the debugger to detach from your process.", facebook/chisel#310): the debugger's own plight, no death
        of the app (its exit, "Terminated due to …", is read by the rule before). An Xcode console, nothing more."""
        self._read = True
        return None


# The rules in the order they are tried: the first signature (in this order) found in a message picks the rule
# that reads it. The signatures are also what file detection looks for.
Rule = Callable[[IosLogInterpreter, IosRecord, str], Found]
RULES: tuple[tuple[tuple[str, ...], Rule], ...] = (
    (("termination reported by launchd",), IosLogInterpreter._launchd_termination),
    (("Removing assertions for terminated process: ",), IosLogInterpreter._assertions_removed),
    (("): Service exited ",), IosLogInterpreter._launchd_exit),
    (("Application 'UIKitApplication:",), IosLogInterpreter._springboard_app_exited),
    (
        ("Unable to get pid for 'UIKitApplication:", "Bootstrapping failed for <FBApplicationProcess"),
        IosLogInterpreter._springboard_not_launched,
    ),
    (("Received termination request from ",), IosLogInterpreter._terminate_request),
    (("Process exited: ",), IosLogInterpreter._process_exited),
    (("] failed to terminate", "] Failed to terminate"), IosLogInterpreter._graceful_kill),
    (("Calculated state for ",), IosLogInterpreter._runningboard_state),
    (
        (
            "memorystatus: ",
            "exceeded mem limit: ",
            "killing_specific_process",
            "killing_top_process",
            "killing_idle_process",
            "killing_highwater_process",
        ),
        IosLogInterpreter._kernel,
    ),
    (("killed by jetsam",), IosLogInterpreter._killed_by_jetsam),
    ((CR4SHED_JETSAM_WORDS,), IosLogInterpreter._cr4shed_jetsam_words),
    (("RESOURCE_NOTIFY trigger for ",), IosLogInterpreter._resource_notify),
    (("Terminated due to ", '"terminated due to '), IosLogInterpreter._debugger_exit),
    (("RESOURCE_TYPE_MEMORY",), IosLogInterpreter._debugger_memory_limit),
    (("has been killed by the operating",), IosLogInterpreter._xcode_killed_for_memory),
    (("Message from debugger: ",), IosLogInterpreter._debugger_message),
    (("Terminating app due to uncaught exception",), IosLogInterpreter._uncaught_exception),
    (("Could not set priority of <BKNewProcess",), IosLogInterpreter._bk_gone),
    (("has died. Waiting for it to spawn again",), IosLogInterpreter._system_app_died),
    (("Saved crashreport to ",), IosLogInterpreter._saved_crashreport),
    (("was created over 30 seconds ago",), IosLogInterpreter._uikit_over_30s),
    (("Background task still not ended after expiration",), IosLogInterpreter._uikit_not_ended),
    # before the next: FrontBoard's description may say "has active assertions beyond permitted time" too
    (("Forcing crash report of <FBApplicationProcess",), IosLogInterpreter._fb_forced_crash),
    (("has active assertions beyond permitted time",), IosLogInterpreter._beyond_permitted),
    ((WEBKIT_BG_REFUSED,), IosLogInterpreter._webkit_refused),
    ((WEBKIT_BG_EXPIRED,), IosLogInterpreter._webkit_expired),
    (("submitTaskRequest: ",), IosLogInterpreter._bg_submit),
    (("Error submitting task request",), IosLogInterpreter._bg_submit_error),
    (("Application launched for activities",), IosLogInterpreter._bg_launched),
    (("Running task: ",), IosLogInterpreter._bg_running),
    (("Starting task: ", "Starting simulated task: "), IosLogInterpreter._bg_starting),
    (("complete with success: ",), IosLogInterpreter._bg_complete),
    (("Marking simulated task complete: ",), IosLogInterpreter._bg_simulated_complete),
    (("Complete task request activity: ",), IosLogInterpreter._bg_complete_activity),
    (("Expiring task: ", "Expiring simulated task: "), IosLogInterpreter._bg_expiring),
    (("has been scheduled",), IosLogInterpreter._bg_not_scheduled),
    (("Simulating launch for task", "Simulating expiration for task"), IosLogInterpreter._bg_simulating),
    (("_simulateLaunchFor", "_simulateExpirationFor"), IosLogInterpreter._lldb_simulate),
    (("is already running",), IosLogInterpreter._bg_already_running),
    (("is not currently being simulated",), IosLogInterpreter._bg_not_simulated),
    (("is not advertised in the application's Info.plist",), IosLogInterpreter._bg_not_permitted),
    (("Submitted Activity: ",), IosLogInterpreter._dasd_submitted),
    (("CANCELED: ",), IosLogInterpreter._dasd_canceled),
    (("FinalDecision: ",), IosLogInterpreter._dasd_policy),
    # last: "Error submitting task request: …, error: Error Domain=BGTaskSchedulerErrorDomain …" is read above
    (("Error Domain=BGTaskSchedulerErrorDomain", "(BGTaskSchedulerErrorDomain error "), IosLogInterpreter._bg_error),
)
SIGNATURES: tuple[str, ...] = tuple(sig for sigs, _ in RULES for sig in sigs)
_RULE_OF: dict[str, Rule] = {sig: rule for sigs, rule in RULES for sig in sigs}
SIGNATURE_MATCHER = ahocorasick_rs.AhoCorasick(list(SIGNATURES))
