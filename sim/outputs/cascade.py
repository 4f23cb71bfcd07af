"""One post's diffusion tree as a slide-ready picture: who passed it to whom, where and when.

A *diffusion tree* is one root activation (a seed placement, or an owned-channel reader who
got the post from the brand) and every activation descending from it through shares and
cross-posts (README "Outputs", ``cascades``). The picture is drawn from a run's activations
table alone, ``activations.parquet`` (columns ``agent``, ``post``, ``parent``, ``layer``,
``step``), which every run writes whatever ``output.trace`` and ``output.write_trace`` say, so
it can be drawn for any finished run directory:

- a single run: ``mindshare output.cascade_chart=true`` writes ``cascade.png`` next to
  ``reach.png`` (``output.cascade_post=K`` draws post K instead of the largest tree);
- a finished run directory: ``mindshare-report --cascade RUN_DIR [--post K]``, or
  :func:`draw_run_cascade` from Python;
- the sweep report's ``cascade`` slide (:mod:`sim.report.tree`) draws it on a deck figure
  with :func:`plot_cascade`.

Generations run left to right (by day of activation, or by generation), people are dots in
the colour of the network they shared on, an edge has the colour of the network the post
travelled on, and a cross-post (the parent shared on one network, the child got it on another)
is a thick dashed edge. Trees larger than :data:`MAX_PEOPLE` are cut to their first people in
breadth-first order (every person kept has their parent kept), and the chart says so.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.outputs.files import atomic_write
from sim.outputs.metrics import forest, node_depth
from sim.outputs.style import DPI, EXTRA_COLOURS, LAYER_COLOURS, RUN_RC  # noqa: E402

#: Most people drawn; a larger tree is cut to its first generations.
MAX_PEOPLE = 150
#: The channel whose readers get a post from the brand directly, not through a share.
OWNED = "owned"
#: Columns of the activations table the drawing reads.
COLUMNS = ["agent", "post", "parent", "layer", "step"]
INK, GREY = "#1a1a1a", "#5f5f5f"
#: Characters per line of a title's second and later lines (18-point type on a 16:9 slide).
TITLE_WIDTH = 90
#: What the horizontal axis can show.
AXES = {"day": "day since the post reached its first person",
        "generation": "generation (0 = the first person)"}


class NoCascade(LookupError):
    """The activations hold no tree to draw (nobody shared the post asked for, or any post)."""


@dataclass
class CascadeTree:
    """One diffusion tree of a run.

    Attributes:
        post: the post (0 = the campaign's first post).
        people: one row per person in the tree, in breadth-first order (by generation, then
            day, then the activations' order): ``agent``, ``layer`` (the network they shared
            on, a string), ``step`` (day of activation), ``up`` (row of the parent in this
            table, -1 for the root) and ``depth`` (generation: 0 for the root).
        trees: the post's trees in the run (one per root: placements and owned readers).
        chosen: how the tree was chosen, in words.
    """

    post: int
    people: pd.DataFrame
    trees: int
    chosen: str

    @property
    def size(self) -> int:
        """People in the tree, root included."""
        return len(self.people)

    @property
    def generations(self) -> int:
        """Generations after the root (0 when nobody passed the post on)."""
        return int(self.people["depth"].max())

    @property
    def days(self) -> int:
        """Days from the root's activation to the last one in the tree."""
        step = self.people["step"]
        return int(step.max() - step.iloc[0])

    @property
    def root_is_placement(self) -> bool:
        """Whether the root is a seed placement (else an owned-channel reader)."""
        return self.people["layer"].iloc[0] != OWNED

    def layer_counts(self) -> dict[str, int]:
        """People per network they shared on, largest first."""
        return {str(k): int(v) for k, v in self.people["layer"].value_counts().items()}


def read_activations(run_dir: str | Path) -> pd.DataFrame:
    """A run directory's ``activations.parquet``, its ``layer`` as strings.

    Raises:
        FileNotFoundError: the directory has no ``activations.parquet`` (not a finished run).
    """
    path = Path(run_dir) / "activations.parquet"
    if not path.is_file():
        raise FileNotFoundError(f"{run_dir}: no activations.parquet (not a finished run "
                                "directory of mindshare)")
    acts = pd.read_parquet(path, columns=COLUMNS)
    return acts.assign(layer=acts["layer"].astype(str))


def pick_tree(acts: pd.DataFrame, *, post: int | None = None) -> CascadeTree:
    """The diffusion tree to draw: the largest of one post's trees, or of the whole run.

    Args:
        acts: a run's activations (:func:`read_activations`, or ``Result.activations``).
        post: the post; ``None``: the post with the run's largest tree. Ties go to the tree
            whose root came first in the table (the earliest).

    Raises:
        NoCascade: no activation of that post (or none at all).
    """
    agent = acts["agent"].to_numpy(np.int64)
    posts = acts["post"].to_numpy(np.int64)
    parent = acts["parent"].to_numpy(np.int64)
    if agent.size == 0:
        raise NoCascade("the run has no activations: nobody shared any post")
    n_agents = int(max(agent.max(), parent.max())) + 1
    parent_row, root = forest(agent, posts, parent, n_agents)
    size = np.bincount(root, minlength=agent.size)
    roots = np.flatnonzero(parent_row < 0)
    if post is not None:
        roots = roots[posts[roots] == post]
        if roots.size == 0:
            shared = np.unique(posts)
            raise NoCascade(f"nobody shared post {post} (posts shared: "
                            f"{_span(shared)})")
    best = int(roots[np.argmax(size[roots])])
    post_drawn = int(posts[best])
    trees = int(np.count_nonzero(posts[np.flatnonzero(parent_row < 0)] == post_drawn))
    chosen = "the largest tree of the post asked for" if post is not None \
        else "the run's largest tree"
    rows = np.flatnonzero(root == best)
    local = np.full(agent.size, -1, dtype=np.int64)
    local[rows] = np.arange(rows.size)
    up = np.where(parent_row[rows] >= 0, local[parent_row[rows]], -1)
    depth = node_depth(up)
    step = acts["step"].to_numpy(np.int64)[rows]
    order = np.lexsort((np.arange(rows.size), step, depth))     # parents before children
    new = np.empty_like(order)
    new[order] = np.arange(order.size)
    up = up[order]
    people = pd.DataFrame({
        "agent": agent[rows][order], "layer": acts["layer"].astype(str).to_numpy()[rows][order],
        "step": step[order], "up": np.where(up >= 0, new[np.maximum(up, 0)], -1),
        "depth": depth[order]})
    return CascadeTree(post=post_drawn, people=people, trees=trees, chosen=chosen)


def _span(values: np.ndarray) -> str:
    """``0-9`` for consecutive integers, else up to five of them."""
    if values.size and values[-1] - values[0] + 1 == values.size:
        return f"{values[0]}" if values.size == 1 else f"{values[0]}-{values[-1]}"
    head = ", ".join(str(v) for v in values[:5])
    return head + (", ..." if values.size > 5 else "")


def layout(up: np.ndarray) -> np.ndarray:
    """Vertical positions of a tree's nodes (``up[0] == -1``, parents before children).

    Leaves are evenly spaced in depth-first order, a parent at the middle of its children, so
    no two edges cross.
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


@dataclass
class CascadeDrawing:
    """What :func:`plot_cascade` drew, for a caller's title and for tests.

    Attributes:
        ax: the axes drawn on.
        tree: the whole tree.
        people: the people drawn (the tree's first rows), with their positions ``x``, ``y``.
        edges: one row per edge drawn: ``parent`` and ``child`` (rows of ``people``),
            ``layer`` (the network the post travelled on: the child's) and ``cross`` (a
            cross-post: the parent shared on another network, not the owned channel, whose
            readers share on all their networks).
        by: what ``x`` is: ``day`` or ``generation``.
    """

    ax: plt.Axes
    tree: CascadeTree
    people: pd.DataFrame
    edges: pd.DataFrame
    by: str
    colours: dict[str, str] = field(default_factory=dict)

    @property
    def shown(self) -> int:
        """People drawn."""
        return len(self.people)

    @property
    def cut(self) -> bool:
        """Whether the tree was cut to its first people."""
        return self.shown < self.tree.size

    @property
    def cross_posts(self) -> int:
        """Cross-post edges drawn."""
        return int(self.edges["cross"].sum())

    def edges_per_layer(self) -> dict[str, int]:
        """Edges drawn per network the post travelled on."""
        return {str(k): int(v) for k, v in self.edges["layer"].value_counts().items()}

    def cut_note(self) -> str:
        """``first 150 of 1,234 people shown`` (the earliest generations), or ``""`` when whole."""
        if not self.cut:
            return ""
        return f"first {self.shown:,} of {self.tree.size:,} people shown"


def layer_colours(layers: list[str]) -> dict[str, str]:
    """Each network's colour (:data:`~sim.outputs.style.LAYER_COLOURS`), others in order."""
    spare = iter(c for c in EXTRA_COLOURS if c not in LAYER_COLOURS.values())
    return {name: LAYER_COLOURS.get(name) or next(spare) for name in layers}


def plot_cascade(tree: CascadeTree, *, ax: plt.Axes | None = None, by: str = "day",
                 max_people: int = MAX_PEOPLE) -> CascadeDrawing:
    """Draw a diffusion tree: generations left to right, one colour per network.

    People are dots in the colour of the network they shared on, the root a black star; an
    edge goes from parent to child in the colour of the network the post travelled on, dashed
    and thicker for a cross-post. The legend (outside the axes, right) gives each network's
    people in the whole tree. The caller adds the title (:func:`cascade_title`).

    Args:
        tree: the tree (:func:`pick_tree`).
        ax: axes to draw on; a new 16:9 figure in the single run's style when omitted.
        by: ``day`` (day of activation since the root's) or ``generation``.
        max_people: most people drawn, the first ones in breadth-first order.
    """
    if by not in AXES:
        raise ValueError(f"by={by!r}: must be one of {', '.join(AXES)}")
    if ax is None:
        with plt.rc_context(RUN_RC):
            _, ax = plt.subplots()
    people = tree.people.iloc[:max_people].copy()
    up = people["up"].to_numpy()
    people["x"] = (people["step"] - people["step"].iloc[0] if by == "day"
                   else people["depth"]).to_numpy(dtype=float)
    people["y"] = -layout(up)                       # the first branch at the top
    x, y = people["x"].to_numpy(), people["y"].to_numpy()
    layer = people["layer"].to_numpy()
    child = np.arange(1, len(people))
    parent = up[child]
    cross = (layer[child] != layer[parent]) & (layer[parent] != OWNED)
    edges = pd.DataFrame({"parent": parent, "child": child, "layer": layer[child],
                          "cross": cross})
    counts = tree.layer_counts()
    colours = layer_colours(list(counts))
    for dashed in (False, True):
        pick = child[cross == dashed]
        if pick.size == 0:
            continue
        segs = np.stack([np.column_stack([x[up[pick]], y[up[pick]]]),
                         np.column_stack([x[pick], y[pick]])], axis=1)
        ax.add_collection(LineCollection(
            segs, colors=[colours[v] for v in layer[pick]], linewidths=3.0 if dashed else 1.4,
            linestyles=(0, (4, 2)) if dashed else "-", alpha=1.0 if dashed else 0.6,
            zorder=2 if dashed else 1, label="_cross" if dashed else "_edges"))
    # dots about as wide as the gap between two rows of people (the axes: ~400 points tall)
    rows = max(np.unique(y).size, 1)
    size = float(np.clip((0.9 * 400 / rows) ** 2, 30, 90))
    for name, n in counts.items():
        mask = layer == name
        ax.scatter(x[mask], y[mask], s=size, color=colours[name], zorder=3,
                   edgecolor="white", linewidth=0.8, label=f"{name}: {n:,} people")
    root = "seed placement (the root)" if tree.root_is_placement else \
        "owned-channel reader (the root)"
    ax.scatter([x[0]], [y[0]], s=520, marker="*", color=INK, zorder=4, label=root)
    handles, _ = ax.get_legend_handles_labels()
    handles.append(Line2D([], [], color=GREY, ls=(0, (4, 2)), lw=3.0,
                          label=f"cross-post to another network ({cross.sum():,})"))
    ax.set_xlabel(AXES[by])
    ax.set_yticks([])
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", alpha=0.3)
    ax.spines["left"].set_visible(False)
    ax.set_xlim(-0.5, max(x.max(), 1) + 0.5)
    span = max(y.max() - y.min(), 1.0)
    ax.set_ylim(y.min() - 0.04 * span, y.max() + 0.04 * span)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0),
              title="who shared, on which network", title_fontsize=16, fontsize=15,
              alignment="left", frameon=False, markerscale=1.0)
    for handle in ax.get_legend().legend_handles[:len(counts)]:
        handle.set_sizes([90])                  # legible dots in the legend, whatever the tree
    return CascadeDrawing(ax=ax, tree=tree, people=people, edges=edges, by=by,
                          colours=colours)


