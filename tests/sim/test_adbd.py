"""The simulated adbd behind the real adb server (adb 29 and adb 36), adbutils and the adb CLI."""

from __future__ import annotations

import asyncio
import random
import shlex
import socket
import struct
import threading
import time
from pathlib import Path

import pytest
from adbutils.errors import AdbError
from bgprobe.sim.android.adbd import (
    A_CLSE,
    A_CNXN,
    A_OKAY,
    A_OPEN,
    A_VERSION,
    A_WRTE,
    DEFAULT_FEATURES,
    HEADER,
    AdbdServer,
    EventLoopThread,
    encode_packet,
)
from bgprobe.sim.android.backend import Writer

BIG = random.Random(7).randbytes(3 * 1024 * 1024)
PULL_FILE = "/sdcard/Download/report.bin"
PULL_DATA = random.Random(8).randbytes(200_000)
V1_FEATURES = [f for f in DEFAULT_FEATURES if f != "shell_v2"]


class EchoBackend:
    """A tiny phone: a few canned commands, an endless logcat and one file."""

    serial = "SIMECHO01"

    def __init__(self) -> None:
        self.props = {"ro.build.version.release": "14", "ro.product.model": "SimPhone 9"}
        self.commands: list[str] = []
        self.logcat_started = threading.Event()
        self.logcat_cancelled = threading.Event()

    def banner_properties(self) -> dict[str, str]:
        return {"ro.product.name": "simphone", "ro.product.model": "SimPhone_9", "ro.product.device": "sim"}

    def read_file(self, path: str) -> bytes | None:
        return PULL_DATA if path == PULL_FILE else None

    async def execute(self, command: str, out: Writer, err: Writer) -> int:
        self.commands.append(command)
        # adbutils' shell2() without shell_v2 appends this to learn the exit status
        inner, marker, _ = command.partition("; echo X4EXIT:$?")
        code = await self._run(shlex.split(inner), out, err)
        if marker:
            await out(f"X4EXIT:{code}\n".encode())
        return code

    async def _run(self, argv: list[str], out: Writer, err: Writer) -> int:
        match argv:
            case ["getprop", name]:
                await out(f"{self.props.get(name, '')}\n".encode())
            case ["echo", *words]:
                await out((" ".join(words) + "\n").encode())
            case ["fail"]:
                await out(b"partial\n")
                await err(b"something failed\n")
                return 3
            case ["exit", code]:
                return int(code)
            case ["big"]:
                await out(BIG)
            case ["logcat", *options]:
                await self._logcat(out, dump="-d" in options)
            case _:
                await err(f"/system/bin/sh: {argv[0] if argv else ''}: not found\n".encode())
                return 127
        return 0

    async def _logcat(self, out: Writer, dump: bool) -> None:
        self.logcat_started.set()
        try:
            for n in range(3 if dump else 10**9):
                await out(f"line {n}\n".encode())
                await asyncio.sleep(0.005)
        except asyncio.CancelledError:
            self.logcat_cancelled.set()
            raise


@pytest.fixture
def backend() -> EchoBackend:
    return EchoBackend()


@pytest.fixture
def sim(adbd_factory, backend):
    return adbd_factory(backend)


# ---------------------------------------------------------------------------------------------
# adb CLI


def test_adb_devices_lists_the_device(sim) -> None:
    assert sim.host.devices()[sim.serial] == "device"


def test_cli_shell_getprop(sim) -> None:
    result = sim.host.run("-s", sim.serial, "shell", "getprop", "ro.build.version.release")
    assert (result.returncode, result.stdout) == (0, "14\n")


def test_cli_shell_v2_exit_code_and_stderr(sim) -> None:
    result = sim.host.run("-s", sim.serial, "shell", "fail")
    assert (result.returncode, result.stdout, result.stderr) == (3, "partial\n", "something failed\n")


def test_cli_large_output_byte_exact(sim) -> None:
    result = sim.host.run("-s", sim.serial, "shell", "big", text=False)
    assert result.returncode == 0
    assert result.stdout == BIG


def test_cli_pull(sim, tmp_path: Path) -> None:
    target = tmp_path / "report.bin"
    result = sim.host.run("-s", sim.serial, "pull", PULL_FILE, str(target))
    assert result.returncode == 0, result.stderr
    assert target.read_bytes() == PULL_DATA


def test_cli_pull_missing_file(sim, tmp_path: Path) -> None:
    result = sim.host.run("-s", sim.serial, "pull", "/sdcard/nope.txt", str(tmp_path / "x"))
    assert result.returncode != 0
    # adb 29: "failed to stat remote object '…': No such file or directory" on STDOUT
    message = result.stdout + result.stderr
    assert "No such file or directory" in message or "does not exist" in message, message
    assert not (tmp_path / "x").exists()


