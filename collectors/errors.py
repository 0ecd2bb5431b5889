"""Errors with a user-facing message and an exit status; tracebacks only with -v.

Two kinds of error, and their exit status, say whose move it is: a `UsageError` (exit 2) is the
user's input (options, a scenario, a file); a `DeviceError` (exit 3) is the device or the machine
(no phone, a lost phone, a busy phone, a full disk). Anything else that escapes is a bug (70).
"""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    OK = 0
    GATE = 1  # the work completed but a gate failed (--fail-on, --fail-under, a triggered job that failed)
    USAGE = 2  # usage, scenario or input-file error
    DEVICE = 3  # device or infrastructure error
    INTERNAL = 70  # a bug in bgprobe (EX_SOFTWARE): distinct from every documented outcome
    INTERRUPTED = 130  # Ctrl-C / SIGTERM, after every phone was put back


# The plain names the commands use.
EXIT_OK = ExitStatus.OK
EXIT_GATE = ExitStatus.GATE
EXIT_USAGE = ExitStatus.USAGE
EXIT_DEVICE = ExitStatus.DEVICE
EXIT_INTERNAL = ExitStatus.INTERNAL
EXIT_INTERRUPTED = ExitStatus.INTERRUPTED


class BgprobeError(Exception):
    exit_code: int = ExitStatus.USAGE

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(BgprobeError):
    """Something the user gave: an option, a scenario, a file, a name (exit 2)."""

    exit_code = ExitStatus.USAGE


class DeviceError(BgprobeError):
    """The device or the machine: unreachable, lost, busy, a disk that cannot be written (exit 3)."""

    exit_code = ExitStatus.DEVICE


class InputError(UsageError):
    """A file the user gave cannot be read as what it claims to be. Names the file and the problem."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"{name}: {problem}")
        self.name = name
        self.problem = problem
