"""An optimisation's charts: the front against every trial, and the levers of its points.

The front chart also places the named strategies run at the same budget.

Each returns a :class:`sim.report.style.Chart` whose ``data`` holds what was plotted (the
front's coordinates, the words in the levers' cells), written at 200 dpi with an SVG copy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter
from scipy import stats

from sim.report import style
from sim.report.outcomes import display
from sim.studies.optimise import (
    SEEDING_WORDS,
    Lever,
    Objective,
    Outcome,
    expand,
)
from sim.studies.optimise_text import (
    better_way,
    display_scale,
    front_names,
    lever_word,
    objective_interval,
    phrase,
    range_text,
    short_name,
    value_text,
)

#: "bursty" uses; the named strategies keep their own colours.
FRONT_COLOUR, TRIAL_COLOUR = "#7b2d26", "#c8c8c8"
#: The levers' heat map: white (the lever's lowest value) to teal (its highest).
LEVER_MAP = LinearSegmentedColormap.from_list("lever", ["#ffffff", "#0e8c9a"])
#: The third objective's colours: viridis without its pale yellow end, which error bars on a
#: white ground would not show.
THIRD_MAP = LinearSegmentedColormap.from_list(
    "third", [matplotlib.colormaps["viridis"](v) for v in np.linspace(0.0, 0.8, 9)])
#: Most rows per table slide, the inches a table may fill (from 1.4 in to the slide's foot),
#: The front points drawn in the levers' chart.
LEVER_ROWS = 15


def _footnote(outcome: Outcome) -> str:
    st = outcome.settings
    done = sum(t.state == "complete" for t in outcome.trials)
    return (f"{done} of {len(outcome.trials)} trials complete, {st['replicates']} paired "
            f"replicates each (seed {st['seed']}), {st['sampler']} sampler; {int(st['n']):,} "
            f"people, {st['steps']} days, EUR {float(st['budget']):,.0f}; overrides in report.md")


def _axis_label(o: Objective) -> str:
    """The objective's label and better direction, on two lines when long."""
    text = f"{o.label}, {better_way(o)}"
    return text if len(text) <= 40 else f"{o.label},\n{better_way(o)}"


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
    sx, sy = display_scale(ox), display_scale(oy)
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
        z = np.array([t.mean(objs[2].metric) * display_scale(objs[2]) for t in outcome.front])
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
        (mx, lx, hx) = objective_interval(t.samples, ox)
        (my, ly, hy) = objective_interval(t.samples, oy)
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
    colour = (f", coloured by {short_name(objs[2])} (scale right)" if len(objs) == 3 else "")
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
                + ", ".join(phrase(o, a.mean(o.metric)) for o in objs))
    second = objs[1]
    b = max(front, key=lambda t: t.mean(second.metric) * (1 if second.maximise else -1))
    x, y = objs[0], objs[1]
    return (f"{len(front)} best trade-offs at {budget}: from {phrase(x, a.mean(x.metric))} and "
            f"{phrase(y, a.mean(y.metric))} to {value_text(x, b.mean(x.metric))} and "
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
            words[i][j] = lever_word(lv, v)
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
        what = "choice" if lv.kind == "choice" else range_text(lv)
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
                         f"{short_name(outcome.objectives[0])}): shaded from the lever's lowest "
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
    return f"{lever.name.replace('_', ' ')} {lever_word(lever, value)}"


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
                     f"{way} from {lever_word(lv, values[0])} to {lever_word(lv, values[-1])}")
    if same:
        parts.append(f"every point has {', '.join(same[:3])}")
    if not parts:
        return "The front's points differ on every lever, with no steady trend along it"
    text = "; ".join(parts)
    return text[:1].upper() + text[1:]


