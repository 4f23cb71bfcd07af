"""Sweeps in plain Python: the runs of one job, run, skipped or redone, each in its own directory.

A sweep is a set of *jobs* (one per combination of swept values, Hydra's unit of work); a job
runs ``config.replicates`` replicates (so that composing the config and starting the job are
paid once per job, not once per run), each a *run* with its own directory
``<job dir>/replicate=<r>`` laid out as :mod:`sim.outputs.rundir` says. Where the model allows
(full mode on generated layers), the runs to make advance together as one batch
(:func:`sim.outputs.results.simulate_batch`: the same outputs, byte for byte, for less CPU),
as many at once as memory allows. Any
launcher's job calls :func:`run_job`; nothing here imports Hydra (the Hydra glue is
:mod:`sim.cli`). Rerunning a job skips its complete runs and redoes the others.
"""

from __future__ import annotations

import dataclasses
import logging
import signal
import sys
import threading
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from sim.config import BATCH_KEYS, Config, Mode, replicate_configs, without_keys
from sim.outputs.rundir import (
    RUN_DIR,
    RunSpec,
    RunState,
    config_yaml,
    read_run,
    reset_run,
    write_failure,
    write_run_config,
)

log = logging.getLogger("mindshare")


class RunOutcome(NamedTuple):
    """How one run ended: ``"complete"`` (with its summary) or ``"failed"`` (with the error)."""

    status: str
    summary: dict[str, Any] | None = None
    error: str | None = None


@dataclass
class JobOutcome:
    """What a job did: runs complete, skipped (already complete) and failed, with errors."""

    complete: int = 0
    skipped: int = 0
    failed: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)
    reached: list[float] = field(default_factory=list)

    def add(self, spec: RunSpec, done: RunOutcome) -> None:
        """Count how run ``spec`` ended (a failure is logged with its error)."""
        if done.status == "complete":
            self.complete += 1
            self.reached.append(float(done.summary["reached"]))
        else:
            self.failed += 1
            self.errors.append((str(spec.dir), str(done.error)))
            log.warning("run failed: %s: %s", spec.dir, done.error)

    @property
    def mean_reached(self) -> float:
        """Mean people reached by the runs that completed in this job (NaN if none did)."""
        return sum(self.reached) / len(self.reached) if self.reached else float("nan")


def plan_runs(config: Config, job_dir: str | Path, overrides: Sequence[str] = (), *,
              subdirs: bool = True) -> list[RunSpec]:
    """The runs of a job: replicates ``replicate`` .. ``replicate + replicates - 1``.

    Args:
        config: the job's config.
        job_dir: the job's directory.
        overrides: the job's overrides; each run's are these without ``replicate`` and
            ``replicates``, plus ``replicate=<r>`` and ``replicates=1``.
        subdirs: put each run in ``replicate=<r>`` below ``job_dir``; with ``False`` (allowed
            for one replicate only) the run is ``job_dir`` itself.
    """
    job_dir = Path(job_dir)
    if not subdirs and config.replicates != 1:
        raise ValueError("a job of several replicates needs one subdirectory per run")
    kept = without_keys(overrides, BATCH_KEYS)
    first = config.replicate
    # the runs' configs differ only in `replicate`: validate and dump the YAML once, then
    # set that line
    single = dataclasses.replace(config, replicates=1)
    text = config_yaml(single)
    specs = []
    runs = replicate_configs(single, range(first, first + config.replicates))
    for r, (run, digest) in enumerate(runs, start=first):
        specs.append(RunSpec(dir=job_dir / RUN_DIR.format(r) if subdirs else job_dir,
                             config=run, overrides=kept + (f"replicate={r}", "replicates=1"),
                             config_hash=digest,
                             config_text=text.replace(f"\nreplicate: {first}\n",
                                                      f"\nreplicate: {r}\n", 1)))
    return specs


def check_job(config: Config) -> None:
    """Refuse, before any run of a sweep, a job config that its runs would refuse when built.

    Checked: a full-mode budget too small to pay every post and one placement each (the check the
    model makes when it starts, :func:`sim.strategies.make_ledger`).

    Raises:
        ConfigError: the job's config cannot run.
    """
    from sim.strategies.budget import make_ledger  # noqa: PLC0415 - start-up: numpy, sweeps only

    if config.mode is not Mode.full:
        return
    names = layer_names(config)
    if names:
        make_ledger(config.budget, config.strategy, names)


