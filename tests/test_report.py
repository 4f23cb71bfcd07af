"""The report on small synthetic sweeps: tables, problems, charts, deck, titles, command line."""

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from PIL import Image
from pptx import Presentation
from synthetic_sweep import write_sweep

import sim
from sim.outputs.files import file_digest
from sim.outputs.rundir import write_complete
from sim.report import report
from sim.report.cli import main
from sim.report.collect import collect
from sim.report.design import detect
from sim.report.style import DPI, SIZE

#: Small runs that still separate the two strategies: at the default budget both reach
#: nearly all of 300 people; at 2,400 EUR and p = 0.05 adapted content, whose second variant
#: leaves fewer placements, reaches fewer.
TINY = ["n=300", "steps=12", "budget.total=2400", "p=0.05"]
#: Run numbers of the synthetic sweep: strategy-major, replicate-minor (4 replicates).
FAILED, MISSING = 2, 5


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    """broadcast and adapted, 4 replicates each; run 2 failed, run 5 never started."""
    root = tmp_path_factory.mktemp("sweep")
    return write_sweep(root, strategies=["broadcast", "adapted"], replicates=4, overrides=TINY,
                       fail=[FAILED], missing=[MISSING], name="tiny")


@pytest.fixture(scope="module")
def rep(sweep, tmp_path_factory):
    return report(sweep, tmp_path_factory.mktemp("report"), bootstrap=500)


def _dir(sweep: Path, k: int) -> str:
    """Directory of run ``k`` of the manifest (``strategy=.../replicate=...``)."""
    return json.loads((sweep / "sweep.json").read_text())["runs"][k]["dir"]


def test_tables_hold_every_run_and_are_queryable_with_duckdb(rep, sweep):
    runs = rep.sweep.runs
    assert len(runs) == 8
    assert runs["status"].value_counts().to_dict() == {"complete": 6, "failed": 1, "missing": 1}
    assert {"run", "status", "error", "strategy", "replicate", "config_hash", "overrides",
            "reached", "mean_loyalty", "config.strategy.name", "config.n"} <= set(runs.columns)
    by_sql = duckdb.sql(
        f"SELECT strategy, count(*) AS n, avg(reached) AS reached FROM "
        f"'{rep.out / 'runs.parquet'}' WHERE status = 'complete' GROUP BY 1 ORDER BY 1").df()
    assert by_sql["strategy"].tolist() == ["adapted", "broadcast"]
    assert by_sql["n"].tolist() == [3, 3]
    done = runs[runs["status"] == "complete"]
    assert by_sql["reached"].tolist() == pytest.approx(
        done.groupby("strategy")["reached"].mean().sort_index().tolist())
    ts = pd.read_parquet(rep.out / "timeseries.parquet")
    assert set(ts["run"]) == set(done["run"])
    last = ts[ts["step"] == ts["step"].max()].set_index(["run", "layer"])
    for row in done.itertuples():
        for layer in ("personal", "professional"):
            assert last.loc[(row.run, layer), "reached"] == getattr(row, f"reached_{layer}")
            assert last.loc[(row.run, layer), "engaged"] == getattr(row, f"engaged_{layer}")
    assert rep.sql("SELECT count(*) AS k FROM timeseries")["k"].iloc[0] == len(ts)


def test_failed_and_missing_runs_are_reported_not_dropped(rep, sweep):
    failed, missing = _dir(sweep, FAILED), _dir(sweep, MISSING)
    assert failed == "strategy=broadcast/replicate=2"
    problems = rep.problems.set_index("run")
    assert problems.loc[failed, "status"] == "failed"
    assert "failed on purpose" in problems.loc[failed, "error"]
    assert problems.loc[missing, "status"] == "missing"
    assert problems.loc[missing, "strategy"] == "adapted"
    summary = (rep.out / "summary.md").read_text()
    assert "## Failed and missing runs" in summary
    assert "failed on purpose" in summary and "never started" in summary
    listed = {p["run"]: p["status"] for p in json.loads((rep.out / "report.json").read_text())
              ["problems"]}
    assert listed == {failed: "failed", missing: "missing"}
    assert "6 runs (1 failed, 1 missing)" in rep.charts[0].files["svg"].read_text()
    titles = [s.shapes.title.text for s in Presentation(str(rep.files["deck.pptx"])).slides]
    assert any("did not finish" in t for t in titles)
    # pairs lose the failed and the missing replicates, nothing else
    diffs = rep.diffs[rep.diffs["outcome"] == "reached"]
    assert diffs["n_pairs"].tolist() == [2]


