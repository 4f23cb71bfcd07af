"""Per-step, per-layer counters in preallocated arrays, turned into one tidy table at the end.

Columns of the time series (one row per step and layer; see the README's output reference):

=================  =================================================================
``sent``           exposures that entered feeds on the layer in the step
``seen``           exposures seen by their receiver (each gets one share decision)
``expired``        exposures that left feeds unseen after ``network.feed_ttl`` steps
``activations``    agents activated through the layer (seeds counted on their layer)
``shares``         share events on the layer (activations plus cross-posts into it)
``spillover``      exposures sent on the layer by a share that started on another layer
``newly_exposed``  agents who saw brand content on the layer for the first time
``reach``          cumulative ``activations``
``exposed``        cumulative ``newly_exposed``
=================  =================================================================
"""

from __future__ import annotations

import numpy as np
import pandas as pd

COUNTERS: tuple[str, ...] = ("sent", "seen", "expired", "activations", "shares", "spillover",
                             "newly_exposed")
CUMULATIVE: dict[str, str] = {"reach": "activations", "exposed": "newly_exposed"}


class Recorder:
    """Counters of the current step, committed to row ``t`` of preallocated arrays.

    Args:
        horizon: the largest step that can be recorded (rows are 0..horizon).
        layer_names: the run's layers, in index order.
    """

    def __init__(self, horizon: int, layer_names: tuple[str, ...]) -> None:
        self.layer_names = layer_names
        n_layers = len(layer_names)
        self.table = {name: np.zeros((horizon + 1, n_layers), dtype=np.int64)
                      for name in COUNTERS}
        self._row = {name: np.zeros(n_layers, dtype=np.int64) for name in COUNTERS}
        self.last = -1

    def add(self, counter: str, layers: np.ndarray) -> None:
        """Count one event per entry of ``layers`` (layer indices) in the current step."""
        if len(layers):
            self._row[counter] += np.bincount(layers, minlength=len(self.layer_names))

    def close_step(self, t: int) -> None:
        """Commit the current step's counters to row ``t`` and reset them."""
        for name, row in self._row.items():
            self.table[name][t] = row
            row[:] = 0
        self.last = t

    def arrays(self) -> dict[str, np.ndarray]:
        """Counters and cumulative columns, shape (steps recorded, n_layers)."""
        out = {name: arr[: self.last + 1] for name, arr in self.table.items()}
        for name, source in CUMULATIVE.items():
            out[name] = np.cumsum(out[source], axis=0)
        return out

    def frame(self) -> pd.DataFrame:
        """The tidy time series: one row per (step, layer)."""
        arrays = self.arrays()
        steps = self.last + 1
        n_layers = len(self.layer_names)
        data = {
            "step": np.repeat(np.arange(steps, dtype=np.int64), n_layers),
            "layer": pd.Categorical(np.tile(np.array(self.layer_names), steps),
                                    categories=list(self.layer_names)),
        }
        for name, arr in arrays.items():
            data[name] = arr.reshape(-1)
        return pd.DataFrame(data)
