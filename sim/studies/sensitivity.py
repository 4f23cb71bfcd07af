"""Designs over an assumption box, and what they tell about an effect: share, band, indices.

A robustness study (:mod:`sim.studies.robustness`) draws *worlds*, points of a box of D
assumptions, with a space-filling design; gets one effect per world (a paired difference);
and asks: in what share of worlds does the effect have the claimed sign (:func:`share_holding`),
how large is it across worlds (:func:`band`), which assumptions drive it (:func:`indices`) and
where does it fail (:func:`failure_region`). The designs and the indices are SALib's, the
confidence interval of a share is scipy's, the failure region is a scikit-learn decision tree;
this module only maps between them and the study's terms.

Designs (all sampled on the unit cube, then mapped to natural units):

- ``sobol``: Saltelli's scheme for first and total order Sobol indices (SALib
  ``sample.sobol`` with ``calc_second_order=False``, scrambled Sobol' points): ``N (D + 2)``
  worlds, ``N`` as many as fit in the worlds asked, at least 2. Sobol' points are best
  balanced when ``N`` is a power of two (scipy warns otherwise); with 30 or so assumptions a
  power of two would often waste half the worlds asked, so any ``N`` is taken and the
  warning is not shown.
- ``morris``: Morris trajectories (SALib ``sample.morris``, 4 levels): ``r (D + 1)`` worlds,
  ``r`` as many as fit, at least 2; indices are ``mu*`` (mean absolute elementary effect),
  its interval and ``sigma``. A screening design: it ranks, it does not apportion variance.
- ``lhs``: a Latin hypercube of exactly the worlds asked (``scipy.stats.qmc``); first-order
  indices by RBD-FAST (SALib ``analyze.rbd_fast``, which takes any sample), no total order,
  and each assumption's Spearman rank correlation with the effect, with an interval
  (Fisher's z, Bonferroni-adjusted over the D assumptions), which ranks the assumptions: with
  a hundred or so worlds over thirty assumptions RBD-FAST's intervals are too wide to rank,
  while a monotone driver shows in the rank correlation (the rank-based measures of
  uncertainty propagation with Latin hypercube samples, Helton and Davis 2003).

A dimension on a log scale is uniform in ``log(x)``; an integer dimension gives every integer
of ``[low, high]`` the same mass (``floor(low + u (high - low + 1))``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats
from scipy.stats import qmc

METHODS = ("sobol", "morris", "lhs")
#: Levels of the Morris grid (SALib's default).
MORRIS_LEVELS = 4
#: Bootstrap resamples of the indices' confidence intervals (SALib's default); RBD-FAST's
#: bootstrap recomputes a periodogram per resample and assumption, so it takes fewer (its
#: index is second to the rank correlation, which has a closed-form interval).
RESAMPLES = 100
RBD_RESAMPLES = 50
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Dimension:
    """One assumption of the box: its key and plausible range."""

    key: str
    low: float
    high: float
    log: bool = False
    integer: bool = False


@dataclass(frozen=True)
class Design:
    """The worlds of a study.

    Attributes:
        method: ``sobol``, ``morris`` or ``lhs``.
        dimensions: the assumptions, in column order.
        unit: worlds x D, the sampler's points in [0, 1].
        values: worlds x D, in natural units.
        base: Saltelli's N, the Morris trajectories, or the LHS size.
        seed: the sampler's seed.
    """

    method: str
    dimensions: tuple[Dimension, ...]
    unit: np.ndarray
    values: np.ndarray
    base: int
    seed: int

    @property
    def worlds(self) -> int:
        """How many worlds."""
        return int(self.unit.shape[0])

    @property
    def keys(self) -> list[str]:
        """The assumptions' keys, in column order."""
        return [d.key for d in self.dimensions]


