"""Calibration's inputs and arithmetic: parameters to fit, targets, distance, intervals.

The parameters file lists the assumption parameters to fit, each with a range inside the
schema's; the targets file lists published facts, each a summary metric with a value and a
distance scale ``sd``. A trial's distance is ``sum(weight * ((model - value) / sd) ** 2)``, the
model's value being the mean of the metric over the trial's replicates.

The interval of each fitted parameter comes from approximate Bayesian computation by rejection
on the trials: a trial is accepted when its distance is at most the 90% quantile of a
chi-square distribution with as many degrees of freedom as targets (what the distance of the
true parameters would stay under 90% of the time, were the targets' ``sd`` their errors and
the errors independent and normal); when fewer than :data:`MIN_ACCEPTED` trials pass, the
:data:`MIN_ACCEPTED` best (or the best fifth of the trials, if more) are taken instead. The
interval is the 10-90% range of the accepted values, or their whole range when fewer than
:data:`QUANTILES_FROM` are accepted; it is not a posterior under a stated prior (the trials
come from a sampler that concentrates near good points).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from sim.config import Config
from sim.config.schema import _walk

#: Quantile of the chi-square distribution (df = number of targets) below which a trial's
#: distance is accepted.
ACCEPT_QUANTILE = 0.90
#: Fewest accepted trials: when fewer pass the tolerance, the best :data:`MIN_ACCEPTED`, or the
#: best :data:`MIN_SHARE` of the complete trials if that is more, are taken instead.
MIN_ACCEPTED = 5
MIN_SHARE = 0.2
#: Reported range of the accepted values: these quantiles when at least
#: :data:`QUANTILES_FROM` trials are accepted, else their whole range (the quantiles of a
#: handful of values would be narrower than the values found).
INTERVAL = (0.10, 0.90)
QUANTILES_FROM = 20
#: |z| at or below which the model is within tolerance of a target.
WITHIN_Z = 2.0

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class StudyError(ValueError):
    """A bad input of a study (a parameters or targets file, an override); one line."""


@dataclass(frozen=True)
class Parameter:
    """A parameter to fit: a numeric config key and its search range."""

    key: str
    low: float
    high: float
    log: bool = False
    integer: bool = False
    why: str = ""


@dataclass(frozen=True)
class Target:
    """A published fact: the summary metric that measures it, its value and distance scale."""

    name: str
    metric: str
    value: float
    sd: float
    weight: float = 1.0
    source: str = ""
    figure: str = ""
    measured: str = ""
    tolerance_source: str = ""


def _load(path: str | Path, what: str, flag: str) -> Any:
    p = Path(path)
    if not p.is_file():
        raise StudyError(f"{flag}='{path}': no such file; expected a YAML {what} file")
    try:
        return yaml.safe_load(p.read_text())
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        reason = " ".join(str(exc).split())[:160]
        raise StudyError(f"{flag}='{path}': not a readable YAML file ({reason})") from None


def _number(flag: str, where: str, field: str, value: Any, *, positive: bool = False) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or (positive and value <= 0):
        allowed = "a number > 0" if positive else "a finite number"
        raise StudyError(f"{flag}: {where}.{field}={value!r}: must be {allowed}")
    return float(value)


def schema_numbers() -> dict[str, tuple[bool, float, float]]:
    """Every numeric key of the schema: ``key -> (integer, lo, hi)``."""
    found = {}
    for key, f, value in _walk(Config()):
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        lo, hi = f.metadata.get("lo"), f.metadata.get("hi")
        if lo is None or hi is None:
            continue
        found[key] = (isinstance(value, int), float(lo), float(hi))
    return found


def read_parameters(path: str | Path, flag: str = "--parameters") -> list[Parameter]:
    """The parameters to fit, checked against the schema.

    Raises:
        StudyError: a missing file, an unknown or non-numeric key, a range that is empty,
            outside the schema's, or not positive on a log scale (one line naming the key, the
            value and the allowed range).
    """
    data = _load(path, "parameters", flag)
    items = data.get("parameters") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise StudyError(f"{flag}='{path}': expected a list 'parameters:' of entries with "
                          "key, low, high, log, why")
    numbers = schema_numbers()
    out: list[Parameter] = []
    for i, item in enumerate(items):
        where = f"parameters[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("key"), str):
            raise StudyError(f"{flag}: {where}: expected an entry with key, low, high, log, why")
        key = item["key"]
        where = f"parameters[{i}] ({key})"
        if key not in numbers:
            close = sorted(k for k in numbers if k.split(".")[-1] == key.split(".")[-1])
            hint = f"; did you mean {', '.join(close[:3])}?" if close else ""
            raise StudyError(f"{flag}: key={key!r}: not a numeric config key{hint}")
        if any(p.key == key for p in out):
            raise StudyError(f"{flag}: key={key!r}: listed twice")
        integer, lo, hi = numbers[key]
        low = _number(flag, where, "low", item.get("low"))
        high = _number(flag, where, "high", item.get("high"))
        log = item.get("log", False)
        if not isinstance(log, bool):
            raise StudyError(f"{flag}: {where}.log={log!r}: must be true or false")
        for field, v in (("low", low), ("high", high)):
            if not lo <= v <= hi:
                raise StudyError(f"{flag}: {key}.{field}={v:g}: outside the schema's range of "
                                  f"{key}, [{lo:g}, {hi:g}]")
            if integer and v != int(v):
                raise StudyError(f"{flag}: {key}.{field}={v:g}: {key} is an integer key")
        if not low < high:
            raise StudyError(f"{flag}: {key}: low={low:g}, high={high:g}: must have low < high")
        if log and low <= 0:
            raise StudyError(f"{flag}: {key}.low={low:g}: must be > 0 on a log scale "
                              f"(log: true)")
        why = item.get("why")
        if not isinstance(why, str) or not why.strip():
            raise StudyError(f"{flag}: {where}.why: missing; say where the range comes from "
                              "(or 'assumption: ...')")
        out.append(Parameter(key, low, high, log, integer, why.strip()))
    return out


def read_targets(path: str | Path, flag: str = "--targets") -> list[Target]:
    """The targets (published facts) of a targets file.

    Raises:
        StudyError: a missing file, a target without a snake_case name or metric, a value or
            weight that is not finite, an ``sd`` that is not positive, a name listed twice.
    """
    data = _load(path, "targets", flag)
    items = data.get("targets") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise StudyError(f"{flag}='{path}': expected a list 'targets:' of entries with "
                          "name, metric, value, sd, weight")
    out: list[Target] = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise StudyError(f"{flag}: targets[{i}]: expected an entry with name, metric, "
                              "value, sd, weight")
        name = item.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            raise StudyError(f"{flag}: targets[{i}].name={name!r}: must be a snake_case "
                              "identifier")
        if any(t.name == name for t in out):
            raise StudyError(f"{flag}: targets[{i}].name={name!r}: listed twice")
        where = f"targets[{i}] ({name})"
        metric = item.get("metric")
        if not isinstance(metric, str) or not metric:
            raise StudyError(f"{flag}: {where}.metric={metric!r}: must be a summary.json key")
        value = _number(flag, where, "value", item.get("value"))
        sd = _number(flag, where, "sd", item.get("sd"), positive=True)
        weight = _number(flag, where, "weight", item.get("weight", 1.0), positive=True)
        text = {k: str(item.get(k, "") or "") for k in
                ("source", "figure", "measured", "tolerance_source")}
        out.append(Target(name, metric, value, sd, weight, **text))
    return out


def check_metrics(targets: Sequence[Target], keys: Sequence[str], flag: str = "--targets"
                  ) -> None:
    """Raise a one-line :class:`StudyError` when a target's metric is not a numeric summary key."""
    for t in targets:
        if t.metric not in keys:
            close = sorted(k for k in keys if t.metric.split("_")[0] in k)[:4]
            hint = f" (e.g. {', '.join(close)})" if close else ""
            raise StudyError(f"{flag}: {t.name}.metric={t.metric!r}: not a numeric key of "
                              f"summary.json{hint}")


