"""Android log messages -> events: kills, deaths, ANRs, crashes, job time-outs, WorkManager results.

Each message form names the AOSP class (or the maker, or the library) that writes it, and the
real capture it was checked on. `LogInterpreter` is fed `LogRecord`s in order and is the same for a
live logcat stream and a file. It keeps a little state because some messages span several log lines
(`ANR in` + `PID:`/`Reason:`, `FATAL EXCEPTION` + `Process:`, a crash report's fields, WorkManager
diagnostics tables, an event-log line whose payload was wrapped onto the next line) and because a
maker's power manager may announce the force-stop that ActivityManager then logs without a cause.
After each `feed`, `understood` says whether a rule read the line (with or without an event).

`SIGNATURES` are substrings that every line yielding an event contains: file scanning uses
them as a fast pre-filter and parses only the lines they select (plus a few lines of context
after the multi-line openers in `CONTEXT_SIGNATURES`). `EVIDENCE` are words of kills, deaths, jobs,
work and makers' power managers: lines holding them are read too, and reported when no rule reads
them (`bgprobe scan --unrecognized`). `PASTE_SIGNATURES` select forms met only in pasted text (crash
reports, refused-start messages quoted alone); they are searched only in files that are not plain
logcat, because ordinary logs are full of some of them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from bgprobe.collectors.parsers.kill_reasons import (
    normalize_am_kill_reason,
    normalize_force_stop_reason,
    oem_slug,
    signal_reason,
    stopped_package,
)
from bgprobe.collectors.parsers.logcat import LogRecord
from bgprobe.reports.events import DEATH_KINDS, Event, package_of_process

# A name never starts with "[": a chat or GitHub auto-linked it ("Killing 1:[com.x/u0a1](http://com.x/u0a1) ..."), and
# the scan reads the line again unwrapped (`paste.unwrap`). Likewise in FORCE_STOP and START_PROC.
AM_KILL = re.compile(
    r"^Killing (?P<pid>\d+):(?P<proc>[^/\s\[][^/\s]*)/(?P<uid>\S+) \(adj (?P<adj>-?\d+)\): (?P<reason>.*)$"
)
# Samsung 6.x adds the adj and two numbers: "Process <proc> (pid 5400)(adj 0) has died(117,691)"; its 4.x
# (Galaxy S III) a blank before the adj: "Process <proc> (pid 32242) (adj 10) has died.".
AM_DIED = re.compile(
    r"^Process (?P<proc>\S+) \(pid (?P<pid>\d+)\)(?: ?\(adj (?P<oom_adj>-?\d+)\))? has died"
    r"(?::\s*(?P<adj>[a-z]+(?:\+\s?\d+)?)\s*(?P<state>[A-Z]+))?"
)
FORCE_STOP = re.compile(
    r"^Force stopping (?P<pkg>[^\s\[]\S*) appid=(?P<appid>\d+) user=(?P<user>-?\d+): (?P<reason>.*)$"
)
# Zygote's SIGCHLD handler (com_android_internal_os_Zygote.cpp): "Process %d exited due to signal %d (%s)" from
# Android 10 on, "Process %d exited due to signal (%d)" (number only, in parentheses) in 5.0-9 (fenix#3182).
# Dalvik's Zygote (Android 4.4 and before; dalvik/vm/native/dalvik_system_Zygote.cpp, sigchldHandler) wrote "Process %d
# terminated by signal (%d)", at D for any signal but SIGKILL (at V, rarely enabled, for that one).
ZYGOTE = re.compile(
    r"^Process (?P<pid>\d+) (?:exited (?:due to signal (?:(?P<sig>\d+) \((?P<signame>[^)]*)\)|\((?P<sig_only>\d+)\))"
    r"|cleanly \((?P<code>\d+)\))|terminated by signal \((?P<sig_dalvik>\d+)\))"
)
_TASK_COMM_MAX = 15  # TASK_COMM_LEN (16) less its NUL: a task's comm is cut to this many characters
# The kernel driver of 4.4+ kernels names the thread group too: "Killing '%s' (%d) (tgid %d), adj %hd," (kernel/common
# drivers/staging/android/lowmemorykiller.c, lowmem_scan).
# Samsung's lmkd (a One UI phone on Android 14+) writes "Reclaim" for "Kill" and the process state after the adj:
# "Reclaim 'com.samsung.android.scpm' (31960), uid 5009, oom_score_adj 915, state 19 to free 18184kB rss, 52268kB swap;
# reason: low watermark is breached and swap is low (...)" - a kill: the same pid "has died" milliseconds later and
# lmkd's process_mrelease, called only on a process it killed, follows (flutter#161070).
LMKD = re.compile(
    r"^(?:lowmemorykiller: )?(?:Kill(?:ing)?|Reclaim) '(?P<proc>[^']+)' \((?P<pid>\d+)\)(?: \(tgid (?P<tgid>\d+)\))?, "
    r"(?:uid (?P<uid>\d+), )?"
    r"(?:oom_score_adj|oom_adj|adj) (?P<adj>-?\d+)(?:, state (?P<state>\d+))?"
    r"(?:,| to free (?P<kb>\d+)kB(?: rss)?(?:, (?P<anon>\d+)kB anon rss)?"
    r"(?:, (?P<swap>\d+)kB swap)?(?:, \d+kB [a-z_]+)*)?"
    r"(?:; reason: (?P<reason>.*))?"
)
# (Later lmkd releases name more sizes after the rss, as real kills show: "to free 4445960kB rss, 3990164kB anon rss,
# 2413008kB swap, 0kB dmabuf_pss, 0kB dmabuf_rss; reason: min watermark is breached even after kill".)
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
# A paste may cut the line after its uid or its "for" (revanced-manager#2494: "... /u0a549 for ").
START_PROC = re.compile(
    r"^Start proc (?P<pid>\d+):(?P<proc>[^/\s\[][^/\s]*)/(?P<uid>\S+)(?: for(?: (?P<what>.*))?)?\s*$"
    r"|^Start proc (?P<proc_old>[^\s\[]\S*) for (?P<what_old>.*?): pid=(?P<pid_old>\d+) uid=(?P<uid_old>\d+)"
)
# "ANR in <proc> (<component>)" (AppErrors / ProcessErrorStateRecord); MediaTek's ANRManager writes "ANR in <proc>,
# time=<uptime>" (DroidPlugin#388), and a paste may mask the name ("ANR in  ***.***.***", appboy-android-sdk#80).
# A page may drop the blank before the component ("ANR in com.xx(com.xx/...Activity), time…"): a process name
# holds no parenthesis, so the name ends there (tests/samples/corpus/android_oem/mediatek_anrmanager_*_wsa.txt).
ANR_IN = re.compile(r"^ANR in\s+(?P<proc>[^\s,(]+)(?: ?\((?P<comp>[^)]*)\))?")
# InputDispatcher up to Android 10 (InputDispatcher::onANRLocked's ALOGI): "Application is not responding: %s.  It has
# been %0.1fms since event, %0.1fms since wait started.  Reason: %s", the label a window's ("Window{e77f56c u0
# com.example/com.example.MainActivity}") or its app token's ("AppWindowToken{... ActivityRecord{12f034e u0
# com.xxx/.MainActivity t4569}}}", Android 8-9 also "<token> - <window>"). ActivityManager's "ANR in" follows in a
# whole log (inputDispatchingTimedOut, then appNotResponding), so this line tells the ANR only when none follows: a
# log cut after it (maplibre/flutter-maplibre-gl#742).
INPUT_ANR = re.compile(
    r"^Application is not responding: ?(?P<label>.*?)\.\s+(?:It has been )?[\d.]+ms since event"
    r"(?:.*?Reason: (?P<reason>.*))?"
)
# ActivityManager writes its "ANR in" after the traces are dumped, seconds later: lines of other processes come between.
INPUT_ANR_LINES = 2000
# The tags that report an app's ANR: AOSP's ActivityManager, "ActivityManagerService" in some builds' system_process
# (Cactus#45), MediaTek's ANRManager (com.mediatek.anrmanager.ANRManager / com.android.server.am.ANRManager); none
# for a bare pasted line. An app's own tag saying "ANR in ..." is not a report of one.
_ANR_TAGS = frozenset({"ActivityManager", "", "ActivityManagerService", "ANRManager"})
FREEZING = re.compile(r"^(?P<verb>freezing|unfreezing) (?P<pid>\d+) (?P<proc>\S+)")
JOB_SHORT = re.compile(
    r"#(?:(?P<ns>[^:\s#]+):)?(?P<uid>u\d+[as]\d+|\d+)/(?P<job>-?\d+) (?P<pkg>[A-Za-z][\w.]*)/(?P<svc>\S+?)'?$"
)
JOB_TIMEOUT = re.compile(
    r"^(?P<what>Client timed out while executing|No response from client for (?P<cb>onStartJob|onStopJob)"
    r"|Time-out while trying to bind)"
)
# The id may be missing where a paste cut the line after "for Work" (codelab-android-workmanager#109), the
# tags where it was cut inside them (Ketch#47: "tags={ c"); a Markdown paste may bold the words before
# the id ("**Worker result FAILURE for Work** [ id=", Ketch#47).
WM_RESULT = re.compile(
    r"Worker result (?P<res>SUCCESS|RETRY|FAILURE) for Work(?:\*\*)?"
    r"(?: \[ id=(?P<id>[0-9a-fA-F-]{36})(?:, tags=\{ (?P<tags>.*?) \})?)?"
)
WM_WORK = re.compile(r"Work \[ id=(?P<id>[0-9a-fA-F-]{36}), tags=\{ (?P<tags>.*?) \} \] (?P<what>was cancelled)")
WM_THREW = re.compile(
    r"Work \[ id=(?P<id>[0-9a-fA-F-]{36}), tags=\{ (?P<tags>.*?) \} \] failed because it threw an exception/error"
)
# The Throwable WorkerWrapper logs with that line (one log entry, printed line by line under its prefix).
JAVA_THROWABLE = re.compile(r"^(?:Caused by: )?[\w$]+(?:\.[\w$]+)*\.[\w$]*(?:Exception|Error|Throwable)\b")
JAVA_TRACE = re.compile(r"^(?:\s+|at |\.\.\. \d+ more|Suppressed: )")
WM_DELAY = re.compile(r"^Delaying execution for (?P<cls>\S+) because it is being executed before schedule")
WM_STARTING = re.compile(r"^Starting work for (?P<cls>\S+)")
# WorkManager 2.8+ names the work by its WorkGenerationalId (sms-ie#187).
WM_SYSJOB = re.compile(
    r"^(?P<cb>onStartJob|onStopJob) for (?:WorkGenerationalId\(workSpecId=)?(?P<id>[0-9a-fA-F-]{36})"
)
# WorkManager before 1.0.0-alpha10 logged under its class names, without the "WM-" prefix
# (flutter_downloader#3: "D/SystemJobService(12202): onStartJob for <uuid>").
_WM_OLD_TAGS = frozenset({"WorkerWrapper", "SystemJobService"})
_WM_READ_TAGS = frozenset({"WM-WorkerWrapper", "WM-SystemJobService", "WM-DiagnosticsWrkr"})  # the rest: no event
# The words `LogInterpreter._dispatch` looks for at the start of a message, one group per rule.
_LEADS = re.compile(
    r"(?P<killing>Killing )|(?P<kill>Kill '|lowmemorykiller: Kill)|(?P<process>Process )"
    r"|(?P<force_stopping>Force stopping )|(?P<start_proc>Start proc )|(?P<anr>ANR in\s)|(?P<fatal>FATAL EXCEPTION)"
    r"|(?P<freezing>freezing |unfreezing )|(?P<no_response>No response from client|Time-out while trying to bind)"
    r"|(?P<killed_on>Killed on )"
)
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
# Android 4.1-4.3 ActivityManagerService.updateOomAdjLocked: "No longer want <proc> (pid N): hidden #N"
# (also "empty #N", "empty for Ns"); MIUI's ExtraActivityManagerService writes "No longer want <proc>
# (pid N) for more free memory" (a MIUI v5 capture, javashuo.com copy of cnblogs sadgoblin/3696471).
NO_LONGER_WANT = re.compile(
    r"^No longer want (?P<proc>\S+) \(pid (?P<pid>\d+)\)(?::\s*(?P<reason>\S.*)|\s+(?P<why>\S.*))?$"
)
# ActivityManagerService.cleanUpApplicationRecordLocked runs for every process that is gone. AOSP's
# debug line "cleanUpApplicationRecord -- <pid>" is on in Samsung and OnePlus builds; EMUI writes
# "cleanUpApplicationRecordLocked, reset pid: 9540, euid: 0" (pidcat#139) and "cleanUpApplicationRecord
# app: ProcessRecord{0 8102:<proc>/u00000}, app.bad: false, ..." (flutter_background_fetch#83).
CLEANUP_RECORD = re.compile(
    r"^cleanUpApplicationRecord(?:Locked)?(?: --|,? reset pid:) (?P<pid>\d+)"
    r"|^cleanUpApplicationRecord(?:Locked)? app: ProcessRecord\{\w+ (?P<rpid>\d+):(?P<proc>[^/\s}]+)/"
)
# A parent reporting its child's death by signal (Brevent#427: "BreventLoader: worker 7321 exited on
# signal 9").
EXITED_ON_SIGNAL = re.compile(r"(?:^|\s)(?P<pid>\d+) exited on signal (?P<sig>\d+)\b")
# Flyme's PermissionControl (Brevent#79: "Force kill process pid=24808 by AMS"); AOSP has no such line.
FORCE_KILL = re.compile(r"[Ff]orce kill process pid=(?P<pid>\d+)(?: by (?P<by>\S+))?")
# A maker's power manager announcing the force-stop ActivityManager then logs as an ordinary one
# (AdguardForAndroid#1385, OnePlus OHPD: "[BgDetect][PD] total usage 6 over thold, force stop <pkg>
# (uid 10273) level 0", then "Force stopping <pkg> ...: from pid 1370" and "Killing ...: stop <pkg>").
OEM_FORCE_STOP = re.compile(r"\bforce stop (?P<pkg>[A-Za-z][\w]*(?:\.[\w]+)+)")
OEM_CARRY_LINES = 50  # how far (in lines) that announcement names the cause of the kills that follow
# An app's uid as ActivityManager prints it, "u<user>a<n>" for app id 10000 + n (UserHandle.formatUid); isolated
# ("u0a122i142") and system uids are no app's.
_APP_UID = re.compile(r"^u\d+a(?P<app>\d+)$")
# EMUI's phone manager (HwSystemManager, ThaliTester HUAWEI-ALE-L21): "HoldService:uid:10041 pid:5895
# died"; its "BgPowerManagerService:onProcessDied uid = 10041" is the same death by uid alone.
HW_HOLD_DIED = re.compile(r"HoldService:uid:(?P<uid>\d+) pid:(?P<pid>\d+) died")
HW_ON_DIED = re.compile(r"onProcessDied uid = \d+")
# libprocessgroup kills the rest of a dying app's process group ("Killing pid 24906 in uid 10174 as
# part of process group 24808"): the app's own death is logged by ActivityManager or lmkd.
# android.os.Process.sendSignal (core/jni/android_util_Process.cpp android_os_Process_sendSignal, tag "Process"):
# ALOGI("Sending signal. PID: %d SIG: %d") before kill(pid, sig). SIG 9 from Process.killProcess ends the
# process: an app killing itself (Process.killProcess(Process.myPid())) or a process of its own uid; system_server
# sends SIG 3 (stack dump for an ANR) and 10 (heap dump) the same way, which end nothing.
# The number ends the message; text after it is the next line run on by a page that lost the newline (a quote
# of the line with Android Studio's "Lost connection to device," after it: taourl.com's, in the corpus).
SEND_SIGNAL = re.compile(r"^Sending signal\. PID: (?P<pid>\d+) SIG: (?P<sig>\d+)(?![\d.:-])")
# bionic's signal handler as a process dies of a native crash or an abort, logged by the process itself under "libc"
# (bionic/libc/bionic/debuggerd_handler / linker: "Fatal signal %d (%s), code %d (%s%s)%s in tid %d (%s), pid %d
# (%s)"; before Android 9 without the pid part, before 5 "Fatal signal %d (%s) at 0x%08x (code=%d), thread %d (%s)").
# The names in parentheses are threads' (the kernel's comm, 15 characters: "droid.bluetooth"), no package.
NATIVE_CRASH = re.compile(
    r"^Fatal signal (?P<sig>\d+) \((?P<name>SIG\w+)\)"
    r"(?:.*? in tid (?P<tid>\d+) \((?P<thread>[^()]*)\)(?:, pid (?P<pid>\d+) \((?P<main>[^()]*)\))?)?"
)
# debuggerd's tombstone header names the process of a native crash (system/core/debuggerd/libdebuggerd/tombstone.cpp,
# dump_thread_info; tombstone_proto_to_text.cpp from Android 12: "pid: %d, tid: %d, name: %s  >>> %s <<<", the process
# name read from /proc/<pid>/cmdline): logged under DEBUG, printed bare by `flutter run`. How many lines after a native
# crash whose process is unknown its header is looked for: crash_dump's two lines, the "*** ***" banner, Build
# fingerprint, Revision, ABI, Timestamp, Process uptime and Cmdline come before it, other processes' lines between
# them in a busy log, and a paste may have wrapped them. Up to Android 4.0 (debuggerd/debuggerd.c, dump_crash_banner)
# the header had no thread name: "pid: %d, tid: %d  >>> %s <<<" (bootloader.wikidot.com's Android 1.5 tombstone).
TOMBSTONE_HEADER = re.compile(r"\bpid: (?P<pid>\d+), tid: \d+(?:, name: .*?)?\s+>>>\s+(?P<proc>[^\s<>]+)\s+<<<")
TOMBSTONE_LINES = 24
# RuntimeInit's KillApplicationHandler logs FATAL EXCEPTION, then killProcess(myPid()): that SIG 9 is the
# crash's own end, already a death. How far after a crash its kill is looked for (a long stack trace lies between).
CRASH_KILL_LINES = 300
PROCESS_GROUP_KILL = re.compile(r"^Killing pid \d+ in uid \d+\b")  # a paste may cut the rest
# Android 12+ phantom processes (an app's native children, PhantomProcessRecord.java): ActivityManager's
# "Killing PhantomProcessRecord {h pid:ppid:name/uid}: <reason>" and "Process PhantomProcessRecord {...}
# died"; `dumpsys activity processes` prints "proc #21: PhantomProcessRecord {...}" then "user #0 uid=
# pid= ppid= knownSince= killed=false" (termux-app#2366): only killed=true is a kill.
_PHANTOM = r"PhantomProcessRecord \{\w+ (?P<pid>\d+):(?P<ppid>\d+):(?P<proc>[^/\s}]+)/(?P<uid>[^}\s]+)\}"
PHANTOM_KILL = re.compile(rf"^Killing {_PHANTOM}: (?P<reason>.*)$")
PHANTOM_DIED = re.compile(rf"^Process {_PHANTOM} died")
PHANTOM_DUMP = re.compile(rf"^\s*proc #\d+: {_PHANTOM}")
PHANTOM_STATE = re.compile(r"^\s*user #\d+ uid=\d+ pid=(?P<pid>\d+) ppid=\d+ .*\bkilled=(?P<killed>true|false)\b")
# evernote/android-job's PlatformJobService.onStopJob: CAT.d("Called onStopJob for %s", job), the job's
# toString being "job{id=98, finished=false, ..., class=X, tag=Y}" (android-job#402).
ANDROID_JOB_STOP = re.compile(r"^Called onStopJob for job\{id=(?P<id>-?\d+)(?P<rest>[^}]*)\}?")
# ActiveServices.scheduleServiceRestartLocked (AOSP services/core/java/com/android/server/am/ActiveServices.java):
# "Scheduling restart of crashed service " + r.shortName + " in " + r.restartDelay + "ms" (Android 12+:
# performScheduleRestartLocked adds " for " + reason, "start-requested", "connection", ...). It runs when the process
# that hosted the service is gone (killServicesLocked from the app's death clean-up, or realStartServiceLocked's
# "Application dead when creating service"): the app's process died. The same method's "Rescheduling restart of
# crashed service" (restarts already pending, moved on memory pressure) and "Not scheduling restart ... shutting
# down" tell no new death. The death is mostly told first ("has died", "Killing ...", am_proc_died), so the line is a
# death of its own only when no death of the package was read in the SERVICE_RESTART_LINES before it; one restart
# line or more per package.
SERVICE_RESTART = re.compile(
    r"^Scheduling restart of crashed service (?P<pkg>[A-Za-z][\w.]*)/(?P<svc>\S+) in (?P<ms>\d+)ms"
)
SERVICE_RESTART_LINES = 20
# ActivityThread.throwRemoteServiceException (AOSP core/java/android/app/ActivityThread.java) throws these on the
# main thread when system_server tells the app to crash (ForegroundServiceDidNotStartInTimeException,
# ...DidNotStopInTimeException, CannotPostForegroundServiceNotificationException, ...; the plain
# RemoteServiceException before Android 12): the line that names one is the app's crash, pasted alone from a crash
# reporter (App Center, ACRA) or a Studio copy without its header. The package is in its message (ServiceRecord,
# ComponentInfo).
REMOTE_SERVICE_EXCEPTION = ("android.app.RemoteServiceException$", "android.app.RemoteServiceException: ")
# ContextImpl.startServiceCommon (AOSP core/java/android/app/ContextImpl.java, Android 8+) throws
# IllegalStateException("Not allowed to start service " + service + ": " + cn.getClassName()) when ActiveServices
# refuses a background start ("app is in background uid ..."). In a log it is a line of the crash FATAL EXCEPTION
# reports, or of an exception the app caught and logged (no event: _KNOWN_NO_EVENT); pasted alone as a bare line it
# may be one the app caught too (itag#57, tests/test_android_issues4_forms.py). As the bare "Caused by:" of a trace
# it was wrapped, by ActivityThread's "Unable to start ..." as a rule (see ACTIVITY_THREAD_FAILURE): the app's crash
# (so46445265), its package the Intent's cmp=.
BG_START_THROWABLE = "Caused by: java.lang.IllegalStateException: Not allowed to start service "
# ActivityThread rethrows what an app component threw on the main thread wrapped in a RuntimeException (AOSP
# core/java/android/app/ActivityThread.java: handleReceiver's "Unable to start receiver " + component + ": " +
# e.toString(), performLaunchActivity's "Unable to start activity ", handleBindApplication's "Unable to create
# application ", handleCreateService's "Unable to create service ", handleServiceArgs' "Unable to start service ",
# ...), unless Instrumentation.onException takes it (test runners only): nothing catches it there, so the app crashed.
# Pasted alone, as the text of an issue (flutter_background_service#393), it is the crash; the package is in its
# message (cmp=, ComponentInfo).
ACTIVITY_THREAD_FAILURE = re.compile(
    r"^(?:java\.lang\.RuntimeException: )?Unable to (?:start|resume|pause|stop|destroy|create|bind to|unbind from) "
    r"(?:activity|receiver|application|service|provider|backup agent) \S.*?: [\w$]+(?:\.[\w$]+)+(?:Exception|Error)\b"
)
# A crash reporter prints the exception in its header and again over the stack trace (A-EDev/Flow#606): the
# second is no crash of its own when a crash of the same package was read within these lines.
REMOTE_SERVICE_REPORT_LINES = 30
# Refused starts (ActiveServices: "Background start not allowed: service Intent {...}"; the
# IllegalStateException "Not allowed to start service Intent {...}: app is in background uid ...")
# and other lines that are understood but are no event of their own.
# ActivityManager indents the steps of a force-stop ("  Force stopping service ServiceRecord{...}").
_KNOWN_NO_EVENT = ("Background start not allowed", "Not allowed to start service", "ANR in Window{")
_FORCE_STOP_OTHER = re.compile(r"^\s*Force stopping (?:service |u\d+:)")

# A word of each test in `LogInterpreter._dispatch` / `_dispatch_more`: a record has a rule only if its
# tag or message holds one of these (the last two in any case, compared upper-cased). Scanning uses it
# to skip unwrapping a line that holds none of them (no reading of it can have a rule), so a rule added
# to the dispatch needs its word here.
DISPATCH_WORDS: tuple[str, ...] = (
    "am_",  # event-log tags
    "killinfo",
    "WM-",
    "WorkerWrapper",
    "SystemJobService",
    "Killing ",
    "Kill '",
    "lowmemorykiller: Kill",
    "has died",
    " exited ",  # Zygote's "Process N exited", a parent's "N exited on signal S"
    "Force stopping ",
    "Start proc ",
    "ANR in",  # a blank or a tab after it (a paste may turn blanks into tabs)
    "FATAL EXCEPTION",
    "freezing ",
    "timed out while executing",
    "No response from client",
    "Time-out while trying to bind",
    "force stop ",
    "Killed on ",
    "No longer want ",
    "cleanUpApplicationRecord",
    "orce kill process pid=",
    "HwSystemManager",
    "ApplicationExitInfo(",
    "PhantomProcessRecord {",
    " killed=",
    "Called onStopJob for job{",
    "Scheduling restart of crashed service ",
    "Application is not responding",
    "Caused by: ",  # AndroidRuntime's, of a crash whose FATAL EXCEPTION was cut away (`_runtime_cause`)
    *_KNOWN_NO_EVENT,
    "Work [ id=",
    "Worker result ",
    ", PID: ",
    "Exception: ",
    "Exception ",  # Google Play Console's "Exception <throwable>:"
)
DISPATCH_WORDS_UPPER: tuple[str, ...] = ("TYPE: CRASH", "CRASH REPORT")

# Crash reports pasted without logcat prefixes. AndroidRuntime's second line alone (RuntimeInit
# LoggingHandler: "Process: <name>, PID: <pid>", ntfy#1520, or auto-linked, LogFox#188); Crashlytics
# exports ("Fatal Exception: <throwable>: <message>", geofence_service#37, intercom-android#263); a
# crash reporter's "Exception: <throwable>" (A-EDev/Flow#606), banner ("==== CRASH REPORT ====",
# ACSIDE#167) or "type: crash" header (the system report pasted in TimePlanner#87); Google Play Console's
# crash page copied ("Exception <throwable>:" with no colon after "Exception", its frames as "  at <method>
# (<File>.java:N)", then "Caused by <throwable>: <message>": Open-Vehicle-Android#210, bitkit-android#981). Fields
# that name the app follow within a few lines; the report is a crash once its throwable is seen.
PLAY_CONSOLE_EXCEPTION = "Exception "
CRASH_PROCESS = re.compile(r"^Process: (?P<proc>[^,\s]+), PID: (?P<pid>\d+)")
# A process name a paste masked, no letter or digit left ("Process: ***********, PID: 19729",
# juicycleff/flutter-unity-view-widget#752): it names no app.
_MASKED = re.compile(r"[^A-Za-z0-9]+")
CRASH_FIELD = re.compile(
    r"^(?P<key>Package|package|Package name|App package|Process|process|Pid|PID|pid)\s*[:=]\s*(?P<value>[\w.:-]+)"
)
CRASH_BANNER = re.compile(r"^[=*#~\s-]*CRASH REPORT[=*#~\s-]*$", re.IGNORECASE)
CRASH_REPORT_LINES = {"process": 8, "fatal": 8, "exception": 8, "type": 12, "banner": 24}
_PKG = r"[A-Za-z][\w]*(?:\.[A-Za-z_][\w]*)+"
# The app of InputDispatcher's window or app-token label (INPUT_ANR).
INPUT_ANR_APP = re.compile(rf"(?:Window|ActivityRecord)\{{\w+ (?:u\d+ )?(?P<pkg>{_PKG})/")
# Where an exception's message names the app, most specific first (AOSP texts: ActiveServices'
# "Unable to launch app <pkg>/<uid> for service ...", ServiceRecord/ProcessRecord toString,
# ComponentInfo, Intent "cmp=", AlarmManagerService "Caller <pkg> needs to hold ...").
PACKAGE_HINTS = tuple(
    re.compile(p)
    for p in (
        rf"Unable to launch app (?P<pkg>{_PKG})/\d+",
        rf"ServiceRecord\{{\w+ u\d+ (?P<pkg>{_PKG})/",
        rf"ProcessRecord\{{\w+ \d+:(?P<pkg>{_PKG})[:/]",
        rf"ComponentInfo\{{(?P<pkg>{_PKG})/",
        rf"\bcmp=(?P<pkg>{_PKG})/",
        rf"\bCaller (?P<pkg>{_PKG}) needs",
        # ActiveServices (12+): "startForegroundService() not allowed due to mAllowStartForeground false: service "
        # + r.shortInstanceName (`<pkg>/<class>`), also "Service.startForeground() not allowed ..."; a crash report
        # may put the "service <pkg>/..." on a line of its own (FileDownloader#1412), perhaps behind grep's prefix.
        rf"(?:^|[\s:])service (?P<pkg>{_PKG})/",
    )
)

# Substrings that select candidate lines in files (bytes, as the scanner searches raw chunks).
SIGNATURES: tuple[bytes, ...] = (
    b"Killing '",  # lmkd 8.1 / kernel lmk: before "Killing " (leftmost-first picks the earlier pattern)
    b"Killing ",
    b"Kill '",
    b"Reclaim '",  # Samsung lmkd's kill (One UI, Android 14+: see LMKD)
    b"has died",
    b"orce stop",  # ActivityManager's "Force stopping ", a maker's "force stop " (one pattern, the budget)
    b"exited due to signal",
    b"Start proc ",
    b"freezing ",
    b"ANR in",  # "ANR in <proc>", its blank perhaps a tab
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
    b"Scheduling restart of crashed",  # ActiveServices: the process of the service died ("Rescheduling": none)
    b"Killed on ",
    b"Worker result ",  # WorkManager before its "WM-" tags, or a paste that lost the tag
    b"Work [ id=",
    b"onStartJob",  # WorkManager's SystemJobService under its old tag; android-job's PlatformJobService
    b"onStopJob",
    b"No longer want ",
    b"cleanUpApplicationRecord",
    b"exited on signal",
    b"orce kill ",
    b"HwSystemManager",
    b"ApplicationExitInfo(",  # ApplicationExitInfo.toString() anywhere (an app logging its exit reasons)
    b"PhantomProcessRecord",
    b"SIG: 9",  # Process.sendSignal's "Sending signal. PID: N SIG: 9" (an upper-case word: rare in logs)
    b"Fatal signal ",  # bionic's native crash line (NATIVE_CRASH)
    b"<<<",  # debuggerd's tombstone header, ">>> <proc> <<<" (TOMBSTONE_HEADER)
    b"by signal (",  # Dalvik's Zygote, "Process N terminated by signal (S)" (ZYGOTE, Android 4.4 and before)
    b"last ANR",  # `dumpsys input`'s "Input Dispatcher State at time of last ANR:" pasted with a log
    b"Application is not responding",  # InputDispatcher's input ANR, Android 10 and before (INPUT_ANR)
)
# Words of kills, deaths, jobs, work and makers' power managers that no rule reads today: a line holding
# one is read, and listed by `scan --unrecognized` when no rule understood it. Makers' tags are from
# dontkillmyapp.com and the captures in tests/samples/corpus/android_oem. Kept short: the search of a
# plain log (SIGNATURES and EVIDENCE) stays a SIMD search only up to 64 patterns (on bench/scan_bench.py's
# 100 MB log, 67 patterns took 0.17 s more than 63; tests/test_prefilter_budget.py holds the bound), each word
# costs a little, and a word whose first bytes are common in logs costs more ("athena", OPPO's killer, made
# the search 15 % slower: "ath" is in every "path"). Pasted text (and a log with markup, HTML escapes or prose
# among its first lines), searched for the PASTE_SIGNATURES too, is past that bound: ~0.12 s more per 100 MB, on
# texts that are rarely more than a few hundred KB.
EVIDENCE: tuple[bytes, ...] = (
    b"ProcessManager",  # MIUI ProcessManager, OppoProcessManager
    b"HwPFWService",
    b"PowerGenie",
    b"AwareMem",  # Huawei iAware
    b"PowerKeeper",  # MIUI
    b"SmartPower",
    b"MARs",  # Samsung
    b"Freecess",  # Samsung's freezer
    b"PolicyCenter",  # Lenovo
    b"BackgroundManager",
    b"kill process",
    b"Kill process",
    b"killProcess",
    b"forceStop",
    b"FORCESTOP",
    b"FORCE_STOP",
    b"onProcessDied",
    b"WorkManager",
)
LAST_INPUT_ANR = "Input Dispatcher State at time of last ANR"  # `dumpsys input` (see `_last_input_anr`)
LAST_INPUT_ANR_LINES = 6  # "ANR:", Time, Window, DispatchLatency, WaitDuration, Reason (up to Android 10)
# Openers of forms met only in pasted text, and what a paste holds alone (see the module docstring).
PASTE_SIGNATURES: tuple[bytes, ...] = (
    b"Fatal Exception: ",
    b", PID: ",
    b"type: crash",
    b"CRASH REPORT",
    b"Exception: ",
    b"Background start not allowed",
    b"Not allowed to start service",
    b"Kill &#",  # lmkd's "Kill '<proc>'" in text copied from a web page that escaped its quote (&#39; or &#x27;)
    b"Exception ",  # Google Play Console's "Exception <throwable>:" (PLAY_CONSOLE_EXCEPTION)
)
# Openers of multi-line messages, and how many following lines the scanner hands over with them.
CONTEXT_LINES = 6
CONTEXT_SIGNATURES: dict[bytes, int] = {
    b"ANR in": CONTEXT_LINES,
    b"FATAL EXCEPTION": CONTEXT_LINES,
    b"Killing '": CONTEXT_LINES,
    b"Fatal signal ": TOMBSTONE_LINES,  # the tombstone header that names the crashed process
    b"PhantomProcessRecord": 1,  # a dumped record's state is on the line after it
    b"Fatal Exception: ": CRASH_REPORT_LINES["fatal"],
    b", PID: ": CRASH_REPORT_LINES["process"],
    b"type: crash": CRASH_REPORT_LINES["type"],
    b"CRASH REPORT": CRASH_REPORT_LINES["banner"],
    b"Exception: ": CRASH_REPORT_LINES["exception"],
    b"Exception ": CRASH_REPORT_LINES["exception"],
    b"last ANR": LAST_INPUT_ANR_LINES,
}
# Lines fed after WorkerWrapper's "failed because it threw" (its own stack trace not counted) that
# are searched for the "Worker result" line of that work before the exception line stands alone.
WM_THREW_LINES = 50

# Event-log tags (AOSP services/core/java/com/android/server/am/EventLogTags.logtags): kind, normalized
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
    # Android 14 added why: CachedAppOptimizer.reportUnfreeze writes (pid, processName, reason), the reason an
    # UNFREEZE_REASON_* code ("am_unfreeze: [23781,com.android.vending,6]", limxtop1989/blog's Android-command post)
    "am_unfreeze": ("state_changed", "unfrozen", (("pid", "proc", "unfreeze_reason"), ("pid", "proc"))),
}
# Fields that are numbers in every layout: a value that is not one rules the layout out.
_EVENT_INTS = frozenset(
    {"user", "pid", "uid", "adj", "proc_state", "flags", "line", "recoverable", "num_processes", "unfreeze_reason"}
)
_AM_CRASH_TAIL = {"line", "recoverable", "file", "message"}

_WM_STATE_RESULT = {"SUCCEEDED": "success", "FAILED": "failure", "CANCELLED": "cancelled"}


@dataclass(slots=True)
class _Pending:
    """A multi-line message being assembled (ANR, Java crash, lmk kill), keyed by the logging pid/tag.

    `confirm`: a pasted crash report's header is a crash only once its throwable has been seen.
    `hint`: the app an exception's message names, for a report that has no field naming it."""

    event: Event
    pid: int | None
    tag: str
    lines_left: int = CONTEXT_LINES
    confirm: bool = False
    hint: str | None = None


