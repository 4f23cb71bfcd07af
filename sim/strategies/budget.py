"""The budget in EUR: prices of posts, placements and rewards, and the ledger that never overspends.

Prices (README, "Budget and prices"; sources and arithmetic in ``docs/prices.md``):

- a **placement** on layer ``l`` costs ``base_l + cpm_l * followers / 1000``, ``followers``
  the seeded member's degree on the layer (a layer read from a file is priced as the personal
  one); an **ambassador** (``seeding=engagement``) is paid a perk, ``budget.ambassador``,
  instead of the audience price;
- a **post** costs the production of each distinct variant it shows: ``post_base +
  post_premium * (entertainment + insight)`` per variant, so adapted content pays one variant
  per platform;
- an **incentivised share** costs ``budget.reward * strategy.incentive``, paid from the
  incentive pool, which is released in equal parts as each post goes out;
- the **owned channel** costs ``budget.owned / 30`` per member and step.

Influencer tiers (:data:`TIERS`) group placements by the seeded member's followers, for
reporting what each tier was paid.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.config import BudgetConfig, ConfigError, PriceConfig, Seeding, StrategyConfig
from sim.strategies.seeding import UNSEEDED

#: Influencer tiers by followers, with the smallest follower count of each: Hootsuite,
#: "Instagram influencer rates": nano 1,000-10,000, micro 10,000-50,000, mid-tier
#: 50,000-500,000, macro 500,000-1,000,000, mega 1,000,000+. ``regular`` members (under
#: 1,000 followers) are below every tier the sources define.
TIERS: tuple[str, ...] = ("regular", "nano", "micro", "mid", "macro", "mega")
TIER_FLOORS = np.array([0, 1_000, 10_000, 50_000, 500_000, 1_000_000])
#: Days over which ``budget.owned`` is quoted (a month of daily steps).
OWNED_PERIOD = 30.0
#: Slack on money comparisons, in EUR (float sums of many prices).
EPS = 1e-9


def layer_price(budget: BudgetConfig, layer_name: str) -> PriceConfig:
    """The price parameters of a layer: professional, or personal for any other layer."""
    return budget.professional if layer_name == "professional" else budget.personal


def placement_price(price: PriceConfig, followers: np.ndarray) -> np.ndarray:
    """``base + cpm * followers / 1000`` in EUR, for each member's follower count (C9)."""
    return price.base + price.cpm * np.asarray(followers, dtype=np.float64) / 1000.0


def tier_of(followers: np.ndarray) -> np.ndarray:
    """Index in :data:`TIERS` of each follower count (0 = regular, 5 = mega)."""
    return np.searchsorted(TIER_FLOORS, np.asarray(followers), side="right") - 1


def variant_names(strategy: StrategyConfig, channels: tuple[str, ...]) -> list[str]:
    """The distinct variants (``generic``, ``personal``, ``professional``) a post shows.

    Adapted content shows the ``personal`` and ``professional`` variants on those layers and
    the generic one on any other channel; generic content shows only the generic one.
    """
    names = ["generic"]
    if strategy.adapted:
        names = [name if name in ("personal", "professional") else "generic"
                 for name in channels]
    return sorted(set(names))


def production_cost(budget: BudgetConfig, strategy: StrategyConfig,
                    channels: tuple[str, ...]) -> float:
    """Production cost of one post in EUR: ``sum over its variants of base + premium * q``.

    ``q = entertainment + insight`` of the variant, in [0, 2]. ``channels`` are the channels
    the post can be shown on (the run's layers, and ``owned`` with a call to action).
    """
    cost = 0.0
    for name in variant_names(strategy, channels):
        v = getattr(strategy, name)
        cost += budget.post_base + budget.post_premium * (v.entertainment + v.insight)
    return cost


def layer_split(split: float, layer_names: tuple[str, ...]) -> np.ndarray:
    """Share of placement money per layer, from the professional share ``split``.

    ``split`` goes to the professional layer, the rest to the personal (or file) layer, none
    to the topic layer.
    """
    if len(layer_names) == 1:
        return np.ones(1)
    return np.array([0.0 if name in UNSEEDED else split if name == "professional"
                     else 1.0 - split for name in layer_names])


def affordable(prices: np.ndarray, money: float) -> int:
    """How many of the members priced ``prices``, bought in that order, ``money`` pays for.

    Members are bought one after the other while the next one is affordable: the largest
    ``n`` with ``sum(prices[:n]) <= money`` (prices are positive, so the cumulative sum
    increases and one ``searchsorted`` finds it).
    """
    if prices.size == 0 or money <= 0:
        return 0
    return int(np.searchsorted(np.cumsum(prices), money + EPS, side="right"))


