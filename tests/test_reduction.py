"""Reduction mode's kernel: the success clock's law, the kernel against the per-agent reference
on several layers, the batch of cascades against the model, and the counters it derives."""

import dataclasses

import networkx as nx
import numpy as np
import pytest

from sim import ConfigError, Layer, World, load_config, simulate
from sim.engine.cascade import CascadeModel
from sim.engine.kernel import SuccessClock, independent_cascades
from sim.engine.reference import reference_independent_cascade
from sim.progress import Progress
from sim.rng import Streams
from sim.world.population import build_world, single_layer_world


def successes(clock: SuccessClock, chunks) -> np.ndarray:
    """Absolute numbers of the successful exposures over consecutive takes."""
    out, base = [], 0
    for n in chunks:
        out.append(clock.take(n) + base)
        base += n
    return np.concatenate(out)


def test_how_exposures_are_taken_does_not_change_which_succeed():
    one = successes(SuccessClock(0.05, np.random.default_rng(3)), [100_000])
    rng = np.random.default_rng(4)
    chunks = rng.integers(0, 400, size=400)
    chunks = np.append(chunks, 100_000 - chunks.sum())
    assert chunks.min() >= 0
    many = successes(SuccessClock(0.05, np.random.default_rng(3)), chunks)
    assert np.array_equal(one, many) and one.size > 4000
    assert (np.diff(one) > 0).all() and one[0] >= 0 and one[-1] < 100_000


def test_no_exposure_succeeds_at_p_0_and_every_one_at_p_1():
    rng = np.random.default_rng(1)
    before = rng.bit_generator.state
    assert SuccessClock(0.0, rng).take(10_000).size == 0
    assert rng.bit_generator.state == before          # nothing drawn
    assert np.array_equal(SuccessClock(1.0, rng).take(50), np.arange(50))


@pytest.mark.parametrize("p", [0.01, 0.05, 0.3, 0.7])
def test_the_clock_is_a_bernoulli_process(p):
    # indicator of success per exposure over 10^6 exposures, in uneven takes
    n = 1_000_000
    clock = SuccessClock(p, np.random.default_rng(11))
    hit = np.zeros(n, dtype=bool)
    hit[successes(clock, [1, 999, 250_000, 3, 748_997])] = True
    # the rate is p (4 standard errors)
    assert abs(hit.mean() - p) < 4 * np.sqrt(p * (1 - p) / n)
    # successes in windows of 100 are Binomial(100, p): mean and variance (4 standard
    # errors; the variance of a sample variance is about 2 var^2 / windows)
    counts = hit.reshape(-1, 100).sum(axis=1)
    var = 100 * p * (1 - p)
    assert abs(counts.mean() - 100 * p) < 4 * np.sqrt(var / counts.size)
    assert abs(counts.var() - var) < 4 * var * np.sqrt(2 / counts.size)
    # consecutive exposures are independent: lag-1 correlation within 4 / sqrt(n)
    x = hit - hit.mean()
    assert abs(np.dot(x[1:], x[:-1]) / np.dot(x, x)) < 4 / np.sqrt(n)


@pytest.fixture(scope="module")
def two_layer_world():
    """Two layers over 600 agents with overlapping memberships."""
    n = 600
    a = nx.relabel_nodes(nx.barabasi_albert_graph(400, 3, seed=1), lambda i: i)
    b = nx.relabel_nodes(nx.watts_strogatz_graph(400, 6, 0.2, seed=2), lambda i: i + 200)
    la = Layer.from_networkx("personal", a, n)
    lb = Layer.from_edges("professional", np.array(list(b.edges())) - 200,
                          np.arange(200, 600), n)
    member = np.zeros((2, n), dtype=bool)
    member[0, la.members] = True
    member[1, lb.members] = True
    base = single_layer_world(la)
    return dataclasses.replace(base, layers=(la, lb), member=member)


