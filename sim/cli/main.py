"""The console script ``mindshare``: check the command line, run it, exit with its status.

``mindshare key=value ...`` composes ``conf/config.yaml`` over the typed schema in
:mod:`sim.config` (:mod:`sim.cli.compose`), checks it (one-line error, exit 2, nothing written,
when it is wrong; :mod:`sim.cli.errors`), runs :func:`sim.simulate` and writes the run's outputs
into the directory Hydra chose. A run that fails on a bad input removes what it created.
``mindshare -m ...`` runs a sweep: each Hydra job runs its batch of replicates through
:func:`sim.sweep.jobs.run_job` (complete runs skipped, failed ones recorded, never raised), and
the command exits 1 after a final line (:mod:`sim.cli.sweep_callback`) when some runs failed.
A sweep without ``name=`` goes to ``results/<what it sweeps>/sweep`` (:func:`sweep_label`).

A single run takes its directory's lock (:mod:`sim.outputs.lock`) before Hydra writes
anything there, so that a second command into the same ``hydra.run.dir`` is refused on one line,
and removes what an earlier run left there. ``mindshare --help`` prints the project's own help
(:mod:`sim.cli.help`).
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import re
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

from sim.cli.compose import (
    CONFIG_MODULE,
    VERSION_BASE,
    load_config_and_dirs,
    register_configs,
    to_config,
)
from sim.cli.errors import fail
from sim.config import Config, ConfigError, GraphFileError
from sim.guards.output_dir import check_output_dir
from sim.outputs.lock import LOCK_FILE, DirectoryBusy, claim, clear_run_outputs
from sim.sweep.jobs import execute_run, fail_job, plan_runs, run_job

log = logging.getLogger("mindshare")
#: Lines with times or paths: on the console, not in the run's ``mindshare.log``
#: (``conf/config.yaml``), so that identical runs write identical logs.
console = logging.getLogger("mindshare.console")


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
        console.info("%d runs complete, %d failed, %d already complete, %.2f s -> %s",
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
    except OSError as exc:      # the failure could not even be recorded (a full disk)
        _discard(out_dir)
        fail(write_error("hydra.run.dir", out_dir, exc))
    if done.status == "failed":
        sys.stderr.write((out_dir / "traceback.txt").read_text())
        print(f"mindshare: run failed: {done.error} (traceback in {out_dir})", file=sys.stderr)
        raise SystemExit(1)
    s = done.summary
    console.info("reached %d people (%.1f%% of %d), engaged %d, %d steps, %.2f s -> %s",
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


def _remember_run_dir(existing: Path | None, ignore: tuple[str, ...] = ()) -> None:
    """Record the nearest existing directory above the run directory, and its entries.

    This is done before Hydra creates anything; the directory comes from
    :func:`sim.guards.output_dir.check_output_dir`. Entries named in ``ignore`` are not recorded (a
    lock file this command created: it goes with a failed run).
    """
    global _BEFORE
    if existing is not None:
        existing = existing.resolve()
        _BEFORE = (existing, frozenset(os.listdir(existing)) - set(ignore))


class Interrupted(KeyboardInterrupt):
    """The command was asked to stop (``SIGTERM``); ``Ctrl-C`` raises KeyboardInterrupt."""


def _stop_on_sigterm(signum: int, frame: Any) -> None:
    raise Interrupted(signum)


def write_error(key: str, path: str | os.PathLike, exc: OSError) -> str:
    """The one-line message for a write that failed (``No space left on device``, ...)."""
    reason = exc.strerror or " ".join(str(exc).split())
    advice = ("free some space or choose another directory"
              if exc.errno in (errno.ENOSPC, errno.EDQUOT) else "choose a writable directory")
    return f"{key}='{path}': cannot write there ({reason}); {advice}"


#: Hydra's flags that the command understands before Hydra starts; other flags (``--cfg``,
#: ``--info``, ``--config-dir``, ...) leave the command line to Hydra alone.
_RUN_FLAGS = ("-r", "--run")
_SWEEP_FLAGS = ("-m", "--multirun")
_CONFIG_NAME_FLAGS = ("-cn", "--config-name")


def _mode(args: list[str]) -> tuple[str | None, list[str]]:
    """``("run" | "sweep" | None, overrides)`` of a command line.

    None when it holds a flag checked by Hydra alone, or names a config other than
    ``config``.
    """
    mode, overrides = "run", []
    it = iter(args)
    for arg in it:
        name, eq, value = arg.partition("=")
        if arg in _SWEEP_FLAGS:
            mode = "sweep"
        elif arg in _RUN_FLAGS:
            continue
        elif name in _CONFIG_NAME_FLAGS:
            if (value if eq else next(it, "")) != "config":
                return None, []
        elif arg.startswith("-"):
            return None, []
        else:
            overrides.append(arg)
    return mode, overrides


def main() -> None:
    """Console script ``mindshare``: check the overrides, then hand over to Hydra.

    A sweep (``-m``) exits with status 1 when some of its runs failed or are missing, after a
    final line saying how many. An interrupt (``Ctrl-C``, ``SIGTERM``) stops the command at
    once, without a traceback: a sweep prints its final line (complete runs are kept, a rerun
    of the same command resumes) and the command exits with status 128 + the signal number.
    """
    args = sys.argv[1:]
    if args[:1] == ["explore"]:
        from sim.cli.explore import main as explore  # noqa: PLC0415 - the explorer only

        explore(args[1:])
        return
    if any(a in ("-h", "--help") for a in args):
        from sim.cli.help import help_text  # noqa: PLC0415 - start-up: only for --help

        sys.stdout.write(help_text())
        return
    register_configs()
    multirun = any(a in _SWEEP_FLAGS for a in args)
    mode, overrides = _mode(args)
    if mode == "run":
        _prepare_run(overrides)
    elif mode == "sweep":
        _prepare_sweep(overrides)
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


def _check(overrides: list[str]) -> tuple[Config, dict[str, str | None]]:
    """Compose and validate ``overrides`` as a run would; one-line error and exit 2 if bad.

    Returns:
        The config, and the run and sweep directories Hydra resolves for ``overrides``
        (:func:`sim.cli.compose.load_config_and_dirs`).
    """
    try:
        return load_config_and_dirs(overrides)
    except ConfigError as exc:
        fail(str(exc))


def _pin(key: str, path: str) -> bool:
    """Make Hydra use ``path`` (absolute) for ``key``: one override on the command line.

    So the directory Hydra uses is the one checked and locked here, even if its name holds
    the time. A path that cannot be written as a quoted override (a quote, a backslash or ``$``) is
    left to Hydra.
    """
    absolute = os.path.abspath(path)
    if any(c in absolute for c in "'\\$"):
        return False
    sys.argv = [a for a in sys.argv if not a.startswith(f"{key}=")] + [f"{key}='{absolute}'"]
    return True


def _prepare_run(overrides: list[str]) -> None:
    """Before Hydra starts a single run: check, take the run directory, empty it of a past run.

    A bad config, a directory that cannot be created, or one that another command is writing
    stops here, on one line, with nothing written.
    """
    config, dirs = _check(overrides)
    path = dirs["run"]
    if path is None:
        return
    try:
        existing = check_output_dir("hydra.run.dir", path)   # a directory that cannot be made
    except ConfigError as exc:
        fail(str(exc))
    if not _pin("hydra.run.dir", path):
        _remember_run_dir(existing)
        return
    run_dir = Path(os.path.abspath(path))
    reused = run_dir.is_dir()
    had_lock = (run_dir / LOCK_FILE).exists()
    if not reused:
        _remember_run_dir(existing)
    try:
        claim(run_dir)
    except DirectoryBusy:
        fail(f"hydra.run.dir='{path}': another mindshare command is writing this run "
             "directory; wait for it to end or choose another hydra.run.dir")
    except OSError as exc:
        fail(write_error("hydra.run.dir", path, exc))
    if reused:
        first = config.replicate
        keep = range(first, first + config.replicates) if config.replicates > 1 else None
        clear_run_outputs(run_dir, keep)
        _remember_run_dir(run_dir, ignore=() if had_lock else (LOCK_FILE,))


#: Longest sweep label used whole as a directory name; a longer one is cut and given a hash.
LABEL_MAX = 80


def sweep_label(overrides: list[str]) -> str:
    """The name of a sweep without ``name=``: what it sweeps, as a safe directory name.

    The swept overrides sorted by key and joined by ``+`` (``p=0.1,0.15+strategy=broadcast,
    adapted``); without any, every override but Hydra's. Characters that are unsafe in a path
    or an override (``/``, quotes, ``$``, backslashes, spaces) become ``_``; a label longer than
    :data:`LABEL_MAX` is cut and ends with 8 hex digits of the whole label's hash.
    """
    try:
        parsed = OverridesParser.create().parse_overrides(overrides)
    except Exception:  # noqa: BLE001 - Hydra reports grammar errors itself
        parsed = []
    swept = [o for o in parsed if o.is_sweep_override()]
    chosen = swept or [o for o in parsed if not o.is_hydra_override()]
    text = "+".join(sorted((o.input_line for o in chosen), key=lambda t: t.split("=", 1)[0]))
    label = re.sub(r"[^A-Za-z0-9=,.+_\-:()\[\]@~]", "_", text).lstrip(".") or "default"
    if len(label) > LABEL_MAX:
        digest = hashlib.sha256(text.encode()).hexdigest()[:8]
        label = f"{label[:LABEL_MAX - 9]}-{digest}"
    return label


def _prepare_sweep(overrides: list[str]) -> None:
    """Before Hydra starts a sweep: check its first job, name its directory, check that.

    A sweep given neither ``name=`` nor ``hydra.sweep.dir=`` whose experiment sets no name
    goes to ``results/<sweep_label>/sweep``, under that name.
    """
    from sim.cli import sweep_callback  # noqa: PLC0415 - start-up: sweep-only Hydra glue

    first = _first_job(overrides)
    config, dirs = _check(first)
    path = dirs["sweep"]
    keys = {o.split("=", 1)[0].lstrip("+~") for o in overrides}
    if config.name == "default" and not keys & {"name", "hydra.sweep.dir"}:
        label = sweep_label(overrides)
        path = str(Path("results") / label / "sweep")
        sweep_callback.SWEEP_NAME = label
        sys.argv.append(f"hydra.sweep.dir='{path}'")
    if path is not None:
        try:
            check_output_dir("hydra.sweep.dir", path)   # one that cannot be created fails here
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
