"""Charts: pure functions from tidy tables to matplotlib axes; the model never imports this.

Importing it chooses no matplotlib backend: a notebook keeps its inline figures. The files a
run writes are drawn on :class:`matplotlib.figure.Figure` objects, which need none.

A single run's charts use :data:`sim.outputs.style.RUN_RC`; each channel (personal,
professional, owned, topic, graph) has the colour the reports give it
(:data:`sim.outputs.style.LAYER_COLOURS`).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from sim.outputs.files import atomic_write
from sim.outputs.style import DPI, EXTRA_COLOURS, LAYER_COLOURS, RUN_RC


def reach_lines(timeseries: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """What the reach chart plots: per channel, people reached and engaged by step.

    Args:
        timeseries: a run's time series (columns ``step``, ``layer``, ``reached``,
            ``engaged``: distinct people so far, README "Outputs").

    Returns:
        ``{channel: frame}`` in channel order, for the channels that reached anyone (an owned
        channel nobody joined is left out), each frame with columns ``step``, ``reached`` and
        ``engaged``; the last row of each equals the run's ``reached_<channel>`` and
        ``engaged_<channel>`` in ``summary.json``.
    """
    return {str(layer): df[["step", "reached", "engaged"]].reset_index(drop=True)
            for layer, df in timeseries.groupby("layer", observed=True, sort=False)
            if df["reached"].max() > 0}


def reach_title(name: str, lines: dict[str, pd.DataFrame]) -> str:
    """The chart's title, two lines built from the last values it plots."""
    parts = [f"{channel} {int(df['reached'].iloc[-1]):,} reached, "
             f"{int(df['engaged'].iloc[-1]):,} engaged" for channel, df in lines.items()]
    if not parts:
        return f"{name}: no one reached"
    return f"{name}: people reached (solid) and engaged (dashed)\n" + "; ".join(parts)


def plot_reach(timeseries: pd.DataFrame, *, ax: plt.Axes | None = None) -> plt.Axes:
    """People reached (solid) and engaged (dashed) per channel over time, cumulative.

    Reached: saw brand content on the channel or was seeded there; engaged: shared a brand
    post there (seed placements aside). Each person counts once per channel.

    Args:
        timeseries: a run's time series (see :func:`reach_lines`).
        ax: axes to draw on; a new 16:9 figure when omitted.
    """
    with plt.rc_context(RUN_RC):
        if ax is None:
            _, ax = plt.subplots()
        spare = iter(c for c in EXTRA_COLOURS if c not in LAYER_COLOURS.values())
        for channel, df in reach_lines(timeseries).items():
            colour = LAYER_COLOURS.get(channel) or next(spare)
            ax.plot(df["step"], df["reached"], lw=3, color=colour, label=f"{channel} reached")
            ax.plot(df["step"], df["engaged"], lw=2, ls="--", color=colour,
                    label=f"{channel} engaged")
        ax.set_xlabel("step (day)")
        ax.set_ylabel("people so far (once per channel)")
        ax.legend(frameon=False, ncols=2)
        ax.grid(alpha=0.3)
    return ax


def save_reach_chart(timeseries: pd.DataFrame, path: str | Path, *, name: str) -> Path:
    """Write the reach chart as a PNG at :data:`~sim.outputs.style.DPI` (200 dpi).

    Its title names the run (``name``) and the final numbers it plots. The PNG is written to
    a temporary file, then renamed to ``path``.
    """
    with plt.rc_context(RUN_RC):
        fig = Figure()
        ax = plot_reach(timeseries, ax=fig.subplots())
        ax.set_title(reach_title(name, reach_lines(timeseries)), loc="left", fontsize=18)
        fig.tight_layout()
        atomic_write(Path(path), lambda tmp: fig.savefig(tmp, dpi=DPI, format="png"))
    return Path(path)
