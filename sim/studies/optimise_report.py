"""What an optimisation writes: the trials, the Pareto front, the named strategies, charts, deck.

In the study directory: ``trials.parquet`` (one row per trial: levers, each objective's mean
and 95% replicate interval, whether it is on the front, its levers in words), ``front.csv``
(the front best-first along the first objective, each point with the strategy name it is saved
under, :func:`front_names`), ``named.csv`` (each named strategy against the front, with a
sentence), ``summary.json`` (the same figures, flat), ``report.md``, the charts ``front.png``
and ``levers.png`` (with SVG copies) and ``deck.pptx``. The command line writes the front's
strategy files (``conf/strategy/front_NN.yaml``) under the names :func:`front_names` gives.

A named strategy is *on the front* when no front point is at least as good on every objective
and better on one; *beyond* it when it is that much better than a front point; *behind* it
otherwise. Its shortfall (:func:`sim.studies.optimise.shortfall`) says how far behind, in
units of the front's span of each objective.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter
from scipy import stats

from sim.outputs.files import atomic_write
from sim.report import deck as dk
from sim.report import style
from sim.report.outcomes import OUTCOMES, display
from sim.studies.calibration import replicate_interval
from sim.studies.optimise import (
    SEEDING_WORDS,
    Lever,
    Named,
    Objective,
    Outcome,
    Trial,
    expand,
    front_scale,
)

#: The front's colour (two objectives): a dark red no channel and no shipped strategy but
#: "bursty" uses; the named strategies keep their own colours.
FRONT_COLOUR, TRIAL_COLOUR = "#7b2d26", "#c8c8c8"
#: The levers' heat map: white (the lever's lowest value) to teal (its highest).
LEVER_MAP = LinearSegmentedColormap.from_list("lever", ["#ffffff", "#0e8c9a"])
#: The third objective's colours: viridis without its pale yellow end, which error bars on a
#: white ground would not show.
THIRD_MAP = LinearSegmentedColormap.from_list(
    "third", [matplotlib.colormaps["viridis"](v) for v in np.linspace(0.0, 0.8, 9)])
#: Most rows per table slide, the inches a table may fill (from 1.4 in to the slide's foot),
#: and the front points in the levers' chart.
SLIDE_ROWS, SLIDE_HEIGHT, LEVER_ROWS = 8, 5.8, 15
#: Levers that are shares (of the placements, the money, the budget), shown in per cent.
SHARE_LEVERS = ("split", "production", "incentive_budget")
#: Count-like metrics, shown as whole numbers.
COUNTS = ("reached", "engaged", "shares", "owned_members")


def front_names(outcome: Outcome) -> list[str]:
    """The strategy name of each front point, in rank order: ``front_01``, ``front_02``, ..."""
    return [f"front_{k:02d}" for k in range(1, len(outcome.front) + 1)]


# ---- numbers and words ------------------------------------------------------------------


def _scale(o: Objective) -> float:
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


def _short(o: Objective) -> str:
    known = OUTCOMES.get(o.metric)
    return known.short if known is not None else o.metric


def _phrase(o: Objective, value: float) -> str:
    """``12,345 people reached``, ``cost per person engaged EUR 0.42``: a value and its name."""
    known = OUTCOMES.get(o.metric)
    counts = o.metric in COUNTS or o.metric.startswith(("reached_", "engaged_"))
    if counts or (known is not None and known.scale != 1.0):
        return f"{value_text(o, value)} {_short(o)}"
    return f"{_short(o)} {value_text(o, value)}"


def _way(o: Objective) -> str:
    return "higher is better" if o.maximise else "lower is better"


def _pct(x: float) -> str:
    pct = 100 * x
    return f"{pct:.0f}%" if abs(pct) >= 1 else f"{pct:.1g}%"


def _interval(samples: Mapping[str, Sequence[float]], o: Objective) -> tuple[float, float, float]:
    return replicate_interval(samples.get(o.metric, []))


def _means(item: Trial | Named, objectives: Sequence[Objective]) -> np.ndarray:
    return np.array([item.mean(o.metric) for o in objectives], dtype=float)


def _gain(values: np.ndarray, objectives: Sequence[Objective]) -> np.ndarray:
    return values * np.array([1.0 if o.maximise else -1.0 for o in objectives])


def _lever_word(lever: Lever, value: Any) -> str:
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


def _range_text(lever: Lever) -> str:
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
    scale = front_scale(outcome.front, objs)
    if beats.any():
        need = ((f - g) / np.where(scale > 0, scale, 1.0)).max(axis=1)
        k = int(np.flatnonzero(beats)[np.argmin(need[beats])])
        by = front_names(outcome)[k]
        gaps = ", ".join(_gap(o, front[k, j], point[j]) for j, o in enumerate(objs))
        text = f"behind the front: {by} does better on every objective ({gaps})"
        if (scale > 0).all() and math.isfinite(named.shortfall):
            text += (f"; it needs {_pct(named.shortfall)} of the front's span more on every "
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
    return f"{value_text(o, abs(better - worse))} {word} {_short(o)}"


def _by_shortfall(named: Sequence[Named]) -> list[Named]:
    return sorted(named, key=lambda s: (not math.isfinite(s.shortfall), s.shortfall, s.name))


# ---- tables -----------------------------------------------------------------------------


def _objective_columns(samples: Mapping[str, Sequence[float]],
                       objectives: Sequence[Objective]) -> dict[str, float]:
    row = {}
    for o in objectives:
        row[f"{o.metric}_mean"], row[f"{o.metric}_low"], row[f"{o.metric}_high"] = \
            _interval(samples, o)
    return row


def trials_frame(outcome: Outcome) -> pd.DataFrame:
    """One row per trial: number, state, error, levers, objectives' intervals, on_front, words."""
    columns = ["number", "state", "error", *(lv.name for lv in outcome.levers),
               *(f"{o.metric}_{part}" for o in outcome.objectives
                 for part in ("mean", "low", "high")), "on_front", "description"]
    rows = []
    for t in outcome.trials:
        row: dict[str, Any] = {"number": t.number, "state": t.state, "error": t.error}
        row.update({lv.name: t.values.get(lv.name) for lv in outcome.levers})
        row.update(_objective_columns(t.samples, outcome.objectives))
        row.update(on_front=bool(t.on_front), description=outcome.words(t))
        rows.append(row)
    return pd.DataFrame(rows, columns=columns)


