"""`bgprobe state show|set` and `bgprobe restore`."""

from __future__ import annotations

import contextlib
import json
import sys

import typer
from bgprobe.cli.console import Output
from bgprobe.cli.targets import (
    IOS_JOURNAL_PREFIX,
    RSD_HELP,
    SERIAL_HELP,
    SERVER_HELP,
    TIMEOUT_HELP,
    TUNNEL_HELP,
    UDID_HELP,
    USBMUX_HELP,
    android_devices,
    ios_journal_key,
    ios_target,
    wants_ios,
)
from bgprobe.collectors.errors import EXIT_DEVICE, EXIT_INTERRUPTED
from bgprobe.collectors.package_names import check_package_name

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
    udid: str | None = typer.Option(None, "--udid", help=UDID_HELP),
    usbmux: str | None = typer.Option(None, "--usbmux", help=USBMUX_HELP),
    rsd: tuple[str, int] | None = typer.Option(None, "--rsd", help=RSD_HELP),
    tunnel: bool = typer.Option(False, "--tunnel", help=TUNNEL_HELP),
    duration: float | None = typer.Option(
        None, "--duration", min=0, help="iOS: hold network=/thermal= this many seconds (default: until Ctrl-C)."
    ),
) -> None:
    """Change conditions. Each change is journaled first and read back after; undo with `bgprobe restore`."""
    from bgprobe.collectors.android.adb import DeviceError
    from bgprobe.collectors.android.info import device_facts
    from bgprobe.collectors.android.state import StateController, parse_assignments, sigterm_as_interrupt

    out: Output = ctx.obj
    ios_keys = {a.partition("=")[0] for a in assignments} & {"thermal", "lowpower"}
    if wants_ios(udid, usbmux) or ios_keys:
        _set_ios(out, assignments, ios_target(usbmux, udid, timeout, rsd, tunnel), duration)
        return
    wanted = parse_assignments(assignments, package)
    for dev in android_devices(out, serial, adb_server, timeout):
        facts = device_facts(dev)
        controller = StateController(dev, facts.sdk or 0)
        for a in wanted:  # refuse up front what this version cannot do: nothing half-applied
            controller.check_available(a)
        applied = []
        with sigterm_as_interrupt():
            try:
                for a in wanted:
                    applied.append(controller.apply(a))
                    out.out.print(f"{dev.serial}: {a} (journaled; `bgprobe restore` undoes it)", markup=False)
            except (KeyboardInterrupt, DeviceError, Exception):
                # A failed or interrupted `state set` leaves nothing half-done behind.
                for change in reversed(applied):
                    with contextlib.suppress(DeviceError):
                        controller.undo(change)
                raise


def restore(
    ctx: typer.Context,
    serial: str | None = typer.Option(None, "-s", "--serial", help=SERIAL_HELP),
    adb_server: list[str] = typer.Option([], "--adb-server", help=SERVER_HELP),
    timeout: float | None = typer.Option(None, "--timeout", help=TIMEOUT_HELP),
) -> None:
    """Undo every change bgprobe made and has not undone yet (from its journal)."""
    from bgprobe.collectors.android.journal import devices_with_pending_changes
    from bgprobe.collectors.android.state import StateController, sigterm_as_interrupt

    out: Output = ctx.obj
    ios_closed = _restore_ios(out)
    pending = devices_with_pending_changes()
    if ios_closed and not pending:
        return
    devices = android_devices(out, serial, adb_server, timeout, warn_journal=False)
    restored = 0
    for dev in devices:
        controller = StateController(dev, 0)
        with sigterm_as_interrupt():
            try:
                for change in controller.restore_pending():
                    restored += 1
                    out.out.print(f"{dev.serial}: undid {change.key}={change.value}", markup=False)
            except KeyboardInterrupt:
                raise typer.Exit(EXIT_INTERRUPTED) from None
    reached = {d.key for d in devices}
    unreachable = [(key, changes) for key, changes in pending.items() if key not in reached]
    for key, changes in unreachable:
        seen_as = changes[-1].address
        out.problem(
            f"{key}{f' (last seen as {seen_as})' if seen_as else ''} has unrestored changes "
            f"({', '.join(f'{c.key}={c.value}' for c in changes)}) but is not reachable now; "
            "run `bgprobe restore` again when it is back"
        )
    if not restored and not unreachable and not ios_closed:
        out.out.print("Nothing to restore.")
    if unreachable:
        raise typer.Exit(EXIT_DEVICE)


# -- iOS -----------------------------------------------------------------------------------------


def _set_ios(out: Output, items: list[str], target: object, duration: float | None) -> None:
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

    from bgprobe.collectors.android.journal import Journal
    from bgprobe.collectors.ios.conditions import dvt_inducer, hold
    from bgprobe.collectors.ios.transport import developer_provider, device_errors, lockdown

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
                Journal(ios_journal_key(udid)),
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


def _restore_ios(out: Output) -> int:
    """Close journal entries an interrupted iOS hold left (the device ended those conditions itself)."""
    from bgprobe.collectors.android.journal import Journal, devices_with_pending_changes
    from bgprobe.collectors.ios.conditions import close_pending

    closed = 0
    for key in devices_with_pending_changes():
        if not key.startswith(IOS_JOURNAL_PREFIX):
            continue
        for change in close_pending(Journal(key)):
            closed += 1
            out.out.print(
                f"{key[len(IOS_JOURNAL_PREFIX) :]}: {change.key}={change.value} ended when bgprobe's DVT connection "
                "closed (ConditionInducer conditions do not outlive it); journal entry closed",
                markup=False,
            )
    return closed
