"""The console script ``mindshare-optimise``: the best strategies for a budget, as a Pareto front.

It checks its inputs (one line ``mindshare: error: ...``, exit 2, nothing written), then asks
Optuna's multi-objective sampler for a round of lever points at a time
(:mod:`sim.studies.optimise`), writes them as config-group options and evaluates each round as
one ordinary ``mindshare -m`` sweep (:mod:`sim.cli.studies`, :mod:`sim.studies.points`): the
local, Ray and SLURM launchers, the manifest, the resume and the failure handling are the
sweep's own. Every point runs on the same replicates (``replicate`` 0 to R - 1 of the same
seed), so points are compared on the same worlds and draws. The study lives in its directory
(Optuna's journal file): killed and rerun, it resumes. Then the shipped named strategies run
at the same budget on the same replicates (one more sweep), and the report places them against
the front (:mod:`sim.studies.optimise_report`). Each point of the front is written as a
strategy file, ``<out>/conf/strategy/front_NN.yaml``, to rerun as a named strategy.

Hydra's Optuna sweeper is not used: its last release (hydra-optuna-sweeper 1.3.0) requires
``optuna<3.0``, and the calibration already needs Optuna 4 or newer.
"""

from __future__ import annotations

import argparse
import math
import shlex
import signal
import sys
import time
from pathlib import Path
from typing import Any

import yaml

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
from sim.config import ConfigError, override_key, override_values
from sim.outputs.files import atomic_write
from sim.studies import optimise as op
from sim.studies import study as st
from sim.studies.optimise_text import front_names, placement
from sim.studies.points import nest, point_name, round_overrides, write_point
from sim.sweep.jobs import check_job

#: The default objectives: reach and loyalty, the two outcomes of the domain's question.
OBJECTIVES = "reached,loyalty_gain"


def parser() -> argparse.ArgumentParser:
    """The command line of ``mindshare-optimise``."""
    p = StudyParser(
        prog="mindshare-optimise",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Search the strategy's levers at a fixed budget for the Pareto front of\n"
                    "two or three objectives. Each round of --batch trials is one `mindshare\n"
                    "-m` sweep (any launcher), every trial on the same --replicates; rerunning\n"
                    "the same command resumes. README.md, section Optimisation, says what the\n"
                    "outputs mean.",
        epilog="examples:\n"
               "  mindshare-optimise budget.total=3000                      # defaults, local\n"
               "  mindshare-optimise --objectives reached,cost_per_engaged budget.total=50000\n"
               "  mindshare-optimise --levers split,seeding,posts --trials 60 n=2000\n"
               "  mindshare-optimise hydra/launcher=slurm budget.total=3000  # rounds on SLURM\n"
               "outputs (in --out): report.md, front.csv, named.csv, trials.parquet,\n"
               "front.png, levers.png, deck.pptx, summary.json, conf/strategy/front_NN.yaml;\n"
               "rounds/r<k>/ are the rounds' sweeps, named/ the named strategies' sweep.")
    p.add_argument("--objectives", default=OBJECTIVES,
                   help="two or three summary metrics, comma-separated; metric:max or "
                        "metric:min where the direction is not known (default %(default)s)")
    p.add_argument("--levers", default="all",
                   help=f"levers searched, comma-separated, of {', '.join(op.LEVERS_BY_NAME)} "
                        "(default: all)")
    p.add_argument("--trials", type=int, default=120, help="trials in all (default 120)")
    p.add_argument("--batch", type=int, default=20,
                   help="trials per round, evaluated as one sweep (default 20)")
    p.add_argument("--replicates", type=int, default=4,
                   help="runs per trial, the same replicates for every trial (default 4)")
    p.add_argument("--sampler", default="tpe", choices=op.SAMPLERS,
                   help="Optuna sampler: tpe (default), nsga2 or random")
    p.add_argument("--seed", type=int, default=0, help="the sampler's seed (default 0)")
    p.add_argument("--out", default=None,
                   help="the study directory (default results/optimise/<objectives>)")
    p.add_argument("--no-named", action="store_true",
                   help="do not run the named strategies against the front")
    p.add_argument("--no-charts", action="store_true", help="skip the charts and the deck")
    p.add_argument("overrides", nargs="*",
                   help="overrides for every run (budget.total=50000, n=2000, "
                        "hydra/launcher=slurm, ...)")
    return p