def front_frame(outcome: Outcome) -> pd.DataFrame:
    """The front best-first: rank, trial, strategy name, words, objectives' intervals, levers."""
    columns = ["rank", "trial", "strategy", "description",
               *(f"{o.metric}_{part}" for o in outcome.objectives
                 for part in ("mean", "low", "high")), *(lv.name for lv in outcome.levers)]
    rows = []
    for rank, (t, name) in enumerate(zip(outcome.front, front_names(outcome), strict=True), 1):
        row: dict[str, Any] = {"rank": rank, "trial": t.number, "strategy": name,
                               "description": outcome.words(t)}
        row.update(_objective_columns(t.samples, outcome.objectives))
        row.update({lv.name: t.values.get(lv.name) for lv in outcome.levers})
        rows.append(row)
    return pd.DataFrame(rows, columns=columns)


def named_frame(outcome: Outcome) -> pd.DataFrame:
    """Each named strategy against the front, by shortfall (nearest the front first)."""
    columns = ["name", *(f"{o.metric}_{part}" for o in outcome.objectives
                         for part in ("mean", "low", "high")),
               "shortfall", "shortfall_in", "on_front", "verdict", "nearest", "beaten_by",
               "sentence", "error"]
    scaled = bool(outcome.front) and bool((front_scale(outcome.front,
                                                       outcome.objectives) > 0).all())
    rows = []
    for s in _by_shortfall(outcome.named):
        where = placement(outcome, s)
        row: dict[str, Any] = {"name": s.name}
        row.update(_objective_columns(s.samples, outcome.objectives))
        row.update(shortfall=s.shortfall,
                   shortfall_in="front span" if scaled else "objective units",
                   on_front=where["on_front"], verdict=where["verdict"],
                   nearest=where["nearest"], beaten_by=where["beaten_by"],
                   sentence=where["sentence"], error=s.error)
        rows.append(row)
    return pd.DataFrame(rows, columns=columns)


def _finite(x: float) -> float | None:
    return float(x) if x is not None and math.isfinite(x) else None


