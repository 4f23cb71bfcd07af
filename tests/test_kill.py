"""Real sweeps killed in the middle: the driver interrupted or killed, a worker killed.

Each starts the sweep in its own process group, waits for a few runs to complete, sends the
signal, and checks what the user sees (the exit status, the final line, no traceback), that no
process is left behind, that every JSON and Parquet file under the sweep reads whole, and that
the sweep, rerun if it must be, ends with the same bytes as one never interrupted.
"""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
from concurrent.futures.process import BrokenProcessPool
from contextlib import redirect_stderr
from pathlib import Path

import pytest
from sweep_helpers import (
    KILLABLE,
    MINDSHARE,
    broken_files,
    children,
    command_line,
    complete_runs,
    differing,
    kill_group,
    output,
    run_files,
    start,
    sweep_dir,
    temporary_files,
    wait_for_runs,
    wait_gone,
)

import sim.cli.launcher_guard as guard

TOTAL = 24
FINAL = re.compile(r"(\d+) runs: (\d+) complete \((\d+) run now, (\d+) already complete\), "
                   r"(\d+) failed, (\d+) missing")


def final_counts(stdout: str) -> dict[str, int]:
    match = FINAL.search(stdout.strip().splitlines()[-1])
    assert match, stdout
    return dict(zip(("total", "complete", "now", "before", "failed", "missing"),
                    map(int, match.groups()), strict=True))


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> dict[str, bytes]:
    """The files of the sweep run once, without interruption."""
    cwd = tmp_path_factory.mktemp("whole")
    proc = subprocess.run([MINDSHARE, *KILLABLE], cwd=cwd, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return run_files(sweep_dir(cwd))


def resume_and_compare(cwd: Path, uninterrupted: dict[str, bytes]) -> dict[str, int]:
    """Rerun the same command; it must skip the complete runs and end like the whole sweep."""
    sweep = sweep_dir(cwd)
    complete = len(complete_runs(sweep))
    proc = subprocess.run([MINDSHARE, *KILLABLE], cwd=cwd, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    counts = final_counts(proc.stdout)
    assert counts == {"total": TOTAL, "complete": TOTAL, "now": TOTAL - complete,
                      "before": complete, "failed": 0, "missing": 0}
    assert temporary_files(sweep) == []
    assert broken_files(sweep) == []
    assert differing(run_files(sweep), uninterrupted) == []
    return counts


def workers_of(pid: int) -> list[int]:
    return [c for c in children(pid) if "LokyProcess" in command_line(c)]


@pytest.mark.slow
@pytest.mark.parametrize("signum,group", [(signal.SIGINT, False), (signal.SIGINT, True),
                                          (signal.SIGTERM, False)],
                         ids=["SIGINT-driver", "SIGINT-group", "SIGTERM-driver"])
def test_an_interrupted_sweep_stops_says_what_it_did_and_resumes(tmp_path, uninterrupted,
                                                                 signum, group):
    # group: Ctrl-C in a terminal reaches the driver and its workers alike
    proc = start(KILLABLE, tmp_path)
    sweep = sweep_dir(tmp_path)
    try:
        wait_for_runs(proc, sweep, 3)
        workers = children(proc.pid)
        (os.killpg if group else os.kill)(proc.pid, signum)
        status = proc.wait(timeout=60)
    finally:
        kill_group(proc)
    stdout, stderr = output(tmp_path)
    assert status == 128 + signum, stderr[-2000:]
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1] == (
        f"mindshare: interrupted ({signal.Signals(signum).name}); complete runs are kept: "
        "rerun the same command to resume")
    counts = final_counts(stdout)
    assert counts["total"] == TOTAL and counts["failed"] == 0
    assert counts["complete"] >= 3 and counts["missing"] == TOTAL - counts["complete"] > 0
    assert wait_gone(workers) == [], "processes of the interrupted sweep are still running"
    assert broken_files(sweep) == []
    resume_and_compare(tmp_path, uninterrupted)


@pytest.mark.slow
def test_a_killed_worker_costs_only_the_runs_it_was_making(tmp_path, uninterrupted):
    proc = start(KILLABLE, tmp_path)
    sweep = sweep_dir(tmp_path)
    try:
        wait_for_runs(proc, sweep, 3)
        [victim, *_] = workers_of(proc.pid)
        os.kill(victim, signal.SIGKILL)
        status = proc.wait(timeout=300)
    finally:
        kill_group(proc)
    stdout, stderr = output(tmp_path)
    # the driver launches the jobs again: complete runs are skipped, the others made
    assert status == 0, stderr[-2000:]
    assert "mindshare: a worker process died (SIGKILL(-9)); launching the 4 jobs again " \
        "(complete runs are kept)" in stderr
    assert "Traceback" not in stderr
    assert final_counts(stdout) == {"total": TOTAL, "complete": TOTAL, "now": TOTAL,
                                    "before": 0, "failed": 0, "missing": 0}
    assert temporary_files(sweep) == [] and broken_files(sweep) == []
    assert differing(run_files(sweep), uninterrupted) == []


@pytest.mark.slow
def test_the_workers_of_a_killed_driver_stop_and_a_rerun_resumes(tmp_path, uninterrupted):
    proc = start(KILLABLE, tmp_path)
    sweep = sweep_dir(tmp_path)
    try:
        wait_for_runs(proc, sweep, 3)
        workers = workers_of(proc.pid)
        assert len(workers) >= 1
        os.kill(proc.pid, signal.SIGKILL)        # the driver alone, not its process group
        proc.wait(timeout=60)
        # orphaned workers notice and stop, instead of finishing their jobs
        assert wait_gone(workers) == [], "workers outlived their driver"
    finally:
        kill_group(proc)
    complete = len(complete_runs(sweep))
    assert complete < TOTAL
    assert broken_files(sweep) == []
    counts = resume_and_compare(tmp_path, uninterrupted)
    assert counts["before"] == complete


def fake_launch(failures: list[BaseException]):
    calls = []

    def launch(self, job_overrides, initial_job_idx):
        calls.append(list(job_overrides))
        if failures:
            raise failures.pop(0)
        return ["done"]

    return launch, calls


def test_a_broken_pool_is_launched_again_once_then_the_sweep_stops(monkeypatch):
    monkeypatch.delenv("HYDRA_FULL_ERROR", raising=False)
    died = BrokenProcessPool("A worker process managed by the executor was unexpectedly "
                             "terminated. The exit codes of the workers are {SIGKILL(-9)}")
    launch, calls = fake_launch([died])
    err = io.StringIO()
    with redirect_stderr(err):
        assert guard.guarded(launch, "local")(None, [["a=1"], ["a=2"]], 0) == ["done"]
    assert len(calls) == 2
    assert err.getvalue() == ("mindshare: a worker process died (SIGKILL(-9)); launching the 2 "
                              "jobs again (complete runs are kept)\n")
    # dying again: one line, and the sweep stops (its final line counts the missing runs)
    launch, calls = fake_launch([died, died, died])
    err = io.StringIO()
    with redirect_stderr(err), pytest.raises(SystemExit) as stop:
        guard.guarded(launch, "local")(None, [["a=1"]], 0)
    assert stop.value.code == 1 and len(calls) == 1 + guard.RELAUNCHES
    assert err.getvalue().splitlines()[-1].startswith(
        "mindshare: error: a worker process died again (SIGKILL(-9)); the sweep stops: rerun "
        "the same command")
    # any other failure of a launcher: one line naming it, no second launch
    launch, calls = fake_launch([RuntimeError("cluster\nunreachable")])
    err = io.StringIO()
    with redirect_stderr(err), pytest.raises(SystemExit):
        guard.guarded(launch, "submitit_slurm")(None, [["a=1"]], 0)
    assert len(calls) == 1
    assert err.getvalue() == ("mindshare: error: launcher submitit_slurm failed (RuntimeError: "
                              "cluster unreachable); the sweep stops with its unfinished runs "
                              "missing (the same command resumes it)\n")
    # ... unless the user asks Hydra for full tracebacks
    monkeypatch.setenv("HYDRA_FULL_ERROR", "1")
    launch, _ = fake_launch([RuntimeError("boom")])
    with pytest.raises(RuntimeError, match="boom"):
        guard.guarded(launch, "ray")(None, [["a=1"]], 0)


def test_only_a_process_the_driver_started_watches_it(monkeypatch):
    monkeypatch.setattr(guard, "_watching", False)
    monkeypatch.delenv(guard.DRIVER_ENV, raising=False)
    assert not guard.watch_driver()                      # no sweep driver at all
    monkeypatch.setenv(guard.DRIVER_ENV, f"elsewhere.example:{os.getppid()}")
    assert not guard.watch_driver()                      # a driver on another machine
    guard.mark_driver()                                  # this process drives ...
    assert not guard.watch_driver()                      # ... and does not watch itself
    assert not guard._watching
