"""Crash and jetsam reports on an iPhone (AFC `com.apple.crashreportcopymobile`) -> files and events.

pymobiledevice3's `CrashReportsManager` lists and reads the CrashReporter directory; the reports are
parsed by `bgprobe.collectors.parsers.ips` (JetsamEvent, 0x8badf00d watchdog, other crashes).
"""

from __future__ import annotations

import asyncio
import json
import posixpath
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bgprobe.collectors.ios.transport import IosTarget, IosUsageError, device_errors, lockdown, timed
from bgprobe.collectors.parsers.ips import parse_ips
from bgprobe.reports.events import Event

CRASH_DIR = "/private/var/mobile/Library/Logs/CrashReporter"
REPORT_SUFFIXES = (".ips", ".crash", ".synced")


@dataclass
class Report:
    path: str  # relative to the CrashReporter directory, e.g. /JetsamEvent-2026-04-10-050526.ips
    size: int | None = None
    mtime: str | None = None

    @property
    def name(self) -> str:
        return posixpath.basename(self.path)

    @property
    def kind(self) -> str:
        n = self.name
        if n.startswith("JetsamEvent"):
            return "jetsam"
        return "report"


def afc_path(device_path: str) -> str:
    """osanalyticshelper logs absolute paths; AFC's root is the CrashReporter directory."""
    if device_path.startswith(CRASH_DIR):
        device_path = device_path[len(CRASH_DIR) :]
    return "/" + device_path.lstrip("/")


# Names come from the phone (its UDID from usbmuxd, report names from an AFC listing): a crafted one
# (`../../.bashrc`, an absolute path, control characters) must not choose where a pulled file lands.
_UNSAFE_CHARS = re.compile(r"[\x00-\x1f\x7f/\\]")
_MAX_PART = 255  # bytes in one file name on Linux and macOS


def safe_part(name: str) -> str:
    """One path component from a device-supplied name: separators, NUL and other control characters
    become `_`; `.`/`..`/empty become `_`; at most 255 bytes."""
    part = _UNSAFE_CHARS.sub("_", name)
    if part in ("", ".", ".."):
        part = "_"
    return part.encode("utf-8", "surrogateescape")[:_MAX_PART].decode("utf-8", "ignore") or "_"


def pull_path(pull_to: Path, udid: str, report_path: str) -> Path:
    """Where `--pull DIR` saves a report: DIR/<udid>/<the report's path on the phone>, each part
    sanitized, and never outside DIR (checked on the resolved path, symbolic links included)."""
    parts = [safe_part(p) for p in report_path.replace("\\", "/").split("/") if p not in ("", ".")]
    dest = pull_to.joinpath(safe_part(udid), *(parts or ["_"]))
    root = pull_to.resolve()
    if not dest.resolve().is_relative_to(root):  # a symbolic link inside DIR pointing out of it
        raise IosUsageError(f"--pull {pull_to}: {report_path!r} would be saved outside it (a symbolic link?)")
    return dest


def report_events(data: bytes, where: str, device: str | None = None, os_version: str | None = None) -> list[Event]:
    text = data.decode("utf-8", "replace")
    events = parse_ips(enumerate(text.splitlines(), 1), where, device=device)
    for e in events:
        if e.os_version is None:
            e.os_version = os_version
    return events


async def _manager(client: Any) -> Any:
    from pymobiledevice3.services.crash_reports import CrashReportsManager

    return CrashReportsManager(client)


async def list_reports(client: Any, timeout: float, udid: str | None = None) -> list[Report]:
    async with device_errors("crash report list", udid):
        crash = await _manager(client)
        async with crash:
            names = await timed("crash report list", crash.ls("/", depth=-1), timeout)
            reports = []
            for path in names:
                if not path.endswith(REPORT_SUFFIXES):
                    continue
                info: dict[str, Any] = {}
                try:
                    info = await timed(f"stat {path}", crash.afc.stat(path), timeout)
                except Exception:  # a report removed meanwhile: list it without size
                    info = {}
                mtime = info.get("st_mtime")
                reports.append(
                    Report(
                        path,
                        info.get("st_size"),
                        mtime.isoformat()
                        if isinstance(mtime, datetime)
                        else (str(mtime) if mtime is not None else None),
                    )
                )
    return sorted(reports, key=lambda r: (r.mtime or "", r.path))


async def read_report(client: Any, path: str, timeout: float, udid: str | None = None) -> bytes:
    async with device_errors(f"reading {path}", udid):
        crash = await _manager(client)
        async with crash:
            return await timed(f"reading {path}", crash.afc.get_file_contents(afc_path(path)), timeout)


def report_complete(data: bytes) -> bool:
    """A whole report: the one-line JSON header parses, and so does a JSON body (iOS 15+). A legacy text body
    (a JSON header over the text report) cannot be checked and counts as whole once there is one."""
    head, _, body = data.partition(b"\n")
    try:
        json.loads(head)
    except ValueError:
        return False
    if body.lstrip().startswith(b"{"):
        try:
            json.loads(body)
        except ValueError:
            return False
    return bool(body.strip()) or head.strip().startswith(b"{")


# osanalyticshelper logs "Saved type …" before the file can be read: pymobiledevice3's own watcher
# (CrashReportsManager.watch) retries on AfcFileNotFoundError and on a JSON body that does not parse yet.
NEW_REPORT_RETRIES_S = (0.2, 0.4, 0.8, 1.6, 3.2, 6.4)  # back-off: about 12.6 s in all


async def fetch_report(
    client: Any,
    path: str,
    timeout: float,
    udid: str | None = None,
    retries_s: tuple[float, ...] = NEW_REPORT_RETRIES_S,
) -> tuple[bytes | None, str]:
    """(contents, "") once the report is whole, or (None, why) when it is still missing or partial after the
    back-off. Lost connections raise (IosError) as any device call does."""
    from pymobiledevice3.exceptions import AfcFileNotFoundError

    why = ""
    for delay in (0.0, *retries_s):
        if delay:
            await asyncio.sleep(delay)
        try:
            async with device_errors(f"reading {path}", udid):
                crash = await _manager(client)
                async with crash:
                    data = await timed(f"reading {path}", crash.afc.get_file_contents(afc_path(path)), timeout)
        except Exception as exc:
            if isinstance(exc.__cause__, AfcFileNotFoundError) or isinstance(exc, AfcFileNotFoundError):
                why = "not written yet"
                continue
            raise
        if report_complete(data):
            return data, ""
        why = f"still being written ({len(data)} bytes so far)"
    return None, why


async def collect(
    target: IosTarget,
    udid: str,
    *,
    pull_to: Path | None = None,
    match: str | None = None,
    os_version: str | None = None,
) -> tuple[list[Report], list[Event]]:
    """Every report (optionally only names containing `match`): listed, read, parsed, optionally saved."""
    events: list[Event] = []
    async with lockdown(target, udid) as client:
        version = os_version or client.product_version
        reports = [r for r in await list_reports(client, target.timeout, udid) if not match or match in r.name]
        for report in reports:
            # listed is not whole: a report saved a moment ago may still be being written
            data, _why = await fetch_report(client, report.path, target.timeout * 3, udid, (0.2, 0.5, 1.0))
            if data is None:
                data = await read_report(client, report.path, target.timeout * 3, udid)  # parse what there is
            if pull_to is not None:
                dest = pull_path(pull_to, udid, report.path)
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(data)
            events.extend(report_events(data, f"{udid}:{report.path}", udid, version))
    return reports, events
