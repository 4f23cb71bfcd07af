"""What a run leaves behind: its result, its files and their contract, its metrics and chart.

The package owns ``simulate`` and its ``Result`` (:mod:`~sim.outputs.results`), the files a run
writes, atomically, with their formats (:mod:`~sim.outputs.files`), the run-directory contract
(:mod:`~sim.outputs.rundir`), the summary metrics (:mod:`~sim.outputs.metrics`) and the
single-run charts (:mod:`~sim.outputs.charts`, the cascade drawing :mod:`~sim.outputs.cascade`,
:mod:`~sim.outputs.style`).

Nothing here imports Hydra or the sweep machinery; sweeps and reports read runs through
:mod:`sim.outputs.rundir`.
"""
