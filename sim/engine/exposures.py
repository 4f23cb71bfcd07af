"""The vectorised cascade kernel: exposures as parallel arrays, and the three operations on them.

An *exposure* is one piece of content (a *post*) shown to one agent (the *child*) on one layer
because a neighbour (the *parent*) shared it there (C6). Exposures are never objects: a batch is a
set of parallel numpy arrays (:class:`Exposures`), and every operation below is a handful of
numpy calls over the whole batch, with no Python loop over agents or edges:

- :func:`expose`: the neighbours of every sharer on a layer (a CSR frontier expansion);
- :func:`decide`: one Bernoulli draw per exposure, ``u_j < P_j``;
- :func:`first_success`: the first successful exposure per (post, child), which becomes the
  child's activation and the parent-child edge of the diffusion tree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.arrays import first_of_each
from sim.world.layer import Layer

_DTYPES = {"parent": np.int64, "child": np.int64, "layer": np.int8, "origin": np.int8,
           "post": np.int32, "born": np.int32}


@dataclass(frozen=True, eq=False)
class Exposures:
    """A batch of exposures, one entry per (parent, child, layer) contact.

    Attributes:
        parent: agent who shared (int64).
        child: agent who sees the content (int64).
        layer: index of the layer the exposure happens on (int8).
        origin: layer on which the parent was activated; ``origin != layer`` marks a
            cross-posted share, the source of cross-layer spillover (int8).
        post: index of the content item (int32).
        born: step at which the parent shared, i.e. the exposure entered the feed (int32).
    """

    parent: np.ndarray
    child: np.ndarray
    layer: np.ndarray
    origin: np.ndarray
    post: np.ndarray
    born: np.ndarray

    @classmethod
    def empty(cls) -> Exposures:
        """A batch of no exposures, each field with its dtype."""
        return cls(**{name: np.empty(0, dtype=dt) for name, dt in _DTYPES.items()})

    def __len__(self) -> int:
        return self.child.size

    def take(self, index: np.ndarray) -> Exposures:
        """The sub-batch selected by a boolean mask or an index array."""
        index = np.asarray(index)
        if index.dtype == bool:
            # one pass over the mask, then a gather per field: several times faster than
            # boolean-indexing each of the six arrays
            index = index.nonzero()[0]
        # fields named, not listed through dataclasses.fields(): a step takes dozens of
        # sub-batches, and on small populations that bookkeeping cost more than the gathers
        return Exposures(self.parent.take(index), self.child.take(index),
                         self.layer.take(index), self.origin.take(index),
                         self.post.take(index), self.born.take(index))

    @staticmethod
    def concat(batches: list[Exposures]) -> Exposures:
        """The batches end to end, as one batch (a lone non-empty batch is returned as is)."""
        batches = [b for b in batches if len(b)]
        if not batches:
            return Exposures.empty()
        if len(batches) == 1:
            return batches[0]
        return Exposures(*(np.concatenate([getattr(b, name) for b in batches])
                           for name in _DTYPES))


def expose(layer: Layer, layer_index: int, sharers: np.ndarray, posts: np.ndarray,
           origins: np.ndarray, step: int, *,
           rng: np.random.Generator | None = None) -> tuple[Exposures, int]:
    """Expose the audience of every share event on one layer (C6, C14).

    On a graph, each share of post c by agent i on layer l creates one exposure per neighbour j
    of i on l: ``deg_l(i)`` exposures, entering j's feed at ``step``. On a topic layer the
    post goes to the followers of the sharer's topics (:meth:`Layer.reach` says who).

    Args:
        layer: the layer shared on.
        layer_index: its index in the run's layer list.
        sharers: agents sharing (int64), one entry per share event.
        posts: post shared by each event.
        origins: activation layer of each sharer (for spillover).
        step: current step.
        rng: the stream a layer that samples its audience draws from (topic layer).

    Returns:
        ``(exposures, examined)``: the batch, and the number of contacts examined
        (= its length; kept separate because callers filter the batch).
    """
    event, children = layer.reach(sharers, posts, rng=rng)
    if children.size == 0:
        return Exposures.empty(), 0
    batch = Exposures(
        parent=np.asarray(sharers, dtype=np.int64)[event],
        child=children,
        layer=np.full(children.size, layer_index, dtype=np.int8),
        origin=np.asarray(origins, dtype=np.int8)[event],
        post=np.asarray(posts, dtype=np.int32)[event],
        born=np.full(children.size, step, dtype=np.int32),
    )
    return batch, children.size


def decide(probability: np.ndarray, children: np.ndarray,
           uniforms: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """One share decision per exposure: share iff ``u_j < P_j`` with ``u_j ~ U[0, 1)``.

    Exactly one uniform is drawn per exposure, in batch order, from the stream of the run of
    its receiver (``uniforms``: a :class:`sim.rng.Draws` of the ``sharing`` stream), so that
    the per-agent reference (:mod:`sim.engine.reference`) consuming the same stream one draw
    at a time makes the same decisions, alone or in a batch of runs.
    """
    return uniforms(children) < probability


def first_success(batch: Exposures, success: np.ndarray, n_agents: int) -> np.ndarray:
    """Indices into ``batch`` of the first successful exposure for each (post, child).

    Several neighbours may convince the same agent in the same step; the agent activates once,
    and the earliest exposure in batch order is its parent in the diffusion tree. The result
    is sorted by (post, child): new sharers share in increasing id.
    """
    idx = np.flatnonzero(success)
    if idx.size == 0:
        return idx
    key = batch.post[idx].astype(np.int64) * n_agents + batch.child[idx]
    return idx[first_of_each(key)]
