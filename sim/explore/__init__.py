"""The explorer: one run (or two strategies side by side) stepped live in the browser.

``mindshare explore`` serves it on 127.0.0.1 (extra ``explore``: ``pip install
'mindshare[explore]'``). The package is in three parts, each usable without the next:

- :mod:`sim.explore.session`: the state logic, no web library: the levers and assumptions a
  user can move and their ranges (from the config schema), the model that steps one or two
  strategies on the same world with the same random numbers, the fixed sample of agents the
  network view draws, and the override line that reproduces the setting on the command line;
- :mod:`sim.explore.views`: the matplotlib figures of that state (the two layers side by side,
  the curves per layer);
- :mod:`sim.explore.app`: the Solara page, built from Mesa's own play / step / reset
  controller (:func:`mesa.visualization.solara_viz.ModelController`) and the views.

It sits above the command line in the layers because configs are composed as the command line
composes them (:func:`sim.cli.compose.load_config`), so a setting in the explorer and its
override line on the command line give the same run.
"""
