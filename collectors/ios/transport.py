"""Reaching iPhones through pymobiledevice3 11.x (asyncio-only) from bgprobe's synchronous CLI.

- usbmuxd address: `--usbmux`, else `$PYMOBILEDEVICE3_USBMUX`, else `$USBMUXD_SOCKET_ADDRESS`, else the
  platform default (/var/run/usbmuxd). `HOST:PORT` is TCP, anything else a UNIX socket path; the
  libusbmuxd spelling `UNIX:/path` is accepted too (pymobiledevice3 itself would crash on it; docs/ios-commands.md).
- device: `--udid`, else `$PYMOBILEDEVICE3_UDID`, else every attached device.
- lockdown with `autopair=False`: a device that is not paired with this computer is never asked
  to pair (that would block on the on-device Trust dialog); it is a `NotPaired` error (exit 3) that
  says what to do.
- every device call runs under a timeout; usbmuxd/device errors become `IosError` (exit 3).
- developer services (DVT, debugserver) need the Developer Disk Image mounted and, from iOS 16, Developer Mode;
  before iOS 17 lockdown starts them, from 17 a RemoteServiceDiscovery tunnel does: `--rsd HOST PORT` (checked
  against the UDID) or `--tunnel` (a root `pymobiledevice3 remote tunneld`, at $BGPROBE_TUNNELD or 127.0.0.1:49151).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from bgprobe.collectors.errors import BgprobeError, DeviceError
from bgprobe.collectors.ios.address import (  # noqa: F401 - re-exported: transport is the iOS API
    DEFAULT_TIMEOUT,
    DEFAULT_USBMUX_SOCKET,
    ENV_PAIRING_DIR,
    ENV_UDID,
    ENV_USBMUX,
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
ENV_TUNNELD = "BGPROBE_TUNNELD"  # HOST:PORT of a tunneld on another port


def tunneld_address() -> tuple[str, int]:
    value = os.environ.get(ENV_TUNNELD, "").strip()
    if not value:
        return TUNNELD_DEFAULT
    host, _, port = value.rpartition(":")
    if not host or not port.isdecimal() or not 0 < int(port) < 65536:
        raise IosUsageError(
            f"${ENV_TUNNELD}={value!r}: expected HOST:PORT of a running `pymobiledevice3 remote tunneld`"
        )
    return host, int(port)


class IosError(DeviceError):
    pass


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


# -- developer services and iOS 17+ tunnels ---------------------------------------------------


def tunnel_hint(version: str | None) -> str:
    """How to get a tunnel to this iOS version. `lockdown start-tunnel` goes through CoreDeviceProxy, which iOS
    17.0-17.3 does not have (pymobiledevice3 remote/rsd_tunnel.py, userspace_tunnel.py); tunneld serves both."""
    if version_tuple(version) >= (17, 4):
        return (
            "pass --rsd HOST PORT (from `sudo pymobiledevice3 lockdown start-tunnel`) or --tunnel (with "
            "`sudo pymobiledevice3 remote tunneld` running)"
        )
    return (
        "iOS 17.0-17.3 has no CoreDeviceProxy, so `lockdown start-tunnel` (iOS 17.4+) cannot reach it: run "
        "`sudo pymobiledevice3 remote tunneld` and pass --tunnel, or pass --rsd HOST PORT from "
        "`sudo pymobiledevice3 remote start-tunnel`"
    )


def check_rsd_udid(rsd: Any, udid: str, where: str) -> None:
    """An RSD tunnel belongs to one phone: refuse one that is not --udid's (a condition must not land elsewhere)."""
    other = getattr(rsd, "udid", None)
    if other and other != udid:
        raise IosUsageError(f"{where} is the tunnel of {other}, not of {udid}: pass the --rsd HOST PORT of {udid}")


async def tunneld_rsd(target: IosTarget, udid: str) -> Any:
    """The RSD of `udid` from a running tunneld. pymobiledevice3's get_tunneld_device_by_udid skips a tunnel it
    cannot connect to and then indexes an empty list (IndexError): connect here, and say which tunnel failed."""
    from pymobiledevice3.remote.remote_service_discovery import RemoteServiceDiscoveryService
    from pymobiledevice3.tunneld.api import get_tunneld_tunnels

    where = tunneld_address()
    shown = f"{where[0]}:{where[1]}"
    async with device_errors(f"tunneld {shown}", udid):
        try:
            tunnels = await timed(f"tunneld {shown}", get_tunneld_tunnels(where), target.timeout)
        except Exception as exc:
            from pymobiledevice3.exceptions import TunneldConnectionError

            if isinstance(exc, TunneldConnectionError):
                raise IosError(
                    f"no tunneld answers at {shown}: start `sudo pymobiledevice3 remote tunneld` (or point "
                    f"${ENV_TUNNELD} at the one you run)"
                ) from exc
            raise
    entries = [t for t in (tunnels or {}).get(udid, []) if isinstance(t, dict)]
    if not entries:
        raise IosError(
            f"tunneld at {shown} has no tunnel for {udid}: run `sudo pymobiledevice3 remote tunneld` with the "
            "device attached (and unlocked)"
        )
    failures = []
    for t in entries:
        address = (str(t.get("tunnel-address")), int(t.get("tunnel-port") or 0))
        rsd = RemoteServiceDiscoveryService(address, name=t.get("interface"))
        try:
            await timed(f"RSD [{address[0]}]:{address[1]}", rsd.connect(), target.timeout)
        except Exception as exc:  # every way a listed tunnel can be dead: refused, reset, timed out, torn down
            failures.append(f"[{address[0]}]:{address[1]} ({translate(exc, 'RSD', udid).message})")
            with contextlib.suppress(Exception):
                await rsd.close()
            continue
        check_rsd_udid(rsd, udid, f"tunneld's tunnel [{address[0]}]:{address[1]}")
        return rsd
    raise IosError(
        f"tunneld at {shown} lists a tunnel for {udid} but it cannot be reached: {'; '.join(failures)}; "
        "the device was unplugged or locked, or tunneld lost it: restart `sudo pymobiledevice3 remote tunneld`"
    )


