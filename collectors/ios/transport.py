"""Reaching iPhones through pymobiledevice3 11.x (asyncio-only) from bgprobe's synchronous CLI.

- usbmuxd address: `--usbmux`, else `$PYMOBILEDEVICE3_USBMUX`, else `$USBMUXD_SOCKET_ADDRESS`, else the
  platform default (/var/run/usbmuxd). `HOST:PORT` is TCP, anything else a UNIX socket path; the
  libusbmuxd spelling `UNIX:/path` is accepted too (pymobiledevice3 itself would crash on it, ios.md §1.1).
- device: `--udid`, else `$PYMOBILEDEVICE3_UDID`, else every attached device.
- lockdown with `autopair=False`: a device that is not paired with this computer is never asked
  to pair (that would block on the on-device Trust dialog); it is a `NotPaired` error (exit 3) that
  says what to do.
- every device call runs under a timeout; usbmuxd/device errors become `IosError` (exit 3).
- iOS 17+ developer services (DVT, debugserver) need a RemoteServiceDiscovery tunnel: `--rsd HOST PORT`
  or `--tunnel` (a root `pymobiledevice3 remote tunneld`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from bgprobe.collectors.errors import EXIT_DEVICE, BgprobeError
from bgprobe.collectors.ios.address import (  # noqa: F401 - re-exported: transport is the iOS API
    DEFAULT_TIMEOUT,
    DEFAULT_USBMUX_SOCKET,
    ENV_PAIRING_DIR,
    ENV_UDID,
    ENV_USBMUX,
    RSD_HELP,
    TUNNEL_HELP,
    UDID_HELP,
    USBMUX_HELP,
    IosTarget,
    IosUsageError,
    make_target,
    resolve_udid,
    resolve_usbmux,
    usbmux_configured,
)

if TYPE_CHECKING:
    from pymobiledevice3.lockdown import LockdownClient

T = TypeVar("T")

TUNNELD_DEFAULT = ("127.0.0.1", 49151)


class IosError(BgprobeError):
    exit_code = EXIT_DEVICE


class NotPaired(IosError):
    def __init__(self, udid: str) -> None:
        super().__init__(
            f"iOS device {udid} is not paired with this computer: unlock it, connect it and accept "
            "'Trust This Computer' (e.g. run `pymobiledevice3 lockdown pair --udid "
            f"{udid}` once); bgprobe never pairs on its own, so it does not wait for the Trust dialog"
        )
        self.udid = udid


def pairing_dir() -> Path | None:
    explicit = os.environ.get(ENV_PAIRING_DIR)
    return Path(explicit) if explicit else None


# -- running coroutines from sync code --------------------------------------------------------


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run one coroutine to completion on a fresh loop (the CLI is synchronous)."""
    return asyncio.run(coro)


async def timed(what: str, awaitable: Awaitable[T], timeout: float) -> T:
    try:
        return await asyncio.wait_for(awaitable, timeout)
    except TimeoutError:
        raise IosError(f"{what}: no answer within {timeout:g} s (raise it with --timeout)") from None


def translate(exc: BaseException, what: str, udid: str | None = None) -> BgprobeError:
    """A pymobiledevice3 / socket exception -> a one-line bgprobe error."""
    from pymobiledevice3 import exceptions as x

    name = udid or "iOS device"
    if isinstance(exc, BgprobeError):
        return exc
    if isinstance(exc, x.NotPairedError | x.InvalidHostIDError):
        return NotPaired(udid or "?")
    if isinstance(exc, x.ConnectionFailedToUsbmuxdError | FileNotFoundError | ConnectionRefusedError):
        return IosError(
            f"usbmuxd is not reachable ({what}): {exc or type(exc).__name__}; start usbmuxd or point "
            "--usbmux / $USBMUXD_SOCKET_ADDRESS at it (HOST:PORT or a socket path)"
        )
    if isinstance(exc, x.DeviceNotFoundError | x.NoDeviceConnectedError):
        return IosError(f"{name} is not attached to usbmuxd ({what}); `bgprobe devices` lists what is")
    if isinstance(exc, x.PasswordRequiredError):
        return IosError(f"{name} is locked with a passcode: unlock it and retry ({what})")
    if isinstance(
        exc, x.ConnectionTerminatedError | ConnectionResetError | BrokenPipeError | asyncio.IncompleteReadError
    ):
        return IosError(f"{name}: the connection was lost ({what}); the device was unplugged or went to sleep")
    if isinstance(exc, x.InvalidServiceError):
        return IosError(f"{name}: service not available ({what}): {exc}")
    if isinstance(exc, x.PyMobileDevice3Exception | OSError):
        return IosError(f"{name}: {what} failed: {type(exc).__name__}: {exc}")
    return IosError(f"{name}: {what} failed: {type(exc).__name__}: {exc}")


@contextlib.asynccontextmanager
async def device_errors(what: str, udid: str | None = None) -> AsyncIterator[None]:
    from pymobiledevice3.exceptions import PyMobileDevice3Exception

    try:
        yield
    except (PyMobileDevice3Exception, OSError, asyncio.IncompleteReadError) as exc:
        raise translate(exc, what, udid) from exc


# -- discovery and lockdown -------------------------------------------------------------------


@dataclass(frozen=True)
class Attached:
    udid: str
    connection: str  # "USB" | "Network"


