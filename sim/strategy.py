"""Strategies: the posting schedule, the budget, seeding policies and listening (C5-C11).

A strategy spends a fixed budget (``budget.total``): every post costs ``budget.post``, every
seeded placement costs its layer's seed price, every rewarded share costs
``budget.incentive * incentive``. The :class:`Ledger` refuses to overspend, so strategies
compared at the same ``budget.total`` are compared at equal budget.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .config import BudgetConfig, Cadence, ConfigError, Seeding, StrategyConfig
from .networks.layer import Layer


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


def seed_price(budget: BudgetConfig, layer_name: str) -> float:
    """Price of one placement on a layer (a file layer is priced as a personal one)."""
    return budget.seed_professional if layer_name == "professional" else budget.seed_personal


#: Layers that take no paid placements: the topic layer is reached through cross-posts (C14).
UNSEEDED = ("topic",)


def layer_split(split: float, layer_names: tuple[str, ...]) -> np.ndarray:
    """Share of placements per layer: ``split`` on professional, the rest on the personal (or
    file) layer, none on the topic layer."""
    if len(layer_names) == 1:
        return np.ones(1)
    return np.array([0.0 if name in UNSEEDED else split if name == "professional"
                     else 1.0 - split for name in layer_names])


def seeds_per_layer(per_post: float, shares: np.ndarray, prices: np.ndarray) -> np.ndarray:
    """Placements per layer for one post: as many as ``per_post`` buys at the given split.

    ``n = floor(per_post / sum_l share_l * price_l)``, split by rounding, then trimmed so that
    ``sum_l n_l * price_l <= per_post`` holds exactly.
    """
    n = int(np.floor(per_post / float(np.dot(shares, prices)) + 1e-9))
    counts = np.floor(shares * n + 0.5).astype(np.int64)
    while counts.sum() and float(np.dot(counts, prices)) > per_post + 1e-9:
        counts[np.argmax(counts * prices)] -= 1
    return counts


@dataclass
class Ledger:
    """Budget bookkeeping; every spend goes through :meth:`spend`, which never overspends."""

    total: float
    seed_pool: float
    incentive_pool: float
    spent: float = 0.0
    lines: dict[str, float] = field(default_factory=dict)

    def spend(self, line: str, amount: float) -> None:
        if self.spent + amount > self.total + 1e-9:
            raise RuntimeError(f"budget exceeded: {line} {amount:.3f} with "
                               f"{self.total - self.spent:.3f} left")
        self.spent += amount
        self.lines[line] = self.lines.get(line, 0.0) + amount

    def affordable_rewards(self, unit: float, wanted: int) -> int:
        """How many of ``wanted`` incentivised shares the incentive pool can still pay."""
        if unit <= 0:
            return wanted
        left = self.incentive_pool - self.lines.get("incentive", 0.0)
        return int(min(wanted, np.floor(left / unit + 1e-9)))


def make_ledger(budget: BudgetConfig, strategy: StrategyConfig,
                layer_names: tuple[str, ...]) -> Ledger:
    """The campaign's ledger; refuses a budget that cannot buy every post and one seed each."""
    incentive_pool = budget.total * strategy.incentive_budget
    posts_cost = strategy.posts * budget.post
    seed_pool = budget.total - incentive_pool - posts_cost
    cheapest = min(seed_price(budget, name) for name in layer_names)
    if seed_pool < strategy.posts * cheapest - 1e-9:
        need = posts_cost + strategy.posts * cheapest + incentive_pool
        raise ConfigError("budget.total", budget.total,
                          f"too small for strategy.posts={strategy.posts}: posts cost "
                          f"{posts_cost:g} and one seed per post {strategy.posts * cheapest:g}"
                          f"; needs at least {need:g}")
    return Ledger(total=budget.total, seed_pool=seed_pool, incentive_pool=incentive_pool)


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


def choose_seeds(policy: Seeding, layer: Layer, n: int, *, rng: np.random.Generator,
                 loyalty: np.ndarray, shares: np.ndarray, core: np.ndarray | None = None,
                 taken: np.ndarray | None = None) -> np.ndarray:
    """``n`` distinct members of ``layer`` for a post's placements, by policy (C9).

    - random: uniform among members;
    - degree ("influencers"): highest degree;
    - engagement ("ambassadors"): highest loyalty plus 0.05 per past share;
    - community: one random member in each of the ``n`` largest communities;
    - kcore: random members of the innermost k-cores.

    Agents flagged in ``taken`` (already placed on another layer for this post) are skipped.
    Ties are broken by a random draw, so the choice is reproducible from ``rng``.
    """
    members = layer.members
    groups = layer.groups
    if taken is not None and taken[members].any():
        free = ~taken[members]
        members = members[free]
        groups = None if groups is None else groups[free]
    n = min(n, members.size)
    if n <= 0:
        return np.empty(0, dtype=np.int64)
    if policy is Seeding.random:
        return np.sort(rng.choice(members, size=n, replace=False))
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
        return np.sort(chosen[chosen >= 0])
    degree = layer.degree()[members].astype(float)
    if policy is Seeding.engagement:
        score = loyalty[members] + 0.05 * shares[members]
    elif policy is Seeding.kcore:
        core = k_core_numbers(layer) if core is None else core
        score = core[members].astype(float)
    else:  # degree, and community on a layer without communities
        score = degree
    top = np.lexsort((tiebreak, -score))[:n]
    return np.sort(members[top])


@dataclass
class Listener:
    """Listening (C9): Thompson sampling of the layer split from observed engagement.

    Before each post, the engagement rate of each layer, theta_l ~ Beta(1 + shares_l,
    1 + exposures_l - shares_l), is sampled; the value of a placement is theta_l times the
    layer's mean degree over its price; the professional share of the next post's placements
    is the posterior probability that the professional layer is worth more, kept in [0.05,
    0.95] so that both layers stay observed.
    """

    layer_names: tuple[str, ...]
    degree: np.ndarray
    price: np.ndarray
    decisions: list[dict] = field(default_factory=list)

    def split(self, step: int, post: int, shares: np.ndarray, seen: np.ndarray,
              rng: np.random.Generator, default: float) -> float:
        if len(self.layer_names) < 2 or "professional" not in self.layer_names:
            return default
        theta = rng.beta(1 + shares[:, None], 1 + np.maximum(seen - shares, 0)[:, None],
                         size=(len(self.layer_names), 256))
        value = theta * (self.degree / self.price)[:, None]
        pro = self.layer_names.index("professional")
        best = np.argmax(value, axis=0)
        split = float(np.clip(np.mean(best == pro), 0.05, 0.95))
        row = {"step": step, "post": post, "split": split}
        for k, name in enumerate(self.layer_names):
            row[f"theta_{name}"] = float((1 + shares[k]) / (2 + seen[k]))
        self.decisions.append(row)
        return split
