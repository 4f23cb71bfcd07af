"""Small sweeps written from Python in the sweep directory contract, without the command line.

For trying the report on a laptop, for its tests and for the benchmark: every (strategy,
grid point, replicate) becomes a run directory with ``.hydra/config.yaml``, the run's
outputs (:func:`sim.outputs.results.write_outputs`), ``status.json``, and the sweep gets its
``sweep.json`` manifest. Runs can be made to fail or to go missing on purpose, to see how the
report lists them.

>>> from sim.report.synthetic import write_sweep
>>> sweep = write_sweep("/tmp/tiny", strategies=["broadcast", "adapted"], replicates=2,
...                     overrides=["n=300", "steps=10"])       # doctest: +SKIP
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any


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
        name: the sweep's name in the manifest.

    Returns:
        The sweep directory.
    """
    from omegaconf import OmegaConf

    from sim import load_config
    from sim.config import config_hash
    from sim.outputs.files import atomic_write
    from sim.outputs.results import simulate, write_outputs

    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    grid = dict(grid or {})
    points = [dict(zip(grid, values)) for values in itertools.product(*grid.values())]
    fail, missing = set(fail), set(missing)
    entries = []
    jobs = itertools.product(strategies, points, range(replicates))
    for k, (strategy, point, rep) in enumerate(jobs):
        run_overrides = [f"strategy={strategy}", *(f"{key}={v}" for key, v in point.items()),
                         f"seed={seed}", f"replicate={rep}", *overrides]
        config = load_config(run_overrides)
        digest = config_hash(config)
        job = ",".join([f"strategy={strategy}", *(f"{key}={v}" for key, v in point.items())])
        rel = f"{job}/replicate={rep}"
        entries.append({"dir": rel, "config_hash": digest, "overrides": run_overrides})
        if k in missing:
            continue
        run_dir = root / rel
        (run_dir / ".hydra").mkdir(parents=True, exist_ok=True)
        text = OmegaConf.to_yaml(OmegaConf.structured(config))
        atomic_write(run_dir / ".hydra" / "config.yaml", lambda tmp: Path(tmp).write_text(text))
        if k in fail:
            error = f"RuntimeError: run {k} failed on purpose (synthetic sweep)"
            (run_dir / "traceback.txt").write_text(f"Traceback (most recent call last):\n"
                                                    f"{error}\n")
            status = {"status": "failed", "config_hash": digest, "error": error}
        else:
            write_outputs(simulate(config), run_dir, trace=False)
            status = {"status": "complete", "config_hash": digest, "error": None}
        write_json(run_dir / "status.json", status)
    write_json(root / "sweep.json", {"name": name, "experiment": name, "total": len(entries),
                                     "runs": entries})
    return root


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` as indented JSON through a temporary file (:func:`sim.outputs.results.atomic_write`)."""
    from sim.outputs.files import atomic_write

    text = json.dumps(data, indent=2) + "\n"
    atomic_write(Path(path), lambda tmp: Path(tmp).write_text(text))
