"""Method checks of robustness studies: designs, Sobol and Morris indices, scenario discovery.

Each check compares the module with an analytic answer: the Ishigami function's Sobol indices
(from its formulas), a linear model's (``S_i = a_i^2 / sum a_j^2`` on equal uniform inputs),
and a finding built to fail in a known box, which scenario discovery must name. Tolerances
are stated in each test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from sim.studies import sensitivity as sa

PI = math.pi


def box(n: int, low: float = -PI, high: float = PI) -> list[sa.Dimension]:
    return [sa.Dimension(f"x{i + 1}", low, high) for i in range(n)]


def ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def ishigami_indices(a: float = 7.0, b: float = 0.1) -> tuple[list[float], list[float]]:
    """First and total order indices of Ishigami on [-pi, pi]^3, from the formulas
    (Homma and Saltelli 1996): V1 = (1 + b pi^4 / 5)^2 / 2, V2 = a^2 / 8,
    V13 = b^2 pi^8 (1/18 - 1/50), V = V1 + V2 + V13."""
    v1 = 0.5 * (1 + b * PI**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * PI**8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return [v1 / v, v2 / v, 0.0], [(v1 + v13) / v, v2 / v, v13 / v]


def test_a_sobol_design_has_n_times_d_plus_2_worlds_at_most_those_asked():
    d = sa.design(box(3), 103, method="sobol", seed=0)
    assert d.base == 20 and d.worlds == 20 * 5          # 103 // 5 = 20
    assert d.values.shape == (100, 3) and d.unit.shape == (100, 3)
    assert (d.values >= -PI).all() and (d.values <= PI).all()
    again = sa.design(box(3), 100, method="sobol", seed=0)
    assert np.array_equal(d.values, again.values)
    other = sa.design(box(3), 100, method="sobol", seed=1)
    assert not np.array_equal(d.values, other.values)


def test_morris_and_lhs_designs_have_the_sizes_they_promise():
    m = sa.design(box(4), 50, method="morris", seed=0)
    assert (m.base, m.worlds) == (10, 50)
    h = sa.design(box(4), 37, method="lhs", seed=0)
    assert h.worlds == 37
    # a Latin hypercube has one point in each of the 37 strata of every dimension
    for j in range(4):
        assert sorted(np.floor(h.unit[:, j] * 37).astype(int)) == list(range(37))


def test_log_and_integer_dimensions_are_uniform_on_their_own_scale():
    dims = [sa.Dimension("p", 0.001, 0.1, log=True), sa.Dimension("ttl", 1, 4, integer=True)]
    d = sa.design(dims, 4000, method="lhs", seed=3)
    p, ttl = d.values[:, 0], d.values[:, 1]
    assert p.min() >= 0.001 and p.max() <= 0.1
    # log-uniform: half the mass below the geometric midpoint 0.01 (+-2 points)
    assert abs(np.mean(p < 0.01) - 0.5) < 0.02
    # every integer of [1, 4] gets a quarter of the worlds (+-2 points)
    counts = np.bincount(ttl.astype(int), minlength=5)[1:] / ttl.size
    assert np.allclose(counts, 0.25, atol=0.02) and set(np.unique(ttl)) == {1, 2, 3, 4}


@pytest.mark.parametrize("dims, worlds, method, message", [
    (box(3), 9, "sobol", "needs at least 10 worlds"),
    (box(3), 7, "morris", "needs at least 8 worlds"),
    ([sa.Dimension("a", 1.0, 1.0)], 10, "lhs", "must be below"),
    ([sa.Dimension("a", 0.0, 1.0, log=True)], 10, "lhs", "must be positive"),
    (box(2), 10, "fast", "must be one of"),
])
def test_a_design_that_cannot_be_made_is_refused_naming_why(dims, worlds, method, message):
    with pytest.raises(ValueError, match=message):
        sa.design(dims, worlds, method=method)


def test_sobol_indices_of_ishigami_match_the_analytic_values_within_0_05():
    d = sa.design(box(3), 2**12 * 5, method="sobol", seed=0)
    got = {i.key: i for i in sa.indices(d, ishigami(d.values), seed=0)}
    first, total = ishigami_indices()
    for j, key in enumerate(["x1", "x2", "x3"]):
        assert abs(got[key].first - first[j]) < 0.05, (key, got[key], first[j])
        assert abs(got[key].total - total[j]) < 0.05, (key, got[key], total[j])
        # the bootstrap intervals are not degenerate, and cover the truth within 2 half-widths
        assert 0 < got[key].first_conf < 0.1 and 0 < got[key].total_conf < 0.1
        assert abs(got[key].total - total[j]) < 2 * got[key].total_conf + 0.01
    assert [i.key for i in sa.indices(d, ishigami(d.values))][:2] == ["x1", "x2"]


def test_sobol_indices_of_a_linear_model_are_its_squared_coefficients_shares():
    a = np.array([4.0, 2.0, 1.0, 0.0])
    d = sa.design(box(4, 0.0, 1.0), 2**11 * 6, method="sobol", seed=2)
    got = {i.key: i for i in sa.indices(d, d.values @ a)}
    truth = a**2 / (a**2).sum()                   # additive: first = total
    for j in range(4):
        assert abs(got[f"x{j + 1}"].first - truth[j]) < 0.03
        assert abs(got[f"x{j + 1}"].total - truth[j]) < 0.03


def test_morris_ranks_a_linear_models_inputs_by_their_coefficients():
    a = np.array([0.5, 4.0, 0.0, 2.0])
    d = sa.design(box(4, 0.0, 1.0), 40 * 5, method="morris", seed=0)
    ranked = sa.indices(d, d.values @ a)
    assert [i.key for i in ranked] == ["x2", "x4", "x1", "x3"]
    # on the unit scale an elementary effect of x_i is a_i exactly
    assert {i.key: round(i.mu_star, 6) for i in ranked} == {"x1": 0.5, "x2": 4.0, "x3": 0.0,
                                                          "x4": 2.0}


def test_indices_refuse_missing_or_constant_effects():
    d = sa.design(box(2), 64, method="sobol")
    y = d.values[:, 0].copy()
    y[3] = np.nan
    with pytest.raises(ValueError, match="1 of 64 worlds have no effect"):
        sa.indices(d, y)
    with pytest.raises(ValueError, match="the same in every world"):
        sa.indices(d, np.ones(d.worlds))


def test_the_share_of_worlds_counts_the_claimed_sign_and_has_wilsons_interval():
    y = np.array([1.0, 2.0, -1.0, 0.0, 3.0])
    s = sa.share_holding(y)
    assert (s.holds, s.worlds, s.share) == (3, 5, 0.6)      # the tie does not hold
    ci = stats.binomtest(3, 5).proportion_ci(method="wilson")
    assert (s.low, s.high) == pytest.approx((ci.low, ci.high))
    assert s.low < s.share < s.high
    assert sa.share_holding(y, higher=False).holds == 1
    assert sa.band(np.arange(11.0)) == pytest.approx((5.0, 1.0, 9.0))


def built_in_failure(rule, dims: list[sa.Dimension], worlds: int = 1024, seed: int = 0):
    d = sa.design(dims, worlds, method="lhs", seed=seed)
    holds = ~rule(d.values)
    return d, holds


def test_scenario_discovery_names_the_parameter_and_threshold_a_finding_flips_on():
    # the finding fails iff x3 < 0.3, x3 on [0, 2]; four other parameters are noise.
    # Tolerance: the threshold within 5% of the range (0.1).
    dims = box(5, 0.0, 2.0)
    d, holds = built_in_failure(lambda v: v[:, 2] < 0.3, dims)
    region = sa.failure_region(d, holds)
    assert region is not None
    (rule,) = [r for r in region.rules if r.key == "x3"]
    assert rule.op == "<" and abs(rule.threshold - 0.3) < 0.1
    assert region.density > 0.95 and region.coverage > 0.95
    assert region.text().startswith("x3 < 0.3")


def test_scenario_discovery_maps_a_threshold_on_a_log_scale_back_to_natural_units():
    # fails iff p < 0.01, p log-uniform on [0.001, 0.1]: the threshold within a factor 1.25
    dims = [sa.Dimension("p", 0.001, 0.1, log=True), sa.Dimension("z", 0.0, 1.0)]
    d, holds = built_in_failure(lambda v: v[:, 0] < 0.01, dims)
    (rule,) = sa.failure_region(d, holds).rules
    assert rule.key == "p" and rule.op == "<" and 0.008 < rule.threshold < 0.0125


def test_scenario_discovery_finds_a_two_parameter_failure_box():
    # fails iff x1 >= 1.6 and x4 < 0.5, on [0, 2]; each threshold within 0.1
    dims = box(5, 0.0, 2.0)
    d, holds = built_in_failure(lambda v: (v[:, 0] >= 1.6) & (v[:, 3] < 0.5), dims, 4096)
    region = sa.failure_region(d, holds)
    rules = {(r.key, r.op): r.threshold for r in region.rules}
    assert set(rules) == {("x1", ">="), ("x4", "<")}
    assert abs(rules[("x1", ">=")] - 1.6) < 0.1 and abs(rules[("x4", "<")] - 0.5) < 0.1
    assert "x1 >= 1.6" in region.text() and " and " in region.text()


def test_no_region_when_the_finding_holds_everywhere_or_nowhere():
    d = sa.design(box(2), 64, method="lhs")
    assert sa.failure_region(d, np.ones(64, dtype=bool)) is None
    assert sa.failure_region(d, np.zeros(64, dtype=bool)) is None


def test_no_region_is_reported_where_failures_are_noise():
    # failures drawn independently of every assumption: a box the tree finds by chance must
    # not be reported as a region (a permutation test at the 5% level, over 20 seeds)
    false = 0
    for seed in range(20):
        d = sa.design(box(6, 0.0, 1.0), 200, method="lhs", seed=seed)
        holds = np.random.default_rng(seed).random(200) < 0.7
        false += sa.failure_region(d, holds) is not None
    assert false <= 3          # at the 5% level, 1 of 20 expected


def test_a_latin_hypercube_ranks_assumptions_by_rank_correlation_with_intervals():
    # y = 3 x1 - x3 + noise over 30 assumptions and 128 worlds: x1 first with an interval
    # clear of 0, x3 next with a negative correlation, and a null assumption not clear
    d = sa.design(box(30, 0.0, 1.0), 128, method="lhs", seed=4)
    noise = np.random.default_rng(4).normal(0, 0.3, d.worlds)
    ranked = sa.indices(d, 3 * d.values[:, 0] - d.values[:, 2] + noise)
    assert [i.key for i in ranked[:2]] == ["x1", "x3"]
    assert ranked[0].clear and ranked[0].rank_corr > 0.8 and ranked[1].rank_corr < 0
    null = next(i for i in ranked if i.key == "x30")
    assert not null.clear and math.isfinite(null.first)
