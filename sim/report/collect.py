"""Collecting a sweep directory into tidy tables: one row per run, one row per (run, step, layer).

A sweep directory holds run directories at any depth and, usually, a ``sweep.json`` manifest
(the contract is in the README, "Sweeps and reports"). Every run found on disk or listed in
the manifest gets one row of :attr:`Sweep.runs`, with its ``status``:

- ``complete``: ``status.json`` (written last) says so, and every file it records has its
  recorded size and checksum;
- ``failed``: ``status.json`` says so (its one-line ``error`` is kept);
- ``missing``: listed in the manifest but never started, or started and never finished, or
  *stale*: its files are of another config than the manifest's, or *damaged*: a file does
  not verify against ``status.json``'s record (the sweep would redo these). A damaged run's
  ``error`` names its files and what is wrong; the runs are also named in a warning on the
  ``mindshare`` logger (stderr when logging is not configured).

The states are those of :mod:`sim.outputs.rundir`, checked against the manifest's config hash
for the runs it lists.

Nothing is dropped silently: failed and missing runs keep their row, with empty metrics.
Summaries are small JSON files read one by one; resolved configs are YAML files, parsed once
per distinct text (the runs of a sweep differ mostly by ``seed`` and ``replicate``, which are
read apart); time series are read in one DuckDB scan over all Parquet files.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sim.config import override_values
from sim.outputs import rundir
from sim.outputs.rundir import RunState

log = logging.getLogger("mindshare")

#: Files whose presence makes a directory a run directory.
RUN_MARKERS = (rundir.SUMMARY, rundir.STATUS)
#: Column prefix of the resolved config's keys in the runs table.
CONFIG_PREFIX = "config."
#: Top-level config lines read apart from the rest of the text (so equal texts parse once).
_RUN_LINES = re.compile(r"^(seed|replicate): (\d+)\n", re.MULTILINE)


class ReportError(ValueError):
    """A sweep directory the report cannot read; the message is one line naming the path."""


@dataclass
class Sweep:
    """Every run of a sweep directory, as tables.

    Attributes:
        root: the sweep directory.
        manifest: ``sweep.json`` as read, or ``None`` when there is none.
        runs: one row per run (see the README, "Reports", for its columns).
        timeseries: one row per (complete run, step, layer).
    """

    root: Path
    manifest: dict[str, Any] | None
    runs: pd.DataFrame
    timeseries: pd.DataFrame = field(repr=False)

    @property
    def complete(self) -> pd.DataFrame:
        """The runs that finished."""
        return self.runs[self.runs["status"] == "complete"]

    @property
    def problems(self) -> pd.DataFrame:
        """Failed and missing runs: ``run``, ``status``, ``strategy``, ``replicate``, ``error``."""
        cols = ["run", "status", "strategy", "replicate", "error"]
        return self.runs.loc[self.runs["status"] != "complete", cols].reset_index(drop=True)


def find_runs(root: Path, *, skip: tuple[Path, ...] = ()) -> list[Path]:
    """Run directories below ``root`` (``root`` itself included), in sorted order.

    A run directory has ``summary.json``, ``status.json`` or ``.hydra/config.yaml``; its own
    subdirectories are not searched. Directories in ``skip`` (e.g. a report written inside
    the sweep) are left out.
    """
    skipped = {p.resolve() for p in skip}
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        if here.resolve() in skipped:
            dirnames[:] = []
            continue
        if (any(m in filenames for m in RUN_MARKERS)
                or (".hydra" in dirnames and (here / rundir.CONFIG).is_file())):
            found.append(here)
            dirnames[:] = []
            continue
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
    return sorted(found, key=lambda p: _natural(p.relative_to(root).as_posix()))


def _natural(text: str) -> list[Any]:
    """Sort key putting ``run/2`` before ``run/10``."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text)]


def read_manifest(root: Path) -> dict[str, Any] | None:
    """``sweep.json`` of the sweep, or ``None``.

    Raises:
        ReportError: the manifest exists but is not a JSON object with a ``runs`` list.
    """
    path = root / "sweep.json"
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ReportError(f"{path}: unreadable manifest ({' '.join(str(exc).split())})") from None
    if not isinstance(data, dict) or not isinstance(data.get("runs", []), list):
        raise ReportError(f"{path}: expected a JSON object with a 'runs' list")
    return data


