"""`bgprobe devices` and `bgprobe info DEVICE`."""

from __future__ import annotations

import json
import re
import sys
from typing import TYPE_CHECKING

import typer
from bgprobe.cli.console import Output, fold
from bgprobe.cli.options import AdbServers, Json, Serial, Timeout, Udid, Usbmux
from bgprobe.cli.targets import (
    android_devices,
    ios_target,
    resolve_udid,
    usbmux_configured,
    warn_pending_changes,
    warn_pending_ios,
)
from bgprobe.collectors.errors import EXIT_DEVICE, BgprobeError

if TYPE_CHECKING:
    from bgprobe.collectors.facts import DeviceFacts


def devices(
    ctx: typer.Context,
    adb_server: AdbServers = None,
    usbmux: Usbmux = None,
    timeout: Timeout = None,
    json_out: Json = False,
) -> None:
    """Every reachable device: id, OS version, maker, model, battery, doze state."""
    from bgprobe.collectors.android.adb import AndroidDevice, list_devices, server_addresses
    from bgprobe.collectors.android.info import facts_of_many
    from bgprobe.collectors.errors import DeviceError
    from bgprobe.collectors.facts import DeviceFacts

    out: Output = ctx.obj
    servers = server_addresses(adb_server)
    ios_rows, ios_error = _ios_rows(out, usbmux, timeout)
    try:
        listed = list_devices(servers, timeout=timeout or 20.0)
    except DeviceError as err:
        if not ios_rows:  # an unreachable adb server is an error only when there is nothing else to show
            if ios_error is not None:  # nothing reachable at all: one error that names both
                raise DeviceError(f"{err.message}; {ios_error.message}") from err
            raise
        out.problem(f"warning: {err.message}")
        listed = []
    if ios_error is not None:
        out.problem(f"warning: {ios_error.message}")
    online = [d for d in listed if d.state == "device"]
    handles = [AndroidDevice(d.server, d.serial, timeout=timeout or 20.0) for d in online]
    facts = facts_of_many(handles)
    warn_pending_changes(out, [h for h, f in zip(handles, facts, strict=True) if not f.error])
    offline = [
        DeviceFacts(id=d.serial, server=str(d.server), error=f"state: {d.state}") for d in listed if d.state != "device"
    ]
    rows = facts + offline + ios_rows
    if json_out:
        for f in rows:
            sys.stdout.write(json.dumps(f.to_dict()) + "\n")
        return
    if rows:
        _table(out, rows)
    else:
        out.problem(
            f"no devices on adb server(s) {', '.join(map(str, servers))}"
            + ("" if usbmux_configured(usbmux) else " and no usbmuxd for iPhones")
            + ": is USB debugging on, and has the phone allowed this computer? (`adb devices` lists it as "
            "unauthorized until then)"
        )
    for f in offline:
        if "unauthorized" in (f.error or ""):
            out.problem(f"{f.id}: accept 'Allow USB debugging' on the phone (this computer is not authorised yet)")


def _ios_rows(out: Output, usbmux: str | None, timeout: float | None) -> tuple[list, BgprobeError | None]:
    """iPhones on usbmuxd (only looked for when an address is set or the default socket exists)."""
    if not usbmux_configured(usbmux):
        return [], None
    from bgprobe.collectors.ios.info import all_facts
    from bgprobe.collectors.ios.transport import run

    target = ios_target(usbmux, None, timeout)  # a malformed address or time-out is a usage error, not a warning
    try:
        rows = run(all_facts(target))
    except BgprobeError as err:
        if err.exit_code != EXIT_DEVICE:
            raise
        return [], err
    warn_pending_ios(out, [r.id for r in rows if not r.error])
    return rows, None


def _table(out: Output, rows: list[DeviceFacts]) -> None:
    """A table on a wide terminal; at 100 columns or fewer, one block per device (its id never cut)."""
    from bgprobe.reports.terminal_layout import print_fitting
    from rich.table import Table

    def battery(f: DeviceFacts) -> str:
        if f.battery_level is None:
            return ""
        text = f"{f.battery_level}\u00a0%" + (" charging" if f.charging else "")
        return text + (" (faked)" if f.battery_frozen else "")

    def system(f: DeviceFacts) -> str:
        if f.platform == "ios":
            return f"iOS {f.os_version or '?'}" + (f" ({f.build})" if f.build else "")
        return f"Android {f.os_version or '?'}" + (f" (API {f.sdk})" if f.sdk else "")

    table = Table(title_justify="left")
    notes = any(f.error for f in rows)
    for col in ("id", "name", "system", "maker", "model", "battery", "doze") + (("note",) if notes else ()):
        # identifiers and names are never folded: the other columns give way
        table.add_column(col, no_wrap=col in ("id", "name", "system"), overflow="fold")
    for f in rows:
        table.add_row(
            f.id,
            f.name if f.name and f.name != f.id else "",
            system(f),
            f.manufacturer or "",
            f.model or "",
            battery(f),
            f.doze or "",
            *((f.error or "",) if notes else ()),
        )
    print_fitting(out.out, table, key_columns=2)


