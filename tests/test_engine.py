"""The engine: the vectorised kernel against the per-agent rule, and the step's invariants."""

import networkx as nx
import numpy as np
import pytest

from sim import ConfigError, Layer, World, load_config, simulate
from sim.engine.brand import BrandModel
from sim.engine.cascade import CascadeModel
from sim.engine.factory import make_model
from sim.engine.reference import reference_independent_cascade
from sim.rng import Streams
from sim.world.population import single_layer_world


def world_from(graph: nx.Graph) -> World:
    return single_layer_world(Layer.from_networkx("graph", graph))


@pytest.fixture(scope="module")
def ba_world():
    return world_from(nx.barabasi_albert_graph(400, 3, seed=7))


@pytest.mark.parametrize("replicate", range(6))
@pytest.mark.parametrize("p", [0.1, 0.3])
def test_vectorised_cascade_matches_per_agent_reference(ba_world, replicate, p):
    config = load_config(["experiment=independent_cascade", f"p={p}", "seeds=3",
                          f"replicate={replicate}"])
    model = CascadeModel(config, world=ba_world).run()
    acts = model.activations()
    seeds = acts["agent"][acts["parent"] < 0].tolist()
    expected = reference_independent_cascade(ba_world.layers[0], seeds, p,
                                             Streams(config.seed, replicate)["sharing"])
    got = {int(a): (int(s), int(par), int(k)) for a, s, par, k in
           zip(acts["agent"], acts["step"], acts["parent"], acts["layer"], strict=True)}
    assert got == expected
    # the run ends at the first step after which no exposure is pending: the last step that
    # activated someone, or the one after it when those agents still had neighbours to try
    last = max(s for s, _, _ in expected.values())
    assert model.t in (last, last + 1) and len(model.pending) == 0


def test_reduction_mode_rebuilds_first_exposures_as_the_trace_records_them(ba_world):
    # the reduction hot path does not track exposures; they are replayed from activations
    config = load_config(["experiment=independent_cascade", "p=0.2", "seeds=3"])
    model = CascadeModel(config, world=ba_world).run()
    trace = model.trace()
    first = np.zeros(ba_world.n, dtype=np.int64)
    order = np.argsort(trace["step"], kind="stable")
    child, step = trace["child"][order], trace["step"][order]
    uniq, idx = np.unique(child, return_index=True)
    first[uniq] = step[idx] + 1
    assert np.array_equal(model.first_seen[0], first)
    assert trace["child"].size > 0


@pytest.mark.parametrize("p", [0.05, 0.5])
def test_scalar_and_block_geometric_draws_are_the_same_sequence(p):
    # the reference relies on this: the clock draws gaps in blocks of any size, the
    # reference one at a time (numpy switches algorithm at p = 1/3: both sides tested)
    a, b = Streams(5, 2)["sharing"], Streams(5, 2)["sharing"]
    blocks = np.concatenate([a.geometric(p, size=k) for k in (1, 7, 300, 64)])
    assert np.array_equal(blocks, np.array([b.geometric(p) for _ in range(blocks.size)]))


def test_reduction_mode_has_no_crosspost_and_everyone_active():
    config = load_config(["experiment=independent_cascade", "n=3000", "p=0.2", "seeds=5",
                          "network.crosspost=1.0", "network.personal.activity=0.1"])
    result = simulate(config)
    ts = result.timeseries
    assert ts["spillover"].sum() == 0
    assert ts["expired"].sum() == 0
    # every exposure is decided the step after it is sent
    trace = result.trace
    assert (trace["step"] == trace["sent"] + 1).all()


def test_full_mode_invariants_on_two_layers():
    config = load_config(["n=4000", "steps=50", "network.crosspost=0.5"])
    result = simulate(config)
    s, ts, acts = result.summary, result.timeseries, result.activations
    brand = acts[acts["post"] < result.model.n_posts]
    seeded = brand["parent"] < 0       # no owned channel here: every root is a seed placement
    assert s["engaged"] == brand.loc[~seeded, "agent"].nunique()
    assert s["seeded"] == brand.loc[seeded, "agent"].nunique()
    assert s["activations"] == len(brand)
    assert max(s["engaged_personal"], s["engaged_professional"]) <= s["engaged"] <= (
        s["engaged_personal"] + s["engaged_professional"] + s["engaged_owned"])
    assert 0 < s["spillover_personal"] < 1 and 0 < s["spillover_professional"] < 1
    assert s["reached"] <= s["reached_personal"] + s["reached_professional"]
    # everyone who shared or was seeded saw the content or had it placed on them
    assert s["reached"] >= brand["agent"].nunique()
    assert s["largest_cascade"] <= s["activations"]
    # one activation per (post, agent)
    assert not acts.duplicated(["post", "agent"]).any()
    for _, df in ts.groupby("layer", observed=True):
        assert (np.diff(df["reached"].to_numpy()) >= 0).all()
        assert (np.diff(df["engaged"].to_numpy()) >= 0).all()
    # per-layer new counts add up to the people reached / engaged on that layer, and the
    # cumulative columns end on the summary's numbers
    for name in ("personal", "professional", "owned"):
        on = ts[ts["layer"] == name]
        assert on["reached_new"].sum() == on["reached"].iloc[-1] == s[f"reached_{name}"]
        assert on["engaged_new"].sum() == on["engaged"].iloc[-1] == s[f"engaged_{name}"]
    # every non-root activation comes from an exposure of the trace marked as shared
    assert result.trace["shared"].sum() == int((acts["parent"] >= 0).sum())
    # activation layers are layers the agent belongs to (or the owned channel)
    model = result.model
    codes = acts["layer"].cat.codes.to_numpy()
    on_layer = codes < len(model.layer_names)
    assert model.world.member[codes[on_layer], acts["agent"].to_numpy()[on_layer]].all()
    # the budget is never overspent
    assert s["spent"] <= config.budget.total + 1e-9


