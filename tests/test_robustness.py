"""Robustness studies: the plan of each experiment, the paired effects, and the command.

The method checks (Sobol indices against analytic values, scenario discovery on a built-in
failure region) are in ``test_sensitivity.py``; here the plumbing: which arms and cells a study
runs, how a world's effect is paired by replicate, and the command end to end on a small
study (local pool, then a Ray cluster of this machine), with its resume and its refusals.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import load_config
from sim.config import world_assumptions
from sim.studies import robustness as rb
from sim.studies import sensitivity as sa

ROBUSTNESS = str(Path(sys.executable).parent / "mindshare-robustness")


def study_plan(experiment: str, overrides: tuple[str, ...] = ()) -> rb.Plan:
    config = load_config([f"experiment={experiment}", *overrides])
    findings = rb.hypothesis_findings(experiment, rb.experiment_axes(experiment))
    compared = {k for f in findings for k in f.keys}
    drawn = [a for a in world_assumptions(config) if a.key not in compared]
    return rb.plan(experiment, drawn, findings, list(overrides))


def test_mindset_divide_runs_its_two_strategies_in_each_budget_cell_and_draws_p():
    plan = study_plan("mindset_divide")
    assert plan.axes == {"strategy": ["broadcast", "adapted"],
                         "budget.total": ["3000", "6000", "12000"]}
    assert plan.cell_keys(plan.findings[0]) == ["budget.total"]
    assert plan.held == {"p": "drawn as a world assumption"}
    assert "p" in {a.key for a in plan.assumptions}
    assert plan.runs(worlds=10, replicates=4) == 10 * 4 * 2 * 3


def test_an_override_fixes_a_lever_instead_of_sweeping_it():
    plan = study_plan("mindset_divide", ("budget.total=6000",))
    assert plan.axes == {"strategy": ["broadcast", "adapted"]}
    assert plan.held["budget.total"] == "fixed at 6000 by the command line"


def test_a_trend_claim_compares_the_largest_level_with_the_smallest_in_each_network():
    plan = study_plan("viral_threshold")
    (f,) = plan.findings
    assert (dict(f.better), dict(f.worse)) == ({"p": "0.3"}, {"p": "0.02"})
    assert plan.axes == {"p": ["0.3", "0.02"], "network": ["both", "personal", "professional"]}
    assert "p" not in {a.key for a in plan.assumptions}


def test_a_finding_on_another_axis_is_judged_in_the_cells_of_the_others():
    plan = study_plan("viral_threshold")
    both = rb.parse_finding("network=both>network=personal:reached")
    plan = rb.plan("viral_threshold", plan.assumptions, [*plan.findings, both])
    assert plan.axes == {"network": ["both", "personal", "professional"], "p": ["0.3", "0.02"]}
    assert plan.cell_keys(plan.findings[0]) == ["network"]
    assert plan.cell_keys(both) == ["p"]


def test_every_arm_of_the_experiment_is_run_so_that_findings_can_be_added_later():
    plan = study_plan("influence_seeding")
    assert plan.axes["strategy"] == ["broadcast", "influencers", "ambassadors", "communities",
                                     "core"]


def test_every_shipped_experiment_has_a_plan_with_findings():
    from sim.claims import EXPERIMENTS

    for name, exp in EXPERIMENTS.items():
        if not exp.claims:
            continue
        plan = study_plan(name)
        assert plan.findings and plan.assumptions, name
        assert "strategy" in plan.axes or "p" in plan.axes, name


@pytest.mark.parametrize("text, error", [
    ("adapted:reached", "must be better>worse:metric"),
    ("a>b>c:reached", "must be better>worse:metric"),
    ("adapted>broadcast:", "must be better>worse:metric"),
    ("strategy=a>network=b:reached", "both arms must set the same keys"),
])
def test_a_malformed_finding_is_refused_with_its_form(text, error):
    with pytest.raises(rb.StudyError, match=error):
        rb.parse_finding(text)


def test_a_finding_reads_its_arms_and_direction():
    f = rb.parse_finding("broadcast<promotional:detractors")
    assert (dict(f.better), dict(f.worse), f.metric, f.higher) == (
        {"strategy": "broadcast"}, {"strategy": "promotional"}, "detractors", False)
    g = rb.parse_finding("network=both>network=personal:reached")
    assert dict(g.better) == {"network": "both"}


def runs(values: dict[tuple[str, str, int], float]) -> pd.DataFrame:
    rows = [{"point": w, "strategy": s, "replicate": r, "status": "complete", "reached": v}
            for (w, s, r), v in values.items()]
    return pd.DataFrame(rows)


def test_a_worlds_effect_is_paired_by_replicate_and_averaged():
    table = runs({("w0000", "a", 0): 10, ("w0000", "b", 0): 4,
                  ("w0000", "a", 1): 7, ("w0000", "b", 1): 9,
                  ("w0001", "a", 0): 1, ("w0001", "b", 0): 2,
                  ("w0001", "a", 1): 5})           # replicate 1 of b missing: not paired
    f = rb.parse_finding("a>b:reached")
    ((cell, y, pairs),) = rb.effects(table, f, worlds=3, cell_keys=[])
    assert cell == {}
    assert y[0] == pytest.approx(((10 - 4) + (7 - 9)) / 2)
    assert y[1] == pytest.approx(-1.0)
    assert np.isnan(y[2])                          # a world with no result
    assert pairs.tolist() == [2, 1, 0]
    lower = rb.parse_finding("a<b:reached")
    assert rb.effects(table, lower, 3, [])[0][1][0] == pytest.approx(-2.0)


def test_failed_runs_do_not_enter_the_effect():
    table = runs({("w0000", "a", 0): 10, ("w0000", "b", 0): 4,
                  ("w0000", "a", 1): 0, ("w0000", "b", 1): 9})
    table.loc[table["replicate"] == 1, "status"] = "failed"
    y = rb.effects(table, rb.parse_finding("a>b:reached"), 1, [])[0][1]
    assert y.tolist() == [6.0]


def test_analysis_of_a_built_in_finding_reports_its_share_and_its_driver():
    dims = [sa.Dimension("x", 0.0, 1.0), sa.Dimension("z", 0.0, 1.0)]
    design = sa.design(dims, 256, method="sobol", seed=1)
    x, z = design.values[:, 0], design.values[:, 1]
    effect = (x - 0.25) * 10 + 0.1 * z               # holds where x > 0.25: 75% of worlds
    rows = {}
    for i, e in enumerate(effect):
        rows[(rb.world_name(i), "a", 0)] = e
        rows[(rb.world_name(i), "b", 0)] = 0.0
    assumptions = [_assumption("x"), _assumption("z")]
    plan = rb.Plan(None, assumptions, {"strategy": ["a", "b"]},
                   [rb.parse_finding("a>b:reached")])
    (r,) = rb.analyse(design, runs(rows), plan)
    assert r.share.share == pytest.approx(np.mean(effect > 0))
    assert 0.65 < r.share.share < 0.85
    assert r.top.key == "x"
    assert r.region is not None and r.region.rules[0].key == "x"
    assert abs(r.region.rules[0].threshold - 0.25) < 0.05
    assert "holds in" in r.sentence() and "fails where x" in r.sentence()


def _assumption(key: str):
    from sim.config import Assumption

    return Assumption(key=key, default=0.5, low=0.0, high=1.0, log=False, integer=False,
                      why="test", unit="")


# ---- the command ------------------------------------------------------------------------

SMALL = ["experiment=mindset_divide", "budget.total=3000", "n=300", "steps=15",
         "--worlds", "4", "--method", "lhs", "--replicates", "2",
         "--assumptions", "p,share.fit,share.fatigue"]


def robustness(cwd: Path, *args: str, env: dict[str, str] | None = None,
               timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([ROBUSTNESS, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=env)


@pytest.mark.parametrize("args, message", [
    (["experiment=nope"], "experiment='nope'"),
    (["experiment=mindset_divide", "--replicates", "0"], "--replicates=0"),
    (["experiment=mindset_divide", "--worlds", "3"], "worlds"),
    (["experiment=mindset_divide", "--finding", "adapted>broadcast:nosuch"], "nosuch"),
    (["experiment=mindset_divide", "--assumptions", "share.nosuch"], "share.nosuch"),
    (["experiment=mindset_divide", "strategy=adapted"], "strategy=adapted"),
])
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, args, message):
    proc = robustness(tmp_path, *args, "--out", "study")
    assert proc.returncode == 2, proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("mindshare: error:") and message in last, proc.stderr
    assert not (tmp_path / "study").exists()


@pytest.mark.slow
def test_a_small_study_reports_resumes_and_refuses_another_in_its_directory(tmp_path):
    proc = robustness(tmp_path, *SMALL, "--out", "study")
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = tmp_path / "study"
    table = pd.read_csv(out / "robustness.csv")
    assert set(table["finding"]) == {"C5 engaged", "C2 engaged_professional",
                                     "C5 loyalty_gain"}
    assert (table["worlds"] == 4).all() and (table["measured"] == 4).all()
    assert table["share"].between(0, 1).all()
    worlds = pd.read_parquet(out / "worlds.parquet")
    assert list(worlds.columns[:4]) == ["world", "p", "share.fit", "share.fatigue"]
    assert len(worlds) == 4
    for name in ("report.md", "indices.csv", "summary.json", "robustness.png", "deck.pptx",
                 "tornado_1.png", "failure_1.png"):
        assert (out / name).is_file(), name
    summary = json.loads((out / "summary.json").read_text())
    assert summary["runs"] == 4 * 2 * 2 and summary["worlds"] == 4
    report = (out / "report.md").read_text()
    assert "holds in" in report and "## The plausible worlds" in report
    manifest = json.loads((out / "sweep" / "sweep.json").read_text())
    assert manifest["total"] == 16
    first = (out / "robustness.csv").read_bytes()
    # the same command again: nothing to run, the same figures
    again = robustness(tmp_path, *SMALL, "--out", "study")
    assert again.returncode == 0, again.stderr[-3000:]
    assert "16 already complete" in again.stdout + again.stderr
    assert (out / "robustness.csv").read_bytes() == first
    # another study in the same directory is refused, naming what differs
    other = robustness(tmp_path, *SMALL[:-2], "--assumptions", "p", "--out", "study")
    assert other.returncode == 2 and "assumptions" in other.stderr.splitlines()[-1]


@pytest.mark.slow
def test_a_study_runs_on_a_local_ray_cluster(tmp_path):
    import tempfile

    from test_launchers import RAY_ENV

    ray_tmp = Path(tempfile.mkdtemp(prefix="ray"))
    args = [*SMALL[:4], "--worlds", "3", "--method", "lhs", "--replicates", "1",
            "--assumptions", "p,share.fit", "--no-charts", "hydra/launcher=ray",
            "+hydra.launcher.ray.init.num_cpus=2",
            "+hydra.launcher.ray.init.include_dashboard=false",
            f"+hydra.launcher.ray.init._temp_dir={ray_tmp}"]
    proc = robustness(tmp_path, *args, "--out", "study", env={**os.environ, **RAY_ENV})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "launcher ray " in proc.stderr
    table = pd.read_csv(tmp_path / "study" / "robustness.csv")
    assert (table["measured"] == 3).all()
