"""`bgprobe trigger --bundle BUNDLE TASK_ID [--expire]`: launch (or expire) a BGTask through debugserver + lldb.

Apple's only way (ios.md §1.5) is to evaluate, inside the app, under a debugger:
    e -l objc -- (void)[[BGTaskScheduler sharedScheduler] _simulateLaunchForTaskWithIdentifier:@"ID"]
    e -l objc -- (void)[[BGTaskScheduler sharedScheduler] _simulateExpirationForTaskWithIdentifier:@"ID"]
pymobiledevice3 has no in-process debugger: it only brokers debugserver for an external `lldb`. The
prerequisites are therefore many, and each is checked and named before anything runs:
- `lldb` installed on this computer;
- iOS 17+ (debugserver over `com.apple.internal.dt.remote.debugproxy`, the path `pymobiledevice3
  developer debugserver lldb` supports) reached through a kernel-routable tunnel: `--rsd HOST PORT`
  (from `sudo pymobiledevice3 lockdown start-tunnel`) or `--tunnel` (root `tunneld`) — an external
  lldb cannot use pymobiledevice3's in-process userspace tunnel;
- Developer Mode on;
- the app installed, running (its handlers registered) and development-signed (`get-task-allow`:
  `ProcessControl.is_debuggable`);
- the task already submitted: `_simulateLaunch…` refuses an identifier with no pending request, and
  logs "No task request with identifier … has been scheduled", which bgprobe reports as such.

Only the checks, the lldb command lines and the failure messages are tested without a phone; the
lldb run itself was not exercised against a device.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bgprobe.collectors.errors import EXIT_DEVICE, BgprobeError
from bgprobe.collectors.ios.transport import (
    IosTarget,
    developer_provider,
    device_errors,
    lockdown,
    timed,
    version_tuple,
)
from bgprobe.reports.events import Event

DEBUGPROXY_SERVICE = "com.apple.internal.dt.remote.debugproxy"
ENV_LLDB = "BGPROBE_LLDB"


class PrerequisiteError(BgprobeError):
    exit_code = EXIT_DEVICE


@dataclass
class Prerequisites:
    """What is known about each prerequisite (None: could not be checked)."""

    udid: str
    product_version: str | None = None
    lldb: str | None = None  # path of the lldb executable
    lldb_name: str = "lldb"
    tunnel: str | None = None  # "rsd" | "tunneld" | None
    userspace_tunnel: bool = False
    developer_mode: bool | None = None
    app_installed: bool | None = None
    app_pid: int | None = None  # 0: not running
    debuggable: bool | None = None
    notes: list[str] = field(default_factory=list)


def find_lldb() -> tuple[str, str | None]:
    name = os.environ.get(ENV_LLDB, "lldb")
    return name, shutil.which(name)


def unmet(p: Prerequisites, bundle: str, task: str) -> list[str]:
    """One precise message per unmet prerequisite, in the order a user would fix them."""
    out: list[str] = []
    if p.lldb is None:
        out.append(
            f"lldb is not installed (no `{p.lldb_name}` on PATH): install it (Debian/Ubuntu: `apt install lldb`, "
            f"macOS: Xcode command-line tools) or point ${ENV_LLDB} at it"
        )
    if p.product_version is not None and version_tuple(p.product_version) < (17,):
        out.append(
            f"{p.udid} runs iOS {p.product_version}: BGTask launch through debugserver/lldb needs iOS 17 or later "
            "(the debugproxy service over an RSD tunnel)"
        )
    elif p.tunnel is None:
        out.append(
            f"no iOS 17+ tunnel to {p.udid}: pass --rsd HOST PORT (from `sudo pymobiledevice3 lockdown start-tunnel`) "
            "or --tunnel (with `sudo pymobiledevice3 remote tunneld` running)"
        )
    elif p.userspace_tunnel:
        out.append(
            "the tunnel is pymobiledevice3's userspace tunnel, which an external lldb cannot reach: "
            "use a root tunnel (`sudo pymobiledevice3 remote tunneld` and --tunnel)"
        )
    if p.developer_mode is False:
        out.append(f"Developer Mode is off on {p.udid}: turn it on in Settings › Privacy & Security › Developer Mode")
    if p.app_installed is False:
        out.append(f"{bundle} is not installed on {p.udid}")
    elif p.app_pid == 0:
        out.append(
            f"{bundle} is not running: open it so it registers its BGTask handlers and submits {task} "
            "(`BGTaskScheduler.submit(_:)`), send it to the background, then retry"
        )
    if p.debuggable is False:
        out.append(
            f"{bundle} is not development-signed (no get-task-allow entitlement): lldb cannot attach to App Store, "
            "TestFlight or system apps; install a debug build"
        )
    return out


def objc_expression(task: str, expire: bool) -> str:
    if not task or any(c in task for c in '"\\\n'):
        raise BgprobeError(f"task identifier {task!r} cannot be passed to lldb")
    selector = "_simulateExpirationForTaskWithIdentifier" if expire else "_simulateLaunchForTaskWithIdentifier"
    return f'e -l objc -- (void)[[BGTaskScheduler sharedScheduler] {selector}:@"{task}"]'


def lldb_commands(host: str, port: int, pid: int, task: str, expire: bool) -> list[str]:
    """The lldb session: connect to debugserver, attach, evaluate, let the app run on."""
    return [
        "platform select remote-ios",
        f"process connect connect://[{host}]:{port}",
        f"process attach --pid {pid}",
        objc_expression(task, expire),
        "process detach",
    ]


def lldb_argv(lldb: str, commands: list[str]) -> list[str]:
    argv = [lldb, "--batch", "--no-lldbinit"]
    for command in commands:
        argv += ["-o", command]
    return argv


async def gather(target: IosTarget, udid: str, bundle: str) -> Prerequisites:
    """Check what can be checked without side effects. Needs the device; DVT only through a tunnel."""
    name, path = find_lldb()
    p = Prerequisites(udid=udid, lldb=path, lldb_name=name)
    p.tunnel = "rsd" if target.rsd else "tunneld" if target.tunnel else None
    async with lockdown(target, udid) as client:
        p.product_version = client.product_version
        with contextlib.suppress(Exception):
            p.developer_mode = bool(await timed("developer mode", client.get_developer_mode_status(), target.timeout))
        try:
            from pymobiledevice3.services.installation_proxy import InstallationProxyService

            async with device_errors("installation_proxy", udid), InstallationProxyService(client) as proxy:
                apps = await timed("installed apps", proxy.get_apps(bundle_identifiers=[bundle]), target.timeout)
            p.app_installed = bundle in apps
        except BgprobeError as err:
            p.notes.append(f"could not check whether {bundle} is installed ({err.message})")
        if p.tunnel and version_tuple(p.product_version) >= (17,):
            async with developer_provider(target, udid, client) as rsd:
                p.userspace_tunnel = bool(getattr(rsd, "is_in_process_tunnel", False))
                if p.app_installed is not False:
                    await _process_facts(rsd, p, bundle, target.timeout)
    return p


async def _process_facts(rsd: Any, p: Prerequisites, bundle: str, timeout: float) -> None:
    from pymobiledevice3.services.dvt.instruments.dvt_provider import DvtProvider
    from pymobiledevice3.services.dvt.instruments.process_control import ProcessControl

    async with device_errors("DVT ProcessControl", p.udid), DvtProvider(rsd) as dvt, ProcessControl(dvt) as pc:
        pid = await timed("app pid", pc.process_identifier_for_bundle_identifier(bundle), timeout)
        p.app_pid = max(int(pid), 0)
        if p.app_pid:
            p.debuggable = bool(await timed("is_debuggable", pc.is_debuggable(p.app_pid), timeout))


@dataclass
class TriggerResult:
    udid: str
    bundle: str
    task: str
    action: str  # "launch" | "expire"
    command: list[str]
    lldb_exit: int | None = None
    lldb_output: str = ""
    started: bool = False
    outcome: str = "unknown"  # started | finished | expired | not_submitted | not_simulated | failed | unknown
    events: list[Event] = field(default_factory=list)


def outcome_of(events: list[Event], task: str, expire: bool) -> tuple[bool, str]:
    """(started, outcome) from the app's BackgroundTasks log lines after the lldb call."""
    started = False
    outcome = "unknown"
    for e in events:
        if e.job != task:
            continue
        if e.kind == "trigger" and e.reason in ("not_submitted", "not_simulated"):
            return False, e.reason or "failed"
        if e.kind == "job_started":
            started, outcome = True, "started"
        elif e.kind == "job_stopped" and e.reason == "expired":
            outcome = "expired"
        elif e.kind == "job_finished":
            started = True
            outcome = "finished" if e.reason == "success" else "failed"
    if expire and outcome == "started":
        outcome = "unknown"
    return started, outcome


