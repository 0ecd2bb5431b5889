"""A fleet of simulated phones behind real client stacks: adbd servers joined to a private adb
server with `adb connect`, and a usbmuxd serving the iPhones.

Used by `bgprobe sim`, `bgprobe demo` and the tests. The adb server is the real one (Debian's
`adb` when installed, else the one adbutils bundles), on its own port so the user's adb server
(5037) and its devices are never touched.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bgprobe.sim.android.adbd import AdbdServer, EventLoopThread
from bgprobe.sim.android.device import SimAndroidDevice
from bgprobe.sim.android.profile import DeviceProfile, default_profiles
from bgprobe.sim.android.shell import SimAndroidBackend
from bgprobe.sim.clock import SimClock


def adb_binary() -> str:
    """Debian's adb if installed, else the adb that adbutils ships."""
    found = shutil.which("adb")
    if found:
        return found
    bundled = Path(_adbutils().__file__).parent / "binaries" / "adb"
    if bundled.exists():
        return str(bundled)
    raise FileNotFoundError("no adb binary: install Debian's `adb` package or adbutils")


def _adbutils():
    """adbutils, imported with the user's $ANDROID_ADB_SERVER_PORT hidden when it is not a number:
    the import makes a default client that int()s it, and the simulator's own adb server has its
    own port anyway."""
    port = os.environ.get("ANDROID_ADB_SERVER_PORT")
    hide = "adbutils" not in sys.modules and port is not None and not port.strip().isdecimal()
    if hide:
        del os.environ["ANDROID_ADB_SERVER_PORT"]
    try:
        import adbutils
    finally:
        if hide:
            os.environ["ANDROID_ADB_SERVER_PORT"] = port
    return adbutils


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def adb_env(port: int, binary: str) -> dict[str, str]:
    # ADB_LIBUSB=0: no USB scan (instant start-up, and no real phones are picked up by our server)
    return {**os.environ, "ANDROID_ADB_SERVER_PORT": str(port), "ADB_LIBUSB": "0", "ADBUTILS_ADB_PATH": binary}


@dataclass
class AndroidInfo:
    serial: str  # what adb calls it: 127.0.0.1:PORT
    name: str  # the profile's serial (ro.serialno)
    release: str
    manufacturer: str
    model: str


@dataclass
class IosInfo:
    udid: str
    name: str
    version: str
    product_type: str


@dataclass
class FleetInfo:
    adb_server: str
    adb_binary: str
    usbmux: str | None
    speed: float
    seed: int
    android: list[AndroidInfo] = field(default_factory=list)
    ios: list[IosInfo] = field(default_factory=list)
    pid: int = 0

    def env_lines(self) -> list[str]:
        port = self.adb_server.rsplit(":", 1)[1]
        lines = [f"ADB_SERVER_SOCKET=tcp:{self.adb_server}", f"ANDROID_ADB_SERVER_PORT={port}"]
        if self.usbmux:
            lines.append(f"USBMUXD_SOCKET_ADDRESS={self.usbmux}")
        return lines

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "env": self.env_lines()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FleetInfo:
        data = dict(data)
        data.pop("env", None)
        data["android"] = [AndroidInfo(**a) for a in data.get("android", [])]
        data["ios"] = [IosInfo(**i) for i in data.get("ios", [])]
        return cls(**data)


