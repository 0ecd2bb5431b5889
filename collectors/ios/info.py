"""What `bgprobe devices` / `info` show of an iPhone: lockdown values, battery, developer mode.

The row has the same columns as Android's (`AndroidFacts`): `sdk` stays empty and `build` carries
the iOS build (21F90); `doze` has no iOS meaning. Low Power Mode cannot be read remotely (no lockdown
or pymobiledevice3 API; docs/ios-commands.md), so it is reported as unknown rather than guessed.
Developer Mode exists from iOS 16: below, it is "not applicable", never "off".
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from bgprobe.collectors.errors import BgprobeError
from bgprobe.collectors.facts import DeviceFacts
from bgprobe.collectors.ios.transport import (
    IosTarget,
    ddi_mounted,
    developer_mode,
    device_errors,
    list_attached,
    lockdown,
    timed,
)


def _ios(**fields: Any) -> DeviceFacts:
    return DeviceFacts(platform="ios", manufacturer="Apple", low_power="unknown", **fields)


async def _battery(client: Any, timeout: float) -> tuple[int | None, bool | None]:
    values = await timed("battery", client.get_value("com.apple.mobile.battery"), timeout)
    if isinstance(values, dict) and values:
        level = values.get("BatteryCurrentCapacity")
        return (int(level) if isinstance(level, int) else None), values.get("BatteryIsCharging")
    return None, None


async def _diagnostics(client: Any, timeout: float) -> dict[str, Any]:
    from pymobiledevice3.services.diagnostics import DiagnosticsService

    async with DiagnosticsService(client) as diag:
        return await timed("diagnostics_relay battery", diag.get_battery(), timeout) or {}


async def device_facts(
    target: IosTarget, udid: str, connection: str | None = None, *, detailed: bool = False
) -> DeviceFacts:
    facts = _ios(id=udid, server=target.where, connection=connection)
    try:
        async with lockdown(target, udid) as client:
            values = client.all_values
            facts.os_version = client.product_version
            facts.build = values.get("BuildVersion")
            facts.model = values.get("ProductType")
            facts.name = values.get("DeviceName")
            async with device_errors("battery", udid):
                facts.battery_level, facts.charging = await _battery(client, target.timeout)
            if detailed:
                facts.extra = await _details(client, target, udid, values)
    except BgprobeError as err:
        facts.error = err.message
    return facts


async def _details(client: Any, target: IosTarget, udid: str, values: dict[str, Any]) -> dict[str, Any]:
    extra: dict[str, Any] = {
        "device_class": values.get("DeviceClass"),
        "hardware_model": values.get("HardwareModel"),
        "serial_number": values.get("SerialNumber"),
        "cpu_architecture": values.get("CPUArchitecture"),
    }
    with contextlib.suppress(Exception):
        mode = await developer_mode(client, target.timeout)
        extra["developer_mode"] = (
            mode if mode is not None else f"not applicable (iOS {client.product_version} has no Developer Mode)"
        )
    with contextlib.suppress(Exception):
        mounted = await ddi_mounted(client, target.timeout)
        extra["developer_disk_image"] = "mounted" if mounted else "not mounted"
    try:
        async with device_errors("diagnostics_relay", udid):
            battery = await _diagnostics(client, target.timeout)
        for key, out in (
            ("Temperature", "battery_temperature_c"),
            ("CycleCount", "battery_cycles"),
            ("InstantAmperage", "battery_current_ma"),
            ("Voltage", "battery_voltage_mv"),
        ):
            if key in battery:
                value = battery[key]
                extra[out] = value / 100 if key == "Temperature" and isinstance(value, int) else value
    except BgprobeError as err:
        extra["diagnostics"] = err.message
    extra["low_power_mode"] = "not readable remotely (no lockdown or pymobiledevice3 API)"
    extra["background_app_refresh"] = "not readable remotely"
    return {k: v for k, v in extra.items() if v is not None}


async def all_facts(target: IosTarget, *, detailed: bool = False) -> list[DeviceFacts]:
    """Every attached device (or only --udid), queried at once; per-device errors are in the rows."""
    attached = await list_attached(target)
    if target.udid:
        wanted = [a for a in attached if a.udid == target.udid]
        if not wanted:
            return [_ios(id=target.udid, server=target.where, error="not attached to usbmuxd")]
        attached = wanted
    return list(
        await asyncio.gather(*(device_facts(target, a.udid, a.connection, detailed=detailed) for a in attached))
    )
