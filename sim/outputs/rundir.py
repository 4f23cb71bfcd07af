"""The run-directory contract: what a run directory holds, and how to tell its state.

A run directory holds ``.hydra/config.yaml`` (the resolved config of exactly this run, written
first), the run's outputs (:func:`sim.outputs.results.write_outputs`), then ``status.json``
(``{"status": "complete", "config_hash": ..., "error": null}``), then, last, ``summary.json``:
a run is complete when its ``summary.json`` carries the expected hash. On failure it holds
``traceback.txt`` and ``status.json`` with ``"status": "failed"`` and the error on one line,
and no ``summary.json``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from sim.config import Config, config_dict
from sim.outputs.files import read_json_object


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


#: Run directory of replicate ``r`` below its job's directory.
RUN_DIR = "replicate={}"


#: Files that say how a run ended; removed before a run is (re)done.
END_FILES = ("summary.json", "status.json", "traceback.txt")


def config_yaml(config: Config) -> str:
    """A config as the YAML text of ``.hydra/config.yaml`` (keys in schema order)."""
    import yaml

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(config_dict(config), Dumper=dumper, sort_keys=False)


def run_state(run_dir: str | Path, expected_hash: str | None = None) -> str:
    """``"complete"``, ``"failed"`` or ``"missing"``.

    Complete: ``summary.json`` is there (and carries ``expected_hash`` when given: a run of
    another config in the same directory does not count). Failed: ``status.json`` says so
    (for this config, or for a job that failed before its config was known: hash null).
    Missing: anything else (never started, killed, or stale).
    """
    run_dir = Path(run_dir)
    summary = read_json_object(run_dir / "summary.json")
    if summary is not None and (expected_hash is None
                                or summary.get("config_hash") == expected_hash):
        return "complete"
    status = read_json_object(run_dir / "status.json")
    if summary is None and status is not None and status.get("status") == "failed" and (
            expected_hash is None or status.get("config_hash") in (expected_hash, None)):
        return "failed"
    return "missing"


def reset_run(run_dir: str | Path) -> None:
    """Remove what says how an earlier attempt ended, and temporary files a killed attempt
    left, so that the directory reads as missing until the run is redone."""
    run_dir = Path(run_dir)
    for name in END_FILES:
        (run_dir / name).unlink(missing_ok=True)
    for tmp in (*run_dir.glob(".*.tmp"), *run_dir.glob(".hydra/.*.tmp")):
        tmp.unlink(missing_ok=True)


def write_run_config(spec: RunSpec, *, overrides: bool = False) -> None:
    """``.hydra/config.yaml`` of a run (its resolved config) and, with ``overrides``,
    ``.hydra/overrides.yaml`` (in a sweep they are in ``sweep.json``)."""
    import yaml

    from sim.outputs.files import atomic_write

    hydra_dir = spec.dir / ".hydra"
    hydra_dir.mkdir(parents=True, exist_ok=True)
    texts = {"config.yaml": spec.config_text or config_yaml(spec.config)}
    if overrides:
        texts["overrides.yaml"] = yaml.safe_dump(list(spec.overrides))
    for name, text in texts.items():
        atomic_write(hydra_dir / name, lambda tmp, t=text: Path(tmp).write_text(t))


def read_run_config(run_dir: str | Path) -> Config:
    """The config of a run directory, typed and validated (from ``.hydra/config.yaml``)."""
    from omegaconf import OmegaConf

    loaded = OmegaConf.load(Path(run_dir) / ".hydra" / "config.yaml")
    return OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(Config), loaded))


def status_text(status: str, config_hash_: str | None, error: str | None = None) -> str:
    """The text of ``status.json``."""
    return json.dumps({"status": status, "config_hash": config_hash_, "error": error},
                      indent=2) + "\n"
