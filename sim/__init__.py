"""mindshare: which brand strategy wins on personal vs professional social networks.

The plain-Python API (no Hydra needed except for :func:`load_config`)::

    from sim import load_config, simulate
    result = simulate(load_config(["n=5000", "p=0.08"]))
    result.summary["reached"], result.timeseries.head()
"""

import importlib
from typing import TYPE_CHECKING

from sim.config import (
    Config,
    ConfigError,
    GraphFileError,
    LayerConfig,
    Mode,
    NetworkConfig,
    config_hash,
)

if TYPE_CHECKING:
    from sim.engine.brand import BrandModel
    from sim.engine.cascade import CascadeModel
    from sim.engine.factory import make_model
    from sim.engine.kernel import independent_cascades
    from sim.outputs.metrics import structural_virality
    from sim.outputs.results import Result, simulate, simulate_batch, write_outputs
    from sim.rng import Streams
    from sim.world import Layer
    from sim.world.population import World, build_world

#: Names imported on first use, from their modules: the model pulls in Mesa, pandas and
#: SciPy (~1 s), which the command line does not need to check a config or plan a sweep.
_LAZY = {"structural_virality": "outputs.metrics", "BrandModel": "engine.brand",
         "CascadeModel": "engine.cascade", "make_model": "engine.factory",
         "Layer": "world.layer", "independent_cascades": "engine.kernel", "Streams": "rng",
         "Result": "outputs.results", "simulate": "outputs.results",
         "simulate_batch": "outputs.results",
         "write_outputs": "outputs.results", "World": "world.population",
         "build_world": "world.population"}

__all__ = ["BrandModel", "CascadeModel", "Config", "ConfigError", "GraphFileError", "Layer",
           "LayerConfig", "Mode", "NetworkConfig", "Result", "Streams", "World", "build_world",
           "config_hash", "independent_cascades", "load_config", "make_model", "report",
           "simulate", "simulate_batch", "structural_virality", "write_outputs"]


def load_config(overrides: list[str] | None = None) -> Config:
    """Compose and validate a config as the ``mindshare`` command does (see :mod:`sim.cli`).

    ``overrides`` is a list of strings (``load_config(["p=0.1"])``; a string alone raises
    TypeError). Safe to call from several threads at once.
    """
    from sim.cli.compose import load_config as _load  # noqa: PLC0415 - start-up: Hydra (~0.2 s)

    return _load(overrides)


def __getattr__(name: str):
    """The names of :data:`_LAZY`, and ``sim.report``, imported on first use.

    ``sim.report`` is the report package, callable: ``sim.report(sweep_dir)``. Importing on
    first use keeps ``import sim`` cheap.
    """
    if name == "report":
        return importlib.import_module(".report", __name__)
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
