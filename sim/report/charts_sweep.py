"""Charts of swept parameters: the two-factor heatmap and the viral-threshold (phase) diagram.

The heatmap is drawn when a sweep varies exactly two factors (e.g. strategy x p, seeding x
split); the phase diagram when it varies the share probability ``p`` over at least three
values. Otherwise they return ``None`` and the report leaves them out.
"""

from __future__ import annotations

import numpy as np
from matplotlib.patches import Rectangle

from sim.report import takeaways
from sim.report.context import Context, band
from sim.report.design import DOSE, STRATEGY_KEYS, cell_label, short_key, value_text
from sim.report.outcomes import LAYERS, display
from sim.report.stats import LEVEL
from sim.report.style import INK, Chart, figure, finish, name_arms

#: Fewest p values that make a phase diagram.
MIN_DOSES = 3


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
    image = ax.imshow(values, aspect="auto", cmap="Blues", vmin=0,
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
            ax.add_patch(_outline(j, i))
    bar = fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
    bar.set_label(label)
    bar.outline.set_visible(False)
    title = takeaways.heatmap(best, short_key(cols_key))
    rows_word = "strategy" if rows_key in STRATEGY_KEYS else short_key(rows_key)
    subtitle = (f"{label[:1].upper() + label[1:]}, mean over replicates, by {rows_word} and "
                f"{short_key(cols_key)}; outlined: clearly the best of its column (paired, Holm)")
    return finish("heatmap", fig, title, subtitle, ctx.footnote)


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


def _outline(j: int, i: int) -> Rectangle:
    return Rectangle((j - 0.48, i - 0.48), 0.96, 0.96, fill=False, ec="#e69f00", lw=4)


def _num(value):
    try:
        return (0, float(value))
    except (TypeError, ValueError):
        return (1, str(value))


def takeoff(p: np.ndarray, reach: np.ndarray, *, share: float = 0.1, already: float = 0.2,
            rise: float = 0.2) -> float | None:
    """Take-off point of a reach curve: the ``p`` where campaigns stop fizzling.

    That is the ``p`` (linearly interpolated) at which reach has made ``share`` of its whole
    rise over the swept range. ``-inf`` when reach is already ``already`` of the layer at the
    smallest ``p`` (take-off below the range); ``None`` when reach rises by less than ``rise``
    of the layer over the range (no take-off in it).

    On an Erdos-Renyi graph of mean degree k, with a few seeds, this lands near the
    percolation threshold 1/k, where the steepest rise comes later.
    """
    ok = np.isfinite(reach)
    p, reach = p[ok], reach[ok]
    if len(p) < 2:
        return None
    if reach[0] >= already:
        return -np.inf
    if reach.max() - reach[0] < rise:
        return None
    level = reach[0] + share * (reach.max() - reach[0])
    k = int(np.argmax(reach >= level))
    return float(p[k - 1] + (level - reach[k - 1]) * (p[k] - p[k - 1]) / (reach[k] - reach[k - 1]))


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
    found: dict[str, dict[str, float | None]] = {}
    panel_ends = []
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
            at = takeoff(xs, mean)
            found.setdefault(layer, {})[arm] = at
            if at is not None and np.isfinite(at):
                ax.axvline(at, color=colour, lw=1.5, ls=":")
            ends.append((xs[-1], 100 * mean[-1], display(arm), colour))
        panel_ends.append(ends)
        ax.set_title(f"{layer.capitalize()} network" if layer != "graph" else "Graph",
                     color=INK)
        ax.set_xlabel("share probability p")
        ax.margins(x=0)
    top = max(np.nanmax(line.get_ydata()) for ax in axes for line in ax.get_lines()
              if line.get_marker() == "o")
    axes[0].set_ylim(0, min(100, 10 * np.ceil(1.15 * top / 10)))
    if 1 < len(ctx.order) <= 7:
        name_arms(axes, panel_ends)     # once the scale is set
    axes[0].set_ylabel("members engaged (%)")
    levels = [float(v) for v in d.levels[DOSE]]
    title = takeaways.threshold(found, min(levels), max(levels),
                                across_networks=d.arm == "network")
    subtitle = ("Share of each network's members engaged (shared a post there; seed "
                f"placements aside), by share probability p; mean with {LEVEL:.0%} bootstrap "
                "band; dotted: take-off (a tenth of the rise made)")
    return finish("viral_threshold", fig, title, subtitle, ctx.footnote)
