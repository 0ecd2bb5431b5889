"""Exact text the simulated iPhone writes: syslog_relay lines, log messages, and `.ips` reports.

Every template names the real capture it copies (tests/samples/ios/ and tests/samples/ios_field/, whose first
lines name their public sources) or the decompiled system binary it follows (docs/ios-commands.md lists them).
Where neither exists the template is marked "modelled" and
follows the nearest real string, so a reader knows which formats are evidence and which are guesses.
"""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# os_trace_relay level byte (pmd3 services/os_trace.py SyslogLogLevel)
OS_TRACE_LEVELS = {"Notice": 0x00, "Info": 0x01, "Debug": 0x02, "Error": 0x10, "Fault": 0x11}

CRASH_DIR = "/private/var/mobile/Library/Logs/CrashReporter"


@dataclass(frozen=True)
class LogRecord:
    """One os_log entry of the device: what syslog_relay renders as text and os_trace_relay as binary."""

    seq: int
    time: datetime  # device-local, naive (SimClock)
    process: str  # short process name ("dasd")
    pid: int
    process_path: str  # main executable (os_trace "filename")
    image_path: str  # sender image (os_trace "image_name")
    message: str
    level: str = "Notice"
    subsystem: str = ""
    category: str = ""

    @property
    def image(self) -> str:
        return posixpath.basename(self.image_path)


def syslog_relay_line(rec: LogRecord, hostname: str) -> str:
    """`Mon dd HH:MM:SS host proc(image)[pid] <Level>: message` — the libimobiledevice/idevicesyslog layout
    (sample syslog_relay_format_assertiond_jetsam_ios8.txt). iOS 14+ always prints the sender image in
    parentheses, even when it is the process itself (`SpringBoard(SpringBoard)[510]`,
    `runningboardd(RunningBoard)[31]`, dotnet/macios#10086, iOS 14.2). The day is space-padded to
    2 characters because idevicesyslog checks line[3], line[6] and line[15] for spaces."""
    t = rec.time
    stamp = f"{_MONTHS[t.month - 1]} {t.day:>2} {t:%H:%M:%S}"
    return f"{stamp} {hostname} {rec.process}({rec.image})[{rec.pid}] <{rec.level}>: {rec.message}"


def tz_suffix(t: datetime) -> str:
    """`+0200` for a naive device-local time (the host's zone stands in for the device's)."""
    return t.astimezone().strftime("%z")


def ips_timestamp(t: datetime) -> str:
    """`2026-06-14 15:08:19.00 -0600` (centiseconds), as in the JetsamEvent header of the fixture."""
    return f"{t:%Y-%m-%d %H:%M:%S}.{t.microsecond // 10000:02d} {tz_suffix(t)}"


# --- BackgroundTasks framework, in the app process (sample dasd_bgprocessing_submit_cancel_policy.txt)


def bg_submit(kind: str, identifier: str, earliest: datetime, power: bool, network: bool) -> str:
    # earliestBeginDate is printed in UTC with +0000 (sample)
    date = earliest.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S +0000")
    if kind == "processing":
        return (
            f"submitTaskRequest: <BGProcessingTaskRequest: {identifier}, earliestBeginDate: {date}, "
            f"requiresExternalPower={int(power)}, requiresNetworkConnectivity={int(network)}>"
        )
    return f"submitTaskRequest: <BGAppRefreshTaskRequest: {identifier}, earliestBeginDate: {date}>"


def activity_set(activities: list[str]) -> str:
    """An NSSet description as dasd prints it (`{(` newline, 4-space indented members, `)}`)."""
    return "{(\n" + ",\n".join(f"    {a}" for a in activities) + "\n)}"


