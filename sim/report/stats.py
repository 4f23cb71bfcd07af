"""Statistics a reviewer accepts: bootstrap CIs, paired differences, Holm, effect sizes, ranks.

Within each cell of a sweep (see :mod:`sim.report.design`) and for each headline outcome:

- **per arm**: mean over replicates and its 95% **BCa bootstrap** interval (bias-corrected and
  accelerated, Efron 1987; the acceleration is the jackknife skewness of the mean, in closed
  form); ``B`` resamples of the replicates from one seeded :class:`numpy.random.Generator`;
- **paired differences** between every two arms, paired on (seed, replicate), since replicates
  with the same index share their random numbers: mean difference, its BCa interval (same
  resamples), the ratio of means, Cohen's ``d_z`` (mean difference / SD of differences) and a
  two-sided paired t-test;
- **Holm** adjustment of those p-values over all pairs of the cell and outcome; a difference is
  *distinguishable from zero* when its adjusted p-value is below ``alpha`` (0.05);
- **ranking**: arms by mean (best first, by the outcome's better direction) with a compact
  letter display: arms that share a letter are not distinguishable.

Resampling is vectorised: one (B, units) matrix of multinomial counts ``W`` per cell, so every
bootstrap mean is a matrix product ``W @ X / n``; an arm missing some units (failed runs) is
resampled over the units it has. The intervals are not adjusted for multiplicity; the
distinguishable flags are.
"""

from __future__ import annotations

import warnings
from itertools import combinations

import networkx as nx
import numpy as np
import pandas as pd
from scipy import special

from sim.report.outcomes import OUTCOMES

ALPHA = 0.05
LEVEL = 0.95


def resample_counts(rng: np.random.Generator, n: int, b: int) -> np.ndarray:
    """``b`` bootstrap resamples of ``n`` units as a (b, n) matrix of counts (rows sum to n)."""
    idx = rng.integers(0, n, size=(b, n))
    flat = (idx + n * np.arange(b)[:, None]).ravel()
    return np.bincount(flat, minlength=b * n).reshape(b, n).astype(np.float64)


def boot_means(counts: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Bootstrap means (b, k) of ``values`` (n, k) under ``counts`` (b, n).

    NaN values are left out of each resample (the mean is over the units present).
    """
    present = ~np.isnan(values)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (counts @ np.where(present, values, 0.0)) / (counts @ present)


def bca(values: np.ndarray, boot: np.ndarray, level: float = LEVEL) -> tuple[np.ndarray,
                                                                              np.ndarray]:
    """BCa interval of the mean of each column of ``values`` (n, k) from its bootstrap means.

    ``z0 = Phi^-1(share of resamples below the estimate, ties counting half)``;
    ``a = sum(d^3) / (6 sum(d^2)^1.5)`` with ``d`` the deviations from the mean (the jackknife
    acceleration of a mean); bounds are the ``Phi(z0 + (z0 + z) / (1 - a (z0 + z)))``
    quantiles of the resamples for ``z = Phi^-1((1 -+ level) / 2)``. A column whose values are
    all equal gets a zero-width interval; one with fewer than two values gets NaN.

    Returns:
        ``(low, high)``, each of shape (k,).
    """
    n = (~np.isnan(values)).sum(axis=0)
    theta = _nanmean(values, axis=0) if len(values) else np.full(values.shape[1], np.nan)
    b = np.sum(~np.isnan(boot), axis=0)
    below = (np.sum(boot < theta, axis=0) + 0.5 * np.sum(boot == theta, axis=0)) / np.maximum(b, 1)
    below = np.clip(below, 0.5 / np.maximum(b, 1), 1 - 0.5 / np.maximum(b, 1))
    z0 = special.ndtri(below)
    dev = values - theta
    with np.errstate(invalid="ignore", divide="ignore"):
        accel = np.nansum(dev ** 3, axis=0) / (6.0 * np.nansum(dev ** 2, axis=0) ** 1.5)
    accel = np.nan_to_num(accel, nan=0.0, posinf=0.0, neginf=0.0)
    z = special.ndtri(np.array([(1 - level) / 2, (1 + level) / 2]))[:, None]
    adjusted = special.ndtr(z0 + (z0 + z) / (1 - accel * (z0 + z)))
    low, high = _column_quantiles(boot, adjusted[0]), _column_quantiles(boot, adjusted[1])
    flat = np.nanmax(values, axis=0, initial=-np.inf) == np.nanmin(values, axis=0,
                                                                    initial=np.inf)
    low, high = np.where(flat, theta, low), np.where(flat, theta, high)
    few = n < 2
    return np.where(few, np.nan, low), np.where(few, np.nan, high)


def _column_quantiles(boot: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Quantile ``q[j]`` of column ``j`` of ``boot`` (NaN left out), linear interpolation."""
    ordered = np.sort(boot, axis=0)  # NaN sort last
    count = np.sum(~np.isnan(boot), axis=0)
    pos = np.clip(q, 0, 1) * np.maximum(count - 1, 0)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, np.maximum(count - 1, 0))
    cols = np.arange(boot.shape[1])
    frac = pos - lo
    out = ordered[lo, cols] * (1 - frac) + ordered[hi, cols] * frac
    return np.where(count > 0, out, np.nan)


