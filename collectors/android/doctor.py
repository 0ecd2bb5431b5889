"""An app's standing on one Android phone, read and never changed (`bgprobe doctor PACKAGE`).

What it reads, and from where (every command: docs/android-commands.md, "Doctor (read-only)"):
- installed: `pm path PKG` (PackageManagerShellCommand: `package:<apk path>` lines, nothing when absent);
  close names for a missing one from `pm list packages`;
- `dumpsys package PKG` (Settings.dumpPackageLPr): the stopped state (read as `bgprobe jobs` reads it),
  `targetSdk=`, `requested permissions:`, `install permissions:` and, under `User 0:`, `runtime
  permissions:` (`android.permission.POST_NOTIFICATIONS: granted=false, flags=[…]`);
- battery optimization: `dumpsys deviceidle whitelist` (DeviceIdleController.onShellCommand, no
  argument: no permission needed) prints `system-excidle,PKG,APPID`, `system,PKG,APPID` and
  `user,PKG,APPID` lines: the except-idle system list, the system list, the apps the user exempted;
- background restriction, standby bucket, saver, doze, battery, network: the readers of `bgprobe state`
  (collectors/android/state.py) — `cmd appops get PKG RUN_ANY_IN_BACKGROUND`, `am get-standby-bucket
  PKG`, `settings get global low_power`, `dumpsys deviceidle`, `dumpsys battery`;
- exact alarms (Android 12+): `cmd appops get PKG SCHEDULE_EXACT_ALARM` when the app requests the
  permission, as AlarmManagerService decides it: an app targeting API < 31 needs none; USE_EXACT_ALARM
  (Android 13+, apps targeting 33+) is granted at install; otherwise the op's mode decides, and its
  default (no entry) means granted at install on Android 12 and 13, denied on Android 14+ for apps
  targeting 33+ ("SCHEDULE_EXACT_ALARM denied by default", developer.android.com's Android 14 changes);
- notifications (Android 13+): POST_NOTIFICATIONS among the runtime permissions;
- hibernation (Android 12+): `cmd app_hibernation get-state PKG` (AppHibernationShellCommand prints
  `true` or `false`; the service answers false while hibernation is turned off on the phone);
- the maker's skin and version from its own properties (below), and what a shell can read of the
  maker's switches: on Xiaomi's MIUI and HyperOS, Autostart is MIUI's app op 10008 (Telegram's
  XiaomiUtilities.OP_AUTO_START; `cmd appops get PKG 10008` prints `MIUIOP(10008): allow|ignore` in
  public captures, and AOSP's AppOpsService.Shell.strOpToOp takes an op by number). Every other maker
  switch is named as a "check by hand" line with the knowledge base's settings path for the skin;
- recent deaths: `dumpsys activity exit-info PKG` (Android 11+) and `logcat -d` of the main, system,
  events and crash buffers, through the parsers and the death folding of `bgprobe scan`;
- jobs and why they are not running: `list_jobs` of `bgprobe jobs`, without WorkManager's diagnostics
  broadcast (it would start the app: doctor changes nothing).

Read-only by construction: every command goes through `_Reader`, which refuses anything that is not
one of the reads above (a bug would be an internal error, never a change to a customer's phone).
"""

from __future__ import annotations

import difflib
import re
from datetime import datetime
from typing import Any

from bgprobe.collectors.android.adb import AndroidDevice, CommandOutput
from bgprobe.collectors.android.jobs import held_by, list_jobs, package_stopped
from bgprobe.collectors.android.state import StateController
from bgprobe.collectors.errors import UsageError
from bgprobe.collectors.parsers.android_log import LogInterpreter
from bgprobe.collectors.parsers.exitinfo import parse_exit_info
from bgprobe.collectors.parsers.jobscheduler import parse_jobscheduler
from bgprobe.collectors.parsers.logcat import YearHint, parse_line
from bgprobe.reports.doctor import Fact, JobRow, Standing, fold_app_deaths, maker_entry
from bgprobe.reports.events import Event
from bgprobe.reports.knowledge import load_knowledge