def problem(dimensions: Sequence[Dimension]) -> dict:
    """SALib's problem: every variable on [0, 1] (the mapping to natural units is ours)."""
    return {"num_vars": len(dimensions), "names": [d.key for d in dimensions],
            "bounds": [[0.0, 1.0]] * len(dimensions)}


def _check(dimensions: Sequence[Dimension]) -> None:
    if not dimensions:
        raise ValueError("a design needs at least one assumption")
    for d in dimensions:
        if not (math.isfinite(d.low) and math.isfinite(d.high)) or d.low >= d.high:
            raise ValueError(f"{d.key}: low={d.low:g} must be below high={d.high:g}")
        if d.log and d.low <= 0:
            raise ValueError(f"{d.key}: a log-scale range must be positive, not low={d.low:g}")


def to_values(unit: np.ndarray, dimensions: Sequence[Dimension]) -> np.ndarray:
    """Map points of the unit cube to natural units, column by column."""
    out = np.empty_like(unit, dtype=float)
    for j, d in enumerate(dimensions):
        u = unit[:, j]
        if d.integer:
            out[:, j] = np.minimum(np.floor(d.low + u * (d.high - d.low + 1)), d.high)
        elif d.log:
            out[:, j] = np.exp(np.log(d.low) + u * (np.log(d.high) - np.log(d.low)))
        else:
            out[:, j] = d.low + u * (d.high - d.low)
    return out


def to_unit(key: str, value: float, dimensions: Sequence[Dimension]) -> float:
    """A natural value of dimension ``key`` back on the unit scale.

    The inverse of :func:`to_values`; for integers, the lower edge of the integer's cell.
    """
    d = next(d for d in dimensions if d.key == key)
    if d.integer:
        return (value - d.low) / (d.high - d.low + 1)
    if d.log:
        return (math.log(value) - math.log(d.low)) / (math.log(d.high) - math.log(d.low))
    return (value - d.low) / (d.high - d.low)


def from_unit(key: str, u: float, dimensions: Sequence[Dimension]) -> float:
    """A point on dimension ``key``'s unit scale in natural units (a threshold: not rounded)."""
    d = next(d for d in dimensions if d.key == key)
    if d.integer:
        return d.low + u * (d.high - d.low + 1)
    if d.log:
        return math.exp(math.log(d.low) + u * (math.log(d.high) - math.log(d.low)))
    return d.low + u * (d.high - d.low)


def minimum_worlds(method: str, n_dims: int) -> int:
    """The fewest worlds a design of ``method`` over ``n_dims`` assumptions can have."""
    return {"sobol": 2 * (n_dims + 2), "morris": 2 * (n_dims + 1), "lhs": 2}[method]


def design(dimensions: Sequence[Dimension], worlds: int, *, method: str = "sobol",
           seed: int = 0) -> Design:
    """Draw at most ``worlds`` worlds over the box (see the module's docstring for each method).

    Raises:
        ValueError: an unknown method, a bad range, or fewer worlds than the method needs
            (the message names the minimum).
    """
    dims = tuple(dimensions)
    _check(dims)
    if method not in METHODS:
        raise ValueError(f"method={method!r}: must be one of {', '.join(METHODS)}")
    need = minimum_worlds(method, len(dims))
    if worlds < need:
        raise ValueError(f"--worlds={worlds}: a {method} design over {len(dims)} assumptions "
                         f"needs at least {need} worlds")
    prob = problem(dims)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if method == "sobol":
            from SALib.sample import sobol as saltelli  # noqa: PLC0415 - SALib: ~0.3 s

            base = worlds // (len(dims) + 2)
            unit = saltelli.sample(prob, base, calc_second_order=False, scramble=True,
                                   seed=seed)
        elif method == "morris":
            from SALib.sample import morris  # noqa: PLC0415 - SALib: only the method used

            base = worlds // (len(dims) + 1)
            unit = morris.sample(prob, base, num_levels=MORRIS_LEVELS, seed=seed)
        else:
            base = worlds
            unit = qmc.LatinHypercube(d=len(dims), seed=seed).random(worlds)
    unit = np.asarray(unit, dtype=float)
    return Design(method, dims, unit, to_values(unit, dims), int(base), seed)


