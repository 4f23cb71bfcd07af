"""The run-directory contract: what a run directory holds, how it is read and written, its state.

A run directory holds ``.hydra/config.yaml`` (the resolved config of exactly this run, written
first; a single run also has ``.hydra/overrides.yaml``), the run's outputs
(:func:`sim.outputs.results.write_outputs`), then ``status.json``
(``{"status": "complete", "config_hash": ..., "error": null}``), then, last, ``summary.json``.
On failure it holds ``traceback.txt`` and ``status.json`` with ``"status": "failed"`` and the
error on one line, and no ``summary.json``. Every file goes through a temporary name and
``os.replace``, so a killed run never leaves a file that looks complete.

Its state (:class:`RunState`), given the config hash the run is expected to have:

- *complete*: ``summary.json`` carries the expected hash;
- *failed*: no ``summary.json``, and ``status.json`` says failed, for this config (or for a job
  that failed before its config was known: hash null);
- *stale*: ``summary.json``, or a failed ``status.json``, written for another config hash (a
  run with other settings in the same directory);
- *missing*: anything else: never started, killed, or a file that is not a JSON object.

Without an expected hash no run is stale. A sweep redoes stale runs as it redoes missing ones.
Sweeps, their table and progress, and the report all read run directories through this module.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

from sim.config import Config, config_dict
from sim.outputs.files import atomic_write, read_json_object

#: The run's headline numbers, written last: its presence (with the right hash) is completion.
SUMMARY = "summary.json"
#: How the run ended: ``{"status": "complete" | "failed", "config_hash": ..., "error": ...}``.
STATUS = "status.json"
#: The Python traceback of a failed run.
TRACEBACK = "traceback.txt"
#: The resolved config of the run, written first.
CONFIG = ".hydra/config.yaml"
#: The command-line overrides of a single run (a sweep keeps them in its manifest).
OVERRIDES = ".hydra/overrides.yaml"
#: Run directory of replicate ``r`` below its job's directory.
RUN_DIR = "replicate={}"
#: Files that say how a run ended; removed before a run is (re)done.
END_FILES = (SUMMARY, STATUS, TRACEBACK)


class RunState(StrEnum):
    """The state of a run directory (a ``str``: ``RunState.COMPLETE == "complete"``)."""

    COMPLETE = "complete"
    FAILED = "failed"
    MISSING = "missing"
    STALE = "stale"


@dataclass(frozen=True)
class RunSpec:
    """One run of a job: where it goes, what it computes, and how to reproduce it.

    Attributes:
        dir: the run directory.
        config: the run's resolved config (``replicates == 1``).
        overrides: command-line overrides that reproduce the run with ``mindshare``.
        config_hash: :func:`sim.config.config_hash` of ``config``.
        config_text: ``config`` as YAML, the text of ``.hydra/config.yaml``.
    """

    dir: Path
    config: Config
    overrides: tuple[str, ...]
    config_hash: str
    config_text: str = field(repr=False, default="")


@dataclass(frozen=True)
class RunRecord:
    """What a run directory's end files say.

    Attributes:
        state: the run's state.
        summary: ``summary.json`` when it is a JSON object (complete and stale runs).
        status: ``status.json`` when it is a JSON object; not read for a complete run.
    """

    state: RunState
    summary: dict[str, Any] | None = None
    status: dict[str, Any] | None = None

    @property
    def found_hash(self) -> str | None:
        """The config hash the end files were written for, or None.

        It is ``summary.json``'s, else ``status.json``'s.
        """
        files = self.summary if self.summary is not None else self.status or {}
        return files.get("config_hash")


# -- reading ----------------------------------------------------------------------------------


def read_summary(run_dir: str | Path) -> dict[str, Any] | None:
    """``summary.json``, or None when it is missing or not a JSON object."""
    return read_json_object(Path(run_dir) / SUMMARY)


def read_status(run_dir: str | Path) -> dict[str, Any] | None:
    """``status.json``, or None when it is missing or not a JSON object."""
    return read_json_object(Path(run_dir) / STATUS)


def read_run(run_dir: str | Path, expected_hash: str | None = None) -> RunRecord:
    """The state of a run directory and the end files it was read from.

    The states are those of the module's docstring.

    Args:
        run_dir: the run directory.
        expected_hash: the config hash the run should have, None for any.
    """
    run_dir = Path(run_dir)
    summary = read_summary(run_dir)
    if summary is not None:
        ours = expected_hash is None or summary.get("config_hash") == expected_hash
        return RunRecord(RunState.COMPLETE if ours else RunState.STALE, summary)
    status = read_status(run_dir)
    if status is not None and status.get("status") == "failed":
        ours = expected_hash is None or status.get("config_hash") in (expected_hash, None)
        return RunRecord(RunState.FAILED if ours else RunState.STALE, None, status)
    return RunRecord(RunState.MISSING, None, status)


def run_state(run_dir: str | Path, expected_hash: str | None = None) -> RunState:
    """The state of a run directory (:func:`read_run` without the files' contents)."""
    return read_run(run_dir, expected_hash).state


def read_config_text(run_dir: str | Path) -> str | None:
    """The text of ``.hydra/config.yaml``, or None when there is none.

    Raises:
        OSError: the file is there but cannot be read.
    """
    try:
        return (Path(run_dir) / CONFIG).read_text()
    except FileNotFoundError:
        return None


def read_run_config(run_dir: str | Path) -> Config:
    """The config of a run directory, typed and validated (from ``.hydra/config.yaml``)."""
    from omegaconf import OmegaConf  # noqa: PLC0415 - start-up: only to read a config back

    loaded = OmegaConf.load(Path(run_dir) / CONFIG)
    return OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(Config), loaded))