LOG_BUFFERS = "main,system,events,crash"
EXACT_ALARM = "android.permission.SCHEDULE_EXACT_ALARM"
USE_EXACT_ALARM = "android.permission.USE_EXACT_ALARM"
POST_NOTIFICATIONS = "android.permission.POST_NOTIFICATIONS"
MIUI_AUTOSTART_OP = "10008"
# Settings path for notifications (no knowledge entry covers the permission): Android 13's runtime
# permission, developer.android.com/develop/ui/views/notifications/notification-permission.
NOTIFICATION_STEPS = [
    "Settings › Apps › <app> › Notifications: allow (Android 13+ asks once; after a refusal only "
    "Settings turns them on)."
]


class PackageNotInstalled(UsageError):
    """The package is not on the phone: the user's input (exit 2), with the installed names closest to it."""


class NotReadOnly(AssertionError):
    """A command doctor must never send (a bug in doctor, never a user error)."""


# -- every command goes through here: recorded, answered once, and only if it is a read ----------
_READS = (
    re.compile(r"^getprop( \S+)?$"),
    re.compile(r"^pm (path \S+|list packages)$"),
    re.compile(r"^dumpsys (package \S+|jobscheduler \S+|alarm|battery|deviceidle|deviceidle whitelist)$"),
    re.compile(r"^dumpsys activity exit-info \S+$"),
    re.compile(r"^settings get (global|secure|system) \S+$"),
    re.compile(r"^am get-standby-bucket \S+$"),
    re.compile(r"^cmd appops get \S+ \S+$"),
    re.compile(r"^cmd app_hibernation get-state \S+$"),
    re.compile(r"^logcat -d( -t \d+)? -v threadtime -b \S+$"),
)


def is_read(args: list[str]) -> bool:
    text = " ".join(args)
    return any(p.match(text) for p in _READS)


class _Reader:
    """An AndroidDevice for the readers doctor reuses (StateController, list_jobs, package_stopped):
    each command is checked to be a read, recorded, and sent once (several readers ask for the same
    dump: one snapshot answers them all)."""

    def __init__(self, dev: AndroidDevice) -> None:
        self._dev = dev
        self.serial = dev.serial
        self.server = dev.server
        self.commands: list[str] = []
        self._answers: dict[tuple[str, ...], CommandOutput] = {}
        self._serialno: str | None = None

    @property
    def key(self) -> str:
        """The phone's own serial (the journal key StateController names), from the props already read."""
        return self._serialno or self._dev.key

    def run(self, args: list[str], *, timeout: float | None = None) -> CommandOutput:
        if not is_read(args):
            raise NotReadOnly(f"doctor does not send `{' '.join(args)}`: it only reads")
        key = tuple(args)
        if key not in self._answers:
            self.commands.append(" ".join(args))
            self._answers[key] = self._dev.run(args, timeout=timeout)
        return self._answers[key]

    def text(self, args: list[str], *, timeout: float | None = None) -> str:
        return self.run(args, timeout=timeout).text

    def getprops(self) -> dict[str, str]:
        from bgprobe.collectors.android.adb import parse_getprop

        props = parse_getprop(self.text(["getprop"]))
        self._serialno = props.get("ro.serialno") or None
        return props


# -- the maker's skin and its version --------------------------------------------------------------
# Properties as public getprop captures show them (getActivity/DeviceCompat's DeviceOs.java gathers
# them per skin, with examples; fastfetch reads One UI's the same way). Ordered: HyperOS keeps MIUI's
# props, so it is looked for first; the label is what reports/knowledge.toml's `skins` labels name.
def _digits(text: str) -> str:
    m = re.search(r"\d+(?:\.\d+)*", text)
    return m[0] if m else ""


def _miui(value: str) -> str:
    """`V130` -> 13, `V125` -> 12.5, `V12` -> 12, `V9` -> 9 (Telegram's getMIUIMajorVersion strips the V)."""
    number = value.strip().lstrip("Vv")
    if not number.isdigit():
        return ""
    if len(number) <= 2:
        return number
    return number[:2] if number[2:] == "0" else f"{number[:2]}.{number[2:]}"