# The BackgroundTasks framework formats every task with `%{public}@` of the BGTask object, whose
# `-description` is `<BGAppRefreshTask: ID>`, `<BGProcessingTask: ID>`, `<BGHealthResearchTask: ID>`,
# `<BGContinuedProcessingTask: ID (TITLE)>` (decompiled iOS 26.1 BackgroundTasks.framework BGAppRefreshTask.mm,
# BGProcessingTask.mm, BGHealthResearchTask.mm, BGContinuedProcessingTask.mm); real captures show the same
# (`Starting simulated task: <BGAppRefreshTask: com.ranchero.NetNewsWire.FeedRefresh>`, NetNewsWire#746;
# `Marking simulated task complete: <BGAppRefreshTask: com.example.bgRefresh>`, uynguyen.github.io 2020-09-26).
TASK_CLASSES = {
    "refresh": "BGAppRefreshTask",
    "processing": "BGProcessingTask",
    "health_research": "BGHealthResearchTask",
    "continued_processing": "BGContinuedProcessingTask",
}


def task_description(kind: str, identifier: str, title: str = "") -> str:
    cls = TASK_CLASSES[kind]
    if kind == "continued_processing":
        return f"<{cls}: {identifier} ({title})>"
    return f"<{cls}: {identifier}>"


# BGTaskScheduler.mm (decompiled iOS 26.1) with their %@ filled in; the `simulated` forms are what a debugger's
# _simulateLaunchForTaskWithIdentifier: / _simulateExpirationForTaskWithIdentifier: produce.
def bg_launched(activities: list[str]) -> str:
    return f"Application launched for activities: {activity_set(activities)}"


def bg_running(task: str) -> str:
    """`Running task: %{public}@`, logged by `_runTask:registration:` for natural and simulated launches alike
    (capture tests/samples/corpus/ios/console_bgapprefresh_natural_launch_tsfetch_ios13.txt)."""
    return f"Running task: {task}"


def bg_starting(task: str, simulated: bool = False) -> str:
    """`Starting task: %{public}@` / `Starting simulated task: %{public}@` (task = a task description)."""
    return f"Starting {'simulated ' if simulated else ''}task: {task}"


def bg_complete(task: str, success: bool) -> str:
    """A natural launch: `Marking task %{public}@ complete with success: %d`."""
    return f"Marking task {task} complete with success: {int(success)}"


def bg_simulated_complete(task: str) -> str:
    """A simulated launch: `Marking simulated task complete: %@` — the framework logs no success value."""
    return f"Marking simulated task complete: {task}"


def bg_will_expire(activities: list[str]) -> str:
    return f"Will expire activities: {activity_set(activities)}"


def bg_expiring(task: str, simulated: bool = False) -> str:
    return f"Expiring {'simulated ' if simulated else ''}task: {task}"


def bg_cancel_request(identifier: str) -> str:
    return f"cancelTaskRequestWithIdentifier: {identifier}"


def bg_simulating_launch(identifier: str) -> str:
    return f"Simulating launch for task with identifier {identifier}"


def bg_simulating_expiration(identifier: str) -> str:
    return f"Simulating expiration for task with identifier {identifier}"


def bg_not_scheduled(identifier: str) -> str:
    return f"No task request with identifier {identifier} has been scheduled"


def bg_already_running(identifier: str) -> str:
    return f"Task with identifier {identifier} is already running"


def bg_not_simulated(identifier: str) -> str:
    # the older image's NSLog text (iOS 13-era BGTaskScheduler.m); the iOS 26.1 image keeps it in a cold path
    return f"Task with identifier {identifier} is not currently being simulated"


# --- powerd, Low Power Mode (decompiled iOS 26.1 powerd.bundle/powerd/PMLowPowerModeService.mm,
#     subsystem com.apple.powerd, category lowPowerMode; `toggleState:withDate:withBatteryLevel:fromSource:…`)


def lpm_notify(on: bool) -> str:
    return f"LPM: com.apple.system.lowpowermode = {int(on)}"


def lpm_state(on: bool, battery: int) -> str:
    return f"LPM: State is now {'ON' if on else 'OFF'} (battery:{battery})"


# --- dasd (sample dasd_bgprocessing_submit_cancel_policy.txt)


def dasd_submitted(activity: str, priority: int = 10) -> str:
    return f"Submitted Activity: {activity} at priority {priority} <private>"


def dasd_canceling(activities: list[str]) -> str:
    return f"Daemon Canceling Activities: {activity_set(activities)}"


def dasd_canceled(activity: str, priority: int = 10) -> str:
    return f"CANCELED: {activity} at priority {priority} <private>!"


