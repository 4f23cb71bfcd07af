"""The single run's reach chart: one line per channel, each in its own colour."""

import matplotlib.colors as mcolors
import numpy as np
import pandas as pd

from sim.outputs.charts import plot_reach, save_reach_chart


def _series(channels: list[str], steps: int = 5) -> pd.DataFrame:
    rows = [{"step": t, "layer": name, "reach": (k + 1) * t}
            for t in range(steps) for k, name in enumerate(channels)]
    df = pd.DataFrame(rows)
    df["layer"] = pd.Categorical(df["layer"], categories=channels)
    return df


def test_every_channel_has_its_own_line_and_colour():
    channels = ["personal", "professional", "owned", "topic", "somewhere_else"]
    ax = plot_reach(_series(channels))
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == channels
    colours = {mcolors.to_hex(line.get_color()) for line in lines}
    assert len(colours) == len(channels)
    assert np.array_equal(lines[2].get_ydata(), 3 * np.arange(5))


def test_the_chart_is_written_as_a_png(tmp_path):
    path = save_reach_chart(_series(["graph"]), tmp_path / "reach.png", title="t")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["reach.png"]   # no temporary left


def test_the_run_chart_takes_its_style_from_outputs_not_from_the_report():
    import subprocess
    import sys

    from sim.outputs import style
    from sim.report import style as deck_style

    ax = plot_reach(_series(["personal", "professional"]))
    assert [mcolors.to_hex(line.get_color()) for line in ax.get_lines()] == [
        style.LAYER_COLOURS["personal"], style.LAYER_COLOURS["professional"]]
    assert ax.figure.get_size_inches().tolist() == list(style.SIZE)
    # one definition: the deck style uses the same frame, resolution and colours
    for name in ("SIZE", "DPI", "LAYER_COLOURS", "EXTRA_COLOURS"):
        assert getattr(deck_style, name) is getattr(style, name)
    probe = "import sys, sim.outputs.charts; print('sim.report.style' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "False"
