"""Per-step, per-layer counters in preallocated arrays, turned into one tidy table at the end.

Columns of the time series (one row per step and channel: each layer, plus the owned channel
in full mode) are documented in the README's output reference. Counters (events in the step)
cover brand content; negative word of mouth has its own counters (``backlash_seen``,
``detractions``). Gauges (``mean_loyalty``, ``loyal``, ``detractors``, ``members``) describe the
channel's members at the end of the step; ``spent`` is the campaign's money spent so far (EUR,
the same on every channel's row).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

COUNTERS: tuple[str, ...] = ("sent", "seen", "expired", "activations", "shares", "spillover",
                             "reached_new", "engaged_new", "backlash_seen", "detractions")
GAUGES: tuple[str, ...] = ("members", "mean_loyalty", "loyal", "detractors", "spent")
#: Cumulative columns: distinct people reached / engaged on the channel up to the step.
CUMULATIVE: dict[str, str] = {"reached": "reached_new", "engaged": "engaged_new"}


class Recorder:
    """Counters of the current step, committed to row ``t`` of one preallocated table.

    The table has shape (rows, counters, channels); rows grow by doubling up to the horizon,
    since a reduction-mode run capped at 10^5 steps usually needs a few dozen.

    Args:
        horizon: the largest step that can be recorded (rows are 0..horizon).
        layer_names: the run's channels, in index order.
        derived: counters computed once at the end from the model's state instead of step by
            step, as ``{name: f(rows) -> (rows, channels) array}``.
    """

    def __init__(self, horizon: int, layer_names: tuple[str, ...],
                 derived: dict | None = None) -> None:
        self.layer_names = layer_names
        self.horizon = horizon
        self.index = {name: k for k, name in enumerate(COUNTERS)}
        self._table = np.zeros((min(horizon, 127) + 1, len(COUNTERS), len(layer_names)),
                               dtype=np.int64)
        self.row = np.zeros((len(COUNTERS), len(layer_names)), dtype=np.int64)
        self.derived = derived or {}
        # allocated on first use: reduction-mode runs never set them
        self.gauges: dict[str, np.ndarray] = {}
        self.last = -1

    def add(self, counter: str, layers: np.ndarray) -> None:
        """Count one event per entry of ``layers`` (layer indices) in the current step."""
        if len(layers):
            self.row[self.index[counter]] += np.bincount(layers,
                                                         minlength=len(self.layer_names))

    def gauge(self, name: str, t: int, values: np.ndarray) -> None:
        """Set gauge ``name`` of step ``t`` (one value per channel)."""
        if name not in self.gauges:
            self.gauges[name] = np.full((self.horizon + 1, len(self.layer_names)), np.nan)
        self.gauges[name][t] = values

    def close_step(self, t: int) -> None:
        """Commit the current step's counters to row ``t`` and reset them."""
        self._reserve(t + 1)
        self._table[t] = self.row
        self.row[:] = 0
        self.last = t

    def skip_step(self, t: int) -> None:
        """Record step ``t`` with no counter set (counters all derived at the end)."""
        self.last = t

    def columns_of(self, channels: slice, layer_names: tuple[str, ...],
                   derived: dict | None = None) -> Recorder:
        """A recorder of the columns ``channels`` only: one run of a batch.

        It has its own ``layer_names`` and ``derived`` counters.
        """
        out = Recorder(self.horizon, layer_names, derived)
        out._table = self._table[..., channels].copy()
        out.row = self.row[:, channels].copy()
        out.gauges = {name: arr[:, channels].copy() for name, arr in self.gauges.items()}
        out.last = self.last
        return out

    def _reserve(self, rows: int) -> None:
        have = self._table.shape[0]
        if rows > have:
            grown = np.zeros((min(max(2 * have, rows), self.horizon + 1),
                              *self._table.shape[1:]), dtype=np.int64)
            grown[:have] = self._table
            self._table = grown

    def arrays(self) -> dict[str, np.ndarray]:
        """Counters, cumulative columns and gauges, shape (steps recorded, channels)."""
        rows = self.last + 1
        self._reserve(rows)
        out = {name: self._table[:rows, k] for name, k in self.index.items()}
        for name, compute in self.derived.items():
            out[name] = compute(rows)
        for name, source in CUMULATIVE.items():
            out[name] = np.cumsum(out[source], axis=0)
        for name in GAUGES:
            arr = self.gauges.get(name)
            out[name] = (arr[:rows] if arr is not None
                         else np.full((rows, len(self.layer_names)), np.nan))
        return out

    def series(self) -> dict[str, np.ndarray]:
        """The same figures as :meth:`arrays`, one 1-D series per (figure, channel).

        Named ``<figure>_<channel>`` (``reached_personal``, ``mean_loyalty_owned``), except
        ``spent``, the same on every channel, given once. Each has one value per step recorded.
        """
        out = {}
        for name, arr in self.arrays().items():
            if name == "spent":
                out[name] = arr[:, 0]
                continue
            for c, channel in enumerate(self.layer_names):
                out[f"{name}_{channel}"] = arr[:, c]
        return out

    def columns(self) -> dict[str, np.ndarray]:
        """The tidy time series as columns, one row per (step, layer).

        ``layer`` holds the index of the layer in ``layer_names``.
        """
        arrays = self.arrays()
        steps = self.last + 1
        n_layers = len(self.layer_names)
        data = {
            "step": np.repeat(np.arange(steps, dtype=np.int64), n_layers),
            "layer": np.tile(np.arange(n_layers, dtype=np.int8), steps),
        }
        for name, arr in arrays.items():
            data[name] = arr.reshape(-1)
        return data


class SeriesCollector:
    """A model's recorded series, read the way a ``mesa.DataCollector``'s model data is read.

    Nothing is collected: every read builds the table from the model's preallocated arrays,
    so stepping pays nothing for it. Compatible with Mesa: :attr:`model_vars` (name -> list,
    one value per step) and :meth:`get_model_vars_dataframe` (one column per series), and
    :meth:`collect`, which code written for a ``DataCollector`` may call (it does nothing).
    Not compatible: the series are the model's, not reporters of your choosing (for those, a
    ``mesa.DataCollector`` of your own, collected after each ``model.step()``); there are no
    agent or agent-type reporters or tables; rows start at step 0, the launch, which the
    model's constructor runs.

    Args:
        series: returns the series as ``{name: (steps recorded,) array}``, all of one length.
    """

    def __init__(self, series: Callable[[], dict[str, np.ndarray]]) -> None:
        self._series = series

    @property
    def model_vars(self) -> dict[str, list]:
        """Each series as a list, one value per step from 0 (``DataCollector.model_vars``)."""
        return {name: values.tolist() for name, values in self._series().items()}

    def get_model_vars_dataframe(self) -> pd.DataFrame:
        """One column per series, one row per step, indexed by ``step`` from 0."""
        series = self._series()
        rows = len(next(iter(series.values()))) if series else 0
        return pd.DataFrame(series, index=pd.RangeIndex(rows, name="step"))

    def collect(self, model: Any) -> None:
        """Nothing to do: the model records every step itself."""

    def get_agent_vars_dataframe(self) -> pd.DataFrame:
        """Refused, as by a ``DataCollector`` without agent reporters.

        Raises:
            UserWarning: always (what ``mesa.DataCollector`` raises); read agents with
                ``model.agents.get(...)``, or collect them with a ``mesa.DataCollector`` of
                your own.
        """
        raise UserWarning("the model records model-level series only: read agents with "
                          "model.agents.get(...), or collect them with a mesa.DataCollector "
                          "with agent_reporters")
