"""`bgprobe watch [PACKAGE]`: live logcat through the parsers of `bgprobe scan`."""

from __future__ import annotations

import sys
import threading
from datetime import datetime
from pathlib import Path
from queue import Empty, Queue
from typing import TYPE_CHECKING

import typer
from bgprobe.cli.console import Output, fold
from bgprobe.cli.options import AdbServers, Json, Serial, Timeout, Udid, Usbmux
from bgprobe.cli.targets import (
    android_devices,
    ios_target,
    wants_ios,
)
from bgprobe.collectors.errors import EXIT_DEVICE, EXIT_INTERRUPTED, BgprobeError
from bgprobe.collectors.package_names import check_package_name
from bgprobe.reports.events import DEATH_KINDS, Kind, event_concerns

if TYPE_CHECKING:
    from bgprobe.collectors.android.adb import AndroidDevice
    from bgprobe.collectors.ios.address import IosTarget
    from bgprobe.reports.deaths import Death
    from bgprobe.reports.events import Event


def watch(
    ctx: typer.Context,
    package: str | None = typer.Argument(None, help="Only this app's events."),
    exit_info: bool = typer.Option(False, "--exit-info", help="First print the app's ApplicationExitInfo records."),
    duration: float | None = typer.Option(None, "--duration", min=0, help="Stop after this many seconds."),
    serial: Serial = None,
    adb_server: AdbServers = None,
    timeout: Timeout = None,
    json_out: Json = False,
    udid: Udid = None,
    usbmux: Usbmux = None,
    relay: str = typer.Option("syslog", "--relay", help="iOS log source: syslog (syslog_relay) or os_trace."),
    crashes: bool = typer.Option(
        False,
        "--crashes",
        help="iOS: first the crash/jetsam reports on the device, then each new one as it is written.",
    ),
    pull: Path | None = typer.Option(
        None, "--pull", help="iOS, with --crashes: also save the reports under DIR/UDID/."
    ),
) -> None:
    """Follow job, kill, ANR and crash events live (all selected devices at once)."""
    from bgprobe.collectors.android.info import device_facts

    out: Output = ctx.obj
    if package:
        check_package_name(package)
    if wants_ios(udid, usbmux) or crashes:
        _watch_ios(out, ios_target(usbmux, udid, timeout), package, duration, json_out, relay, crashes, pull)
        return
    devices = android_devices(out, serial, adb_server, timeout)
    queue: Queue[Event | tuple[str, str]] = Queue()
    for dev in devices:
        version = device_facts(dev).os_version
        if exit_info and version and version.isdigit() and int(version) >= 11:
            for e in _exit_info(dev, package, version):
                queue.put(e)
        threading.Thread(target=_follow, args=(dev, version, package, queue), daemon=True).start()
    _drain(out, queue, len(devices), duration, json_out)


def _exit_info(dev: AndroidDevice, package: str | None, version: str) -> list[Event]:
    from bgprobe.collectors.parsers.exitinfo import parse_exit_info

    args = ["dumpsys", "activity", "exit-info"] + ([package] if package else [])
    lines = list(enumerate(dev.text(args).splitlines(), 1))
    events = parse_exit_info(lines, f"live:{dev.serial}:exit-info", package=package)
    for e in events:
        e.device, e.os_version = dev.key, version  # the journal's key, as the log follower's events
    return events


def _follow(dev: AndroidDevice, version: str | None, package: str | None, queue: Queue) -> None:
    """One phone's events (the follower flushes what the stream's end left open: an ANR still being
    assembled is reported before the end, which may close the watch), then why its stream ended."""
    from bgprobe.collectors.android.logfollow import STREAM_ENDED, LogFollower

    follower = LogFollower(dev, queue.put, package=package, os_version=version)
    follower.run()
    queue.put((dev.serial, follower.end_reason or STREAM_ENDED))


def _print_event(out: Output, item: Event, json_out: bool) -> None:
    if json_out:
        sys.stdout.write(item.to_json() + "\n")
        sys.stdout.flush()
    else:
        out.out.print(
            f"{item.device} {item.ts or ''} {item.kind:<15} {item.process or item.package or ''} "
            f"{item.reason or ''} {item.job or ''}",
            markup=False,
        )


def _watch_ios(
    out: Output,
    target: IosTarget,
    bundle: str | None,
    duration: float | None,
    json_out: bool,
    relay: str,
    crashes: bool,
    pull: Path | None,
) -> None:
    """iPhones: syslog_relay or os_trace_relay through the iOS parsers; --crashes adds the reports."""
    import asyncio

    from bgprobe.cli.targets import warn_pending_ios
    from bgprobe.collectors.ios.crash import collect
    from bgprobe.collectors.ios.transport import IosUsageError, run, select_udids
    from bgprobe.collectors.ios.watch import RELAYS, follow

    if relay not in RELAYS:
        raise IosUsageError(f"--relay {relay}: expected one of {', '.join(RELAYS)}")
    if pull is not None and not crashes:
        raise IosUsageError("--pull saves crash reports: add --crashes")
    if pull is not None and pull.exists() and not pull.is_dir():
        raise IosUsageError(f"--pull {pull}: not a directory (reports are saved under DIR/UDID/)")
    if pull is not None:
        try:  # before the phone is asked: a --pull that cannot hold the reports is the user's to fix
            pull.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise IosUsageError(f"--pull {pull}: cannot save reports there ({exc.strerror or exc})") from exc
    udids = run(select_udids(target))
    warn_pending_ios(out, udids)
    if crashes:
        for udid in udids:
            _reports, events = run(collect(target, udid, pull_to=pull))
            for e in events:
                if bundle is None or event_concerns(e, bundle):
                    _print_event(out, e, json_out)
            if pull is not None and not json_out:
                out.out.print(f"{udid}: {len(_reports)} report(s) saved under {pull / udid}", markup=False)
    if duration == 0:
        return
    queue: Queue[Event | tuple[str, str]] = Queue()

    def follow_one(udid: str) -> None:
        try:
            asyncio.run(
                follow(
                    target,
                    udid,
                    queue.put,
                    relay=relay,
                    crashes=crashes,
                    bundle=bundle,
                    # a report that stays unreadable is worth a line, not the end of the phone's stream
                    warn=lambda message: out.problem(f"warning: {message}"),
                )
            )
        except BgprobeError as err:
            queue.put((udid, err.message))

    for udid in udids:
        threading.Thread(target=follow_one, args=(udid,), daemon=True).start()
    _drain(out, queue, len(udids), duration, json_out)


