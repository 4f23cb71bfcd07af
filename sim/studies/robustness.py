"""Robustness of an experiment's findings across plausible worlds: the plan and the analysis.

A *world* is one point of the box of world assumptions (:func:`sim.config.world_assumptions`:
every key the schema marks as an assumption about the world, over its plausible range). A
study draws worlds with a space-filling design (:mod:`sim.studies.sensitivity`), writes each as
a config-group option (``+point=w0007``, :mod:`sim.studies.points`) and runs, in every world,
each *arm* its findings compare, on the same replicates: one ordinary sweep, so every launcher,
the sweep's resume and its failure handling apply.

A *finding* is a paired difference on one ``summary.json`` metric: the better arm minus the
worse one (sign flipped when lower is better), averaged over the replicates both completed.
In each world and each *cell* (a combination of the experiment's other levers, such as
``budget.total``) it holds when that effect has the claimed sign. The study reports, per
finding and cell: the share of worlds in which it holds (with a confidence interval), the
effect's median and 10-90% band across worlds, the sensitivity indices of the effect to each
assumption, and the region of the assumption space where it fails.

This module is plain Python: the command (:mod:`sim.cli.robustness`) runs the sweep.
"""

from __future__ import annotations

import dataclasses
import importlib.resources
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sim.claims import EXPERIMENTS, HYPOTHESES, Hypothesis
from sim.config import Assumption, override_values, parse_override
from sim.studies import sensitivity as sa


class StudyError(ValueError):
    """A study that cannot be planned as asked; the message is one line for the user."""


#: The point options of worlds: ``w0000``, ``w0001``, ...
WORLD_PREFIX = "w"
#: Share of worlds in which a finding holds for each verdict, from the top.
VERDICTS = ((0.9, "robust"), (0.5, "holds in most worlds"), (0.1, "fails in most worlds"),
            (0.0, "fails"))


def world_name(index: int) -> str:
    """The option name of world ``index``: ``w0007``."""
    return f"{WORLD_PREFIX}{index:04d}"


def verdict(share: float) -> str:
    """The verdict of a finding that holds in ``share`` of the worlds (:data:`VERDICTS`)."""
    if not math.isfinite(share):
        return "not measured"
    return next(text for floor, text in VERDICTS if share >= floor)


@dataclass(frozen=True)
class Finding:
    """A paired difference tested in every world.

    Attributes:
        name: short identifier (``C5 engaged``, or the user's ``a>b:metric``).
        statement: the finding in words.
        metric: the ``summary.json`` key compared.
        better: the arm claimed better, as overrides (``{"strategy": "adapted"}``).
        worse: the arm it is claimed better than.
        higher: whether better means a higher value of the metric.
        claim: the claim it tests (``C5``), or None for a finding the user gave.
        trend: whether it is a trend's two ends (only they are run of the factor's levels).
    """

    name: str
    statement: str
    metric: str
    better: Mapping[str, str]
    worse: Mapping[str, str]
    higher: bool = True
    claim: str | None = None
    trend: bool = False

    @property
    def keys(self) -> tuple[str, ...]:
        """The keys whose values tell the two arms apart."""
        return tuple(dict.fromkeys([*self.better, *self.worse]))

    def arm_text(self, arm: Mapping[str, str]) -> str:
        """An arm as written in tables: ``adapted`` or ``p=0.3``."""
        return ", ".join(v if k == "strategy" else f"{k}={v}" for k, v in arm.items())


def _arm(text: str) -> dict[str, str]:
    """``adapted`` -> ``{"strategy": "adapted"}``; ``network=both`` -> ``{"network": "both"}``."""
    text = text.strip()
    if "=" not in text:
        return {"strategy": text}
    key, value = parse_override(text)
    return {key: str(value)}


