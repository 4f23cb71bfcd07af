"""The single run's reach chart: people reached and engaged per channel, each in its colour."""

import matplotlib.colors as mcolors
import numpy as np
import pandas as pd

from sim import load_config, simulate
from sim.outputs.charts import plot_reach, reach_lines, reach_title, save_reach_chart


def _series(channels: list[str], steps: int = 5) -> pd.DataFrame:
    rows = [{"step": t, "layer": name, "reached": 2 * (k + 1) * t, "engaged": (k + 1) * t}
            for t in range(steps) for k, name in enumerate(channels)]
    df = pd.DataFrame(rows)
    df["layer"] = pd.Categorical(df["layer"], categories=channels)
    return df


def test_every_channel_has_its_own_line_and_colour():
    channels = ["personal", "professional", "owned", "topic", "somewhere_else"]
    # (the fixture's channels reach people from step 1 on, so each has its lines)
    ax = plot_reach(_series(channels))
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == [
        f"{c} {what}" for c in channels for what in ("reached", "engaged")]
    colours = {mcolors.to_hex(line.get_color()) for line in lines}
    assert len(colours) == len(channels)
    # a channel's two lines share its colour; engaged is dashed
    assert lines[4].get_color() == lines[5].get_color() and lines[5].get_linestyle() == "--"
    assert np.array_equal(lines[4].get_ydata(), 6 * np.arange(5))
    assert np.array_equal(lines[5].get_ydata(), 3 * np.arange(5))


def test_the_chart_is_written_as_a_png(tmp_path):
    path = save_reach_chart(_series(["graph"]), tmp_path / "reach.png", name="t")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["reach.png"]   # no temporary left


def test_the_run_chart_takes_its_style_from_outputs_not_from_the_report():
    import subprocess
    import sys

    from sim.outputs import style
    from sim.report import style as deck_style

    ax = plot_reach(_series(["personal", "professional"]))
    assert [mcolors.to_hex(line.get_color()) for line in ax.get_lines()] == [
        style.LAYER_COLOURS["personal"]] * 2 + [style.LAYER_COLOURS["professional"]] * 2
    assert ax.figure.get_size_inches().tolist() == list(style.SIZE)
    # one definition: the deck style uses the same frame, resolution and colours
    for name in ("SIZE", "DPI", "LAYER_COLOURS", "EXTRA_COLOURS"):
        assert getattr(deck_style, name) is getattr(style, name)
    probe = "import sys, sim.outputs.charts; print('sim.report.style' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "False"


def test_a_runs_chart_ends_on_its_summary_and_its_title_gives_the_same_numbers():
    result = simulate(load_config(["n=2000", "steps=30", "output.write_trace=false"]))
    s = result.summary
    ax = plot_reach(result.timeseries)
    ends = {line.get_label(): line.get_ydata()[-1] for line in ax.get_lines()}
    for channel in ("personal", "professional"):
        assert ends[f"{channel} reached"] == s[f"reached_{channel}"]
        assert ends[f"{channel} engaged"] == s[f"engaged_{channel}"]
    # no owned channel in this run: nobody reached there, no line
    assert s["reached_owned"] == 0 and "owned reached" not in ends
    # more people saw the content than shared it: the chart does not plot activations
    assert s["reached_personal"] > s["engaged_personal"] > 0
    title = reach_title("default", reach_lines(result.timeseries))
    assert (f"personal {s['reached_personal']:,} reached, {s['engaged_personal']:,} engaged"
            in title)
    assert f"professional {s['reached_professional']:,} reached" in title
    assert "owned" not in title


def test_importing_the_run_charts_leaves_a_notebooks_backend_alone(tmp_path):
    """A notebook's backend (inline, or any other) survives importing the charts, and the
    run's files are still written."""
    import subprocess
    import sys

    code = (
        "import matplotlib; matplotlib.use('svg')\n"
        "import sim.outputs.charts as charts, sim.outputs.cascade\n"
        "assert matplotlib.get_backend() == 'svg', matplotlib.get_backend()\n"
        "import pandas as pd\n"
        "ts = pd.DataFrame({'step': [0, 1], 'layer': ['personal'] * 2, 'reached': [1, 5],"
        " 'engaged': [0, 2]})\n"
        f"charts.save_reach_chart(ts, {str(tmp_path / 'reach.png')!r}, name='x')\n"
        "assert matplotlib.get_backend() == 'svg'\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "reach.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
