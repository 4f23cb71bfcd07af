"""Optimisation's inputs and arithmetic: the levers searched, the objectives, the Pareto front.

A strategist's question is "what should I do with this budget?": the search is over the
strategy's own levers (:data:`LEVERS`) at a fixed budget, for two or three summary metrics
at once (:func:`parse_objectives`). A trial is a point in the levers' space; it is evaluated on
the same replicates as every other trial (same seed, replicates ``0..R-1``: the same worlds
and the same draws wherever the levers do not change them), so trials are compared paired, and
its value for an objective is the mean over those replicates. The answer is the Pareto front of
the trials' means (:func:`pareto_mask`), each point with its replicate interval, and where each
named strategy stands against it (:func:`shortfall`).

Some levers set more than one key (:attr:`Lever.keys`), and one is a rule rather than a key:
``production``, the share of the money (rewards aside) spent on producing posts, sets the
number of posts it pays for at the trial's cost per post (one variant, or one per platform when
adapted), at least one and at most what leaves one placement per post (the budget's own rule,
:func:`sim.strategies.make_ledger`), and spreads them evenly over the horizon (``interval =
steps // posts``). So every point is a campaign the budget can pay, whose posts are all
published: "more posts or more placements" is one lever at a fixed budget.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import optuna
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

from sim.config import Config
from sim.report.outcomes import OUTCOMES
from sim.strategies.budget import post_prices
from sim.studies.study import ask_space
from sim.sweep.jobs import layer_names

#: The samplers a study may use: Optuna's multi-objective TPE (the default: it models good
#: and bad trials from few evaluations), NSGA-II (a genetic algorithm, for many trials) and
#: random search (the baseline the benchmark compares with).
SAMPLERS = ("tpe", "nsga2", "random")


class OptimiseError(ValueError):
    """A bad input of an optimisation: the message says what and what is allowed."""


@dataclass(frozen=True)
class Lever:
    """One lever of the search: its name, kind and range, and the config keys it sets.

    Attributes:
        name: the name used in the study's outputs and ``--levers``.
        kind: ``float``, ``int``, ``choice`` or ``bool``.
        keys: the config keys set to the lever's value (``posts`` also sets the interval).
        low: smallest value (numbers).
        high: largest value (numbers).
        choices: the values of a ``choice``.
        doc: what the lever is, and where its range comes from.
    """

    name: str
    kind: str
    keys: tuple[str, ...]
    low: float = 0.0
    high: float = 1.0
    choices: tuple[str, ...] = ()
    doc: str = ""


#: Seeding policies and their words in a description.
SEEDING_WORDS = {"random": "random seeding", "degree": "influencer seeding",
                 "engagement": "ambassador seeding", "community": "community seeding",
                 "kcore": "core seeding"}
#: The tone keys: the emotional drivers of every variant (fun on personal content, ambition,
#: security and achievement on professional content, all four on the generic variant).
TONE_KEYS = ("strategy.generic.fun", "strategy.generic.ambition", "strategy.generic.security",
             "strategy.generic.achievement", "strategy.personal.fun",
             "strategy.professional.ambition", "strategy.professional.security",
             "strategy.professional.achievement")

#: The levers of the search, in the order they are described.
LEVERS: tuple[Lever, ...] = (
    Lever("split", "float", ("strategy.split",), 0.0, 1.0,
          doc="share of the placements on the professional layer (all of [0, 1])"),
    Lever("seeding", "choice", ("strategy.seeding",),
          choices=("random", "degree", "engagement", "community", "kcore"),
          doc="who gets the placements (every policy of the schema)"),
    Lever("production", "float", ("strategy.posts", "strategy.interval"), 0.1, 0.9,
          doc="share of the budget (rewards aside) spent producing posts, the rest buying "
              "placements: it sets the number of posts, spread evenly over the horizon "
              "(assumption: from a tenth to nine tenths)"),
    Lever("cadence", "choice", ("strategy.cadence",), choices=("regular", "bursty"),
          doc="posts one by one, or grouped in bursts"),
    Lever("adapted", "bool", ("strategy.adapted",),
          doc="one content variant per platform, or the generic one everywhere"),
    Lever("tone", "float", TONE_KEYS, 0.0, 1.0,
          doc="emotional tone of the content, 0 (rational) to 1 (emotional): the drivers of "
              "every variant (fun on personal content, ambition, security and achievement on "
              "professional content)"),
    Lever("incentive", "float", ("strategy.incentive",), 0.0, 1.0,
          doc="incentive level offered for sharing (all of [0, 1])"),
    Lever("incentive_budget", "float", ("strategy.incentive_budget",), 0.0, 0.5,
          doc="share of the budget set aside for rewards (assumption: at most half; the "
              "shipped incentives strategy sets 0.2)"),
    Lever("cta", "bool", ("strategy.cta",), doc="a call to action to the owned channel"),
    Lever("listening", "bool", ("strategy.listening",),
          doc="reallocate placements between layers on the engagement observed"),
)
LEVERS_BY_NAME = {lever.name: lever for lever in LEVERS}


def select_levers(names: str | Sequence[str] | None) -> list[Lever]:
    """The levers named (comma-separated or a list), in :data:`LEVERS` order; all by default."""
    if names is None or names == "" or names == "all":
        return list(LEVERS)
    wanted = [n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)
    unknown = [n for n in wanted if n not in LEVERS_BY_NAME]
    if unknown:
        raise OptimiseError(f"--levers: unknown {', '.join(unknown)}; the levers are "
                            f"{', '.join(LEVERS_BY_NAME)}")
    if not wanted:
        raise OptimiseError("--levers: name at least one lever")
    return [lever for lever in LEVERS if lever.name in wanted]


def expand(values: Mapping[str, Any], config: Config) -> dict[str, Any]:
    """A trial's lever values as config keys and values (a point file's contents).

    ``config`` is the study's base config: ``production`` turns into ``strategy.posts`` and
    ``strategy.interval`` at its budget, prices and horizon (see the module's docstring).
    """
    out: dict[str, Any] = {}
    for name, value in values.items():
        lever = LEVERS_BY_NAME[name]
        if name == "production":
            continue
        if lever.kind == "int":
            value = int(value)
        elif lever.kind == "float":
            value = float(value)
        elif lever.kind == "bool":
            value = bool(value)
        for key in lever.keys:
            out[key] = value
    if "production" in values:
        posts = posts_paid(float(values["production"]), config, out)
        out["strategy.posts"] = posts
        out["strategy.interval"] = max(1, config.steps // posts)
    return out


def posts_paid(production: float, config: Config, keys: Mapping[str, Any]) -> int:
    """The posts that ``production`` of the money pays for, given the trial's other keys.

    The money is the budget less the rewards pool; a post costs its variants' production
    (:func:`sim.strategies.budget.production_cost`); the count is at least 1, at most what
    leaves one placement per post at the cheapest price, and at most one post a day.
    """
    strategy = dataclasses.replace(config.strategy, **{
        k.removeprefix("strategy."): v for k, v in keys.items()
        if k.startswith("strategy.") and k.count(".") == 1})
    cost, cheapest = post_prices(config.budget, strategy, layer_names(config))
    money = config.budget.total * (1.0 - strategy.incentive_budget)
    most = int(money // (cost + cheapest))
    wanted = int(production * money // cost) if cost > 0 else most
    return max(1, min(wanted, most, config.steps))


def space(levers: Sequence[Lever]) -> dict[str, BaseDistribution]:
    """Optuna's search space of the levers (booleans and choices as categories)."""
    out: dict[str, BaseDistribution] = {}
    for lever in levers:
        if lever.kind == "float":
            out[lever.name] = FloatDistribution(lever.low, lever.high)
        elif lever.kind == "int":
            out[lever.name] = IntDistribution(int(lever.low), int(lever.high))
        elif lever.kind == "bool":
            out[lever.name] = CategoricalDistribution((False, True))
        else:
            out[lever.name] = CategoricalDistribution(lever.choices)
    return out


def make_sampler(kind: str, seed: int, round_index: int, trials: int,
                 batch: int) -> optuna.samplers.BaseSampler:
    """The seeded sampler of one round.

    The points asked depend on the trials told before and on the seed, not on how often the
    command was restarted.
    ``tpe``: multi-objective TPE, random for its first ``min(10, max(4, trials // 4))``
    trials, with a constant liar so a round's points spread; ``nsga2``: NSGA-II with one
    round as its population (at least 4); ``random``: uniform random search.
    """
    round_seed = seed * 100_003 + round_index
    if kind == "tpe":
        return optuna.samplers.TPESampler(seed=round_seed,
                                          n_startup_trials=min(10, max(4, trials // 4)),
                                          multivariate=True, constant_liar=True)
    if kind == "nsga2":
        return optuna.samplers.NSGAIISampler(seed=round_seed, population_size=max(4, batch))
    if kind == "random":
        return optuna.samplers.RandomSampler(seed=round_seed)
    raise OptimiseError(f"--sampler={kind}: one of {', '.join(SAMPLERS)}")


# -- objectives ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Objective:
    """One objective: a ``summary.json`` metric and whether more of it is better.

    Attributes:
        metric: the summary key.
        maximise: True when higher is better.
        label: its name in charts and tables.
    """

    metric: str
    maximise: bool
    label: str

    @property
    def direction(self) -> str:
        """Optuna's name of the direction."""
        return "maximize" if self.maximise else "minimize"


def parse_objectives(text: str, metrics: Sequence[str] | None = None) -> list[Objective]:
    """``reached,loyalty_gain`` (or ``metric:max`` / ``metric:min``) as objectives.

    The direction of a metric the reports know (:data:`sim.report.outcomes.OUTCOMES`) is
    theirs; any other numeric summary metric needs ``:max`` or ``:min``.

    Args:
        text: comma-separated metrics, two or three.
        metrics: the numeric keys of ``summary.json``, to check the names against.
    """
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not 2 <= len(items) <= 3:
        raise OptimiseError(f"--objectives={text}: name two or three summary metrics, "
                            "comma-separated (e.g. reached,loyalty_gain)")
    out = []
    for item in items:
        metric, _, way = item.partition(":")
        if metrics is not None and metric not in metrics:
            raise OptimiseError(f"--objectives: {metric!r} is not a numeric summary metric; "
                                f"for example {', '.join(sorted(OUTCOMES)[:6])}, ...")
        known = OUTCOMES.get(metric)
        if way in ("max", "min"):
            maximise = way == "max"
        elif way:
            raise OptimiseError(f"--objectives: {item!r}: the direction is :max or :min")
        elif known is not None and known.better in ("higher", "lower"):
            maximise = known.better == "higher"
        else:
            raise OptimiseError(f"--objectives: {metric!r} has no known better direction; "
                                f"write {metric}:max or {metric}:min")
        label = known.label if known is not None else metric
        out.append(Objective(metric, maximise, label))
    if len({o.metric for o in out}) != len(out):
        raise OptimiseError(f"--objectives={text}: a metric is named twice")
    return out


# -- the front ------------------------------------------------------------------------------


def _gains(values: np.ndarray, objectives: Sequence[Objective]) -> np.ndarray:
    """Values turned so that higher is better in every column."""
    signs = np.array([1.0 if o.maximise else -1.0 for o in objectives])
    return np.asarray(values, dtype=float).reshape(-1, len(objectives)) * signs


def pareto_mask(values: np.ndarray, objectives: Sequence[Objective]) -> np.ndarray:
    """Which rows of ``values`` (points, objectives) no other row dominates.

    A row dominates another when it is at least as good on every objective and better on one.
    Rows with a non-finite value are never on the front. Equal rows are all on it.
    """
    g = _gains(values, objectives)
    finite = np.isfinite(g).all(axis=1)
    mask = finite.copy()
    idx = np.flatnonzero(finite)
    sub = g[idx]
    for k, row in enumerate(sub):
        better_eq = (sub >= row).all(axis=1)
        strictly = (sub > row).any(axis=1)
        if (better_eq & strictly).any():
            mask[idx[k]] = False
    return mask


def shortfall(point: np.ndarray, front: np.ndarray, objectives: Sequence[Objective],
              scale: np.ndarray) -> tuple[float, int]:
    """How far ``point`` is from the front: the additive epsilon indicator, scaled.

    The smallest ``e`` such that some front point is at most ``e * scale[k]`` better than
    ``point`` on every objective ``k``: the improvement ``point`` needs on every objective at
    once to match a front point, in units of ``scale`` (each objective's range over the trials,
    :func:`trials_scale`).
    Negative when ``point`` beats a front point on every objective, 0 when it equals one on
    some objective and beats it on the others. A point no front point dominates (between two
    of them) can still have ``e > 0``: whether a point is on the front is a separate question
    (:func:`pareto_mask`). Returns ``e`` and the index of the front point that gives it.
    """
    g = _gains(point, objectives)[0]
    f = _gains(front, objectives)
    need = ((f - g) / np.where(scale > 0, scale, 1.0)).max(axis=1)
    best = int(np.argmin(need))
    return float(need[best]), best


def hypervolume(values: np.ndarray, objectives: Sequence[Objective],
                reference: np.ndarray) -> float:
    """The hypervolume the points dominate, up to ``reference`` (in the objectives' units).

    Computed by Optuna's own routine (``optuna._hypervolume.compute_hypervolume``, the one its
    multi-objective samplers use), on losses: every objective turned to "lower is better";
    points not better than the reference on every objective add nothing.
    """
    from optuna._hypervolume import compute_hypervolume  # noqa: PLC0415 - Optuna's internals

    losses = -_gains(values, objectives)
    ref = -_gains(np.asarray(reference, dtype=float), objectives)[0]
    keep = np.isfinite(losses).all(axis=1) & (losses < ref).all(axis=1)
    if not keep.any():
        return 0.0
    return float(compute_hypervolume(losses[keep], ref))


# -- words ----------------------------------------------------------------------------------


def describe(values: Mapping[str, Any], config: Config | int) -> str:
    """A trial's levers in words, at the study's base ``config``.

    For example "40% professional split, adapted content, ambassador seeding, a post every 7
    days (8 posts, 45% of the money on content)". Given only the horizon (``steps``) instead
    of a config, the posts a production share pays for are not known and not said.
    """
    keys = expand(values, config) if isinstance(config, Config) else {}
    parts = []
    if "split" in values:
        parts.append(f"{float(values['split']):.0%} professional split")
    if "adapted" in values:
        parts.append("adapted content" if values["adapted"] else "generic content")
    if "seeding" in values:
        parts.append(SEEDING_WORDS.get(str(values["seeding"]), str(values["seeding"])))
    if "production" in values and keys:
        posts, interval = keys["strategy.posts"], keys["strategy.interval"]
        every = "a post a day" if interval == 1 else f"a post every {interval} days"
        if values.get("cadence") == "bursty":
            every = "posts in bursts"
        parts.append(f"{every} ({posts} posts, {float(values['production']):.0%} of the "
                     "money on content)")
    elif "production" in values:
        parts.append(f"{float(values['production']):.0%} of the money on content")
    elif values.get("cadence") == "bursty":
        parts.append("bursty posting")
    if "tone" in values:
        tone = float(values["tone"])
        word = "emotional" if tone >= 2 / 3 else "rational" if tone <= 1 / 3 else "mixed"
        parts.append(f"{word} tone ({tone:.2f})")
    if float(values.get("incentive", 0.0)) > 0 and float(values.get("incentive_budget", 1)) > 0:
        budget = values.get("incentive_budget")
        share = f", {float(budget):.0%} of the budget" if budget is not None else ""
        parts.append(f"share rewards at level {float(values['incentive']):.2f}{share}")
    elif "incentive" in values:
        parts.append("no share rewards")
    if values.get("cta"):
        parts.append("a call to action")
    if values.get("listening"):
        parts.append("listening")
    return ", ".join(parts)


# -- a study's trials, as the report sees them ------------------------------------------------


@dataclass
class Trial:
    """One evaluated trial: its levers, its runs' values, and where it stands.

    Attributes:
        number: Optuna's trial number.
        values: lever values, by lever name.
        samples: per objective metric, its value in each replicate.
        state: ``complete`` or ``fail``.
        error: why it failed.
        on_front: whether it is on the Pareto front of the complete trials.
    """

    number: int
    values: dict[str, Any]
    samples: dict[str, list[float]] = field(default_factory=dict)
    state: str = "complete"
    error: str = ""
    on_front: bool = False

    def mean(self, metric: str) -> float:
        """The metric's mean over the replicates (NaN when none is a number)."""
        v = [x for x in self.samples.get(metric, []) if x is not None and math.isfinite(x)]
        return float(np.mean(v)) if v else math.nan


def mark_front(trials: Sequence[Trial], objectives: Sequence[Objective]) -> list[Trial]:
    """Set ``on_front`` on the complete trials; the front's trials, by the first objective."""
    done = [t for t in trials if t.state == "complete"]
    for t in trials:
        t.on_front = False
    if not done:
        return []
    values = np.array([[t.mean(o.metric) for o in objectives] for t in done])
    mask = pareto_mask(values, objectives)
    front = [t for t, m in zip(done, mask, strict=True) if m]
    for t in front:
        t.on_front = True
    first = objectives[0]
    return sorted(front, key=lambda t: (-t.mean(first.metric) if first.maximise
                                        else t.mean(first.metric), t.number))


def optimise_inline(evaluate: Callable[[dict[str, Any]], Mapping[str, Sequence[float]]],
                    levers: Sequence[Lever], objectives: Sequence[Objective], *, trials: int,
                    batch: int, seed: int, sampler: str = "tpe") -> list[Trial]:
    """A whole study in this process, in memory: for tests, benchmarks and small problems.

    The same rounds as ``mindshare-optimise`` (the same sampler per round, asked ``batch``
    points at a time, told each point's means), but each point is evaluated by calling
    ``evaluate(values)``, which returns each objective metric's values over the replicates
    (a ``ValueError`` from it, such as a :class:`~sim.config.ConfigError`, fails the trial).
    """
    study = optuna.create_study(directions=[o.direction for o in objectives])
    dist = space(levers)
    out: list[Trial] = []
    round_index = 0
    while len(out) < trials:
        count = min(batch, trials - len(out))
        asked = ask_space(study, dist, count, round_index,
                          make_sampler(sampler, seed, round_index, trials, batch))
        for frozen in asked:
            try:
                samples = {m: [float(x) for x in v]
                           for m, v in evaluate(dict(frozen.params)).items()}
            except ValueError as exc:       # a config the runs refuse (ConfigError)
                study.tell(frozen.number, state=optuna.trial.TrialState.FAIL)
                out.append(Trial(frozen.number, dict(frozen.params), state="fail",
                                 error=str(exc)))
                continue
            trial = Trial(frozen.number, dict(frozen.params), samples)
            means = [trial.mean(o.metric) for o in objectives]
            if all(math.isfinite(m) for m in means):
                study.tell(frozen.number, means)
            else:
                trial.state, trial.error = "fail", "an objective is not a number"
                study.tell(frozen.number, state=optuna.trial.TrialState.FAIL)
            out.append(trial)
        round_index += 1
    mark_front(out, objectives)
    return out


@dataclass
class Named:
    """A shipped named strategy, run at the study's budget on the same replicates.

    Attributes:
        name: the strategy's name (``conf/strategy/<name>.yaml``).
        samples: per objective metric, its value in each replicate.
        shortfall: :func:`shortfall` from the front (negative: beyond a front point).
        nearest: the number of the front trial that gives the shortfall.
        error: why its runs failed, if they did.
    """

    name: str
    samples: dict[str, list[float]] = field(default_factory=dict)
    shortfall: float = math.nan
    nearest: int = -1
    error: str = ""

    def mean(self, metric: str) -> float:
        """The metric's mean over the replicates (NaN when none is a number)."""
        v = [x for x in self.samples.get(metric, []) if x is not None and math.isfinite(x)]
        return float(np.mean(v)) if v else math.nan


@dataclass
class Outcome:
    """Everything an optimisation's report shows.

    Attributes:
        objectives: the objectives, in the order given.
        levers: the levers searched.
        trials: every told trial (complete and failed), by number.
        front: the front's trials, ordered along the first objective (best first).
        named: the named strategies placed against the front (empty when not run).
        settings: ``n``, ``steps``, ``budget`` (EUR), ``replicates``, ``seed``, ``sampler``,
            ``batch``, ``overrides``, ``base_strategy``.
        config: the study's base config (what the levers change is set on it), when known.
    """

    objectives: list[Objective]
    levers: list[Lever]
    trials: list[Trial]
    front: list[Trial]
    named: list[Named]
    settings: dict[str, Any]
    config: Config | None = None

    def words(self, trial: Trial) -> str:
        """A trial's levers in words (:func:`describe`) at the study's base config."""
        return describe(trial.values, self.config if self.config is not None
                        else int(self.settings.get("steps", 60)))


def trials_scale(trials: Sequence[Trial], objectives: Sequence[Objective]) -> np.ndarray:
    """Each objective's range over the complete trials (largest minus smallest mean).

    The unit of :func:`shortfall`: how much of what the search saw a strategy would have to
    gain. An objective on which every trial is equal has range 0; differences in it are then
    counted unscaled.
    """
    values = np.array([[t.mean(o.metric) for o in objectives] for t in trials
                       if t.state == "complete"]).reshape(-1, len(objectives))
    finite = np.where(np.isfinite(values), values, np.nan)
    if not np.isfinite(finite).any():
        return np.zeros(len(objectives))
    return np.nan_to_num(np.nanmax(finite, axis=0) - np.nanmin(finite, axis=0))


def place_named(named: Sequence[Named], front: Sequence[Trial],
                objectives: Sequence[Objective], trials: Sequence[Trial]) -> None:
    """Set each named strategy's shortfall from the front and the front trial nearest it.

    The shortfall is in units of each objective's range over ``trials`` (:func:`trials_scale`).
    """
    if not front:
        return
    values = np.array([[t.mean(o.metric) for o in objectives] for t in front])
    scale = trials_scale(trials, objectives)
    for s in named:
        point = np.array([s.mean(o.metric) for o in objectives])
        if not np.isfinite(point).all():
            continue
        s.shortfall, k = shortfall(point, values, objectives, scale)
        s.nearest = front[k].number
