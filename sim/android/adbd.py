"""A simulated adbd: the device side of the adb wire protocol over TCP.

The real adb server reaches it with `adb connect 127.0.0.1:PORT`; adbutils and the adb CLI then
talk to it as to a phone. This module knows packets, streams, shell v1/v2 framing, the sync
service and fault injection. What a command prints and which files exist is the backend's
business (see backend.py).

Wire format (AOSP packages/modules/adb, protocol.txt): a 24-byte header `<6I` = command, arg0,
arg1, payload length, payload byte sum, command ^ 0xffffffff, then the payload.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from .backend import AndroidBackend

log = logging.getLogger(__name__)

T = TypeVar("T")


def _cmd(name: bytes) -> int:
    return struct.unpack("<I", name)[0]


A_CNXN = _cmd(b"CNXN")
A_OPEN = _cmd(b"OPEN")
A_OKAY = _cmd(b"OKAY")
A_WRTE = _cmd(b"WRTE")
A_CLSE = _cmd(b"CLSE")
A_AUTH = _cmd(b"AUTH")

A_VERSION = 0x01000001
MAX_PAYLOAD = 256 * 1024
SYNC_DATA_MAX = 64 * 1024  # the sync protocol's own limit for one DATA chunk

HEADER = struct.Struct("<6I")

# Both adb 29 and adb 36 accept this list. sendrecv_v2* is left out on purpose: with it adb 36
# pulls with RCV2 and asks for brotli/lz4/zstd compression, which this simulator does not do.
DEFAULT_FEATURES: tuple[str, ...] = (
    "shell_v2",
    "cmd",
    "stat_v2",
    "ls_v2",
    "fixed_push_mkdir",
    "apex",
    "abb",
    "fixed_push_symlink_timestamp",
    "abb_exec",
    "remount_shell",
    "track_app",
)

# shell protocol packet ids (shell_protocol.h)
SHELL_STDIN, SHELL_STDOUT, SHELL_STDERR, SHELL_EXIT = 0, 1, 2, 3
SHELL_HEADER = struct.Struct("<BI")

EXIT_TRUNCATED = 255
ENOENT = 2


# ---------------------------------------------------------------------------------------------
# Packets


@dataclass(frozen=True)
class Packet:
    command: int
    arg0: int
    arg1: int
    payload: bytes = b""

    @property
    def name(self) -> str:
        return struct.pack("<I", self.command).decode("ascii", "replace")


def encode_packet(command: int, arg0: int, arg1: int, payload: bytes = b"") -> bytes:
    checksum = sum(payload) & 0xFFFFFFFF
    return HEADER.pack(command, arg0, arg1, len(payload), checksum, command ^ 0xFFFFFFFF) + payload


class ProtocolError(Exception):
    """The host sent something that is not an adb packet: real adbd drops the connection."""


async def read_packet(reader: asyncio.StreamReader, max_payload: int) -> Packet:
    """Next packet from the host. Raises IncompleteReadError at EOF, ProtocolError on garbage."""
    command, arg0, arg1, length, _checksum, magic = HEADER.unpack(await reader.readexactly(HEADER.size))
    if magic != command ^ 0xFFFFFFFF:
        raise ProtocolError(f"bad magic for command {command:#x}")
    # The host may use its own (larger) limit before it has seen our CNXN; allow up to 1 MiB.
    if length > max(max_payload, 1024 * 1024):
        raise ProtocolError(f"payload of {length} bytes")
    # The checksum is not verified: since A_VERSION 0x01000001 hosts may send 0.
    payload = await reader.readexactly(length) if length else b""
    return Packet(command, arg0, arg1, payload)


# ---------------------------------------------------------------------------------------------
# Streams


class _Truncated(Exception):
    """Raised out of a writer when truncate_next() has cut the command's output."""


