"""The sweep manifest (``sweep.json``) and the state of a sweep's runs, in plain Python.

``sweep.json`` is written when a sweep starts, before any job, and lists every run the sweep
is expected to make::

    {"name": ..., "experiment": ..., "total": <runs>, "overrides": [<the command's overrides>],
     "runs": [{"dir": <relative to the sweep dir>, "config_hash": ..., "overrides": [...]}]}

It holds no time stamp, so rerunning the same command writes the same bytes. Each listed run's
state is read from its directory by :mod:`sim.outputs.rundir`, against the listed hash.

A sweep directory holds one sweep *definition*: its jobs (their directories) and what each
computes (the config hash of each run). :func:`same_definition` tells whether a new sweep is
the one a directory holds (to be resumed, with more or fewer replicates) or another one (to be
refused); :func:`describe` states a definition in words for that refusal.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from sim.outputs.files import atomic_write
from sim.outputs.rundir import RunSpec, RunState, read_run, reset_run

MANIFEST = "sweep.json"


def manifest_entries(sweep_dir: str | Path, runs: Iterable[RunSpec]) -> list[dict[str, Any]]:
    """The ``runs`` list of a manifest: each run's directory, config hash and overrides.

    A run's directory is relative to ``sweep_dir``, in POSIX form.

    Args:
        sweep_dir: the sweep directory.
        runs: the sweep's runs, in the order they are listed.
    """
    root = Path(sweep_dir).resolve()
    return [{"dir": Path(spec.dir).resolve().relative_to(root).as_posix(),
             "config_hash": spec.config_hash, "overrides": list(spec.overrides)}
            for spec in runs]


def write_manifest(sweep_dir: str | Path, *, name: str, experiment: str | None,
                   entries: Sequence[dict[str, Any]], overrides: Sequence[str] = ()) -> Path:
    """Write ``sweep.json`` atomically and return its path.

    Raises:
        ValueError: two runs share a directory (a sweep whose jobs are not told apart by their
            directory names).
    """
    dirs = Counter(e["dir"] for e in entries)
    clash = [d for d, k in dirs.items() if k > 1]
    if clash:
        raise ValueError(f"runs share a directory ({clash[0]}): every swept key must appear in "
                         "the job directory name (hydra.job.config.override_dirname)")
    root = Path(sweep_dir)
    root.mkdir(parents=True, exist_ok=True)
    data = {"name": name, "experiment": experiment, "total": len(entries),
            "overrides": list(overrides), "runs": list(entries)}
    text = json.dumps(data, indent=1) + "\n"
    path = root / MANIFEST
    atomic_write(path, lambda tmp: Path(tmp).write_text(text))
    return path


def same_definition(held: Sequence[dict[str, Any]], new: Sequence[dict[str, Any]]) -> bool:
    """Whether two manifests' ``runs`` are of one sweep definition.

    They are when they have the same jobs (the run directories' parents) and every run listed
    in both has the same config hash: the same sweep, perhaps with more or fewer replicates.
    """
    def jobs(entries: Sequence[dict[str, Any]]) -> set[str]:
        return {str(PurePosixPath(e["dir"]).parent) for e in entries}

    if jobs(held) != jobs(new):
        return False
    hashes = {e["dir"]: e.get("config_hash") for e in held}
    return all(hashes.get(e["dir"], e.get("config_hash")) == e.get("config_hash") for e in new)


def describe(experiment: str | None, overrides: Sequence[str]) -> str:
    """A sweep's definition in words: ``experiment=<e>`` and the command's overrides.

    ``name=`` is left out (it is what two sweeps in one directory share).
    """
    words = [f"experiment={experiment}"] if experiment else []
    words += [o for o in overrides if o.split("=", 1)[0] != "name"
              and f"experiment={experiment}" != o]
    return " ".join(words) or "(no overrides)"


def read_manifest(sweep_dir: str | Path) -> dict[str, Any]:
    """``sweep.json`` of a sweep directory.

    Raises:
        FileNotFoundError: there is no manifest.
        ValueError: the manifest is not a JSON object with a ``runs`` list.
    """
    path = Path(sweep_dir) / MANIFEST
    data = json.loads(path.read_text())
    if not isinstance(data, dict) or not isinstance(data.get("runs"), list):
        raise ValueError(f"{path}: expected a JSON object with a 'runs' list")
    return data


@dataclass
class SweepState:
    """Runs of a sweep by state; each list holds run directories relative to the sweep dir.

    A stale run (its files are of another config) or a damaged one (its files do not verify
    against their record) is to be redone like a missing one, so it is counted in ``missing``;
    ``stale`` and ``damaged`` list those runs of ``missing`` apart, ``damaged`` with what is
    wrong with each (``"timeseries.parquet checksum mismatch"``).
    """

    complete: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    damaged: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Runs in the manifest."""
        return len(self.complete) + len(self.failed) + len(self.missing)


def sweep_state(sweep_dir: str | Path, entries: Sequence[dict[str, Any]] | None = None
                ) -> SweepState:
    """Which runs of the manifest are complete, failed, missing, stale or damaged.

    Hashes are checked, and the files of runs that say they are complete are verified
    (sizes and checksums, :func:`sim.outputs.rundir.read_run`).
    """
    root = Path(sweep_dir)
    entries = read_manifest(root)["runs"] if entries is None else entries
    state = SweepState()
    lists = {RunState.COMPLETE: state.complete, RunState.FAILED: state.failed,
             RunState.MISSING: state.missing, RunState.STALE: state.missing,
             RunState.DAMAGED: state.missing}
    for entry in entries:
        run = read_run(root / entry["dir"], entry.get("config_hash"))
        lists[run.state].append(entry["dir"])
        if run.state is RunState.STALE:
            state.stale.append(entry["dir"])
        elif run.state is RunState.DAMAGED:
            state.damaged[entry["dir"]] = "; ".join(run.problems)
    return state


def prepare_resume(sweep_dir: str | Path, entries: Sequence[dict[str, Any]]) -> SweepState:
    """Before a sweep (re)starts, find its complete runs and reset every other run directory.

    The others are earlier failures, killed attempts, damaged runs (files that do not verify;
    ``damaged`` of the result says why for each) and runs of another config; resetting them
    makes progress count only what this attempt does.

    Args:
        sweep_dir: the sweep directory.
        entries: the manifest's ``runs``.
    """
    root = Path(sweep_dir)
    state = sweep_state(root, entries)
    for rel in (*state.failed, *state.missing):
        if (root / rel).is_dir():
            reset_run(root / rel)
    return SweepState(complete=state.complete, missing=[*state.failed, *state.missing],
                      stale=state.stale, damaged=state.damaged)
