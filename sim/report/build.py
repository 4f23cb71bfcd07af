"""The report, end to end: from a sweep directory to its tables, charts, summary and deck.

:func:`report` collects the sweep, compares its arms, draws the charts and writes the summary
and the deck; it is what ``mindshare-report`` and ``sim.report(...)`` run.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib
import pandas as pd

from sim.outputs.files import atomic_write
from sim.progress import Progress
from sim.report import charts as arm_charts  # report() has a `charts` argument
from sim.report import charts_sweep, stats, summary, tree, verdicts
from sim.report.collect import ReportError, Sweep, collect
from sim.report.context import Context, footnote
from sim.report.design import (
    Design,
    changed_from_defaults,
    check_one_definition,
    detect,
    fingerprint,
    label_arms,
    replicates_per_cell,
)
from sim.report.outcomes import OUTCOMES
from sim.report.style import RC, Chart, palette, save

#: Charts of a report, in the order of the deck.
CHART_ORDER = ("ranking_reached", "reach_over_time", "ranking_loyalty_gain", "loyalty_over_time",
               "virality_vs_loyalty", "heatmap", "viral_threshold", "cascade")


@dataclass
class Report:
    """A written report.

    Attributes:
        out: the report directory.
        sweep: the collected sweep (runs and time series tables).
        design: what the sweep varied.
        arms: per-arm statistics pooled over cells; ``cell_arms``: within each cell.
        diffs: paired differences pooled over cells; ``cell_diffs``: within each cell.
        charts: the charts drawn, in deck order (titles are the takeaways).
        files: every file written, by name.
        notes: what was left out and why.
        labelled: the complete runs with their ``arm`` and ``cell``.
        verdicts: the verdict on each claim statement of the sweep's experiment.
    """

    out: Path
    sweep: Sweep
    design: Design
    arms: pd.DataFrame
    diffs: pd.DataFrame
    cell_arms: pd.DataFrame
    cell_diffs: pd.DataFrame
    charts: list[Chart] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    fingerprint: str = ""
    changed: pd.DataFrame = field(default_factory=pd.DataFrame)
    bootstrap: int = 4000
    labelled: pd.DataFrame = field(default_factory=pd.DataFrame)
    verdicts: list[verdicts.Verdict] = field(default_factory=list)

    @property
    def problems(self) -> pd.DataFrame:
        """Failed and missing runs."""
        return self.sweep.problems

    def sql(self, query: str) -> pd.DataFrame:
        """Run DuckDB SQL over the report's tables and return the result.

        The tables are ``runs``, ``timeseries``, ``outcomes`` and ``differences``::

            report.sql("SELECT strategy, avg(reached) FROM runs GROUP BY 1")
        """
        import duckdb  # noqa: PLC0415 - start-up: duckdb only when the tables are queried

        con = duckdb.connect()
        try:
            for name, frame in (("runs", self.sweep.runs), ("timeseries", self.sweep.timeseries),
                                ("outcomes", outcome_table(self)),
                                ("differences", difference_table(self))):
                con.register(name, frame)
            return con.execute(query).df()
        finally:
            con.close()


def compared_outcomes(runs: pd.DataFrame) -> list[str]:
    """Headline outcomes present in the runs and not constant across them."""
    return [k for k in OUTCOMES if k in runs and runs[k].notna().any()
            and runs[k].dropna().nunique() > 1]


def report(sweep_dir: str | Path, out: str | Path | None = None, *, bootstrap: int = 4000,
           seed: int = 0, charts: bool = True, deck: bool = True,
           progress: Callable[[str], None] | None = None, quiet: bool = False,
           robustness: str | Path | None = None) -> Report:
    """Collect a sweep directory and write its report: tables, statistics, charts, deck.

    The report is written whole or not at all: it is built in a hidden directory beside
    ``out`` (same file system), then moved into place; an earlier report at ``out`` is
    replaced only then, and a failure leaves it (or nothing) behind.

    Args:
        sweep_dir: the sweep directory (run directories below it, ``sweep.json`` beside them).
        out: the report directory (default ``<sweep_dir>/report``); replaced when complete.
        bootstrap: bootstrap resamples for the intervals.
        seed: seed of the bootstrap's generator (same seed, same intervals).
        charts: draw the charts (PNG and SVG).
        deck: write ``deck.pptx`` (needs the charts).
        progress: called with each progress line (default: printed on stderr).
        quiet: no progress lines.
        robustness: a robustness study's directory (``mindshare-robustness``): each claim's
            verdict then says in what share of plausible worlds it holds.

    Returns:
        The :class:`Report`, with every file written listed in ``files``.

    Raises:
        sim.report.collect.ReportError: the sweep directory cannot be read, mixes runs of two
            sweep definitions, or ``out`` is something other than a report.
    """
    say = (lambda _m: None) if quiet else (progress or _stderr)
    root = Path(sweep_dir)
    out = Path(out) if out is not None else root / "report"
    _check_out(out, root)
    study = _robustness_table(robustness) if robustness is not None else None
    t0 = time.perf_counter()
    steps = Progress(say, every=2.0)
    sweep = collect(root, skip=(out,),
                    progress=lambda i, total: steps.step(i, total, unit="collecting run"))
    check_one_definition(sweep.runs, root)
    n_done = int((sweep.runs["status"] == "complete").sum())
    say(f"collected {len(sweep.runs):,} runs ({n_done:,} complete, "
        f"{len(sweep.runs) - n_done:,} failed or missing) in {time.perf_counter() - t0:.1f} s")
    out.parent.mkdir(parents=True, exist_ok=True)
    work = out.parent / f".{out.name}.building-{os.getpid()}-{secrets.token_hex(4)}"
    work.mkdir()          # mode from the umask, as the report directory's will be
    try:
        rep = _build(sweep, root, work, bootstrap=bootstrap, seed=seed, charts=charts,
                     deck=deck, say=say, t0=t0, robustness=study)
        _replace(work, out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    _moved(rep, work, out)
    return rep


def _robustness_table(study_dir: str | Path) -> pd.DataFrame:
    """A robustness study's ``robustness.csv``; :class:`ReportError` if it cannot be read."""
    path = Path(study_dir) / "robustness.csv"
    try:
        table = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise ReportError(f"--robustness={study_dir}: cannot read {path.name} ({exc}); give "
                          "the directory of a mindshare-robustness study") from None
    missing = {"finding", "cell", "share", "share_low", "share_high", "holds",
               "measured"} - set(table.columns)
    if missing:
        raise ReportError(f"--robustness={study_dir}: {path.name} lacks the columns "
                          f"{', '.join(sorted(missing))}")
    return table


