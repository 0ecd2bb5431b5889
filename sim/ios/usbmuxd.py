"""A usbmuxd over TCP that pymobiledevice3 reaches through USBMUXD_SOCKET_ADDRESS=127.0.0.1:PORT.

Plist protocol only (header `<4I` total_len, version=1, message=8, tag; replies echo the tag).
pmd3 opens a new socket per operation and first probes with ReadBUID on a throwaway socket.
After a successful Connect the same socket becomes a raw byte pipe to the device port, which we
serve in-process (DeviceEndpoint.connect) instead of forwarding to a real device.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import plistlib
import ssl
import struct
import uuid
from typing import Any

from . import certs
from .lockdownd import DeviceEndpoint

log = logging.getLogger(__name__)

_HEADER = struct.Struct("<IIII")
MSG_PLIST = 8
RESULT_OK, RESULT_BADDEV, RESULT_CONNREFUSED = 0, 2, 3
ENOENT = 2  # a missing pair record is answered with Result Number=ENOENT (pmd3 only checks PairRecordData)


class Usbmuxd:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self.buid = str(uuid.uuid4()).upper()
        self._server: asyncio.base_events.Server | None = None
        self._devices: dict[int, DeviceEndpoint] = {}  # DeviceID -> endpoint
        self._next_id = 1
        self._listeners: set[asyncio.StreamWriter] = set()
        self._conns: set[asyncio.Task[Any]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._handle, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.address

    async def stop(self) -> None:
        """Close the listening socket and every connection (clients see EOF mid-stream)."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for w in list(self._writers):
            with contextlib.suppress(Exception):
                w.close()
        for t in list(self._conns):
            t.cancel()
        if self._conns:
            await asyncio.wait(list(self._conns), timeout=2)

    # ---------------------------------------------------------------- devices

    def add(self, endpoint: DeviceEndpoint) -> int:
        """Attach a device (hot-plug): Listen clients get an Attached message."""
        device_id = self._next_id
        self._next_id += 1
        self._devices[device_id] = endpoint
        self._notify(self._attached(device_id, endpoint))
        return device_id

    def remove(self, udid: str) -> DeviceEndpoint | None:
        """Detach a device: Listen clients get Detached; open pipes to it are cut."""
        for device_id, ep in list(self._devices.items()):
            if ep.device.udid == udid:
                del self._devices[device_id]
                self._notify({"MessageType": "Detached", "DeviceID": device_id})
                ep.unplug()
                return ep
        return None

    def endpoint(self, udid: str) -> DeviceEndpoint | None:
        return next((ep for ep in self._devices.values() if ep.device.udid == udid), None)

    def _attached(self, device_id: int, ep: DeviceEndpoint) -> dict[str, Any]:
        return {
            "MessageType": "Attached",
            "DeviceID": device_id,
            "Properties": {
                "ConnectionSpeed": 480000000,
                "ConnectionType": "USB",
                "DeviceID": device_id,
                "LocationID": 0x14100000 + device_id * 0x10000,
                "ProductID": 0x12A8,
                "SerialNumber": ep.device.udid,
                "USBSerialNumber": ep.device.udid.replace("-", ""),
            },
        }

    def _notify(self, msg: dict[str, Any]) -> None:
        for w in list(self._listeners):
            try:
                w.write(self._packet(0, msg))
            except Exception:
                self._listeners.discard(w)

    # ---------------------------------------------------------------- protocol

    @staticmethod
    def _packet(tag: int, msg: dict[str, Any]) -> bytes:
        body = plistlib.dumps(msg)
        return _HEADER.pack(_HEADER.size + len(body), 1, MSG_PLIST, tag) + body

    @staticmethod
    def _result(number: int) -> dict[str, Any]:
        return {"MessageType": "Result", "Number": number}

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._conns.add(task)
        self._writers.add(writer)
        try:
            await self._serve(reader, writer)
        except (asyncio.CancelledError, asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass  # simulator stopped or client went away: nothing to report
        except Exception:
            log.exception("simulated usbmuxd connection failed")
        finally:
            self._conns.discard(task)
            self._writers.discard(writer)
            self._listeners.discard(writer)
            with contextlib.suppress(Exception):
                writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                head = await reader.readexactly(_HEADER.size)
            except asyncio.IncompleteReadError:
                return
            length, _version, _message, tag = _HEADER.unpack(head)
            msg = plistlib.loads(await reader.readexactly(length - _HEADER.size))
            kind = msg.get("MessageType")
            if kind == "ReadBUID":
                writer.write(self._packet(tag, {"BUID": self.buid}))
            elif kind == "ListDevices":
                devices = [self._attached(i, ep) for i, ep in self._devices.items()]
                writer.write(self._packet(tag, {"DeviceList": devices}))
            elif kind == "Listen":
                writer.write(self._packet(tag, self._result(RESULT_OK)))
                for i, known in self._devices.items():
                    writer.write(self._packet(0, self._attached(i, known)))
                self._listeners.add(writer)
            elif kind == "ReadPairRecord":
                ep = self.endpoint(msg.get("PairRecordID", ""))
                if ep is None or not ep.paired:
                    writer.write(self._packet(tag, self._result(ENOENT)))
                else:
                    record = plistlib.dumps(certs.pair_record(ep.device.profile.wifi_mac))
                    writer.write(self._packet(tag, {"PairRecordData": record}))
            elif kind in ("SavePairRecord", "DeletePairRecord"):
                writer.write(self._packet(tag, self._result(RESULT_OK)))
            elif kind == "Connect":
                ep = self._devices.get(msg.get("DeviceID", -1))
                # PortNumber arrives in network byte order (62078 -> 32498)
                port = struct.unpack(">H", struct.pack("<H", msg.get("PortNumber", 0) & 0xFFFF))[0]
                if ep is None:
                    writer.write(self._packet(tag, self._result(RESULT_BADDEV)))
                elif not ep.accepts(port):
                    writer.write(self._packet(tag, self._result(RESULT_CONNREFUSED)))
                else:
                    writer.write(self._packet(tag, self._result(RESULT_OK)))
                    await writer.drain()
                    await ep.connect(port, reader, writer)
                    return
            else:
                writer.write(self._packet(tag, self._result(1)))  # BADCOMMAND
            await writer.drain()
