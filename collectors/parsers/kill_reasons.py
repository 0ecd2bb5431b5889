"""Normalized kill reasons shared by every Android source (logcat, event log, exit-info).

The same death is described three ways: ActivityManager's free text (`empty #33`), the event
log's copy of it, and ApplicationExitInfo's subreason (TOO_MANY_EMPTY). One vocabulary lets a
report count them together. Anything ActivityManager prints that AOSP does not is flagged as an
OEM kill (`oem:<text>`): AOSP's reasons are a short, known list, so an unknown one names a
manufacturer's killer (the heuristic dontkillmyapp.com uses).
"""

from __future__ import annotations

import re

# (pattern on the text after "(adj N): ", normalized reason). AOSP OomAdjuster / ProcessList /
# ActivityManagerService / CachedAppOptimizer / PhantomProcessList kill reasons.
_AOSP_KILL_REASONS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, re.IGNORECASE), reason)
    for p, reason in (
        (r"^empty #\d+", "too_many_empty"),
        (r"^empty for (?:\d+s|too long)", "trim_empty"),
        (r"^cached #\d+", "too_many_cached"),
        (r"^isolated not needed", "isolated_not_needed"),
        (r"^remove task", "remove_task"),
        (r"^(?:bg|background) anr", "anr"),
        (r"^anr\b", "anr"),
        (r"^crash", "crash"),
        (r"^excessive cpu", "excessive_cpu"),
        (r"^excessive wake", "excessive_wakelock"),
        (r"^trimming phantom processes", "phantom_process"),
        (r"while frozen", "freezer_binder"),
        (r"^frozen", "freezer_binder"),
        # CachedAppOptimizer's kills of a process whose binder it could not freeze or query (12-13: REASON_OTHER,
        # 14+: REASON_FREEZER / SUBREASON_FREEZER_BINDER_IOCTL): "Unable to freeze binder interface", "Unable to
        # query binder frozen stats", "Unable to unfreeze".
        (r"^unable to (?:freeze binder|query binder frozen|unfreeze)", "freezer_binder"),
        # Android 14 CachedAppOptimizer (frameworks/base 71d75c09): a cached process that keeps binder busy is
        # killed with killLocked("excessive binder traffic during cached", REASON_EXCESSIVE_RESOURCE_USAGE,
        # SUBREASON_EXCESSIVE_CPU): its exit-info says EXCESSIVE_CPU, so the reason here does too (sms-ie#129).
        (r"^excessive binder traffic", "excessive_cpu"),
        (r"^start timeout", "start_timeout"),
        (r"^depends on provider", "dependency_died"),
        (r"^too many binders", "excessive_binder_objects"),
        (r"^stop user", "stop_user"),
        (r"^kill all background", "kill_background"),
        (r"^kill background", "kill_background"),
        (r"^cached idle & background restricted", "cached_idle_forced_app_standby"),
        (r"^remove lru", "remove_lru"),
        (r"^package (?:updated|changed)", "package_updated"),
        # ActivityManagerService.attachApplicationLocked: a process whose components failed to start as it
        # attached, app.kill("error during init", REASON_INITIALIZATION_FAILURE) (fluxstore support#3316).
        (r"^error during init", "initialization_failure"),
        # Android 4.1-4.3 (ActivityManagerService.updateOomAdjLocked): "No longer want <proc> (pid N):
        # hidden #N" (hidden = cached before 4.4) and the am_kill texts written with it.
        (r"^hidden #\d+", "too_many_cached"),
        (r"^too many background", "too_many_cached"),
        (r"^old background process", "trim_empty"),
        (r"^stop ", "stop_app"),
    )
)
# A force-stop's kill names the package and, on most builds, why it was stopped: AOSP 12+
# "stop <pkg> due to <cause>", Samsung "stop <pkg>,<cause>" (MARs), Flyme "reason: <cause>, stop <pkg>".
_STOP_DUE_TO = re.compile(r"^stop (?P<pkg>\S+?) due to (?P<cause>.+)$")
_STOP_COMMA = re.compile(r"^stop (?P<pkg>[^\s,]+),\s*(?P<cause>.+)$")
_CAUSE_STOP = re.compile(r"^(?P<cause>.+?),\s*stop (?P<pkg>\S+)$")
# EMUI (Android 8) joins the package and the force-stop's cause with nothing between them, the cause as its
# "Force stopping <pkg> ...: from pid 14714by app" line has it: "stop com.boolbird.keepalivefrom pid 14714by app"
# (lcodecorex/KeepAlive#4; AOSP 8's text is "stop " + packageName alone).
_STOP_GLUED = re.compile(r"^stop (?P<pkg>[A-Za-z][\w.]*?)(?P<cause>from pid \d+.*)$")

