"""mindshare: which brand strategy wins on personal vs professional social networks.

The plain-Python API (no Hydra needed except for :func:`load_config`)::

    from sim import load_config, simulate
    result = simulate(load_config(["n=5000", "p=0.08"]))
    result.summary["reach"], result.timeseries.head()
"""

import importlib
from typing import TYPE_CHECKING

from .config import (Config, ConfigError, GraphFileError, LayerConfig, Mode, NetworkConfig,
                     config_hash)

if TYPE_CHECKING:
    from .metrics import structural_virality
    from .model import BrandModel
    from .reduction import independent_cascades
    from .networks import Layer
    from .rng import Streams
    from .run import Result, simulate, write_outputs
    from .world import World, build_world

#: Names imported on first use, from their modules: the model pulls in Mesa, pandas and
#: SciPy (~1 s), which the command line does not need to check a config or plan a sweep.
_LAZY = {"structural_virality": "metrics", "BrandModel": "model", "Layer": "networks",
         "independent_cascades": "reduction",
         "Streams": "rng", "Result": "run", "simulate": "run", "write_outputs": "run",
         "World": "world", "build_world": "world"}

__all__ = ["BrandModel", "Config", "ConfigError", "GraphFileError", "Layer", "LayerConfig",
           "Mode", "NetworkConfig", "Result", "Streams", "World", "build_world", "config_hash",
           "independent_cascades", "load_config", "report", "simulate", "structural_virality",
           "write_outputs"]


def load_config(overrides: list[str] | None = None) -> Config:
    """Compose and validate a config as the ``mindshare`` command does (see :mod:`sim.cli`)."""
    from .cli import load_config as _load

    return _load(overrides)


def __getattr__(name: str):
    """The names of :data:`_LAZY`, and ``sim.report`` (the report package, callable:
    ``sim.report(sweep_dir)``), imported on first use so that ``import sim`` stays cheap."""
    if name == "report":
        return importlib.import_module(".report", __name__)
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
