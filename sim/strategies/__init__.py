"""Strategies (C5-C11): the posting schedule, the budget, seeding policies and listening.

The schedule is :mod:`sim.strategies.schedule`, the budget and its ledger
:mod:`sim.strategies.budget`, the seeding policies :mod:`sim.strategies.seeding` and the
listening strategy :mod:`sim.strategies.listening`; :class:`sim.engine.brand.BrandModel`
runs them.
"""

from sim.strategies.budget import (
    Ledger,
    layer_split,
    make_ledger,
    seed_price,
    seeds_per_layer,
)
from sim.strategies.listening import Listener
from sim.strategies.schedule import post_steps
from sim.strategies.seeding import UNSEEDED, choose_seeds, k_core_numbers

__all__ = ["Ledger", "Listener", "UNSEEDED", "choose_seeds", "k_core_numbers", "layer_split",
           "make_ledger", "post_steps", "seed_price", "seeds_per_layer"]
