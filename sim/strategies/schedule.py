"""The posting schedule: on which steps a strategy's posts go out (C11)."""

from __future__ import annotations

import numpy as np

from sim.config import Cadence, StrategyConfig


def post_steps(strategy: StrategyConfig) -> np.ndarray:
    """Step of each post (C11: consistency).

    Regular: ``first_post + k * interval``. Bursty: bursts of ``burst`` posts on consecutive
    steps, a burst starting every ``interval * burst`` steps: the same mean rate as regular.
    """
    k = np.arange(strategy.posts)
    if strategy.cadence is Cadence.regular:
        return strategy.first_post + k * strategy.interval
    burst, within = np.divmod(k, strategy.burst)
    return strategy.first_post + burst * strategy.interval * strategy.burst + within
