"""The console script ``mindshare``: check the command line, run it, exit with its status.

``mindshare key=value ...`` composes ``conf/config.yaml`` over the typed schema in
:mod:`sim.config` (:mod:`sim.cli.compose`), checks it (one-line error, exit 2, nothing written,
when it is wrong; :mod:`sim.cli.errors`), runs :func:`sim.simulate` and writes the run's outputs
into the directory Hydra chose. A run that fails on a bad input removes what it created.
``mindshare -m ...`` runs a sweep: each Hydra job runs its batch of replicates through
:func:`sim.sweep.jobs.run_job` (complete runs skipped, failed ones recorded, never raised), and
the command exits 1 after a final line (:mod:`sim.cli.sweep_callback`) when some runs failed.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import sys
import time
from pathlib import Path
from typing import Any

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.types import RunMode
from omegaconf import DictConfig

from sim.cli.compose import CONFIG_MODULE, VERSION_BASE, load_config, register_configs, to_config
from sim.cli.errors import fail
from sim.cli.run_dir import check_run_dir
from sim.config import ConfigError, GraphFileError
from sim.sweep.jobs import execute_run, fail_job, plan_runs, run_job

log = logging.getLogger("mindshare")


def _task(cfg: DictConfig) -> float:
    """Hydra's task function: a single run (or its batch of replicates), or a sweep's job."""
    hydra_config = HydraConfig.get()
    out_dir = Path(hydra_config.runtime.output_dir)
    overrides = list(hydra_config.overrides.task)
    if hydra_config.mode == RunMode.MULTIRUN:
        return _sweep_job(cfg, out_dir, overrides)
    try:
        config = to_config(cfg)
    except ConfigError as exc:
        _discard(out_dir)
        fail(str(exc))
    t0 = time.perf_counter()
    if config.replicates > 1:
        outcome = run_job(config, out_dir, overrides)
        log.info("%d runs complete, %d failed, %d already complete, %.2f s -> %s",
                 outcome.complete, outcome.failed, outcome.skipped,
                 time.perf_counter() - t0, out_dir)
        if outcome.failed:
            raise SystemExit(1)
        return outcome.mean_reached
    [spec] = plan_runs(config, out_dir, overrides, subdirs=False)
    try:
        done = execute_run(spec, reraise=(ConfigError, GraphFileError), overrides=True)
    except (ConfigError, GraphFileError) as exc:
        _discard(out_dir)
        fail(str(exc))
    if done.status == "failed":
        sys.stderr.write((out_dir / "traceback.txt").read_text())
        print(f"mindshare: run failed: {done.error} (traceback in {out_dir})", file=sys.stderr)
        raise SystemExit(1)
    s = done.summary
    log.info("reached %d people (%.1f%% of %d), engaged %d, %d steps, %.2f s -> %s",
             s["reached"], 100 * s["reached_fraction"], s["n_agents"], s["engaged"], s["steps"],
             time.perf_counter() - t0, out_dir)
    return float(s["reached"])


def _sweep_job(cfg: DictConfig, job_dir: Path, overrides: list[str]) -> float:
    """One job of a sweep: its replicates, each in ``replicate=<r>`` below the job directory.

    Nothing is raised: failed runs are recorded in their own directories.
    """
    from sim.cli.job_compose import take_compose_cpu  # noqa: PLC0415 - sweep-only Hydra internals
    from sim.cli.launcher_guard import watch_driver  # noqa: PLC0415 - sweep-only Hydra internals

    watch_driver()      # a worker of a driver that is killed stops too
    start = time.process_time()
    try:
        config = to_config(cfg)
    except Exception as exc:  # noqa: BLE001 - recorded in each run directory instead
        fail_job(job_dir, int(cfg.get("replicate", 0)), int(cfg.get("replicates", 1)), exc)
        log.warning("job failed: %s: %s", job_dir, " ".join(str(exc).split()))
        return float("nan")
    setup = take_compose_cpu() + time.process_time() - start     # this job's config, in CPU s
    return run_job(config, job_dir, overrides, setup_cpu_s=setup).mean_reached


#: The nearest directory above the run directory that existed before the command (the run
#: directory itself if it did), with the names it held then: what a failed run must keep.
_BEFORE: tuple[Path, frozenset[str]] | None = None


def _discard(out_dir: Path) -> None:
    """Remove what a run that failed on a bad input created.

    That is its directory and the empty parents made for it, or, in a run directory that
    existed before the command, only the entries that were not there. Directories that existed
    before are always kept.
    """
    if _BEFORE is None:          # not known what existed: remove nothing
        return
    kept, names = _BEFORE
    out_dir = out_dir.resolve()
    if out_dir == kept:
        for entry in out_dir.iterdir():
            if entry.name in names:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
        return
    if kept not in out_dir.parents:
        return
    shutil.rmtree(out_dir, ignore_errors=True)
    for parent in out_dir.parents:
        if parent == kept:
            break
        try:
            parent.rmdir()
        except OSError:
            break


def _remember_run_dir(existing: Path | None) -> None:
    """Record the nearest existing directory above the run directory, and its entries.

    This is done before Hydra creates anything; the directory comes from
    :func:`sim.cli.run_dir.check_run_dir`.
    """
    global _BEFORE
    if existing is not None:
        existing = existing.resolve()
        _BEFORE = (existing, frozenset(os.listdir(existing)))


class Interrupted(KeyboardInterrupt):
    """The command was asked to stop (``SIGTERM``); ``Ctrl-C`` raises KeyboardInterrupt."""


def _stop_on_sigterm(signum: int, frame: Any) -> None:
    raise Interrupted(signum)


def main() -> None:
    """Console script ``mindshare``: check the overrides, then hand over to Hydra.

    A sweep (``-m``) exits with status 1 when some of its runs failed or are missing, after a
    final line saying how many. An interrupt (``Ctrl-C``, ``SIGTERM``) stops the command at
    once, without a traceback: a sweep prints its final line (complete runs are kept, a rerun
    of the same command resumes) and the command exits with status 128 + the signal number.
    """
    register_configs()
    args = sys.argv[1:]
    multirun = any(a in ("-m", "--multirun") for a in args)
    if not any(a.startswith("-") for a in args):
        _check(args)
        try:
            # a run directory that cannot be created fails here
            _remember_run_dir(check_run_dir(args))
        except ConfigError as exc:
            fail(str(exc))
    elif multirun and not any(a.startswith("-") and a not in ("-m", "--multirun")
                              for a in args):
        first = _first_job([a for a in args if not a.startswith("-")])
        _check(first)
        try:
            check_run_dir(first, "sweep")   # so does a sweep directory
        except ConfigError as exc:
            fail(str(exc))
    if multirun:
        from sim.cli.launcher_guard import mark_driver  # noqa: PLC0415 - sweep-only Hydra internals

        mark_driver()
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    stopped = 0
    try:
        hydra.main(config_path=f"pkg://{CONFIG_MODULE}", config_name="config",
                   version_base=VERSION_BASE)(_task)()
    except KeyboardInterrupt as exc:
        stopped = exc.args[0] if isinstance(exc, Interrupted) else signal.SIGINT
    finally:
        if multirun:
            # here, not on top: a single run does not need the sweep's modules (start-up)
            from sim.cli.sweep_callback import exit_status  # noqa: PLC0415 - sweep-only

            status = exit_status()
    if stopped:
        print(f"mindshare: interrupted ({signal.Signals(stopped).name})"
              + ("; complete runs are kept: rerun the same command to resume"
                 if multirun else ""), file=sys.stderr, flush=True)
        raise SystemExit(128 + stopped)
    if multirun and status:
        raise SystemExit(status)


def _check(overrides: list[str]) -> None:
    """Compose and validate ``overrides`` as a run would; one-line error and exit 2 if bad."""
    try:
        load_config(overrides)
    except ConfigError as exc:
        fail(str(exc))


def _first_job(args: list[str]) -> list[str]:
    """The overrides of a sweep's first job on the command line, each swept key at its first value.

    They let unknown keys and bad types fail on one line before Hydra starts.
    """
    try:
        parsed = OverridesParser.create().parse_overrides(args)
    except Exception:  # noqa: BLE001 - Hydra reports grammar errors itself
        return []
    first = []
    for override in parsed:
        if override.is_sweep_override():
            if not override.is_discrete_sweep():
                return []
            value = next(iter(override.sweep_string_iterator()), None)
            if value is None:
                return []
            first.append(f"{override.get_key_element()}={value}")
        else:
            first.append(override.input_line)
    return first
