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

        return Console(no_color=self.plain, highlight=False, width=_width(sys.stdout))

    @cached_property
    def err(self) -> Console:
        from rich.console import Console

        return Console(stderr=True, no_color=self.plain, highlight=False, width=_width(sys.stderr))

    def problem(self, message: str) -> None:
        # One line per problem, never wrapped: scripts and CI logs grep these.
        sys.stderr.write(f"bgprobe: {message}\n")
        sys.stderr.flush()


def _width(stream: object) -> int | None:
    """Without a terminal (CI logs, pipes) rich would wrap tables and progress lines at 80 columns:
    give them room. On a terminal, or with $COLUMNS set, rich's own choice."""
    return None if stream.isatty() or "COLUMNS" in os.environ else 160  # type: ignore[attr-defined]


def stdin_is_tty() -> bool:
    """Whether an operator can answer a prompt (CI runners give no stdin, or a closed one)."""
    try:
        return os.isatty(sys.stdin.fileno())
    except (OSError, ValueError, AttributeError):
        return False
