"""Verdicts on an experiment's claims, and the assumptions and limits the results rest on.

Each shipped experiment states its claims as testable statements
(:data:`sim.claims.HYPOTHESES`): one arm does better than another on an outcome, or an outcome
moves with a factor. :func:`judge` gives each a verdict from the paired differences of the runs,
within each cell of the sweep (never pooled over the other factors):

- **supported**: in every cell where both sides ran, the mean difference is in the stated
  direction and its 95% BCa interval excludes 0;
- **contradicted**: in every such cell the interval lies wholly in the other direction;
- **inconclusive**: otherwise, or with fewer than :data:`MIN_REPLICATES` paired replicates in a
  cell, or when the two sides never ran in the same cell.

:func:`assumptions` lists what the results rest on: the model parameters whose values are
assumptions (from the schema's metadata), the replicates and population size, and what the
model leaves out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.claims import HYPOTHESES, Hypothesis
from sim.config.reference import config_reference, key_claims, key_sources
from sim.report import stats
from sim.report.design import Design, cell_label, replicates_per_cell, short_key, value_text
from sim.report.outcomes import OUTCOMES, display, fmt

#: Paired replicates per cell below which no verdict is given (bootstrap intervals are too
#: narrow with fewer; see the README, "Reports").
MIN_REPLICATES = 10
SUPPORTED, CONTRADICTED, INCONCLUSIVE = "supported", "contradicted", "inconclusive"

#: What the model leaves out, for the assumptions-and-limitations slide.
LEFT_OUT = (
    "one brand alone: no competing brands or other content in people's feeds",
    "the networks are fixed during a campaign: nobody follows or leaves anyone",
    "populations and networks are generated (or read from a file), not observed",
    "prices are list prices from published rate cards and benchmarks (EUR): no auctions, "
    "no platform ad ranking, no negotiation",
    "feeds show every exposure to an active member: no ranking filter on the personal and "
    "professional feeds",
)
#: How the results may be read, the last line of the limitations.
READING = "the results compare strategies within the model: they are not forecasts of a market"


@dataclass
class Verdict:
    """The verdict on one hypothesis, with its evidence.

    Attributes:
        hypothesis: the statement judged.
        verdict: ``supported``, ``contradicted`` or ``inconclusive``.
        evidence: one sentence: the figures, intervals and n behind the verdict.
        cells: per cell compared: ``cell``, ``n``, ``better_mean``, ``worse_mean``, ``diff``
            (better - worse), ``ci_low``, ``ci_high``, ``verdict``.
        figure: the report's chart that shows the outcome compared, if it drew one.
    """

    hypothesis: Hypothesis
    verdict: str
    evidence: str
    cells: list[dict[str, Any]] = field(default_factory=list)
    figure: str = ""
    robustness: str = ""

    @property
    def told(self) -> str:
        """The evidence, with the chart that shows it and its robustness across worlds."""
        return (self.evidence + (f" Figure: {self.figure}." if self.figure else "")
                + (f" {self.robustness}" if self.robustness else ""))

    def find_figure(self, charts: list[str]) -> None:
        """Name the chart, among those drawn, that shows this verdict's outcome."""
        h = self.hypothesis
        wanted = "viral_threshold" if h.trend == "p" else f"ranking_{h.outcome}"
        self.figure = f"charts/{wanted}.png" if wanted in charts else ""

    def record(self) -> dict[str, Any]:
        """The verdict as plain data, for ``report.json``."""
        h = self.hypothesis
        return {"claim": h.claim, "statement": h.statement, "outcome": h.outcome,
                "better": h.better, "worse": h.worse, "trend": h.trend, "higher": h.higher,
                "verdict": self.verdict, "evidence": self.evidence, "figure": self.figure or None,
                "robustness": self.robustness or None,
                "cells": [{k: (None if isinstance(v, float) and not np.isfinite(v) else v)
                           for k, v in c.items()} for c in self.cells]}


def add_robustness(found: list[Verdict], table: pd.DataFrame) -> int:
    """Give each verdict its robustness across plausible worlds, from a robustness study.

    ``table`` is the study's ``robustness.csv`` (:mod:`sim.studies.robustness`); a verdict
    takes the rows of its claim and outcome (``C5 engaged``), one per cell of the study.

    Returns:
        How many verdicts got one.
    """
    told = 0
    for v in found:
        h = v.hypothesis
        rows = table[table["finding"] == f"{h.claim} {h.outcome}"]
        if rows.empty:
            continue
        parts = []
        for _, r in rows.iterrows():
            cell = "" if r["cell"] == "all" else f" at {r['cell']}"
            parts.append(f"holds in {r['share']:.0%} of plausible worlds{cell} (95% CI "
                         f"{r['share_low']:.0%}-{r['share_high']:.0%}, {int(r['holds'])} of "
                         f"{int(r['measured'])})")
        v.robustness = "Across plausible worlds: " + "; ".join(parts) + "."
        told += 1
    return told


