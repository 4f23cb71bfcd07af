"""A small drawing of one cascade across the layers: who passed one post to whom, and where.

The run drawn is the one whose number engaged is the median of the leading arm's replicates
(a typical run, not the luckiest); the tree is the largest diffusion tree of that run (one seed
placement and everyone who got the post through it, from ``activations.parquet``). Trees
larger than :data:`MAX_NODES` are cut to their first generations (every person kept has
their parent kept). Time runs left to right (day of activation); people are coloured by the
layer they shared on, and a dashed edge is a cross-post from one layer to another.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection

from sim.outputs.metrics import forest, node_depth
from sim.report import takeaways
from sim.report.context import Context
from sim.report.outcomes import display
from sim.report.style import GREY, INK, LAYER_COLOURS, Chart, figure, finish

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


def largest_tree(acts: pd.DataFrame, n_agents: int) -> pd.DataFrame:
    """The largest diffusion tree of a run's activations, in breadth-first order.

    The tree has ``node``, ``up`` (the parent's node, -1 for the seed) and ``depth`` columns.
    """
    agent = acts["agent"].to_numpy(np.int64)
    post = acts["post"].to_numpy(np.int64)
    parent = acts["parent"].to_numpy(np.int64)
    parent_row, root = forest(agent, post, parent, n_agents)
    rows = np.flatnonzero(root == int(np.argmax(np.bincount(root))))
    local = np.full(agent.size, -1, dtype=np.int64)
    local[rows] = np.arange(rows.size)
    up = np.where(parent_row[rows] >= 0, local[parent_row[rows]], -1)
    tree = acts.iloc[rows].reset_index(drop=True).assign(up=up, depth=node_depth(up))
    order = np.lexsort((tree["step"].to_numpy(), tree["depth"].to_numpy()))
    new = np.empty_like(order)
    new[order] = np.arange(order.size)
    tree = tree.iloc[order].reset_index(drop=True)
    tree["up"] = np.where(tree["up"] >= 0, new[np.maximum(tree["up"].to_numpy(), 0)], -1)
    tree["node"] = np.arange(len(tree))
    return tree


def layout(up: np.ndarray) -> np.ndarray:
    """Vertical positions of a tree's nodes (``up[0] == -1``, parents before children).

    Leaves are evenly spaced in depth-first order, a parent at the middle of its children.
    """
    n = up.size
    children: list[list[int]] = [[] for _ in range(n)]
    for child in range(1, n):
        children[up[child]].append(child)
    y = np.zeros(n)
    order, stack = [], [0]
    while stack:  # depth-first, children in order
        node = stack.pop()
        order.append(node)
        stack.extend(reversed(children[node]))
    leaf = 0
    for node in order:
        if not children[node]:
            y[node] = leaf
            leaf += 1
    for node in reversed(order):
        if children[node]:
            y[node] = (y[children[node][0]] + y[children[node][-1]]) / 2
    return y


def cascade(ctx: Context) -> Chart | None:
    """Draw one post's largest cascade of a typical run of the leading arm."""
    run = pick_run(ctx)
    if run is None:
        return None
    path = Path(ctx.root) / str(run["run"]) / "activations.parquet"
    if not path.is_file():
        return None
    acts = pd.read_parquet(path, columns=["agent", "post", "parent", "layer", "step"])
    if acts.empty:
        return None
    acts["layer"] = acts["layer"].astype(str)
    full = largest_tree(acts, int(run["n_agents"]))
    if len(full) < 3:
        return None
    tree = full.iloc[:MAX_NODES]
    up = tree["up"].to_numpy()
    x = (tree["step"] - tree["step"].iloc[0]).to_numpy(dtype=float)
    y = layout(up)
    layer = tree["layer"].to_numpy()
    fig, ax = figure()
    child = np.arange(1, len(tree))
    parent = up[child]
    cross = layer[child] != layer[parent]
    for dashed in (False, True):
        pick = child[cross == dashed]
        if pick.size == 0:
            continue
        segs = np.stack([np.column_stack([x[up[pick]], y[up[pick]]]),
                         np.column_stack([x[pick], y[pick]])], axis=1)
        colours = [LAYER_COLOURS.get(v, GREY) for v in layer[pick]]
        ax.add_collection(LineCollection(segs, colors=colours, linewidths=1.6 if dashed else 1.2,
                                         linestyles="--" if dashed else "-",
                                         alpha=0.9 if dashed else 0.55, zorder=1))
    counts = full["layer"].value_counts()
    for name in counts.index:
        mask = layer == name
        ax.scatter(x[mask], y[mask], s=70, color=LAYER_COLOURS.get(name, GREY), zorder=3,
                   edgecolor="white", linewidth=0.6,
                   label=f"{name} ({counts[name]:,})")
    ax.scatter([x[0]], [y[0]], s=420, marker="*", color=INK, zorder=4, label="seed placement")
    ax.plot([], [], color=GREY, ls="--", lw=1.6, label="cross-post to another network")
    ax.set_xlabel("day since the post")
    ax.set_yticks([])
    ax.grid(axis="y", visible=False)
    ax.spines["left"].set_visible(False)
    ax.set_xlim(-0.5, max(x.max(), 1) + 0.5)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), title="reached on",
              title_fontsize=15, alignment="left")
    shares = (counts / counts.sum()).to_dict()
    days = int(full["step"].max() - full["step"].iloc[0])
    title = takeaways.cascade(len(full), int(full["depth"].max()), days, shares)
    shown = "" if len(full) <= MAX_NODES else \
        f"; first {MAX_NODES} of {len(full):,} people shown (earliest generations)"
    subtitle = (f"Largest diffusion tree of a typical {display(str(run['arm']))} run "
                f"(replicate {int(run['replicate'])}, median engaged){shown}")
    return finish("cascade", fig, title, subtitle, ctx.footnote)
