"""`bgprobe trigger --bundle BUNDLE TASK_ID [--expire]`: launch (or expire) a BGTask through debugserver + lldb.

Apple's procedure ("Starting and Terminating Tasks During Development", developer.apple.com): with the app paused
in the debugger after a successful `submit(_:)`, evaluate

    e -l objc -- (void)[[BGTaskScheduler sharedScheduler] _simulateLaunchForTaskWithIdentifier:@"ID"]

and *resume the app*: the system then calls the launch handler. The method only logs "Simulating launch for task
with identifier ID" while the app is stopped; it asks dasd for the pending requests and starts the task from that
completion (BGTaskScheduler.mm, decompiled iOS 26.1), which runs only once the process runs again. A backgrounded
app that is no longer debugged is suspended, so the handler would never run: bgprobe keeps the app in the
foreground, continues the process, stays attached until the app logs "Starting simulated task: <BG…Task: ID>"
(or why not), and only then detaches. `_simulateExpiration…` likewise needs the simulated task to be running.

The launch also cancels the app's real pending request for ID (`cancelTaskRequestWithIdentifier:`); the next
natural launch waits for the request the handler submits. Campaigns run natural attempts before forced ones.

pymobiledevice3 has no in-process debugger: debugserver is brokered to an external `lldb` through
pymobiledevice3's local port forwarder (`LockdownTcpForwarder`, what `pymobiledevice3 developer debugserver
start-server --local-port` uses): `com.apple.debugserver.DVTSecureSocketProxy` over lockdown before iOS 17,
`com.apple.internal.dt.remote.debugproxy` through the RSD tunnel from 17. Forwarding to 127.0.0.1 works for
kernel tunnels, userspace tunnels (whose device address no other process can reach) and lockdown alike.

Prerequisites, each checked and named before anything runs: lldb; from iOS 17 a tunnel (--rsd/--tunnel); Developer
Mode (iOS 16+); the Developer Disk Image mounted; the app installed, running and development-signed
(get-task-allow, `ProcessControl.is_debuggable`). A task never submitted is reported from the app's log
("No task request with identifier … has been scheduled").

Tested against the simulated iPhone's debugserver service with a stand-in lldb (tests/ios/fake_lldb.py): the real
lldb's handling of these commands read from a pipe was not run here (no lldb, no phone).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bgprobe.collectors.errors import BgprobeError, DeviceError
from bgprobe.collectors.ios.transport import (
    IosTarget,
    ddi_missing_message,
    ddi_mounted,
    developer_mode,
    developer_provider,
    device_errors,
    lockdown,
    timed,
    tunnel_hint,
    version_tuple,
)
from bgprobe.reports.events import Event

DEBUGPROXY_SERVICE = "com.apple.internal.dt.remote.debugproxy"  # RSD, iOS 17+
DEBUGSERVER_SERVICE = "com.apple.debugserver.DVTSecureSocketProxy"  # lockdown, before iOS 17
ENV_LLDB = "BGPROBE_LLDB"
# How long the app gets to start (or refuse) the task once the process runs again: the framework's own path is
# an XPC round trip to dasd (about 2 s in the public captures).
START_WAIT_S = 30.0


class PrerequisiteError(DeviceError):
    pass


class LldbError(DeviceError):
    """lldb hung or died: not the device's loss, so a campaign records it as the attempt's reason."""


@dataclass
class Prerequisites:
    """What is known about each prerequisite (None: could not be checked, or does not apply)."""

    udid: str
    product_version: str | None = None
    lldb: str | None = None  # path of the lldb executable
    lldb_name: str = "lldb"
    tunnel: str | None = None  # "rsd" | "tunneld" | None
    developer_mode: bool | None = None  # None below iOS 16 (no such setting)
    ddi_mounted: bool | None = None
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
    if p.product_version is not None and version_tuple(p.product_version) >= (17,) and p.tunnel is None:
        out.append(f"no tunnel to {p.udid} (iOS {p.product_version}): " + tunnel_hint(p.product_version))
    if p.developer_mode is False:
        out.append(f"Developer Mode is off on {p.udid}: turn it on in Settings › Privacy & Security › Developer Mode")
    if p.ddi_mounted is False:
        out.append(ddi_missing_message(p.udid, p.product_version))
    if p.app_installed is False:
        out.append(f"{bundle} is not installed on {p.udid}")
    elif p.app_pid == 0:
        out.append(
            f"{bundle} is not running: open it (so it registers its BGTask handlers and submits {task} with "
            "`BGTaskScheduler.submit(_:)`) and keep it in the foreground — a backgrounded app is suspended once "
            "lldb lets go, and its launch handler would never run"
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
    """The session up to the point where the app runs again: connect to debugserver (through the local forwarder),
    attach (the process stops), evaluate, continue. `lldb_finish` follows once the app logged the task's start."""
    return [
        "settings set auto-confirm true",
        # commands read from a pipe: make `process continue` return at once so that the detach can follow later
        "script lldb.debugger.SetAsync(True)",
        "platform select remote-ios",
        f"process connect connect://[{host}]:{port}",
        f"process attach --pid {pid}",
        objc_expression(task, expire),
        "process continue",
    ]