def _stderr(message: str) -> None:
    print(f"report: {message}", file=sys.stderr, flush=True)


#: Files of a report directory; one of them marks a directory as an earlier report.
REPORT_MARKS = ("report.json", "runs.parquet", "summary.md")
#: Files that mark a directory as a sweep's or a run's, never replaced by a report.
DATA_MARKS = ("sweep.json", "summary.json", "status.json", ".hydra")


def _check_out(out: Path, root: Path) -> None:
    """Refuse a report directory that is not an earlier report, or holds the sweep itself.

    Such a directory would be replaced whole when the report is moved into place.
    """
    if out.exists() and not out.is_dir():
        raise ReportError(f"--out {out}: exists and is not a directory")
    if root.resolve() == out.resolve() or out.resolve() in root.resolve().parents:
        raise ReportError(f"--out {out}: holds the sweep directory {root}; give a directory "
                          "of its own")
    if out.is_dir() and any(out.iterdir()) and (
            not any((out / name).exists() for name in REPORT_MARKS)
            or any((out / name).exists() for name in DATA_MARKS)):
        raise ReportError(f"--out {out}: a directory that is not a report; give an empty or "
                          "new directory, or an earlier report's")


def _replace(work: Path, out: Path) -> None:
    """Move the finished report ``work`` to ``out``, replacing an earlier report there."""
    old = None
    if out.exists():
        old = out.parent / f".{out.name}.old-{os.getpid()}-{secrets.token_hex(4)}"
        os.rename(out, old)
    try:
        os.rename(work, out)
    except OSError:
        if old is not None:
            os.rename(old, out)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _moved(rep: Report, work: Path, out: Path) -> None:
    """Point the report's paths at ``out`` once its files were moved there from ``work``."""
    def move(path: Path) -> Path:
        try:
            return out / Path(path).relative_to(work)
        except ValueError:
            return Path(path)

    rep.out = out
    rep.files = {name: move(path) for name, path in rep.files.items()}
    for chart in rep.charts:
        chart.files = {kind: move(path) for kind, path in chart.files.items() if kind != "deck"}


