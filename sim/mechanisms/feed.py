"""The feed: which pending exposures a receiver sees this step, which wait, which expire (C15).

An exposure enters its receiver's feed on the layer it was shared on at the step it was sent.
The receiver sees it at the first later step at which it is active on that layer; until then it
waits, for at most ``network.feed_ttl`` steps. An exposure to an agent who has already shared
that post is moot and leaves the feed.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class FeedSplit(NamedTuple):
    """Boolean masks over the pending exposures; each exposure is in at most one of them.

    Attributes:
        seen: seen this step (decided in the share phase).
        kept: still waiting, carried over to the next step.
        expired: waited ``feed_ttl`` steps unseen, dropped (counted as ``expired``).
    """

    seen: np.ndarray
    kept: np.ndarray
    expired: np.ndarray


def sort_feed(born: np.ndarray, shared: np.ndarray, active: np.ndarray, t: int, *,
              ttl: int) -> FeedSplit:
    """Sort the pending exposures at step ``t`` into seen, kept and expired (C15).

    For an exposure sent at step ``b`` to receiver ``j`` on layer ``l``::

        seen    = not shared_j  and  b < t  and  active_jl(t)
        waiting = not shared_j  and  not seen
        expired = waiting  and  t - b >= ttl
        kept    = waiting  and  not expired

    Exposures whose receiver already shared the post are in none of the three (dropped).

    Args:
        born: step at which each exposure was sent (steps).
        shared: whether its receiver has already shared its post (bool).
        active: whether its receiver is active on its layer this step (bool).
        t: the current step.
        ttl: ``network.feed_ttl``, the most steps an exposure waits unseen (steps).
    """
    live = ~shared
    ready = live & (born < t) & active
    waiting = live & ~ready
    expired = waiting & (t - born >= ttl)
    return FeedSplit(seen=ready, kept=waiting & ~expired, expired=expired)
