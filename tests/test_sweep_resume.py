"""Real sweeps from the command line: every shipped experiment end to end, a sweep killed
and resumed that ends with the same bytes as one never interrupted, and a sweep that redoes
the runs another config left in its directories."""

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from sweep_helpers import (
    KILLABLE,
    MINDSHARE,
    SMALL,
    complete_runs,
    differing,
    kill_group,
    run_files,
    start,
    sweep_dir,
    temporary_files,
    wait_for_runs,
)

from sim.config import config_hash
from sim.outputs.rundir import read_run_config, run_state

EXPERIMENTS = ("mindset_divide", "emotion_professional", "influence_seeding", "brand_centric",
               "relationship_quality", "viral_threshold")


def test_every_shipped_experiment_has_its_file_and_readme():
    root = Path(__file__).parents[1]
    for name in EXPERIMENTS:
        assert (root / "conf" / "experiment" / f"{name}.yaml").is_file(), name
        readme = (root / "experiments" / name / "README.md").read_text()
        assert f"experiment={name}" in readme, name


@pytest.mark.slow
@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_every_experiment_runs_end_to_end(tmp_path, experiment):
    # every job of the experiment's sweep, one replicate each, 2 steps at tiny N, in-process
    proc = subprocess.run([MINDSHARE, "-m", f"experiment={experiment}", "n=400", "steps=2",
                           "replicates=1", "hydra/launcher=basic"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    sweep = tmp_path / "results" / experiment / "sweep"
    manifest = json.loads((sweep / "sweep.json").read_text())
    assert manifest["experiment"] == experiment and manifest["name"] == experiment
    assert manifest["total"] == len(manifest["runs"]) > 1
    for entry in manifest["runs"]:
        run_dir = sweep / entry["dir"]
        assert run_state(run_dir, entry["config_hash"]) == "complete", entry["dir"]
        config = read_run_config(run_dir)
        assert config_hash(config) == entry["config_hash"] and config.steps == 2
    assert " 0 failed, 0 missing" in proc.stdout.strip().splitlines()[-1]


@pytest.mark.slow
def test_a_killed_sweep_resumes_to_the_same_results_as_an_uninterrupted_one(tmp_path):
    command = [MINDSHARE, *KILLABLE]
    killed, whole = tmp_path / "killed", tmp_path / "whole"
    killed.mkdir()
    whole.mkdir()
    sweep = sweep_dir(killed)
    proc = start(KILLABLE, killed)
    try:
        wait_for_runs(proc, sweep, 3)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)     # the driver and its workers
        kill_group(proc)
    done = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in complete_runs(sweep)}
    assert 3 <= len(done) < 24
    time.sleep(0.5)       # nothing keeps writing once the process group is gone
    assert len(complete_runs(sweep)) == len(done)

    resumed = subprocess.run(command, cwd=killed, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    last = resumed.stdout.strip().splitlines()[-1]
    assert f"{len(done)} already complete" in last and "0 failed, 0 missing" in last
    # runs complete before the kill were skipped, not redone
    assert all((p.stat().st_ino, p.stat().st_mtime_ns) == v for p, v in done.items())
    assert temporary_files(sweep) == []

    uninterrupted = subprocess.run(command, cwd=whole, capture_output=True, text=True,
                                   timeout=600)
    assert uninterrupted.returncode == 0, uninterrupted.stderr[-2000:]
    a, b = run_files(sweep), run_files(sweep_dir(whole))
    assert len(a) > 24 * 5 and differing(a, b) == []


@pytest.mark.slow
def test_a_sweep_redoes_runs_left_by_another_config_as_missing_ones(tmp_path):
    command = [MINDSHARE, *SMALL, "hydra/launcher=basic"]
    first = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr[-2000:]
    sweep = sweep_dir(tmp_path)
    entries = json.loads((sweep / "sweep.json").read_text())["runs"]
    stale = sweep / entries[0]["dir"] / "summary.json"
    stale.write_text(json.dumps({**json.loads(stale.read_text()), "config_hash": "another"}))
    again = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-2000:]
    last = again.stdout.strip().splitlines()[-1]
    assert "4 runs: 4 complete (1 run now, 3 already complete), 0 failed, 0 missing" in last
    assert run_state(stale.parent, entries[0]["config_hash"]) == "complete"


def test_resuming_a_complete_sweep_launches_no_job(tmp_path):
    # a launcher that cannot start any job: the resume must not need it
    first = subprocess.run([MINDSHARE, *SMALL], cwd=tmp_path, capture_output=True, text=True,
                           timeout=600)
    assert first.returncode == 0, first.stderr[-2000:]
    broken = [MINDSHARE, *SMALL, "hydra.launcher.n_jobs=0"]
    again = subprocess.run(broken, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "4 complete (0 run now, 4 already complete)" in again.stdout
    # the same launcher is used as soon as one run is missing, and fails
    complete_runs(sweep_dir(tmp_path))[0].unlink()        # one run's status.json
    failed = subprocess.run(broken, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert failed.returncode != 0 and "the sweep stops with its unfinished runs" in failed.stderr


def test_guarded_launch_leaves_out_the_complete_jobs():
    from sim.cli.launcher_guard import guarded

    calls = []

    def launch(self, jobs, initial_job_idx):
        calls.append((list(jobs), initial_job_idx))
        return ["ran"] * len(jobs)

    wrapped = guarded(launch, "test", skip={("a=1", "b=1"), ("a=3", "b=1")})
    jobs = [["a=1", "b=1"], ["a=2", "b=1"], ["a=3", "b=1"]]
    assert wrapped(None, jobs, 0) == ["ran"]
    assert calls == [([["a=2", "b=1"]], 0)]
    assert wrapped(None, [jobs[0], jobs[2]], 3) == [] and len(calls) == 1
