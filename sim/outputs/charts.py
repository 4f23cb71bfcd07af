"""Charts: pure functions from tidy tables to matplotlib axes; the model never imports this.

A single run's charts use :data:`sim.outputs.style.RUN_RC`; each channel (personal,
professional, owned, topic, graph) has the colour the reports give it
(:data:`sim.outputs.style.LAYER_COLOURS`).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from sim.outputs.files import atomic_write
from sim.outputs.style import DPI, EXTRA_COLOURS, LAYER_COLOURS, RUN_RC


def plot_reach(timeseries: pd.DataFrame, *, ax: plt.Axes | None = None) -> plt.Axes:
    """Cumulative reach (agents activated) per layer over time.

    Args:
        timeseries: a run's time series (columns ``step``, ``layer``, ``reach``).
        ax: axes to draw on; a new 16:9 figure when omitted.
    """
    with plt.rc_context(RUN_RC):
        if ax is None:
            _, ax = plt.subplots()
        spare = iter(c for c in EXTRA_COLOURS if c not in LAYER_COLOURS.values())
        for layer, df in timeseries.groupby("layer", observed=True):
            ax.plot(df["step"], df["reach"], lw=3, label=str(layer),
                    color=LAYER_COLOURS.get(str(layer)) or next(spare))
        ax.set_xlabel("step (day)")
        ax.set_ylabel("agents reached (cumulative)")
        ax.legend(frameon=False)
        ax.grid(alpha=0.3)
    return ax


def save_reach_chart(timeseries: pd.DataFrame, path: str | Path, *, title: str) -> Path:
    """Write the reach chart as a PNG at :data:`~sim.outputs.style.DPI` (200 dpi).

    The PNG is written to a temporary file, then renamed to ``path``.
    """
    with plt.rc_context(RUN_RC):
        ax = plot_reach(timeseries)
        ax.set_title(title, loc="left")
        fig = ax.figure
        fig.tight_layout()
        atomic_write(Path(path), lambda tmp: fig.savefig(tmp, dpi=DPI, format="png"))
        plt.close(fig)
    return Path(path)
