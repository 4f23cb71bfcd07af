"""Seeding policies: which members of a layer get a brand's placements (C9)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.config import Seeding

if TYPE_CHECKING:   # annotations only: a sweep's driver checks budgets without the graphs
    from sim.world.layer import Layer

#: Layers that take no paid placements: the topic layer is reached through cross-posts (C14).
UNSEEDED = ("topic",)


def k_core_numbers(layer: Layer) -> np.ndarray:
    """Core number of every agent on a layer (0 for non-members), by vectorised peeling.

    Peels every node of degree <= k at once, repeating until none is left at that k, then
    raises k: each round is a few numpy calls, and the number of rounds is about the number
    of distinct core shells times the peeling depth, not the number of nodes.
    """
    degree = layer.degree().astype(np.int64)
    core = np.zeros_like(degree)
    alive = degree > 0
    k = 0
    while alive.any():
        k = max(k, int(degree[alive].min()))
        while True:
            peel = np.flatnonzero(alive & (degree <= k))
            if peel.size == 0:
                break
            core[peel] = k
            alive[peel] = False
            _, nbrs = layer.neighbours(peel)
            degree -= np.bincount(nbrs, minlength=degree.size)
    return core


def seed_order(policy: Seeding, layer: Layer, limit: int, *, rng: np.random.Generator,
               loyalty: np.ndarray, shares: np.ndarray, core: np.ndarray | None = None,
               taken: np.ndarray | None = None) -> np.ndarray:
    """Up to ``limit`` distinct members of ``layer``, in the order a policy buys them (C9).

    - random: a uniformly random order among members;
    - degree ("influencers"): most followers (degree) first;
    - engagement ("ambassadors"): highest loyalty plus 0.05 per past share first;
    - community: one random member of each community, largest community first (no more
      than there are communities);
    - kcore: innermost k-core first, random order within a core.

    Agents flagged in ``taken`` (already placed on another layer for this post) are skipped.
    Ties are broken by a random draw, so the order is reproducible from ``rng``. A post's
    placement money buys members in this order while the next one is affordable
    (:func:`sim.strategies.budget.affordable`), so only a prefix is ever needed: ``limit``
    bounds it (the money over the cheapest price).
    """
    members = layer.members
    groups = layer.groups
    if taken is not None and taken[members].any():
        free = ~taken[members]
        members = members[free]
        groups = None if groups is None else groups[free]
    n = min(limit, members.size)
    if n <= 0:
        return np.empty(0, dtype=np.int64)
    if policy is Seeding.random:
        return rng.choice(members, size=n, replace=False)
    tiebreak = rng.random(members.size)
    if policy is Seeding.community and groups is not None:
        sizes = np.bincount(groups)
        largest = np.argsort(-sizes, kind="stable")[:n]
        # the member with the smallest tiebreak in each chosen group
        order = np.lexsort((tiebreak, groups))
        first = np.r_[True, groups[order][1:] != groups[order][:-1]]
        reps = np.full(sizes.size, -1, dtype=np.int64)
        reps[groups[order][first]] = members[order][first]
        chosen = reps[largest]
        return chosen[chosen >= 0]
    degree = layer.degree()[members].astype(float)
    if policy is Seeding.engagement:
        score = loyalty[members] + 0.05 * shares[members]
    elif policy is Seeding.kcore:
        core = k_core_numbers(layer) if core is None else core
        score = core[members].astype(float)
    else:  # degree, and community on a layer without communities
        score = degree
    top = np.lexsort((tiebreak, -score))[:n]
    return members[top]


def choose_seeds(policy: Seeding, layer: Layer, n: int, *, rng: np.random.Generator,
                 loyalty: np.ndarray, shares: np.ndarray, core: np.ndarray | None = None,
                 taken: np.ndarray | None = None) -> np.ndarray:
    """The first ``n`` members of :func:`seed_order`, sorted: ``n`` placements by policy (C9)."""
    return np.sort(seed_order(policy, layer, n, rng=rng, loyalty=loyalty, shares=shares,
                              core=core, taken=taken))
