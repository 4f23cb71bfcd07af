"""Running one simulation and writing its outputs: the plain-Python API under the CLI.

>>> from sim import load_config, simulate
>>> result = simulate(load_config(["n=2000", "steps=5"]))
>>> result.summary["reached"] >= result.summary["seeded"]
True
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import os
import platform
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.config import MAX_REPLICATE, Config, ConfigError, Mode, config_hash, validate
from sim.engine.base import ModelBase
from sim.engine.brand import BrandModel, batchable, one_config
from sim.engine.factory import make_model
from sim.guards.meminfo import available_bytes
from sim.guards.memory import check_memory, estimate_peak_bytes
from sim.outputs.facts import summarise_facts
from sim.outputs.files import FileDigest, atomic_write
from sim.outputs.metrics import posts_table, summarise
from sim.outputs.rundir import SUMMARY, write_complete
from sim.progress import Progress
from sim.rng import Streams
from sim.world.graph_files import node_table
from sim.world.population import World, build_world, shared_world, world_from_graphs

#: Share of the agents seeded above which a run warns that its reach is mostly placements (an
#: assumption: half is where a reach figure stops saying anything about the spread).
SEEDED_WARNING = 0.5

log = logging.getLogger("mindshare")

#: The most runs advanced together by :func:`simulate_batch` (a job's replicates, usually
#: fewer): beyond a few dozen the step's shared cost is already spread thin.
BATCH_MAX = 64


@dataclass
class Result:
    """What a finished run produced.

    The tables are kept as Arrow tables, which is what the run writes; the pandas views
    (``timeseries``, ``trace``, ``activations``, ``posts``, ``decisions``) are built on first
    access, so a sweep that only writes its runs never pays for them.

    Attributes:
        summary: flat metrics plus seed, replicate, mode and package versions.
        tables: Arrow tables by output name: ``timeseries`` (one row per step and layer;
            columns in :mod:`sim.engine.recorder`), ``activations`` (one row per (post, agent)
            activation: agent, post, parent, layer, step), ``trace`` (every decided exposure:
            parent, child, layer, origin, post, sent, step, shared), ``posts`` (full mode: one
            row per brand post), ``listening`` (the listening strategy's decisions: step,
            post, split, theta_<layer>), ``nodes`` (layers read from files: agent, layer,
            label).
        model: the finished model (:class:`sim.engine.brand.BrandModel`, or
            :class:`sim.engine.cascade.CascadeModel` in reduction mode), for inspection.
        timing: wall seconds spent building the world (``build_s``), stepping (``run_s``) and
            collecting the tables (``collect_s``); kept out of ``summary`` so that summaries are
            byte-identical across runs.
    """

    summary: dict[str, Any]
    tables: dict[str, pa.Table]
    model: ModelBase = field(repr=False)
    timing: dict[str, float] = field(default_factory=dict)
    _frames: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    def frame(self, name: str) -> pd.DataFrame:
        """Table ``name`` as a DataFrame (empty when the run has no such table)."""
        if name not in self._frames:
            table = self.tables.get(name)
            self._frames[name] = pd.DataFrame() if table is None else table.to_pandas()
        return self._frames[name]

    @property
    def timeseries(self) -> pd.DataFrame:
        """The time series, one row per step and layer (table ``timeseries``)."""
        return self.frame("timeseries")

    @property
    def trace(self) -> pd.DataFrame:
        """Every decided exposure (table ``trace``)."""
        return self.frame("trace")

    @property
    def activations(self) -> pd.DataFrame:
        """One row per (post, agent) activation (table ``activations``)."""
        return self.frame("activations")

    @property
    def posts(self) -> pd.DataFrame:
        """One row per brand post, in full mode (table ``posts``)."""
        return self.frame("posts")

    @property
    def decisions(self) -> pd.DataFrame:
        """The listening strategy's decisions (table ``listening``)."""
        return self.frame("listening")


