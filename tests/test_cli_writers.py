"""Who writes where: one command per run directory, a rerun replaces the run it finds, a report
stays out of runs, identical runs write identical files, a full disk stops on one line, and
``mindshare --help`` is the project's own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from filelock import FileLock
from sweep_helpers import MINDSHARE

from sim.cli.help import header_comment, help_text
from sim.config import config_reference
from sim.outputs.lock import LOCK_FILE

TINY = ["n=300", "steps=3"]
REPORT = str(Path(sys.executable).parent / "mindshare-report")
#: Runs ``mindshare`` with every write under a directory failing as on a full disk: files are
#: created, but writing to them raises ENOSPC (argv: the directory, then mindshare's args).
FULL_DISK = """
import builtins, errno, io, os, sys
target = os.path.abspath(sys.argv.pop(1))
real = io.open

class Full:
    def __init__(self, f):
        self.f = f
    def write(self, *args):
        raise OSError(errno.ENOSPC, "No space left on device")
    def __enter__(self):
        return self
    def __exit__(self, *exc):
        self.f.close()
    def __getattr__(self, name):
        return getattr(self.f, name)

def full_open(file, mode="r", *args, **kwargs):
    f = real(file, mode, *args, **kwargs)
    inside = isinstance(file, (str, os.PathLike)) and os.path.abspath(file).startswith(target)
    return Full(f) if inside and any(c in mode for c in "wax") else f

builtins.open = io.open = full_open
sys.argv[0] = "mindshare"
from sim.cli.main import main
main()
"""


def run(args, cwd, **kwargs):
    return subprocess.run([MINDSHARE, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, **kwargs)


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != "timing.json"}


def test_a_second_command_into_a_run_directory_being_written_is_refused(tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "notes.txt").write_text("mine\n")
    with FileLock(run_dir / LOCK_FILE, timeout=0):       # another command holds the directory
        proc = run([*TINY, f"hydra.run.dir={run_dir}"], tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.splitlines() == [
        f"mindshare: error: hydra.run.dir='{run_dir}': another mindshare command is writing "
        "this run directory; wait for it to end or choose another hydra.run.dir"]
    assert sorted(p.name for p in run_dir.iterdir()) == [LOCK_FILE, "notes.txt"]


def test_a_rerun_into_a_used_run_directory_leaves_nothing_of_the_old_run(tmp_path):
    run_dir = tmp_path / "run"
    assert run([*TINY, f"hydra.run.dir={run_dir}"], tmp_path).returncode == 0
    assert (run_dir / "trace.parquet").exists() and (run_dir / "reach.png").exists()
    (run_dir / "notes.txt").write_text("mine\n")           # not a run file: kept
    proc = run([*TINY, "seed=2", "output.write_trace=false", "output.chart=false",
                f"hydra.run.dir={run_dir}"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    names = {p.name for p in run_dir.iterdir()}
    assert "trace.parquet" not in names and "reach.png" not in names
    assert "notes.txt" in names and "summary.json" in names
    assert json.loads((run_dir / "summary.json").read_text())["seed"] == 2
    assert "seed: 2" in (run_dir / ".hydra" / "config.yaml").read_text()


def test_identical_runs_write_identical_files_but_timing(tmp_path):
    graph = tmp_path / "g.txt"                 # a self-loop: the run logs one warning
    graph.write_text("".join(f"{i} {(i + 1) % 60}\n" for i in range(60)) + "3 3\n")
    args = ["experiment=independent_cascade", f"graph={graph}", "p=0.5", "seeds=2"]
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        proc = run([*args, "hydra.run.dir=out"], tmp_path / name)
        assert proc.returncode == 0, proc.stderr
    a, b = files(tmp_path / "a" / "out"), files(tmp_path / "b" / "out")
    assert "dropped 1 self-loop" in a["mindshare.log"].decode()      # the log is compared too
    assert a.keys() == b.keys() and {k for k in a if a[k] != b[k]} == set()


def test_a_report_inside_a_run_directory_is_refused(tmp_path):
    run_dir = tmp_path / "sweep" / "p=0.1" / "replicate=0"
    run_dir.mkdir(parents=True)
    (run_dir / "summary.json").write_text("{}\n")
    for out, where in ((run_dir, "is a run directory"),
                       (run_dir / "sub", f"is inside the run directory {run_dir}")):
        proc = subprocess.run([REPORT, str(tmp_path / "sweep"), "--out", str(out)],
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 2 and proc.stdout == ""
        assert proc.stderr.splitlines() == [
            f"mindshare-report: error: --out={out} {where}, whose files the report would "
            "replace; choose a directory outside the runs (default: SWEEP_DIR/report)"]
    assert sorted(p.name for p in run_dir.iterdir()) == ["summary.json"]


def test_a_full_disk_stops_a_run_on_one_line_and_leaves_nothing(tmp_path):
    proc = subprocess.run([sys.executable, "-c", FULL_DISK, str(tmp_path / "run"), *TINY,
                           "hydra.run.dir=run"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.splitlines() == [
        f"mindshare: error: hydra.run.dir='{tmp_path / 'run'}': cannot write there (No space "
        "left on device); free some space or choose another directory"]
    assert list(tmp_path.iterdir()) == []


def test_help_is_the_projects_own():
    proc = subprocess.run([MINDSHARE, "--help"], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "COLUMNS": "100"})
    assert proc.returncode == 0 and proc.stderr == ""
    text = proc.stdout
    assert text == help_text(100) and "Powered by Hydra" not in text
    assert text.startswith("usage: mindshare [key=value ...]") and "examples:" in text
    for key, default, allowed, unit, doc in config_reference():
        facts = "; ".join([f"default {default}", *([allowed] if allowed else []),
                           *([f"unit: {unit}"] if unit else [])])
        assert f"\n  {key}    ({facts})\n" in text, key
        assert " ".join(doc.split()[:4]) in " ".join(text.split()), key
    root = Path(__file__).parents[1] / "conf"
    for group in ("experiment", "strategy"):
        for path in sorted((root / group).glob("*.yaml")):
            assert f"\n  {group}={path.stem}\n" in text
            described = header_comment(path.read_text())
            assert described and " ".join(described.split()[:5]) in " ".join(text.split())
