"""Structural virality and the diffusion forest, against closed forms."""

import networkx as nx
import numpy as np
import pytest

from sim.outputs.metrics import forest, node_depth, structural_virality


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