def layer_names(config: Config) -> tuple[str, ...]:
    """The layers a config's world has, without building it.

    Its graph file's one layer, or the enabled ones of personal, professional and topic.
    """
    if config.graph:
        return ("graph",)
    return tuple(name for name in ("personal", "professional", "topic")
                 if getattr(config.network, name).enabled)


def one_line(exc: BaseException) -> str:
    """An exception as one line: its type and its message with whitespace collapsed."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}"[:500] if text else type(exc).__name__


#: Interrupts (SIGINT) this process has received since :func:`_count_interrupts` ran.
_INTERRUPTS = 0


def _count_interrupts() -> None:
    """Count SIGINTs in this process, then let the handler in place act as before.

    An interrupt raises ``KeyboardInterrupt`` wherever the run is, and a few library calls
    turn it into another error (numpy's comparison of structured arrays says ``TypeError``);
    counting them lets :func:`execute_run` tell an interrupted run from a failed one. Only
    the main thread may set a handler; elsewhere nothing changes.
    """
    previous = signal.getsignal(signal.SIGINT)
    if (not callable(previous) or getattr(previous, "counts_interrupts", False)
            or threading.current_thread() is not threading.main_thread()):
        return      # ignored, the system's default, already counting, or not allowed here

    def counting(signum: int, frame: Any) -> None:
        global _INTERRUPTS
        _INTERRUPTS += 1
        previous(signum, frame)

    counting.counts_interrupts = True
    signal.signal(signal.SIGINT, counting)
    _quiet_finalizer_interrupts()


def _quiet_finalizer_interrupts() -> None:
    """Keep an interrupt that lands in a finalizer from printing a traceback.

    Python cannot raise from ``__del__`` (pyarrow's ``ParquetWriter.__del__`` runs after each
    table written): it prints ``Exception ignored in ...`` with the ``KeyboardInterrupt``'s
    traceback and goes on. Such an interrupt is already counted, so instead of that print
    the run honours it as soon as it ends (:func:`execute_run`, :func:`_simulate_together`
    raise ``KeyboardInterrupt`` when the count moved with no error). Other unraisable
    errors are printed as before.
    """
    previous = sys.unraisablehook
    if getattr(previous, "quiet_interrupts", False):
        return

    def hook(unraisable: Any) -> None:
        if not (isinstance(unraisable.exc_type, type)
                and issubclass(unraisable.exc_type, KeyboardInterrupt)):
            previous(unraisable)

    hook.quiet_interrupts = True
    sys.unraisablehook = hook


def execute_run(spec: RunSpec, *, reraise: tuple[type[BaseException], ...] = (),
                overrides: bool = False, timing: dict[str, float] | None = None,
                result: Any = None) -> RunOutcome:
    """Run one simulation into its directory and say how it ended.

    An exception is recorded in the run's directory (``traceback.txt``, and ``status.json``
    with the error on one line) and not raised, unless it is one of ``reraise``; interrupts
    (``KeyboardInterrupt``, ``SystemExit``) always propagate and leave the run missing, but
    for one that a finalizer swallowed, raised once the run is written whole.
    ``overrides`` also writes ``.hydra/overrides.yaml`` (single runs); ``timing`` adds
    figures measured outside the run to its ``timing.json``. ``result``: the run's
    :class:`~sim.outputs.results.Result`, already simulated in a batch, to write instead of
    simulating it here.
    """
    from sim.outputs.results import simulate, write_outputs  # noqa: PLC0415 - start-up: the model

    try:
        spec.dir.mkdir(parents=True)
    except FileExistsError:
        reset_run(spec.dir)         # an earlier attempt's end files and temporary files
    config = spec.config
    _count_interrupts()
    interrupts = _INTERRUPTS
    try:
        files = write_run_config(spec, overrides=overrides)
        if result is None:
            cpu = time.process_time()
            result = simulate(config)
            result.timing["cpu_s"] = time.process_time() - cpu   # this process's CPU seconds
        result.timing.update(timing or {})
        extra = {}
        if config.output.chart:
            extra["reach.png"] = lambda tmp: _chart(result, config, tmp)
        if config.output.cascade_chart:
            extra["cascade.png"] = lambda tmp: _cascade_chart(result, config, tmp)
        write_outputs(result, spec.dir, trace=config.output.write_trace, extra=extra,
                      recorded=files)         # status.json last: the run is complete
    except reraise:
        raise
    except Exception as exc:  # noqa: BLE001 - one failed run must not stop the others
        if _INTERRUPTS != interrupts:     # interrupted, whatever error the interrupt became
            raise KeyboardInterrupt from exc
        error = one_line(exc)
        write_failure(spec.dir, spec.config_hash, error, traceback.format_exc())
        return RunOutcome("failed", error=error)
    if _INTERRUPTS != interrupts:     # an interrupt a finalizer swallowed: the run is whole
        raise KeyboardInterrupt
    return RunOutcome("complete", summary=result.summary)


def _chart(result, config: Config, path: str) -> None:
    from sim.outputs.charts import save_reach_chart  # noqa: PLC0415 - start-up: matplotlib

    save_reach_chart(result.timeseries, path, name=config.name)


def _cascade_chart(result, config: Config, path: str) -> None:
    from sim.outputs.cascade import save_cascade_chart  # noqa: PLC0415 - start-up: matplotlib

    save_cascade_chart(result.activations, path, name=config.name,
                       post=config.output.cascade_post)


def run_job(config: Config, job_dir: str | Path, overrides: Sequence[str] = (), *,
            subdirs: bool = True, setup_cpu_s: float | None = None) -> JobOutcome:
    """Run the runs of one job that are not complete yet (see :func:`plan_runs`).

    Complete runs (``status.json`` complete for the run's config hash, every file it records
    verified) are skipped; failed, killed, damaged or stale ones are redone (a damaged one
    with a warning naming its bad files). A run that raises is recorded as failed and the job
    goes on.
    ``setup_cpu_s``, the CPU seconds spent making the job's config, plus those spent here
    listing its runs, is shared among its runs in their ``timing.json`` (``setup_cpu_s``).
    """
    outcome = JobOutcome()
    start = time.process_time()
    specs = plan_runs(config, job_dir, overrides, subdirs=subdirs)
    timing = None if setup_cpu_s is None else {"setup_cpu_s": (
        setup_cpu_s + time.process_time() - start) / max(len(specs), 1)}
    todo = []
    for spec in specs:
        found = read_run(spec.dir, spec.config_hash)
        if found.state is RunState.COMPLETE:
            outcome.skipped += 1
            continue
        if found.state is RunState.DAMAGED:
            log.warning("%s: %s, redoing", spec.dir, "; ".join(found.problems))
        todo.append(spec)
    size = _batch_size(config, len(todo))
    for first in range(0, len(todo), size):
        chunk = todo[first:first + size]
        results = _simulate_together(chunk) if len(chunk) > 1 else [None]
        for spec, result in zip(chunk, results, strict=True):
            outcome.add(spec, execute_run(spec, timing=timing, result=result))
    return outcome


def _batch_size(config: Config, runs: int) -> int:
    """How many of a job's runs advance together (:func:`sim.outputs.results.batch_size`)."""
    if runs < 2:
        return 1
    from sim.outputs.results import batch_size  # noqa: PLC0415 - start-up: the model

    return batch_size(config, runs)


