"""Stylised-fact metrics on hand-built forests, in a default run, and the targets file."""

import math
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import yaml

from sim import load_config, simulate
from sim.outputs.facts import (
    cascade_facts,
    forest_root,
    layer_facts,
    platform_facts,
    subtree_sizes,
    tree_virality,
)
from sim.outputs.metrics import forest, structural_virality

TARGETS = Path(__file__).resolve().parents[1] / "conf" / "calibration" / "targets.yaml"
STAR4 = [-1, 0, 0, 0]
CHAIN3 = [-1, 0, 1]


def test_subtree_sizes_and_roots_of_a_forest():
    # star of 4 (rows 0-3), then a chain of 3 (rows 4-6), then a lone root (row 7)
    parent = np.array(STAR4 + [-1, 4, 5] + [-1])
    assert subtree_sizes(parent).tolist() == [4, 1, 1, 1, 3, 2, 1, 1]
    assert forest_root(parent).tolist() == [0, 0, 0, 0, 4, 4, 4, 7]


def test_tree_virality_of_star_chain_and_single_node():
    parent = np.array(STAR4 + [-1, 4, 5] + [-1])
    size, height, virality = tree_virality(parent)
    roots = [0, 4, 7]
    assert size[roots].tolist() == [4, 3, 1]
    assert height[roots].tolist() == [1, 2, 0]
    assert virality[roots] == pytest.approx([1.5, 4 / 3, 0.0])


def test_tree_virality_matches_single_tree_function_and_networkx():
    rng = np.random.default_rng(7)
    trees, offset, parent = [], 0, []
    for n in (2, 5, 40, 120):
        local = np.r_[-1, [rng.integers(0, i) for i in range(1, n)]]
        parent.extend(np.where(local >= 0, local + offset, -1))
        trees.append((offset, local))
        offset += n
    parent = np.array(parent)
    perm = rng.permutation(parent.size)          # rows in any order, parents not first
    inv = np.argsort(perm)
    shuffled = np.where(parent[perm] >= 0, inv[np.maximum(parent[perm], 0)], -1)
    _, _, virality = tree_virality(shuffled)
    for start, local in trees:
        g = nx.Graph([(i, int(p)) for i, p in enumerate(local) if p >= 0])
        expected = nx.average_shortest_path_length(g)
        assert structural_virality(local) == pytest.approx(expected)
        assert virality[inv[start]] == pytest.approx(expected)


def test_cascade_facts_on_two_posts_and_an_owned_reader():
    # post 0: seed 5 -> 6 -> 7 (a chain of 3); post 1: seed 5 shared by 6 and 8 (a star of
    # 3); post 2: seed 9, nobody reshared; post 2: owned-channel reader 4 shared by 3 (not a
    # placement, so not a cascade)
    agent = np.array([5, 6, 7, 5, 6, 8, 9, 4, 3])
    post = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2])
    parent = np.array([-1, 5, 6, -1, 5, 5, -1, -1, 4])
    placement = np.array([1, 0, 0, 1, 0, 0, 1, 0, 0], dtype=bool)
    parent_row, root = forest(agent, post, parent, n_agents=10)
    out = cascade_facts(parent_row, placement, root)
    assert out["cascades"] == 3
    assert out["cascade_unshared_fraction"] == pytest.approx(1 / 3)
    assert out["cascade_shallow_fraction"] == pytest.approx(2 / 3)   # the chain goes deeper
    assert out["cascade_size_mean"] == pytest.approx((3 + 3 + 1) / 3)
    assert out["cascade_size_10_fraction"] == 0.0
    assert out["cascade_size_100_fraction"] == 0.0
    assert out["structural_virality_large"] is None


def test_cascade_facts_of_large_cascades():
    # a star of 100 and a chain of 150 (both large), and a lone seed
    star = [-1] + [0] * 99
    chain = [-1] + list(range(100, 249))
    parent = np.array(star + chain + [-1])
    placement = parent < 0
    out = cascade_facts(parent, placement)
    assert out["cascade_size_100_fraction"] == pytest.approx(2 / 3)
    assert out["cascade_size_10_fraction"] == pytest.approx(2 / 3)
    assert out["cascade_unshared_fraction"] == pytest.approx(1 / 3)
    assert out["cascade_shallow_fraction"] == pytest.approx(2 / 3)
    # median of the star's 2 * 99 / 100 and the chain's (150 + 1) / 3
    assert out["structural_virality_large"] == pytest.approx((1.98 + 151 / 3) / 2)


