"""Where output goes: rich consoles that respect --no-color, NO_COLOR and a missing TTY.

The consoles are made on first use: `--json` runs never import rich (start-up time matters
to CI loops that call bgprobe thousands of times).
"""

from __future__ import annotations

import os
import sys
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console


class Output:
    def __init__(self, *, no_color: bool = False, verbose: bool = False) -> None:
        self.plain = no_color or "NO_COLOR" in os.environ
        self.verbose = verbose

    @classmethod
    def create(cls, *, no_color: bool = False, verbose: bool = False) -> Output:
        return cls(no_color=no_color, verbose=verbose)

    @cached_property
    def out(self) -> Console:
        from rich.console import Console

        # Without a terminal (CI logs, pipes) rich would wrap tables at 80 columns: give them room.
        width = None if sys.stdout.isatty() or "COLUMNS" in os.environ else 160
        return Console(no_color=self.plain, highlight=False, width=width)

    @cached_property
    def err(self) -> Console:
        from rich.console import Console

        # Progress and messages in CI logs: one line each, not wrapped at 80 columns.
        width = None if sys.stderr.isatty() or "COLUMNS" in os.environ else 160
        return Console(stderr=True, no_color=self.plain, highlight=False, width=width)

    def problem(self, message: str) -> None:
        # One line per problem, never wrapped: scripts and CI logs grep these.
        sys.stderr.write(f"bgprobe: {message}\n")
        sys.stderr.flush()


def stdin_is_tty() -> bool:
    """Whether an operator can answer a prompt (CI runners give no stdin, or a closed one)."""
    try:
        return os.isatty(sys.stdin.fileno())
    except (OSError, ValueError, AttributeError):
        return False
