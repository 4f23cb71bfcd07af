"""Hydra glue for sweeps: the manifest, resume and progress around ``mindshare -m``.

Loaded only by the command line (:mod:`sim.cli.main`) and by Hydra itself (``hydra.callbacks``
in ``conf/config.yaml``); the rest of ``sim`` never imports it. The work is done by plain
functions (:mod:`sim.sweep`, :mod:`sim.sweep.manifest`, :mod:`sim.sweep.progress`) that any
launcher's jobs can call; this module only finds the sweep's jobs the way Hydra's basic sweeper
does and calls them at the right moments:

- ``on_multirun_start`` (in the driver, before any job): make the sweep directory absolute
  for the jobs (on other nodes, or under a Ray ``working_dir``, a job's working directory is
  not the driver's), compose and check every job's config (a bad level, or a budget too small
  for a job's posts, stops the sweep here, on one line, before anything is written;
  :mod:`sim.cli.job_compose` makes this, and each job's own composition in its process, cost
  a fraction of Hydra's), take the sweep directory's lock (a second sweep into it is refused
  on one line), refuse a sweep directory that holds another sweep definition, list every run
  in ``sweep.json`` (and write ``multirun.yaml`` whole before Hydra does, so a full disk
  stops the sweep on one line), reset runs that are not complete, print the start line and
  start the progress line;
- ``on_multirun_end`` (or :func:`finish`, when Hydra stops early): stop the progress line, list
  failed runs and print the final line, which says how many runs failed.

What happens when processes are killed (a worker, the driver) is :mod:`sim.cli.launcher_guard`'s.
"""

from __future__ import annotations

import os
import pickle
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hydra.core.global_hydra import GlobalHydra
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf, open_dict, read_write

from sim.cli.compose import to_config
from sim.cli.errors import config_error, fail
from sim.cli.hydra_internals import (
    is_basic_sweeper,
    job_hydra_config,
    skip_second_validation,
    sweep_jobs,
)
from sim.cli.job_compose import JobConfigLoader, install
from sim.cli.launcher_guard import guard_launcher
from sim.config import ConfigError
from sim.outputs.files import atomic_write
from sim.outputs.lock import DirectoryBusy, claim
from sim.outputs.rundir import RunSpec, read_status
from sim.sweep.jobs import check_job, plan_runs
from sim.sweep.manifest import (
    MANIFEST,
    SweepState,
    describe,
    manifest_entries,
    prepare_resume,
    read_manifest,
    same_definition,
    sweep_state,
    write_manifest,
)
from sim.sweep.progress import SweepProgress, clock_text

#: Failed runs listed one per line before the final line.
SHOW_FAILED = 10


@dataclass
class SweepRun:
    """The sweep being run by this process."""

    name: str
    sweep_dir: Path
    entries: list[dict[str, Any]]
    skipped: int
    progress: SweepProgress
    start: float
    outcome: SweepState | None = None
    #: runs complete when the sweep started (the sweep does not touch them again)
    before: list[str] = field(default_factory=list)


#: Set by ``on_multirun_start``, read by :func:`finish` and :func:`exit_status`.
_CURRENT: SweepRun | None = None
#: The sweep's name when the command named it after what it sweeps (``name`` is then
#: ``default``); set by :func:`sim.cli.main.main`.
SWEEP_NAME: str | None = None


def job_overrides(config: DictConfig) -> list[list[str]]:
    """Each job's overrides, in the order Hydra's basic sweeper launches them.

    They are the sweep in ``hydra.sweeper.params`` (from the experiment) crossed with the
    command line's.
    """
    params = config.hydra.sweeper.get("params") or {}
    args = [f"{k}={v}" for k, v in params.items()]
    args += list(OmegaConf.to_container(config.hydra.overrides.task, resolve=False))
    parser = OverridesParser.create(config_loader=GlobalHydra.instance().config_loader())
    return sweep_jobs(parser.parse_overrides(args))


def plan_sweep(config: DictConfig, loader: JobConfigLoader | None = None) -> list[RunSpec]:
    """Compose every job of the sweep through ``loader``; all their runs (:func:`plan_jobs`)."""
    return [spec for _, specs in plan_jobs(config, loader) for spec in specs]