# The causes AOSP passes to forceStopPackageLocked (ActivityManagerService, and PackageManagerService
# through killApplication / PackageFreezer): "from pid N" (am force-stop, Settings), "installPackageLI"
# (PackageFreezer during an install), "replace pkg", "replace sys pkg", "update lib", "uninstall pkg",
# "pkg removed", "deletePackageX", "move pkg", "hiding pkg", "clear data", "stop user N", "finish user",
# "set debug app", "start instr", "finished inst", "storage unmount", "vold reset", "query restart",
# "permissions revoked", "permission grant or revoke changed gids" (gityuan.com's table of 7.0's
# callers and PackageManagerService of 7-14). Matched lower-case, first hit wins.
_FORCE_STOP_CAUSES: tuple[tuple[str, str], ...] = (
    ("from pid", "force_stop"),
    ("uninstall pkg", "package_removed"),
    ("pkg removed", "package_removed"),
    ("deletepackage", "package_removed"),
    ("replace", "package_updated"),  # "replace pkg", "replace sys pkg"
    ("update pkg", "package_updated"),
    ("update lib", "package_updated"),
    ("installpackage", "package_updated"),  # "installPackageLI": an install or update of the app
    ("move pkg", "package_updated"),
    ("clear data", "clear_data"),
    ("stop user", "stop_user"),
    ("finish user", "stop_user"),
    ("hiding pkg", "force_stop"),
    ("set debug app", "force_stop"),
    ("start instr", "force_stop"),
    ("finished inst", "force_stop"),
    ("storage unmount", "force_stop"),
    ("vold reset", "force_stop"),
    ("query restart", "force_stop"),
    ("permission", "force_stop"),
)

# Linux's signal numbers (asm-generic/signal.h; the ARM and x86 ABIs Android runs on), which differ from Darwin's:
# 7 is SIGBUS, 10 SIGUSR1 (collectors.parsers.ios_rules.DARWIN_SIGNALS has Darwin's).
LINUX_SIGNALS = {
    1: "sighup",
    2: "sigint",
    3: "sigquit",
    4: "sigill",
    6: "sigabrt",
    7: "sigbus",
    8: "sigfpe",
    9: "sigkill",
    11: "sigsegv",
    13: "sigpipe",
    15: "sigterm",
}


def normalize_am_kill_reason(text: str) -> str:
    """ActivityManager `Killing ... (adj N): <text>` or `am_kill`'s reason -> normalized code."""
    text = text.strip()
    if text.startswith("reason: "):  # Flyme prefixes its kill texts: "reason: installPackageLI, stop <pkg>"
        text = text[8:].strip()
    stop = _stop_match(text)
    if stop is not None:
        cause = normalize_force_stop_reason(stop["cause"])
        if stop.re is _STOP_DUE_TO and is_oem_reason(cause):
            return "force_stop"  # AOSP's own form: a cause it does not list is still a force-stop
        return cause
    for pattern, reason in _AOSP_KILL_REASONS:
        if pattern.search(text):
            return reason
    return "oem:" + oem_slug(text) if text else "unknown"


def _stop_match(text: str) -> re.Match[str] | None:
    """A force-stop's kill text in one of its forms, with the package and (if it says) the cause."""
    if text.startswith("stop "):
        return _STOP_DUE_TO.match(text) or _STOP_COMMA.match(text) or _STOP_GLUED.match(text)
    if ", stop " in text:
        return _CAUSE_STOP.match(text)
    return None


def stopped_package(text: str) -> str | None:
    """The package a force-stop's kill text names ("stop <pkg>" and the forms above), or None."""
    text = text.strip()
    if text.startswith("reason: "):
        text = text[8:].strip()
    stop = _stop_match(text)
    if stop is not None:
        return stop["pkg"]
    return text[5:] if text.startswith("stop ") and " " not in text[5:] else None


def is_oem_reason(reason: str | None) -> bool:
    return reason is not None and reason.startswith("oem:")


def oem_slug(text: str) -> str:
    """A stable label for a free-form OEM reason: its first clause, numbers masked."""
    head = re.split(r"[,;]", text, maxsplit=1)[0].strip()
    head = re.sub(r"\d+", "N", head)
    return head[:60] or "unknown"


def normalize_force_stop_reason(text: str) -> str:
    """`Force stopping <pkg> appid=N user=N: <cause>` -> normalized code; a cause AOSP never passes
    (Samsung's `MARs #1`) is a manufacturer's killer: `oem:<cause>`."""
    low = text.lower()
    for needle, reason in _FORCE_STOP_CAUSES:
        if needle in low:
            return reason
    return "oem:" + oem_slug(text) if text.strip() else "force_stop"


def signal_reason(number: int) -> str:
    return LINUX_SIGNALS.get(number, f"signal_{number}")
