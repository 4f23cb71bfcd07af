"""Progress lines for long runs: what is being built, which step, how long is left.

A :class:`Progress` turns events (a layer built, a step done) into log lines, throttled so that
a short run prints nothing and a long one prints a line every few seconds: building a layer
that took longer than ``slow`` seconds is reported, and steps are reported at most every
``every`` seconds, with the elapsed time and an estimate of the time left, measured from the
steps done so far (never from the build). Lines go to the ``mindshare.console`` logger by
default (the CLI shows INFO on the console and keeps it out of the run's ``mindshare.log``,
which must not change from one identical run to the next; a notebook shows them once logging
is configured), or to any callable.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

log = logging.getLogger("mindshare.console")


class Progress:
    """Throttled progress reporting.

    Args:
        emit: where lines go (default: ``logging.getLogger("mindshare.console").info``).
        every: minimum seconds between two step lines.
        slow: a build stage is reported when it took at least this many seconds.
        clock: time source (tests pass a fake one).
    """

    def __init__(self, emit: Callable[[str], None] | None = None, *, every: float = 5.0,
                 slow: float = 1.0, clock: Callable[[], float] = time.perf_counter) -> None:
        self.emit = emit or log.info
        self.every, self.slow, self.clock = every, slow, clock
        self.start = self._last = clock()
        self._stage_start = self.start
        self._steps_start: tuple[float, int] | None = None

    def begin(self) -> None:
        """Start timing a build stage."""
        self._stage_start = self.clock()

    def built(self, what: str) -> None:
        """A build stage ended; report it if it was slow."""
        took = self.clock() - self._stage_start
        if took >= self.slow:
            self.emit(f"built {what} in {took:.1f} s")
            self._last = self.clock()

    def step(self, t: int, horizon: int, detail: Callable[[], str] | None = None, *,
             unit: str = "step") -> None:
        """Step ``t`` of ``horizon`` is done; report it if ``every`` seconds have passed.

        ``detail`` is called only when a line is printed (it may be costly, e.g. a reach
        count over the whole population). ``unit`` names what is counted (``cascade`` for a
        batch of cascades).
        """
        now = self.clock()
        if self._steps_start is None:
            self._steps_start = (now, t)
            return
        if now - self._last < self.every:
            return
        t0, first = self._steps_start
        rate = (now - t0) / max(t - first, 1)
        left = rate * max(horizon - t, 0)
        text = f"{unit} {t}/{horizon} ({100 * t / horizon:.0f}%)"
        if detail is not None:
            text += f", {detail()}"
        self.emit(f"{text}, {now - self.start:.0f} s elapsed, ~{left:.0f} s left")
        self._last = now
