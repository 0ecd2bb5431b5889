"""`bgprobe state show|set` and `bgprobe restore`."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import typer
from bgprobe.cli.console import Output
from bgprobe.cli.targets import (
    LOCK_WAIT_HELP,
    RSD_HELP,
    SERIAL_HELP,
    SERVER_HELP,
    TIMEOUT_HELP,
    TUNNEL_HELP,
    UDID_HELP,
    USBMUX_HELP,
    android_devices,
    ios_target,
    lock_wait,
    wants_ios,
)
from bgprobe.collectors.errors import EXIT_DEVICE, EXIT_INTERRUPTED, BgprobeError
from bgprobe.collectors.package_names import check_package_name

if TYPE_CHECKING:
    from bgprobe.collectors.journal import Change

app = typer.Typer(
    help="Read or change background conditions (journaled; `bgprobe restore` undoes).", no_args_is_help=True
)


@app.command("show")
def show(
    ctx: typer.Context,
    package: list[str] = typer.Option([], "--package", "-p", help="Also show this app's bucket and restriction."),
    serial: str | None = typer.Option(None, "-s", "--serial", help=SERIAL_HELP),
    adb_server: list[str] = typer.Option([], "--adb-server", help=SERVER_HELP),
    timeout: float | None = typer.Option(None, "--timeout", help=TIMEOUT_HELP),
    json_out: bool = typer.Option(False, "--json"),
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
        help="KEY=VALUE: doze, bucket, battery, level, saver, network, restrict; "
        "iOS: network=<profile>, thermal=<profile>, lowpower=on|off.",
    ),
    package: str | None = typer.Option(None, "--package", "-p", help="The app for bucket= and restrict=."),
    serial: str | None = typer.Option(None, "-s", "--serial", help=SERIAL_HELP),
    adb_server: list[str] = typer.Option([], "--adb-server", help=SERVER_HELP),
    timeout: float | None = typer.Option(None, "--timeout", help=TIMEOUT_HELP),
    lock_wait_s: float | None = typer.Option(None, "--lock-wait", min=0, help=LOCK_WAIT_HELP),
    udid: str | None = typer.Option(None, "--udid", help=UDID_HELP),
    usbmux: str | None = typer.Option(None, "--usbmux", help=USBMUX_HELP),
    rsd: tuple[str, int] | None = typer.Option(None, "--rsd", help=RSD_HELP),
    tunnel: bool = typer.Option(False, "--tunnel", help=TUNNEL_HELP),
    duration: float | None = typer.Option(
        None, "--duration", min=0, help="iOS: hold network=/thermal= this many seconds (default: until Ctrl-C)."
    ),
) -> None:
    """Change conditions. Each change is journaled first and read back after; undo with `bgprobe restore`."""
    from bgprobe.collectors.android.info import device_facts
    from bgprobe.collectors.android.state import StateController, parse_assignments
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
        with device_lock(dev.key, dev.serial, "state set", wait), sigterm_as_interrupt():
            applied = []
            try:
                for a in wanted:
                    change = controller.apply(a)
                    applied.append(change)
                    out.out.print(
                        f"{dev.serial}: {a} (was: {change.prior}; journaled: `bgprobe restore` puts it back)",
                        markup=False,
                    )
            except BaseException:
                # A failed or interrupted `state set` leaves nothing half-done behind.
                for err in controller.undo_all(applied):
                    out.problem(err.message)
                raise
            finally:
                for note in controller.notes:
                    out.problem(f"note: {note}")


def restore(
    ctx: typer.Context,
    serial: str | None = typer.Option(None, "-s", "--serial", help=SERIAL_HELP),
    adb_server: list[str] = typer.Option([], "--adb-server", help=SERVER_HELP),
    timeout: float | None = typer.Option(None, "--timeout", help=TIMEOUT_HELP),
    lock_wait_s: float | None = typer.Option(None, "--lock-wait", min=0, help=LOCK_WAIT_HELP),
) -> None:
    """Undo every change bgprobe made and has not undone yet (from its journal), back to what was there."""
    from bgprobe.collectors.android.adb import DeviceError
    from bgprobe.collectors.android.state import StateController
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
    ios_closed = _restore_ios(out, {k: v for k, v in journals.pending.items() if k.startswith(IOS_PREFIX)}, wait)
    pending = {k: v for k, v in journals.pending.items() if not k.startswith(IOS_PREFIX)}
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
            for err in failed:
                out.problem(err.message)
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


def _set_ios(out: Output, items: list[str], target: object, duration: float | None, wait: float) -> None:
    """network=/thermal= held through DVT while this runs; lowpower= asks the operator (TTY only)."""
    from bgprobe.cli.console import stdin_is_tty
    from bgprobe.collectors.ios.conditions import LOWPOWER_NO_TTY, ConditionError, parse_ios_assignments
    from bgprobe.collectors.ios.transport import IosError, run, select_udids

    wanted = parse_ios_assignments(items)
    lowpower = [a for a in wanted if a.key == "lowpower"]
    if lowpower and not stdin_is_tty():
        raise ConditionError(LOWPOWER_NO_TTY.format(value=lowpower[0].value))
    udids = run(select_udids(target))  # type: ignore[arg-type]
    if len(udids) > 1:
        raise IosError(f"several iPhones are attached ({', '.join(udids)}): choose one with --udid")
    udid = udids[0]
    for a in lowpower:
        _ask_lowpower(out, target, udid, a.value)
    induced = [a for a in wanted if a.key != "lowpower"]
    if induced:
        from bgprobe.collectors.journal import ios_key
        from bgprobe.collectors.locks import device_lock

        with device_lock(ios_key(udid), udid, "state set", wait):
            code = run(_hold_ios(out, target, udid, induced[0], duration))
        if code:
            raise typer.Exit(code)


def _ask_lowpower(out: Output, target: object, udid: str, value: str) -> None:
    from bgprobe.collectors.ios.conditions import confirm_lowpower_from_log, lowpower_instructions
    from bgprobe.collectors.ios.transport import lockdown, run
    from bgprobe.collectors.ios.watch import syslog_lines

    async def watch_log() -> str | None:
        async with lockdown(target, udid) as client:  # type: ignore[arg-type]
            return await confirm_lowpower_from_log(syslog_lines(client), 20.0)

    typer.prompt(lowpower_instructions(udid, None, value), default="", show_default=False)
    out.out.print(f"{udid}: watching the device log for 20 s for a Low Power Mode message…", markup=False)
    line = run(watch_log())
    if line:
        out.out.print(f"{udid}: lowpower={value} confirmed by the device log: {line}", markup=False)
    else:
        out.problem(
            f"{udid}: lowpower={value} not confirmed: no Low Power Mode message in the device log within 20 s "
            "(iOS does not always log it); taking the operator's word"
        )


async def _hold_ios(out: Output, target: object, udid: str, assignment: object, duration: float | None) -> int:
    """Hold one ConditionInducer profile; SIGINT/SIGTERM end the hold (exit 130), the profile is cleared."""
    import asyncio
    import signal

    from bgprobe.collectors.ios.conditions import dvt_inducer, hold
    from bgprobe.collectors.ios.transport import developer_provider, device_errors, lockdown
    from bgprobe.collectors.journal import Journal, ios_key

    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    interrupted = False

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
            await asyncio.Event().wait()
        else:
            await asyncio.sleep(duration)

    try:
        what = "DVT ConditionInducer (developer disk image mounted? developer mode on?)"
        async with (
            lockdown(target, udid) as client,  # type: ignore[arg-type]
            developer_provider(target, udid, client) as provider,
            device_errors(what, udid),
            dvt_inducer(provider) as inducer,
        ):
            await hold(
                inducer,
                Journal(ios_key(udid), udid),
                assignment,  # type: ignore[arg-type]
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


def _restore_ios(out: Output, pending: dict[str, list[Change]], wait: float) -> int:
    """Close journal entries an interrupted iOS hold left (the device ended those conditions itself
    when the DVT connection closed). A hold still running holds the iPhone's lock: wait for it."""
    from bgprobe.collectors.ios.conditions import close_pending
    from bgprobe.collectors.journal import IOS_PREFIX, Journal
    from bgprobe.collectors.locks import device_lock

    closed = 0
    for key in pending:
        udid = key[len(IOS_PREFIX) :]
        with device_lock(key, udid, "restore", wait):
            changes = close_pending(Journal(key))
        for change in changes:
            closed += 1
            out.out.print(
                f"{udid}: {change.key}={change.value} ended when bgprobe's DVT connection "
                "closed (ConditionInducer conditions do not outlive it); journal entry closed",
                markup=False,
            )
    return closed
