"""Reports: from a sweep directory to tidy tables, statistics, charts and a slide deck.

``mindshare-report SWEEP_DIR`` on the command line; from Python, any of::

    import sim
    rep = sim.report("results/demo/sweep")          # the package is callable
    from sim.report import report                   # or the function itself

:func:`report` returns a :class:`~sim.report.build.Report` (tables, statistics, charts, the
files written, and ``rep.sql(...)`` to query the tables with DuckDB). Modules: ``collect``
(runs into tables), ``design`` (what was swept), ``stats`` (bootstrap, paired differences,
Holm, ranks), ``takeaways`` (titles from the data), ``verdicts`` (the experiment's claims
judged, and the assumptions the results rest on), ``style`` (the deck style), ``charts``,
``charts_sweep`` and ``tree`` (the charts), ``summary`` (Markdown and HTML), ``deck``
(python-pptx) and ``cli`` (the command).
Heavy libraries are imported only when a report is made, so ``import sim`` stays cheap.
"""

from __future__ import annotations

import sys
import types
from typing import Any

__all__ = ["report"]


def report(sweep_dir: Any, out: Any = None, **kwargs: Any) -> Any:
    """Collect a sweep directory and write its report; see :func:`sim.report.build.report`."""
    from sim.report.build import report as _report  # noqa: PLC0415 - start-up: import sim cheap

    return _report(sweep_dir, out, **kwargs)


class _CallableModule(types.ModuleType):
    """Lets ``sim.report(...)`` call :func:`report` although ``sim.report`` is this package."""

    def __call__(self, sweep_dir: Any, out: Any = None, **kwargs: Any) -> Any:
        return report(sweep_dir, out, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
