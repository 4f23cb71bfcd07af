"""The chart style shared by a single run's chart and the sweep report's charts.

It holds the 16:9 frame, the resolution, one colour per channel (layer) and the colours of
further lines, and the single run's chart settings.

The report's deck style (:mod:`sim.report.style`) builds on these, and a run's reach chart
(:mod:`sim.outputs.charts`) uses them directly, so a channel has the same colour in a run's
chart as in every report. Plain constants: importing this module loads no plotting library.
"""

from __future__ import annotations

SIZE = (13.33, 7.5)  # inches, 16:9
DPI = 200

#: Colours of the channels: the layers, the owned channel, a single graph file's layer.
LAYER_COLOURS = {"personal": "#3b6fd4", "professional": "#e07b00", "owned": "#2e9e5b",
                 "topic": "#8e44ad", "graph": "#444444"}
#: Colours of further channels (those without a colour above), in order of appearance. A
#: report's arms take colours of other hues (``sim.report.style``), never a channel's.
EXTRA_COLOURS = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9",
                 "#6a3d9a", "#8c564b", "#c0392b", "#7a8b00", "#17becf", "#1b3a5c",
                 "#7f7f7f", "#b15928", "#fb9a99", "#33a02c"]

#: matplotlib settings of a single run's chart: a 16:9 slide, large type, no box.
RUN_RC = {
    "figure.figsize": SIZE,
    "font.size": 18,
    "axes.titlesize": 24,
    "axes.labelsize": 20,
    "legend.fontsize": 16,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
