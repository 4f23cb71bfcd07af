"""Money outcomes of a run in EUR: spend by budget line and tier, and costs per outcome.

Every figure comes from the run's ledger (:class:`sim.strategies.Ledger`) and its final
state; definitions are in the README's ``summary.json`` table. A cost whose denominator is 0
(no one reached, no loyal customer gained, ...) is None, written as ``null``.
"""

from __future__ import annotations

import numpy as np

from sim.strategies import TIERS


def _per(spent: float, count: float) -> float | None:
    """``spent / count``, or None when ``count`` is not positive."""
    return spent / count if count > 0 else None


def money_outcomes(model, reached: int, engaged: int) -> dict[str, float | int | None]:
    """Spend per line and tier, and cost per person reached, engaged, loyal and owned (EUR).

    ``spent = spent_posts + spent_placements + spent_incentives + spent_owned``, and
    ``spent_placements`` is the sum of ``spent_placements_<tier>``. Incentives are the
    rewards of incentivised shares plus the perks paid to ambassadors.
    """
    cfg, ledger = model.config, model.ledger
    spent = float(ledger.spent)
    loyal_now = int(np.count_nonzero(model.loyalty >= cfg.loyalty.loyal))
    loyal_before = int(np.count_nonzero(model.world.loyalty >= cfg.loyalty.loyal))
    owned = int(model.member[model.owned].sum())
    out: dict[str, float | int | None] = {
        "budget_total": float(cfg.budget.total),
        "spent": spent,
        "spent_posts": ledger.line("posts"),
        "spent_placements": ledger.line("placements"),
    }
    for name, amount in zip(TIERS, ledger.tiers, strict=True):
        out[f"spent_placements_{name}"] = float(amount)
    out["spent_incentives"] = ledger.line("rewards") + ledger.line("perks")
    out["spent_owned"] = ledger.line("owned")
    out["cost_per_reached"] = _per(spent, reached)
    out["cost_per_engaged"] = _per(spent, engaged)
    out["cost_per_loyal_gained"] = _per(spent, loyal_now - loyal_before)
    out["cost_per_owned_member"] = _per(spent, owned)
    out["incentive_pool_dry_step"] = ledger.dry_step
    return out
