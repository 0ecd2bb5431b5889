"""Where output goes: rich consoles that respect --no-color, NO_COLOR and a missing TTY.

The consoles are made on first use: `--json` runs never import rich (start-up time matters
to CI loops that call bgprobe thousands of times).
"""

from __future__ import annotations

import os
import sys
from functools import cached_property
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from rich.console import Console

NARROW = 100  # at this width or less, tables turn into stacked blocks (an 80-column terminal)
NO_TTY_WIDTH = 120  # CI logs and pipes: wide enough for the tables, narrow enough to read in a log viewer


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

    @property
    def narrow(self) -> bool:
        return self.out.width <= NARROW

    def stacked(self, title: str, fields: list[str], *, console: Console | None = None) -> None:
        """One block per row of a table too wide for the terminal: the identifier alone on its line
        (never cut), then the other columns as `a · b · c`, folded only between them."""
        con = console or self.out
        con.print(title, markup=False, highlight=False, overflow="ignore", crop=False)
        for line in fold(" · ".join(f for f in fields if f), con.width - 2):
            con.print("  " + line, markup=False, highlight=False, overflow="ignore", crop=False)

    def problem(self, message: str) -> None:
        # One line per problem, never wrapped: scripts and CI logs grep these.
        sys.stderr.write(f"bgprobe: {message}\n")
        sys.stderr.flush()


def _width(stream: TextIO) -> int | None:
    """Without a terminal (CI logs, pipes) rich would wrap tables and progress lines at 80 columns:
    give them a fixed, readable width. On a terminal, or with $COLUMNS set, rich's own choice."""
    return None if stream.isatty() or "COLUMNS" in os.environ else NO_TTY_WIDTH


def fold(text: str, width: int, *, separators: str = "/:.,") -> list[str]:
    """`text` in lines of at most `width`, broken between words; a word longer than a line (a build
    fingerprint, a long package) is broken after one of its own separators, never inside a serial or a
    number. A piece with no separator longer than the width stays whole on its line."""
    if width < 8 or len(text) <= width:
        return [text]
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if len(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = ""
        for piece in _pieces(word, separators) if len(word) > width else [word]:
            if current and len(current) + len(piece) > width:
                lines.append(current)
                current = piece
            else:
                current += piece
    if current:
        lines.append(current)
    return lines


def _pieces(word: str, separators: str) -> list[str]:
    pieces, start = [], 0
    for i, ch in enumerate(word):
        if ch in separators:
            pieces.append(word[start : i + 1])
            start = i + 1
    if start < len(word):
        pieces.append(word[start:])
    return pieces


def stdin_is_tty() -> bool:
    """Whether an operator can answer a prompt (CI runners give no stdin, or a closed one)."""
    try:
        return os.isatty(sys.stdin.fileno())
    except (OSError, ValueError, AttributeError):
        return False