async def run_trigger(
    target: IosTarget,
    p: Prerequisites,
    bundle: str,
    task: str,
    expire: bool,
    wait_s: float,
    on_event: Callable[[Event], None] | None = None,
) -> TriggerResult:
    """Everything checked: open the tunnel, attach lldb, evaluate, follow the app's log for `wait_s`."""
    from bgprobe.collectors.ios.watch import os_trace_records
    from bgprobe.collectors.parsers.ios_syslog import IosLogInterpreter

    assert p.lldb is not None and p.app_pid
    async with lockdown(target, p.udid) as client, developer_provider(target, p.udid, client) as rsd:
        host = rsd.service.address[0]
        port = rsd.get_service_port(DEBUGPROXY_SERVICE)
        commands = lldb_commands(host, port, p.app_pid, task, expire)
        result = TriggerResult(p.udid, bundle, task, "expire" if expire else "launch", lldb_argv(p.lldb, commands))
        interp = IosLogInterpreter(
            where=f"live:{p.udid}", source="os_trace", device=p.udid, os_version=p.product_version
        )

        async def follow() -> None:
            async for rec in os_trace_records(client, pid=p.app_pid or -1):
                for event in interp.feed(rec):
                    event.package = event.package or bundle
                    result.events.append(event)
                    if on_event:
                        on_event(event)

        follower = asyncio.create_task(follow())
        try:
            proc = await asyncio.create_subprocess_exec(
                *result.command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
            )
            output, _ = await asyncio.wait_for(proc.communicate(), max(target.timeout * 6, 60))
            result.lldb_exit = proc.returncode
            result.lldb_output = output.decode("utf-8", "replace")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(follower), wait_s)
        finally:
            follower.cancel()
            with contextlib.suppress(BaseException):
                await follower
    result.started, result.outcome = outcome_of(result.events, task, expire)
    if result.lldb_exit not in (0, None) and result.outcome == "unknown":
        result.outcome = "failed"
    return result
