"""The console script ``mindshare-calibrate``: fit assumption parameters to published facts.

It checks its inputs (one line ``mindshare: error: ...``, exit 2, nothing written), then asks
Optuna for a round of parameter points at a time (:mod:`sim.studies.study`), writes them as
config-group options and evaluates the round as one ordinary ``mindshare -m`` sweep in a
subprocess (:mod:`sim.studies.points`): the local, Ray and SLURM launchers, the manifest, the
resume and the failure handling are the sweep's own. Killed and rerun, it resumes: trials told
are kept, a round cut short is run again and its complete runs are skipped. At the end it
writes the fitted values, their intervals, the fit per target, a report and charts
(:mod:`sim.studies.report`).
"""

from __future__ import annotations

import argparse
import importlib.resources
import math
import shlex
import signal
import sys
import time
from pathlib import Path

from sim.cli.errors import fail
from sim.cli.studies import (
    StudyParser,
    fail_trial,
    on_sigterm,
    open_study_dir,
    plain,
    positive,
    run_sweep,
    summary_metrics,
    trial_errors,
)
from sim.config import ConfigError
from sim.studies import calibration as cal
from sim.studies import study as st
from sim.studies.points import point_name, round_overrides, write_point
from sim.studies.report import Outcome, TrialRow, write_outputs


def _packaged(name: str) -> str:
    path = Path(str(importlib.resources.files("sim.conf"))) / "calibration" / name
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def parser() -> argparse.ArgumentParser:
    """The command line of ``mindshare-calibrate``."""
    p = StudyParser(
        prog="mindshare-calibrate",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Fit the parameters listed in --parameters so that the default campaign\n"
                    "reproduces the facts in --targets. Each round of --batch trials is one\n"
                    "`mindshare -m` sweep (any launcher); rerunning the same command resumes.\n"
                    "README.md, section Calibration, says what the outputs and intervals mean.",
        epilog="examples:\n"
               "  mindshare-calibrate                                  # defaults, local\n"
               "  mindshare-calibrate --trials 40 --batch 10 --replicates 3 n=1000  # reduced\n"
               "  mindshare-calibrate hydra/launcher=slurm n=10000     # rounds on SLURM\n"
               "outputs (in --out): fitted.yaml, parameters.csv, fit.csv, trials.parquet,\n"
               "report.md, fit.png, parameters.png; rounds/r<k>/ are the rounds' sweeps.")
    p.add_argument("--targets", default=_packaged("targets.yaml"),
                   help="targets file (published facts; default %(default)s)")
    p.add_argument("--parameters", default=_packaged("parameters.yaml"),
                   help="parameters to fit and their ranges (default %(default)s)")
    p.add_argument("--trials", type=int, default=200, help="trials in all (default 200)")
    p.add_argument("--batch", type=int, default=20,
                   help="trials per round, evaluated as one sweep (default 20)")
    p.add_argument("--replicates", type=int, default=4,
                   help="runs per trial; the model's value is their mean (default 4)")
    p.add_argument("--seed", type=int, default=0, help="the sampler's seed (default 0)")
    p.add_argument("--out", default="results/calibration",
                   help="the study directory (default %(default)s)")
    p.add_argument("--no-charts", action="store_true", help="skip the two charts")
    p.add_argument("overrides", nargs="*",
                   help="overrides for every run (n=2000, hydra/launcher=slurm, ...)")
    return p


def check_inputs(args: argparse.Namespace):
    """Every input checked before anything is written or run; one-line error and exit 2."""
    from sim import load_config  # noqa: PLC0415 - start-up: Hydra (~0.2 s)

    for name in ("trials", "batch", "replicates"):
        positive(f"--{name}", getattr(args, name))
    try:
        parameters = cal.read_parameters(args.parameters)
        targets = cal.read_targets(args.targets)
        cal.check_overrides(parameters, args.overrides)
        base = plain(args.overrides)
        for corner in ("low", "high"):
            load_config([*base, *(f"{p.key}={_value(p, getattr(p, corner))}"
                                   for p in parameters)])
        cal.check_metrics(targets, summary_metrics(base))
    except (ConfigError, cal.StudyError) as exc:
        fail(str(exc))
    return parameters, targets


