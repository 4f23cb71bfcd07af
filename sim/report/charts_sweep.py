"""Charts of swept parameters: the two-factor heatmap and the viral-threshold (phase) diagram.

The heatmap is drawn when a sweep varies exactly two factors (e.g. strategy x p, seeding x
split); the phase diagram when it varies the share probability ``p`` over at least three
values. Otherwise they return ``None`` and the report leaves them out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.patches import Rectangle

from sim.report import takeaways
from sim.report.context import Context, band
from sim.report.design import DOSE, STRATEGY_KEYS, cell_label, short_key, value_text
from sim.report.outcomes import LAYERS, display
from sim.report.stats import LEVEL
from sim.report.style import INK, Chart, figure, finish, name_arms

#: Fewest p values that make a phase diagram.
MIN_DOSES = 3
#: Colour scale of the heatmap: greys, since every hue means a network or an arm elsewhere.
SHADES = LinearSegmentedColormap.from_list("shades", ["#f7f7f7", "#3a3a3a"])


@dataclass(frozen=True)
class Takeoff:
    """Where a reach curve takes off over the swept share probabilities (:func:`takeoff`).

    Attributes:
        kind: ``"between"`` (between the swept ``p`` values ``low`` and ``high``), ``"by"``
            (at ``high`` or below: the band leaves it open below), ``"below"`` (below the
            smallest ``p``, ``low``) or ``"beyond"`` (no take-off within the range swept,
            ``low`` to ``high``).
        low: the take-off's lower bound, a swept ``p``.
        high: its upper bound, a swept ``p``.
        start: mean share reached at the smallest ``p``.
        end: mean share reached at the largest ``p``.
        level: the share reached that marks the take-off (NaN unless ``between`` or ``by``).
    """

    kind: str
    low: float
    high: float
    start: float
    end: float
    level: float = float("nan")

    @property
    def span(self) -> tuple[float, float]:
        """The take-off's interval of ``p`` (open below for ``by`` and ``below``)."""
        if self.kind in ("below", "by"):
            return (-np.inf, self.high)
        if self.kind == "beyond":
            return (self.high, np.inf)
        return (self.low, self.high)


def _primary(ctx: Context) -> tuple[str, str, float]:
    """The heatmap's outcome: share of people reached when known, else people reached."""
    if "reached_fraction" in ctx.runs and ctx.runs["reached_fraction"].notna().any():
        return "reached_fraction", "people reached (% of N)", 100.0
    return "reached", "people reached", 1.0


def heatmap(ctx: Context) -> Chart | None:
    """Mean of the primary outcome for every combination of the sweep's two factors.

    The best row of each column is outlined when it is distinguishable from the runner-up.
    """
    d = ctx.design
    if len(d.factors) != 2:
        if len(d.factors) > 2:
            ctx.notes.append(f"No heatmap: it needs exactly two swept factors; this sweep "
                             f"varies {len(d.factors)} ({', '.join(d.factors)}).")
        return None
    rows_key, cols_key = d.factors
    key, label, scale = _primary(ctx)
    runs = ctx.runs
    col_values = d.values.loc[runs.index, cols_key]
    table = (runs.assign(_col=col_values).groupby(["arm", "_col"], observed=True)[key].mean()
             .unstack("_col") * scale)
    row_order = [a for a in ctx.order if a in table.index]
    table = table.loc[row_order, sorted(table.columns, key=_num)]
    values = table.to_numpy(dtype=float)
    fig, ax = figure()
    image = ax.imshow(values, aspect="auto", cmap=SHADES, vmin=0,
                      vmax=np.nanmax(values) if np.isfinite(np.nanmax(values)) else 1)
    ax.grid(False)
    ax.set_xticks(range(len(table.columns)), [value_text(c) for c in table.columns])
    ax.set_yticks(range(len(row_order)), [display(a) for a in row_order], fontsize=16,
                  color=INK)
    ax.tick_params(length=0)
    ax.set_xlabel(short_key(cols_key))
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    top = np.nanmax(values) if np.isfinite(np.nanmax(values)) else 1
    cells = len(table.columns) * len(row_order)
    size = 16 if cells <= 40 else 12 if cells <= 90 else 0
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            if size and np.isfinite(values[i, j]):
                ax.text(j, i, f"{values[i, j]:.0f}" if values[i, j] >= 10 else
                        f"{values[i, j]:.1f}", ha="center", va="center", fontsize=size,
                        color="white" if values[i, j] > 0.6 * top else INK)
    best = []
    for j, col in enumerate(table.columns):
        if np.isfinite(values[:, j]).sum() < 2:  # one strategy ran here: nothing compared
            continue
        i = int(np.nanargmax(values[:, j]))
        clear = _clear_in_cell(ctx, cols_key, col, row_order[i])
        best.append((value_text(col), row_order[i], clear))
        if clear:
            for patch in _outline(j, i):
                ax.add_patch(patch)
    bar = fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
    bar.set_label(label)
    bar.outline.set_visible(False)
    title = takeaways.heatmap(best, short_key(cols_key))
    rows_word = "strategy" if rows_key in STRATEGY_KEYS else short_key(rows_key)
    outlined = sum(clear for *_, clear in best)
    marks = ("outlined: clearly the best of its column" if outlined else
             "no cell is clearly the best of its column")
    subtitle = (f"{label[:1].upper() + label[1:]}, mean over replicates, by {rows_word} and "
                f"{short_key(cols_key)}; {marks} (paired, Holm)")
    chart = finish("heatmap", fig, title, subtitle, ctx.footnote)
    chart.data["best"] = best
    return chart


