"""Where iPhones are: usbmuxd addresses, UDIDs and tunnels, resolved from options and environment.

Kept apart from transport.py (asyncio and pymobiledevice3) so that every command can take the
iOS options without paying for those imports.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

from bgprobe.collectors.errors import UsageError

DEFAULT_TIMEOUT = 10.0
MAX_TIMEOUT = 86400.0  # a day: longer is a typo, and event loops overflow on huge ones
DEFAULT_USBMUX_SOCKET = "/var/run/usbmuxd"
ENV_USBMUX = ("PYMOBILEDEVICE3_USBMUX", "USBMUXD_SOCKET_ADDRESS")
ENV_UDID = "PYMOBILEDEVICE3_UDID"
ENV_PAIRING_DIR = "BGPROBE_PAIRING_RECORDS"


class IosUsageError(UsageError):
    pass


@dataclass(frozen=True)
class IosTarget:
    """Where and what: the usbmuxd address (None: platform default), one UDID or all, the tunnel."""

    usbmux: str | None = None
    udid: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    rsd: tuple[str, int] | None = None
    tunnel: bool = False

    @property
    def where(self) -> str:
        return self.usbmux or DEFAULT_USBMUX_SOCKET


def resolve_usbmux(value: str | None) -> str | None:
    """The usbmuxd address to hand to pymobiledevice3 (None = its platform default)."""
    source = "--usbmux"
    if not value:
        for name in ENV_USBMUX:
            if os.environ.get(name):
                value, source = os.environ[name], f"${name}"
                break
    if not value:
        return None
    value = value.strip()
    if value.upper().startswith("UNIX:"):
        return value[5:]
    if value.lower().startswith("tcp:"):
        value = value[4:]
    if value.startswith("[") or value.count(":") > 1:
        raise IosUsageError(
            f"usbmux address {value!r} ({source}): IPv6 addresses are not supported by pymobiledevice3; "
            "use an IPv4 HOST:PORT or a socket path"
        )
    if ":" in value:
        host, _, port = value.partition(":")
        if not port.isdecimal() or not host or not 0 < int(port) < 65536:
            raise IosUsageError(
                f"usbmux address {value!r} ({source}): expected HOST:PORT with a port from 1 to 65535, or a socket path"
            )
    return value


def usbmux_configured(value: str | None) -> bool:
    """Whether an iOS lookup is worth it: an address was given, or the default socket exists."""
    if value or any(os.environ.get(n) for n in ENV_USBMUX):
        return True
    return Path(DEFAULT_USBMUX_SOCKET).exists()


def resolve_udid(value: str | None) -> str | None:
    return value or os.environ.get(ENV_UDID) or None


def make_target(
    usbmux: str | None = None,
    udid: str | None = None,
    timeout: float | None = None,
    rsd: tuple[str, int] | None = None,
    tunnel: bool = False,
) -> IosTarget:
    if timeout is not None and not (math.isfinite(timeout) and 0 <= timeout <= MAX_TIMEOUT):
        raise IosUsageError(
            f"--timeout {timeout:g}: expected seconds above 0 and at most {MAX_TIMEOUT:g} (e.g. --timeout 20)"
        )
    if rsd is not None and not 0 < rsd[1] < 65536:
        raise IosUsageError(f"--rsd {rsd[0]} {rsd[1]}: the port is from 1 to 65535")
    return IosTarget(resolve_usbmux(usbmux), resolve_udid(udid), timeout or DEFAULT_TIMEOUT, rsd, tunnel)
