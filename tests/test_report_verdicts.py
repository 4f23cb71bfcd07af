"""Report honesty: per-cell headlines, claim verdicts, one-replicate sweeps, whole reports.

Statistics tables are made from synthetic runs (made-up outcome values per arm, cell and
replicate), so each test states exactly what the runs say; the deck and file tests run small
sweeps with ``write_sweep``.
"""

import json
import math
import re

import numpy as np
import pandas as pd
import pytest
from pptx import Presentation
from synthetic_sweep import write_sweep

from sim.claims import HYPOTHESES, Hypothesis
from sim.report import build, stats, takeaways
from sim.report import charts as arm_charts
from sim.report.cli import main
from sim.report.collect import ReportError, collect
from sim.report.design import Design
from sim.report.verdicts import CONTRADICTED, INCONCLUSIVE, SUPPORTED, judge

#: The people-who-shared outcome.
KEY = "engaged"
TINY = ["n=300", "steps=12"]


def runs_table(means: dict[tuple[str, float], float], replicates: int = 10,
               noise: float = 0.02, seed: int = 0) -> pd.DataFrame:
    """Complete runs of strategies x p: ``KEY`` = mean x (1 + noise), paired by replicate."""
    rng = np.random.default_rng(seed)
    shared = rng.normal(0, noise, size=replicates)     # common random numbers per replicate
    rows = []
    for (arm, p), mean in means.items():
        own = rng.normal(0, noise / 4, size=replicates)
        for r in range(replicates):
            rows.append({"arm": arm, "cell": f"p={p:g}", "strategy": arm, "p": p, "seed": 0,
                         "replicate": r, KEY: mean * (1 + shared[r] + own[r])})
    return pd.DataFrame(rows)


def design_of(runs: pd.DataFrame) -> Design:
    return Design(factors=["strategy", "p"], arm="strategy", cells=["p"],
                  levels={"strategy": sorted(runs["strategy"].unique()),
                          "p": sorted(runs["p"].unique())},
                  values=runs[["strategy", "p"]], source="overrides")


def headline(runs: pd.DataFrame) -> str:
    arms, diffs = stats.compare(runs.assign(cell="all", _c=runs["cell"]), [KEY], b=500,
                                pair=("_c", "seed", "replicate"))
    cell_arms, cell_diffs = stats.compare(runs, [KEY], b=500, seed=1)
    ld = takeaways.lead(arms, diffs, KEY, within=(cell_arms, cell_diffs))
    return takeaways.ranking(ld)


# --- headlines never pool over a non-strategy factor ---

def test_a_ratio_that_varies_over_p_is_told_per_level_never_pooled():
    ratios = {0.06: 11.5, 0.08: 9.0, 0.1: 7.0, 0.12: 5.5, 0.15: 4.2}
    means = {}
    for p, ratio in ratios.items():
        means[("broadcast", p)] = 100.0
        means[("adapted", p)] = 100.0 * ratio
    runs = runs_table(means)
    pooled = runs[runs.arm == "adapted"][KEY].mean() / runs[runs.arm == "broadcast"][KEY].mean()
    title = headline(runs)
    assert f"{pooled:.1f}x" not in title                # 7.4x pooled: never told
    assert "4.2x" in title and "p = 0.15" in title
    assert re.search(r"up to 1[12]x at p = 0\.06$", title)    # the range, with its values
    assert title.startswith("Adapted content")


def test_a_winner_that_changes_with_p_is_told_as_depends_with_the_crossing():
    means = {("broadcast", 0.06): 300.0, ("adapted", 0.06): 100.0,
             ("broadcast", 0.1): 200.0, ("adapted", 0.1): 100.0,
             ("broadcast", 0.15): 100.0, ("adapted", 0.15): 400.0}
    title = headline(runs_table(means))
    assert "depends on p" in title
    assert "Broadcast at p = 0.06, 0.1" in title and "Adapted content at p = 0.15" in title
    assert "between p = 0.1 and 0.15" in title


