"""Direction tests: under the calibrated defaults, each strategy effect the articles claim shows.

Each comparison runs both strategies on the same 20 replicates (common random numbers: same
population, graphs, sessions) at N = 5,000 and equal budget, and requires (1) the paired mean
difference to have the claimed sign with a paired t statistic above 3 and (2) the claimed
direction in at least 70 % of replicates. Runs are deterministic, so the test cannot flake; it
fails if a mechanism stops producing the effect.

Under the calibrated defaults most placements are never reshared, so a strategy's reach is
mostly what its money buys. Three directions are stated accordingly:

- adapted content (C5) engages more people *per placement*: compared with content production
  free (``budget.post_base=0 budget.post_premium=0``), so both strategies buy the same
  placements; at equal money it engages fewer, since two variants per post cost what about
  two thirds of its placements would (the last case pins that trade-off);
- emotional content on the professional network (C4) is compared per impression
  (``engagement_rate_professional``): shares counts are dominated by the odd larger tree;
- "the owned channel steadies reach" (C8, ``audience_decay``) is no longer a direction: with
  about five sharers converted per campaign, the owned channel is too small to change later
  posts' audiences (paired difference -0.014, t = -0.4 over these 20 replicates).
"""

import dataclasses
from functools import cache

import numpy as np
import pytest

from sim import load_config, simulate

REPLICATES = 20


@cache
def composed(strategy: str, extra: tuple[str, ...] = ()):
    return load_config([f"strategy={strategy}", "n=5000", "output.write_trace=false", *extra])


@cache
def summary(strategy: str, replicate: int, extra: tuple[str, ...] = ()) -> dict:
    # composed once per strategy; a replicate is the same config with another index
    config = dataclasses.replace(composed(strategy, extra), replicate=replicate)
    return simulate(config).summary


def paired(better: str, worse: str, key: str,
           extra: tuple[str, ...] = ()) -> tuple[float, float, float]:
    a = np.array([summary(better, r, extra)[key] for r in range(REPLICATES)], dtype=float)
    b = np.array([summary(worse, r, extra)[key] for r in range(REPLICATES)], dtype=float)
    d = a - b
    t = d.mean() / (d.std(ddof=1) / np.sqrt(d.size)) if d.std() > 0 else np.inf * np.sign(d.mean())
    return float(d.mean()), float(t), float(np.mean(d > 0))


pytestmark = pytest.mark.slow


FREE_CONTENT = ("budget.post_base=0", "budget.post_premium=0")


@pytest.mark.parametrize("better, worse, key, extra, claim", [
    ("adapted", "broadcast", "engaged", FREE_CONTENT, "C1, C2, C5: adapted content, per placement"),
    ("broadcast", "adapted", "engaged", (), "C5 at a price: two variants cost placements"),
    ("emotional_pro", "rational_pro", "engagement_rate_professional", (),
     "C4: emotion on professional"),
    ("broadcast", "promotional", "mean_loyalty", (), "C10: inauthentic content costs loyalty"),
    ("promotional", "broadcast", "detractors", (), "C10, C12: and makes detractors"),
    ("brand_centric", "broadcast", "owned_members", (), "C8: call to action"),
    ("broadcast", "bursty", "mean_loyalty", (), "C11: consistency beats bursts"),
])
def test_direction(better, worse, key, extra, claim):
    mean, t, wins = paired(better, worse, key, extra)
    assert mean > 0 and t > 3 and wins >= 0.7, (claim, mean, t, wins)
