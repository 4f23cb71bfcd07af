"""Reduction mode: the independent cascade, as a vectorised kernel and as a batch of cascades.

With every effect but the base probability off (``mode=independent_cascade``), the model is the
independent cascade (C6 with P = p for every exposure): an agent who shares exposes each of its
neighbours once, and each exposure convinces its receiver with probability ``p``,
independently. :class:`IndependentCascade` runs it a step at a time on numpy arrays;
:class:`sim.engine.cascade.CascadeModel` drives it as a model, and :func:`independent_cascades`
runs many cascades on one world without building a model for each.

Decisions are drawn by :class:`SuccessClock`: the exposures of a run, numbered in the order
they are decided, form one Bernoulli(p) process, and the clock draws the gaps between its
successes rather than one uniform per exposure. Same law, one geometric variate per success
instead of one uniform per exposure, and no work at all for the exposures that fail: at
p = 0.05, 95% of the exposures cost nothing but the count of them.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from sim.config import Config, ConfigError, Mode
from sim.progress import Progress
from sim.rng import Streams
from sim.world.layer import Layer
from sim.world.population import build_world, world_from_graphs

_UNCLAIMED = 0
_ACTIVE = np.iinfo(np.int64).max


class SuccessClock:
    """Which exposures succeed, as one Bernoulli(p) process over the run's exposures (C6).

    Exposures are numbered 0, 1, 2, ... in the order they are decided, across steps; exposure
    ``j`` succeeds with probability ``p`` (dimensionless, in [0, 1]) independently of every
    other. The gaps between successive successes are then i.i.d. Geometric(p) on {1, 2, ...}:
    the successes are at ``s_1 = g_1 - 1`` and ``s_{i+1} = s_i + g_{i+1}``. The clock draws
    the gaps from ``rng`` in blocks, ahead of need; a block's size never changes the sequence
    (``rng.geometric(p, size=k)`` is ``k`` scalar draws in a row), so the successes depend
    only on ``p`` and the stream. With ``p = 0`` nothing is drawn and nothing succeeds.

    Args:
        p: success probability of one exposure.
        rng: the stream the gaps come from (the run's ``sharing`` stream).
    """

    def __init__(self, p: float, rng: np.random.Generator) -> None:
        self.p = float(p)
        self.rng = rng
        self._positions = np.empty(0, dtype=np.int64)   # drawn successes, absolute numbers
        self._next = 0          # first drawn success not yet handed out
        self._base = 0          # number of the next exposure to decide
        self._last = -1         # last drawn success

    def take(self, n: int) -> np.ndarray:
        """Offsets in ``[0, n)`` of the successes among the next ``n`` exposures.

        Returns:
            Increasing int64 offsets, relative to the first of the ``n`` exposures.
        """
        end = self._base + n
        if self._last < end and self.p > 0:
            self._draw_past(end, n)
        stop = int(self._positions.searchsorted(end))
        out = self._positions[self._next:stop] - self._base
        self._next, self._base = stop, end
        return out

    def _draw_past(self, end: int, n: int) -> None:
        # enough gaps to pass `end`, and half again as many: the next step rarely draws
        blocks = [self._positions[self._next:]]
        last = self._last
        while last < end:
            size = int(max(end - last, n) * self.p * 1.5) + 256
            block = self.rng.geometric(self.p, size=size).cumsum()
            block += last
            blocks.append(block)
            last = int(block[-1])
        self._positions = np.concatenate(blocks)
        self._next, self._last = 0, last


class Step(NamedTuple):
    """The activations of one step of :class:`IndependentCascade`.

    Attributes:
        agents: agents activated, in the order of their first successful exposure (int).
        parents: the sharer whose exposure activated each (int64).
        layers: the layer each was activated on (int8), or ``None`` on a single layer.
        exposures: position of each activating exposure among the step's exposures, in the
            order of :meth:`IndependentCascade.exposures` (int64).
    """

    agents: np.ndarray
    parents: np.ndarray
    layers: np.ndarray | None
    exposures: np.ndarray


class IndependentCascade:
    """The independent cascade on the layers of a world, one synchronous step at a time (C6).

    Step ``t``: every agent activated at ``t - 1`` (the *frontier*) exposes each neighbour on
    the layer it was activated on (``deg_l(i)`` exposures per sharer ``i``; layers in index
    order, sharers in frontier order, neighbours in CSR order). Each exposure is one trial of
    the :class:`SuccessClock` (probability ``p``); an agent not yet active with at least one
    successful exposure activates at ``t``, on that exposure's layer, with the first such
    exposure's sharer as its parent in the diffusion tree. The agents activated at ``t``
    form the next frontier, in the order of their first successful exposure.

    Exposures to agents already active are decided too but cannot activate anyone (the
    general model drops them from feeds; counting them here is what lets failed exposures cost
    nothing). Per step the work is O(frontier + successes): a sharer's neighbours are looked
    up only for its successful exposures, and a few dozen numpy calls do the step.

    **Multiplex.** With ``multiplex``, an activated agent exposes its neighbours on *every*
    layer it is on, not only the one it was activated on (the multiplex independent cascade):
    the layers couple, and two layers each below the epidemic threshold can carry a cascade
    together. Its exposures are in the same order (layers in index order, then frontier and
    CSR order). With one ``p`` per layer, each layer's exposures are decided by a clock of
    its own (all drawing from the run's stream, in the order the steps need them); with one
    ``p`` for all, one clock decides them all, as without ``multiplex``.

    Args:
        layers: the world's layers (graphs over all N agents).
        activated: (N,) bool state the kernel keeps up to date (``True``: ever activated);
            all false when the kernel is built.
        p: probability that one exposure activates its receiver, in [0, 1]; or one per layer.
        multiplex: activated agents share on every layer they are on.
    """

    def __init__(self, layers: Sequence[Layer], activated: np.ndarray,
                 p: float | Sequence[float], *, multiplex: bool = False) -> None:
        self.layers = tuple(layers)
        self.activated = activated
        ps = [float(x) for x in np.broadcast_to(np.asarray(p, dtype=float), len(self.layers))]
        #: one probability per layer
        self.ps = ps
        #: the probability of every exposure, or None when the layers differ
        self.p = ps[0] if len(set(ps)) == 1 else None
        self.multiplex = bool(multiplex)
        self._indptr, self._indices, self._degree = zip(*(layer.csr64 for layer in self.layers),
                                                        strict=True)
        # per agent: _ACTIVE once activated; during a step, a priority (higher: earlier) of
        # its first successful exposure; _UNCLAIMED (0) otherwise. One np.maximum.at finds
        # every first success. Zeros: pages the cascades never touch are never written.
        self._claim = np.zeros(activated.size, dtype=np.int64)
        self._touched: list[np.ndarray] = []
        self._clock: SuccessClock | None = None
        self._clocks: list[SuccessClock] = []
        self._blocks: list[tuple[int, np.ndarray, np.ndarray, np.ndarray, int]] = []
        self._total = 0
        #: exposures decided or pending so far: the degrees of every activated agent on its
        #: activation layer, counted when it activates
        self.examined = 0
        #: agents activated so far, seeds included
        self.active = 0

    def start(self, seeds: np.ndarray, layers: np.ndarray | None,
              rng: np.random.Generator) -> None:
        """Reset the state and activate ``seeds`` (on ``layers``; ``None``: a single layer).

        The seeds are the frontier of step 1; the successes are drawn from ``rng``.
        """
        if self._touched:             # undo the previous cascade: O(its size), not O(N)
            touched = np.concatenate(self._touched)
            self._claim[touched] = _UNCLAIMED
            self.activated[touched] = False
            self._touched = []
        if self.p is not None:
            self._clock = SuccessClock(self.p, rng)
        else:
            self._clocks = [SuccessClock(p, rng) for p in self.ps]
        self.examined = 0
        self.active = 0
        self._activate(np.asarray(seeds, dtype=np.int64), layers)

    @property
    def done(self) -> bool:
        """No exposure is left to decide: the frontier is empty or has no neighbour."""
        return self._total == 0

    def _activate(self, agents: np.ndarray, layers: np.ndarray | None) -> None:
        """Mark ``agents`` active and make them the frontier, per layer block."""
        self._claim[agents] = _ACTIVE
        self.activated[agents] = True
        self._touched.append(agents)
        self.active += agents.size
        self._blocks = []
        total = 0
        for k in range(len(self.layers)):
            block = agents if layers is None or self.multiplex else agents[layers == k]
            if block.size == 0:
                continue
            counts = self._degree[k][block]
            ends = counts.cumsum()
            size = int(ends[-1])
            if size == 0:
                continue
            # CSR position of the neighbour behind exposure offset j of the block:
            # starts[row] + j, where row = searchsorted(ends, j, side="right")
            starts = self._indptr[k][block] - (ends - counts)
            self._blocks.append((k, block, ends, starts, total))
            total += size
        self._total = total
        self.examined += total

    def exposures(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every exposure the next step decides: ``(parents, children, layers)``, in order."""
        parents, children, layers = [], [], []
        for k, block, _, _, _ in self._blocks:
            par, chi = self.layers[k].neighbours(block)
            parents.append(par.astype(np.int64))
            children.append(chi)
            layers.append(np.full(chi.size, k, dtype=np.int8))
        if not parents:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty.astype(np.int32), empty.astype(np.int8)
        return np.concatenate(parents), np.concatenate(children), np.concatenate(layers)

    def step(self) -> Step | None:
        """Decide the frontier's exposures and activate the convinced agents.

        Returns:
            The step's activations (possibly none), or ``None`` when no exposure could
            convince anyone (every neighbour of the frontier was already active, or it had
            none): the cascade had ended at the previous step, and this one did not happen.
        """
        if self._total == 0:
            return None
        if self.p is not None:
            offsets = self._clock.take(self._total)
        else:
            # each layer's block by its own clock, as offsets into the step's exposures
            offsets = np.concatenate([
                self._clocks[k].take(int(ends[-1])) + first
                for k, _, ends, _, first in self._blocks] or [np.empty(0, dtype=np.int64)])
        if len(self._blocks) == 1:
            k, block, ends, starts, _ = self._blocks[0]
            rows = ends.searchsorted(offsets, side="right")
            children = self._indices[k][starts[rows] + offsets]
            layers = None if len(self.layers) == 1 else np.full(offsets.size, k, np.int8)
        else:
            children, rows, layers = self._locate(offsets)
        # first success per child not yet active: claim[c] = the highest priority among its
        # successes, success j having priority K - j (active agents keep _ACTIVE, above
        # every priority); then keep the successes whose priority won
        priority = np.arange(offsets.size, 0, -1)
        np.maximum.at(self._claim, children, priority)
        won = (self._claim[children] == priority).nonzero()[0]
        if won.size == 0:
            # no one convinced: the step happened only if some exposure could have convinced
            # someone (the one full neighbour lookup of a cascade, on its last frontier)
            pending = self.pending_any()
            self._activate(np.empty(0, dtype=np.int64), None)
            if not pending:
                return None
            empty = np.empty(0, dtype=np.int64)
            return Step(empty, empty, None if layers is None else empty.astype(np.int8), empty)
        agents = children[won]
        if len(self._blocks) == 1:
            parents = block[rows[won]]
        else:
            parents = rows[won]
        new_layers = None if layers is None else layers[won]
        out = Step(agents, parents, new_layers, offsets[won])
        self._activate(agents, new_layers)
        return out

    def _locate(self, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Receivers, sharers and layers of the exposures at ``offsets`` over several blocks."""
        firsts = np.array([b[4] for b in self._blocks])
        cuts = np.append(offsets.searchsorted(firsts[1:]), offsets.size)
        children, sharers, layers = [], [], []
        lo = 0
        for (k, block, ends, starts, first), hi in zip(self._blocks, cuts, strict=True):
            local = offsets[lo:hi] - first
            rows = ends.searchsorted(local, side="right")
            children.append(self._indices[k][starts[rows] + local])
            sharers.append(block[rows])
            layers.append(np.full(local.size, k, dtype=np.int8))
            lo = hi
        return np.concatenate(children), np.concatenate(sharers), np.concatenate(layers)

    def pending_any(self) -> bool:
        """Whether some frontier agent still has a neighbour not yet active (a full lookup)."""
        for k, block, _, _, _ in self._blocks:
            chi, _ = self.layers[k].expand(block)
            if not self.activated[chi].all():
                return True
        return False


class CascadeBatch:
    """Many independent cascades on one world in one compiled call (C6, reduction mode).

    Cascade ``b`` of a batch is exactly the cascade :class:`IndependentCascade` runs from the
    same seeds and the same ``sharing`` stream: the same exposures in the same order (layers
    in index order, sharers in frontier order, neighbours in CSR order), decided by the same
    :class:`SuccessClock` sequence, so the same agents activate at the same steps. What
    changes is where the work is done: :mod:`sim.engine.compiled` runs the cascades one
    after the other in compiled code, where the step-by-step kernel pays a few dozen numpy
    calls per step and cascade. The successes are drawn here, per cascade from its own
    generator, in blocks (block sizes do not change the sequence): a first block for every
    cascade, run in one compiled call where most cascades end; the cascades that outgrow
    their block run again, piece by piece, drawing more whenever they need to.

    Memory: a copy of the world's CSR (row starts and degrees as int64, neighbour ids as
    int32), N int32 of activity stamps and 8 N int64 of work space per call, the first block
    of successes of every cascade (2 KB each), and the successes of the one cascade running
    past its first block.

    Args:
        layers: the world's layers (graphs over all N agents).
        p: probability that one exposure activates its receiver, in [0, 1].
    """

    #: Successes drawn for each cascade before it first runs, and the least drawn after.
    FIRST_BLOCK = 256

    def __init__(self, layers: Sequence[Layer], p: float) -> None:
        self.layers = tuple(layers)
        self.p = float(p)
        self.n = self.layers[0].n_agents
        # every layer's neighbour lists in one array (int32 ids: half the bytes to fetch at
        # random); row l * N + a for agent a on layer l
        offsets = np.cumsum([0] + [layer.indices.size for layer in self.layers])
        self._indices = np.concatenate([layer.indices for layer in self.layers]
                                       ).astype(np.int32, copy=False)
        self._starts = np.concatenate([layer.indptr[:-1].astype(np.int64) + off for layer, off
                                       in zip(self.layers, offsets, strict=False)])
        self._degree = np.concatenate([layer.degree() for layer in self.layers]
                                      ).astype(np.int64)
        self._stamp = np.zeros(self.n, dtype=np.int32)
        self._token = 0

    def run(self, seeds: Sequence[np.ndarray], seed_layers: Sequence[np.ndarray | None],
            rngs: Sequence[np.random.Generator], horizon: int) -> tuple[np.ndarray, ...]:
        """Run one cascade per ``(seeds, seed_layers, rng)`` to its end or ``horizon`` steps.

        Args:
            seeds: per cascade, the seed agents (distinct ids).
            seed_layers: per cascade, the layer each seed starts on (``None``: layer 0).
            rngs: per cascade, the stream its successes are drawn from (``sharing``).
            horizon: the most steps a cascade runs.

        Returns:
            ``(active, steps, examined)``, int64 arrays of one entry per cascade: agents
            activated (seeds included), steps run (:func:`run_to_end`'s count) and
            exposures examined (the activated agents' degrees on their activation layer).
        """
        from sim.engine import compiled as cc  # noqa: PLC0415 - numba: ~0.3 s to import

        if self._token > _TOKEN_MAX - len(seeds):    # tokens about to wrap: start afresh
            self._stamp[:] = 0
            self._token = 0
        agents = [np.asarray(s, dtype=np.int64) for s in seeds]
        layers = [np.zeros(s.size, np.int64) if lay is None else np.asarray(lay, np.int64)
                  for s, lay in zip(agents, seed_layers, strict=True)]
        drawn = [self._first_block(rng) for rng in rngs]
        known = np.array([d[-1] if d.size else -1 for d in drawn], dtype=np.int64)
        if self.p <= 0:
            known[:] = _KNOWN_ALL
        csr = (self._starts, self._indices, self._degree, self.n, len(self.layers))
        front = np.empty(self.n, dtype=np.int64)
        front_layer = np.empty(self.n, dtype=np.int64)
        scratch = np.empty((6, self.n), dtype=np.int64)
        # every cascade on its first block; most end there
        states, self._token = cc.run_cascades(
            *csr, _pointers(agents), np.concatenate(agents), np.concatenate(layers),
            _pointers(drawn), np.concatenate(drawn), known, int(horizon), self._stamp,
            self._token, front, front_layer, scratch)
        # the others again, piece by piece, drawing more successes whenever they run out
        for r in np.flatnonzero(states[:, cc.NEED] >= 0).tolist():
            self._token += 1
            state = states[r]
            cc.start_cascade(self._degree, self.n, agents[r], layers[r], self._stamp,
                             self._token, front, front_layer, state)
            while True:
                cc.advance_cascade(*csr, drawn[r], int(drawn[r][-1]), int(horizon),
                                   self._stamp, self._token, front, front_layer, scratch,
                                   state)
                if state[cc.NEED] < 0:
                    break
                drawn[r] = self._draw_past(rngs[r], drawn[r], int(state[cc.NEED]) - 1)
            drawn[r] = None         # a cascade that took off may hold millions of draws
        return states[:, cc.ACTIVE], states[:, cc.STEPS], states[:, cc.EXAMINED]

    def _first_block(self, rng: np.random.Generator) -> np.ndarray:
        """The first :data:`FIRST_BLOCK` successes of a cascade (none when ``p = 0``)."""
        if self.p <= 0:
            return np.empty(0, dtype=np.int64)
        block = rng.geometric(self.p, size=self.FIRST_BLOCK).cumsum()
        block -= 1
        return block

    def _draw_past(self, rng: np.random.Generator, drawn: np.ndarray, end: int) -> np.ndarray:
        """``drawn`` extended with the next successes until one lies past ``end``.

        The successes live in a buffer that grows by doubling (``drawn`` is a view of its
        start), so a cascade that comes back at every step is not copied at every step.
        """
        buffer = drawn.base if drawn.base is not None else drawn
        count, last = drawn.size, int(drawn[-1])
        while last < end:
            # the expected need and half again, as SuccessClock draws: little is drawn in
            # vain, and a cascade that grows comes back about once per step
            size = int((end - last) * self.p * 1.5) + self.FIRST_BLOCK
            if count + size > buffer.size:
                grown = np.empty(max(2 * buffer.size, count + size), dtype=np.int64)
                grown[:count] = buffer[:count]
                buffer = grown
            block = buffer[count:count + size]
            np.cumsum(rng.geometric(self.p, size=size), out=block)
            block += last
            count += size
            last = int(block[-1])
        return buffer[:count]


#: ``known`` of a cascade whose every success is drawn (p = 0: none succeeds).
_KNOWN_ALL = np.iinfo(np.int64).max
#: Largest cascade token of the int32 stamps.
_TOKEN_MAX = np.iinfo(np.int32).max - 1


def _pointers(parts: Sequence[np.ndarray]) -> np.ndarray:
    """Start of each part in their concatenation, then the total (int64, ``len + 1``)."""
    ptr = np.zeros(len(parts) + 1, dtype=np.int64)
    np.cumsum([part.size for part in parts], out=ptr[1:])
    return ptr


def layer_ps(config: Config, layers: Sequence[Layer]) -> list[float]:
    """Each layer's probability: ``network.<layer>.p`` where set, else ``p``."""
    out = []
    for layer in layers:
        spec = getattr(config.network, layer.name, None) if layer.name != "graph" else None
        out.append(float(config.p if spec is None or spec.p is None else spec.p))
    return out


def plain_cascade(config: Config, layers: Sequence[Layer]) -> bool:
    """Whether ``config``'s cascades are the kind a :class:`CascadeBatch` runs.

    Plain: each agent shares on its activation layer only, with one ``p`` for every layer.
    """
    return not config.multiplex and len(set(layer_ps(config, layers))) == 1


def check_seeds(k: int, members_any: np.ndarray) -> None:
    """Refuse more seeds than agents on at least one layer.

    Args:
        k: number of seeds.
        members_any: ids of the agents on at least one layer.

    Raises:
        ConfigError: on ``seeds``, when ``k`` is larger than ``members_any.size``.
    """
    if k > members_any.size:
        raise ConfigError("seeds", k, f"must be <= {members_any.size}, the number of agents "
                          "on at least one layer")


def random_seeds(member: np.ndarray, members_any: np.ndarray, k: int,
                 rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray | None]:
    """Reduction-mode seeding: ``k`` distinct random agents, each on one of its layers.

    Args:
        member: (layers, N) bool membership.
        members_any: sorted ids of the agents on at least one layer.
        k: number of seeds.
        rng: the ``seeding`` stream.

    Returns:
        ``(seeds, layers)``: sorted seed ids, and the layer each starts on, drawn uniformly
        among its layers (``None`` when the world has a single layer).
    """
    seeds = np.sort(members_any[rng.choice(members_any.size, size=k, replace=False)])
    if member.shape[0] == 1:
        return seeds, None
    on = member[:, seeds]
    pick = np.floor(rng.random(seeds.size) * on.sum(axis=0)).astype(np.int64)
    return seeds, np.argmax(np.cumsum(on, axis=0) > pick, axis=0).astype(np.int8)


def batch_size(cascades: int, limit: int | None = None) -> int:
    """How many cascades to run in one compiled call: all, at most :data:`BATCH_MAX`.

    A batch holds the world's CSR and 8 N int64 of work space whatever its size, plus the
    first block of successes of each of its cascades (2 KB each); the cascades that take off
    run one at a time, their draws freed as each ends. The bound only keeps progress
    reports coming. ``limit`` (at least 1) lowers it.
    """
    size = max(1, min(cascades, BATCH_MAX))
    return size if limit is None else max(1, min(size, int(limit)))


#: Most cascades per compiled call.
BATCH_MAX = 10_000


def independent_cascades(config: Config, replicates: Iterable[int], *, world=None,
                         layers: Mapping[str, Any] | None = None,
                         population: Iterable | None = None,
                         progress: Progress | None = None,
                         batch: int | None = None) -> pd.DataFrame:
    """Many reduction-mode cascades on one world: one per replicate, advanced in batches.

    Cascade ``r`` is the cascade that ``CascadeModel`` runs on the same world for ``config``
    with ``replicate = r`` (same seeds, same draws, same result), without building a model, a
    recorder or a trace per cascade: the way to draw thousands of cascades on a graph. The
    cascades of a batch advance together (:class:`CascadeBatch`); each keeps its own streams,
    so a cascade's row is the same whatever the batch it runs in. On a graph file the world
    is the file whatever the replicate, so row ``r`` is also what ``mindshare ...
    replicate=r`` finds; on generated networks, where each replicate of a model draws its own
    graphs, the call keeps one world for all its cascades.

    Args:
        config: a validated reduction-mode config (``mode=independent_cascade``).
        replicates: replicate indices to run.
        world: the world to run on; built from ``config`` (replicate 0) when omitted.
        layers: NetworkX graphs as the layers instead, aligned by node label
            (:func:`sim.world.population.world_from_graphs`).
        population: with ``layers``, the labels of all the agents, when some are on none.
        progress: reports cascades done, mean people engaged so far and time left, every few
            seconds (after each batch).
        batch: the most cascades to advance together; ``None``: :func:`batch_size`'s
            choice for the world; ``1``: one at a time. Multiplex cascades and layers of
            different ``p`` run one at a time.

    Returns:
        One row per replicate: ``replicate``, ``engaged`` (agents who shared the post, seeds
        excluded: the run's ``engaged`` in ``summary.json``), ``steps`` (the step after which
        nothing was pending, capped at ``config.steps``), ``edges_examined`` (sum of the
        activated agents' degrees on their activation layer) and ``seconds`` (wall time of the
        cascade's batch, streams, seeding and steps, divided by the cascades in the batch; it
        alone differs from one call to the next).
    """
    if config.mode is not Mode.independent_cascade:
        raise ConfigError("mode", config.mode.value, "must be independent_cascade for "
                          "independent_cascades()")
    if batch is not None and int(batch) < 1:
        raise ConfigError("batch", batch, "must be >= 1 (cascades advanced together)")
    if layers is not None:
        if world is not None:
            raise ValueError("give the cascades either a world or layers, not both")
        world = world_from_graphs(config, layers, population=population)
    if world is None:
        world = build_world(config, Streams(config.seed, 0))
    members_any = world.members_any
    check_seeds(config.seeds, members_any)
    replicates = [int(r) for r in replicates]
    # one at a time, the step-by-step kernel is the faster one (no per-batch set-up); it alone
    # runs multiplex cascades and layers of different p
    plain = plain_cascade(config, world.layers)
    size = batch_size(len(replicates), batch) if plain else 1
    kernel = (IndependentCascade(world.layers, np.zeros(world.n, dtype=bool),
                                 layer_ps(config, world.layers), multiplex=config.multiplex)
              if size == 1 else CascadeBatch(world.layers, config.p))
    columns: list[np.ndarray] = []
    done = 0
    for lo in range(0, len(replicates), size):
        t0 = time.perf_counter()
        chunk = replicates[lo:lo + size]
        seeds, layers = [], []
        for rng in Streams.generators(config.seed, chunk, "seeding"):
            s, lay = random_seeds(world.member, members_any, config.seeds, rng)
            seeds.append(s)
            layers.append(lay)
        sharing = Streams.generators(config.seed, chunk, "sharing")
        if size == 1:
            kernel.start(seeds[0], layers[0], sharing[0])
            steps = np.array([run_to_end(kernel, config.steps)])
            active, examined = np.array([kernel.active]), np.array([kernel.examined])
        else:
            active, steps, examined = kernel.run(seeds, layers, sharing, config.steps)
        seconds = np.full(len(chunk), (time.perf_counter() - t0) / len(chunk))
        columns.append(np.column_stack([chunk, active - config.seeds, steps, examined]))
        columns.append(seconds)
        done += len(chunk)
        if progress is not None:
            engaged = np.concatenate([c[:, 1] for c in columns[::2]])
            progress.step(done, len(replicates),
                          lambda e=engaged: f"mean engaged {e.mean():,.1f}", unit="cascade")
    ints = (np.concatenate(columns[::2]) if columns
            else np.empty((0, 4), dtype=np.int64))
    return pd.DataFrame({"replicate": ints[:, 0], "engaged": ints[:, 1], "steps": ints[:, 2],
                         "edges_examined": ints[:, 3],
                         "seconds": (np.concatenate(columns[1::2]) if columns
                                     else np.empty(0))})


def run_to_end(kernel: IndependentCascade, horizon: int) -> int:
    """Step ``kernel`` until nothing is pending or ``horizon`` steps ran; the steps run."""
    t = 0
    while t < horizon and kernel.step() is not None:
        t += 1
    return t