def _clear_in_cell(ctx: Context, cols_key: str, value, arm: str) -> bool:
    """Whether ``arm`` is clearly best on reach in the cell where the column factor is ``value``.

    Clearly: distinguishable from every other arm. Known only when the column factor alone
    makes the cells; the share reached ranks as reach does, N being the same.
    """
    if ctx.cell_arms.empty or ctx.design.cells != [cols_key]:
        return False
    cell = cell_label([cols_key], (value,))
    rows = ctx.cell_arms[(ctx.cell_arms["cell"] == cell) & (ctx.cell_arms["outcome"] == "reached")]
    return bool(len(rows) > 1 and rows["tied_best"].sum() == 1
                and rows.loc[rows["tied_best"], "arm"].iloc[0] == arm)


def _outline(j: int, i: int) -> list[Rectangle]:
    """The outline of the best cell: black inside white, in no arm's or network's colour."""
    return [Rectangle((j - 0.46, i - 0.46), 0.92, 0.92, fill=False, ec="white", lw=7,
                      gid="best"),
            Rectangle((j - 0.46, i - 0.46), 0.92, 0.92, fill=False, ec=INK, lw=3.5, gid="best")]


def _num(value):
    try:
        return (0, float(value))
    except (TypeError, ValueError):
        return (1, str(value))


def takeoff(p: np.ndarray, reach: np.ndarray, low: np.ndarray | None = None,
            high: np.ndarray | None = None, *, share: float = 0.1, already: float = 0.2,
            rise: float = 0.2) -> Takeoff:
    """Where a reach curve takes off, placed between swept values of ``p`` by its band.

    The criterion: reach crosses ``share`` of its whole rise over the swept range (its start
    plus a tenth of the rise). The take-off lies between the last swept ``p`` where the band's
    upper end is still below that level and the first where the band's lower end is above it
    (without a band, the mean stands for both ends). With few levels or wide bands the
    interval spans several levels: the data place it no closer.

    Reach at or above ``already`` of the layer at the smallest ``p`` is a take-off below the
    range; a rise of less than ``rise`` of the layer over the range is no take-off in it.

    On an Erdos-Renyi graph of mean degree k, with a few seeds, the criterion lands near the
    percolation threshold 1/k, where the steepest rise comes later.

    Args:
        p: swept values, ascending.
        reach: mean share of the layer's members reached at each.
        low: lower end of the band at each (NaN: unknown, the mean is used).
        high: upper end of the band at each.
        share: the criterion, as a share of the rise.
        already: share reached at the smallest ``p`` that means a take-off below the range.
        rise: least rise over the range that shows a take-off.
    """
    p, reach = np.asarray(p, dtype=float), np.asarray(reach, dtype=float)
    low = reach if low is None else np.where(np.isfinite(low), low, reach)
    high = reach if high is None else np.where(np.isfinite(high), high, reach)
    ok = np.isfinite(reach)
    p, reach, low, high = p[ok], reach[ok], low[ok], high[ok]
    if len(p) < 2:
        nan = float("nan")
        return Takeoff("beyond", nan, nan, nan, nan)
    start, end, top = float(reach[0]), float(reach[-1]), float(reach.max())
    if start >= already:
        return Takeoff("below", float(p[0]), float(p[0]), start, end)
    if top - start < rise:
        return Takeoff("beyond", float(p[0]), float(p[-1]), start, end)
    level = start + share * (top - start)
    above = np.flatnonzero(low >= level)
    b = int(above[0]) if len(above) else int(np.flatnonzero(reach >= level)[0])
    below = np.flatnonzero(high[:b] < level)
    if not len(below):
        return Takeoff("by", float(p[0]), float(p[b]), start, end, level)
    return Takeoff("between", float(p[below[-1]]), float(p[b]), start, end, level)


