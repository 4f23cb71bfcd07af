"""The report's cascade slide: one post's diffusion tree from a typical run of the leading arm.

The run drawn is the one whose number engaged is the median of the leading arm's replicates
(a typical run, not the luckiest); the tree is that run's largest diffusion tree (one seed
placement and everyone who got the post through it, from ``activations.parquet``). The
drawing is :func:`sim.outputs.cascade.plot_cascade`, the same as a single run's
``cascade.png``: time left to right (day of activation), people coloured by the network they
shared on, cross-posts dashed, trees larger than :data:`MAX_NODES` cut to their first
generations (the subtitle then says "first K of M people shown").
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.outputs.cascade import NoCascade, pick_tree, plot_cascade, read_activations
from sim.report import takeaways
from sim.report.context import Context
from sim.report.outcomes import display
from sim.report.style import Chart, figure, finish

#: Most people drawn.
MAX_NODES = 150


def pick_run(ctx: Context) -> pd.Series | None:
    """The leading arm's run with the median number engaged (ties: the lowest replicate)."""
    if not ctx.order or "engaged" not in ctx.runs:
        return None
    runs = ctx.runs[ctx.runs["arm"] == ctx.order[0]].sort_values(["replicate", "run"])
    if runs.empty:
        return None
    gap = (runs["engaged"] - runs["engaged"].median()).abs()
    return runs.loc[gap.idxmin()]


def cascade(ctx: Context) -> Chart | None:
    """Draw the largest cascade of a typical run of the leading arm (None: nothing to draw)."""
    run = pick_run(ctx)
    if run is None:
        return None
    try:
        tree = pick_tree(read_activations(Path(ctx.root) / str(run["run"])))
    except (FileNotFoundError, NoCascade):
        return None
    if tree.size < 3:
        return None
    fig, ax = figure()
    drawing = plot_cascade(tree, ax=ax, max_people=MAX_NODES)
    counts = tree.layer_counts()
    shares = {name: n / tree.size for name, n in counts.items()}
    title = takeaways.cascade(tree.size, tree.generations, tree.days, shares)
    note = drawing.cut_note()
    subtitle = (f"Largest diffusion tree of a typical {display(str(run['arm']))} run "
                f"(replicate {int(run['replicate'])}, median engaged): post {tree.post}"
                + (f"; {note}" if note else ""))
    chart = finish("cascade", fig, title, subtitle, ctx.footnote)
    chart.data.update(people=tree.size, shown=drawing.shown, post=tree.post,
                      generations=tree.generations, days=tree.days,
                      cross_posts=drawing.cross_posts)
    return chart