@dataclass(frozen=True)
class PolicyResponse:
    name: str
    weight: float
    decision: str  # "Can Proceed" | "Must Not Proceed"
    score: float


def dasd_policy(activity: str, responses: list[PolicyResponse], final: str, final_score: float) -> str:
    """The policy-evaluation line. "Can Proceed" with DeviceActivityPolicy is the sample verbatim; the
    "Must Not Proceed" responses (ThermalPolicy, LowPowerModePolicy, NetworkQualityPolicy,
    BackgroundAppRefreshPolicy, ChargerPluggedInPolicy) are modelled on it."""
    body = ",\n".join(
        f"\t{{name: {r.name}, policyWeight: {r.weight:.3f}, "
        f"response: {{Decision: {r.decision}, Score: {r.score:.2f}}}}}"
        for r in responses
    )
    total = sum(r.weight * r.score for r in responses) + 24.61  # the sample: 24.86 with one 5 x 0.05 policy
    denominator = sum(r.weight for r in responses) + 24.61
    return (
        f"{activity}:[\n{body}\n ] sumScores:{total:.6f}, denominator:{denominator:.6f}, "
        f"FinalDecision: {final} FinalScore: {final_score:.6f}}}"
    )


def dasd_compatibility(a: str, b: str) -> str:
    return f"'{a}' has compatibility score of 0.100000 with '{b}'. Relaxing scores."


# --- SpringBoard / runningboardd (samples runningboard_background_assertion_jetsam_priority.txt,
#     runningboard_termination_reported_by_launchd.txt)


def sb_process_state(
    bundle: str, pid: int, addr: int, task_state: str = "Running", visibility: str = "Background"
) -> str:
    return (
        f"Application process state changed for {bundle}: <SBApplicationProcessState: 0x{addr:x}; "
        f"pid: {pid}; taskState: {task_state}; visibility: {visibility}>"
    )


def rb_acquiring(bundle: str, pid: int, springboard_pid: int, assertion_id: str) -> str:
    return (
        f"Acquiring assertion targeting [application<{bundle}>:{pid}] from originator "
        f"[daemon<com.apple.SpringBoard>:{springboard_pid}] with description <RBSAssertionDescriptor| "
        f'"FBWorkspace (BackgroundActive)" ID:{assertion_id} target:{pid} attributes:[\n'
        "\t<RBSRunningReasonAttribute| runningReason:10001>,\n"
        "\t<RBSDefineRelativeStartTimeGrant>,\n"
        "\t<RBSGPUAccessGrant>,\n"
        "\t<RBSCPUAccessGrant| role:NonUserInteractive>,\n"
        "\t<RBSJetsamPriorityGrant| priority:Background>,\n"
        "\t<RBSResistTerminationGrant| terminationResistance:NonInteractive>\n"
        "\t]>"
    )


def rb_created_active(bundle: str, pid: int, assertion_id: str) -> str:
    return f"Assertion {assertion_id} (target:[application<{bundle}>:{pid}]) will be created as active"


def rb_jetsam_priority(bundle: str, pid: int, band: int = 3) -> str:
    return f"[application<{bundle}>:{pid}] Set jetsam priority to {band} [0] flag[1]"


def rb_darwin_role(bundle: str, pid: int) -> str:
    return f"[application<{bundle}>:{pid}] Set darwin role to: NonUserInteractive"


def rb_calculated_state(bundle: str) -> str:
    return f"Calculated state for application<{bundle}>: running-active (role: Background)"


def rb_termination(bundle: str, pid: int, signal: int = 9) -> str:
    # The sample reads "(2, 10, 10)" for a crash; jetsam/watchdog kills are SIGKILL (9).
    return f"[application<{bundle}>:{pid}] termination reported by launchd (2, {signal}, {signal})"


def rb_removing(bundle: str, pid: int) -> str:
    return f"Removing process: [application<{bundle}>:{pid}]"


# --- UIKit background-task warnings, in the app process (samples uikit_bgtask_*.txt)


def uikit_created_over_30s(task_no: int, name: str) -> str:
    return (
        f'Background Task {task_no} ("{name}"), was created over 30 seconds ago. In applications running in '
        "the background, this creates a risk of termination. Remember to call UIApplication.endBackgroundTask(_:) "
        "for your task in a timely manner to avoid this."
    )


