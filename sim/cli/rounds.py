"""Studies' sweeps: one ordinary ``mindshare -m`` sweep in a subprocess, and its interruption.

A calibration round, an optimisation round and the optimiser's named strategies are each one
sweep of the ``mindshare`` command run by this interpreter, so the launchers (local pool, Ray,
SLURM), the manifest, the resume and the failure handling are the sweep's own. ``Ctrl-C`` or
``SIGTERM`` reaching the study's command is passed on to the sweep, which writes its final line
(complete runs are kept) before the study stops.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Sequence

#: The command a round runs: ``mindshare`` in this interpreter.
BOOT = "import sys; sys.argv[0] = 'mindshare'; from sim.cli.main import main; main()"


class Terminated(Exception):
    """This command was sent ``SIGTERM``."""


def on_sigterm(signum, frame) -> None:
    """A ``SIGTERM`` handler raising :class:`Terminated` (installed by the study commands)."""
    raise Terminated(signum)


def plain(overrides: Sequence[str]) -> list[str]:
    """The overrides that are not Hydra's own (``hydra/launcher=...``, ``hydra.*``)."""
    return [o for o in overrides if not o.lstrip("+~").startswith("hydra")]


def run_sweep(overrides: Sequence[str]) -> int:
    """Run ``mindshare -m <overrides>`` in a subprocess; returns its exit status.

    Interrupted, it gives the sweep a moment to stop on its own (``Ctrl-C`` in a terminal
    reaches it too), else passes the signal on, and returns ``128 + signal`` if it has to kill.
    """
    child = subprocess.Popen([sys.executable, "-c", BOOT, "-m", *overrides])
    try:
        return child.wait()
    except (KeyboardInterrupt, Terminated) as exc:
        sig = signal.SIGTERM if isinstance(exc, Terminated) else signal.SIGINT
        try:
            return child.wait(timeout=2)
        except subprocess.TimeoutExpired:
            child.send_signal(sig)
        try:
            return child.wait(timeout=60)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
            return 128 + sig
