"""The calibration: its input files, distance, intervals, point files and the command.

Fast tests check the parts in-process and the command's bad inputs (one line, exit 2,
nothing written). The slow test is the self-consistency check: targets made by the model
itself at known parameter values are fitted by ``mindshare-calibrate`` on a reduced budget,
and the known values must lie within the reported intervals; it also checks that a stopped
calibration resumes without redoing a run.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.studies import calibration as cal
from sim.studies.points import (
    job_dirs,
    point_name,
    point_text,
    read_point,
    round_overrides,
    write_point,
)

HERE = Path(__file__).parent / "calibration"
CALIBRATE = str(Path(sys.executable).parent / "mindshare-calibrate")
TWO = str(HERE / "parameters_two.yaml")
SMALL = str(HERE / "targets_small.yaml")


def _yaml(tmp_path: Path, name: str, data) -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return str(path)


def _params(tmp_path, *entries) -> str:
    return _yaml(tmp_path, "parameters.yaml", {"parameters": list(entries)})


# -- input files ------------------------------------------------------------------------------


def test_parameters_file_shipped_is_valid():
    ps = cal.read_parameters(Path(__file__).parents[1] / "conf" / "calibration" /
                             "parameters.yaml")
    keys = [p.key for p in ps]
    assert "p" in keys and "share.social" in keys
    ttl = next(p for p in ps if p.key == "network.feed_ttl")
    assert ttl.integer and not next(p for p in ps if p.key == "p").integer
    assert all(p.why for p in ps)


@pytest.mark.parametrize(("entry", "message"), [
    ({"key": "q", "low": 0, "high": 1, "why": "x"}, "key='q': not a numeric config key"),
    ({"key": "strategy.name", "low": 0, "high": 1, "why": "x"},
     "key='strategy.name': not a numeric config key"),
    ({"key": "p", "low": 0.1, "high": 1.5, "why": "x"},
     "p.high=1.5: outside the schema's range of p, [0, 1]"),
    ({"key": "share.social", "low": -1, "high": 1, "why": "x"},
     "share.social.low=-1: outside the schema's range of share.social, [0, 50]"),
    ({"key": "p", "low": 0.2, "high": 0.1, "why": "x"},
     "p: low=0.2, high=0.1: must have low < high"),
    ({"key": "p", "low": 0.0, "high": 0.1, "log": True, "why": "x"},
     "p.low=0: must be > 0 on a log scale"),
    ({"key": "network.feed_ttl", "low": 1.5, "high": 4, "why": "x"},
     "network.feed_ttl.low=1.5: network.feed_ttl is an integer key"),
    ({"key": "p", "low": "a", "high": 0.1, "why": "x"},
     "parameters[0] (p).low='a': must be a finite"),
    ({"key": "p", "low": 0.01, "high": 0.1}, "parameters[0] (p).why: missing"),
])
def test_bad_parameters_are_refused_naming_key_and_value(tmp_path, entry, message):
    with pytest.raises(cal.StudyError) as err:
        cal.read_parameters(_params(tmp_path, entry))
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_files_are_refused(tmp_path):
    with pytest.raises(cal.StudyError, match="--parameters='.*nope.yaml': no such file"):
        cal.read_parameters(tmp_path / "nope.yaml")
    with pytest.raises(cal.StudyError, match="--targets='.*nope.yaml': no such file"):
        cal.read_targets(tmp_path / "nope.yaml")


@pytest.mark.parametrize(("entry", "message"), [
    ({"name": "Bad Name", "metric": "engaged", "value": 1, "sd": 1},
     "targets[0].name='Bad Name': must be a snake_case identifier"),
    ({"name": "a", "metric": "engaged", "value": 1, "sd": 0},
     "targets[0] (a).sd=0: must be a number > 0"),
    ({"name": "a", "metric": "engaged", "value": None, "sd": 1},
     "targets[0] (a).value=None: must be a finite number"),
    ({"name": "a", "metric": "engaged", "value": 1, "sd": 1, "weight": -1},
     "targets[0] (a).weight=-1: must be a number > 0"),
])
def test_bad_targets_are_refused(tmp_path, entry, message):
    path = _yaml(tmp_path, "targets.yaml", {"targets": [entry]})
    with pytest.raises(cal.StudyError) as err:
        cal.read_targets(path)
    assert message in str(err.value)


def test_targets_fixture_reads_and_metric_check():
    targets = cal.read_targets(SMALL)
    assert [t.metric for t in targets] == ["reached_fraction", "engaged"]
    cal.check_metrics(targets, ["reached_fraction", "engaged", "reached"])
    with pytest.raises(cal.StudyError, match="reach.metric='reached_fraction': not a numeric key"):
        cal.check_metrics(targets, ["engaged"])


def test_overrides_that_set_a_fitted_key_are_refused():
    ps = cal.read_parameters(TWO)
    cal.check_overrides(ps, ["n=1000", "hydra/launcher=basic"])
    with pytest.raises(cal.StudyError, match="share.social is a fitted parameter"):
        cal.check_overrides(ps, ["share.social=0.3"])
    with pytest.raises(cal.StudyError, match="replicates is set by the calibration"):
        cal.check_overrides(ps, ["replicates=3"])


# -- distance and intervals -------------------------------------------------------------------


def test_distance_is_the_weighted_sum_of_squared_z():
    ts = [cal.Target("a", "x", 10.0, 2.0, 1.0), cal.Target("b", "y", 0.5, 0.1, 3.0)]
    assert cal.distance(ts, {"x": 14.0, "y": 0.4}) == pytest.approx(4.0 + 3.0 * 1.0)
    assert cal.distance(ts, {"x": 10.0, "y": 0.5}) == 0.0
    assert math.isnan(cal.distance(ts, {"x": 10.0}))
    assert math.isnan(cal.distance(ts, {"x": 10.0, "y": math.nan}))


def test_rejection_intervals_cover_the_truth_on_synthetic_trials():
    # trials spread over [0, 1]; the distance is that of 3 targets whose model values are
    # linear in the parameter, true value 0.3, each target's sd 0.05 in parameter units
    rng = np.random.default_rng(1)
    theta = rng.uniform(0, 1, 400)
    noise = rng.normal(0, 0.05, (400, 3))
    dist = (((theta[:, None] + noise - 0.3) / 0.05) ** 2).sum(axis=1)
    mask, rule = cal.accept(dist, 3)
    assert "chi-square with 3 degrees of freedom" in rule
    assert cal.tolerance(3) == pytest.approx(6.2514, abs=1e-3)
    e = cal.estimate("k", theta, mask, best=float(theta[np.argmin(dist)]))
    assert e.span == "10-90%"
    assert e.low < 0.3 < e.high
    assert e.high - e.low < 0.2           # informative: far narrower than the range searched
    assert e.accepted == int(mask.sum()) >= cal.MIN_ACCEPTED


def test_too_few_within_tolerance_takes_the_best():
    dist = [100.0, 50.0, 10.0, 20.0, 30.0, 40.0, math.nan, 60.0]
    mask, rule = cal.accept(dist, 2)
    assert rule.startswith("the 5 best trials (only 0 had distance <= 4.61")
    assert sorted(np.flatnonzero(mask)) == [1, 2, 3, 4, 5]
    # with many trials, the best fifth
    many = [100.0 + i for i in range(50)]
    mask, rule = cal.accept(many, 2)
    assert rule.startswith("the 10 best trials") and sorted(np.flatnonzero(mask)) == list(range(10))


def test_few_accepted_report_their_whole_range():
    values = [0.1, 0.2, 0.3, 0.4, 0.5, 0.9]
    mask = np.array([True] * 5 + [False])
    e = cal.estimate("k", values, mask, best=0.3)
    assert (e.low, e.high, e.median, e.span, e.accepted) == (0.1, 0.5, 0.3, "min-max", 5)


def test_replicate_interval():
    m, lo, hi = cal.replicate_interval([1.0, 2.0, 3.0])
    assert m == 2.0 and lo < 2.0 < hi
    assert hi - m == pytest.approx(4.302653 * 1.0 / math.sqrt(3), rel=1e-5)
    assert cal.replicate_interval([5.0]) == (5.0, 5.0, 5.0)


# -- point files ------------------------------------------------------------------------------


def test_point_files_round_trip(tmp_path):
    values = {"p": 0.047123456789012345, "share.social": 0.8, "network.feed_ttl": 4}
    name = write_point(tmp_path, 7, values)
    assert name == point_name(7) == "t0007"
    path = tmp_path / "point" / "t0007.yaml"
    assert path.read_text().startswith("# @package _global_\n")
    assert read_point(path) == values
    text = point_text({"share.fit": 1.5}, {"share.fit": "why"}, ["head"])
    assert text == "# @package _global_\n# head\nshare:\n  fit: 1.5  # why\n"


def test_round_overrides_and_job_dirs(tmp_path):
    args = round_overrides(["t0000", "t0001"], tmp_path / "points", tmp_path / "r000",
                           replicates=3, name="c", extra=["n=1000"])
    assert args[0] == "+point=t0000,t0001"
    assert args[1] == f"hydra.searchpath=['{(tmp_path / 'points').resolve().as_uri()}']"
    assert "replicates=3" in args and args[-1] == "n=1000"
    for d in ("+point=t0000,n=1000", "+point=t00001,n=1000", "+point=t0001,n=1000"):
        (tmp_path / "r000" / d).mkdir(parents=True)
    assert [d.name for d in job_dirs(tmp_path / "r000", "t0000")] == ["+point=t0000,n=1000"]


# -- the command's bad inputs -----------------------------------------------------------------


BAD_COMMANDS = [
    (["--trials", "0"], "mindshare: error: --trials=0: must be an integer >= 1"),
    (["--parameters", "{tmp}/none.yaml"],
     "mindshare: error: --parameters='{tmp}/none.yaml': no such file; expected a YAML "
     "parameters file"),
    (["--parameters", "{params}", "--targets", SMALL],
     "mindshare: error: --parameters: p.high=2: outside the schema's range of p, [0, 1]"),
    (["--parameters", TWO, "--targets", "{targets}"],
     "mindshare: error: --targets: a.metric='reachd': not a numeric key of summary.json"),
    (["--parameters", TWO, "--targets", SMALL, "p=0.1"],
     "mindshare: error: p=0.1: p is a fitted parameter (--parameters); leave it out of the "
     "overrides"),
    (["--parameters", TWO, "--targets", SMALL, "nn=3"], "mindshare: error: nn='3': unknown key"),
]


def _run_bad(tmp_path: Path, i: int, args: list[str], line: str) -> None:
    work = tmp_path / f"case{i}"
    work.mkdir()
    _yaml(work, "bad_params.yaml", {"parameters": [{"key": "p", "low": 0.1, "high": 2,
                                                    "why": "x"}]})
    _yaml(work, "bad_targets.yaml", {"targets": [{"name": "a", "metric": "reachd",
                                                  "value": 1, "sd": 1}]})
    fill = {"tmp": str(work), "params": str(work / "bad_params.yaml"),
            "targets": str(work / "bad_targets.yaml")}
    before = sorted(os.listdir(work))
    proc = subprocess.run([CALIBRATE, *(a.format(**fill) for a in args), "--out",
                           str(work / "out")], capture_output=True, text=True, cwd=work,
                          timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(line.format(**fill)), lines[0]
    assert sorted(os.listdir(work)) == before          # nothing written


def test_bad_command_lines_fail_on_one_line_writing_nothing(tmp_path):
    with ThreadPoolExecutor(3) as pool:
        list(pool.map(lambda c: _run_bad(tmp_path, *c),
                      [(i, a, line) for i, (a, line) in enumerate(BAD_COMMANDS)]))


def test_another_study_in_the_same_directory_is_refused(tmp_path):
    out = tmp_path / "study"
    out.mkdir()
    held = {"parameters": [], "targets": [], "replicates": 9, "seed": 0, "overrides": []}
    (out / "study.json").write_text(json.dumps(held))
    proc = subprocess.run([CALIBRATE, "--parameters", TWO, "--targets", SMALL, "--out",
                           str(out), "n=500"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f"mindshare: error: --out='{out}': holds another calibration (its overrides, "
        "parameters, replicates, targets differ); choose another --out or remove the "
        "directory")
    assert sorted(os.listdir(out)) == ["study.json"]
    assert json.loads((out / "study.json").read_text()) == held


# -- self-consistency (slow) ------------------------------------------------------------------

#: Known values the targets are made at, and the budget of the fit (README, "Calibration").
TRUE = {"p": 0.05, "share.social": 0.8}
N, FIT_REPLICATES, TARGET_REPLICATES = 1000, 3, 6
METRICS = ("reached_fraction", "engaged", "cascade_mean", "reproduction_number")


def _self_targets(path: Path) -> None:
    """Targets made by the model at :data:`TRUE`: each metric's mean over replicates, its
    sd the noise of the difference between a fit's mean and this one."""
    from sim import load_config, simulate

    runs = [simulate(load_config([f"n={N}", f"replicate={r}",
                                  *(f"{k}={v}" for k, v in TRUE.items())])).summary
            for r in range(TARGET_REPLICATES)]
    targets = []
    for m in METRICS:
        v = np.array([float(s[m]) for s in runs])
        sd = v.std(ddof=1) * math.sqrt(1 / FIT_REPLICATES + 1 / TARGET_REPLICATES)
        targets.append({"name": f"self_{m}", "metric": m, "value": float(v.mean()),
                        "sd": float(max(sd, 1e-3 * abs(v.mean()), 1e-6)), "weight": 1.0})
    path.write_text(yaml.safe_dump({"targets": targets}))


