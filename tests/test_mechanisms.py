"""Each marketing mechanism (C1-C15) on tiny arrays, and its place in the step."""

import dataclasses

import networkx as nx
import numpy as np
import pytest

from sim import Layer, load_config, simulate
from sim.config import (
    AuthenticityConfig,
    BudgetConfig,
    Cadence,
    ConfigError,
    LoyaltyConfig,
    Seeding,
    ShareConfig,
    StrategyConfig,
)
from sim.engine.brand import BrandModel
from sim.engine.reference import reference_share_probability
from sim.mechanisms.content import (
    ACTIVATION,
    content_table,
    fit,
    resonance,
    resonance_table,
)
from sim.mechanisms.feed import sort_feed
from sim.mechanisms.incentives import offered, reward_price, rewarded_shares
from sim.mechanisms.loyalty import detect, update_loyalty
from sim.mechanisms.owned import join_owned, owned_readers
from sim.mechanisms.share import share_probability
from sim.rng import Draws
from sim.strategies import (
    Ledger,
    Listener,
    affordable,
    choose_seeds,
    k_core_numbers,
    make_ledger,
    post_steps,
)

ZERO = ShareConfig(fit=0, emotion=0, loyalty=0, incentive=0, social=0, fatigue=0)


def probability(coef=ZERO, k=1, **over):
    args = dict(receptivity=np.ones(k), fit=np.full(k, 0.5), resonance=np.full(k, 0.5),
                loyalty=np.full(k, 0.5), incentive=np.zeros(k), contacts=np.ones(k),
                fatigue=np.zeros(k))
    args.update({key: np.broadcast_to(np.asarray(v, float), k) for key, v in over.items()})
    return share_probability(0.1, coef, **args)


# -- content, fit and resonance (C1, C2, C4, C5) ------------------------------------------

def test_fit_is_insight_in_goal_sessions_and_entertainment_in_leisure():
    table = content_table(StrategyConfig(adapted=True), ("personal", "professional", "owned"))
    post = np.zeros(4, dtype=np.int64)
    channel = np.array([0, 0, 1, 1])
    goal = np.array([False, True, False, True])
    s = StrategyConfig()
    expected = [s.personal.entertainment, s.personal.insight,
                s.professional.entertainment, s.professional.insight]
    assert fit(table, post, channel, goal).tolist() == expected


def test_generic_content_is_the_same_variant_everywhere():
    table = content_table(StrategyConfig(adapted=False), ("personal", "professional"))
    assert np.all(table.entertainment == StrategyConfig().generic.entertainment)
    assert np.all(table.tone[:, 0] == table.tone[:, 1])


def test_resonance_weights_tone_by_the_drivers_the_mindset_activates():
    drivers = np.array([[0.7, 0.1, 0.1, 0.1], [0.7, 0.1, 0.1, 0.1]])
    ambition_tone = np.array([[0.0, 1.0, 1.0, 1.0]] * 2)
    leisure, goal = resonance(drivers, ambition_tone, np.array([False, True]))
    # by hand: sum a*w*tau / sum a*w
    a0, a1 = ACTIVATION
    assert leisure == pytest.approx((a0 * drivers[0] * ambition_tone[0]).sum()
                                    / (a0 * drivers[0]).sum())
    assert goal == pytest.approx((a1 * drivers[0] * ambition_tone[0]).sum()
                                 / (a1 * drivers[0]).sum())
    assert goal > leisure          # goal sessions resonate with ambition/security/achievement
    fun, = resonance(drivers[:1], np.array([[1.0, 0, 0, 0]]), np.array([False]))
    assert fun > leisure           # leisure sessions resonate with fun
    assert 0 <= leisure <= 1 and 0 <= goal <= 1


