"""The run-directory contract: what a run directory holds, how it is read and written, its state.

A run directory holds ``.hydra/config.yaml`` (the resolved config of exactly this run, written
first; a single run also has ``.hydra/overrides.yaml``), the run's outputs
(:func:`sim.outputs.results.write_outputs`, ``summary.json`` the last of them), then, last
(:func:`write_complete`, called by ``write_outputs``), ``status.json``:
``{"status": "complete", "config_hash": ..., "error": null, "files": {...}}``, where ``files``
records the size and SHA-256 of every file the run wrote (``timing.json``,
which differs between reruns, and ``status.json`` itself excepted). On failure it holds
``traceback.txt`` and ``status.json`` with ``"status": "failed"`` and the error on one line.
Every file goes through a temporary name and ``os.replace``
(:func:`sim.outputs.files.atomic_write`), so a killed run never leaves a file that looks
complete; the run's files are not ``fsync``-ed one by one: one lost in a crash of the machine
fails verification, and the run is redone.

Its state (:class:`RunState`), given the config hash the run is expected to have:

- *complete*: ``status.json`` says complete for the expected hash, and every file it records
  has the recorded size and SHA-256;
- *damaged*: ``status.json`` says complete for the expected hash, but a file it records is
  missing, of another size or another checksum (or it records none);
  :attr:`RunRecord.problems` says which;
- *failed*: ``status.json`` says failed, for this config (or for a job that failed before its
  config was known: hash null);
- *stale*: ``summary.json`` or ``status.json`` written for another config hash (a run with
  other settings in the same directory);
- *missing*: anything else: never started, killed before ``status.json`` (even after
  ``summary.json``), or end files that are not JSON objects.

Without an expected hash no run is stale. A sweep redoes damaged and stale runs as it redoes
missing ones. Sweeps, their table and progress, and the report all read run directories
through this module.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

from sim.config import Config, config_dict
from sim.outputs.files import FileDigest, atomic_write, read_json_object, verify_files

#: The run's headline numbers, the last of its outputs.
SUMMARY = "summary.json"
#: How the run ended, written last: ``{"status": "complete" | "failed", "config_hash": ...,
#: "error": ...}``, and for a complete run ``"files"``: each file's size and SHA-256.
STATUS = "status.json"
#: The key of ``status.json`` recording the run's files: name -> ``{"bytes", "sha256"}``.
FILES = "files"
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
    DAMAGED = "damaged"


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
        summary: ``summary.json`` when it is a JSON object.
        status: ``status.json`` when it is a JSON object.
        problems: for a damaged run, what is wrong, one phrase per file
            (``"timeseries.parquet checksum mismatch"``).
    """

    state: RunState
    summary: dict[str, Any] | None = None
    status: dict[str, Any] | None = None
    problems: tuple[str, ...] = ()

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


def read_run(run_dir: str | Path, expected_hash: str | None = None, *,
             checksums: bool = True) -> RunRecord:
    """The state of a run directory and the end files it was read from.

    The states are those of the module's docstring. A run that says it is complete has its
    files verified against ``status.json``'s record: their sizes always, their SHA-256 unless
    ``checksums`` is false (about 0.3 ms per run of 10,000 agents:
    :mod:`sim.outputs.files`).

    Args:
        run_dir: the run directory.
        expected_hash: the config hash the run should have, None for any.
        checksums: verify the files' checksums too, not only their sizes.
    """
    run_dir = Path(run_dir)

    def ours(found: Any, *, unknown: bool = False) -> bool:
        return expected_hash is None or found == expected_hash or (unknown and found is None)

    summary, status = read_summary(run_dir), read_status(run_dir)
    if summary is not None and not ours(summary.get("config_hash")):
        return RunRecord(RunState.STALE, summary, status)
    ended = status.get("status") if status is not None else None
    if ended == "failed":
        state = RunState.FAILED if ours(status.get("config_hash"), unknown=True) else \
            RunState.STALE
        return RunRecord(state, summary, status)
    if ended != "complete":
        return RunRecord(RunState.MISSING, summary, status)
    if not ours(status.get("config_hash")):
        return RunRecord(RunState.STALE, summary, status)
    problems = _verify(run_dir, status, summary, checksums)
    state = RunState.DAMAGED if problems else RunState.COMPLETE
    return RunRecord(state, summary, status, tuple(problems))


def _verify(run_dir: Path, status: dict[str, Any], summary: dict[str, Any] | None,
            checksums: bool) -> list[str]:
    """What is wrong with a run that says it is complete (empty when nothing is)."""
    files = status.get(FILES)
    if not isinstance(files, dict) or SUMMARY not in files:
        return [f"{STATUS} records no sizes and checksums of the run's files"]
    problems = verify_files(run_dir, files, checksums=checksums)
    if not problems and summary is None:        # possible when checksums are not verified
        problems.append(f"{SUMMARY} is not a JSON object")
    elif summary is not None and summary.get("config_hash", status.get("config_hash")) != \
            status.get("config_hash"):
        problems.append(f"{SUMMARY} and {STATUS} are of different configs")
    return problems


def run_state(run_dir: str | Path, expected_hash: str | None = None, *,
              checksums: bool = True) -> RunState:
    """The state of a run directory (:func:`read_run` without the files' contents)."""
    return read_run(run_dir, expected_hash, checksums=checksums).state


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


def write_run_config(spec: RunSpec, *, overrides: bool = False) -> dict[str, FileDigest]:
    """Write ``.hydra/config.yaml`` of a run (its resolved config) and, if asked, its overrides.

    Args:
        spec: the run.
        overrides: also write ``.hydra/overrides.yaml`` (single runs; in a sweep they are in
            ``sweep.json``).

    Returns:
        The files written (relative to the run directory) with their sizes and checksums,
        for :func:`write_complete`.
    """
    (spec.dir / CONFIG).parent.mkdir(parents=True, exist_ok=True)
    texts = {CONFIG: spec.config_text or config_yaml(spec.config)}
    if overrides:
        texts[OVERRIDES] = yaml.safe_dump(list(spec.overrides))
    return {name: atomic_write(spec.dir / name, lambda tmp, t=text: Path(tmp).write_text(t),
                               digest=True, sync=False)
            for name, text in texts.items()}


def status_text(status: str, config_hash_: str | None, error: str | None = None,
                files: Mapping[str, FileDigest] | None = None) -> str:
    """The text of ``status.json``; ``files`` (a complete run's) become its ``files`` record."""
    data: dict[str, Any] = {"status": status, "config_hash": config_hash_, "error": error}
    if files is not None:
        data[FILES] = {name: digest.record() for name, digest in files.items()}
    return json.dumps(data, indent=2) + "\n"


def write_complete(run_dir: str | Path, config_hash_: str,
                   files: Mapping[str, FileDigest]) -> None:
    """Write ``status.json`` of a complete run, last, recording the run's files.

    :func:`sim.outputs.results.write_outputs` calls it after ``summary.json``.

    Args:
        run_dir: the run directory.
        config_hash_: the run's config hash.
        files: every file the run wrote (relative POSIX names, ``summary.json`` among them)
            with its size and SHA-256, as :func:`write_run_config` and
            :func:`sim.outputs.results.write_outputs` return them.
    """
    text = status_text("complete", config_hash_, None, files)
    atomic_write(Path(run_dir) / STATUS, lambda tmp: Path(tmp).write_text(text), sync=False)


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
