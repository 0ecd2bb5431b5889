"""iOS conditions: `network=` and `thermal=` through the DVT ConditionInducer, `lowpower=` by the operator.

A ConditionInducer profile lasts only while its DVT connection is open ("automatically turned off
when the connection ends", go-ios PR #50), and only one can be active. So `hold()` journals the
change, enables the profile, reads it back (the group's `activeProfile` in `availableConditionInducers`),
keeps the connection and re-reads it while held (`keep()`: a dropped tunnel or DVT connection ends the
condition on the phone), and clears it and closes the journal entry on every way out (done, Ctrl-C,
SIGTERM, an error). A SIGKILL leaves a journal entry; the phone dropped the condition with the
connection, and `bgprobe restore` closes the entry — clearing a condition only if the phone's active
profile is the journaled one.

Low Power Mode has no remote switch or reading (pymobiledevice3 11.45 has none): with a terminal the
operator is asked to flip it while powerd's log is already being watched for the direction asked for
("LPM: State is now ON|OFF", PMLowPowerModeService.mm); the change is journaled either way so that later
commands remind whoever runs them to switch it back; without a terminal it is a usage error.

`DvtInducer` is the pymobiledevice3 implementation (DvtProvider + ConditionInducer); the tests drive it, through
the real client, against the simulated iPhone's DTX service (sim/ios/dtx.py). Not run against a phone.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from bgprobe.collectors.errors import UsageError
from bgprobe.collectors.journal import Change, Journal
from bgprobe.collectors.parsers.ios_layouts import parse_record

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


class ConditionError(UsageError):
    pass


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
    """What bgprobe needs of a condition inducer (DvtInducer)."""

    async def list(self) -> list[dict[str, Any]]: ...
    async def set(self, profile_id: str) -> None: ...
    async def clear(self) -> None: ...


class DvtInducer:
    """pymobiledevice3 11.45: `ConditionInducer(DvtProvider(provider))`, provider = lockdown (<17) or RSD."""

    def __init__(self, inducer: Any) -> None:
        self._inducer = inducer

    async def list(self) -> list[dict[str, Any]]:
        return await self._inducer.list()  # type: ignore[no-any-return]  # pymobiledevice3 leaves it untyped

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
            # disableActiveCondition expects no reply: the next answer on this connection comes after it was handled
            await inducer.clear()
            still = active_condition(await inducer.list())
            if still:
                raise ConditionError(f"{assignment}: the phone still reports {still} active after clearing it")
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
    change = journal.record(assignment.key, assignment.value, DVT_UNDO, prior="no induced condition")
    try:
        await inducer.set(assignment.value)
        # read back: the profile the phone reports active must be the one asked for
        now_active = active_condition(await inducer.list())
        if now_active != assignment.value:
            raise ConditionError(
                f"{assignment}: the phone did not take it (active condition after enabling: {now_active or 'none'})"
            )
        say(f"{assignment} active (held while this command runs; journaled)")
        await wait()
    finally:
        try:
            with contextlib.suppress(Exception):  # a dropped connection cannot be cleared: the phone ended it
                await inducer.clear()
                # disableActiveCondition expects no reply, and a message sent just before its connection closes
                # can be lost (pymobiledevice3's ProcessControl.kill says so of killPid:): a read waits for it
                await asyncio.wait_for(inducer.list(), 5.0)
        finally:
            # the device drops the condition with the connection anyway: the entry is closed either way
            journal.mark_undone(change)
    return change


DVT_UNDO = [["dvt", "ConditionInducer", "disableActiveCondition"]]


class ConditionLost(Exception):
    """The held condition ended on the phone (connection dropped, or another client changed it)."""


async def keep(inducer: Inducer, profile_id: str, release: asyncio.Event, interval: float = 1.0) -> None:
    """Hold until `release` is set, re-reading the phone's active condition every `interval` seconds; raises
    ConditionLost as soon as it is not `profile_id` any more (the DVT connection or its tunnel went away — the
    phone then ends the condition — or another client replaced or cleared it)."""
    while not release.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(release.wait(), interval)
        if release.is_set():
            return
        try:
            now_active = active_condition(await asyncio.wait_for(inducer.list(), max(interval * 5, 5.0)))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            raise ConditionLost(
                f"the DVT connection holding {profile_id} was lost ({type(exc).__name__}: {exc or 'closed'}); "
                "the phone ended the condition with it"
            ) from exc
        if now_active != profile_id:
            raise ConditionLost(f"{profile_id} is no longer active on the phone (active: {now_active or 'none'})")


def close_pending(journal: Journal) -> list[Change]:
    """`bgprobe restore` for iOS: a left-over entry means bgprobe died while holding a condition; the
    device ended it when the DVT connection closed, so the entry is closed (and reported)."""
    closed = []
    for change in reversed(journal.pending()):
        journal.mark_undone(change)
        closed.append(change)
    return closed


# -- Low Power Mode: operator-assisted --------------------------------------------------------

# powerd (subsystem com.apple.powerd, category lowPowerMode), PMLowPowerModeService toggleState:…, decompiled
# iOS 26.1: "LPM: %{public}@ = %d" with the notification name, then "LPM: State is now %{public}s (battery:%d)".
LPM_STATE = re.compile(r"LPM: (?:State is now (?P<word>ON|OFF)\b|com\.apple\.system\.lowpowermode = (?P<num>[01])\b)")


def lowpower_direction(line: str) -> str | None:
    """'on' / 'off' when the line is powerd reporting Low Power Mode's new state, else None. dasd's
    LowPowerModePolicy lines name the policy in every evaluation and say nothing about a switch."""
    m = LPM_STATE.search(line)
    if m is None:
        return None
    if m["word"]:
        return m["word"].lower()
    return "on" if m["num"] == "1" else "off"


def lowpower_instructions(udid: str, name: str | None, value: str) -> str:
    who = f"{name} ({udid})" if name else udid
    return (
        f"On {who}: open Settings › Battery and switch Low Power Mode {value.upper()} "
        "(or use the Control Centre button), then press Enter here."
    )


class LowpowerWatch:
    """Watches a log stream for powerd's Low Power Mode lines from *before* the operator is asked (the lines
    come the moment the switch is flipped, usually before Enter is pressed)."""

    def __init__(self, lines: AsyncIterator[str]) -> None:
        self._lines = lines
        self.seen: list[tuple[str, str]] = []  # (direction, line)
        self.changed = asyncio.Event()
        self.error: BaseException | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> LowpowerWatch:
        self._task = asyncio.create_task(self._run())
        return self

    async def _run(self) -> None:
        try:
            async for line in self._lines:
                direction = lowpower_direction(line)
                if direction is not None:
                    rec = parse_record(line, 0)
                    self.seen.append((direction, rec.msg if rec is not None else line))
                    self.changed.set()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the stream ended: what was seen stands, the rest is unconfirmed
            self.error = exc

    async def result(self, value: str, seconds: float) -> tuple[str, str | None]:
        """("confirmed", line) when powerd said `value` (its last word counts), ("contradicted", line) when it said
        the opposite, ("unconfirmed", None) when it said nothing within `seconds`."""
        deadline = time.monotonic() + seconds
        while True:
            if self.seen and self.seen[-1][0] == value:
                return "confirmed", self.seen[-1][1]
            left = deadline - time.monotonic()
            if left <= 0 or (self._task is not None and self._task.done()):
                break
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), left)
        if self.seen:
            return "contradicted", self.seen[-1][1]
        return "unconfirmed", None

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task


LOWPOWER_UNDO_TEXT = "an operator switches Low Power Mode back in Settings › Battery"


def lowpower_undo(prior: str) -> list[list[str]]:
    return [["operator", "Settings › Battery › Low Power Mode", prior]]