def _corner(lever: op.Lever, high: bool) -> Any:
    if lever.kind == "bool":
        return high
    if lever.kind == "choice":
        return lever.choices[-1 if high else 0]
    return lever.high if high else lever.low


def check_inputs(args: argparse.Namespace):
    """Every input checked before anything is written or run; one-line error and exit 2.

    Returns the levers, the objectives and the base config (the overrides composed).
    """
    from sim import load_config  # noqa: PLC0415 - start-up: Hydra (~0.2 s)

    for name in ("trials", "batch", "replicates"):
        positive(f"--{name}", getattr(args, name))
    base = plain(args.overrides)
    try:
        levers = op.select_levers(args.levers)
        searched = {key for lever in levers for key in lever.keys}
        for item in base:
            key = override_key(item)
            if key in searched:
                raise op.OptimiseError(f"{item}: the optimiser searches {key}; leave it out "
                                       "or leave its lever out of --levers")
            if key in ("replicate", "replicates", "seed"):
                raise op.OptimiseError(f"{item}: the study sets {key} (--replicates, and "
                                       "every trial runs on replicates 0..R-1 of seed 0)")
        config = load_config(base)
        for high in (False, True):
            values = {lever.name: _corner(lever, high) for lever in levers}
            check_job(load_config([*base, *_overrides(op.expand(values, config))]))
        objectives = op.parse_objectives(args.objectives, summary_metrics(base))
    except (ConfigError, op.OptimiseError) as exc:
        fail(str(exc))
    return levers, objectives, config


def _overrides(values: dict[str, Any]) -> list[str]:
    """Config values as overrides (booleans as ``true``/``false``)."""
    return [f"{k}={str(v).lower() if isinstance(v, bool) else v}" for k, v in values.items()]


def _definition(args, levers, objectives) -> dict[str, Any]:
    return {"objectives": [o.metric + (":max" if o.maximise else ":min") for o in objectives],
            "levers": [lever.name for lever in levers], "replicates": args.replicates,
            "sampler": args.sampler, "seed": args.seed, "overrides": plain(args.overrides)}


def _round_dir(out: Path, index: int) -> Path:
    return out / "rounds" / f"r{index:03d}"


def _tell(study, out: Path, trial, objectives, args) -> bool:
    """Read a trial's runs and tell Optuna its means (or its failure).

    False when some of its runs are missing and none failed: the trial is left running.
    """
    metrics = [o.metric for o in objectives]
    result = st.point_results(_round_dir(out, st.round_of(trial)), trial.number, metrics)
    if not result.failed and result.complete < args.replicates:
        return False
    means = result.means()
    if result.failed:
        fail_trial(study, out, trial.number, result.failed[0])
    elif not all(math.isfinite(means[m]) for m in metrics):
        bad = [m for m in metrics if not math.isfinite(means[m])]
        fail_trial(study, out, trial.number, f"{', '.join(bad)}: not a number in some runs")
    else:
        study.tell(trial.number, [means[m] for m in metrics])
    return True


def _run_round(out: Path, index: int, trials, args, config) -> int:
    names = [point_name(t.number) for t in trials]
    for t in trials:
        write_point(out / "points", t.number, op.expand(t.params, config))
    return run_sweep(round_overrides(names, out / "points", _round_dir(out, index),
                                     replicates=args.replicates,
                                     name=f"optimise_r{index:03d}", extra=args.overrides))


def _drop_invalid(study, out: Path, trials, args, config) -> list:
    """Fail the trials whose point makes a config its runs would refuse; the others.

    A sweep whose first job is refused stops before any run, so such a point is failed here,
    with the error, instead of stopping its whole round.
    """
    from sim import load_config  # noqa: PLC0415 - start-up: Hydra (~0.2 s)

    kept = []
    for t in trials:
        try:
            check_job(load_config([*plain(args.overrides),
                                   *_overrides(op.expand(t.params, config))]))
        except ConfigError as exc:
            fail_trial(study, out, t.number, str(exc))
            continue
        kept.append(t)
    return kept


