"""Normalized kill reasons shared by every Android source (logcat, event log, exit-info).

The same death is described three ways: ActivityManager's free text (`empty #33`), the event
log's copy of it, and ApplicationExitInfo's subreason (TOO_MANY_EMPTY). One vocabulary lets a
report count them together. Anything ActivityManager prints that AOSP does not is flagged as an
OEM kill (`oem:<text>`), per the dontkillmyapp heuristic in ../shared/reference/android.md §5.
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
        (r"^start timeout", "start_timeout"),
        (r"^depends on provider", "dependency_died"),
        (r"^too many binders", "excessive_binder_objects"),
        (r"^stop user", "stop_user"),
        (r"^kill all background", "kill_background"),
        (r"^kill background", "kill_background"),
        (r"^cached idle & background restricted", "cached_idle_forced_app_standby"),
        (r"^remove lru", "remove_lru"),
        (r"^package (?:updated|changed)", "package_updated"),
        (r"^stop \S+ due to ", "force_stop"),  # 12+: force-stops also log "stop <pkg> due to <why>"
        (r"^stop ", "stop_app"),
    )
)

_FORCE_STOP_CAUSES: tuple[tuple[str, str], ...] = (
    ("from pid", "force_stop"),
    ("uninstall pkg", "package_removed"),
    ("pkg removed", "package_removed"),
    ("replace pkg", "package_updated"),
    ("update pkg", "package_updated"),
    ("clear data", "clear_data"),
    ("stop user", "stop_user"),
)

_SIGNALS = {
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
    for pattern, reason in _AOSP_KILL_REASONS:
        if pattern.search(text):
            return reason
    return "oem:" + oem_slug(text) if text else "unknown"


def is_oem_reason(reason: str | None) -> bool:
    return bool(reason) and reason.startswith("oem:")  # type: ignore[union-attr]


def oem_slug(text: str) -> str:
    """A stable label for a free-form OEM reason: its first clause, numbers masked."""
    head = re.split(r"[,;]", text, maxsplit=1)[0].strip()
    head = re.sub(r"\d+", "N", head)
    return head[:60] or "unknown"


def normalize_force_stop_reason(text: str) -> str:
    low = text.lower()
    for needle, reason in _FORCE_STOP_CAUSES:
        if needle in low:
            return reason
    return "force_stop"


def signal_reason(number: int) -> str:
    return _SIGNALS.get(number, f"signal_{number}")
