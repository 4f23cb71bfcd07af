"""An optimisation's numbers and words: values in their units, lever values, placements.

Shared by the report (:mod:`sim.studies.optimise_report`) and its charts
(:mod:`sim.studies.optimise_charts`): each objective's value in its told unit (people as whole
numbers, loyalty in points of 100, euros), a lever's value in words, the names the front's
points are saved under (:func:`front_names`), and where a named strategy stands against the
front (:func:`placement`): *on the front* when no front point is at least as good on every
objective and better on one, *beyond* it when it is that much better than a front point,
*behind* it otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from sim.report.outcomes import OUTCOMES
from sim.studies.calibration import replicate_interval
from sim.studies.optimise import (
    SEEDING_WORDS,
    Lever,
    Named,
    Objective,
    Outcome,
    Trial,
    trials_scale,
)

#: Levers that are shares (of the placements, the money, the budget), shown in per cent.
SHARE_LEVERS = ("split", "production", "incentive_budget")
#: Count-like metrics, shown as whole numbers.
COUNTS = ("reached", "engaged", "shares", "owned_members")

def front_names(outcome: Outcome) -> list[str]:
    """The strategy name of each front point, in rank order: ``front_01``, ``front_02``, ..."""
    return [f"front_{k:02d}" for k in range(1, len(outcome.front) + 1)]


# ---- numbers and words ------------------------------------------------------------------


def display_scale(o: Objective) -> float:
    """The factor an objective's values are shown with (loyalty: points of 100)."""
    known = OUTCOMES.get(o.metric)
    return known.scale if known is not None else 1.0


def value_text(o: Objective, value: float, *, unit: bool = True) -> str:
    """A value of objective ``o`` as told: people whole, loyalty in points, EUR to the cent."""
    if value is None or not math.isfinite(value):
        return "n/a"
    known = OUTCOMES.get(o.metric)
    if known is not None and known.scale != 1.0:
        text = f"{value * known.scale:.1f}"
        return f"{text} {known.unit}".strip() if unit else text
    if o.metric.startswith("cost_per") or "(EUR)" in (known.label if known else ""):
        return f"EUR {value:,.2f}" if unit else f"{value:,.2f}"
    if o.metric.endswith("_share"):
        return f"{100 * value:.1f}%"
    if o.metric in COUNTS or o.metric.startswith(("reached_", "engaged_")) or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def interval_text(o: Objective, mean: float, low: float, high: float) -> str:
    """``12,345 (12,100 to 12,590)``: a mean and its 95% interval."""
    if not math.isfinite(low) or low == high:
        return value_text(o, mean)
    return (f"{value_text(o, mean)} ({value_text(o, low, unit=False)} to "
            f"{value_text(o, high, unit=False)})")


def short_name(o: Objective) -> str:
    """The objective's short name in sentences (``people reached``)."""
    known = OUTCOMES.get(o.metric)
    return known.short if known is not None else o.metric


def phrase(o: Objective, value: float) -> str:
    """``12,345 people reached``, ``cost per person engaged EUR 0.42``: a value and its name."""
    known = OUTCOMES.get(o.metric)
    counts = o.metric in COUNTS or o.metric.startswith(("reached_", "engaged_"))
    if counts or (known is not None and known.scale != 1.0):
        return f"{value_text(o, value)} {short_name(o)}"
    return f"{short_name(o)} {value_text(o, value)}"


def better_way(o: Objective) -> str:
    """``higher is better`` or ``lower is better``."""
    return "higher is better" if o.maximise else "lower is better"


def percent(x: float) -> str:
    """A share as a whole percentage (``23%``)."""
    pct = 100 * x
    return f"{pct:.0f}%" if abs(pct) >= 1 else f"{pct:.1g}%"


def objective_interval(samples: Mapping[str, Sequence[float]],
                       o: Objective) -> tuple[float, float, float]:
    """Mean and 95% replicate interval of an objective's samples (display units not applied)."""
    return replicate_interval(samples.get(o.metric, []))


def _means(item: Trial | Named, objectives: Sequence[Objective]) -> np.ndarray:
    return np.array([item.mean(o.metric) for o in objectives], dtype=float)


def _gain(values: np.ndarray, objectives: Sequence[Objective]) -> np.ndarray:
    return values * np.array([1.0 if o.maximise else -1.0 for o in objectives])