def _one_ui(value: str) -> str:
    """`50101` -> 5.1.1: major * 10000 + minor * 100 + patch (a patch of 0 is left out)."""
    if not value.strip().isdigit():
        return ""
    n = int(value)
    major, minor, patch = n // 10000, n % 10000 // 100, n % 100
    return f"{major}.{minor}" + (f".{patch}" if patch else "")


SKIN_PROPS: tuple[tuple[str, str, object], ...] = (
    ("HyperOS", "ro.mi.os.version.name", lambda v: _digits(v)),  # [OS1.0]
    ("MIUI", "ro.miui.ui.version.name", _miui),  # [V130]
    ("HarmonyOS", "hw_sc.build.platform.version", lambda v: _digits(v)),  # [2.0.0]
    ("MagicOS", "msc.config.magic.version", lambda v: _digits(v)),
    ("Magic UI", "ro.build.version.magic", lambda v: _digits(v)),
    ("EMUI", "ro.build.version.emui", lambda v: _digits(v)),  # [EmotionUI_10.1.1]
    ("One UI", "ro.build.version.oneui", _one_ui),  # [50101]
    ("OxygenOS", "ro.oxygen.version", lambda v: _digits(v)),  # [9.0.4]
    ("realme UI", "ro.build.version.realmeui", lambda v: _digits(v)),  # [V5.0]
    ("ColorOS", "ro.build.version.oplusrom.display", lambda v: _digits(v)),  # [13.1]
    ("ColorOS", "ro.build.version.opporom", lambda v: _digits(v)),
    ("Flyme", "ro.flyme.version.id", lambda v: _digits(v)),  # [Flyme 9.3.1.0A]
    ("vivo", "ro.vivo.os.build.display.id", lambda v: v),  # [OriginOS 4], [Funtouch OS_2.5]
)


def skin_of(props: dict[str, str]) -> tuple[str | None, str]:
    """("MIUI 13", "ro.miui.ui.version.name=V130"), or (None, why) when no maker property is set."""
    for name, prop, version in SKIN_PROPS:
        raw = props.get(prop, "").strip()
        if not raw:
            continue
        if name == "vivo":  # the value names the skin itself
            label = raw.replace("_", " ")
            return label, f"{prop}={raw}"
        number = version(raw)  # type: ignore[operator]  # SKIN_PROPS' third items are all callables
        return (f"{name} {number}" if number else name), f"{prop}={raw}"
    return None, "no maker skin property (" + ", ".join(dict.fromkeys(p for _, p, _ in SKIN_PROPS)) + ")"


