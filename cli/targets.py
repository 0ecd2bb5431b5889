"""Device selection shared by the live commands: adb's conventions, and the journal warning."""

from __future__ import annotations

from bgprobe.cli.console import Output
from bgprobe.collectors.android.adb import DEFAULT_TIMEOUT, AndroidDevice, select_devices, server_addresses
from bgprobe.collectors.android.journal import Journal

SERIAL_HELP = "Device serial (default: $ANDROID_SERIAL; else every online device)."
SERVER_HELP = "adb server HOST:PORT, repeatable (default: $ADB_SERVER_SOCKET, $ANDROID_ADB_SERVER_ADDRESS/PORT, 5037)."
TIMEOUT_HELP = "Seconds to wait for any one device call."


def android_devices(
    out: Output,
    serial: str | None,
    adb_servers: list[str] | None,
    timeout: float | None,
    *,
    one: bool = False,
    warn_journal: bool = True,
) -> list[AndroidDevice]:
    devices = select_devices(
        server_addresses(adb_servers), serial, all_devices=not one, timeout=timeout or DEFAULT_TIMEOUT
    )
    if warn_journal:
        warn_pending_changes(out, devices)
    return devices


def warn_pending_changes(out: Output, devices: list[AndroidDevice]) -> None:
    """Every command that reaches a device says so when an earlier run left it changed."""
    for dev in devices:
        pending = Journal(dev.key).pending()
        if pending:
            what = ", ".join(f"{c.key}={c.value}" for c in pending)
            out.problem(
                f"warning: {dev.serial} still has changes from an earlier bgprobe run ({what}): "
                "run `bgprobe restore` to put it back"
            )
