"""The Android transport: adb servers (local or a farm host's) through adbutils, with a timeout on
every call and device loss turned into one clear error.

Server addresses follow adb's conventions: `--adb-server HOST:PORT` (repeatable), else
`ADB_SERVER_SOCKET=tcp:HOST:PORT`, else `ANDROID_ADB_SERVER_ADDRESS` / `ANDROID_ADB_SERVER_PORT`,
else 127.0.0.1:5037. (adbutils itself reads only ANDROID_ADB_SERVER_HOST/PORT, and silently runs
`adb start-server` on the default port when it cannot connect: we probe servers first.)

Every argument that reaches the device shell is quoted with shlex.quote: nothing a user typed is
ever interpreted by the device's shell.
"""

from __future__ import annotations

import atexit
import contextlib
import math
import os
import re
import shlex
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from typing import Any

from bgprobe.collectors.errors import BgprobeError, DeviceError

DEFAULT_TIMEOUT = 20.0


_IMPORT = threading.Lock()


def _adbutils() -> Any:  # adbutils has no types
    """adbutils (with requests) costs ~0.15 s to import: only commands that reach a device pay it.

    Importing it makes a default client that int()s $ANDROID_ADB_SERVER_PORT: an empty or odd value
    would crash the import. bgprobe always gives adbutils the address itself (server_addresses says
    what is wrong with that variable when it is the one used), so it is hidden while importing."""
    with _IMPORT:
        port = os.environ.get("ANDROID_ADB_SERVER_PORT")
        hide = "adbutils" not in sys.modules and port is not None and not port.strip().isdecimal()
        if hide:
            del os.environ["ANDROID_ADB_SERVER_PORT"]
        try:
            import adbutils
        finally:
            if hide:
                os.environ["ANDROID_ADB_SERVER_PORT"] = port  # type: ignore[assignment]  # hidden: it was set
    return adbutils


@cache
def _client_class() -> type:
    adbutils = _adbutils()

    class VersionCachingClient(adbutils.AdbClient):  # type: ignore[misc,name-defined]  # adbutils: untyped, lazy
        """adbutils asks the server for its version before every shell call that has no transport id:
        one more connection, and a 10 ms pause in its close, per call. One server's version does not
        change while bgprobe talks to it, so it is asked once per client."""

        _version: int | None = None

        def server_version(self) -> int:
            if self._version is None:
                self._version = super().server_version()
            return self._version

    return VersionCachingClient


class DeviceLost(DeviceError):
    def __init__(self, serial: str, detail: str = "") -> None:
        super().__init__(f"device {serial} was lost (disconnected or offline){': ' + detail if detail else ''}")
        self.serial = serial


class ServerUnreachable(DeviceError):
    pass


# A host name, an IPv4 address or an IPv6 address (brackets removed): nothing else reaches a socket.
_HOST = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?|[0-9A-Fa-f:.]+)$")


@dataclass(frozen=True)
class AdbServer:
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"

    @classmethod
    def parse(cls, text: str, source: str = "--adb-server") -> AdbServer:
        """`HOST:PORT` (or adb's `tcp:HOST:PORT`); `source` names where the text came from."""
        value = text.strip().removeprefix("tcp:")
        host, sep, port = value.rpartition(":")
        host = host.strip("[]") or "127.0.0.1"
        if not sep or not port.isdecimal() or not (0 < int(port) < 65536) or not _HOST.match(host):
            raise BgprobeError(
                f"bad adb server address {text!r} ({source}): expected HOST:PORT with a port from 1 to 65535 "
                "(e.g. 127.0.0.1:5037)"
            )
        return cls(host, int(port))


def server_addresses(explicit: list[str] | None = None) -> list[AdbServer]:
    if explicit:
        return list(dict.fromkeys(AdbServer.parse(s) for s in explicit))
    sock = os.environ.get("ADB_SERVER_SOCKET")
    if sock:
        return [AdbServer.parse(sock, "$ADB_SERVER_SOCKET")]
    host = os.environ.get("ANDROID_ADB_SERVER_ADDRESS", "127.0.0.1")
    port = os.environ.get("ANDROID_ADB_SERVER_PORT", "5037")
    return [AdbServer.parse(f"{host}:{port}", "$ANDROID_ADB_SERVER_ADDRESS / $ANDROID_ADB_SERVER_PORT")]


MAX_TIMEOUT = 86400.0  # a day: longer is a typo, and sockets and event loops overflow on huge ones