@pytest.mark.slow
def test_self_consistency_recovers_known_parameters(tmp_path):
    targets = tmp_path / "targets.yaml"
    _self_targets(targets)
    out = tmp_path / "study"
    cmd = [CALIBRATE, "--targets", str(targets), "--parameters", TWO, "--trials", "40",
           "--batch", "10", "--replicates", str(FIT_REPLICATES), "--out", str(out),
           "--no-charts", f"n={N}"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "round 4/4: trials 30-39, best distance" in proc.stderr
    est = pd.read_csv(out / "parameters.csv").set_index("key")
    for key, value in TRUE.items():
        assert est.loc[key, "low"] <= value <= est.loc[key, "high"], (key, est)
    # the best trial: within a factor 2 of the true p (the stated tolerance), and its distance
    # within the acceptance tolerance
    assert 0.5 * TRUE["p"] <= est.loc["p", "best"] <= 2 * TRUE["p"]
    trials = pd.read_parquet(out / "trials.parquet")
    assert len(trials) == 40 and (trials["state"] == "complete").all()
    assert trials["distance"].min() <= cal.tolerance(len(METRICS))
    fitted = yaml.safe_load((out / "fitted.yaml").read_text())
    assert fitted["p"] == pytest.approx(est.loc["p", "best"], rel=1e-3)
    fit = pd.read_csv(out / "fit.csv")
    assert list(fit["target"]) == [f"self_{m}" for m in METRICS]
    # rerun: nothing to do, nothing redone
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("status.json")}
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert "round" not in again.stderr
    assert {p: p.stat().st_mtime_ns for p in out.rglob("status.json")} == mtimes