@dataclass(frozen=True)
class Index:
    """One assumption's sensitivity indices for one effect.

    ``first``/``total`` (sobol; ``first`` only for lhs) are shares of the effect's variance
    across worlds; ``mu_star``, ``mu_star_conf``, ``sigma`` (morris) are in the effect's units
    per unit of the assumption's unit-scaled range. Missing ones are NaN. ``*_conf`` is the
    half-width of the 95% bootstrap interval.
    """

    key: str
    first: float = math.nan
    first_conf: float = math.nan
    total: float = math.nan
    total_conf: float = math.nan
    mu_star: float = math.nan
    mu_star_conf: float = math.nan
    sigma: float = math.nan
    rank_corr: float = math.nan
    rank_corr_conf: float = math.nan

    @property
    def importance(self) -> float:
        """What the indices are sorted by: total, else mu*, else |rank correlation|, else first."""
        for value in (self.total, self.mu_star, abs(self.rank_corr), self.first):
            if math.isfinite(value):
                return value
        return -math.inf

    @property
    def clear(self) -> bool:
        """Whether the ranking measure is above 0 by more than its interval's half-width."""
        for value, conf in ((self.total, self.total_conf), (self.mu_star, self.mu_star_conf),
                            (abs(self.rank_corr), self.rank_corr_conf),
                            (self.first, self.first_conf)):
            if math.isfinite(value):
                return math.isfinite(conf) and value - conf > 0
        return False


def indices(design_: Design, y: np.ndarray, *, seed: int = 0) -> list[Index]:
    """The sensitivity indices of the effect ``y`` (one value per world), most important first.

    Raises:
        ValueError: ``y`` does not have one finite value per world, or it does not vary.
    """
    y = np.asarray(y, dtype=float)
    if y.shape != (design_.worlds,):
        raise ValueError(f"{y.size} effects for {design_.worlds} worlds")
    missing = int((~np.isfinite(y)).sum())
    if missing:
        raise ValueError(f"{missing} of {y.size} worlds have no effect; the indices need all")
    if np.ptp(y) == 0:
        raise ValueError("the effect is the same in every world: nothing to apportion")
    prob = problem(design_.dimensions)
    keys = design_.keys
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore")
        if design_.method == "sobol":
            from SALib.analyze import sobol  # noqa: PLC0415 - SALib: only the method used

            si = sobol.analyze(prob, y, calc_second_order=False, num_resamples=RESAMPLES,
                               conf_level=CONFIDENCE, seed=seed)
            out = [Index(k, first=float(si["S1"][j]), first_conf=float(si["S1_conf"][j]),
                         total=float(si["ST"][j]), total_conf=float(si["ST_conf"][j]))
                   for j, k in enumerate(keys)]
        elif design_.method == "morris":
            from SALib.analyze import morris  # noqa: PLC0415 - SALib: only the method used

            si = morris.analyze(prob, design_.unit, y, num_resamples=RESAMPLES,
                                conf_level=CONFIDENCE, num_levels=MORRIS_LEVELS, seed=seed)
            out = [Index(k, mu_star=float(si["mu_star"][j]),
                         mu_star_conf=float(si["mu_star_conf"][j]),
                         sigma=float(si["sigma"][j])) for j, k in enumerate(keys)]
        else:
            from SALib.analyze import rbd_fast  # noqa: PLC0415 - SALib: the method used

            si = rbd_fast.analyze(prob, design_.unit, y, num_resamples=RBD_RESAMPLES,
                                  conf_level=CONFIDENCE, seed=seed)
            rho, conf = rank_correlations(design_.unit, y)
            out = [Index(k, first=float(si["S1"][j]), first_conf=float(si["S1_conf"][j]),
                         rank_corr=float(rho[j]), rank_corr_conf=float(conf[j]))
                   for j, k in enumerate(keys)]
    return sorted(out, key=lambda i: -i.importance)