def _build(sweep: Sweep, root: Path, work: Path, *, bootstrap: int, seed: int, charts: bool,
           deck: bool, say: Callable[[str], None], t0: float,
           robustness: pd.DataFrame | None = None) -> Report:
    """Every file of the report of ``sweep``, written into ``work`` (which becomes ``out``)."""
    files: dict[str, Path] = {}
    for name, frame in (("runs", sweep.runs), ("timeseries", sweep.timeseries)):
        path = work / f"{name}.parquet"
        atomic_write(path, lambda tmp, f=frame: f.to_parquet(tmp, index=False))
        files[f"{name}.parquet"] = path

    design = detect(sweep.runs)
    complete = label_arms(sweep.complete, design)
    outcomes = compared_outcomes(complete)
    pooled = complete
    pair: tuple[str, ...] = ("seed", "replicate")
    if complete["cell"].nunique() > 1:
        pooled = complete.assign(_cell=complete["cell"], cell="all")
        pair = ("_cell", "seed", "replicate")
    arms, diffs = stats.compare(pooled, outcomes, b=bootstrap, seed=seed, pair=pair)
    cell_arms, cell_diffs = (stats.compare(complete, outcomes, b=bootstrap, seed=seed + 1)
                             if design.cells else (arms.iloc[:0], diffs.iloc[:0]))
    say(f"compared {complete['arm'].nunique()} arm(s) on {len(outcomes)} outcomes "
        f"({bootstrap:,} bootstrap resamples)")
    rep = Report(out=work, sweep=sweep, design=design, arms=arms, diffs=diffs,
                 cell_arms=cell_arms, cell_diffs=cell_diffs, files=files,
                 fingerprint=fingerprint(sweep.runs["config_hash"]),
                 changed=changed_from_defaults(sweep.runs), bootstrap=bootstrap,
                 labelled=complete)
    few, _ = replicates_per_cell(complete)
    if len(complete) and few < 2:
        rep.notes.append("One replicate per configuration: no interval can be given and no "
                         "difference is claimed; add replicates (replicates=10 or more).")
    elif len(complete) and few < verdicts.MIN_REPLICATES:
        rep.notes.append(f"Only {few} replicates per cell (fewer than "
                         f"{verdicts.MIN_REPLICATES}): bootstrap intervals are narrower than "
                         "95%, and no verdict is given on a claim.")
    hyps = verdicts.hypotheses((sweep.manifest or {}).get("experiment"))
    rep.verdicts = verdicts.judge_all(hyps, complete, design, b=bootstrap, seed=seed + 2) \
        if len(complete) else []
    if hyps:
        say(f"judged {len(hyps)} claim statement(s)")
    if robustness is not None:
        say(f"robustness across plausible worlds for "
            f"{verdicts.add_robustness(rep.verdicts, robustness)} claim statement(s)")
    for name, frame in (("outcomes", outcome_table(rep)), ("differences", difference_table(rep))):
        path = work / f"{name}.csv"
        atomic_write(path, lambda tmp, f=frame: f.to_csv(tmp, index=False))
        files[f"{name}.csv"] = path

    if charts and len(complete):
        order = _order(arms, complete)
        ts = sweep.timeseries.merge(complete[["run", "arm", "cell", "seed", "replicate"]],
                                    on="run", how="inner")
        ctx = Context(root=root, runs=complete, timeseries=ts, design=design, arms=arms,
                      diffs=diffs, cell_arms=cell_arms, cell_diffs=cell_diffs,
                      outcomes=outcomes, order=order,
                      colours=palette(sorted(order, key=str)),
                      footnote=footnote(sweep.runs, complete, design, rep.fingerprint, order),
                      bootstrap=min(bootstrap, 2000), seed=seed)
        deck_dir = work / ".deck"
        deck_dir.mkdir()
        rep.charts = draw(ctx, work / "charts", deck_dir if deck else None, say)
        rep.notes.extend(ctx.notes)
        for verdict in rep.verdicts:
            verdict.find_figure([c.name for c in rep.charts])
        for chart in rep.charts:
            files[f"charts/{chart.name}.png"] = chart.files["png"]
            files[f"charts/{chart.name}.svg"] = chart.files["svg"]
        if deck and rep.charts:
            # python-pptx is imported only when a deck is written
            from sim.report.deck import write_deck  # noqa: PLC0415 - start-up: python-pptx

            files["deck.pptx"] = write_deck(rep, work / "deck.pptx")
            say("wrote the deck")
        shutil.rmtree(deck_dir)
    elif not len(complete):
        rep.notes.append("No complete run: no statistics, charts or deck.")
    files.update(summary.write_summaries(rep))
    path = work / "report.json"
    text = json.dumps(_manifest(rep), indent=2, default=str) + "\n"
    atomic_write(path, lambda tmp: Path(tmp).write_text(text))
    files["report.json"] = path
    say(f"report written in {time.perf_counter() - t0:.1f} s")
    return rep