def info(
    ctx: typer.Context,
    device: str | None = typer.Argument(None, help="Android serial (for an iPhone: its UDID, or use --udid)."),
    serial: Serial = None,
    udid: Udid = None,
    adb_server: AdbServers = None,
    usbmux: Usbmux = None,
    timeout: Timeout = None,
    json_out: Json = False,
) -> None:
    """One device in depth, with its background-relevant settings."""
    from bgprobe.collectors.android.info import facts_of_many
    from bgprobe.collectors.errors import DeviceError

    out: Output = ctx.obj
    device = device or serial
    if udid or (device and _is_ios_udid(device)) or (device is None and resolve_udid(None)):
        facts = _ios_info(out, udid or device, usbmux, timeout)
    else:
        # DEVICE, -s or $ANDROID_SERIAL as every Android command takes them; with one phone online, that one
        (dev,) = android_devices(out, device, adb_server, timeout, one=True)
        (facts,) = facts_of_many([dev], detailed=True)
    if facts.error:
        raise DeviceError(facts.error)
    if json_out:
        sys.stdout.write(json.dumps(facts.to_dict()) + "\n")
        return
    _show_facts(out, facts)


def _show_facts(out: Output, facts: DeviceFacts) -> None:
    """`key  value` rows: they fit any width, and long values (fingerprints, package lists) fold at their
    own separators instead of being cut."""
    from bgprobe.collectors.android.state import BUCKETS

    rows: list[tuple[str, str]] = [("id", facts.id)]
    if facts.name and facts.name != facts.id:
        rows.append(("name", facts.name))
    system = "iOS" if facts.platform == "ios" else "Android"
    version = f"{system} {facts.os_version or '?'}"
    details = ", ".join(x for x in (f"API {facts.sdk}" if facts.sdk else "", facts.build or "") if x)
    rows += [
        ("device", f"{facts.manufacturer or ''} {facts.model or ''}".strip() or "unknown"),
        ("system", f"{version} ({details})" if details else version),
        ("reached via", facts.server + (f" ({facts.connection})" if facts.connection else "")),
    ]
    if facts.battery_level is not None:
        battery = f"{facts.battery_level} %" + (", charging" if facts.charging else ", on battery")
        rows.append(
            ("battery", battery + (" (faked: `dumpsys battery reset` undoes it)" if facts.battery_frozen else ""))
        )
    if facts.doze:
        rows.append(("doze (deep/light)", facts.doze))
    if facts.low_power and "low_power_mode" not in facts.extra:
        rows.append(("low power mode", facts.low_power))
    names = {v: k for k, v in BUCKETS.items()} | {5: "exempted", 50: "never"}
    labels = {"wifi_on": "wifi", "battery_saver": "battery saver", "airplane_mode": "airplane mode"}
    for key, value in facts.extra.items():
        if key == "standby_buckets" and isinstance(value, dict):
            text = "; ".join(f"{pkg} {names.get(b, b)} ({b})" for pkg, b in value.items()) or "none set"
            rows.append(("standby buckets", text))
        elif isinstance(value, bool):
            rows.append((labels.get(key, key.replace("_", " ")), "on" if value else "off"))
        elif value is not None:
            rows.append((labels.get(key, key.replace("_", " ")), str(value)))
    key_width = max(len(k) for k, _ in rows)
    value_width = max(20, out.out.width - key_width - 2)
    for key, value in rows:
        lines = fold(value, value_width)  # fingerprints and package lists break at their own separators
        out.out.print(f"{key:<{key_width}}  {lines[0]}", markup=False, highlight=False, crop=False)
        for line in lines[1:]:
            out.out.print(f"{'':<{key_width}}  {line}", markup=False, highlight=False, crop=False)


_IOS_UDID = re.compile(r"^(?:[0-9a-fA-F]{40}|[0-9A-F]{8}-[0-9A-F]{16})$")


def _is_ios_udid(value: str) -> bool:
    """40 hex digits (before iPhone XS) or 8-16 hex digits with a dash (A12 and later)."""
    return bool(_IOS_UDID.match(value))


def _ios_info(out: Output, udid: str | None, usbmux: str | None, timeout: float | None):
    from bgprobe.collectors.ios.info import device_facts
    from bgprobe.collectors.ios.transport import run, select_udids

    target = ios_target(usbmux, udid, timeout)
    udids = run(select_udids(target))
    if len(udids) > 1:
        raise BgprobeError(f"several iPhones are attached ({', '.join(udids)}): choose one with --udid")
    warn_pending_ios(out, udids)
    facts = run(device_facts(target, udids[0], detailed=True))
    if facts.error:
        from bgprobe.collectors.ios.transport import IosError

        raise IosError(facts.error)
    return facts
