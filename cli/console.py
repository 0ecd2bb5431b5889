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
        return cls(
            out=Console(no_color=plain, highlight=False, soft_wrap=not sys.stdout.isatty()),
            err=Console(stderr=True, no_color=plain, highlight=False),
            verbose=verbose,
        )

    def problem(self, message: str) -> None:
        self.err.print(f"bgprobe: {message}", markup=False, highlight=False)
