"""The owned channel: the brand's own audience, reached directly and grown by calls to action (C8).

The owned channel is a channel like the layers, whose members are the agents converted so far
(none at the start). A post reaches every member directly when it is published, whatever the
feeds do; sharers of a post carrying a call to action may join it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def owned_readers(members: np.ndarray, shared: np.ndarray) -> np.ndarray:
    """Who receives a post through the owned channel when it is published (C8).

    Every member ``j`` of the owned channel who has not already shared the post gets one
    exposure to it, sent at the publication step: ``readers = {j : member_j and not shared_j}``.

    Args:
        members: (N,) bool, membership of the owned channel.
        shared: (N,) bool, who has already shared the post.

    Returns:
        The readers' indices (int64), increasing.
    """
    return np.flatnonzero(members & ~shared)


def join_owned(sharers: np.ndarray, cta: np.ndarray, loyalty: np.ndarray, conversion: float,
               *, uniforms: Callable[[np.ndarray], np.ndarray] | None) -> np.ndarray:
    """Sharers converted to the owned channel by a call to action (C8).

    Each share of a post with a call to action converts its sharer ``i`` with probability
    ``owned.conversion * L_i`` (dimensionless, per share; ``L_i`` the loyalty in [0, 1]):
    one uniform ``u`` per such share, in order, joins iff ``u < conversion * L_i``. Nothing
    is drawn when no share carries a call to action.

    Args:
        sharers: the agent of each share this step (int64).
        cta: whether the post of each share carries a call to action (bool).
        loyalty: (N,) loyalty of every agent.
        conversion: ``owned.conversion``.
        uniforms: one U[0, 1) per agent given, from the ``owned`` stream
            (:class:`sim.rng.Draws`).

    Returns:
        The converted agents (one entry per converting share).
    """
    agents = sharers[cta]
    if agents.size == 0:
        return agents
    u = uniforms(agents)
    return agents[u < conversion * loyalty[agents]]
