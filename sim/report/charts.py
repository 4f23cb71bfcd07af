"""Charts comparing arms (strategies): reach and loyalty over time, rankings, virality vs loyalty.

Each chart is a function of the report's :class:`~sim.report.context.Context` returning a
finished :class:`~sim.report.style.Chart`, or ``None`` when it does not apply to the sweep
(e.g. a ranking needs two arms), so that no chart is drawn empty.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter, MaxNLocator

from sim.report import stats, takeaways
from sim.report.context import Context, band
from sim.report.outcomes import LAYERS, OUTCOMES, display, fmt
from sim.report.stats import LEVEL
from sim.report.style import GREY, INK, Chart, figure, finish, name_arms, place_labels

#: Most arms drawn as separate lines with labels at their ends (more: a legend).
MAX_LABELLED = 7


def _layers(ctx: Context, column: str, *, positive: bool = True) -> list[str]:
    """Layers of the time series with data in ``column`` (non-zero when ``positive``)."""
    ts = ctx.timeseries
    present = ts.groupby("layer")[column].agg(lambda s: s.notna().any() and (
        not positive or (s.fillna(0) != 0).any()))
    return [layer for layer in LAYERS if present.get(layer, False)] + sorted(
        layer for layer, ok in present.items() if ok and layer not in LAYERS)


def _curves(ctx: Context, layer: str, column: str, arm: str, salt: int,
            scale: float = 1.0) -> tuple[pd.Index, np.ndarray, np.ndarray, np.ndarray]:
    ts = ctx.timeseries
    rows = ts[(ts["layer"] == layer) & (ts["arm"] == arm)]
    wide = rows.pivot_table(index=["cell", "seed", "replicate"], columns="step", values=column,
                            aggfunc="first", observed=True) * scale
    mean, low, high = band(wide, ctx.rng(salt), ctx.bootstrap)
    return wide.columns, mean, low, high


def _draw_lines(ctx: Context, axes, layers: list[str], column: str, scale: float,
                salt: int, *, zero: bool = True) -> tuple[dict[str, pd.DataFrame],
                                                          Callable[[], None]]:
    """One panel per layer, one line and band per arm.

    With ``zero`` the y axis includes 0 (it starts there for values that are never negative).

    Returns:
        The mean curves (scaled) by layer, and what names the arms' lines, to pass to
        :func:`~sim.report.style.finish` (names are placed once the layout is final).
    """
    means, panel_ends = {}, []
    for p, (ax, layer) in enumerate(zip(axes, layers, strict=True)):
        curves, ends = {}, []
        for k, arm in enumerate(ctx.order):
            steps, mean, low, high = _curves(ctx, layer, column, arm, salt + 101 * p + k, scale)
            if len(steps) == 0:         # an arm without this layer (network=personal)
                continue
            colour = ctx.colours[arm]
            ax.fill_between(steps, low, high, color=colour, alpha=0.18, lw=0)
            ax.plot(steps, mean, color=colour, label=display(arm))
            curves[arm] = pd.Series(mean, index=steps)
            ends.append((steps[-1], mean[-1], display(arm), colour))
        ax.set_title(f"{layer.capitalize()} network" if layer != "graph" else "Graph",
                     color=INK)
        ax.set_xlabel("day")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.margins(x=0)
        panel_ends.append(ends)
        means[layer] = pd.DataFrame(curves)
    if zero:
        _include_zero(axes)
    if len(ctx.order) > MAX_LABELLED:
        axes[-1].legend(loc="upper left", bbox_to_anchor=(1.02, 1.0))

    def names() -> None:
        if 1 < len(ctx.order) <= MAX_LABELLED:
            name_arms(axes, panel_ends)

    return means, names


def _include_zero(axes) -> None:
    """Make 0 part of every panel's y range: the axis starts at 0 unless values go below it.

    Panels that share their y axis are treated as one.
    """
    shared = len(axes) > 1 and axes[0].get_shared_y_axes().joined(axes[0], axes[-1])
    groups = [axes] if shared else [[ax] for ax in axes]
    for group in groups:
        values = [np.asarray(line.get_ydata(), dtype=float) for ax in group
                  for line in ax.get_lines() if len(line.get_ydata())]
        data_low = min((np.nanmin(v) for v in values if np.isfinite(v).any()), default=0.0)
        for ax in group:
            low, high = ax.get_ylim()
            ax.set_ylim(0 if data_low >= 0 else min(low, 0), max(high, 0))


def reach_over_time(ctx: Context) -> Chart | None:
    """People reached per layer over time, cumulative, one line per arm with its 95% band."""
    if ctx.timeseries.empty or "reached" not in ctx.timeseries:
        return None
    if len(ctx.order) < 2 and ctx.runs["cell"].nunique() > 1:
        return None
    column = "reached"
    layers = _layers(ctx, column)
    if not layers:
        return None
    fig, axes = figure(1, len(layers), squeeze=False)
    axes = list(axes[0])
    curves, names = _draw_lines(ctx, axes, layers, column, 1.0, salt=1)
    axes[0].set_ylabel("people reached")
    for ax in axes:
        ax.yaxis.set_major_formatter(_thousands)
    leads = {}
    for layer in layers:
        ld = ctx.lead(f"reached_{layer}")
        if ld is not None:
            leads[layer] = ld
    title = takeaways.over_time(leads, curves, ctx.horizon) if leads else "Reach over time"
    subtitle = ("People reached on each network so far (saw a post there or were seeded "
                f"there, each once); mean over replicates with {LEVEL:.0%} bootstrap band")
    return finish("reach_over_time", fig, title, subtitle + ctx.pooled, ctx.footnote,
                  labels=names)


def loyalty_over_time(ctx: Context) -> Chart | None:
    """Loyalty gained by each layer's members since the first day, one line per arm with its band.

    The panels plot the change of the members' mean loyalty since the first step, in points of
    100, on an axis that includes 0; the title states the gains at the last step that the
    panels end on (``Chart.data["gains"]``: per layer, per arm). A lead is claimed on a network
    only when the paired difference of the leader and the runner-up there is distinguishable
    (paired t-test over replicates, Holm over the networks).
    """
    if ctx.timeseries.empty or "mean_loyalty" not in ctx.timeseries:
        return None
    if len(ctx.order) < 2 and ctx.runs["cell"].nunique() > 1:
        return None
    layers = [x for x in _layers(ctx, "mean_loyalty") if x != "owned"]
    ld = ctx.lead("loyalty_gain")
    if not layers or ld is None:
        return None
    ts = ctx.timeseries.sort_values(["run", "layer", "step"])
    start = ts.groupby(["run", "layer"], observed=True)["mean_loyalty"].transform("first")
    gained = replace(ctx, timeseries=ts.assign(**{GAINED: ts["mean_loyalty"] - start}))
    fig, axes = figure(1, len(layers), squeeze=False, sharey=True)
    axes = list(axes[0])
    curves, names = _draw_lines(gained, axes, layers, GAINED, 100.0, salt=2)
    for ax in axes:
        ax.axhline(0, color=GREY, lw=1.2, zorder=1)
    axes[0].set_ylabel("loyalty gained (points of 100)")
    gains = {layer: {arm: float(c[arm].iloc[-1]) for arm in c.columns}
             for layer, c in curves.items() if len(c)}
    if ld.cells:    # the panels pool over the other factors: no leader is claimed from them
        title = takeaways.loyalty_within_cells(ld.cells, ctx.horizon)
    else:
        title = takeaways.members_loyalty(gains, _clear_at_end(gained, gains), ctx.horizon)
    subtitle = ("Change in the mean loyalty (0-100) of each network's members since the first "
                f"day; mean over replicates with {LEVEL:.0%} bootstrap band")
    chart = finish("loyalty_over_time", fig, title, subtitle + ctx.pooled, ctx.footnote,
                   labels=names)
    chart.data["gains"] = gains
    return chart


#: Column of the loyalty gained since the first step, added to the time series for the chart.
GAINED = "loyalty_gained"


def _clear_at_end(ctx: Context, gains: dict[str, dict[str, float]]) -> dict[str, bool]:
    """Per layer, whether its leader at the last step clearly gains more than the runner-up.

    Paired by (cell, seed, replicate); two-sided paired t-test, Holm-adjusted over the layers.
    """
    ts = ctx.timeseries
    last = ts[ts["step"] == ts["step"].max()]
    tested, p_values = [], []
    for layer, by_arm in gains.items():
        if len(by_arm) < 2:
            continue
        top, second = sorted(by_arm, key=by_arm.get, reverse=True)[:2]
        wide = last[last["layer"] == layer].pivot_table(
            index=["cell", "seed", "replicate"], columns="arm", values=GAINED,
            aggfunc="first", observed=True)
        if not {top, second} <= set(wide.columns):
            continue
        diff = (wide[top] - wide[second]).dropna().to_numpy()[:, None]
        tested.append(layer)
        p_values.append(float(stats.paired_t(diff)[1][0]))
    adjusted = stats.holm(np.array(p_values)) if p_values else []
    clear = dict.fromkeys(gains, False)
    clear.update({layer: bool(p < stats.ALPHA) for layer, p in zip(tested, adjusted,
                                                                    strict=True)})
    return clear


def ranking(ctx: Context, key: str) -> Chart | None:
    """Arms ranked on one outcome: mean with BCa interval, letters of indistinguishable groups."""
    ld = ctx.lead(key)
    if ld is None or len(ld.order) < 2:
        return None
    o = OUTCOMES[key]
    rows = ctx.arms[(ctx.arms["outcome"] == key) & (ctx.arms["cell"] == "all")]
    rows = rows.set_index("arm").loc[ld.order]
    scale = o.scale
    fig, ax = figure()
    y = np.arange(len(rows))[::-1]
    mean = rows["mean"].to_numpy() * scale
    low, high = rows["ci_low"].to_numpy() * scale, rows["ci_high"].to_numpy() * scale
    ok = np.isfinite(low) & np.isfinite(high)  # one replicate: no interval, none drawn
    low, high = np.fmin(low, mean), np.fmax(high, mean)
    ax.barh(y, mean, color=[ctx.colours[a] for a in rows.index],
            height=0.66 if len(rows) > 3 else 0.45)
    ax.errorbar(mean[ok], y[ok], xerr=[mean[ok] - low[ok], high[ok] - mean[ok]], fmt="none",
                ecolor=INK, elinewidth=2, capsize=6)
    ax.set_yticks(y, [display(a) for a in rows.index], fontsize=17, color=INK)
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="y", visible=False)
    ax.axvline(0, color=GREY, lw=1)
    span = max(np.nanmax(high), 0) - min(np.nanmin(low), 0) or 1.0
    for yi, m, lo, hi, mark in zip(y, mean, low, high, rows["letters"], strict=True):
        text = fmt(None, m) if scale == 1 else f"{m:.1f}"
        if m >= 0:
            ax.text(max(hi, m) + 0.012 * span, yi, text, va="center", ha="left", fontsize=16,
                    color=INK)
        else:
            ax.text(min(lo, m) - 0.012 * span, yi, text, va="center", ha="right", fontsize=16,
                    color=INK)
        ax.text(1.0, yi, mark, transform=ax.get_yaxis_transform(), va="center", ha="left",
                fontsize=16, color=GREY, fontweight="bold")
    ax.set_xlim(right=max(np.nanmax(high), 0) + 0.16 * span)
    if np.nanmin(low) < 0:
        ax.set_xlim(left=np.nanmin(low) - 0.12 * span)
    ax.set_xlabel(o.label)
    ax.xaxis.set_major_formatter(_thousands)
    title = takeaways.ranking(ld)
    direction = "lower is better" if o.better == "lower" else "best at the top"
    ci = f"with {LEVEL:.0%} BCa bootstrap CI" if ok.any() else "(one replicate: no CI)"
    subtitle = (f"Mean over replicates {ci}, {direction}; "
                "strategies sharing a letter are not distinguishable (paired, Holm)")
    return finish(f"ranking_{key}", fig, title, subtitle + ctx.pooled, ctx.footnote)


def pareto(means: pd.DataFrame, x: str, y: str, *, x_better: str | None = "higher",
           y_better: str | None = "higher") -> list[str]:
    """Arms that no other arm beats on both ``x`` and ``y`` (the Pareto frontier), by ``x``.

    An arm is beaten when another is at least as good on both outcomes and better on one,
    each in its better direction (``"lower"`` for an outcome where less is better). The
    frontier is ordered by ``x`` ascending, so a line through it runs left to right.
    """
    sign = np.array([-1.0 if x_better == "lower" else 1.0, -1.0 if y_better == "lower" else 1.0])
    pts = means[[x, y]].to_numpy(dtype=float) * sign
    dominated = ((pts[None, :, 0] >= pts[:, None, 0]) & (pts[None, :, 1] >= pts[:, None, 1])
                 & ((pts[None, :, 0] > pts[:, None, 0]) | (pts[None, :, 1] > pts[:, None, 1])))
    keep = ~dominated.any(axis=1)
    raw = means[x].to_numpy(dtype=float)[keep]
    return means.index[keep][np.argsort(raw, kind="stable")].tolist()


def virality_vs_loyalty(ctx: Context, x: str = "reached", y: str = "loyalty_gain") -> Chart | None:
    """Each arm's mean reach against its mean loyalty gained, with CIs and the Pareto frontier.

    Every run is drawn faint behind the means. The frontier (arms no other beats on both
    outcomes) is a dashed line when it has two arms or more; the subtitle says "dashed" only
    then. ``Chart.data["frontier"]`` lists its arms with their means.
    """
    if len(ctx.order) < 2 or not {x, y} <= set(ctx.outcomes):
        return None
    ox, oy = OUTCOMES[x], OUTCOMES[y]
    table = ctx.arms[ctx.arms["cell"] == "all"].set_index(["outcome", "arm"])
    means = pd.DataFrame({k: table.loc[k, "mean"] for k in (x, y)}).loc[ctx.order]
    front = pareto(means, x, y, x_better=ox.better, y_better=oy.better)
    fig, ax = figure()
    labels, bars = [], []
    for arm in ctx.order:
        runs = ctx.runs[ctx.runs["arm"] == arm]
        ax.scatter(runs[x], runs[y] * oy.scale, s=40, color=ctx.colours[arm], alpha=0.22, lw=0)
    fx = means.loc[front, x].to_numpy(dtype=float)
    fy = means.loc[front, y].to_numpy(dtype=float) * oy.scale
    if len(front) > 1:
        ax.plot(fx, fy, color=GREY, lw=2, ls="--", zorder=2, label="Pareto frontier",
                gid="pareto_frontier")
    for arm in ctx.order:
        mx, my = means.loc[arm, x], means.loc[arm, y] * oy.scale
        ex = table.loc[(x, arm), ["ci_low", "ci_high"]].to_numpy(dtype=float)
        ey = table.loc[(y, arm), ["ci_low", "ci_high"]].to_numpy(dtype=float) * oy.scale
        on = arm in front
        ax.errorbar([mx], [my], xerr=[[mx - ex[0]], [ex[1] - mx]],
                    yerr=[[my - ey[0]], [ey[1] - my]], fmt="o", ms=16 if on else 12,
                    color=ctx.colours[arm], mec="white" if on else ctx.colours[arm], mew=2,
                    elinewidth=2.5, capsize=5, zorder=4)
        labels.append((mx, my, display(arm), ctx.colours[arm], on))
        bars += [(ex[0], my, ex[1], my), (mx, ey[0], mx, ey[1])]
    ax.set_xlabel(ox.label)
    ax.set_ylabel(oy.label)
    ax.xaxis.set_major_formatter(_thousands)
    ax.margins(x=0.08, y=0.1)
    title = takeaways.tradeoff(front, ctx.lead(x), ctx.lead(y))
    if len(front) > 1:
        frontier = ("dashed: the Pareto frontier, the strategies no other beats on both "
                    "(large markers)")
    else:
        frontier = (f"{display(front[0])} has the best mean on both, so the Pareto frontier "
                    "is that one strategy (large marker)")
    subtitle = (f"Each dot a run; markers: means with {LEVEL:.0%} BCa bootstrap CIs; "
                f"{frontier}")
    labels.sort(key=lambda item: (item[4] is False, -item[0]))  # the frontier first
    chart = finish("virality_vs_loyalty", fig, title, subtitle + ctx.pooled, ctx.footnote,
                   labels=lambda: place_labels(ax, labels, obstacles=bars))
    chart.data["frontier"] = [(arm, float(means.loc[arm, x]), float(means.loc[arm, y]))
                              for arm in front]
    return chart


def _thousands_fn(value: float, _pos: int) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:g}"


_thousands = FuncFormatter(_thousands_fn)