class SimFleet:
    def __init__(
        self,
        android: list[DeviceProfile] | int = 4,
        ios: int | list[Any] = 1,
        *,
        speed: float = 60.0,
        seed: int = 1,
        adb_port: int | None = None,
        adb_path: str | None = None,
    ) -> None:
        self.profiles = default_profiles(android) if isinstance(android, int) else android
        self.ios_profiles = ios
        self.clock = SimClock(speed)
        self.seed = seed
        self.adb_port = adb_port or free_port()
        self.adb_path = adb_path or adb_binary()
        self.loop = EventLoopThread(name="bgprobe-sim")
        self.devices: dict[str, SimAndroidDevice] = {}  # by adb serial
        self.servers: dict[str, AdbdServer] = {}
        self.ios_sim: Any = None
        self.info: FleetInfo | None = None

    # -- start / stop ------------------------------------------------------------------------
    def start(self, timeout: float = 60.0) -> FleetInfo:
        self.loop.start()
        self.loop.call(self._start_android())
        usbmux, ios_infos = self._start_ios()
        self._start_adb_server()
        self._connect_all(timeout)
        self.info = FleetInfo(
            adb_server=f"127.0.0.1:{self.adb_port}",
            adb_binary=self.adb_path,
            usbmux=usbmux,
            speed=self.clock.speed,
            seed=self.seed,
            pid=os.getpid(),
            ios=ios_infos,
            android=[
                AndroidInfo(serial, d.profile.serial, d.profile.release, d.profile.manufacturer, d.profile.model)
                for serial, d in self.devices.items()
            ],
        )
        return self.info

    async def _start_android(self) -> None:
        for profile in self.profiles:
            device = SimAndroidDevice(profile, self.clock, seed=self.seed)
            server = AdbdServer(SimAndroidBackend(device))
            await server.start()
            device.start()
            self.devices[server.address] = device
            self.servers[server.address] = server

    def _start_ios(self) -> tuple[str | None, list[IosInfo]]:
        if not self.ios_profiles:
            return None, []
        from bgprobe.sim.ios.fleet import IosSimulator

        # The iPhones share the fleet's clock, so their logs line up with the Android ones.
        self.ios_sim = IosSimulator(self.ios_profiles, speed=self.clock.speed, seed=self.seed, clock=self.clock)
        address = self.ios_sim.start()
        infos = []
        for udid in self.ios_sim.udids:
            p = self.ios_sim.device(udid).profile
            infos.append(IosInfo(udid, p.name, p.product_version, p.product_type))
        return address, infos

    def _adb(self, *args: str, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.adb_path, "-P", str(self.adb_port), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=adb_env(self.adb_port, self.adb_path),
            stdin=subprocess.DEVNULL,
        )

    def _start_adb_server(self) -> None:
        # A "free" port can be taken between our probe and adb's bind (another adb server, another
        # test run): then adb talks to a stranger and reports a protocol fault. Try a fresh port.
        for attempt in range(3):
            result = self._adb("start-server")
            if result.returncode == 0:
                return
            if attempt < 2:
                self.adb_port = free_port()
        raise RuntimeError(f"adb start-server failed: {result.stderr.strip() or result.stdout.strip()}")

    def _connect_all(self, timeout: float) -> None:
        client = _adbutils().AdbClient(host="127.0.0.1", port=self.adb_port, socket_timeout=10)
        for serial in self.devices:
            client.connect(serial, timeout=10)
        self.wait_until_online(list(self.devices), timeout)

    def wait_until_online(self, serials: list[str], timeout: float = 30.0) -> None:
        client = _adbutils().AdbClient(host="127.0.0.1", port=self.adb_port, socket_timeout=10)
        deadline = time.monotonic() + timeout
        while True:
            states = {d.serial: d.state for d in client.list()}
            missing = [s for s in serials if states.get(s) != "device"]
            if not missing:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"devices not online after {timeout:.0f}s: {', '.join(missing)}")
            for serial in missing:
                if serial not in states:
                    client.connect(serial, timeout=5)
            time.sleep(0.1)

    def stop(self) -> None:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            self._adb("kill-server", timeout=15)
        try:
            self.loop.call(self._stop_all())
        except RuntimeError:  # the loop never started
            return
        if self.ios_sim is not None:
            self.ios_sim.stop()
        self.loop.stop()

    async def _stop_all(self) -> None:
        for device in self.devices.values():
            await device.stop()
        for server in self.servers.values():
            await server.stop()

    def __enter__(self) -> SimFleet:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- fault injection (tests, demo) -------------------------------------------------------
    def device(self, serial: str) -> SimAndroidDevice:
        return self.devices[serial]

    def reboot(self, serial: str, down_seconds: float = 0.5) -> None:
        """State lost, the device comes back on the same address (the adb server reconnects)."""
        server, device = self.servers[serial], self.devices[serial]

        async def cycle() -> None:
            await server.go_offline()
            await device.stop()
            device.reset()
            import asyncio

            await asyncio.sleep(down_seconds)
            await server.come_back()
            device.start()

        self.loop.call(cycle())

    def lose_device_on(self, serial: str, command_part: str) -> None:
        """The device goes offline as soon as a command containing `command_part` reaches it."""
        backend = self.servers[serial].backend
        backend.faults[command_part] = self.servers[serial].go_offline  # type: ignore[attr-defined]  # the simulated adbd has faults

    def disconnect(self, serial: str) -> None:
        self.loop.call(self.servers[serial].disconnect())

    def go_offline(self, serial: str) -> None:
        self.loop.call(self.servers[serial].go_offline())

    def come_back(self, serial: str) -> None:
        self.loop.call(self.servers[serial].come_back())