@pytest.mark.parametrize("replicate", range(5))
def test_kernel_matches_the_reference_on_two_layers(two_layer_world, replicate):
    config = load_config(["experiment=independent_cascade", "p=0.2", "seeds=4",
                          f"replicate={replicate}"])
    model = CascadeModel(config, world=two_layer_world).run()
    acts = model.activations()
    seeds = acts["parent"] < 0
    expected = reference_independent_cascade(
        two_layer_world.layers, acts["agent"][seeds].tolist(), 0.2,
        Streams(config.seed, replicate)["sharing"], acts["layer"][seeds].tolist())
    got = {int(a): (int(s), int(par), int(k)) for a, s, par, k in
           zip(acts["agent"], acts["step"], acts["parent"], acts["layer"], strict=True)}
    assert got == expected
    assert {k for _, _, k in expected.values()} == {0, 1}   # both layers took part


def _world(kind: str) -> World:
    if kind == "single":
        return single_layer_world(Layer.from_networkx("graph",
                                                      nx.barabasi_albert_graph(2000, 3, seed=3)))
    config = load_config(["experiment=independent_cascade", "n=2000"])
    return build_world(config, Streams(config.seed, 0))


@pytest.mark.parametrize("kind", ["single", "two layers"])
def test_a_batch_of_cascades_is_the_models_cascades(kind):
    world = _world(kind)
    config = load_config(["experiment=independent_cascade", "p=0.15", "seeds=3", "seed=4"])
    # replicates out of order and repeated: the reused kernel must start clean each time
    order = [4, 0, 3, 1, 2, 0]
    batch = independent_cascades(config, order, world=world)
    assert batch["replicate"].tolist() == order
    for row in batch.itertuples():
        model = CascadeModel(dataclasses.replace(config, replicate=row.replicate),
                           world=world).run()
        assert (row.engaged + 3, row.steps, row.edges_examined) == (
            int(model.activated.sum()), model.t, model.edges_examined)
    assert batch["engaged"].nunique() > 1
    assert (batch["seconds"] > 0).all()


@pytest.mark.parametrize("kind", ["single", "two layers"])
@pytest.mark.parametrize("p", [0.0, 0.02, 0.15, 0.6, 1.0])
def test_a_cascade_is_the_same_in_a_batch_of_any_size(kind, p):
    # cascades run together share no draw: row r is the same one at a time (the step-by-step
    # kernel), in batches of 3 or 7 and all at once (the compiled one), from no spread at
    # all to every exposure convincing
    world = _world(kind)
    config = load_config(["experiment=independent_cascade", f"p={p}", "seeds=4", "seed=2"])
    runs = {size: independent_cascades(config, range(25), world=world, batch=size)
            for size in (1, 3, 7, None)}
    columns = ["replicate", "engaged", "steps", "edges_examined"]
    alone = runs[1][columns]
    for size, batch in runs.items():
        assert batch[columns].equals(alone), size
    if p == 0:
        assert (alone["engaged"] == 0).all()
    elif p < 1:
        assert alone["engaged"].nunique() > 3


def test_a_batch_refuses_a_batch_size_below_one():
    with pytest.raises(ConfigError, match="batch=0: must be >= 1"):
        independent_cascades(load_config(["experiment=independent_cascade"]), [0],
                             world=_world("single"), batch=0)


def test_the_horizon_caps_a_batch_like_a_model():
    world = _world("single")
    config = load_config(["experiment=independent_cascade", "p=0.5", "seeds=3", "steps=2"])
    batch = independent_cascades(config, range(3), world=world)
    assert (batch["steps"] == 2).all()
    for row in batch.itertuples():
        model = CascadeModel(dataclasses.replace(config, replicate=row.replicate),
                           world=world).run()
        assert row.engaged + 3 == int(model.activated.sum()) and model.t == 2


def test_a_batch_refuses_full_mode_and_too_many_seeds():
    world = _world("single")
    with pytest.raises(ConfigError, match="mode"):
        independent_cascades(load_config(["n=500"]), [0], world=world)
    with pytest.raises(ConfigError, match="seeds=5000: must be <= 2000"):
        independent_cascades(load_config(["experiment=independent_cascade", "seeds=5000"]),
                             [0], world=world)