@pytest.mark.slow
def test_a_calibration_stopped_mid_round_resumes_without_redoing_runs(tmp_path):
    out = tmp_path / "study"
    # runs long enough (N = 3,000, four replicates a trial) that the round is still going
    # when the first job's runs are complete
    cmd = [CALIBRATE, "--targets", SMALL, "--parameters", TWO, "--trials", "8", "--batch", "4",
           "--replicates", "4", "--out", str(out), "--no-charts", "n=3000",
           "hydra.launcher.n_jobs=1"]
    # SIGINT as a terminal sends it, even when this runner was started with SIGINT ignored
    # (a background job of a non-interactive shell), which the child would inherit
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    first = out / "rounds" / "r000"
    while time.monotonic() < deadline:
        done = [p for p in first.rglob("status.json")] if first.exists() else []
        if len(done) >= 2:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "rerun the same command to resume" in err
    kept = {p: p.stat().st_mtime_ns for p in first.rglob("status.json")}
    assert len(kept) >= 2
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert f"{len(kept)} already complete" in again.stderr
    assert "round 1/2: trials 0-3" in again.stderr and "round 2/2: trials 4-7" in again.stderr
    assert all(p.stat().st_mtime_ns == t for p, t in kept.items())   # nothing redone
    trials = pd.read_parquet(out / "trials.parquet")
    assert list(trials["trial"]) == list(range(8))
    # the same points and distances as a calibration never stopped
    whole = tmp_path / "whole"
    cmd[cmd.index(str(out))] = str(whole)
    assert subprocess.run(cmd, capture_output=True, timeout=300).returncode == 0
    never = pd.read_parquet(whole / "trials.parquet")
    cols = ["trial", "p", "share.social", "distance"]
    pd.testing.assert_frame_equal(trials[cols], never[cols])