def check_timeout(timeout: float) -> float:
    """A time-out is a number of seconds above zero (sockets refuse the others, deep inside adbutils)."""
    if not (isinstance(timeout, int | float) and math.isfinite(timeout) and 0 < timeout <= MAX_TIMEOUT):
        raise BgprobeError(
            f"--timeout {timeout:g}: expected seconds above 0 and at most {MAX_TIMEOUT:g} (e.g. --timeout 20)"
        )
    return timeout


def quote_command(args: list[str]) -> str:
    return " ".join(shlex.quote(str(a)) for a in args)


@dataclass
class CommandOutput:
    stdout: str
    stderr: str
    status: int

    @property
    def text(self) -> str:
        """stdout and stderr together: `cmd` tools print errors to either, depending on the version."""
        return self.stdout + self.stderr


def parse_getprop(text: str) -> dict[str, str]:
    """`getprop`'s listing, one `[key]: [value]` per line (a value may hold brackets of its own)."""
    props: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("[") and "]: [" in line:
            key, _, value = line[1:].partition("]: [")
            props[key] = value.rstrip("]")
    return props


class AndroidDevice:
    """One device on one adb server: run commands, stream logs, pull files."""

    def __init__(self, server: AdbServer, serial: str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.server = server
        self.serial = serial
        self.timeout = timeout
        self._client = _client_class()(host=server.host, port=server.port, socket_timeout=timeout)
        self._device = self._client.device(serial)
        self._v2: bool | None = None
        self._key: str | None = None

    @property
    def key(self) -> str:
        """The device's own identity (ro.serialno) for its journal: stable when the same phone is
        reached through another adb server, port or `adb connect` address (two farm hosts may
        both call their emulator `emulator-5554`). The adb serial when the phone has none."""
        if self._key is None:
            self._key = self.text(["getprop", "ro.serialno"]).strip() or self.serial
        return self._key

    def run(self, args: list[str], *, timeout: float | None = None) -> CommandOutput:
        """Run `args` (each one quoted) in the device shell."""
        adbutils = _adbutils()
        command = quote_command(args)
        try:
            if self._v2 is None:
                self._v2 = "shell_v2" in self._device.get_features().split(",")
            result = self._device.shell2(command, timeout=timeout or self.timeout, v2=self._v2)
        except adbutils.AdbTimeout as exc:
            raise DeviceError(
                f"device {self.serial}: `{command}` timed out after {timeout or self.timeout:.0f}s"
            ) from exc
        except (adbutils.AdbError, EOFError, ConnectionError, OSError) as exc:
            raise DeviceLost(self.serial, str(exc) or type(exc).__name__) from exc
        return CommandOutput(result.stdout, result.stderr, result.returncode)

    def text(self, args: list[str], *, timeout: float | None = None) -> str:
        return self.run(args, timeout=timeout).text

    def stream_lines(self, args: list[str], *, opened: Callable[[socket.socket], None] | None = None) -> Iterator[str]:
        """Lines of an endless command (`logcat`); ends when the device goes away (adbutils reports
        that as a clean EOF, so the caller learns of it by the stream ending). `opened` gets the
        stream's socket: shutting it down from another thread ends the stream at once."""
        adbutils = _adbutils()
        try:
            conn = self._device.shell(quote_command(args), stream=True)
        except (adbutils.AdbError, EOFError, OSError) as exc:
            raise DeviceLost(self.serial, str(exc)) from exc
        if opened is not None:
            opened(conn.conn)
        try:
            conn.conn.settimeout(None)
            reader = conn.conn.makefile("rb")
            for raw in reader:
                yield raw.decode("utf-8", "replace").rstrip("\r\n")
        except OSError as exc:
            raise DeviceLost(self.serial, str(exc)) from exc
        finally:
            conn.close()

    def pull(self, path: str, dest: str) -> None:
        adbutils = _adbutils()
        try:
            self._device.sync.pull(path, dest)
        except (adbutils.AdbError, EOFError, OSError) as exc:
            raise DeviceLost(self.serial, str(exc)) from exc

    def getprops(self) -> dict[str, str]:
        """All properties in one round-trip."""
        props = parse_getprop(self.text(["getprop"]))
        if self._key is None and props.get("ro.serialno"):
            self._key = props["ro.serialno"]
        return props


def _probe(server: AdbServer, timeout: float = 2.0) -> bool:
    try:
        with socket.create_connection((server.host, server.port), timeout=timeout):
            return True
    except OSError:
        return False


def _start_local_server(server: AdbServer) -> None:
    """Like the adb CLI, the default local server is started when it is not running. Never a
    remote one, nor one on a port someone chose (a farm's or the simulator's): that one is
    expected to be there, and a stray server started in its place would hide the problem."""
    if server.host not in ("127.0.0.1", "localhost", "::1") or server.port != 5037:
        return
    adbutils = _adbutils()
    from shutil import which

    adb = os.environ.get("ADBUTILS_ADB_PATH") or which("adb") or adbutils.adb_path()
    env = {**os.environ, "ANDROID_ADB_SERVER_PORT": str(server.port)}
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        subprocess.run(
            [adb, "-P", str(server.port), "start-server"],
            capture_output=True,
            timeout=20,
            env=env,
            stdin=subprocess.DEVNULL,
        )
        # The machine is left as it was found: the server bgprobe started goes with it (CI runners wait
        # on stray daemons, and the next job's adb may be another version). BGPROBE_KEEP_ADB_SERVER=1 keeps it.
        if os.environ.get("BGPROBE_KEEP_ADB_SERVER") != "1" and _probe(server):
            atexit.register(_kill_server, adb, server, env)


def _kill_server(adb: str, server: AdbServer, env: dict[str, str]) -> None:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        subprocess.run(
            [adb, "-P", str(server.port), "kill-server"],
            capture_output=True,
            timeout=10,
            env=env,
            stdin=subprocess.DEVNULL,
        )


def ensure_server(server: AdbServer) -> None:
    if _probe(server):
        return
    _start_local_server(server)
    if not _probe(server):
        raise ServerUnreachable(f"adb server {server} is not reachable (is adb running there? see --adb-server)")


@dataclass
class ListedDevice:
    server: AdbServer
    serial: str
    state: str


def list_devices(servers: list[AdbServer], *, timeout: float = DEFAULT_TIMEOUT) -> list[ListedDevice]:
    """Every device of every server, the servers asked in parallel."""
    check_timeout(timeout)

    def one(server: AdbServer) -> list[ListedDevice]:
        adbutils = _adbutils()
        ensure_server(server)
        client = adbutils.AdbClient(host=server.host, port=server.port, socket_timeout=timeout)
        try:
            return [ListedDevice(server, d.serial, d.state) for d in client.list()]
        except (adbutils.AdbError, OSError) as exc:
            raise ServerUnreachable(f"adb server {server}: {exc}") from exc

    with ThreadPoolExecutor(max_workers=max(1, len(servers))) as pool:
        results = list(pool.map(one, servers))
    return [d for group in results for d in group]


def _own_serial(listed: ListedDevice, timeout: float) -> str | None:
    try:
        return AndroidDevice(listed.server, listed.serial, timeout=timeout).key
    except DeviceError:
        return None


def select_devices(
    servers: list[AdbServer], serial: str | None, *, all_devices: bool = True, timeout: float = DEFAULT_TIMEOUT
) -> list[AndroidDevice]:
    """The devices a command acts on: `-s SERIAL` / $ANDROID_SERIAL, else every online device."""
    serial = serial or os.environ.get("ANDROID_SERIAL") or None
    listed = list_devices(servers, timeout=timeout)
    if serial is not None:
        matches = [d for d in listed if d.serial == serial or f"{d.server}/{d.serial}" == serial]
        if not matches:
            # Also the phone's own serial (ro.serialno, the journal key): a farm's phone reached through
            # `adb connect HOST:PORT`, or a simulated phone, is known by its name rather than its address.
            matches = [d for d in listed if d.state == "device" and _own_serial(d, timeout) == serial]
        if not matches:
            raise DeviceError(f"device {serial} not found on adb server(s) {', '.join(map(str, servers))}")
        if matches[0].state != "device":
            raise DeviceLost(serial, f"state is {matches[0].state}")
        return [AndroidDevice(matches[0].server, matches[0].serial, timeout=timeout)]
    online = [d for d in listed if d.state == "device"]
    if not online:
        raise DeviceError(f"no Android device online on adb server(s) {', '.join(map(str, servers))}")
    if not all_devices and len(online) > 1:
        raise BgprobeError(f"{len(online)} devices are online: choose one with -s SERIAL (or ANDROID_SERIAL)")
    return [AndroidDevice(d.server, d.serial, timeout=timeout) for d in online]
