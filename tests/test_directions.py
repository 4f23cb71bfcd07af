"""Direction tests: under default parameters, each strategy effect the articles claim shows.

Each comparison runs both strategies on the same 20 replicates (common random numbers: same
population, graphs, sessions) at N = 5,000 and equal budget, and requires (1) the paired mean
difference to have the claimed sign with a paired t statistic above 3 and (2) the claimed
direction in at least 70 % of replicates. Runs are deterministic, so the test cannot flake; it
fails if a mechanism stops producing the effect.
"""

from functools import cache

import numpy as np
import pytest

from sim import load_config, simulate

REPLICATES = 20


@cache
def summary(strategy: str, replicate: int) -> dict:
    config = load_config([f"strategy={strategy}", f"replicate={replicate}", "n=5000",
                          "output.write_trace=false"])
    return simulate(config).summary


def paired(better: str, worse: str, key: str) -> tuple[float, float, float]:
    a = np.array([summary(better, r)[key] for r in range(REPLICATES)], dtype=float)
    b = np.array([summary(worse, r)[key] for r in range(REPLICATES)], dtype=float)
    d = a - b
    t = d.mean() / (d.std(ddof=1) / np.sqrt(d.size)) if d.std() > 0 else np.inf * np.sign(d.mean())
    return float(d.mean()), float(t), float(np.mean(d > 0))


pytestmark = pytest.mark.slow


@pytest.mark.parametrize("better, worse, key, claim", [
    ("adapted", "broadcast", "engaged_professional", "C1, C2, C5: adapted content"),
    ("emotional_pro", "rational_pro", "shares_professional", "C4: emotion on professional"),
    ("broadcast", "promotional", "mean_loyalty", "C10: inauthentic content costs loyalty"),
    ("promotional", "broadcast", "detractors", "C10, C12: and makes detractors"),
    ("brand_centric", "broadcast", "owned_members", "C8: call to action"),
    ("broadcast", "brand_centric", "audience_decay", "C8: owned channel steadies reach"),
    ("broadcast", "bursty", "mean_loyalty", "C11: consistency beats bursts"),
])
def test_direction(better, worse, key, claim):
    mean, t, wins = paired(better, worse, key)
    assert mean > 0 and t > 3 and wins >= 0.7, (claim, mean, t, wins)