def test_the_resonance_table_is_resonance_bit_for_bit():
    rng = np.random.default_rng(7)
    n = 50_000
    drivers = rng.dirichlet(np.ones(4), size=n) * rng.uniform(0.1, 3.0, size=(n, 1))
    drivers[:3] = 0.0                       # no driver at all: the 1e-12 floor
    tones = np.vstack([rng.random((5, 4)), np.zeros(4), np.ones(4)])
    table = resonance_table(drivers, tones)
    assert table.shape == (len(tones), 2, n)
    for t, tone in enumerate(tones):
        for m in (0, 1):
            expected = resonance(drivers, np.broadcast_to(tone, (n, 4)), np.full(n, bool(m)))
            assert np.array_equal(table[t, m], expected), (t, m)


# -- the share rule (C3, C6, C7) ------------------------------------------------------------

def test_share_rule_reduces_to_base_probability_with_every_effect_off():
    assert probability(k=3) == pytest.approx([0.1] * 3)
    rng = np.random.default_rng(0)
    p = probability(k=50, fit=rng.random(50), resonance=rng.random(50),
                    loyalty=rng.random(50), incentive=rng.random(50),
                    contacts=rng.integers(1, 9, 50), fatigue=rng.integers(0, 9, 50))
    assert np.allclose(p, 0.1)


@pytest.mark.parametrize("term, low, high, sign", [
    ("fit", 0.2, 0.9, +1), ("resonance", 0.1, 0.8, +1), ("loyalty", 0.1, 0.9, +1),
    ("incentive", 0.0, 1.0, +1), ("contacts", 1, 5, +1), ("fatigue", 0, 10, -1),
])
def test_each_term_moves_the_probability_its_way(term, low, high, sign):
    coef = ShareConfig()
    lo, hi = probability(coef, **{term: low}), probability(coef, **{term: high})
    assert np.sign(hi - lo)[0] == sign


def test_receptivity_scales_and_caps_at_one():
    coef = ShareConfig()
    base = probability(coef)
    assert probability(coef, receptivity=1.26) == pytest.approx(1.26 * base)
    assert probability(coef, receptivity=10.0, fit=1.0, resonance=1.0, loyalty=1.0,
                       incentive=1.0) == 1.0


def test_complex_contagion_needs_enough_sharing_contacts():
    coef = dataclasses.replace(ShareConfig(), threshold=3)
    assert probability(coef, contacts=2)[0] == 0.0
    assert probability(coef, contacts=3)[0] > 0.0


def test_vectorised_share_rule_matches_the_per_agent_reference():
    rng = np.random.default_rng(42)
    coef = ShareConfig(threshold=2)
    k = 200
    drivers = rng.dirichlet(np.ones(4), size=k)
    tone = rng.random((k, 4))
    goal = rng.random(k) < 0.5
    ent, ins = rng.random(k), rng.random(k)
    loyalty, incentive = rng.random(k), rng.random(k)
    contacts, fatigue = rng.integers(1, 6, k), rng.integers(0, 20, k)
    receptivity = np.where(rng.random(k) < 0.5, 1.0, 1.26)
    p = share_probability(0.07, coef, receptivity=receptivity,
                          fit=np.where(goal, ins, ent), resonance=resonance(drivers, tone, goal),
                          loyalty=loyalty, incentive=incentive, contacts=contacts,
                          fatigue=fatigue)
    expected = [reference_share_probability(
        p0=0.07, coef=coef, receptivity=receptivity[i], goal=bool(goal[i]),
        entertainment=ent[i], insight=ins[i], drivers=drivers[i], tone=tone[i],
        loyalty=loyalty[i], incentive=incentive[i], contacts=int(contacts[i]),
        fatigue=int(fatigue[i])) for i in range(k)]
    assert np.allclose(p, expected, rtol=1e-12, atol=1e-15)


# -- loyalty, detection, backlash (C10, C11, C12) ---------------------------------------

