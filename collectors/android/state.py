"""Background conditions of an Android phone: read them, change them, and put back exactly what was
there before, overrides included.

Each change is planned from a reading of the phone taken just before it: the apply commands, the
commands that return the phone to that reading (not to defaults: a phone that arrived in forced
deep idle, or with its battery faked at level 55 and unplugged, goes back to exactly that), and a
read-back check. The undo commands and the reading, in words, are journaled before anything is
applied; after applying, the state is read back and a change the phone did not take is undone and
reported as an error, never as a success.

What AOSP shows and takes (`frameworks/base`):
- `dumpsys battery` (BatteryService.dumpInternal) prints "(UPDATES STOPPED -- use 'reset' to
  restart)" while its values are overridden from the shell; `set ac|usb|wireless|level` change the
  override and keep it, `reset` returns to the real values. So an override found on the phone is
  put back with `set`, and only a phone that had none is `reset`.
- `dumpsys deviceidle` (DeviceIdleController.dump) prints `mForceIdle=` and `mState= mLightState=`
  on every version (`get force|deep|light` only exists from Android 7); `force-idle [deep|light]`
  re-forces, `unforce` releases.
- `cmd appops set PKG RUN_ANY_IN_BACKGROUND allow` prunes the entry (AppOpsService.setMode prunes
  an op set to its default mode, and RUN_ANY_IN_BACKGROUND's default is allow): `get` then says
  "No operations." An app is restricted by any mode but allow (AppStateTracker), `default`
  included, so an absent entry is restored with `allow`, never with `default`.
- `am set-standby-bucket` marks the bucket as forced by the user (AppStandbyController,
  REASON_MAIN_FORCED_BY_USER): the phone stops moving it on its own, and no shell command hands it
  back. A bucket is put back as a value, and the change says so when it is made.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from bgprobe.collectors.android.adb import AndroidDevice
from bgprobe.collectors.android.info import parse_battery, read_doze
from bgprobe.collectors.errors import BgprobeError, DeviceError, UsageError
from bgprobe.collectors.interrupts import sigterm_as_interrupt
from bgprobe.collectors.journal import Change, Journal, JournalWriteError
from bgprobe.collectors.package_names import check_package_name

BUCKETS = {"active": 10, "working_set": 20, "frequent": 30, "rare": 40, "restricted": 45}
KEYS: dict[str, tuple[str, ...]] = {
    "doze": ("deep", "light", "off"),
    "bucket": tuple(BUCKETS),
    "battery": ("unplugged", "plugged"),
    "level": (),  # 0..100
    "saver": ("on", "off"),
    "network": ("online", "offline", "wifi-only", "data-only", "airplane"),
    "restrict": ("on", "off"),
}
NEEDS_PACKAGE = ("bucket", "restrict")
ORDER = ("battery", "level", "saver", "network", "bucket", "restrict", "doze")  # unplug before saver and doze
_LEVEL = re.compile(r"[0-9]{1,3}")  # ASCII digits only: "²".isdigit() is True in Python
POWER_SOURCES = ("ac", "usb", "wireless")


class NotAvailable(UsageError):
    """A condition this OS version does not have: said plainly, never a silent no-op."""


class ChangeNotTaken(DeviceError):
    pass


@dataclass(frozen=True)
class Assignment:
    key: str
    value: str
    package: str | None = None

    def __str__(self) -> str:
        return f"{self.key}={self.value}" + (f" ({self.package})" if self.package else "")


def parse_assignments(items: list[str], package: str | None) -> list[Assignment]:
    out: list[Assignment] = []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or key not in KEYS:
            raise UsageError(f"{item!r}: expected KEY=VALUE with KEY one of {', '.join(KEYS)}")
        if key == "level":
            if not (_LEVEL.fullmatch(value) and 0 <= int(value) <= 100):
                raise UsageError(f"level={value}: expected a battery level from 0 to 100")
        elif value not in KEYS[key]:
            raise UsageError(f"{key}={value}: expected one of {', '.join(KEYS[key])}")
        if any(a.key == key for a in out):
            raise UsageError(f"{key}= is given twice: give each key once")
        if key in NEEDS_PACKAGE:
            if not package:
                raise UsageError(f"{key}= applies to one app: add --package PACKAGE")
            check_package_name(package)
        out.append(Assignment(key, value, package if key in NEEDS_PACKAGE else None))
    return sorted(out, key=lambda a: ORDER.index(a.key))


# -- readings: what the phone shows, and the commands that return it there -------------------------


@dataclass(frozen=True)
class BatteryReading:
    frozen: bool  # BatteryService's values are overridden from the shell
    ac: bool
    usb: bool
    wireless: bool
    level: int | None

    @property
    def charging(self) -> bool:
        return self.ac or self.usb or self.wireless

    def words(self) -> str:
        plugged = "+".join(s for s in POWER_SOURCES if getattr(self, s)) or "unplugged"
        if not self.frozen:
            return f"real battery ({plugged}, level {self.level})"
        return f"battery override ({plugged}, level {self.level})"

    def power_undo(self) -> list[list[str]]:
        """Back to this reading's power sources: the override as it was, or the real battery."""
        if not self.frozen:
            return [["dumpsys", "battery", "reset"]]
        return [["dumpsys", "battery", "set", s, "1" if getattr(self, s) else "0"] for s in POWER_SOURCES]

    def level_undo(self) -> list[list[str]]:
        if not self.frozen or self.level is None:
            return [["dumpsys", "battery", "reset"]]
        return [["dumpsys", "battery", "set", "level", str(self.level)]]