def test_cascade_facts_without_placements_are_null():
    out = cascade_facts(np.array([-1, 0]), np.zeros(2, dtype=bool))
    assert out["cascades"] == 0
    assert all(v is None for k, v in out.items() if k != "cascades")


def test_layer_facts_rates_and_ratio():
    out = layer_facts(("personal", "professional"), seen=np.array([200, 50]),
                      sent=np.array([400, 100]), organic=np.array([10, 4]))
    assert out["engagement_rate_personal"] == pytest.approx(0.05)
    assert out["engagement_rate_professional"] == pytest.approx(0.08)
    assert out["engagement_ratio"] == pytest.approx(1.6)
    assert out["feed_reach_personal"] == pytest.approx(0.5)
    empty = layer_facts(("personal", "professional"), seen=np.array([0, 0]),
                        sent=np.array([0, 0]), organic=np.array([0, 0]))
    assert empty["engagement_rate_personal"] is None
    assert empty["feed_reach_professional"] is None
    assert empty["engagement_ratio"] is None


def test_platform_facts_from_the_layers_settings():
    cfg = load_config(["network.personal.p_goal=0.2", "network.professional.p_goal=0.6",
                       "network.professional.receptivity=1.5"])
    out = platform_facts(cfg, {"personal": 900, "professional": 300})
    assert out["membership_ratio"] == pytest.approx(1 / 3)
    assert out["goal_ratio"] == pytest.approx(3.0)
    assert out["leisure_ratio"] == pytest.approx(0.8 / 0.4)
    assert out["receptivity_ratio"] == pytest.approx(1.5)
    assert all(v is None for v in platform_facts(cfg, {"personal": 900}).values())


FACT_KEYS = ("cascades", "cascade_unshared_fraction", "cascade_shallow_fraction",
             "cascade_size_mean", "cascade_size_10_fraction", "cascade_size_100_fraction",
             "structural_virality_large", "engagement_rate_personal",
             "engagement_rate_professional", "feed_reach_personal", "feed_reach_professional",
             "engagement_ratio", "membership_ratio", "goal_ratio", "leisure_ratio",
             "receptivity_ratio")


@pytest.fixture(scope="module")
def default_summary():
    return simulate(load_config(["n=2000", "output.write_trace=false", "output.chart=false",
                                 "output.progress=false"])).summary


def test_facts_in_a_default_run_summary(default_summary):
    s = default_summary
    for key in FACT_KEYS:
        assert key in s, key
        value = s[key]
        assert value is None or math.isfinite(value), key
    assert s["cascades"] > 0
    assert s["structural_virality_large"] is None or s["cascade_size_100_fraction"] > 0
    for key in FACT_KEYS[1:]:
        if key != "structural_virality_large":
            assert s[key] is not None, key
    assert 0 <= s["cascade_unshared_fraction"] <= s["cascade_shallow_fraction"] <= 1
    assert s["cascade_size_mean"] >= 1
    assert s["goal_ratio"] == pytest.approx(3.0)
    assert s["receptivity_ratio"] == pytest.approx(1.26)
    # membership 0.9 and 0.3 drawn per agent: the ratio is near 1/3
    assert s["membership_ratio"] == pytest.approx(1 / 3, abs=0.05)


def test_reduction_mode_has_cascade_facts_only():
    s = simulate(load_config(["mode=independent_cascade", "n=500", "p=0.3", "seeds=5",
                              "output.write_trace=false", "output.progress=false"])).summary
    assert s["cascades"] == 5
    assert s["cascade_size_mean"] >= 1
    assert "engagement_ratio" not in s


def test_targets_file_is_valid(default_summary):
    data = yaml.safe_load(TARGETS.read_text())
    targets = data["targets"]
    assert targets
    names = [t["name"] for t in targets]
    assert len(set(names)) == len(names)
    for t in targets:
        assert set(t) >= {"name", "metric", "value", "sd", "tolerance_source", "weight",
                          "figure", "source", "measured"}, t["name"]
        assert t["metric"] in default_summary, t["metric"]
        assert float(t["sd"]) > 0, t["name"]
        assert float(t["weight"]) > 0, t["name"]
        assert math.isfinite(float(t["value"])), t["name"]
        for key in ("source", "figure", "measured", "tolerance_source"):
            assert isinstance(t[key], str) and len(t[key].split()) >= 3, (t["name"], key)