def test_loyalty_grows_with_saturation_and_drifts_back_without_engagement():
    cfg = LoyaltyConfig(growth=0.5, decay=0.1, spacing=0.0)
    loyalty = np.array([0.2, 0.2, 0.9, 0.5])
    baseline = np.array([0.2, 0.2, 0.2, 0.5])
    last = np.full(4, -10**6)
    update_loyalty(loyalty, baseline, last, 1, engaged=np.array([0, 0, 0]),
                   quality=np.array([0.4, 1.0, 0.2]), sharers=np.array([], dtype=np.int64),
                   negative=np.array([], dtype=np.int64), cfg=cfg, auth=AuthenticityConfig())
    # agent 0: one gain per step with its best quality 1.0: 0.2 + 0.5 * 1.0 * 0.8
    assert loyalty[0] == pytest.approx(0.6)
    # agent 2 drifts back towards its baseline 0.2; agent 3 sits at its baseline
    assert loyalty[2] == pytest.approx(0.2 + 0.7 * 0.9)
    assert loyalty[3] == 0.5 and loyalty[1] == 0.2
    assert last.tolist()[:1] == [1]


def test_spacing_makes_consecutive_engagements_worth_less():
    cfg = LoyaltyConfig(growth=0.5, decay=0.0, spacing=5.0)
    empty = np.array([], dtype=np.int64)
    gains = []
    for gap in (1, 5, 20):
        loyalty, last = np.array([0.2]), np.array([10 - gap])
        update_loyalty(loyalty, loyalty.copy(), last, 10, empty, np.array([]), np.array([0]),
                       empty, cfg, AuthenticityConfig())
        gains.append(loyalty[0] - 0.2)
    assert gains[0] < gains[1] < gains[2] <= 0.5 * 0.8


def test_negative_word_of_mouth_cuts_loyalty_per_exposure():
    loyalty = np.array([0.5, 0.5])
    empty = np.array([], dtype=np.int64)
    update_loyalty(loyalty, loyalty.copy(), np.full(2, -10**6), 1, empty, np.array([]), empty,
                   np.array([0, 0]), LoyaltyConfig(decay=0.0), AuthenticityConfig(wom_cut=0.1))
    assert loyalty[0] == pytest.approx(0.5 * 0.9 ** 2) and loyalty[1] == 0.5


def test_detection_only_for_inauthentic_content_and_makes_detractors():
    rng = np.random.default_rng(0)
    auth = AuthenticityConfig(detection=1.0, cut=0.5)
    cfg = LoyaltyConfig(detractor=0.2)
    loyalty = np.array([0.3, 0.6, 0.3])
    child, layer = np.array([0, 1, 2]), np.array([1, 0, 0])
    agents, layers = detect(loyalty.copy(), child, layer, np.ones(3), auth, cfg,
                            np.zeros(3, bool), uniforms=Draws([rng], 3))
    assert agents.size == 0                          # authentic content is never "detected"
    agents, layers = detect(loyalty, child, layer, np.array([0.0, 0.0, 1.0]), auth, cfg,
                            np.zeros(3, bool), uniforms=Draws([rng], 3))
    assert loyalty.tolist() == [0.15, 0.3, 0.3]      # agents 0 and 1 lose half
    assert agents.tolist() == [0] and layers.tolist() == [1]   # only 0 falls below 0.2


# -- strategy: schedule, budget, seeding, listening (C7, C9, C11) -----------------------

def test_regular_and_bursty_schedules_have_the_same_posts():
    regular = post_steps(StrategyConfig(posts=10, interval=5))
    bursty = post_steps(StrategyConfig(posts=10, interval=5, burst=5, cadence=Cadence.bursty))
    assert regular.tolist() == list(range(0, 50, 5))
    assert bursty.tolist() == [0, 1, 2, 3, 4, 25, 26, 27, 28, 29]


@pytest.mark.parametrize("money", [0.0, 5.0, 10.0, 10.5, 37.0, 1e6])
def test_placements_are_bought_in_order_while_the_next_is_affordable(money):
    prices = np.array([10.0, 0.5, 7.0, 3.0, 20.0])
    n = affordable(prices, money)
    assert prices[:n].sum() <= money + 1e-9
    assert n == prices.size or prices[:n + 1].sum() > money    # the next one is not affordable


