"""A study's trials: an Optuna study in a journal file, asked and told one round at a time.

The study lives in ``<study>/optuna.journal`` (Optuna's journal file storage), so it survives
the command being killed: trials told are kept, and the trials of a round that was cut short
stay *running* and are evaluated again by the next command (their complete runs are skipped by
the sweep's own resume). Each round's sampler is seeded from the study's seed and the round's
number, so the points asked depend on the trials told before, not on how often the command
was restarted. Each trial's results are read back from its runs (:func:`point_results`).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna
from optuna.distributions import FloatDistribution, IntDistribution
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend
from optuna.trial import FrozenTrial, TrialState

from sim.config import override_values
from sim.outputs.rundir import RunState, read_run
from sim.studies.calibration import Parameter
from sim.studies.points import job_dirs, point_name
from sim.sweep.manifest import MANIFEST

JOURNAL = "optuna.journal"
STUDY_NAME = "mindshare"
#: Random points before the sampler (TPE) models the distance: Optuna's default, or a
#: quarter of the trials when there are fewer than 40.
STARTUP_TRIALS = 10

optuna.logging.set_verbosity(optuna.logging.WARNING)
logging.getLogger("optuna").setLevel(logging.WARNING)


def open_study(study_dir: str | Path, directions: Sequence[str] = ("minimize",)
               ) -> optuna.Study:
    """The study stored in ``study_dir`` (created when there is none).

    ``directions``: one per objective (``minimize``/``maximize``); a calibration minimises its
    distance, an optimisation has two or three.
    """
    storage = JournalStorage(JournalFileBackend(str(Path(study_dir) / JOURNAL)))
    return optuna.create_study(study_name=STUDY_NAME, storage=storage,
                               directions=list(directions), load_if_exists=True)


def distributions(parameters: Sequence[Parameter]) -> dict[str, Any]:
    """Optuna's search space of the parameters."""
    return {p.key: (IntDistribution(int(p.low), int(p.high), log=p.log) if p.integer
                    else FloatDistribution(p.low, p.high, log=p.log)) for p in parameters}


def sampler(seed: int, round_index: int, trials: int) -> optuna.samplers.BaseSampler:
    """The seeded sampler of one round: TPE, random for the first trials."""
    startup = min(STARTUP_TRIALS, max(4, trials // 4))
    return optuna.samplers.TPESampler(seed=seed * 100_003 + round_index, n_startup_trials=startup,
                                      multivariate=True, constant_liar=True)


def round_of(trial: FrozenTrial) -> int:
    """The round a trial was asked in."""
    return int(trial.user_attrs.get("round", -1))


def running(study: optuna.Study) -> list[FrozenTrial]:
    """Trials asked but never told: the round that was cut short."""
    return study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))


def ask_round(study: optuna.Study, parameters: Sequence[Parameter], count: int,
              round_index: int, *, seed: int, trials: int) -> list[FrozenTrial]:
    """Ask ``count`` new trials, the round ``round_index``; returns them frozen."""
    return ask_space(study, distributions(parameters), count, round_index,
                     sampler(seed, round_index, trials))


def ask_space(study: optuna.Study, space: dict[str, Any], count: int, round_index: int,
              round_sampler: optuna.samplers.BaseSampler) -> list[FrozenTrial]:
    """Ask ``count`` new trials of ``space`` with ``round_sampler``, the round ``round_index``."""
    study.sampler = round_sampler
    numbers = []
    for _ in range(count):
        trial = study.ask(space)
        trial.set_user_attr("round", round_index)
        numbers.append(trial.number)
    by_number = {t.number: t for t in study.get_trials(deepcopy=False)}
    return [by_number[n] for n in numbers]


def next_round(study: optuna.Study, total: int, batch: int,
               ask: Callable[[int, int], list[FrozenTrial]]
               ) -> tuple[int, list[FrozenTrial]] | None:
    """The round to run next, ``(index, trials)``, or None once ``total`` trials are told.

    A round cut short (trials asked, never told) is run again first, its trials in number
    order; else ``ask(count, index)`` asks a new round of at most ``batch`` trials.
    """
    pending = running(study)
    if pending:
        index = min(round_of(t) for t in pending)
        return index, sorted((t for t in pending if round_of(t) == index),
                             key=lambda t: t.number)
    told = [t for t in study.get_trials(deepcopy=False)
            if t.state in (TrialState.COMPLETE, TrialState.FAIL)]
    left = total - len(told)
    if left <= 0:
        return None
    index = 1 + max((round_of(t) for t in told), default=-1)
    return index, ask(min(batch, left), index)


@dataclass
class PointResult:
    """What the runs of one point gave: each metric's values over replicates, or errors."""

    values: dict[str, list[float]] = field(default_factory=dict)
    complete: int = 0
    failed: list[str] = field(default_factory=list)
    missing: int = 0

    def means(self) -> dict[str, float]:
        """Each metric's mean over the complete replicates."""
        return {k: (sum(v) / len(v) if v else math.nan) for k, v in self.values.items()}


def _number(x: Any) -> float:
    if isinstance(x, bool) or not isinstance(x, int | float):
        return math.nan
    return float(x)


def _listed(root: Path) -> list[dict[str, Any]]:
    """The runs a sweep's manifest lists (none when it has no readable manifest)."""
    try:
        return list(json.loads((root / MANIFEST).read_text())["runs"])
    except (OSError, ValueError, KeyError, TypeError):
        return []


def _add_run(result: PointResult, root: Path, entry: dict[str, Any],
             metrics: Sequence[str]) -> None:
    """Count one listed run into ``result``: its metrics when complete, its error when failed."""
    record = read_run(root / entry["dir"], entry.get("config_hash"))
    if record.state == RunState.COMPLETE and record.summary is not None:
        result.complete += 1
        for m in metrics:
            result.values[m].append(_number(record.summary.get(m)))
    elif record.state == RunState.FAILED:
        error = (record.status or {}).get("error") or "failed"
        result.failed.append(f"{entry['dir']}: {error}")
    else:
        result.missing += 1


def point_results(round_dir: str | Path, number: int, metrics: Sequence[str]) -> PointResult:
    """The results of trial ``number``'s runs in its round's sweep directory.

    Runs are those the round's manifest lists for the point, read with the sweep's states
    (complete runs only count; failed ones give their error).
    """
    root = Path(round_dir)
    jobs = {d.name for d in job_dirs(root, point_name(number))}
    result = PointResult(values={m: [] for m in metrics})
    for entry in _listed(root):
        if entry["dir"].split("/")[0] in jobs:
            _add_run(result, root, entry, metrics)
    return result


def results_by(sweep_dir: str | Path, key: str, metrics: Sequence[str]
               ) -> dict[str, PointResult]:
    """The results of a sweep's runs grouped by the value of override ``key`` (``strategy``).

    Runs are those the sweep's manifest lists, each with the overrides that reproduce it;
    complete runs give their metrics, failed ones their error, others count as missing.
    """
    root = Path(sweep_dir)
    out: dict[str, PointResult] = {}
    for entry in _listed(root):
        value = override_values(entry.get("overrides", [])).get(key)
        if value is not None:
            result = out.setdefault(value, PointResult(values={m: [] for m in metrics}))
            _add_run(result, root, entry, metrics)
    return out


def is_finite(x: float) -> bool:
    """Whether ``x`` is a finite number."""
    return isinstance(x, int | float) and math.isfinite(x)
