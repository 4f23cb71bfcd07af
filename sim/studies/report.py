"""A calibration's outputs: trials, fit per target, fitted values, report and charts.

Everything is written atomically (:mod:`sim.outputs.files`) into the study directory:
``trials.parquet`` (a row per trial), ``fit.csv`` (per target, the best trial against the
published value), ``parameters.csv`` (per parameter, the best trial's value and the accepted
trials' median and 10-90% range), ``fitted.yaml`` (a config file of the fitted values, each
with its interval in a comment), ``report.md`` and two charts (``fit.png``,
``parameters.png``, with their SVG).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.outputs.files import atomic_write
from sim.report import style
from sim.studies.calibration import (
    INTERVAL,
    QUANTILES_FROM,
    WITHIN_Z,
    Estimate,
    Parameter,
    Target,
    replicate_interval,
)
from sim.studies.points import point_name, point_text


@dataclass
class TrialRow:
    """One trial as the outputs show it."""

    number: int
    round: int
    state: str
    distance: float
    params: dict[str, float]
    means: dict[str, float]        # by target name
    values: dict[str, list[float]]  # by target name, over replicates
    runs: int = 0
    error: str = ""


@dataclass
class Outcome:
    """What a finished (or partial) calibration found."""

    trials: list[TrialRow]
    accepted: np.ndarray
    rule: str
    estimates: list[Estimate]
    best: TrialRow | None


def _write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda tmp: Path(tmp).write_text(text))


def _csv(rows: Sequence[Mapping[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]) if rows else [], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def _g(x: float, digits: int = 4) -> str:
    return "n/a" if x is None or not math.isfinite(x) else f"{x:.{digits}g}"


def trials_frame(outcome: Outcome, parameters: Sequence[Parameter],
                 targets: Sequence[Target]) -> pd.DataFrame:
    """A row per trial: number, round, state, distance, accepted, parameters, model means."""
    rows = []
    for t, acc in zip(outcome.trials, outcome.accepted, strict=True):
        row: dict[str, Any] = {"trial": t.number, "round": t.round, "state": t.state,
                               "distance": t.distance, "accepted": bool(acc), "runs": t.runs}
        row.update({p.key: t.params.get(p.key, math.nan) for p in parameters})
        row.update({f"model_{g.name}": t.means.get(g.name, math.nan) for g in targets})
        row["error"] = t.error
        rows.append(row)
    return pd.DataFrame(rows)


def fit_rows(best: TrialRow | None, targets: Sequence[Target]) -> list[dict[str, Any]]:
    """Per target: value, sd, the best trial's mean and 95% replicate interval, z, within."""
    rows = []
    for g in targets:
        mean, lo, hi = replicate_interval(best.values.get(g.name, [])) if best else (math.nan,) * 3
        z = (mean - g.value) / g.sd if math.isfinite(mean) else math.nan
        rows.append({"target": g.name, "metric": g.metric, "value": g.value, "sd": g.sd,
                     "weight": g.weight, "model": mean, "model_low": lo, "model_high": hi,
                     "z": z, "within": bool(math.isfinite(z) and abs(z) <= WITHIN_Z)})
    return rows


def fitted_yaml(outcome: Outcome, parameters: Sequence[Parameter], report_path: str) -> str:
    """The fitted values as a config file, each with its interval and the report in a comment."""
    if outcome.best is None:
        return ""
    values, comments = {}, {}
    for p, e in zip(parameters, outcome.estimates, strict=True):
        v = outcome.best.params[p.key]
        values[p.key] = int(v) if p.integer else float(f"{v:.4g}")
        comments[p.key] = (f"calibrated: best trial; accepted median {_g(e.median, 3)}, "
                           f"{e.span} {_g(e.low, 3)}-{_g(e.high, 3)} "
                           f"({e.accepted} accepted); see {report_path}")
    header = ["Fitted by mindshare-calibrate (best trial, its distance "
              f"{_g(outcome.best.distance, 3)}): see {report_path}"]
    return point_text(values, comments, header)


