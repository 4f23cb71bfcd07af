"""The share rule: the probability that one exposure makes its receiver share (C2-C7, C10).

For agent i seeing brand post c on channel p in mindset m::

    P = min(1, rho_p * sigmoid(logit(p0) + b_fit (fit - 1/2) + b_emo (res - 1/2)
                               + b_loy (L_i - 1/2) + b_inc inc_c + b_soc ln(s) - b_fat ln(1 + f)))

- ``rho_p``: the channel's receptivity to brand content (C3; professional 1.26 x personal);
- ``fit``: content fit with the mindset (C1, C2, :func:`sim.mechanisms.content.fit`), in [0, 1];
- ``res``: emotional resonance (C4, :func:`sim.mechanisms.content.resonance`), in [0, 1];
- ``L_i``: loyalty in [0, 1] (C11);
- ``inc_c``: the post's incentive level in [0, 1] while the incentive budget lasts (C7);
- ``s``: sharing contacts of i seen for post c so far, this exposure included (C6: social
  reinforcement); with ``threshold`` > 1, P = 0 while ``s < threshold`` (complex contagion);
- ``f``: brand exposures i has seen before this step (fatigue).

Centring fit, resonance and loyalty at 1/2 keeps ``p0`` (the config's ``p``) the probability for
average content, an average agent and no incentive. Negative word of mouth (the backlash, C10)
uses ``P = backlash * (1 - L_i)``. In reduction mode every coefficient is zero, rho = 1 and
s = f = 0 terms vanish, so ``P = p0``: the independent cascade.
"""

from __future__ import annotations

import numpy as np

from sim.config import ShareConfig


def logit(p: float) -> float:
    """``ln(p / (1 - p))``, clipped to +-40 so that p = 0 and p = 1 stay usable."""
    p = min(max(p, 1e-17), 1 - 1e-17)
    return float(np.clip(np.log(p / (1 - p)), -40.0, 40.0))


def share_probability(p0: float, coef: ShareConfig, *, receptivity: np.ndarray,
                      fit: np.ndarray, resonance: np.ndarray, loyalty: np.ndarray,
                      incentive: np.ndarray, contacts: np.ndarray,
                      fatigue: np.ndarray) -> np.ndarray:
    """Share probability of a batch of brand exposures (equation in the module docstring).

    Every argument but ``p0`` and ``coef`` is an array with one entry per exposure.
    Units: probabilities per exposure; ``contacts`` and ``fatigue`` are counts.
    """
    z = (logit(p0) + coef.fit * (fit - 0.5) + coef.emotion * (resonance - 0.5)
         + coef.loyalty * (loyalty - 0.5) + coef.incentive * incentive
         + coef.social * np.log(np.maximum(contacts, 1)) - coef.fatigue * np.log1p(fatigue))
    p = receptivity / (1.0 + np.exp(-z))
    if coef.threshold > 1:
        p = np.where(contacts >= coef.threshold, p, 0.0)
    return np.minimum(p, 1.0)


def backlash_probability(backlash: float, loyalty: np.ndarray) -> np.ndarray:
    """Probability of relaying negative word of mouth (C10): ``backlash * (1 - L)``."""
    return backlash * (1.0 - loyalty)