def test_every_chart_is_a_valid_image_of_the_deck_size(rep):
    names = [c.name for c in rep.charts]
    assert names[:2] == ["ranking_reached", "reach_over_time"]
    assert {"cascade", "virality_vs_loyalty", "loyalty_over_time"} <= set(names)
    assert not {"heatmap", "viral_threshold"} & set(names)  # one factor: not applicable
    for chart in rep.charts:
        with Image.open(chart.files["png"]) as im:
            im.verify()
        with Image.open(chart.files["png"]) as im:
            assert im.size == (round(SIZE[0] * DPI), round(SIZE[1] * DPI))
            assert im.format == "PNG"
        svg = ET.parse(chart.files["svg"]).getroot()
        assert svg.tag.endswith("svg")
        width, height = (float(svg.get(k).removesuffix("pt")) for k in ("width", "height"))
        assert width / height == pytest.approx(16 / 9, rel=0.01)


def test_deck_opens_and_has_the_expected_slides(rep):
    deck = Presentation(str(rep.files["deck.pptx"]))
    assert deck.slide_width / deck.slide_height == pytest.approx(16 / 9, rel=0.01)
    slides = list(deck.slides)
    titles = [s.shapes.title.text for s in slides]
    assert titles[0].lower() == "tiny"
    assert titles[1:1 + len(rep.charts)] == [c.title for c in rep.charts]
    for slide in slides[1:1 + len(rep.charts)]:
        assert sum(s.shape_type == 13 for s in slide.shapes) == 1  # one picture
    rest = titles[1 + len(rep.charts):]
    assert rest[0].startswith("Claims")
    assert rest[1:3] == ["Methods", "Assumptions and limitations"]
    assert rest[3].startswith("Appendix: outcomes by strategy")
    methods = " ".join(sh.text_frame.text for sh in slides[2 + len(rep.charts)].shapes
                       if sh.has_text_frame)
    assert "C5" in methods and "replicates" in methods and "seed 0" in methods


def _swap_strategies(src: Path, dst: Path) -> Path:
    """A copy of a sweep in which adapted and broadcast trade names (not results)."""
    shutil.copytree(src, dst)
    swap = {"adapted": "broadcast", "broadcast": "adapted"}
    for path in [*dst.glob("*/*/.hydra/config.yaml"), dst / "sweep.json"]:
        text = path.read_text()
        for old in swap:
            text = text.replace(f"name: {old}\n", f"name: @{old}\n") \
                .replace(f"strategy={old}\"", f"strategy=@{old}\"")
        for old, new in swap.items():
            text = text.replace(f"@{old}", new)
        path.write_text(text)
    for path in dst.glob("*/*/status.json"):       # the configs changed on purpose: re-record
        files = json.loads(path.read_text()).get("files")
        if files:
            write_complete(path.parent, json.loads(path.read_text())["config_hash"],
                           {name: file_digest(path.parent / name) for name in files})
    return dst


def test_titles_follow_the_data(rep, sweep, tmp_path):
    ranking = rep.charts[0]
    assert ranking.name == "ranking_reached"
    leader = rep.arms[(rep.arms["outcome"] == "reached") & (rep.arms["rank"] == 1)]["arm"].item()
    name = {"adapted": "Adapted content", "broadcast": "Broadcast"}
    assert ranking.title.startswith(name[leader])
    swapped = report(_swap_strategies(sweep, tmp_path / "swapped"), tmp_path / "out",
                     bootstrap=500, deck=False)
    other = "broadcast" if leader == "adapted" else "adapted"
    assert swapped.charts[0].title.startswith(name[other])
    assert swapped.charts[0].title != ranking.title