def lldb_finish() -> list[str]:
    """After the task started: stop the process long enough to detach (a detach lets it run on), and quit."""
    return ["process interrupt", "process detach", "quit"]


def lldb_argv(lldb: str) -> list[str]:
    return [lldb, "--no-lldbinit", "--no-use-colors"]


async def gather(target: IosTarget, udid: str, bundle: str) -> Prerequisites:
    """Check what can be checked without side effects."""
    name, path = find_lldb()
    p = Prerequisites(udid=udid, lldb=path, lldb_name=name)
    p.tunnel = "rsd" if target.rsd else "tunneld" if target.tunnel else None
    async with lockdown(target, udid) as client:
        p.product_version = client.product_version
        try:
            async with device_errors("Developer Mode", udid):
                p.developer_mode = await developer_mode(client, target.timeout)
        except BgprobeError as err:
            p.notes.append(f"could not read Developer Mode ({err.message})")
        try:
            async with device_errors("mobile_image_mounter", udid):
                p.ddi_mounted = await ddi_mounted(client, target.timeout)
        except BgprobeError as err:
            p.notes.append(f"could not check the Developer Disk Image ({err.message})")
        try:
            from pymobiledevice3.services.installation_proxy import InstallationProxyService

            async with device_errors("installation_proxy", udid), InstallationProxyService(client) as proxy:
                apps = await timed("installed apps", proxy.get_apps(bundle_identifiers=[bundle]), target.timeout)
            p.app_installed = bundle in apps
        except BgprobeError as err:
            p.notes.append(f"could not check whether {bundle} is installed ({err.message})")
        reachable = version_tuple(p.product_version) < (17,) or p.tunnel is not None
        if reachable and p.ddi_mounted is not False and p.developer_mode is not False and p.app_installed is not False:
            async with developer_provider(target, udid, client) as provider:
                await _process_facts(provider, p, bundle, target.timeout)
    return p


async def _process_facts(provider: Any, p: Prerequisites, bundle: str, timeout: float) -> None:
    from pymobiledevice3.services.dvt.instruments.dvt_provider import DvtProvider
    from pymobiledevice3.services.dvt.instruments.process_control import ProcessControl

    async with device_errors("DVT ProcessControl", p.udid), DvtProvider(provider) as dvt, ProcessControl(dvt) as pc:
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
    # started | finished | expired | not_submitted | not_simulated | already_running | failed | unknown
    outcome: str = "unknown"
    events: list[Event] = field(default_factory=list)


