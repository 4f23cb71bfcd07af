"""Override strings read as text: prefixes, values holding ``=``, keys without a value."""

import pytest

from sim.config import (
    BATCH_KEYS,
    NOT_FACTORS,
    Override,
    override_key,
    override_values,
    parse_override,
    without_keys,
)


@pytest.mark.parametrize(("text", "expected"), [
    ("p=0.1", Override("p", "0.1")),
    ("+extra.key=1", Override("extra.key", "1")),
    ("++strategy.adapted=true", Override("strategy.adapted", "true")),
    ("~topics", Override("topics", None)),
    ("~topics=old", Override("topics", "old")),
    ("graph=/data/a=b.txt", Override("graph", "/data/a=b.txt")),     # value holding '='
    ("name==x", Override("name", "=x")),
    ("label=", Override("label", "")),                               # empty, not absent
    ("flag", Override("flag", None)),                                # key without a value
])
def test_parse_override(text, expected):
    assert parse_override(text) == expected
    assert override_key(text) == expected.key


def test_override_values_keeps_set_values_and_later_ones_win():
    values = override_values(["strategy=broadcast", "~topics", "flag", "+p=0.1",
                              "strategy=adapted", "graph=a=b"])
    assert values == {"strategy": "adapted", "p": "0.1", "graph": "a=b"}
    assert list(values) == ["strategy", "p", "graph"]      # in first-seen order


def test_without_keys_drops_any_prefix_and_keeps_the_order():
    overrides = ["replicates=4", "strategy=adapted", "+replicate=2", "~seed", "p=0.1"]
    assert without_keys(overrides, BATCH_KEYS) == ("strategy=adapted", "~seed", "p=0.1")
    assert without_keys(overrides, ()) == tuple(overrides)


def test_one_list_of_keys_that_are_not_factors():
    assert set(BATCH_KEYS) == {"replicate", "replicates"}
    assert set(NOT_FACTORS) == {"experiment", "name", "seed", "replicate", "replicates"}
