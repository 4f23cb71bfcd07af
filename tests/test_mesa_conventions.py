"""Mesa conventions: model.agents is the population of views, the recorded series read as a
DataCollector's, manual stepping with a user's own DataCollector; none of it changes a run."""

import dataclasses

import mesa
import networkx as nx
import numpy as np
import pandas as pd
import pytest

from sim import load_config, simulate
from sim.engine.agents import Consumer
from sim.engine.brand import BrandModel
from sim.engine.cascade import CascadeModel
from sim.outputs.metrics import summarise
from sim.world.population import world_from_graphs

# a short run whose cascades grow, reach the owned channel and make detractors
FULL = ["n=2000", "steps=30", "p=0.12", "network.crosspost=0.4", "strategy.cta=true",
        "strategy.authenticity=0.5"]
N = 2000


@pytest.fixture(scope="module")
def finished():
    return BrandModel(load_config(FULL)).run()


@pytest.fixture(scope="module")
def cascade_config_world():
    config = load_config(["experiment=independent_cascade", "p=0.2", "seeds=5"])
    world = world_from_graphs(config, {"graph": nx.barabasi_albert_graph(1500, 3, seed=11)})
    return dataclasses.replace(config, n=world.n), world


def test_agents_are_the_population_made_on_first_read():
    model = BrandModel(load_config(FULL))
    assert len(model._all_agents) == 0 and model._views == {}    # not in the constructor
    model.step()
    assert len(model._all_agents) == 0 and model._views == {}    # nor in a step
    early = model.consumer(7)                  # one view, before the population
    assert early.unique_id == 8 and len(model._all_agents) == 1
    agents = model.agents
    assert len(agents) == N == model.n_agents
    views = list(agents)
    assert [a.index for a in views] == list(range(N))
    assert [a.unique_id for a in views] == list(range(1, N + 1))
    assert views[7] is early and model.consumer(7) is early
    assert model.consumers() == views
    assert list(model.agents_by_type[Consumer]) == views and model.agent_types == [Consumer]
    assert model.agents is agents and len(model.agents) == N      # made once


def test_other_agents_join_mesas_registry_after_the_population():
    model = BrandModel(load_config(["n=300", "steps=2"]))
    other = mesa.Agent(model)
    assert other.unique_id == 301                  # ids 1..300 are the views'
    assert len(model.agents) == 301 and len(model.agents_by_type[Consumer]) == 300
    assert set(model.agent_types) == {mesa.Agent, Consumer}


def test_the_population_is_read_only_and_fixed():
    model = BrandModel(load_config(["n=300", "steps=2"]))
    with pytest.raises(AttributeError, match="model.agents"):
        model.agents = []
    with pytest.raises(TypeError, match="cannot be removed"):
        model.consumer(3).remove()
    with pytest.raises(AttributeError):
        model.consumer(3).loyalty = 1.0
    with pytest.raises(IndexError):
        model.consumer(300)


