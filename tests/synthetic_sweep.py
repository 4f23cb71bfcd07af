"""Small sweeps written from Python in the sweep directory contract, without the command line.

For the report's tests and its benchmark (``experiments/bench/bench_report.py``): every
(strategy, grid point, replicate) becomes a run directory written by the run-directory
contract's writers (:mod:`sim.outputs.rundir`: ``.hydra/config.yaml``, the run's outputs,
``summary.json``, then ``status.json`` recording their sizes and checksums), and the sweep
gets its ``sweep.json`` manifest (:mod:`sim.sweep.manifest`). Runs can be made to fail or to
go missing on purpose, to see how the report lists them.

>>> from synthetic_sweep import write_sweep
>>> sweep = write_sweep("/tmp/tiny", strategies=["broadcast", "adapted"], replicates=2,
...                     overrides=["n=300", "steps=10"])       # doctest: +SKIP
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sim import load_config
from sim.config import config_hash
from sim.outputs.results import simulate, write_outputs
from sim.outputs.rundir import (
    RunSpec,
    reset_run,
    write_failure,
    write_run_config,
)
from sim.sweep.manifest import write_manifest


def write_sweep(root: str | Path, *, strategies: Sequence[str] = ("broadcast", "adapted"),
                replicates: int = 3, overrides: Iterable[str] = (),
                grid: Mapping[str, Sequence[Any]] | None = None, seed: int = 0,
                fail: Iterable[int] = (), missing: Iterable[int] = (),
                name: str = "synthetic") -> Path:
    """Run every (strategy, grid point, replicate) and write a sweep directory.

    Run ``k`` (in the order strategy, then grid points, then replicate) goes to
    ``root/strategy=<name>[,<key>=<value>...]/replicate=<r>/``, named like the ``mindshare``
    command's sweep directories; the manifest lists them in that order.

    Args:
        root: the sweep directory (created; existing runs in it are overwritten).
        strategies: strategy names (``conf/strategy/<name>.yaml``).
        replicates: replicates per strategy and grid point (``replicate=0..replicates-1``);
            replicates with the same index share their random numbers.
        overrides: overrides applied to every run, e.g. ``["n=300", "steps=10"]``.
        grid: further swept keys, e.g. ``{"p": [0.05, 0.1]}``; every combination is run.
        seed: root seed of every run.
        fail: run numbers written as failed runs (``status.json`` with an error and
            ``traceback.txt``, no ``summary.json``).
        missing: run numbers listed in the manifest but never started (no directory).
        name: the sweep's name (and experiment) in the manifest.

    Returns:
        The sweep directory.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    grid = dict(grid or {})
    points = [dict(zip(grid, values, strict=True)) for values in itertools.product(*grid.values())]
    fail, missing = set(fail), set(missing)
    entries = []
    jobs = itertools.product(strategies, points, range(replicates))
    for k, (strategy, point, rep) in enumerate(jobs):
        swept = [f"strategy={strategy}", *(f"{key}={v}" for key, v in point.items())]
        run_overrides = [*swept, f"seed={seed}", f"replicate={rep}", *overrides]
        config = load_config(run_overrides)
        spec = RunSpec(dir=root / ",".join(swept) / f"replicate={rep}", config=config,
                       overrides=tuple(run_overrides), config_hash=config_hash(config))
        entries.append({"dir": spec.dir.relative_to(root).as_posix(),
                        "config_hash": spec.config_hash, "overrides": run_overrides})
        if k in missing:
            continue
        reset_run(spec.dir)             # an earlier sweep's run in the same directory
        files = write_run_config(spec)
        if k in fail:
            error = f"RuntimeError: run {k} failed on purpose (synthetic sweep)"
            write_failure(spec.dir, spec.config_hash, error,
                          f"Traceback (most recent call last):\n{error}\n")
        else:
            write_outputs(simulate(config), spec.dir, trace=False, recorded=files)
    write_manifest(root, name=name, experiment=name, entries=entries)
    return root
