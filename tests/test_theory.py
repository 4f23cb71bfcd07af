"""Reduction mode against bond percolation (Newman 2002), with stated tolerances."""

import dataclasses

import networkx as nx
import numpy as np
import pytest
from scipy.optimize import brentq

from sim import Layer, World, load_config, simulate
from sim.world.population import single_layer_world


def world_from_edges(n: int, edges: np.ndarray) -> World:
    return single_layer_world(Layer.from_edges("graph", edges, np.arange(n), n))


def run_fractions(world: World, p: float, replicates: int) -> np.ndarray:
    out = []
    # composed once; each replicate is the same config with another replicate index
    base = load_config(["experiment=independent_cascade", f"p={p}", "seeds=1", "seed=11",
                        "output.write_trace=false"])
    for r in range(replicates):
        config = dataclasses.replace(base, replicate=r)
        s = simulate(config, world=world).summary
        # the cascade's size: everyone who shared, its seed included
        out.append((s["engaged"] + s["seeded"]) / s["n_agents"])
    return np.array(out)


@pytest.mark.slow
def test_final_size_on_erdos_renyi_matches_bond_percolation():
    # Independent cascade with p on G(n, k/n): a large cascade reaches the fraction S solving
    # S = 1 - exp(-k p S) (Newman 2002); with k = 4, p = 0.5, S = 0.797. A single random seed
    # starts a large cascade with probability S too.
    n, k, p = 20_000, 4.0, 0.5
    graph = nx.fast_gnp_random_graph(n, k / (n - 1), seed=2024)
    world = world_from_edges(n, np.array(graph.edges(), dtype=np.int64))
    s_theory = brentq(lambda s: s - 1 + np.exp(-k * p * s), 1e-6, 1.0)
    assert s_theory == pytest.approx(0.797, abs=5e-4)

    fractions = run_fractions(world, p, replicates=150)
    large = fractions[fractions > 0.1]   # outcomes are bimodal: < 0.5 % or ~ 80 %
    assert np.all((fractions < 0.01) | (fractions > 0.5))
    # tolerance: 2 percentage points on the mean size of large cascades (the finite-n
    # standard error of one cascade's size is ~0.3 points here)
    assert abs(large.mean() - s_theory) < 0.02
    # take-off probability equals S on ER (binomial sd ~ 0.033 with 150 replicates: 4 sd)
    assert abs(large.size / fractions.size - s_theory) < 0.13


@pytest.mark.slow
def test_no_large_cascades_well_below_the_configuration_model_threshold():
    # Large cascades need p > <k> / (<k^2> - <k>) (Molloy-Reed / bond percolation).
    rng = np.random.default_rng(99)
    n = 20_000
    degrees = np.minimum(rng.zipf(2.5, size=n) + 1, 200)
    if degrees.sum() % 2:
        degrees[0] += 1
    multi = nx.configuration_model(degrees.tolist(), seed=5)
    graph = nx.Graph(multi)
    graph.remove_edges_from(nx.selfloop_edges(graph))
    deg = np.array([d for _, d in graph.degree()], dtype=float)
    p_c = deg.mean() / ((deg ** 2).mean() - deg.mean())
    world = world_from_edges(n, np.array(graph.edges(), dtype=np.int64))

    below = run_fractions(world, 0.5 * p_c, replicates=200)
    # well below threshold cascades stay microscopic: none exceeds 1 % of the population
    assert below.max() < 0.01
    above = run_fractions(world, min(1.0, 3 * p_c), replicates=100)
    # and the same graph does produce large cascades above it (the test can fail)
    assert (above > 0.02).mean() > 0.1


def test_two_sub_critical_layers_carry_a_cascade_together_when_multiplex():
    # The multiplex independent cascade on two independent Erdos-Renyi layers over the same
    # people: an activated agent exposes its neighbours on both, so the union's branching is
    # z1 T1 + z2 T2 and a large cascade reaches S = 1 - exp(-(z1 T1 + z2 T2) S) (bond
    # percolation on the union, Newman 2002). Here z1 T1 = 9 x 0.09 = 0.81 and z2 T2 = 5 x
    # 0.15 = 0.75: each layer alone is sub-critical (< 1), together 1.56 and S = 0.620.
    from sim import independent_cascades
    from sim.world.population import world_from_graphs

    n = 20_000
    g1 = nx.fast_gnp_random_graph(n, 9 / n, seed=1)
    g2 = nx.fast_gnp_random_graph(n, 5 / n, seed=2)
    s_theory = brentq(lambda s: s - 1 + np.exp(-(0.81 + 0.75) * s), 1e-6, 1.0)
    assert s_theory == pytest.approx(0.620, abs=1e-3)
    base = ["experiment=independent_cascade", "seeds=1", "steps=100000",
            "network.personal.p=0.09", "network.professional.p=0.15"]
    multiplex = load_config([*base, "multiplex=true"])
    world = world_from_graphs(multiplex, {"personal": g1, "professional": g2})
    fractions = (independent_cascades(multiplex, range(80), world=world)["engaged"] + 1) / n
    large = fractions[fractions > 0.05]
    # tolerance: 2 percentage points on the mean size of large cascades (finite-n standard
    # error of one cascade's size ~0.4 points); take-off probability S within 4 sd (0.054)
    assert abs(large.mean() - s_theory) < 0.02
    assert abs(large.size / fractions.size - s_theory) < 0.22
    # each layer on its own, and both without multiplex: never more than 2% of the people
    alone = load_config([*base, "multiplex=false"])
    fractions = (independent_cascades(alone, range(80), world=world)["engaged"] + 1) / n
    assert fractions.max() < 0.02