class _Stream:
    """One OPENed service: the device end of a (local_id, remote_id) pair with flow control."""

    def __init__(self, conn: _Connection, local_id: int, remote_id: int) -> None:
        self.conn = conn
        self.local_id = local_id
        self.remote_id = remote_id
        # Bytes the host WRTEs to us (stdin for shell, requests for sync).
        self.inbound = asyncio.StreamReader()
        # Set while we may send the next WRTE: initially, and after every host OKAY.
        self._may_write = asyncio.Event()
        self._may_write.set()
        self._closed = False
        self.task: asyncio.Task[None] | None = None

    async def write(self, data: bytes) -> None:
        """Send data as WRTEs of at most the negotiated payload size, one OKAY per WRTE."""
        size = self.conn.max_payload
        for start in range(0, len(data), size):
            await self._wait_writable()
            self._may_write.clear()
            await self.conn.send(A_WRTE, self.local_id, self.remote_id, data[start : start + size])

    async def _wait_writable(self) -> None:
        if self._closed:
            raise ConnectionResetError("stream closed")
        await self.conn.server.wait_while_stalled()
        await self._may_write.wait()
        if self._closed:
            raise ConnectionResetError("stream closed")

    def on_okay(self) -> None:
        self._may_write.set()

    async def close(self) -> None:
        """Our side is done: wait for the last WRTE's OKAY so the host has the data, then CLSE."""
        if self._closed:
            return
        with contextlib.suppress(ConnectionError):
            await self._may_write.wait()
        await self._send_close()

    async def _send_close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.inbound.feed_eof()
        self.conn.streams.pop(self.local_id, None)
        with contextlib.suppress(ConnectionError):
            await self.conn.send(A_CLSE, self.local_id, self.remote_id)

    async def on_host_close(self) -> None:
        """Host CLSE: stop the service and confirm with our own CLSE."""
        if self.task is not None and self.task is not asyncio.current_task():
            self.task.cancel()
        self._may_write.set()  # unblock a writer so that it sees _closed
        await self._send_close()

    def abandon(self) -> None:
        """The connection is gone: nothing can be sent any more, only cancel."""
        self._closed = True
        self._may_write.set()
        self.inbound.feed_eof()
        if self.task is not None:
            self.task.cancel()


# A service body: runs with an OKAYed stream, returns when the device side is done.
_Handler = Callable[[_Stream], Awaitable[None]]


# ---------------------------------------------------------------------------------------------
# Services


class _ShellOutput:
    """The backend's `out`/`err` writers for one shell command: v1 raw or v2 packets, truncation."""

    def __init__(self, stream: _Stream, v2: bool, limit: int | None) -> None:
        self.stream = stream
        self.v2 = v2
        self.limit = limit  # bytes still allowed before truncate_next() cuts; None = no cut
        self.truncated = False

    async def stdout(self, data: bytes) -> None:
        await self._emit(SHELL_STDOUT, data)

    async def stderr(self, data: bytes) -> None:
        await self._emit(SHELL_STDERR, data)

    async def exit(self, code: int) -> None:
        if self.v2:
            await self._packet(SHELL_EXIT, bytes([code & 0xFF]))

    async def _emit(self, packet_id: int, data: bytes) -> None:
        if not data:
            return
        cut = self.limit is not None and len(data) >= self.limit
        if self.limit is not None:
            data = data[: self.limit]
            self.limit -= len(data)
        if data:
            if self.v2:
                await self._packet(packet_id, data)
            else:
                await self.stream.write(data)
        if cut:
            self.truncated = True
            raise _Truncated

    async def _packet(self, packet_id: int, data: bytes) -> None:
        # One shell packet per WRTE keeps every WRTE self-describing (real adbd does the same).
        size = self.stream.conn.max_payload - SHELL_HEADER.size
        for start in range(0, max(len(data), 1), size):
            chunk = data[start : start + size]
            await self.stream.write(SHELL_HEADER.pack(packet_id, len(chunk)) + chunk)


def parse_shell_service(service: str) -> tuple[bool, str] | None:
    """`shell:CMD`, `shell,v2,TERM=xterm,raw:CMD` → (v2, CMD); None if not a shell service."""
    head, sep, command = service.partition(":")
    if not sep:
        return None
    args = head.split(",")
    if args[0] == "exec":
        return False, command
    if args[0] != "shell":
        return None
    return "v2" in args[1:], command


