"""Device selection shared by the live commands: adb's conventions, and the journal warning."""

from __future__ import annotations

from bgprobe.cli.console import Output
from bgprobe.collectors.android.adb import DEFAULT_TIMEOUT, AndroidDevice, select_devices, server_addresses
from bgprobe.collectors.ios.address import IosTarget, make_target, resolve_udid, usbmux_configured
from bgprobe.collectors.journal import Journal, ios_key


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
    """Every command that reaches a device says so when an earlier run left it changed, or when its
    journal has lines bgprobe cannot read (never an error: these commands only read)."""
    for dev in devices:
        read = Journal(dev.key).read()
        if read.changes:
            what = ", ".join(f"{c.key}={c.value}" for c in read.changes)
            out.problem(
                f"warning: {dev.serial} still has changes from an earlier bgprobe run ({what}): "
                "run `bgprobe restore` to put it back"
            )
        for problem in read.problems:
            out.problem(f"warning: {dev.serial}: {problem}")


def lock_wait(value: float | None) -> float:
    """--lock-wait, else $BGPROBE_LOCK_WAIT, else the default."""
    from bgprobe.collectors.locks import default_wait

    return default_wait() if value is None else value


# -- iOS (collectors.ios.address imports neither asyncio nor pymobiledevice3: Android runs never pay) --

__all__ = [
    "IosTarget",
    "android_devices",
    "ios_target",
    "lock_wait",
    "resolve_udid",
    "usbmux_configured",
    "wants_ios",
    "warn_pending_changes",
    "warn_pending_ios",
]


def ios_target(
    usbmux: str | None,
    udid: str | None,
    timeout: float | None,
    rsd: tuple[str, int] | None = None,
    tunnel: bool = False,
) -> IosTarget:
    return make_target(usbmux, udid, timeout, rsd, tunnel)


def wants_ios(udid: str | None, usbmux: str | None = None) -> bool:
    """An iOS command line: --udid (or $PYMOBILEDEVICE3_UDID) or --usbmux was given."""
    return bool(resolve_udid(udid) or usbmux)


def warn_pending_ios(out: Output, udids: list[str]) -> None:
    for udid in udids:
        pending = Journal(ios_key(udid)).pending()
        if pending:
            what = ", ".join(f"{c.key}={c.value}" for c in pending)
            out.problem(
                f"warning: {udid} has journaled changes from an earlier bgprobe run ({what}): "
                "run `bgprobe restore --udid " + udid + "` to close them"
            )