def read_run_overrides(run_dir: str | Path) -> list[str] | None:
    """``.hydra/overrides.yaml`` as a list of strings, or None when it cannot be read as one.

    None means the file is missing, unreadable, not YAML or not a list.
    """
    try:
        text = (Path(run_dir) / OVERRIDES).read_text()
        items = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, ValueError, yaml.YAMLError):
        return None
    return [str(i) for i in items] if isinstance(items, list) else None


# -- writing ----------------------------------------------------------------------------------


def config_yaml(config: Config) -> str:
    """A config as the YAML text of ``.hydra/config.yaml`` (keys in schema order)."""
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(config_dict(config), Dumper=dumper, sort_keys=False)


def write_run_config(spec: RunSpec, *, overrides: bool = False) -> None:
    """Write ``.hydra/config.yaml`` of a run (its resolved config) and, if asked, its overrides.

    Args:
        spec: the run.
        overrides: also write ``.hydra/overrides.yaml`` (single runs; in a sweep they are in
            ``sweep.json``).
    """
    (spec.dir / CONFIG).parent.mkdir(parents=True, exist_ok=True)
    texts = {CONFIG: spec.config_text or config_yaml(spec.config)}
    if overrides:
        texts[OVERRIDES] = yaml.safe_dump(list(spec.overrides))
    for name, text in texts.items():
        atomic_write(spec.dir / name, lambda tmp, t=text: Path(tmp).write_text(t))


def status_text(status: str, config_hash_: str | None, error: str | None = None) -> str:
    """The text of ``status.json``."""
    return json.dumps({"status": status, "config_hash": config_hash_, "error": error},
                      indent=2) + "\n"


def complete_status(config_hash_: str) -> dict[str, Callable[[str], None]]:
    """``status.json`` of a complete run, as an ``extra`` file of ``write_outputs``.

    :func:`sim.outputs.results.write_outputs` writes it after the tables, before
    ``summary.json``.
    """
    text = status_text("complete", config_hash_)
    return {STATUS: lambda tmp: Path(tmp).write_text(text)}


def write_failure(run_dir: str | Path, config_hash_: str | None, error: str,
                  traceback_text: str) -> None:
    """Record a failed run: ``traceback.txt``, then ``status.json``.

    Args:
        run_dir: the run directory.
        config_hash_: the run's config hash, None when its config could not even be made.
        error: the error, on one line.
        traceback_text: the text of ``traceback.txt``.
    """
    run_dir = Path(run_dir)
    atomic_write(run_dir / TRACEBACK, lambda tmp: Path(tmp).write_text(traceback_text))
    text = status_text("failed", config_hash_, error)
    atomic_write(run_dir / STATUS, lambda tmp: Path(tmp).write_text(text))


def reset_run(run_dir: str | Path) -> None:
    """Remove what says how an earlier attempt ended, and temporary files a killed attempt left.

    The directory then reads as missing until the run is redone.
    """
    run_dir = Path(run_dir)
    for name in END_FILES:
        (run_dir / name).unlink(missing_ok=True)
    for tmp in (*run_dir.glob(".*.tmp"), *run_dir.glob(".hydra/.*.tmp")):
        tmp.unlink(missing_ok=True)
