"""Runs advanced together as a batch give, run by run, the bytes each gives alone.

Reduction mode's batches are checked in ``test_reduction.py``; these are the full model's.
"""

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from sim import load_config, simulate, write_outputs
from sim.config import AuthenticityConfig, LoyaltyConfig
from sim.engine.brand import BrandModel, batchable
from sim.mechanisms.loyalty import detect
from sim.outputs.results import BATCH_MAX, batch_size, simulate_batch
from sim.rng import Draws, Streams
from sim.sweep.jobs import run_job
from sim.world.population import build_world, shared_world

STRATEGY_DIR = Path(__file__).parents[1] / "conf" / "strategy"
STRATEGIES = sorted(p.stem for p in STRATEGY_DIR.glob("*.yaml"))
# cascades that grow, cross-post and reach the owned channel within a short run
BASE = ["n=1200", "steps=30", "p=0.12", "network.crosspost=0.4", "output.write_trace=true"]


def files(result, out: Path) -> dict[str, bytes]:
    write_outputs(result, out)
    # timing.json holds wall-clock seconds, the only output allowed to differ
    return {f.name: f.read_bytes() for f in sorted(out.iterdir()) if f.name != "timing.json"}


def at_replicates(overrides, replicates):
    config = load_config(overrides)
    return [dataclasses.replace(config, replicate=r) for r in replicates]


def test_the_named_strategies_are_the_ones_shipped():
    assert len(STRATEGIES) >= 14 and "broadcast" in STRATEGIES and "listening" in STRATEGIES


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_run_gives_the_same_bytes_alone_and_in_batches_of_any_size(tmp_path, strategy):
    configs = at_replicates([f"strategy={strategy}", *BASE], range(4))
    assert batchable(configs[0])
    alone = [files(simulate(c), tmp_path / f"alone{r}") for r, c in enumerate(configs)]
    together = simulate_batch(configs)
    pair = simulate_batch(configs[2:])         # replicate 2 first in a batch of two
    for r in range(4):
        assert files(together[r], tmp_path / f"four{r}") == alone[r], (strategy, r)
    for r in (2, 3):
        assert files(pair[r - 2], tmp_path / f"two{r}") == alone[r], (strategy, r)
    # the runs differ from each other: a batch is not one run copied
    assert alone[0]["summary.json"] != alone[1]["summary.json"]
    assert together[1].model.n_agents == 1200 and together[1].summary["replicate"] == 1


def test_a_batch_keeps_each_runs_state(tmp_path):
    configs = at_replicates(["strategy=incentives", *BASE], range(3))
    batch = simulate_batch(configs)
    for config, result in zip(configs, batch, strict=True):
        model = simulate(config).model
        run = result.model
        for name in ("activated", "contacts", "member", "loyalty", "past_shares", "fatigue",
                     "first_seen", "window_audience"):
            assert np.array_equal(getattr(run, name), getattr(model, name)), name
        assert run.ledger.spent == model.ledger.spent
        assert run.edges_examined == model.edges_examined
        assert len(run.pending) == len(model.pending)
        # the streams are where the run alone left them
        assert run.streams["sharing"].random() == model.streams["sharing"].random()


def test_a_jobs_runs_are_written_from_one_batch_with_the_bytes_of_single_runs(tmp_path):
    config = load_config(["strategy=adapted", *BASE, "replicates=3"])
    outcome = run_job(config, tmp_path / "job")
    assert (outcome.complete, outcome.failed) == (3, 0)
    for r in range(3):
        run = tmp_path / "job" / f"replicate={r}"
        timing = (run / "timing.json").read_text()
        assert '"batch_runs": 3' in timing
        single = files(simulate(dataclasses.replace(config, replicates=1, replicate=r)),
                       tmp_path / f"single{r}")
        for name in ("summary.json", "timeseries.parquet", "activations.parquet",
                     "posts.parquet", "trace.parquet"):
            assert (run / name).read_bytes() == single[name], (r, name)


def test_batches_on_the_same_shared_worlds_share_one_read_only_stack():
    broadcast = at_replicates(["strategy=broadcast", "n=600", "steps=3"], range(3))
    adapted = [dataclasses.replace(c, strategy=load_config(["strategy=adapted"]).strategy)
               for c in broadcast]
    first, second = BrandModel(broadcast[0], batch=_batch(broadcast)), \
        BrandModel(adapted[0], batch=_batch(adapted))
    assert first.world is second.world
    assert not first.world.member.flags.writeable
    assert not any(layer.indices.flags.writeable for layer in first.world.layers)
    other = BrandModel(broadcast[0], batch=_batch(at_replicates(
        ["strategy=broadcast", "n=600", "steps=3"], range(1, 4))))
    assert other.world is not first.world
    # worlds not shared (built for this batch alone) are stacked afresh, never kept
    fresh = [(c, build_world(c, Streams(c.seed, c.replicate))) for c in broadcast]
    assert BrandModel(broadcast[0], batch=fresh).world is not \
        BrandModel(broadcast[0], batch=fresh).world


