"""Where a run or sweep will write, resolved as Hydra does, checked before Hydra creates it."""

from __future__ import annotations

from pathlib import Path

import hydra

from sim.cli.compose import initialized
from sim.guards.output_dir import check_output_dir


def resolve_dir(overrides: list[str], which: str = "run") -> str | None:
    """``hydra.<which>.dir`` as Hydra resolves it for ``overrides``, or None if it cannot be.

    Args:
        overrides: the command line's overrides of a single run, or of a sweep's first job
            (already validated).
        which: ``run`` (a single run's directory) or ``sweep`` (a sweep's directory).
    """
    try:
        with initialized():
            cfg = hydra.compose("config", overrides=list(overrides), return_hydra_config=True)
            return str(cfg.hydra[which].dir)
    except Exception:  # noqa: BLE001 - composition errors are the config check's to report
        return None


def check_run_dir(overrides: list[str], which: str = "run") -> Path | None:
    """:func:`check_output_dir` on ``hydra.<which>.dir`` as Hydra resolves it for ``overrides``.

    Args:
        overrides: the command line's overrides of a single run, or of a sweep's first job
            (already validated).
        which: ``run`` (a single run's directory) or ``sweep`` (a sweep's directory).

    Returns:
        The nearest existing ancestor of the run directory, or None when the directory could
        not be resolved here (Hydra then reports the problem itself).

    Raises:
        ConfigError: the run directory cannot be created.
    """
    path = resolve_dir(overrides, which)
    return None if path is None else check_output_dir(f"hydra.{which}.dir", path)