# -- reading the standing ---------------------------------------------------------------------------
def _section(text: str, header: str) -> list[str]:
    """The indented lines under `header:` in a `dumpsys package` block (until a line indented no deeper)."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip() == f"{header}:":
            indent = len(line) - len(line.lstrip())
            out = []
            for item in lines[i + 1 :]:
                if not item.strip() or len(item) - len(item.lstrip()) <= indent:
                    break
                out.append(item.strip())
            return out
    return []


def _grants(lines: list[str]) -> dict[str, bool]:
    """`NAME: granted=true, flags=[…]` lines -> {NAME: granted}."""
    out = {}
    for line in lines:
        m = re.match(r"([\w.]+): granted=(true|false)", line)
        if m:
            out[m[1]] = m[2] == "true"
    return out


def _app_block(text: str, package: str) -> str:
    """The `Package [PKG]` block of `dumpsys package PKG` (a shared-uid dump also prints others)."""
    start = text.find(f"Package [{package}]")
    if start < 0:
        return text
    nxt = text.find("\n  Package [", start + 1)
    return text[start : nxt if nxt > 0 else len(text)]


def app_standing(
    dev: AndroidDevice, package: str, sdk: int | None = None, *, log_buffers: str = LOG_BUFFERS
) -> Standing:
    reader = _Reader(dev)
    props = reader.getprops()
    if sdk is None:
        raw = props.get("ro.build.version.sdk", "")
        sdk = int(raw) if raw.isdigit() else 0
    skin, skin_source = skin_of(props)
    st = Standing(
        platform="android",
        device=dev.serial,
        package=package,
        name=props.get("ro.serialno") or None,
        os_version=props.get("ro.build.version.release"),
        sdk=sdk,
        manufacturer=props.get("ro.product.manufacturer") or None,
        brand=props.get("ro.product.brand") or None,
        model=props.get("ro.product.model") or None,
        skin=skin,
        skin_source=skin_source,
        commands=reader.commands,
    )
    target = f" -s {st.name or dev.serial}"
    _installed(reader, st)
    dump = _app_block(reader.text(["dumpsys", "package", package]), package)
    m = re.search(r"\btargetSdk=(\d+)", dump)
    st.target_sdk = int(m[1]) if m else None
    m = re.search(r"\bversionName=(\S+)", dump)
    st.app_version = m[1] if m else None
    requested = {line.split(":")[0] for line in _section(dump, "requested permissions")}
    grants = {**_grants(_section(dump, "install permissions")), **_grants(_section(dump, "runtime permissions"))}

    stopped = package_stopped(reader, package)  # type: ignore[arg-type]  # _Reader: AndroidDevice's reads only
    if stopped:
        st.facts.append(
            Fact(
                "stopped",
                "stopped state",
                "stopped: force-stopped, and not started since",
                "problem",
                "dumpsys package",
                entry="android.force-stop",
            )
        )
    else:
        st.facts.append(
            Fact(
                "stopped",
                "stopped state",
                "not stopped" if stopped is False else "not shown",
                "ok" if stopped is False else "unknown",
                "dumpsys package",
            )
        )

    controller = StateController(reader, sdk)  # type: ignore[arg-type]  # _Reader: AndroidDevice's reads only
    state = controller.read([package])
    st.facts.append(_allowlist(reader, package, sdk))
    st.facts += _restriction_and_bucket(controller, state, package, sdk, target)
    st.facts.append(_exact_alarms(reader, st, requested, grants))
    st.facts.append(_notifications(st, grants))
    st.facts += _device_conditions(controller, state, target)
    st.facts.append(_hibernation(reader, package, sdk))
    st.facts += _maker_settings(reader, st)
    _deaths(reader, st, log_buffers)
    _jobs(reader, st)
    return st


def _installed(reader: _Reader, st: Standing) -> None:
    paths = [
        line[len("package:") :]
        for line in reader.text(["pm", "path", st.package]).split()
        if line.startswith("package:")
    ]
    if paths:
        st.facts.append(Fact("installed", "installed", "yes", "ok", "pm path"))
        return
    names = [
        line[len("package:") :]
        for line in reader.text(["pm", "list", "packages"]).split()
        if line.startswith("package:")
    ]
    close = difflib.get_close_matches(st.package, names, n=3, cutoff=0.6)
    hint = f"; close names: {', '.join(close)}" if close else "; no installed package has a close name"
    raise PackageNotInstalled(f"{st.package} is not installed on {st.device}{hint}")


DOZE_MEANING = (
    "Whenever the phone dozes (unplugged, still, screen off), an optimized app's jobs, syncs and ordinary "
    "alarms wait for doze's maintenance windows"
)


def _allowlist(reader: _Reader, package: str, sdk: int) -> Fact:
    label, source = "battery optimization", "dumpsys deviceidle whitelist"
    if sdk < 23:
        return Fact("allowlist", label, "none before Android 6 (no doze)", "n/a")
    kinds = set()
    for line in reader.text(["dumpsys", "deviceidle", "whitelist"]).splitlines():
        parts = line.strip().split(",")
        if len(parts) == 3 and parts[1] == package:
            kinds.add(parts[0])
    if "user" in kinds:
        return Fact("allowlist", label, "not optimized: the user exempted it (allowlist)", "ok", source)
    if "system" in kinds:
        return Fact("allowlist", label, "not optimized: on the system allowlist", "ok", source)
    if "system-excidle" in kinds:
        return Fact(
            "allowlist",
            label,
            "exempt except in doze's idle (system allowlist)",
            "limit",
            source,
            blocker="DOZE",
            meaning=DOZE_MEANING,
        )
    return Fact(
        "allowlist",
        label,
        "optimized (not on the allowlist): doze defers its jobs and alarms",
        "limit",
        source,
        blocker="DOZE",
        meaning=DOZE_MEANING,
    )


def _restriction_and_bucket(
    controller: StateController, state: dict[str, Any], package: str, sdk: int, target: str
) -> list[Fact]:
    if sdk < 28:
        return [
            Fact("restrict", "background restriction", "none before Android 9", "n/a"),
            Fact("bucket", "standby bucket", "none before Android 9", "n/a"),
        ]
    out = []
    mode = controller._appop(package)  # state.py's own reader of the op's raw mode
    if state.get(f"restrict:{package}") == "on":
        out.append(
            Fact(
                "restrict",
                "background restriction",
                f"restricted (RUN_ANY_IN_BACKGROUND {mode})",
                "problem",
                "cmd appops get",
                blocker="BACKGROUND_RESTRICTED",
                fix=f"bgprobe state set restrict=off -p {package}{target}",
            )
        )
    else:
        shown = f"RUN_ANY_IN_BACKGROUND {mode}" if mode else "RUN_ANY_IN_BACKGROUND: no entry"
        out.append(Fact("restrict", "background restriction", f"allowed ({shown})", "ok", "cmd appops get"))
    bucket = str(state.get(f"bucket:{package}") or "unknown")
    status = {"rare": "problem", "restricted": "problem", "never": "problem", "frequent": "limit"}.get(bucket, "ok")
    if bucket == "unknown" or bucket.isdigit():
        status = "unknown"
    fix = f"bgprobe state set bucket=active -p {package}{target}" if status in ("problem", "limit") else None
    out.append(
        Fact(
            "bucket",
            "standby bucket",
            bucket,
            status,
            "am get-standby-bucket",
            blocker=bucket.upper() if status in ("problem", "limit") else None,
            fix=fix,
        )
    )
    return out


def _exact_alarms(reader: _Reader, st: Standing, requested: set[str], grants: dict[str, bool]) -> Fact:
    label, sdk, target = "exact alarms", st.sdk or 0, st.target_sdk or 0
    if sdk < 31:
        return Fact("exact_alarm", label, "no permission needed before Android 12", "n/a")
    if EXACT_ALARM not in requested and USE_EXACT_ALARM not in requested:
        return Fact("exact_alarm", label, "not requested (the app sets no exact alarms)", "n/a", "dumpsys package")
    if st.target_sdk is not None and target < 31:
        return Fact("exact_alarm", label, f"allowed (targets API {target}: no permission needed)", "ok")
    if sdk >= 33 and target >= 33 and grants.get(USE_EXACT_ALARM):
        return Fact("exact_alarm", label, "allowed (USE_EXACT_ALARM, granted at install)", "ok", "dumpsys package")
    if EXACT_ALARM not in requested:
        return Fact(
            "exact_alarm",
            label,
            "not allowed (USE_EXACT_ALARM not granted)",
            "problem",
            "dumpsys package",
            blocker="EXACT_ALARM",
        )
    text = reader.text(["cmd", "appops", "get", st.package, "SCHEDULE_EXACT_ALARM"])
    m = re.search(r"SCHEDULE_EXACT_ALARM: (\w+)", text)
    source = "cmd appops get"
    if m and m[1] == "allow":
        return Fact("exact_alarm", label, "allowed (Alarms & reminders on)", "ok", source)
    if m and m[1] != "default":
        return Fact(
            "exact_alarm", label, f"not allowed (SCHEDULE_EXACT_ALARM {m[1]})", "problem", source, blocker="EXACT_ALARM"
        )
    if m is None and "No operations" not in text:
        return Fact("exact_alarm", label, f"not understood: {text.strip()[:80]}", "unknown", source)
    if sdk >= 34 and target >= 33:
        return Fact(
            "exact_alarm",
            label,
            "not allowed (denied by default on Android 14+ for apps targeting 13+)",
            "problem",
            source,
            blocker="EXACT_ALARM",
        )
    return Fact("exact_alarm", label, "allowed (granted at install; the user has not turned it off)", "ok", source)


def _notifications(st: Standing, grants: dict[str, bool]) -> Fact:
    label = "notifications"
    if (st.sdk or 0) < 33:
        return Fact("notifications", label, "no permission needed before Android 13", "n/a")
    granted = grants.get(POST_NOTIFICATIONS)
    if granted is None:
        return Fact("notifications", label, "not requested", "n/a", "dumpsys package")
    if granted:
        return Fact("notifications", label, "allowed (POST_NOTIFICATIONS granted)", "ok", "dumpsys package")
    return Fact(
        "notifications",
        label,
        "not allowed: its notifications (a foreground service's too) are not shown",
        "limit",
        "dumpsys package",
        steps=list(NOTIFICATION_STEPS),
    )


def _device_conditions(controller: StateController, state: dict[str, Any], target: str) -> list[Fact]:
    battery = controller.battery()
    doze = controller.doze()
    out = []
    power = "+".join(s for s in ("ac", "usb", "wireless") if getattr(battery, s)) or "unplugged"
    faked = ", faked from the shell" if battery.frozen else ""
    out.append(Fact("battery", "battery", f"{battery.level} %, {power}{faked}", "ok", "dumpsys battery"))
    if state.get("saver") == "on":
        out.append(
            Fact(
                "saver",
                "battery saver",
                "on",
                "problem",
                "settings get global low_power",
                blocker="BATTERY_SAVER",
                fix=f"bgprobe state set saver=off{target}",
            )
        )
    else:
        out.append(Fact("saver", "battery saver", "off", "ok", "settings get global low_power"))
    states = f"deep {doze.deep or '?'}, light {doze.light or '?'}"
    if doze.forced_mode:
        out.append(
            Fact(
                "doze",
                "doze",
                f"forced {doze.forced_mode} idle from the shell ({states})",
                "problem",
                "dumpsys deviceidle",
                blocker="DOZE",
                fix=f"bgprobe state set doze=off{target}",
            )
        )
    elif doze.dozing:
        out.append(
            Fact(
                "doze",
                "doze",
                f"dozing now ({states})",
                "problem",
                "dumpsys deviceidle",
                blocker="DOZE",
                fix=f"bgprobe state set doze=off{target}",
            )
        )
    else:
        out.append(Fact("doze", "doze", f"not dozing ({states})", "ok", "dumpsys deviceidle"))
    network = str(state.get("network") or "unknown")
    if network in ("offline", "airplane"):
        out.append(
            Fact(
                "network",
                "network",
                network,
                "limit",
                "settings get global",
                fix=f"bgprobe state set network=online{target}",
                steps=["Turn Wi-Fi or mobile data on (quick settings), and airplane mode off."],
            )
        )
    else:
        out.append(Fact("network", "network", network, "ok", "settings get global"))
    return out


def _hibernation(reader: _Reader, package: str, sdk: int) -> Fact:
    label = "hibernation"
    if sdk < 31:
        return Fact("hibernation", label, "none before Android 12 (unused apps lose permissions only)", "n/a")
    answer = reader.text(["cmd", "app_hibernation", "get-state", package]).strip()
    source = "cmd app_hibernation get-state"
    if answer == "true":
        return Fact(
            "hibernation",
            label,
            "hibernating: unused for months, put to sleep",
            "problem",
            source,
            blocker="HIBERNATION",
        )
    if answer == "false":
        return Fact("hibernation", label, "not hibernating", "ok", source)
    return Fact(
        "hibernation",
        label,
        f"not readable: {answer.splitlines()[0][:80] if answer else 'no answer'}",
        "unknown",
        source,
    )


def _maker_settings(reader: _Reader, st: Standing) -> list[Fact]:
    """What a shell can read of the maker's own switches, and a check-by-hand line for the rest."""
    entry = maker_entry(load_knowledge(), st)
    if entry is None:
        return []
    out = []
    readable = ""
    if entry.id.startswith("xiaomi.") and st.skin and st.skin.split()[0] in ("MIUI", "HyperOS"):
        text = reader.text(["cmd", "appops", "get", st.package, MIUI_AUTOSTART_OP])
        m = re.search(r"MIUIOP\(10008\): (\w+)", text)
        source = f"cmd appops get PKG {MIUI_AUTOSTART_OP}"
        if m and m[1] == "allow":
            out.append(Fact("autostart", "Autostart (MIUI)", "allowed (MIUIOP(10008): allow)", "ok", source))
        elif m:
            out.append(
                Fact("autostart", "Autostart (MIUI)", f"off (MIUIOP(10008): {m[1]})", "problem", source, entry=entry.id)
            )
        else:
            out.append(
                Fact("autostart", "Autostart (MIUI)", "not recorded by this build", "check", source, entry=entry.id)
            )
        readable = "; Autostart read above"
    maker = st.manufacturer or st.brand or "the maker"
    skin = st.skin or "skin version unknown"
    out.append(
        Fact(
            "maker_settings",
            f"{maker}'s own settings",
            f"not readable from a shell ({skin}){readable}",
            "check",
            st.skin_source,
            entry=entry.id,
        )
    )
    return out


