"""Live iOS logs -> events: syslog_relay (text) or os_trace_relay (structured), through the parsers
of `bgprobe scan`, optionally with the crash reports the device writes meanwhile.

pymobiledevice3 11.45's `SyslogService.watch()` re-yields earlier lines: when a read ends exactly on
the `\\n\\0` record delimiter it splits the buffer but never empties it, so the next read yields
every line since the last partial read again (1, 1 2, 1 2 3, …). A real phone writes one
`line\\n\\0` per record, so this happens on most reads. Dropping repeated *text* would be wrong
(real logs repeat lines: runningboardd prints "Removing process" twice in the sample), so
`syslog_lines` reads the same service connection and splits records itself, keeping the partial
tail and nothing else: each record exactly once, in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import plistlib
import posixpath
import struct
from collections.abc import AsyncIterator, Callable
from datetime import datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bgprobe.collectors.ios.crash import NEW_REPORT_RETRIES_S, fetch_report, report_events
from bgprobe.collectors.ios.transport import IosError, IosTarget, device_errors, lockdown
from bgprobe.collectors.parsers.ios_layouts import IosRecord, parse_record
from bgprobe.collectors.parsers.ios_rules import IosLogInterpreter, saved_report_path
from bgprobe.reports.events import Event

SYSLOG_DELIMITER = b"\n\x00"
CHUNK_SIZE = 4096
RELAYS = ("syslog", "os_trace")


async def split_records(chunks: AsyncIterator[bytes]) -> AsyncIterator[str]:
    """syslog_relay byte chunks -> records (text without the delimiter), each exactly once.

    A delimiter may be cut between two chunks (`…\\n` | `\\0…`): only whole delimiters split.
    """
    buf = b""
    async for chunk in chunks:
        if not chunk:
            break
        buf += chunk
        if SYSLOG_DELIMITER not in buf:
            continue
        *records, buf = buf.split(SYSLOG_DELIMITER)
        for raw in records:
            if raw:
                yield raw.decode("utf-8", "replace")


async def _service_chunks(service: Any) -> AsyncIterator[bytes]:
    from pymobiledevice3.exceptions import ConnectionTerminatedError

    while True:
        chunk = await service.recv_any(CHUNK_SIZE)
        if not chunk:
            raise ConnectionTerminatedError()
        yield chunk


async def syslog_lines(client: Any, connected: asyncio.Event | None = None) -> AsyncIterator[str]:
    """Records of `com.apple.syslog_relay`, without pymobiledevice3's re-yield (module docstring). `connected`
    is set once the relay connection is open (lines the phone logs from then on will come)."""
    from pymobiledevice3.services.syslog import SyslogService

    svc = SyslogService(client)
    await svc.connect()  # 11.x opens service connections lazily; open it now so errors surface here
    if connected is not None:
        connected.set()
    try:
        async for line in split_records(_service_chunks(svc.service)):
            yield line
    finally:
        await svc.close()


def device_zone(client: Any) -> tzinfo | None:
    """The phone's time zone (lockdown `TimeZone`, e.g. "Europe/Berlin"), for os_trace times."""
    name = (getattr(client, "all_values", None) or {}).get("TimeZone")
    if not isinstance(name, str) or not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def device_time(entry_time: datetime | None, zone: tzinfo | None) -> str | None:
    """An os_trace entry's time as the phone's clock shows it. The record carries epoch seconds; pymobiledevice3
    renders them with `datetime.fromtimestamp` in *this computer's* zone. Put back in the phone's zone (with its
    offset, which the events keep in data.utc_offset); unknown zone: the instant with the host's offset, which is
    at least the same moment, said so by the offset."""
    if not isinstance(entry_time, datetime):
        return None
    aware = entry_time.astimezone()  # naive local -> the same instant, with the host's offset
    return (aware.astimezone(zone) if zone is not None else aware).isoformat()