@contextlib.asynccontextmanager
async def developer_provider(target: IosTarget, udid: str, client: LockdownClient) -> AsyncIterator[Any]:
    """The service provider for developer services: lockdown before iOS 17, an RSD tunnel from 17.

    The RSD paths are not exercised against a phone (the simulator serves no RemoteXPC): see docs/ios-commands.md.
    """
    major = _major(client.product_version)
    if target.rsd is not None:
        from pymobiledevice3.remote.remote_service_discovery import RemoteServiceDiscoveryService

        where = f"--rsd {target.rsd[0]} {target.rsd[1]}"
        rsd = RemoteServiceDiscoveryService(target.rsd)
        async with device_errors(f"RSD tunnel {target.rsd[0]}:{target.rsd[1]}", udid):
            await timed(f"RSD {target.rsd[0]} {target.rsd[1]}", rsd.connect(), target.timeout)
        try:
            check_rsd_udid(rsd, udid, where)
            yield rsd
        finally:
            with contextlib.suppress(Exception):
                await rsd.close()
        return
    if target.tunnel:
        rsd = await tunneld_rsd(target, udid)
        try:
            yield rsd
        finally:
            with contextlib.suppress(Exception):
                await rsd.close()
        return
    if major >= 17:
        raise IosError(
            f"{udid} runs iOS {client.product_version}: developer services need a tunnel on iOS 17+; "
            + tunnel_hint(client.product_version)
        )
    yield client


async def developer_mode(client: Any, timeout: float) -> bool | None:
    """Developer Mode on? None below iOS 16, which has no such setting (pymobiledevice3 `has_developer_mode`:
    16.0), whatever an old lockdownd answers for the key."""
    if version_tuple(client.product_version) < (16,):
        return None
    return bool(await timed("developer mode", client.get_developer_mode_status(), timeout))


def ddi_image_type(version: str | None) -> str:
    """The image developer services come from: "Developer" before iOS 17, "Personalized" from 17."""
    return "Personalized" if version_tuple(version) >= (17,) else "Developer"


async def ddi_mounted(client: Any, timeout: float) -> bool:
    """Whether the Developer Disk Image is mounted (MobileImageMounterService.is_image_mounted)."""
    from pymobiledevice3.services.mobile_image_mounter import MobileImageMounterService

    async with MobileImageMounterService(client) as mounter:
        return bool(
            await timed(
                "Developer Disk Image", mounter.is_image_mounted(ddi_image_type(client.product_version)), timeout
            )
        )


def ddi_missing_message(udid: str, version: str | None) -> str:
    what = "personalized Developer Disk Image" if version_tuple(version) >= (17,) else "Developer Disk Image"
    return (
        f"the {what} is not mounted on {udid}: mount it with `pymobiledevice3 mounter auto-mount --udid {udid}` "
        "(it downloads the image; from iOS 17 Apple signs it over the Internet)"
    )


async def require_developer_services(client: Any, target: IosTarget, udid: str) -> None:
    """Before DVT or debugserver: name what is missing (Developer Mode, the DDI) rather than let the service
    start fail with a bare InvalidService."""
    async with device_errors("developer services", udid):
        mode = await developer_mode(client, target.timeout)
        if mode is False:
            raise IosError(
                f"Developer Mode is off on {udid}: turn it on in Settings › Privacy & Security › Developer Mode "
                "(the phone restarts)"
            )
        if not await ddi_mounted(client, target.timeout):
            raise IosError(ddi_missing_message(udid, client.product_version))


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
    "check_rsd_udid",
    "connect",
    "ddi_mounted",
    "developer_mode",
    "developer_provider",
    "device_errors",
    "gather_per_device",
    "list_attached",
    "lockdown",
    "make_target",
    "require_developer_services",
    "resolve_udid",
    "resolve_usbmux",
    "run",
    "select_udids",
    "timed",
    "translate",
    "tunnel_hint",
    "tunneld_address",
    "usbmux_configured",
    "version_tuple",
]