def write_outputs(study_dir: Path, outcome: Outcome, parameters: Sequence[Parameter],
                  targets: Sequence[Target], *, report_path: str, command: str,
                  settings: Mapping[str, Any], charts: bool = True) -> list[Path]:
    """Write every output of the study into ``study_dir``; returns the paths written."""
    written = []
    path = study_dir / "trials.parquet"
    frame = trials_frame(outcome, parameters, targets)
    atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False))
    written.append(path)
    fit = fit_rows(outcome.best, targets)
    _write_text(study_dir / "fit.csv", _csv(fit))
    est = [e.record() for e in outcome.estimates]
    _write_text(study_dir / "parameters.csv", _csv(est))
    written += [study_dir / "fit.csv", study_dir / "parameters.csv"]
    text = fitted_yaml(outcome, parameters, report_path)
    if text:
        _write_text(study_dir / "fitted.yaml", text)
        written.append(study_dir / "fitted.yaml")
    if charts and outcome.best is not None:
        written += _fit_chart(study_dir, outcome, targets, fit, settings)
        written += _parameter_chart(study_dir, outcome, parameters, settings)
    _write_text(study_dir / "report.md",
                report_markdown(outcome, parameters, targets, fit, command, settings, charts))
    written.append(study_dir / "report.md")
    return written


def _footnote(outcome: Outcome, settings: Mapping[str, Any]) -> str:
    done = sum(t.state == "complete" for t in outcome.trials)
    extra = " ".join(settings["overrides"]) or "none"
    return (f"{done} trials complete of {len(outcome.trials)}, {settings['replicates']} "
            f"replicates each, seed {settings['seed']}; overrides: {extra}")


def _fit_chart(study_dir: Path, outcome: Outcome, targets: Sequence[Target],
               fit: Sequence[Mapping[str, Any]], settings: Mapping[str, Any]) -> list[Path]:
    n = len(targets)
    cols = min(n, 4)
    rows = math.ceil(n / cols)
    fig, axes = style.figure(rows, cols, squeeze=False)
    accepted = [t for t, a in zip(outcome.trials, outcome.accepted, strict=True) if a]
    for i, ax in enumerate(axes.flat):
        if i >= n:
            ax.set_visible(False)
            continue
        g, f = targets[i], fit[i]
        ax.axhspan(g.value - g.sd, g.value + g.sd, color="#d9d9d9", lw=0)
        ax.axhline(g.value, color="#555555", lw=1.2)
        xs = [t.means.get(g.name, math.nan) for t in accepted]
        ax.scatter(np.full(len(xs), 0.0) + np.linspace(-0.15, 0.15, max(len(xs), 1))[:len(xs)],
                   xs, s=12, color="#9ecae1", label="accepted trials")
        ax.errorbar([0.0], [f["model"]], yerr=[[f["model"] - f["model_low"]],
                                               [f["model_high"] - f["model"]]],
                    fmt="o", color="#08519c", capsize=4, label="best trial")
        ax.set_xlim(-0.6, 0.6)
        ax.set_xticks([])
        ax.set_title(f"{g.name}\nz = {_g(f['z'], 2)}", fontsize=11)
        ax.set_ylabel(g.metric, fontsize=9)
    within = sum(f["within"] for f in fit)
    chart = style.finish("fit", fig, f"The fitted model is within {WITHIN_Z:g} sd of "
                         f"{within} of {n} targets",
                         "Each panel: the published value (line) +- its sd (band), the best "
                         "trial's mean over replicates with its 95% interval (dark), the "
                         "accepted trials' means (light)", _footnote(outcome, settings))
    style.save(chart, study_dir)
    return list(chart.files.values())


def _parameter_chart(study_dir: Path, outcome: Outcome, parameters: Sequence[Parameter],
                     settings: Mapping[str, Any]) -> list[Path]:
    n = len(parameters)
    cols = min(n, 4)
    rows = math.ceil(n / cols)
    fig, axes = style.figure(rows, cols, squeeze=False)
    done = [(t, a) for t, a in zip(outcome.trials, outcome.accepted, strict=True)
            if t.state == "complete"]
    for i, ax in enumerate(axes.flat):
        if i >= n:
            ax.set_visible(False)
            continue
        p, e = parameters[i], outcome.estimates[i]
        every = [t.params[p.key] for t, _ in done]
        acc = [t.params[p.key] for t, a in done if a]
        bins = (np.geomspace(p.low, p.high, 16) if p.log else np.linspace(p.low, p.high, 16))
        ax.hist(every, bins=bins, color="#d9d9d9", label="all trials")
        ax.hist(acc, bins=bins, color="#6baed6", label="accepted")
        if math.isfinite(e.low):
            ax.axvspan(e.low, e.high, color="#08519c", alpha=0.12, lw=0)
        ax.axvline(e.best, color="#08519c", lw=1.5)
        if p.log:
            ax.set_xscale("log")
        ax.set_title(f"{p.key}\nbest {_g(e.best, 3)}, accepted {e.span} {_g(e.low, 3)}-"
                     f"{_g(e.high, 3)}", fontsize=11)
    chart = style.finish("parameters", fig, "Fitted parameters: the accepted trials' values",
                         f"Histogram of every trial (grey) and of the accepted ones (blue: "
                         f"{outcome.rule}); line: the best trial; band: the accepted interval",
                         _footnote(outcome, settings))
    style.save(chart, study_dir)
    return list(chart.files.values())