@dataclass(frozen=True)
class DozeReading:
    forced: bool | None  # None: the dump did not say
    deep: str | None
    light: str | None
    deep_enabled: bool = True
    light_enabled: bool = True

    @property
    def forced_mode(self) -> str | None:
        """deep | light | inactive when forced from the shell, else None."""
        if not self.forced:
            return None
        if self.deep == "IDLE":
            return "deep"
        if self.light == "IDLE":
            return "light"
        return "inactive"

    @property
    def dozing(self) -> bool:
        return "IDLE" in (self.deep, self.light)

    def words(self) -> str:
        states = f"deep {self.deep or '?'}, light {self.light or '?'}"
        mode = self.forced_mode
        return f"forced {mode} idle ({states})" if mode else f"not forced ({states})"

    def release(self, sdk: int) -> list[list[str]]:
        """Out of doze, whatever the battery: `unforce` wakes a phone only when it charges or its
        screen is on (exitForceIdleLocked); disabling an enabled mode makes it active
        (becomeActiveLocked) and enabling it again lets it go inactive as an unplugged phone does
        (becomeInactiveIfAppropriateLocked). Android 6 has no `unforce`: `step` leaves the force."""
        if sdk < 24:
            return [["dumpsys", "deviceidle", "step"], ["dumpsys", "deviceidle", "disable"],
                    ["dumpsys", "deviceidle", "enable"]]  # fmt: skip
        mode = "deep" if self.deep_enabled or not self.light_enabled else "light"
        return [
            ["dumpsys", "deviceidle", "unforce"],
            ["dumpsys", "deviceidle", "disable", mode],
            ["dumpsys", "deviceidle", "enable", mode],
        ]

    def undo(self, sdk: int) -> list[list[str]]:
        """Back to this reading from a phone bgprobe forced into idle. A forced light idle cannot
        be entered from deep idle (stepLightIdleStateLocked stops at OVERRIDE): the phone is woken
        first. Not forced: woken, and an unplugged phone starts its doze countdown again (its
        place in that countdown cannot be put back)."""
        mode = self.forced_mode
        if mode == "deep":
            return [["dumpsys", "deviceidle", "force-idle", "deep"]]
        if mode == "light":
            return [*self.release(sdk), ["dumpsys", "deviceidle", "force-idle", "light"]]
        if mode == "inactive" and sdk >= 24:
            return [*self.release(sdk), ["dumpsys", "deviceidle", "force-inactive"]]
        return self.release(sdk)


