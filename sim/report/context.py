"""Everything the charts of a report read, gathered once in a :class:`Context`.

The context holds the runs, time series, design, statistics, colours, the order of the arms
and the footnote; :func:`band` computes the bootstrap bands of the curves and
:func:`footnote` the footnote.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.report.design import Design, short_key
from sim.report.stats import boot_means, resample_counts
from sim.report.takeaways import Lead, lead


@dataclass
class Context:
    """What the charts draw from.

    Attributes:
        root: the sweep directory (the cascade drawing reads one run's activations there).
        runs: complete runs with ``arm`` and ``cell`` labels.
        timeseries: their time series with ``arm``, ``cell``, ``seed`` and ``replicate``.
        design: factors, arm and cells.
        arms: per-arm statistics pooled over cells (``cell == "all"``).
        diffs: paired differences pooled over cells.
        cell_arms: per-arm statistics within each cell (empty without cells).
        cell_diffs: paired differences within each cell.
        outcomes: the outcomes compared.
        order: arms, best first on the primary outcome.
        colours: colour of each arm.
        footnote: the footnote of every chart.
        bootstrap: resamples for the bands.
        seed: seed of the bands' generator.
        notes: what the charts left out and why (the report lists them).
    """

    root: Path
    runs: pd.DataFrame
    timeseries: pd.DataFrame
    design: Design
    arms: pd.DataFrame
    diffs: pd.DataFrame
    cell_arms: pd.DataFrame
    cell_diffs: pd.DataFrame
    outcomes: list[str]
    order: list[str]
    colours: dict[str, str]
    footnote: str
    bootstrap: int = 2000
    seed: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def pooled(self) -> str:
        """What the arm charts pool over, for their subtitles (empty without cells)."""
        if not self.design.cells:
            return ""
        parts = [f"{short_key(f)} ({len(self.design.levels[f])} values)"
                 for f in self.design.cells]
        return "; pooled over " + " and ".join(parts)

    @property
    def horizon(self) -> int:
        """The last step of the time series."""
        return int(self.timeseries["step"].max()) if len(self.timeseries) else 0

    def lead(self, key: str) -> Lead | None:
        """The lead on outcome ``key``, read within each cell when the sweep has cells."""
        return lead(self.arms, self.diffs, key, within=(self.cell_arms, self.cell_diffs))

    def rng(self, salt: int) -> np.random.Generator:
        """A generator for one chart's bands, independent of the others'."""
        return np.random.default_rng([self.seed, salt])


def band(units: pd.DataFrame, rng: np.random.Generator, b: int,
         level: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean of each column over the rows (replicate units) with a percentile bootstrap band.

    Args:
        units: one row per replicate unit, one column per x value (steps, p values).
        rng: the generator of the resamples.
        b: resamples.
        level: coverage of the band.

    Returns:
        ``(mean, low, high)`` per column; the band is NaN with fewer than two units.
    """
    values = units.to_numpy(dtype=np.float64)
    mean = np.nanmean(values, axis=0) if len(values) else np.full(values.shape[1], np.nan)
    if len(values) < 2:
        nan = np.full_like(mean, np.nan)
        return mean, nan, nan
    boot = boot_means(resample_counts(rng, len(values), b), values)
    q = [(1 - level) / 2, (1 + level) / 2]
    low, high = np.nanquantile(boot, q, axis=0)
    return mean, low, high


def footnote(runs: pd.DataFrame, complete: pd.DataFrame, design: Design, fingerprint: str,
             order: list[str]) -> str:
    """The footnote of every chart, from the runs and the design.

    It tells the runs (failed, missing), arms x replicates, N, horizon, seeds, config
    fingerprint and version.
    """
    failed = int((runs["status"] == "failed").sum())
    missing = int((runs["status"] == "missing").sum())
    parts = [f"{len(complete):,} runs" + (f" ({failed} failed, {missing} missing)"
                                          if failed or missing else "")]
    reps = complete.groupby(["arm", "cell"]).size()
    rep_text = f"{reps.min()}" if reps.min() == reps.max() else f"{reps.min()}-{reps.max()}"
    if design.arm is not None:
        parts.append(f"{len(order)} {'strategies' if design.by_strategy else 'arms'}"
                     f" x {rep_text} replicates")
    else:
        parts.append(f"{rep_text} replicates")
    n = complete["n_agents"].dropna() if "n_agents" in complete else pd.Series(dtype=float)
    if len(n):
        parts.append(f"N = {int(n.min()):,}" if n.min() == n.max()
                     else f"N = {int(n.min()):,}-{int(n.max()):,}")
    if "config.steps" in complete and complete["config.mode"].eq("full").all():
        parts.append(f"{int(complete['config.steps'].max())} days")
    seeds = sorted(complete["seed"].dropna().unique().tolist())
    parts.append(f"seed {seeds[0]}" if len(seeds) == 1 else f"seeds {seeds[0]}-{seeds[-1]}")
    parts.append(f"config {fingerprint}")
    version = complete.get("version_mindshare")
    if version is not None and version.notna().any():
        parts.append(f"mindshare {version.dropna().iloc[0]}")
    return "  |  ".join(parts)
