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

import posixpath
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

from bgprobe.collectors.ios.crash import read_report, report_events
from bgprobe.collectors.ios.transport import IosError, IosTarget, device_errors, lockdown
from bgprobe.collectors.parsers.ios_syslog import IosLogInterpreter, IosRecord, parse_record, saved_report_path
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


async def syslog_lines(client: Any) -> AsyncIterator[str]:
    """Records of `com.apple.syslog_relay`, without pymobiledevice3's re-yield (module docstring)."""
    from pymobiledevice3.services.syslog import SyslogService

    svc = SyslogService(client)
    await svc.connect()  # 11.x opens service connections lazily; open it now so errors surface here
    try:
        async for line in split_records(_service_chunks(svc.service)):
            yield line
    finally:
        await svc.close()


async def os_trace_records(client: Any, pid: int = -1) -> AsyncIterator[IosRecord]:
    from pymobiledevice3.services.os_trace import OsTraceService

    n = 0
    async for entry in OsTraceService(client).syslog(pid=pid):
        n += 1
        label = entry.label
        yield IosRecord(
            n,
            entry.message,
            posixpath.basename(entry.filename) or None,
            entry.pid,
            entry.timestamp.isoformat() if isinstance(entry.timestamp, datetime) else None,
            posixpath.basename(entry.image_name) or None,
            getattr(entry.level, "name", str(entry.level)),
            label.subsystem if label else None,
            label.category if label else None,
            "os_trace",
        )


async def follow(
    target: IosTarget,
    udid: str,
    emit: Callable[[Event], None],
    *,
    relay: str = "syslog",
    crashes: bool = False,
    bundle: str | None = None,
) -> None:
    """Stream events of one device until the connection ends (raises IosError then)."""
    async with lockdown(target, udid) as client:
        version = client.product_version
        interp = IosLogInterpreter(
            where=f"live:{udid}", source="syslog" if relay == "syslog" else "os_trace", device=udid, os_version=version
        )
        year = datetime.now().year

        def wanted(e: Event) -> bool:
            return bundle is None or e.package == bundle or (e.package is None and _is_app_process(e, bundle))

        async def handle(rec: IosRecord) -> None:
            for event in interp.feed(rec):
                if wanted(event):
                    emit(event)
            if crashes and (path := saved_report_path(rec.msg)) is not None:
                data = await read_report(client, path, target.timeout * 3, udid)
                for event in report_events(data, f"live:{udid}:{path}", udid, version):
                    if wanted(event):
                        emit(event)

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
    raise IosError(f"{udid}: log stream ended: the device disconnected")


def _is_app_process(e: Event, bundle: str) -> bool:
    # JetsamEvent and kernel lines name the (truncated) executable, not the bundle id.
    last = bundle.rsplit(".", 1)[-1].lower()
    return bool(e.process) and e.process.lower().startswith(last[:16])  # type: ignore[union-attr]
