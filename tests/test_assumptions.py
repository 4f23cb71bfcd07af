"""Plausible ranges: every assumption has one, it is sound, and studies draw only the relevant.

A plausible range is read from the schema's field metadata (:mod:`sim.config.assumptions`);
the calibrated keys' ranges are the calibration's intervals (``conf/calibration/fitted.yaml``),
widened to the fitted default where it lies outside.
"""

from __future__ import annotations

import importlib.resources
import re

import pytest

from sim import load_config, simulate
from sim.config import all_assumptions, plausible, world_assumptions
from sim.config.schema import Config, _walk


def test_every_key_marked_assumption_or_calibrated_has_a_plausible_range():
    ranged = {a.key for a in all_assumptions()}
    marked = [key for key, f, _ in _walk(Config())
              if "assumption" in f.metadata.get("source", "") or
              "calibrated" in f.metadata.get("source", "")]
    assert marked and [k for k in marked if k not in ranged] == []


@pytest.mark.parametrize("a", all_assumptions(), ids=lambda a: a.key)
def test_a_range_is_inside_the_allowed_one_contains_the_default_and_says_why(a):
    meta = next(f.metadata for key, f, _ in _walk(Config()) if key == a.key)
    assert a.low < a.high
    assert (meta["lo"] is None or a.low >= meta["lo"]) and (meta["hi"] is None or
                                                            a.high <= meta["hi"])
    assert a.low <= a.default <= a.high
    assert a.why and a.role in ("world", "lever", "definition", "model")
    assert not a.log or a.low > 0
    if a.integer:
        assert float(a.low).is_integer() and float(a.high).is_integer()


def test_calibrated_ranges_are_the_calibration_intervals_widened_to_the_default():
    text = (importlib.resources.files("sim.conf") / "calibration" / "fitted.yaml").read_text()
    intervals = dict(re.findall(r"^\s*(\w+): [\d.]+ .*10-90% ([\d.]+-[\d.]+)", text, re.M))
    for key in ("p", "share.fit", "share.social", "share.fatigue", "network.crosspost",
                "network.feed_ttl"):
        a = plausible(key)
        lo, hi = map(float, intervals[key.rsplit(".", 1)[-1]].split("-"))
        assert "calibration" in a.why, key
        # the schema quotes the interval to two or three digits
        assert a.low == pytest.approx(min(lo, a.default), rel=0.03), key
        assert a.high == pytest.approx(max(hi, a.default), rel=0.03), key
    assert plausible("network.feed_ttl").high == 8       # widened to the fitted default


def test_levers_definitions_and_switches_are_never_drawn():
    drawn = {a.key for a in world_assumptions()}
    assert {"budget.total", "strategy.split", "loyalty.loyal", "loyalty.detractor",
            "share.threshold"}.isdisjoint(drawn)
    assert {"p", "share.fatigue", "loyalty.spacing"} <= drawn


def test_only_the_assumptions_that_apply_to_a_config_are_drawn():
    default = {a.key for a in world_assumptions()}
    assert not any(k.startswith("network.topic.") for k in default)     # topic layer off
    assert "network.personal.mixing" in default                        # community generator
    assert "network.personal.m" not in default                         # not its generator
    pro = {a.key for a in world_assumptions(load_config(["network=professional"]))}
    assert not any(k.startswith("network.personal.") for k in pro)
    topic = {a.key for a in world_assumptions(load_config(["network.topic.enabled=true"]))}
    assert "network.topic.visibility" in topic
    cascade = world_assumptions(load_config(["experiment=independent_cascade"]))
    assert [a.key for a in cascade] == ["p"]
    assert plausible("network.professional.activity").default == 0.35
    assert world_assumptions(load_config(["p=0.02"]))[0].default == 0.02


def test_a_key_without_a_range_is_named():
    with pytest.raises(KeyError, match="n: no plausible range"):
        plausible("n")


@pytest.mark.parametrize("corner", ["low", "high"])
def test_a_world_at_every_range_corner_is_valid_and_runs(corner):
    overrides = []
    for a in world_assumptions():
        value = getattr(a, corner)
        if a.even:
            value = 2 * round(value / 2)
        overrides.append(f"{a.key}={int(value) if a.integer else float(value)!r}")
    config = load_config([*overrides, "n=300", "steps=10", "output.write_trace=false"])
    assert simulate(config).summary["reached"] >= 0


def test_the_help_and_the_readme_show_the_plausible_ranges():
    from pathlib import Path

    from sim.cli.help import help_text

    assert "Plausible: 0.099-0.81; the calibration" in " ".join(help_text(100).split())
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    assert "Plausible: 0.099-0.81; the calibration's 10-90% interval" in readme