class _SyncSession:
    """The `sync:` service (SYNC.TXT, file_sync_protocol.h): a read-only file server."""

    def __init__(self, stream: _Stream, backend: AndroidBackend) -> None:
        self.stream = stream
        self.backend = backend

    async def run(self) -> None:
        while True:
            try:
                request = await self.stream.inbound.readexactly(8)
            except asyncio.IncompleteReadError:
                return
            ident, length = struct.unpack("<4sI", request)
            if ident == b"QUIT":
                return
            path = (await self.stream.inbound.readexactly(length)).decode("utf-8", "surrogateescape")
            log.debug("sync %s %r", ident.decode("ascii", "replace"), path)
            if not await self._handle(ident, path):
                return

    async def _handle(self, ident: bytes, path: str) -> bool:
        """Answer one request; False ends the session (as real adbd does after a FAIL)."""
        if ident == b"STAT":
            await self._stat_v1(path)
        elif ident in (b"STA2", b"LST2"):
            await self._stat_v2(ident, path)
        elif ident in (b"LIST", b"LIS2"):
            await self._list(ident == b"LIS2")
        elif ident == b"RECV":
            return await self._recv(path)
        elif ident == b"SEND":
            await self._drain_send()
            await self._fail("Read-only file system")
            return False
        else:
            await self._fail(f"unsupported sync request {ident!r}")
            return False
        return True

    def _file(self, path: str) -> bytes | None:
        return self.backend.read_file(path)

    async def _stat_v1(self, path: str) -> None:
        data = self._file(path)
        if data is None:
            await self.stream.write(struct.pack("<4sIII", b"STAT", 0, 0, 0))
        else:
            await self.stream.write(struct.pack("<4sIII", b"STAT", 0o100644, len(data), int(time.time())))

    async def _stat_v2(self, ident: bytes, path: str) -> None:
        data = self._file(path)
        now = int(time.time())
        if data is None:
            reply = struct.pack("<4sIQQIIIIQqqq", ident, ENOENT, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        else:
            reply = struct.pack("<4sIQQIIIIQqqq", ident, 0, 0, 1, 0o100644, 1, 0, 0, len(data), now, now, now)
        await self.stream.write(reply)

    async def _list(self, v2: bool) -> None:
        # The backend exposes files, not directories: every directory lists as empty.
        if v2:
            await self.stream.write(struct.pack("<4sIQQIIIIQqqqI", b"DONE", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
        else:
            await self.stream.write(struct.pack("<4sIIII", b"DONE", 0, 0, 0, 0))

    async def _recv(self, path: str) -> bool:
        data = self._file(path)
        if data is None:
            await self._fail("open failed: No such file or directory")
            return False
        for start in range(0, len(data), SYNC_DATA_MAX):
            chunk = data[start : start + SYNC_DATA_MAX]
            await self.stream.write(b"DATA" + struct.pack("<I", len(chunk)) + chunk)
        await self.stream.write(b"DONE" + struct.pack("<I", 0))
        return True

    async def _drain_send(self) -> None:
        """Consume a SEND's DATA chunks up to DONE so the host reads our answer, not a reset."""
        while True:
            ident, length = struct.unpack("<4sI", await self.stream.inbound.readexactly(8))
            if ident != b"DATA":
                return  # DONE carries the mtime in `length`, no body
            await self.stream.inbound.readexactly(length)

    async def _fail(self, message: str) -> None:
        body = message.encode()
        await self.stream.write(b"FAIL" + struct.pack("<I", len(body)) + body)


# ---------------------------------------------------------------------------------------------
# Connections


class _Connection:
    """One TCP connection from an adb server: the CNXN handshake, then multiplexed streams."""

    def __init__(self, server: AdbdServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.server = server
        self.reader = reader
        self.writer = writer
        self.streams: dict[int, _Stream] = {}
        self.max_payload = server.max_payload
        self._next_id = 1

    async def send(self, command: int, arg0: int, arg1: int, payload: bytes = b"") -> None:
        if self.writer.is_closing():
            # Writing to a closed transport only logs warnings; fail loudly instead.
            raise ConnectionResetError("connection closed")
        self.writer.write(encode_packet(command, arg0, arg1, payload))
        await self.writer.drain()

    async def run(self) -> None:
        try:
            while True:
                packet = await read_packet(self.reader, self.max_payload)
                await self._dispatch(packet)
        except (asyncio.IncompleteReadError, ConnectionError, ProtocolError) as exc:
            log.debug("adbd %s: connection ended: %r", self.server.address, exc)
        finally:
            self.abort()

    def abort(self) -> None:
        """Drop the TCP connection at once (no FIN handshake niceties) and cancel every service."""
        for stream in list(self.streams.values()):
            stream.abandon()
        self.streams.clear()
        self.writer.transport.abort()

    async def _dispatch(self, packet: Packet) -> None:
        if packet.command == A_CNXN:
            await self._on_connect(packet)
        elif packet.command == A_OPEN:
            await self._on_open(packet)
        elif packet.command == A_OKAY:
            if stream := self.streams.get(packet.arg1):
                stream.on_okay()
        elif packet.command == A_WRTE:
            await self._on_write(packet)
        elif packet.command == A_CLSE:
            if stream := self.streams.get(packet.arg1):
                await stream.on_host_close()
        else:
            log.debug("adbd %s: ignoring %s", self.server.address, packet.name)

    async def _on_connect(self, packet: Packet) -> None:
        log.debug("adbd %s: CNXN %#x %d %r", self.server.address, packet.arg0, packet.arg1, packet.payload)
        # A repeated CNXN means the host restarted the transport: forget its old streams.
        for stream in list(self.streams.values()):
            stream.abandon()
        self.streams.clear()
        # Never send more than the host can take (its arg1), nor more than we announce.
        self.max_payload = min(self.server.max_payload, packet.arg1 or self.server.max_payload)
        await self.send(A_CNXN, A_VERSION, self.server.max_payload, self.server.banner())

    async def _on_open(self, packet: Packet) -> None:
        remote_id = packet.arg0
        service = packet.payload.rstrip(b"\0").decode("utf-8", "surrogateescape")
        log.debug("adbd %s: OPEN %r", self.server.address, service)
        handler = self.server.service_handler(service)
        if handler is None:
            # What real adbd does when a service cannot be created: CLSE with local id 0.
            log.debug("adbd %s: refusing service %r", self.server.address, service)
            await self.send(A_CLSE, 0, remote_id)
            return
        stream = _Stream(self, self._next_id, remote_id)
        self._next_id += 1
        self.streams[stream.local_id] = stream
        await self.send(A_OKAY, stream.local_id, remote_id)
        stream.task = asyncio.create_task(self._serve(stream, handler), name=f"adbd {service}")

    async def _on_write(self, packet: Packet) -> None:
        stream = self.streams.get(packet.arg1)
        if stream is None:
            return
        stream.inbound.feed_data(packet.payload)
        await self.send(A_OKAY, stream.local_id, stream.remote_id)

    async def _serve(self, stream: _Stream, handler: _Handler) -> None:
        try:
            await handler(stream)
            await stream.close()
        except asyncio.CancelledError:
            pass  # host CLSE or connection loss; the stream is already closed
        except ConnectionError:
            pass  # the host went away mid-write
        except Exception:
            log.exception("adbd %s: service failed", self.server.address)
            with contextlib.suppress(ConnectionError):
                await stream._send_close()


# ---------------------------------------------------------------------------------------------
# The server


class AdbdServer:
    """One simulated device listening on 127.0.0.1:<port> for the adb server's `adb connect`.

    asyncio-based: start()/stop() and the async fault injections run on the loop that serves it
    (use EventLoopThread from sync code). stall() and truncate_next() are plain setters that may
    be called from any thread.
    """

    def __init__(
        self,
        backend: AndroidBackend,
        port: int = 0,
        *,
        host: str = "127.0.0.1",
        features: Iterable[str] = DEFAULT_FEATURES,
        max_payload: int = MAX_PAYLOAD,
    ) -> None:
        self.backend = backend
        self.host = host
        self.features: tuple[str, ...] = tuple(features)
        self.max_payload = max_payload
        self._port = port
        self._server: asyncio.Server | None = None
        self._connections: dict[_Connection, asyncio.Task[Any]] = {}
        self._stall_until = 0.0
        self._truncate_next: int | None = None

    # -- addressing -----------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self._port

    @property
    def address(self) -> str:
        """What `adb connect` takes and what the adb server then uses as the device serial."""
        return f"{self.host}:{self._port}"

    @property
    def listening(self) -> bool:
        return self._server is not None

    @property
    def connection_count(self) -> int:
        return len(self._connections)

    def banner(self) -> bytes:
        props = "".join(f"{key}={value};" for key, value in self.backend.banner_properties().items())
        return f"device::{props}features={','.join(self.features)}".encode()

    # -- life cycle -----------------------------------------------------------------------

    async def start(self) -> None:
        if self._server is not None:
            return
        # asyncio sets SO_REUSEADDR, so come_back() can re-bind the same port at once.
        self._server = await asyncio.start_server(self._on_client, self.host, self._port)
        self._port = self._server.sockets[0].getsockname()[1]
        log.debug("adbd %s: listening", self.address)

    async def stop(self) -> None:
        """Stop listening and drop every connection. Idempotent."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        await self._drop_connections()
        if server is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await server.wait_closed()

    async def _on_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = _Connection(self, reader, writer)
        task = asyncio.current_task()
        assert task is not None
        self._connections[conn] = task
        try:
            await conn.run()
        except asyncio.CancelledError:
            pass  # stop()/disconnect(): Python 3.11 would print the cancellation otherwise
        finally:
            conn.abort()
            self._connections.pop(conn, None)

    async def _drop_connections(self) -> None:
        connections = list(self._connections.items())
        for conn, _task in connections:
            conn.abort()
        for _conn, task in connections:
            task.cancel()
        for _conn, task in connections:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    # -- services -------------------------------------------------------------------------

    def service_handler(self, service: str) -> _Handler | None:
        """The coroutine function that serves `service`, or None to refuse it."""
        if service == "sync:":
            return self._serve_sync
        if service.startswith("reboot:"):
            return self._serve_nothing
        shell = parse_shell_service(service)
        if shell is None:
            return None
        v2, command = shell
        if not command.strip():
            return None  # interactive shells need a pty; not simulated

        async def serve_shell(stream: _Stream) -> None:
            await self._serve_shell(stream, command, v2)

        return serve_shell

    async def _serve_shell(self, stream: _Stream, command: str, v2: bool) -> None:
        output = _ShellOutput(stream, v2, self._take_truncation())
        try:
            code = await self.backend.execute(command, output.stdout, output.stderr)
        except _Truncated:
            code = EXIT_TRUNCATED
        await output.exit(code)

    async def _serve_sync(self, stream: _Stream) -> None:
        await _SyncSession(stream, self.backend).run()

    async def _serve_nothing(self, stream: _Stream) -> None:
        return None

    # -- fault injection ------------------------------------------------------------------

    async def disconnect(self) -> None:
        """Cut the TCP connection(s) like a pulled cable; keep listening so the host reconnects."""
        await self._drop_connections()

    def stall(self, seconds: float) -> None:
        """Deliver no WRTE for `seconds` (from now) on any stream of this device."""
        self._stall_until = time.monotonic() + seconds

    async def wait_while_stalled(self) -> None:
        while (remaining := self._stall_until - time.monotonic()) > 0:
            await asyncio.sleep(remaining)

    def truncate_next(self, n_bytes: int) -> None:
        """Cut the next shell command's output after n_bytes, then close (exit code 255 in v2)."""
        self._truncate_next = n_bytes

    def _take_truncation(self) -> int | None:
        limit, self._truncate_next = self._truncate_next, None
        return limit

    async def go_offline(self) -> None:
        """A reboot begins: stop listening and drop connections. The host shows `offline`."""
        await self.stop()

    async def come_back(self) -> None:
        """The reboot ends: listen again on the same port; the adb server reconnects by itself."""
        await self.start()


# ---------------------------------------------------------------------------------------------
# Running servers from sync code


class EventLoopThread:
    """An asyncio loop in a daemon thread, shared by any number of AdbdServers (a whole fleet).

    Usage from sync code: `loop = EventLoopThread().start()`, then `loop.call(server.start())`,
    `loop.call(server.go_offline())`, ..., `loop.call(server.stop())` and finally `loop.stop()`.
    """

    def __init__(self, name: str = "adbd-loop") -> None:
        self.name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise RuntimeError("EventLoopThread is not running")
        return self._loop

    def start(self) -> EventLoopThread:
        if self._thread is not None:
            return self
        ready = threading.Event()

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name=self.name, daemon=True)
        self._thread.start()
        ready.wait()
        return self

    def call(self, coro: Coroutine[Any, Any, T] | Awaitable[T], timeout: float | None = 30.0) -> T:
        """Run a coroutine on the loop thread and wait for its result."""
        future = asyncio.run_coroutine_threadsafe(_as_coroutine(coro), self.loop)
        return future.result(timeout)

    def stop(self) -> None:
        """Cancel whatever still runs on the loop, then end the thread. Idempotent."""
        if self._thread is None or self._loop is None:
            return
        loop, thread = self._loop, self._thread
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(_cancel_all_tasks(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
        self._loop = None
        self._thread = None


async def _as_coroutine(awaitable: Awaitable[T]) -> T:
    return await awaitable


async def _cancel_all_tasks() -> None:
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
