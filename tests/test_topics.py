"""The topic layer (C14): who follows what, who a share reaches, and its place in a run."""

import numpy as np
import pytest

from sim import load_config, simulate
from sim.config import ConfigError
from sim.rng import Streams
from sim.world.population import build_world
from sim.world.topics import TopicLayer, follow_topics

# agents 0..5; topic 0 followed by 1, 2, 3; topic 1 by 3, 4; agent 0 and 5 follow nothing
FOLLOWS = np.array([[1, 0], [2, 0], [3, 0], [3, 1], [4, 1]])


def tiny() -> TopicLayer:
    return TopicLayer.from_follows("topic", FOLLOWS, np.arange(6), 6, topics=2)


def test_audience_is_the_co_followers_of_each_followed_topic():
    layer = tiny()
    # agent 3 follows both topics: 2 co-followers in topic 0 and 1 in topic 1
    assert layer.degree().tolist() == [0, 2, 2, 3, 1, 0]
    assert layer.n_edges == 5
    assert layer.members.tolist() == [1, 2, 3, 4]      # agents who follow at least one topic
    parents, children = layer.neighbours(np.array([3]))
    assert sorted(children.tolist()) == [1, 2, 4] and set(parents.tolist()) == {3}


def test_a_post_shared_into_a_topic_reaches_each_follower_once_per_topic():
    layer = tiny()
    # agents 1 and 2 share post 0 in the same step: topic 0 carries it once, from agent 1
    event, child = layer.reach(np.array([1, 2]), np.array([0, 0]))
    assert list(zip(event.tolist(), child.tolist(), strict=True)) == [(0, 2), (0, 3)]
    # agent 3 shares post 0, agent 1 post 1: different posts are not merged
    event, child = layer.reach(np.array([3, 1]), np.array([0, 1]))
    got = sorted(zip(event.tolist(), child.tolist(), strict=True))
    assert got == [(0, 1), (0, 2), (0, 4), (1, 2), (1, 3)]


def test_visibility_samples_each_follower_with_its_probability():
    rng = np.random.default_rng(5)
    follows = np.column_stack([np.arange(10_001), np.zeros(10_001, dtype=np.int64)])
    layer = TopicLayer.from_follows("topic", follows, np.arange(10_001), 10_001, 1,
                                    visibility=0.2)
    _, child = layer.reach(np.array([0]), np.array([0]), rng=rng)
    assert abs(child.size / 10_000 - 0.2) < 0.015 and 0 not in child
    with pytest.raises(ValueError, match="rng"):
        layer.reach(np.array([0]), np.array([0]))


def test_followed_topics_are_unique_at_least_one_each_and_zipf_ordered():
    rng = np.random.default_rng(3)
    follows = follow_topics(20_000, topics=50, follows=4.0, popularity=1.0, rng=rng)
    pairs = follows[:, 0] * 50 + follows[:, 1]
    assert np.unique(pairs).size == pairs.size
    per_member = np.bincount(follows[:, 0], minlength=20_000)
    assert per_member.min() >= 1
    # duplicates merged: the mean is a little below 4 when popular topics repeat
    assert 3.3 < per_member.mean() <= 4.0
    popularity = np.bincount(follows[:, 1], minlength=50)
    assert popularity[0] > popularity[9] > popularity[49]
    flat = follow_topics(20_000, topics=500, follows=4.0, popularity=0.0, rng=rng)
    assert np.bincount(flat[:, 0]).mean() == pytest.approx(4.0, abs=0.05)


def test_the_topic_layer_leaves_the_other_layers_and_the_population_unchanged():
    off = build_world(load_config(["n=3000"]), Streams(0, 0))
    on = build_world(load_config(["n=3000", "network.topic.enabled=true"]), Streams(0, 0))
    assert on.layer_names == ("personal", "professional", "topic")
    for a, b in zip(off.layers, on.layers[:2], strict=True):
        assert np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
    assert np.array_equal(off.loyalty, on.loyalty) and np.array_equal(off.drivers, on.drivers)
    topic = on.layers[2]
    assert abs(topic.members.size / 3000 - 0.3) < 0.05


def test_the_topic_layer_is_reached_through_cross_posts_only():
    base = ["n=3000", "steps=20", "network.topic.enabled=true", "p=0.1",
            "output.write_trace=false"]
    quiet = simulate(load_config(base + ["network.crosspost=0"])).summary
    assert quiet["engaged_topic"] == 0 and quiet["reached_topic"] == 0
    loud = simulate(load_config(base + ["network.crosspost=0.3"]))
    assert loud.summary["engaged_topic"] > 0
    acts = loud.activations
    seeds = acts[acts["parent"] < 0]
    assert (seeds["layer"] != "topic").all()       # no paid placements on the topic layer


def test_reduction_mode_refuses_the_topic_layer():
    with pytest.raises(ConfigError, match="network.topic.enabled"):
        load_config(["experiment=independent_cascade", "network.topic.enabled=true"])