def _batch(configs):
    return [(c, shared_world(c)) for c in configs]


def test_configs_that_are_not_one_config_at_several_replicates_run_one_by_one():
    a, b = at_replicates(["n=800", "steps=10"], (0, 1))
    b = dataclasses.replace(b, p=0.3)
    results = simulate_batch([a, b])
    assert results[1].summary == simulate(b).summary
    world = build_world(a, Streams(a.seed, 0))
    with pytest.raises(ValueError, match="differ in `replicate` only"):
        BrandModel(a, batch=[(a, world), (b, world)])


def test_layers_that_cannot_be_stacked_are_not_batched():
    topic = load_config(["n=800", "network.topic.enabled=true"])
    assert not batchable(topic)
    assert batch_size(topic, 20) == 1
    reduction = load_config(["n=800", "mode=independent_cascade"])
    assert not batchable(reduction)


def test_the_batch_size_follows_the_memory_estimate():
    config = load_config(["n=10000"])
    assert batch_size(config, 1) == 1
    assert batch_size(config, 20, available=10**12) == 20
    assert batch_size(config, 500, available=10**12) == BATCH_MAX
    assert batch_size(config, 20, available=1) == 1
    from sim.guards.memory import estimate_peak_bytes

    estimate = estimate_peak_bytes(config)
    per_run = estimate.peak - estimate.baseline
    # half the memory available goes to the batch: room for 5 runs
    assert batch_size(config, 20, available=10 * per_run + 1) == 5


def test_draws_give_each_replicate_its_own_stream_in_its_own_order():
    n = 10
    agents = np.array([21, 3, 25, 4, 0, 22, 9])         # runs 2, 0, 2, 0, 0, 2, 0
    draws = Draws([np.random.default_rng(s) for s in (0, 1, 2)], n)
    u = draws(agents)
    run0, run2 = np.random.default_rng(0).random(4), np.random.default_rng(2).random(3)
    assert u[[1, 3, 4, 6]].tolist() == run0.tolist()
    assert u[[0, 2, 5]].tolist() == run2.tolist()
    # run 1 drew nothing: its next draw is its first
    assert draws.generators[1].random() == np.random.default_rng(1).random()


def test_a_run_draws_for_detection_only_when_it_saw_inauthentic_content():
    auth, cfg = AuthenticityConfig(detection=1.0, cut=0.5), LoyaltyConfig(detractor=0.2)
    loyalty = np.full(20, 0.3)
    # run 0 (agents 0-9) saw authentic content only, run 1 (10-19) one inauthentic post
    child = np.array([1, 2, 11, 12])
    authenticity = np.array([1.0, 1.0, 1.0, 0.0])
    draws = Draws([np.random.default_rng(0), np.random.default_rng(1)], 10)
    agents, _ = detect(loyalty, child, np.zeros(4, np.int64), authenticity, auth, cfg,
                       np.zeros(20, bool), uniforms=draws, groups=child // 10)
    assert agents.tolist() == [12]              # detection * (1 - 0) = 1: always seen through
    assert draws.generators[0].random() == np.random.default_rng(0).random()   # untouched
    fresh = np.random.default_rng(1)
    fresh.random(2)                             # run 1 drew for both its exposures
    assert draws.generators[1].random() == fresh.random()


def test_more_runs_than_memory_allows_go_in_several_batches(monkeypatch):
    import sim.outputs.results as results

    configs = at_replicates(["strategy=broadcast", *BASE], range(5))
    sizes = []
    real = results.BrandModel

    def counting(config, **kwargs):
        sizes.append(len(kwargs.get("batch", ())))
        return real(config, **kwargs)

    monkeypatch.setattr(results, "batch_size", lambda config, runs, **kw: min(runs, 2))
    monkeypatch.setattr(results, "BrandModel", counting)
    batched = simulate_batch(configs)
    assert sizes == [2, 2]            # the fifth alone, through simulate
    assert [r.summary for r in batched] == [simulate(c).summary for c in configs]