def outcome_of(events: list[Event], task: str, expire: bool) -> tuple[bool, str]:
    """(started, outcome) from the app's BackgroundTasks log lines after the lldb call."""
    started = False
    outcome = "unknown"
    for e in events:
        if e.job != task:
            continue
        if e.kind == "trigger" and e.reason in ("not_submitted", "not_simulated", "already_running"):
            return started, e.reason or "failed"
        if e.kind == "job_started":
            started, outcome = True, "started"
        elif e.kind == "job_stopped" and e.reason == "expired":
            outcome = "expired"
        elif e.kind == "job_finished":
            started = True
            if expire and outcome == "expired":
                continue  # the expiration handler completes the task: the expiry is the outcome asked for
            # a simulated launch's completion carries no success flag ("completed"): it finished
            outcome = "failed" if e.reason == "failure" else "finished"
    if expire and outcome == "started":
        outcome = "unknown"
    return started, outcome


def _decided(events: list[Event], task: str, expire: bool) -> bool:
    """Enough is known to let go of the app: the task started (or expired), or the framework said why not."""
    _started, outcome = outcome_of(events, task, expire)
    return outcome != "unknown" and (outcome != "started" or not expire)


def _over(events: list[Event], task: str, expire: bool) -> bool:
    """Nothing more to wait for: the task completed, or never will."""
    _started, outcome = outcome_of(events, task, expire)
    if outcome in ("not_submitted", "not_simulated", "already_running"):
        return True
    return any(e.kind == "job_finished" and e.job == task for e in events)


def debugserver_service(provider: Any) -> str:
    from pymobiledevice3.remote.remote_service_discovery import RemoteServiceDiscoveryService

    return DEBUGPROXY_SERVICE if isinstance(provider, RemoteServiceDiscoveryService) else DEBUGSERVER_SERVICE


@contextlib.asynccontextmanager
async def _forwarded(provider: Any, service: str, timeout: float) -> Any:
    """debugserver on a local port: each connection lldb makes to it is a new developer-service connection."""
    from pymobiledevice3.tcp_forwarder import LockdownTcpForwarder

    listening = asyncio.Event()
    forwarder = LockdownTcpForwarder(provider, 0, service, listening_event=listening)
    task = asyncio.create_task(forwarder.start(address="127.0.0.1"))
    try:
        await timed("debugserver port forwarder", listening.wait(), timeout)
        yield forwarder.listening_port
    finally:
        forwarder.stop()  # type: ignore[no-untyped-call]  # pymobiledevice3 leaves it untyped
        task.cancel()
        with contextlib.suppress(BaseException):
            await task


async def _stop(proc: asyncio.subprocess.Process, grace: float) -> None:
    """lldb must not outlive bgprobe: ask it to go, then make it."""
    if proc.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        proc.terminate()
    try:
        await asyncio.wait_for(proc.wait(), grace)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()


