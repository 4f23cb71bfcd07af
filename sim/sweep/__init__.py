"""Sweeps in plain Python: a job's runs, the sweep manifest, its progress and its results table.

:mod:`~sim.sweep.jobs` runs, skips or redoes the runs of one job, each in its own directory;
:mod:`~sim.sweep.manifest` writes ``sweep.json`` and reads the state of the runs it lists;
:mod:`~sim.sweep.progress` counts runs done while a sweep runs (elapsed time, ETA);
:mod:`~sim.sweep.table` summarises a sweep's results per job (``python -m sim.sweep.table``).
Nothing here imports Hydra: the command line's glue is :mod:`sim.cli`.
"""