# ---------------------------------------------------------------------------------------------
# adbutils


def test_adbutils_shell_and_prop(sim) -> None:
    d = sim.device()
    assert d.shell("getprop ro.build.version.release") == "14"
    assert d.shell(["echo", "hi"]) == "hi"
    assert d.prop.model == "SimPhone 9"
    assert "shell_v2" in d.get_features().split(",")


def test_adbutils_shell2_v2(sim) -> None:
    r = sim.device().shell2("fail", v2=True)
    assert (r.returncode, r.stdout, r.stderr) == (3, "partial\n", "something failed\n")
    assert sim.backend.commands[-1] == "fail"


def test_adbutils_shell2_v1_marker(sim) -> None:
    r = sim.device().shell2("fail")  # v2=False: adbutils appends `; echo X4EXIT:$?`
    assert (r.returncode, r.output) == (3, "partial\nsomething failed\n")
    assert sim.backend.commands[-1] == "fail; echo X4EXIT:$?"


def test_adbutils_large_output_byte_exact(sim) -> None:
    d = sim.device()
    assert d.shell("big", encoding=None) == BIG
    assert d.shell2("big", v2=True, encoding=None).stdout == BIG


def test_adbutils_logcat_stream_close_cancels_backend(sim) -> None:
    conn = sim.device().shell("logcat", stream=True)
    conn.conn.settimeout(5)
    lines = conn.conn.makefile("rb")
    assert [lines.readline() for _ in range(3)] == [b"line 0\n", b"line 1\n", b"line 2\n"]
    conn.close()
    assert sim.backend.logcat_cancelled.wait(5), "host CLSE did not cancel the command"


def test_adbutils_sync_pull(sim, tmp_path: Path) -> None:
    d = sim.device()
    target = tmp_path / "report.bin"
    assert d.sync.pull(PULL_FILE, target) == len(PULL_DATA)
    assert target.read_bytes() == PULL_DATA
    assert d.sync.stat(PULL_FILE).size == len(PULL_DATA)
    with pytest.raises(AdbError, match="No such file"):
        d.sync.read_bytes("/sdcard/nope.txt")
    assert not d.sync.exists("/sdcard/nope.txt")


def test_shell_v1_only_banner(adbd_factory, backend) -> None:
    sim = adbd_factory(backend, features=V1_FEATURES)
    d = sim.device()
    assert "shell_v2" not in d.get_features().split(",")
    result = sim.host.run("-s", sim.serial, "shell", "getprop", "ro.build.version.release")
    assert (result.returncode, result.stdout) == (0, "14\n")
    result = sim.host.run("-s", sim.serial, "shell", "fail")
    assert result.returncode == 0  # no exit status without shell_v2, as on old phones
    assert "something failed" in result.stdout  # v1 merges stderr into stdout
    r = d.shell2("fail", v2=True)  # falls back to the X4EXIT marker
    assert (r.returncode, r.output) == (3, "partial\nsomething failed\n")
    assert d.shell("big", encoding=None) == BIG


def test_unknown_and_interactive_services_are_refused(sim) -> None:
    d = sim.device()
    for service in ("frobnicate:", "shell:"):
        c = d.open_transport()
        try:
            c.send_command(service)
            with pytest.raises(AdbError):
                c.check_okay()
        finally:
            c.close()
    assert d.shell("echo still-there") == "still-there"


# ---------------------------------------------------------------------------------------------
# fault injection


def test_truncate_next(sim) -> None:
    d = sim.device()
    sim.server.truncate_next(5)
    r = d.shell2("echo hello world", v2=True)
    assert (r.returncode, r.stdout) == (255, "hello")
    sim.server.truncate_next(3)
    assert d.shell("echo hello world") == "hel"
    assert d.shell("echo hello world") == "hello world"  # only the next command


def test_stall_delays_output(sim) -> None:
    d = sim.device()
    sim.server.stall(0.5)
    start = time.monotonic()
    assert d.shell("echo hi") == "hi"
    assert time.monotonic() - start >= 0.45


def test_disconnect_mid_stream_then_reconnect(sim) -> None:
    d = sim.device()
    conn = d.shell("logcat", stream=True)
    conn.conn.settimeout(5)
    lines = conn.conn.makefile("rb")
    assert lines.readline() == b"line 0\n"
    sim.call(sim.server.disconnect())
    while lines.readline():  # buffered lines, then a clean EOF (no exception, no hang)
        pass
    conn.close()
    assert sim.backend.logcat_cancelled.wait(5)
    with pytest.raises(AdbError, match="offline"):
        d.shell("echo hi")
    sim.host.wait_state(sim.serial, "device", timeout=15)
    assert d.shell("echo back") == "back"