def test_cells_with_no_clear_difference_are_named_not_merged():
    means = {("broadcast", 0.06): 100.0, ("adapted", 0.06): 100.0,
             ("broadcast", 0.15): 100.0, ("adapted", 0.15): 300.0}
    title = headline(runs_table(means))
    assert "3.0x" in title and "at p = 0.15" in title
    assert "no clear difference at p = 0.06" in title


def test_a_cell_where_one_strategy_ran_is_left_out_of_the_headline():
    means = {("broadcast", 0.1): 100.0, ("broadcast", 0.15): 100.0,
             ("adapted", 0.15): 400.0}
    title = headline(runs_table(means))
    assert title.startswith("Adapted content") and title.endswith("than Broadcast at p = 0.15")
    assert "4.0x" in title and "p = 0.1 " not in title


def test_tables_count_replicates_per_cell_not_runs_pooled_over_levels(tmp_path):
    root = write_sweep(tmp_path / "sweep", strategies=["broadcast", "adapted"], replicates=2,
                       overrides=TINY, grid={"p": [0.1, 0.2]}, name="cells")
    rep = build.report(root, bootstrap=200, charts=False, quiet=True)
    table = pd.read_csv(rep.files["outcomes.csv"])
    assert set(table["cell"]) == {"p=0.1", "p=0.2"}     # no row pooled over p
    assert set(table["n"]) == {2}
    diffs = pd.read_csv(rep.files["differences.csv"])
    assert set(diffs["n_pairs"]) == {2}
    text = rep.files["summary.md"].read_text()
    assert "Warning: Only 2 replicates per configuration (fewer than 10)" in text


def test_the_heatmap_title_claims_no_best_where_nothing_is_clear():
    title = takeaways.heatmap([("0.1", "broadcast", False), ("0.15", "adapted", False)], "p")
    assert "depends" not in title and "No strategy is clearly the best" in title
    title = takeaways.heatmap([("0.1", "broadcast", False), ("0.15", "adapted", True)], "p")
    assert "Broadcast" not in title and "no clear best at p 0.1" in title


# --- verdicts ---

C9 = Hypothesis("C9", KEY, "Community seeding gets more people to share",
                better="communities", worse="influencers")


def _verdict(better: float, worse: float, replicates: int = 10, noise: float = 0.02):
    means = {("communities", p): better for p in (0.1, 0.14)}
    means |= {("influencers", p): worse for p in (0.1, 0.14)}
    runs = runs_table(means, replicates=replicates, noise=noise)
    return judge(C9, runs, design_of(runs), b=500)


def test_a_claim_whose_direction_holds_is_supported():
    v = _verdict(150.0, 100.0)
    assert v.verdict == SUPPORTED
    assert all(c["ci_low"] > 0 and c["n"] == 10 for c in v.cells)
    assert "p = 0.1:" in v.evidence and "n = 10" in v.evidence and "95% CI" in v.evidence


def test_a_claim_reversed_by_the_runs_is_contradicted():
    v = _verdict(100.0, 150.0)
    assert v.verdict == CONTRADICTED
    assert all(c["ci_high"] < 0 for c in v.cells)


def test_overlapping_runs_leave_a_claim_inconclusive():
    runs = runs_table({(arm, p): 100.0 for arm in ("communities", "influencers")
                       for p in (0.1, 0.14)})
    swing = np.tile([12.0, -10.0], 5)                   # differences around zero, both ways
    for p in (0.1, 0.14):
        mine = (runs["arm"] == "communities") & (runs["p"] == p)
        runs.loc[mine, KEY] = runs.loc[(runs["arm"] == "influencers") & (runs["p"] == p),
                                       KEY].to_numpy() + swing
    v = judge(C9, runs, design_of(runs), b=500)
    assert v.verdict == INCONCLUSIVE
    assert all(c["ci_low"] < 0 < c["ci_high"] for c in v.cells)


def test_too_few_replicates_give_no_verdict_however_large_the_difference():
    v = _verdict(300.0, 100.0, replicates=4)
    assert v.verdict == INCONCLUSIVE and "too few to judge" in v.evidence


