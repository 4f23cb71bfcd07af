"""Files that keep their word: written with the umask's mode, and checked before they are trusted.

Real commands in subprocesses: a run, a sweep, its table and its report, under two umasks,
give every file and directory the mode a plain ``open``/``mkdir`` would; a finished sweep whose
files are truncated, garbled or deleted is reported without the damaged runs (named), and
resumed to the same bytes as a sweep never damaged.
"""

import json
import os
import random
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from sweep_helpers import MINDSHARE, differing, run_files

from sim.outputs.files import atomic_write, make_temp_dir

REPORT = str(Path(sys.executable).parent / "mindshare-report")
#: A finished sweep to damage: 2 strategies x 3 replicates at tiny N, in one process.
SWEEP = ["-m", "strategy=broadcast,adapted", "replicates=3", "n=300", "steps=3",
         "hydra/launcher=basic"]
#: The run damaged in the fault tests, and the one damaged besides it for the report.
VICTIM, SECOND = "strategy=adapted/replicate=1", "strategy=broadcast/replicate=2"


def sweep_of(cwd: Path) -> Path:
    """The sweep directory below ``cwd/results`` (the one holding ``sweep.json``)."""
    [manifest] = (cwd / "results").rglob("sweep.json")
    return manifest.parent


def run_dir(sweep: Path, job_and_run: str) -> tuple[str, Path]:
    """The manifest's run directory whose job has ``strategy=...`` and whose run is
    ``replicate=...``, relative and absolute."""
    strategy, replicate = job_and_run.split("/")
    entries = json.loads((sweep / "sweep.json").read_text())["runs"]
    [rel] = [e["dir"] for e in entries if e["dir"].endswith(f"/{replicate}")
             and strategy in e["dir"].split("/")[0].split(",")]
    return rel, sweep / rel


def mindshare(args: list[str], cwd: Path, exe: str = MINDSHARE, umask: int | None = None
              ) -> subprocess.CompletedProcess:
    preexec = None if umask is None else (lambda: os.umask(umask))
    return subprocess.run([exe, *args], cwd=cwd, capture_output=True, text=True, timeout=600,
                          preexec_fn=preexec)


# -- modes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("umask,file_mode,dir_mode", [(0o022, 0o644, 0o755),
                                                      (0o077, 0o600, 0o700)],
                         ids=["umask-022", "umask-077"])
def test_every_file_and_directory_gets_the_mode_of_the_umask(tmp_path, umask, file_mode,
                                                             dir_mode):
    done = mindshare(["n=300", "steps=3"], tmp_path, umask=umask)      # a single run, chart on
    assert done.returncode == 0, done.stderr[-2000:]
    done = mindshare(SWEEP, tmp_path, umask=umask)
    assert done.returncode == 0, done.stderr[-2000:]
    sweep = sweep_of(tmp_path)
    done = mindshare(["-m", "sim.sweep.table", str(sweep)], tmp_path, exe=sys.executable,
                     umask=umask)
    assert done.returncode == 0, done.stderr[-2000:]
    done = mindshare([str(sweep), "--bootstrap", "200", "-q"], tmp_path, exe=REPORT,
                     umask=umask)
    assert done.returncode == 0, done.stderr[-2000:]
    edges = ("from sim.world.graph_files import write_edgelist; "
             "write_edgelist('results/graph.txt', [[0, 1], [1, 2]])")
    done = mindshare(["-c", edges], tmp_path, exe=sys.executable, umask=umask)
    assert done.returncode == 0, done.stderr[-2000:]

    modes: dict[str, set[str]] = {}
    for path in (tmp_path / "results").rglob("*"):
        kind = "dir" if path.is_dir() else path.suffix or path.name
        want = dir_mode if path.is_dir() else file_mode
        if stat.S_IMODE(path.lstat().st_mode) != want:
            modes.setdefault(oct(stat.S_IMODE(path.lstat().st_mode)), set()).add(str(path))
        modes.setdefault("kinds", set()).add(kind)
    wrong = {k: v for k, v in modes.items() if k != "kinds"}
    assert wrong == {}, wrong
    # every kind of file the project writes was looked at
    assert {".pptx", ".png", ".svg", ".html", ".json", ".parquet", ".csv", ".txt", ".yaml",
            ".md", ".log", "dir"} <= modes["kinds"]


def test_atomic_writes_and_temporary_directories_follow_the_umask(tmp_path):
    # in a child process: the umask is the whole process's
    code = ("import os, sys, stat; from pathlib import Path; "
            "from sim.outputs.files import atomic_write, make_temp_dir; "
            "os.umask(0o027); root = Path(sys.argv[1]); "
            "atomic_write(root / 'a.txt', lambda t: Path(t).write_text('x')); "
            "d = make_temp_dir(root, '.aside-'); "
            "print(oct(stat.S_IMODE((root / 'a.txt').stat().st_mode)), "
            "oct(stat.S_IMODE(d.stat().st_mode)))")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True,
                          text=True, check=True)
    assert done.stdout.split() == ["0o640", "0o750"]