def hypotheses(experiment: str | None) -> tuple[Hypothesis, ...]:
    """The testable statements of a shipped experiment (none for an ad-hoc sweep)."""
    return HYPOTHESES.get(str(experiment), ()) if experiment else ()


def judge_all(hyps: tuple[Hypothesis, ...], runs: pd.DataFrame, design: Design, *,
              b: int = 4000, seed: int = 0) -> list[Verdict]:
    """A verdict on each hypothesis; ``runs`` are the complete runs with ``arm`` and ``cell``."""
    return [judge(h, runs, design, b=b, seed=seed + i) for i, h in enumerate(hyps)]


def judge(h: Hypothesis, runs: pd.DataFrame, design: Design, *, b: int = 4000,
          seed: int = 0) -> Verdict:
    """The verdict on one hypothesis from the complete runs of a sweep.

    Args:
        h: the statement.
        runs: complete runs labelled with ``arm`` and ``cell``
            (:func:`sim.report.design.label_arms`).
        design: the sweep's design.
        b: bootstrap resamples.
        seed: seed of the bootstrap's generator.
    """
    if h.outcome not in runs or runs[h.outcome].isna().all():
        return Verdict(h, INCONCLUSIVE, f"{_label(h.outcome)} was not measured in these runs.")
    if h.trend is not None:
        frame, better, worse, problem = _trend_frame(h, runs, design)
    else:
        frame, better, worse, problem = _arm_frame(h, runs)
    if problem:
        return Verdict(h, INCONCLUSIVE, problem)
    _, diffs = stats.compare(frame, [h.outcome], b=b, seed=seed)
    cells = []
    for row in diffs.itertuples():
        sign = 1.0 if row.arm_a == better else -1.0
        lo, hi = sorted((sign * row.ci_low, sign * row.ci_high))
        means = (row.mean_a, row.mean_b) if sign > 0 else (row.mean_b, row.mean_a)
        cells.append({"cell": row.cell, "n": int(row.n_pairs), "better_mean": float(means[0]),
                      "worse_mean": float(means[1]), "diff": float(sign * row.diff),
                      "ci_low": float(lo), "ci_high": float(hi),
                      "verdict": _cell_verdict(lo, hi, int(row.n_pairs), h.higher)})
    if not cells:
        return Verdict(h, INCONCLUSIVE, f"{_side(better, h)} and {_side(worse, h)} never ran "
                                        "in the same cell: nothing to compare.")
    found = {c["verdict"] for c in cells}
    verdict = found.pop() if len(found) == 1 else INCONCLUSIVE
    return Verdict(h, verdict, _evidence(h, cells, better, worse), cells)


def _cell_verdict(lo: float, hi: float, n: int, higher: bool) -> str:
    if n < MIN_REPLICATES or not (np.isfinite(lo) and np.isfinite(hi)):
        return INCONCLUSIVE
    if (lo > 0) if higher else (hi < 0):
        return SUPPORTED
    if (hi < 0) if higher else (lo > 0):
        return CONTRADICTED
    return INCONCLUSIVE


def _arm_frame(h: Hypothesis, runs: pd.DataFrame) -> tuple[pd.DataFrame, str, str, str]:
    """The runs of the two arms compared, or a reason why there is nothing to compare."""
    better, worse = str(h.better), str(h.worse)
    ran = set(runs["arm"].astype(str))
    absent = [a for a in (better, worse) if a not in ran]
    if absent:
        return runs.iloc[:0], better, worse, (
            f"{' and '.join(display(a) for a in absent)} did not run in this sweep.")
    frame = runs[runs["arm"].astype(str).isin([better, worse])].copy()
    frame["arm"] = frame["arm"].astype(str)
    return frame, better, worse, ""