def _deaths(reader: _Reader, st: Standing, buffers: str) -> None:
    events: list[Event] = []
    serial = st.device
    if (st.sdk or 0) >= 30:
        text = reader.text(["dumpsys", "activity", "exit-info", st.package])
        events += parse_exit_info(list(enumerate(text.splitlines(), 1)), f"live:{serial}:exit-info", package=st.package)
    log = reader.text(["logcat", "-d", "-v", "threadtime", "-b", buffers])
    interp = LogInterpreter(where=f"live:{serial}", device=serial, os_version=st.os_version)
    years = YearHint(datetime.now().date())
    for n, line in enumerate(log.splitlines(), 1):
        events += interp.feed(parse_line(line, n, years))
    events += interp.flush()
    for e in events:
        e.device = serial
    st.events += events
    st.deaths, st.deaths_total = fold_app_deaths(events, st.package)


def _jobs(reader: _Reader, st: Standing) -> None:
    # WorkManager's diagnostics broadcast would start the app and run a worker: not from doctor.
    # _Reader stands in for AndroidDevice: the same reads, and nothing that changes the phone
    report = list_jobs(reader, st.package, os_version=st.os_version, diagnostics=False)  # type: ignore[arg-type]
    for e in report.jobs:
        d = e.data
        service = "WorkManager" if d.get("workmanager") else str(d.get("service") or "")
        st.jobs.append(
            JobRow(
                job=str(e.job),
                service=service,
                constraints=list(d.get("required_constraints") or []),
                unsatisfied=list(d.get("unsatisfied_constraints") or []),
                bucket=d.get("standby_bucket"),
                why=e.detail or "",
                held=held_by(e, sdk=st.sdk),
            )
        )
    # The dump as `scan -p` reads it in a bugreport (registered jobs, active slots, history): the
    # shared verdict's input. Parsed again from the same text (the reader answered it once).
    dump = reader.text(["dumpsys", "jobscheduler", st.package])
    where = f"live:{st.device}:dumpsys jobscheduler"
    for e in parse_jobscheduler(list(enumerate(dump.splitlines(), 1)), where, package=st.package):
        e.device, e.os_version = st.device, st.os_version
        st.events.append(e)
    st.alarms = report.alarms
    st.notes += [n for n in report.notes if n not in st.notes]
    if any(e.data.get("workmanager") for e in report.jobs):
        st.notes.append(
            f"WorkManager's own diagnostics were not asked for (the broadcast starts the app): "
            f"`bgprobe jobs {st.package}` asks them"
        )