def parse_finding(text: str) -> Finding:
    """A finding written ``better>worse:metric`` (``<`` when lower is better).

    Arms are strategy names or ``key=value`` (``adapted>broadcast:reached``,
    ``broadcast<promotional:detractors``).

    Raises:
        StudyError: the text is not of that form.
    """
    arms, sep, metric = text.rpartition(":")
    op = ">" if ">" in arms else "<" if "<" in arms else ""
    if not sep or not metric.strip() or not op or arms.count(op) != 1:
        raise StudyError(f"--finding={text!r}: must be better>worse:metric (or a<b:metric "
                         "when lower is better), e.g. adapted>broadcast:reached")
    a, b = (s.strip() for s in arms.split(op))
    if not a or not b:
        raise StudyError(f"--finding={text!r}: both arms must be named")
    better, worse = _arm(a), _arm(b)
    if set(better) != set(worse):
        raise StudyError(f"--finding={text!r}: both arms must set the same keys "
                         f"({', '.join(better)} vs {', '.join(worse)})")
    return Finding(name=text, statement=f"{a} {'beats' if op == '>' else 'is below'} {b} on "
                   f"{metric.strip()}", metric=metric.strip(), better=better, worse=worse,
                   higher=op == ">")


def _numeric_order(levels: Sequence[str]) -> list[str]:
    try:
        return sorted(levels, key=float)
    except ValueError:
        return list(levels)


def hypothesis_findings(experiment: str, axes: Mapping[str, Sequence[str]]) -> list[Finding]:
    """The findings of a shipped experiment's claims (:data:`sim.claims.HYPOTHESES`).

    A trend over a factor becomes a comparison of the factor's largest level against its
    smallest (in ``axes``, the experiment's levels).
    """
    found = []
    for h in HYPOTHESES.get(experiment, ()):
        found.append(_from_hypothesis(h, axes))
    return found


def _from_hypothesis(h: Hypothesis, axes: Mapping[str, Sequence[str]]) -> Finding:
    name = f"{h.claim} {h.outcome}"
    if h.trend is not None:
        levels = _numeric_order(axes.get(h.trend, ()))
        if len(levels) < 2:
            raise StudyError(f"claim {h.claim}: the trend over {h.trend} needs the experiment "
                             f"to sweep {h.trend} (it sweeps {', '.join(axes) or 'nothing'})")
        return Finding(name, h.statement, h.outcome, {h.trend: levels[-1]}, {h.trend: levels[0]},
                       h.higher, h.claim, trend=True)
    return Finding(name, h.statement, h.outcome, _arm(h.better), _arm(h.worse), h.higher,
                   h.claim)


def experiment_axes(experiment: str) -> dict[str, list[str]]:
    """The axes an experiment sweeps (``hydra.sweeper.params`` of its config), levels as text.

    Raises:
        StudyError: no such experiment, or an axis not written as a comma-separated list.
    """
    if experiment not in EXPERIMENTS:
        raise StudyError(f"experiment={experiment!r}: not a shipped experiment; one of "
                         f"{', '.join(EXPERIMENTS)}")
    path = importlib.resources.files("sim.conf") / "experiment" / f"{experiment}.yaml"
    tree = yaml.safe_load(path.read_text()) or {}
    params = ((tree.get("hydra") or {}).get("sweeper") or {}).get("params") or {}
    axes = {}
    for key, value in params.items():
        text = str(value)
        if "(" in text or "[" in text:
            raise StudyError(f"experiment {experiment}: axis {key}={text} is not a plain "
                             "comma-separated list of levels")
        axes[str(key)] = [v.strip() for v in text.split(",")]
    return axes


def sweep_axes(overrides: Sequence[str]) -> dict[str, list[str]]:
    """The user's overrides that sweep (``strategy=a,b``), as axes."""
    return {k: [x.strip() for x in v.split(",")] for k, v in override_values(overrides).items()
            if "," in v and not k.startswith("hydra")}