def _simulate_together(specs: list[RunSpec]) -> list[Any]:
    """The results of a job's runs simulated as one batch, each with its share of the CPU.

    A batch that fails gives no result (``None`` each): its runs are then simulated one by
    one, so that each failure is recorded against its run.
    """
    from sim.outputs.results import simulate_batch  # noqa: PLC0415 - start-up: the model

    _count_interrupts()
    interrupts = _INTERRUPTS
    cpu = time.process_time()
    try:
        results = simulate_batch([spec.config for spec in specs])
    except Exception as exc:  # noqa: BLE001 - the runs are retried one by one
        if _INTERRUPTS != interrupts:
            raise KeyboardInterrupt from exc
        log.info("a batch of %d runs failed (%s); running them one by one", len(specs),
                 one_line(exc))
        return [None] * len(specs)
    if _INTERRUPTS != interrupts:     # an interrupt a finalizer swallowed
        raise KeyboardInterrupt
    share = (time.process_time() - cpu) / len(specs)
    for result in results:
        result.timing["cpu_s"] = share
        result.timing["batch_runs"] = len(specs)
    return results


def fail_job(job_dir: str | Path, first: int, replicates: int, error: BaseException) -> None:
    """Record every run of a job as failed when the job could not even start them.

    That happens when, e.g., its config does not convert; each run directory gets
    ``status.json`` and ``traceback.txt``.

    Args:
        job_dir: the job's directory; its runs are ``replicate=<r>`` below it.
        first: the replicate number of the job's first run.
        replicates: how many runs the job has.
        error: what stopped the job.
    """
    text = "".join(traceback.format_exception(error))
    for r in range(first, first + replicates):
        run_dir = Path(job_dir) / RUN_DIR.format(r)
        run_dir.mkdir(parents=True, exist_ok=True)
        reset_run(run_dir)
        write_failure(run_dir, None, one_line(error), text)
