"""`bgprobe state show|set` and `bgprobe restore`."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import typer
from bgprobe.cli.console import Output
from bgprobe.cli.options import AdbServers, Json, LockWait, Rsd, Serial, Timeout, Tunnel, Udid, Usbmux
from bgprobe.cli.targets import (
    android_devices,
    ios_target,
    lock_wait,
    wants_ios,
)
from bgprobe.collectors.errors import EXIT_DEVICE, EXIT_INTERRUPTED, BgprobeError
from bgprobe.collectors.package_names import check_package_name

if TYPE_CHECKING:
    from bgprobe.collectors.android.state import Assignment
    from bgprobe.collectors.ios.address import IosTarget
    from bgprobe.collectors.ios.conditions import IosAssignment
    from bgprobe.collectors.journal import Change

# Written out (not built from collectors.android.state.KEYS) so that `--help` imports nothing heavy;
# tests/test_cli_help.py checks that it names every key and value.
ASSIGNMENTS_HELP = (
    "KEY=VALUE, one or more. Android: doze=deep|light|off; bucket=active|working_set|frequent|rare|restricted "
    "(with -p); battery=unplugged|plugged; level=0..100; saver=on|off; "
    "network=online|offline|wifi-only|data-only|airplane; restrict=on|off (with -p). "
    "iOS: network=offline|edge|3g|lte|wifi|... or a SlowNetwork... profile, thermal=fair|serious|critical "
    "(=none clears), lowpower=on|off (on a terminal)."
)

app = typer.Typer(
    help="Read or change background conditions (journaled; `bgprobe restore` undoes).", no_args_is_help=True
)


@app.command("show")
def show(
    ctx: typer.Context,
    package: list[str] = typer.Option([], "--package", "-p", help="Also show this app's bucket and restriction."),
    serial: Serial = None,
    adb_server: AdbServers = None,
    timeout: Timeout = None,
    json_out: Json = False,
) -> None:
    """Current doze, battery, saver, network (and per-app bucket and restriction)."""
    from bgprobe.collectors.android.info import device_facts
    from bgprobe.collectors.android.state import StateController

    out: Output = ctx.obj
    for p in package:
        check_package_name(p)
    for dev in android_devices(out, serial, adb_server, timeout):
        facts = device_facts(dev)
        state = StateController(dev, facts.sdk or 0).read(package)
        if json_out:
            sys.stdout.write(json.dumps({"device": dev.serial, **state}) + "\n")
        else:
            out.out.print(
                f"{dev.serial} (Android {facts.os_version}): " + "  ".join(f"{k}={v}" for k, v in state.items()),
                markup=False,
            )


@app.command("set")
def set_(
    ctx: typer.Context,
    assignments: list[str] = typer.Argument(
        ...,
        help=ASSIGNMENTS_HELP,
    ),
    package: str | None = typer.Option(None, "--package", "-p", help="The app for bucket= and restrict=."),
    serial: Serial = None,
    adb_server: AdbServers = None,
    timeout: Timeout = None,
    lock_wait_s: LockWait = None,
    udid: Udid = None,
    usbmux: Usbmux = None,
    rsd: Rsd = None,
    tunnel: Tunnel = False,
    duration: float | None = typer.Option(
        None, "--duration", min=0, help="iOS: hold network=/thermal= this many seconds (default: until Ctrl-C)."
    ),
) -> None:
    """Change conditions. Each change is journaled first and read back after; undo with `bgprobe restore`."""
    from bgprobe.collectors.android.info import device_facts
    from bgprobe.collectors.android.state import StateController, apply_all, parse_assignments
    from bgprobe.collectors.interrupts import sigterm_as_interrupt
    from bgprobe.collectors.locks import device_lock

    out: Output = ctx.obj
    ios_keys = {a.partition("=")[0] for a in assignments} & {"thermal", "lowpower"}
    if wants_ios(udid, usbmux) or ios_keys:
        _set_ios(out, assignments, ios_target(usbmux, udid, timeout, rsd, tunnel), duration, lock_wait(lock_wait_s))
        return
    wanted = parse_assignments(assignments, package)
    wait = lock_wait(lock_wait_s)
    for dev in android_devices(out, serial, adb_server, timeout):
        facts = device_facts(dev)
        controller = StateController(dev, facts.sdk or 0)
        for a in wanted:  # refuse up front what this version cannot do: nothing half-applied
            controller.check_available(a)

        def said(a: Assignment, change: Change, serial: str = dev.serial) -> None:
            told = f"{serial}: {a} (was: {change.prior}; journaled: `bgprobe restore` puts it back)"
            out.out.print(told, markup=False)

        with device_lock(dev.key, dev.serial, "state set", wait), sigterm_as_interrupt():
            try:
                apply_all(controller, wanted, [], said)  # a failed or interrupted one leaves nothing half-done
            finally:
                for note in controller.notes:
                    out.problem(f"note: {note}")


def restore(
    ctx: typer.Context,
    serial: Serial = None,
    adb_server: AdbServers = None,
    timeout: Timeout = None,
    lock_wait_s: LockWait = None,
    udid: str | None = typer.Option(None, "--udid", help="Only this iPhone's journaled changes."),
    usbmux: Usbmux = None,
) -> None:
    """Undo every change bgprobe made and has not undone yet (from its journal), back to what was there."""
    from bgprobe.collectors.android.state import StateController
    from bgprobe.collectors.errors import DeviceError
    from bgprobe.collectors.interrupts import sigterm_as_interrupt
    from bgprobe.collectors.journal import IOS_PREFIX, scan_journals
    from bgprobe.collectors.locks import device_lock

    out: Output = ctx.obj
    wait = lock_wait(lock_wait_s)
    journals = scan_journals()
    trouble = False  # something is still (possibly) changed: exit 3 at the end
    for problems in journals.problems.values():
        for problem in problems:
            out.problem(str(problem))
            trouble = True
    ios_pending = {k: v for k, v in journals.pending.items() if k.startswith(IOS_PREFIX)}
    if udid:  # `restore --udid U`: that iPhone only (its one journal key is ios:U)
        from bgprobe.collectors.journal import ios_key

        ios_pending = {k: v for k, v in ios_pending.items() if k == ios_key(udid)}
    ios_closed, ios_trouble = _restore_ios(out, ios_pending, wait, usbmux, timeout)
    trouble |= ios_trouble
    pending = {} if udid else {k: v for k, v in journals.pending.items() if not k.startswith(IOS_PREFIX)}
    restored = 0
    reached: set[str] = set()
    if pending:
        try:
            devices = android_devices(out, serial, adb_server, timeout, warn_journal=False)
        except DeviceError as err:
            if serial:
                raise
            out.problem(err.message)
            devices = []
        for dev in devices:
            try:
                key = dev.key
            except DeviceError as err:
                out.problem(err.message)
                trouble = True
                continue
            reached.add(key)
            if key not in pending:
                continue
            controller = StateController(dev, 0)
            try:
                with device_lock(key, dev.serial, "restore", wait), sigterm_as_interrupt():
                    undone, failed = controller.restore_pending()
            except KeyboardInterrupt:
                raise typer.Exit(EXIT_INTERRUPTED) from None
            except BgprobeError as err:  # busy, or lost before anything was undone
                out.problem(err.message)
                trouble = True
                continue
            for change in undone:
                restored += 1
                back = f" (back to: {change.prior})" if change.prior else ""
                out.out.print(f"{dev.serial}: undid {change.key}={change.value}{back}", markup=False)
            for failure in failed:
                out.problem(failure.message)
                trouble = True
    wanted = {k: v for k, v in pending.items() if not serial or k in reached}
    for key, changes in wanted.items():
        if key in reached:
            continue
        trouble = True
        seen_as = changes[-1].address
        out.problem(
            f"{key}{f' (last seen as {seen_as})' if seen_as else ''} has unrestored changes "
            f"({', '.join(f'{c.key}={c.value}' for c in changes)}) but is not reachable now; "
            "run `bgprobe restore` again when it is back"
        )
    if not restored and not ios_closed and not trouble:
        out.out.print("Nothing to restore.")
    if trouble:
        raise typer.Exit(EXIT_DEVICE)


# -- iOS -----------------------------------------------------------------------------------------


def _set_ios(out: Output, items: list[str], target: IosTarget, duration: float | None, wait: float) -> None:
    """network=/thermal= held through DVT while this runs; lowpower= asks the operator (TTY only)."""
    from bgprobe.cli.console import stdin_is_tty
    from bgprobe.collectors.ios.conditions import LOWPOWER_NO_TTY, ConditionError, parse_ios_assignments
    from bgprobe.collectors.ios.transport import IosError, run, select_udids
    from bgprobe.collectors.journal import ios_key
    from bgprobe.collectors.locks import device_lock

    wanted = parse_ios_assignments(items)
    lowpower = [a for a in wanted if a.key == "lowpower"]
    if lowpower and not stdin_is_tty():
        raise ConditionError(LOWPOWER_NO_TTY.format(value=lowpower[0].value))
    udids = run(select_udids(target))
    if len(udids) > 1:
        raise IosError(f"several iPhones are attached ({', '.join(udids)}): choose one with --udid")
    udid = udids[0]
    with device_lock(ios_key(udid), udid, "state set", wait):
        for a in lowpower:
            _ask_lowpower(out, target, udid, a.value)
        induced = [a for a in wanted if a.key != "lowpower"]
        if induced:
            code = run(_hold_ios(out, target, udid, induced[0], duration))
            if code:
                raise typer.Exit(code)


def _ask_lowpower(out: Output, target: IosTarget, udid: str, value: str, *, restoring: bool = False) -> None:
    """The operator switches Low Power Mode; powerd's log is watched from before the question (its lines come
    when the switch is flipped, usually before Enter). The change is journaled whatever the log says: nothing
    else would remind anyone to switch it back."""
    import asyncio

    from bgprobe.collectors.ios.conditions import LowpowerWatch, lowpower_instructions, lowpower_undo
    from bgprobe.collectors.ios.transport import device_errors, lockdown
    from bgprobe.collectors.ios.watch import syslog_lines
    from bgprobe.collectors.journal import Journal, ios_key

    journal = Journal(ios_key(udid), udid)
    earlier = [] if restoring else [c for c in journal.pending() if c.key == "lowpower"]
    # what to come back to: the state before bgprobe's first switch, else the opposite of what is asked for
    prior = earlier[0].prior if earlier else ("off" if value == "on" else "on")
    journaled = not restoring and value != prior

    # The log is read on a thread of its own, connected before the question: powerd logs the moment the switch is
    # flipped, usually before Enter. The question stays on this thread, so Ctrl-C interrupts it as usual.
    import concurrent.futures
    import threading

    connected, asked = threading.Event(), threading.Event()
    outcome: concurrent.futures.Future[tuple[str, str | None]] = concurrent.futures.Future()
    seen: dict[str, str | None] = {}

    async def watch_log() -> tuple[str, str | None]:
        async with lockdown(target, udid) as client, device_errors("device log", udid):
            seen["name"] = client.all_values.get("DeviceName")
            opened = asyncio.Event()
            watch = LowpowerWatch(syslog_lines(client, opened)).start()
            try:
                await asyncio.wait_for(opened.wait(), 10.0)
                connected.set()
                while not asked.is_set():
                    await asyncio.sleep(0.1)
                return await watch.result(value, 20.0)
            finally:
                await watch.stop()

    def runner() -> None:
        try:
            outcome.set_result(asyncio.run(watch_log()))
        except BaseException as exc:
            outcome.set_exception(exc)
        finally:
            connected.set()

    threading.Thread(target=runner, daemon=True, name=f"lpm-{udid[:12]}").start()
    connected.wait(30.0)
    if outcome.done():
        outcome.result()  # the log could not be opened: that error, before anything is asked or journaled
    # journaled before the operator is asked: from here on the phone may be changed
    for change in earlier:
        journal.mark_undone(change)
    if journaled:
        journal.record("lowpower", value, lowpower_undo(prior), prior=prior)
    try:
        typer.prompt(lowpower_instructions(udid, seen.get("name"), value), default="", show_default=False)
    finally:
        asked.set()
    out.out.print(f"{udid}: waiting up to 20 s for powerd to report Low Power Mode {value}…", markup=False)
    verdict, line = outcome.result(timeout=60.0)
    if verdict == "confirmed":
        out.out.print(f"{udid}: lowpower={value} confirmed by the device log: {line}", markup=False)
    elif verdict == "contradicted":
        out.problem(f"{udid}: lowpower={value} unconfirmed: powerd's last word was the opposite: {line}")
    else:
        out.problem(
            f"{udid}: lowpower={value} unconfirmed: powerd logged no Low Power Mode change within 20 s "
            "(was it already so, or not flipped?)"
        )
    if journaled:
        out.out.print(
            f"{udid}: lowpower={value} journaled (was: {prior}): `bgprobe restore --udid {udid}` asks for it back",
            markup=False,
        )


async def _hold_ios(
    out: Output, target: IosTarget, udid: str, assignment: IosAssignment, duration: float | None
) -> int:
    """Hold one ConditionInducer profile; SIGINT/SIGTERM end the hold (exit 130), the profile is cleared. A
    condition the phone drops early (lost tunnel or DVT connection) ends the command with exit 3."""
    import asyncio
    import signal

    from bgprobe.collectors.ios.conditions import ConditionLost, dvt_inducer, hold, keep
    from bgprobe.collectors.ios.transport import (
        IosError,
        developer_provider,
        device_errors,
        lockdown,
        require_developer_services,
    )
    from bgprobe.collectors.journal import Journal, ios_key

    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    interrupted = False
    release = asyncio.Event()

    def stop() -> None:
        nonlocal interrupted
        interrupted = True
        if task is not None:
            task.cancel()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)

    async def wait() -> None:
        if duration is None:
            out.out.print(f"{udid}: holding {assignment}; Ctrl-C ends it", markup=False)
        else:
            loop.call_later(duration, release.set)
        try:
            await keep(inducer, assignment.value, release)
        except ConditionLost as lost:
            raise IosError(f"{udid}: {assignment} ended early: {lost}") from None

    try:
        what = "DVT ConditionInducer"
        async with lockdown(target, udid) as client:
            await require_developer_services(client, target, udid)
            async with (
                developer_provider(target, udid, client) as provider,
                device_errors(what, udid),
                dvt_inducer(provider) as inducer,
            ):
                await hold(
                    inducer,
                    Journal(ios_key(udid), udid),
                    assignment,
                    wait,
                    say=lambda m: out.out.print(f"{udid}: {m}", markup=False),
                )
    except asyncio.CancelledError:
        if not interrupted:
            raise
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    if interrupted:
        out.out.print(f"{udid}: {assignment} cleared", markup=False)
        return EXIT_INTERRUPTED
    if duration:
        out.out.print(f"{udid}: {assignment} cleared after {duration:g} s", markup=False)
    return 0


def _restore_ios(
    out: Output, pending: dict[str, list[Change]], wait: float, usbmux: str | None, timeout: float | None
) -> tuple[int, bool]:
    """Close the journal entries an interrupted iOS command left: (closed, trouble). A hold still running holds
    the iPhone's lock: wait for it. A ConditionInducer condition ended with bgprobe's DVT connection; when the
    phone can be reached its active profile is read, and cleared only if it is the journaled one (another
    client's condition is left alone). Low Power Mode needs the operator: on a terminal they are asked to switch
    it back; without one the entry stays (exit 3) so that every command keeps reminding."""
    from bgprobe.cli.console import stdin_is_tty
    from bgprobe.collectors.ios.address import make_target, usbmux_configured
    from bgprobe.collectors.journal import IOS_PREFIX, Journal
    from bgprobe.collectors.locks import device_lock

    closed, trouble = 0, False
    for key in pending:
        udid = key[len(IOS_PREFIX) :]
        with device_lock(key, udid, "restore", wait):
            journal = Journal(key)
            changes = journal.pending()  # again under the lock: a holder that just ended closed its own
            dvt = [c for c in changes if c.key in ("network", "thermal")]
            lowpower = [c for c in changes if c.key == "lowpower"]
            for c in changes:
                if c not in dvt and c not in lowpower:
                    out.problem(f"{udid}: journaled {c.key}={c.value} is not something bgprobe sets on an iPhone")
                    trouble = True
            if dvt:
                active: str | None = None
                why: str | None = "no usbmuxd configured"
                if usbmux_configured(usbmux):
                    active, why = _read_active_condition(make_target(usbmux, udid, timeout), udid)
                for c in dvt:
                    closed += 1
                    if why is None and active == c.value:
                        cleared = _clear_active_condition(make_target(usbmux, udid, timeout), udid, c.value)
                        out.out.print(
                            f"{udid}: {c.key}={c.value} was still active on the phone: {cleared}", markup=False
                        )
                    elif why is None:
                        out.out.print(
                            f"{udid}: {c.key}={c.value} ended when bgprobe's DVT connection closed (the phone's "
                            f"active condition is {active or 'none'}; left as it is); journal entry closed",
                            markup=False,
                        )
                    else:
                        out.out.print(
                            f"{udid}: {c.key}={c.value} ended when bgprobe's DVT connection closed "
                            f"(ConditionInducer conditions do not outlive it; not checked on the phone: {why}); "
                            "journal entry closed",
                            markup=False,
                        )
                    journal.mark_undone(c)
            for c in lowpower:
                if not stdin_is_tty():
                    out.problem(
                        f"{udid}: lowpower={c.value} is still journaled: switch Low Power Mode {c.prior.upper()} in "
                        f"Settings › Battery, then run `bgprobe restore --udid {udid}` on a terminal to close it"
                    )
                    trouble = True
                    continue
                _ask_lowpower(out, make_target(usbmux, udid, timeout), udid, c.prior, restoring=True)
                journal.mark_undone(c)  # the operator was asked, and answered for it
                closed += 1
    return closed, trouble


def _read_active_condition(target: IosTarget, udid: str) -> tuple[str | None, str | None]:
    """(active profile, None) from the phone, or (None, why it could not be read)."""
    from bgprobe.collectors.errors import BgprobeError
    from bgprobe.collectors.ios.conditions import active_condition, dvt_inducer
    from bgprobe.collectors.ios.transport import (
        developer_provider,
        device_errors,
        lockdown,
        require_developer_services,
        run,
    )

    async def read() -> str | None:
        async with lockdown(target, udid) as client:
            await require_developer_services(client, target, udid)
            async with (
                developer_provider(target, udid, client) as provider,
                device_errors("DVT ConditionInducer", udid),
                dvt_inducer(provider) as inducer,
            ):
                return active_condition(await inducer.list())

    try:
        return run(read()), None
    except BgprobeError as err:
        return None, err.message


def _clear_active_condition(target: IosTarget, udid: str, profile: str) -> str:
    from bgprobe.collectors.errors import BgprobeError
    from bgprobe.collectors.ios.conditions import active_condition, dvt_inducer
    from bgprobe.collectors.ios.transport import developer_provider, device_errors, lockdown, run

    async def clear() -> str:
        async with (
            lockdown(target, udid) as client,
            developer_provider(target, udid, client) as provider,
            device_errors("DVT ConditionInducer", udid),
            dvt_inducer(provider) as inducer,
        ):
            if active_condition(await inducer.list()) != profile:
                return "it ended meanwhile"
            await inducer.clear()
            after = active_condition(await inducer.list())
            return "cleared" if after is None else f"asked to clear, but the phone still has {after}"

    try:
        return run(clear())
    except BgprobeError as err:
        return f"could not clear it ({err.message})"