def test_factors_come_from_configs_without_a_manifest(sweep, tmp_path):
    copy = Path(shutil.copytree(sweep, tmp_path / "copy"))
    (copy / "sweep.json").unlink()
    runs = collect(copy).runs
    assert len(runs) == 7  # the never-started run is unknown without the manifest
    design = detect(runs)
    assert design.source == "configs" and design.factors == ["strategy.name"]
    assert detect(collect(sweep).runs).factors == ["strategy"]


def test_a_run_of_another_config_is_not_complete(sweep, tmp_path):
    copy = Path(shutil.copytree(sweep, tmp_path / "copy"))
    entries = json.loads((copy / "sweep.json").read_text())["runs"]
    done, failed = entries[0], entries[FAILED]
    # a summary and a failure left in the runs' directories by another config
    summary = json.loads((copy / done["dir"] / "summary.json").read_text())
    (copy / done["dir"] / "summary.json").write_text(json.dumps(
        {**summary, "config_hash": "another"}))
    status = json.loads((copy / failed["dir"] / "status.json").read_text())
    (copy / failed["dir"] / "status.json").write_text(json.dumps(
        {**status, "config_hash": "another"}))
    runs = collect(copy).runs.set_index("run")
    assert runs["status"].value_counts().to_dict() == {"complete": 5, "missing": 3}
    for entry in (done, failed):
        row = runs.loc[entry["dir"]]
        assert row["status"] == "missing" and row["error"].startswith("stale: ")
        assert "another" in row["error"] and row["config_hash"] == entry["config_hash"]
        assert pd.isna(row["reached"]) and row["strategy"] == "broadcast"
    assert runs.loc[done["dir"], "replicate"] == 0
    # without a manifest no run has an expected config: the failure counts as failed, and the
    # summary, changed since its run recorded it, is damaged
    (copy / "sweep.json").unlink()
    runs = collect(copy).runs.set_index("run")
    assert runs.loc[failed["dir"], "status"] == "failed"
    assert runs.loc[done["dir"], "error"].startswith("damaged: summary.json size mismatch")


def test_two_factor_sweep_draws_the_heatmap_and_the_threshold(tmp_path):
    root = write_sweep(tmp_path / "grid", strategies=["broadcast", "adapted"], replicates=2,
                       overrides=["n=200", "steps=8"], grid={"p": [0.05, 0.15, 0.3]})
    rep = report(root, bootstrap=200, deck=False)
    assert rep.out == root / "report"
    design = rep.design
    assert design.factors == ["strategy", "p"] and design.arm == "strategy"
    names = [c.name for c in rep.charts]
    assert "heatmap" in names and "viral_threshold" in names
    assert set(rep.cell_arms["cell"]) == {"p=0.05", "p=0.15", "p=0.3"}
    for chart in rep.charts:
        with Image.open(chart.files["png"]) as im:
            assert im.size == (2666, 1500)
    assert "pooled over p (3 values)" in rep.charts[0].subtitle
    # a report written inside the sweep is not mistaken for a run on the next pass
    assert len(collect(root, skip=(root / "report",)).runs) == 12
    assert len(collect(root).runs) == 12


