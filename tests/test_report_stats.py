"""The report's statistics and takeaways on tables with known answers (no simulation)."""

import numpy as np
import pandas as pd
import pytest

from sim.report import stats, takeaways
from sim.report.outcomes import OUTCOMES, told


def test_bca_intervals_cover_a_known_mean():
    """400 seeded samples of a skewed law (exponential, mean 1, n = 40): about 95% of their
    BCa intervals contain 1 (binomial sd of the coverage ~1.1 points)."""
    rng = np.random.default_rng(20240611)
    n, k = 40, 400
    values = rng.exponential(1.0, size=(n, k))
    boot = stats.boot_means(stats.resample_counts(rng, n, 2000), values)
    low, high = stats.bca(values, boot)
    covered = np.mean((low <= 1.0) & (1.0 <= high))
    assert 0.92 <= covered <= 0.98
    assert np.all(low <= values.mean(axis=0)) and np.all(values.mean(axis=0) <= high)


def test_bootstrap_means_leave_missing_values_out():
    values = np.array([[1.0, 5.0], [3.0, np.nan], [5.0, 7.0]])
    counts = np.array([[1.0, 1.0, 1.0], [0.0, 3.0, 0.0], [2.0, 0.0, 1.0]])
    boot = stats.boot_means(counts, values)
    assert boot[0] == pytest.approx([3.0, 6.0])
    assert boot[1, 0] == 3.0 and np.isnan(boot[1, 1])
    assert boot[2] == pytest.approx([7 / 3, 17 / 3])


def test_flat_and_single_values_get_degenerate_intervals():
    values = np.array([[2.0, 1.0], [2.0, np.nan]])
    boot = stats.boot_means(stats.resample_counts(np.random.default_rng(0), 2, 200), values)
    low, high = stats.bca(values, boot)
    assert (low[0], high[0]) == (2.0, 2.0)
    assert np.isnan(low[1]) and np.isnan(high[1])


def test_holm_matches_the_step_down_rule():
    p = np.array([0.01, 0.04, 0.03, 0.005, np.nan])
    # sorted: 0.005*4, 0.01*3, 0.03*2, 0.04*1 -> 0.02, 0.03, 0.06, 0.06 (monotone)
    assert stats.holm(p)[:4] == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert np.isnan(stats.holm(p)[4])


def test_paired_t_and_effect_size():
    diff = np.array([[1.0, 0.0], [2.0, 0.0], [3.0, 0.0]])
    t, p, d_z = stats.paired_t(diff)
    assert t[0] == pytest.approx(2.0 / (1.0 / np.sqrt(3)))
    assert d_z[0] == pytest.approx(2.0)
    assert p[0] == pytest.approx(0.07418, abs=1e-4)  # two-sided, 2 df (scipy.stats.t)
    assert p[1] == 1.0


def test_letters_group_indistinguishable_arms():
    marks = stats.letters(["a", "b", "c", "d"], {frozenset("ab"), frozenset("bc")})
    assert marks == {"a": "a", "b": "ab", "c": "b", "d": "c"}


def _runs(means: dict[str, float], *, reps: int = 20, noise: float = 5.0, seed: int = 1):
    """A runs table with one outcome per arm: ``mean + replicate effect + noise``; replicates
    share their effect (as common random numbers make them)."""
    rng = np.random.default_rng(seed)
    shared = rng.normal(0, 30, reps)
    rows = []
    for arm, mean in means.items():
        for r in range(reps):
            rows.append({"arm": arm, "cell": "all", "seed": 0, "replicate": r,
                         "reached": mean + shared[r] + rng.normal(0, noise)})
    return pd.DataFrame(rows)


def _title(means, **kw):
    arms, diffs = stats.compare(_runs(means, **kw), ["reached"], b=1000, seed=3)
    return takeaways.ranking(takeaways.lead(arms, diffs, "reached")), arms, diffs


def test_titles_name_the_winner_and_flip_with_the_data():
    title, arms, diffs = _title({"broadcast": 100.0, "adapted": 180.0})
    assert title == "Adapted content reaches 1.8x more people than Broadcast"
    row = diffs.iloc[0]
    assert row["distinguishable"] and row["better"] == "adapted"
    # the paired CI is narrow although each arm's spread is wide: replicates share effects
    assert row["ci_high"] - row["ci_low"] < 0.5 * (arms["ci_high"] - arms["ci_low"]).min()
    flipped, *_ = _title({"broadcast": 180.0, "adapted": 100.0})
    assert flipped == "Broadcast reaches 1.8x more people than Adapted content"


def test_titles_say_when_there_is_no_clear_difference():
    title, _, diffs = _title({"broadcast": 100.0, "adapted": 100.0}, noise=20.0)
    assert not diffs["distinguishable"].any()
    assert title == "People reached: no clear difference between Adapted content and Broadcast" or \
        title == "People reached: no clear difference between Broadcast and Adapted content"
    many, *_ = _title({"broadcast": 100.0, "adapted": 100.5, "ambassadors": 99.5}, noise=20.0)
    assert many == "People reached: no clear difference among the 3 strategies"
    tied, *_ = _title({"broadcast": 100.0, "adapted": 300.0, "ambassadors": 300.5}, noise=20.0)
    assert tied.startswith("Adapted content and Ambassador seeding lead on people reached") or \
        tied.startswith("Ambassador seeding and Adapted content lead on people reached")


