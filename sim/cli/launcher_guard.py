"""What keeps a sweep whole when its processes are killed: Hydra launcher glue.

Loaded only by the command line (:mod:`sim.cli.main`) and the sweep callback
(:mod:`sim.cli.sweep_callback`); the rest of ``sim`` never imports it. Every file of a run is
written under a temporary name and renamed, and ``status.json`` comes last, so a process killed
at any moment leaves no file truncated and no run that looks complete; this module sees to the
processes themselves (patching the launcher through :mod:`sim.cli.hydra_internals`):

- **A worker that dies** (``kill -9``, or the kernel ending it for want of memory) breaks the
  local launcher's process pool (joblib), which stops every worker and would end the sweep
  with a traceback. :func:`guard_launcher` makes the driver launch the sweep's jobs once more
  instead (:data:`RELAUNCHES`): complete runs are skipped, the runs cut short are redone. If a
  worker dies again, or a launcher fails in another way (a cluster that refuses the jobs), the
  sweep stops with one line saying why; its final line counts the runs left missing, which a
  rerun of the same command makes.
- **A driver that dies** (``kill -9`` of the ``mindshare`` process alone) would leave the
  workers it started finishing their jobs, then idling for minutes. :func:`watch_driver`,
  called by each job, makes a process that the driver started end itself within
  :data:`WATCH_EVERY` seconds of losing it, so that nothing writes into the sweep directory once
  its driver is gone and a rerun never races with leftovers. Jobs on other machines (SLURM,
  Ray) are not the driver's children: they go on, and write their runs.
"""

from __future__ import annotations

import functools
import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Collection, Sequence
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from omegaconf import DictConfig

from sim.cli.hydra_internals import launcher_class, replace_launch

#: Times the jobs of a sweep are launched again after a worker process died.
RELAUNCHES = 1
#: Seconds between two looks of a job's process at its parent.
WATCH_EVERY = 0.5
#: Environment variable naming the driver of a sweep (``host:pid``), inherited by its workers.
DRIVER_ENV = "MINDSHARE_SWEEP_DRIVER"

_watching = False


def mark_driver() -> None:
    """Name this process as the driver of a sweep, for the workers it starts."""
    os.environ[DRIVER_ENV] = f"{socket.gethostname()}:{os.getpid()}"


def watch_driver(every: float = WATCH_EVERY) -> bool:
    """End a job's process started by the sweep's driver on this machine once the driver is gone.

    A daemon thread looks every ``every`` seconds. Elsewhere (the driver itself, a SLURM job, a
    Ray worker) do nothing.

    Args:
        every: seconds between two looks at the driver.

    Returns:
        Whether this process watches its driver.
    """
    global _watching
    host, _, pid = os.environ.get(DRIVER_ENV, "").rpartition(":")
    if _watching:
        return True
    if host != socket.gethostname() or not pid.isdigit() or os.getppid() != int(pid):
        return False
    _watching = True
    driver = int(pid)

    def watch() -> None:
        while os.getppid() == driver:
            time.sleep(every)
        os._exit(1)   # orphaned: stop at once, mid-run if need be (renamed files stay whole)

    threading.Thread(target=watch, name="watch-driver", daemon=True).start()
    return True


def died(exc: BaseException) -> str:
    """How a pool's workers ended, from joblib's error (``"SIGKILL(-9)"``), else the error."""
    text = " ".join(str(exc).split())
    marker = "exit codes of the workers are {"
    if marker in text:
        return text.split(marker, 1)[1].split("}", 1)[0]
    return f"{type(exc).__name__}: {text}"[:300]


def guard_launcher(config: DictConfig, skip: Collection[tuple[str, ...]] = ()) -> None:
    """Wrap the ``launch`` method of the sweep's launcher class, in this process only.

    Jobs whose overrides are in ``skip`` (every run of theirs is complete) are not launched:
    resuming a sweep starts workers only for what is left, and none when nothing is. A
    broken process pool (a worker died) launches the jobs again, up to :data:`RELAUNCHES`
    times; past that, or on any other error of the launcher, one line goes to stderr and the
    sweep stops (``SystemExit(1)``, after which the command prints the final line). With
    ``HYDRA_FULL_ERROR=1`` other errors keep their traceback.
    """
    launcher = launcher_class(config)
    if launcher is None:
        return
    name = str(config.hydra.runtime.choices.get("hydra/launcher") or launcher.__name__)
    skip = frozenset(tuple(job) for job in skip)
    replace_launch(launcher, lambda launch: guarded(launch, name, skip))


def guarded(launch: Callable[..., Sequence[Any]], name: str,
            skip: Collection[tuple[str, ...]] = frozenset()) -> Callable[..., Sequence[Any]]:
    """``launch`` (a launcher's method) minus the ``skip`` jobs, relaunched if a worker died.

    The wrapped method stops the sweep with one line on any other failure (see
    :func:`guard_launcher`). A job's directory comes from its overrides, not from its place
    in the batch, so leaving jobs out moves no run.

    Args:
        launch: the launcher class's ``launch(self, job_overrides, initial_job_idx)``.
        name: the launcher's name in messages (``joblib``, ``ray``, ...).
        skip: overrides of the jobs not to launch.
    """
    @functools.wraps(launch)
    def launch_guarded(self: Any, job_overrides: Sequence[Sequence[str]],
                       initial_job_idx: int) -> Sequence[Any]:
        job_overrides = [job for job in job_overrides if tuple(job) not in skip]
        if not job_overrides:
            return []
        attempt = 0
        while True:
            try:
                return launch(self, job_overrides, initial_job_idx)
            except BrokenProcessPool as exc:
                if attempt < RELAUNCHES:
                    attempt += 1
                    _say(f"mindshare: a worker process died ({died(exc)}); launching the "
                         f"{len(job_overrides)} jobs again (complete runs are kept)")
                    continue
                _say(f"mindshare: error: a worker process died again ({died(exc)}); the sweep "
                     "stops: rerun the same command to make the missing runs (if memory ran "
                     "out, with fewer workers: hydra.launcher.n_jobs=1)")
            except Exception as exc:  # noqa: BLE001 - any launcher's failure, on one line
                if os.environ.get("HYDRA_FULL_ERROR") == "1":
                    raise
                _say(f"mindshare: error: launcher {name} failed ({died(exc)}); the sweep "
                     "stops with its unfinished runs missing (the same command resumes it)")
            raise SystemExit(1)

    return launch_guarded


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
