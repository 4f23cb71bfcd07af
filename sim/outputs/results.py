"""Running one simulation and writing its outputs: the plain-Python API under the CLI.

>>> from sim import load_config, simulate
>>> result = simulate(load_config(["n=2000", "steps=5"]))
>>> result.summary["reached"] >= result.summary["seeded"]
True
"""

from __future__ import annotations

import functools
import json
import os
import platform
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.config import Config, Mode, config_hash, validate
from sim.engine.base import ModelBase
from sim.engine.factory import make_model
from sim.guards.memory import check_memory
from sim.outputs.facts import summarise_facts
from sim.outputs.files import FileDigest, atomic_write
from sim.outputs.metrics import posts_table, summarise
from sim.outputs.rundir import SUMMARY, write_complete
from sim.progress import Progress
from sim.rng import Streams
from sim.world.graph_files import node_table
from sim.world.population import World, build_world


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
             progress: Progress | None = None) -> Result:
    """Build the world (unless given), run the model to its end and collect the results.

    Args:
        config: a config (:func:`sim.load_config`); validated again here, so a value
            changed after loading raises :class:`~sim.config.ConfigError`.
        world: a prebuilt world to reuse, e.g. across replicates of a benchmark; it must have
            been built from the same network settings.
        progress: where progress lines go; by default the ``mindshare`` logger when
            ``output.progress`` is set (see :mod:`sim.progress`).
    """
    validate(config)    # a Config changed after it was made is checked again, in one line
    if progress is None and config.output.progress:
        progress = Progress()
    t0 = time.perf_counter()
    if world is None:
        check_memory(config)    # a run that would not fit in memory fails here, in one line
        world = build_world(config, Streams(config.seed, config.replicate), progress=progress)
    t1 = time.perf_counter()
    model = make_model(config, world=world).run(progress=progress)
    t2 = time.perf_counter()
    summary: dict[str, Any] = {
        "mode": config.mode.value, "seed": config.seed, "replicate": config.replicate,
        "config_hash": config_hash(config),
    }
    summary.update(summarise(model))
    summary.update(summarise_facts(model))
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
    if nodes is not None:       # layers read from files: agent -> the file's node id
        tables["nodes"] = arrow_table(nodes)
    return Result(summary=summary, tables=tables, model=model,
                  timing={"build_s": t1 - t0, "run_s": t2 - t1,
                          "collect_s": time.perf_counter() - t2})


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


def arrow_table(frame: pd.DataFrame) -> pa.Table:
    """A DataFrame as an Arrow table, column by column from its numpy arrays.

    Categoricals become dictionary arrays. This costs about half of ``pa.Table.from_pandas`` on
    a run's small tables, which matters when a sweep writes thousands of them.
    """
    columns = {}
    for name, column in frame.items():
        if isinstance(column.dtype, pd.CategoricalDtype):
            columns[name] = pa.DictionaryArray.from_arrays(
                pa.array(column.cat.codes.to_numpy()), pa.array(list(column.cat.categories)))
        else:
            columns[name] = pa.array(column.to_numpy())
    return pa.table(columns)


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