def test_amounts_are_told_as_a_room_hears_them():
    assert told(OUTCOMES["reached"], 180, 100) == "1.8x"
    assert told(OUTCOMES["reached"], 107, 100) == "7%"
    assert told(OUTCOMES["reached"], 1003, 1000) == "0.3%"
    assert told(OUTCOMES["reached"], 100_004, 100_000) == "0.004%"
    assert told(OUTCOMES["loyalty_gain"], 0.15, 0.04) == "11 points"
    assert told(OUTCOMES["detractor_share"], 0.01, 0.03) == "3.0x"
    assert told(OUTCOMES["reached"], 5, 0) is None
    assert told(OUTCOMES["reached"], 1200, 100) == "12x"


def test_unpaired_units_drop_out_of_the_pairs_only():
    runs = _runs({"broadcast": 100.0, "adapted": 150.0}, reps=10)
    runs = runs.drop(runs[(runs["arm"] == "adapted") & (runs["replicate"] == 3)].index)
    arms, diffs = stats.compare(runs, ["reached"], b=500, seed=0)
    assert arms.set_index("arm")["n"].to_dict() == {"broadcast": 10, "adapted": 9}
    assert diffs["n_pairs"].tolist() == [9]
    assert np.isfinite(diffs[["ci_low", "ci_high"]].to_numpy()).all()


def test_a_weak_arm_with_a_wide_interval_is_no_leader():
    """Rank 3 is distinguishable from the best; rank 4, noisy, is not: the leading group
    stops at rank 3 and leaves rank 4 out."""
    arms = pd.DataFrame({"cell": "all", "outcome": "reached", "arm": list("abcd"),
                         "mean": [10.0, 9.9, 5.0, 2.0], "ci_high": [11, 11, 6, 9],
                         "rank": [1, 2, 3, 4], "tied_best": [True, True, False, True]})
    diffs = pd.DataFrame({"cell": ["all"], "outcome": ["reached"], "arm_a": ["a"],
                          "arm_b": ["b"], "distinguishable": [False]})
    ld = takeaways.lead(arms, diffs, "reached")
    assert ld.tied == ["a", "b"] and not ld.clear
    assert takeaways.ranking(ld) == ("A and B lead on people reached, with no clear difference "
                                     "between them")


def _lead(key, order, means, clear, highs=None):
    return takeaways.Lead(OUTCOMES[key], order, means, clear, order[:1], None, highs)


def test_trade_off_titles_claim_only_what_is_clear():
    x = _lead("reached", ["adapted", "broadcast"], [200, 100], True)
    y = _lead("loyalty_gain", ["adapted", "broadcast"], [0.1, 0.05], False)
    y_clear = _lead("loyalty_gain", ["adapted", "broadcast"], [0.1, 0.05], True)
    assert takeaways.tradeoff(["adapted"], x, y_clear) == \
        "Adapted content wins on both people reached and loyalty gained"
    assert "no clear lead" in takeaways.tradeoff(["adapted"], x, y)


def test_reach_over_time_title_skips_missing_curves_and_tells_a_lead_over_zero():
    steps = pd.Index([1, 2, 3])
    curves = {"owned": pd.DataFrame({"brand_centric": [5.0, 20.0, 66.0],
                                     "broadcast": [0.0, 0.0, 0.0]}, index=steps),
              "personal": pd.DataFrame({"brand_centric": [1.0, 2.0, 3.0]}, index=steps)}
    owned = takeaways.Lead(OUTCOMES["reached_owned"], ["brand_centric", "broadcast"], [66.0, 0.0],
                           True, ["brand_centric"], None)
    personal = takeaways.Lead(OUTCOMES["reached_personal"], ["brand_centric", "broadcast"],
                              [3.0, 1.0], True, ["brand_centric"], "3x")
    title = takeaways.over_time({"owned": owned, "personal": personal}, curves, 3)
    assert title == ("Brand-centric pulls ahead on the owned network from day one: 66 people "
                     "by day 3, vs 0 for Broadcast")


def test_reached_and_engaged_outcomes_say_what_they_count():
    """People reached saw the content; people engaged shared it: the titles say which."""
    for key, verb in (("reached", "reaches 1.8x more people than"),
                      ("engaged", "gets 1.8x more people sharing than")):
        runs = _runs({"adapted": 180.0, "broadcast": 100.0}).rename(columns={"reached": key})
        arms, diffs = stats.compare(runs, [key], b=500, seed=3)
        title = takeaways.ranking(takeaways.lead(arms, diffs, key))
        assert f"Adapted content {verb} Broadcast" in title, key
    assert "saw" in OUTCOMES["reached"].label and "shared" in OUTCOMES["engaged"].label
    assert "sharing" in OUTCOMES["engaged_professional"].sentence


def test_across_cells_a_shared_lead_is_not_called_no_difference():
    o = OUTCOMES["reached"]
    order = ["core", "broadcast", "ambassadors"]

    def cell(tied):
        return takeaways.Lead(o, order, [2100.0, 2050.0, 500.0], False, tied, None)

    shared = takeaways.across({"p=0.01": cell(order[:2]), "p=0.02": cell(order[:2])})
    assert shared.startswith("People reached: no clear leader at any p (p = 0.01")
    assert shared.endswith("; Core seeding and Broadcast share the lead at every p")
    alike = takeaways.across({"p=0.01": cell(order), "p=0.02": cell(order)})
    assert alike.startswith("People reached: no clear difference among the 3 strategies at any p")