def plan_jobs(config: DictConfig, loader: JobConfigLoader | None = None
              ) -> list[tuple[tuple[str, ...], list[RunSpec]]]:
    """Compose every job of the sweep through ``loader``: each job's overrides and its runs.

    Args:
        config: the sweep's composed config (the driver's).
        loader: composes each job's config; by default a new
            :class:`~sim.cli.job_compose.JobConfigLoader`.

    Raises:
        ConfigError: a job's config is invalid; the message names the job's overrides.
    """
    loader = loader or JobConfigLoader(GlobalHydra.instance().config_loader())
    jobs: list[tuple[tuple[str, ...], list[RunSpec]]] = []
    for overrides in job_overrides(config):
        try:
            job = loader.load_sweep_config(config, list(overrides))
            with job_hydra_config(job):     # what the job itself will see
                job_dir = Path(str(OmegaConf.select(job, "hydra.sweep.dir")))
                subdir = OmegaConf.select(job, "hydra.sweep.subdir")
                if subdir:
                    job_dir = job_dir / str(subdir)
                task = pickle.loads(pickle.dumps(job))      # a copy, 5x faster than deepcopy
                with open_dict(task):
                    del task["hydra"]
                typed = to_config(task)
            check_job(typed)
        except Exception as exc:  # noqa: BLE001 - every composition error, on one line
            err = exc if isinstance(exc, ConfigError) else config_error(exc, list(overrides))
            raise ConfigError(err.key, err.value,
                              f"{err.allowed} (in the job {' '.join(overrides)})") from None
        jobs.append((tuple(overrides), plan_runs(typed, job_dir, overrides)))
    return jobs


def workers(config: DictConfig) -> int | None:
    """Parallel workers of a joblib launcher (``n_jobs``, -1 = every core), else None."""
    launcher = config.hydra.get("launcher") or {}
    if "n_jobs" not in launcher:
        return None
    n = int(launcher.get("n_jobs") or 1)
    if n < 0:
        import joblib  # noqa: PLC0415 - start-up: joblib (~0.1 s) only for n_jobs < 0

        n = max(joblib.cpu_count() + 1 + n, 1)
    return n


def launcher_text(config: DictConfig) -> str:
    """How the jobs run, for the start line: ``2 workers``, ``launcher ray``, ..."""
    n = workers(config)
    if n:
        return f"{n} workers"
    choice = config.hydra.runtime.choices.get("hydra/launcher")
    return f"launcher {choice}" if choice else ""


def pin_sweep_dir(config: DictConfig) -> Path:
    r"""Make ``hydra.sweep.dir`` absolute in every job's config, and return it.

    Jobs compose their config from the driver's ``hydra.overrides.hydra`` plus their own
    overrides, and resolve a relative sweep directory against *their* working directory: on
    another node (Ray workers start where ``ray start`` ran) or under a Ray ``working_dir``
    that is not the driver's. An override naming the driver's absolute path, appended to
    ``hydra.overrides.hydra``, makes every job write where the driver looks. A path that
    cannot be written as a quoted override (it holds ``'``, ``\`` or ``$``) is left as it is.
    """
    sweep_dir = Path(str(config.hydra.sweep.dir))
    absolute = Path(os.path.abspath(sweep_dir))
    if sweep_dir.is_absolute() or any(c in str(absolute) for c in "'\\$"):
        return absolute
    with read_write(config.hydra.overrides):
        config.hydra.overrides.hydra.append(f"hydra.sweep.dir='{absolute}'")
    return absolute


