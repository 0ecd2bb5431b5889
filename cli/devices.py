"""`bgprobe devices` and `bgprobe info DEVICE`."""

from __future__ import annotations

import json
import sys

import typer
from bgprobe.cli.console import Output
from bgprobe.cli.targets import SERVER_HELP, TIMEOUT_HELP, android_devices, warn_pending_changes
from bgprobe.collectors.android.adb import AndroidDevice, DeviceError, list_devices, server_addresses
from bgprobe.collectors.android.info import AndroidFacts, facts_of_many


def devices(
    ctx: typer.Context,
    adb_server: list[str] = typer.Option([], "--adb-server", help=SERVER_HELP),
    timeout: float | None = typer.Option(None, "--timeout", help=TIMEOUT_HELP),
    json_out: bool = typer.Option(False, "--json", help="One JSON object per device."),
) -> None:
    """Every reachable device: id, OS version, maker, model, battery, doze state."""
    out: Output = ctx.obj
    servers = server_addresses(adb_server)
    listed = list_devices(servers, timeout=timeout or 20.0)
    online = [d for d in listed if d.state == "device"]
    handles = [AndroidDevice(d.server, d.serial, timeout=timeout or 20.0) for d in online]
    facts = facts_of_many(handles)
    warn_pending_changes(out, [h for h, f in zip(handles, facts, strict=True) if not f.error])
    offline = [
        AndroidFacts(id=d.serial, server=str(d.server), error=f"state: {d.state}")
        for d in listed
        if d.state != "device"
    ]
    rows = facts + offline
    if json_out:
        for f in rows:
            sys.stdout.write(json.dumps(f.to_dict()) + "\n")
        return
    _table(out, rows)
    if not rows:
        out.out.print(f"No devices on adb server(s) {', '.join(map(str, servers))}.")


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
            str(f.sdk or ""),
            f.manufacturer or "",
            f.model or "",
            battery,
            f.doze or "",
            f.error or "",
        )
    out.out.print(table)


def info(
    ctx: typer.Context,
    device: str = typer.Argument(..., help="Device serial."),
    adb_server: list[str] = typer.Option([], "--adb-server", help=SERVER_HELP),
    timeout: float | None = typer.Option(None, "--timeout", help=TIMEOUT_HELP),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """One device in depth, with its background-relevant settings."""
    out: Output = ctx.obj
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
