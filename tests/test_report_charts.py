"""The report's charts say what they draw: titles and legends read back from the figures.

Each test reads the numbers a chart plots (its lines, markers and labels, from matplotlib) and
checks that the title and subtitle state those numbers and promise nothing that is not drawn.
"""

import base64
import itertools
import re
from html.parser import HTMLParser

import matplotlib.colors as mcolors
import numpy as np
import pandas as pd
import pytest
from matplotlib.text import Text
from synthetic_sweep import write_sweep

from sim.report import report, stats, takeaways
from sim.report.charts import pareto, virality_vs_loyalty
from sim.report.charts_sweep import Takeoff, heatmap, takeoff, viral_threshold
from sim.report.context import Context
from sim.report.design import Design
from sim.report.outcomes import display
from sim.report.style import ARM_COLOURS, LAYER_COLOURS, STRATEGY_COLOURS, palette

STRATEGIES = ["broadcast", "adapted", "influencers", "communities", "ambassadors", "core",
              "listening", "incentives"]


# --- synthetic contexts: the statistics of made-up runs, without running the model ---

def _context(runs: pd.DataFrame, outcomes: list[str], design: Design) -> Context:
    runs = runs.reset_index(drop=True)
    arms, diffs = stats.compare(runs.assign(cell="all") if "cell" not in runs else runs,
                                outcomes, b=200, seed=0)
    if design.cells:
        pooled = runs.assign(_cell=runs["cell"], cell="all")
        arms, diffs = stats.compare(pooled, outcomes, b=200, seed=0,
                                    pair=("_cell", "seed", "replicate"))
    order = list(dict.fromkeys(runs["arm"]))
    return Context(root=".", runs=runs, timeseries=pd.DataFrame(), design=design, arms=arms,
                   diffs=diffs, cell_arms=arms.iloc[:0], cell_diffs=diffs.iloc[:0],
                   outcomes=outcomes, order=order, colours=palette(sorted(order)),
                   footnote="synthetic", bootstrap=200)


def _tradeoff_context(means: dict[str, tuple[float, float]], replicates: int = 6,
                      spread: float = 0.02) -> Context:
    """Runs scattered around the given (reach, loyalty gained) means of each arm."""
    rng = np.random.default_rng(1)
    rows = []
    for arm, (reach, gain) in means.items():
        noise = rng.normal(size=(replicates, 2))
        noise -= noise.mean(axis=0)                 # the means are exactly the given ones
        for r in range(replicates):
            rows.append({"arm": arm, "seed": 0, "replicate": r,
                         "reached": reach * (1 + spread * noise[r, 0]),
                         "loyalty_gain": gain * (1 + spread * noise[r, 1])})
    design = Design(factors=["strategy"], arm="strategy", cells=[])
    return _context(pd.DataFrame(rows), ["reached", "loyalty_gain"], design)


def _dominated(points: dict[str, tuple[float, float]]) -> set[str]:
    return {a for a, (x, y) in points.items()
            if any(x2 >= x and y2 >= y and (x2 > x or y2 > y)
                   for b, (x2, y2) in points.items() if b != a)}


# --- virality vs loyalty: the frontier drawn is the frontier said ---

def test_the_dashed_frontier_runs_through_exactly_the_non_dominated_arms():
    means = {"broadcast": (100, 0.02), "adapted": (300, 0.05), "influencers": (200, 0.09),
             "communities": (150, 0.11), "ambassadors": (120, 0.04), "core": (250, 0.03)}
    chart = virality_vs_loyalty(_tradeoff_context(means))
    ax = chart.fig.axes[0]
    lines = [line for line in ax.get_lines() if line.get_gid() == "pareto_frontier"]
    assert len(lines) == 1 and lines[0].get_linestyle() == "--"
    front = set(means) - _dominated(means)
    assert front == {"adapted", "influencers", "communities"}
    drawn = sorted(zip(lines[0].get_xdata(), lines[0].get_ydata(), strict=True))
    expected = sorted((means[a][0], 100 * means[a][1]) for a in front)
    np.testing.assert_allclose(drawn, expected)
    assert [a for a, *_ in chart.data["frontier"]] == ["communities", "influencers", "adapted"]
    assert "dashed: the Pareto frontier" in chart.subtitle