def test_inactive_layer_lets_exposures_expire():
    config = load_config(["n=3000", "steps=50", "network.crosspost=0",
                          "network.professional.activity=0.0", "network.feed_ttl=2"])
    ts = simulate(config).timeseries
    pro = ts[ts["layer"] == "professional"]
    assert pro["seen"].sum() == 0
    # what is sent expires, unless it is still in a feed at the horizon (last 2 steps) or
    # dropped because its receiver shared the post through the personal layer (a few)
    sent_early = pro.loc[pro["step"] < 48, "sent"].sum()
    assert 0.95 * sent_early <= pro["expired"].sum() <= pro["sent"].sum()
    assert pro["expired"].sum() > 0


def test_no_crosspost_means_no_spillover():
    config = load_config(["n=3000", "steps=20", "network.crosspost=0"])
    s = simulate(config).summary
    assert s["spillover_personal"] == 0 and s["spillover_professional"] == 0


def test_consumer_views_read_model_state():
    config = load_config(["n=500", "steps=5", "p=0.3", "strategy.posts=1"])
    model = BrandModel(config).run()
    agent = next(i for i in range(500) if model.activated[0, i])
    view = model.consumer(agent)
    assert view.index == agent and view.shared[0]
    assert view.unique_id >= 1
    assert set(view.layers) == {name for k, name in enumerate(model.world.layer_names)
                                if model.world.member[k, agent]}
    for name in view.layers:
        lay = model.world.layers[model.world.layer_names.index(name)]
        assert set(view.neighbours(name)) == set(lay.to_networkx().neighbors(agent))
    assert model.consumer(agent) is view
    assert len(model.consumers()) == 500 == len(model.agents)


def test_each_model_runs_its_own_mode_and_the_factory_picks_it(ba_world):
    full = load_config(["n=500", "steps=3"])
    reduction = load_config(["experiment=independent_cascade", "seeds=3"])
    assert type(make_model(full)) is BrandModel and BrandModel.mode is full.mode
    assert type(make_model(reduction, world=ba_world)) is CascadeModel
    assert CascadeModel.mode is reduction.mode
    with pytest.raises(ConfigError, match="use CascadeModel"):
        BrandModel(reduction, world=ba_world)
    with pytest.raises(ConfigError, match="use BrandModel"):
        CascadeModel(full)


def test_mesa_counters_follow_the_steps(ba_world):
    model = BrandModel(load_config(["n=500", "steps=4"])).run()
    assert model.t == model.steps == model.time == 4 and not model.running
    stepped = BrandModel(load_config(["n=500", "steps=4"]))
    stepped.step()
    assert stepped.t == stepped.steps == 1
    cascade = CascadeModel(load_config(["experiment=independent_cascade", "p=0.3", "seeds=3"]),
                           world=ba_world).run()
    assert cascade.steps == cascade.t > 0 and not cascade.running


def test_first_of_each_matches_numpy_unique():
    rng = np.random.default_rng(1)
    key = rng.integers(0, 50, size=1000)
    from sim.arrays import first_of_each
    _, first = np.unique(key, return_index=True)
    assert np.array_equal(first_of_each(key), first)
    assert first_of_each(np.empty(0, dtype=np.int64)).size == 0


def test_a_batch_of_exposures_keeps_every_field_through_take_and_concat():
    import dataclasses

    from sim.engine.exposures import _DTYPES, Exposures

    names = [f.name for f in dataclasses.fields(Exposures)]
    assert names == list(_DTYPES)        # take and concat list the fields in this order
    batch = Exposures(*(np.arange(5, dtype=dt) * (k + 1) for k, dt in enumerate(_DTYPES.values())))
    part = batch.take(np.array([True, False, True, False, True]))
    both = Exposures.concat([part, batch.take(np.array([1]))])
    for k, name in enumerate(names):
        assert getattr(part, name).tolist() == [0, 2 * (k + 1), 4 * (k + 1)]
        assert getattr(both, name).tolist() == [0, 2 * (k + 1), 4 * (k + 1), k + 1]
        assert getattr(both, name).dtype == _DTYPES[name]
