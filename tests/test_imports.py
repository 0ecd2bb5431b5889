"""Every `from bgprobe... import name` in the project names something that exists.

Most commands import what they need inside their bodies (start-up time), so a renamed or removed
helper is not caught at import time or by ruff: only by running that one command path.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("cli", "collectors", "reports", "sim", "bench", "tests", "examples")


def _imports() -> list[tuple[str, int, str, str]]:
    found = []
    for folder in FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bgprobe"):
                    for alias in node.names:
                        found.append((str(path.relative_to(ROOT)), node.lineno, node.module, alias.name))
    return found


def _resolves(module: str, name: str) -> bool:
    loaded = importlib.import_module(module)
    if name == "*" or hasattr(loaded, name):
        return True
    try:
        importlib.import_module(f"{module}.{name}")
    except ImportError:
        return False
    return True


def test_every_internal_import_names_something_that_exists() -> None:
    imports = _imports()
    assert len(imports) > 100  # the walk really found the project's imports
    missing = [f"{path}:{line}: {module}.{name}" for path, line, module, name in imports if not _resolves(module, name)]
    assert missing == []
