"""Per-agent reference implementations, written for clarity, used only to check the kernel.

These loop over agents and edges in plain Python, one decision at a time, exactly as the rules
are stated in the mechanisms' docstrings; the vectorised engine must make the same decisions
from the same random streams. They are far too slow for real runs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from sim.world.layer import Layer


def reference_independent_cascade(layers: Layer | Sequence[Layer], seeds: list[int], p: float,
                                  rng: np.random.Generator,
                                  seed_layers: list[int] | None = None,
                                  ) -> dict[int, tuple[int, int, int]]:
    """The independent cascade model, one agent and one edge at a time.

    Seeds are active at step 0, each on its layer (``seed_layers``; layer 0 by default). At
    step t every agent activated at t - 1 exposes each of its neighbours on the layer it was
    activated on: layers in index order, then sharers in the order they were activated (seeds
    in increasing id), then neighbours in CSR order. Each exposure independently succeeds
    with probability ``p``; a success on an agent not yet active activates it on that layer,
    and an agent convinced by several exposures in one step takes the first as its parent.
    The process stops when a step activates no one.

    The decisions are the kernel's Bernoulli process (:class:`sim.engine.kernel.SuccessClock`):
    exposures are numbered across steps, and the gaps between successes are geometric, drawn
    here one at a time as the walk reaches each success.

    Returns:
        ``{agent: (step, parent, layer)}`` for every activated agent (parent -1 for seeds).
    """
    layers = [layers] if isinstance(layers, Layer) else list(layers)
    seed_layers = seed_layers or [0] * len(seeds)
    state = {int(s): (0, -1, int(k)) for s, k in sorted(zip(seeds, seed_layers, strict=True))}
    frontier = list(state)
    number = 0                                            # exposures decided so far
    success = rng.geometric(p) - 1 if p > 0 else -1       # number of the next success
    t = 0
    while frontier:
        t += 1
        convinced: dict[int, tuple[int, int]] = {}
        for k, layer in enumerate(layers):
            for sharer in (a for a in frontier if state[a][2] == k):
                for neighbour in layer.indices[layer.indptr[sharer]: layer.indptr[sharer + 1]]:
                    hit = number == success
                    if hit:
                        success += rng.geometric(p)
                    number += 1
                    neighbour = int(neighbour)
                    if hit and neighbour not in state and neighbour not in convinced:
                        convinced[neighbour] = (sharer, k)
        for agent, (parent, k) in convinced.items():
            state[agent] = (t, parent, k)
        frontier = list(convinced)                        # in order of first success
    return state


def reference_share_probability(*, p0: float, coef, receptivity: float, goal: bool,
                                entertainment: float, insight: float, drivers, tone,
                                loyalty: float, incentive: float, contacts: int,
                                fatigue: int) -> float:
    """The share rule of :mod:`sim.mechanisms.share` for one exposure, written out term by term.

    The rule implements claims C2-C7.
    """
    fit = insight if goal else entertainment
    activation = (0.25, 1.0, 1.0, 1.0) if goal else (1.0, 0.25, 0.25, 0.25)
    weights = [a * w for a, w in zip(activation, drivers, strict=True)]
    res = sum(w * t for w, t in zip(weights, tone, strict=True)) / max(sum(weights), 1e-12)
    p0 = min(max(p0, 1e-17), 1 - 1e-17)
    z = math.log(p0 / (1 - p0))
    z = max(-40.0, min(40.0, z))
    z += coef.fit * (fit - 0.5) + coef.emotion * (res - 0.5) + coef.loyalty * (loyalty - 0.5)
    z += coef.incentive * incentive + coef.social * math.log(max(contacts, 1))
    z -= coef.fatigue * math.log(1 + fatigue)
    p = receptivity / (1 + math.exp(-z))
    if contacts < coef.threshold:
        p = 0.0
    return min(p, 1.0)
