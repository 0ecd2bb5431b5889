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
    from collections.abc import Callable

    from bgprobe.collectors.android.state import Assignment
    from bgprobe.collectors.ios.address import IosTarget
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
    from bgprobe.cli.console import stdin_is_tty
    from bgprobe.collectors.android.state import StateController
    from bgprobe.collectors.errors import DeviceError
    from bgprobe.collectors.interrupts import sigterm_as_interrupt
    from bgprobe.collectors.ios.state import restore_ios
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
    say, warn = _printers(out)
    ios_closed, ios_trouble = restore_ios(
        ios_pending, wait, usbmux, timeout, can_ask=stdin_is_tty(), ask=_ask, say=say, problem=warn
    )
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


def _set_ios(out: Output, items: list[str], target: IosTarget, duration: float | None, wait: float) -> None:
    """network=/thermal= held through DVT while this runs; lowpower= asks the operator (TTY only)."""
    from bgprobe.cli.console import stdin_is_tty
    from bgprobe.collectors.ios.conditions import LOWPOWER_NO_TTY, ConditionError, parse_ios_assignments
    from bgprobe.collectors.ios.state import hold_condition, switch_lowpower
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
            switch_lowpower(target, udid, a.value, _ask, *_printers(out))
        induced = [a for a in wanted if a.key != "lowpower"]
        if induced:
            code = run(hold_condition(target, udid, induced[0], duration, _printers(out)[0]))
            if code:
                raise typer.Exit(code)


def _ask(question: str) -> None:
    typer.prompt(question, default="", show_default=False)


def _printers(out: Output) -> tuple[Callable[[str], None], Callable[[str], None]]:
    """(say, problem) for collectors.ios.state: progress lines on stdout, warnings on stderr."""
    return (lambda text: out.out.print(text, markup=False)), out.problem