@dataclass
class Plan:
    """What a study runs: its worlds' assumptions, the swept axes and the findings.

    Attributes:
        experiment: the experiment studied, or None.
        assumptions: the world assumptions drawn, in schema order.
        axes: the sweep's axes besides the worlds: the arms' keys (only the levels the
            findings compare) and the experiment's other levers (every level: the cells).
        findings: what is tested in every world and cell.
        held: the experiment's axes not swept, and why (drawn as an assumption, or fixed by
            the user's override).
    """

    experiment: str | None
    assumptions: list[Assumption]
    axes: dict[str, list[str]]
    findings: list[Finding]
    held: dict[str, str] = field(default_factory=dict)

    def cell_keys(self, finding: Finding) -> list[str]:
        """The axes whose combinations are ``finding``'s cells: those it does not compare on."""
        return [k for k in self.axes if k not in finding.keys]

    def runs(self, worlds: int, replicates: int) -> int:
        """How many runs the study makes."""
        return worlds * replicates * math.prod(len(v) for v in self.axes.values())


def plan(experiment: str | None, assumptions: Sequence[Assumption],
         findings: Sequence[Finding], user_overrides: Sequence[str] = ()) -> Plan:
    """The study's axes: the arms the findings need and the levers the experiment sweeps.

    Every axis of the experiment is run whole, so that any pair of its arms can be compared
    later (a finding added to a study needs no new run), except an axis that is a drawn
    assumption (``p``, ``share.emotion``), one the user fixes by an override
    (``budget.total=6000``), and a trend's factor, of which only the two ends are run. A
    finding's arm that the experiment does not sweep is added to its axis. For each finding,
    the axes it does not compare on make its cells. The user's own sweep overrides (``a=1,2``)
    are axes too.

    Raises:
        StudyError: no finding, or a finding's arm the study cannot run.
    """
    if not findings:
        raise StudyError("nothing to test: the experiment has no claims to test; give "
                         "--finding better>worse:metric")
    axes_in = experiment_axes(experiment) if experiment else {}
    user = override_values(user_overrides)
    user_axes = sweep_axes(user_overrides)
    drawn = {a.key for a in assumptions}
    compared: dict[str, list[str]] = {}
    for f in findings:
        for arm in (f.better, f.worse):
            for k, v in arm.items():
                compared.setdefault(k, [])
                if v not in compared[k]:
                    compared[k].append(v)
    trends = {k for f in findings if f.trend for k in f.keys}
    for key, levels in compared.items():
        if key in drawn:
            raise StudyError(f"finding on {key}: {key} is a drawn world assumption; fix it "
                             "with an override or compare on another key")
        if key in user and key not in user_axes:
            raise StudyError(f"{key}={user[key]}: fixes a key the findings compare "
                             f"({', '.join(levels)}); leave it out of the overrides")
    held: dict[str, str] = {}
    axes: dict[str, list[str]] = {}
    for key, levels in {**axes_in, **user_axes}.items():
        if key in user and key not in user_axes:
            held[key] = f"fixed at {user[key]} by the command line"
        elif key in drawn:
            held[key] = "drawn as a world assumption"
        elif key in trends:
            axes[key] = list(compared[key])
        else:
            axes[key] = [*levels, *(v for v in compared.get(key, ()) if v not in levels)]
    for key, levels in compared.items():
        axes.setdefault(key, list(levels))
    return Plan(experiment, list(assumptions), axes, list(findings), held)


def dimensions(assumptions: Sequence[Assumption]) -> list[sa.Dimension]:
    """The design's dimensions of the assumptions."""
    return [sa.Dimension(a.key, a.low, a.high, log=a.log, integer=a.integer) for a in assumptions]


def world_values(design: sa.Design, assumptions: Sequence[Assumption]) -> list[dict[str, Any]]:
    """Each world's values, dotted keys, integers as ``int`` and floats as ``float``."""
    out = []
    for row in design.values:
        out.append({a.key: _natural(a, v) for a, v in zip(assumptions, row, strict=True)})
    return out


def _natural(a: Assumption, v: float) -> int | float:
    """A drawn value as the key takes it: an even key to the nearest even integer in range."""
    if a.even:
        return int(min(max(2 * round(v / 2), math.ceil(a.low / 2) * 2), a.high))
    return int(round(v)) if a.integer else float(v)


# ---- analysis ---------------------------------------------------------------------------