async def os_trace_records(
    client: Any, pid: int = -1, streaming: asyncio.Event | None = None
) -> AsyncIterator[IosRecord]:
    """os_trace_relay entries as records (the pid filter is applied on the phone). `streaming` is set once the
    phone accepted the stream, before any entry: a caller that waits for an answer from the app starts only then.
    The StartActivity exchange follows pymobiledevice3's OsTraceService.syslog (same service, same framing)."""
    from pymobiledevice3.exceptions import ConnectionTerminatedError
    from pymobiledevice3.services.os_trace import (
        OS_TRACE_RELAY_MESSAGE_FILTER_ALL,
        OS_TRACE_RELAY_STREAM_FLAGS_DEFAULT,
        OsTraceService,
        parse_syslog_entry,
    )

    zone = device_zone(client)
    svc = OsTraceService(client)
    await svc.connect()
    try:
        await svc.service.send_plist(
            {
                "Request": "StartActivity",
                "MessageFilter": OS_TRACE_RELAY_MESSAGE_FILTER_ALL,
                "Pid": pid,
                "StreamFlags": OS_TRACE_RELAY_STREAM_FLAGS_DEFAULT,
            }
        )
        (length_length,) = struct.unpack("<I", await svc.service.recvall(4))
        length = int((await svc.service.recvall(length_length))[::-1].hex(), 16)
        response = plistlib.loads(await svc.service.recvall(length))
        if response.get("Status") != "RequestSuccessful":
            raise IosError(f"the phone refused the os_trace_relay stream: {response}")
        if streaming is not None:
            streaming.set()
        n = 0
        while True:
            if await svc.service.recvall(1) != b"\x02":
                raise ConnectionTerminatedError()
            (size,) = struct.unpack("<I", await svc.service.recvall(4))
            entry = parse_syslog_entry(await svc.service.recvall(size))
            n += 1
            label = entry.label
            yield IosRecord(
                n,
                entry.message,
                posixpath.basename(entry.filename) or None,
                entry.pid,
                device_time(entry.timestamp, zone),
                posixpath.basename(entry.image_name) or None,
                getattr(entry.level, "name", str(entry.level)),
                label.subsystem if label else None,
                label.category if label else None,
                "os_trace",
            )
    finally:
        with contextlib.suppress(Exception):
            await svc.close()


async def follow(
    target: IosTarget,
    udid: str,
    emit: Callable[[Event], None],
    *,
    relay: str = "syslog",
    crashes: bool = False,
    bundle: str | None = None,
    warn: Callable[[str], None] | None = None,
) -> None:
    """Stream events of one device until the connection ends (raises IosError then). With `crashes`, each report
    the phone announces is read in the background with back-off (it is not readable at once); one that never
    becomes readable is a warning, not the end of the stream."""
    async with lockdown(target, udid) as client:
        version = client.product_version
        interp = IosLogInterpreter(
            where=f"live:{udid}", source="syslog" if relay == "syslog" else "os_trace", device=udid, os_version=version
        )
        year = datetime.now().year
        fetches: set[asyncio.Task[None]] = set()

        def wanted(e: Event) -> bool:
            return bundle is None or e.package == bundle or (e.package is None and _is_app_process(e, bundle))

        async def fetch(path: str) -> None:
            try:
                data, why = await fetch_report(client, path, target.timeout * 3, udid)
            except Exception as exc:  # the log stream notices a lost phone; a report read that fails only warns
                if warn:
                    warn(f"{udid}: could not read new report {path}: {getattr(exc, 'message', None) or exc}")
                return
            if data is None:
                if warn:
                    waited = sum(NEW_REPORT_RETRIES_S)
                    warn(
                        f"{udid}: new report {path} is {why} after {waited:g} s; read it later with "
                        f"`bgprobe watch --udid {udid} --crashes --duration 0`"
                    )
                return
            for event in report_events(data, f"live:{udid}:{path}", udid, version):
                if wanted(event):
                    emit(event)

        async def handle(rec: IosRecord) -> None:
            for event in interp.feed(rec):
                if wanted(event):
                    emit(event)
            if crashes and (path := saved_report_path(rec.msg)) is not None:
                task = asyncio.create_task(fetch(path))
                fetches.add(task)
                task.add_done_callback(fetches.discard)

        try:
            async with device_errors("log stream", udid):
                if relay == "os_trace":
                    async for rec in os_trace_records(client):
                        await handle(rec)
                else:
                    n = 0
                    async for line in syslog_lines(client):
                        n += 1
                        rec = parse_record(line, n, year) or IosRecord(n, line)
                        await handle(rec)
        finally:
            for task in list(fetches):
                task.cancel()
            if fetches:
                await asyncio.gather(*fetches, return_exceptions=True)
    raise IosError(f"{udid}: log stream ended: the device disconnected")


def _is_app_process(e: Event, bundle: str) -> bool:
    # JetsamEvent and kernel lines name the (truncated) executable, not the bundle id.
    last = bundle.rsplit(".", 1)[-1].lower()
    if not e.process:
        return False
    return e.process.lower().startswith(last[:16])
