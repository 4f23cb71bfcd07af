"""The run-directory contract: each state of a run directory, its readers and its writers."""

import json
from pathlib import Path

import pytest

from sim.outputs.files import file_digest
from sim.outputs.rundir import (
    RunState,
    read_config_text,
    read_run,
    read_run_overrides,
    read_status,
    read_summary,
    reset_run,
    run_state,
    status_text,
    write_complete,
    write_failure,
)

HASH, OTHER = "a" * 16, "b" * 16


def _summary(run_dir: Path, config_hash: str | None = HASH, raw: bytes | None = None) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"reached": 7, "config_hash": config_hash})
    (run_dir / "summary.json").write_bytes(raw if raw is not None else text.encode())


def _status(run_dir: Path, status: str = "failed", config_hash: str | None = HASH,
            raw: bytes | None = None) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    text = status_text(status, config_hash, "Boom: no")
    (run_dir / "status.json").write_bytes(raw if raw is not None else text.encode())


def _complete(run_dir: Path, config_hash: str = HASH) -> None:
    """A complete run: a table, summary.json, then status.json recording both."""
    _summary(run_dir, config_hash)
    (run_dir / "timeseries.parquet").write_bytes(b"PAR1 table PAR1")
    write_complete(run_dir, config_hash, {n: file_digest(run_dir / n)
                                          for n in ("timeseries.parquet", "summary.json")})


def test_a_run_state_is_a_string():
    assert RunState.COMPLETE == "complete" and str(RunState.STALE) == "stale"
    assert [s.value for s in RunState] == ["complete", "failed", "missing", "stale", "damaged"]


def test_complete_when_status_says_so_for_the_expected_hash_and_the_files_verify(tmp_path):
    _complete(tmp_path)
    assert run_state(tmp_path, HASH) is RunState.COMPLETE
    assert run_state(tmp_path) is RunState.COMPLETE          # no hash expected: any config
    record = read_run(tmp_path, HASH)
    assert record.summary == {"reached": 7, "config_hash": HASH} and record.found_hash == HASH
    assert record.problems == ()
    status = json.loads((tmp_path / "status.json").read_text())
    assert status["files"]["timeseries.parquet"] == {
        "bytes": 15, "sha256": file_digest(tmp_path / "timeseries.parquet").sha256}


@pytest.mark.parametrize("damage,problem", [
    (lambda p: p.write_bytes(b"PAR1 tab"), "timeseries.parquet size mismatch (8 bytes, 15 "
                                          "recorded)"),
    (lambda p: p.write_bytes(b"PAR1 TABLE PAR1"), "timeseries.parquet checksum mismatch"),
    (lambda p: p.unlink(), "timeseries.parquet missing"),
])
def test_damaged_when_a_recorded_file_does_not_verify(tmp_path, damage, problem):
    _complete(tmp_path)
    damage(tmp_path / "timeseries.parquet")
    record = read_run(tmp_path, HASH)
    assert record.state is RunState.DAMAGED and record.problems == (problem,)
    # the sizes alone (the progress line's cheap look) miss a same-size garble only
    quick = read_run(tmp_path, HASH, checksums=False).state
    assert quick is (RunState.COMPLETE if "checksum" in problem else RunState.DAMAGED)


def test_a_damaged_summary_or_a_status_without_a_record_is_damaged(tmp_path):
    _complete(tmp_path / "garbled")
    summary = tmp_path / "garbled" / "summary.json"
    summary.write_text(summary.read_text().replace("7", "8"))     # still JSON, same size
    assert read_run(tmp_path / "garbled", HASH).problems == ("summary.json checksum mismatch",)
    _complete(tmp_path / "deleted")
    (tmp_path / "deleted" / "summary.json").unlink()
    assert read_run(tmp_path / "deleted", HASH).problems == ("summary.json missing",)
    _summary(tmp_path / "unrecorded")
    _status(tmp_path / "unrecorded", "complete")     # no "files": nothing can be verified
    record = read_run(tmp_path / "unrecorded", HASH)
    assert record.state is RunState.DAMAGED and "records no sizes" in record.problems[0]