@dataclass
class Plan:
    apply: list[list[str]]
    undo: list[list[str]]
    check: Callable[[], bool]
    expect: str  # what the read-back should have shown, for the error message
    prior: str = ""  # the reading the undo returns to, in words
    note: str | None = None  # what bgprobe cannot put back exactly on this phone, said when changing


class StateController:
    def __init__(self, dev: AndroidDevice, sdk: int, journal: Journal | None = None) -> None:
        self.dev = dev
        self.sdk = sdk
        self.journal = journal or Journal(dev.key, dev.serial)
        self.notes: list[str] = []  # said to the user by the command
        self._battery_set_to: str | None = None  # battery= applied by this command (doze keeps it)

    # -- reading ---------------------------------------------------------------------------
    def read(self, packages: list[str] | None = None) -> dict[str, object]:
        battery = self.battery()
        doze = self.doze()
        state: dict[str, object] = {
            "doze": f"{doze.deep}/{doze.light}",
            "doze_forced": doze.forced,
            "battery": "plugged" if battery.charging else "unplugged",
            "battery_faked": battery.frozen,
            "level": battery.level,
            "saver": "on" if self._setting("low_power") == "1" else "off",
            "network": self._network(),
        }
        for pkg in packages or []:
            if self.sdk >= 28:
                state[f"bucket:{pkg}"] = self._bucket_name(self._bucket(pkg))
                state[f"restrict:{pkg}"] = "on" if self._restricted(pkg) else "off"
        return state

    def battery(self) -> BatteryReading:
        b = parse_battery(self.dev.text(["dumpsys", "battery"]))
        return BatteryReading(bool(b["frozen"]), bool(b["ac"]), bool(b["usb"]), bool(b["wireless"]), b["level"])

    def doze(self) -> DozeReading:
        data = read_doze(self.dev)
        return DozeReading(
            data.get("force_idle"),
            data.get("deep_state"),
            data.get("light_state"),
            data.get("deep_enabled") is not False,
            data.get("light_enabled") is not False,
        )

    def _setting(self, key: str, table: str = "global") -> str:
        return self.dev.text(["settings", "get", table, key]).strip()

    def _radios(self) -> tuple[bool, bool, bool]:
        """(airplane, wifi, data)."""
        airplane, wifi_on, data = self._radio_settings()
        return airplane, wifi_on in ("1", "2"), data

    def _radio_settings(self) -> tuple[bool, str, bool]:
        """(airplane, wifi_on as stored, data). wifi_on (WifiSettingsStore): 0 off, 1 on, 2 on in
        airplane mode, 3 off because airplane mode is on (it comes back when airplane mode ends)."""
        return (
            self._setting("airplane_mode_on") == "1",
            self._setting("wifi_on"),
            self._setting(self._data_setting()) == "1",
        )

    def _network(self) -> str:
        airplane, wifi, data = self._radios()
        if airplane:
            return "airplane"
        return {(True, True): "online", (True, False): "wifi-only", (False, True): "data-only"}.get(
            (wifi, data), "offline"
        )

    def _data_setting(self) -> str:
        """`mobile_data`, or `mobile_data<subId>` of the data subscription on a phone with several SIMs
        (DataEnabledSettings / GlobalSettingsHelper: single-SIM phones keep the plain key)."""
        sub = self._setting("multi_sim_data_call")
        if sub.isascii() and sub.isdigit() and self._setting(f"mobile_data{sub}") in ("0", "1"):
            return f"mobile_data{sub}"
        return "mobile_data"

    def _bucket(self, pkg: str) -> int | None:
        text = self.dev.text(["am", "get-standby-bucket", pkg]).strip()
        return int(text) if text.isascii() and text.isdigit() else None

    @staticmethod
    def _bucket_name(value: int | None) -> str:
        names = {v: k for k, v in BUCKETS.items()} | {5: "exempted", 50: "never"}
        return names.get(value, str(value)) if value is not None else "unknown"

    def _appop(self, pkg: str) -> str | None:
        """RUN_ANY_IN_BACKGROUND's explicit mode, or None when the app has no entry (allowed)."""
        text = self.dev.text(["cmd", "appops", "get", pkg, "RUN_ANY_IN_BACKGROUND"])
        m = re.search(r"RUN_ANY_IN_BACKGROUND: (\w+)", text)
        return m[1] if m else None

    def _restricted(self, pkg: str) -> bool:
        return self._appop(pkg) not in (None, "allow")

    # -- changing --------------------------------------------------------------------------
    def check_available(self, a: Assignment) -> None:
        gates = {
            "bucket": (28, "app standby buckets are not available before Android 9 (API 28)"),
            "restrict": (28, "background restriction (RUN_ANY_IN_BACKGROUND) is not available before Android 9"),
            "doze": (23, "doze is not available before Android 6 (API 23)"),
        }
        if a.key in gates and self.sdk < gates[a.key][0]:
            raise NotAvailable(f"{self.dev.serial}: {gates[a.key][1]} (this device runs API {self.sdk})")
        if a.key == "bucket" and a.value == "restricted" and self.sdk < 30:
            raise NotAvailable(
                f"{self.dev.serial}: the restricted bucket is not available before Android 11 "
                f"(this device runs API {self.sdk})"
            )
        if a.key == "doze" and a.value == "light" and self.sdk < 24:
            raise NotAvailable(f"{self.dev.serial}: light doze is not available before Android N (API 24)")

    def apply(self, a: Assignment) -> Change:
        """Read, journal, apply, read back. A change the device did not take is undone and raised."""
        self.check_available(a)
        plan = self._plan(a)
        if plan.note:
            self.notes.append(plan.note)
        change = self.journal.record(a.key + (f":{a.package}" if a.package else ""), a.value, plan.undo, plan.prior)
        try:
            for command in plan.apply:
                self.dev.run(command)
            if not plan.check():
                raise ChangeNotTaken(f"{self.dev.serial}: {a} was not taken by the device (read back: {plan.expect})")
        except BaseException:
            # Undo what may have been applied; if the device is gone the journal keeps it for `restore`.
            with contextlib.suppress(BgprobeError):
                self.undo(change)
            raise
        return change

    def undo(self, change: Change) -> None:
        for command in change.undo:
            self.dev.run(command)
        try:
            self.journal.mark_undone(change)
        except JournalWriteError as err:
            raise JournalWriteError(
                f"{self.dev.serial}: {change.key}={change.value} was put back, but {err.message} "
                "(a later `bgprobe restore` repeats that undo, which is harmless)"
            ) from err

    def undo_all(self, changes: list[Change]) -> list[BgprobeError]:
        """Undo `changes` newest first, going on past failures (a lost phone, a full disk): every
        change that can be undone is. Returns what failed; those stay journaled for `restore`."""
        failed: list[BgprobeError] = []
        for change in reversed(changes):
            try:
                self.undo(change)
            except BgprobeError as err:
                failed.append(err)
        return failed

    def restore_pending(self) -> tuple[list[Change], list[BgprobeError]]:
        """Undo every change an earlier (finished, failed or killed) bgprobe left, newest first."""
        pending = self.journal.pending()
        failed = self.undo_all(pending)
        still = {c.id for c in self.journal.pending()}
        return [c for c in reversed(pending) if c.id not in still], failed

    def _plan(self, a: Assignment) -> Plan:
        if a.key == "battery":
            self._battery_set_to = a.value
            return self._battery_plan(a.value == "plugged")
        if a.key == "level":
            before = self.battery()
            return Plan(
                [["dumpsys", "battery", "set", "level", a.value]],
                before.level_undo(),
                lambda: self.battery().level == int(a.value),
                f"level {a.value}",
                before.words(),
            )
        if a.key == "saver":
            return self._saver_plan(a.value == "on")
        if a.key == "network":
            return self._network_plan(a.value)
        if a.key == "bucket":
            assert a.package
            return self._bucket_plan(a.package, a.value)
        if a.key == "restrict":
            assert a.package
            return self._restrict_plan(a.package, a.value == "on")
        return self._doze_plan(a.value)

    def _battery_plan(self, plugged: bool) -> Plan:
        before = self.battery()
        # "plugged" on a phone whose battery is faked unplugged: back to the real battery if it charges,
        # else fake AC; "unplugged" fakes every source off.
        apply = [["dumpsys", "battery", "set", "ac", "1"]] if plugged else [["dumpsys", "battery", "unplug"]]
        return Plan(
            apply,
            before.power_undo(),
            lambda: self.battery().charging == plugged,
            "battery " + ("plugged" if plugged else "unplugged"),
            before.words(),
        )

    def _saver_plan(self, on: bool) -> Plan:
        if on and self.battery().charging:
            raise UsageError(
                f"{self.dev.serial}: saver=on needs the battery unplugged first (Android refuses battery "
                "saver while charging): add battery=unplugged"
            )
        previous = "1" if self._setting("low_power") == "1" else "0"

        def set_mode(value: str) -> list[str]:
            if self.sdk >= 28:
                return ["cmd", "power", "set-mode", value]
            return ["settings", "put", "global", "low_power", value]

        return Plan(
            [set_mode("1" if on else "0")],
            [set_mode(previous)],
            lambda: self._setting("low_power") == ("1" if on else "0"),
            f"saver {'on' if on else 'off'}",
            f"saver {'on' if previous == '1' else 'off'}",
        )

    def _bucket_plan(self, package: str, value: str) -> Plan:
        previous = self._bucket(package)
        target = BUCKETS[value]
        if previous is None:
            note = f"{self.dev.serial}: the standby bucket of {package} could not be read: it cannot be put back"
        else:
            # AppStandbyController: a bucket set from the shell is REASON_MAIN_FORCED_BY_USER and no
            # prediction moves it; no shell command hands the app back to Android's own placement.
            note = (
                f"{self.dev.serial}: {package} goes back to bucket {self._bucket_name(previous)}, but as set from "
                "the shell: Android keeps it as the user's choice and stops moving it on its own "
                "(no shell command undoes that)"
            )
        return Plan(
            [["am", "set-standby-bucket", package, value]],
            [["am", "set-standby-bucket", package, str(previous)]] if previous is not None else [],
            lambda: self._bucket(package) == target,
            f"bucket {value} ({target})",
            f"bucket {self._bucket_name(previous)}",
            note,
        )

    def _restrict_plan(self, package: str, on: bool) -> Plan:
        previous = self._appop(package)
        mode = "ignore" if on else "allow"
        return Plan(
            [["cmd", "appops", "set", package, "RUN_ANY_IN_BACKGROUND", mode]],
            [["cmd", "appops", "set", package, "RUN_ANY_IN_BACKGROUND", previous or "allow"]],
            lambda: self._restricted(package) == on,
            f"RUN_ANY_IN_BACKGROUND {mode}",
            f"RUN_ANY_IN_BACKGROUND {previous}" if previous else "RUN_ANY_IN_BACKGROUND not set (allowed)",
        )

    def _doze_plan(self, value: str) -> Plan:
        before = self.doze()
        note = None
        if before.forced is None:
            note = f"{self.dev.serial}: `dumpsys deviceidle` does not show whether doze was forced: it will be unforced"
        if value == "off":
            return Plan(
                before.release(self.sdk),
                before.undo(self.sdk) if before.forced else [],
                lambda: (now := self.doze()).forced is False and not now.dozing,
                "not forced, deep and light not IDLE",
                before.words(),
                note,
            )
        battery = self.battery()
        # A dozing phone is an unplugged one, as Android's own doze test steps have it (`force-idle`
        # itself works while charging): unplugged, unless this command plugged it on purpose.
        unplug = battery.charging and self._battery_set_to != "plugged"
        apply = [["dumpsys", "battery", "unplug"]] if unplug else []
        apply.append(["dumpsys", "deviceidle", "force-idle", value])
        undo = before.undo(self.sdk)
        if unplug:  # its battery back first: then `unforce` wakes it, since it charges
            undo = battery.power_undo() + undo
        prior = before.words() + (f"; {battery.words()}" if unplug else "")

        def idle() -> bool:
            now = self.doze()
            return (now.deep if value == "deep" else now.light) == "IDLE"

        return Plan(apply, undo, idle, f"{value} idle state IDLE", prior, note)

    def _network_plan(self, value: str) -> Plan:
        airplane0, wifi_on0, data0 = self._radio_settings()
        wifi0 = wifi_on0 in ("1", "2")

        def svc(kind: str, on: bool) -> list[str]:
            return ["svc", kind, "enable" if on else "disable"]

        airplane_on = ["cmd", "connectivity", "airplane-mode", "enable"]
        if airplane0:
            prior = f"airplane (wifi_on {wifi_on0}, data {'on' if data0 else 'off'})"
            # Back into airplane mode with Wi-Fi as it was: off-because-of-airplane (3) means on
            # before airplane mode starts, which then turns it off and remembers it; on-in-airplane
            # (2) means switched on after airplane mode starts (handleAirplaneModeToggled).
            if wifi_on0 == "3":
                undo = [svc("wifi", True), svc("data", data0), airplane_on]
            elif wifi_on0 == "2":
                undo = [svc("data", data0), airplane_on, svc("wifi", True)]
            else:
                undo = [svc("wifi", False), svc("data", data0), airplane_on]
        else:
            prior = f"wifi {'on' if wifi0 else 'off'}, data {'on' if data0 else 'off'}"
            undo = [svc("wifi", wifi0), svc("data", data0)]
        if value == "airplane":
            if self.sdk < 28:
                raise NotAvailable(
                    f"{self.dev.serial}: airplane mode from the shell needs Android 9 "
                    "(`cmd connectivity airplane-mode`)"
                )
            if not airplane0:
                undo = [["cmd", "connectivity", "airplane-mode", "disable"]]
            return Plan([airplane_on], undo, lambda: self._network() == "airplane", "airplane", prior)
        wifi, data = {
            "online": (True, True),
            "offline": (False, False),
            "wifi-only": (True, False),
            "data-only": (False, True),
        }[value]
        apply = [svc("wifi", wifi), svc("data", data)]
        if airplane0:
            apply.insert(0, ["cmd", "connectivity", "airplane-mode", "disable"])
        return Plan(apply, undo, lambda: self._network() == value, value, prior)


def apply_all(
    controller: StateController,
    assignments: list[Assignment],
    applied: list[Change],
    said: Callable[[Assignment, Change], None] | None = None,
) -> None:
    """Apply `assignments` in order, each Change appended to `applied` (and `said`) as it is made. One that
    fails or is interrupted undoes those made before it, then raises: nothing is left half-applied."""
    try:
        for a in assignments:
            change = controller.apply(a)
            applied.append(change)
            if said is not None:
                said(a, change)
    except BaseException:
        controller.notes.extend(err.message for err in controller.undo_all(applied))
        applied.clear()
        raise


@contextlib.contextmanager
def temporary_state(controller: StateController, assignments: list[Assignment]) -> Iterator[list[Change]]:
    """Apply conditions for the duration of a block; undo them on success, failure, Ctrl-C and
    SIGTERM. A lost device keeps its journal, for `bgprobe restore`."""
    applied: list[Change] = []
    with sigterm_as_interrupt():
        try:
            apply_all(controller, assignments, applied)
            yield applied
        finally:
            controller.undo_all(applied)
