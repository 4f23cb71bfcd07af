"""Parameter points as Hydra config-group options, and the sweep that evaluates a round of them.

A study writes each point it wants evaluated as ``<study>/points/point/t0007.yaml``: a config
file in the ``_global_`` package holding the point's values as nested keys (``share: {social:
0.8}``). A round of points is then one ordinary sweep of the ``mindshare`` command,
``-m +point=t0000,t0001,... hydra.searchpath=[file://<study>/points]``, so every launcher,
the sweep's manifest, its resume and its failure handling apply unchanged, and each job
directory is named by its point (``+point=t0007,n=1000``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from sim.config import dotted_keys
from sim.outputs.files import atomic_write

#: The config group of the points, below the study's ``points`` directory.
GROUP = "point"
#: First line of a point file: its keys are root keys of the config.
PACKAGE_LINE = "# @package _global_"


def point_name(number: int) -> str:
    """The option name of trial ``number``: ``t0007``."""
    return f"t{number:04d}"


def nest(values: Mapping[str, Any]) -> dict[str, Any]:
    """Dotted keys to nested dicts: ``{"share.social": 0.8}`` -> ``{"share": {"social": 0.8}}``."""
    tree: dict[str, Any] = {}
    for key, value in values.items():
        *parents, leaf = key.split(".")
        node = tree
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return tree




def point_text(values: Mapping[str, Any], comments: Mapping[str, str] | None = None,
               header: Sequence[str] = ()) -> str:
    """A config file in the ``_global_`` package setting ``values`` (dotted keys).

    Floats are written with ``repr`` (read back bit for bit); ``comments`` puts a comment after
    a value's line, ``header`` comment lines after the package line.
    """
    comments = comments or {}
    lines = [PACKAGE_LINE, *(f"# {h}" for h in header)]

    def emit(node: Mapping[str, Any], prefix: str, indent: str) -> None:
        for key, value in node.items():
            dotted = f"{prefix}{key}"
            if isinstance(value, Mapping):
                lines.append(f"{indent}{key}:")
                emit(value, dotted + ".", indent + "  ")
                continue
            text = yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("...")
            note = comments.get(dotted)
            lines.append(f"{indent}{key}: {text.strip()}" + (f"  # {note}" if note else ""))

    emit(nest(values), "", "")
    return "\n".join(lines) + "\n"


def write_point(points_dir: str | Path, number: int, values: Mapping[str, Any]) -> str:
    """Write trial ``number``'s point file (atomically) and return its option name."""
    for key, value in values.items():
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{key}={value}: a point's values must be finite")
    name = point_name(number)
    path = Path(points_dir) / GROUP / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = point_text(values)
    atomic_write(path, lambda tmp: Path(tmp).write_text(text))
    return name


def read_point(path: str | Path) -> dict[str, Any]:
    """The values (dotted keys) of a point file written by :func:`write_point`."""
    return dotted_keys(yaml.safe_load(Path(path).read_text()) or {})


def round_overrides(names: Sequence[str], points_dir: str | Path, sweep_dir: str | Path, *,
                    replicates: int, name: str, extra: Sequence[str] = ()) -> list[str]:
    """The ``mindshare -m`` command line (after ``-m``) that evaluates a round of points.

    Args:
        names: the points' option names (:func:`point_name`).
        points_dir: the directory holding the ``point`` group.
        sweep_dir: the round's own sweep directory.
        replicates: runs per point.
        name: the runs' ``name``.
        extra: the user's overrides (``n=2000``, ``hydra/launcher=slurm``), given to every run.
    """
    search = Path(points_dir).resolve().as_uri()
    return [f"+{GROUP}={','.join(names)}", f"hydra.searchpath=['{search}']",
            f"replicates={replicates}", f"name={name}",
            f"hydra.sweep.dir='{Path(sweep_dir).resolve()}'", *extra]


def job_dirs(sweep_dir: str | Path, name: str) -> list[Path]:
    """The job directories of point ``name`` in a round's sweep directory."""
    prefix = f"+{GROUP}={name}"
    root = Path(sweep_dir)
    if not root.is_dir():
        return []
    return sorted(d for d in root.iterdir()
                  if d.is_dir() and (d.name == prefix or d.name.startswith(prefix + ",")))
