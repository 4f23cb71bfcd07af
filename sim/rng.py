"""Randomness: one SeedSequence per (seed, replicate), split into named, independent streams.

Stream ``k`` of a run is ``SeedSequence(seed, spawn_key=(replicate, k))``, where ``k`` is the
stream's position in :data:`STREAMS`. The list is append-only: adding a stream never shifts the
others, and drawing more from one stream leaves every other stream unchanged. Two strategies run
on the same (seed, replicate) therefore share the population, the graphs and every draw of a
phase that the strategy does not change (common random numbers).
"""

from __future__ import annotations

import numpy as np

#: Named streams, in a fixed order. Append new names at the end; never reorder or remove.
STREAMS: tuple[str, ...] = (
    "population",      # layer memberships, agent traits
    "personal",        # the personal layer's graph
    "professional",    # the professional layer's graph
    "graph",           # a single layer loaded with graph=PATH (unused draws kept for symmetry)
    "seeding",         # which agents receive each post
    "activity",        # who is active on each layer in each step
    "mindset",         # session mindsets of active agents
    "sharing",         # one uniform per share decision
    "crosspost",       # whether a sharer also posts on its other layers
    "mesa",            # the seed handed to mesa.Model (its own rng, for Mesa tooling)
    "detection",       # whether an exposure to inauthentic content is seen through
    "owned",           # whether a call to action converts a sharer to the owned channel
    "listening",       # Thompson samples of the listening strategy
    "topic",           # the topic layer: its members and the topics they follow
    "topic_feed",      # which followers of a topic get a post shared into it
)


class Streams:
    """The named random generators of one run.

    Args:
        seed: the run's root seed (``Config.seed``).
        replicate: the replicate index, used as the spawn key.

    Example:
        >>> s = Streams(seed=1, replicate=0)
        >>> s["sharing"].random() == Streams(1, 0)["sharing"].random()
        True
    """

    def __init__(self, seed: int, replicate: int = 0) -> None:
        self.seed, self.replicate = int(seed), int(replicate)
        self._gens: dict[str, np.random.Generator] = {}

    def sequence(self, name: str) -> np.random.SeedSequence:
        """The SeedSequence behind stream ``name``."""
        try:
            k = STREAMS.index(name)
        except ValueError:
            raise KeyError(f"unknown random stream {name!r}; known: {', '.join(STREAMS)}") from None
        return np.random.SeedSequence(self.seed, spawn_key=(self.replicate, k))

    def __getitem__(self, name: str) -> np.random.Generator:
        if name not in self._gens:
            self._gens[name] = np.random.default_rng(self.sequence(name))
        return self._gens[name]