class _NoMatch:
    """A handler's answer when its pattern did not match the line (None: it did, and logs no event)."""


NO_MATCH = _NoMatch()
# A rule: the record and its message -> an event, None (read, no event of its own) or NO_MATCH.
_Handler = Callable[[LogRecord, str], Event | _NoMatch | None]


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


class MissedProcess(Event):
    """An event of an app's own line whose pid no process start read so far names (`mark_missed`)."""

    __slots__ = ()


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
    # A record whose message was wrapped onto the next line ("I/am_kill ( 1192): " then "[0,3034,...]").
    _wrapped: LogRecord | None = None
    # package -> (oem reason, line, announcing text): a maker's power manager announced its force-stop.
    _oem_stops: dict[str, tuple[str, int, str]] = field(default_factory=dict)
    # package -> (app id, line) of its "Force stopping" line, and process -> (package, line) learnt from the kills
    # that follow it: a process named after no package of its own ("android.process.daemon") is the stopped app's
    # when its uid is that app's (`_stopped_owner`).
    _stopping: dict[str, tuple[int, int]] = field(default_factory=dict)
    _owners: dict[str, tuple[str, int]] = field(default_factory=dict)
    # A dumped PhantomProcessRecord whose state line comes next: (its match, line).
    _phantom: tuple[re.Match[str], int] | None = None
    # pid -> line of its FATAL EXCEPTION, for CRASH_KILL_LINES: the SIG 9 that ends a crashed app is no second death.
    _crashed: dict[int, int] = field(default_factory=dict)
    # package -> line of its last death event, for SERVICE_RESTART_LINES: a restart line after it is no second death.
    _deaths: dict[str, int] = field(default_factory=dict)
    _last_death: int = -REMOTE_SERVICE_REPORT_LINES - 1  # the line of the newest of them, for `quiet`
    # package -> InputDispatcher's ANR of it and its line, told when no ActivityManager ANR of the package follows
    # within INPUT_ANR_LINES (INPUT_ANR)
    _input_anrs: dict[str, tuple[Event, int]] = field(default_factory=dict)
    # The last `handles` answer (record, handler): `feed` of that record does not dispatch again.
    _dispatched: tuple[LogRecord, _Handler | None] | None = None
    # The record the last `feed` found no rule for: `handles` of it (the scan asks it of every line no rule
    # read) says no without dispatching again. The rule a record gets depends on nothing a feed changes after
    # its dispatch, and the next feed forgets it.
    _unhandled: LogRecord | None = None
    # Whether a rule read the last line fed (with or without an event): lines that looked relevant
    # but that no rule read are what `scan --unrecognized` lists.
    understood: bool = False
    # When set, an event that found no process for its pid in `_processes` is made a `MissedProcess`
    # (a scan's second process, which starts mid-file, has them completed from the first one's map).
    mark_missed: bool = False

    # -- public ------------------------------------------------------------------------------
    def feed(self, rec: LogRecord) -> list[Event]:
        out: list[Event] = []
        self.understood = False
        self._unhandled = None
        if self._input_anrs:
            self._release_input_anrs(rec.lineno, out)
        if self._wrapped is not None:
            head, self._wrapped = self._wrapped, None
            if rec.layout == "raw" and rec.msg.strip():
                rec = replace(head, msg=rec.msg.strip())
        elif rec.layout != "raw" and rec.tag and (not rec.msg or rec.msg.isspace()):
            self._wrapped = rec  # its message is on the next line, if that line has no layout of its own
            self.understood = True
            return out
        consumed = False
        if self._pending:
            consumed = self._continue_pending(rec, out)
        if self._wm_threw:
            self._continue_wm_threw(rec, out)
        if consumed:  # a field of a multi-line record (PID:, Process:, its exception): nothing more
            self.understood = True
            return out
        msg = rec.msg if rec.layout != "raw" else rec.msg.lstrip()
        asked, self._dispatched = self._dispatched, None
        handler = asked[1] if asked is not None and asked[0] is rec else self._dispatch(rec, msg)
        if handler is not None:
            event = handler(rec, msg)
            if event is not NO_MATCH:
                self.understood = True
                if isinstance(event, Event):
                    out.append(event)
        else:
            self._unhandled = rec
        return out

    def handles(self, rec: LogRecord) -> bool:
        """Whether a rule is meant for this record's message (no state changes): for choosing among
        the readings of a pasted line. `feed` of the same record reuses the answer."""
        if rec is self._unhandled:
            self._dispatched = (rec, None)
            return False
        handler = self._dispatch(rec, rec.msg if rec.layout != "raw" else rec.msg.lstrip())
        self._dispatched = (rec, handler)
        return handler is not None

    def quiet(self, lineno: int) -> bool:
        """Whether nothing read so far can change what the lines from `lineno` on give: no multi-line
        record open, no wrapped line waiting, no recent announcement of a maker's force-stop. Two
        interpreters that are both quiet at a line, and hold the same WorkManager diagnostics section,
        read the rest alike but for `_processes` (see `missed`)."""
        if (
            self._pending
            or self._wm_threw
            or self._wrapped is not None
            or self._phantom is not None
            or self._input_anrs
        ):
            return False
        if any(lineno - line <= CRASH_KILL_LINES for line in self._crashed.values()):
            return False
        if lineno - self._last_death <= max(SERVICE_RESTART_LINES, REMOTE_SERVICE_REPORT_LINES):
            return False  # a restart line or a crash report's second throwable would read as no death here
        if any(lineno - line <= OEM_CARRY_LINES for _, line in (*self._stopping.values(), *self._owners.values())):
            return False
        return all(lineno - line > OEM_CARRY_LINES for _, line, _ in self._oem_stops.values())

    def flush(self) -> list[Event]:
        done = [e for p in self._pending if (e := self._finish(p)) is not None]
        done += [w.event for w in self._wm_threw.values()]
        done += [event for event, _ in self._input_anrs.values()]
        self._pending.clear()
        self._wm_threw.clear()
        self._input_anrs.clear()
        self._wrapped = None
        return done

    # -- dispatch ----------------------------------------------------------------------------
    def _dispatch(self, rec: LogRecord, msg: str) -> _Handler | None:
        """The rule meant for this record, or None. The rules are tried in the order below; the words a
        message may start with are told apart by one match (_LEADS), not a test each."""
        tag = rec.tag
        if tag.startswith("am_") or tag == "killinfo":
            return self._event_log
        if tag.startswith("WM-") or tag in _WM_OLD_TAGS:
            return self._workmanager
        m = _LEADS.match(msg)
        lead = m.lastgroup if m is not None else None
        if lead == "killing":
            return self._am_or_lmkd_kill
        if lead == "kill":
            return self._lmkd
        if "has died" in msg:
            return self._died
        if lead is not None:
            if lead == "process":
                if " exited " in msg:
                    return self._zygote
            elif lead == "force_stopping":
                return self._force_stop
            elif lead == "start_proc":
                return self._start_proc
            elif lead == "anr":
                if tag in _ANR_TAGS:
                    return self._anr if not msg.startswith("ANR in Window{") else self._known
            elif lead == "fatal":
                return self._fatal
            elif lead == "freezing":
                return self._freezer
            elif lead == "no_response":
                return self._job_timeout
        if "timed out while executing" in msg:
            return self._job_timeout
        if "force stop abnormal wakelock" in msg:
            return self._huawei
        if lead == "killed_on":
            return self._samsung_chimera
        return self._dispatch_more(rec, msg, tag)

    def _dispatch_more(self, rec: LogRecord, msg: str, tag: str) -> _Handler | None:
        """Makers' and libraries' forms, old releases', and what pastes hold without a log prefix."""
        if msg.startswith("No longer want "):
            return self._no_longer_want
        if msg.startswith("cleanUpApplicationRecord"):
            return self._cleanup_record
        if " exited on signal " in msg:
            return self._exited_on_signal
        if "orce kill process pid=" in msg:
            return self._force_kill
        if tag == "HwSystemManager":
            return self._hw_system_manager
        if "force stop " in msg and tag != "ActivityManager":
            return self._oem_force_stop
        if "ApplicationExitInfo(" in msg:
            return self._exit_info_text
        if "PhantomProcessRecord {" in msg or (self._phantom is not None and " killed=" in msg):
            return self._phantom_process
        if msg.startswith("Called onStopJob for job{"):
            return self._android_job_stop
        if msg.startswith("Sending signal. PID: "):
            return self._send_signal
        if msg.startswith("Fatal signal "):
            return self._native_crash
        if msg.startswith("Process ") and " terminated by signal (" in msg:
            return self._zygote  # Dalvik's (see ZYGOTE)
        if "<<<" in msg and "pid: " in msg:  # (not a `pid: N, ...` read as a bare `Tag: msg`: its message lost "pid: ")
            return self._tombstone_header
        if msg.startswith("Scheduling restart of crashed service "):
            return self._service_restart
        if msg.startswith("Application is not responding"):
            return self._input_anr
        if tag == "AndroidRuntime" and msg.startswith("Caused by: "):
            return self._runtime_cause
        if rec.layout == "raw" and msg.startswith(BG_START_THROWABLE):
            return self._crash_report
        if msg.startswith(_KNOWN_NO_EVENT) or _FORCE_STOP_OTHER.match(msg):
            return self._known
        if msg.startswith("Reclaim '"):
            return self._lmkd  # Samsung lmkd's kill (see LMKD)
        if tag == "AndroidRuntime" and msg.startswith("Process: ") and ", PID: " in msg:
            # RuntimeInit's second crash line with no "FATAL EXCEPTION" before it: a paste that began at it
            # (syncthing-android#1328, Android 15's ForegroundServiceDidNotStopInTimeException). After a FATAL
            # EXCEPTION line, that crash's own record takes this line as its field and it never comes here.
            return self._crash_report
        if (
            rec.layout != "raw"
            and msg.startswith(("java.lang.RuntimeException: Unable to ", "Unable to "))
            and ACTIVITY_THREAD_FAILURE.match(msg)
        ):
            # ActivityThread's failure logged by the app's own crash reporter ("E ACRA : java.lang.RuntimeException:
            # Unable to start service ...: java.lang.SecurityException: Starting FGS with type location ...",
            # osmeditor4android#2630): thrown on the main thread, the process dies of it. Under AndroidRuntime it
            # follows FATAL EXCEPTION, whose record takes it as its exception.
            return self._crash_report
        if rec.layout == "raw":
            if "Work [ id=" in msg or msg.startswith("Worker result "):
                return self._workmanager
            if msg.startswith(REMOTE_SERVICE_EXCEPTION) or ACTIVITY_THREAD_FAILURE.match(msg):
                return self._crash_report
            if msg.startswith("Non-fatal Exception: "):
                # Crashlytics' header of an exception the app caught and recorded itself (recordException): the
                # app went on, no crash (its "Fatal Exception: " is one; rhasspy_mobile#475).
                return self._known
            if (
                (msg.startswith("Process: ") and ", PID: " in msg)
                or msg.startswith("Fatal Exception: ")
                or (msg.startswith("Exception: ") and JAVA_THROWABLE.match(msg[11:].lstrip()))
                or (msg.startswith(PLAY_CONSOLE_EXCEPTION) and JAVA_THROWABLE.match(msg[len(PLAY_CONSOLE_EXCEPTION) :]))
                or msg.rstrip().lower() == "type: crash"
                or ("CRASH REPORT" in msg.upper() and CRASH_BANNER.match(msg))
            ):
                return self._crash_report
            if msg.startswith(LAST_INPUT_ANR):
                return self._last_input_anr
        return None

    def _event(self, rec: LogRecord, kind: str, source: str | None = None, **fields: Any) -> Event:
        event = Event(
            kind=kind,
            source=source or self.source,
            where=f"{self.where}:{rec.lineno}",  # at(self.where, rec.lineno), without a call per event
            ts=rec.ts,
            device=self.device,
            os_version=self.os_version,
            **fields,
        )
        if kind == "process_started" and event.pid is not None and event.process:
            self._processes[event.pid] = event.process
        elif kind in DEATH_KINDS and event.package is not None:
            self._deaths[event.package] = self._last_death = rec.lineno
        elif kind == "anr" and self._input_anrs and event.package is not None:
            self._input_anrs.pop(event.package, None)  # ActivityManager's ANR of the app InputDispatcher named
        elif event.package is None and event.pid is not None and event.pid == rec.pid:
            process = self._processes.get(event.pid)
            if process:  # a line the app logged itself
                event.package = package_of_process(process)
            elif self.mark_missed:
                event.__class__ = MissedProcess
        return event

    # -- system log --------------------------------------------------------------------------
    def _am_or_lmkd_kill(self, rec: LogRecord, msg: str) -> Event | _NoMatch | None:
        m = AM_KILL.match(msg)
        if m is None:
            if PROCESS_GROUP_KILL.match(msg):
                return None
            if msg.startswith("Killing PhantomProcessRecord"):
                return self._phantom_process(rec, msg)
            return self._lmkd(rec, msg)  # lmkd 8.1: "Killing 'proc' (pid), uid U, adj A"
        proc, text = m["proc"], m["reason"]
        package = self._stopped_owner(proc, m["uid"], text, rec.lineno) or package_of_process(proc)
        reason = normalize_am_kill_reason(text)
        data: dict[str, object] = {"adj": int(m["adj"]), "reason_text": text}
        if reason in ("stop_app", "force_stop"):
            reason = self._oem_cause(package, rec, data) or reason
        return self._event(
            rec,
            "process_killed",
            source=f"{self.source}:ActivityManager",
            process=proc,
            package=package,
            pid=int(m["pid"]),
            uid=m["uid"],
            reason=reason,
            detail=msg,
            data=data,
        )

    def _lmkd(self, rec: LogRecord, msg: str) -> Event | _NoMatch | None:
        m = LMKD.match(msg)
        if m is None:
            return NO_MATCH
        data: dict[str, object] = {"adj": int(m["adj"])}
        if m["kb"]:
            data["rss_kb"] = int(m["kb"])
        if m["anon"]:
            data["anon_rss_kb"] = int(m["anon"])
        if m["swap"]:
            data["swap_kb"] = int(m["swap"])
        if m["reason"]:
            data["lmkd_reason"] = m["reason"]
        if m["state"]:
            data["proc_state"] = int(m["state"])
        # The kernel driver's line (lmkd's name a uid, the driver's never do)
        kernel = (
            rec.layout == "kernel" or m["tgid"] is not None or (msg.startswith("lowmemorykiller: ") and not m["uid"])
        )
        proc = m["proc"]
        package = package_of_process(proc)
        if kernel and len(proc) >= _TASK_COMM_MAX:
            # The kernel driver names the task's comm: the last 15 characters of a longer process name
            # ("u.mzsyncservice" for com.meizu.mzsyncservice), no package.
            package, data["comm_cut"] = None, True
        event = self._event(
            rec,
            "process_killed",
            source="kernel:lowmemorykiller" if kernel else "lmkd",
            process=proc,
            package=package,
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

    def _died(self, rec: LogRecord, msg: str) -> Event | _NoMatch | None:
        m = AM_DIED.match(msg)
        if m is None:
            return NO_MATCH
        data: dict[str, object] = {k: m[k] for k in ("adj", "state") if m[k]}
        if m["oom_adj"]:
            data["oom_adj"] = int(m["oom_adj"])
        event = self._event(
            rec,
            "process_died",
            source=f"{self.source}:ActivityManager",
            process=m["proc"],
            package=self._owner(m["proc"], rec.lineno),
            pid=int(m["pid"]),
            detail=msg,
            data=data,
        )
        # A native crash of this pid still waiting for its tombstone header (`_native_crash`) is this process's.
        for p in self._pending:
            crash = p.event
            if crash.reason == "crash_native" and crash.pid == event.pid and crash.package is None:
                _name_crash(crash, m["proc"])
        return event

    def _zygote(self, rec: LogRecord, msg: str) -> Event | _NoMatch | None:
        m = ZYGOTE.match(msg)
        if m is None:
            return NO_MATCH
        number = m["sig"] or m["sig_only"] or m["sig_dalvik"]
        if number is None:
            return None  # clean exits are normal process ends, not deaths worth reporting
        sig = int(number)
        return self._event(
            rec,
            "process_died",
            source=f"{self.source}:Zygote",
            pid=int(m["pid"]),
            reason=signal_reason(sig),
            detail=msg,
            data={"signal": sig, "signal_name": m["signame"]},
        )

    def _force_stop(self, rec: LogRecord, msg: str) -> Event | _NoMatch | None:
        m = FORCE_STOP.match(msg)
        if m is None:
            # "Force stopping service ServiceRecord{...}" / "Force stopping u0: ...": parts of a force-stop
            return None if _FORCE_STOP_OTHER.match(msg) else NO_MATCH
        data: dict[str, object] = {"appid": int(m["appid"]), "user": int(m["user"]), "cause": m["reason"]}
        reason = normalize_force_stop_reason(m["reason"])
        self._remember(self._stopping, m["pkg"], (int(m["appid"]), rec.lineno), rec.lineno)
        if reason == "force_stop":
            reason = self._oem_cause(m["pkg"], rec, data) or reason
        return self._event(
            rec,
            "process_killed",
            source=f"{self.source}:ActivityManager",
            package=m["pkg"],
            process=m["pkg"],
            reason=reason,
            detail=msg,
            data=data,
        )

    def _start_proc(self, rec: LogRecord, msg: str) -> Event | _NoMatch | None:
        m = START_PROC.match(msg)
        if m is None:
            return NO_MATCH
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

    def _anr(self, rec: LogRecord, msg: str) -> Event | _NoMatch | None:
        m = ANR_IN.match(msg)
        if m is None:
            return NO_MATCH
        # A name a paste masked ("***.***.***") names no process: the ANR stands, its app unknown.
        proc = m["proc"] if _PROCESS_NAME.match(m["proc"]) else None
        data: dict[str, object] = {"component": m["comp"]} if m["comp"] else {}
        if proc is None:
            data["process_text"] = m["proc"]
        event = self._event(
            rec,
            "anr",
            source=f"{self.source}:{rec.tag or 'ActivityManager'}",
            process=proc,
            package=package_of_process(proc),
            reason="anr",
            detail=msg,
            data=data,
        )
        self._pending.append(_Pending(event, rec.pid, rec.tag))
        return None

    def _runtime_cause(self, rec: LogRecord, msg: str) -> Event | None:
        """AndroidRuntime's `Caused by: <throwable>` with no crash of its pid read before it: a crash whose FATAL
        EXCEPTION and first lines were cut away (RuntimeInit's handler logs the whole trace under AndroidRuntime, a
        caught exception's goes to System.err), as a paste of the one line that names the cause (CoenQian/jlog#25)."""
        if rec.pid is None or not JAVA_THROWABLE.match(msg):
            return None
        if self._crashed_lately(rec.pid, rec.lineno):
            return None  # a cause in the trace of the crash read before
        self._crashed_at(rec.pid, rec.lineno)
        cause = msg.removeprefix("Caused by: ").strip()
        return self._event(
            rec,
            "crash",
            source=f"{self.source}:AndroidRuntime",
            reason="java_exception",
            pid=rec.pid,
            package=_package_hint(msg),
            detail=msg,
            data={"exception": cause},
        )

    def _input_anr(self, rec: LogRecord, msg: str) -> Event | None:
        """InputDispatcher's input ANR (INPUT_ANR), held until ActivityManager's ANR of the same app is read (then it is
        that one) or the log ends. The words alone, or a label that names no app, tell nothing ActivityManager's line
        would not."""
        m = INPUT_ANR.match(msg)
        app = INPUT_ANR_APP.search(m["label"]) if m is not None else None
        if m is None or app is None:
            return None
        package = app["pkg"]
        earlier = self._input_anrs.pop(package, None)  # an earlier one of the app whose ActivityManager line never came
        data = {"window": m["label"], **({"input_reason": m["reason"].strip()} if m["reason"] else {})}
        source = f"{self.source}:{rec.tag or 'InputDispatcher'}"
        event = self._event(rec, "anr", source=source, package=package, reason="anr", detail=msg, data=data)
        self._input_anrs[package] = (event, rec.lineno)
        return earlier[0] if earlier is not None else None

    def _release_input_anrs(self, lineno: int, out: list[Event]) -> None:
        """Tells the held InputDispatcher ANRs that no ActivityManager line of their app followed in time."""
        for package, (event, line) in list(self._input_anrs.items()):
            if lineno - line > INPUT_ANR_LINES:
                del self._input_anrs[package]
                out.append(event)

    def _last_input_anr(self, rec: LogRecord, msg: str) -> None:
        """`dumpsys input`'s record of the last input ANR, kept by InputDispatcher until the next one
        (frameworks/native/services/inputflinger/dispatcher/InputDispatcher.cpp, updateLastAnrStateLocked;
        onANRLocked before Android 11): "ANR:", then "Time: %F %T" (device local time), "Reason:" and
        "Window:" - Window before Reason, with DispatchLatency and WaitDuration between them, until Android 10.
        The fields come as bare lines after this header (`_absorb`)."""
        event = self._event(rec, "anr", source="dumpsys:input", reason="anr", detail=msg.strip())
        self._pending.append(_Pending(event, rec.pid, rec.tag, lines_left=LAST_INPUT_ANR_LINES))

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
        if rec.pid is not None:
            self._crashed_at(rec.pid, rec.lineno)
        return None

    def _crashed_lately(self, pid: int, lineno: int) -> bool:
        """Whether a crash of `pid` was read within CRASH_KILL_LINES before `lineno`."""
        crashed = self._crashed.get(pid)
        return crashed is not None and lineno - crashed <= CRASH_KILL_LINES

    def _crashed_at(self, pid: int, lineno: int) -> None:
        """Remembers a crash of `pid`: the SIG 9 that ends it within CRASH_KILL_LINES is no second death."""
        if len(self._crashed) >= 64:  # bounded: only recent crashes matter
            self._crashed.pop(next(iter(self._crashed)))
        self._crashed[pid] = lineno

    def _continue_pending(self, rec: LogRecord, out: list[Event]) -> bool:
        """Feeds the record to the multi-line messages being assembled; True when one of them took it
        as one of its fields (then it is nothing else)."""
        # Continuation lines come from the same pid and tag; other processes may interleave.
        # Android Studio copies print a multi-line message once, its later lines as bare indented
        # text (no time, pid or tag): those continue the message opened just before - and so do bare
        # lines whose indentation a page collapsed (a field such as "PID: 1866" is still taken as one).
        bare = rec.layout == "raw"
        # A crash reporter's text has no log lines: a line of it that reads as `L Tag: msg` (the loosest layout,
        # "A foreground service of type dataSync did not stop within its timeout: ComponentInfo{...}" with "A" as
        # the level) is prose of the report too.
        prose = rec.layout == "level_tag"
        consumed = False
        still: list[_Pending] = []
        for p in self._pending:
            p.lines_left -= 1
            done = p.lines_left <= 0
            native = p.event.reason == "crash_native"  # its tombstone header comes from debuggerd (another pid)
            report = prose and p.event.source == "crash-report"
            if (rec.pid == p.pid and rec.tag == p.tag) or bare or native or report:
                if p.event.kind == "process_killed":
                    # lmk kills end early: the next line of the same source is either their last
                    # continuation or something else, and the kill goes out before what follows it
                    last = _absorb_lmk(p.event, rec.msg)
                    if last is None:
                        done = True
                    else:
                        consumed = True
                        done = last or done
                elif not consumed:
                    consumed = self._absorb(p, rec.msg)
                    done = done or (native and consumed)  # named: nothing more to wait for
                    crash = p.event
                    if consumed and crash.kind == "crash" and crash.pid is not None and crash.pid not in self._crashed:
                        self._crashed_at(crash.pid, rec.lineno)  # its pid known only now ("Process: <proc>, PID: N")
            if done:
                if (event := self._finish(p)) is not None:
                    out.append(event)
                    if event.kind == "crash" and event.package is not None:
                        self._deaths[event.package] = self._last_death = rec.lineno  # its package known only now
            else:
                still.append(p)
        self._pending = still
        return consumed

    @staticmethod
    def _finish(p: _Pending) -> Event | None:
        """The assembled event, or None for a pasted crash report whose throwable never came."""
        event = p.event
        if event.kind == "crash":
            if p.confirm and "exception" not in event.data:
                return None
            if event.package is None and p.hint:
                event.package = p.hint
        return event

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
    def _absorb(p: _Pending, msg: str) -> bool:
        """Adds a line to an ANR or crash being assembled; True when it was one of its fields."""
        event = p.event
        text = msg.strip()
        if event.kind == "anr":
            if event.source == "dumpsys:input":
                return _last_input_anr_field(event, text)
            if text.startswith("PID: ") and text[5:].strip().isdigit():
                event.pid = int(text[5:].strip())
                return True
            if text.startswith("Reason: "):
                event.data["anr_reason"] = text[8:]
                event.detail = f"{event.detail} — {text}"
                return True
            return False
        if event.kind != "crash":
            return False
        if event.reason == "crash_native":
            return _name_native_crash(event, text)
        if pm := CRASH_PROCESS.match(text):
            if event.process is not None or "process_text" in event.data:
                return False  # a second crash's header
            if _MASKED.fullmatch(pm["proc"]):
                event.data["process_text"] = pm["proc"]  # the pid stands, the app is unknown (as `_anr` reads it)
            else:
                event.process = pm["proc"]
                event.package = event.package or package_of_process(pm["proc"])
            event.pid = int(pm["pid"])
            return True
        if f := CRASH_FIELD.match(text):
            _crash_field(event, f["key"].lower(), f["value"])
            return True
        if re.match(r"^[\w.$]+(?:Exception|Error)\b", text):
            if "exception" not in event.data:
                event.data["exception"] = text
                event.detail = f"{event.detail} — {text}"
            p.hint = p.hint or _package_hint(text)
            return True
        if p.hint is None and event.package is None:
            p.hint = _package_hint(text)
        return False

    def _freezer(self, rec: LogRecord, msg: str) -> Event | _NoMatch | None:
        m = FREEZING.match(msg)
        if m is None:
            return NO_MATCH
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

    def _job_timeout(self, rec: LogRecord, msg: str) -> Event | _NoMatch | None:
        m = JOB_TIMEOUT.search(msg)
        if m is None:
            return NO_MATCH
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

    def _huawei(self, rec: LogRecord, msg: str) -> Event | _NoMatch | None:
        m = HUAWEI_FORCE_STOP.search(msg)
        if m is None:
            return NO_MATCH
        return self._event(
            rec,
            "process_killed",
            source=f"{self.source}:HwPFWService",
            uid=m["uid"],
            reason="oem:huawei_wakelock_over_60min",
            detail=msg,
        )

    def _samsung_chimera(self, rec: LogRecord, msg: str) -> Event | _NoMatch | None:
        m = SAMSUNG_CHIMERA.match(msg)
        if m is None:
            return NO_MATCH
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

    # -- makers, old releases, libraries -----------------------------------------------------
    def _known(self, rec: LogRecord, msg: str) -> None:
        return None

    def _no_longer_want(self, rec: LogRecord, msg: str) -> Event | _NoMatch | None:
        m = NO_LONGER_WANT.match(msg)
        if m is None:
            return NO_MATCH
        text = m["reason"] or m["why"] or ""
        # AOSP's reason follows a colon; MIUI's own wording does not ("... (pid N) for more free memory")
        reason = normalize_am_kill_reason(text) if m["reason"] else ("oem:" + oem_slug(text) if text else "unknown")
        return self._event(
            rec,
            "process_killed",
            source=f"{self.source}:{rec.tag or 'ActivityManager'}",
            process=m["proc"],
            package=package_of_process(m["proc"]),
            pid=int(m["pid"]),
            reason=reason,
            detail=msg,
            data={"reason_text": text},
        )

    def _cleanup_record(self, rec: LogRecord, msg: str) -> Event | _NoMatch | None:
        m = CLEANUP_RECORD.match(msg)
        if m is None:
            return NO_MATCH
        proc = m["proc"] if m["proc"] and _PROCESS_NAME.match(m["proc"]) else None  # "[MY_APP_PACKAGE]": redacted
        return self._event(
            rec,
            "process_died",
            source=f"{self.source}:{rec.tag or 'ActivityManager'}",
            process=proc,
            package=self._owner(proc, rec.lineno) if proc else None,
            pid=int(m["pid"] or m["rpid"]),
            detail=msg,
        )

    def _exited_on_signal(self, rec: LogRecord, msg: str) -> Event | _NoMatch | None:
        m = EXITED_ON_SIGNAL.search(msg)
        if m is None:
            return NO_MATCH
        sig = int(m["sig"])
        return self._event(
            rec,
            "process_died",
            source=f"{self.source}:{rec.tag or 'unknown'}",
            pid=int(m["pid"]),
            reason=signal_reason(sig),
            detail=msg,
            data={"signal": sig},
        )

    def _force_kill(self, rec: LogRecord, msg: str) -> Event | _NoMatch | None:
        m = FORCE_KILL.search(msg)
        if m is None:
            return NO_MATCH
        return self._event(
            rec,
            "process_killed",
            source=f"{self.source}:{rec.tag or 'unknown'}",
            pid=int(m["pid"]),
            reason="oem:" + (oem_slug(rec.tag) if rec.tag else "force_kill"),
            detail=msg,
            data={"by": m["by"]} if m["by"] else {},
        )

    def _hw_system_manager(self, rec: LogRecord, msg: str) -> Event | _NoMatch | None:
        if m := HW_HOLD_DIED.search(msg):
            return self._event(
                rec,
                "process_died",
                source=f"{self.source}:HwSystemManager",
                pid=int(m["pid"]),
                uid=m["uid"],
                detail=msg,
            )
        return None if HW_ON_DIED.search(msg) else NO_MATCH

    def _oem_force_stop(self, rec: LogRecord, msg: str) -> Event | _NoMatch | None:
        m = OEM_FORCE_STOP.search(msg)
        if m is None:
            return NO_MATCH
        stops = self._oem_stops
        if len(stops) > 64:  # announcements nothing followed: forget the stale ones
            for pkg in [p for p, (_, line, _) in stops.items() if rec.lineno - line > OEM_CARRY_LINES]:
                del stops[pkg]
        stops[m["pkg"]] = ("oem:" + (oem_slug(rec.tag) if rec.tag else "force_stop"), rec.lineno, msg.strip())
        return None

    def _stopped_owner(self, proc: str, uid: str, text: str, lineno: int) -> str | None:
        """The app a force-stop's kill belongs to when its process is named after no package of it: the one the
        kill text stops ("stop <pkg>..."), when the process runs under that app's uid as its "Force stopping <pkg>
        appid=N" line just before gives it. A force-stop also kills other apps' processes that load the stopped
        package's code (ProcessList.killPackageProcessesLocked: pkgDeps), under their own uids: those stay theirs.
        EMUI's daemon process of lcodecorex/KeepAlive#4: "Killing 14536:android.process.daemon/u0a16 (adj 500):
        stop com.boolbird.keepalivefrom pid 14714by app" after "Force stopping com.boolbird.keepalive appid=10016"."""
        if not self._stopping:
            return None
        stopped = stopped_package(text)
        if stopped is None or stopped == proc or proc.startswith(stopped + ":"):
            return None
        hit = self._stopping.get(stopped)
        uid_match = _APP_UID.match(uid)
        if hit is None or uid_match is None or not 0 <= lineno - hit[1] <= OEM_CARRY_LINES:
            return None
        if 10000 + int(uid_match["app"]) != hit[0]:
            return None
        self._remember(self._owners, proc, (stopped, lineno), lineno)
        return stopped

    def _owner(self, proc: str, lineno: int) -> str | None:
        """The package of a process: the stopped app's, for a process `_stopped_owner` gave it just before."""
        hit = self._owners.get(proc)
        if hit is not None and 0 <= lineno - hit[1] <= OEM_CARRY_LINES:
            return hit[0]
        return package_of_process(proc)

    @staticmethod
    def _remember(table: dict[str, Any], key: str, value: Any, lineno: int) -> None:
        if len(table) > 64:  # what no line of the next ones refers to: forget the stale ones
            for stale in [k for k, v in table.items() if lineno - v[-1] > OEM_CARRY_LINES]:
                del table[stale]
        table[key] = value

    def _oem_cause(self, package: str | None, rec: LogRecord, data: dict[str, object]) -> str | None:
        """The maker's reason for a force-stop of `package` announced just before, if any."""
        if not package:
            return None
        hit = self._oem_stops.pop(package, None)
        if hit is None:
            return None
        reason, line, text = hit
        if not 0 <= rec.lineno - line <= OEM_CARRY_LINES:
            return None
        self._oem_stops[package] = hit  # the force-stop and its kills all carry it
        data["oem_cause"] = text
        return reason

    def _phantom_process(self, rec: LogRecord, msg: str) -> Event | _NoMatch | None:
        dumped, self._phantom = self._phantom, None
        if m := PHANTOM_DUMP.match(msg):
            self._phantom = (m, rec.lineno)
            return None
        if (s := PHANTOM_STATE.match(msg)) and dumped is not None:
            m, line = dumped
            if rec.lineno != line + 1 or s["pid"] != m["pid"]:
                return NO_MATCH
            if s["killed"] == "false":
                return None
            kind, source, reason, text = "process_killed", "dumpsys:activity", "phantom_process", msg.strip()
        elif m := PHANTOM_KILL.match(msg):
            kind, source, text = "process_killed", f"{self.source}:{rec.tag or 'ActivityManager'}", m["reason"]
            reason = normalize_am_kill_reason(text)
        elif m := PHANTOM_DIED.match(msg):
            kind, source, reason, text = "process_died", f"{self.source}:{rec.tag or 'ActivityManager'}", None, ""
        else:
            return NO_MATCH
        return self._event(
            rec,
            kind,
            source=source,
            process=m["proc"],
            pid=int(m["pid"]),
            uid=m["uid"],
            reason=reason,
            detail=msg.strip(),
            data={"ppid": int(m["ppid"]), "phantom": True, **({"reason_text": text} if text else {})},
        )

    def _send_signal(self, rec: LogRecord, msg: str) -> Event | _NoMatch | None:
        m = SEND_SIGNAL.match(msg)
        if m is None:
            return NO_MATCH
        pid, sig = int(m["pid"]), int(m["sig"])
        if sig != 9:
            return None  # SIGQUIT / SIGUSR1 dumps: the process lives on
        crashed = self._crashed.pop(pid, None)
        if crashed is not None and rec.lineno - crashed <= CRASH_KILL_LINES:
            return None  # the end of a crash already reported
        return self._event(
            rec,
            "process_died",
            source=f"{self.source}:Process",
            pid=pid,
            reason=signal_reason(sig),
            detail=msg,
            data={"signal": sig, "by_pid": rec.pid, "by_itself": rec.pid == pid},
        )

    def _native_crash(self, rec: LogRecord, msg: str) -> Event | _NoMatch | None:
        """A native crash or abort as the dying process logs it (NATIVE_CRASH): exit-info's REASON_CRASH_NATIVE. Its
        package is the one a Studio copy's column names, or that of the pid's process start when one was read (the
        names on the line are threads')."""
        m = NATIVE_CRASH.match(msg)
        if m is None:
            return NO_MATCH
        data: dict[str, object] = {"signal": m["name"].lower()}
        if m["thread"] is not None:
            data["thread"] = m["thread"]
        if m["main"] is not None:
            data["process_text"] = m["main"]
        pid = int(m["pid"]) if m["pid"] else rec.pid
        if pid is not None:
            self._crashed_at(pid, rec.lineno)
        event = self._event(
            rec,
            "crash",
            source=f"{self.source}:{rec.tag or 'libc'}",
            package=rec.package if pid == rec.pid else None,
            pid=pid,
            reason="crash_native",
            detail=msg,
            data=data,
        )
        if event.package is None and pid is not None:
            # The tombstone header that follows names its process (TOMBSTONE_HEADER): held until it comes.
            self._pending.append(_Pending(event, pid, "", lines_left=TOMBSTONE_LINES))
            return None
        return event

    def _tombstone_header(self, rec: LogRecord, msg: str) -> Event | _NoMatch | None:
        """debuggerd's tombstone header (TOMBSTONE_HEADER) with no crash of its pid read before: the native crash of
        that process, as Unity's own crash handler logs it under the tag CRASH with no libc line
        (azesmway/react-native-unity#34). A crash read before (libc's line, FATAL EXCEPTION) is the same one."""
        m = TOMBSTONE_HEADER.search(msg)
        if m is None:
            return NO_MATCH
        pid = int(m["pid"])
        if self._crashed_lately(pid, rec.lineno):
            return None
        self._crashed_at(pid, rec.lineno)
        proc = m["proc"] if _PROCESS_NAME.match(m["proc"]) or _NATIVE_PATH.match(m["proc"]) else None
        return self._event(
            rec,
            "crash",
            source=f"{self.source}:{rec.tag or 'debuggerd'}",
            process=proc,
            package=package_of_process(proc) if proc and not proc.startswith("/") else None,
            pid=pid,
            reason="crash_native",
            detail=msg.strip(),
        )

    def _exit_info_text(self, rec: LogRecord, msg: str) -> Event | _NoMatch | None:
        from bgprobe.collectors.parsers.exitinfo import event_from_tostring

        event = event_from_tostring(msg, self.where, rec.lineno)
        if event is None:
            return NO_MATCH
        event.device, event.os_version = self.device, self.os_version
        return event

    def _android_job_stop(self, rec: LogRecord, msg: str) -> Event | _NoMatch | None:
        m = ANDROID_JOB_STOP.match(msg)
        if m is None:
            return NO_MATCH
        fields = dict(re.findall(r"(\w+)=([^,}]*)", m["rest"]))
        data: dict[str, object] = {"scheduler": "android-job"}
        for key in ("class", "tag", "periodic", "canceled"):
            if key in fields:
                data[key] = fields[key].strip()
        return self._event(
            rec,
            "job_stopped",
            source=f"{self.source}:{rec.tag or 'PlatformJobService'}",
            package=rec.package,
            pid=rec.pid,
            job=m["id"],
            reason="stopped_by_system",  # JobService.onStopJob: the system stopped the running job
            detail=msg,
            data=data,
        )

    def _service_restart(self, rec: LogRecord, msg: str) -> Event | _NoMatch | None:
        m = SERVICE_RESTART.match(msg)
        if m is None:
            return NO_MATCH
        last = self._deaths.get(m["pkg"])
        if last is not None and rec.lineno - last <= SERVICE_RESTART_LINES:
            return None  # the death this restart follows was read already
        return self._event(
            rec,
            "process_died",
            source=f"{self.source}:ActivityManager",
            package=m["pkg"],
            detail=msg,
            data={"service": f"{m['pkg']}/{m['svc']}", "restart_delay_ms": int(m["ms"])},
        )

    def _crash_report(self, rec: LogRecord, msg: str) -> Event | _NoMatch | None:
        """A crash pasted without logcat prefixes (see CRASH_PROCESS): assembled like FATAL EXCEPTION."""
        text = msg.strip()
        fields: dict[str, object] = {}
        data: dict[str, object] = {}
        confirm, hint = True, None
        if pm := CRASH_PROCESS.match(text):
            kind, source = "process", f"{self.source}:AndroidRuntime"
            fields = {"process": pm["proc"], "package": package_of_process(pm["proc"]), "pid": int(pm["pid"])}
            if _MASKED.fullmatch(pm["proc"]):
                fields.update(process=None, package=None)
                data["process_text"] = pm["proc"]
            # A page that ran Studio's continuation lines together keeps the throwable on this line, after blanks
            # ("Process: com.google.wear.watchface.runtime, PID: 29115      android.content.res.Resources$Not…"):
            # the report's throwable is then seen here.
            if JAVA_THROWABLE.match(rest := text[pm.end() :].strip()):
                data["exception"] = rest
                text = f"{text[: pm.end()]} — {rest}"
        elif text.startswith(("Fatal Exception: ", "Exception: ")):
            kind, source = ("fatal" if text.startswith("Fatal") else "exception"), "crash-report"
            data["exception"] = text.partition(": ")[2].strip()
            confirm, hint = False, _package_hint(text)
        elif text.startswith(PLAY_CONSOLE_EXCEPTION) and JAVA_THROWABLE.match(
            thrown := text[len(PLAY_CONSOLE_EXCEPTION) :]
        ):
            kind, source = "exception", "crash-report"
            data["exception"] = thrown.rstrip(":").strip()
            confirm, hint = False, _package_hint(text)
        elif (
            text.startswith(REMOTE_SERVICE_EXCEPTION)
            or ACTIVITY_THREAD_FAILURE.match(text)
            or (rec.layout == "raw" and text.startswith(BG_START_THROWABLE))
        ):
            hint = _package_hint(text)
            last = self._deaths.get(hint) if hint else None
            if last is not None and rec.lineno - last <= REMOTE_SERVICE_REPORT_LINES:
                return None  # the stack trace of a crash report read just before (its "Exception: ..." header)
            if any(p.event.kind == "crash" for p in self._pending):
                return None  # the message of a crash being read ("Fatal Exception: java.lang.RuntimeException" above)
            kind, source = "exception", "crash-report"
            data["exception"] = text
            confirm = False
            if rec.layout != "raw" and rec.pid is not None:
                fields["pid"] = rec.pid  # a log line of the crashed process itself (its crash reporter's)
        elif text.lower() == "type: crash":
            kind, source = "type", "crash-report"
        elif CRASH_BANNER.match(text):
            kind, source = "banner", "crash-report"
        else:
            return NO_MATCH
        event = self._event(rec, "crash", source=source, reason="java_exception", detail=text, data=data, **fields)
        self._pending.append(
            _Pending(event, rec.pid, rec.tag, lines_left=CRASH_REPORT_LINES[kind], confirm=confirm, hint=hint)
        )
        return None

    # -- WorkManager -------------------------------------------------------------------------
    def _workmanager(self, rec: LogRecord, msg: str) -> Event | _NoMatch | None:
        # Old releases' tags have no "WM-"; a line pasted without its prefix is WorkerWrapper's.
        raw_tag = rec.tag or "WorkerWrapper"
        tag = raw_tag if raw_tag.startswith("WM-") else f"WM-{raw_tag}"
        if tag not in _WM_READ_TAGS:
            return None  # WM-Processor, WM-GreedyScheduler, ...: WorkManager's, no event of ours

        def event(kind: str, **fields: object) -> Event:  # every WM line comes from the app's own pid
            return self._event(
                rec, kind, source=f"{self.source}:{raw_tag}", package=rec.package, pid=rec.pid, detail=msg, **fields
            )

        if tag == "WM-WorkerWrapper":
            # Each search only where its pattern's words are (most lines are none of the three forms).
            if "Worker result " in msg and (r := WM_RESULT.search(msg)):
                work = r["id"].lower() if r["id"] else None
                data = _wm_tags(r["tags"]) if r["tags"] is not None else {}
                result = event("work_result", job=work, reason=r["res"].lower(), data=data)
                threw = self._wm_threw.pop((rec.pid, work), None) if work else None
                if threw is not None:  # the same failure, told twice: one event, with the exception
                    _merge_threw(result, threw.event)
                return result
            if " failed because it threw " in msg and (t := WM_THREW.search(msg)):
                work = t["id"].lower()
                failed = event("work_result", job=work, reason="failure", data=_wm_tags(t["tags"]))
                failed.data["threw"] = True
                old = self._wm_threw.pop((rec.pid, work), None)
                if old is not None:  # a second attempt of the same work before any result: the first stands
                    self._wm_threw[(rec.pid, work)] = _WorkThrew(failed, rec.pid, rec.tag)
                    return old.event
                self._wm_threw[(rec.pid, work)] = _WorkThrew(failed, rec.pid, rec.tag)
                return None
            if "] was cancelled" in msg and (c := WM_WORK.search(msg)):
                return event("work_result", job=c["id"].lower(), reason="cancelled", data=_wm_tags(c["tags"]))
            if d := WM_DELAY.match(msg):
                return event("work_result", reason="skipped_before_schedule", data={"worker": d["cls"]})
            if s := WM_STARTING.match(msg):
                return event("job_started", data={"worker": s["cls"], "scheduler": "workmanager"})
            return None if rec.tag else NO_MATCH
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
    def _event_log(self, rec: LogRecord, msg: str) -> Event | _NoMatch | None:
        m = EVENT_LOG.match(msg.strip())
        if m is None:
            return NO_MATCH
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
                return NO_MATCH  # no known layout of this tag fits: not ours to guess at
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
            return NO_MATCH  # a truncated or foreign event line: not ours to guess at

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


def _absorb_lmk(event: Event, msg: str) -> bool | None:
    """Adds a continuation line of a multi-line lmk kill to its event; True once the message is over
    (its last line), None for a line of the same source that does not continue it (over too)."""
    m = LMK_MORE.match(msg)
    if m is None:
        return None
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


_PROCESS_NAME = re.compile(r"^[A-Za-z][\w.]*(?::[\w.]+)?$")
# A native daemon's command line as a tombstone header names it ("/system/bin/mediaserver"): its process, no package.
_NATIVE_PATH = re.compile(r"^(?:/[\w.+-]+)+$")


def _name_native_crash(event: Event, text: str) -> bool:
    """Names a native crash's process from its tombstone header (TOMBSTONE_HEADER) when the line is that header of the
    crash's pid; True when it was."""
    m = TOMBSTONE_HEADER.search(text) if "<<<" in text else None
    if m is None or int(m["pid"]) != event.pid:
        return False
    if _PROCESS_NAME.match(m["proc"]):  # (not debuggerd's "UNKNOWN" of an unreadable cmdline: no package in that)
        _name_crash(event, m["proc"])
    return True


def _name_crash(event: Event, process: str) -> None:
    if type(event) is MissedProcess:
        # named here, not by the process starts another part of the scan read (the class `_event` gave it)
        event.__class__ = Event  # type: ignore[assignment]
    event.process = process
    event.package = package_of_process(process)


# An app's window or activity in InputDispatcher's window label: "ActivityRecord{4248 u0 com.htc.camera/.CameraEntry
# t23}" (inside an AppWindowToken{...} until Android 10), "8e1f2a3 com.example/com.example.MainActivity (server)".
_WINDOW_COMPONENT = re.compile(r"(?:^|[\s{])(?P<pkg>[A-Za-z]\w*(?:\.\w+)+)/[\w.$]+")
_LOCAL_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")


def _last_input_anr_field(event: Event, text: str) -> bool:
    """Adds a field of `dumpsys input`'s last-ANR record (`_last_input_anr`); True when the line was one."""
    key, _, value = text.partition(": ")
    if text == "ANR:" or key in ("DispatchLatency", "WaitDuration"):
        return True
    if key == "Time" and _LOCAL_TIME.match(value):
        event.ts = value.replace(" ", "T")
        return True
    if key == "Window":
        event.data["window"] = value
        if m := _WINDOW_COMPONENT.search(value):
            event.package = event.process = m["pkg"]
        return True
    if key == "Reason":
        event.data["anr_reason"] = value
        event.detail = f"{event.detail} — {text}"
        return True
    return False


def _crash_field(event: Event, key: str, value: str) -> None:
    """A crash report's `Package:` / `process:` / `Pid:` field (the first of each wins)."""
    if key in ("package", "package name", "app package"):
        pkg = value.split(":", 1)[0].rstrip(",.")  # "ru.aleshin.timeplanner:27": the version code follows
        if event.package is None and _PROCESS_NAME.match(pkg):
            event.package = pkg
    elif key == "process":
        proc = value.rstrip(",.")
        if event.process is None and _PROCESS_NAME.match(proc):
            event.process = proc
            event.package = event.package or package_of_process(proc)
    elif key == "pid" and value.isdigit() and event.pid is None:
        event.pid = int(value)


def _package_hint(text: str) -> str | None:
    for pattern in PACKAGE_HINTS:
        if m := pattern.search(text):
            return m["pkg"]
    return None


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
