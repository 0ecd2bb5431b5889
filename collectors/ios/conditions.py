"""iOS conditions: `network=` and `thermal=` through the DVT ConditionInducer, `lowpower=` by the operator.

A ConditionInducer profile lasts only while its DVT connection is open ("automatically turned off
when the connection ends", ios.md §1.4), and only one can be active. So `hold()` journals the
change, enables the profile, keeps the connection for the duration, and clears it and closes the
journal entry on every way out (done, Ctrl-C, SIGTERM, an error). A SIGKILL leaves a journal entry;
the device itself dropped the condition with the connection, and `bgprobe restore` closes the entry.

Low Power Mode has no remote switch or reading (ios.md §1.6): with a terminal the operator is asked
to flip it and the device log is watched for a confirmation; without one it is a usage error.

`Inducer` is the seam: `DvtInducer` is the pymobiledevice3 implementation (DvtProvider +
ConditionInducer), tests use a fake. DVT is not served by the simulator and was not run on a phone.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from bgprobe.collectors.errors import EXIT_USAGE, BgprobeError
from bgprobe.collectors.journal import Change, Journal

KEYS = ("network", "thermal", "lowpower")
NETWORK_ALIASES = {
    "offline": "SlowNetwork100PctLoss",
    "100pct-loss": "SlowNetwork100PctLoss",
    "very-bad": "SlowNetworkVeryBadNetwork",
    "edge-bad": "SlowNetworkEdgeBad",
    "edge": "SlowNetworkEdgeAverage",
    "edge-good": "SlowNetworkEdgeGood",
    "2g": "SlowNetwork2GUrban",
    "2g-rural": "SlowNetwork2GRural",
    "3g": "SlowNetwork3GAverage",
    "3g-good": "SlowNetwork3GGood",
    "lte": "SlowNetworkLTE",
    "wifi": "SlowNetworkWiFi",
    "wifi-ac": "SlowNetworkWiFi80211AC",
    "dsl": "SlowNetworkDSL",
    "dns-latency": "SlowNetworkHighLatencyDNS",
}
THERMAL_ALIASES = {"fair": "ThermalFair", "serious": "ThermalSerious", "critical": "ThermalCritical"}
NETWORK_GROUP = "SlowNetworkCondition"
THERMAL_GROUP = "ThermalCondition"
CLEARED = ("none", "off", "online", "nominal", "clear")
LOWPOWER_NO_TTY = (
    "lowpower={value}: iOS offers no remote switch for Low Power Mode (neither lockdown nor "
    "pymobiledevice3 can set or read it), so an operator has to flip it in Settings › Battery. "
    "Run this command on a terminal and bgprobe will ask for it and check the device log, "
    "or set it by hand before the run"
)


class ConditionError(BgprobeError):
    exit_code = EXIT_USAGE


@dataclass(frozen=True)
class IosAssignment:
    key: str
    value: str  # the profile id for network/thermal ("" = clear), on/off for lowpower

    def __str__(self) -> str:
        return f"{self.key}={self.value or 'cleared'}"


def parse_ios_assignments(items: list[str]) -> list[IosAssignment]:
    out: list[IosAssignment] = []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or key not in KEYS:
            raise ConditionError(f"{item!r}: on iOS expected KEY=VALUE with KEY one of {', '.join(KEYS)}")
        if key == "lowpower":
            if value not in ("on", "off"):
                raise ConditionError(f"lowpower={value}: expected on or off")
            out.append(IosAssignment(key, value))
            continue
        aliases = NETWORK_ALIASES if key == "network" else THERMAL_ALIASES
        prefix = "SlowNetwork" if key == "network" else "Thermal"
        if value.lower() in CLEARED:
            out.append(IosAssignment(key, ""))
        elif value in aliases:
            out.append(IosAssignment(key, aliases[value]))
        elif value.startswith(prefix):
            out.append(IosAssignment(key, value))  # a profile id as `developer dvt condition list` shows it
        else:
            raise ConditionError(
                f"{key}={value}: expected a ConditionInducer profile id ({prefix}…) or one of "
                f"{', '.join(sorted(aliases))}, or none"
            )
    induced = [a for a in out if a.key in ("network", "thermal") and a.value]
    if len(induced) > 1:
        raise ConditionError(
            "iOS keeps one induced condition at a time (ConditionInducer): set network= or thermal=, not both"
        )
    return out


class Inducer(Protocol):
    """What bgprobe needs of a condition inducer (the seam tests replace)."""

    async def list(self) -> list[dict[str, Any]]: ...
    async def set(self, profile_id: str) -> None: ...
    async def clear(self) -> None: ...


class DvtInducer:
    """pymobiledevice3 11.45: `ConditionInducer(DvtProvider(provider))`, provider = lockdown (<17) or RSD."""

    def __init__(self, inducer: Any) -> None:
        self._inducer = inducer

    async def list(self) -> list[dict[str, Any]]:
        return await self._inducer.list()

    async def set(self, profile_id: str) -> None:
        await self._inducer.set(profile_id)

    async def clear(self) -> None:
        await self._inducer.clear()


@contextlib.asynccontextmanager
async def dvt_inducer(provider: Any) -> AsyncIterator[DvtInducer]:
    from pymobiledevice3.services.dvt.instruments.condition_inducer import ConditionInducer
    from pymobiledevice3.services.dvt.instruments.dvt_provider import DvtProvider

    async with DvtProvider(provider) as dvt, ConditionInducer(dvt) as inducer:
        yield DvtInducer(inducer)


def profile_ids(groups: list[dict[str, Any]]) -> dict[str, str]:
    """profile id -> group id, from `availableConditionInducers`."""
    out: dict[str, str] = {}
    for group in groups or []:
        for profile in group.get("profiles") or []:
            if profile.get("identifier"):
                out[str(profile["identifier"])] = str(group.get("identifier"))
    return out


def active_condition(groups: list[dict[str, Any]]) -> str | None:
    for group in groups or []:
        if group.get("isActive"):
            return str(group.get("activeProfile") or group.get("identifier"))
    return None


async def hold(
    inducer: Inducer,
    journal: Journal,
    assignment: IosAssignment,
    wait: Callable[[], Awaitable[None]],
    *,
    say: Callable[[str], None] = lambda _m: None,
) -> Change | None:
    """Enable `assignment`'s profile, run `wait()` (the hold), then clear it — whatever happens.

    The journal entry is written before the profile is enabled and closed after it is cleared.
    `network=none` / `thermal=none` clears an active condition and holds nothing.
    """
    groups = await inducer.list()
    available = profile_ids(groups)
    if not assignment.value:
        if active_condition(groups):
            await inducer.clear()
        say(f"{assignment.key}: no induced condition active")
        return None
    if assignment.value not in available:
        names = ", ".join(sorted(available)) or "none"
        raise ConditionError(f"{assignment}: the device offers no such ConditionInducer profile (it has: {names})")
    already = active_condition(groups)
    if already:
        raise ConditionError(
            f"{assignment}: another induced condition is active ({already}); only one can be, and bgprobe does "
            "not replace one it did not set (`pymobiledevice3 developer dvt condition clear` ends it)"
        )
    change = journal.record(assignment.key, assignment.value, [["dvt", "ConditionInducer", "disableActiveCondition"]])
    try:
        await inducer.set(assignment.value)
        say(f"{assignment} active (held while this command runs; journaled)")
        await wait()
    finally:
        try:
            await inducer.clear()
        finally:
            # the device drops the condition with the connection anyway: the entry is closed either way
            journal.mark_undone(change)
    return change


def close_pending(journal: Journal) -> list[Change]:
    """`bgprobe restore` for iOS: a left-over entry means bgprobe died while holding a condition; the
    device ended it when the DVT connection closed, so the entry is closed (and reported)."""
    closed = []
    for change in reversed(journal.pending()):
        journal.mark_undone(change)
        closed.append(change)
    return closed


# -- Low Power Mode: operator-assisted --------------------------------------------------------

LOWPOWER_LOG_MARKERS = ("LowPowerMode", "lowpowermode", "Low Power Mode", "LowPowerModePolicy")


def lowpower_instructions(udid: str, name: str | None, value: str) -> str:
    who = f"{name} ({udid})" if name else udid
    return (
        f"On {who}: open Settings › Battery and switch Low Power Mode {value.upper()} "
        "(or use the Control Centre button), then press Enter here."
    )


async def confirm_lowpower_from_log(lines: AsyncIterator[str], seconds: float) -> str | None:
    """The first device log line within `seconds` that mentions Low Power Mode, or None."""
    deadline = time.monotonic() + seconds
    with contextlib.suppress(TimeoutError):
        async for line in _until(lines, deadline):
            if any(marker in line for marker in LOWPOWER_LOG_MARKERS):
                return line
    return None


async def _until(lines: AsyncIterator[str], deadline: float) -> AsyncIterator[str]:
    import asyncio

    it = lines.__aiter__()
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return
        try:
            yield await asyncio.wait_for(it.__anext__(), left)
        except (StopAsyncIteration, TimeoutError):
            return