def outcome_table(rep: Report) -> pd.DataFrame:
    """``outcomes.csv``: per arm, within each cell when the sweep has cells (never pooled).

    With cells, ``n`` counts the replicates of the arm in the cell, not runs pooled over
    cells; without, the one cell is ``all``.
    """
    return rep.cell_arms if rep.design.cells and len(rep.cell_arms) else rep.arms


def difference_table(rep: Report) -> pd.DataFrame:
    """``differences.csv``: paired differences, within each cell when the sweep has cells."""
    return rep.cell_diffs if rep.design.cells and len(rep.cell_diffs) else rep.diffs


def _order(arms: pd.DataFrame, complete: pd.DataFrame) -> list[str]:
    """Arms, best first on people reached (or the first outcome compared), then any others."""
    key = "reached" if (arms["outcome"] == "reached").any() else (
        arms["outcome"].iloc[0] if len(arms) else None)
    ranked = arms[arms["outcome"] == key].sort_values("rank")["arm"].tolist() if key else []
    return ranked + [a for a in dict.fromkeys(complete["arm"]) if a not in ranked]


def draw(ctx: Any, charts_dir: Path, deck_dir: Path | None,
         say: Callable[[str], None]) -> list[Chart]:
    """Draw every chart that applies, save it, and return them in deck order."""
    makers = {
        "ranking_reached": lambda: arm_charts.ranking(ctx, "reached"),
        "reach_over_time": lambda: arm_charts.reach_over_time(ctx),
        "ranking_loyalty_gain": lambda: arm_charts.ranking(ctx, "loyalty_gain"),
        "loyalty_over_time": lambda: arm_charts.loyalty_over_time(ctx),
        "virality_vs_loyalty": lambda: arm_charts.virality_vs_loyalty(ctx),
        "heatmap": lambda: charts_sweep.heatmap(ctx),
        "viral_threshold": lambda: charts_sweep.viral_threshold(ctx),
        "cascade": lambda: tree.cascade(ctx),
    }
    for name in CHART_ORDER:  # a chart that no longer applies must not linger from a past report
        for kind in ("png", "svg"):
            (charts_dir / f"{name}.{kind}").unlink(missing_ok=True)
    done = []
    with matplotlib.rc_context(RC):
        for k, name in enumerate(CHART_ORDER, start=1):
            chart = makers[name]()
            if chart is None:
                say(f"chart {k}/{len(CHART_ORDER)} {name}: does not apply")
                continue
            done.append(save(chart, charts_dir, deck_directory=deck_dir))
            say(f"chart {k}/{len(CHART_ORDER)} {name}: {chart.title}")
    return done


def _manifest(rep: Report) -> dict[str, Any]:
    """``report.json``: the sweep, its design, problems, takeaways and files."""
    runs = rep.sweep.runs
    manifest = rep.sweep.manifest or {}
    return {
        "sweep": str(rep.sweep.root), "name": manifest.get("name"),
        "experiment": manifest.get("experiment"), "expected": manifest.get("total"),
        "runs": {s: int((runs["status"] == s).sum()) for s in ("complete", "failed", "missing")},
        "fingerprint": rep.fingerprint,
        "factors": rep.design.factors, "arm": rep.design.arm, "cells": rep.design.cells,
        "levels": rep.design.levels,
        "problems": rep.problems.astype(object).where(rep.problems.notna(), None)
        .to_dict("records"),
        "charts": [{"name": c.name, "takeaway": c.title, "subtitle": c.subtitle,
                    "png": c.files["png"].name, "svg": c.files["svg"].name}
                   for c in rep.charts],
        "notes": rep.notes,
        "verdicts": [v.record() for v in rep.verdicts],
        "files": sorted(str(p.relative_to(rep.out)) for p in rep.files.values()),
    }