def flatten(tree: Any, prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}``; lists become their JSON text."""
    out: dict[str, Any] = {}
    if isinstance(tree, dict):
        for key, value in tree.items():
            out.update(flatten(value, f"{prefix}{key}."))
    elif isinstance(tree, list):
        out[prefix[:-1]] = json.dumps(tree)
    else:
        out[prefix[:-1]] = tree
    return out


class _ConfigReader:
    """Parses resolved configs: once per distinct text, ``seed`` and ``replicate`` set aside."""

    def __init__(self) -> None:
        self._yaml = yaml
        self._loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        self._cache: dict[str, dict[str, Any]] = {}

    def parse(self, text: str) -> dict[str, Any]:
        """A resolved config's YAML text as flat keys."""
        own = {m.group(1): int(m.group(2)) for m in _RUN_LINES.finditer(text)}
        rest = _RUN_LINES.sub("", text)
        flat = self._cache.get(rest)
        if flat is None:
            tree = self._yaml.load(rest, Loader=self._loader)
            if not isinstance(tree, dict):
                raise ValueError("not a mapping")
            flat = self._cache[rest] = flatten(tree)
        return {**flat, **own}


def _from_overrides(overrides: list[str]) -> dict[str, Any]:
    """The run keys a manifest entry's overrides set (for runs that never started)."""
    out: dict[str, Any] = {}
    for key, value in override_values(str(o) for o in overrides or []).items():
        if key in ("seed", "replicate"):
            out[key] = int(value) if value.isdigit() else None
        elif key in ("strategy", "strategy.name"):
            out["strategy.name"] = value
    return out


def read_run(run_dir: Path, configs: _ConfigReader,
             entry: dict[str, Any] | None = None) -> dict[str, Any]:
    """One row of the runs table (without ``run``): status, error, metrics and config keys.

    ``entry`` is the run's entry in the manifest, if it has one: a run whose files are of
    another config than the entry's hash is stale, a missing run with the entry's hash and
    the config keys of the entry's overrides (its files describe a run the sweep no longer
    has).
    """
    expected = entry.get("config_hash") if entry else None
    run = rundir.read_run(run_dir, expected)
    if run.state is RunState.STALE:
        keys = _from_overrides(entry.get("overrides", []))
        return {"status": "missing", "config_hash": expected,
                "error": f"stale: its files are of another config (hash {run.found_hash}, "
                         f"the manifest's is {expected})",
                **{CONFIG_PREFIX + k: v for k, v in keys.items()}}
    row: dict[str, Any] = {"status": "missing", "error": None}
    overrides = rundir.read_run_overrides(run_dir)
    if overrides is not None:
        row["overrides"] = json.dumps(overrides)
    try:
        text = rundir.read_config_text(run_dir)
        if text is not None:
            row.update({CONFIG_PREFIX + k: v for k, v in configs.parse(text).items()})
    except Exception as exc:  # noqa: BLE001 - yaml errors are not ValueErrors; one row's error
        row["error"] = f".hydra/config.yaml unreadable: {' '.join(str(exc).split())[:200]}"
    if run.state is RunState.COMPLETE:
        row.update(run.summary)
        row["status"] = "complete"
        row["error"] = None
    elif run.state is RunState.DAMAGED:
        row["error"] = (f"damaged: {'; '.join(run.problems)}; left out (rerun the sweep to "
                        "redo it)")
        row["config_hash"] = run.found_hash
    elif run.state is RunState.FAILED:
        row["status"] = "failed"
        row["error"] = " ".join(str(run.status.get("error") or "failed (no error given)")
                                .split())
        row["config_hash"] = run.status.get("config_hash")
    elif (run_dir / rundir.STATUS).is_file():
        row["error"] = row["error"] or "status.json does not say how the run ended"
    elif row["error"] is None:
        row["error"] = ("started, never finished (" + ("" if (run_dir / rundir.SUMMARY)
                        .is_file() else "no summary.json, ") + "no status.json)")
    return row


