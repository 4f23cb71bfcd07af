"""Agents as views: a ``Consumer`` holds only its row index into the model's arrays.

Mesa numbers agents from 1 (``unique_id``); the simulation indexes arrays from 0 (``index``).
Views are created on demand by ``model.consumer(i)`` (or all at once by ``model.consumers()``),
so a run with a million agents never pays for a million Python objects.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

if TYPE_CHECKING:
    from sim.engine.base import ModelBase


class Consumer(mesa.Agent):
    """One person; a read-only view of row ``index`` of the model's state, holding none itself.

    Args:
        model: the model owning the state.
        index: 0-based row in every per-agent array.
    """

    model: ModelBase

    def __init__(self, model: ModelBase, index: int) -> None:
        super().__init__(model)
        self.index = int(index)

    @property
    def layers(self) -> tuple[str, ...]:
        """Names of the layers (platforms) this person is a member of (C13)."""
        world = self.model.world
        return tuple(name for k, name in enumerate(world.layer_names)
                     if world.member[k, self.index])

    def neighbours(self, layer: str) -> np.ndarray:
        """0-based indices of this person's contacts on ``layer``, sorted.

        On the topic layer its contacts are the co-followers of its topics.
        """
        lay = self.model.world.layers[self.model.world.layer_names.index(layer)]
        _, contacts = lay.neighbours(np.array([self.index]))
        return np.unique(contacts).astype(np.int64)

    @property
    def shared(self) -> np.ndarray:
        """Per post: whether this person has shared it (been activated), bool array."""
        return self.model.activated[:, self.index].copy()

    @property
    def exposed(self) -> tuple[str, ...]:
        """Layers on which this person has seen brand content."""
        world = self.model.world
        return tuple(name for k, name in enumerate(world.layer_names)
                     if self.model.exposed[k, self.index])

    def __repr__(self) -> str:
        return f"Consumer(index={self.index}, layers={self.layers})"