def _front_size(study) -> int:
    try:
        return len(study.best_trials)
    except (ValueError, RuntimeError):
        return 0


def _stop(status: int, what: str) -> None:
    if status == 2:
        raise SystemExit(2)
    print(f"mindshare: {what} stopped (exit status {status}); trials told are kept: rerun the "
          "same command to resume", file=sys.stderr, flush=True)
    raise SystemExit(status)


def search(study, out: Path, levers, objectives, args, config) -> None:
    """The rounds: ask, run as a sweep, tell, until ``--trials`` trials are told."""
    rounds = math.ceil(args.trials / args.batch)
    dist = op.space(levers)
    t0 = time.perf_counter()
    def ask(count: int, index: int) -> list:
        sampler = op.make_sampler(args.sampler, args.seed, index, args.trials, args.batch)
        return st.ask_space(study, dist, count, index, sampler)

    while True:
        planned = st.next_round(study, args.trials, args.batch, ask)
        if planned is None:
            return
        index, trials = planned
        runnable = _drop_invalid(study, out, trials, args, config)
        status = _run_round(out, index, runnable, args, config) if runnable else 0
        if status not in (0, 1):
            _stop(status, f"round {index + 1}")
        untold = [t.number for t in runnable if not _tell(study, out, t, objectives, args)]
        if untold:
            print(f"mindshare: round {index + 1}: trials {', '.join(map(str, untold))} have runs "
                  "missing; rerun the same command to resume", file=sys.stderr, flush=True)
            raise SystemExit(1)
        done = sum(t.state is st.TrialState.COMPLETE for t in study.get_trials(deepcopy=False))
        print(f"round {index + 1}/{max(rounds, index + 1)}: trials {trials[0].number}-"
              f"{trials[-1].number} told; {done} complete, {_front_size(study)} on the front; "
              f"{time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)


def named_strategies() -> list[str]:
    """The shipped strategies (``conf/strategy/*.yaml``)."""
    from importlib.resources import files  # noqa: PLC0415 - only when they are run

    folder = files("sim.conf") / "strategy"
    return sorted(e.name.removesuffix(".yaml") for e in folder.iterdir()
                  if e.name.endswith(".yaml"))


def run_named(out: Path, objectives, args) -> list[op.Named]:
    """The named strategies at the study's budget, on the same replicates: one sweep.

    A strategy the budget cannot pay (its posts and one placement each) is not run; its row
    says why.
    """
    from sim import load_config  # noqa: PLC0415 - start-up: Hydra (~0.2 s)

    extra = [o for o in args.overrides if override_key(o) != "strategy"]
    refused: dict[str, str] = {}
    names = []
    for name in named_strategies():
        try:
            check_job(load_config([*plain(extra), f"strategy={name}"]))
            names.append(name)
        except ConfigError as exc:
            refused[name] = str(exc)
    if names:
        status = run_sweep([f"strategy={','.join(names)}", f"replicates={args.replicates}",
                            "name=optimise_named",
                            f"hydra.sweep.dir='{(out / 'named').resolve()}'", *extra])
        if status not in (0, 1):
            _stop(status, "the named strategies' sweep")
    results = st.results_by(out / "named", "strategy", [o.metric for o in objectives])
    named = []
    for name in named_strategies():
        result = results.get(name)
        if name in refused:
            named.append(op.Named(name, error=f"not run: {refused[name]}"))
        elif result is None:
            named.append(op.Named(name, error="no run"))
        else:
            error = result.failed[0] if result.failed else (
                "runs missing" if result.complete < args.replicates else "")
            named.append(op.Named(name, dict(result.values), error=error))
    return named


def collect(study, out: Path, levers, objectives, args) -> list[op.Trial]:
    """Every told trial, read back from its runs."""
    errors = trial_errors(out)
    metrics = [o.metric for o in objectives]
    trials = []
    for t in sorted(study.get_trials(deepcopy=False), key=lambda t: t.number):
        if t.state not in (st.TrialState.COMPLETE, st.TrialState.FAIL):
            continue
        result = st.point_results(_round_dir(out, st.round_of(t)), t.number, metrics)
        trial = op.Trial(t.number, dict(t.params), dict(result.values))
        if t.state == st.TrialState.FAIL:
            trial.state = "fail"
            trial.error = errors.get(str(t.number)) or (result.failed[0] if result.failed
                                                        else "runs missing or not numbers")
        trials.append(trial)
    return trials


def write_front_strategies(out: Path, outcome: op.Outcome) -> list[Path]:
    """Each front point as ``<out>/conf/strategy/front_NN.yaml``, a named strategy file."""
    folder = out / "conf" / "strategy"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("front_*.yaml"):
        old.unlink()
    paths = []
    for name, trial in zip(front_names(outcome), outcome.front, strict=True):
        values = {k.removeprefix("strategy."): v
                  for k, v in op.expand(trial.values, outcome.config).items()}
        values["name"] = name
        means = ", ".join(f"{o.metric} {trial.mean(o.metric):.6g}" for o in outcome.objectives)
        text = ("# @package strategy\n"
                f"# Trial {trial.number} of the optimisation in {out}: "
                f"{outcome.words(trial)}.\n"
                f"# Mean over its replicates: {means}.\n"
                + yaml.safe_dump(nest(dict(sorted(values.items()))), sort_keys=True))
        path = folder / f"{name}.yaml"
        atomic_write(path, lambda tmp, text=text: Path(tmp).write_text(text))
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> None:
    """Console script ``mindshare-optimise`` (``--help`` for its options)."""
    args = parser().parse_intermixed_args(argv)
    levers, objectives, config = check_inputs(args)
    if args.out is None:
        args.out = "results/optimise/" + "_".join(o.metric for o in objectives)
    out = open_study_dir(args.out, _definition(args, levers, objectives), "optimisation")
    signal.signal(signal.SIGTERM, on_sigterm)
    study = st.open_study(out, [o.direction for o in objectives])
    print(f"mindshare-optimise: {args.trials} trials of {len(levers)} levers x "
          f"{args.replicates} replicates, budget {config.budget.total:,.0f} EUR, n = "
          f"{config.n:,}, objectives {', '.join(o.metric for o in objectives)} -> {out}",
          file=sys.stderr, flush=True)
    search(study, out, levers, objectives, args, config)
    trials = collect(study, out, levers, objectives, args)
    front = op.mark_front(trials, objectives)
    named = [] if args.no_named else run_named(out, objectives, args)
    op.place_named(named, front, objectives, trials)
    base = override_values(plain(args.overrides)).get("strategy", "broadcast")
    outcome = op.Outcome(objectives, levers, trials, front, named, {
        "n": config.n, "steps": config.steps, "budget": config.budget.total,
        "replicates": args.replicates, "seed": args.seed, "sampler": args.sampler,
        "batch": args.batch, "overrides": plain(args.overrides), "base_strategy": base,
        "out": str(out.resolve())}, config)
    command = shlex.join(["mindshare-optimise", *(argv if argv is not None else sys.argv[1:])])
    write_front_strategies(out, outcome)
    # here, not on top: --help need not load the report's charts (matplotlib, pandas: ~1.8 s)
    from sim.studies.optimise_report import write_outputs  # noqa: PLC0415 - start-up: the charts

    write_outputs(out, outcome, command=command, charts=not args.no_charts)
    _print_result(outcome, out)


def _print_result(outcome: op.Outcome, out: Path) -> None:
    if not outcome.front:
        print(f"no trial complete -> {out}")
        return
    print(f"{len(outcome.front)} strategies on the front of {len(outcome.trials)} trials:")
    for name, t in zip(front_names(outcome), outcome.front, strict=True):
        means = ", ".join(f"{o.metric} {t.mean(o.metric):.4g}" for o in outcome.objectives)
        print(f"  {name}: {means}  ({outcome.words(t)})")
    placed = sorted(outcome.named, key=lambda s: (not math.isfinite(s.shortfall),
                                                  s.shortfall, s.name))
    for s in placed:
        print(f"  named {s.name}: {placement(outcome, s)['sentence']}")
    print(f"-> {out}/report.md, {out}/conf/strategy/front_*.yaml")


if __name__ == "__main__":
    main()