@pytest.mark.parametrize("kind", ["single", "two layers"])
def test_derived_counters_agree_with_the_trace(kind):
    # reduction mode does not count while stepping: sent, seen, activations and shares are
    # derived from the activation log; the trace records every exposure decided
    world = _world(kind)
    config = load_config(["experiment=independent_cascade", "p=0.2", "seeds=3",
                          "output.trace=all"])
    result = simulate(config, world=world)
    ts, trace, acts = result.timeseries, result.trace, result.activations
    names = list(world.layer_names)
    steps = result.summary["steps"]
    for name in names:
        series = ts[ts["layer"] == name].set_index("step")
        on = trace[trace["layer"] == name]
        seen = np.bincount(on["step"], minlength=steps + 1)[:steps + 1]
        assert np.array_equal(series["seen"].to_numpy(), seen)
        assert np.array_equal(series["sent"].to_numpy()[:-1], seen[1:])
        act = acts[acts["layer"] == name]
        assert np.array_equal(series["activations"].to_numpy(),
                              np.bincount(act["step"], minlength=steps + 1)[:steps + 1])
        assert np.array_equal(series["shares"], series["activations"])
    # the exposures marked as shared are the activations that have a parent
    assert int(trace["shared"].sum()) == int((acts["parent"] >= 0).sum())
    assert result.summary["exposures_seen"] == len(trace)


def test_a_long_batch_reports_its_progress():
    world = _world("single")
    config = load_config(["experiment=independent_cascade", "p=0.1", "seeds=2"])
    lines: list[str] = []
    ticks = iter(range(10**6))
    progress = Progress(lines.append, every=5.0, clock=lambda: float(next(ticks)))
    batch = independent_cascades(config, range(40), world=world, progress=progress, batch=4)
    assert len(lines) > 1 and all(line.startswith("cascade ") and "/40 (" in line and "mean engaged"
                         in line and "s left" in line for line in lines)
    assert len(batch) == 40


def test_on_a_graph_file_row_r_is_the_run_of_replicate_r(tmp_path):
    graph = nx.barabasi_albert_graph(1500, 2, seed=8)
    path = tmp_path / "edges.txt"
    path.write_text("# u v\n" + "".join(f"{u} {v}\n" for u, v in graph.edges()))
    config = load_config(["experiment=independent_cascade", f"graph={path}", "p=0.3",
                          "seeds=2", "seed=9"])
    batch = independent_cascades(config, [0, 1, 2])          # builds the world itself
    for row in batch.itertuples():
        run = simulate(dataclasses.replace(config, replicate=row.replicate)).summary
        assert (row.engaged, row.steps) == (run["engaged"], run["steps"])


@pytest.mark.parametrize("kind", ["single", "two layers"])
def test_multiplex_cascades_are_the_models_and_share_on_every_layer(kind):
    world = _world(kind)
    config = load_config(["experiment=independent_cascade", "p=0.12", "seeds=3", "seed=4",
                          "multiplex=true", "network.professional.p=0.3"])
    batch = independent_cascades(config, range(6), world=world)
    for row in batch.itertuples():
        model = CascadeModel(dataclasses.replace(config, replicate=row.replicate),
                             world=world).run()
        assert (row.engaged + 3, row.steps, row.edges_examined) == (
            int(model.activated.sum()), model.t, model.edges_examined)
    result = simulate(dataclasses.replace(config, replicate=1), world=world)
    ts, acts = result.timeseries, result.activations
    steps = result.summary["steps"]
    for k, name in enumerate(world.layer_names):
        # every activated member of a layer shares there, whatever its activation layer
        on = world.member[k, acts["agent"].to_numpy()]
        shares = np.bincount(acts["step"].to_numpy()[on], minlength=steps + 1)[:steps + 1]
        assert np.array_equal(ts[ts["layer"] == name]["shares"].to_numpy(), shares)
    if kind == "single":     # one layer: multiplex changes nothing
        plain = independent_cascades(dataclasses.replace(config, multiplex=False), range(6),
                                     world=world)
        assert plain.equals(batch.assign(seconds=plain["seconds"]))


def test_a_layers_p_and_multiplex_are_reduction_mode_settings():
    with pytest.raises(ConfigError, match="multiplex=True: applies to "
                                          "mode=independent_cascade only"):
        load_config(["multiplex=true"])
    with pytest.raises(ConfigError, match="network.personal.p=0.2: applies to "
                                          "mode=independent_cascade only"):
        load_config(["network.personal.p=0.2"])
    with pytest.raises(ConfigError, match=r"network.professional.p=1.5: must be in \[0, 1\]"):
        load_config(["experiment=independent_cascade", "network.professional.p=1.5"])