def summary(outcome: Outcome) -> dict[str, Any]:
    """The study's figures as one flat mapping (``summary.json``)."""
    st = outcome.settings
    done = [t for t in outcome.trials if t.state == "complete"]
    places = [placement(outcome, s) for s in outcome.named]
    out: dict[str, Any] = {
        "objectives": ",".join(o.metric for o in outcome.objectives),
        "directions": ",".join(o.direction for o in outcome.objectives),
        "levers": ",".join(lv.name for lv in outcome.levers),
        "trials": len(outcome.trials), "complete": len(done),
        "failed": len(outcome.trials) - len(done), "front_size": len(outcome.front),
        "named": len(outcome.named), "named_on_front": sum(p["on_front"] for p in places),
        "named_behind_front": sum(p["verdict"] == "behind the front" for p in places),
        **{k: st.get(k) for k in ("n", "steps", "budget", "replicates", "seed", "sampler",
                                  "batch", "base_strategy")},
        "overrides": " ".join(st.get("overrides") or [])}
    for o in outcome.objectives:
        means = [(t.mean(o.metric), t.number) for t in outcome.front]
        means = [m for m in means if math.isfinite(m[0])]
        best = (max if o.maximise else min)(means) if means else (math.nan, None)
        out[f"best_{o.metric}"], out[f"best_{o.metric}_trial"] = _finite(best[0]), best[1]
    for s, p in zip(outcome.named, places, strict=True):
        out[f"named.{s.name}.shortfall"] = _finite(s.shortfall)
        out[f"named.{s.name}.verdict"] = p["verdict"]
    return out


# ---- writing ----------------------------------------------------------------------------


def _write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda tmp: Path(tmp).write_text(text))


def write_outputs(out: Path, outcome: Outcome, *, command: str,
                  charts: bool = True) -> list[Path]:
    """Write every output of the study into ``out``; returns the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    tables = {"trials.parquet": trials_frame(outcome), "front.csv": front_frame(outcome),
              "named.csv": named_frame(outcome)}
    for name, frame in tables.items():
        path = out / name
        if name.endswith(".parquet"):
            atomic_write(path, lambda tmp, f=frame: f.to_parquet(tmp, index=False))
        else:
            atomic_write(path, lambda tmp, f=frame: f.to_csv(tmp, index=False))
        written.append(path)
    made: list[style.Chart] = []
    if charts and outcome.front:
        made = [front_chart(out, outcome), levers_chart(out, outcome)]
        written += [p for c in made for k, p in c.files.items() if k != "deck"]
    text = report_markdown(outcome, command=command, out=out, charts=made)
    _write_text(out / "report.md", text)
    _write_text(out / "summary.json", json.dumps(summary(outcome), indent=1) + "\n")
    written += [out / "report.md", out / "summary.json",
                write_deck(out / "deck.pptx", outcome, made, out=out)]
    return written


# ---- charts -----------------------------------------------------------------------------


def _footnote(outcome: Outcome) -> str:
    st = outcome.settings
    done = sum(t.state == "complete" for t in outcome.trials)
    return (f"{done} of {len(outcome.trials)} trials complete, {st['replicates']} paired "
            f"replicates each (seed {st['seed']}), {st['sampler']} sampler; {int(st['n']):,} "
            f"people, {st['steps']} days, EUR {float(st['budget']):,.0f}; overrides in report.md")


def _axis_label(o: Objective) -> str:
    """The objective's label and better direction, on two lines when long."""
    text = f"{o.label}, {_way(o)}"
    return text if len(text) <= 40 else f"{o.label},\n{_way(o)}"


def _plain(value: float, _pos: int) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:g}"


def _step_path(points: np.ndarray, objectives: Sequence[Objective]) -> np.ndarray:
    """The front's staircase through ``points`` (x, y): each corner the worse of two neighbours.

    Between two front points, next by x, the points the search can claim to reach are bounded
    by the corner that takes the worse x and the worse y of the two.
    """
    pts = points[np.argsort(points[:, 0], kind="stable")]
    path = [pts[0]]
    for a, b in zip(pts[:-1], pts[1:], strict=True):
        x = a[0] if objectives[0].maximise else b[0]
        y = min(a[1], b[1]) if objectives[1].maximise else max(a[1], b[1])
        path += [np.array([x, y]), b]
    return np.array(path)