def test_point_results_read_complete_failed_and_missing_runs(tmp_path):
    from sim.outputs.files import file_digest
    from sim.outputs.rundir import write_complete, write_failure
    from sim.studies.study import point_results

    root = tmp_path / "r000"
    runs = []
    for job, r, how in [("+point=t0003,n=1000", 0, "complete"), ("+point=t0003,n=1000", 1,
                         "complete"), ("+point=t0004,n=1000", 0, "failed"),
                        ("+point=t0004,n=1000", 1, "missing")]:
        d = root / job / f"replicate={r}"
        d.mkdir(parents=True)
        runs.append({"dir": f"{job}/replicate={r}", "config_hash": "h", "overrides": []})
        if how == "complete":
            (d / "summary.json").write_text(json.dumps({"config_hash": "h", "engaged": 10 + r,
                                                        "reproduction_number": None}))
            write_complete(d, "h", {"summary.json": file_digest(d / "summary.json")})
        elif how == "failed":
            write_failure(d, "h", "ValueError: boom", "Traceback ...")
    (root / "sweep.json").write_text(json.dumps({"runs": runs}))
    ok = point_results(root, 3, ["engaged", "reproduction_number"])
    assert ok.complete == 2 and not ok.failed and ok.missing == 0
    assert ok.means()["engaged"] == 10.5
    assert math.isnan(ok.means()["reproduction_number"])     # null in summary.json
    bad = point_results(root, 4, ["engaged"])
    assert bad.complete == 0 and bad.missing == 1
    assert bad.failed == ["+point=t0004,n=1000/replicate=0: ValueError: boom"]
    assert point_results(tmp_path / "none", 3, ["engaged"]).complete == 0