def test_each_views_attributes_are_its_row_of_the_arrays(finished):
    m = finished
    agents = m.agents
    get = {name: np.array(agents.get(name)) for name in (
        "index", "loyalty", "initial_loyalty", "loyal", "owned_channel", "detractor",
        "fatigue", "posts_shared", "reached", "engaged")}
    np.testing.assert_array_equal(get["index"], np.arange(N))
    np.testing.assert_array_equal(get["loyalty"], m.loyalty)
    np.testing.assert_array_equal(get["initial_loyalty"], m.world.loyalty.astype(float))
    np.testing.assert_array_equal(get["loyal"], m.loyalty >= m.config.loyalty.loyal)
    np.testing.assert_array_equal(get["owned_channel"], m.member[m.owned])
    np.testing.assert_array_equal(get["detractor"], m.activated[m.backlash_post])
    np.testing.assert_array_equal(get["fatigue"], m.fatigue)
    np.testing.assert_array_equal(get["posts_shared"], m.activated[:m.n_posts].sum(axis=0))
    np.testing.assert_array_equal(get["reached"], m.first_reached.any(axis=0))
    np.testing.assert_array_equal(get["engaged"], m.first_engaged.any(axis=0))
    # the run moved every one of them: the comparisons above could fail
    for name in ("owned_channel", "detractor", "reached", "engaged", "loyal"):
        assert 0 < get[name].sum() < N, name
    assert not np.array_equal(get["loyalty"], get["initial_loyalty"])
    assert get["fatigue"].max() > 0 and get["posts_shared"].max() > 0
    for view in (m.consumer(i) for i in range(0, N, 97)):
        i = view.index
        assert view.layers == tuple(name for k, name in enumerate(m.layer_names)
                                    if m.world.member[k, i])
        assert view.exposed == tuple(name for k, name in enumerate(m.layer_names)
                                     if m.first_seen[k, i] > 0)
        np.testing.assert_array_equal(view.shared, m.activated[:, i])
    # Mesa's AgentSet operations over the views
    summary = summarise(m)
    assert len(agents.select(lambda a: a.reached)) == summary["reached"]
    assert len(agents.select(lambda a: a.engaged)) == summary["engaged"]
    assert agents.agg("loyalty", np.mean) == pytest.approx(m.loyalty.mean(), abs=1e-12)
    by_owned = agents.groupby("owned_channel").count()
    assert by_owned[True] == int(m.member[m.owned].sum())
    before = m.loyalty.copy()
    agents.do("step")                       # views do not act: the model steps them all
    np.testing.assert_array_equal(m.loyalty, before)


def test_reduction_mode_views(cascade_config_world):
    config, world = cascade_config_world
    model = CascadeModel(config, world=world).run()
    agents = model.agents
    assert len(agents) == world.n
    np.testing.assert_array_equal(agents.get("reached"), model.first_reached.any(axis=0))
    np.testing.assert_array_equal(agents.get("loyalty"), world.loyalty.astype(float))
    assert not any(agents.get("owned_channel")) and not any(agents.get("detractor"))
    assert 0 < sum(agents.get("reached")) < world.n


def test_the_agents_of_a_run_of_a_batch_are_that_runs():
    configs = [dataclasses.replace(load_config(FULL), replicate=r) for r in (0, 1)]
    batch = BrandModel(configs[0], batch=[(c, BrandModel(c).world) for c in configs])
    batch.run()
    assert len(batch.agents) == 2 * N      # the batch holds both runs' agents
    with pytest.raises(ValueError, match="runs()"):
        batch.model_series()
    for r, run in enumerate(batch.runs()):
        rows = slice(r * N, (r + 1) * N)
        agents = run.agents
        assert len(agents) == N and all(a.model is run for a in agents)
        assert [a.unique_id for a in agents] == list(range(1, N + 1))
        np.testing.assert_array_equal(agents.get("loyalty"), batch.loyalty[rows])
        np.testing.assert_array_equal(agents.get("reached"),
                                      batch.first_reached[:, rows].any(axis=0))
        np.testing.assert_array_equal(agents.get("detractor"),
                                      batch.activated[batch.backlash_post, rows])
        # and the run alone has the same agents
        alone = BrandModel(configs[r]).run()
        np.testing.assert_array_equal(agents.get("loyalty"), alone.agents.get("loyalty"))
        np.testing.assert_array_equal(agents.get("engaged"), alone.agents.get("engaged"))
    runs = batch.runs()
    assert not np.array_equal(runs[0].agents.get("loyalty"), runs[1].agents.get("loyalty"))


def wide(timeseries, layers):
    """The run's per-step table (one row per step and layer) as one column per series."""
    out = {}
    for name in timeseries.columns.drop(["step", "layer"]):
        table = timeseries.pivot(index="step", columns="layer", values=name)
        if name == "spent":
            out[name] = table[layers[0]].to_numpy()
            continue
        for layer in layers:
            out[f"{name}_{layer}"] = table[layer].to_numpy()
    return out


