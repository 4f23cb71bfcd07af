"""The command line ``mindshare``: everything in ``sim`` that touches Hydra.

Each module owns one thing; each imports only those listed above it here, so the package has
no import cycle:

- :mod:`sim.cli.hydra_internals`: every use of Hydra's internals (private modules, private
  attributes, patched Hydra classes), each with why it is needed; nothing else here uses any.
- :mod:`sim.cli.errors`: Hydra's and OmegaConf's errors as one-line
  :class:`~sim.config.ConfigError` (:func:`~sim.cli.errors.config_error`), and
  :func:`~sim.cli.errors.fail` (``mindshare: error: ...``, exit 2).
- :mod:`sim.cli.compose`: the schema in Hydra's ConfigStore, the ``run_or_sweep`` resolver,
  :func:`~sim.cli.compose.load_config` (``sim.load_config``),
  :func:`~sim.cli.compose.load_config_and_dirs` (the config and the run or sweep directory
  Hydra will resolve, from one composition, checked before Hydra creates anything) and
  :func:`~sim.cli.compose.to_config`.
- :mod:`sim.cli.job_compose`: a sweep's job configs from one composed base per combination of
  config groups, at a fraction of Hydra's cost.
- :mod:`sim.cli.launcher_guard`: a sweep whose processes are killed (a worker, the driver).
- :mod:`sim.cli.sweep_callback`: the Hydra callback of ``mindshare -m`` (named in
  ``conf/config.yaml``): plan every job, write ``sweep.json``, progress, the final line.
- :mod:`sim.cli.help`: the text of ``mindshare --help`` (keys, experiments, strategies,
  examples), from the schema and the config files; it needs no Hydra.
- :mod:`sim.cli.main`: the console script: check, run, exit status, cleanup of a run that
  failed on a bad input, the run directory's lock, a sweep's default name.
"""