def report_markdown(outcome: Outcome, parameters: Sequence[Parameter],
                    targets: Sequence[Target], fit: Sequence[Mapping[str, Any]], command: str,
                    settings: Mapping[str, Any], charts: bool) -> str:
    """``report.md``: how the calibration was run, the fitted values and the fit per target."""
    states: dict[str, int] = {}
    for t in outcome.trials:
        states[t.state] = states.get(t.state, 0) + 1
    lo_q, hi_q = (round(100 * q) for q in INTERVAL)
    out = ["# Calibration", "",
           f"Command: `{command}`", "",
           f"Trials: {len(outcome.trials)} ("
           + ", ".join(f"{k} {v}" for k, v in sorted(states.items())) + f"), "
           f"{settings['replicates']} replicates each, in rounds of {settings['batch']}; "
           f"sampler seed {settings['seed']}; overrides: "
           f"`{' '.join(settings['overrides']) or 'none'}`.", "",
           "Distance of a trial: `sum(weight * ((model mean - value) / sd) ** 2)` over the "
           "targets. Accepted trials (approximate Bayesian computation by rejection): "
           f"{outcome.rule}; {int(outcome.accepted.sum())} accepted.", ""]
    if outcome.best is not None:
        out += [f"Best trial: {outcome.best.number} ({point_name(outcome.best.number)}), "
                f"distance {_g(outcome.best.distance, 4)}.", ""]
    out += ["## Fitted parameters", "",
            "| key | range searched | best | accepted median | interval (accepted) | "
            "accepted | why this range |", "|---|---|---|---|---|---|---|"]
    for p, e in zip(parameters, outcome.estimates, strict=True):
        scale = ", log" if p.log else ""
        out.append(f"| `{p.key}` | {_g(p.low)}-{_g(p.high)}{scale} | {_g(e.best)} | "
                   f"{_g(e.median)} | {_g(e.low)}-{_g(e.high)} ({e.span}) | {e.accepted} | "
                   f"{p.why} |")
    out += ["", "## Fit per target (best trial)", "",
            "| target | metric | value | sd | model (95% over replicates) | z | within "
            f"{WITHIN_Z:g} sd |", "|---|---|---|---|---|---|---|"]
    for f in fit:
        out.append(f"| {f['target']} | `{f['metric']}` | {_g(f['value'])} | {_g(f['sd'])} | "
                   f"{_g(f['model'])} ({_g(f['model_low'])}-{_g(f['model_high'])}) | "
                   f"{_g(f['z'], 2)} | {'yes' if f['within'] else 'no'} |")
    sources = [g for g in targets if g.source or g.figure]
    if sources:
        out += ["", "## Sources", ""]
        out += [f"- **{g.name}**: {g.figure} ({g.source}). Measured: {g.measured}" for g in
                sources]
    if charts and outcome.best is not None:
        out += ["", "## Charts", "", "![model vs target](fit.png)", "",
                "![fitted parameters](parameters.png)"]
    out += ["", "## What the intervals mean", "",
            "The interval of a parameter is the range of its values over the accepted trials "
            f"({lo_q}-{hi_q}%, or their whole range when fewer than {QUANTILES_FROM} are "
            "accepted). It says which values fit the targets about as well as the best "
            "one, given the targets' sd and the replicates' noise; it is not a posterior under "
            "a stated prior (the sampler concentrates its trials near good points, so the "
            "accepted values are not a prior sample), and it is no wider than the range "
            "searched. Parameters the targets do not constrain show intervals as wide as that "
            "range.", ""]
    return "\n".join(out)