def _drain(out: Output, queue: Queue, streams: int, duration: float | None, json_out: bool) -> None:
    """Print events from every device's stream until all end, `--duration` passes or Ctrl-C.
    A stream that ends before a `--duration` does means a lost device: exit 3."""
    remaining = streams
    deadline = None if duration is None else datetime.now().timestamp() + duration
    live = None if json_out or not sys.stdout.isatty() else _LiveView(out, streams)
    try:
        while remaining:
            wait = 0.5 if deadline is None else max(0.0, min(0.5, deadline - datetime.now().timestamp()))
            if deadline is not None and wait == 0:
                break
            try:
                item = queue.get(timeout=wait)
            except Empty:
                continue
            if isinstance(item, tuple):  # (device, why its stream ended)
                remaining -= 1
                out.problem(f"{item[0]}: {item[1]}")
                continue
            if live is not None:
                live.add(item)
            else:
                _print_event(out, item, json_out)
    except KeyboardInterrupt:
        raise typer.Exit(EXIT_INTERRUPTED) from None
    finally:
        if live is not None:
            live.close()
    if remaining < streams and deadline is None:
        raise typer.Exit(EXIT_DEVICE)


class _LiveView:
    """On a terminal: what is being watched, counts per phone, and the latest events newest first in
    the height the terminal has, one line per death with every source that logged it folded in."""

    def __init__(self, out: Output, streams: int) -> None:
        from collections import Counter

        from rich.live import Live

        self.out = out
        self.streams = streams
        self.counts: Counter[tuple[str, str]] = Counter()
        self.recent: list[Death | Event] = []  # newest first
        self._live = Live(self._render(), console=out.out, refresh_per_second=4, transient=False)
        self._live.start()

    def add(self, event: Event) -> None:
        from bgprobe.reports.deaths import join_death

        if event.kind in DEATH_KINDS:
            deaths = [d for d in self.recent[:30] if not isinstance(d, type(event))]
            death = join_death(deaths, event)  # type: ignore[arg-type]  # the isinstance filter leaves deaths
            if death in self.recent:
                self.recent.remove(death)  # it moves to the top with its new line
            else:
                self.counts[(str(event.device), _KIND_NAMES.get(event.kind, event.kind))] += 1
            self.recent.insert(0, death)
        else:
            self.counts[(str(event.device), _KIND_NAMES.get(event.kind, event.kind))] += 1
            self.recent.insert(0, event)
        del self.recent[200:]
        self._live.update(self._render())

    def _render(self):
        from rich.console import Group
        from rich.text import Text

        console = self.out.out
        width, height = console.width, console.height
        phones = f"{self.streams} phone{'s' if self.streams != 1 else ''}"
        lines = [Text(f"watching {phones} · Ctrl-C to stop · newest first", style="bold")]
        devices = sorted({d for d, _ in self.counts})
        for device in devices:
            counts = " · ".join(f"{k} {n}" for (d, k), n in sorted(self.counts.items()) if d == device)
            for chunk in fold(f"{device}: {counts}", width):
                lines.append(Text(chunk))
        room = max(3, height - len(lines) - 2)
        shown = 0
        for item in self.recent:
            for chunk in fold(_describe(item), width):
                if shown >= room:
                    break
                lines.append(Text(chunk, style="red" if _is_death(item) else None))
                shown += 1
        return Group(*lines)

    def close(self) -> None:
        self._live.stop()


_KIND_NAMES: dict[str, str] = {  # Kind is a StrEnum: an event's kind string finds its name
    Kind.PROCESS_KILLED: "kills",
    Kind.PROCESS_DIED: "deaths",
    Kind.CRASH: "crashes",
    Kind.ANR: "ANRs",
    Kind.JOB_TIMEOUT: "job time-outs",
    Kind.WORK_RESULT: "work results",
    Kind.JOB_STARTED: "job starts",
    Kind.JOB_FINISHED: "job ends",
    Kind.JOB_STOPPED: "job stops",
    Kind.PROCESS_STARTED: "starts",
}


def _is_death(item: object) -> bool:
    """Shown in red: a death, or an ANR (the app stopped answering)."""
    kind = getattr(item, "kind", "")
    return kind in DEATH_KINDS or kind == Kind.ANR


def _describe(item: Death | Event) -> str:
    """One line: time, device, what, who, why (and, for a death, every source that logged it)."""
    from bgprobe.reports.deaths import Death

    if isinstance(item, Death):
        when = item.ts.strftime("%H:%M:%S") if item.ts else "--:--:--"
        who = item.process or item.package or (f"pid {item.pid}" if item.pid else "?")
        sources = ", ".join(sorted(item.sources))
        return f"{when} {item.device} {item.kind.replace('process_', '')} {who} {item.reason or ''} [{sources}]"
    when = (item.ts or "")[11:19] or "--:--:--"
    who = item.process or item.package or ""
    return f"{when} {item.device} {item.kind} {who} {item.reason or ''} {item.job or ''}".rstrip()
