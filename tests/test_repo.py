"""The repository stands alone and keeps its layering: no file points outside it, and imports go
one way (cli -> collectors -> reports; only the `sim` and `demo` commands start simulated phones)."""

from __future__ import annotations

import ast
import subprocess

from tests.helpers import REPO

TEXT_SUFFIXES = (".py", ".md", ".toml", ".txt", ".cfg", ".ini", ".json", ".yml", ".yaml", "")


def tracked_files() -> list[str]:
    out = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    return [f for f in out.splitlines() if (REPO / f).is_file()]


def test_no_file_points_outside_the_repository():
    needle = "../" + "shared"  # split so that this file does not match itself
    offenders = []
    for name in tracked_files():
        if not name.endswith(TEXT_SUFFIXES) or name.startswith("tests/samples/"):
            continue
        text = (REPO / name).read_text(encoding="utf-8", errors="replace")
        if needle in text:
            offenders.append(name)
    assert offenders == []


def _imports(path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def _layer_imports(folder: str) -> dict[str, set[str]]:
    return {str(p.relative_to(REPO)): _imports(p) for p in (REPO / folder).rglob("*.py")}


def test_imports_go_one_way():
    def uses(imports: set[str], layer: str) -> bool:
        return any(m == f"bgprobe.{layer}" or m.startswith(f"bgprobe.{layer}.") for m in imports)

    for name, imports in _layer_imports("collectors").items():
        assert not uses(imports, "cli"), f"{name} imports the CLI"
        assert not uses(imports, "sim"), f"{name} imports the simulator"
    for name, imports in _layer_imports("reports").items():
        assert not uses(imports, "cli") and not uses(imports, "collectors"), f"{name} imports cli or collectors"
        assert not uses(imports, "sim"), f"{name} imports the simulator"
    for name, imports in _layer_imports("cli").items():
        if name not in ("cli/sim.py", "cli/demo.py"):
            assert not uses(imports, "sim"), f"{name} imports the simulator"
    for name, imports in _layer_imports("sim").items():
        assert not uses(imports, "cli"), f"{name} imports the CLI"
