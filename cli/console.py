"""Where output goes: rich consoles that respect --no-color, NO_COLOR and a missing TTY."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

from rich.console import Console


@dataclass
class Output:
    out: Console
    err: Console
    verbose: bool = False

    @classmethod
    def create(cls, *, no_color: bool = False, verbose: bool = False) -> Output:
        plain = no_color or "NO_COLOR" in os.environ
        # Without a terminal (CI logs, pipes) rich would wrap tables at 80 columns: give them room.
        width = None if sys.stdout.isatty() or "COLUMNS" in os.environ else 160
        return cls(
            out=Console(no_color=plain, highlight=False, width=width),
            err=Console(stderr=True, no_color=plain, highlight=False),
            verbose=verbose,
        )

    def problem(self, message: str) -> None:
        # One line per problem, never wrapped: scripts and CI logs grep these.
        sys.stderr.write(f"bgprobe: {message}\n")
        sys.stderr.flush()
