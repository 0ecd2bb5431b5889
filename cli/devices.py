"""`bgprobe devices` and `bgprobe info DEVICE`."""

from __future__ import annotations

import json
import re
import sys
from typing import TYPE_CHECKING

import typer
from bgprobe.cli.console import Output
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
    from bgprobe.collectors.android.info import AndroidFacts


def devices(
    ctx: typer.Context,
    adb_server: AdbServers = None,
    usbmux: Usbmux = None,
    timeout: Timeout = None,
    json_out: Json = False,
) -> None:
    """Every reachable device: id, OS version, maker, model, battery, doze state."""
    from bgprobe.collectors.android.adb import AndroidDevice, DeviceError, list_devices, server_addresses
    from bgprobe.collectors.android.info import AndroidFacts, facts_of_many

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
        AndroidFacts(id=d.serial, server=str(d.server), error=f"state: {d.state}")
        for d in listed
        if d.state != "device"
    ]
    rows = facts + offline + ios_rows
    if json_out:
        for f in rows:
            sys.stdout.write(json.dumps(f.to_dict()) + "\n")
        return
    _table(out, rows)
    if not rows:
        out.out.print(f"No devices on adb server(s) {', '.join(map(str, servers))}.")


def _ios_rows(out: Output, usbmux: str | None, timeout: float | None) -> tuple[list, BgprobeError | None]:  # type: ignore[type-arg]
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


def _table(out: Output, rows: list[AndroidFacts]) -> None:
    from rich.table import Table

    table = Table(title_justify="left")
    for col in ("id", "platform", "os", "sdk", "manufacturer", "model", "battery", "doze", "note"):
        table.add_column(col, overflow="fold")
    for f in rows:
        battery = "" if f.battery_level is None else f"{f.battery_level}%{' charging' if f.charging else ''}"
        if f.battery_frozen:
            battery += " (faked)"
        table.add_row(
            f.id,
            f.platform,
            f.os_version or "",
            str(f.sdk or (f.build if f.platform == "ios" else "") or ""),
            f.manufacturer or "",
            f.model or "",
            battery,
            f.doze or "",
            f.error or "",
        )
    out.out.print(table)


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
    from bgprobe.collectors.android.adb import DeviceError
    from bgprobe.collectors.android.info import facts_of_many

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
    for key, value in facts.to_dict().items():
        if key == "extra":
            for k, v in value.items():
                out.out.print(f"{k:>16}: {v}", markup=False)
        elif key != "error":
            out.out.print(f"{key:>16}: {value}", markup=False)


_IOS_UDID = re.compile(r"^(?:[0-9a-fA-F]{40}|[0-9A-F]{8}-[0-9A-F]{16})$")


def _is_ios_udid(value: str) -> bool:
    """40 hex digits (before iPhone XS) or 8-16 hex digits with a dash (A12 and later)."""
    return bool(_IOS_UDID.match(value))


def _ios_info(out: Output, udid: str | None, usbmux: str | None, timeout: float | None):  # type: ignore[no-untyped-def]
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