@pytest.mark.parametrize("mode", ["full", "reduction"])
def test_model_vars_are_the_recorders_series_and_the_runs_table(mode, cascade_config_world):
    if mode == "full":
        result = simulate(load_config(FULL))
    else:
        result = simulate(*cascade_config_world[:1], world=cascade_config_world[1])
    model = result.model
    df = model.datacollector.get_model_vars_dataframe()
    steps = model.t + 1
    assert list(df.index) == list(range(steps)) and df.index.name == "step"
    table = wide(result.timeseries, list(model.channels))
    assert list(df.columns) == ["reached", "engaged", *table]
    for name, values in table.items():
        np.testing.assert_array_equal(df[name].to_numpy(), values, err_msg=name)
    arrays = model.recorder.arrays()
    for c, channel in enumerate(model.channels):
        np.testing.assert_array_equal(df[f"reached_{channel}"], arrays["reached"][:, c])
    assert df["reached"].iloc[-1] == result.summary["reached"] > 0
    assert df["engaged"].iloc[-1] == result.summary["engaged"] > 0
    assert df["reached"].is_monotonic_increasing
    model_vars = model.datacollector.model_vars
    assert list(model_vars) == list(df.columns)
    assert all(isinstance(v, list) and len(v) == steps for v in model_vars.values())
    pd.testing.assert_frame_equal(pd.DataFrame(model_vars).rename_axis("step"), df)
    if mode == "full":
        assert df["spent"].iloc[-1] == pytest.approx(result.summary["spent"])
        assert df["mean_loyalty_owned"].notna().any()
    with pytest.raises(UserWarning):
        model.datacollector.get_agent_vars_dataframe()


def test_a_users_datacollector_collects_one_row_per_manual_step():
    config = load_config(FULL)
    model = BrandModel(config)
    collector = mesa.DataCollector(model_reporters={
        "reached": lambda m: int(m.first_reached.any(axis=0).sum()),
        "loyalty": lambda m: float(m.loyalty.mean()),
        "day": "t",
    })
    while model.running:
        model.step()
        collector.collect(model)
    mine = collector.get_model_vars_dataframe()
    assert len(mine) == config.steps == model.steps == model.t
    assert mine["day"].tolist() == list(range(1, config.steps + 1))
    series = model.datacollector.get_model_vars_dataframe()
    np.testing.assert_array_equal(mine["reached"], series["reached"].iloc[1:])
    # stepping by hand is the same run as run()
    ran = BrandModel(config).run()
    np.testing.assert_array_equal(model.loyalty, ran.loyalty)
    assert ran.datacollector.get_model_vars_dataframe().equals(series)
    assert mine["loyalty"].iloc[-1] == float(ran.loyalty.mean())
    # a call after the end is counted, as Mesa counts calls, and changes nothing else
    model.step()
    assert model.steps == config.steps + 1 and model.t == config.steps
    assert model.datacollector.get_model_vars_dataframe().equals(series)
    # the collector a user assigns is the model's
    model.datacollector = collector
    assert model.datacollector is collector


def test_a_step_after_run_is_one_more_call():
    model = BrandModel(load_config(["n=300", "steps=6"]))
    model.step()
    model.run()
    assert model.steps == model.t == 6 and model.time == 6
    model.step()                            # Mesa's step event follows run()'s steps
    assert model.steps == 7 and model.time == 7 and model.t == 6


def outputs(model):
    loyalty = getattr(model, "loyalty", None)      # full mode only
    return (summarise(model), model.recorder.columns(), model.activations(),
            None if loyalty is None else loyalty.copy())


def same(a, b):
    assert a[0] == b[0]
    for x, y in zip(a[1:3], b[1:3], strict=True):
        assert x.keys() == y.keys()
        for k in x:
            np.testing.assert_array_equal(x[k], y[k], err_msg=k)
    np.testing.assert_array_equal(a[3], b[3])


def test_reading_agents_and_series_changes_no_result(cascade_config_world):
    config = load_config(FULL)
    plain = BrandModel(config).run()
    looked = BrandModel(config)
    looked.consumer(5)
    while looked.running:
        looked.agents.agg("loyalty", np.mean)
        looked.agents.select(lambda a: a.reached)
        looked.datacollector.get_model_vars_dataframe()
        looked.step()
    same(outputs(plain), outputs(looked))
    config, world = cascade_config_world
    plain = CascadeModel(config, world=world).run()
    looked = CascadeModel(config, world=world)
    while looked.running:
        looked.agents.get("reached")
        assert looked.datacollector.model_vars["reached"]
        looked.step()
    same(outputs(plain), outputs(looked))
