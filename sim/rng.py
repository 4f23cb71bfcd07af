"""Randomness: one SeedSequence per (seed, replicate), split into named, independent streams.

Stream ``k`` of a run is ``SeedSequence(seed, spawn_key=(replicate, k))``, where ``k`` is the
stream's position in :data:`STREAMS`. The list is append-only: adding a stream never shifts the
others, and drawing more from one stream leaves every other stream unchanged. Two strategies run
on the same (seed, replicate) therefore share the population, the graphs and every draw of a
phase that the strategy does not change (common random numbers).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.random.bit_generator import ISeedSequence

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

    @classmethod
    def generators(cls, seed: int, replicates: Sequence[int],
                   name: str) -> list[np.random.Generator]:
        """Stream ``name`` of many replicates at once: ``Streams(seed, r)[name]`` for each ``r``.

        The generators are the very ones :meth:`__getitem__` builds (same PCG64 state, same
        draws), but their seeds are derived for all replicates together:
        ``SeedSequence(seed, spawn_key=(r, k))`` costs ~10 us per stream, and its state ~7 us
        more, which a batch of thousands of small cascades would spend on seeding alone.
        :func:`_pcg64_seeds` runs the SeedSequence mixing as array operations over the
        replicates. Replicates and the stream position must fit in 32 bits (one word each),
        which every replicate index does; otherwise the streams are built one by one.
        """
        k = STREAMS.index(name)
        reps = np.asarray(replicates, dtype=np.int64)
        if reps.size == 0:
            return []
        # a few streams: numpy's own path is faster than the array set-up
        if reps.size < 8 or reps.min() < 0 or reps.max() > _MASK32 or int(seed) < 0:
            return [cls(seed, int(r))[name] for r in reps]
        states = _pcg64_seeds(_words(int(seed)), reps.astype(np.uint32), np.uint32(k))
        return [np.random.Generator(np.random.PCG64(_FixedState(row))) for row in states]


class Draws:
    """Uniforms for agents of a batch of replicates, each from its own replicate's stream.

    A batch of R replicates runs on one world of R blocks of ``n`` agents: agent ``a`` belongs
    to replicate ``a // n``. Calling a ``Draws`` with agents returns one U[0, 1) per entry,
    where replicate r's entries get, in their order, the next draws of replicate r's
    generator: exactly what that replicate's stream would hand out were the replicate run
    alone with the same entries, whatever the other replicates draw or how the entries of
    different replicates interleave. With one generator it is ``generator.random(size)``.

    Args:
        generators: one generator per replicate, in block order (a stream of each replicate).
        n: agents per replicate.
    """

    def __init__(self, generators: Sequence[np.random.Generator], n: int) -> None:
        self.generators = list(generators)
        self.n = int(n)

    def __call__(self, agents: np.ndarray) -> np.ndarray:
        """One uniform per entry of ``agents`` (global ids), drawn from its replicate's stream."""
        if len(self.generators) == 1:
            return self.generators[0].random(agents.size)
        group = self.groups(agents)
        counts = np.bincount(group, minlength=len(self.generators))
        parts = [gen.random(int(c)) for gen, c in zip(self.generators, counts, strict=True)
                 if c]
        u = np.concatenate(parts) if parts else np.empty(0)
        if group.size > 1 and np.any(group[1:] < group[:-1]):
            # entries of different replicates interleave: put each draw back in its place
            out = np.empty_like(u)
            out[np.argsort(group, kind="stable")] = u
            return out
        return u

    def groups(self, agents: np.ndarray) -> np.ndarray:
        """The replicate (block) of each agent: ``agents // n``."""
        return np.asarray(agents) // self.n


# SeedSequence's published constants (numpy.random.SeedSequence, after M. O'Neill's seed_seq)
_POOL = 4
_INIT_A, _MULT_A = np.uint32(0x43B0D7E5), np.uint32(0x931E8875)
_INIT_B, _MULT_B = np.uint32(0x8B51F9DD), np.uint32(0x58F38DED)
_MIX_L, _MIX_R = np.uint32(0xCA01F9DD), np.uint32(0x4973F715)
_MASK32 = 0xFFFFFFFF


def _words(value: int) -> list[int]:
    """A non-negative integer as 32-bit words, lowest first (0 is one word)."""
    words = [value & _MASK32]
    value >>= 32
    while value:
        words.append(value & _MASK32)
        value >>= 32
    return words


def _pcg64_seeds(seed_words: list[int], replicates: np.ndarray, k: np.uint32) -> np.ndarray:
    """``SeedSequence(seed, spawn_key=(r, k)).generate_state(4, uint64)`` for every ``r``.

    The entropy of stream ``(r, k)`` is the seed's words (zero-padded to the pool size),
    then ``r``, then ``k``; it is hashed into a pool of four words, and the pool into the
    state, with 32-bit wrap-around arithmetic throughout. The hash constants evolve the same
    way for every stream, so they stay scalars and the words are arrays over replicates.

    Returns:
        (replicates, 4) uint64 array, one PCG64 seed per replicate.
    """
    n = replicates.size
    run = list(seed_words) + [0] * max(0, _POOL - len(seed_words))
    entropy = [np.full(n, w, dtype=np.uint32) for w in run]
    entropy += [replicates, np.full(n, k, dtype=np.uint32)]
    const = [_INIT_A]

    def hashmix(value: np.ndarray) -> np.ndarray:
        value = value ^ const[0]
        const[0] = const[0] * _MULT_A
        value = value * const[0]
        return value ^ (value >> np.uint32(16))

    def mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        out = _MIX_L * x - _MIX_R * y
        return out ^ (out >> np.uint32(16))

    with np.errstate(over="ignore"):
        pool = [hashmix(entropy[i]) for i in range(_POOL)]
        for src in range(_POOL):
            for dst in range(_POOL):
                if src != dst:
                    pool[dst] = mix(pool[dst], hashmix(pool[src]))
        for src in range(_POOL, len(entropy)):
            for dst in range(_POOL):
                pool[dst] = mix(pool[dst], hashmix(entropy[src]))
        const_b = _INIT_B
        state = []
        for i in range(2 * _POOL):
            value = pool[i % _POOL] ^ const_b
            const_b = const_b * _MULT_B
            value = value * const_b
            state.append(value ^ (value >> np.uint32(16)))
    lo = np.stack(state[0::2], axis=1).astype(np.uint64)
    hi = np.stack(state[1::2], axis=1).astype(np.uint64)
    return lo | (hi << np.uint64(32))


class _FixedState(ISeedSequence):
    """A seed sequence whose state was derived beforehand (see :meth:`Streams.generators`)."""

    def __init__(self, state: np.ndarray) -> None:
        self.state = state

    def generate_state(self, n_words: int, dtype=np.uint32) -> np.ndarray:
        if n_words != self.state.size or np.dtype(dtype) != np.uint64:
            raise ValueError("a fixed PCG64 seed gives 4 uint64 words only")
        return self.state.copy()