def test_ledger_refuses_to_overspend_and_budget_must_buy_the_posts():
    ledger = Ledger(total=10.0, post_cost=1.0, placement_pool=5.0, incentive_pool=1.0,
                    n_posts=2)
    ledger.spend("posts", 9.0)
    with pytest.raises(RuntimeError, match="budget exceeded"):
        ledger.spend("placements", 2.0)
    ledger.release(1)                                    # half the pool after the first post
    assert ledger.affordable_rewards(0.3, 10) == 1
    ledger.release(2)
    assert ledger.affordable_rewards(0.3, 10) == 3
    with pytest.raises(ConfigError, match="budget.total"):
        make_ledger(BudgetConfig(total=20), StrategyConfig(posts=10), ("personal",))


@pytest.fixture(scope="module")
def star_of_cliques():
    g = nx.complete_graph(6)                              # a 5-core
    g.add_edges_from((0, i) for i in range(6, 30))        # node 0 is the hub
    g.add_edges_from((i, i + 1) for i in range(30, 39))   # a path: the 1-core
    g.add_edge(39, 5)
    groups = np.r_[np.zeros(6), np.ones(24), np.full(10, 2)].astype(np.int64)
    layer = Layer.from_networkx("personal", g)
    return Layer(layer.name, layer.members, layer.indptr, layer.indices, None, groups)


def test_k_core_numbers_match_networkx(star_of_cliques):
    expected = nx.core_number(star_of_cliques.to_networkx())
    core = k_core_numbers(star_of_cliques)
    assert {i: int(core[i]) for i in expected} == expected


@pytest.mark.parametrize("policy", list(Seeding))
def test_seeding_policies(star_of_cliques, policy):
    n = star_of_cliques.n_agents
    loyalty = np.linspace(0, 1, n)
    chosen = choose_seeds(policy, star_of_cliques, 3, rng=np.random.default_rng(1),
                          loyalty=loyalty, shares=np.zeros(n))
    assert chosen.size == 3 and np.unique(chosen).size == 3
    if policy is Seeding.degree:
        assert 0 in chosen                               # the hub
    if policy is Seeding.engagement:
        assert chosen.tolist() == [37, 38, 39]           # the most loyal
    if policy is Seeding.community:
        assert sorted(star_of_cliques.groups[chosen].tolist()) == [0, 1, 2]
    if policy is Seeding.kcore:
        assert set(chosen) <= set(range(6))              # the innermost core
    taken = np.zeros(n, bool)
    taken[chosen] = True
    again = choose_seeds(policy, star_of_cliques, 3, rng=np.random.default_rng(1),
                         loyalty=loyalty, shares=np.zeros(n), taken=taken)
    assert not set(again) & set(chosen)


def test_listening_moves_placements_to_the_layer_that_engages():
    listener = Listener(("personal", "professional"), np.array([10.0, 10.0]),
                        np.array([1.0, 1.0]))
    rng = np.random.default_rng(0)
    to_pro = listener.split(5, 1, np.array([5, 60]), np.array([500, 500]), rng, 0.3)
    to_personal = listener.split(10, 2, np.array([60, 5]), np.array([500, 500]), rng, 0.3)
    assert to_pro > 0.9 and to_personal < 0.1
    assert [d["post"] for d in listener.decisions] == [1, 2]


# -- feed, owned channel, incentives (C7, C8, C15) ----------------------------------------

class Uniforms:
    """A stand-in stream handing out given uniforms, to check a rule against hand values."""

    def __init__(self, *values):
        self.values = list(values)

    def random(self, size):
        assert size == len(self.values), "one uniform per candidate, drawn at once"
        return np.array(self.values)


def test_the_feed_sorts_pending_exposures_into_seen_kept_and_expired():
    # sent at 0, 1, 2, 1, 0; the 4th receiver already shared; now t = 2, ttl = 2
    born = np.array([0, 1, 2, 1, 0])
    shared = np.array([False, False, False, True, False])
    active = np.array([True, False, True, True, False])
    split = sort_feed(born, shared, active, 2, ttl=2)
    assert split.seen.tolist() == [True, False, False, False, False]     # active, sent before
    assert split.kept.tolist() == [False, True, True, False, False]      # waited < ttl
    assert split.expired.tolist() == [False, False, False, False, True]  # waited 2 >= ttl
    assert sort_feed(born, shared, active, 2, ttl=1).expired.tolist() == [
        False, True, False, False, True]


