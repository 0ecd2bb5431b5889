"""What a connected Android device is and what state it is in (`bgprobe devices` / `info`)."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bgprobe.collectors.android.adb import AndroidDevice
from bgprobe.collectors.errors import DeviceError
from bgprobe.collectors.facts import DeviceFacts
from bgprobe.collectors.parsers.deviceidle import parse_deviceidle

_BATTERY_LINE = re.compile(r"^\s*(?P<key>[A-Za-z ]+?): (?P<value>.*)$")


def parse_battery(text: str) -> dict[str, Any]:
    """`dumpsys battery` (BatteryService.dumpInternal) -> level, charging, frozen, and each power
    source (ac, usb, wireless: what `dumpsys battery set` can put back)."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        m = _BATTERY_LINE.match(line)
        if m:
            values[m["key"].strip().lower()] = m["value"].strip()
    powered = any(values.get(k) == "true" for k in ("ac powered", "usb powered", "wireless powered", "dock powered"))
    level = values.get("level")
    return {
        "level": int(level) if level and level.isascii() and level.isdigit() else None,
        "charging": powered,
        "frozen": "UPDATES STOPPED" in text,
        **{source: values.get(f"{source} powered") == "true" for source in ("ac", "usb", "wireless")},
    }


def read_doze(dev: AndroidDevice) -> dict[str, Any]:
    """`dumpsys deviceidle` as the deviceidle parser reads it: deep_state, light_state, force_idle,
    deep_enabled, light_enabled… The dump shows them on every version (`get deep|light|force`
    only exists from Android 7)."""
    events = parse_deviceidle(enumerate(dev.text(["dumpsys", "deviceidle"]).splitlines(), 1), "live")
    return (events[0].data or {}) if events else {}


def device_facts(dev: AndroidDevice, *, detailed: bool = False) -> DeviceFacts:
    facts = DeviceFacts(id=dev.serial, server=str(dev.server))
    props = dev.getprops()
    facts.os_version = props.get("ro.build.version.release")
    sdk = props.get("ro.build.version.sdk", "")
    facts.sdk = int(sdk) if sdk.isdigit() else None
    facts.build = props.get("ro.build.id")
    facts.manufacturer = props.get("ro.product.manufacturer")
    facts.model = props.get("ro.product.model")
    facts.name = props.get("ro.serialno") or None
    battery = parse_battery(dev.text(["dumpsys", "battery"]))
    facts.battery_level, facts.charging, facts.battery_frozen = battery["level"], battery["charging"], battery["frozen"]
    doze = read_doze(dev)
    facts.doze = f"{doze['deep_state']}/{doze['light_state']}" if doze.get("deep_state") else None
    if detailed:
        facts.extra = background_settings(dev, facts)
    return facts


def background_settings(dev: AndroidDevice, facts: DeviceFacts) -> dict[str, Any]:
    def setting(table: str, key: str) -> str:
        return dev.text(["settings", "get", table, key]).strip()

    extra: dict[str, Any] = {
        "battery_saver": setting("global", "low_power") == "1",
        "airplane_mode": setting("global", "airplane_mode_on") == "1",
        "wifi_on": setting("global", "wifi_on") == "1",
        "mobile_data": setting("global", "mobile_data") == "1",
        "fingerprint": dev.getprops().get("ro.build.fingerprint"),
    }
    if facts.sdk and facts.sdk >= 28:
        buckets = dev.text(["am", "get-standby-bucket"])
        extra["standby_buckets"] = {
            k.strip(): int(v)
            for k, _, v in (line.partition(":") for line in buckets.splitlines())
            if v.strip().isdigit()
        }
    return extra


def facts_of_many(devices: list[AndroidDevice], *, detailed: bool = False) -> list[DeviceFacts]:
    """Devices asked in parallel: a farm's 16 phones take about as long as one."""

    def one(dev: AndroidDevice) -> DeviceFacts:
        try:
            return device_facts(dev, detailed=detailed)
        except DeviceError as err:
            return DeviceFacts(id=dev.serial, server=str(dev.server), error=err.message)

    if not devices:
        return []
    with ThreadPoolExecutor(max_workers=min(32, len(devices))) as pool:
        return list(pool.map(one, devices))
