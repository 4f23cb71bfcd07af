"""Prices in EUR: audience-priced placements, tiers, production, perks, upkeep, money outcomes."""

import networkx as nx
import numpy as np
import pytest

from sim import load_config, simulate
from sim.config import BudgetConfig, StrategyConfig, Variant
from sim.strategies import (
    TIERS,
    affordable,
    layer_price,
    placement_price,
    production_cost,
    tier_of,
)
from sim.world.layer import Layer

SMALL = ["n=3000", "output.write_trace=false", "output.chart=false", "output.progress=false"]
#: A viral share rule (the one before calibration), so that many people share: incentive
#: pools get spent and owned channels fill up.
VIRAL = ["p=0.15", "share.fit=3"]


def _seed_rows(result):
    """The seed placements of brand posts: (agent, layer name) rows of the activations."""
    acts = result.activations
    return acts[(acts["parent"] < 0) & (acts["post"] < result.model.n_posts)]


# -- the price of a placement -----------------------------------------------------------

@pytest.mark.parametrize("layer_name", ["personal", "professional", "graph"])
def test_placement_price_is_base_plus_cpm_per_thousand_followers(layer_name):
    # a star with 4 leaves plus a separate edge: degrees 4, 1, 1, 1, 1, 1, 1
    g = nx.star_graph(4)
    g.add_edge(5, 6)
    layer = Layer.from_networkx(layer_name, g)
    budget = BudgetConfig()
    price = layer_price(budget, layer_name)
    expected_cfg = budget.professional if layer_name == "professional" else budget.personal
    got = placement_price(price, layer.degree())
    hand = np.array([4, 1, 1, 1, 1, 1, 1])
    assert layer.degree().tolist() == hand.tolist()
    assert got == pytest.approx(expected_cfg.base + expected_cfg.cpm * hand / 1000)
    assert got[0] - got[1] == pytest.approx(3 * expected_cfg.cpm / 1000)


def test_professional_audiences_cost_more_per_thousand():
    budget = BudgetConfig()
    assert budget.professional.cpm > budget.personal.cpm > 0


def test_tiers_follow_the_published_follower_thresholds():
    followers = [0, 999, 1_000, 9_999, 10_000, 49_999, 50_000, 499_999, 500_000, 999_999,
                 1_000_000, 5_000_000]
    assert [TIERS[t] for t in tier_of(followers)] == [
        "regular", "regular", "nano", "nano", "micro", "micro", "mid", "mid", "macro", "macro",
        "mega", "mega"]


def test_a_run_pays_each_placement_the_formula_of_its_seeds_degree():
    result = simulate(load_config([*SMALL, "strategy=influencers"]))
    model, s = result.model, result.summary
    seeds = _seed_rows(result)
    paid = 0.0
    for k, layer in enumerate(model.world.layers):
        on = (seeds["layer"] == layer.name).to_numpy()
        degree = layer.degree()[seeds["agent"].to_numpy()[on]]
        paid += placement_price(model._price_cfg[k], degree).sum()
    assert s["spent_placements"] == pytest.approx(paid)
    assert s["spent_placements"] == pytest.approx(
        sum(s[f"spent_placements_{t}"] for t in TIERS))


# -- seeding at a price -----------------------------------------------------------------

def test_at_equal_budget_degree_seeding_buys_fewer_placements_than_random():
    runs = {policy: simulate(load_config([*SMALL, f"strategy.seeding={policy}"]))
            for policy in ("degree", "random")}
    placements = {p: len(_seed_rows(r)) for p, r in runs.items()}
    assert 0 < placements["degree"] < placements["random"]
    for r in runs.values():
        assert r.summary["spent"] <= r.summary["budget_total"] + 1e-9
    # the same world: same members, same graphs
    a, b = (r.model.world for r in runs.values())
    assert all(np.array_equal(x.indices, y.indices) for x, y in zip(a.layers, b.layers,
                                                                        strict=True))


def test_affordable_stops_at_the_first_member_it_cannot_pay():
    assert affordable(np.array([5.0, 5.0, 1.0]), 9.0) == 1     # not 2: order is kept
    assert affordable(np.array([5.0, 4.0]), 9.0) == 2
    assert affordable(np.empty(0), 9.0) == 0


def test_ambassadors_are_paid_a_perk_instead_of_their_audience():
    result = simulate(load_config([*SMALL, "strategy=ambassadors"]))
    s, budget = result.summary, result.model.config.budget
    assert s["spent_placements"] == 0
    assert s["spent_incentives"] == pytest.approx(len(_seed_rows(result)) * budget.ambassador)


# -- production -------------------------------------------------------------------------

