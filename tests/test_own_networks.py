"""The README's examples on users' own networks run, and the command line, the chart and the
report work on layers read from files."""

import json
import re
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest

ROOT = Path(__file__).parents[1]
BIN = Path(sys.executable).parent


def readme_blocks_with(text: str) -> list[str]:
    """The README's Python blocks that contain ``text``."""
    readme = (ROOT / "README.md").read_text()
    return [b for b in re.findall(r"```python\n(.*?)```", readme, flags=re.S) if text in b]


@pytest.mark.parametrize("marker", ["karate_club_graph", "fast_gnp_random_graph"])
def test_the_readme_examples_on_networkx_graphs_run(marker, capsys):
    [block] = readme_blocks_with(marker)
    scope: dict = {}
    exec(compile(block, f"README.md ({marker})", "exec"), scope)   # noqa: S102 - our own docs
    if marker == "karate_club_graph":
        result = scope["result"]
        assert result.summary["n_agents"] == 40       # 34 + 20 - 14 in common
        assert capsys.readouterr().out.split()[:3] == ["34", "77", "15"]
    else:
        assert "independent_cascades" in block


def test_a_run_and_a_report_on_two_layer_files(tmp_path):
    people = nx.les_miserables_graph()
    nx.write_edgelist(people, tmp_path / "personal.csv", data=False, delimiter=",")
    work = nx.Graph([("Valjean", "Javert"), ("Valjean", "Cosette"), ("Marius", "Cosette"),
                     ("Enjolras", "Marius"), ("Courfeyrac", "Enjolras"), ("Boss", "Valjean")])
    nx.write_edgelist(work, tmp_path / "professional.txt.gz", data=False)
    layers = ["network.personal.generator=file",
              f"network.personal.path={tmp_path / 'personal.csv'}",
              "network.professional.generator=file",
              f"network.professional.path={tmp_path / 'professional.txt.gz'}"]
    run = subprocess.run([BIN / "mindshare", "name=files", "steps=20", *layers,
                          f"hydra.run.dir={tmp_path / 'run'}"],
                         capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "run" / "reach.png").stat().st_size > 0
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["n_agents"] == 78                  # 77 characters and the Boss
    nodes = pd.read_parquet(tmp_path / "run" / "nodes.parquet")
    assert set(nodes["label"]) == set(people) | set(work)
    valjean = nodes[nodes["label"] == "Valjean"]
    assert valjean["agent"].nunique() == 1 and set(valjean["layer"]) == {"personal",
                                                                         "professional"}
    sweep = subprocess.run([BIN / "mindshare", "-m", "name=filesweep", "steps=20", *layers,
                            "strategy=broadcast,adapted", "budget.total=3000", "replicates=2",
                            f"hydra.sweep.dir={tmp_path / 'sweep'}"],
                           capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert sweep.returncode == 0, sweep.stderr
    report = subprocess.run([BIN / "mindshare-report", tmp_path / "sweep"],
                            capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    assert (tmp_path / "sweep" / "report" / "deck.pptx").stat().st_size > 0


def test_layer_files_without_a_common_label_warn_when_sharers_cross_post(tmp_path, caplog):
    from sim import load_config, simulate

    (tmp_path / "a.txt").write_text("a b\nb c\nc a\n")
    (tmp_path / "b.txt").write_text("x y\ny z\n")
    layers = ["network.personal.generator=file", f"network.personal.path={tmp_path / 'a.txt'}",
              "network.professional.generator=file",
              f"network.professional.path={tmp_path / 'b.txt'}", "steps=3", "budget.total=3000"]
    with caplog.at_level("WARNING", logger="mindshare"):
        simulate(load_config([*layers, "network.crosspost=0.5"]))
    assert "no agent is on both the personal and the professional layer" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="mindshare"):
        simulate(load_config([*layers, "network.crosspost=0"]))
    assert "no agent is on both" not in caplog.text