def check_overrides(parameters: Sequence[Parameter], overrides: Sequence[str]) -> None:
    """Refuse overrides that set a fitted parameter or a key the study sets itself."""
    fitted = {p.key for p in parameters}
    own = {"replicates", "replicate", "name", "hydra.sweep.dir", "hydra.searchpath", "+point",
           "point"}
    for o in overrides:
        key = o.split("=", 1)[0].lstrip("+~")
        if key in fitted:
            raise StudyError(f"{o}: {key} is a fitted parameter (--parameters); leave it out "
                              "of the overrides")
        if key in own or o.split("=", 1)[0] in own:
            raise StudyError(f"{o}: {key} is set by the calibration itself; use --replicates "
                              "or --out")
        if o.startswith("-"):
            raise StudyError(f"{o}: unknown option; see mindshare-calibrate --help")


def distance(targets: Sequence[Target], means: Mapping[str, float]) -> float:
    """``sum(weight * ((mean - value) / sd) ** 2)`` over the targets (``means`` by metric).

    NaN when a metric is missing or not finite.
    """
    total = 0.0
    for t in targets:
        m = means.get(t.metric)
        if m is None or not math.isfinite(m):
            return math.nan
        total += t.weight * ((m - t.value) / t.sd) ** 2
    return total


def tolerance(n_targets: int) -> float:
    """The acceptance threshold of a distance over ``n_targets`` targets (chi-square quantile)."""
    from scipy import stats  # noqa: PLC0415 - start-up: scipy.stats (~0.6 s), not for --help

    return float(stats.chi2.ppf(ACCEPT_QUANTILE, n_targets))


