"""reports/terminal_layout.print_fitting at the widths it meets: a wide terminal, CI's fixed 120 columns,
80 columns. A column declared no_wrap (ids, names, the OS version) is shown whole or the table is stacked;
it is never cut (before: `bgprobe devices` in CI printed 'Android 14 (' for 'Android 14 (API 34)')."""

from __future__ import annotations

import io

import pytest
from bgprobe.reports.terminal_layout import print_fitting
from rich.console import Console
from rich.table import Table

ROWS = [
    ("127.0.0.1:35185", "sim-pixel8-01", "Android 14 (API 34)", "Google", "Pixel 8", "80 % charging", "ACTIVE/ACTIVE"),
    ("00008110-009664175F637253", "Anna's iPhone", "iOS 15.7.9 (19H384)", "Apple", "iPhone14,5", "38 %", ""),
]


def _devices_table() -> Table:
    table = Table()
    for col in ("id", "name", "system", "maker", "model", "battery", "doze"):
        table.add_column(col, no_wrap=col in ("id", "name", "system"), overflow="fold")
    for row in ROWS:
        table.add_row(*row)
    return table


@pytest.mark.parametrize("width", [80, 100, 110, 120, 160])
def test_no_wrap_cells_are_whole_at_every_width(width: int) -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, no_color=True, highlight=False)
    print_fitting(console, _devices_table(), key_columns=2)
    text = buffer.getvalue()
    lines = text.splitlines()
    assert all(len(line) <= width for line in lines), [line for line in lines if len(line) > width]
    for row in ROWS:
        for cell in row[:3]:  # the no_wrap columns
            assert any(cell in line for line in lines), (width, cell, text)
    assert "…" not in text


def test_a_stacked_row_that_wraps_has_no_blanks_padded_to_the_width() -> None:
    # A CI log or a pipe keeps trailing blanks: the wrapped `column value` lines end at their last word.
    table = Table()
    for col in ("app", "mostly by", "last"):
        table.add_column(col)
    table.add_row("com.foo.bar", "Android's limit on idle processes (too many cached)", "2026-10-30 08:00:00")
    buffer = io.StringIO()
    print_fitting(Console(file=buffer, width=60, no_color=True, highlight=False), table)
    lines = buffer.getvalue().splitlines()
    assert len(lines) >= 3  # the key line, then the fields on two lines or more
    assert all(line == line.rstrip() for line in lines), [line for line in lines if line != line.rstrip()]
    assert all(line.startswith("  ") for line in lines[1:])
    assert "2026-10-30 08:00:00" in " ".join(line.strip() for line in lines)
