"""iOS crash and jetsam reports (`.ips`, legacy `.crash` text) -> events.

Layouts (docs/ios-commands.md; samples in tests/samples/ios/ and tests/samples/ios_field/):
- `.ips` (iOS 15+): a one-line JSON header (`bug_type`, `timestamp`, `os_version`, …) then a JSON body.
  bug_type 298 = JetsamEvent: every entry of `processes` that has a `reason` was killed
  (`per-process-limit`, `vm-pageshortage`, …); its footprint is `rpages × memoryStatus.pageSize`.
  309/308/409 = crash / system watchdog: `termination` {code, namespace, reasons}; 0x8badf00d
  (2343432205) is the watchdog, its event (`scene-create`, `scene-update`, …) named in the reasons.
- the legacy text report: `Exception Type:`, `Termination Reason: Namespace SPRINGBOARD, Code 0x8badf00d`
  or `Termination Reason: FRONTBOARD 2343432205` + `<RBSTerminateContext| … explanation:… >`,
  `Termination Description: SPRINGBOARD, scene-create watchdog transgression: …`;
- before iOS 15 (bug_type 109): the one-line JSON header followed by the legacy text report; a header
  pretty-printed over several lines (as pasted into bug reports) is accepted too;
- resource reports (`Data Source: Microstackshots`, `Event: cpu usage`, `Action taken: Process killed`):
  `resource:cpu` (`resource:wakeups`, …);
- fragments of either (a `"termination" : {…}` line, a single `processes` entry, one cut before its opening
  brace): what can be read is. Prose before the report, and fields run together on one line (a forum lost
  the line breaks) are read too.

Normalized reasons: `jetsam:<xnu kill cause>`, `watchdog:<event>`, `runningboard:<code>` for other
RunningBoard/FrontBoard terminations, and the lower-case signal for ordinary crashes.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bgprobe.collectors.parsers import NumberedLines, at
from bgprobe.reports.events import Event

# JSON as a report's text is decoded: a paste whose runs of blanks became tabs (an editor's, a chat's) leaves a tab
# inside a string ("\"Thermal Level:\t 0\""), which strict JSON refuses; the text is the report all the same.
_JSON = json.JSONDecoder(strict=False)
WATCHDOG_CODE = 0x8BADF00D
_KNOWN_CODES = {
    0xDEAD10CC: "runningboard:file-lock-while-suspended",
    0xC00010FF: "runningboard:thermal",
    0xBAADCA11: "runningboard:voip-no-callkit",
    0xBAD22222: "runningboard:voip-too-frequent",
    0x2BAD45EC: "runningboard:security-violation",
    0xDEADFA11: "runningboard:force-quit",
    # A background task, background URLSession or background fetch that did not complete in time
    # (developer.apple.com/documentation/xcode/sigkill: 0x2182bad2, 0x2182bad3, 0x2182bad4).
    0x2182BAD2: "bgtask_expired",
    0x2182BAD3: "bgtask_expired",
    0x2182BAD4: "bgtask_expired",
    # watchOS 3.1's background refresh violations (its release notes, quoted in
    # tests/samples/corpus/ios/crash_header_watchos3_c51bad03_*): 0xc51bad01 too much CPU time, 0xc51bad02 too much
    # wall time, 0xc51bad03 "may not have had sufficient runtime to complete the task".
    0xC51BAD01: "resource:cpu",
    0xC51BAD02: "bgtask_expired",
    0xC51BAD03: "bgtask_expired",
}
# The bundle may be empty as printed, `application<>:38090` (tests/samples/corpus/ios/crash_header_*_empty_bundle_*):
# the pid is still the process's.
# A copy may break the line after "transgression:" (a Markdown paste whose lines end in two blanks, a hard line
# break: tests/samples/corpus/ios_frameworks5/macios20769_*): the identity is on the next line (or the one after,
# double-spaced).
EXPLANATION = re.compile(
    r"(?P<event>[\w-]+) watchdog transgression:(?:[ \t]{0,8}\n){0,2}[ \t]{0,8}"
    r"(?:(?:application|app)<(?P<bundle>[^<>()]*)(?:\([^()]*\))?>:(?P<pid>\d+)"
    r"|(?P<name>\S+)) (?:exhausted (?P<clock>real \(wall clock\) time|CPU time) allowance of (?P<allowance>[\d.]+)"
    r" seconds|is (?P<stuck>stuck) \((?P<why>[\w ]{1,32})\))"
)
# iOS 26 says why instead when the app's main thread waits on a lock: `scene-update watchdog transgression:
# app<bundle>:pid is stuck (deadlock)` (0x8badf00d all the same; reports of 2026 quote it: tests/samples/corpus/
# ios_new5/clipkeyboard446_*). Quoted on its own line with its RBSTerminateContext label, `explanation: …`, it is the
# termination's description, with the line after it when a wrap put the rest there.
EXPLANATION_LINE = re.compile(
    r"^[ \t]*explanation:[ \t]*(?P<value>[\w-]+ watchdog transgression:(?:[ \t][^\n]*)?)$(?:\n(?P<rest>[^\n]*))?", re.M
)
# OS_REASON namespaces (xnu bsd/sys/reason.h) of reasons a process gives for its own end, with abort_with_reason() or
# abort_with_payload(): dyld when a library or a symbol is missing at launch, libxpc, the Objective-C runtime. An
# exit with such a reason is the process's crash, not a kill (tests/samples/corpus/ios/console_reordered_columns_*).
SELF_NAMESPACES = frozenset({"DYLD", "LIBXPC", "OBJC"})
WATCHDOG_EVENT = re.compile(r"WatchdogEvent: (?P<event>[\w-]+)")
# The explanation cut short after its event (`explanation:scene-update watchdog transg`, where a quoted report ends:
# tests/samples/corpus/ios_frameworks5/unity1073_*): the event word still names the watchdog.
WATCHDOG_EXPLANATION_CUT = re.compile(
    r"(?:explanation:|(?:SPRINGBOARD|FRONTBOARD), )(?P<event>[a-z][\w-]{0,40}) watchdog\b"
)
# FrontBoard (iOS 14+) kills a process that has not exited 5 s after it was asked to: FBProcess's graceful-kill
# timer logs "%@ Failed to terminate gracefully after %.1fs" and that text becomes the 0x8badf00d explanation
# (FrontBoard -[FBProcess _terminateWithRequest:…] performGracefulKill; the same budget SpringBoard's reports
# called a "process-exit watchdog transgression", tests/samples/corpus/ios/crash_header_process_exit_watchdog_*).
# iOS 16 wrote it with a small f, under a WatchdogEvent line (tests/samples/corpus/ios/crash_header_*_lowercase_*).
GRACEFUL_KILL = re.compile(r"[Ff]ailed to terminate gracefully after [\d.]+s")
# The termination as an RBSTerminateContext description on its own, first on its line or after a label: how
# MetricKit's MXCrashDiagnostic.terminationReason carries it ("<RBSTerminateContext| domain:10 code:0x8BADF00D
# explanation:… >", rendered as "Termination reason: <RBSTerminateContext| …" in
# tests/samples/corpus/ios/metrickit_rbsterminatecontext_*). domain is the xnu OS_REASON namespace number
# (bsd/sys/reason.h). Not a log line: those say "… with context <RBSTerminateContext| …" mid-message.
# The first of a report's termination reasons as a JSON array printed one string a line (`jq` prints it so, and a
# script's flattened .ips dump under 'termination.reasons|': tests/samples/corpus/ios_new5/earshot_findings_*) opens
# with the string's quote: `  "<RBSTerminateContext| domain:10 code:0x8BADF00D explanation:…",`.
RBS_CONTEXT = re.compile(r"<RBSTerminateContext\| domain:(?P<domain>\d+) code:(?P<code>0x[0-9A-Fa-f]+|\d+)")
RBS_CONTEXT_LEAD = re.compile(
    r'^(?:[A-Za-z][\w ]{0,40}:\s*|[ \t]{0,16}")?<RBSTerminateContext\| domain:\d+ code:', re.M
)
ANALYTICS_FIELD = re.compile(r'^\s*"\w+" : \S', re.M)
APP_IDENTITY = re.compile(r"(?:application|app)<(?P<bundle>[^<>()]+)(?:\([^()]*\))?>:(?P<pid>\d+)")
# The value is stripped in code: a lazy value before `\s*$` is quadratic on a line with a long run of blanks.
TEXT_FIELD = re.compile(r"^(?P<key>[A-Z][A-Za-z /]{0,40}?):\s+(?P<value>.*)$")
# `Process:             Runner [18851]`; an app without a display name has none (`Process:              [758]`,
# tests/samples/corpus/ios/ips_bug109_empty_app_name_*): the pid alone, the Identifier then names it.
PROCESS_FIELD = re.compile(r"^(?:(?P<name>.+?) )?\[(?P<pid>\d+)\]$")
# The namespace may be printed empty (`Namespace  , Code 0x8badf00d`, an iOS 11.1 beta's report quoted in radar
# 34788843, tests/samples/corpus/ios_frameworks5/openradar34788843_*): the code alone tells the termination.
TEXT_TERMINATION = re.compile(
    r"^(?:Namespace(?: (?P<ns>\w+|<0x[0-9a-fA-F]+>)|\s{1,4}), Code (?P<code>0x[0-9a-fA-F]+|\d+)"
    r"|(?P<ns2>[A-Z]+) (?P<code2>0x[0-9a-fA-F]+|\d+))"
)
# iOS 8-10 reports' Application Specific Information when backboardd ended an app whose background assertions outlived
# their allowance: `<BKNewProcess: 0x17e74840; com.app.app; pid: 560; hostpid: -1> has active assertions beyond
# permitted time:` (BackBoardServices' BKNewProcess description: address; bundle id; pid; hostpid), then the
# assertions (tests/samples/corpus/ios/crash_ios8_simulated_8badf00d_bknewprocess_assertions_developreference.txt).
# A bundle the poster replaced by `<REDACTED>` is none, the pid still names the process
# (tests/samples/corpus/ios/assertions_beyond_permitted_redacted_bundle_*).
BK_BEYOND_PERMITTED = re.compile(
    r"<BKNewProcess: 0x[0-9a-fA-F]+; (?:<[^<>;\s]*>|(?P<bundle>[^;<>\s]+)); pid: (?P<pid>\d+);[^<>]*>"
    r" has active assertions beyond permitted"
)
# iOS 5-7 reports name the holder by its process name and pid instead (SpringBoard's `%@[%d]`), first on the line:
# `MyApp[1369] has active assertions beyond permitted time:` (tests/samples/corpus/ios/w4_yf9968_*).
NAMED_BEYOND_PERMITTED = re.compile(
    r"^\s*(?P<name>[^\s:\[\]<>]{1,256})\[(?P<pid>\d+)\] has active assertions beyond permitted", re.M
)
# A crash report's crashed thread and its frames (`Thread 3 Crashed:`, then `0 libsystem_kernel.dylib 0x00000001f68ee0dc
# __pthread_kill + 8`: index, image, address, symbol), also with the report's column padding collapsed.
CRASHED_THREAD = re.compile(r"^Thread (?P<thread>\d+) Crashed:", re.M)
CRASH_FRAME = re.compile(r"^\s*\d+\s+\S+\s+0x[0-9a-fA-F]+\s+(?P<symbol>[^\s(]+)", re.M)
# Under the crashed thread's line a frame may have lost its number: a paste whose blanks became tabs made each
# `0<TAB><TAB>libsystem_kernel.dylib …` look like an editor's line-number gutter, which the scan takes off
# (tests/samples/corpus/ios_new5/forum740373_*, tabbed).
CRASH_FRAME_UNNUMBERED = re.compile(r"^\s*[^\s\d]\S*\s+0x[0-9a-fA-F]+\s+(?P<symbol>[^\s(]+)")
# A Low Memory report's (iPhone OS 2 to iOS 6) largest process and its process rows:
# `foo <a515b0826b7b14d76ab18f1a48a8ba56>   11483 (jettisoned) (active)` (tests/samples/corpus/ios/lowmemory_*).
LOW_MEMORY_LARGEST = re.compile(r"^\s*Largest process:\s+\S", re.M)
LOW_MEMORY_ROW = re.compile(r"^\s*(?P<name>\S+) <(?P<uuid>[0-9a-fA-F]{32})>\s+(?P<pages>\d+)(?P<marks>.*)$", re.M)
# The Termination Reason's value quoted on its own line, without its label ("The crash logs were not identical, but
# they had this same thing:" then `Namespace RUNNINGBOARD, Code 0xdead10cc`, tests/samples/corpus/ios/w4_inessential_*):
# the termination it tells, as if the field were there. Not a term a glossary defines on the line after it (a Markdown
# definition list: the value, then `: <what it means>`; a Qiita glossary in tests/ios/test_pages4_forms.py).
BARE_TERMINATION = re.compile(
    r"^[ \t]*Namespace (?:[A-Z_]+|<0x[0-9a-fA-F]+>), Code (?:0x[0-9a-fA-F]+|\d+)[ \t]*$(?!\r?\n[ \t]*:)", re.M
)
# The header of a spindump report (spindump(8): "used by various system components to create reports when an
# unresponsive application is force quit"; iOS writes its hang reports and the microstackshot resource reports in the
# same text): `Event:` what was sampled, `Duration: 0.94s`, `Steps: 49 (10ms sampling interval)`. A hang's report
# (`Event: Completed Runloop Hang`, tests/samples/corpus/ios_frameworks5/flutter167651_*) ends no process: it is read,
# and yields nothing; a resource report says whether it killed (`Action taken:`, read by _from_resource_report).
SPINDUMP_EVENT = re.compile(r"^Event:\s+\S", re.M)
SPINDUMP_DURATION = re.compile(r"^Duration:\s+[\d.]+ ?s\b", re.M)
SPINDUMP_STEPS = re.compile(r"^Steps:\s+\d+", re.M)
WATCHDOG_IN_CODES = re.compile(r"\b0x(?:00000000)?8badf00d\b", re.I)
# The other codes of a kill by iOS stood there too (`Exception Type:  00000020`, `Exception Codes: 0xc00010ff`;
# TN2151: 0xc00010ff a thermal event, 0xbad22222 a VoIP app resumed too often, 0xdead10cc a lock held while
# suspended): the whole field is the one code (tests/samples/corpus/ios/r3_thermal_*, r3_wakeups_*).
KNOWN_CODE_IN_CODES = re.compile(r"^0x(?:00000000)?(?P<code>[0-9a-f]{8})$", re.I)
# SpringBoard's reason for ending a VoIP app that resumed too often, in its Application Specific Information
# (iOS 5): `SBUnsuspendLimit ooVoo[360] exceeded 15 wakes in 300 sec`: it names the process the report may not.
SB_UNSUSPEND_LIMIT = re.compile(r"\bSBUnsuspendLimit (?P<name>[^\[\]\n]+)\[(?P<pid>\d+)\] exceeded")
# EXC_RESOURCE's monitors that report without killing (xnu osfmk/kern/exc_resource.h: FLAVOR_CPU_MONITOR,
# FLAVOR_WAKEUPS_MONITOR, FLAVOR_IO_*; developer.apple.com/documentation/xcode/exc_resource: the fatal CPU monitor
# reports `CPU_FATAL`, a report made without terminating says `NON-FATAL CONDITION` in its Exception Note).
_NONFATAL_RESOURCE_SUBTYPES = frozenset({"CPU", "WAKEUPS", "IO"})
# A namespace a report prints as a number (`Namespace <0xF>`, iOS 11): xnu bsd/sys/reason.h OS_REASON_*. 15 is
# OS_REASON_ASSERTIOND in xnu-4570 (iOS 11), the OS that prints it as a number; xnu renamed it RUNNINGBOARD when
# runningboardd took over (iOS 13, "old name" ASSERTIOND kept), and later reports print that name.
_NAMESPACE_NUMBERS = {
    1: "JETSAM",
    2: "SIGNAL",
    3: "CODESIGNING",
    4: "HANGTRACER",
    10: "SPRINGBOARD",
    15: "ASSERTIOND",
    20: "WATCHDOG",
}
# The fields of text reports (crash, watchdog and resource reports) a pasted line may start with; the strong ones
# exist in reports only. A line holding two or more of them, a strong one among them, is a report whose line breaks
# were lost (tests/samples/corpus/ios/frontboard_baadca11_run_together_*).
REPORT_FIELDS = (
    "Incident Identifier",
    "CrashReporter Key",
    "Hardware Model",
    "Process",
    "Path",
    "Identifier",
    "Version",
    "Code Type",
    "Role",
    "Parent Process",
    "Coalition",
    "Responsible Process",
    "Date/Time",
    "Launch Time",
    "End time",
    "OS Version",
    "Release Type",
    "Baseband Version",
    "Report Version",
    "Exception Type",
    "Exception Codes",
    "Exception Subtype",
    "Exception Note",
    "Exception Reason",
    "Termination Reason",
    "Termination Description",
    "Termination Signal",
    "Triggered by Thread",
    "Crashed Thread",
    "Kernel Triage",
    "Event",
    "Action taken",
    "Wakeups limit",
    "Wakeups",
    "CPU limit",
    "CPU",
    "Limit duration",
    "Duration Sampled",
    "Duration",
    "Steps",
    "Data Source",
    "Command",
    "PID",
    "Hardware model",
    "Active cpus",
    "Powerstats for",
)
STRONG_FIELDS = frozenset(
    {
        "Incident Identifier",
        "Exception Type",
        "Exception Codes",
        "Termination Reason",
        "Termination Description",
        "Action taken",
    }
)
_FIELD_NAMES = "|".join(re.escape(f) for f in REPORT_FIELDS)
REPORT_FIELD = re.compile(r"(?P<key>" + _FIELD_NAMES + r"):(?:\s|$)")
_FIELD_IN_LINE = re.compile(r"(?:^|(?<=\s))(?P<key>" + _FIELD_NAMES + r"):\s")
OS_VERSION = re.compile(r"(?:iPhone OS|iOS|iPadOS)\s+(?P<v>[\d.]+)(?:\s+\((?:Build )?(?P<build>\w+)\))?")
# Resource reports (`Data Source: Microstackshots`): `Event: cpu usage` + `Action taken: Process killed`.
# The jailbreak crash reporter Cr4shed (github.com/Muirey03/Cr4shed) writes its own text reports, pasted into the
# issues of tweaks: `Date:`, `Process: NAME` (no pid), `Bundle id:`, `Device:`, then for a crash `Exception type:
# EXC_SOFTWARE (SIGABRT)` or an uncaught NSException's name with `Reason:`, and `Culprit:`; for a jetsam report (from
# OSAnalytics' JetsamEvent) the fixed `Reason: The process was terminated for exceeding jetsam memory limits`
# (tests/samples/corpus/ios/cr4shed_*).
CR4SHED_JETSAM = "The process was terminated for exceeding jetsam memory limits"
TEXT_REPORT = re.compile(
    r"^(?:Exception [Tt]ype|Termination Reason|Termination Description|Action taken):|^Reason: " + CR4SHED_JETSAM,
    re.M,
)
_CR4SHED = re.compile(r"^Bundle id: .*\n(?:.*\n){0,12}?(?:Exception type|Reason): ", re.M)
_CRASH_BUG_TYPES = {"308", "309", "409", "109"}
_JSON_STARTS = ('"', "{", "[", "}", "]")  # how a line of a report's JSON starts


def parse_ips(lines: NumberedLines, where: str, *, device: str | None = None) -> list[Event]:
    """Events of one report. Never raises: what cannot be read yields no event."""
    body = [(n, t) for n, t in lines]
    while body and (body[0][1].startswith("# ") or not body[0][1].strip()):
        body.pop(0)  # comments above the report (sample files name their source this way)
    # Prose above the report ("SpringBoard crash log:"): the report starts at its one-line JSON header.
    start = next((i for i, (_, t) in enumerate(body[:50]) if _is_header_line(t)), 0)
    # A report pasted indented (a Markdown code block, a list item's) is the same report: its text lines are read
    # without their indentation (its JSON lines keep theirs, which JSON ignores).
    body = [(n, t if t.lstrip().startswith(_JSON_STARTS) else t.lstrip()) for n, t in body[start:]]
    # Fields a page ran together on one line (`Exception Type: … Exception Codes: … Termination Reason: …`) are read
    # one per line, as the log reader hands them over (tests/samples/corpus/ios/crash_fields_run_together_one_line_*).
    body = [(n, part) for n, t in body for part in ([t] if t.startswith(_JSON_STARTS) else split_report_fields(t))]
    try:
        return _parse(body, where, device)
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
        return []


def split_report_fields(line: str) -> list[str]:
    """A line holding a report's fields run together -> one line per field (and the text before the first, if
    any); any other line -> [line]."""
    if ": " not in line:
        return [line]
    starts = [m for m in _FIELD_IN_LINE.finditer(line)]
    if len(starts) < 2 or not any(m["key"] in STRONG_FIELDS for m in starts):
        return [line]
    cuts = [m.start() for m in starts]
    parts = [line[a:b].strip() for a, b in zip([0, *cuts], [*cuts, len(line)], strict=True)]
    return [p for p in parts if p]


def bundle_or_none(text: str | None) -> str | None:
    """A bundle identifier as logged, or None for what stands in for one: a poster's redaction (`***`, `.......`,
    `XXX`, `redacted`) or a log's (`<private>`, `(null)`). A CFBundleIdentifier is made of letters, digits, hyphens
    and periods (developer.apple.com/documentation/bundleresources/information-property-list/cfbundleidentifier)."""
    if not text:
        return None
    value = text.strip()
    if not any(c.isalnum() for c in value) or value.strip("<>()").lower() in _PLACEHOLDERS:
        return None
    if len(value) >= 2 and not value.lower().strip("x"):
        return None  # `XXX`, `xxxx`: the letters posters blank names out with (application<XXX>:7176)
    return value


_PLACEHOLDERS = frozenset({"redacted", "private", "hidden", "null", "none", "unknown"})


def looks_like_ips(sample: list[str]) -> bool:
    # Each line without its indentation: a report pasted indented (a Markdown code block) is still one.
    lines = [s.strip() for s in sample if s.strip() and not s.startswith("# ")]
    if not lines:
        return False
    first = lines[0]
    if first.startswith("{") and '"bug_type"' in first:
        return True
    text = "\n".join(lines[:80])
    if '"termination" :' in text or '"termination":' in text:
        return True
    if re.search(r'^\s*"(?:reason|rpages|largestProcess)"\s*:', text, re.M) and '"pid"' in text:
        return True
    if RBS_CONTEXT_LEAD.search(text) or _CR4SHED.search(text):
        return True
    # Fields of an OSAnalytics JSON report quoted on their own (a forum answer quoting a SystemMemoryReset log's
    # "eventReason" and "date" lines, tests/samples/corpus/ios/systemmemoryreset_*): its writer puts a blank on both
    # sides of the colon (`"rpages" : 257` in every JetsamEvent capture here), which other JSON rarely does.
    if len(ANALYTICS_FIELD.findall(text)) >= 2:
        return True
    if (m := CRASHED_THREAD.search(text)) is not None and CRASH_FRAME.search(text, m.end()):
        return True
    if BARE_TERMINATION.search(text) or EXPLANATION_LINE.search(text):
        return True
    if LOW_MEMORY_LARGEST.search(text) and LOW_MEMORY_ROW.search(text):
        return True
    if (
        SPINDUMP_EVENT.search(text)
        and SPINDUMP_DURATION.search(text)
        and SPINDUMP_STEPS.search(text)
        and "Action taken:" not in text  # a resource report: read as the paste it is (its JSON header rejoined)
    ):
        return True
    return bool(
        re.search(r"^(?:Exception Type|Termination Reason|Incident Identifier|Hardware Model):", text, re.M)
        and re.search(r"^(?:OS Version|Exception Type|Termination Reason|Date/Time):", text, re.M)
    )


def _is_header_line(text: str) -> bool:
    s = text.strip()
    if not (s.startswith("{") and s.endswith("}") and '"bug_type"' in s):
        return False
    try:
        return isinstance(json.loads(s), dict)
    except ValueError:
        return False


# -- dispatch --------------------------------------------------------------------------------


def _parse(lines: list[tuple[int, str]], where: str, device: str | None) -> list[Event]:
    if not lines:
        return []
    first_no, first = lines[0]
    header: dict[str, Any] | None = None
    if first.strip().startswith("{"):
        try:
            candidate = json.loads(first)
            if isinstance(candidate, dict) and "bug_type" in candidate and len(lines) > 1:
                header = candidate
        except ValueError:
            header = None
    if header is not None:
        text = "\n".join(t for _, t in lines[1:])
        start = lines[1][0]
        body = _json_document(text)
        if isinstance(body, dict):
            return _from_json(header, body, where, first_no, start, device)
        if TEXT_REPORT.search(text):  # before iOS 15 (bug_type 109): a JSON header line, then the text report
            return _from_text(lines[1:], where, device, header)
        return _from_fragment(text, where, start, device, header)
    text = "\n".join(t for _, t in lines)
    if first.strip().startswith("{"):
        whole = _json_document(text)
        body_keys = isinstance(whole, dict) and ("processes" in whole or "termination" in whole)
        if whole is None or (isinstance(whole, dict) and "bug_type" in whole and not body_keys):
            split = _pretty_header(text)
            if split is not None:  # the header pretty-printed over several lines (reports pasted into issues)
                header, rest_line = split
                rest = lines[rest_line:]
                while rest and not rest[0][1].strip():
                    rest = rest[1:]
                return _parse([(first_no, json.dumps(header)), *rest], where, device)
        if body_keys:
            return _from_json({"bug_type": whole.get("bug_type")}, whole, where, first_no, first_no, device)
    if LOW_MEMORY_LARGEST.search(text):
        return _from_low_memory(lines, where, device)
    if TEXT_REPORT.search(text):
        return [e for part in _text_reports(lines) for e in _from_text(part, where, device)]
    if RBS_CONTEXT_LEAD.search(text):
        # Terminations quoted one after another without their reports (each crash point's RBSTerminateContext line
        # under its own heading, tests/samples/corpus/ios/rbsterminatecontext_lines_under_xccrashpoint_*): each is
        # one death, read with the lines up to the next. The same context again, whole or cut short, is the same
        # death (a MetricKit diagnostic repeats it in its metadata: tests/samples/corpus/ios/metrickit_*).
        starts: list[int] = []
        seen: list[str] = []
        for i, (_, t) in enumerate(lines):
            if RBS_CONTEXT_LEAD.match(t):
                context = t[t.index("<RBSTerminateContext|") :].rstrip()
                if not any(c.startswith(context) or context.startswith(c) for c in seen):
                    starts.append(i)
                seen = [*seen[-15:], context]  # the last few: linear however many a text holds
        bounds = zip([0, *starts[1:]], [*starts[1:], len(lines)], strict=True)
        return [e for a, b in bounds for e in _from_text(lines[a:b], where, device)]
    if CRASHED_THREAD.search(text):
        return _from_crashed_thread(lines, where, device)
    if (bare := BARE_TERMINATION.search(text)) is not None:
        at_line = lines[text.count("\n", 0, bare.start())][0]
        labelled = [(n, "Termination Reason: " + t.strip() if n == at_line else t) for n, t in lines]
        return _from_text(labelled, where, device)
    if EXPLANATION_LINE.search(text):
        return _from_text(lines, where, device)
    return _from_fragment(text, where, first_no, device, None)


def _from_crashed_thread(lines: list[tuple[int, str]], where: str, device: str | None) -> list[Event]:
    """A report's crashed thread quoted without the report's header (an answer quoting the asker's backtrace): the
    process crashed; through abort() it was a SIGABRT (developer.apple.com/documentation/xcode/sigabrt: the process
    called abort(), as an uncaught exception's terminate handler does). Its name is not known."""
    at_line = next(i for i, (_, t) in enumerate(lines) if CRASHED_THREAD.match(t))
    lineno, head = lines[at_line]
    symbols = []
    for _, t in lines[at_line + 1 : at_line + 200]:
        if not t.strip():
            continue  # a paste with a blank line after every line
        frame = CRASH_FRAME.match(t) or CRASH_FRAME_UNNUMBERED.match(t)
        if frame is None:
            break
        symbols.append(frame["symbol"])
    if not symbols:
        return []
    aborted = any(s in ("abort", "__pthread_kill") for s in symbols)
    m = CRASHED_THREAD.match(head)
    thread = int(m["thread"]) if m else None
    return [
        _event(
            "crash",
            where,
            lineno,
            device,
            reason="sigabrt" if aborted else "unknown",
            detail=f"{head.strip()} {' < '.join(symbols[:4])}"[:400],
            data={"crashed_thread": thread},
        )
    ]


def _from_low_memory(lines: list[tuple[int, str]], where: str, device: str | None) -> list[Event]:
    """A Low Memory report of iPhone OS 2 to iOS 6 (text, before the JetsamEvent JSON): page counts, 'Largest
    process:', then one row per process, `Name <UUID> resident-pages`, marked `(jettisoned)` when iOS terminated it
    to free memory (TN2151, Understanding Low Memory Reports), with the cause in brackets in later versions."""
    out = []
    for n, t in lines:
        m = LOW_MEMORY_ROW.match(t)
        if m is None or "(jettisoned)" not in m["marks"]:
            continue
        why = re.search(r"\[([\w-]+)\]", m["marks"])
        out.append(
            _event(
                "process_killed",
                where,
                n,
                device,
                process=m["name"],
                reason=f"jetsam:{why[1] if why else 'jettisoned'}",
                detail=t.strip()[:400],
                data={"rpages": int(m["pages"])},
            )
        )
    return out


def _text_reports(lines: list[tuple[int, str]]) -> list[list[tuple[int, str]]]:
    """Text reports pasted one after another (a post quoting the headers of two crash logs): cut where each starts,
    at its Incident Identifier, or at its Process line when none has one; the text before the first goes with it."""
    for key in ("Incident Identifier:", "Process:"):
        starts = [i for i, (_, t) in enumerate(lines) if t.startswith(key)]
        if len(starts) >= 2:
            bounds = zip([0, *starts[1:]], [*starts[1:], len(lines)], strict=True)
            parts = [lines[a:b] for a, b in bounds]
            return [part for part in parts if TEXT_REPORT.search("\n".join(t for _, t in part))]
        if starts:
            break  # one report: its Process line follows its Incident Identifier
    return [lines]


def _json_document(text: str) -> Any:
    """The JSON value `text` holds, also when text with no JSON in it follows (a paste's closing fence, the
    poster's words after the report); None when there is none, or when more JSON follows (pieces of a report are
    read as fragments)."""
    try:
        return _JSON.decode(text)
    except ValueError:
        pass
    try:
        value, end = _JSON.raw_decode(text.lstrip())
    except ValueError:
        return None
    return None if re.search(r"[{}\[\]]", text.lstrip()[end:]) else value


def _pretty_header(text: str) -> tuple[dict[str, Any], int] | None:
    """(header, index of the first line after it) when `text` opens with a multi-line JSON header object."""
    try:
        obj, end = _JSON.raw_decode(text)
    except ValueError:
        return None
    if not isinstance(obj, dict) or "bug_type" not in obj or not text[end:].strip():
        return None
    if not isinstance(obj.get("bug_type"), str | int) or "processes" in obj or "termination" in obj:
        return None
    return obj, text.count("\n", 0, end) + 1


def _event(kind: str, where: str, lineno: int, device: str | None, **fields: Any) -> Event:
    from bgprobe.collectors.parsers.ios_layouts import split_offset

    ts, offset = split_offset(fields.pop("ts", None))
    if offset:
        fields["data"] = {**(fields.get("data") or {}), "utc_offset": offset}
    if "package" in fields:
        fields["package"] = bundle_or_none(fields["package"])
    return Event(kind=kind, source="ips", where=at(where, lineno), device=device, platform="ios", ts=ts, **fields)


def iso_time(text: str | None) -> str | None:
    """`2026-06-14 15:08:19.00 -0600` / `2018-02-08 21:48:18.7050 +0800` -> ISO 8601."""
    if not text:
        return None
    m = re.match(r"^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)(?:\s*([+-]\d\d):?(\d\d))?", text.strip())
    if m is None:
        return text.strip()
    stamp = f"{m[1]}T{m[2]}"
    return stamp + (f"{m[3]}:{m[4]}" if m[3] else "")


def os_version_of(text: str | None) -> tuple[str | None, str | None]:
    if not text:
        return None, None
    m = OS_VERSION.search(text)
    return (m["v"], m["build"]) if m else (None, None)


# -- JSON reports ----------------------------------------------------------------------------


def _from_json(
    header: dict[str, Any], body: dict[str, Any], where: str, header_line: int, body_line: int, device: str | None
) -> list[Event]:
    bug_type = str(header.get("bug_type") or body.get("bug_type") or "")
    version, build = os_version_of(
        header.get("os_version") or body.get("build") or (body.get("osVersion") or {}).get("train")
    )
    ts = iso_time(header.get("timestamp") or body.get("date") or body.get("captureTime"))
    common = {"ts": ts, "os_version": version}
    if bug_type == "298" or ("processes" in body and "memoryStatus" in body):
        page = (body.get("memoryStatus") or {}).get("pageSize")
        largest = body.get("largestProcess")
        events = []
        for entry in body.get("processes") or []:
            if isinstance(entry, dict) and entry.get("reason"):
                events.append(_jetsam_event(entry, page, largest, body, where, body_line, device, build, common))
        return events
    if bug_type in _CRASH_BUG_TYPES or "termination" in body or "exception" in body:
        return [_crash_event(header, body, where, body_line, device, build, common)]
    return []


def _mb(pages: Any, page_size: Any) -> float | None:
    if isinstance(pages, int) and isinstance(page_size, int) and page_size > 0:
        return round(pages * page_size / (1 << 20), 1)
    return None


def _jetsam_event(
    entry: dict[str, Any],
    page: Any,
    largest: Any,
    body: dict[str, Any] | None,
    where: str,
    lineno: int,
    device: str | None,
    build: str | None,
    common: dict[str, Any],
) -> Event:
    reason = str(entry.get("reason"))
    data: dict[str, Any] = {
        "rpages": entry.get("rpages"),
        "page_size": page,
        "footprint_mb": _mb(entry.get("rpages"), page),
        "lifetime_max_mb": _mb(entry.get("lifetimeMax"), page),
        "states": entry.get("states"),
        "priority": entry.get("priority"),
        "largest_process": bool(largest) and entry.get("name") == largest,
    }
    for key, out in (
        ("cpuTime", "cpu_time_s"),
        ("killDelta", "kill_delta"),
        ("idleDelta", "idle_delta"),
        ("uuid", "uuid"),
        ("coalition", "coalition"),
        ("fds", "fds"),
    ):
        if key in entry:
            data[out] = entry[key]
    if body is not None:
        mem = body.get("memoryStatus") or {}
        pages = mem.get("memoryPages") or {}
        if "free" in pages:
            data["free_pages"] = pages["free"]
        if "compressorSize" in mem:
            data["compressor_pages"] = mem["compressorSize"]
        if body.get("product"):
            data["product"] = body["product"]
        data["largest"] = largest
    if build:
        data["build"] = build
    name = entry.get("name")
    footprint = data["footprint_mb"]
    detail = f"JetsamEvent: {name} [{entry.get('pid')}] killed ({reason})" + (
        f", footprint {footprint} MB" if footprint is not None else f", {entry.get('rpages')} resident pages"
    )
    return _event(
        "process_killed",
        where,
        lineno,
        device,
        process=name,
        pid=entry.get("pid"),
        reason=f"jetsam:{reason}",
        detail=detail,
        data=data,
        **common,
    )


def termination_reason(namespace: str | None, code: int | None, reasons_text: str) -> tuple[str | None, dict[str, Any]]:
    """(normalized reason, extras) of a termination (namespace, code, reason text)."""
    extras: dict[str, Any] = {}
    # The event word before the literal: searched near it only (a search for `[\w-]+ watchdog…` from every
    # position of a long word is quadratic).
    at_literal = reasons_text.find(" watchdog transgression:")
    m = EXPLANATION.search(reasons_text, max(0, at_literal - 80), at_literal + 600) if at_literal >= 0 else None
    if m is not None:
        extras["watchdog_event"] = m["event"]
        if m["allowance"]:
            extras["allowance_s"] = float(m["allowance"])
            extras["allowance"] = "cpu" if m["clock"].startswith("CPU") else "wall"
        else:
            extras["stuck"] = m["why"]
        if m["bundle"]:
            extras["bundle"] = m["bundle"]
        elif m["name"]:
            extras["bundle"] = m["name"]
        if m["pid"]:
            extras["pid"] = int(m["pid"])
    namespace = _namespace_name(namespace)
    if code == WATCHDOG_CODE:
        if namespace == "ASSERTIOND":
            # assertiond (iOS 11-12) enforced background assertions: it kills with 0x8badf00d a process that held
            # one past its allowance, and logs "Forcing crash report with description: APP:PID has active assertions
            # beyond permitted time" (both halves of one death in tests/samples/corpus/ios/assertiond_beyond_*).
            return "bgtask_expired", extras
        event = extras.get("watchdog_event")
        if event is None and (w := WATCHDOG_EVENT.search(reasons_text)):
            event = w["event"]
        if event is None and (w := WATCHDOG_EXPLANATION_CUT.search(reasons_text)):
            event = w["event"]
        if (g := GRACEFUL_KILL.search(reasons_text)) is not None:
            event = event or "process-exit"
            # "[app<BUNDLE(…)>:PID] Failed to terminate …": FBProcess's log proem names the process.
            who = APP_IDENTITY.search(reasons_text, max(0, g.start() - 200), g.start())
            if who is not None and "pid" not in extras:
                extras["bundle"], extras["pid"] = who["bundle"], int(who["pid"])
        return f"watchdog:{event or 'unknown'}", extras
    if code in _KNOWN_CODES:
        return _KNOWN_CODES[code], extras
    if namespace == "WATCHDOG":
        # OS_REASON_WATCHDOG (xnu bsd/sys/reason.h): watchdogd ended a process that stopped checking in; the
        # indicator says what it monitored ("monitoring timed out for service").
        first = reasons_text.split("\n", 1)[0]
        slug = re.sub(r"[^a-z0-9]+", "-", first.lower()).strip("-")[:60]
        return f"watchdog:{slug or 'unknown'}", extras
    if namespace == "SIGNAL" and code is not None and 0 < code < 32:
        return _signal_name(code), extras
    if code is not None and namespace:
        return f"{namespace.lower()}:{code:#x}", extras
    return None, extras


def _namespace_name(namespace: str | None) -> str | None:
    if namespace and namespace.startswith("<0x"):
        try:
            return _NAMESPACE_NUMBERS.get(int(namespace.strip("<>"), 16), namespace)
        except ValueError:
            return namespace
    return namespace.upper() if namespace else None


def _signal_name(number: int) -> str:
    from bgprobe.collectors.parsers.ios_rules import darwin_signal_name as name

    return name(number)


# Signals a process raises on itself (abort(), a trap, a fault turned into a signal by its exception handler).
_SELF_SIGNALS = frozenset({4, 5, 6, 7, 8, 10, 11, 12})


def _code(value: Any) -> int | None:
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value, 16) if value.lower().startswith("0x") else int(value)
        except ValueError:
            return None
    return None


def _crash_event(
    header: dict[str, Any],
    body: dict[str, Any],
    where: str,
    lineno: int,
    device: str | None,
    build: str | None,
    common: dict[str, Any],
) -> Event:
    term = body.get("termination") or {}
    reasons = term.get("reasons") or term.get("indicator") or ""
    reasons_text = "\n".join(map(str, reasons)) if isinstance(reasons, list) else str(reasons)
    namespace = term.get("namespace")
    code = _code(term.get("code"))
    reason, extras = termination_reason(namespace, code, reasons_text)
    exception = body.get("exception") or {}
    data: dict[str, Any] = {}
    if header.get("bug_type") or body.get("bug_type"):
        data["bug_type"] = str(header.get("bug_type") or body.get("bug_type"))
    if namespace:
        data["namespace"] = namespace
    if code is not None:
        data["code"] = f"{code:#x}"
    if exception:
        data["exception"] = {k: exception.get(k) for k in ("type", "signal", "subtype") if exception.get(k)}
    if body.get("procRole"):
        data["role"] = body["procRole"]
    if build:
        data["build"] = build
    data.update({k: v for k, v in extras.items() if k not in ("bundle", "pid")})
    signal = exception.get("signal")
    # SIGKILL cannot come from the app itself: with or without a termination reason, the system killed it; so did
    # the watchdog (watchdogd's namespace, or 0x8badf00d) and RunningBoard's known codes. The kernel's kill of a page
    # that fails its signature check says so after the signal ("SIGKILL (Code Signature Invalid)", as the text
    # report's Exception Type does: see `_from_text`).
    sigkill = isinstance(signal, str) and signal.split(" ", 1)[0] == "SIGKILL"
    killed = (
        sigkill
        or _namespace_name(namespace) == "WATCHDOG"
        or (reason is not None and (code == WATCHDOG_CODE or code in _KNOWN_CODES))
    )
    if reason is None and sigkill and isinstance(signal, str) and "Code Signature Invalid" in signal:
        reason = "codesigning"
    if reason is None:
        reason = (signal or exception.get("type") or "unknown").lower()
    package = header.get("bundleID") or (body.get("bundleInfo") or {}).get("CFBundleIdentifier") or extras.get("bundle")
    process = body.get("procName") or header.get("app_name") or header.get("name")
    pid = body.get("pid") if isinstance(body.get("pid"), int) and body["pid"] > 0 else extras.get("pid")
    # Who ended it: `byProc`/`byPid`. A fault's signal comes from the process's own exception handler ("exc handler",
    # its own pid: ips reports hold "pid" : 5657 with "byProc":"exc handler","byPid":5657), abort() signals the process
    # itself ("byProc":"Runner" for Runner's SIGABRT); a kill comes from another (launchd, runningboardd). So a report
    # cut before procName and pid (a fragment) still names the process of a signal it sent itself.
    by_proc, by_pid = term.get("byProc"), term.get("byPid")
    if isinstance(by_proc, str) and by_proc:
        data["terminated_by"] = by_proc
    if isinstance(by_pid, int):
        data["terminated_by_pid"] = by_pid
    if (
        process is None
        and pid is None
        and _namespace_name(namespace) == "SIGNAL"
        and code in _SELF_SIGNALS
        and isinstance(by_pid, int)
    ):
        pid = by_pid
        process = by_proc if isinstance(by_proc, str) and by_proc != "exc handler" else None
    first_reason = reasons_text.split("\n", 1)[0][:300]
    detail = f"{namespace or ''} {data.get('code', '')} {first_reason}".strip() or None
    return _event(
        "process_killed" if killed else "crash",
        where,
        lineno,
        device,
        package=package,
        process=process,
        pid=pid,
        reason=reason,
        detail=detail,
        data=data,
        **common,
    )


# -- fragments -------------------------------------------------------------------------------


def _json_objects(text: str) -> list[tuple[int, dict[str, Any]]]:
    """Every top-level-decodable JSON object in `text`, with its offset (fragments of a report)."""
    decoder = _JSON
    found: list[tuple[int, dict[str, Any]]] = []
    pos = text.find("{")
    while pos != -1:
        try:
            obj, end = decoder.raw_decode(text, pos)
        except ValueError:
            pos = text.find("{", pos + 1)
            continue
        if isinstance(obj, dict):
            found.append((pos, obj))
        pos = text.find("{", end)
    return found


# Top-level fields of a crash report's JSON body, read one by one when the body is cut (no closing brace): the
# indentation of a pasted report is often lost, so a key is taken where a line starts with it.
_BODY_FIELDS = {
    "procName": re.compile(r'^\s*"procName"\s*:\s*"(?P<v>[^"\\]*)"', re.M),
    "pid": re.compile(r'^\s*"pid"\s*:\s*(?P<v>-?\d+)', re.M),
    "procRole": re.compile(r'^\s*"procRole"\s*:\s*"(?P<v>[^"\\]*)"', re.M),
    "captureTime": re.compile(r'^\s*"captureTime"\s*:\s*"(?P<v>[^"\\]*)"', re.M),
    "bug_type": re.compile(r'^\s*"bug_type"\s*:\s*"(?P<v>[^"\\]*)"', re.M),
}
_BUNDLE_INFO = re.compile(r'"CFBundleIdentifier"\s*:\s*"(?P<v>[^"\\]*)"')


def _decode_at(text: str, key: str) -> dict[str, Any] | None:
    """The JSON object after `"key" :` in text, if it is whole."""
    m = re.search(r'"' + key + r'"\s*:\s*\{', text)
    if m is None:
        return None
    try:
        obj, _ = _JSON.raw_decode(text, m.end() - 1)
    except ValueError:
        return None
    return obj if isinstance(obj, dict) else None


def _from_fragment(
    text: str, where: str, first_line: int, device: str | None, header: dict[str, Any] | None
) -> list[Event]:
    header = header or {}
    version, build = os_version_of(header.get("os_version"))
    common = {"ts": iso_time(header.get("timestamp")), "os_version": version}
    events: list[Event] = []
    m = re.search(r'"termination"\s*:\s*\{', text)
    if m is not None:
        term = _decode_at(text, "termination")
        if term is not None:
            body: dict[str, Any] = {"termination": term}
            exception = _decode_at(text, "exception")
            if exception is not None:
                body["exception"] = exception
            for key, pattern in _BODY_FIELDS.items():
                if (f := pattern.search(text)) is not None:
                    body[key] = int(f["v"]) if key == "pid" else f["v"]
            if (b := _BUNDLE_INFO.search(text)) is not None:
                body["bundleInfo"] = {"CFBundleIdentifier": b["v"]}
            if not common["ts"] and body.get("captureTime"):
                common["ts"] = iso_time(body["captureTime"])
            lineno = first_line + text.count("\n", 0, m.start())
            events.append(_crash_event(header, body, where, lineno, device, build, common))
        return events
    objects = _json_objects(text)
    # A piece of a `processes` array may start inside an entry (a paste cut above its opening brace): that entry
    # is read from the first of its own keys to its closing brace (the objects inside it are its own fields).
    cut = _cut_entry(text)
    if cut is not None:
        pos, obj, end = cut
        objects = [(pos, obj)] + [(p, o) for p, o in objects if p >= end]
    tail = _tail_entry(text, {p for p, _ in objects})
    if tail is not None and all(o != tail[1] for _, o in objects):  # not an entry read whole from another line
        objects.append(tail)
    for pos, obj in objects:
        if obj.get("reason") and "pid" in obj and ("rpages" in obj or "states" in obj or "killDelta" in obj):
            lineno = first_line + text.count("\n", 0, pos)
            events.append(_jetsam_event(obj, None, None, None, where, lineno, device, build, common))
    return events


_MAX_CUT_ENTRY = 64 << 10  # a process entry is ~1 KiB


def _cut_entry(text: str) -> tuple[int, dict[str, Any], int] | None:
    """The entry a fragment starts inside of, from a line that starts with one of its keys to its closing brace:
    (where it starts, the entry, where it ends); None when the fragment starts with a whole object."""
    head = text[:_MAX_CUT_ENTRY]
    if '"reason"' not in head or '"pid"' not in head or head.lstrip().startswith(("{", "[")):
        return None
    pos = 0
    for _ in range(200):  # lines to try as its first key
        if re.match(r'\s*"[^"\\]+"\s*:', head[pos:]):
            try:
                obj, end = _JSON.raw_decode("{" + head[pos:])
            except ValueError:
                obj = None
            if isinstance(obj, dict):
                return pos, obj, pos + end - 1
        nl = head.find("\n", pos)
        if nl == -1:
            return None
        pos = nl + 1
    return None


_ENTRY_OPEN = re.compile(r"^[ \t]*\{[ \t]*$", re.M)


def _tail_entry(text: str, starts: set[int]) -> tuple[int, dict[str, Any]] | None:
    """The entry a fragment ends inside of, cut before its closing brace (tests/samples/corpus/ios/r3_jetsamevent_*):
    its fields up to the last whole line, from the last line that opens an object alone. None when that object is
    whole (then it was read) or the cut leaves no field that says a process was killed."""
    window = text[-_MAX_CUT_ENTRY:]
    openings = [m.end() for m in _ENTRY_OPEN.finditer(window)]
    if not openings:
        return None
    pos = len(text) - len(window) + openings[-1] - 1
    pos = text.rindex("{", 0, pos + 1)
    if pos in starts:
        return None
    lines = text[pos + 1 :].rstrip().split("\n")
    for _ in range(3):  # the last line may itself be cut short: drop it and try again
        body = "\n".join(lines).rstrip().rstrip(",")
        try:
            obj = _JSON.decode("{" + body + "}")
        except ValueError:
            lines = lines[:-1]
            continue
        if isinstance(obj, dict) and obj.get("reason") and "pid" in obj:
            return pos, obj
        return None
    return None


# -- legacy text reports ---------------------------------------------------------------------


def _from_text(
    lines: list[tuple[int, str]], where: str, device: str | None, header: dict[str, Any] | None = None
) -> list[Event]:
    fields: dict[str, tuple[int, str]] = {}
    for n, t in lines:
        m = TEXT_FIELD.match(t)
        if m and m["key"] not in fields:
            fields[m["key"]] = (n, m["value"].strip())
    if "Action taken" in fields:
        return _from_resource_report(fields, where, device, header or {})
    header = header or {}
    text = "\n".join(t for _, t in lines)
    version, build = os_version_of(fields.get("OS Version", (0, ""))[1] or header.get("os_version"))
    namespace = code = None
    term_line = lines[0][0]
    if "Exception type" in fields and "Exception Type" not in fields:  # Cr4shed's spelling
        fields["Exception Type"] = fields["Exception type"]
    if "Exception Type" in fields:
        term_line = fields["Exception Type"][0]
    if "Termination Reason" in fields:
        term_line, value = fields["Termination Reason"]
        m = TEXT_TERMINATION.match(value)
        if m:
            namespace = _namespace_name(m["ns"] or m["ns2"])
            code = _code(m["code"] or m["code2"])
    if code is None and WATCHDOG_IN_CODES.search(fields.get("Exception Codes", (0, ""))[1]):
        # Before Termination Reason existed (iPhone OS 1 to iOS 8) the watchdog's code stood in Exception Codes,
        # after 'Exception Type: 00000020' (TN2151: 0x8badf00d, an app terminated by iOS for a watchdog timeout).
        code, term_line = WATCHDOG_CODE, fields["Exception Codes"][0]
    k = KNOWN_CODE_IN_CODES.match(fields.get("Exception Codes", (0, ""))[1])
    if code is None and k is not None and int(k["code"], 16) in _KNOWN_CODES:
        code, term_line = int(k["code"], 16), fields["Exception Codes"][0]
    if code is None and (rbs := RBS_CONTEXT.search(text)):
        namespace = _NAMESPACE_NUMBERS.get(int(rbs["domain"]), f"<{int(rbs['domain']):#x}>")
        code = _code(rbs["code"])
        term_line = next((n for n, t in lines if "<RBSTerminateContext|" in t), term_line)
    if "Termination Description" not in fields:  # its value on the lines below it (a quote that broke it up)
        at_alone = next((n for n, t in lines if t.strip() == "Termination Description:"), None)
        if at_alone is not None:
            fields["Termination Description"] = (at_alone, "")
    if "Termination Description" not in fields and (x := EXPLANATION_LINE.search(text)) is not None:
        value = x["value"].rstrip()
        if EXPLANATION.search(value) is None and x["rest"]:
            value += " " + x["rest"].strip()
        fields["Termination Description"] = (lines[text.count("\n", 0, x.start())][0], value)
    description = fields.get("Termination Description", (0, ""))[1]
    if "Termination Description" in fields:
        description = _continued(lines, fields["Termination Description"][0], description)
    at_literal = description.find(" watchdog transgression:")  # the search near it only (linear, as below)
    w = EXPLANATION.search(description, max(0, at_literal - 80), at_literal + 600) if at_literal >= 0 else None
    if code is None and namespace is None and w is not None:
        # The description without the Termination Reason line above it (an answer quoting the one field): its
        # "<event> watchdog transgression: <app> exhausted … allowance" is the explanation SpringBoard (FrontBoard
        # since iOS 14) gives the termination its watchdog requests, whose exception code is 0x8badf00d: its log
        # pairs them, `FBSProcessTerminationRequest: …; label: "watchdog provision violated"; exceptionCode:
        # "Watchdog Violation (0x8BADF00D)"; …; explanation: "scene-create watchdog transgression: …"`
        # (tests/samples/corpus/ios/frontboard_provision_violated_*_forum104020.txt). Before it: `SPRINGBOARD, `.
        code, term_line = WATCHDOG_CODE, fields["Termination Description"][0]
        lead = description[: w.start()].strip(" ,|")
        namespace = _namespace_name(lead) if lead.isupper() else None
    reasons_text = description + "\n" + text
    reason, extras = termination_reason(namespace, code, reasons_text)
    exception_type = fields.get("Exception Type", (0, ""))[1]
    subtype = fields.get("Exception Subtype", (0, ""))[1].split(" ")[0]
    if (
        code is None
        and exception_type.startswith("EXC_RESOURCE")
        and (subtype in _NONFATAL_RESOURCE_SUBTYPES or "NON-FATAL" in fields.get("Exception Note", (0, ""))[1])
    ):
        return []  # a resource monitor's report of a process it left running (iOS 8's CPU and WAKEUPS reports)
    # The signal is the word after the parenthesis; a kill for code signing says so after it: `EXC_BAD_ACCESS
    # (SIGKILL - CODESIGNING)` (iOS 14, tests/samples/corpus/ios/crash_report_sigkill_codesigning_*), `EXC_CRASH
    # (SIGKILL (Code Signature Invalid))` (macOS 12+). The kernel kills a process whose page fails its signature check
    # (CS_KILL: developer.apple.com/documentation/lightweightcoderequirements/processcodesigningflags/valueset/
    # terminatesoncodesigningfailure), xnu's OS_REASON_CODESIGNING namespace.
    signal = re.search(r"\((SIG[A-Z]+)\b", exception_type)
    sigkill = signal is not None and signal[1] == "SIGKILL"
    codesigning = sigkill and re.search(r"CODESIGNING|Code Signature Invalid", exception_type) is not None
    killed = (
        sigkill or namespace == "WATCHDOG" or (reason is not None and (code == WATCHDOG_CODE or code in _KNOWN_CODES))
    )
    beyond = None
    if "has active assertions beyond permitted time" in text:
        reason, killed = "bgtask_expired", True
        beyond = BK_BEYOND_PERMITTED.search(text)
    if reason is None and codesigning:
        reason = "codesigning"
    uncaught = None
    if reason is None and signal is None and re.fullmatch(r"[A-Za-z_]\w*Exception", exception_type):
        # An uncaught exception named as such (Cr4shed: `Exception type: NSInternalInconsistencyException`): the
        # runtime then calls abort() (developer.apple.com/documentation/xcode/sigabrt).
        reason, uncaught = "sigabrt", exception_type
    cr4shed_jetsam = fields.get("Reason", (0, ""))[1].startswith(CR4SHED_JETSAM)
    if reason is None and cr4shed_jetsam:
        # OSAnalytics' JetsamEvent told again by Cr4shed, without the kill cause: the process was killed by jetsam.
        reason, killed, term_line = "jetsam:unknown", True, fields["Reason"][0]
    if reason is None and not exception_type:
        return []  # report fields named in prose (a glossary of a report's fields): no end of a process told
    if reason is None:
        reason = (signal[1] if signal else exception_type.split(" ")[0] or "unknown").lower()
    process = pid = None
    if "Process" in fields:
        pm = PROCESS_FIELD.match(fields["Process"][1])
        if pm:
            process, pid = pm["name"], int(pm["pid"])
        elif "Bundle id" in fields:  # Cr4shed names the process without its pid
            process = fields["Process"][1] or None
    if process is None and (sb := SB_UNSUSPEND_LIMIT.search(text)):
        process, pid = sb["name"], int(sb["pid"])
    if process is None and beyond is None and (named := NAMED_BEYOND_PERMITTED.search(text)):
        process, pid = named["name"], int(named["pid"])
    process = process or header.get("app_name") or header.get("name") or None
    package = (
        fields.get("Identifier", (0, None))[1]
        or fields.get("Bundle id", (0, None))[1]
        or header.get("bundleID")
        or extras.get("bundle")
    )
    pid = pid if pid is not None else extras.get("pid")
    if beyond is not None:  # a report without Identifier / Process lines: the assertion holder names the app
        package = package or beyond["bundle"]
        pid = pid if pid is not None else int(beyond["pid"])
    data: dict[str, Any] = {k: v for k, v in extras.items() if k not in ("bundle", "pid")}
    if header.get("bug_type"):
        data["bug_type"] = str(header["bug_type"])
    if namespace:
        data["namespace"] = namespace
    if code is not None:
        data["code"] = f"{code:#x}"
    if exception_type:
        data["exception_type"] = exception_type
    if uncaught:
        data["exception"] = uncaught
    if build:
        data["build"] = build
    explanation = re.search(r"explanation:(.*)", text)
    detail = (
        description
        or (explanation[1] if explanation else "")
        or fields.get("Termination Reason", (0, ""))[1]
        or exception_type
        or (fields["Reason"][1] if cr4shed_jetsam else "")
    )
    return [
        _event(
            "process_killed" if killed else "crash",
            where,
            term_line,
            device,
            package=package,
            process=process,
            pid=pid,
            reason=reason,
            detail=detail[:400] or None,
            data=data,
            ts=iso_time(fields.get("Date/Time", (0, None))[1] or header.get("timestamp")),
            os_version=version,
        )
    ]


_RESOURCE_EVENTS = {"cpu usage": "cpu", "wakeups": "wakeups", "disk writes": "disk-writes"}


def _continued(lines: list[tuple[int, str]], at: int, value: str) -> str:
    """A field's value with the lines that continue it: a quote that broke a long field over several lines (Apple
    DTS quoting a Termination Description 'broken up into multiple lines', each after the first starting with `| `,
    tests/samples/corpus/ios/w4_forum100253_*), up to a blank line or the next field."""
    start = next((i for i, (n, _) in enumerate(lines) if n == at), None)
    if start is None:
        return value
    parts = [value]
    for _, t in lines[start + 1 : start + 40]:
        if not t.strip() or TEXT_FIELD.match(t):
            break
        parts.append(t.strip())
    return " ".join(p for p in parts if p)


def _from_resource_report(
    fields: dict[str, tuple[int, str]], where: str, device: str | None, header: dict[str, Any]
) -> list[Event]:
    """A resource report (`Event: cpu usage`, `Action taken: Process killed`): the process was killed for
    exceeding a CPU / wakeups limit (a background task doing too much work)."""
    line, action = fields["Action taken"]
    if "killed" not in action.lower():
        return []  # exceeded a limit but was not killed: no event
    event = fields.get("Event", (0, ""))[1]
    version, build = os_version_of(fields.get("OS Version", (0, ""))[1] or header.get("os_version"))
    pid_text = fields.get("PID", (0, ""))[1]
    data: dict[str, Any] = {"resource_event": event, "action": action}
    for key, out in (
        ("CPU", "cpu"),
        ("CPU limit", "cpu_limit"),
        ("Limit duration", "limit_duration"),
        ("Wakeups", "wakeups"),
        ("Wakeups limit", "wakeups_limit"),
        ("Duration", "duration"),
        ("Hardware model", "hardware_model"),
    ):
        if key in fields:
            data[out] = fields[key][1]
    if build:
        data["build"] = build
    if not event:
        # A report quoted without its Event line (two fields of a cpu_resource_fatal .ips in
        # tests/samples/corpus/ios/cpu_resource_fatal_two_fields_*): the limit's own field names the resource
        # ("CPU: 48 seconds cpu time over 52 seconds …, exceeding limit of …", "Wakeups: 45001 wakeups over …").
        event = data["resource_event"] = "cpu usage" if "CPU" in fields else "wakeups" if "Wakeups" in fields else ""
    cause = _RESOURCE_EVENTS.get(event.lower(), re.sub(r"[^a-z0-9]+", "-", event.lower()).strip("-") or "unknown")
    return [
        _event(
            "process_killed",
            where,
            line,
            device,
            package=fields.get("Identifier", (0, None))[1] or header.get("bundleID"),
            process=fields.get("Command", (0, None))[1] or header.get("name"),
            pid=int(pid_text) if pid_text.isdigit() else None,
            reason=f"resource:{cause}",
            detail=f"{event}: {fields['CPU'][1]}" if "CPU" in fields else f"{event}: {action}",
            data=data,
            ts=iso_time(fields.get("Date/Time", (0, None))[1] or header.get("timestamp")),
            os_version=version,
        )
    ]


__all__ = [
    "REPORT_FIELD",
    "REPORT_FIELDS",
    "STRONG_FIELDS",
    "bundle_or_none",
    "iso_time",
    "looks_like_ips",
    "os_version_of",
    "parse_ips",
    "split_report_fields",
    "termination_reason",
]
