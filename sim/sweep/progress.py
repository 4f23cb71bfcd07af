"""Progress of a sweep, read from its run directories: runs done / total, elapsed, ETA.

Jobs run in other processes (or on other machines), so the sweep's driver learns what they did
from the files they write: a :class:`SweepProgress` looks at the run directories still pending,
every ``every`` seconds in a background thread, and prints one line. On a terminal the line is
rewritten in place; otherwise a new line is printed every ``every_log`` seconds. Works with any
launcher whose jobs write to a file system the driver can read.

The time left is estimated only from runs measured in this sweep: each complete run's own
wall time (``timing.json``: building, stepping, collecting), their mean times the runs left,
divided by the runs that go on at once (the workers, at most one per job still pending, since
a job runs its replicates one after the other). Until a run has been measured there is no
estimate: the time from the start to the first completion is mostly start-up (planning,
starting the workers, importing the model), and dividing it among runs once made the first
estimate of a 100-run sweep 25:52 for a sweep that took 1:21.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from sim.outputs.files import read_json_object
from sim.outputs.rundir import RunState, run_state

#: The parts of ``timing.json`` that make a run's wall time.
WALL_PARTS = ("build_s", "run_s", "collect_s")


def clock_text(seconds: float) -> str:
    """``75.2`` -> ``"1:15"``, ``3725`` -> ``"1:02:05"``."""
    s = round(max(seconds, 0.0))
    h, m = divmod(s, 3600)
    m, s = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def run_seconds(run_dir: Path) -> float | None:
    """A complete run's wall time from its ``timing.json``, or None when it has none."""
    timing = read_json_object(Path(run_dir) / "timing.json") or {}
    parts = [timing.get(k) for k in WALL_PARTS]
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in parts):
        return None
    return float(sum(parts))


class SweepProgress:
    """Counts runs as their directories report them complete or failed.

    Missing, stale and damaged runs are still pending. Files are verified by size only: the
    count needs no more, and checksums are the resume's and the final line's to check.

    Args:
        name: the sweep's name, shown at the start of each line.
        pending: run directories to watch, with their expected config hash.
        done_before: runs already complete when the sweep started (skipped).
        stream: where lines go (default ``sys.stderr``).
        every: seconds between two looks at the pending directories.
        every_log: seconds between two lines when ``stream`` is not a terminal.
        clock: time source.
        workers: runs that go on at once (the launcher's parallel workers); None when unknown
            (taken as 1).
    """

    def __init__(self, name: str, pending: Sequence[tuple[Path, str | None]], *,
                 done_before: int = 0, stream: TextIO | None = None, every: float = 1.0,
                 every_log: float = 15.0,
                 clock: Callable[[], float] = time.perf_counter,
                 workers: int | None = None) -> None:
        self.name = name
        self.pending = list(pending)
        self.total = len(self.pending) + done_before
        self.skipped = done_before
        self.complete = self.failed = 0
        self.workers = max(int(workers or 1), 1)
        self.measured: list[float] = []      # wall seconds of the runs complete in this sweep
        self._first_seen: tuple[float, int] | None = None   # (clock, runs finished) at the first
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.every, self.every_log, self.clock = every, every_log, clock
        self.start = clock()
        self._last_line = self.start
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def done(self) -> int:
        """Runs finished, skipped ones included."""
        return self.skipped + self.complete + self.failed

    def poll(self) -> None:
        """Look at every pending run directory once."""
        still = []
        for run_dir, expected in self.pending:
            state = run_state(run_dir, expected, checksums=False)   # sizes: enough to count
            if state is RunState.COMPLETE:
                self.complete += 1
                seconds = run_seconds(run_dir)
                if seconds is not None:
                    self.measured.append(seconds)
            elif state is RunState.FAILED:
                self.failed += 1
            else:
                still.append((run_dir, expected))
        self.pending = still
        finished = self.complete + self.failed
        if finished and self._first_seen is None:
            self._first_seen = (self.clock(), finished)

    def eta(self) -> float | None:
        """Seconds left, from the runs measured so far; None before any was measured.

        Once runs have been seen finishing over some time, the rate they finish at (runs since
        the first finished one, over the time since) is the measure: it counts everything a run
        costs, writing its files and starting its process included. Before that, each run's own
        ``timing.json`` is, shared among the runs that go on at once.
        """
        left = self.total - self.done
        if left == 0:
            return 0.0
        if self._first_seen is not None:
            since, base = self._first_seen
            span, runs = self.clock() - since, self.complete + self.failed - base
            if span > 0 and runs > 0:
                return left * span / runs
        if not self.measured:
            return None
        jobs = len({run_dir.parent for run_dir, _ in self.pending}) or 1
        at_once = max(min(self.workers, jobs, left), 1)
        return sum(self.measured) / len(self.measured) * left / at_once

    def line(self) -> str:
        """``name: 120/400 runs (2 failed), 1:02 elapsed, ETA 1:40``.

        The ETA is left out until a run has been measured (:meth:`eta`).
        """
        elapsed = self.clock() - self.start
        left = self.total - self.done
        eta = self.eta()
        tail = ", done" if left == 0 else "" if eta is None else f", ETA {clock_text(eta)}"
        failed = f" ({self.failed} failed)" if self.failed else ""
        pct = 100 * self.done / self.total if self.total else 100.0
        return (f"{self.name}: {self.done}/{self.total} runs ({pct:.0f}%){failed}, "
                f"{clock_text(elapsed)} elapsed{tail}")

    def show(self, *, force: bool = False) -> None:
        """Print the line (in place on a terminal; at most every ``every_log`` s otherwise)."""
        now = self.clock()
        if self.tty:
            self.stream.write("\r\033[K" + self.line())
        elif force or now - self._last_line >= self.every_log:
            self.stream.write(self.line() + "\n")
            self._last_line = now
        self.stream.flush()

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            self.poll()
            self.show()

    def start_thread(self) -> None:
        """Watch in a background (daemon) thread until :meth:`stop`."""
        self.show(force=True)
        self._thread = threading.Thread(target=self._loop, name="sweep-progress", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop watching, take a last look and print the last progress line."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self.poll()
        self.show(force=True)
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()
