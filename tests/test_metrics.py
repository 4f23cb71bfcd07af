"""Outcome metrics against closed forms and hand counts: virality, forest, R, audience decay."""

import networkx as nx
import numpy as np
import pytest

from sim import Layer, load_config, simulate
from sim.engine.brand import AUDIENCE_WINDOW
from sim.outputs.metrics import (
    audience_decay,
    forest,
    node_depth,
    post_audience,
    reproduction_number,
    structural_virality,
)
from sim.world.population import single_layer_world


@pytest.mark.parametrize("n", [2, 3, 10, 101])
def test_star_structural_virality(n):
    parent = np.r_[-1, np.zeros(n - 1, dtype=np.int64)]
    assert structural_virality(parent) == pytest.approx(2 * (n - 1) / n)


@pytest.mark.parametrize("n", [2, 3, 10, 101])
def test_path_structural_virality(n):
    parent = np.arange(-1, n - 1)
    assert structural_virality(parent) == pytest.approx((n + 1) / 3)


def test_random_tree_matches_networkx_mean_distance():
    rng = np.random.default_rng(3)
    n = 300
    parent = np.r_[-1, [rng.integers(0, i) for i in range(1, n)]]
    # shuffle labels so that parents do not always come first
    perm = rng.permutation(n)
    inv = np.argsort(perm)
    shuffled = np.full(n, -1)
    shuffled[perm[1:]] = perm[parent[1:]]
    g = nx.Graph([(i, int(shuffled[i])) for i in range(n) if shuffled[i] >= 0])
    expected = nx.average_shortest_path_length(g)
    assert structural_virality(shuffled) == pytest.approx(expected)
    assert inv.size == n


def test_single_node_tree_has_zero_virality():
    assert structural_virality(np.array([-1])) == 0.0


def test_node_depth_on_path_and_forest():
    assert node_depth(np.array([-1, 0, 1, 2])).tolist() == [0, 1, 2, 3]
    assert node_depth(np.array([-1, -1, 0, 1, 2])).tolist() == [0, 0, 1, 1, 2]


def test_forest_links_activations_of_the_same_post():
    # post 0: 5 -> 6 -> 7 ; post 1: 6 -> 5 (agent ids reused across posts)
    agent = np.array([5, 6, 7, 6, 5])
    post = np.array([0, 0, 0, 1, 1])
    parent = np.array([-1, 5, 6, -1, 6])
    parent_row, root = forest(agent, post, parent, n_agents=10)
    assert parent_row.tolist() == [-1, 0, 1, -1, 3]
    assert root.tolist() == [0, 0, 0, 3, 3]


def test_reproduction_number_of_a_hand_built_cascade():
    # share 0 (a seed, step 0) causes 1, 2 (step 1) and 3 (step 2); 1 causes 4 (step 2);
    # 4 causes 5 (step 3); 5 causes 6 at the last step (4); 7 is a second root (step 3).
    parent_row = np.array([-1, 0, 0, 0, 1, 4, 5, -1])
    step = np.array([0, 1, 1, 2, 2, 3, 4, 3])
    # the first generation is 1, 2, 3 (children of the seed); they caused 1 + 0 + 0 shares
    assert reproduction_number(parent_row, step, complete_by=3) == pytest.approx(1 / 3)
    # share 3 (step 2) has not had time for children when the run stops at step 2
    assert reproduction_number(parent_row, step, complete_by=1) == pytest.approx(1 / 2)
    # one layer's sharers: of the first generation only 1 shared there
    on = np.array([True, True, False, False, True, True, True, False])
    assert reproduction_number(parent_row, step, 3, sharers=on) == pytest.approx(1.0)
    assert reproduction_number(parent_row, step, complete_by=0) == 0.0


def test_reproduction_number_is_not_bounded_by_one_on_a_finished_cascade():
    # a seed whose 2 followers each convince 3 people, who convince no one: the cascade is
    # over, and its mean children per share is (9 - 1) / 9 < 1, but its R is 3
    parent_row = np.array([-1, 0, 0, 1, 1, 1, 2, 2, 2])
    step = np.array([0, 1, 1, 2, 2, 2, 2, 2, 2])
    assert reproduction_number(parent_row, step, complete_by=10) == pytest.approx(3.0)


def test_reproduction_number_exceeds_one_on_a_growing_cascade():
    # p = 1 on a binary tree: every share but the seed's causes two more (the seed's: up to
    # three). Stopped after 3 steps, while the cascade still grows.
    graph = nx.balanced_tree(2, 7)
    layer = Layer.from_networkx("graph", graph)
    world = single_layer_world(layer)
    config = load_config(["experiment=independent_cascade", "p=1", "seeds=1", "steps=3",
                          "seed=2", "output.write_trace=false"])
    result = simulate(config, world=world)
    acts = result.activations
    seed = int(acts.loc[acts["parent"] < 0, "agent"].item())
    hops = nx.single_source_shortest_path_length(graph, seed, cutoff=3)
    size = np.bincount(list(hops.values()), minlength=4)          # people per generation
    # the first generation (size[1] people) is complete and caused size[2] shares
    expected = size[2] / size[1]
    s = result.summary
    assert s["reproduction_number"] == pytest.approx(expected)
    assert s["reproduction_number"] > 1
    assert s["reproduction_number_graph"] == s["reproduction_number"]
    # the former measure, non-seed activations over all activations, could not exceed 1
    assert (acts["parent"] >= 0).mean() < 1


def _decay(fatigue: float, replicates: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """audience_decay, and the decay of audiences taken at the horizon, per replicate.

    Loyalty growth is off: with it, earlier posts make later ones spread further (C11), a
    real trend; with it and fatigue off, nothing links one post's audience to another's.
    The horizon (day 50) leaves the last two posts (days 40, 45) under the window.
    """
    window, at_end = [], []
    for r in range(replicates):
        result = simulate(load_config([
            "n=2000", "p=0.25", "steps=50", "loyalty.growth=0", f"share.fatigue={fatigue}",
            f"replicate={r}", "output.write_trace=false"]))
        window.append(result.summary["audience_decay"])
        at_end.append(audience_decay(post_audience(result.model)))
        posts = result.posts
        young = posts["step"] + AUDIENCE_WINDOW > 50
        assert young.sum() == 2 and (posts.loc[young, "audience_at_window"] == -1).all()
        assert (posts.loc[~young, "audience_at_window"] > 0).all()
    return np.array(window), np.array(at_end)


def test_audience_decay_is_zero_without_fatigue_and_positive_with_it():
    off, off_at_end = _decay(0.0)
    on, _ = _decay(3.0)
    assert on.mean() > 0.4
    # without fatigue no post wears the audience out: the decay is within noise of 0
    sem = off.std(ddof=1) / np.sqrt(off.size)
    assert abs(off.mean()) < max(3 * sem, 0.1 * on.mean())
    assert abs(off.mean()) < 0.1 * on.mean()
    # audiences taken at the horizon cut the last posts short: a decay that is not there
    assert off_at_end.mean() > 0.25
