"""The optimisation's outputs, from a hand-built study whose front and shortfalls are known."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from pptx import Presentation
from scipy import stats

from sim.config import Config
from sim.studies import optimise_charts as charts
from sim.studies import optimise_report as rep
from sim.studies import optimise_text as text
from sim.studies.optimise import (
    LEVERS_BY_NAME,
    Named,
    Objective,
    Outcome,
    Trial,
    describe,
    expand,
    mark_front,
    place_named,
)

STEPS = 60
OBJECTIVES = [Objective("reached", True, "People reached"),
              Objective("loyalty_gain", True, "Loyalty gained")]
LEVERS = [LEVERS_BY_NAME[n] for n in ("split", "seeding", "production", "adapted")]
CONFIG = Config()
SETTINGS = {"n": 10_000, "steps": STEPS, "budget": 3000.0, "replicates": 3, "seed": 7,
            "sampler": "tpe", "batch": 4, "overrides": ["n=10000", "budget.total=3000"],
            "base_strategy": "broadcast"}


def _trial(number, split, seeding, production, adapted, reached, loyalty, **kw):
    return Trial(number, {"split": split, "seeding": seeding, "production": production,
                          "adapted": adapted},
                 {"reached": reached, "loyalty_gain": loyalty}, **kw)


def _trials():
    return [
        # means (1100, 0.012): the most reach
        _trial(0, 0.2, "degree", 0.5, True, [1000, 1100, 1200], [0.010, 0.012, 0.014]),
        # (800, 0.03): the most loyalty
        _trial(1, 0.9, "engagement", 0.2, False, [800, 800, 800], [0.03, 0.03, 0.03]),
        # (950, 0.02): between them
        _trial(2, 0.5, "community", 0.3, True, [900, 950, 1000], [0.02, 0.02, 0.02]),
        # (700, 0.01): behind every other
        _trial(3, 0.1, "random", 0.9, False, [700, 700, 700], [0.01, 0.01, 0.01]),
        # the most reach of all, but no loyalty value: never on the front
        _trial(4, 0.3, "kcore", 0.4, True, [1500, 1500, 1500], [math.nan] * 3),
        _trial(5, 0.4, "random", 0.1, False, [], [], state="fail", error="the run crashed"),
    ]


def _outcome(named=None, trials=None, objectives=OBJECTIVES):
    trials = _trials() if trials is None else trials
    front = mark_front(trials, objectives)
    if named is None:
        named = [Named("broadcast", {"reached": [700, 750, 800], "loyalty_gain": [0.01] * 3}),
                 Named("ambassadors", {"reached": [950, 1000, 1050],
                                       "loyalty_gain": [0.014, 0.015, 0.016]})]
    place_named(named, front, objectives, trials)
    return Outcome(list(objectives), list(LEVERS), trials, front, named, dict(SETTINGS),
                   CONFIG)


def objective_interval(values):
    v = np.asarray(values, dtype=float)
    half = stats.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / math.sqrt(len(v))
    return v.mean(), v.mean() - half, v.mean() + half


@pytest.fixture
def written(tmp_path):
    outcome = _outcome()
    paths = rep.write_outputs(tmp_path, outcome, command="mindshare-optimise --trials 6")
    return tmp_path, outcome, paths


def test_front_names_follow_the_rank():
    outcome = _outcome()
    assert [t.number for t in outcome.front] == [0, 2, 1]
    assert text.front_names(outcome) == ["front_01", "front_02", "front_03"]


def test_front_csv_lists_the_front_best_first_with_intervals(written):
    out, _, paths = written
    assert out / "front.csv" in paths
    front = pd.read_csv(out / "front.csv")
    assert front["rank"].tolist() == [1, 2, 3]
    assert front["trial"].tolist() == [0, 2, 1]
    assert front["strategy"].tolist() == ["front_01", "front_02", "front_03"]
    mean, lo, hi = objective_interval([1000, 1100, 1200])
    assert front.loc[0, ["reached_mean", "reached_low", "reached_high"]].tolist() == \
        pytest.approx([mean, lo, hi])
    assert front["loyalty_gain_mean"].tolist() == pytest.approx([0.012, 0.02, 0.03])
    assert front["split"].tolist() == pytest.approx([0.2, 0.5, 0.9])
    assert front["seeding"].tolist() == ["degree", "community", "engagement"]
    assert front.loc[0, "description"] == describe(_trials()[0].values, CONFIG)


def test_named_csv_places_each_strategy_against_the_front(written):
    out, _, _ = written
    named = pd.read_csv(out / "named.csv", keep_default_na=False)
    # the searched range (complete trials): 800 people (700 to 1500) and 0.02 of loyalty
    assert named["name"].tolist() == ["ambassadors", "broadcast"]     # by shortfall
    # ambassadors (1000, 0.015): front_01 (1100, 0.012) is 100 / 800 better on reach
    # broadcast (750, 0.01): front_01 is 350 / 800 better on reach and beats it on both
    assert named["shortfall"].astype(float).tolist() == pytest.approx([100 / 800, 350 / 800])
    assert named["on_front"].tolist() == [True, False]
    assert named["verdict"].tolist() == ["on the front", "behind the front"]
    assert named["nearest"].tolist() == ["front_01", "front_01"]
    assert named.loc[1, "beaten_by"] == "front_01"
    assert named.loc[0, "sentence"].startswith("on the front")
    assert named.loc[1, "sentence"] == (
        "behind the front: front_01 does better on every objective (350 more people reached, "
        "0.2 points more loyalty gained); it needs 44% of the searched range more on every "
        "objective to reach it (nearest: front_01)")


def test_a_strategy_better_than_a_front_point_is_beyond_it(tmp_path):
    named = [Named("influencers", {"reached": [1200] * 3, "loyalty_gain": [0.02] * 3})]
    outcome = _outcome(named)
    where = text.placement(outcome, named[0])
    assert where["verdict"] == "beyond the front" and where["on_front"]
    assert where["sentence"] == "beyond the front: better than front_01 on every objective"
    assert named[0].shortfall < 0


def test_trials_parquet_has_a_row_per_trial(written):
    out, _, _ = written
    trials = pd.read_parquet(out / "trials.parquet")
    assert list(trials.columns) == [
        "number", "state", "error", "split", "seeding", "production", "adapted",
        "reached_mean", "reached_low", "reached_high", "loyalty_gain_mean", "loyalty_gain_low",
        "loyalty_gain_high", "on_front", "description"]
    assert trials["number"].tolist() == [0, 1, 2, 3, 4, 5]
    assert trials["on_front"].tolist() == [True, True, True, False, False, False]
    assert trials.loc[4, "reached_mean"] == 1500 and math.isnan(trials.loc[4, "loyalty_gain_mean"])
    assert trials.loc[5, "state"] == "fail" and trials.loc[5, "error"] == "the run crashed"
    assert math.isnan(trials.loc[5, "reached_mean"])
    assert trials.loc[2, "description"] == describe(_trials()[2].values, CONFIG)
    assert trials["production"].tolist() == pytest.approx([0.5, 0.2, 0.3, 0.9, 0.4, 0.1])


def test_report_tells_the_front_and_the_verdicts(written):
    out, outcome, _ = written
    text = (out / "report.md").read_text()
    assert text.startswith("# Optimisation at EUR 3,000.00 for 10,000 people")
    assert "6 trials searched 4 levers" in text and "3 are on the Pareto front" in text
    for t in outcome.front:
        assert describe(t.values, CONFIG) in text
    assert "1,100 (852 to 1,348)" in text             # reach, with its 95% interval
    assert "1.2 points (0.7 to 1.7)" in text          # loyalty, in points
    assert "1 is on or beyond the front and 1 behind it" in text
    assert text.index("**Ambassador seeding**") < text.index("**Broadcast**")
    assert "needs 44% of the searched range" in text
    assert f"mindshare strategy=front_01 hydra.searchpath=[file://{out.resolve()}/conf] " \
           "n=10000 budget.total=3000" in text
    assert "mindshare-optimise --trials 6" in text
    assert "replicates 0..2 with the same seed (7)" in text
    assert "![" in text and "front.png" in text


def test_summary_is_flat_and_counts(written):
    out, _, _ = written
    flat = json.loads((out / "summary.json").read_text())
    assert flat["trials"] == 6 and flat["complete"] == 5 and flat["failed"] == 1
    assert flat["front_size"] == 3 and flat["named_on_front"] == 1
    assert flat["best_reached"] == pytest.approx(1100) and flat["best_reached_trial"] == 0
    assert flat["best_loyalty_gain"] == pytest.approx(0.03)
    assert all(not isinstance(v, dict | list) for v in flat.values())


def test_deck_has_title_charts_front_named_and_method(written):
    out, _, _ = written
    prs = Presentation(out / "deck.pptx")
    titles = [s.shapes.title.text_frame.text for s in prs.slides]
    assert len(titles) == 6
    assert titles[0] == "What to do with EUR 3,000"
    assert titles[3:] == ["The Pareto front, best first",
                          "The shipped strategies against the front", "Method"]


def test_a_long_front_is_split_over_slides(tmp_path):
    trials = [_trial(k, k / 10, "random", 0.5, True, [1000 + 10 * k] * 3,
                     [0.03 - 0.001 * k] * 3) for k in range(10)]
    outcome = _outcome([], trials)
    assert len(outcome.front) == 10
    rep.write_outputs(tmp_path, outcome, command="c", charts=False)
    titles = [s.shapes.title.text_frame.text for s in Presentation(tmp_path / "deck.pptx").slides]
    assert titles == ["What to do with EUR 3,000", "The Pareto front, best first (1 of 2)",
                      "The Pareto front, best first (2 of 2)", "Method"]


def test_charts_plot_the_front_and_the_named(tmp_path):
    outcome = _outcome()
    chart = charts.front_chart(tmp_path, outcome)
    # loyalty shown in points (x100)
    assert chart.data["front"] == [("front_01", pytest.approx(1100), pytest.approx(1.2)),
                                   ("front_02", pytest.approx(950), pytest.approx(2.0)),
                                   ("front_03", pytest.approx(800), pytest.approx(3.0))]
    assert [n for n, *_ in chart.data["named"]] == ["broadcast", "ambassadors"]
    assert chart.data["trials"] == 4                   # the NaN one and the failed one left out
    assert chart.title == ("3 best trade-offs at EUR 3,000: from 1,100 people reached and "
                           "1.2 points loyalty gained to 800 and 3.0 points")
    assert (tmp_path / "front.png").stat().st_size > 10_000
    levers = charts.levers_chart(tmp_path, outcome)
    assert levers.data["rows"] == ["front_01", "front_02", "front_03"]
    posts = [expand(t.values, CONFIG)["strategy.posts"] for t in outcome.front]
    assert levers.data["words"][0] == ["20%", "influencer", f"50%\n{posts[0]} posts", "yes"]
    assert levers.data["words"][2] == ["90%", "ambassador", f"20%\n{posts[2]} posts", "no"]
    assert (tmp_path / "levers.png").exists() and (tmp_path / "deck_charts" / "levers.png").exists()


def test_long_rows_take_more_slides_than_their_count():
    short = [["1", "front_01", "adapted content", "1,000", "1.0 points"]] * 8
    long = [["1", "front_01", "x" * 300, "1,000", "1.0 points"]] * 8
    widths = [0.4, 1.1, 5.6, 2.0, 2.0]
    assert [len(p) for p in rep._pages(short, widths, 12)] == [8]
    assert len(rep._pages(long, widths, 12)) > 1
    assert rep._pages([], widths, 12) == []


def test_levers_title_names_the_trend_and_the_shared_levers():
    outcome = _outcome()
    for t in outcome.front:
        t.values["adapted"] = True
    # split rises 0.2, 0.5, 0.9 along the front; every point has adapted content
    assert charts._levers_title(outcome) == ("From front_01 to front_03, split rises from 20% to "
                                          "90%; every point has adapted content")


def test_the_staircase_turns_at_the_worse_corner():
    pts = np.array([[10.0, 1.0], [1.0, 10.0]])
    path = charts._step_path(pts, OBJECTIVES)
    assert path.tolist() == [[1, 10], [1, 1], [10, 1]]
    lower = [OBJECTIVES[0], Objective("cost_per_engaged", False, "Cost")]
    # more reach costs more: the corner takes the lower reach and the higher cost
    path = charts._step_path(np.array([[1.0, 1.0], [10.0, 5.0]]), lower)
    assert path.tolist() == [[1, 1], [1, 5], [10, 5]]


def test_no_complete_trial_writes_what_it_can(tmp_path):
    trials = [_trial(0, 0.1, "random", 0.5, False, [], [], state="fail", error="x")]
    outcome = _outcome(trials=trials)
    paths = rep.write_outputs(tmp_path, outcome, command="c")
    assert not (tmp_path / "front.png").exists()
    assert pd.read_csv(tmp_path / "front.csv").empty
    named = pd.read_csv(tmp_path / "named.csv")
    assert set(named["verdict"]) == {"not placed"}
    text = (tmp_path / "report.md").read_text()
    assert "there is no front" in text and "## The Pareto front" not in text
    assert tmp_path / "deck.pptx" in paths


def test_a_single_trial_has_no_range_and_differences_are_told_in_units(tmp_path):
    trials = [_trial(0, 0.2, "degree", 0.5, True, [1000] * 3, [0.02] * 3)]
    named = [Named("broadcast", {"reached": [700] * 3, "loyalty_gain": [0.01] * 3})]
    outcome = _outcome(named, trials)
    rep.write_outputs(tmp_path, outcome, command="c")
    row = pd.read_csv(tmp_path / "named.csv").iloc[0]
    assert row["verdict"] == "behind the front" and row["shortfall_in"] == "objective units"
    assert row["sentence"] == ("behind the front: front_01 does better on every objective "
                               "(300 more people reached, 1.0 points more loyalty gained)")
    text = (tmp_path / "report.md").read_text()
    assert "on the Pareto front" in text
    assert (tmp_path / "front.png").exists()


def test_without_named_strategies_their_parts_are_left_out(tmp_path):
    outcome = _outcome([])
    rep.write_outputs(tmp_path, outcome, command="c")
    assert pd.read_csv(tmp_path / "named.csv").empty
    text = (tmp_path / "report.md").read_text()
    assert "shipped strategies" not in text.split("## Method")[0]
    assert len(Presentation(tmp_path / "deck.pptx").slides) == 5


def test_three_objectives_colour_the_front(tmp_path):
    objectives = [*OBJECTIVES, Objective("cost_per_engaged", False, "Cost per person engaged")]
    trials = _trials()
    for t, cost in zip(trials, [2.0, 1.0, 3.0, 0.5, 1.0, 1.0], strict=True):
        if t.state == "complete":
            t.samples["cost_per_engaged"] = [cost] * 3
    outcome = _outcome(trials=trials, objectives=objectives)
    # trial 3 is now on the front: the cheapest per person engaged
    assert sorted(t.number for t in outcome.front) == [0, 1, 2, 3]
    chart = charts.front_chart(tmp_path, outcome)
    assert len(chart.data["front"]) == 4
    front = rep.front_frame(outcome)
    assert front["cost_per_engaged_mean"].tolist() == pytest.approx([2.0, 3.0, 1.0, 0.5])
    rep.write_outputs(tmp_path, outcome, command="c")
    assert "EUR 0.50" in (tmp_path / "report.md").read_text()


def test_values_are_told_in_their_units():
    reached, loyalty = OBJECTIVES
    cost = Objective("cost_per_engaged", False, "Cost")
    assert text.value_text(reached, 12345.4) == "12,345"
    assert text.value_text(loyalty, 0.0234) == "2.3 points"
    assert text.value_text(cost, 0.456) == "EUR 0.46"
    assert text.interval_text(cost, 0.5, 0.4, 0.6) == "EUR 0.50 (0.40 to 0.60)"
    assert text.value_text(reached, math.nan) == "n/a"
