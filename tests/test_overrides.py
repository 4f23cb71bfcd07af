"""Override strings read as text: prefixes, values holding ``=``, keys without a value; lists that
are not lists of strings; unknown keys and the keys they may mean."""

import pytest

from sim.config import (
    BATCH_KEYS,
    NOT_FACTORS,
    Override,
    check_overrides,
    first_unknown_key,
    override_key,
    override_values,
    parse_override,
    unknown_key,
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


@pytest.mark.parametrize(("given", "message"), [
    ("p=0.1", "overrides='p=0.1': must be a list of strings, not a string; e.g. "
              "load_config(['p=0.1'])"),
    (b"p=0.1", "overrides=b'p=0.1': must be a list of strings, not a string; e.g. "
               "load_config([b'p=0.1'])"),
    ({"p": 0.1}, "overrides={'p': 0.1}: must be a list of strings such as ['p=0.1'], not dict"),
    (["p=0.1", None], "overrides=['p=0.1', None]: must be a list of strings such as "
                      "['p=0.1']; None is a NoneType"),
])
def test_overrides_that_are_not_a_list_of_strings(given, message):
    with pytest.raises(TypeError) as err:
        check_overrides(given)
    assert str(err.value) == message


def test_a_list_or_tuple_of_strings_or_none_is_accepted():
    assert check_overrides(None) == [] and check_overrides(("p=0.1",)) == ["p=0.1"]


@pytest.mark.parametrize(("key", "hint"), [
    ("pp", " (did you mean p?)"),
    ("stratgy", " (did you mean strategy?)"),
    ("strategy.post", " (did you mean strategy.posts?)"),
    ("budget.seed_personal", " (did you mean budget.personal?)"),
    ("mean_degree", " (did you mean network.personal.mean_degree or "
                    "network.professional.mean_degree?)"),
    ("network.personal.recptivity", " (did you mean network.personal.receptivity or "
                                    "network.personal.activity?)"),
    ("foo", ""),
])
def test_unknown_keys_suggest_the_keys_they_may_mean(key, hint):
    error = unknown_key(key, "1")
    assert error.key == key
    assert str(error).startswith(f"{key}='1': unknown key{hint}; known keys here: ")


def test_the_first_key_the_schema_lacks_is_found_at_any_depth():
    assert first_unknown_key({"p": 0.1, "network": {"personal": {"m": 3}}}) is None
    assert first_unknown_key({"p": 0.1, "network": {"personal": {"bar": 2}}}) == (
        "network.personal.bar", 2)
    assert first_unknown_key({"foo": 1}) == ("foo", 1)
