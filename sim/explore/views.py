"""The explorer's figures: the layers side by side, and the curves per layer.

Plain matplotlib :class:`~matplotlib.figure.Figure` objects (no pyplot, so figures drawn by
the page's threads never share a global state); the page shows them, a test reads their data.
Colours: each layer keeps its colour of every other chart (:mod:`sim.outputs.style`); agent
states go from grey (unaware) through blue (saw it), orange (shared), green (loyal) to red
(detractor).
"""

from __future__ import annotations

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.explore.session import STATES, Explorer
from sim.outputs.style import EXTRA_COLOURS, LAYER_COLOURS

#: Colour of each state of :data:`sim.explore.session.STATES`.
STATE_COLOURS = ("#c8c8c8", "#7fb2e5", "#f28e2b", "#2e9e5b", "#d62728")
#: Colour of the shares between sampled agents; those of the last step are thicker.
CASCADE = "#b35806"
#: Line styles of the first and the compared strategy.
ARM_STYLES = ("-", "--")


def _layer_colour(name: str, k: int) -> str:
    return LAYER_COLOURS.get(name, EXTRA_COLOURS[k % len(EXTRA_COLOURS)])


def network_figure(explorer: Explorer, arm: int = 0) -> Figure:
    """The sampled agents on each layer, coloured by state, with the shares among them.

    One panel per layer, the same person at the same place in every panel; grey lines are the
    layer's ties among the sample, brown arrows the shares that went along them (thick: the
    last step's).
    """
    sample = explorer.sample
    names = explorer.layer_names
    states = explorer.states(arm)
    cascades = explorer.cascade_edges(arm)
    # fixed margins: a constrained layout would cost more than the drawing itself
    fig = Figure(figsize=(6.0 * len(names), 5.6), dpi=80)
    axes = fig.subplots(1, len(names), squeeze=False,
                        gridspec_kw={"left": 0.01, "right": 0.99, "top": 0.86, "bottom": 0.1,
                                     "wspace": 0.04})[0]
    xy = sample.xy
    member = explorer.world.member[:, sample.agents]
    for k, (ax, name) in enumerate(zip(axes, names, strict=True)):
        ties = sample.edges[k]
        if len(ties):
            ax.add_collection(LineCollection(xy[ties], colors="#d9d9d9", linewidths=0.6,
                                             zorder=1))
        pairs, latest = cascades[k]
        for mask, width in ((~latest, 1.6), (latest, 3.2)):
            if mask.any():
                ax.add_collection(LineCollection(xy[pairs[mask]], colors=CASCADE,
                                                 linewidths=width, zorder=2))
        on = member[k]
        ax.scatter(xy[~on, 0], xy[~on, 1], s=10, c="white", edgecolors="#e0e0e0",
                   linewidths=0.5, zorder=3)
        colours = np.array(STATE_COLOURS)[states[on]]
        ax.scatter(xy[on, 0], xy[on, 1], s=34, c=colours, edgecolors="white",
                   linewidths=0.4, zorder=4)
        shares = int(len(pairs))
        ax.set_title(f"{name}: {int(on.sum())} of {sample.agents.size} sampled are members, "
                     f"{shares} share{'s' if shares != 1 else ''} among them", fontsize=12,
                     color=_layer_colour(name, k))
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.margins(0.04)
    handles = [Line2D([], [], marker="o", linestyle="", markersize=9, markerfacecolor=c,
                      markeredgecolor="white", label=s)
               for s, c in zip(STATES, STATE_COLOURS, strict=True)]
    handles.append(Line2D([], [], color=CASCADE, linewidth=2.5, label="share"))
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), frameon=False,
               fontsize=12)
    fig.suptitle(f"{explorer.arms[arm].strategy}, day {explorer.day}: "
                 f"{sample.agents.size} of {explorer.world.n:,} people", fontsize=14)
    return fig


#: The curves drawn, with their titles.
CURVES = (("reached", "People reached"), ("shares", "Shares per day"),
          ("loyal_pct", "Loyal members (%)"))


def curves_figure(explorer: Explorer) -> Figure:
    """Reach, shares per day and loyal members per layer, growing day by day.

    Colours are layers; a compared strategy is dashed.
    """
    fig = Figure(figsize=(15.0, 4.6), dpi=80)
    axes = fig.subplots(1, len(CURVES), gridspec_kw={"left": 0.05, "right": 0.99, "top": 0.9,
                                                     "bottom": 0.13, "wspace": 0.18})
    steps = explorer.config.steps
    for a, arm in enumerate(explorer.arms):
        series = explorer.series(a)
        for ax, (name, title) in zip(axes, CURVES, strict=True):
            data = series[name]
            days = np.arange(data.shape[0])
            for k, layer in enumerate(explorer.layer_names):
                ax.plot(days, data[:, k], ARM_STYLES[a % 2], color=_layer_colour(layer, k),
                        linewidth=2.2, label=f"{layer}, {arm.strategy}")
            ax.set_title(title, fontsize=13)
            ax.set_xlim(0, steps)
            ax.set_xlabel("day")
            ax.spines[["top", "right"]].set_visible(False)
    for ax in axes:
        ax.set_ylim(bottom=0)
    axes[0].legend(frameon=False, fontsize=10)
    return fig
