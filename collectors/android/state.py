"""Background conditions of an Android device: read them, change them, and always put them back.

Each change is planned as (apply commands, undo commands, read-back check). The undo commands are
journaled before anything is applied; after applying, the state is read back and a change the
device did not take is undone and reported as an error, never as a success. Commands and their
outputs: ../shared/reference/android.md §1.4–§1.9.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from bgprobe.collectors.android.adb import AndroidDevice, DeviceError
from bgprobe.collectors.android.info import parse_battery
from bgprobe.collectors.android.journal import Change, Journal
from bgprobe.collectors.errors import EXIT_USAGE, BgprobeError
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


class UsageError(BgprobeError):
    exit_code = EXIT_USAGE


class NotAvailable(BgprobeError):
    """A condition this OS version does not have: said plainly, never a silent no-op."""

    exit_code = EXIT_USAGE


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
            if not (value.isdigit() and 0 <= int(value) <= 100):
                raise UsageError(f"level={value}: expected a battery level from 0 to 100")
        elif value not in KEYS[key]:
            raise UsageError(f"{key}={value}: expected one of {', '.join(KEYS[key])}")
        if key in NEEDS_PACKAGE:
            if not package:
                raise UsageError(f"{key}= applies to one app: add --package PACKAGE")
            check_package_name(package)
        out.append(Assignment(key, value, package if key in NEEDS_PACKAGE else None))
    return sorted(out, key=lambda a: ORDER.index(a.key))


@dataclass
class Plan:
    apply: list[list[str]]
    undo: list[list[str]]
    check: Callable[[], bool]
    expect: str  # what the read-back should have shown, for the error message


class StateController:
    def __init__(self, dev: AndroidDevice, sdk: int, journal: Journal | None = None) -> None:
        self.dev = dev
        self.sdk = sdk
        self.journal = journal or Journal(dev.key, dev.serial)

    # -- reading ---------------------------------------------------------------------------
    def read(self, packages: list[str] | None = None) -> dict[str, object]:
        dev = self.dev
        battery = parse_battery(dev.text(["dumpsys", "battery"]))
        state: dict[str, object] = {
            "doze": f"{self._idle('deep')}/{self._idle('light')}",
            "battery": "plugged" if battery["charging"] else "unplugged",
            "battery_faked": battery["frozen"],
            "level": battery["level"],
            "saver": "on" if self._setting("low_power") == "1" else "off",
            "network": self._network(),
        }
        for pkg in packages or []:
            if self.sdk >= 28:
                state[f"bucket:{pkg}"] = self._bucket_name(self._bucket(pkg))
                state[f"restrict:{pkg}"] = "on" if self._appop(pkg) == "ignore" else "off"
        return state

    def _idle(self, which: str) -> str:
        return self.dev.text(["dumpsys", "deviceidle", "get", which]).strip()

    def _setting(self, key: str, table: str = "global") -> str:
        return self.dev.text(["settings", "get", table, key]).strip()

    def _network(self) -> str:
        if self._setting("airplane_mode_on") == "1":
            return "airplane"
        wifi, data = self._setting("wifi_on") == "1", self._setting("mobile_data") == "1"
        return {(True, True): "online", (True, False): "wifi-only", (False, True): "data-only"}.get(
            (wifi, data), "offline"
        )

    def _bucket(self, pkg: str) -> int | None:
        text = self.dev.text(["am", "get-standby-bucket", pkg]).strip()
        return int(text) if text.isdigit() else None

    @staticmethod
    def _bucket_name(value: int | None) -> str:
        names = {v: k for k, v in BUCKETS.items()} | {5: "exempted", 50: "never"}
        return names.get(value, str(value)) if value is not None else "unknown"

    def _appop(self, pkg: str) -> str:
        text = self.dev.text(["cmd", "appops", "get", pkg, "RUN_ANY_IN_BACKGROUND"])
        for mode in ("ignore", "deny", "allow", "foreground"):
            if f"RUN_ANY_IN_BACKGROUND: {mode}" in text:
                return mode
        return "default"

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
        """Journal, apply, read back. A change the device did not take is undone and raised."""
        self.check_available(a)
        plan = self._plan(a)
        change = self.journal.record(a.key + (f":{a.package}" if a.package else ""), a.value, plan.undo)
        try:
            for command in plan.apply:
                self.dev.run(command)
            if not plan.check():
                raise ChangeNotTaken(f"{self.dev.serial}: {a} was not taken by the device (read back: {plan.expect})")
        except BaseException:
            # Undo what may have been applied; if the device is gone the journal keeps it for `restore`.
            with contextlib.suppress(DeviceError):
                self.undo(change)
            raise
        return change

    def undo(self, change: Change) -> None:
        for command in change.undo:
            self.dev.run(command)
        self.journal.mark_undone(change)

    def restore_pending(self) -> list[Change]:
        """Undo every change an earlier (finished, failed or killed) bgprobe left, newest first."""
        undone = []
        for change in reversed(self.journal.pending()):
            self.undo(change)
            undone.append(change)
        return undone

    def _plan(self, a: Assignment) -> Plan:
        dev = self.dev
        if a.key == "battery":
            want = a.value == "plugged"
            cmd = ["dumpsys", "battery", "set", "ac", "1"] if want else ["dumpsys", "battery", "unplug"]
            return Plan(
                [cmd],
                [["dumpsys", "battery", "reset"]],
                lambda: parse_battery(dev.text(["dumpsys", "battery"]))["charging"] == want,
                f"battery {a.value}",
            )
        if a.key == "level":
            return Plan(
                [["dumpsys", "battery", "set", "level", a.value]],
                [["dumpsys", "battery", "reset"]],
                lambda: parse_battery(dev.text(["dumpsys", "battery"]))["level"] == int(a.value),
                f"level {a.value}",
            )
        if a.key == "saver":
            on = a.value == "on"
            if on and parse_battery(dev.text(["dumpsys", "battery"]))["charging"]:
                raise UsageError(
                    f"{dev.serial}: saver=on needs the battery unplugged first (Android refuses battery "
                    "saver while charging): add battery=unplugged"
                )
            previous = "1" if self._setting("low_power") == "1" else "0"
            cmd = (
                ["cmd", "power", "set-mode", "1" if on else "0"]
                if self.sdk >= 28
                else ["settings", "put", "global", "low_power", "1" if on else "0"]
            )
            undo = (
                ["cmd", "power", "set-mode", previous]
                if self.sdk >= 28
                else ["settings", "put", "global", "low_power", previous]
            )
            return Plan([cmd], [undo], lambda: self._setting("low_power") == ("1" if on else "0"), f"saver {a.value}")
        if a.key == "network":
            return self._network_plan(a.value)
        if a.key == "bucket":
            assert a.package
            previous = self._bucket(a.package)
            undo = [["am", "set-standby-bucket", a.package, str(previous)]] if previous else []
            target = BUCKETS[a.value]
            return Plan(
                [["am", "set-standby-bucket", a.package, a.value]],
                undo,
                lambda: self._bucket(a.package or "") == target,
                f"bucket {a.value} ({target})",
            )
        if a.key == "restrict":
            assert a.package
            previous = self._appop(a.package)
            mode = "ignore" if a.value == "on" else "allow"
            return Plan(
                [["cmd", "appops", "set", a.package, "RUN_ANY_IN_BACKGROUND", mode]],
                [["cmd", "appops", "set", a.package, "RUN_ANY_IN_BACKGROUND", previous]],
                lambda: self._appop(a.package or "") == mode,
                f"RUN_ANY_IN_BACKGROUND {mode}",
            )
        return self._doze_plan(a.value)

    def _doze_plan(self, value: str) -> Plan:
        dev = self.dev
        if value == "off":
            return Plan(
                [["dumpsys", "deviceidle", "unforce"]],
                [],
                lambda: self._idle("force") == "false",
                "not forced into idle",
            )
        charging = parse_battery(dev.text(["dumpsys", "battery"]))["charging"]
        apply = [["dumpsys", "battery", "unplug"]] if charging else []  # doze needs "unplugged"
        apply.append(["dumpsys", "deviceidle", "force-idle", value])
        undo = [["dumpsys", "deviceidle", "unforce"]] + ([["dumpsys", "battery", "reset"]] if charging else [])
        return Plan(apply, undo, lambda: self._idle(value) == "IDLE", f"{value} idle state IDLE")

    def _network_plan(self, value: str) -> Plan:
        wifi0, data0 = self._setting("wifi_on") == "1", self._setting("mobile_data") == "1"
        airplane0 = self._setting("airplane_mode_on") == "1"

        def svc(kind: str, on: bool) -> list[str]:
            return ["svc", kind, "enable" if on else "disable"]

        undo = [svc("wifi", wifi0), svc("data", data0)]
        if value == "airplane":
            if self.sdk < 28:
                raise NotAvailable(
                    f"{self.dev.serial}: airplane mode from the shell needs Android 9 "
                    "(`cmd connectivity airplane-mode`)"
                )
            undo = [["cmd", "connectivity", "airplane-mode", "enable" if airplane0 else "disable"]]
            return Plan(
                [["cmd", "connectivity", "airplane-mode", "enable"]],
                undo,
                lambda: self._network() == "airplane",
                "airplane",
            )
        wifi, data = {
            "online": (True, True),
            "offline": (False, False),
            "wifi-only": (True, False),
            "data-only": (False, True),
        }[value]
        apply = [svc("wifi", wifi), svc("data", data)]
        if airplane0:
            apply.insert(0, ["cmd", "connectivity", "airplane-mode", "disable"])
            undo.append(["cmd", "connectivity", "airplane-mode", "enable"])
        return Plan(apply, undo, lambda: self._network() == value, value)


@contextlib.contextmanager
def temporary_state(controller: StateController, assignments: list[Assignment]) -> Iterator[list[Change]]:
    """Apply conditions for the duration of a block; undo them on success, failure, Ctrl-C and
    SIGTERM. A lost device keeps its journal, for `bgprobe restore`."""
    applied: list[Change] = []
    with sigterm_as_interrupt():
        try:
            for a in assignments:
                applied.append(controller.apply(a))
            yield applied
        finally:
            for change in reversed(applied):
                with contextlib.suppress(DeviceError):
                    controller.undo(change)


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (a CI runner cancelling the job) unwinds like Ctrl-C, so `finally` blocks restore."""

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: the caller handles signals
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