def front_chart(out: Path, outcome: Outcome) -> style.Chart:
    """All trials in grey, the front with its intervals and ranks, the named strategies.

    Axes: objectives 0 and 1 (in their told units); with a third objective, the front's
    colour. ``Chart.data`` holds the plotted front (``name, x, y``) and named points.
    """
    objs = outcome.objectives
    ox, oy = objs[0], objs[1]
    sx, sy = _scale(ox), _scale(oy)
    fig, ax = style.figure()
    done = [t for t in outcome.trials if t.state == "complete" and not t.on_front]
    grey = np.array([[t.mean(ox.metric) * sx, t.mean(oy.metric) * sy] for t in done]
                    ).reshape(-1, 2)
    grey = grey[np.isfinite(grey).all(axis=1)]
    ax.scatter(grey[:, 0], grey[:, 1], s=30, color=TRIAL_COLOUR, lw=0, zorder=1)
    names = front_names(outcome)
    pts = np.array([[t.mean(ox.metric) * sx, t.mean(oy.metric) * sy] for t in outcome.front])
    labels, bars = [], []
    if len(objs) == 2 and len(pts) > 1:
        path = _step_path(pts, objs)
        ax.plot(path[:, 0], path[:, 1], color=FRONT_COLOUR, lw=2, alpha=0.6, zorder=2)
    colours = [FRONT_COLOUR] * len(pts)
    if len(objs) == 3:
        z = np.array([t.mean(objs[2].metric) * _scale(objs[2]) for t in outcome.front])
        lo, hi = (float(z.min()), float(z.max())) if len(z) else (0.0, 1.0)
        sc = ax.scatter(pts[:, 0], pts[:, 1], c=z, cmap=THIRD_MAP, vmin=lo,
                        vmax=hi if hi > lo else lo + 1.0, s=0)
        cmap, norm = sc.get_cmap(), sc.norm
        colours = [cmap(norm(v)) for v in z]
        bar = fig.colorbar(sc, ax=ax, pad=0.01)
        bar.set_label(_axis_label(objs[2]), fontsize=15)
        bar.ax.tick_params(labelsize=14)
    crowded = len(outcome.front) > 10          # thinner bars, so the points stay readable
    for k, t in enumerate(outcome.front):
        (mx, lx, hx), (my, ly, hy) = _interval(t.samples, ox), _interval(t.samples, oy)
        mx, lx, hx, my, ly, hy = mx * sx, lx * sx, hx * sx, my * sy, ly * sy, hy * sy
        ax.errorbar([mx], [my], xerr=[[mx - lx], [hx - mx]], yerr=[[my - ly], [hy - my]],
                    fmt="o", ms=13 if crowded else 15, color=colours[k], mec="white", mew=1.5,
                    elinewidth=1.2 if crowded else 2, capsize=3 if crowded else 4, zorder=4)
        labels.append((mx, my, str(k + 1), FRONT_COLOUR, True))
        bars += [(lx, my, hx, my), (mx, ly, mx, hy)]
    palette = style.palette([s.name for s in outcome.named])
    plotted_named = []
    for s in outcome.named:
        x, y = s.mean(ox.metric) * sx, s.mean(oy.metric) * sy
        if not (math.isfinite(x) and math.isfinite(y)):
            continue
        ax.scatter([x], [y], marker="D", s=150, color=palette[s.name], edgecolor="white",
                   lw=1.5, zorder=5)
        labels.append((x, y, display(s.name), palette[s.name], False))
        plotted_named.append((s.name, x, y))
    ax.set_xlabel(_axis_label(ox))
    ax.set_ylabel(_axis_label(oy))
    ax.xaxis.set_major_formatter(FuncFormatter(_plain))
    ax.yaxis.set_major_formatter(FuncFormatter(_plain))
    ax.margins(x=0.08, y=0.14)
    # the shipped strategies' names first: they are longer than the ranks and harder to place
    labels = [lab for lab in labels if not lab[4]] + [lab for lab in labels if lab[4]]
    line = " joined by the front's staircase" if len(objs) == 2 and len(pts) > 1 else ""
    colour = (f", coloured by {_short(objs[2])} (scale right)" if len(objs) == 3 else "")
    subtitle = (f"Grey: the other trials' means over replicates; numbered: the Pareto front{line} "
                f"{colour}, with 95% replicate intervals; diamonds: the shipped strategies at "
                "the same budget").replace(" ,", ",").replace("  ", " ")
    chart = style.finish("front", fig, _front_title(outcome), subtitle, _footnote(outcome),
                         labels=lambda: style.place_labels(ax, labels, obstacles=bars))
    chart.data = {"front": [(n, float(x), float(y)) for n, (x, y) in zip(names, pts,
                                                                          strict=True)],
                  "named": plotted_named, "trials": int(len(grey) + len(pts))}
    return style.save(chart, out, deck_directory=out / "deck_charts")