def _cells(runs: pd.DataFrame, keys: Sequence[str]) -> list[tuple[dict[str, str], pd.DataFrame]]:
    if not keys:
        return [({}, runs)]
    out = []
    for values, g in runs.groupby(list(keys), sort=False):
        values = values if isinstance(values, tuple) else (values,)
        out.append((dict(zip(keys, map(str, values), strict=True)), g))
    return out


def cell_text(cell: Mapping[str, str]) -> str:
    """A cell as written in tables: ``budget.total=3000, steps=60`` (``all`` for none)."""
    return ", ".join(f"{k}={v}" for k, v in cell.items()) or "all"


def effects(runs: pd.DataFrame, finding: Finding, worlds: int,
            cell_keys: Sequence[str]) -> list[tuple[dict[str, str], np.ndarray, np.ndarray]]:
    """Per cell: each world's effect (NaN where no replicate pair completed) and pair count.

    ``runs`` is :func:`sim.sweep.table.runs_table` of the study's sweep (a ``point`` column,
    the axes' columns, ``replicate``, ``status`` and the metrics). The effect of a world is the
    mean over replicates of better minus worse (worse minus better when lower is better).
    """
    done = runs[runs["status"] == "complete"]
    out = []
    for cell, g in _cells(runs, cell_keys):
        g = done.loc[done.index.intersection(g.index)]
        sides = []
        for arm in (finding.better, finding.worse):
            mask = np.ones(len(g), dtype=bool)
            for k, v in arm.items():
                mask &= g[k].astype(str).to_numpy() == v
            side = g.loc[mask, ["point", "replicate", finding.metric]] if (
                finding.metric in g) else pd.DataFrame(columns=["point", "replicate",
                                                                finding.metric])
            sides.append(side.set_index(["point", "replicate"])[finding.metric].astype(float))
        pair = pd.concat(sides, axis=1, keys=["better", "worse"], join="inner").dropna()
        diff = pair["better"] - pair["worse"]
        if not finding.higher:
            diff = -diff
        by_world = diff.groupby(level="point")
        mean, count = by_world.mean(), by_world.size()
        names = [world_name(i) for i in range(worlds)]
        out.append((cell, mean.reindex(names).to_numpy(dtype=float),
                    count.reindex(names).fillna(0).to_numpy(dtype=int)))
    return out


@dataclass
class Result:
    """The robustness of one finding in one cell."""

    finding: Finding
    cell: dict[str, str]
    effect: np.ndarray
    pairs: np.ndarray
    share: sa.Share | None
    median: float
    p10: float
    p90: float
    indices: list[sa.Index]
    indices_error: str | None
    region: sa.Region | None

    @property
    def measured(self) -> int:
        """Worlds with an effect."""
        return int(np.isfinite(self.effect).sum())

    @property
    def verdict(self) -> str:
        """:func:`verdict` of the share of worlds."""
        return verdict(self.share.share if self.share else math.nan)

    @property
    def region_holds(self) -> bool:
        """Whether :attr:`region` is where the finding *holds*, not where it fails.

        So it is for a finding that fails in most worlds: where it holds is the news.
        """
        return self.share is not None and self.share.share < 0.5

    @property
    def where(self) -> str:
        """The region in words: ``fails where ...`` or ``holds only where ...``; empty if none."""
        if self.region is None:
            return ""
        return ("holds only where " if self.region_holds else "fails where ") + \
            self.region.text()

    @property
    def top(self) -> sa.Index | None:
        """The assumption the effect depends on most, if indices were computed."""
        return self.indices[0] if self.indices else None

    @property
    def top_is_clear(self) -> bool:
        """Whether the top assumption's index is above 0 by more than its interval."""
        return self.top is not None and self.top.clear

    def sentence(self) -> str:
        """The finding's robustness in one sentence for a strategist."""
        f = self.finding
        if self.share is None:
            return f"{f.statement}: not measured (no world with results)"
        s = self.share
        text = (f"{f.statement}: holds in {s.share:.0%} of plausible worlds (95% CI "
                f"{s.low:.0%}-{s.high:.0%}, {s.holds} of {s.worlds})")
        if self.region is not None:
            side = "hold" if self.region_holds else "fail"
            text += (f"; it {self.where} ({self.region.density:.0%} of the worlds there "
                     f"{side}, {self.region.coverage:.0%} of all the worlds where it {side}s)")
        if self.top is not None:
            text += (f"; the effect depends most on {self.top.key}" if self.top_is_clear else
                     "; no assumption stands out at this number of worlds")
        return text


