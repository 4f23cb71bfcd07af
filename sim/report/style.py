"""The deck style, in one place: 16:9 frames, type sizes, one colour per strategy, saving.

Every chart of a report is a 13.33 x 7.5 inch figure (a 16:9 slide) with, from the top: a
title stating the takeaway, a grey subtitle saying what is plotted, the panels, and a footnote
(runs, N, replicates, seed, config fingerprint). :func:`save` writes it as PNG at 200 dpi
(2666 x 1500 pixels) and SVG, and a copy without the title band for the slide deck, whose
slide title carries the takeaway instead.

One palette rule: the channel (layer) colours of :mod:`sim.outputs.style` (personal blue,
professional orange, owned green, topic purple, graph dark grey) mean a network and nothing
else, so the colours of arms are taken from other hues (:data:`STRATEGY_COLOURS`,
:data:`ARM_COLOURS`). A strategy has the same colour in every chart of every report; other arms
take the arm colours in order. The frame, the resolution and the channel colours come from
:mod:`sim.outputs.style`, shared with a single run's chart.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager, patheffects  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.transforms import Bbox  # noqa: E402

# the frame, resolution and colours a run's chart shares; LAYER_COLOURS is here for the
# report's charts, which take every style name from this module
from sim.outputs.files import atomic_write  # noqa: E402
from sim.outputs.style import DPI, EXTRA_COLOURS, LAYER_COLOURS, SIZE  # noqa: E402, F401

#: Fonts in order of preference; the first one installed is used (DejaVu Sans ships with
#: matplotlib, so there is always one).
PREFERRED_FONTS = ("Arial", "Liberation Sans", "Helvetica", "DejaVu Sans")
TITLE_SIZE, MIN_TITLE_SIZE = 28, 24
SUBTITLE_SIZE, MIN_SUBTITLE_SIZE = 17, 15
FOOTNOTE_SIZE, LABEL_SIZE = 12, 16
INK, GREY = "#1a1a1a", "#5f5f5f"
MARGIN = 0.45  # inches, left and right of the title and footnote

def _font() -> list[str]:
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return [next((f for f in PREFERRED_FONTS if f in installed), "DejaVu Sans")]


FONTS = _font()
RC = {
    "figure.figsize": SIZE, "figure.dpi": 100, "savefig.dpi": DPI,
    "font.family": "sans-serif", "font.sans-serif": FONTS, "font.size": 16,
    "axes.titlesize": 19, "axes.titleweight": "bold", "axes.titlelocation": "left",
    "axes.labelsize": 18, "axes.labelcolor": INK, "axes.edgecolor": GREY,
    "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True,
    "grid.color": "#ebebeb", "grid.linewidth": 1.0, "axes.axisbelow": True,
    "xtick.labelsize": 15, "ytick.labelsize": 15, "xtick.color": GREY, "ytick.color": GREY,
    "legend.fontsize": 15, "legend.frameon": False, "lines.linewidth": 3.0,
    "svg.fonttype": "none", "text.color": INK,
}

#: One colour per library strategy (conf/strategy/), the same in every report; broadcast,
#: the usual baseline, is grey. Every one is far from each channel colour (CIELAB distance of
#: 30 or more, and a hue at least 25 degrees away from each coloured channel's): reds, pinks,
#: yellows, olives, teals and a light grey, never the blue, orange, green or purple of a network.
STRATEGY_COLOURS = {
    "broadcast": "#9a9a9a", "adapted": "#d62728", "ambassadors": "#0e8c9a",
    "influencers": "#7a8b00", "communities": "#e7298a", "core": "#17becf",
    "brand_centric": "#e6c229", "incentives": "#882255", "listening": "#5a5a00",
    "emotional_pro": "#ff6f91", "rational_pro": "#ddcc77", "promotional": "#bcbd22",
    "bursty": "#a50026", "inauthentic": "#de77ae",
}
#: Colours of arms that are not library strategies (``network=personal``, ``split=0.3``), in
#: order; from the same hues as :data:`STRATEGY_COLOURS`, never a channel's.
ARM_COLOURS = ["#d62728", "#0e8c9a", "#7a8b00", "#e7298a", "#e6c229", "#882255", "#17becf",
               "#9a9a9a", "#ff6f91", "#5a5a00", "#bcbd22", "#a50026", "#ddcc77", "#de77ae"]


def palette(arms: list[str]) -> dict[str, str]:
    """A colour for each arm: its strategy colour when it has one, else the next unused colour.

    Unused colours are taken from :data:`ARM_COLOURS` in order, cycling when there are more
    arms than colours. No arm gets a channel colour (:data:`LAYER_COLOURS`).
    """
    out = {a: STRATEGY_COLOURS[a] for a in arms if a in STRATEGY_COLOURS}
    free = [c for c in ARM_COLOURS if c not in out.values()] or ARM_COLOURS
    for i, arm in enumerate(a for a in arms if a not in out):
        out[arm] = free[i % len(free)]
    return out


@dataclass
class Chart:
    """A finished chart, ready to save.

    Attributes:
        name: file stem (``ranking_reached``).
        fig: the figure.
        title: the takeaway, as shown.
        subtitle: what is plotted.
        title_band: inches at the top taken by the title (cut from the deck copy).
        files: paths written by :func:`save`, by kind (``png``, ``svg``, ``deck``).
        data: the numbers the chart plots that its title and subtitle state, by name (the
            title is built from these, so a test or a program can read them back).
    """

    name: str
    fig: Figure
    title: str
    subtitle: str
    title_band: float = 0.0
    files: dict[str, Path] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)


def figure(nrows: int = 1, ncols: int = 1, **kwargs) -> tuple[Figure, object]:
    """A 16:9 figure in the deck style with a grid of panels (``plt.subplots`` arguments)."""
    with plt.rc_context(RC):
        fig, axes = plt.subplots(nrows, ncols, figsize=SIZE, layout="constrained", **kwargs)
    return fig, axes


def finish(name: str, fig: Figure, title: str, subtitle: str, footnote: str, *,
           labels: Callable[[], object] | None = None) -> Chart:
    """Add the title, the subtitle and the footnote, and fit the panels between them.

    The title and the subtitle are each fitted to the width: smaller type, then two lines.
    ``labels``, when given, places labels that are measured in pixels (:func:`name_arms`,
    :func:`place_labels`): it is called once the layout is final, and the layout is then
    frozen, so that the labels keep the distances they were given.
    """
    width_in, height_in = fig.get_size_inches()
    avail = (width_in - 2 * MARGIN) * fig.dpi
    top = 0.28
    title_text = fig.text(MARGIN / width_in, 1 - top / height_in, title, ha="left", va="top",
                          fontweight="bold", color=INK, family=FONTS)
    title_h = _fit(fig, title_text, title, avail, TITLE_SIZE, MIN_TITLE_SIZE)
    band = top + title_h + 0.12
    sub = fig.text(MARGIN / width_in, 1 - band / height_in, subtitle, ha="left", va="top",
                   color=GREY, family=FONTS, linespacing=1.3)
    sub_h = _fit(fig, sub, subtitle, avail, SUBTITLE_SIZE, MIN_SUBTITLE_SIZE, balanced=False)
    fig.text(MARGIN / width_in, 0.14 / height_in, footnote, ha="left", va="bottom",
             fontsize=FOOTNOTE_SIZE, color=GREY, family=FONTS)
    head = band + sub_h + 0.2
    foot = 0.5
    fig.get_layout_engine().set(rect=(0.02, foot / height_in, 0.96,
                                      1 - (head + foot) / height_in),
                                w_pad=0.08, h_pad=0.08, wspace=0.04, hspace=0.06)
    if labels is not None:
        # a first pass makes room for the labels, the second one measures in the final layout
        drawn = {ax: (list(ax.texts), ax.get_legend()) for ax in fig.axes}
        labels()
        fig.canvas.draw()
        fig.set_layout_engine("none")
        for ax, (texts, legend) in drawn.items():
            for text in [t for t in ax.texts if t not in texts]:
                text.remove()
            if ax.get_legend() is not legend:
                ax.get_legend().remove()
                if legend is not None:
                    ax.add_artist(legend)
        labels()
    return Chart(name=name, fig=fig, title=title, subtitle=subtitle, title_band=band - 0.1)


def _fit(fig: Figure, text, content: str, avail: float, largest: int, smallest: int, *,
         balanced: bool = True) -> float:
    """Set ``text`` to the largest size, down to ``smallest``, at which ``content`` fits the width.

    It is tried on one line, else on two lines (of equal length when ``balanced``, else the
    first one full). Returns its height in inches.
    """
    renderer = fig.canvas.get_renderer()
    for size in range(largest, smallest - 1, -1):
        text.set_fontsize(size)
        text.set_text(content)
        if text.get_window_extent(renderer).width <= avail:
            return text.get_window_extent(renderer).height / fig.dpi
    content = content.replace(" = ", "\u00a0=\u00a0")     # "p = 0.06" is never broken
    for size in range(largest, smallest - 1, -1):
        text.set_fontsize(size)
        text.set_text(content)
        full = text.get_window_extent(renderer).width
        chars = max(10, int(len(content) * avail / full * 0.97))
        text.set_text(_wrap(content, 2) if balanced else "\n".join(textwrap.wrap(content, chars)))
        if text.get_window_extent(renderer).width <= avail and text.get_text().count("\n") < 2:
            return text.get_window_extent(renderer).height / fig.dpi
    # too long for two lines even in the smallest type: as many lines as it takes
    for lines in range(3, 9):
        text.set_text(_wrap(content, lines))
        if text.get_window_extent(renderer).width <= avail:
            break
    return text.get_window_extent(renderer).height / fig.dpi


def _wrap(text: str, lines: int) -> str:
    """``text`` in ``lines`` lines of about equal length, broken at spaces."""
    if lines == 1:
        return text
    width = max(10, len(text) // lines + 1)
    while True:
        parts = textwrap.wrap(text, width)
        if len(parts) <= lines:
            return "\n".join(parts)
        width += 2


def save(chart: Chart, directory: Path, *, deck_directory: Path | None = None) -> Chart:
    """Write ``<name>.png`` (200 dpi) and ``<name>.svg`` into ``directory``, then close the figure.

    When ``deck_directory`` is given, the deck copy without the title band is written there too.
    """
    directory.mkdir(parents=True, exist_ok=True)
    fig = chart.fig
    path = directory / f"{chart.name}.png"
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=DPI))
    chart.files["png"] = path
    # the same bytes from the same data: no date, element ids from a fixed salt
    with plt.rc_context({"svg.hashsalt": f"mindshare-{chart.name}"}):
        path = directory / f"{chart.name}.svg"
        atomic_write(path, lambda tmp: fig.savefig(tmp, format="svg", dpi=DPI,
                                                   metadata={"Date": None}))
    chart.files["svg"] = path
    if deck_directory is not None:
        deck_directory.mkdir(parents=True, exist_ok=True)
        width, height = fig.get_size_inches()
        fig.texts[0].set_visible(False)  # the title: the slide title says it
        crop = Bbox.from_bounds(0, 0, width, height - chart.title_band)
        path = deck_directory / f"{chart.name}.png"
        atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=DPI,
                                                   bbox_inches=crop))
        chart.files["deck"] = path
    plt.close(fig)
    return chart


def label_ends(ax, points: list[tuple[float, float, str, str]], *, gap: float = 0.055,
               dx: float = 8) -> None:
    """Label line ends in their colour, right of the last point, nudged apart vertically.

    Args:
        ax: the panel (its layout final: see :func:`finish`).
        points: ``(x, y, text, colour)`` of each line's last point.
        gap: minimum vertical distance between labels, as a fraction of the panel height; at
            least the height of a label, so that no two overlap.
        dx: horizontal offset in points.
    """
    if not points:
        return
    lo, hi = ax.get_ylim()
    span = hi - lo or 1.0
    renderer = ax.figure.canvas.get_renderer()
    probe = ax.text(0, 0, "Ag", fontsize=LABEL_SIZE, fontweight="bold")
    height = probe.get_window_extent(renderer).height
    probe.remove()
    gap = max(gap, 1.1 * height / max(ax.get_window_extent(renderer).height, 1.0))
    order = sorted(range(len(points)), key=lambda i: points[i][1])
    pos = [(points[i][1] - lo) / span for i in order]
    for k in range(1, len(pos)):
        pos[k] = max(pos[k], pos[k - 1] + gap)
    overflow = pos[-1] - 1.0
    if overflow > 0:
        pos = [p - overflow for p in pos]
        for k in range(len(pos) - 2, -1, -1):
            pos[k] = min(pos[k], pos[k + 1] - gap)
    for k, i in enumerate(order):
        x, _, text, colour = points[i]
        ax.annotate(text, xy=(x, lo + pos[k] * span), xytext=(dx, 0),
                    textcoords="offset points", va="center", ha="left", color=colour,
                    fontsize=LABEL_SIZE, fontweight="bold", annotation_clip=False)


def name_arms(axes: list, panel_ends: list[list[tuple[float, float, str, str]]]) -> None:
    """Name each arm's line, at its end in the last panel or in a legend beside it.

    The names go at the line ends (:func:`label_ends`) when every arm has a line in the last
    panel, else in a legend beside the last panel (an arm of a one-network sweep has no line on
    the other network).
    """
    names = [{end[2] for end in ends} for ends in panel_ends]
    if all(n <= names[-1] for n in names):
        label_ends(axes[-1], panel_ends[-1])
        return
    handles = {}
    for ax in axes:
        for line in ax.get_lines():
            label = line.get_label()
            if not label.startswith("_") and label not in handles:
                handles[label] = line
    axes[-1].legend(handles.values(), handles.keys(), loc="upper left",
                    bbox_to_anchor=(1.02, 1.0))


def place_labels(ax, items: list[tuple[float, float, str, str, bool]], *,
                 marker: float = 12,
                 obstacles: list[tuple[float, float, float, float]] = ()) -> list:
    """Label points in their colour so that no two labels overlap and no leader lines cross.

    Call it once the figure's layout is final (the labels are placed in pixels). Obstacles are
    segments to keep clear, such as error bars; a white halo keeps a label legible where it must
    cross a line.

    Deterministic greedy placement: points in the order given (put the important ones first)
    each take the first spot, nearest first, among 16 directions at growing distances, where
    the label overlaps no label placed before, its leader line crosses no other leader line and
    no label, and it stays inside the panel; among those, a spot clear of markers and
    obstacles is preferred. A label placed away from its point gets a thin leader line. A label
    that finds no such spot goes into a legend in the panel's corner instead (it never
    overlaps).

    Args:
        ax: the panel (its limits final).
        items: ``(x, y, text, colour, bold)`` per point.
        marker: half-size of the area kept clear around each point, in points.
        obstacles: ``(x0, y0, x1, y1)`` segments in data coordinates to keep clear (CI bars),
            widened by 4 points.

    Returns:
        The labels drawn (annotations), in the order of ``items`` (legend entries left out).
    """
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    px = fig.dpi / 72.0  # pixels per point
    centres = ax.transData.transform([(x, y) for x, y, *_ in items])
    frame = ax.get_window_extent(renderer)
    soft = [Bbox.from_extents(cx - marker * px, cy - marker * px, cx + marker * px,
                              cy + marker * px) for cx, cy in centres]
    for x0, y0, x1, y1 in obstacles:
        (a, b), (c, d) = ax.transData.transform([(x0, y0), (x1, y1)])
        pad = 4 * px
        soft.append(Bbox.from_extents(min(a, c) - pad, min(b, d) - pad, max(a, c) + pad,
                                      max(b, d) + pad))
    labels: list[Bbox] = []            # placed labels, in pixels
    leaders: list[tuple] = []          # placed leader lines, ((x0, y0), (x1, y1)) in pixels
    drawn, left_out = [], []
    for (x, y, text, colour, bold), centre in zip(items, centres, strict=True):
        weight = "bold" if bold else "normal"
        probe = ax.text(0, 0, text, fontsize=17, fontweight=weight)
        box = probe.get_window_extent(renderer)
        size = (box.width + 4 * px, box.height + 2 * px)   # room for the white halo
        probe.remove()
        best, best_cost = None, np.inf
        for spot in _SPOTS:
            r = _label_box(centre, size, px, spot)
            if _area(r, frame) < r.width * r.height - 1e-6:
                continue                                    # outside the panel
            if any(_area(r, t) > 0 for t in labels):
                continue
            leader = _leader(centre, r, spot)
            if leader is not None and (
                    any(_cross(leader, other) for other in leaders)
                    or any(_hits(leader, t) for t in labels)):
                continue
            if any(_hits(other, r) for other in leaders):
                continue                                    # on another label's leader
            cost = sum(_area(r, t) for t in soft)
            if cost < best_cost:
                best, best_cost = (spot, r, leader), cost
            if cost == 0:
                break
        if best is None:
            left_out.append((text, colour, weight))
            continue
        (dx, dy, ha, va), r, leader = best
        drawn.append(ax.annotate(
            text, (x, y), xytext=(dx, dy), textcoords="offset points", ha=ha, va=va,
            fontsize=17, color=colour, fontweight=weight, zorder=5, annotation_clip=False,
            path_effects=[patheffects.withStroke(linewidth=4, foreground="white")],
            arrowprops={"arrowstyle": "-", "color": colour, "lw": 1.2, "alpha": 0.7,
                        "shrinkA": 1, "shrinkB": 8} if leader is not None else None))
        labels.append(r)
        if leader is not None:
            leaders.append(leader)
    if left_out:
        handles = [Line2D([], [], ls="", marker="o", ms=10, color=c) for _, c, _ in left_out]
        legend = ax.legend(handles, [t for t, *_ in left_out], loc="upper left",
                           fontsize=LABEL_SIZE)
        for entry, (_, colour, _) in zip(legend.get_texts(), left_out, strict=True):
            entry.set_color(colour)
    return drawn


def _spot_list() -> list[tuple[float, float, str, str]]:
    """Candidate label spots, nearest first: ``(dx, dy, ha, va)`` from the point, in points.

    16 directions (right and up first) at growing distances; the label's anchor is aligned so
    that the label lies away from its point.
    """
    spots = []
    angles = sorted(range(0, 360, 45), key=lambda a: (a % 90 != 45, a)) + list(
        range(22, 360, 45))
    for radius in (14, 24, 38, 56, 80, 110, 150):
        for angle in angles:
            c, s = np.cos(np.radians(angle)), np.sin(np.radians(angle))
            ha = "left" if c > 0.3 else "right" if c < -0.3 else "center"
            va = "bottom" if s > 0.3 else "top" if s < -0.3 else "center"
            spots.append((round(radius * c, 1), round(radius * s, 1), ha, va))
    return spots


_SPOTS = _spot_list()
#: Offsets (in points) from which a label is far enough from its point to get a leader line.
LEADER_FROM = 20


def _leader(centre, box: Bbox, spot: tuple[float, float, str, str]):
    """The leader line of a label at ``spot``: from its point to the label's centre, or None.

    Spots within :data:`LEADER_FROM` points of their point get no leader.
    """
    dx, dy, _, _ = spot
    if np.hypot(dx, dy) <= LEADER_FROM:
        return None
    return (tuple(centre), ((box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2))


def _cross(a, b) -> bool:
    """Whether segments ``a`` and ``b`` (each two ``(x, y)`` ends) cross."""
    (p1, p2), (p3, p4) = a, b

    def side(p, q, r) -> float:
        return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])

    d1, d2 = side(p3, p4, p1), side(p3, p4, p2)
    d3, d4 = side(p1, p2, p3), side(p1, p2, p4)
    return d1 * d2 < 0 and d3 * d4 < 0


def _hits(segment, box: Bbox) -> bool:
    """Whether ``segment`` passes through ``box`` (an end inside counts, except its label's).

    The segment's second end is its own label's centre: only the part outside that label is
    drawn, so the test stops where the segment enters a box it ends in.
    """
    (x0, y0), (x1, y1) = segment
    if box.contains(x1, y1):
        return False                                    # the segment's own label
    if box.contains(x0, y0):
        return True
    corners = [(box.x0, box.y0), (box.x1, box.y0), (box.x1, box.y1), (box.x0, box.y1)]
    return any(_cross(segment, (corners[i], corners[(i + 1) % 4])) for i in range(4))


def _label_box(centre, size: tuple[float, float], px: float,
               spot: tuple[float, float, str, str]) -> Bbox:
    """The box, in pixels, of a label of ``size`` placed at ``spot`` from its point ``centre``.

    Args:
        centre: ``(x, y)`` of the point, in pixels.
        size: ``(width, height)`` of the label, in pixels.
        px: pixels per point.
        spot: ``(dx, dy, ha, va)``: offset in points from the point to the label's anchor, and
            the anchor's alignment.
    """
    (cx, cy), (w, h) = centre, size
    dx, dy, ha, va = spot
    left = cx + dx * px - {"left": 0, "center": w / 2, "right": w}[ha]
    bottom = cy + dy * px - {"bottom": 0, "center": h / 2, "top": h}[va]
    return Bbox.from_bounds(left, bottom, w, h)


def _area(a, b) -> float:
    """Area of the intersection of two boxes (0 when they do not meet)."""
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return w * h if w > 0 and h > 0 else 0.0