@functools.cache
def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for dist in ("mindshare", "numpy", "networkx", "mesa", "scipy"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "unknown"
    return out


def versions() -> dict[str, str]:
    """Versions of Python and of the packages that decide a run's numbers.

    They are looked up once per process: a lookup reads the installed packages' metadata, a few
    milliseconds.
    """
    return dict(_versions())


def simulate(config: Config, *, world: World | None = None,
             layers: Mapping[str, Any] | None = None, population: Iterable | None = None,
             progress: Progress | None = None) -> Result:
    """Build the world (unless given), run the model to its end and collect the results.

    Args:
        config: a config (:func:`sim.load_config`); validated again here, so a value
            changed after loading raises :class:`~sim.config.ConfigError`.
        world: a prebuilt world to reuse, e.g. across replicates of a benchmark; it must have
            been built from the same network settings.
        layers: NetworkX graphs as the layers, ``{"personal": G1, "professional": G2}``
            (either alone, or ``{"graph": G}``), aligned by node label: one agent per label,
            a member of the layers whose graph has it (:func:`sim.world.world_from_graphs`).
            The run's ``n`` becomes the number of agents, and ``nodes.parquet`` maps agents
            to labels.
        population: with ``layers``, the labels of all the agents, when some are on no layer.
        progress: where progress lines go; by default the ``mindshare`` logger when
            ``output.progress`` is set (see :mod:`sim.progress`).
    """
    validate(config)    # a Config changed after it was made is checked again, in one line
    if layers is not None:
        if world is not None:
            raise ValueError("give the run either a world or layers, not both")
        world = world_from_graphs(config, layers, population=population)
        config = dataclasses.replace(config, n=world.n)
    elif population is not None:
        raise ValueError("population goes with layers")
    if progress is None and config.output.progress:
        progress = Progress()
    t0 = time.perf_counter()
    if world is None:
        check_memory(config)    # a run that would not fit in memory fails here, in one line
        world = build_world(config, Streams(config.seed, config.replicate), progress=progress)
    t1 = time.perf_counter()
    model = make_model(config, world=world).run(progress=progress)
    return _collect(config, model, {"build_s": t1 - t0, "run_s": time.perf_counter() - t1})


def simulate_batch(configs: Sequence[Config], *,
                   progress: Progress | None = None) -> list[Result]:
    """Runs of one config that differ only in ``replicate``, advanced together.

    The results are those of ``[simulate(c) for c in configs]``, byte for byte (each run keeps
    its own streams, :class:`sim.engine.brand.BrandModel`), for less CPU per run: a step is
    paid once for the batch. Configs that cannot batch (:func:`sim.engine.brand.batchable`)
    run one by one. Memory grows with the batch: more runs than :func:`batch_size` allows go
    in several batches.

    Args:
        configs: the runs' configs (validated again here), in the order of the results.
        progress: where progress lines go (one line per step for the whole batch).
    """
    if len(configs) < 2 or not batchable(configs[0]) or not one_config(configs):
        return [simulate(config, progress=progress) for config in configs]
    # one config at several replicates: the first is checked in full, the others' replicate
    validate(configs[0])
    for config in configs[1:]:
        if not (isinstance(config.replicate, int) and 0 <= config.replicate <= MAX_REPLICATE):
            raise ConfigError("replicate", config.replicate, f"must be in [0, {MAX_REPLICATE}]")
    size = batch_size(configs[0], len(configs))
    if size < len(configs):
        return [result for first in range(0, len(configs), size)
                for result in simulate_batch(configs[first:first + size], progress=progress)]
    if progress is None and configs[0].output.progress:
        progress = Progress()
    t0 = time.perf_counter()
    check_memory(configs[0])
    worlds = [shared_world(c, progress=progress) for c in configs]
    t1 = time.perf_counter()
    batch = BrandModel(configs[0], batch=list(zip(configs, worlds, strict=True)))
    batch.run(progress=progress)
    t2 = time.perf_counter()
    share = {"build_s": (t1 - t0) / len(configs), "run_s": (t2 - t1) / len(configs)}
    return [_collect(config, model, dict(share))
            for config, model in zip(configs, batch.runs(), strict=True)]


def batch_size(config: Config, runs: int, *, available: int | None = None) -> int:
    """How many runs of ``config`` to advance together: all ``runs`` when they fit.

    A batch holds its runs' worlds and state at once: each run's share is the memory
    estimate of one run (:func:`sim.guards.memory.estimate_peak_bytes`) less the process's
    baseline, and the batch takes at most half the memory available
    (:func:`sim.guards.meminfo.available_bytes`), at most :data:`BATCH_MAX` runs, and never
    fewer than one.
    """
    if runs < 2 or not batchable(config):
        return 1
    if available is None:
        available = available_bytes()[0]
    estimate = estimate_peak_bytes(config)
    per_run = max(estimate.peak - estimate.baseline, 1)
    fits = BATCH_MAX if available is None else int(available // 2 // per_run)
    return max(1, min(runs, BATCH_MAX, fits))


def _collect(config: Config, model: ModelBase, timing: dict[str, float]) -> Result:
    """The summary and tables of a finished run; ``timing`` gains ``collect_s``."""
    t2 = time.perf_counter()
    summary: dict[str, Any] = {
        "mode": config.mode.value, "seed": config.seed, "replicate": config.replicate,
        "config_hash": config_hash(config),
    }
    summary.update(summarise(model))
    summary.update(summarise_facts(model))
    if summary.get("seeded", 0) >= SEEDED_WARNING * summary["n_agents"]:
        log.warning("the brand seeded %d of %d agents (%.0f%%): reach mostly counts the "
                    "placements, not the spread; a larger network or a smaller budget lets "
                    "the spread show", summary["seeded"], summary["n_agents"],
                    100 * summary["seeded"] / summary["n_agents"])
    summary.update({f"version_{k}": v for k, v in versions().items()})
    names = list(model.channels)
    coded = {"layer": names, "origin": names}
    tables = {
        "timeseries": arrow_columns(model.recorder.columns(), {"layer": names}),
        "activations": arrow_columns(model.activations(), coded),
        "trace": arrow_columns(model.trace(), coded),
    }
    if model.mode is Mode.full:
        tables["posts"] = arrow_columns(posts_table(model))
        if model.listener.decisions:
            tables["listening"] = pa.Table.from_pylist(model.listener.decisions)
    nodes = node_table(model.world.layers)
    if nodes is not None:       # layers with labels: agent -> the node's id
        tables["nodes"] = nodes
    timing["collect_s"] = time.perf_counter() - t2
    return Result(summary=summary, tables=tables, model=model, timing=timing)


def arrow_columns(columns: dict[str, np.ndarray],
                  categories: dict[str, list[str]] | None = None) -> pa.Table:
    """An Arrow table from numpy columns.

    A column named in ``categories`` holds integer codes into that list and becomes a dictionary
    (categorical) column.
    """
    categories = categories or {}
    out = {}
    for name, values in columns.items():
        if name in categories:
            out[name] = pa.DictionaryArray.from_arrays(
                pa.array(np.asarray(values, dtype=np.int32)), pa.array(categories[name]))
        else:
            out[name] = pa.array(values)
    return pa.table(out)


def write_outputs(result: Result, out_dir: str | os.PathLike, *, trace: bool = True,
                  extra: dict[str, Callable[[str], None]] | None = None,
                  recorded: Mapping[str, FileDigest] | None = None
                  ) -> dict[str, FileDigest]:
    """Write a run's tables as Parquet files, then ``summary.json``, then ``status.json``.

    The tables are ``timeseries.parquet``, ``activations.parquet``, ``posts.parquet`` (full
    mode), ``listening.parquet`` (listening strategy), ``trace.parquet`` (optional) and
    ``nodes.parquet`` (layers read from graph files: each agent's id in the file); then
    ``timing.json`` when the run was timed. Every file goes through a temporary name and a
    rename (:func:`sim.outputs.files.atomic_write`; without ``fsync``: the record returned is
    what makes a file lost in a crash show).

    ``extra`` maps more file names to functions writing them at a given path; they are written
    (each through a temporary file) after the tables and before ``summary.json``.

    ``status.json``, written last (:func:`sim.outputs.rundir.write_complete`), says the run is
    complete for the config hash of its summary and records the size and SHA-256 of every file
    written here (``timing.json`` excepted: its times differ between reruns) and of those in
    ``recorded`` (written before, e.g. ``.hydra/config.yaml``): the directory is then a
    complete run for the sweep, its table and the report.

    Returns:
        The files ``status.json`` records, with their sizes and checksums.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, FileDigest] = {}

    def put(name: str, write: Callable[[str], Any], *, record: bool = True) -> None:
        digest = atomic_write(out / name, write, digest=record, sync=False)
        if digest is not None:
            files[name] = digest

    for name, table in result.tables.items():
        if name == "trace" and not trace:
            continue
        put(f"{name}.parquet", lambda tmp, t=table: pq.write_table(t, tmp))
    if result.timing:
        timing = json.dumps({k: round(v, 4) for k, v in result.timing.items()}, indent=2)
        put("timing.json", lambda tmp: Path(tmp).write_text(timing + "\n"), record=False)
    for name, write in (extra or {}).items():
        put(name, write)
    text = json.dumps(result.summary, indent=2, sort_keys=False) + "\n"
    put(SUMMARY, lambda tmp: Path(tmp).write_text(text))
    files = {**(recorded or {}), **files}
    write_complete(out, result.summary["config_hash"], files)     # last: the run is complete
    return files
