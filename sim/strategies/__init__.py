"""Strategies (C5-C11): the posting schedule, the budget, seeding policies and listening.

The schedule is :mod:`sim.strategies.schedule`, the budget and its ledger
:mod:`sim.strategies.budget`, the seeding policies :mod:`sim.strategies.seeding` and the
listening strategy :mod:`sim.strategies.listening`; :class:`sim.engine.brand.BrandModel`
runs them.
"""

from sim.strategies.budget import (
    TIERS,
    Ledger,
    affordable,
    layer_price,
    layer_split,
    make_ledger,
    placement_price,
    production_cost,
    tier_of,
)
from sim.strategies.listening import Listener
from sim.strategies.schedule import post_steps
from sim.strategies.seeding import UNSEEDED, choose_seeds, k_core_numbers, seed_order

__all__ = ["TIERS", "Ledger", "Listener", "UNSEEDED", "affordable", "choose_seeds",
           "k_core_numbers", "layer_price", "layer_split", "make_ledger", "placement_price",
           "post_steps", "production_cost", "seed_order", "tier_of"]
