"""Loyalty, detection of inauthentic content and the seeds of backlash (C10, C11, C12).

Loyalty ``L`` in [0, 1] is per agent. Engagement builds it with diminishing returns, absence
erodes it, being seen through as a liar cuts it, and negative word of mouth from detractors
lowers it further. All updates are vectorised over the step's exposures.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sim.config import AuthenticityConfig, LoyaltyConfig


def update_loyalty(loyalty: np.ndarray, baseline: np.ndarray, last: np.ndarray, t: int,
                   engaged: np.ndarray,
                   quality: np.ndarray, sharers: np.ndarray, negative: np.ndarray,
                   cfg: LoyaltyConfig, auth: AuthenticityConfig) -> None:
    """One step of loyalty dynamics, in place (C11, C10).

    - Engagement: ``q_i`` is the best quality among the brand exposures agent i saw this step,
      quality = authenticity * (fit + resonance) / 2, and 1 for an agent who shared. Agents
      with ``q_i > 0`` gain ``growth * q_i * s_i * (1 - L_i)``, where the spacing factor
      ``s_i = 1 - exp(-(t - last_i) / spacing)`` discounts an engagement that comes soon after
      the previous one: one gain per step however many exposures, and little more from
      consecutive days, so bursts saturate and consistency pays (C11).
    - Agents without engagement drift back to their baseline (initial) loyalty ``B_i``:
      ``L_i = B_i + (L_i - B_i) (1 - decay)`` per step: what the brand built fades, and what a
      lie destroyed slowly heals, but an agent the brand never reached stays where it was.
    - Each negative word-of-mouth exposure seen multiplies ``L_i`` by ``1 - wom_cut`` (C10).

    Args:
        loyalty: (N,) loyalty, updated in place.
        baseline: (N,) loyalty each agent returns to without engagement.
        last: (N,) step of each agent's previous engagement (very negative: never), updated.
        t: the current step.
        engaged: agent of each brand exposure seen this step.
        quality: its engagement quality in [0, 1].
        sharers: agents who shared a brand post this step.
        negative: agent of each negative word-of-mouth exposure seen this step.
        cfg: ``loyalty``: ``growth``, ``decay`` and ``spacing``.
        auth: ``authenticity``: ``wom_cut``.
    """
    q = np.zeros(loyalty.size)
    np.maximum.at(q, engaged, quality)
    q[sharers] = 1.0
    grow = np.flatnonzero(q > 0)
    gain = cfg.growth * q[grow]
    if cfg.spacing > 0:
        gain *= -np.expm1(-(t - last[grow]) / cfg.spacing)
    grown = loyalty[grow] + gain * (1.0 - loyalty[grow])
    last[grow] = t
    # drift over the whole array (cheaper than masking out the few engaged), then the
    # engaged agents get their growth instead
    np.subtract(loyalty, baseline, out=loyalty)
    loyalty *= 1.0 - cfg.decay
    loyalty += baseline
    loyalty[grow] = grown
    if negative.size:
        hits = np.bincount(negative, minlength=loyalty.size)
        hit = hits > 0
        loyalty[hit] *= (1.0 - auth.wom_cut) ** hits[hit]


def detect(loyalty: np.ndarray, child: np.ndarray, layer: np.ndarray,
           authenticity: np.ndarray, auth: AuthenticityConfig, cfg: LoyaltyConfig,
           detractor: np.ndarray, *, uniforms: Callable[[np.ndarray], np.ndarray],
           groups: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Detection of inauthentic content among this step's brand exposures (C10, C12).

    Each exposure to content of authenticity ``a`` is seen through with probability
    ``detection * (1 - a)``. An agent who sees through loses ``cut`` of its loyalty
    (``L *= 1 - cut``) once per step; if its loyalty is then below ``loyalty.detractor`` and it is
    not a detractor yet, it becomes one: it will spread negative word of mouth on the layer
    where it saw the content. A run draws one uniform per brand exposure of the step when any
    of them is inauthentic, and none otherwise.

    Args:
        loyalty: (N,) loyalty, cut in place for the agents who see through.
        child: agent of each brand exposure seen this step.
        layer: channel of each.
        authenticity: authenticity of each exposure's post, in [0, 1].
        auth: ``authenticity``: ``detection`` and ``cut``.
        cfg: ``loyalty``: ``detractor``.
        detractor: (N,) bool, already a detractor.
        uniforms: one U[0, 1) per agent given, from the ``detection`` stream
            (:class:`sim.rng.Draws`).
        groups: the run (replicate of a batch) of each exposure, each run drawing as above on
            its own; ``None``: all exposures are one run's.

    Returns:
        ``(agents, layers)`` of the new detractors (sorted by agent).
    """
    empty = np.empty(0, dtype=np.int64)
    fake = authenticity < 1.0
    if child.size == 0 or auth.detection <= 0 or not fake.any():
        return empty, empty
    if groups is None:
        u = uniforms(child)
        hit = u < auth.detection * (1.0 - authenticity)
    else:
        drawn = np.bincount(groups[fake], minlength=int(groups.max()) + 1)[groups] > 0
        hit = np.zeros(child.size, dtype=bool)
        hit[drawn] = uniforms(child[drawn]) < auth.detection * (1.0 - authenticity[drawn])
    if not hit.any():
        return empty, empty
    agents, first = np.unique(child[hit], return_index=True)
    layers = layer[hit][first]
    loyalty[agents] *= 1.0 - auth.cut
    new = (loyalty[agents] < cfg.detractor) & ~detractor[agents]
    return agents[new], layers[new].astype(np.int64)
