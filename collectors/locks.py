"""One bgprobe at a time per phone, and per results directory, across processes.

Two CI jobs that land on one phone, or a `state set` next to a campaign, would otherwise undo each
other's conditions mid-attempt and lose track of what to put back. Every command that changes a
phone or runs attempts on it holds the phone's lock (keyed like its journal) for as long as it
works on it; a second one waits up to `--lock-wait` seconds and then gives up naming the holder.

The locks are `flock`s on files in bgprobe's state directory: the kernel drops them when their
process dies, however it dies (SIGKILL included), so a dead holder's lock is simply taken over.
The file also says who holds it (command, pid, since), for the message the second one prints.
Locks are per machine: phones shared between hosts need the farm's own reservation.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import socket
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO

from bgprobe.collectors.errors import BgprobeError, DeviceError, UsageError
from bgprobe.collectors.paths import StateDirError, state_dir

DEFAULT_WAIT_S = 60.0
WAIT_ENV = "BGPROBE_LOCK_WAIT"
POLL_S = 0.1


class DeviceBusy(DeviceError):
    """Another bgprobe works on this phone: a device/infrastructure condition (exit 3)."""


class ResultsBusy(UsageError):
    """Another bgprobe writes this results directory: the user picked a directory in use (exit 2)."""


def default_wait() -> float:
    """`--lock-wait`'s default: $BGPROBE_LOCK_WAIT (a farm sets it once), else 60 s."""
    text = os.environ.get(WAIT_ENV, "")
    try:
        value = float(text) if text else DEFAULT_WAIT_S
    except ValueError:
        raise BgprobeError(f"{WAIT_ENV}={text!r}: expected a number of seconds") from None
    if not 0 <= value < float("inf"):
        raise BgprobeError(f"{WAIT_ENV}={text!r}: expected a number of seconds, 0 or more")
    return value


def _holder_text(path: Path) -> str:
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        return f"bgprobe {info['command']}, pid {info['pid']}, since {info['since']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "another bgprobe"


class FileLock:
    """An exclusive flock on `path`, with who holds it written inside."""

    def __init__(self, path: Path, command: str) -> None:
        self.path = path
        self.command = command
        self._file: IO[str] | None = None

    def try_acquire(self) -> bool:
        f = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.close()
            return False
        except OSError:
            f.close()
            raise
        f.seek(0)
        f.truncate()
        since = datetime.now().astimezone().isoformat(timespec="seconds")
        f.write(json.dumps({"command": self.command, "pid": os.getpid(), "host": socket.gethostname(), "since": since}))
        f.flush()
        self._file = f
        return True

    def holder(self) -> str:
        return _holder_text(self.path)

    def release(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.truncate(0)  # the file stays (removing it would race with a waiter's open)
            self._file.close()  # closing drops the flock
            self._file = None


def _lock_path(folder: str, key: str) -> Path:
    base = state_dir(create=True) / folder
    try:
        base.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StateDirError(
            f"cannot create {base} ({exc.strerror or exc}): set BGPROBE_STATE_DIR to a writable directory"
        ) from exc
    return base / (re.sub(r"[^A-Za-z0-9_.-]", "_", key) + ".lock")


def _acquire(lock: FileLock, wait_s: float) -> bool:
    deadline = time.monotonic() + wait_s
    while True:
        try:
            if lock.try_acquire():
                return True
        except OSError as exc:
            raise StateDirError(
                f"cannot lock {lock.path} ({exc.strerror or exc}): set BGPROBE_STATE_DIR to a writable directory"
            ) from exc
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_S)


@contextlib.contextmanager
def device_lock(
    key: str, shown_as: str, command: str, wait_s: float, *, deadline: float | None = None
) -> Iterator[None]:
    """Hold phone `key`'s lock for the block; DeviceBusy names the holder after `wait_s` seconds
    (or at `deadline`, when several phones share one wait)."""
    lock = FileLock(_lock_path("locks", key), command)
    left = wait_s if deadline is None else max(0.0, deadline - time.monotonic())
    if not _acquire(lock, left):
        raise DeviceBusy(
            f"{shown_as}: in use by {lock.holder()}; waited {wait_s:g} s (--lock-wait): let it finish, "
            "or raise --lock-wait"
        )
    try:
        yield
    finally:
        lock.release()


class DeviceLocks:
    """The locks of several phones held together (a campaign's), each released at the end."""

    def __init__(self, command: str, wait_s: float) -> None:
        self.command = command
        self.wait_s = wait_s
        self._deadline = time.monotonic() + wait_s  # one wait for all of them, not one per phone
        self._stack = contextlib.ExitStack()

    def take(self, key: str, shown_as: str) -> None:
        self._stack.enter_context(device_lock(key, shown_as, self.command, self.wait_s, deadline=self._deadline))

    def release(self) -> None:
        self._stack.close()


def results_lock(path: Path, command: str) -> FileLock:
    """A results directory is written by one bgprobe at a time: a second one is refused at once."""
    lock = FileLock(path / ".bgprobe.lock", command)
    try:
        taken = lock.try_acquire()
    except OSError as exc:
        raise ResultsBusy(f"{path}: cannot lock the results directory ({exc.strerror or exc})") from exc
    if not taken:
        raise ResultsBusy(
            f"{path}: this results directory is in use by {lock.holder()}; wait for it, or choose another"
        )
    return lock