def _front_title(outcome: Outcome) -> str:
    objs, front = outcome.objectives, outcome.front
    budget = f"EUR {float(outcome.settings['budget']):,.0f}"
    a = front[0]
    if len(front) == 1:
        return (f"One strategy is best on every objective at {budget}: "
                + ", ".join(_phrase(o, a.mean(o.metric)) for o in objs))
    second = objs[1]
    b = max(front, key=lambda t: t.mean(second.metric) * (1 if second.maximise else -1))
    x, y = objs[0], objs[1]
    return (f"{len(front)} best trade-offs at {budget}: from {_phrase(x, a.mean(x.metric))} and "
            f"{_phrase(y, a.mean(y.metric))} to {value_text(x, b.mean(x.metric))} and "
            f"{value_text(y, b.mean(y.metric))}")


def _lever_cells(outcome: Outcome) -> tuple[np.ndarray, list[list[str]]]:
    """Each shown front point's levers, normalised to their range (NaN: a choice), and words."""
    shown = outcome.front[:LEVER_ROWS]
    norm = np.full((len(shown), len(outcome.levers)), np.nan)
    words = [["" for _ in outcome.levers] for _ in shown]
    for i, t in enumerate(shown):
        posts = (expand(t.values, outcome.config).get("strategy.posts")
                 if outcome.config is not None and "production" in t.values else None)
        for j, lv in enumerate(outcome.levers):
            v = t.values.get(lv.name)
            words[i][j] = _lever_word(lv, v)
            if lv.name == "production" and posts is not None:
                words[i][j] += f"\n{posts} post{'s' if posts != 1 else ''}"
            if v is None or lv.kind == "choice":
                continue
            if lv.kind == "bool":
                norm[i, j] = 1.0 if v else 0.0
            else:
                span = lv.high - lv.low
                norm[i, j] = (float(v) - lv.low) / span if span > 0 else 0.5
    return norm, words


