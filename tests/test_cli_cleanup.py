"""A single run that fails on a bad input removes what it created, and only that."""

from __future__ import annotations

import subprocess

from sweep_helpers import MINDSHARE

BAD_GRAPH = "0 1\n1\n"      # line 2 has one field: refused when the run reads it


def fail_in(tmp_path, run_dir):
    graph = tmp_path / "bad.txt"
    graph.write_text(BAD_GRAPH)
    proc = subprocess.run([MINDSHARE, "experiment=independent_cascade", f"graph={graph}",
                           f"hydra.run.dir={run_dir}"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith(f"mindshare: error: graph file '{graph}': line 2")


def test_a_failed_run_keeps_directories_that_existed_before_it(tmp_path):
    (tmp_path / "empty").mkdir()
    fail_in(tmp_path, tmp_path / "empty" / "run")
    assert (tmp_path / "empty").is_dir() and list((tmp_path / "empty").iterdir()) == []


def test_a_failed_run_removes_the_directories_it_created(tmp_path):
    fail_in(tmp_path, tmp_path / "new" / "deeper" / "run")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.txt"]


def test_a_failed_run_in_an_existing_directory_removes_only_its_own_files(tmp_path):
    mine = tmp_path / "mine"
    (mine / "notes").mkdir(parents=True)
    (mine / "notes.txt").write_text("keep me\n")
    fail_in(tmp_path, mine)
    assert sorted(p.name for p in mine.iterdir()) == ["notes", "notes.txt"]
    assert (mine / "notes.txt").read_text() == "keep me\n"
