"""Tables that fit the terminal they are printed on.

A rich table that fits is printed as it is, with every column at least as wide as its longest word,
so that no identifier, serial, constraint name or number is broken in the middle. At 100 columns or
fewer (an 80-column terminal), or when even that minimum does not fit, each row becomes a block: its
key columns on a line of their own, then `column value` pairs joined by ` · `, wrapped between words.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

NARROW = 100


def _plain(cell: object) -> str:
    from rich.text import Text

    if isinstance(cell, Text):
        return cell.plain
    return Text.from_markup(str(cell)).plain if isinstance(cell, str) else str(cell)


def _column_widths(table: Table, cells: Sequence[Sequence[object]], total: int) -> list[int] | None:
    """Widths that fit `total` with every column at least as wide as its longest word (so that nothing
    is broken inside a word), the room left shared by how much each column would like; None when even
    the longest words do not fit."""
    natural, least = [], []
    for column, column_cells in zip(table.columns, cells, strict=True):
        texts = [_plain(cell) for cell in column_cells] + [_plain(column.header)]
        natural.append(max(len(line) for t in texts for line in (t.splitlines() or [""])))
        words = max((len(w) for t in texts for w in t.split()), default=1)
        least.append(natural[-1] if column.no_wrap else words)  # a no_wrap column is never cut short
    room = total - (3 * len(natural) + 1)  # borders and one space of padding each side
    if sum(least) > room:
        return None
    if sum(natural) <= room:
        return natural
    spare, wants = room - sum(least), [n - m for n, m in zip(natural, least, strict=True)]
    share = [m + (spare * w) // max(1, sum(wants)) for m, w in zip(least, wants, strict=True)]
    return share


def print_fitting(console: Console, table: Table, *, key_columns: int = 1) -> None:
    from rich.text import Text

    cells = [list(column.cells) for column in table.columns]
    widths = _column_widths(table, cells, console.width)
    if console.width > NARROW and widths is not None:
        for column, width in zip(table.columns, widths, strict=True):
            column.width, column.overflow = width, "fold"
        console.print(table)
        return
    if table.title:
        console.print(table.title, style="bold" if not console.no_color else None)
    headers = [_plain(column.header) for column in table.columns]
    for row in range(table.row_count):
        title = Text("  ·  ").join(
            Text.from_markup(c) if isinstance(c, str) else Text(str(c))
            for c in (cells[i][row] for i in range(min(key_columns, len(cells))))
        )
        console.print(title, overflow="fold")
        fields = []
        for i in range(key_columns, len(cells)):
            value = cells[i][row]
            if not _plain(value).strip():
                continue
            text = Text(f"{headers[i]} ", style="dim") if headers[i] else Text()
            text.append_text(Text.from_markup(value) if isinstance(value, str) else Text(str(value)))
            fields.append(text)
        if fields:  # wrapped here, each line indented: a Padding would pad wrapped lines with blanks to the width
            for line in Text(" · ").join(fields).wrap(console, max(8, console.width - 2), overflow="fold"):
                line.rstrip()
                console.print(Text("  ").append_text(line), no_wrap=True, crop=False)
    if table.caption:
        console.print(table.caption, style="dim")