def test_a_single_winner_draws_no_frontier_line_and_the_subtitle_says_no_dashes():
    means = {"broadcast": (100, 0.02), "adapted": (300, 0.09), "influencers": (200, 0.05)}
    chart = virality_vs_loyalty(_tradeoff_context(means))
    ax = chart.fig.axes[0]
    assert not [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert "dashed" not in chart.subtitle
    assert "Adapted content has the best mean on both" in chart.subtitle


def test_the_frontier_follows_each_outcome_s_better_direction():
    means = pd.DataFrame({"reached": [100.0, 200.0, 300.0], "detractors": [0.1, 0.3, 0.2]},
                         index=["a", "b", "c"])
    # fewer detractors is better: b (more detractors than c, less reach) is beaten by c
    assert pareto(means, "reached", "detractors", y_better="lower") == ["a", "c"]
    assert pareto(means, "reached", "detractors") == ["b", "c"]


def _label_boxes(fig):
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    labels = [t for t in ax.texts if t.get_text()]
    return ax, labels, [Text.get_window_extent(t, renderer) for t in labels]


def test_labels_of_crowded_arms_never_overlap_and_their_leaders_never_cross():
    # eight arms in a tight cluster: every label has to move away from its point
    rng = np.random.default_rng(3)
    means = {a: (200 + 12 * rng.normal(), 0.05 + 0.002 * rng.normal()) for a in STRATEGIES}
    chart = virality_vs_loyalty(_tradeoff_context(means, spread=0.05))
    ax, labels, boxes = _label_boxes(chart.fig)
    legend = ax.get_legend()
    named = [t.get_text() for t in labels] + (
        [t.get_text() for t in legend.get_texts()] if legend is not None else [])
    assert sorted(named) == sorted(display(a) for a in STRATEGIES)   # every arm named once
    for a, b in itertools.combinations(boxes, 2):
        assert not a.overlaps(b), (a, b)
    frame = ax.get_window_extent()
    for box in boxes:
        assert frame.x0 - 1 <= box.x0 and box.x1 <= frame.x1 + 1
    # leader lines: from the point to the label; no two cross
    segments = []
    for text, box in zip(labels, boxes, strict=True):
        if text.arrow_patch is not None:
            start = ax.transData.transform(text.xy)
            segments.append((start, ((box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2)))
    for (p1, p2), (p3, p4) in itertools.combinations(segments, 2):
        assert not _cross(p1, p2, p3, p4)


def _cross(p1, p2, p3, p4) -> bool:
    def side(p, q, r):
        return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])
    return (side(p3, p4, p1) * side(p3, p4, p2) < 0) and (side(p1, p2, p3) * side(p1, p2, p4) < 0)


# --- viral threshold: the take-off told as the data place it ---

P = np.array([0.06, 0.08, 0.1, 0.12, 0.15])


def test_takeoff_is_placed_between_two_swept_values_when_the_bands_are_tight():
    mean = np.array([0.02, 0.03, 0.30, 0.60, 0.80])
    t = takeoff(P, mean, mean - 0.01, mean + 0.01)
    # the level: 0.02 + a tenth of the 0.78 rise = 0.098, crossed between 0.08 and 0.1
    assert (t.kind, t.low, t.high) == ("between", 0.08, 0.1)
    assert t.level == pytest.approx(0.098)
    # wide bands: the data place it no closer than 0.06 to 0.12
    wide = takeoff(P, mean, mean - 0.25, mean + 0.25)
    assert (wide.kind, wide.high) == ("by", 0.12)
    assert takeaways.threshold({"graph": {"broadcast": t}}, 0.06, 0.15) == \
        "Cascades take off between p = 0.08 and p = 0.1"
    assert takeaways.threshold({"graph": {"broadcast": wide}}, 0.06, 0.15) == \
        "Cascades take off by p = 0.12"


def test_no_takeoff_in_the_range_is_said_with_the_range_and_the_reach_seen():
    mean = np.array([0.07, 0.10, 0.14, 0.19, 0.24])       # a rise of 17 points
    t = takeoff(P, mean)
    assert t.kind == "beyond"
    title = takeaways.threshold({"personal": {"adapted": t}}, 0.06, 0.15)
    assert title == ("No take-off within the range swept (p 0.06 to 0.15; the share engaged "
                     "rises from 7% to 24%)")
    assert takeoff(P, np.array([0.3, 0.4, 0.5, 0.6, 0.7])).kind == "below"