def lever_word(lever: Lever, value: Any) -> str:
    """A lever's value as shown in tables: shares in per cent, booleans and choices as words."""
    if value is None:
        return "-"
    if lever.kind == "bool":
        return "yes" if value else "no"
    if lever.kind == "choice":
        word = SEEDING_WORDS.get(str(value), str(value)) if lever.name == "seeding" else value
        return str(word).removesuffix(" seeding")
    if lever.kind == "int":
        return str(int(value))
    if lever.name in SHARE_LEVERS:
        return f"{float(value):.0%}"
    return f"{float(value):.2f}"


def range_text(lever: Lever) -> str:
    """A lever's range in words (``0% to 100%``, ``yes or no``, its choices)."""
    if lever.kind == "bool":
        return "yes or no"
    if lever.kind == "choice":
        return ", ".join(lever.choices)
    if lever.kind == "int":
        return f"{int(lever.low)} to {int(lever.high)}"
    if lever.name in SHARE_LEVERS:
        return f"{lever.low:.0%} to {lever.high:.0%}"
    return f"{lever.low:g} to {lever.high:g}"


# ---- where each named strategy stands --------------------------------------------------


def placement(outcome: Outcome, named: Named) -> dict[str, Any]:
    """Where a named strategy stands against the front: verdict, front points, sentence.

    ``verdict`` is ``on the front`` (no front point is at least as good on every objective and
    better on one), ``beyond the front`` (it is that much better than a front point),
    ``behind the front`` or ``not placed``. ``beaten_by`` is the front point that beats it
    with the smallest shortfall, ``nearest`` the one that gives its shortfall.
    """
    names = dict(zip((t.number for t in outcome.front), front_names(outcome), strict=True))
    objs = outcome.objectives
    out: dict[str, Any] = {"verdict": "not placed", "on_front": False, "beaten_by": "",
                           "nearest": names.get(named.nearest, ""), "sentence": ""}
    point = _means(named, objs)
    if named.error:
        out["sentence"] = f"did not run: {named.error}"
        return out
    if not outcome.front:
        out["sentence"] = "not placed: the search found no front"
        return out
    if not np.isfinite(point).all():
        out["sentence"] = "not placed: an objective is not a number"
        return out
    front = np.array([_means(t, objs) for t in outcome.front])
    g, f = _gain(point, objs), _gain(front, objs)
    beats = (f >= g).all(axis=1) & (f > g).any(axis=1)          # front points better than it
    beaten = (g >= f).all(axis=1) & (g > f).any(axis=1)         # front points it is better than
    scale = trials_scale(outcome.trials, objs)
    if beats.any():
        need = ((f - g) / np.where(scale > 0, scale, 1.0)).max(axis=1)
        k = int(np.flatnonzero(beats)[np.argmin(need[beats])])
        by = front_names(outcome)[k]
        gaps = ", ".join(_gap(o, front[k, j], point[j]) for j, o in enumerate(objs))
        text = f"behind the front: {by} does better on every objective ({gaps})"
        if (scale > 0).all() and math.isfinite(named.shortfall):
            text += (f"; it needs {percent(named.shortfall)} of the searched range more on every "
                     f"objective to reach it (nearest: {out['nearest']})")
        out.update(verdict="behind the front", beaten_by=by, sentence=text)
    elif beaten.any():
        k = int(np.flatnonzero(beaten)[0])
        strict = bool((g > f[k]).all())
        text = (f"beyond the front: better than {front_names(outcome)[k]} on every objective"
                if strict else f"beyond the front: as good as {front_names(outcome)[k]} on "
                "every objective and better on one")
        out.update(verdict="beyond the front", on_front=True, sentence=text)
    else:
        out.update(verdict="on the front", on_front=True,
                   sentence="on the front: no point of the search does better on every "
                            "objective")
    return out


def _gap(o: Objective, better: float, worse: float) -> str:
    word = "more" if o.maximise else "less"
    return f"{value_text(o, abs(better - worse))} {word} {short_name(o)}"


def by_shortfall(named: Sequence[Named]) -> list[Named]:
    """Named strategies from the closest to the front to the farthest (unplaced last)."""
    return sorted(named, key=lambda s: (not math.isfinite(s.shortfall), s.shortfall, s.name))