def collect(root: str | Path, *, skip: tuple[Path, ...] = (),
            progress: Callable[[int, int], None] | None = None) -> Sweep:
    """Read every run of the sweep directory ``root`` into a :class:`Sweep`.

    Args:
        root: the sweep directory.
        skip: directories below ``root`` that are not runs (e.g. the report's own output).
        progress: called with (runs read, runs found) after each run directory.

    Raises:
        ReportError: ``root`` is not a directory, or holds no run and no manifest.
    """
    root = Path(root)
    if not root.is_dir():
        raise ReportError(f"{root}: not a directory (expected a sweep directory)")
    manifest = read_manifest(root)
    dirs = find_runs(root, skip=skip)
    if not dirs and not (manifest and manifest.get("runs")):
        raise ReportError(f"{root}: no run directories (summary.json, status.json or "
                          ".hydra/config.yaml) and no sweep.json below it")
    configs = _ConfigReader()
    entries = {Path(str(e.get("dir", ""))).as_posix(): e
               for e in (manifest or {}).get("runs", [])}
    rows: dict[str, dict[str, Any]] = {}
    for i, d in enumerate(dirs, start=1):
        rel = d.relative_to(root).as_posix()
        rows[rel] = {"run": rel, **read_run(d, configs, entries.get(rel))}
        if progress is not None:
            progress(i, len(dirs))
    for rel, entry in entries.items():
        listed = json.dumps([str(o) for o in entry.get("overrides", [])])
        if rel in rows:
            rows[rel]["overrides"] = listed
        else:
            keys = _from_overrides(entry.get("overrides", []))
            rows[rel] = {"run": rel, "status": "missing", "error": "never started (no directory)",
                         "config_hash": entry.get("config_hash"), "overrides": listed,
                         **{CONFIG_PREFIX + k: v for k, v in keys.items()}}
        rows[rel]["in_manifest"] = True
    ordered = sorted(rows, key=_natural)
    damaged = [f"  {r}: {rows[r]['error'].removeprefix('damaged: ').split('; left out')[0]}"
               for r in ordered if str(rows[r].get("error") or "").startswith("damaged: ")]
    if damaged:
        log.warning("%s: %d run(s) left out, their files do not verify (rerun the sweep to "
                    "redo them):\n%s", root, len(damaged), "\n".join(damaged))
    runs = _tidy(pd.DataFrame([rows[r] for r in ordered]))
    return Sweep(root=root, manifest=manifest, runs=runs,
                 timeseries=read_timeseries(root, runs))


def _tidy(runs: pd.DataFrame) -> pd.DataFrame:
    """The runs table with its key columns first, then metrics, then ``config.*``.

    The key columns are ``run``, ``status``, ``error``, ``strategy``, ``seed``, ``replicate``,
    ``config_hash``, ``in_manifest`` and ``overrides``.
    """
    runs["in_manifest"] = runs.get("in_manifest", pd.Series(False, index=runs.index))
    runs["in_manifest"] = runs["in_manifest"].fillna(False).astype(bool)
    for key in ("seed", "replicate"):
        mine = runs.get(key, pd.Series(np.nan, index=runs.index))
        runs[key] = mine.fillna(runs.get(CONFIG_PREFIX + key, np.nan)).astype("Int64")
    name = runs.get(CONFIG_PREFIX + "strategy.name", pd.Series(None, index=runs.index))
    runs["strategy"] = name.astype("string")
    if "config_hash" not in runs:
        runs["config_hash"] = None
    if "overrides" not in runs:
        runs["overrides"] = None
    keys = ["run", "status", "error", "strategy", "seed", "replicate", "config_hash",
            "in_manifest", "overrides"]
    config_cols = sorted(c for c in runs.columns if c.startswith(CONFIG_PREFIX))
    metrics = [c for c in runs.columns if c not in keys and c not in config_cols]
    runs = runs[keys + metrics + config_cols]
    for col in ("error", "config_hash", "run", "status", "overrides"):
        runs[col] = runs[col].astype("string")
    return runs.reset_index(drop=True)


def read_timeseries(root: Path, runs: pd.DataFrame) -> pd.DataFrame:
    """All complete runs' ``timeseries.parquet`` in one table, keyed by ``run``.

    Its ``reached`` and ``engaged`` columns count distinct people on the layer up to the
    step, as in a run's time series (README "Outputs").

    One DuckDB query reads every file (``union_by_name``, so runs with more layers or columns
    fit); ``layer`` becomes a plain string.
    """
    import duckdb  # noqa: PLC0415 - start-up: duckdb only when series are read

    done = runs.loc[runs["status"] == "complete", "run"].tolist()

    def files(name: str) -> pd.DataFrame:
        paths = [(str((root / r / name).resolve()), r) for r in done
                 if (root / r / name).is_file()]
        return pd.DataFrame(paths, columns=["filename", "run"])

    ts_files = files("timeseries.parquet")
    if ts_files.empty:
        return pd.DataFrame({"run": pd.Series(dtype="string"), "step": [], "layer": []})
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        con.register("ts_files", ts_files)
        # run directories are named key=value: hive partitioning would add those as columns
        series = ("SELECT f.run, t.* EXCLUDE (filename) REPLACE (CAST(t.layer AS VARCHAR) AS "
                  "layer) FROM read_parquet($ts, union_by_name = true, filename = true, "
                  "hive_partitioning = false) t JOIN ts_files f USING (filename)")
        query, params = series, {"ts": ts_files["filename"].tolist()}
        table = con.execute(query, params).df()
    finally:
        con.close()
    table["run"] = table["run"].astype("string")
    key = table["run"].map({r: i for i, r in enumerate(done)})
    return table.assign(_k=key).sort_values(["_k", "step", "layer"]).drop(columns="_k") \
        .reset_index(drop=True)