def holm(p: np.ndarray) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (step-down, monotone, capped at 1); NaN kept."""
    p = np.asarray(p, dtype=np.float64)
    out = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m:
        order = np.argsort(p[ok])
        adj = np.maximum.accumulate((m - np.arange(m)) * p[ok][order])
        res = np.empty(m)
        res[order] = np.minimum(adj, 1.0)
        out[ok] = res
    return out


def paired_t(diff: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two-sided paired t-test of each column of ``diff`` (n, k), NaN left out.

    Returns:
        ``(t, p, d_z)``; with no spread, p is 1 for a zero mean and 0 otherwise.
    """
    n = (~np.isnan(diff)).sum(axis=0)
    mean = _nanmean(diff, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)     # columns of fewer than 2 values
        sd = np.nanstd(diff, axis=0, ddof=1)
        t = mean / (sd / np.sqrt(n))
        d_z = mean / sd
        p = 2 * special.stdtr(np.maximum(n - 1, 1), -np.abs(t))
    p = np.where(sd == 0, np.where(mean == 0, 1.0, 0.0), p)
    return t, np.where(n >= 2, p, np.nan), d_z


def letters(arms: list[str], same: set[frozenset[str]]) -> dict[str, str]:
    """Compact letter display: ``arms`` in rank order, ``same`` the pairs not distinguishable.

    Each maximal group of mutually indistinguishable arms gets a letter (groups in the order
    of their best arm), so two arms share a letter exactly when no difference was found
    between them.
    """
    graph = nx.Graph()
    graph.add_nodes_from(arms)
    graph.add_edges_from(tuple(pair) for pair in same)
    rank = {a: i for i, a in enumerate(arms)}
    cliques = sorted((sorted(c, key=rank.get) for c in nx.find_cliques(graph)),
                     key=lambda c: [rank[a] for a in c])
    out = {a: "" for a in arms}
    for i, clique in enumerate(cliques):
        mark = _letter(i)
        for a in clique:
            out[a] += mark
    return out