def test_a_lower_is_better_claim_and_a_trend_are_judged_in_their_direction():
    h = Hypothesis("C10", KEY, "fewer", better="communities", worse="influencers",
                   higher=False)
    runs = runs_table({("communities", 0.1): 50.0, ("influencers", 0.1): 100.0})
    assert judge(h, runs, design_of(runs), b=500).verdict == SUPPORTED
    trend = Hypothesis("C6", KEY, "rises with p", trend="p")
    runs = runs_table({("broadcast", p): 100.0 * (1 + 10 * p) for p in (0.02, 0.1, 0.3)})
    design = Design(factors=["p"], arm=None, cells=["p"], levels={"p": [0.02, 0.1, 0.3]},
                    values=runs[["p"]])
    v = judge(trend, runs, design, b=500)
    assert v.verdict == SUPPORTED and "p = 0.3 - p = 0.02" in v.evidence


def test_no_comparison_is_claimed_for_a_cell_where_one_side_did_not_run():
    means = {("communities", 0.1): 150.0, ("communities", 0.14): 150.0,
             ("influencers", 0.14): 100.0}
    runs = runs_table(means)
    v = judge(C9, runs, design_of(runs), b=500)
    assert [c["cell"] for c in v.cells] == ["p=0.14"]
    assert "p = 0.1:" not in v.evidence


def test_every_shipped_statement_names_arms_of_its_experiment_and_a_known_direction():
    from sim.claims import EXPERIMENTS  # noqa: PLC0415 - test-local

    assert set(HYPOTHESES) <= set(EXPERIMENTS)
    assert HYPOTHESES["influence_seeding"][0] == Hypothesis(
        "C9", "engaged", HYPOTHESES["influence_seeding"][0].statement,
        better="communities", worse="influencers")
    with pytest.raises(ValueError, match="better and worse, or trend"):
        Hypothesis("C9", "engaged", "both", better="a", worse="b", trend="p")


# --- the deck, the summary and report.json carry the verdicts ---

@pytest.fixture(scope="module")
def experiment_report(tmp_path_factory):
    """A small sweep named as the mindset_divide experiment (its claims are judged)."""
    root = tmp_path_factory.mktemp("md") / "sweep"
    write_sweep(root, strategies=["broadcast", "adapted"], replicates=2,
                overrides=TINY,
                name="mindset_divide")
    return build.report(root, bootstrap=200, quiet=True)


def _slide_texts(path) -> list[tuple[str, str, list[str]]]:
    """(title, all text, table cell texts) of every slide."""
    out = []
    for slide in Presentation(str(path)).slides:
        texts, cells = [], []
        for shape in slide.shapes:
            if shape.has_text_frame:
                texts.append(shape.text_frame.text)
            if shape.has_table:
                cells += [c.text for row in shape.table.rows for c in row.cells]
        out.append((slide.shapes.title.text, "\n".join(texts + cells), cells))
    return out


def test_the_deck_has_a_verdict_slide_and_an_assumptions_slide(experiment_report):
    slides = _slide_texts(experiment_report.files["deck.pptx"])
    titles = [t for t, _, _ in slides]
    verdict = next(text for t, text, _ in slides if t.startswith("Claims"))
    for h in HYPOTHESES["mindset_divide"]:
        assert f"{h.claim} INCONCLUSIVE: {h.statement}" in verdict   # 2 replicates: no verdict
    assert "too few to judge" in verdict or "not measured" in verdict
    limits = next(text for t, text, _ in slides if t == "Assumptions and limitations")
    assert re.search(r"\d+ model parameters are assumptions", limits)
    assert "2 replicates per configuration" in limits and "300 simulated people" in limits
    assert "left out: one brand alone" in limits
    assert titles.index("Methods") < titles.index("Assumptions and limitations")
    # fewer than 10 replicates: said on every slide
    assert all("Only 2 replicates per configuration" in text for _, text, _ in slides)


