"""The architecture as tests: the import contract holds, every module says what it owns, and
every import kept inside a function says why."""

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODULES = sorted((ROOT / "sim").rglob("*.py"))


def test_the_import_contract_holds():
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert exe, "lint-imports is missing: pip install -e '.[test]'"
    done = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_module_opens_with_what_it_owns(path):
    doc = ast.get_docstring(ast.parse(path.read_text()))
    assert doc and len(doc.split()) >= 5, f"{path}: no module docstring saying what it owns"


def test_every_import_inside_a_function_says_why():
    bare = []
    for path in MODULES:
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if "noqa: PLC0415" in line and not re.search(r"noqa: PLC0415\s+-\s+\w+", line):
                bare.append(f"{path.relative_to(ROOT)}:{n}")
    assert not bare, "imports inside functions without a reason: " + ", ".join(bare)


def test_hydra_is_imported_only_by_the_command_line():
    outside = []
    for path in MODULES:
        if "cli" in path.relative_to(ROOT / "sim").parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(n == "hydra" or n.startswith("hydra.") for n in names):
                outside.append(str(path.relative_to(ROOT)))
    assert not outside, f"modules outside sim/cli import Hydra: {outside}"


def test_the_readme_module_tree_is_up_to_date():
    done = subprocess.run([sys.executable, str(ROOT / "docs" / "architecture.py"), "--check"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
