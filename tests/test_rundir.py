"""The run-directory contract: each state of a run directory, its readers and its writers."""

import json
from pathlib import Path

import pytest

from sim.outputs.rundir import (
    RunState,
    complete_status,
    read_config_text,
    read_run,
    read_run_overrides,
    read_status,
    read_summary,
    reset_run,
    run_state,
    status_text,
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


def test_a_run_state_is_a_string():
    assert RunState.COMPLETE == "complete" and str(RunState.STALE) == "stale"
    assert [s.value for s in RunState] == ["complete", "failed", "missing", "stale"]


def test_complete_when_summary_carries_the_expected_hash(tmp_path):
    _summary(tmp_path)
    _status(tmp_path, "complete")
    assert run_state(tmp_path, HASH) is RunState.COMPLETE
    assert run_state(tmp_path) is RunState.COMPLETE          # no hash expected: any summary
    record = read_run(tmp_path, HASH)
    assert record.summary == {"reached": 7, "config_hash": HASH} and record.found_hash == HASH


def test_stale_when_summary_or_failed_status_is_of_another_config(tmp_path):
    _summary(tmp_path / "done", OTHER)
    assert run_state(tmp_path / "done", HASH) is RunState.STALE
    assert read_run(tmp_path / "done", HASH).found_hash == OTHER
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
    # killed between status.json and summary.json: not complete, whatever the status says
    _status(tmp_path / "killed", "complete", HASH)
    assert read_run(tmp_path / "killed", HASH).state is RunState.MISSING
    assert read_run(tmp_path / "killed", HASH).status["status"] == "complete"
    # a complete status.json of another config is not stale: only end files that count are
    _status(tmp_path / "other", "complete", OTHER)
    assert run_state(tmp_path / "other", HASH) is RunState.MISSING


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
    [(name, write)] = complete_status(HASH).items()
    write(str(tmp_path / name))
    assert (tmp_path / "status.json").read_text() == status_text("complete", HASH)
    _summary(tmp_path)
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