def test_a_failed_write_leaves_neither_the_file_nor_a_temporary_one(tmp_path):
    def boom(tmp: str) -> None:
        Path(tmp).write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(tmp_path / "a.json", boom)
    assert list(tmp_path.iterdir()) == []
    digest = atomic_write(tmp_path / "a.json", lambda t: Path(t).write_text("{}\n"),
                          digest=True)
    assert digest.bytes == 3 and len(digest.sha256) == 64
    assert make_temp_dir(tmp_path).parent == tmp_path


# -- damaged runs ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> tuple[Path, dict[str, bytes]]:
    """A finished sweep's working directory, and its run files (timings aside)."""
    cwd = tmp_path_factory.mktemp("finished")
    done = mindshare(SWEEP, cwd)
    assert done.returncode == 0, done.stderr[-2000:]
    return cwd, run_files(sweep_of(cwd))


def copy_of(finished: tuple[Path, dict[str, bytes]], tmp_path: Path) -> Path:
    cwd = tmp_path / "cwd"
    shutil.copytree(finished[0], cwd)
    return cwd


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def garble(path: Path) -> None:
    path.write_bytes(random.Random(7).randbytes(path.stat().st_size))   # same size


DAMAGES = {"truncated": (truncate, "size mismatch"), "garbled": (garble, "checksum mismatch"),
           "deleted": (Path.unlink, "missing")}


@pytest.mark.slow
@pytest.mark.parametrize("name", ["timeseries.parquet", "summary.json"])
@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_a_damaged_run_is_redone_on_resume_to_the_bytes_of_an_undamaged_sweep(
        finished, tmp_path, damage, name):
    cwd = copy_of(finished, tmp_path)
    sweep = sweep_of(cwd)
    rel, victim = run_dir(sweep, VICTIM)
    harm, phrase = DAMAGES[damage]
    harm(victim / name)
    assert run_files(sweep) != finished[1]
    resumed = mindshare(SWEEP, cwd)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert f"{rel}: {name} {phrase}" in resumed.stderr
    [line] = [x for x in resumed.stderr.splitlines() if rel in x]
    assert line.endswith(", redoing"), line
    last = resumed.stdout.strip().splitlines()[-1]
    assert "6 runs: 6 complete (1 run now, 5 already complete), 0 failed, 0 missing" in last
    assert differing(run_files(sweep), finished[1]) == []


@pytest.mark.slow
def test_the_report_leaves_out_damaged_runs_and_names_them(finished, tmp_path):
    cwd = copy_of(finished, tmp_path)
    sweep = sweep_of(cwd)
    garbled, first = run_dir(sweep, VICTIM)
    deleted, second = run_dir(sweep, SECOND)
    garble(first / "timeseries.parquet")         # DuckDB once died on it: "No magic bytes"
    (second / "summary.json").unlink()
    out = tmp_path / "report"
    done = mindshare([str(sweep), "--out", str(out), "--no-charts", "--bootstrap", "200"],
                     cwd, exe=REPORT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "2 run(s) left out, their files do not verify" in done.stderr
    assert f"{garbled}: timeseries.parquet checksum mismatch" in done.stderr
    assert f"{deleted}: summary.json missing" in done.stderr
    runs = pd.read_parquet(out / "runs.parquet").set_index("run")
    assert (runs["status"] == "complete").sum() == 4
    for rel in (garbled, deleted):
        assert runs.loc[rel, "status"] == "missing"
        assert runs.loc[rel, "error"].startswith("damaged: ")
    summary = (out / "summary.md").read_text()
    assert f"`{garbled}`" in summary and "timeseries.parquet checksum mismatch" in summary
    assert f"`{deleted}`" in summary and "summary.json missing" in summary
    series = pd.read_parquet(out / "timeseries.parquet")
    assert set(series["run"]) == set(runs.index[runs["status"] == "complete"])


def test_outputs_written_from_python_make_a_complete_verifiable_run(tmp_path):
    from sim import load_config, simulate, write_outputs
    from sim.config import config_hash
    from sim.outputs.rundir import RunState, read_run

    config = load_config(["n=300", "steps=3"])
    files = write_outputs(simulate(config), tmp_path, trace=False)
    status = json.loads((tmp_path / "status.json").read_text())
    assert list(status["files"]) == list(files) and "summary.json" in files
    assert "timing.json" not in files
    assert read_run(tmp_path, config_hash(config)).state is RunState.COMPLETE
    (tmp_path / "activations.parquet").write_bytes(b"")
    record = read_run(tmp_path, config_hash(config))
    assert record.state is RunState.DAMAGED
    assert record.problems[0].startswith("activations.parquet size mismatch (0 bytes, ")
