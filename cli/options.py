"""The options every device command shares, declared once (typer `Annotated` aliases).

A command takes `serial: Serial = None` and gets the same flag, help text and checks as every
other command; a change here reaches them all. The environment fallbacks follow the ecosystem:
ANDROID_SERIAL for `-s`, ADB_SERVER_SOCKET / ANDROID_ADB_SERVER_ADDRESS / _PORT for the adb
server, USBMUXD_SOCKET_ADDRESS / PYMOBILEDEVICE3_USBMUX for usbmuxd, PYMOBILEDEVICE3_UDID for
`--udid`; they are read where the address is resolved (collectors/android/adb.py,
collectors/ios/address.py), since several variables with a precedence make one address.
"""

from __future__ import annotations

from typing import Annotated

import typer

Serial = Annotated[
    str | None,
    typer.Option("-s", "--serial", help="Android device serial (default: $ANDROID_SERIAL; else every online device)."),
]
AdbServers = Annotated[
    list[str] | None,
    typer.Option(
        "--adb-server",
        help="adb server HOST:PORT, repeatable (default: $ADB_SERVER_SOCKET, $ANDROID_ADB_SERVER_ADDRESS/PORT, 5037).",
    ),
]
Timeout = Annotated[float | None, typer.Option("--timeout", help="Seconds to wait for any one device call.")]
LockWait = Annotated[
    float | None,
    typer.Option(
        "--lock-wait",
        min=0,
        help="Seconds to wait for a phone another bgprobe is working on (default: $BGPROBE_LOCK_WAIT, else 60).",
    ),
]
Udid = Annotated[
    str | None,
    typer.Option("--udid", help="iOS device UDID (default: $PYMOBILEDEVICE3_UDID; else every attached iPhone)."),
]
Usbmux = Annotated[
    str | None,
    typer.Option(
        "--usbmux",
        help="usbmuxd address, HOST:PORT or a socket path (default: $USBMUXD_SOCKET_ADDRESS, /var/run/usbmuxd).",
    ),
]
Rsd = Annotated[
    tuple[str, int] | None,
    typer.Option(
        "--rsd",
        help="iOS 17+: RemoteServiceDiscovery HOST PORT of this phone's tunnel (`sudo pymobiledevice3 lockdown "
        "start-tunnel` on 17.4+, `remote start-tunnel` on 17.0-17.3).",
    ),
]
Tunnel = Annotated[
    bool,
    typer.Option(
        "--tunnel",
        help="iOS 17+: use the tunnel of a running `sudo pymobiledevice3 remote tunneld` for --udid "
        "($BGPROBE_TUNNELD=HOST:PORT if it is not on 127.0.0.1:49151).",
    ),
]
Json = Annotated[bool, typer.Option("--json", help="JSON lines on stdout instead of tables.")]


def _rate(text: str) -> float:
    """A completion rate as people write it: 0.95, 95% or 95 (read as a percentage)."""
    value = text.strip()
    try:
        rate = float(value[:-1]) / 100 if value.endswith("%") else float(value)
    except ValueError:
        raise typer.BadParameter(f"{text!r:.40}: expected a rate such as 0.95 or 95%") from None
    if rate > 1 and not value.endswith("%"):
        rate /= 100  # "95" means 95 %
    if not 0 <= rate <= 1:
        raise typer.BadParameter(f"{text!r:.40}: a rate is between 0 and 1 (or 0% and 100%)")
    return rate


FailUnder = Annotated[
    float | None,
    typer.Option(
        "--fail-under",
        parser=_rate,
        metavar="RATE",
        help="Exit 1 when the overall completion rate is below RATE (0.95 or 95%).",
    ),
]