async def list_attached(target: IosTarget) -> list[Attached]:
    from pymobiledevice3.usbmux import list_devices

    async with device_errors(f"listing devices on usbmuxd {target.where}"):
        devices = await timed(f"usbmuxd {target.where}", list_devices(usbmux_address=target.usbmux), target.timeout)
    seen: dict[str, Attached] = {}
    for d in devices:  # a phone on USB and Wi-Fi shows twice: prefer USB
        if d.serial not in seen or d.connection_type == "USB":
            seen[d.serial] = Attached(d.serial, d.connection_type)
    return list(seen.values())


async def select_udids(target: IosTarget) -> list[str]:
    attached = await list_attached(target)
    if target.udid:
        if target.udid not in {a.udid for a in attached}:
            raise IosError(
                f"iOS device {target.udid} is not attached to usbmuxd {target.where} "
                f"(attached: {', '.join(a.udid for a in attached) or 'none'})"
            )
        return [target.udid]
    if not attached:
        raise IosError(f"no iOS device attached to usbmuxd {target.where}")
    return [a.udid for a in attached]


async def connect(target: IosTarget, udid: str, *, require_pairing: bool = True) -> LockdownClient:
    """A lockdown client for `udid`, never pairing; NotPaired when services would be refused."""
    from pymobiledevice3.lockdown import create_using_usbmux

    async with device_errors("lockdown connection", udid):
        client = await timed(
            f"lockdown on {udid}",
            create_using_usbmux(
                serial=udid, autopair=False, usbmux_address=target.usbmux, pairing_records_cache_folder=pairing_dir()
            ),
            target.timeout,
        )
    if require_pairing and not client.paired:
        with contextlib.suppress(Exception):
            await client.close()
        raise NotPaired(udid)
    return client


@contextlib.asynccontextmanager
async def lockdown(target: IosTarget, udid: str, *, require_pairing: bool = True) -> AsyncIterator[LockdownClient]:
    client = await connect(target, udid, require_pairing=require_pairing)
    try:
        yield client
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.close(), 2)


# -- iOS 17+ tunnels --------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def developer_provider(target: IosTarget, udid: str, client: LockdownClient) -> AsyncIterator[Any]:
    """The service provider for developer services: the RSD tunnel on iOS 17+, lockdown before.

    Not exercised against a real phone (the simulator serves no RSD/DVT): see the README.
    """
    major = _major(client.product_version)
    if target.rsd is not None:
        from pymobiledevice3.remote.remote_service_discovery import RemoteServiceDiscoveryService

        rsd = RemoteServiceDiscoveryService(target.rsd)
        async with device_errors(f"RSD tunnel {target.rsd[0]}:{target.rsd[1]}", udid):
            await timed(f"RSD {target.rsd[0]} {target.rsd[1]}", rsd.connect(), target.timeout)
        try:
            yield rsd
        finally:
            with contextlib.suppress(Exception):
                await rsd.close()
        return
    if target.tunnel:
        from pymobiledevice3.tunneld.api import get_tunneld_device_by_udid

        async with device_errors(f"tunneld {TUNNELD_DEFAULT[0]}:{TUNNELD_DEFAULT[1]}", udid):
            rsd = await timed("tunneld", get_tunneld_device_by_udid(udid, TUNNELD_DEFAULT), target.timeout)
        if rsd is None:
            raise IosError(
                f"tunneld at {TUNNELD_DEFAULT[0]}:{TUNNELD_DEFAULT[1]} has no tunnel for {udid}: "
                "run `sudo pymobiledevice3 remote tunneld` with the device attached"
            )
        try:
            yield rsd
        finally:
            with contextlib.suppress(Exception):
                await rsd.close()
        return
    if major >= 17:
        raise IosError(
            f"{udid} runs iOS {client.product_version}: developer services need a tunnel on iOS 17+; "
            "pass --rsd HOST PORT (from `sudo pymobiledevice3 lockdown start-tunnel`) or --tunnel "
            "(with `sudo pymobiledevice3 remote tunneld` running)"
        )
    yield client


def _major(version: str | None) -> int:
    try:
        return int((version or "0").split(".")[0])
    except ValueError:
        return 0


def version_tuple(version: str | None) -> tuple[int, ...]:
    out = []
    for part in (version or "0").split("."):
        if not part.isdigit():
            break
        out.append(int(part))
    return tuple(out) or (0,)


async def gather_per_device(udids: list[str], fn: Callable[[str], Awaitable[T]]) -> list[T | BgprobeError]:
    """fn(udid) for every device at once; a device's error is returned in its place."""

    async def one(udid: str) -> T | BgprobeError:
        try:
            return await fn(udid)
        except BgprobeError as err:
            return err

    return list(await asyncio.gather(*(one(u) for u in udids)))


__all__ = [
    "DEFAULT_TIMEOUT",
    "Attached",
    "IosError",
    "IosTarget",
    "IosUsageError",
    "NotPaired",
    "connect",
    "developer_provider",
    "device_errors",
    "gather_per_device",
    "list_attached",
    "lockdown",
    "make_target",
    "resolve_udid",
    "resolve_usbmux",
    "run",
    "select_udids",
    "timed",
    "translate",
    "usbmux_configured",
    "version_tuple",
]