def levers_chart(out: Path, outcome: Outcome) -> style.Chart:
    """The front's levers: a row per point (by rank), a column per lever, values written in.

    Numbers are shaded from their lever's lowest (white) to highest value (teal), yes/no as
    the ends; choices are written on grey. ``Chart.data`` holds the words shown.
    """
    norm, words = _lever_cells(outcome)
    rows, cols = norm.shape
    fig, ax = style.figure()
    shade = np.where(np.isnan(norm), 0.0, norm)
    ax.imshow(shade, cmap=LEVER_MAP, vmin=0, vmax=1, aspect="auto")
    # two-line cells (production and its posts) need the room of a row at the smaller sizes
    size = 16 if rows <= 6 and cols <= 8 else 13 if rows <= 9 else 11
    if rows > 9:
        words = [[w.replace("\n", ", ") for w in row] for row in words]
    for i in range(rows):
        for j in range(cols):
            if np.isnan(norm[i, j]):
                ax.add_patch(_cell_patch(j, i))
            dark = norm[i, j] > 0.6
            ax.text(j, i, words[i][j], ha="center", va="center", fontsize=size,
                    color="white" if dark else style.INK, fontweight="bold" if dark else None)
    heads = []
    for lv in outcome.levers:
        what = "choice" if lv.kind == "choice" else _range_text(lv)
        heads.append(lv.name.replace("_", "\n") + f"\n({what})")   # incentive_budget: 2 lines
    ax.set_xticks(range(cols), heads, fontsize=13)
    ax.set_yticks(range(rows), front_names(outcome)[:rows], fontsize=14)
    ax.xaxis.tick_top()
    ax.tick_params(length=0)
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_xticks(np.arange(cols + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(rows + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="white", lw=3)
    more = (f"; the first {rows} of {len(outcome.front)} shown" if len(outcome.front) > rows
            else "")
    chart = style.finish("levers", fig, _levers_title(outcome),
                         "The levers of each front point (best first along "
                         f"{_short(outcome.objectives[0])}): shaded from the lever's lowest "
                         f"value (white) to its highest (teal){more}", _footnote(outcome))
    chart.data = {"words": words, "rows": front_names(outcome)[:rows]}
    return style.save(chart, out, deck_directory=out / "deck_charts")


def _cell_patch(j: int, i: int) -> Rectangle:
    return Rectangle((j - 0.5, i - 0.5), 1, 1, facecolor="#ececec", edgecolor="white", lw=3)


def _agreed(lever: Lever, value: Any) -> str:
    """A lever's value shared by every front point, in words (``influencer seeding``)."""
    if lever.kind == "bool":
        if lever.name == "adapted":
            return "adapted content" if value else "generic content"
        if lever.name == "cta":
            return "a call to action" if value else "no call to action"
        return lever.name.replace("_", " ") if value else f"no {lever.name.replace('_', ' ')}"
    if lever.name == "seeding":
        return SEEDING_WORDS.get(str(value), str(value))
    if lever.kind == "choice":
        return f"{value} {lever.name}"
    return f"{lever.name.replace('_', ' ')} {_lever_word(lever, value)}"


def _levers_title(outcome: Outcome) -> str:
    """What the front's points agree on, and the number lever that moves most along the front.

    A lever "moves along the front" when its rank correlation with the front's order is 0.8 or
    more in size (three points or more).
    """
    front = outcome.front[:LEVER_ROWS]
    if len(front) == 1:
        return "The levers of the one best strategy"
    same, moving = [], []
    for lv in outcome.levers:
        values = [t.values.get(lv.name) for t in front]
        if len({str(v) for v in values}) == 1:
            same.append(_agreed(lv, values[0]))
        elif lv.kind in ("float", "int") and len(front) >= 3 and None not in values:
            rho = float(stats.spearmanr(range(len(values)), values).statistic)
            if math.isfinite(rho) and abs(rho) >= 0.8:
                moving.append((abs(rho), lv, values))
    parts = []
    if moving:
        _, lv, values = max(moving, key=lambda m: m[0])
        way = "rises" if values[-1] > values[0] else "falls"
        parts.append(f"from front_01 to {front_names(outcome)[len(front) - 1]}, {lv.name} "
                     f"{way} from {_lever_word(lv, values[0])} to {_lever_word(lv, values[-1])}")
    if same:
        parts.append(f"every point has {', '.join(same[:3])}")
    if not parts:
        return "The front's points differ on every lever, with no steady trend along it"
    text = "; ".join(parts)
    return text[:1].upper() + text[1:]


# ---- report -----------------------------------------------------------------------------


def _rerun(outcome: Outcome, out: Path, name: str) -> str:
    extra = " ".join(outcome.settings.get("overrides") or [])
    return (f"mindshare strategy={name} hydra.searchpath=[file://{out.resolve()}/conf]"
            + (f" {extra}" if extra else ""))


def headline(outcome: Outcome) -> str:
    """The report's first paragraph: trials, the front and its two ends, the named strategies."""
    objs, front, st = outcome.objectives, outcome.front, outcome.settings
    done = sum(t.state == "complete" for t in outcome.trials)
    text = (f"{len(outcome.trials)} trials searched {len(outcome.levers)} levers at a budget of "
            f"EUR {float(st['budget']):,.2f} ({done} complete). ")
    if not front:
        return text + "No trial completed with a value on every objective, so there is no front."
    names = front_names(outcome)
    ends = ", ".join(_phrase(o, front[0].mean(o.metric)) for o in objs)
    if len(front) == 1:
        text += (f"One of them is on the Pareto front, best on every objective: {names[0]} "
                 f"({outcome.words(front[0])}), {ends}.")
    else:
        other = ", ".join(_phrase(o, front[-1].mean(o.metric)) for o in objs)
        text += (f"{len(front)} are on the Pareto front. At one end, {names[0]} "
                 f"({outcome.words(front[0])}) has {ends}; at the other, {names[-1]} "
                 f"({outcome.words(front[-1])}) has {other}.")
    if outcome.named:
        places = [placement(outcome, s)["verdict"] for s in outcome.named]
        on = sum(p in ("on the front", "beyond the front") for p in places)
        behind, missing = places.count("behind the front"), places.count("not placed")
        if len(places) == 1:
            return text + f" The one shipped strategy run at the same budget is {places[0]}."
        text += (f" Of the {len(outcome.named)} shipped strategies run at the same budget, "
                 f"{on} {'is' if on == 1 else 'are'} on or beyond the front and {behind} "
                 "behind it" + (f"; {missing} could not be placed (see below)" if missing
                                else "") + ".")
    return text


def _objective_header(objs: Sequence[Objective]) -> list[str]:
    return [f"{_short(o)} (95% interval), {_way(o)}" for o in objs]


def front_rows(outcome: Outcome) -> list[list[str]]:
    """The front in words: rank, strategy name, levers described, each objective's interval."""
    return [[str(k), name, outcome.words(t),
             *(interval_text(o, *_interval(t.samples, o)) for o in outcome.objectives)]
            for k, (t, name) in enumerate(zip(outcome.front, front_names(outcome),
                                               strict=True), 1)]


def named_rows(outcome: Outcome) -> list[list[str]]:
    """The named strategies by shortfall: name, objectives' intervals, shortfall, verdict."""
    scaled = bool(outcome.front) and bool((front_scale(outcome.front,
                                                       outcome.objectives) > 0).all())
    rows = []
    for s in _by_shortfall(outcome.named):
        where = placement(outcome, s)
        short = (_pct(s.shortfall) if scaled and math.isfinite(s.shortfall)
                 and where["verdict"] == "behind the front" else "-")
        rows.append([display(s.name), *(interval_text(o, *_interval(s.samples, o))
                                        for o in outcome.objectives), short, where["verdict"]])
    return rows


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
            *("| " + " | ".join(r) + " |" for r in rows)]


def method_text(outcome: Outcome) -> list[str]:
    """The method in paragraphs: levers, objectives, sampler, replicates, intervals."""
    st = outcome.settings
    levers = "; ".join(f"**{lv.name}** ({_range_text(lv)}): {lv.doc}" for lv in outcome.levers)
    objs = "; ".join(f"{o.label} (`{o.metric}`, {_way(o)})" for o in outcome.objectives)
    r = int(st["replicates"])
    return [
        f"Levers searched, at a fixed budget of EUR {float(st['budget']):,.2f} with the rest of "
        f"the strategy from `{st.get('base_strategy')}`: {levers}.",
        f"Objectives: {objs}.",
        f"Sampler: {st['sampler']} (Optuna), {len(outcome.trials)} trials asked in rounds of "
        f"{st['batch']}, seed {st['seed']}; {int(st['n']):,} people over {st['steps']} days.",
        f"Common random numbers: every trial and every shipped strategy ran on the same "
        f"replicates 0..{r - 1} with the same seed ({st['seed']}), so they share the same "
        "worlds and the same draws wherever their levers do not change them, and they are "
        "compared paired. A trial's value is its mean over those replicates; the Pareto front "
        "is the set of complete trials that no other trial matches on every objective and "
        "beats on one.",
        f"Intervals: 95% t-intervals over the {r} replicates of each point. They measure the "
        "simulation's noise at that point only; they do not account for the search's own "
        "selection (the front's points were chosen because their means came out best, so "
        "their means lean optimistic), and the front's ranks are not tested against each "
        "other.",
        "Shortfall of a shipped strategy: the smallest improvement, in units of the front's "
        "span of each objective (its best minus its worst front value), that it needs on every "
        "objective at once to match some front point (the additive epsilon indicator); it is "
        "counted unscaled on an objective where every front point is equal."]


def report_markdown(outcome: Outcome, *, command: str, out: Path,
                    charts: Sequence[style.Chart] = ()) -> str:
    """The study's report in Markdown."""
    st = outcome.settings
    lines = [f"# Optimisation at EUR {float(st['budget']):,.2f} for {int(st['n']):,} people",
             "", headline(outcome), ""]
    if outcome.front:
        lines += ["## The Pareto front", "",
                  *_table(["rank", "strategy", "levers", *_objective_header(outcome.objectives)],
                          front_rows(outcome)),
                  "", "Every point's lever values: `front.csv`; every trial: `trials.parquet`.",
                  ""]
    if outcome.named:
        lines += ["## The shipped strategies against the front", "",
                  *_table(["strategy", *_objective_header(outcome.objectives),
                           "shortfall (share of the front's span)", "verdict"],
                          named_rows(outcome)), ""]
        lines += [f"- **{display(s.name)}**: {placement(outcome, s)['sentence']}."
                  for s in _by_shortfall(outcome.named)]
        lines.append("")
    if charts:
        lines += ["## Charts", ""]
        for c in charts:
            lines += [f"![{c.title}]({c.files['png'].name})", ""]
    lines += ["## Method", "", *(p + "\n" for p in method_text(outcome))]
    if outcome.front:
        lines += ["## Rerun a front point", "",
                  "The front's points are saved as strategies `front_01`, `front_02`, ... in "
                  "`conf/strategy/` of this directory. To rerun one with the study's settings:",
                  "", "```", _rerun(outcome, out, front_names(outcome)[0]), "```", ""]
    lines += ["## Command", "", "```", command, "```", ""]
    return "\n".join(lines)


# ---- deck -------------------------------------------------------------------------------


def _pages(rows: Sequence[Sequence[str]], widths: Sequence[float], size: int) -> list[list]:
    """Rows split into slides: at most :data:`SLIDE_ROWS` each, and no more than fit the slide.

    A cell's height is estimated from its characters per line (Arial: about 0.55 em a
    character) in its column's share of the 12.3-inch table, with the paragraph spacing and
    cell margins.
    """
    total = sum(widths)
    char_in = 0.55 * size / 72
    line_in = 1.2 * size / 72

    def height(row: Sequence[str]) -> float:
        lines = [math.ceil(max(len(cell), 1) / max((12.3 * w / total - 0.16) / char_in, 1))
                 for cell, w in zip(row, widths, strict=True)]
        return max(lines) * line_in + 6 / 72 + 0.1

    pages: list[list] = [[]]
    used = 0.5                                          # the header row
    for row in rows:
        h = height(row)
        if pages[-1] and (len(pages[-1]) >= SLIDE_ROWS or used + h > SLIDE_HEIGHT):
            pages.append([])
            used = 0.5
        pages[-1].append(list(row))
        used += h
    return pages if pages[0] else []


def write_deck(path: Path, outcome: Outcome, charts: Sequence[style.Chart], *,
               out: Path) -> Path:
    """The study's slides: title, charts, the front in words, the shipped strategies, method."""
    st = outcome.settings
    prs = dk.new_presentation()
    done = sum(t.state == "complete" for t in outcome.trials)
    dk.add_title_slide(prs, f"What to do with EUR {float(st['budget']):,.0f}", [
        f"{int(st['n']):,} people, {st['steps']} days; objectives: "
        + ", ".join(_short(o) for o in outcome.objectives),
        charts[0].title if charts else headline(outcome).split(". ")[-1],
        f"{done} of {len(outcome.trials)} strategies searched, {st['replicates']} replicates "
        f"each  |  mindshare"])
    for chart in charts:
        dk.add_chart_slide(prs, chart)
    header = ["#", "strategy", "levers", *(_short(o) for o in outcome.objectives)]
    widths = [0.4, 1.1, 5.6, *([2.0] * len(outcome.objectives))]
    pages = _pages(front_rows(outcome), widths, 12)
    for p, rows in enumerate(pages, 1):
        title = "The Pareto front, best first" + (f" ({p} of {len(pages)})"
                                                   if len(pages) > 1 else "")
        dk.add_table_slide(prs, title, header, rows, widths=widths, size=12)
    named = [[display(s.name), placement(outcome, s)["sentence"]]
             for s in _by_shortfall(outcome.named)]
    pages = _pages(named, [2.5, 9.8], 12)
    for p, rows in enumerate(pages, 1):
        title = "The shipped strategies against the front" + (
            f" ({p} of {len(pages)})" if len(pages) > 1 else "")
        dk.add_table_slide(prs, title, ["strategy", "where it stands"], rows,
                           widths=[2.5, 9.8], size=12)
    method = method_text(outcome)
    levers = "; ".join(f"{lv.name} ({_range_text(lv)})" for lv in outcome.levers)
    rerun = _rerun(outcome, out, "front_01") if outcome.front else "no front to rerun"
    dk.add_table_slide(prs, "Method", ["", ""],
                       [["Levers", f"{levers}; budget fixed at EUR {float(st['budget']):,.2f}"],
                        ["Objectives", method[1].removeprefix("Objectives: ")],
                        ["Search", method[2]], ["Paired runs", method[3]],
                        ["Intervals", method[4]], ["Rerun", rerun]],
                       widths=[1.6, 10.7], size=11)
    return dk.save_presentation(prs, path)
