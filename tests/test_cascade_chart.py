"""One post's diffusion tree as a picture: what the drawing holds, and who writes it.

The drawing is read back from what :func:`plot_cascade` returns and from the matplotlib
artists it made (edges per network, cross-posts, positions), on activations built by hand;
the command-line switch and ``mindshare-report --cascade`` are run on a small real run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import matplotlib.colors as mcolors
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection
from PIL import Image
from sweep_helpers import MINDSHARE

from sim import load_config
from sim.config import ConfigError
from sim.outputs.cascade import (
    NoCascade,
    cascade_title,
    pick_tree,
    plot_cascade,
    read_activations,
    save_cascade_chart,
)
from sim.outputs.style import LAYER_COLOURS

REPORT = str(Path(sys.executable).parent / "mindshare-report")
P, Q, OWN = "personal", "professional", "owned"


def _acts(rows: list[tuple[int, int, int, str, int]]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["agent", "post", "parent", "layer", "step"])
    df["layer"] = pd.Categorical(df["layer"], categories=[P, Q, OWN])
    return df


#: Post 0: a seed (agent 0, personal) and five people; agent 2 got it by a cross-post from
#: the personal network to the professional one and passed it on there (agent 4). Post 1: a
#: seed and one person. Post 2: an owned-channel reader who passed it on on their personal
#: network (a reader shares on all their networks: not a cross-post).
SMALL = _acts([
    (0, 0, -1, P, 0),
    (1, 0, 0, P, 1), (2, 0, 0, Q, 1),
    (3, 0, 1, P, 2), (5, 0, 1, P, 4), (4, 0, 2, Q, 3),
    (7, 1, -1, Q, 5), (8, 1, 7, Q, 6),
    (9, 2, -1, OWN, 10), (6, 2, 9, P, 11),
])


def test_the_largest_tree_is_chosen_and_drawn_with_its_networks_and_cross_posts():
    tree = pick_tree(SMALL)
    assert (tree.post, tree.size, tree.generations, tree.days, tree.trees) == (0, 6, 2, 4, 1)
    assert tree.chosen == "the run's largest tree"
    # breadth-first: by generation, then day
    assert tree.people["agent"].tolist() == [0, 1, 2, 3, 4, 5]
    assert tree.people["up"].tolist() == [-1, 0, 0, 1, 2, 1]
    assert tree.layer_counts() == {P: 4, Q: 2}

    drawing = plot_cascade(tree)
    assert drawing.edges_per_layer() == {P: 3, Q: 2}
    assert drawing.cross_posts == 1
    cross = drawing.edges[drawing.edges["cross"]]
    assert (cross["parent"].tolist(), cross["child"].tolist()) == ([0], [2])
    assert not drawing.cut and drawing.cut_note() == ""
    # days left to right; a parent sits midway between its first and last child
    assert drawing.people["x"].tolist() == [0, 1, 1, 2, 3, 4]
    y = drawing.people["y"].to_numpy()
    assert y[0] == pytest.approx((y[1] + y[2]) / 2) and y[1] == pytest.approx((y[3] + y[5]) / 2)
    assert len(set(y[[3, 4, 5]])) == 3                     # leaves never on top of each other

    # what was drawn: solid edges in the network's colour, the cross-post dashed
    lines = [c for c in drawing.ax.collections if isinstance(c, LineCollection)]
    solid, dashed = (next(c for c in lines if c.get_label() == k) for k in ("_edges", "_cross"))
    assert len(solid.get_segments()) == 4 and len(dashed.get_segments()) == 1
    assert mcolors.to_hex(dashed.get_colors()[0]) == LAYER_COLOURS[Q]
    assert [tuple(p) for p in dashed.get_segments()[0]] == [(0.0, y[0]), (1.0, y[2])]
    labels = drawing.ax.get_legend().get_texts()
    assert [t.get_text() for t in labels] == [
        "personal: 4 people", "professional: 2 people", "seed placement (the root)",
        "cross-post to another network (1)"]
    assert cascade_title(drawing, "tiny").splitlines() == [
        "tiny: post 0, 6 people in one tree, 2 generations over 4 days",
        "the run's largest tree, the post's only one"]


def test_by_generation_the_x_axis_is_the_depth():
    drawing = plot_cascade(pick_tree(SMALL), by="generation")
    assert drawing.people["x"].tolist() == [0, 1, 1, 2, 2, 2]
    with pytest.raises(ValueError, match="by='week'"):
        plot_cascade(pick_tree(SMALL), by="week")


def test_a_post_can_be_asked_for_and_a_post_nobody_shared_is_refused():
    tree = pick_tree(SMALL, post=1)
    assert (tree.post, tree.size, tree.people["agent"].tolist()) == (1, 2, [7, 8])
    assert tree.chosen == "the largest tree of the post asked for"
    with pytest.raises(NoCascade, match=r"nobody shared post 7 \(posts shared: 0-2\)"):
        pick_tree(SMALL, post=7)
    with pytest.raises(NoCascade, match="no activations"):
        pick_tree(SMALL.iloc[:0])


def test_an_owned_channel_readers_share_is_not_a_cross_post():
    drawing = plot_cascade(pick_tree(SMALL, post=2))
    assert drawing.tree.root_is_placement is False
    assert drawing.edges_per_layer() == {P: 1} and drawing.cross_posts == 0
    assert "owned-channel reader (the root)" in [
        t.get_text() for t in drawing.ax.get_legend().get_texts()]


def test_a_big_tree_is_cut_to_its_first_generations_and_the_title_says_so():
    # a binary tree of 300 people on one post, and a second tree of 2
    n = 300
    rows = [(0, 0, -1, P, 0)] + [(i, 0, (i - 1) // 2, Q if i % 7 == 0 else P,
                                  int(np.log2(i + 1))) for i in range(1, n)]
    rows += [(n, 0, -1, Q, 3), (n + 1, 0, n, Q, 4)]
    tree = pick_tree(_acts(rows))
    assert tree.size == n and tree.trees == 2
    drawing = plot_cascade(tree, max_people=150)
    assert drawing.shown == 150 and drawing.cut
    up = drawing.people["up"].to_numpy()
    assert (up[1:] >= 0).all() and (up[1:] < np.arange(1, 150)).all()   # parents kept
    assert drawing.people["depth"].max() == 7       # the first 150 of a binary tree: depth 0-7
    assert len(drawing.edges) == 149
    title = cascade_title(drawing, "big")
    assert title.splitlines()[0] == "big: post 0, 300 people in one tree, 8 generations over 8 days"
    assert "first 150 of 300 people shown" in title and "1 of the post's 2" in title


def test_the_png_is_written_whole_and_a_run_with_no_tree_gets_a_chart_saying_so(tmp_path):
    drawing = save_cascade_chart(SMALL, tmp_path / "cascade.png", name="t")
    assert drawing is not None and drawing.tree.size == 6
    assert Image.open(tmp_path / "cascade.png").size == (2666, 1500)
    assert save_cascade_chart(SMALL.iloc[:0], tmp_path / "none.png") is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cascade.png", "none.png"]


# --- the switch, on a real run ------------------------------------------------------------

RUN = ["n=2000", "steps=30", "p=0.08"]


def mindshare(args, cwd):
    return subprocess.run([MINDSHARE, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def test_the_switch_writes_cascade_png_and_a_rerun_without_it_leaves_none(tmp_path):
    run_dir = tmp_path / "run"
    proc = mindshare([*RUN, "output.cascade_chart=true", f"hydra.run.dir={run_dir}"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    png = run_dir / "cascade.png"
    assert Image.open(png).size == (2666, 1500)
    assert (run_dir / "reach.png").exists()
    status = json.loads((run_dir / "status.json").read_text())
    assert status["files"]["cascade.png"]["bytes"] == png.stat().st_size   # recorded
    assert not [p for p in run_dir.iterdir() if p.name.endswith(".tmp")]
    # the run's own tree is non-trivial, so the chart drew people, not the "no tree" note
    assert pick_tree(read_activations(run_dir)).size > 2

    # the same run directory without the switch: no cascade.png is left behind
    proc = mindshare([*RUN, f"hydra.run.dir={run_dir}"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert not png.exists() and (run_dir / "summary.json").exists()

    # drawn afterwards from the finished directory, by post
    out = tmp_path / "drawn"
    proc = subprocess.run([REPORT, "--cascade", str(run_dir), "--post", "1", "--out", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"cascade: {out / 'cascade.png'}"
    assert Image.open(out / "cascade.png").size == (2666, 1500)
    proc = subprocess.run([REPORT, "--cascade", str(run_dir), "--post", "99"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("mindshare-report: error: nobody shared post 99")
    assert not png.exists()


def test_the_switch_is_off_by_default():
    assert load_config().output.cascade_chart is False
    assert load_config().output.cascade_post is None


@pytest.mark.parametrize(("overrides", "message"), [
    (["output.cascade_post=3"],
     "output.cascade_post=3: applies only with output.cascade_chart=true"),
    (["output.cascade_chart=true", "output.cascade_post=10"],
     "output.cascade_post=10: must be below 10 (strategy.posts=10; posts are numbered from 0)"),
    (["output.cascade_chart=true", "mode=independent_cascade", "output.cascade_post=1"],
     "output.cascade_post=1: must be below 1 (mode=independent_cascade, which has one post"),
    (["output.cascade_chart=true", "output.cascade_post=-1"],
     "output.cascade_post=-1: must be in [0, 9999]"),
    (["output.cascade_chart=maybe"], "output.cascade_chart='maybe'"),
])
def test_a_bad_value_is_refused_naming_the_key_and_what_to_set(overrides, message):
    with pytest.raises(ConfigError) as err:
        load_config(overrides)
    assert str(err.value).startswith(message)


def test_the_command_refuses_a_bad_value_before_writing_anything(tmp_path):
    proc = mindshare(["n=300", "steps=3", "output.cascade_post=3",
                      f"hydra.run.dir={tmp_path / 'run'}"], tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "mindshare: error: output.cascade_post=3: applies only with "
        "output.cascade_chart=true (set it, or leave cascade_post null)")
    assert not (tmp_path / "run").exists()
