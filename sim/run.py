"""Running one simulation and writing its outputs: the plain-Python API under the CLI.

>>> from sim import load_config, simulate
>>> result = simulate(load_config(["n=2000", "steps=5"]))
>>> result.summary["reach"] >= result.summary["seeds"]
True
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .config import Config, config_hash
from .metrics import posts_table, summarise
from .memory import check_memory
from .model import BrandModel
from .networks.io import node_table
from .progress import Progress
from .rng import Streams
from .world import World, build_world


@dataclass
class Result:
    """What a finished run produced.

    Attributes:
        summary: flat metrics plus seed, replicate, mode and package versions.
        timeseries: one row per (step, layer); columns in :mod:`sim.recorder`.
        trace: every decided exposure (parent, child, layer, origin, post, sent, step, shared).
        activations: one row per (post, agent) activation (agent, post, parent, layer, step).
        posts: one row per brand post (full mode): step, published, seeds, audience,
            activations.
        decisions: the listening strategy's decisions, one row per post it placed (step,
            post, split, theta_<layer>); empty for other strategies.
        model: the finished model, for inspection.
        timing: wall seconds spent building the world (``build_s``) and stepping (``run_s``);
            kept out of ``summary`` so that summaries are byte-identical across runs.
    """

    summary: dict[str, Any]
    timeseries: pd.DataFrame
    trace: pd.DataFrame
    activations: pd.DataFrame
    model: BrandModel = field(repr=False)
    posts: pd.DataFrame = field(default_factory=pd.DataFrame)
    decisions: pd.DataFrame = field(default_factory=pd.DataFrame)
    timing: dict[str, float] = field(default_factory=dict)


def versions() -> dict[str, str]:
    """Versions of Python and of the packages that decide a run's numbers."""
    out = {"python": platform.python_version()}
    for dist in ("mindshare", "numpy", "networkx", "mesa", "scipy"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "unknown"
    return out


def simulate(config: Config, *, world: World | None = None,
             progress: Progress | None = None) -> Result:
    """Build the world (unless given), run the model to its end and collect the results.

    Args:
        config: a validated config (:func:`sim.load_config`).
        world: a prebuilt world to reuse, e.g. across replicates of a benchmark; it must have
            been built from the same network settings.
        progress: where progress lines go; by default the ``mindshare`` logger when
            ``output.progress`` is set (see :mod:`sim.progress`).
    """
    if progress is None and config.output.progress:
        progress = Progress()
    t0 = time.perf_counter()
    if world is None:
        check_memory(config)    # a run that would not fit in memory fails here, in one line
        world = build_world(config, Streams(config.seed, config.replicate), progress=progress)
    t1 = time.perf_counter()
    model = BrandModel(config, world=world).run(progress=progress)
    t2 = time.perf_counter()
    summary: dict[str, Any] = {
        "mode": config.mode.value, "seed": config.seed, "replicate": config.replicate,
        "config_hash": config_hash(config),
    }
    summary.update(summarise(model))
    summary.update({f"version_{k}": v for k, v in versions().items()})
    names = model.channels
    trace = pd.DataFrame(model.trace())
    acts = pd.DataFrame(model.activations())
    for frame in (trace, acts):
        for col in ("layer", "origin"):
            if col in frame:
                frame[col] = pd.Categorical.from_codes(frame[col].astype(np.int64),
                                                       categories=list(names))
    posts = pd.DataFrame() if model.reduction else pd.DataFrame(posts_table(model))
    decisions = pd.DataFrame(model.listener.decisions if not model.reduction else [])
    return Result(summary=summary, timeseries=model.recorder.frame(), trace=trace,
                  activations=acts, model=model, posts=posts, decisions=decisions,
                  timing={"build_s": t1 - t0, "run_s": t2 - t1,
                          "collect_s": time.perf_counter() - t2})


def atomic_write(path: Path, write) -> None:
    """Write a file through a temporary sibling and ``os.replace``, so a killed run never
    leaves a truncated file under the final name."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def arrow_table(frame: pd.DataFrame) -> pa.Table:
    """A DataFrame as an Arrow table, column by column from its numpy arrays (categoricals as
    dictionary arrays): about half the cost of ``pa.Table.from_pandas`` on a run's small
    tables, which matters when a sweep writes thousands of them."""
    columns = {}
    for name, column in frame.items():
        if isinstance(column.dtype, pd.CategoricalDtype):
            columns[name] = pa.DictionaryArray.from_arrays(
                pa.array(column.cat.codes.to_numpy()), pa.array(list(column.cat.categories)))
        else:
            columns[name] = pa.array(column.to_numpy())
    return pa.table(columns)


def write_outputs(result: Result, out_dir: str | os.PathLike, *, trace: bool = True,
                  extra: dict[str, Callable[[str], None]] | None = None) -> None:
    """Write ``timeseries.parquet``, ``activations.parquet``, ``posts.parquet`` (full mode),
    ``listening.parquet`` (listening strategy), ``trace.parquet`` (optional),
    ``nodes.parquet`` (layers read from graph files: each agent's id in the file) and, last,
    ``summary.json``: a directory with ``summary.json`` is a complete run.

    ``extra`` maps more file names to functions writing them at a given path; they are written
    (each through a temporary file) after the tables and before ``summary.json``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tables = {"timeseries": result.timeseries, "activations": result.activations}
    if len(result.posts):
        tables["posts"] = result.posts
    if len(result.decisions):
        tables["listening"] = result.decisions
    if trace:
        tables["trace"] = result.trace
    nodes = node_table(result.model.world.layers)
    if nodes is not None:       # layers read from files: agent -> the file's node id
        tables["nodes"] = nodes
    for name, frame in tables.items():
        atomic_write(out / f"{name}.parquet",
                     lambda tmp, f=frame: pq.write_table(arrow_table(f), tmp))
    if result.timing:
        timing = json.dumps({k: round(v, 4) for k, v in result.timing.items()}, indent=2)
        atomic_write(out / "timing.json", lambda tmp: Path(tmp).write_text(timing + "\n"))
    for name, write in (extra or {}).items():
        atomic_write(out / name, write)
    text = json.dumps(result.summary, indent=2, sort_keys=False) + "\n"
    atomic_write(out / "summary.json", lambda tmp: Path(tmp).write_text(text))
