"""One sweep per sweep directory: named after what it sweeps, another sweep refused, the same one
resumed, one sweep at a time, a full disk refused on one line; the ETA from measured runs."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest
from filelock import FileLock
from sweep_helpers import MINDSHARE
from test_cli_writers import FULL_DISK

from sim.cli.main import LABEL_MAX, sweep_label
from sim.outputs.files import file_digest
from sim.outputs.lock import LOCK_FILE
from sim.outputs.rundir import write_complete
from sim.sweep.progress import SweepProgress

TINY = ["n=300", "steps=3", "hydra.launcher.n_jobs=1"]


def run(args, cwd):
    return subprocess.run([MINDSHARE, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def test_a_sweep_without_a_name_is_named_after_what_it_sweeps(tmp_path):
    proc = run(["-m", "strategy=broadcast,adapted", *TINY], tmp_path)
    assert proc.returncode == 0, proc.stderr
    sweep = tmp_path / "results" / "strategy=broadcast,adapted" / "sweep"
    manifest = json.loads((sweep / "sweep.json").read_text())
    assert manifest["name"] == "strategy=broadcast,adapted" and manifest["total"] == 2
    assert sorted(p.name for p in (tmp_path / "results").iterdir()) == [
        "strategy=broadcast,adapted"]
    assert proc.stdout.startswith("strategy=broadcast,adapted: 2 runs: 2 complete")


def test_sweep_labels_are_sorted_safe_and_short():
    assert sweep_label(["strategy=broadcast,adapted", "p=0.1,0.15", "n=300"]) == \
        "p=0.1,0.15+strategy=broadcast,adapted"
    assert sweep_label(["graph=/data/a b.txt,/data/c.txt"]) == "graph=_data_a_b.txt,_data_c.txt"
    assert sweep_label(["n=300"]) == "n=300"                     # nothing swept: all of it
    assert sweep_label(["hydra.launcher.n_jobs=1"]) == "default"
    long = sweep_label([f"p={','.join(str(i / 1000) for i in range(100))}"])
    other = sweep_label([f"p={','.join(str(i / 1000) for i in range(101))}"])
    assert len(long) == LABEL_MAX and long != other and long.startswith("p=0.0,0.001,")


def test_another_sweep_into_a_used_directory_is_refused_and_the_same_one_resumes(tmp_path):
    first = ["-m", "p=0.1,0.15", "replicates=2", "name=reuse", *TINY]
    assert run(first, tmp_path).returncode == 0
    sweep = tmp_path / "results" / "reuse" / "sweep"
    before = {p.relative_to(sweep) for p in sweep.rglob("*")}
    manifest = (sweep / "sweep.json").read_bytes()
    proc = run(["-m", "strategy=broadcast,adapted", "replicates=2", "name=reuse", *TINY],
               tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.splitlines() == [
        "mindshare: error: results/reuse/sweep holds the sweep p=0.1,0.15 replicates=2 n=300 "
        "steps=3; this one is strategy=broadcast,adapted replicates=2 n=300 steps=3; choose "
        "another name= or remove the directory"]
    assert {p.relative_to(sweep) for p in sweep.rglob("*")} == before       # no run made
    assert (sweep / "sweep.json").read_bytes() == manifest
    # the same sweep with more replicates is the same definition: resumed
    proc = run(["-m", "p=0.1,0.15", "replicates=3", "name=reuse", *TINY], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "6 runs: 6 complete (2 run now, 4 already complete)" in proc.stdout
    # ... and so is a level's config changed elsewhere: another definition
    proc = run(["-m", "p=0.1,0.15", "replicates=2", "name=reuse", "n=400", "steps=3"],
               tmp_path)
    assert proc.returncode == 2 and "choose another name=" in proc.stderr


def test_a_second_sweep_into_a_directory_in_use_is_refused(tmp_path):
    sweep = tmp_path / "results" / "busy" / "sweep"
    sweep.mkdir(parents=True)
    with FileLock(sweep / LOCK_FILE, timeout=0):          # another sweep runs there
        proc = run(["-m", "p=0.1,0.15", "name=busy", *TINY], tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.splitlines() == [
        "mindshare: error: hydra.sweep.dir='results/busy/sweep': another mindshare sweep is "
        "running in this directory; wait for it to end, or choose another name="]
    assert [p.name for p in sweep.iterdir()] == [LOCK_FILE]


def test_a_full_disk_stops_a_sweep_on_one_line_without_an_empty_multirun_yaml(tmp_path):
    proc = subprocess.run([sys.executable, "-c", FULL_DISK, str(tmp_path / "results"),
                           "-m", "p=0.1,0.15", "name=full", *TINY], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.splitlines() == [
        "mindshare: error: hydra.sweep.dir='results/full/sweep': cannot write there (No space "
        "left on device); free some space or choose another directory"]
    assert list(tmp_path.iterdir()) == []                 # no multirun.yaml, no directory


def _complete(run_dir, seconds):
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "timing.json").write_text(json.dumps(
        {"build_s": seconds / 4, "run_s": seconds / 2, "collect_s": seconds / 4}))
    (run_dir / "summary.json").write_text("{}")
    write_complete(run_dir, "h", {"summary.json": file_digest(run_dir / "summary.json")})


def test_the_eta_comes_only_from_measured_runs_shared_among_workers(tmp_path):
    jobs = [tmp_path / f"job{j}" for j in range(3)]
    runs = [job / f"replicate={r}" for job in jobs for r in range(4)]      # 12 runs, 3 jobs
    now = [0.0]
    progress = SweepProgress("demo", [(d, None) for d in runs], stream=io.StringIO(),
                             clock=lambda: now[0], workers=2)
    now[0] = 25.0                          # start-up took long; no run has been measured yet
    progress.poll()
    assert progress.eta() is None
    assert progress.line() == "demo: 0/12 runs (0%), 0:25 elapsed"
    _complete(runs[0], 2.0)
    _complete(runs[4], 4.0)
    now[0] = 28.0
    progress.poll()
    # mean 3 s per run, 10 left, 2 at once: 15 s (not 28 s / 2 runs * 10 left = 2:20)
    assert progress.line() == "demo: 2/12 runs (17%), 0:28 elapsed, ETA 0:15"
    for r in runs[1:4]:
        _complete(r, 3.0)
    for r in runs[5:8]:
        _complete(r, 3.0)
    progress.poll()
    # one job left, whose runs go one after the other: 4 runs x 3 s, whatever the workers
    assert progress.eta() == 12.0
    # a failed run is counted but not measured
    (runs[8] / "status.json").parent.mkdir(parents=True)
    (runs[8] / "status.json").write_text('{"status": "failed"}')
    progress.poll()
    assert progress.eta() == 9.0 and progress.failed == 1
    # once runs have been seen finishing over time, their rate is the measure: 7 runs in the
    # 12 s since the first ones were seen, 3 left (what timing.json leaves out, writing the
    # files and starting processes, is in it)
    now[0] = 40.0
    assert progress.eta() == pytest.approx(3 * 12 / 7)
