"""What a connected phone is and what state it is in, the same record for Android and iOS
(`bgprobe devices`, `info`, campaigns' devices.jsonl)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class DeviceFacts:
    id: str  # the adb serial, or the UDID
    server: str  # the adb server or usbmux address it was reached through
    platform: str = "android"
    os_version: str | None = None
    sdk: int | None = None  # Android API level
    build: str | None = None
    manufacturer: str | None = None
    model: str | None = None
    name: str | None = None  # Android: its own serial (ro.serialno); iOS: the name its owner gave it
    battery_level: int | None = None
    charging: bool | None = None
    battery_frozen: bool = False  # Android: `dumpsys battery` shows UPDATES STOPPED (someone faked it)
    doze: str | None = None  # Android: deep state / light state
    low_power: str | None = None  # iOS: no remote read exists ("unknown")
    connection: str | None = None  # iOS: USB or network
    extra: dict[str, Any] = field(default_factory=dict)  # `info`: background-relevant settings
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
