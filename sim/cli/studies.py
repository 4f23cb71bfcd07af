"""What the study commands share: their parser, their study directory, their sweeps.

``mindshare-calibrate``, ``mindshare-robustness`` and ``mindshare-optimise`` each keep a study
in a directory (its definition in ``study.json``; another definition into it is refused, and
one command at a time holds it), report a bad option on one line, and evaluate their points as
ordinary sweeps of the ``mindshare`` command run by this interpreter, so the launchers (local
pool, Ray, SLURM), the manifest, the resume and the failure handling are the sweep's own.
``Ctrl-C`` or ``SIGTERM`` reaching the study's command is passed on to the sweep, which writes
its final line (complete runs are kept) before the study stops. The trials a study fails keep
their error in ``failed.json``.
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sim.cli.errors import fail
from sim.outputs.files import atomic_write
from sim.outputs.lock import DirectoryBusy, claim

#: A study's definition, in its directory.
STUDY_FILE = "study.json"
#: The errors of the trials a study failed, by trial number.
ERRORS = "failed.json"

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


class StudyParser(argparse.ArgumentParser):
    """An argument parser whose errors are the project's one line (``mindshare: error: ...``)."""

    def error(self, message: str):  # noqa: D102 - argparse's hook
        fail(f"{message} (see {self.prog} --help)")


def open_study_dir(out: str | Path, definition: dict[str, Any], what: str) -> Path:
    """Create or reopen the study directory ``out`` for ``definition``, and hold it.

    Refused on one line (exit 2): a directory holding another study (``what`` names the kind,
    ``a calibration``), a non-empty directory holding none, one another command holds, or one
    that cannot be written.
    """
    folder = Path(out)
    held_path = folder / STUDY_FILE
    if held_path.exists():
        try:
            held = json.loads(held_path.read_text())
        except (OSError, ValueError):
            held = {}
        if held != definition:
            differ = ", ".join(sorted(k for k in {*held, *definition}
                                      if held.get(k) != definition.get(k))) or "nothing"
            fail(f"--out='{out}': holds another {what} (its {differ} differ); choose another "
                 "--out or remove the directory")
    elif folder.exists() and any(folder.iterdir()):
        fail(f"--out='{out}': not empty and holds no {what} ({STUDY_FILE}); choose another "
             "--out")
    try:
        claim(folder)
    except DirectoryBusy:
        fail(f"--out='{out}': another command is running a study in this directory")
    except OSError as exc:
        fail(f"--out='{out}': cannot write there ({exc.strerror or exc})")
    text = json.dumps(definition, indent=1) + "\n"
    atomic_write(held_path, lambda tmp: Path(tmp).write_text(text))
    return folder


def trial_errors(out: Path) -> dict[str, str]:
    """The errors of the trials the study in ``out`` failed, by trial number (as text)."""
    try:
        data = json.loads((out / ERRORS).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def fail_trial(study: Any, out: Path, number: int, error: str) -> None:
    """Tell Optuna trial ``number`` failed, print why, and keep its error in ``failed.json``."""
    from optuna.trial import TrialState  # noqa: PLC0415 - only when a trial fails

    print(f"mindshare: trial {number} failed: {error}", file=sys.stderr)
    errors = trial_errors(out)
    errors[str(number)] = error
    text = json.dumps(errors, indent=1, sort_keys=True) + "\n"
    atomic_write(out / ERRORS, lambda tmp: Path(tmp).write_text(text))
    study.tell(number, state=TrialState.FAIL)


def positive(name: str, value: int) -> None:
    """Refuse on one line (exit 2) a count option below 1."""
    if value < 1:
        fail(f"{name}={value}: must be an integer >= 1")


def summary_metrics(overrides: Sequence[str]) -> list[str]:
    """The numeric keys of ``summary.json`` for these overrides: a small run in memory."""
    from sim import load_config, simulate  # noqa: PLC0415 - start-up: the model (~1 s)

    config = load_config([*overrides, "n=300", "replicates=1", "steps=10",
                          "output.write_trace=false"])
    summary = simulate(config).summary
    return [k for k, v in summary.items() if v is None or
            (isinstance(v, int | float) and not isinstance(v, bool))]
