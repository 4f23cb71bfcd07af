"""Incentives: rewards for sharing, paid from a pool of the budget while it lasts (C7).

A strategy offers an incentive level ``inc`` in [0, 1] on its posts; every share of a brand post
is then a rewarded share, priced ``budget.reward * inc`` EUR. The pool is
``budget.total * strategy.incentive_budget``, released in equal parts as each post goes out
(unspent parts carry over), so the rewards last the whole campaign; the ledger
(:class:`sim.strategies.Ledger`) says how many rewards the released money can still pay.
While it can pay one more, the incentive raises the share probability (the ``b_inc inc_c``
term of :mod:`sim.mechanisms.share`); once it cannot, the offer is withdrawn until the next
post releases more.
"""

from __future__ import annotations

import numpy as np


def reward_price(cost: float, level: float) -> float:
    """Price of one rewarded share: ``budget.reward * strategy.incentive`` (EUR per share).

    Args:
        cost: ``budget.reward``, the reward of a share at incentive level 1 (EUR per share).
        level: ``strategy.incentive``, the incentive level in [0, 1].
    """
    return cost * level


def offered(incentive: np.ndarray, payable: int) -> np.ndarray:
    """The incentive level each exposure's post offers (C7).

    It is ``inc_c`` while the pool can still pay a reward, and 0 once it can pay none
    (``payable == 0``).

    Args:
        incentive: the incentive level of the post of each exposure, in [0, 1].
        payable: rewards the pool can still pay (count), e.g. ``affordable_rewards(price, 1)``.
    """
    return np.zeros_like(incentive) if payable == 0 else incentive


def rewarded_shares(posts: np.ndarray, n_posts: int) -> int:
    """The number of shares that claim a reward this step (C7).

    Every share of a brand post (post index below ``n_posts``) claims one; relays of the
    backlash are not rewarded.
    """
    return int(np.sum(posts < n_posts))