def test_summary_and_report_json_carry_the_verdicts(experiment_report):
    data = json.loads(experiment_report.files["report.json"].read_text())
    assert [v["claim"] for v in data["verdicts"]] == [h.claim for h in
                                                      HYPOTHESES["mindset_divide"]]
    assert {v["verdict"] for v in data["verdicts"]} == {INCONCLUSIVE}
    gain = next(v for v in data["verdicts"] if v["outcome"] == "loyalty_gain")
    assert gain["figure"] == "charts/ranking_loyalty_gain.png"        # the chart that shows it
    assert "ranking_loyalty_gain" in {c["name"] for c in data["charts"]}
    html = experiment_report.files["summary.html"].read_text()
    assert "<h2>Claims</h2>" in html and "<h2>Assumptions and limitations</h2>" in html
    assert HYPOTHESES["mindset_divide"][0].statement in html


def test_every_methods_table_cell_holds_its_full_text(experiment_report, tmp_path):
    from sim.report.deck import write_deck  # noqa: PLC0415 - python-pptx, as the report does

    rep = experiment_report
    long = "community, kcore, degree, engagement, random, community, kcore, degree"
    extra = pd.DataFrame([{"key": "strategy.seeding", "default": "random", "values": long,
                           "varied": True, "source": "C9"}])
    rep.changed = pd.concat([rep.changed, extra], ignore_index=True)
    slides = _slide_texts(write_deck(rep, tmp_path / "deck.pptx"))
    cells = next(c for t, _, c in slides if t == "Methods")
    assert long in cells
    for row in rep.changed.itertuples():
        assert row.values in cells
    assert not any(c.endswith("...") for c in cells)


# --- every sweep a user can run gets a report ---

def test_one_replicate_sweeps_get_a_report_that_says_no_interval_can_be_given(tmp_path):
    for name, kwargs in (("two", {"strategies": ["broadcast", "adapted"]}),
                         ("split", {"strategies": ["broadcast"],
                                    "grid": {"strategy.split": [0.1, 0.5, 0.9]}})):
        root = write_sweep(tmp_path / name, replicates=1, overrides=TINY, name=name, **kwargs)
        rep = build.report(root, bootstrap=200, quiet=True)
        assert rep.charts and "deck.pptx" in rep.files
        text = rep.files["summary.md"].read_text()
        assert "no interval can be given" in text
        assert not re.search(r"\bnan\b|n/a, n/a", text, re.IGNORECASE)
        assert any("no interval can be given" in c.title for c in rep.charts)
        for _, slide, _ in _slide_texts(rep.files["deck.pptx"]):
            assert not re.search(r"\bnan\b|n/a", slide, re.IGNORECASE), slide
        data = json.loads(rep.files["report.json"].read_text())
        assert data["runs"]["complete"] == len(rep.labelled)


# --- written whole or not at all ---

@pytest.fixture(scope="module")
def small(tmp_path_factory):
    return write_sweep(tmp_path_factory.mktemp("small") / "sweep", replicates=2,
                       overrides=TINY, name="small")


def _boom(*_a, **_k):
    raise RuntimeError("chart failed on purpose")


def test_a_failing_chart_leaves_no_partial_report(small, tmp_path, monkeypatch):
    monkeypatch.setattr(arm_charts, "virality_vs_loyalty", _boom)
    out = tmp_path / "report"
    with pytest.raises(RuntimeError, match="on purpose"):
        build.report(small, out, bootstrap=200, quiet=True)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []               # no building directory left either


def test_a_failing_build_leaves_the_earlier_report_as_it_was(small, tmp_path, monkeypatch):
    out = tmp_path / "report"
    build.report(small, out, bootstrap=200, quiet=True)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    monkeypatch.setattr(arm_charts, "virality_vs_loyalty", _boom)
    with pytest.raises(RuntimeError):
        build.report(small, out, bootstrap=300, quiet=True)
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]
    monkeypatch.undo()
    rep = build.report(small, out, bootstrap=300, quiet=True)   # replaced once complete
    assert rep.out == out and all(p.is_file() for p in rep.files.values())
    assert all(str(p).startswith(str(out)) for c in rep.charts for p in c.files.values())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]


