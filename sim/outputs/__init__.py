"""What a run leaves behind: ``simulate`` and its ``Result``, the files a run writes (atomically,
with their formats), the run-directory contract, the summary metrics and the single-run chart.

Nothing here imports Hydra or the sweep machinery; sweeps and reports read runs through
:mod:`sim.outputs.rundir`.
"""
