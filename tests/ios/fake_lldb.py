"""A stand-in for lldb, for tests only (BGPROBE_LLDB points at a wrapper that runs this file).

It reads lldb commands from stdin as bgprobe sends them and drives the simulated iPhone's debugserver (through
pymobiledevice3's real port forwarder, in gdb-remote framing). Evaluating an Objective-C expression is what it
cannot do like lldb (lldb allocates memory and JITs the call over many packets): it sends the expression as one
made-up packet the simulator understands, `qBgprobeObjC:<hex>`. Every command is appended with a timestamp to
$FAKE_LLDB_LOG, so a test can check the order bgprobe used (continue before detach, detach after the start).

$FAKE_LLDB_HANG=1: after `quit`, ignore SIGTERM and never exit (an lldb that hangs); its pid goes to the log.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import sys
import time

LOG = os.environ.get("FAKE_LLDB_LOG")


def log(line: str) -> None:
    if LOG:
        with open(LOG, "a", encoding="utf-8") as f:
            f.write(f"{time.monotonic():.6f} {line}\n")


def packet(data: str) -> bytes:
    return f"${data}#{sum(data.encode()) % 256:02x}".encode()


class Remote:
    def __init__(self, host: str, port: int) -> None:
        self.sock = socket.create_connection((host, port), timeout=10)
        self.buf = b""

    def send(self, data: str, reply: bool = True) -> str | None:
        self.sock.sendall(packet(data))
        return self.read_reply() if reply else None

    def interrupt(self) -> str | None:
        self.sock.sendall(b"\x03")
        return self.read_reply()

    def read_reply(self) -> str:
        while True:
            while self.buf[:1] in (b"+", b"-"):
                self.buf = self.buf[1:]
            m = re.match(rb"\$([^#]*)#[0-9a-f]{2}", self.buf)
            if m:
                self.buf = self.buf[m.end() :]
                self.sock.sendall(b"+")
                return m.group(1).decode()
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("debugserver closed the connection")
            self.buf += chunk


def main() -> int:
    log(f"pid {os.getpid()} argv {' '.join(sys.argv[1:])}")
    remote: Remote | None = None
    for raw in sys.stdin:
        line = raw.strip()
        if not line:
            continue
        log(f"cmd {line}")
        if m := re.match(r"process connect connect://\[([^\]]+)\]:(\d+)$", line):
            remote = Remote(m.group(1), int(m.group(2)))
            print(f"Process connected to {m.group(1)}:{m.group(2)}", flush=True)
        elif (m := re.match(r"process attach --pid (\d+)$", line)) and remote:
            reply = remote.send(f"vAttach;{int(m.group(1)):x}")
            print(f"Process {m.group(1)} stopped ({reply})", flush=True)
        elif line.startswith("e -l objc -- ") and remote:
            reply = remote.send("qBgprobeObjC:" + line[len("e -l objc -- ") :].encode().hex())
            print("error: expression failed" if reply != "OK" else "", flush=True)
        elif line == "process continue" and remote:
            remote.send("c", reply=False)
            print("Process resuming", flush=True)
        elif line == "process interrupt" and remote:
            remote.interrupt()
            print("Process stopped", flush=True)
        elif line == "process detach" and remote:
            remote.send("D")
            print("Process detached", flush=True)
        elif line == "quit":
            break
    if os.environ.get("FAKE_LLDB_HANG") == "1":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        log("hanging")
        while True:
            time.sleep(1)
    log("exit")
    return 0


if __name__ == "__main__":
    sys.exit(main())