def test_command_line(sweep, tmp_path, capsys):
    assert main([str(sweep), "--out", str(tmp_path / "cli"), "--no-charts", "-q",
                 "--bootstrap", "200"]) == 0
    out = capsys.readouterr().out
    assert f"report:  {tmp_path / 'cli' / 'summary.md'}" in out
    assert "1 failed, 1 missing" in out
    assert (tmp_path / "cli" / "runs.parquet").is_file()
    assert not (tmp_path / "cli" / "deck.pptx").exists()
    assert main([str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"mindshare-report: error: {tmp_path / 'nowhere'}: not a directory "
                   "(expected a sweep directory)"]
    with pytest.raises(SystemExit) as exc:
        main([str(sweep), "--bootstrap", "5"])
    assert exc.value.code == 2


def test_a_sweep_without_a_complete_run_still_gets_its_problems_listed(tmp_path, capsys):
    root = write_sweep(tmp_path / "broken", strategies=["broadcast"], replicates=3,
                       overrides=TINY, fail=[0, 1], missing=[2])
    assert main([str(root), "-q"]) == 1
    captured = capsys.readouterr()
    assert "0 complete, 2 failed, 1 missing" in captured.out
    assert captured.err.strip().endswith("no complete run to report on")
    summary = (root / "report" / "summary.md").read_text()
    assert summary.count("failed on purpose") == 2 and "never started" in summary
    assert not (root / "report" / "deck.pptx").exists()


def test_sim_report_is_callable_and_lazy():
    import subprocess
    import sys

    probe = ("import sys, sim, sim.report; heavy = {'pptx', 'duckdb', 'matplotlib.pyplot'}; "
             "print(sorted(heavy & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"
    assert callable(sim.report)
    from sim import report as from_sim

    assert from_sim is sim.report
    assert "report" in sim.__all__


def test_html_summary_is_well_formed_and_shows_every_chart(rep):
    from html.parser import HTMLParser

    class Check(HTMLParser):
        def __init__(self):
            super().__init__()
            self.open, self.images, self.mismatched = [], [], 0

        def handle_starttag(self, tag, attrs):
            if tag == "img":
                self.images.append(dict(attrs)["src"])
            elif tag != "meta":
                self.open.append(tag)

        def handle_endtag(self, tag):
            if self.open and self.open[-1] == tag:
                self.open.pop()
            else:
                self.mismatched += 1

    check = Check()
    check.feed((rep.out / "summary.html").read_text())
    assert check.open == [] and check.mismatched == 0
    assert len(check.images) == len(rep.charts)      # embedded: see test_report_charts.py
    assert all(src.startswith("data:image/png;base64,") for src in check.images)


def test_claims_tested_are_the_experiment_s_and_the_changed_parameters(rep):
    from sim.report.design import experiment_claims, tested_claims

    assert experiment_claims("mindset_divide") == ["C1", "C2", "C3", "C5"]
    assert experiment_claims("relationship_quality") == ["C10", "C11", "C12"]
    assert experiment_claims("no_such_experiment") == []
    assert tested_claims(rep) == ["C5"]          # no experiment: the adapted content's claim
    manifest = rep.sweep.manifest
    try:
        manifest["experiment"] = "relationship_quality"
        assert tested_claims(rep) == ["C5", "C10", "C11", "C12"]
    finally:
        manifest["experiment"] = None


def test_charts_are_the_same_bytes_from_the_same_sweep(rep, sweep, tmp_path):
    again = report(sweep, tmp_path, bootstrap=500)
    assert [c.name for c in again.charts] == [c.name for c in rep.charts]
    for first, second in zip(rep.charts, again.charts, strict=True):
        for kind in ("png", "svg"):
            assert first.files[kind].read_bytes() == second.files[kind].read_bytes(), (
                first.name, kind)


def test_a_sweep_over_networks_compares_networks_and_names_every_arm(tmp_path):
    root = write_sweep(tmp_path / "nets", strategies=["broadcast"], replicates=2,
                       overrides=["n=300", "steps=8"],
                       grid={"network": ["both", "personal"], "p": [0.05, 0.15, 0.3]})
    rep = report(root, bootstrap=200, deck=False)
    assert rep.design.arm == "network"
    charts = {c.name: c for c in rep.charts}
    assert {"reach_over_time", "viral_threshold"} <= set(charts)
    assert "network" in charts["viral_threshold"].title
    # the personal-only arm has no line on the professional panel: a legend names every arm
    legends = [ax.get_legend() for ax in charts["reach_over_time"].fig.axes
               if ax.get_legend() is not None]
    assert len(legends) == 1
    assert len(legends[0].get_texts()) == 2


def test_the_summary_says_where_the_money_went(rep):
    summary = (rep.out / "summary.md").read_text()
    section = summary[summary.index("## Where the money went"):]
    section = section[:section.index("\n## ", 1)]
    runs = rep.labelled
    # adapted content pays two variants per post: more on posts than broadcast
    posts = runs.groupby("arm")["spent_posts"].mean()
    assert posts["adapted"] > posts["broadcast"] > 0
    assert f"{posts['adapted']:,.0f}" in section and f"{posts['broadcast']:,.0f}" in section
    assert "placements: regular tier" in section and "total" in section
    assert "placements: mega tier" not in section                  # no arm paid that tier
    assert "Cost per person reached (EUR)" in summary