def analyse(design: sa.Design, runs: pd.DataFrame, plan_: Plan, *, seed: int = 0) -> list[Result]:
    """Every finding in every cell: share of worlds, band, indices and failure region."""
    results = []
    for f in plan_.findings:
        for cell, y, pairs in effects(runs, f, design.worlds, plan_.cell_keys(f)):
            ok = np.isfinite(y)
            share = sa.share_holding(y[ok]) if ok.any() else None
            med, lo, hi = sa.band(y[ok]) if ok.any() else (math.nan,) * 3
            idx, err = [], None
            if ok.all():
                try:
                    idx = sa.indices(design, y, seed=seed)
                except ValueError as exc:
                    err = str(exc)
            else:
                err = (f"{int((~ok).sum())} of {y.size} worlds have no result; the indices "
                       "need every world of the design (rerun the command to retry them)")
            region = None
            if ok.any():
                holds = y > 0
                kept = dataclasses.replace(design, unit=design.unit[ok], values=design.values[ok])
                # where it fails, or, for a finding that fails in most worlds, where it holds
                minority = ~holds[ok] if share.share < 0.5 else holds[ok]
                region = sa.failure_region(kept, minority, seed=seed)
            results.append(Result(f, cell, y, pairs, share, med, lo, hi, idx, err, region))
    return results


def results_frame(results: Sequence[Result], plan_: Plan) -> pd.DataFrame:
    """One row per finding and cell: the figures a report quotes (``robustness.csv``)."""
    rows = []
    for r in results:
        f, s, top, reg = r.finding, r.share, r.top, r.region
        rows.append({
            "finding": f.name, "claim": f.claim or "", "statement": f.statement,
            "metric": f.metric, "better": f.arm_text(f.better), "worse": f.arm_text(f.worse),
            "higher_is_better": f.higher, "cell": cell_text(r.cell),
            "worlds": r.effect.size, "measured": r.measured,
            "holds": s.holds if s else 0, "share": s.share if s else math.nan,
            "share_low": s.low if s else math.nan, "share_high": s.high if s else math.nan,
            "verdict": r.verdict, "effect_median": r.median, "effect_p10": r.p10,
            "effect_p90": r.p90, "top_assumption": top.key if top else "",
            "top_total": top.total if top else math.nan,
            "top_is_clear": r.top_is_clear,
            "where": r.where,
            "region_density": reg.density if reg else math.nan,
            "region_coverage": reg.coverage if reg else math.nan,
            "indices_note": r.indices_error or "",
        })
    return pd.DataFrame(rows)


def indices_frame(results: Sequence[Result]) -> pd.DataFrame:
    """One row per finding, cell and assumption: its sensitivity indices (``indices.csv``)."""
    rows = []
    for r in results:
        for rank, i in enumerate(r.indices, start=1):
            rows.append({"finding": r.finding.name, "cell": cell_text(r.cell), "rank": rank,
                         **{k: getattr(i, k) for k in i.__dataclass_fields__}})
    return pd.DataFrame(rows)


def worlds_frame(design: sa.Design, assumptions: Sequence[Assumption],
                 results: Sequence[Result]) -> pd.DataFrame:
    """One row per world: its assumption values and every finding's effect, per cell."""
    frame = pd.DataFrame(design.values, columns=[a.key for a in assumptions])
    for a in assumptions:
        if a.integer:
            frame[a.key] = frame[a.key].round().astype("int64")
    frame.insert(0, "world", [world_name(i) for i in range(design.worlds)])
    for r in results:
        column = r.finding.name + ("" if not r.cell else f" [{cell_text(r.cell)}]")
        frame[column] = r.effect
    return frame