def test_the_owned_channel_delivers_to_members_who_have_not_shared():
    members = np.array([True, True, False, True])
    shared = np.array([False, True, False, False])
    assert owned_readers(members, shared).tolist() == [0, 3]


def test_a_call_to_action_converts_sharers_with_probability_conversion_times_loyalty():
    sharers = np.array([2, 0, 3, 1])
    cta = np.array([True, False, True, True])
    loyalty = np.array([0.9, 0.5, 0.8, 0.2])
    # thresholds 0.5 * L: agent 2 -> 0.4, agent 3 -> 0.1, agent 1 -> 0.25
    joined = join_owned(sharers, cta, loyalty, 0.5, uniforms=Draws([Uniforms(0.3, 0.5, 0.05)], 4))
    assert joined.tolist() == [2, 1]
    # no call to action: nothing is drawn
    assert join_owned(sharers, np.zeros(4, bool), loyalty, 0.5, uniforms=None).size == 0


def test_incentives_are_offered_while_the_pool_pays_and_claimed_by_brand_shares():
    assert reward_price(0.2, 0.5) == pytest.approx(0.1)
    levels = np.array([0.5, 0.5])
    assert offered(levels, 3).tolist() == [0.5, 0.5]
    assert offered(levels, 0).tolist() == [0.0, 0.0]
    # posts 0..2 are brand posts, post 3 the backlash: its relays claim no reward
    assert rewarded_shares(np.array([0, 2, 3, 2]), 3) == 3


# -- the mechanisms inside a run ---------------------------------------------------------

def test_activity_and_mindsets_follow_their_rates():
    config = load_config(["n=20000", "steps=1", "strategy.posts=1"])
    model = BrandModel(config)
    active, goal = model._draw_sessions()
    member = model.world.member
    for k, name in enumerate(model.layer_names):
        spec = getattr(config.network, name)
        assert active[k][member[k]].mean() == pytest.approx(spec.activity, abs=0.02)
        assert not active[k][~member[k]].any()
        assert goal[k][member[k]].mean() == pytest.approx(spec.p_goal, abs=0.02)


def test_owned_channel_members_receive_later_posts_directly():
    config = load_config(["strategy=brand_centric", "n=3000"])
    result = simulate(config)
    owned = result.timeseries[result.timeseries["layer"] == "owned"]
    assert result.summary["owned_members"] > 0
    assert owned["sent"].sum() > 0 and owned["seen"].sum() > 0
    assert (result.trace["layer"] == "owned").any()
    broadcast = simulate(load_config(["n=3000"])).summary
    assert broadcast["owned_members"] == 0


def test_incentives_are_paid_from_their_pool_only():
    config = load_config(["strategy=incentives", "n=3000"])
    s = simulate(config).summary
    assert 0 < s["spent_incentives"] <= config.budget.total * config.strategy.incentive_budget
    assert s["spent"] <= config.budget.total + 1e-9


def test_backlash_is_traced_as_a_cascade_of_detractors():
    result = simulate(load_config(["strategy=promotional", "n=3000"]))
    acts = result.activations
    backlash = acts[acts["post"] == result.model.n_posts]
    assert len(backlash) == result.summary["detractors"] > 0
    assert (backlash["parent"] >= 0).any()       # some detractors were made by others


def test_every_named_strategy_runs():
    from pathlib import Path
    names = [p.stem for p in (Path(__file__).parents[1] / "conf" / "strategy").glob("*.yaml")]
    assert {"broadcast", "adapted", "emotional_pro", "influencers", "ambassadors",
            "brand_centric", "promotional", "listening"} <= set(names)
    for name in names:
        s = simulate(load_config([f"strategy={name}", "n=1500", "steps=30"])).summary
        assert s["spent"] <= s["budget_total"] + 1e-9 and s["reached"] >= s["seeded"] > 0, name
