"""lockdownd on port 62078 of a simulated iPhone, and the device-side port table services live on.

Framing: 4-byte big-endian length + XML plist; every reply echoes "Request" (pmd3
`_verify_request_response` rejects anything else). Errors are the strings pmd3 maps to exceptions
("InvalidHostID", "InvalidService", "MissingValue", …).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import plistlib
import struct
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from . import certs
from .device import SimulatedIPhone

log = logging.getLogger(__name__)

LOCKDOWN_PORT = 62078
ServiceHandler = Callable[[SimulatedIPhone, asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]

# What lockdownd answers without a session (what `usbmux list` shows for an unpaired phone)
PUBLIC_KEYS = (
    "BuildVersion",
    "DeviceClass",
    "DeviceColor",
    "DeviceName",
    "HardwareModel",
    "ProductName",
    "ProductType",
    "ProductVersion",
    "UniqueDeviceID",
    "CPUArchitecture",
)


async def read_plist(reader: asyncio.StreamReader) -> dict[str, Any] | None:
    """One BE-length-prefixed plist, or None at EOF."""
    try:
        (size,) = struct.unpack(">I", await reader.readexactly(4))
        return plistlib.loads(await reader.readexactly(size))
    except (asyncio.IncompleteReadError, ConnectionError):
        return None


def plist_frame(obj: dict[str, Any]) -> bytes:
    data = plistlib.dumps(obj)
    return struct.pack(">I", len(data)) + data


def all_values(dev: SimulatedIPhone) -> dict[str, Any]:
    p = dev.profile
    ecid = int(p.udid.split("-")[1], 16)
    return {
        "ActivationState": "Activated",
        "BasebandVersion": "3.40.02",
        "BluetoothAddress": p.wifi_mac[:-2] + f"{(int(p.wifi_mac[-2:], 16) + 1) % 256:02x}",
        "BuildVersion": p.build_version,
        "CPUArchitecture": "arm64e",
        "DeviceClass": "iPhone",
        "DeviceColor": "1",
        "DeviceName": p.name,
        "FirmwareVersion": "iBoot-10151.121.1",
        "HardwareModel": p.model.hardware_model,
        "HardwarePlatform": f"t{p.model.chip_id:04x}",
        "ModelNumber": "MLPF3",
        "PasswordProtected": False,
        "ProductName": "iPhone OS",
        "ProductType": p.product_type,
        "ProductVersion": p.product_version,
        "RegionInfo": "LL/A",
        "SerialNumber": p.serial_number,
        "TimeZone": p.time_zone,
        "UniqueChipID": ecid,
        "UniqueDeviceID": p.udid,
        "WiFiAddress": p.wifi_mac,
    }


def domain_values(dev: SimulatedIPhone, domain: str) -> dict[str, Any] | None:
    if domain == "com.apple.mobile.battery":
        return {
            "BatteryCurrentCapacity": dev.battery_level,
            "BatteryIsCharging": dev.charging,
            "ExternalChargeCapable": dev.charging,
            "ExternalConnected": dev.charging,
            "FullyCharged": dev.battery_level >= 100,
            "GasGaugeCapability": True,
            "HasBattery": True,
        }
    if domain == "com.apple.security.mac.amfi":
        # DeveloperModeStatus exists from iOS 16 on. Modelled: an older lockdownd answers the key without a Value
        # (not confirmed on hardware; pymobiledevice3 itself never asks below 16.0: `has_developer_mode`)
        return {"DeveloperModeStatus": dev.profile.developer_mode} if dev.profile.major >= 16 else {}
    if domain == "com.apple.international":
        return {"Locale": "en_US", "Language": "en"}
    return None


# Served only while the Developer Disk Image is mounted, and over lockdown only before iOS 17 (17+ reaches them
# through RemoteServiceDiscovery: lockdownd answers InvalidService, which pymobiledevice3 reports as such).
DEVELOPER_SERVICES = frozenset(
    {"com.apple.instruments.remoteserver.DVTSecureSocketProxy", "com.apple.debugserver.DVTSecureSocketProxy"}
)


def service_available(dev: SimulatedIPhone, service: str) -> bool:
    if service in DEVELOPER_SERVICES:
        return dev.profile.ddi_mounted and dev.profile.major < 17
    return True


class DeviceEndpoint:
    """One phone behind usbmuxd: lockdownd on 62078 plus the one-shot ports StartService hands out."""

    def __init__(
        self, device: SimulatedIPhone, services: dict[str, ServiceHandler], *, paired: bool = True, tls: bool = False
    ) -> None:
        self.device = device
        self.services = services
        self.paired = paired
        self.tls = tls
        self._ports = itertools.count(49152 + device.rng.randint(0, 8000))
        self._pending: dict[int, tuple[str, bool]] = {}  # port -> (service name, TLS)
        self._pipes: set[asyncio.Task[Any]] = set()  # connections currently piped to this phone

    def start_service(self, name: str) -> int:
        port = next(self._ports)
        self._pending[port] = (name, self.tls)
        return port

    def accepts(self, port: int) -> bool:
        return port == LOCKDOWN_PORT or port in self._pending

    def unplug(self) -> None:
        """Cut every open connection to this phone (cable pulled / device gone)."""
        for t in list(self._pipes):
            t.cancel()

    async def connect(self, port: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve a usbmuxd Connect that was accepted; the socket is now a raw pipe to `port`."""
        task = asyncio.current_task()
        assert task is not None
        self._pipes.add(task)
        try:
            await self._connect(port, reader, writer)
        finally:
            self._pipes.discard(task)

    async def _connect(self, port: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if port == LOCKDOWN_PORT:
            await Lockdownd(self).serve(reader, writer)
            return
        name, tls = self._pending.pop(port)  # like the real daemon: a started port takes one connection
        if tls:
            # services speak TLS from their first byte
            await writer.start_tls(certs.server_ssl_context())
        await self.services[name](self.device, reader, writer)


class Lockdownd:
    def __init__(self, endpoint: DeviceEndpoint) -> None:
        self.ep = endpoint
        self.dev = endpoint.device
        self.session: str | None = None

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while (req := await read_plist(reader)) is not None:
            name = req.get("Request", "")
            reply: dict[str, Any] = {"Request": name}
            handler = getattr(self, f"do_{name}", None)
            if handler is None:
                reply["Error"] = "InvalidRequest"
            else:
                reply.update(handler(req))
            writer.write(plist_frame(reply))
            await writer.drain()
            if name == "StartSession" and "Error" not in reply and self.ep.tls:
                # TLS starts right after the StartSession reply (pmd3 validate_pairing → start_tls)
                await writer.start_tls(certs.server_ssl_context())

    def do_QueryType(self, req: dict[str, Any]) -> dict[str, Any]:
        return {"Type": "com.apple.mobile.lockdown"}

    def do_GetValue(self, req: dict[str, Any]) -> dict[str, Any]:
        domain, key = req.get("Domain"), req.get("Key")
        values = all_values(self.dev)
        if self.session is None and domain is None:
            values = {k: values[k] for k in PUBLIC_KEYS}
        if domain is not None:
            if self.session is None:
                return {"Domain": domain, "Error": "GetProhibited"}  # domains need a session
            dv = domain_values(self.dev, domain)
            if dv is None:
                return {"Domain": domain, "Value": {}} if key is None else {"Domain": domain, "Error": "MissingValue"}
            values = dv
        if key is None:
            return {"Value": values} if domain is None else {"Domain": domain, "Value": values}
        if key not in values:
            if domain == "com.apple.security.mac.amfi":
                return {"Domain": domain, "Key": key}  # modelled (see domain_values): no Value, no Error
            return {"Key": key, "Error": "MissingValue"}
        out = {"Key": key, "Value": values[key]}
        if domain is not None:
            out["Domain"] = domain
        return out

    def do_StartSession(self, req: dict[str, Any]) -> dict[str, Any]:
        m = certs.pair_material()
        if not self.ep.paired or req.get("HostID") != m.host_id:
            return {"Error": "InvalidHostID"}
        self.session = str(uuid.uuid4()).upper()
        return {"SessionID": self.session, "EnableSessionSSL": self.ep.tls}

    def do_StopSession(self, req: dict[str, Any]) -> dict[str, Any]:
        self.session = None
        return {"Result": "Success"}

    def do_StartService(self, req: dict[str, Any]) -> dict[str, Any]:
        service = req.get("Service", "")
        if self.session is None:
            return {"Service": service, "Error": "InvalidService"}
        if service not in self.ep.services or not service_available(self.dev, service):
            # pmd3 maps "InvalidService" to InvalidServiceError
            return {"Service": service, "Error": "InvalidService"}
        port = self.ep.start_service(service)
        return {"Service": service, "Port": port, "EnableServiceSSL": self.ep.tls}

    def do_SetValue(self, req: dict[str, Any]) -> dict[str, Any]:
        return {"Error": "SetProhibited"}

    def do_Goodbye(self, req: dict[str, Any]) -> dict[str, Any]:
        return {"Result": "Success"}