def test_one_arm_takes_off_first_only_when_the_intervals_do_not_overlap():
    def at(kind, low, high):
        return Takeoff(kind, low, high, 0.05, 0.8, 0.1)

    apart = {"personal": {"adapted": at("between", 0.06, 0.08),
                          "broadcast": at("between", 0.1, 0.12)}}
    assert takeaways.threshold(apart, 0.06, 0.15) == (
        "Adapted content takes off first on the personal network: between p = 0.06 and "
        "p = 0.08, vs between p = 0.1 and p = 0.12 for Broadcast")
    overlap = {"personal": {"adapted": at("between", 0.06, 0.1),
                            "broadcast": at("between", 0.08, 0.12)}}
    assert takeaways.threshold(overlap, 0.06, 0.15) == (
        "Take-off points overlap on the personal network: every strategy takes off between "
        "p = 0.06 and p = 0.12")
    never = {"personal": {"adapted": at("between", 0.06, 0.08),
                          "broadcast": Takeoff("beyond", 0.06, 0.15, 0.05, 0.12)}}
    title = takeaways.threshold(never, 0.06, 0.15)
    assert title.endswith("vs no take-off up to p = 0.15 for Broadcast")
    for case in (apart, overlap, never):
        assert "none" not in takeaways.threshold(case, 0.06, 0.15)


def _threshold_context(curves: dict[str, list[float]], replicates: int = 4) -> Context:
    """Runs whose share of personal members reached follows ``curves`` over :data:`P`."""
    rng = np.random.default_rng(2)
    rows = []
    for arm, shares in curves.items():
        for p, share in zip(P, shares, strict=True):
            for r in range(replicates):
                rows.append({"arm": arm, "seed": 0, "replicate": r, "p": p,
                             "cell": f"p={p:g}", "n_agents": 1000, "members_personal": 1000,
                             "engaged_personal": 1000 * share * (1 + 0.02 * rng.normal()),
                             "engaged": 1000 * share, "reached": 1000 * share})
    runs = pd.DataFrame(rows)
    design = Design(factors=["strategy", "p"], arm="strategy", cells=["p"],
                    levels={"strategy": list(curves), "p": P.tolist()},
                    values=runs[["arm", "p"]].rename(columns={"arm": "strategy"}))
    return _context(runs, ["engaged", "engaged_personal", "reached"], design)


def test_the_threshold_chart_states_the_takeoff_its_bars_mark():
    ctx = _threshold_context({"adapted": [0.02, 0.30, 0.50, 0.70, 0.80],
                              "broadcast": [0.02, 0.03, 0.04, 0.40, 0.60]})
    chart = viral_threshold(ctx)
    found = chart.data["takeoff"]["personal"]
    assert (found["adapted"].low, found["adapted"].high) == (0.06, 0.08)
    assert (found["broadcast"].low, found["broadcast"].high) == (0.1, 0.12)
    bars = {tuple(line.get_xdata()) for line in chart.fig.axes[0].get_lines()
            if line.get_gid() == "takeoff"}
    assert bars == {(0.06, 0.08), (0.1, 0.12)}
    assert chart.title == ("Adapted content takes off first on the personal network: between "
                           "p = 0.06 and p = 0.08, vs between p = 0.1 and p = 0.12 for Broadcast")
    assert "bars at the foot" in chart.subtitle
    # every p in the title is a swept value
    assert {float(v) for v in re.findall(r"p = ([0-9.]+)", chart.title)} <= set(P.tolist())


def test_a_threshold_chart_without_takeoff_draws_no_bars_and_says_so():
    ctx = _threshold_context({"adapted": [0.07, 0.10, 0.14, 0.19, 0.24],
                              "broadcast": [0.05, 0.06, 0.08, 0.1, 0.12]})
    chart = viral_threshold(ctx)
    assert not [line for line in chart.fig.axes[0].get_lines() if line.get_gid() == "takeoff"]
    assert "bars" not in chart.subtitle
    # the shares in the title are those the curves plot
    plotted = [line.get_ydata() for line in chart.fig.axes[0].get_lines()]
    low, high = min(y[0] for y in plotted), max(y[-1] for y in plotted)
    assert chart.title == ("No take-off within the range swept (p 0.06 to 0.15; members "
                           f"engaged from {low:.0f}% to {high:.0f}%)")


def _outlines(chart) -> int:
    return sum(p.get_gid() == "best" for p in chart.fig.axes[0].patches) // 2