def viral_threshold(ctx: Context) -> Chart | None:
    """Share of each layer's members engaged (who shared) against the share probability ``p``.

    The share is ``engaged_<layer> / members_<layer>``: each person once, whatever the number
    of posts. One panel per layer, one line per arm with its band, the take-off point marked.
    """
    d = ctx.design
    if DOSE not in d.factors or len(d.levels.get(DOSE, [])) < MIN_DOSES:
        return None
    runs = ctx.runs
    layers = [x for x in LAYERS if x != "owned" and f"engaged_{x}" in runs
              and runs[f"engaged_{x}"].fillna(0).gt(0).any()]
    if not layers:
        return None
    others = [f for f in d.cells if f != DOSE]
    frame = runs.assign(_p=d.values.loc[runs.index, DOSE].astype(float),
                        _others=[cell_label(others, vs) for vs in
                                 zip(*(d.values.loc[runs.index, f] for f in others),
                                     strict=True)]
                        if others else "all")
    fig, axes = figure(1, len(layers), squeeze=False, sharey=True)
    axes = list(axes[0])
    found: dict[str, dict[str, Takeoff]] = {}
    panel_ends, marked = [], False
    for p_i, (ax, layer) in enumerate(zip(axes, layers, strict=True)):
        members = frame.get(f"members_{layer}", frame["n_agents"]).astype(float)
        share = frame[f"engaged_{layer}"].astype(float) / members.where(members > 0)
        layer_frame = frame.assign(_share=share)
        ends = []
        for k, arm in enumerate(ctx.order):
            rows = layer_frame[(layer_frame["arm"] == arm) & layer_frame["_share"].notna()]
            if rows.empty:
                continue
            wide = rows.pivot_table(index=["_others", "seed", "replicate"], columns="_p",
                                    values="_share", aggfunc="first")
            mean, low, high = band(wide, ctx.rng(7000 + 31 * p_i + k), ctx.bootstrap)
            xs = wide.columns.to_numpy(dtype=float)
            colour = ctx.colours[arm]
            ax.fill_between(xs, 100 * low, 100 * high, color=colour, alpha=0.18, lw=0)
            ax.plot(xs, 100 * mean, color=colour, marker="o", ms=7, label=display(arm))
            at = takeoff(xs, mean, low, high)
            found.setdefault(layer, {})[arm] = at
            if at.kind in ("between", "by"):        # a bar at the foot of the panel
                ax.plot([at.low, at.high], [0.025 + 0.03 * k] * 2, color=colour, lw=7,
                        solid_capstyle="butt", transform=ax.get_xaxis_transform(),
                        zorder=3, gid="takeoff")
                marked = True
            ends.append((xs[-1], 100 * mean[-1], display(arm), colour))
        panel_ends.append(ends)
        ax.set_title(f"{layer.capitalize()} network" if layer != "graph" else "Graph",
                     color=INK)
        ax.set_xlabel("share probability p")
        ax.margins(x=0)
    top = max(np.nanmax(line.get_ydata()) for ax in axes for line in ax.get_lines()
              if line.get_gid() != "takeoff")
    axes[0].set_ylim(0, min(100, 10 * np.ceil(1.15 * top / 10)))
    levels = [float(v) for v in d.levels[DOSE]]
    title = takeaways.threshold(found, min(levels), max(levels),
                                across_networks=d.arm == "network")
    banded = ctx.runs.groupby(["arm", "cell"]).size().min() > 1
    bands = f"mean with {LEVEL:.0%} bootstrap band" if banded else "one replicate, so no band"
    placed = "the bands place it" if banded else "the mean crosses it"
    subtitle = ("Share of each network's members engaged (shared a post there; seed placements "
                f"aside), by share probability p; {bands}; take-off: the share crosses a tenth of "
                "its rise over the range" + (f"; bars at the foot: between which p values {placed}"
                                         if marked else ""))

    def names() -> None:
        if 1 < len(ctx.order) <= 7:
            name_arms(axes, panel_ends)

    chart = finish("viral_threshold", fig, title, subtitle, ctx.footnote, labels=names)
    chart.data["takeoff"] = found
    return chart
