"""The DVT (Instruments) service of a simulated iPhone: DTX messages over a lockdown service connection, with the
ConditionInducer and ProcessControl channels bgprobe uses.

Written from the wire format, not with pymobiledevice3's own DTX classes, so that the real client is checked
against an independent encoder (pymobiledevice3 11.45 `dtx/structs.py`, `message.py`, `primitives.py`,
`connection.py`, `_sender.py` describe the format; NSKeyedArchiver payloads through bpylist2, the library
pymobiledevice3 itself archives with):

- fragment header, 32 bytes little-endian: magic 0x1F3D5B79, header size 32, fragment index, fragment count, data
  size, message identifier, conversation index (0 request, 1 reply), channel code, flags (1 = expects a reply);
- payload header, 16 bytes: message type (0 OK, 1 DATA, 2 DISPATCH, 3 OBJECT, 4 ERROR), 3 flag bytes, aux size,
  total size (aux + payload), flags;
- aux: a primitive dictionary (u32 0x1F0, u32 0, u64 body length, then key/value primitives; positional arguments
  have the NULL key 10; values are buffers (2) holding an NSKeyedArchive, or int32 (3) / int64 (6) / string (1));
- payload of a DISPATCH: the archived selector string; a reply carries the request's identifier and conversation
  index 1 on the channel code the request used.

Channel 0 is the control channel: each side sends `_notifyOfPublishedCapabilities:` once, and the client opens a
service with `_requestChannelWithCode:identifier:` (OK reply). The ConditionInducer selectors are those pymobiledevice3
calls: `availableConditionInducers`, `enableConditionWithIdentifier:profileIdentifier:`, `disableActiveCondition`.
Profile groups follow appium-ios-remotexpc's ConditionInducer types (the ids real devices list; always `list` first).

Checked against two descriptions besides pymobiledevice3's: troybowman/dtxmsg (`dtxmsg_common.h`: the 32-byte
DTXMessageHeader and 16-byte payload header; `dtxmsg_client.cpp`: the device answers the client's
`_notifyOfPublishedCapabilities:` with its own, whose argument is the list of channels it serves; `killPid:` is sent
without expecting a reply; `launchSuspendedProcessWithDevicePath:bundleIdentifier:environment:arguments:options:`
takes an empty path, the bundle id, an environment dictionary, an argument array and the options StartSuspendedKey /
KillExisting, and answers the new pid). pymobiledevice3 11.45's own client (`services/dvt/instruments/
condition_inducer.py`, `process_control.py`, `dtx/_reader.py`) fixes the rest: `disableActiveCondition` expects no
reply; ProcessControl.kill() is `sendSignal:toPid:` with SIGKILL (it waits for the answer); a message the device
starts on a channel the client opened (conversation index 0) carries the negated channel code, so
`processWithPID:terminatedWithExitCode:orCrashingSignal:` for a process launched on channel N goes out on -N, and
only to a client that published `com.apple.instruments.client.processcontrol.capability.terminationCallback`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
from typing import Any

from bpylist2 import archiver

from .device import SimulatedIPhone

log = logging.getLogger(__name__)

MAGIC = 0x1F3D5B79
FRAGMENT = struct.Struct("<IIHHIIIiI")
PAYLOAD = struct.Struct("<BBBBIII")
MSG_OK, MSG_DATA, MSG_DISPATCH, MSG_OBJECT, MSG_ERROR = 0, 1, 2, 3, 4
EXPECTS_REPLY = 1
P_STRING, P_BUFFER, P_INT32, P_INT64, P_DOUBLE, P_NULL, P_DICT = 1, 2, 3, 6, 9, 10, 0xF0

CONDITION_INDUCER = "com.apple.instruments.server.services.ConditionInducer"
PROCESS_CONTROL = "com.apple.instruments.server.services.processcontrol"
TERMINATION_CALLBACK = "com.apple.instruments.client.processcontrol.capability.terminationCallback"
# What the device publishes: the DTX options, and the services it serves (dtxmsg: "a description of all available
# channels"); the numbers are service versions, which no client here checks.
DEVICE_CAPABILITIES = {
    "com.apple.private.DTXBlockCompression": 2,
    "com.apple.private.DTXConnection": 1,
    CONDITION_INDUCER: 1,
    PROCESS_CONTROL: 1,
}
SIGKILL = 9


def _profile(identifier: str, name: str) -> dict[str, Any]:
    return {"identifier": identifier, "name": name, "description": name}


CONDITION_GROUPS: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    (
        "SlowNetworkCondition",
        "Network Link",
        (
            ("SlowNetwork100PctLoss", "100% packet loss"),
            ("SlowNetworkVeryBadNetwork", "Very Bad Network"),
            ("SlowNetworkEdgeBad", "Edge Bad"),
            ("SlowNetworkEdgeAverage", "Edge Average"),
            ("SlowNetworkEdgeGood", "Edge Good"),
            ("SlowNetwork2GRural", "2G Rural"),
            ("SlowNetwork2GUrban", "2G Urban"),
            ("SlowNetwork3GAverage", "3G Average"),
            ("SlowNetwork3GGood", "3G Good"),
            ("SlowNetworkLTE", "LTE"),
            ("SlowNetworkWiFi", "WiFi"),
            ("SlowNetworkWiFi80211AC", "WiFi 802.11ac"),
            ("SlowNetworkDSL", "DSL"),
            ("SlowNetworkHighLatencyDNS", "High Latency DNS"),
        ),
    ),
    (
        "ThermalCondition",
        "Thermal State",
        (("ThermalFair", "Fair"), ("ThermalSerious", "Serious"), ("ThermalCritical", "Critical")),
    ),
)


def condition_groups(dev: SimulatedIPhone) -> list[dict[str, Any]]:
    out = []
    for ident, name, profiles in CONDITION_GROUPS:
        active = dev.induced if dev.induced and any(p == dev.induced for p, _ in profiles) else None
        group: dict[str, Any] = {
            "identifier": ident,
            "name": name,
            "profiles": [_profile(p, n) for p, n in profiles],
            "isActive": active is not None,
            "isDestructive": False,
            "isInternal": False,
        }
        if active is not None:
            group["activeProfile"] = active
        out.append(group)
    return out


class _NSError:
    """Archived as NSError (NSDomain, NSCode, NSUserInfo). Registered for archiving only: this process may also
    run pymobiledevice3, whose unarchiver keeps its own NSError class."""

    def __init__(self, code: int, domain: str, description: str) -> None:
        self.code, self.domain, self.description = code, domain, description

    def encode_archive(self, archive: Any) -> None:
        archive.encode("NSDomain", self.domain)
        archive.encode("NSCode", self.code)
        archive.encode("NSUserInfo", {"NSLocalizedDescription": self.description})


archiver.ARCHIVE_CLASS_MAP[_NSError] = "NSError"


# ---------------------------------------------------------------- primitives


def _prim(kind: int, value: Any) -> bytes:
    if kind == P_NULL:
        return struct.pack("<I", P_NULL)
    if kind == P_INT32:
        return struct.pack("<Ii", P_INT32, value)
    if kind == P_INT64:
        return struct.pack("<Iq", P_INT64, value)
    raw = value.encode() if kind == P_STRING else value
    return struct.pack("<II", kind, len(raw)) + raw


def _arg(value: Any) -> bytes:
    if value is None:  # an empty buffer, as pymobiledevice3's MessageAux writes (and reads back as None)
        return _prim(P_BUFFER, b"")
    if isinstance(value, int) and not isinstance(value, bool):
        return _prim(P_INT32, value)
    return _prim(P_BUFFER, archiver.archive(value))


def build_aux(args: list[Any]) -> bytes:
    if not args:
        return b""
    body = b"".join(_prim(P_NULL, None) + _arg(a) for a in args)
    return struct.pack("<IIQ", 0x1F0, 0, len(body)) + body


def parse_aux(data: bytes) -> list[Any]:
    """Positional arguments of a DISPATCH: archived buffers unarchived, numbers and strings as they are."""
    if not data:
        return []
    magic, _flags, length = struct.unpack_from("<IIQ", data, 0)
    if magic & 0xFF != P_DICT:
        raise ValueError(f"aux is not a primitive dictionary ({magic:#x})")
    pos, end, out = 16, 16 + length, []
    while pos < end:
        items: list[object] = []
        for _ in range(2):  # key, value
            (kind,) = struct.unpack_from("<I", data, pos)
            kind &= 0xFF
            pos += 4
            if kind == P_NULL:
                items.append(None)
            elif kind == P_INT32:
                items.append(struct.unpack_from("<i", data, pos)[0])
                pos += 4
            elif kind in (P_INT64, P_DOUBLE):
                items.append(struct.unpack_from("<q" if kind == P_INT64 else "<d", data, pos)[0])
                pos += 8
            else:
                (size,) = struct.unpack_from("<I", data, pos)
                raw = data[pos + 4 : pos + 4 + size]
                pos += 4 + size
                if kind == P_STRING:
                    items.append(raw.decode("utf-8", "replace"))
                else:
                    items.append(archiver.unarchive(raw) if raw else None)
        out.append(items[1])
    return out


# ---------------------------------------------------------------- the connection


class DtxServer:
    """One DVT connection. Conditions it set end when it closes (whichever way). Runs on the device's loop."""

    def __init__(self, dev: SimulatedIPhone, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.dev, self.reader, self.writer = dev, reader, writer
        self.channels: dict[int, str] = {}
        self.next_id = 1
        self.client_capabilities: dict[str, Any] = {}
        self.launched: dict[int, int] = {}  # pid -> the ProcessControl channel that launched it

    async def _read_message(self) -> tuple[int, int, int, int, int, bytes, bytes]:
        chunks, meta = [], None
        while True:
            head = await self.reader.readexactly(FRAGMENT.size)
            magic, hsize, index, count, size, ident, conv, chan, flags = FRAGMENT.unpack(head)
            if magic != MAGIC:
                raise ValueError(f"bad DTX magic {magic:#x}")
            if hsize > FRAGMENT.size:
                await self.reader.readexactly(hsize - FRAGMENT.size)
            if index == 0:
                meta = (ident, conv, chan, flags)
                if count > 1:  # a first fragment of several carries no body
                    continue
            chunks.append(await self.reader.readexactly(size))
            if index == count - 1:
                break
        assert meta is not None
        raw = b"".join(chunks)
        mtype, _a, _b, _c, aux_size, total, _f = PAYLOAD.unpack_from(raw, 0)
        aux = raw[PAYLOAD.size : PAYLOAD.size + aux_size]
        payload = raw[PAYLOAD.size + aux_size : PAYLOAD.size + total]
        ident, conv, chan, flags = meta
        return ident, conv, chan, flags, mtype, aux, payload

    def _send(self, mtype: int, chan: int, payload: bytes, aux: bytes, ident: int, conv: int, flags: int = 0) -> None:
        body = PAYLOAD.pack(mtype, 0, 0, 0, len(aux), len(aux) + len(payload), 0) + aux + payload
        self.writer.write(FRAGMENT.pack(MAGIC, FRAGMENT.size, 0, 1, len(body), ident, conv, chan, flags) + body)

    def _new_id(self) -> int:
        ident, self.next_id = self.next_id, self.next_id + 1
        return ident

    def reply(self, ident: int, chan: int, value: Any = None, error: str | None = None) -> None:
        if error is not None:
            self._send(MSG_ERROR, chan, archiver.archive(_NSError(1, "DTXMessage", error)), b"", ident, 1)
        elif value is None:
            self._send(MSG_OK, chan, b"", b"", ident, 1)
        else:
            self._send(MSG_OBJECT, chan, archiver.archive(value), b"", ident, 1)

    async def serve(self) -> None:
        if self.dev.dvt_stall:  # fault injection: a service that never answers (a wedged instruments daemon)
            with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
                await self.reader.read()
            return
        # the device announces its capabilities as soon as the connection is up, like the client does
        self._send(
            MSG_DISPATCH,
            0,
            archiver.archive("_notifyOfPublishedCapabilities:"),
            build_aux([DEVICE_CAPABILITIES]),
            self._new_id(),
            0,
        )
        await self.writer.drain()
        try:
            while True:
                ident, conv, chan, flags, mtype, aux, payload = await self._read_message()
                if mtype != MSG_DISPATCH or conv != 0:
                    continue  # replies to the device's own notifications: nothing waits for them
                selector = archiver.unarchive(payload) if payload else ""
                args = parse_aux(aux)
                self.handle(ident, chan, bool(flags & EXPECTS_REPLY), str(selector), args)
                await self.writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ValueError, struct.error):
            pass
        finally:
            self.dev.dvt_connection_closed(self)

    def drop(self) -> None:
        """Cut this connection (a tunnel or USB link that went away)."""
        self.writer.transport.abort()

    def handle(self, ident: int, chan: int, wants_reply: bool, selector: str, args: list[Any]) -> None:
        def answer(value: Any = None, error: str | None = None) -> None:
            if wants_reply:
                self.reply(ident, chan, value, error)

        if chan == 0:
            if selector == "_notifyOfPublishedCapabilities:":
                self.client_capabilities = dict(args[0]) if args and isinstance(args[0], dict) else {}
            elif selector == "_requestChannelWithCode:identifier:":
                code, name = int(args[0]), str(args[1])
                if name not in (CONDITION_INDUCER, PROCESS_CONTROL):
                    answer(error=f"Unable to find service with identifier {name}")
                    return
                self.channels[code] = name
                answer()
            elif selector == "_channelCanceled:":
                self.channels.pop(int(args[0]), None)
            elif wants_reply:
                answer()
            return
        service = self.channels.get(chan)
        if service == CONDITION_INDUCER:
            self._condition_inducer(selector, args, answer)
        elif service == PROCESS_CONTROL:
            self._process_control(selector, args, answer, chan)
        else:
            answer(error=f"No channel registered for code {chan}")

    def _condition_inducer(self, selector: str, args: list[Any], answer: Any) -> None:
        dev = self.dev
        if selector == "availableConditionInducers":
            answer(condition_groups(dev))
        elif selector == "enableConditionWithIdentifier:profileIdentifier:":
            group, profile = str(args[0]), str(args[1])
            known = {p for g, _n, ps in CONDITION_GROUPS if g == group for p, _ in ps}
            if profile not in known:
                answer(error=f"No profile {profile} in condition {group}")
                return
            error = dev.induce(self, profile)
            answer(True if error is None else None, error)
        elif selector == "disableActiveCondition":
            dev.disable_induced()
            answer()
        else:
            answer(error=f"Unable to invoke {selector!r} - it does not respond to the selector")

    def _process_control(self, selector: str, args: list[Any], answer: Any, chan: int) -> None:
        dev = self.dev
        if selector == "processIdentifierForBundleIdentifier:":
            answer(dev.pid_of(str(args[0])))
        elif selector == "isPidDebuggable:":
            answer(dev.is_debuggable(int(args[0])))
        elif selector == "launchSuspendedProcessWithDevicePath:bundleIdentifier:environment:arguments:options:":
            options = args[4] if len(args) > 4 and isinstance(args[4], dict) else {}
            result = dev.launch_app(
                str(args[1]),
                kill_existing=bool(options.get("KillExisting", True)),
                suspended=bool(options.get("StartSuspendedKey", False)),
            )
            if isinstance(result, str):
                answer(error=result)
            else:
                self.launched[result] = chan
                answer(result)
        elif selector in ("sendSignal:toPid:", "killPid:"):
            sig, pid = (int(args[0]), int(args[1])) if selector == "sendSignal:toPid:" else (SIGKILL, int(args[0]))
            error = dev.signal_pid(pid, sig)
            answer(None, error)
        elif selector == "resumePid:":
            answer(None, dev.resume_pid(int(args[0])))
        elif selector == "requestDisableMemoryLimitsForPid:":
            answer(dev.pid_list().get(int(args[0])) is not None)
        elif selector in ("startObservingPid:", "stopObservingPid:"):
            answer()
        else:
            answer(error=f"Unable to invoke {selector!r} - it does not respond to the selector")

    def process_terminated(self, pid: int, signal: int) -> None:
        """The termination callback for a process this connection launched, to a client that asked for it."""
        chan = self.launched.pop(pid, None)
        if chan is None or not self.client_capabilities.get(TERMINATION_CALLBACK) or chan not in self.channels:
            return
        selector = archiver.archive("processWithPID:terminatedWithExitCode:orCrashingSignal:")
        # the device starts this message on the client's channel: its code goes out negated (see the docstring)
        self._send(MSG_DISPATCH, -chan, selector, build_aux([pid, None, signal]), self._new_id(), 0)


async def dvt_service(dev: SimulatedIPhone, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    server = DtxServer(dev, reader, writer)
    dev.dvt_servers.add(server)
    try:
        await server.serve()
    finally:
        dev.dvt_servers.discard(server)
        with contextlib.suppress(Exception):
            writer.close()