def cascade_title(drawing: CascadeDrawing, name: str = "") -> str:
    """Which post and how many people, then how the tree was chosen and whether it was cut.

    The first line names the run, the post, its people, generations and days; the next ones
    (wrapped to the width of a slide) say how the tree was chosen and, when it was cut, which
    part is shown (:meth:`CascadeDrawing.cut_note`).
    """
    tree = drawing.tree
    head = f"{name}: " if name else ""
    first = (f"{head}post {tree.post}, {tree.size:,} people in one tree, "
             f"{tree.generations} generations over {tree.days} days")
    rest = (f"{tree.chosen}, 1 of the post's {tree.trees:,}" if tree.trees > 1
            else f"{tree.chosen}, the post's only one")
    note = drawing.cut_note()
    rest += f"; {note}" if note else ""
    return "\n".join([first, *textwrap.wrap(rest, TITLE_WIDTH)])


def save_cascade_chart(acts: pd.DataFrame, path: str | Path, *, name: str = "",
                       post: int | None = None, by: str = "day") -> CascadeDrawing | None:
    """Write one post's diffusion tree as a PNG at :data:`~sim.outputs.style.DPI` (200 dpi).

    The title names the run (``name``), the post and its people (:func:`cascade_title`). A
    run where nobody shared the post (or any post) gets a chart saying so, and None is
    returned. The PNG is written to a temporary file, then renamed to ``path``, with the
    mode the umask gives (:func:`sim.outputs.files.atomic_write`).

    Args:
        acts: the run's activations (:func:`read_activations`, or ``Result.activations``).
        path: the PNG to write.
        name: the run's name, for the title.
        post: the post to draw (:func:`pick_tree`); None: the run's largest tree.
        by: what the horizontal axis shows (:func:`plot_cascade`).
    """
    with plt.rc_context(RUN_RC):
        try:
            tree = pick_tree(acts, post=post)
        except NoCascade as exc:
            fig = Figure()
            ax = fig.subplots()
            ax.set_axis_off()
            ax.text(0.5, 0.5, str(exc), ha="center", va="center", fontsize=22, color=GREY,
                    transform=ax.transAxes)
            ax.set_title(f"{name}: no diffusion tree to draw" if name else
                         "No diffusion tree to draw", loc="left", fontsize=20)
            drawing = None
        else:
            fig = Figure()
            drawing = plot_cascade(tree, ax=fig.subplots(), by=by)
            drawing.ax.set_title(cascade_title(drawing, name), loc="left", fontsize=18,
                                  linespacing=1.4)
        fig.tight_layout()
        atomic_write(Path(path), lambda tmp: fig.savefig(tmp, dpi=DPI, format="png"))
    return drawing


def draw_run_cascade(run_dir: str | Path, *, post: int | None = None,
                     out: str | Path | None = None) -> Path:
    """Draw a finished run directory's cascade chart; the command is ``mindshare-report --cascade``.

    Reads ``RUN_DIR/activations.parquet`` and writes ``cascade.png`` into ``out`` (a
    directory; default: the run directory itself). The run's name for the title is the
    directory's name.

    Returns:
        The PNG written.

    Raises:
        FileNotFoundError: the directory has no ``activations.parquet``.
        NoCascade: nobody shared post ``post`` (or any post) in the run; nothing is written.
    """
    acts = read_activations(run_dir)
    pick_tree(acts, post=post)         # refuse before writing a chart with no tree
    target = Path(out if out is not None else run_dir) / "cascade.png"
    save_cascade_chart(acts, target, name=Path(run_dir).resolve().name, post=post)
    return target
