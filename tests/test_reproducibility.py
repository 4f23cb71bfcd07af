"""Same config and seed: identical bytes. Other replicate: different. Streams independent."""

import numpy as np
import pytest

from sim import load_config, simulate, write_outputs
from sim.rng import STREAMS, Streams
from sim.world.population import build_world


def outputs(tmp_path, name, overrides):
    out = tmp_path / name
    write_outputs(simulate(load_config(overrides)), out)
    # timing.json holds wall-clock seconds, the only output allowed to differ
    return {f.name: f.read_bytes() for f in out.iterdir() if f.name != "timing.json"}


@pytest.mark.parametrize("extra, files", [
    ([], set()),
    # adapted content on three platforms pays three variants a post: 3,343 EUR for ten
    (["strategy=listening", "network.topic.enabled=true", "budget.total=6000"],
     {"listening.parquet"}),
])
def test_same_seed_gives_identical_bytes_and_other_replicate_differs(tmp_path, extra, files):
    base = ["n=3000", "steps=20", "p=0.2", "seed=4", *extra]
    a = outputs(tmp_path, "a", base)
    b = outputs(tmp_path, "b", base)
    assert set(a) == {"summary.json", "status.json", "timeseries.parquet", "trace.parquet",
                      "activations.parquet", "posts.parquet"} | files
    assert a == b
    c = outputs(tmp_path, "c", base + ["replicate=1"])
    assert c["summary.json"] != a["summary.json"]
    assert c["timeseries.parquet"] != a["timeseries.parquet"]


def test_reduction_mode_is_reproducible_from_the_file(tmp_path):
    path = tmp_path / "g.txt"
    rng = np.random.default_rng(0)
    edges = rng.integers(0, 500, size=(2000, 2))
    path.write_text("\n".join(f"{u} {v}" for u, v in edges))
    base = ["experiment=independent_cascade", f"graph={path}", "p=0.3", "seeds=2"]
    assert outputs(tmp_path, "a", base) == outputs(tmp_path, "b", base)


def test_streams_are_independent_of_each_other():
    a, b = Streams(7, 3), Streams(7, 3)
    a["sharing"].random(10_000)          # drawing more from one stream ...
    for name in STREAMS:
        if name != "sharing":            # ... leaves every other stream where it was
            assert a[name].random() == b[name].random()
    assert Streams(7, 3)["sharing"].random() != Streams(7, 4)["sharing"].random()
    assert Streams(7, 3)["sharing"].random() != Streams(7, 3)["activity"].random()


@pytest.mark.parametrize("seed", [0, 7, 2**32 - 1, 2**32, 2**63 - 1])
def test_streams_built_together_are_the_streams_built_one_by_one(seed):
    # the batch derives the seeds of many replicates' streams at once; every draw must be
    # the one Streams(seed, r)[name] gives, whatever the seed's size or the replicate's
    one_word = [0, 1, 2, 3, 5, 8, 13, 21, 1000, 2**31, 2**32 - 1]   # derived as arrays
    beyond = [4, 2**32, 2**40, 6, 9, 10, 11, 12]                      # one by one
    for name, replicates in [("seeding", one_word), ("sharing", one_word),
                             ("population", one_word), (STREAMS[-1], one_word),
                             ("sharing", beyond)]:
        together = Streams.generators(seed, replicates, name)
        for r, rng in zip(replicates, together, strict=True):
            expected = Streams(seed, r)[name]
            assert np.array_equal(rng.random(5), expected.random(5)), (name, r)
            assert np.array_equal(rng.geometric(0.05, 50), expected.geometric(0.05, 50))
    assert Streams.generators(seed, [], "sharing") == []


def test_world_depends_only_on_its_streams():
    # the share rule does not touch the population or graphs (common random numbers)
    w1 = build_world(load_config(["n=2000", "p=0.1"]), Streams(1, 0))
    w2 = build_world(load_config(["n=2000", "p=0.9", "seeds=50"]), Streams(1, 0))
    assert np.array_equal(w1.member, w2.member)
    for l1, l2 in zip(w1.layers, w2.layers, strict=True):
        assert np.array_equal(l1.indices, l2.indices)
    # changing the professional layer leaves the personal layer and memberships unchanged
    w3 = build_world(load_config(["n=2000", "network.professional.m=3"]), Streams(1, 0))
    assert np.array_equal(w1.member, w3.member)
    assert np.array_equal(w1.layers[0].indices, w3.layers[0].indices)
    assert not np.array_equal(w1.layers[1].indptr, w3.layers[1].indptr)