def rank_correlations(unit: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each column's Spearman correlation with ``y``, and the half-width of its interval.

    The interval is Fisher's z interval at :data:`CONFIDENCE`, Bonferroni-adjusted over the
    columns (so that all of them hold together), mapped back and halved.
    """
    n, d = unit.shape
    rho = np.array([stats.spearmanr(unit[:, j], y)[0] for j in range(d)], dtype=float)
    rho = np.nan_to_num(rho)
    crit = stats.norm.ppf(1 - (1 - CONFIDENCE) / (2 * d)) / math.sqrt(max(n - 3, 1))
    z = np.arctanh(np.clip(rho, -0.999999, 0.999999))
    conf = (np.tanh(z + crit) - np.tanh(z - crit)) / 2
    return rho, conf


@dataclass(frozen=True)
class Share:
    """In how many worlds a finding holds, with a confidence interval (Wilson)."""

    holds: int
    worlds: int
    share: float
    low: float
    high: float


def share_holding(y: np.ndarray, *, higher: bool = True,
                  confidence: float = CONFIDENCE) -> Share:
    """The share of worlds whose effect has the claimed sign (a tie does not hold).

    The interval is Wilson's (``scipy.stats.binomtest``), as if the worlds were independent
    draws; a quasi-random design spreads them more evenly, so it is approximate.

    Raises:
        ValueError: no world.
    """
    y = np.asarray(y, dtype=float)
    if y.size == 0:
        raise ValueError("no world to count")
    holds = int((y > 0).sum() if higher else (y < 0).sum())
    ci = stats.binomtest(holds, y.size).proportion_ci(confidence_level=confidence,
                                                       method="wilson")
    return Share(holds, int(y.size), holds / y.size, float(ci.low), float(ci.high))


def band(y: np.ndarray) -> tuple[float, float, float]:
    """The effect's median and its 10% and 90% quantiles across worlds."""
    y = np.asarray(y, dtype=float)
    med, lo, hi = np.quantile(y, [0.5, 0.1, 0.9])
    return float(med), float(lo), float(hi)


@dataclass(frozen=True)
class Rule:
    """One condition of a region: ``key < threshold`` or ``key >= threshold`` (natural units)."""

    key: str
    op: str
    threshold: float

    def text(self, name: str | None = None) -> str:
        """``share.fatigue >= 0.8``."""
        return f"{name or self.key} {self.op} {self.threshold:.3g}"


@dataclass(frozen=True)
class Region:
    """A box of the assumption space where a finding fails more often than on average.

    Attributes:
        rules: its conditions (all hold in the box).
        worlds: worlds in the box.
        fails: failing worlds in the box.
        coverage: the box's share of all failing worlds.
        density: the share of the box's worlds that fail.
    """

    rules: tuple[Rule, ...]
    worlds: int
    fails: int
    coverage: float
    density: float

    def text(self, names: Mapping[str, str] | None = None) -> str:
        """The rules joined by ``and``."""
        names = names or {}
        return " and ".join(r.text(names.get(r.key)) for r in self.rules)


#: A box is reported only if its score (coverage x density) beats that of the best box found
#: when the failures are shuffled across worlds, in all but this share of shuffles: a
#: permutation test of the whole search, so that a box noise alone would make is not reported.
REGION_ALPHA = 0.05
#: Shuffles of that test.
PERMUTATIONS = 99


def failure_region(design_: Design, holds: np.ndarray, *, max_rules: int = 2,
                   min_share: float = 0.05, seed: int = 0) -> Region | None:
    """Where the finding fails: a box found by a shallow decision tree on the assumptions.

    A classification tree (scikit-learn, depth ``max_rules``, leaves of at least ``min_share``
    of the worlds) learns *fails* from the worlds' unit-scaled assumptions. Every node of the
    tree below its root is a box; the candidate is the box that best trades coverage (its
    share of all failing worlds) against density (the share of its worlds that fail), by the
    largest product of the two among boxes denser than the overall failure rate (ties: the
    shallower). It is reported only if that product beats the best box of the same search on
    the failures shuffled across worlds in at least 95% of :data:`PERMUTATIONS` shuffles
    (:data:`REGION_ALPHA`). Its path's splits are its rules, two splits on one key merged into
    the tighter one, thresholds mapped back to natural units.

    Returns:
        The region, or None when every world holds or every world fails (nothing to tell
        apart), or when no box fails clearly more often than noise would make one.
    """
    fails = ~np.asarray(holds, dtype=bool)
    n = fails.size
    if n == 0 or fails.all() or not fails.any():
        return None
    leaf = max(1, math.ceil(min_share * n))
    found = _best_box(design_.unit, fails, max_rules, leaf, seed)
    if found is None:
        return None
    rng = np.random.default_rng(seed)
    beaten = 0
    for _ in range(PERMUTATIONS):
        null = _best_box(design_.unit, rng.permutation(fails), max_rules, leaf, seed)
        beaten += null is not None and null[0] >= found[0]
    if (1 + beaten) / (1 + PERMUTATIONS) > REGION_ALPHA:
        return None
    _, tree, node, k, m = found
    total = int(fails.sum())
    return Region(_path_rules(tree, node, design_), m, k, k / total, k / m)


def _best_box(unit: np.ndarray, fails: np.ndarray, depth_: int, leaf: int, seed: int):
    """``(score, tree, node, fails in it, worlds in it)`` of the best box, or None."""
    from sklearn.tree import DecisionTreeClassifier  # noqa: PLC0415 - scikit-learn: ~0.5 s

    tree = DecisionTreeClassifier(max_depth=depth_, min_samples_leaf=leaf, random_state=seed)
    tree.fit(unit, fails)
    member = tree.decision_path(unit).toarray().astype(bool)   # worlds x nodes
    depth = _depths(tree)
    rate, total = fails.mean(), int(fails.sum())
    best = None
    for node in range(1, member.shape[1]):
        inside = member[:, node]
        k, m = int(fails[inside].sum()), int(inside.sum())
        if m == 0 or k / m <= rate:
            continue
        score = (k / total) * (k / m)
        if best is None or (score, -depth[node]) > (best[0], -depth[best[2]]):
            best = (score, tree, node, k, m)
    return best


def _depths(tree) -> list[int]:
    t = tree.tree_
    depth = [0] * t.node_count
    for node in range(t.node_count):
        for child in (t.children_left[node], t.children_right[node]):
            if child != -1:
                depth[child] = depth[node] + 1
    return depth


def _path_rules(tree, leaf: int, design_: Design) -> tuple[Rule, ...]:
    """The splits on the way from the root to node ``leaf``, merged per key and direction."""
    t = tree.tree_
    parent = {}
    for node in range(t.node_count):
        for child, side in ((t.children_left[node], "<"), (t.children_right[node], ">=")):
            if child != -1:
                parent[child] = (node, side)
    bounds: dict[tuple[str, str], float] = {}
    node = leaf
    while node in parent:
        node, side = parent[node]
        key = design_.keys[t.feature[node]]
        u = float(t.threshold[node])
        prev = bounds.get((key, side))
        if prev is None or (side == "<" and u < prev) or (side == ">=" and u > prev):
            bounds[(key, side)] = u
    order = {k: i for i, k in enumerate(design_.keys)}
    rules = [Rule(key, side, from_unit(key, u, design_.dimensions))
             for (key, side), u in sorted(bounds.items(), key=lambda kv: (order[kv[0][0]],
                                                                          kv[0][1] == "<"))]
    return tuple(rules)