def test_stale_when_summary_or_status_is_of_another_config(tmp_path):
    _complete(tmp_path / "done", OTHER)
    assert run_state(tmp_path / "done", HASH) is RunState.STALE
    assert read_run(tmp_path / "done", HASH).found_hash == OTHER
    _summary(tmp_path / "summary", OTHER)
    assert run_state(tmp_path / "summary", HASH) is RunState.STALE
    # a complete status.json (written last) of another config
    _status(tmp_path / "other", "complete", OTHER)
    assert run_state(tmp_path / "other", HASH) is RunState.STALE
    _status(tmp_path / "failed", "failed", OTHER)
    assert run_state(tmp_path / "failed", HASH) is RunState.STALE
    assert run_state(tmp_path / "failed") is RunState.FAILED  # no hash expected: never stale
    # a summary without a hash is of no known config either
    _summary(tmp_path / "bare", None)
    assert run_state(tmp_path / "bare", HASH) is RunState.STALE


def test_failed_for_this_config_or_before_any_config_was_known(tmp_path):
    _status(tmp_path / "mine", "failed", HASH)
    _status(tmp_path / "early", "failed", None)     # the job's config could not be made
    for name in ("mine", "early"):
        record = read_run(tmp_path / name, HASH)
        assert record.state is RunState.FAILED and record.status["error"] == "Boom: no"


def test_missing_when_nothing_says_how_the_run_ended(tmp_path):
    assert run_state(tmp_path / "nowhere", HASH) is RunState.MISSING
    (tmp_path / "started" / ".hydra").mkdir(parents=True)
    assert run_state(tmp_path / "started", HASH) is RunState.MISSING
    # killed between summary.json and status.json: not complete, whatever the summary says
    _summary(tmp_path / "killed", HASH)
    assert read_run(tmp_path / "killed", HASH).state is RunState.MISSING
    assert read_run(tmp_path / "killed", HASH).summary["config_hash"] == HASH


@pytest.mark.parametrize("damaged", [b"", b'{"reached": ', b"[1, 2]", b"null", b"\xff\xfe"])
def test_damaged_json_reads_as_absent(tmp_path, damaged):
    _summary(tmp_path / "summary", raw=damaged)
    assert read_summary(tmp_path / "summary") is None
    assert run_state(tmp_path / "summary", HASH) is RunState.MISSING
    # a damaged summary.json does not hide a failure recorded for this config
    _summary(tmp_path / "both", raw=damaged)
    _status(tmp_path / "both", "failed", HASH)
    assert run_state(tmp_path / "both", HASH) is RunState.FAILED
    _status(tmp_path / "status", raw=damaged)
    assert read_status(tmp_path / "status") is None
    assert run_state(tmp_path / "status", HASH) is RunState.MISSING


def test_writers_and_reset(tmp_path):
    write_failure(tmp_path, HASH, "ValueError: bad", "Traceback...\n")
    assert (tmp_path / "traceback.txt").read_text() == "Traceback...\n"
    assert json.loads((tmp_path / "status.json").read_text()) == {
        "status": "failed", "config_hash": HASH, "error": "ValueError: bad"}
    assert run_state(tmp_path, HASH) is RunState.FAILED
    _summary(tmp_path)
    write_complete(tmp_path, HASH, {"summary.json": file_digest(tmp_path / "summary.json")})
    assert run_state(tmp_path, HASH) is RunState.COMPLETE
    (tmp_path / ".summary.json.x1.tmp").write_text("half")
    (tmp_path / ".hydra").mkdir()
    (tmp_path / ".hydra" / ".config.yaml.x2.tmp").write_text("half")
    (tmp_path / "timeseries.parquet").write_bytes(b"kept")
    reset_run(tmp_path)
    assert sorted(p.name for p in tmp_path.rglob("*")) == [".hydra", "timeseries.parquet"]
    assert run_state(tmp_path, HASH) is RunState.MISSING


def test_config_and_overrides_readers(tmp_path):
    assert read_config_text(tmp_path) is None and read_run_overrides(tmp_path) is None
    (tmp_path / ".hydra").mkdir()
    (tmp_path / ".hydra" / "config.yaml").write_text("seed: 0\n")
    (tmp_path / ".hydra" / "overrides.yaml").write_text("- strategy=adapted\n- p=0.1\n")
    assert read_config_text(tmp_path) == "seed: 0\n"
    assert read_run_overrides(tmp_path) == ["strategy=adapted", "p=0.1"]
    for bad in ("a: [", "just text", "{a: 1}"):
        (tmp_path / ".hydra" / "overrides.yaml").write_text(bad)
        assert read_run_overrides(tmp_path) is None