@dataclass
class Ledger:
    """Budget bookkeeping in EUR; every spend goes through :meth:`spend`, which never overspends.

    Lines: ``posts`` (production), ``placements`` (audience-priced), ``perks`` (ambassadors),
    ``rewards`` (incentivised shares) and ``owned`` (the owned channel's upkeep).
    Placements, perks and upkeep share the placement pool; rewards have the incentive pool.

    Attributes:
        total: the budget.
        post_cost: production cost of one post.
        placement_pool: money for placements, perks and upkeep.
        incentive_pool: money for rewards, released in equal parts per post.
        n_posts: posts in the campaign.
        owned_rate: upkeep of the owned channel per member and step.
        released: incentive money released so far.
        tiers: placement money paid per tier of :data:`TIERS`.
        dry_step: first step after which the incentive pool could not pay one more reward
            (None: never).
        owned_open: False once the owned channel's upkeep could not be paid (it is closed).
        owned_closed_step: the step at which it closed (None: never).
    """

    total: float
    post_cost: float
    placement_pool: float
    incentive_pool: float
    n_posts: int
    owned_rate: float = 0.0
    spent: float = 0.0
    released: float = 0.0
    lines: dict[str, float] = field(default_factory=dict)
    tiers: np.ndarray = field(default_factory=lambda: np.zeros(len(TIERS)))
    dry_step: int | None = None
    owned_open: bool = True
    owned_closed_step: int | None = None

    def spend(self, line: str, amount: float) -> None:
        """Record ``amount`` EUR spent on budget line ``line``.

        Raises:
            RuntimeError: the spend would exceed the total budget.
        """
        if self.spent + amount > self.total + EPS:
            raise RuntimeError(f"budget exceeded: {line} {amount:.3f} EUR with "
                               f"{self.total - self.spent:.3f} EUR left")
        self.spent += amount
        self.lines[line] = self.lines.get(line, 0.0) + amount

    def line(self, name: str) -> float:
        """EUR spent on one line so far (0 if none)."""
        return self.lines.get(name, 0.0)

    def pool_left(self) -> float:
        """Placement pool not yet spent on placements, perks or upkeep."""
        return self.placement_pool - self.line("placements") - self.line("perks") - \
            self.line("owned")

    def placement_money(self, post: int, reserve: float = 0.0) -> float:
        """Money for post ``post``'s placements: what is left, shared by the posts to come.

        ``(pool left - reserve) / (n_posts - post)``: money a post leaves unspent goes to the
        next ones. ``reserve`` is kept back (the owned channel's upkeep to the horizon).
        """
        return max(0.0, (self.pool_left() - reserve) / (self.n_posts - post))

    def buy_placements(self, prices: np.ndarray, tiers: np.ndarray, *, perk: bool) -> None:
        """Pay for placements bought at ``prices`` (EUR) on members of tiers ``tiers``."""
        amount = float(prices.sum())
        self.spend("perks" if perk else "placements", amount)
        if not perk:
            self.tiers += np.bincount(tiers, weights=prices, minlength=len(TIERS))

    def release(self, published: int) -> None:
        """Release the incentive pool's share of the posts published so far (C7)."""
        self.released = self.incentive_pool * published / self.n_posts

    def affordable_rewards(self, unit: float, wanted: int) -> int:
        """How many of ``wanted`` rewards of ``unit`` EUR the released incentive money pays."""
        if unit <= 0:
            return wanted
        left = self.released - self.line("rewards")
        return int(min(wanted, np.floor(left / unit + EPS)))

    def pay_rewards(self, unit: float, wanted: int, step: int) -> int:
        """Pay as many rewards as the released money allows; note when the pool runs dry."""
        paid = self.affordable_rewards(unit, wanted)
        if paid:
            self.spend("rewards", paid * unit)
        if (self.dry_step is None and unit > 0 and self.incentive_pool > 0
                and self.incentive_pool - self.line("rewards") < unit - EPS):
            self.dry_step = step
        return paid

    def pay_owned(self, members: int, step: int) -> bool:
        """Pay step ``step``'s upkeep of the owned channel's ``members``; close it if it can't.

        Returns:
            Whether the channel is still open.
        """
        if not self.owned_open:
            return False
        due = members * self.owned_rate
        if due > self.pool_left() + EPS:
            self.owned_open = False
            self.owned_closed_step = step
            return False
        if due > 0:
            self.spend("owned", due)
        return True


def post_prices(budget: BudgetConfig, strategy: StrategyConfig,
                channels: tuple[str, ...]) -> tuple[float, float]:
    """A post's production cost and the cheapest placement it can buy, in EUR.

    ``channels`` are the run's layers (and ``owned``); a post with a call to action also shows
    its generic variant on the owned channel. The cheapest placement is an ambassador's perk
    under engagement seeding, else the lowest base price of a seeded layer.
    """
    layers = tuple(c for c in channels if c != "owned")
    shown = layers + (("owned",) if strategy.cta else ())
    if strategy.seeding is Seeding.engagement:
        cheapest = budget.ambassador
    else:
        cheapest = min(layer_price(budget, name).base for name in layers
                       if name not in UNSEEDED)
    return production_cost(budget, strategy, shown), cheapest


def make_ledger(budget: BudgetConfig, strategy: StrategyConfig,
                channels: tuple[str, ...]) -> Ledger:
    """The campaign's ledger; refuses a budget that cannot buy every post and one placement each.

    ``channels`` are the run's layers (and ``owned``); a post with a call to action also shows
    its generic variant on the owned channel.
    """
    post_cost, cheapest = post_prices(budget, strategy, channels)
    incentive_pool = budget.total * strategy.incentive_budget
    posts_cost = strategy.posts * post_cost
    pool = budget.total - incentive_pool - posts_cost
    if pool < strategy.posts * cheapest - EPS:
        need = posts_cost + strategy.posts * cheapest + incentive_pool
        raise ConfigError("budget.total", budget.total,
                          f"too small for strategy.posts={strategy.posts}: posts cost "
                          f"{posts_cost:g} EUR and one placement per post "
                          f"{strategy.posts * cheapest:g} EUR; needs at least {need:g} EUR")
    return Ledger(total=budget.total, post_cost=post_cost, placement_pool=pool,
                  incentive_pool=incentive_pool, n_posts=strategy.posts,
                  owned_rate=budget.owned / OWNED_PERIOD)
