"""The budget: prices of posts, placements and rewards, and the ledger that refuses to overspend."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.config import BudgetConfig, ConfigError, StrategyConfig
from sim.strategies.seeding import UNSEEDED


def seed_price(budget: BudgetConfig, layer_name: str) -> float:
    """Price of one placement on a layer (a file layer is priced as a personal one)."""
    return budget.seed_professional if layer_name == "professional" else budget.seed_personal


def layer_split(split: float, layer_names: tuple[str, ...]) -> np.ndarray:
    """Share of placements per layer, from the professional share ``split``.

    ``split`` goes to the professional layer, the rest to the personal (or file) layer, none
    to the topic layer.
    """
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
        """Record ``amount`` spent on budget line ``line`` (``posts``, ``seeds``, ``incentive``).

        Raises:
            RuntimeError: the spend would exceed the total budget.
        """
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