def test_the_heatmap_says_outlined_only_when_a_cell_is_outlined(rep):
    ctx = _threshold_context({"adapted": [0.1, 0.3, 0.5, 0.7, 0.8],
                              "broadcast": [0.05, 0.2, 0.4, 0.6, 0.7]})
    chart = heatmap(ctx)           # no statistics within the cells: nothing is clearly best
    assert _outlines(chart) == 0
    assert "outlined" not in chart.subtitle
    assert "no cell is clearly the best of its column" in chart.subtitle
    drawn = _charts(rep)["heatmap"]
    clear = sum(c for *_, c in drawn.data["best"])
    assert _outlines(drawn) == clear
    assert ("outlined:" in drawn.subtitle) == (clear > 0)


# --- loyalty over time, colours and the summary: on a real (small) sweep ---

@pytest.fixture(scope="module")
def rep(tmp_path_factory):
    root = tmp_path_factory.mktemp("charts")
    sweep = write_sweep(root / "sweep", strategies=["broadcast", "adapted", "influencers"],
                        replicates=3, overrides=["n=300", "steps=12"],
                        grid={"p": [0.05, 0.1, 0.2]}, name="charts")
    return report(sweep, root / "report", bootstrap=200, deck=False)


@pytest.fixture(scope="module")
def rep_one_cell(tmp_path_factory):
    root = tmp_path_factory.mktemp("charts_one_cell")
    sweep = write_sweep(root / "sweep", strategies=["broadcast", "adapted", "influencers"],
                        replicates=3, overrides=["n=300", "steps=12"], name="one_cell")
    return report(sweep, root / "report", bootstrap=200, deck=False)


def _charts(rep):
    return {c.name: c for c in rep.charts}


def test_loyalty_title_pooled_over_another_factor_claims_no_figure(rep):
    title = _charts(rep)["loyalty_over_time"].title
    assert "pooled over" in title
    assert not re.search(r"[+-]\d+\.\d", title)


def test_loyalty_title_states_the_gains_its_panels_end_on_over_an_axis_from_zero(rep_one_cell):
    chart = _charts(rep_one_cell)["loyalty_over_time"]
    axes = [ax for ax in chart.fig.axes if ax.get_lines()]
    ends = {}
    for ax in axes:
        layer = (ax.get_title(loc="left") or ax.get_title()).split()[0].lower()
        for line in ax.get_lines():
            if not line.get_label().startswith("_"):
                ends[(layer, line.get_label())] = float(line.get_ydata()[-1])
        low, high = ax.get_ylim()
        assert low <= 0 <= high            # a change from the start, 0 included
        assert ax.get_lines()[0].get_ydata()[0] == pytest.approx(0)
    gains = chart.data["gains"]
    assert {(layer, display(a)): v for layer, by in gains.items() for a, v in by.items()} == \
        pytest.approx(ends)
    told = [float(v) for v in re.findall(r"([+-]\d+\.\d) points", chart.title)] + \
        [float(v) for v in re.findall(r"vs ([+-]\d+\.\d)", chart.title)]
    assert told
    for value in told:
        assert any(abs(value - v) < 0.051 for v in ends.values()), (value, ends)


def test_members_loyalty_titles_claim_a_leader_only_where_clear():
    gains = {"personal": {"adapted": 10.5, "broadcast": 4.0},
             "professional": {"adapted": 17.5, "broadcast": 9.0}}
    assert takeaways.members_loyalty(gains, {"personal": True, "professional": True}, 30) == (
        "Adapted content builds members' loyalty fastest on the professional network: +17.5 "
        "points by day 30, vs +9.0 for Broadcast")
    assert takeaways.members_loyalty(gains, {"personal": True}, 30).endswith(
        "on the personal network: +10.5 points by day 30, vs +4.0 for Broadcast")
    assert takeaways.members_loyalty(gains, {}, 30) == (
        "No clear leader on members' loyalty: changes of +4.0 to +17.5 points by day 30")
    one = {"personal": {"adapted": 10.5}, "professional": {"adapted": -1.25}}
    assert takeaways.members_loyalty(one, {}, 30) == (
        "Members' loyalty changes by +10.5 points on the personal network and -1.2 points on "
        "the professional network by day 30")


def _lab(colour: str) -> np.ndarray:
    rgb = np.array(mcolors.to_rgb(colour))
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                    [0.0193, 0.1192, 0.9505]]) @ lin / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def test_no_arm_colour_looks_like_a_network_colour():
    arms = set(STRATEGY_COLOURS.values()) | set(ARM_COLOURS)
    layers = set(LAYER_COLOURS.values())
    assert not arms & layers
    for arm, layer in itertools.product(arms, layers):
        a, b = _lab(arm), _lab(layer)
        assert np.linalg.norm(a - b) >= 30, (arm, layer)      # CIE76 distance
        chroma_a, chroma_b = np.hypot(*a[1:]), np.hypot(*b[1:])
        if chroma_a >= 15 and chroma_b >= 15:               # both coloured: another hue
            hue = abs(np.degrees(np.arctan2(a[2], a[1]) - np.arctan2(b[2], b[1]))) % 360
            assert min(hue, 360 - hue) >= 25, (arm, layer)
    many = palette([f"split={k / 20:g}" for k in range(20)] + ["adapted"])
    assert set(many.values()) <= arms


