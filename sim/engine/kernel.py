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
from collections.abc import Iterable, Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from sim.config import Config, ConfigError, Mode
from sim.progress import Progress
from sim.rng import Streams
from sim.world.layer import Layer
from sim.world.population import build_world

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

    Args:
        layers: the world's layers (graphs over all N agents).
        activated: (N,) bool state the kernel keeps up to date (``True``: ever activated);
            all false when the kernel is built.
        p: probability that one exposure activates its receiver, in [0, 1].
    """

    def __init__(self, layers: Sequence[Layer], activated: np.ndarray, p: float) -> None:
        self.layers = tuple(layers)
        self.activated = activated
        self.p = float(p)
        self._indptr, self._indices, self._degree = zip(*(layer.csr64 for layer in self.layers),
                                                        strict=True)
        # per agent: _ACTIVE once activated; during a step, a priority (higher: earlier) of
        # its first successful exposure; _UNCLAIMED (0) otherwise. One np.maximum.at finds
        # every first success. Zeros: pages the cascades never touch are never written.
        self._claim = np.zeros(activated.size, dtype=np.int64)
        self._touched: list[np.ndarray] = []
        self._clock: SuccessClock | None = None
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
        self._clock = SuccessClock(self.p, rng)
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
            block = agents if layers is None else agents[layers == k]
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
        offsets = self._clock.take(self._total)
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


def independent_cascades(config: Config, replicates: Iterable[int], *, world=None,
                         progress: Progress | None = None) -> pd.DataFrame:
    """Many reduction-mode cascades on one world: one per replicate, one kernel for all.

    Cascade ``r`` is the cascade that ``CascadeModel`` runs on the same world for ``config``
    with ``replicate = r`` (same seeds, same draws, same result), without building a model, a
    recorder or a trace per cascade: the way to draw thousands of cascades on a graph. On a
    graph file the world is the file whatever the replicate, so row ``r`` is also what
    ``mindshare ... replicate=r`` finds; on generated networks, where each replicate of a
    model draws its own graphs, the batch keeps one world for all its cascades.

    Args:
        config: a validated reduction-mode config (``mode=independent_cascade``).
        replicates: replicate indices to run.
        world: the world to run on; built from ``config`` (replicate 0) when omitted.
        progress: reports cascades done, mean people engaged so far and time left, every few
            seconds.

    Returns:
        One row per replicate: ``replicate``, ``engaged`` (agents who shared the post, seeds
        excluded: the run's ``engaged`` in ``summary.json``), ``steps`` (the step after which
        nothing was pending, capped at ``config.steps``), ``edges_examined`` (sum of the
        activated agents' degrees on their activation layer) and ``seconds`` (wall time of the
        cascade: streams, seeding and steps; it alone differs from one call to the next).
    """
    if config.mode is not Mode.independent_cascade:
        raise ConfigError("mode", config.mode.value, "must be independent_cascade for "
                          "independent_cascades()")
    if world is None:
        world = build_world(config, Streams(config.seed, 0))
    members_any = world.members_any
    check_seeds(config.seeds, members_any)
    kernel = IndependentCascade(world.layers, np.zeros(world.n, dtype=bool), config.p)
    replicates = list(replicates)
    rows = []
    for r in replicates:
        t0 = time.perf_counter()
        streams = Streams(config.seed, r)
        seeds, layers = random_seeds(world.member, members_any, config.seeds,
                                     streams["seeding"])
        kernel.start(seeds, layers, streams["sharing"])
        steps = run_to_end(kernel, config.steps)
        rows.append((r, kernel.active - seeds.size, steps, kernel.examined,
                     time.perf_counter() - t0))
        if progress is not None:
            progress.step(len(rows), len(replicates), lambda: "mean engaged "
                          f"{np.mean([row[1] for row in rows]):,.1f}", unit="cascade")
    return pd.DataFrame(rows, columns=["replicate", "engaged", "steps", "edges_examined",
                                       "seconds"])


def run_to_end(kernel: IndependentCascade, horizon: int) -> int:
    """Step ``kernel`` until nothing is pending or ``horizon`` steps ran; the steps run."""
    t = 0
    while t < horizon and kernel.step() is not None:
        t += 1
    return t