def _value(p: cal.Parameter, v: float) -> int | float:
    return int(v) if p.integer else v


def _open(args, parameters, targets) -> Path:
    """Create or reopen the study directory; refuse another study's, or a busy one."""
    definition = cal.definition(
        parameters, targets, replicates=args.replicates, batch=0, seed=args.seed,
        overrides=plain(args.overrides))
    definition.pop("batch")
    return open_study_dir(args.out, definition, "calibration")


def _round_dir(out: Path, index: int) -> Path:
    return out / "rounds" / f"r{index:03d}"


def _run_round(out: Path, index: int, trials, args) -> int:
    """Run a round's sweep in a subprocess; returns its exit status."""
    names = [point_name(t.number) for t in trials]
    for t in trials:
        write_point(out / "points", t.number, t.params)
    return run_sweep(round_overrides(names, out / "points", _round_dir(out, index),
                                     replicates=args.replicates,
                                     name=f"calibration_r{index:03d}", extra=args.overrides))


def _drop_invalid(study, out: Path, trials, args) -> list:
    """Fail the trials whose point makes a config the schema refuses; the others.

    A sweep whose first job is refused stops before any run, so a point that cannot be
    configured is failed here, with the error, instead of stopping its whole round.
    """
    from sim import load_config  # noqa: PLC0415 - start-up: Hydra (~0.2 s)

    kept = []
    for t in trials:
        try:
            load_config([*plain(args.overrides), *(f"{k}={v!r}" for k, v in t.params.items())])
        except ConfigError as exc:
            fail_trial(study, out, t.number, str(exc))
            continue
        kept.append(t)
    return kept


def _tell(study, out: Path, trial, targets, args) -> TrialRow | None:
    """Read a trial's runs, tell Optuna its distance (or its failure); the trial's row.

    None when some of its runs are missing and none failed: the trial is left running.
    """
    result = st.point_results(_round_dir(out, st.round_of(trial)), trial.number,
                              [g.metric for g in targets])
    row = _row(trial, result, targets)
    if not result.failed and result.complete < args.replicates:
        return None          # runs missing (a worker lost): left running, for a rerun
    if result.failed:
        row.state, row.error = "fail", result.failed[0]
    elif not math.isfinite(row.distance):
        bad = [g.metric for g in targets if not math.isfinite(row.means[g.name])]
        row.state, row.error = "fail", f"{', '.join(bad)}: not a number in some runs"
    if row.state == "fail":
        fail_trial(study, out, trial.number, row.error)
    else:
        study.tell(trial.number, row.distance)
        row.state = "complete"
    return row


def _row(trial, result: st.PointResult, targets) -> TrialRow:
    means_by_metric = result.means()
    means = {g.name: means_by_metric.get(g.metric, math.nan) for g in targets}
    values = {g.name: result.values.get(g.metric, []) for g in targets}
    dist = cal.distance(targets, means_by_metric) if result.complete else math.nan
    return TrialRow(trial.number, st.round_of(trial), trial.state.name.lower(),
                    dist, dict(trial.params), means, values, result.complete)


def _best(study) -> tuple[float, int] | None:
    done = study.get_trials(deepcopy=False, states=(st.TrialState.COMPLETE,))
    if not done:
        return None
    b = min(done, key=lambda t: (t.value, t.number))
    return b.value, b.number


