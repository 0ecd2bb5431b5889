"""Benchmarks time bgprobe as an installed user runs it: with its modules' bytecode compiled.

`pip install .` compiles bytecode at install time, and Python otherwise writes it on first import.
An editable install under PYTHONDONTWRITEBYTECODE=1 (set on this workplace's machines) compiles
every bgprobe module again on every start: ~0.15 s of each CLI call that no user pays.
"""

from __future__ import annotations

import compileall
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_FOLDERS = ("cli", "collectors", "reports", "sim")


def compile_bgprobe() -> None:
    for folder in PACKAGE_FOLDERS:
        compileall.compile_dir(ROOT / folder, quiet=1)