class SweepCallback(Callback):
    """Writes the manifest and shows progress of ``mindshare -m`` (see the module docstring)."""

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Plan the sweep, write ``sweep.json``, reset incomplete runs, start the progress."""
        global _CURRENT
        if not is_basic_sweeper(config):
            print(f"mindshare: note: sweeper {config.hydra.sweeper.get('_target_')}: no "
                  "manifest and no progress line (they need the basic sweeper)",
                  file=sys.stderr)
            return
        start = time.perf_counter()
        shown = str(config.hydra.sweep.dir)
        sweep_dir = pin_sweep_dir(config)
        loader = JobConfigLoader(GlobalHydra.instance().config_loader())
        try:
            jobs = plan_jobs(config, loader)
        except ConfigError as exc:
            fail(str(exc))
        specs = [spec for _, job_specs in jobs for spec in job_specs]
        name = SWEEP_NAME if SWEEP_NAME and str(config.name) == "default" else str(config.name)
        experiment = config.hydra.runtime.choices.get("experiment")
        overrides = OmegaConf.to_container(config.hydra.overrides.task)
        entries = manifest_entries(sweep_dir, specs)
        created = _first_missing(sweep_dir)       # removed again if nothing can be written
        try:
            claim(sweep_dir)
        except DirectoryBusy:
            fail(f"hydra.sweep.dir='{shown}': another mindshare sweep is running in this "
                 "directory; wait for it to end, or choose another name=")
        except OSError as exc:
            fail(_write_error(shown, exc))
        refuse_other_definition(sweep_dir, shown, experiment, overrides, entries)
        try:
            write_manifest(sweep_dir, name=name, experiment=experiment, entries=entries,
                           overrides=overrides)
            # Hydra writes it next, in place: whole here first, so a full disk stops us
            atomic_write(sweep_dir / "multirun.yaml",
                         lambda tmp: OmegaConf.save(config, tmp))
        except ValueError as exc:
            fail(str(exc))
        except OSError as exc:
            if created is not None:
                shutil.rmtree(created, ignore_errors=True)
            else:
                (sweep_dir / MANIFEST).unlink(missing_ok=True)
            fail(_write_error(shown, exc))
        skip_second_validation()     # every job was just composed and checked by plan_sweep
        loader.ship()           # the jobs start from the bases composed while planning
        install(config, loader)
        state = prepare_resume(sweep_dir, entries)
        # jobs whose every run is complete are not launched: a resume costs what is left
        complete, dirs = set(state.complete), iter(entry["dir"] for entry in entries)
        guard_launcher(config, skip={overrides for overrides, job_specs in jobs
                                     if all([next(dirs) in complete for _ in job_specs])})
        for rel, problems in state.damaged.items():    # complete once, files since damaged
            print(f"{config.name}: {rel}: {problems}, redoing", file=sys.stderr)
        hashes = {e["dir"]: e["config_hash"] for e in entries}
        pending = [(sweep_dir / rel, hashes[rel]) for rel in state.missing]
        jobs = len({Path(e["dir"]).parent for e in entries})
        how = launcher_text(config)
        print(f"{name}: {len(entries)} runs in {jobs} jobs"
              + (f", {len(state.complete)} already complete" if state.complete else "")
              + (f", {how}" if how else "") + f" -> {sweep_dir}", file=sys.stderr,
              flush=True)
        progress = SweepProgress(name, pending, done_before=len(state.complete),
                                 workers=workers(config))
        _CURRENT = SweepRun(name=name, sweep_dir=sweep_dir, entries=entries,
                            skipped=len(state.complete), progress=progress, start=start,
                            before=list(state.complete))
        progress.start_thread()

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        """Stop the progress line and print the final line."""
        finish()


def _first_missing(path: Path) -> Path | None:
    """The outermost directory of ``path`` (absolute) that does not exist yet, or None."""
    missing = None
    for candidate in (path, *path.parents):
        if candidate.exists():
            break
        missing = candidate
    return missing


def _write_error(shown: str, exc: OSError) -> str:
    reason = exc.strerror or " ".join(str(exc).split())
    return (f"hydra.sweep.dir='{shown}': cannot write there ({reason}); free some space or "
            "choose another directory")


def refuse_other_definition(sweep_dir: Path, shown: str, experiment: str | None,
                            overrides: list[str], entries: list[dict[str, Any]]) -> None:
    """Stop (one line, exit 2) when ``sweep_dir`` holds a sweep other than this one.

    The sweep it holds is read from its ``sweep.json``; the same sweep (the same jobs, each
    run of the same config, more or fewer replicates) is resumed instead.
    """
    try:
        held = read_manifest(sweep_dir)
    except (OSError, ValueError):
        return          # no manifest (or none readable): nothing to compare with
    if same_definition(held["runs"], entries):
        return
    fail(f"{shown} holds the sweep "
         f"{describe(held.get('experiment'), held.get('overrides') or [])}; this one is "
         f"{describe(experiment, overrides)}; choose another name= or remove the directory")


def finish() -> SweepState | None:
    """End the current sweep (once): last progress line, failed runs, final line."""
    run = _CURRENT
    if run is None or run.outcome is not None:
        return None if run is None else run.outcome
    run.progress.stop()
    # only the runs this attempt had to make are read again: the end costs what was left
    before = set(run.before)
    later = sweep_state(run.sweep_dir, [e for e in run.entries if e["dir"] not in before])
    state = run.outcome = SweepState(complete=[*run.before, *later.complete],
                                     failed=later.failed, missing=later.missing,
                                     stale=later.stale, damaged=later.damaged)
    for rel in state.failed[:SHOW_FAILED]:
        status = read_status(run.sweep_dir / rel) or {}
        print(f"  failed: {run.sweep_dir / rel}: {status.get('error')}", file=sys.stderr)
    if len(state.failed) > SHOW_FAILED:
        print(f"  ... and {len(state.failed) - SHOW_FAILED} more failed runs", file=sys.stderr)
    done_now = len(state.complete) - run.skipped
    print(f"{run.name}: {state.total} runs: {len(state.complete)} complete "
          f"({done_now} run now, {run.skipped} already complete), {len(state.failed)} failed, "
          f"{len(state.missing)} missing; {clock_text(time.perf_counter() - run.start)} "
          f"-> {run.sweep_dir}", flush=True)
    return state


def exit_status() -> int:
    """0 when every run of the sweep is complete, 1 when some failed or are missing."""
    state = finish()
    if state is None:
        return 0
    return 0 if not (state.failed or state.missing) else 1