def accept(distances: Sequence[float], n_targets: int) -> tuple[np.ndarray, str]:
    """Which trials are accepted (a boolean mask) and the rule that chose them, in words."""
    d = np.asarray(distances, dtype=float)
    ok = np.isfinite(d)
    tol = tolerance(n_targets)
    mask = ok & (d <= tol)
    least = int(min(max(MIN_ACCEPTED, math.ceil(MIN_SHARE * ok.sum())), ok.sum()))
    if mask.sum() >= least:
        return mask, (f"distance <= {tol:.2f}, the {ACCEPT_QUANTILE:.0%} quantile of a "
                      f"chi-square with {n_targets} degrees of freedom")
    order = np.argsort(np.where(ok, d, np.inf), kind="stable")[:least]
    mask = np.zeros(len(d), dtype=bool)
    mask[order] = True
    return mask, (f"the {least} best trials (only {int((ok & (d <= tol)).sum())} had distance "
                  f"<= {tol:.2f}, the {ACCEPT_QUANTILE:.0%} quantile of a chi-square with "
                  f"{n_targets} degrees of freedom)")


@dataclass(frozen=True)
class Estimate:
    """A fitted parameter: the best trial's value, and the accepted trials' median and range."""

    key: str
    best: float
    median: float
    low: float
    high: float
    accepted: int
    span: str = "10-90%"

    def record(self) -> dict[str, Any]:
        """A row of ``parameters.csv``."""
        return asdict(self)


def estimate(key: str, values: Sequence[float], mask: np.ndarray, best: float) -> Estimate:
    """The estimate of one parameter from every trial's value and the acceptance mask."""
    v = np.asarray(values, dtype=float)[mask]
    span = f"{round(100 * INTERVAL[0])}-{round(100 * INTERVAL[1])}%"
    if not len(v):
        lo, hi = math.nan, math.nan
    elif len(v) >= QUANTILES_FROM:
        lo, hi = np.quantile(v, INTERVAL)
    else:
        lo, hi, span = v.min(), v.max(), "min-max"
    return Estimate(key, float(best), float(np.median(v)) if len(v) else math.nan,
                    float(lo), float(hi), int(len(v)), span)


def replicate_interval(values: Sequence[float]) -> tuple[float, float, float]:
    """Mean and 95% t-interval of a metric over replicates (the mean alone when only one)."""
    v = np.asarray([x for x in values if x is not None and math.isfinite(x)], dtype=float)
    if len(v) == 0:
        return math.nan, math.nan, math.nan
    m = float(v.mean())
    if len(v) < 2:
        return m, m, m
    from scipy import stats  # noqa: PLC0415 - start-up: scipy.stats (~0.6 s), not for --help

    half = float(stats.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / math.sqrt(len(v)))
    return m, m - half, m + half


def definition(parameters: Sequence[Parameter], targets: Sequence[Target], *, replicates: int,
               batch: int, seed: int, overrides: Sequence[str]) -> dict[str, Any]:
    """What a study computes: a rerun with another definition into its directory is refused."""
    return {"parameters": [asdict(p) for p in parameters],
            "targets": [{k: v for k, v in asdict(t).items()
                         if k in ("name", "metric", "value", "sd", "weight")} for t in targets],
            "replicates": replicates, "batch": batch, "seed": seed,
            "overrides": list(overrides)}


def describe_difference(held: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    """Which parts of two study definitions differ, in words (``targets, replicates``)."""
    keys = [k for k in sorted(set(held) | set(new)) if held.get(k) != new.get(k)]
    return ", ".join(keys) or "nothing"
