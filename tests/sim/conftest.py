"""Fixtures that put simulated devices behind the REAL adb server (adb 29 from Debian and the
adb 36 that adbutils bundles), isolated per test session.

- `adb_host`     (session, parametrised adb29/adb36): a private adb server → AdbHost
- `adbd_loop`    (session): the EventLoopThread every simulated adbd of the session runs on
- `adbd_factory` (function): start(backend, features=...) → SimAndroid, connected and `device`
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Callable, Coroutine, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import adbutils
import pytest
from bgprobe.sim.android.adbd import DEFAULT_FEATURES, AdbdServer, EventLoopThread
from bgprobe.sim.android.backend import AndroidBackend

T = TypeVar("T")

ADB_BINARIES = {
    "adb29": Path("/usr/bin/adb"),
    "adb36": Path(adbutils.__file__).parent / "binaries" / "adb",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


@dataclass
class AdbHost:
    """A private adb server: its binary, its port and the environment that targets it."""

    name: str  # "adb29" / "adb36"
    binary: Path
    port: int
    env: dict[str, str]

    def run(self, *args: str, timeout: float = 20.0, text: bool = True) -> subprocess.CompletedProcess[Any]:
        return subprocess.run(
            [str(self.binary), *args],
            env=self.env,
            capture_output=True,
            stdin=subprocess.DEVNULL,  # the CLI would forward our stdin as shell input otherwise
            timeout=timeout,
            text=text,
        )

    def client(self, socket_timeout: float = 10.0) -> adbutils.AdbClient:
        return adbutils.AdbClient(host="127.0.0.1", port=self.port, socket_timeout=socket_timeout)

    def devices(self) -> dict[str, str]:
        """serial → state, from `adb devices` (the CLI, as a user sees it)."""
        lines = self.run("devices").stdout.splitlines()[1:]
        return dict(line.split("\t", 1) for line in lines if "\t" in line)

    def state(self, serial: str) -> str | None:
        return self.devices().get(serial)

    def wait_state(self, serial: str, state: str | None, timeout: float = 15.0) -> float:
        """Poll until `serial` is in `state` (None: gone); the seconds it took. Fails on timeout."""
        start = time.monotonic()
        if not wait_until(lambda: self.state(serial) == state, timeout, 0.1):
            pytest.fail(f"{self.name}: {serial} not {state!r} after {timeout}s: {self.devices()}")
        return time.monotonic() - start


@pytest.fixture(scope="session", params=sorted(ADB_BINARIES))
def adb_host(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AdbHost]:
    name = request.param
    binary = ADB_BINARIES[name]
    if not binary.exists():
        pytest.skip(f"{binary} is not installed")
    port = free_port()
    home = tmp_path_factory.mktemp(f"{name}-home")  # adb keeps its RSA key in ~/.android
    isolated = {
        "ANDROID_ADB_SERVER_PORT": str(port),  # honoured by the CLI and by adbutils
        "ADB_LIBUSB": "0",  # no USB scan: adb 36 starts in ms instead of 3 s
        "ADBUTILS_ADB_PATH": str(binary),  # adbutils starts this one if it finds no server
        "ADB_MDNS": "0",
    }
    host = AdbHost(name, binary, port, {**os.environ, **isolated, "HOME": str(home)})
    with pytest.MonkeyPatch.context() as mp:
        for key, value in isolated.items():
            mp.setenv(key, value)  # for product code under test that uses adbutils' defaults
        started = host.run("start-server", timeout=30)
        assert started.returncode == 0, started.stderr
        try:
            yield host
        finally:
            host.run("kill-server", timeout=10)


@pytest.fixture(scope="session")
def adbd_loop() -> Iterator[EventLoopThread]:
    loop = EventLoopThread("sim-adbd").start()
    yield loop
    loop.stop()


@dataclass
class SimAndroid:
    """A simulated device connected to an AdbHost."""

    server: AdbdServer
    host: AdbHost
    loop: EventLoopThread
    backend: AndroidBackend
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def serial(self) -> str:
        return self.server.address

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        return self.loop.call(coro, timeout)

    def device(self, socket_timeout: float = 10.0) -> adbutils.AdbDevice:
        return self.host.client(socket_timeout).device(self.serial)


@pytest.fixture
def adbd_factory(adb_host: AdbHost, adbd_loop: EventLoopThread) -> Iterator[Callable[..., SimAndroid]]:
    """start(backend, features=DEFAULT_FEATURES) → SimAndroid already `device` in `adb devices`."""
    started: list[SimAndroid] = []

    def start(backend: AndroidBackend, features: Iterable[str] = DEFAULT_FEATURES) -> SimAndroid:
        server = AdbdServer(backend, features=features)
        adbd_loop.call(server.start())
        sim = SimAndroid(server, adb_host, adbd_loop, backend)
        started.append(sim)
        out = adb_host.run("connect", server.address)
        assert "connected to" in out.stdout, out.stdout + out.stderr
        adb_host.wait_state(server.address, "device", timeout=10)
        return sim

    yield start
    for sim in started:
        adb_host.run("disconnect", sim.serial)  # first, or the adb server keeps reconnecting
        adbd_loop.call(sim.server.stop())