def test_a_directory_that_is_not_a_report_is_never_replaced(small, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    with pytest.raises(ReportError, match="not a report"):
        build.report(small, out, bootstrap=200, quiet=True)
    assert (out / "notes.txt").read_text() == "keep me"
    run = next(small.glob("*/replicate=0"))
    (run / "summary.md").write_text("a report's name, in a run")
    with pytest.raises(ReportError, match="not a report"):
        build.report(small, run, bootstrap=200, quiet=True)
    (run / "summary.md").unlink()
    for holder in (small, small.parent):
        with pytest.raises(ReportError, match="holds the sweep directory"):
            build.report(small, holder, bootstrap=200, quiet=True)
    assert (small / "sweep.json").is_file() and (run / "summary.json").is_file()


# --- progress ---

def test_progress_lines_show_runs_collected_and_charts_drawn(small, tmp_path, capsys):
    seen = []
    collect(small, progress=lambda i, total: seen.append((i, total)))
    assert seen == [(i, 4) for i in range(1, 5)]
    build.report(small, tmp_path / "r", bootstrap=200, deck=False)
    err = capsys.readouterr().err
    assert re.search(r"^report: collected 4 runs", err, re.MULTILINE)
    charts = re.findall(r"^report: chart (\d+)/(\d+) ", err, re.MULTILINE)
    assert [int(k) for k, _ in charts] == list(range(1, len(build.CHART_ORDER) + 1))
    build.report(small, tmp_path / "q", bootstrap=200, deck=False, quiet=True)
    assert capsys.readouterr().err == ""


# --- one sweep definition per report ---

def test_runs_of_two_sweep_definitions_are_refused_naming_both(tmp_path, capsys):
    root = tmp_path / "reuse"
    write_sweep(root, strategies=["broadcast"], replicates=2, overrides=TINY,
                grid={"p": [0.1, 0.15]}, name="reuse")
    write_sweep(root, strategies=["broadcast", "adapted"], replicates=2, overrides=TINY,
                name="reuse")
    with pytest.raises(ReportError, match="two sweep definitions") as info:
        build.report(root, bootstrap=200, quiet=True)
    message = str(info.value)
    assert "\n" not in message
    assert "strategy=adapted,broadcast" in message and "p=0.1,0.15" in message
    assert main([str(root), "-q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("mindshare-report: error: ")
    assert not (root / "report").exists()


def test_the_verdict_record_has_no_nan(experiment_report):
    for v in experiment_report.verdicts:
        for cell in v.record()["cells"]:
            assert all(not (isinstance(x, float) and math.isnan(x)) for x in cell.values())


def test_a_verdict_says_in_what_share_of_plausible_worlds_its_claim_holds():
    from sim.report.verdicts import Verdict, add_robustness

    h = HYPOTHESES["mindset_divide"][0]                       # C5 engaged
    other = HYPOTHESES["mindset_divide"][2]                   # C5 loyalty_gain: no row
    found = [Verdict(h, SUPPORTED, "+12 people (95% CI 3 to 20)."),
             Verdict(other, INCONCLUSIVE, "n = 10.")]
    table = pd.DataFrame([
        {"finding": "C5 engaged", "cell": "budget.total=3000", "share": 0.125,
         "share_low": 0.07, "share_high": 0.2, "holds": 16, "measured": 128},
        {"finding": "C5 engaged", "cell": "budget.total=12000", "share": 0.9375,
         "share_low": 0.88, "share_high": 0.97, "holds": 120, "measured": 128}])
    assert add_robustness(found, table) == 1
    assert found[0].told == (
        "+12 people (95% CI 3 to 20). Across plausible worlds: holds in 12% of plausible "
        "worlds at budget.total=3000 (95% CI 7%-20%, 16 of 128); holds in 94% of plausible "
        "worlds at budget.total=12000 (95% CI 88%-97%, 120 of 128).")
    assert found[1].robustness == "" and found[0].record()["robustness"].startswith("Across")


def test_a_robustness_directory_without_its_table_is_refused_before_any_work(tmp_path, capsys):
    root = tmp_path / "sweep"
    root.mkdir()
    assert main([str(root), "-q", "--robustness", str(tmp_path / "nostudy")]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("mindshare-report: error: --robustness=") and "robustness.csv" in err
    assert not (root / "report").exists()
