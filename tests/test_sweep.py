"""Sweeps: runs of a job, resume, failure isolation, common random numbers, progress."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import sim.engine.base
import sim.outputs.results
from sim import load_config
from sim.config import config_hash
from sim.engine.brand import BrandModel
from sim.outputs.files import file_digest
from sim.outputs.rundir import read_run_config, run_state, write_complete
from sim.rng import Streams
from sim.sweep.jobs import fail_job, plan_runs, run_job
from sim.sweep.manifest import (
    manifest_entries,
    prepare_resume,
    sweep_state,
    write_manifest,
)
from sim.sweep.progress import SweepProgress
from sim.sweep.table import write_summary

MINDSHARE = str(Path(sys.executable).parent / "mindshare")
TINY = ["n=300", "steps=3"]


def test_each_replicate_gets_its_directory_and_the_overrides_that_reproduce_it(tmp_path):
    overrides = ["strategy=adapted", *TINY, "replicate=2", "replicates=3"]
    specs = plan_runs(load_config(overrides), tmp_path, overrides)
    assert [s.dir.name for s in specs] == ["replicate=2", "replicate=3", "replicate=4"]
    assert len({s.config_hash for s in specs}) == 3
    for r, spec in zip((2, 3, 4), specs, strict=True):
        assert spec.config.replicate == r and spec.config.replicates == 1
        assert spec.overrides[-2:] == (f"replicate={r}", "replicates=1")
        # `mindshare <overrides>` composes exactly this run
        assert config_hash(load_config(list(spec.overrides))) == spec.config_hash
    assert "replicate=4" not in str(plan_runs(load_config(TINY), tmp_path, TINY)[0].dir)


def test_a_job_skips_complete_runs_and_redoes_killed_and_stale_ones(tmp_path):
    config = load_config([*TINY, "replicates=3"])
    first = run_job(config, tmp_path)
    assert (first.complete, first.skipped, first.failed) == (3, 0, 0)
    runs = [tmp_path / f"replicate={r}" for r in range(3)]
    for run_dir in runs:
        # the resolved config written in the run directory is the run's own
        assert config_hash(read_run_config(run_dir)) == json.loads(
            (run_dir / "summary.json").read_text())["config_hash"]
    kept = runs[0].joinpath("summary.json").stat().st_mtime_ns
    # a run killed while writing: no summary.json, a temporary file left behind
    (runs[1] / "summary.json").unlink()
    (runs[1] / ".timeseries.parquet.abc.tmp").write_bytes(b"half")
    again = run_job(config, tmp_path)
    assert (again.complete, again.skipped) == (1, 2)
    assert runs[0].joinpath("summary.json").stat().st_mtime_ns == kept
    assert not list(runs[1].glob(".*.tmp"))
    # another config in the same directories: every run is stale and redone
    other = run_job(load_config([*TINY, "replicates=3", "p=0.3"]), tmp_path)
    assert (other.complete, other.skipped) == (3, 0)


def test_a_run_that_raises_is_recorded_in_its_directory_and_the_job_goes_on(tmp_path,
                                                                            monkeypatch):
    real = sim.outputs.results._collect

    def flaky(config, model, timing):
        if config.replicate == 1:
            raise RuntimeError("disk\nfull")
        return real(config, model, timing)

    # collecting replicate 1 fails: the job's batch fails, its runs are redone one by one,
    # and only replicate 1 is a failure
    monkeypatch.setattr(sim.outputs.results, "_collect", flaky)
    outcome = run_job(load_config([*TINY, "replicates=3"]), tmp_path)
    assert (outcome.complete, outcome.failed) == (2, 1)
    failed = tmp_path / "replicate=1"
    status = json.loads((failed / "status.json").read_text())
    assert status["status"] == "failed" and status["error"] == "RuntimeError: disk full"
    assert "RuntimeError: disk" in (failed / "traceback.txt").read_text()
    assert not (failed / "summary.json").exists()
    assert run_state(failed) == "failed" and run_state(tmp_path / "replicate=2") == "complete"
    assert json.loads((tmp_path / "replicate=2" / "status.json").read_text())["status"] == \
        "complete"
    # a job whose config could not even be built records each of its runs as failed
    fail_job(tmp_path / "job", 0, 2, ValueError("bad config"))
    assert run_state(tmp_path / "job" / "replicate=1", "any-hash") == "failed"
    assert "bad config" in (tmp_path / "job" / "replicate=1" / "traceback.txt").read_text()


def test_manifest_state_resume_and_summary_table(tmp_path):
    specs = []
    for strategy in ("broadcast", "adapted"):
        overrides = [f"strategy={strategy}", *TINY, "replicates=2"]
        specs += plan_runs(load_config(overrides), tmp_path / f"strategy={strategy}",
                           overrides)
    entries = manifest_entries(tmp_path, specs)
    write_manifest(tmp_path, name="t", experiment=None, entries=entries)
    assert json.loads((tmp_path / "sweep.json").read_text())["total"] == 4
    assert entries[0]["dir"] == "strategy=broadcast/replicate=0"
    run_job(specs[0].config, tmp_path / "strategy=broadcast", ["strategy=broadcast"])
    state = sweep_state(tmp_path)
    assert (len(state.complete), len(state.failed), len(state.missing)) == (1, 0, 3)
    assert prepare_resume(tmp_path, entries).complete == ["strategy=broadcast/replicate=0"]
    text = write_summary(tmp_path, ["reached"])
    assert "strategy" in text and "1/2" in text and "0/2" in text
    assert (tmp_path / "summary_table.csv").is_file()
    with pytest.raises(ValueError, match="share a directory"):
        write_manifest(tmp_path, name="t", experiment=None, entries=entries + entries[:1])


def test_stale_runs_count_as_missing_and_are_redone_on_resume(tmp_path):
    overrides = ["strategy=broadcast", *TINY, "replicates=3"]
    config = load_config(overrides)
    job = tmp_path / "strategy=broadcast"
    specs = plan_runs(config, job, overrides)
    entries = manifest_entries(tmp_path, specs)
    write_manifest(tmp_path, name="t", experiment=None, entries=entries)
    run_job(config, job, overrides)
    dirs = [e["dir"] for e in entries]
    # run 1 holds a summary, run 2 a failure, both written for another config
    summary = json.loads((job / "replicate=1" / "summary.json").read_text())
    (job / "replicate=1" / "summary.json").write_text(json.dumps(
        {**summary, "config_hash": "another"}))
    (job / "replicate=2" / "summary.json").unlink()
    (job / "replicate=2" / "status.json").write_text(json.dumps(
        {"status": "failed", "config_hash": "another", "error": "old"}))
    state = sweep_state(tmp_path)
    assert (state.complete, state.failed) == (dirs[:1], [])
    assert state.missing == state.stale == dirs[1:] and state.total == 3
    assert write_summary(tmp_path, ["reached"]).startswith("t: 3 runs, 2 missing;")
    resume = prepare_resume(tmp_path, entries)
    assert resume.missing == resume.stale == dirs[1:]
    assert all(run_state(tmp_path / e["dir"]) == "missing" for e in entries[1:])
    again = run_job(config, job, overrides)
    assert (again.complete, again.skipped) == (2, 1)
    assert sweep_state(tmp_path).complete == dirs


def test_progress_counts_runs_as_their_directories_report_them(tmp_path):
    dirs = [tmp_path / f"r{k}" for k in range(4)]
    for d in dirs:
        d.mkdir()
    now = [0.0]
    out = io.StringIO()
    progress = SweepProgress("demo", [(d, None) for d in dirs], done_before=6, stream=out,
                             clock=lambda: now[0])
    progress.poll()
    assert progress.line() == "demo: 6/10 runs (60%), 0:00 elapsed"      # nothing measured
    (dirs[0] / "timing.json").write_text('{"build_s": 1, "run_s": 6.5, "collect_s": 0.5}')
    (dirs[0] / "summary.json").write_text('{"reached": 1}')
    (dirs[1] / "status.json").write_text('{"status": "failed"}')
    now[0] = 30.0
    write_complete(dirs[0], "h", {"summary.json": file_digest(dirs[0] / "summary.json")})
    progress.poll()
    # one run measured at 8 s, 2 runs left, one worker: 16 s (not 30 s / 2 runs * 2 left)
    assert progress.line() == "demo: 8/10 runs (80%) (1 failed), 0:30 elapsed, ETA 0:16"
    progress.stop()
    assert out.getvalue().endswith("demo: 8/10 runs (80%) (1 failed), 0:30 elapsed, ETA 0:16\n")


def _recording_streams(tapes):
    class Tape:
        def __init__(self, gen, log):
            self._gen, self._log = gen, log

        def random(self, *args, **kwargs):
            out = self._gen.random(*args, **kwargs)
            self._log.append(np.array(out, copy=True))
            return out

        def __getattr__(self, name):
            return getattr(self._gen, name)

    class Recording(Streams):
        def __getitem__(self, name):
            gen = super().__getitem__(name)
            return Tape(gen, tapes.setdefault(name, [])) if name in (
                "activity", "mindset", "sharing") else gen

    return Recording


@pytest.mark.parametrize("other", ["adapted", "influencers"])
def test_two_strategies_on_one_replicate_share_the_world_and_every_unchanged_draw(
        monkeypatch, other):
    runs = {}
    for strategy, replicate in (("broadcast", 0), (other, 0), ("broadcast", 1)):
        tapes = {}
        monkeypatch.setattr(sim.engine.base, "Streams", _recording_streams(tapes))
        model = BrandModel(load_config([f"strategy={strategy}", "n=2000", "steps=15",
                                        "p=0.12", f"replicate={replicate}"])).run()
        runs[strategy, replicate] = (model, tapes)
    (a, tape_a), (b, tape_b), (c, tape_c) = runs.values()
    assert np.array_equal(a.world.member, b.world.member)
    assert np.array_equal(a.world.loyalty, b.world.loyalty)
    assert np.array_equal(a.world.drivers, b.world.drivers)
    for la, lb in zip(a.world.layers, b.world.layers, strict=True):
        assert np.array_equal(la.indptr, lb.indptr) and np.array_equal(la.indices, lb.indices)
    for phase in ("activity", "mindset"):   # phases no strategy changes: the same draws
        assert len(tape_a[phase]) == 15
        assert all(np.array_equal(x, y) for x, y in zip(tape_a[phase], tape_b[phase], strict=True))
    # the strategy changes what is shared, hence the share decisions drawn ...
    assert [len(x) for x in tape_a["sharing"]] != [len(x) for x in tape_b["sharing"]]
    # ... and another replicate is another world with other draws
    assert not np.array_equal(a.world.member, c.world.member)
    assert not np.array_equal(tape_a["activity"][0], tape_c["activity"][0])


def run_cli(args, cwd, timeout=300):
    return subprocess.run([MINDSHARE, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


def test_a_failing_run_does_not_stop_the_sweep(tmp_path):
    (tmp_path / "good.txt").write_text("".join(f"{i} {(i + 1) % 200}\n{i} {(i + 7) % 200}\n"
                                               for i in range(200)))
    (tmp_path / "bad.txt").write_text("0 1\n1\n")
    proc = run_cli(["-m", "graph=good.txt,bad.txt", "steps=3", "replicates=2"], tmp_path)
    assert proc.returncode == 1, proc.stderr
    last = proc.stdout.strip().splitlines()[-1]
    assert "4 runs: 2 complete" in last and "2 failed" in last
    sweep = tmp_path / "results" / "graph=good.txt,bad.txt" / "sweep"   # named after its sweep
    for r in (0, 1):
        good, bad = sweep / f"graph=good.txt,steps=3/replicate={r}", \
            sweep / f"graph=bad.txt,steps=3/replicate={r}"
        assert run_state(good) == "complete" and run_state(bad) == "failed"
        error = json.loads((bad / "status.json").read_text())["error"]
        assert "bad.txt" in error and "line 2" in error and "\n" not in error
        assert "GraphFileError" in (bad / "traceback.txt").read_text()
        # a sweep writes neither the trace nor the chart
        assert not (good / "trace.parquet").exists() and not (good / "reach.png").exists()
    assert "failed: " in proc.stderr and "bad.txt" in proc.stderr


def test_a_bad_level_stops_the_sweep_before_anything_is_written(tmp_path):
    proc = run_cli(["-m", "p=0.1,1.5", *TINY], tmp_path)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mindshare: error: p=1.5: must be in [0, 1]")
    assert list(tmp_path.iterdir()) == []
    proc = run_cli(["-m", "strategy=adapted,nope", *TINY], tmp_path)
    assert proc.returncode == 2 and "unknown strategy" in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_single_run_keeps_its_directory_layout(tmp_path):
    proc = run_cli([*TINY, "output.chart=false"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    [run_dir] = [p.parent for p in (tmp_path / "results").rglob("summary.json")]
    names = {p.name for p in run_dir.iterdir()}
    assert {"summary.json", "status.json", "trace.parquet", ".hydra"} <= names
    assert {p.name for p in (run_dir / ".hydra").iterdir()} == {"config.yaml", "overrides.yaml"}
    assert run_state(run_dir, config_hash(read_run_config(run_dir))) == "complete"
    assert os.path.basename(run_dir.parent) == "default"


def test_a_jobs_run_configs_are_made_without_changing_them():
    # planning makes one config per run by copying the job's: the same configs and hashes
    # as replacing the replicate and validating each, and the replicate's range is kept
    import dataclasses

    from sim.config import MAX_REPLICATE, ConfigError, config_hash, replicate_configs

    job = load_config(["n=500", "strategy=adapted", "p=0.07", "seed=5"])
    made = replicate_configs(job, [0, 3, 17, MAX_REPLICATE])
    for r, (run, digest) in zip([0, 3, 17, MAX_REPLICATE], made, strict=True):
        expected = dataclasses.replace(job, replicate=r)
        assert run == expected and digest == config_hash(expected)
    assert len({digest for _, digest in made}) == 4 and job.replicate == 0
    with pytest.raises(ConfigError, match="replicate"):
        replicate_configs(job, [MAX_REPLICATE + 1])


def interrupted_run(tmp_path, monkeypatch, simulate):
    """A small run made by ``simulate``, which must end in ``KeyboardInterrupt``; its spec.

    SIGINT acts as in a terminal, even when this runner was started with SIGINT ignored.
    """
    import signal

    from sim.sweep.jobs import execute_run

    before = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    spec = plan_runs(load_config(["n=300", "steps=2"]), tmp_path / "job")[0]
    monkeypatch.setattr(sim.outputs.results, "simulate", simulate)
    try:
        with pytest.raises(KeyboardInterrupt):
            execute_run(spec)
    finally:
        signal.signal(signal.SIGINT, before)
    return spec


def test_an_interrupt_in_a_finalizer_prints_nothing_and_stops_once_the_run_is_whole(
        tmp_path, monkeypatch, capfd):
    # Python cannot raise from __del__ (pyarrow's ParquetWriter has one): an interrupt landing
    # there would be printed as "Exception ignored in ..." with a traceback, and lost
    import signal

    class Finalized:
        def __del__(self):
            signal.raise_signal(signal.SIGINT)

    simulate = sim.outputs.results.simulate

    def interrupted_in_a_finalizer(config, **kwargs):
        result = simulate(config, **kwargs)
        Finalized()
        return result

    reported = []           # what reaches the hook in place before: it prints by default
    monkeypatch.setattr(sys, "unraisablehook", lambda u: reported.append(u.exc_type))
    spec = interrupted_run(tmp_path, monkeypatch, interrupted_in_a_finalizer)
    assert reported == [] and "Traceback" not in capfd.readouterr().err
    assert run_state(spec.dir, spec.config_hash).value == "complete"

    class Failing:      # other errors in finalizers reach it as before
        def __del__(self):
            raise ValueError("a finalizer's own error")

    Failing()
    assert reported == [ValueError]


def test_an_interrupt_that_a_library_turns_into_another_error_leaves_the_run_missing(
        tmp_path, monkeypatch):
    # numpy's comparison of structured arrays turns a KeyboardInterrupt into a TypeError: the
    # run was interrupted, not failed, so it must stay missing for the resume to redo it
    import signal

    from sim.sweep.jobs import execute_run

    def interrupted(config, **kwargs):
        try:
            os.kill(os.getpid(), signal.SIGINT)
        except KeyboardInterrupt:
            raise TypeError("Cannot compare structured arrays") from None
        raise AssertionError("no interrupt arrived")

    spec = interrupted_run(tmp_path, monkeypatch, interrupted)
    before = signal.getsignal(signal.SIGINT)
    assert run_state(spec.dir, spec.config_hash).value == "missing"
    assert not (spec.dir / "status.json").exists()
    # a plain error with no interrupt is still a failed run
    monkeypatch.setattr(sim.outputs.results, "simulate",
                        lambda config, **kwargs: (_ for _ in ()).throw(ValueError("bad")))
    try:
        assert execute_run(spec).status == "failed"
    finally:
        signal.signal(signal.SIGINT, before)