@pytest.mark.slow
def test_a_point_the_schema_refuses_fails_its_trial_not_the_round(tmp_path):
    # odd mean degrees are refused (the degree must be even): those trials fail, with the
    # error printed and kept, and the other trials run
    params = _params(tmp_path, {"key": "network.personal.mean_degree", "low": 4, "high": 8,
                                "why": "test: odd values are refused"})
    out = tmp_path / "study"
    proc = subprocess.run([CALIBRATE, "--targets", SMALL, "--parameters", params, "--trials",
                           "6", "--batch", "6", "--replicates", "1", "--no-charts", "--out",
                           str(out), "n=300"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    trials = pd.read_parquet(out / "trials.parquet")
    odd = trials["network.personal.mean_degree"] % 2 == 1
    assert odd.any() and (~odd).any()
    assert (trials.loc[odd, "state"] == "fail").all()
    assert (trials.loc[~odd, "state"] == "complete").all()
    for _, row in trials[odd].iterrows():
        line = (f"network.personal.mean_degree={row['network.personal.mean_degree']}: must be "
                "an even integer")
        assert row["error"] == line
        assert f"mindshare: trial {row['trial']} failed: {line}" in proc.stderr
    assert not trials.loc[odd, "accepted"].any()
    fitted = yaml.safe_load((out / "fitted.yaml").read_text())
    assert fitted["network"]["personal"]["mean_degree"] % 2 == 0
