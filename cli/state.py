"""`bgprobe state show|set` and `bgprobe restore`."""

from __future__ import annotations

import contextlib
import json
import sys

import typer
from bgprobe.cli.console import Output
from bgprobe.cli.targets import SERIAL_HELP, SERVER_HELP, TIMEOUT_HELP, android_devices
from bgprobe.collectors.android.adb import DeviceError
from bgprobe.collectors.android.info import device_facts
from bgprobe.collectors.android.journal import devices_with_pending_changes
from bgprobe.collectors.android.state import StateController, parse_assignments, sigterm_as_interrupt
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
        ..., help="KEY=VALUE: doze, bucket, battery, level, saver, network, restrict."
    ),
    package: str | None = typer.Option(None, "--package", "-p", help="The app for bucket= and restrict=."),
    serial: str | None = typer.Option(None, "-s", "--serial", help=SERIAL_HELP),
    adb_server: list[str] = typer.Option([], "--adb-server", help=SERVER_HELP),
    timeout: float | None = typer.Option(None, "--timeout", help=TIMEOUT_HELP),
) -> None:
    """Change conditions. Each change is journaled first and read back after; undo with `bgprobe restore`."""
    out: Output = ctx.obj
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
    out: Output = ctx.obj
    pending = devices_with_pending_changes()
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
    if not restored and not unreachable:
        out.out.print("Nothing to restore.")
    if unreachable:
        raise typer.Exit(EXIT_DEVICE)
