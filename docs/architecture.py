"""Render the README's module tree from the modules' own docstrings.

    python docs/architecture.py          # rewrite README.md between the tree markers
    python docs/architecture.py --check  # exit 1 if README.md is out of date

Each line is a module and the first line of its docstring (what it owns), so the tree cannot
say something the code does not.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARKERS = ("<!-- module-tree:start -->", "<!-- module-tree:end -->")
WIDTH = 26


def summary(path: Path) -> str:
    """The first line of a module's docstring, without its closing period and reST markup."""
    doc = ast.get_docstring(ast.parse(path.read_text())) or ""
    line = doc.strip().splitlines()[0].rstrip(".") if doc.strip() else ""
    line = re.sub(r":[a-z]+:`~?([^`]+)`", r"\1", line)
    return line.replace("``", "")


def tree(package: Path = ROOT / "sim") -> list[str]:
    """One line per package and module below ``package``, packages first, then modules."""
    lines = []

    def walk(folder: Path, depth: int) -> None:
        pad = "  " * depth
        modules = sorted(p for p in folder.glob("*.py") if p.name != "__init__.py")
        packages = sorted(p for p in folder.iterdir()
                          if p.is_dir() and (p / "__init__.py").exists())
        for path in modules:
            lines.append(f"{pad}{path.name:<{WIDTH - len(pad)}}{summary(path)}")
        for sub in packages:
            lines.append(f"{pad}{sub.name + '/':<{WIDTH - len(pad)}}{summary(sub / '__init__.py')}")
            walk(sub, depth + 1)

    lines.append(f"{'sim/':<{WIDTH}}{summary(package / '__init__.py')}")
    walk(package, 1)
    return lines


def render(text: str) -> str:
    """``text`` (the README) with the tree between its markers replaced."""
    start, end = MARKERS
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n```\n" + "\n".join(tree()) + f"\n```\n{end}{tail}"


def main() -> int:
    """Rewrite the README's tree, or with ``--check`` say whether it is up to date."""
    readme = ROOT / "README.md"
    text = readme.read_text()
    new = render(text)
    if "--check" in sys.argv:
        if new != text:
            print("README.md: the module tree is out of date; run: python docs/architecture.py")
            return 1
        return 0
    readme.write_text(new)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