def _letter(i: int) -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyz"
    return alphabet[i] if i < 26 else alphabet[i // 26 - 1] + alphabet[i % 26]


def compare(runs: pd.DataFrame, outcomes: list[str], *, b: int = 4000, seed: int = 0,
            alpha: float = ALPHA, pair: tuple[str, ...] = ("seed", "replicate"),
            ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-arm estimates and paired differences of ``outcomes``, within each cell.

    Args:
        runs: complete runs with ``arm``, ``cell``, the ``pair`` columns and the outcomes.
        outcomes: summary keys to compare.
        pair: columns that identify a replicate unit shared by the arms of a cell (pooling
            cells, add the original cell to them).
        b: bootstrap resamples.
        seed: seed of the bootstrap's generator (``numpy.random.default_rng(seed)``).
        alpha: level of the Holm-adjusted tests.

    Returns:
        ``(arms, differences)``: the tables described in the README, "Reports".
    """
    rng = np.random.default_rng(seed)
    arm_rows, diff_rows = [], []
    for cell, frame in runs.groupby("cell", sort=False, observed=True):
        keys = list(pair)
        unit_index = pd.MultiIndex.from_frame(frame[keys].drop_duplicates().sort_values(keys))
        arms = list(dict.fromkeys(frame["arm"]))
        cube = np.stack([
            frame[frame["arm"] == a].drop_duplicates(keys)
            .set_index(keys)[outcomes].reindex(unit_index)
            .to_numpy(dtype=np.float64) for a in arms])  # (arms, units, outcomes)
        counts = resample_counts(rng, len(unit_index), b)
        boots = {}
        for i, arm in enumerate(arms):
            values = cube[i]
            boots[arm] = boot_means(_counts_for(rng, counts, values), values)
            low, high = bca(values, boots[arm])
            n = (~np.isnan(values)).sum(axis=0)
            for k, key in enumerate(outcomes):
                arm_rows.append({"cell": cell, "outcome": key, "arm": arm, "n": int(n[k]),
                                 "mean": np.nanmean(values[:, k]) if n[k] else np.nan,
                                 "sd": np.nanstd(values[:, k], ddof=1) if n[k] > 1 else np.nan,
                                 "ci_low": low[k], "ci_high": high[k]})
        for (i, a), (j, c) in combinations(enumerate(arms), 2):
            diff = cube[i] - cube[j]
            if np.isnan(cube[i]).sum() + np.isnan(cube[j]).sum() == 0:
                boot = boots[a] - boots[c]  # same resamples: the mean of differences is linear
            else:
                boot = boot_means(_counts_for(rng, counts, diff), diff)
            low, high = bca(diff, boot)
            t, p, d_z = paired_t(diff)
            mean_a, mean_c = _nanmean(cube[i], axis=0), _nanmean(cube[j], axis=0)
            for k, key in enumerate(outcomes):
                diff_rows.append({
                    "cell": cell, "outcome": key, "arm_a": a, "arm_b": c,
                    "n_pairs": int((~np.isnan(diff[:, k])).sum()),
                    "mean_a": mean_a[k], "mean_b": mean_c[k], "diff": _nanmean(diff[:, k]),
                    "ci_low": low[k], "ci_high": high[k],
                    "ratio": mean_a[k] / mean_c[k] if mean_c[k] else np.nan,
                    "d_z": d_z[k], "t": t[k], "p": p[k]})
    arms_table = pd.DataFrame(arm_rows)
    diffs = pd.DataFrame(diff_rows, columns=["cell", "outcome", "arm_a", "arm_b", "n_pairs",
                                             "mean_a", "mean_b", "diff", "ci_low", "ci_high",
                                             "ratio", "d_z", "t", "p"])
    diffs["p_holm"] = diffs.groupby(["cell", "outcome"])["p"].transform(
        lambda s: holm(s.to_numpy()))
    diffs["distinguishable"] = diffs["p_holm"] < alpha
    winner = np.where(_sign(diffs) > 0, diffs["arm_a"], diffs["arm_b"])
    diffs["better"] = np.where(diffs["distinguishable"], winner, None)
    return rank(arms_table, diffs), diffs


def _counts_for(rng: np.random.Generator, counts: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The resamples for ``values`` (units, k): the cell's, or fresh ones of the units it has.

    The cell's ``counts`` when ``values`` has every unit, else resamples of the units it has
    (rows not all NaN), drawn afresh; complete arms are untouched either way.
    """
    present = ~np.isnan(values).all(axis=1)
    if present.all():
        return counts
    own = np.zeros_like(counts)
    if present.any():
        own[:, present] = resample_counts(rng, int(present.sum()), counts.shape[0])
    return own


def _sign(diffs: pd.DataFrame) -> np.ndarray:
    """+1 where arm_a is the better arm of the pair, -1 where arm_b is."""
    lower = diffs["outcome"].map(lambda k: OUTCOMES[k].better == "lower" if k in OUTCOMES
                                 else False).to_numpy(dtype=bool)
    sign = np.sign(diffs["diff"].to_numpy(dtype=np.float64))
    return np.where(lower, -sign, sign)


def rank(arms: pd.DataFrame, diffs: pd.DataFrame) -> pd.DataFrame:
    """Add ``rank``, ``letters`` and ``tied_best`` to the per-arm table.

    ``rank`` is 1 for the best, ``letters`` the compact letter display, ``tied_best`` whether
    the arm is not distinguishable from the rank-1 arm.
    """
    if arms.empty:
        return arms.assign(rank=pd.Series(dtype="Int64"), letters="", tied_best=False)
    parts = []
    for (cell, key), frame in arms.groupby(["cell", "outcome"], sort=False):
        lower = key in OUTCOMES and OUTCOMES[key].better == "lower"
        frame = frame.sort_values("mean", ascending=lower, na_position="last").copy()
        frame["rank"] = np.arange(1, len(frame) + 1)
        pairs = diffs[(diffs["cell"] == cell) & (diffs["outcome"] == key)]
        same = {frozenset((a, b)) for a, b, d in
                zip(pairs["arm_a"], pairs["arm_b"], pairs["distinguishable"], strict=True)
                if not d}
        order = frame["arm"].tolist()
        marks = letters(order, same)
        frame["letters"] = frame["arm"].map(marks)
        best = order[0]
        frame["tied_best"] = [a == best or frozenset((a, best)) in same for a in order]
        parts.append(frame)
    return pd.concat(parts, ignore_index=True)


def _nanmean(values: np.ndarray, axis: int | None = None) -> np.ndarray | float:
    """``np.nanmean`` without the warning on all-NaN slices (NaN there).

    Such a slice is an outcome some arm does not have, such as the professional reach of a
    sweep's personal-only arm.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(values, axis=axis)