def _trend_frame(h: Hypothesis, runs: pd.DataFrame, design: Design,
                 ) -> tuple[pd.DataFrame, str, str, str]:
    """Runs at the factor's smallest and largest values, as two arms, within the other factors."""
    factor = str(h.trend)
    if factor not in design.factors or len(design.levels.get(factor, [])) < 2:
        return runs.iloc[:0], "", "", f"{factor} was not varied in this sweep."
    levels = design.levels[factor]
    low, high = levels[0], levels[-1]
    values = design.values.reindex(runs.index)
    others = [f for f in design.factors if f != factor]
    better, worse = f"{short_key(factor)}={value_text(high)}", \
        f"{short_key(factor)}={value_text(low)}"
    at = values[factor]
    frame = runs[(at == high) | (at == low)].copy()
    frame["arm"] = [better if v == high else worse for v in at.loc[frame.index]]
    frame["cell"] = ([cell_label(others, vs) for vs in
                      zip(*(values.loc[frame.index, f] for f in others), strict=True)]
                     if others else "all")
    return frame, better, worse, ""


def _label(key: str) -> str:
    return OUTCOMES[key].label if key in OUTCOMES else key.replace("_", " ")


def _side(arm: str, h: Hypothesis) -> str:
    return arm.replace("=", " = ") if h.trend is not None else display(arm)


def _num(key: str, value: float) -> str:
    if not np.isfinite(value):
        return "n/a"
    return fmt(OUTCOMES[key], value) if key in OUTCOMES else f"{value:.3g}"


def _signed(key: str, value: float) -> str:
    scale = OUTCOMES[key].scale if key in OUTCOMES else 1.0
    v = value * scale
    return f"{v:+,.0f}" if abs(v) >= 100 else f"{v:+.3g}"


def _evidence(h: Hypothesis, cells: list[dict[str, Any]], better: str, worse: str) -> str:
    """One sentence per verdict: means, difference, 95% interval and n, per cell."""
    parts = []
    for c in cells:
        where = "" if c["cell"] == "all" else f"{c['cell'].replace('=', ' = ')}: "
        if np.isfinite(c["ci_low"]) and np.isfinite(c["ci_high"]):
            interval = f"95% CI [{_signed(h.outcome, c['ci_low'])}, " \
                       f"{_signed(h.outcome, c['ci_high'])}]"
        else:
            interval = "no interval"
        few = " (too few to judge)" if c["n"] < MIN_REPLICATES else ""
        parts.append(f"{where}{_num(h.outcome, c['better_mean'])} vs "
                     f"{_num(h.outcome, c['worse_mean'])}, difference "
                     f"{_signed(h.outcome, c['diff'])}, {interval}, n = {c['n']}{few}")
    head = (f"{_label(h.outcome)}, {_side(better, h)} - {_side(worse, h)} "
            "(paired replicates)")
    return f"{head}: " + "; ".join(parts) + "."


def assumptions(rep: Any, claims_tested: list[str]) -> list[str]:
    """What the results rest on, as lines for a slide and the summary.

    The lines tell the model parameters whose values are assumptions (from the schema's
    metadata; those behind the claims tested named first), the replicates per cell and the
    population size of the sweep, and what the model leaves out (:data:`LEFT_OUT`).
    """
    sources, behind = key_sources(), key_claims()
    defaults = {row[0]: row[1] for row in config_reference()}
    assumed = [k for k, s in sources.items() if "assumption" in s]
    tested = set(claims_tested)
    mine = [k for k in assumed if tested & set(behind.get(k, ()))]
    shown = ", ".join(f"{k} = {_current(rep, k, defaults.get(k, ''))}" for k in mine[:6])
    lines = [f"{len(assumed)} model parameters are assumptions (no source gives their value)"
             + (f"; behind the claims tested: {shown}" + (" ..." if len(mine) > 6 else ""))
             if mine else f"{len(assumed)} model parameters are assumptions (no source gives "
                          "their value): see the config reference"]
    done = getattr(rep, "labelled", None)
    if done is not None and len(done):
        lo, hi = replicates_per_cell(done)
        lines.append(f"{lo} replicate{'s' if lo != 1 else ''} per configuration"
                     + (f" (up to {hi})" if hi != lo else "")
                     + ("; fewer than 10: intervals are too narrow to trust, verdicts withheld"
                        if lo < MIN_REPLICATES else ""))
        if "n_agents" in done and done["n_agents"].notna().any():
            lines.append(f"population of {int(done['n_agents'].max()):,} simulated people "
                         "per run")
    lines += [f"left out: {item}" for item in LEFT_OUT]
    return [*lines, READING]


def _current(rep: Any, key: str, default: str) -> str:
    """A key's value in the sweep (its values when they vary), else its default."""
    col = "config." + key
    runs = rep.sweep.complete
    if col in runs and runs[col].notna().any():
        values = sorted({value_text(v) for v in runs[col].dropna().unique()})
        return ", ".join(values[:4]) + (" ..." if len(values) > 4 else "")
    return default
