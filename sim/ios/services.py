"""The lockdown services a simulated iPhone offers, each `async def(device, reader, writer)`.

Wire formats follow what pymobiledevice3 11.45 reads (services/syslog.py, os_trace.py, afc.py,
crash_reports.py, diagnostics.py, mobile_image_mounter.py, installation_proxy.py, dvt/), written from the
wire formats (docs/ios-commands.md lists each service and what bgprobe asks of it).
"""

from __future__ import annotations

import asyncio
import contextlib
import plistlib
import struct
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from . import formats as fmt
from .device import SimulatedIPhone
from .dtx import dvt_service
from .formats import LogRecord
from .lockdownd import ServiceHandler, plist_frame, read_plist

SYSLOG_DELIMITER = b"\n\x00"


# ---------------------------------------------------------------- com.apple.syslog_relay


def syslog_relay(split_writes: bool = True) -> ServiceHandler:
    """Text lines terminated by b"\\n\\x00", pushed without a request.

    pmd3's SyslogService.watch() has a re-yield bug: when a received chunk ends exactly on the
    delimiter it never resets its buffer, so every earlier line is yielded again (1, 1,2, 1,2,3, …).
    With split_writes (the default) each line's delimiter is sent at the start of the *next* write
    (`line1`, `\\n\\x00line2`, `\\n\\x00line3`, …), so a write never ends on a record boundary and a
    chunk only can when the client lags by more than its 4096-byte read. The price: a line is
    delivered when the next one is written (the device logs continuously, so that is one tick).
    split_writes=False writes `line\\n\\x00` per write, as a real phone does, and reproduces the bug.
    """

    async def serve(dev: SimulatedIPhone, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        first = True
        async for rec in dev.records():
            line = fmt.syslog_relay_line(rec, dev.profile.hostname).encode()
            if split_writes:
                writer.write(line if first else SYSLOG_DELIMITER + line)
            else:
                writer.write(line + SYSLOG_DELIMITER)
            first = False
            await writer.drain()

    return serve


# ---------------------------------------------------------------- com.apple.os_trace_relay

_HEADER = struct.Struct("<9sIQ16s18sIIIBB6sQQ16sHHHIIII")  # 129 bytes (pmd3 _SyslogRecordHeader)


def os_trace_record(rec: LogRecord, mach_base: int = 0, time_zone: str = "UTC") -> bytes:
    """One binary activity-stream record: 0x02, u32 LE length, header, then NUL-terminated
    filename, image name, message, subsystem, category (sizes in the header include the NUL).

    The record carries epoch seconds: the device's local time is in the device's zone (lockdown `TimeZone`),
    so a reader that renders them in its own zone gets the host's clock face, not the phone's."""
    image = rec.image_path.encode() + b"\0"
    message = rec.message.encode() + b"\0"
    subsystem = rec.subsystem.encode() + b"\0" if rec.subsystem else b""
    category = rec.category.encode() + b"\0" if rec.category else b""
    ts = rec.time.replace(tzinfo=ZoneInfo(time_zone)).timestamp()  # device-local wall time -> epoch
    seconds = int(ts)
    micros = round((ts - seconds) * 1_000_000)
    header = _HEADER.pack(
        b"\0" * 9,
        rec.pid,
        rec.pid,
        uuid.uuid5(uuid.NAMESPACE_URL, rec.process_path).bytes,
        b"\0" * 18,
        seconds,
        0,
        micros,
        0,
        fmt.OS_TRACE_LEVELS.get(rec.level, 0),
        b"\0" * 6,
        mach_base + rec.seq * 24_000,
        rec.pid * 1000 + 7,
        uuid.uuid5(uuid.NAMESPACE_URL, rec.image_path).bytes,
        len(image),
        len(message),
        0,
        0x1000 + rec.seq % 0x1000,
        len(subsystem),
        len(category),
        0,
    )
    body = header + rec.process_path.encode() + b"\0" + image + message + subsystem + category
    return b"\x02" + struct.pack("<I", len(body)) + body


async def os_trace_relay(dev: SimulatedIPhone, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    req = await read_plist(reader)
    if req is None:
        return
    if req.get("Request") == "PidList":
        payload = {str(pid): {"ProcessName": name} for pid, name in dev.pid_list().items()}
        writer.write(b"\x01" + plist_frame({"Status": "RequestSuccessful", "Payload": payload}))
        await writer.drain()
        return
    if req.get("Request") != "StartActivity":
        return
    pid = int(req.get("Pid", -1))
    status = plistlib.dumps({"Status": "RequestSuccessful"})
    # u32 LE size of the length field (4), then the LE length, then the plist (pmd3 syslog())
    writer.write(struct.pack("<I", 4) + struct.pack("<I", len(status)) + status)
    await writer.drain()
    async for rec in dev.records():
        if pid not in (-1, rec.pid):  # the pid filter is applied on the device
            continue
        writer.write(os_trace_record(rec, time_zone=dev.profile.time_zone))
        await writer.drain()


# ---------------------------------------------------------------- AFC (com.apple.crashreportcopymobile)

AFC_MAGIC = b"CFA6LPAA"
_AFC_HEADER = struct.Struct("<8sQQQQ")
OP_STATUS, OP_DATA, OP_READ_DIR, OP_REMOVE_PATH, OP_GET_FILE_INFO, OP_GET_DEVINFO = 1, 2, 3, 8, 0x0A, 0x0B
OP_FILE_OPEN, OP_FILE_OPEN_RES, OP_READ, OP_FILE_CLOSE = 0x0D, 0x0E, 0x0F, 0x14
ERR_SUCCESS, ERR_OBJECT_NOT_FOUND, ERR_OBJECT_IS_DIR, ERR_INVALID_ARG, ERR_OP_NOT_SUPPORTED = 0, 8, 9, 7, 15


def _cstr(payload: bytes, offset: int = 0) -> str:
    return payload[offset:].split(b"\0", 1)[0].decode()


def _kv(d: dict[str, Any]) -> bytes:
    return b"".join(f"{k}\0{v}\0".encode() for k, v in d.items())


async def afc_crash_reports(dev: SimulatedIPhone, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """The subset of AFC pmd3's CrashReportsManager uses: ls (READ_DIR/GET_FILE_INFO), pull
    (FILE_OPEN/READ/FILE_CLOSE), erase/clear (REMOVE_PATH). Replies echo packet_num."""
    store = dev.crash_store
    handles: dict[int, tuple[bytes, int]] = {}  # handle -> (contents, read offset); 0 is never a handle
    next_handle = 1

    def reply(packet: int, op: int, payload: bytes) -> None:
        size = _AFC_HEADER.size + len(payload)
        writer.write(_AFC_HEADER.pack(AFC_MAGIC, size, size, packet, op) + payload)

    def status(packet: int, code: int) -> None:
        reply(packet, OP_STATUS, struct.pack("<Q", code))

    while True:
        try:
            head = await reader.readexactly(_AFC_HEADER.size)
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        magic, entire, _this, packet, op = _AFC_HEADER.unpack(head)
        if magic != AFC_MAGIC:
            return
        payload = await reader.readexactly(entire - _AFC_HEADER.size) if entire > _AFC_HEADER.size else b""
        if op == OP_READ_DIR:
            path = _cstr(payload)
            if not store.is_dir(path):
                status(packet, ERR_OBJECT_NOT_FOUND)
            else:
                reply(packet, OP_DATA, b"".join(n.encode() + b"\0" for n in [".", "..", *store.listdir(path)]))
        elif op == OP_GET_FILE_INFO:
            path = _cstr(payload)
            f = store.get(path)
            if f is not None:
                ns = int(f.mtime.timestamp() * 1e9)
                reply(
                    packet,
                    OP_DATA,
                    _kv(
                        {
                            "st_size": len(f.data),
                            "st_blocks": (len(f.data) + 511) // 512,
                            "st_nlink": 1,
                            "st_ifmt": "S_IFREG",
                            "st_mtime": ns,
                            "st_birthtime": ns,
                        }
                    ),
                )
            elif store.is_dir(path):
                ns = int(dev.clock.now().timestamp() * 1e9)
                reply(
                    packet,
                    OP_DATA,
                    _kv(
                        {
                            "st_size": 64 * (len(store.listdir(path)) + 2),
                            "st_blocks": 0,
                            "st_nlink": 2 + len(store.listdir(path)),
                            "st_ifmt": "S_IFDIR",
                            "st_mtime": ns,
                            "st_birthtime": ns,
                        }
                    ),
                )
            else:
                status(packet, ERR_OBJECT_NOT_FOUND)
        elif op == OP_FILE_OPEN:
            f = store.get(_cstr(payload, 8))
            if f is None:
                status(packet, ERR_OBJECT_NOT_FOUND)
            else:
                handles[next_handle] = (f.data, 0)
                reply(packet, OP_FILE_OPEN_RES, struct.pack("<Q", next_handle))
                next_handle += 1
        elif op == OP_READ:
            handle, size = struct.unpack("<QQ", payload[:16])
            if handle not in handles:
                status(packet, ERR_INVALID_ARG)
            else:
                data, pos = handles[handle]
                handles[handle] = (data, pos + size)
                reply(packet, OP_DATA, data[pos : pos + size])
        elif op == OP_FILE_CLOSE:
            handles.pop(struct.unpack("<Q", payload[:8])[0], None)
            status(packet, ERR_SUCCESS)
        elif op == OP_REMOVE_PATH:
            status(packet, ERR_SUCCESS if store.remove(_cstr(payload)) else ERR_OBJECT_NOT_FOUND)
        elif op == OP_GET_DEVINFO:
            reply(
                packet,
                OP_DATA,
                _kv(
                    {
                        "Model": dev.profile.product_type,
                        "FSTotalBytes": 127_989_493_760,
                        "FSFreeBytes": 41_212_710_912,
                        "FSBlockSize": 4096,
                    }
                ),
            )
        else:
            status(packet, ERR_OP_NOT_SUPPORTED)
        await writer.drain()


# ---------------------------------------------------------------- com.apple.crashreportmover


async def crash_mover(dev: SimulatedIPhone, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Moves pending reports (ours are written in place already), then acknowledges with b"ping\\0"."""
    writer.write(b"ping\x00")
    await writer.drain()
    await reader.read()  # hold the connection until the client drops it


# ---------------------------------------------------------------- com.apple.mobile.diagnostics_relay


def battery_registry(dev: SimulatedIPhone) -> dict[str, Any]:
    """IOPMPowerSource as IORegistry returns it; the keys pmd3's `diagnostics battery` reads."""
    charging = dev.charging
    temperature = 2900 + (1600 if dev.thermal == "ThermalCritical" else 900 if dev.thermal == "ThermalSerious" else 0)
    return {
        "AppleRawCurrentCapacity": int(dev.battery_level * 31.4),
        "BatteryInstalled": True,
        "CurrentCapacity": dev.battery_level,
        "CycleCount": 412,
        "DesignCapacity": 3227,
        "ExternalConnected": charging,
        "FullyCharged": dev.battery_level >= 100,
        "InstantAmperage": 1450 if charging else -310,
        "IsCharging": charging,
        "MaxCapacity": 100,
        "NominalChargeCapacity": 2950,
        "Temperature": temperature,
        "Voltage": 3850 + dev.battery_level * 3,
    }


async def diagnostics_relay(dev: SimulatedIPhone, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while (req := await read_plist(reader)) is not None:
        request = req.get("Request")
        reply: dict[str, Any] = {"Status": "Success"}
        if request == "IORegistry":
            if req.get("EntryClass") == "IOPMPowerSource" or req.get("EntryName") == "AppleSmartBattery":
                reply["Diagnostics"] = {"IORegistry": battery_registry(dev)}
            else:
                reply["Diagnostics"] = {"IORegistry": {}}
        elif request == "MobileGestalt":
            if tuple(int(x) for x in dev.profile.product_version.split(".")[:2]) >= (17, 4):
                reply["Diagnostics"] = {"MobileGestalt": {"Status": "MobileGestaltDeprecated"}}
            else:
                keys = req.get("MobileGestaltKeys") or []
                known = {"ProductType": dev.profile.product_type, "ProductVersion": dev.profile.product_version}
                reply["Diagnostics"] = {"MobileGestalt": {"Status": "Success", **{k: known.get(k) for k in keys}}}
        elif request == "Goodbye":
            writer.write(plist_frame(reply))
            await writer.drain()
            return
        elif request in ("All", "GasGauge", "WiFi", "NAND"):
            reply["Diagnostics"] = {
                "GasGauge": {"CycleCount": 412, "DesignCapacity": 3227, "FullChargeCapacity": 2950, "Status": "Success"}
            }
        else:
            reply = {"Status": "UnknownRequest"}
        writer.write(plist_frame(reply))
        await writer.drain()


# ---------------------------------------------------------------- com.apple.mobile.mobile_image_mounter


async def image_mounter(dev: SimulatedIPhone, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """What pymobiledevice3's MobileImageMounterService asks: LookupImage (`ImageSignature` list, empty when not
    mounted), CopyDevices (the mounted images), QueryDeveloperModeStatus (iOS 16+). The image type is
    "Developer" before iOS 17 and "Personalized" from 17 (pmd3 DeveloperDiskImageMounter / PersonalizedImageMounter)."""
    mounted_type = "Personalized" if dev.profile.major >= 17 else "Developer"
    signature = bytes(range(48))
    while (req := await read_plist(reader)) is not None:
        command = req.get("Command")
        mounted = dev.profile.ddi_mounted
        if command == "LookupImage":
            hit = mounted and req.get("ImageType") == mounted_type
            reply: dict[str, Any] = {"ImageSignature": [signature] if hit else [], "Status": "Complete"}
        elif command == "CopyDevices":
            entries = [{"DiskImageType": mounted_type, "IsMounted": True, "ImageSignature": signature}]
            reply = {"EntryList": entries if mounted else [], "Status": "Complete"}
        elif command == "QueryDeveloperModeStatus" and dev.profile.major >= 16:
            reply = {"DeveloperModeStatus": dev.profile.developer_mode, "Status": "Complete"}
        else:
            reply = {"Error": "UnknownCommand"}
        writer.write(plist_frame(reply))
        await writer.drain()


# ---------------------------------------------------------------- com.apple.mobile.installation_proxy


async def installation_proxy(dev: SimulatedIPhone, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Lookup (one reply with `LookupResult`), the call InstallationProxyService.get_apps makes."""
    while (req := await read_plist(reader)) is not None:
        if req.get("Command") != "Lookup":
            writer.write(plist_frame({"Error": "UnknownCommand", "Status": "Complete"}))
            await writer.drain()
            continue
        wanted = (req.get("ClientOptions") or {}).get("BundleIDs")
        result = {}
        for app in dev.profile.apps:
            if wanted is None or app.bundle_id in wanted:
                result[app.bundle_id] = {
                    "CFBundleIdentifier": app.bundle_id,
                    "CFBundleExecutable": app.executable,
                    "CFBundleShortVersionString": app.version,
                    "ApplicationType": "User",
                    "Path": f"/private/var/containers/Bundle/Application/{dev.app_uuid(app.bundle_id)}/"
                    f"{app.executable}.app",
                    "Entitlements": {"get-task-allow": app.debuggable},
                }
        writer.write(plist_frame({"LookupResult": result, "Status": "Complete"}))
        await writer.drain()


# ---------------------------------------------------------------- debugserver (gdb-remote), a declared seam


def gdb_packet(data: str) -> bytes:
    return f"${data}#{sum(data.encode()) % 256:02x}".encode()


async def debugserver(dev: SimulatedIPhone, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """debugserver as far as bgprobe's fake lldb (tests) drives it, in gdb-remote framing (`$data#cs`, `+` acks,
    0x03 interrupts): QStartNoAckMode, vAttach;PID (stop reply), c (continue: no reply until stopped),
    0x03 (stop reply), D (detach). Evaluating an Objective-C expression is lldb's work (memory allocation, JIT,
    many packets); the simulator takes it as one made-up packet, `qBgprobeObjC:<hex expression>`, which only the
    test's fake lldb sends. Closing the connection detaches, as debugserver does for a process it attached to."""
    app = None
    ack = True
    buf = b""

    def send(data: str) -> None:
        writer.write(gdb_packet(data))

    try:
        while True:
            chunk = await reader.read(4096)
            if not chunk:
                return
            buf += chunk
            while buf:
                if buf[:1] in (b"+", b"-"):
                    buf = buf[1:]
                    continue
                if buf[:1] == b"\x03":
                    buf = buf[1:]
                    if app is not None:
                        dev.debug_interrupt(app)
                        send("T11thread:1;")
                    continue
                if not buf.startswith(b"$"):
                    buf = buf[1:]
                    continue
                end = buf.find(b"#")
                if end < 0 or len(buf) < end + 3:
                    break
                data, buf = buf[1:end].decode("utf-8", "replace"), buf[end + 3 :]
                if ack:
                    writer.write(b"+")
                if data == "QStartNoAckMode":
                    send("OK")
                    ack = False
                elif data.startswith("vAttach;"):
                    app = dev.debug_attach(int(data.split(";", 1)[1], 16))
                    send("T11thread:1;" if app is not None else "E01")
                elif data.startswith("qBgprobeObjC:") and app is not None:
                    error = dev.debug_evaluate(app, bytes.fromhex(data.split(":", 1)[1]).decode())
                    send("E02" if error else "OK")
                elif data == "c" and app is not None:
                    dev.debug_resume(app)  # the stop reply comes with the next interrupt
                elif data == "D" and app is not None:
                    dev.debug_resume(app, detach=True)
                    app = None
                    send("OK")
                else:
                    send("")  # unsupported
            await writer.drain()
    finally:
        if app is not None:
            dev.debug_resume(app, detach=True)
        with contextlib.suppress(Exception):
            writer.close()


def default_services(split_writes: bool = True) -> dict[str, ServiceHandler]:
    return {
        "com.apple.syslog_relay": syslog_relay(split_writes),
        "com.apple.os_trace_relay": os_trace_relay,
        "com.apple.crashreportcopymobile": afc_crash_reports,
        "com.apple.crashreportmover": crash_mover,
        "com.apple.mobile.diagnostics_relay": diagnostics_relay,
        "com.apple.mobile.mobile_image_mounter": image_mounter,
        "com.apple.mobile.installation_proxy": installation_proxy,
        # developer services: lockdownd offers them only with the Developer Disk Image mounted, and only before
        # iOS 17 (from 17 they live behind the RSD tunnel, which the simulator does not serve) — see lockdownd.py
        "com.apple.instruments.remoteserver.DVTSecureSocketProxy": dvt_service,
        "com.apple.debugserver.DVTSecureSocketProxy": debugserver,
    }
