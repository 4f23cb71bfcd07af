"""Per-agent reference implementations, written for clarity, used only to check the kernel.

These loop over agents and edges in plain Python, one decision at a time, exactly as the rules
are stated in DOMAIN.md; the vectorised engine must make the same decisions from the same
random streams. They are far too slow for real runs.
"""

from __future__ import annotations

import numpy as np

from .networks.layer import Layer


def reference_independent_cascade(layer: Layer, seeds: list[int], p: float,
                                  rng: np.random.Generator) -> dict[int, tuple[int, int]]:
    """The independent cascade model, one agent and one edge at a time.

    Seeds are active at step 0. At step t every agent activated at t - 1 exposes each of its
    neighbours that is not yet active; each exposure independently activates its receiver with
    probability ``p`` (one draw ``u < p`` per exposure, in sharer order then neighbour order,
    sharers taken in increasing id). An agent convinced by several exposures in one step takes
    the first as its parent. The process stops when a
    step activates no one.

    Returns:
        ``{agent: (step, parent)}`` for every activated agent (parent -1 for seeds).
    """
    state = {int(s): (0, -1) for s in seeds}
    frontier = sorted(state)
    t = 0
    while frontier:
        t += 1
        exposures = []
        for sharer in frontier:
            for neighbour in layer.indices[layer.indptr[sharer]: layer.indptr[sharer + 1]]:
                if int(neighbour) not in state:
                    exposures.append((sharer, int(neighbour)))
        convinced: dict[int, int] = {}
        for sharer, neighbour in exposures:
            if rng.random() < p and neighbour not in convinced:
                convinced[neighbour] = sharer
        for agent, parent in convinced.items():
            state[agent] = (t, parent)
        frontier = sorted(convinced)
    return state


def reference_share_probability(*, p0: float, coef, receptivity: float, goal: bool,
                                entertainment: float, insight: float, drivers, tone,
                                loyalty: float, incentive: float, contacts: int,
                                fatigue: int) -> float:
    """The share rule of :mod:`sim.share` for one exposure, written out term by term (C2-C7)."""
    import math

    fit = insight if goal else entertainment
    activation = (0.25, 1.0, 1.0, 1.0) if goal else (1.0, 0.25, 0.25, 0.25)
    weights = [a * w for a, w in zip(activation, drivers)]
    res = sum(w * t for w, t in zip(weights, tone)) / max(sum(weights), 1e-12)
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