def test_adapted_content_pays_one_variant_per_platform():
    budget = BudgetConfig()
    both = ("personal", "professional")
    generic = production_cost(budget, StrategyConfig(adapted=False), both)
    adapted = production_cost(budget, StrategyConfig(adapted=True), both)

    def one(v: Variant) -> float:
        return budget.post_base + budget.post_premium * (v.entertainment + v.insight)

    s = StrategyConfig()
    assert generic == pytest.approx(one(s.generic))
    assert adapted == pytest.approx(one(s.personal) + one(s.professional))
    # on a single layer, adapted content has one platform: one variant
    assert production_cost(budget, StrategyConfig(adapted=True), ("personal",)) == \
        pytest.approx(one(s.personal))


def test_better_content_costs_more_to_produce():
    budget = BudgetConfig()
    plain = StrategyConfig(generic=Variant(entertainment=0.3, insight=0.3))
    excellent = StrategyConfig(generic=Variant(entertainment=0.9, insight=0.9))
    assert production_cost(budget, excellent, ("personal",)) > \
        production_cost(budget, plain, ("personal",))


def test_a_run_pays_production_for_every_post_published():
    result = simulate(load_config([*SMALL, "strategy=adapted"]))
    s, ledger = result.summary, result.model.ledger
    assert s["spent_posts"] == pytest.approx(s["posts_published"] * ledger.post_cost)


# -- money outcomes ---------------------------------------------------------------------

@pytest.mark.parametrize("strategy", ["broadcast", "brand_centric", "incentives",
                                      "ambassadors"])
def test_money_outcomes_add_up(strategy):
    result = simulate(load_config([*SMALL, f"strategy={strategy}"]))
    s = result.summary
    parts = s["spent_posts"] + s["spent_placements"] + s["spent_incentives"] + s["spent_owned"]
    assert s["spent"] == pytest.approx(parts)
    assert s["spent"] <= s["budget_total"] + 1e-9
    assert s["cost_per_reached"] == pytest.approx(s["spent"] / s["reached"])
    assert s["cost_per_engaged"] == pytest.approx(s["spent"] / s["engaged"])
    if s["owned_members"]:
        assert s["cost_per_owned_member"] == pytest.approx(s["spent"] / s["owned_members"])
        assert s["spent_owned"] > 0
    else:
        assert s["cost_per_owned_member"] is None and s["spent_owned"] == 0
    ts = result.timeseries
    spent = ts.groupby("step")["spent"].first().to_numpy()
    assert np.all(np.diff(spent) >= 0) and spent[-1] == pytest.approx(s["spent"])


def test_an_owned_channel_the_budget_cannot_keep_closes_without_overspending():
    # 100 EUR per member and 30 days: the upkeep outgrows the budget mid-campaign
    result = simulate(load_config([*SMALL, *VIRAL, "strategy=brand_centric",
                                      "budget.owned=100"]))
    s, ledger = result.summary, result.model.ledger
    assert s["owned_members"] > 0 and not ledger.owned_open
    assert s["spent"] <= s["budget_total"] + 1e-9
    owned = result.timeseries[result.timeseries["layer"] == "owned"]
    after = owned["step"] > ledger.owned_closed_step
    assert owned.loc[~after, "sent"].sum() > 0            # it delivered while open
    assert owned.loc[after, "sent"].sum() == 0            # and nothing once closed


# -- incentive pacing -------------------------------------------------------------------

def test_the_incentive_pool_lasts_past_the_first_post():
    config = load_config([*SMALL, *VIRAL, "strategy=incentives"])
    first = simulate(load_config([*SMALL, *VIRAL, "strategy=incentives",
                                  f"steps={config.strategy.interval - 1}"])).summary
    whole = simulate(config)
    pool = config.budget.total * config.strategy.incentive_budget
    per_post = pool / config.strategy.posts
    assert 0 < first["spent_incentives"] <= per_post + 1e-9        # one post's part only
    assert whole.summary["spent_incentives"] > 2 * per_post        # paid over later posts
    last_post = int(whole.model.post_step[-1])
    dry = whole.summary["incentive_pool_dry_step"]
    assert dry is None or dry >= last_post


def test_a_hub_with_a_thousand_followers_is_paid_as_a_nano_influencer(tmp_path):
    # a star of 1,200 leaves: the hub is in the nano tier (1,000-10,000 followers)
    path = tmp_path / "star.txt"
    path.write_text("".join(f"0 {i}\n" for i in range(1, 1201)))
    result = simulate(load_config([*SMALL, f"graph={path}", "strategy=influencers",
                                   "steps=12"]))
    s, price = result.summary, result.model.config.budget.personal
    hub = price.base + price.cpm * 1200 / 1000
    # influencers buy the hub first for every post published
    assert s["spent_placements_nano"] == pytest.approx(s["posts_published"] * hub)
    assert s["spent_placements_regular"] == pytest.approx(
        s["spent_placements"] - s["spent_placements_nano"])
    assert s["spent_placements_micro"] == 0
