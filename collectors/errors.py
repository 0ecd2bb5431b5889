"""Errors with a user-facing message and the exit code README.md's "Exit codes" lists; tracebacks only with -v."""

from __future__ import annotations

EXIT_OK = 0
EXIT_GATE = 1  # the work completed but a gate failed (--fail-on, --fail-under)
EXIT_USAGE = 2  # usage, scenario or input-file error
EXIT_DEVICE = 3  # device or infrastructure error
EXIT_INTERRUPTED = 130


class BgprobeError(Exception):
    exit_code = EXIT_USAGE

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InputError(BgprobeError):
    """A file the user gave cannot be read as what it claims to be. Names the file and the problem."""

    exit_code = EXIT_USAGE

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"{name}: {problem}")
        self.name = name
        self.problem = problem


EXIT_INTERNAL = 70  # a bug in bgprobe (EX_SOFTWARE): distinct from every documented outcome
