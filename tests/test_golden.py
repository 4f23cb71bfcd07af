"""Outputs that must not change by accident: the golden cases of ``tests/golden``."""

import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

sys.path.insert(0, str(Path(__file__).parent / "golden"))
from cases import CASES, FILES, HERE, normalised_summary, write_case  # noqa: E402


def arrow_bytes(table: pa.Table) -> bytes:
    """A table as Arrow IPC bytes: schema, metadata and values, NaN equal to NaN."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


@pytest.mark.parametrize("case", sorted(CASES))
def test_outputs_are_the_golden_ones(tmp_path, case):
    write_case(case, tmp_path)
    expected = HERE / case
    assert normalised_summary(tmp_path / "summary.json") == \
        (expected / "summary.json").read_bytes()
    for name in FILES:
        if not name.endswith(".parquet"):
            continue
        got, want = pq.ParquetFile(tmp_path / name), pq.ParquetFile(expected / name)
        assert arrow_bytes(got.read()) == arrow_bytes(want.read()), name
        if got.metadata.created_by == want.metadata.created_by:
            assert (tmp_path / name).read_bytes() == (expected / name).read_bytes(), name


def test_the_golden_cases_cover_every_named_strategy():
    shipped = {p.stem for p in (HERE.parents[1] / "conf" / "strategy").glob("*.yaml")}
    assert {c.removeprefix("strategy_") for c in CASES if c.startswith("strategy_")} == shipped