def main(argv: list[str] | None = None) -> None:
    """Console script ``mindshare-calibrate`` (``--help`` for its options)."""
    args = parser().parse_args(argv)
    parameters, targets = check_inputs(args)
    out = _open(args, parameters, targets)
    signal.signal(signal.SIGTERM, on_sigterm)
    study = st.open_study(out)
    rounds = math.ceil(args.trials / args.batch)
    t0 = time.perf_counter()
    while True:
        planned = st.next_round(study, args.trials, args.batch, lambda count, index: (
            st.ask_round(study, parameters, count, index, seed=args.seed, trials=args.trials)))
        if planned is None:
            break
        index, trials = planned
        runnable = _drop_invalid(study, out, trials, args)
        status = _run_round(out, index, runnable, args) if runnable else 0
        if status not in (0, 1):
            if status == 2:
                raise SystemExit(2)
            print(f"mindshare: round {index + 1} stopped (exit status {status}); trials told "
                  "are kept: rerun the same command to resume", file=sys.stderr, flush=True)
            raise SystemExit(status)
        untold = [t.number for t in runnable if _tell(study, out, t, targets, args) is None]
        if untold:
            print(f"mindshare: round {index + 1}: trials {', '.join(map(str, untold))} have runs "
                  "missing; rerun the same command to resume", file=sys.stderr, flush=True)
            raise SystemExit(1)
        best = _best(study)
        shown = f"best distance {best[0]:.3g} (trial {best[1]})" if best else "no trial complete"
        print(f"round {index + 1}/{max(rounds, index + 1)}: trials {trials[0].number}-"
              f"{trials[-1].number}, {shown}; {time.perf_counter() - t0:.0f} s",
              file=sys.stderr, flush=True)
    outcome = collect(study, out, parameters, targets)
    command = shlex.join(["mindshare-calibrate", *(argv if argv is not None else sys.argv[1:])])
    settings = {"replicates": args.replicates, "batch": args.batch, "seed": args.seed,
                "overrides": args.overrides}
    write_outputs(out, outcome, parameters, targets, report_path=str(out / "report.md"),
                  command=command, settings=settings, charts=not args.no_charts)
    _print_result(outcome, parameters, out)


def collect(study, out: Path, parameters, targets) -> Outcome:
    """Every told trial, read back from its runs, with the accepted ones and the estimates."""
    rows, errors = [], trial_errors(out)
    for t in sorted(study.get_trials(deepcopy=False), key=lambda t: t.number):
        if t.state not in (st.TrialState.COMPLETE, st.TrialState.FAIL):
            continue
        result = st.point_results(_round_dir(out, st.round_of(t)), t.number,
                                  [g.metric for g in targets])
        row = _row(t, result, targets)
        if t.state == st.TrialState.FAIL:
            row.distance = math.nan
            row.error = errors.get(str(t.number)) or (result.failed[0] if result.failed else
                                                      "runs missing or not numbers")
        rows.append(row)
    distances = [r.distance if r.state == "complete" else math.nan for r in rows]
    mask, rule = cal.accept(distances, len(targets))
    done = [r for r in rows if r.state == "complete"]
    best = min(done, key=lambda r: (r.distance, r.number)) if done else None
    estimates = [cal.estimate(p.key, [r.params.get(p.key, math.nan) for r in rows], mask,
                              best.params[p.key] if best else math.nan) for p in parameters]
    return Outcome(rows, mask, rule, estimates, best)


def _print_result(outcome: Outcome, parameters, out: Path) -> None:
    if outcome.best is None:
        print(f"no trial complete -> {out}")
        return
    print(f"best trial {outcome.best.number}, distance {outcome.best.distance:.3g}; "
          f"{int(outcome.accepted.sum())} trials accepted ({outcome.rule})")
    for p, e in zip(parameters, outcome.estimates, strict=True):
        print(f"  {p.key} = {e.best:.4g}  (accepted median {e.median:.4g}, {e.span} "
              f"{e.low:.4g}-{e.high:.4g})")
    print(f"-> {out}/fitted.yaml, {out}/report.md")


if __name__ == "__main__":
    main()