async def run_trigger(
    target: IosTarget,
    p: Prerequisites,
    bundle: str,
    task: str,
    expire: bool,
    wait_s: float,
    on_event: Callable[[Event], None] | None = None,
) -> TriggerResult:
    """Everything checked: forward debugserver, drive lldb until the app started (or refused) the task, detach,
    then follow the app's log for `wait_s`."""
    from bgprobe.collectors.ios.watch import os_trace_records
    from bgprobe.collectors.parsers.ios_rules import IosLogInterpreter

    async with lockdown(target, p.udid) as client, developer_provider(target, p.udid, client) as provider:
        if p.lldb is None or not p.app_pid:
            raise PrerequisiteError("run_trigger needs the prerequisites met (lldb, the app's pid)")
        service = debugserver_service(provider)
        async with device_errors("debugserver", p.udid), _forwarded(provider, service, target.timeout) as port:
            commands = lldb_commands("127.0.0.1", port, p.app_pid, task, expire)
            result = TriggerResult(
                p.udid, bundle, task, "expire" if expire else "launch", [*lldb_argv(p.lldb), *commands]
            )
            interp = IosLogInterpreter(
                where=f"live:{p.udid}", source="os_trace", device=p.udid, os_version=p.product_version
            )
            decided, over = asyncio.Event(), asyncio.Event()
            streaming = asyncio.Event()

            async def follow() -> None:
                async for rec in os_trace_records(client, pid=p.app_pid or -1, streaming=streaming):
                    for event in interp.feed(rec):
                        event.package = event.package or bundle
                        result.events.append(event)
                        if on_event:
                            on_event(event)
                    if _decided(result.events, task, expire):
                        decided.set()
                    if _over(result.events, task, expire):
                        over.set()

            follower = asyncio.create_task(follow())
            try:
                # the log must be flowing before the app is asked: its answer comes within seconds
                await timed("app log (os_trace_relay)", _first(streaming, follower), target.timeout)
                await _drive_lldb(result, commands, decided, follower, target.timeout)
                # then follow the task to its end (or `wait_s`)
                ended = asyncio.create_task(over.wait())
                try:
                    await asyncio.wait({ended, follower}, timeout=wait_s, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    ended.cancel()
                if follower.done():
                    follower.result()  # a lost stream is the device's error
            finally:
                follower.cancel()
                with contextlib.suppress(BaseException):
                    await follower
    result.started, result.outcome = outcome_of(result.events, task, expire)
    if result.lldb_exit not in (0, None) and result.outcome == "unknown":
        result.outcome = "failed"
    return result


async def _first(streaming: asyncio.Event, follower: asyncio.Task[None]) -> None:
    """The stream is up, or the follower already failed (its error is raised here)."""
    waiter = asyncio.create_task(streaming.wait())
    try:
        await asyncio.wait({waiter, follower}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
    if follower.done():
        follower.result()


async def _drive_lldb(
    result: TriggerResult, commands: list[str], decided: asyncio.Event, follower: asyncio.Task[None], timeout: float
) -> None:
    """Run lldb with the session on its stdin; detach once the app logged the start (or why not). A hung or
    crashed lldb is stopped and reported (LldbError), never left running."""
    proc = await asyncio.create_subprocess_exec(
        *lldb_argv(result.command[0]),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output: list[bytes] = []

    async def read() -> None:
        assert proc.stdout is not None
        while chunk := await proc.stdout.read(4096):
            output.append(chunk)

    reader = asyncio.create_task(read())
    assert proc.stdin is not None
    try:
        proc.stdin.write("".join(c + "\n" for c in commands).encode())
        await proc.stdin.drain()
        exited = asyncio.create_task(proc.wait())
        waiter = asyncio.create_task(decided.wait())
        try:
            await asyncio.wait(
                {exited, waiter, follower}, timeout=max(START_WAIT_S, timeout * 3), return_when="FIRST_COMPLETED"
            )
        finally:
            waiter.cancel()
        if proc.returncode is None:
            proc.stdin.write("".join(c + "\n" for c in lldb_finish()).encode())
            with contextlib.suppress(ConnectionError):
                await proc.stdin.drain()
            proc.stdin.close()
            grace = max(timeout * 2, 3.0)
            try:
                await asyncio.wait_for(exited, grace)
            except TimeoutError:
                await _stop(proc, 2.0)
                raise LldbError(
                    f"lldb did not finish within {grace:g} s after the detach and was stopped; "
                    f"its last output: {_tail(output)}"
                ) from None
    except BaseException:
        await _stop(proc, 3.0)
        raise
    finally:
        with contextlib.suppress(BaseException):
            await asyncio.wait_for(reader, 2.0)
        result.lldb_exit = proc.returncode
        result.lldb_output = b"".join(output).decode("utf-8", "replace")


def _tail(output: list[bytes], n: int = 300) -> str:
    text = b"".join(output).decode("utf-8", "replace").strip()
    return repr(text[-n:]) if text else "(none)"
