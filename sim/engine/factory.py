"""Which model runs a config: :func:`make_model` picks the class from ``config.mode``."""

from __future__ import annotations

from sim.config import Config, Mode
from sim.engine.base import ModelBase
from sim.engine.brand import BrandModel
from sim.engine.cascade import CascadeModel
from sim.world.population import World

#: The model class of each mode.
MODELS: dict[Mode, type[ModelBase]] = {Mode.full: BrandModel,
                                       Mode.independent_cascade: CascadeModel}


def make_model(config: Config, *, world: World | None = None) -> ModelBase:
    """The model for ``config``, of the class its ``mode`` names in :data:`MODELS`.

    :class:`BrandModel` in full mode, :class:`CascadeModel` in reduction mode
    (``mode=independent_cascade``).

    Args:
        config: a validated config.
        world: a prebuilt world to reuse across runs; built from ``config`` when omitted.
    """
    return MODELS[config.mode](config, world=world)