def uikit_not_ended(addr: int, task_no: int, name: str, creation: int, elapsed: int) -> str:
    return (
        f"Background task still not ended after expiration handlers were called: <_UIBackgroundTaskInfo: 0x{addr:x}>: "
        f"taskID = {task_no}, taskName = {name}, creationTime = {creation} (elapsed = {elapsed}). This app will likely "
        "be terminated by the system. Call UIApplication.endBackgroundTask(_:) to avoid this."
    )


# --- kernel memorystatus (sample kernel_memorystatus_fatal_limit.txt; XNU kern_memorystatus.c format strings)


def kernel_exceeded_limit(limit_mb: int) -> str:
    return f"memorystatus: exceeded mem limit: ActiveHard {limit_mb} MB (fatal)"


def kernel_killing(uptime: float, how: str, pid: int, name: str, reason: str, prio: int, kb: int, pages: int) -> str:
    """`%lu.%03d memorystatus: killing_specific_process pid %d [%s] (%s %d) %lluKB - memorystatus_available_pages: %llu`
    (newer XNU); `how` is killing_specific_process (per-process limit) or killing_top_process (pressure)."""
    secs = int(uptime)
    ms = int((uptime - secs) * 1000)
    return (
        f"{secs}.{ms:03d} memorystatus: {how} pid {pid} [{name[:32]}] ({reason} {prio}) {kb}KB - "
        f"memorystatus_available_pages: {pages}"
    )


def osanalytics_saved(bug_type: str, kind: str, path: str, n: int) -> str:
    """What CrashReportsManager.watch() keys on: image OSAnalytics, process osanalyticshelper, message
    starting "Saved type " whose last token is the report path (pymobiledevice3 CrashReportsManager.watch).
    Wording modelled."""
    return f"Saved type '{bug_type}({kind})' report ({n} of max 25) at {path}"


# --- .ips reports: a one-line JSON header, a newline, then the JSON body


def _apple_json(body: dict[str, Any]) -> str:
    """Top-level keys one per line as `  "key" : value`, nested values compact — the layout of the
    watchdog sample (`  "termination" : {"code":2343432205,...},` / `  "faultingThread" : 0,`)."""
    rows = [f"  {json.dumps(k)} : {json.dumps(v, separators=(',', ':'))}" for k, v in body.items()]
    return "{\n" + ",\n".join(rows) + "\n}"


def jetsam_ips(header: dict[str, Any], body: dict[str, Any]) -> bytes:
    """JetsamEvent (bug_type 298), laid out like jetsam_event_ips_fixture_ios27.txt (pretty body)."""
    return (json.dumps(header, separators=(",", ":")) + "\n" + json.dumps(body, indent=2) + "\n").encode()


def crash_ips(header: dict[str, Any], body: dict[str, Any]) -> bytes:
    """Crash/watchdog report (bug_type 309, iOS 15+ JSON form, watchdog_ips_json_termination_field.txt)."""
    return (json.dumps(header, separators=(",", ":")) + "\n" + _apple_json(body) + "\n").encode()


def watchdog_reasons(
    event: str, bundle: str, pid: int, cpu: bool, allowance: float, stats: tuple[str, str]
) -> list[str]:
    """The RBSTerminateContext split into the `reasons` list exactly as the pocket-casts sample
    (scene-update, wall clock) and the covid19radar sample (scene-create, CPU allowance) show it."""
    kind = "CPU time" if cpu else "real (wall clock) time"
    return [
        f"<RBSTerminateContext| domain:10 code:0x8BADF00D explanation:{event} watchdog transgression: "
        f"application<{bundle}>:{pid} exhausted {kind} allowance of {allowance:.2f} seconds",
        "ProcessVisibility: Background",
        "ProcessState: Running",
        f"WatchdogEvent: {event}",
        "WatchdogVisibility: Background",
        "WatchdogCPUStatistics: (",
        f'"{stats[0]}",',
        f'"{stats[1]}"',
        ") reportType:CrashLog maxTerminationResistance:Interactive>",
    ]
