"""Files written whole or not at all, and JSON files read without trusting them."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def read_json_object(path: Path) -> dict[str, Any] | None:
    """The JSON object in ``path``, or None when the file is missing, unreadable or not one.

    A file that is not JSON, or JSON but not an object, gives None too (a run's
    ``summary.json`` or ``status.json`` may be any of these).
    """
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def atomic_write(path: Path, write) -> None:
    """Write a file through a temporary sibling and ``os.replace``.

    A killed run therefore never leaves a truncated file under the final name.

    Args:
        path: the file's final name.
        write: called with the temporary file's name, writes the content there.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
