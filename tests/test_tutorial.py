"""The tutorial notebook (docs/tutorial.ipynb) runs top to bottom and shows what it promises.

The notebook is executed with nbclient on a kernel of this very interpreter (a kernel spec
written into a temporary directory, so no kernel installed elsewhere on the machine is used),
with a temporary working directory and ``TMPDIR``, so everything it writes lands there. A
cell that raises fails the test with the cell's source and traceback. Marked slow: it starts
a kernel and a sweep's worker processes (14 s on 2 idle cores, about 30 s on busy ones).
"""

import json
import re
import sys
from pathlib import Path

import ipykernel.kernelspec
import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).parents[1]
NOTEBOOK = ROOT / "docs" / "tutorial.ipynb"
KERNEL = "mindshare-tutorial"
#: Seconds any one cell may take; the whole notebook runs in well under a minute.
CELL_TIMEOUT = 300
#: Appended to the notebook when it is run here: which interpreter the kernel is.
PROBE = "import sys\nprint('kernel interpreter:', sys.executable)"
#: Colour codes of IPython's tracebacks, removed from failure messages.
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def cell_text(cell) -> str:
    """Everything a code cell printed or displayed as text, in one string."""
    parts = []
    for output in cell.get("outputs", []):
        if output["output_type"] == "stream":
            parts.append(output["text"])
        elif "data" in output:
            parts.append(output["data"].get("text/plain", ""))
    return "\n".join(parts)


def images(cell) -> int:
    return sum("image/png" in output.get("data", {}) for output in cell.get("outputs", []))


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """The notebook after running its cells, the directory it ran in, and the failure if any.

    A failed cell is reported by the first test below; the others are then skipped, so the
    failure is told once.
    """
    work = tmp_path_factory.mktemp("tutorial")
    (work / "tmp").mkdir()
    kernels = work / "kernels"
    spec = ipykernel.kernelspec.write_kernel_spec(kernels / KERNEL)  # argv: sys.executable
    assert json.loads((Path(spec) / "kernel.json").read_text())["argv"][0] == sys.executable
    specs = KernelSpecManager(kernel_dirs=[str(kernels)])
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE, id="probe"))
    client = NotebookClient(
        nb, km=KernelManager(kernel_name=KERNEL, kernel_spec_manager=specs),
        timeout=CELL_TIMEOUT, resources={"metadata": {"path": str(work)}})
    failure = None
    with pytest.MonkeyPatch.context() as env:
        env.setenv("TMPDIR", str(work / "tmp"))  # the kernel's tempfile.mkdtemp() goes there
        try:
            client.execute()
        except CellExecutionError as error:
            failure = ANSI.sub("", str(error))  # the cell's source and its traceback
    return nb, work, failure


def ran(executed):
    """The executed notebook and its directory; skips when a cell failed (reported once)."""
    nb, work, failure = executed
    if failure:
        pytest.skip("a cell of the notebook failed (see the test that runs it)")
    return nb, work


def cell(nb, cell_id: str):
    found = [c for c in nb.cells if c.get("id") == cell_id]
    assert found, f"{NOTEBOOK.name} has no cell with id {cell_id!r}"
    return found[0]


def test_the_committed_notebook_has_no_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    dirty = [c.get("id") for c in nb.cells if c.cell_type == "code"
             and (c.get("outputs") or c.get("execution_count") is not None)]
    assert not dirty, f"clear the outputs of {NOTEBOOK.name} before committing: cells {dirty}"


@pytest.mark.slow
def test_the_notebook_runs_on_this_interpreter_without_errors(executed):
    nb, _, failure = executed
    if failure:
        pytest.fail(f"a cell of {NOTEBOOK.relative_to(ROOT)} failed:\n{failure}", pytrace=False)
    errors = [(c.get("id"), o.get("ename")) for c in nb.cells if c.cell_type == "code"
              for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert not errors, f"cells with errors: {errors}"
    assert f"kernel interpreter: {sys.executable}" in cell_text(cell(nb, "probe"))


@pytest.mark.slow
def test_the_notebook_writes_only_into_a_temporary_directory(executed):
    nb, work = ran(executed)
    [out] = re.findall(r"outputs go to (\S+)", cell_text(cell(nb, "setup")))
    assert Path(out).is_relative_to(work / "tmp"), out
    assert (Path(out) / "results" / "tutorial" / "sweep" / "report" / "report.json").is_file()


@pytest.mark.slow
def test_the_config_section_shows_keys_their_metadata_and_a_bad_value(executed):
    nb, _ = ran(executed)
    assert "adapted" in cell_text(cell(nb, "config"))
    meta = cell_text(cell(nb, "config-meta"))
    assert "'unit': 'per exposure'" in meta and "'source':" in meta
    assert "p=1.5: must be in [0, 1]" in cell_text(cell(nb, "config-bad"))


@pytest.mark.slow
def test_the_run_section_shows_a_chart_that_matches_the_summary(executed):
    nb, _ = ran(executed)
    assert images(cell(nb, "chart")) == 1
    assert "{'personal': True, 'professional': True}" in cell_text(cell(nb, "chart"))
    [(reached, again)] = re.findall(r"reached: (\d+), again: (\d+)",
                                    cell_text(cell(nb, "reproducible")))
    assert reached == again, "the same config gave two different results"


@pytest.mark.slow
def test_the_sweep_and_its_report_have_every_run(executed):
    nb, work = ran(executed)
    assert "tutorial: 9 runs: 9 complete" in cell_text(cell(nb, "sweep"))
    assert "0 failed, 0 missing" in cell_text(cell(nb, "sweep"))
    assert "9 runs, 9 complete" in cell_text(cell(nb, "collect"))
    report = cell(nb, "report")
    assert "runs: {'complete': 9, 'failed': 0, 'missing': 0} of 9" in cell_text(report)
    assert "headline: " in cell_text(report)
    assert images(report) == 1
    [out] = re.findall(r"outputs go to (\S+)", cell_text(cell(nb, "setup")))
    facts = json.loads((Path(out) / "results/tutorial/sweep/report/report.json").read_text())
    assert f"headline: {facts['charts'][0]['takeaway']}" in cell_text(report)


@pytest.mark.slow
def test_the_own_networks_section_reads_people_by_label(executed):
    nb, _ = ran(executed)
    assert re.search(r"n_agents\s+40\b", cell_text(cell(nb, "own")))
    people = cell_text(cell(nb, "per-agent"))
    assert "Mr. Hi" in people and "Officer" in people
    assert "colleagues only" in cell_text(cell(nb, "per-club"))