@pytest.mark.parametrize("away", [0.0, 1.0], ids=["blip", "reboot"])
def test_go_offline_and_come_back(sim, away: float) -> None:
    """A reboot: the host lists the device `offline`, then reconnects on its own.

    How long that takes depends on the adb server and on how long the device stayed away:
    back within ~0.3 s both reconnect at once; away for a second adb 29 retries only ~10 s
    after the loss, adb 36 within ~0.5 s.
    """
    d = sim.device()
    sim.call(sim.server.go_offline())
    sim.host.wait_state(sim.serial, "offline", timeout=5)
    with pytest.raises(AdbError, match="offline"):
        d.shell("echo hi")
    time.sleep(away)
    sim.call(sim.server.come_back())
    sim.host.wait_state(sim.serial, "device", timeout=15)
    assert d.shell("echo back") == "back"


def test_fleet_shares_one_loop(adbd_factory, adb_host) -> None:
    sims = [adbd_factory(EchoBackend()) for _ in range(16)]
    listed = adb_host.devices()
    assert all(listed.get(s.serial) == "device" for s in sims)
    assert len({s.server.port for s in sims}) == 16
    assert [s.device().shell(f"echo {i}") for i, s in enumerate(sims)] == [str(i) for i in range(16)]
    assert len({s.loop for s in sims}) == 1


# ---------------------------------------------------------------------------------------------
# raw protocol, no adb server involved


class RawHost:
    """Just enough of an adb host to check the wire format."""

    def __init__(self, port: int, max_payload: int = 4096) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.sock.sendall(encode_packet(A_CNXN, A_VERSION, max_payload, b"host::features=shell_v2"))

    def read(self) -> tuple[int, int, int, bytes]:
        header = self._exact(HEADER.size)
        command, arg0, arg1, length, checksum, magic = HEADER.unpack(header)
        payload = self._exact(length)
        assert magic == command ^ 0xFFFFFFFF
        assert checksum == sum(payload) & 0xFFFFFFFF
        return command, arg0, arg1, payload

    def _exact(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            assert chunk, "EOF"
            data += chunk
        return data

    def send(self, command: int, arg0: int, arg1: int, payload: bytes = b"") -> None:
        self.sock.sendall(encode_packet(command, arg0, arg1, payload))

    def reset(self) -> None:
        """Vanish with a TCP RST, like a killed adb server."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()


@pytest.fixture
def raw_server(backend):
    loop = EventLoopThread("raw-adbd").start()
    server = AdbdServer(backend)
    loop.call(server.start())
    yield server, loop
    loop.call(server.stop())
    loop.call(server.stop())  # idempotent
    loop.stop()


def test_raw_handshake_flow_control_and_refusal(raw_server, backend) -> None:
    server, _loop = raw_server
    host = RawHost(server.port, max_payload=4096)
    command, version, max_payload, banner = host.read()
    assert (command, version, max_payload) == (A_CNXN, A_VERSION, 256 * 1024)
    assert banner.startswith(b"device::ro.product.name=simphone;") and b"features=shell_v2," in banner

    host.send(A_OPEN, 7, 0, b"nope:\0")
    assert host.read() == (A_CLSE, 0, 7, b"")

    host.send(A_OPEN, 8, 0, b"exec:big\0")
    command, local_id, remote_id, _ = host.read()
    assert (command, remote_id) == (A_OKAY, 8)
    received = b""
    while len(received) < 3 * 4096:
        command, arg0, arg1, payload = host.read()
        assert (command, arg0, arg1) == (A_WRTE, local_id, 8)
        assert len(payload) <= 4096  # the host's max payload, not ours
        received += payload
        host.sock.settimeout(0.2)  # flow control: nothing more until we OKAY
        with pytest.raises(TimeoutError):
            host.sock.recv(1, socket.MSG_PEEK)
        host.sock.settimeout(5)
        host.send(A_OKAY, 8, local_id)
    assert received == BIG[: len(received)]
    host.send(A_CLSE, 8, local_id)
    while (packet := host.read())[0] == A_WRTE:  # one may have crossed our CLSE
        pass
    assert packet == (A_CLSE, local_id, 8, b"")
    host.sock.close()


def test_raw_host_reset_cancels_commands(raw_server, backend) -> None:
    server, _loop = raw_server
    host = RawHost(server.port)
    host.read()
    host.send(A_OPEN, 1, 0, b"shell,v2,TERM=xterm,raw:logcat\0")
    assert host.read()[0] == A_OKAY
    command, _, _, payload = host.read()
    assert (command, payload) == (A_WRTE, struct.pack("<BI", 1, 7) + b"line 0\n")
    host.reset()
    assert backend.logcat_cancelled.wait(5)
    assert wait_for(lambda: server.connection_count == 0)


def wait_for(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False