def test_an_arm_has_one_colour_in_every_chart_and_no_network_colour(rep):
    charts = _charts(rep)
    hexed = mcolors.to_hex
    line_colours = {}
    for name in ("reach_over_time", "loyalty_over_time", "viral_threshold"):
        for ax in charts[name].fig.axes:
            for line in ax.get_lines():
                if not line.get_label().startswith("_"):
                    line_colours.setdefault(line.get_label(), set()).add(hexed(line.get_color()))
    ax = charts["ranking_reached"].fig.axes[0]
    at = {float(y): t.get_text() for y, t in zip(ax.get_yticks(), ax.get_yticklabels(),
                                                   strict=True)}
    bar_colours = {at[round(p.get_y() + p.get_height() / 2, 6)]: hexed(p.get_facecolor())
                   for p in ax.patches}
    assert set(bar_colours) == {display(a) for a in ("broadcast", "adapted", "influencers")}
    for arm, colour in bar_colours.items():
        assert line_colours[arm] == {colour}, arm
    # the cascade colours people by network: those colours are no arm's
    cascade = charts["cascade"].fig.axes[0]
    people = {hexed(c) for coll in cascade.collections for c in coll.get_facecolors()
              if coll.get_label() and not coll.get_label().startswith(("_", "seed"))}
    assert people and people <= set(LAYER_COLOURS.values())
    assert not people & set(bar_colours.values())


def test_the_html_summary_stands_alone_with_its_charts_embedded(rep):
    class Images(HTMLParser):
        def __init__(self):
            super().__init__()
            self.src = []

        def handle_starttag(self, tag, attrs):
            if tag == "img":
                self.src.append(dict(attrs)["src"])

    page = Images()
    page.feed((rep.out / "summary.html").read_text())
    assert len(page.src) == len(rep.charts) > 0
    for src, chart in zip(page.src, rep.charts, strict=True):
        assert src.startswith("data:image/png;base64,")
        data = base64.b64decode(src.split(",", 1)[1], validate=True)
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert data == chart.files["png"].read_bytes()
    assert "src=\"charts/" not in (rep.out / "summary.html").read_text()


@pytest.mark.parametrize("words", [12, 30, 60])
def test_a_long_title_wraps_inside_the_figure_and_never_breaks_an_equation(words):
    from sim.report import style

    fig, _ = style.figure(1, 2, squeeze=False)
    title = " ".join(["Adapted content takes off between p = 0.06 and p = 0.08"] * (words // 10))
    style.finish("long", fig, title, "what is plotted " * words, "footnote")
    renderer = fig.canvas.get_renderer()
    width = fig.bbox.width
    for text in fig.texts[:2]:
        box = text.get_window_extent(renderer)
        assert 0 <= box.x0 and box.x1 <= width - style.MARGIN * fig.dpi + 1
        for line in text.get_text().split("\n"):
            assert not line.startswith(("=", "0.")) and not line.endswith(("p", "="))


def test_a_loyalty_title_pooled_over_p_names_a_leader_only_if_it_leads_in_every_cell():
    from sim.report.outcomes import OUTCOMES

    def lead(order, clear):
        return takeaways.Lead(OUTCOMES["loyalty_gain"], order, [0.1, 0.05], clear, order[:1],
                              None, None)

    both = {"p=0.06": lead(["adapted", "broadcast"], True),
            "p=0.15": lead(["adapted", "broadcast"], True)}
    assert takeaways.loyalty_within_cells(both, 60) == (
        "Adapted content builds the most loyalty at every p swept (members' gains by day 60, "
        "pooled over p)")
    one = {**both, "p=0.15": lead(["adapted", "broadcast"], False)}
    swapped = {**both, "p=0.15": lead(["broadcast", "adapted"], True)}
    for cells in (one, swapped):
        assert takeaways.loyalty_within_cells(cells, 60) == (
            "Members' loyalty gained by day 60, pooled over p: no strategy leads clearly at "
            "every p")
