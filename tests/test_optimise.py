"""The optimiser: levers, objectives, the Pareto front, a known optimum, and the command."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sweep_helpers import output, start, wait_for_runs

from sim.studies import optimise as op

MAX2 = [op.Objective("a", True, "a"), op.Objective("b", True, "b")]
MINMAX = [op.Objective("a", False, "a"), op.Objective("b", True, "b")]
BIN = Path(sys.executable).parent


# -- arithmetic -----------------------------------------------------------------------------


def test_the_front_is_the_points_no_other_dominates():
    values = np.array([[1, 5], [2, 4], [2, 3], [3, 1], [0, 0], [3, 1], [np.nan, 9]])
    assert op.pareto_mask(values, MAX2).tolist() == [True, True, False, True, False, True,
                                                     False]
    # minimising the first objective turns the picture
    assert op.pareto_mask(values, MINMAX).tolist() == [True, False, False, False, True, False,
                                                       False]


def test_shortfall_is_the_scaled_improvement_needed_on_every_objective():
    front = np.array([[1.0, 5.0], [3.0, 1.0]])
    scale = np.array([2.0, 4.0])
    e, k = op.shortfall(np.array([2.0, 3.0]), front, MAX2, scale)
    assert e == pytest.approx(0.5) and k == 0      # needs +2 on b (half its span) to meet (1,5)
    e, _ = op.shortfall(np.array([3.0, 5.0]), front, MAX2, scale)
    assert e == 0                                  # weakly dominates it: not behind
    e, _ = op.shortfall(np.array([4.0, 6.0]), front, MAX2, scale)
    assert e == pytest.approx(-0.5)                # strictly beyond both front points
    e, _ = op.shortfall(np.array([1.0, 5.0]), front, MAX2, scale)
    assert e == 0                                  # on it


def test_hypervolume_of_two_rectangles():
    values = np.array([[1.0, 2.0], [2.0, 1.0]])
    assert op.hypervolume(values, MAX2, np.array([0.0, 0.0])) == pytest.approx(3.0)
    # a point that is not better than the reference adds nothing
    more = np.vstack([values, [[-1.0, 10.0]]])
    assert op.hypervolume(more, MAX2, np.array([0.0, 0.0])) == pytest.approx(3.0)
    # minimising a: (1, 2) dominates (2, 1), and alone covers [1, 3] x [0, 2]
    assert op.hypervolume(values, MINMAX, np.array([3.0, 0.0])) == pytest.approx(4.0)


def test_objectives_take_the_reports_directions_and_refuse_the_unknown():
    objs = op.parse_objectives("reached,cost_per_engaged", ["reached", "cost_per_engaged"])
    assert [(o.metric, o.maximise) for o in objs] == [("reached", True),
                                                      ("cost_per_engaged", False)]
    assert op.parse_objectives("reached,spent:min")[1].maximise is False
    for text, what in (("reached", "two or three"), ("reached,nope", "not a numeric"),
                       ("reached,reached", "twice"), ("reached,spent", "no known better direction"),
                       ("reached,spent:up", ":max or :min"), ("a,b,c,d", "two or three")):
        with pytest.raises(op.OptimiseError, match=what):
            op.parse_objectives(text, ["reached", "spent", "a", "b", "c", "d"])


def test_levers_expand_to_config_keys_and_read_as_words():
    from sim import load_config

    config = load_config([])
    values = {"split": 0.4, "seeding": "engagement", "production": 0.3, "cadence": "regular",
              "adapted": True, "tone": 0.9, "incentive": 0.0, "incentive_budget": 0.1,
              "cta": False, "listening": True}
    keys = op.expand(values, config)
    # 90% of 3000 EUR, 30% of it on posts of two variants at 19.21 + 86.45 * 1.1 EUR each
    post = 2 * (19.21 + 86.45 * 1.1)
    assert keys["strategy.posts"] == int(0.3 * 2700 // post) == 3
    assert keys["strategy.interval"] == 60 // 3
    assert all(keys[k] == 0.9 for k in op.TONE_KEYS)
    assert keys["strategy.seeding"] == "engagement" and keys["strategy.listening"] is True
    words = op.describe(values, config)
    assert words == ("40% professional split, adapted content, ambassador seeding, a post "
                     "every 20 days (3 posts, 30% of the money on content), emotional tone "
                     "(0.90), no share rewards, listening")
    with pytest.raises(op.OptimiseError, match="unknown budget"):
        op.select_levers("split,budget")
    assert [lever.name for lever in op.select_levers("production,split")] == ["split",
                                                                              "production"]


@pytest.mark.parametrize("overrides", [[], ["budget.total=1500"], ["budget.total=50000"],
                                       ["budget.total=50000", "strategy=listening"]])
def test_every_point_of_the_space_is_a_campaign_the_budget_pays(overrides):
    from sim import load_config
    from sim.sweep.jobs import check_job

    config = load_config(overrides)
    rng = np.random.default_rng(0)
    corners = [{lever.name: (high if lever.kind == "bool" else
                             lever.choices[-1 if high else 0] if lever.kind == "choice" else
                             (lever.high if high else lever.low)) for lever in op.LEVERS}
               for high in (False, True)]
    drawn = [{lever.name: (bool(rng.integers(2)) if lever.kind == "bool" else
                           str(rng.choice(lever.choices)) if lever.kind == "choice" else
                           float(rng.uniform(lever.low, lever.high))) for lever in op.LEVERS}
             for _ in range(30)]
    for values in corners + drawn:
        keys = op.expand(values, config)
        run = load_config([*overrides, *(f"{k}={str(v).lower() if isinstance(v, bool) else v}"
                                         for k, v in keys.items())])
        check_job(run)                                  # the budget pays every post
        posts, interval = keys["strategy.posts"], keys["strategy.interval"]
        assert (posts - 1) * interval < run.steps       # every post is published


# -- the search finds a known optimum -------------------------------------------------------


def _known(values):
    """Two objectives whose Pareto set is production = 0.5, split in [0.2, 0.7], adapted."""
    s, p, a = values["split"], values["production"], values["adapted"]
    penalty = 2.0 * (p - 0.5) ** 2 + (0.0 if a else 0.3)
    return {"a": [1 - (s - 0.2) ** 2 - penalty], "b": [1 - (s - 0.7) ** 2 - penalty]}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_search_finds_a_known_front_within_tolerance(seed):
    levers = op.select_levers("split,production,adapted")
    trials = op.optimise_inline(_known, levers, MAX2, trials=100, batch=10, seed=seed)
    front = [t for t in trials if t.on_front]
    splits = np.array([t.values["split"] for t in front])
    # the front found lies on the true Pareto set (splits within 0.1 of [0.2, 0.7]) ...
    assert all(t.values["adapted"] and abs(t.values["production"] - 0.5) < 0.1 for t in front)
    assert splits.min() >= 0.2 - 0.1 and splits.max() <= 0.7 + 0.1
    # ... and covers it: its ends are within 0.06 of the true ends
    assert splits.min() <= 0.2 + 0.06 and splits.max() >= 0.7 - 0.06
    assert len(front) >= 10


def test_a_study_in_memory_is_reproducible_from_its_seed():
    levers = op.select_levers("split,production,adapted")
    a = op.optimise_inline(_known, levers, MAX2, trials=20, batch=5, seed=7)
    b = op.optimise_inline(_known, levers, MAX2, trials=20, batch=5, seed=7)
    assert [t.values for t in a] == [t.values for t in b]


# -- the command -----------------------------------------------------------------------------


def _optimise(tmp_path: Path, *extra: str, out: str = "study") -> subprocess.CompletedProcess:
    return subprocess.run([BIN / "mindshare-optimise", "--out", str(tmp_path / out), *extra],
                          capture_output=True, text=True, cwd=tmp_path, timeout=1200)


@pytest.mark.parametrize("args, message", [
    (["--objectives", "reached"], "two or three"),
    (["--objectives", "reached,nope"], "not a numeric summary metric"),
    (["--levers", "split,nope"], "unknown nope"),
    (["strategy.split=0.5"], "searches strategy.split"),
    (["replicates=3"], "the study sets replicates"),
    (["--trials", "0"], "--trials=0"),
    (["budget.total=-1"], "budget.total"),
])
def test_the_command_refuses_bad_inputs_before_writing(tmp_path, args, message):
    out = _optimise(tmp_path, *args)
    assert out.returncode == 2, out.stderr
    assert message in out.stderr and "Traceback" not in out.stderr
    assert not (tmp_path / "study").exists()


@pytest.mark.slow
def test_a_small_study_writes_its_front_and_reruns_a_point_as_a_named_strategy(tmp_path):
    args = ["--trials", "8", "--batch", "4", "--replicates", "2", "--levers",
            "split,seeding,production,adapted", "n=1000", "budget.total=1500"]
    first = _optimise(tmp_path, *args)
    assert first.returncode == 0, first.stderr[-3000:]
    study = tmp_path / "study"
    for name in ("report.md", "front.csv", "named.csv", "trials.parquet", "summary.json",
                 "front.png", "levers.png", "deck.pptx"):
        assert (study / name).is_file(), name
    trials = pd.read_parquet(study / "trials.parquet")
    assert len(trials) == 8 and trials["on_front"].any()
    from sim.cli.optimise import named_strategies

    named = pd.read_csv(study / "named.csv")
    assert len(named) == len(named_strategies()) == 14
    # a front point reruns as a named strategy, with the same numbers as in the study
    front = pd.read_csv(study / "front.csv")
    name, number = front.loc[0, "strategy"], int(front.loc[0, "trial"])
    assert (study / "conf" / "strategy" / f"{name}.yaml").is_file()
    rerun = subprocess.run([BIN / "mindshare", f"strategy={name}",
                            f"hydra.searchpath=[file://{study / 'conf'}]", "n=1000",
                            "budget.total=1500", f"hydra.run.dir={tmp_path / 'rerun'}"],
                           capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    summary = json.loads((tmp_path / "rerun" / "summary.json").read_text())
    row = trials[trials["number"] == number].iloc[0]
    study_runs = sorted((study / "rounds").glob(f"r*/+point=t{number:04d}*/replicate=0/"
                                                "summary.json"))
    assert len(study_runs) == 1
    in_study = json.loads(study_runs[0].read_text())
    assert summary["reached"] == in_study["reached"]
    assert summary["loyalty_gain"] == pytest.approx(in_study["loyalty_gain"])
    assert row["reached_mean"] == pytest.approx(np.mean([
        json.loads(p.read_text())["reached"] for p in
        (study / "rounds").glob(f"r*/+point=t{number:04d}*/replicate=*/summary.json")]))
    # the same command again resumes: nothing more to run, the same front
    again = _optimise(tmp_path, *args)
    assert again.returncode == 0, again.stderr[-2000:]
    assert pd.read_csv(study / "front.csv").equals(front)
    # more trials continue the same study; another definition is refused
    more = _optimise(tmp_path, *[a if a != "8" else "12" for a in args])
    assert more.returncode == 0, more.stderr[-2000:]
    assert len(pd.read_parquet(study / "trials.parquet")) == 12
    other = _optimise(tmp_path, *args[:-1], "budget.total=2000")
    assert other.returncode == 2 and "holds another optimisation" in other.stderr


@pytest.mark.slow
def test_a_study_stopped_mid_round_resumes_to_the_same_front(tmp_path):
    out = tmp_path / "study"
    cmd = ["--trials", "8", "--batch", "4", "--replicates", "3", "--levers",
           "split,seeding,production", "--out", str(out), "--no-named", "--no-charts",
           "n=3000", "hydra.launcher.n_jobs=1"]
    proc = start(cmd, tmp_path, program=BIN / "mindshare-optimise")
    first = out / "rounds" / "r000"
    wait_for_runs(proc, first, 2, timeout=120)
    os.killpg(proc.pid, signal.SIGINT)              # Ctrl-C, as a terminal sends it
    assert proc.wait(timeout=60) == 130
    assert "rerun the same command to resume" in output(tmp_path)[1]
    kept = {p: p.stat().st_mtime_ns for p in first.rglob("status.json")}
    again = _optimise(tmp_path, *[c for c in cmd if c not in ("--out", str(out))])
    assert again.returncode == 0, again.stderr[-2000:]
    assert f"{len(kept)} already complete" in again.stderr
    assert all(p.stat().st_mtime_ns == t for p, t in kept.items())   # nothing redone
    # the same trials and front as a study never stopped
    whole = _optimise(tmp_path, *[c for c in cmd if c not in ("--out", str(out))], out="whole")
    assert whole.returncode == 0, whole.stderr[-2000:]
    cols = ["number", "split", "seeding", "production", "reached_mean", "loyalty_gain_mean",
            "on_front"]
    pd.testing.assert_frame_equal(pd.read_parquet(out / "trials.parquet")[cols],
                                  pd.read_parquet(tmp_path / "whole" / "trials.parquet")[cols])
