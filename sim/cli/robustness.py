"""The console script ``mindshare-robustness``: does a finding hold across plausible worlds?

``mindshare-robustness experiment=mindset_divide --worlds 256`` draws worlds over the plausible
ranges of the world assumptions (:func:`sim.config.world_assumptions`) with a space-filling
design, writes each as a config-group option, and runs every arm the experiment's claims
compare in every world, on the same replicates, as one ordinary ``mindshare -m`` sweep in a
subprocess: the local, Ray and SLURM launchers, the manifest, the resume and the failure
handling are the sweep's own, and the sweep shows its progress. It then reports, for each
claim, the share of worlds in which it holds, the effect's band, the sensitivity indices and
the region where it fails (:mod:`sim.studies.robustness`, :mod:`sim.studies.robustness_report`).
Inputs are checked first (one line ``mindshare: error: ...``, exit 2, nothing written); rerun
the same command to resume.
"""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import time
from pathlib import Path

from sim.cli.errors import fail
from sim.cli.studies import (
    StudyParser,
    on_sigterm,
    open_study_dir,
    plain,
    run_sweep,
    summary_metrics,
)
from sim.config import ConfigError, override_key, override_values
from sim.outputs.files import atomic_write
from sim.studies import robustness as rb
from sim.studies import sensitivity as sa
from sim.studies.points import GROUP, point_text

METHODS = ("sobol", "morris", "lhs")


def parser() -> argparse.ArgumentParser:
    """The command line of ``mindshare-robustness``."""
    p = StudyParser(
        prog="mindshare-robustness",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Test an experiment's findings across plausible worlds: draw --worlds\n"
                    "points over the plausible ranges of the world assumptions (the config\n"
                    "reference lists them), run every strategy the claims compare in each,\n"
                    "on the same --replicates, as one `mindshare -m` sweep (any launcher),\n"
                    "and report in what share of worlds each claim holds, which assumptions\n"
                    "drive it and where it fails. Rerunning the same command resumes.\n"
                    "README.md, section Robustness, says what the outputs mean.",
        epilog="examples:\n"
               "  mindshare-robustness experiment=mindset_divide --worlds 256\n"
               "  mindshare-robustness experiment=mindset_divide budget.total=6000\n"
               "  mindshare-robustness experiment=influence_seeding \\\n"
               "      --finding 'core>broadcast:reached' hydra/launcher=ray\n"
               "outputs (in --out): robustness.csv, indices.csv, worlds.parquet, report.md,\n"
               "robustness.png, tornado_*.png, failure_*.png, deck.pptx; sweep/ holds the runs.")
    p.add_argument("--worlds", type=int, default=256,
                   help="plausible worlds to draw, at most (the design may use fewer: "
                        "sobol needs a multiple of D + 2; default 256)")
    p.add_argument("--replicates", type=int, default=4,
                   help="runs per world and strategy, paired by replicate (default 4)")
    p.add_argument("--method", choices=METHODS, default="sobol",
                   help="design and indices: sobol (Saltelli design, Sobol first and total "
                        "order), morris (elementary effects, a screening design), lhs (Latin "
                        "hypercube); default sobol")
    p.add_argument("--seed", type=int, default=0, help="the design's seed (default 0)")
    p.add_argument("--finding", action="append", default=[], metavar="A>B:METRIC",
                   help="a paired difference to test besides the experiment's claims, e.g. "
                        "'broadcast>adapted:reached' (repeatable; '<' when lower is better)")
    p.add_argument("--no-claims", action="store_true",
                   help="test only the --finding ones, not the experiment's claims")
    p.add_argument("--assumptions", default="",
                   help="comma-separated keys to draw (default: every world assumption that "
                        "applies to the experiment's config)")
    p.add_argument("--out", default=None,
                   help="the study directory (default results/robustness/<experiment>)")
    p.add_argument("--no-charts", action="store_true", help="skip the charts and the deck")
    p.add_argument("overrides", nargs="*",
                   help="experiment=NAME, then overrides for every run (n=2000, "
                        "budget.total=6000, hydra/launcher=slurm, ...)")
    return p


def check_inputs(args: argparse.Namespace):
    """Every input checked before anything is written or run; one-line error and exit 2."""
    from sim import load_config  # noqa: PLC0415 - start-up: Hydra (~0.2 s)
    from sim.config import world_assumptions  # noqa: PLC0415 - start-up: with load_config

    if args.replicates < 1:
        fail(f"--replicates={args.replicates}: must be an integer >= 1")
    values = override_values(args.overrides)
    experiment = values.get("experiment")
    rest = [o for o in args.overrides if override_key(o) != "experiment"]
    try:
        axes = rb.sweep_axes(rest)
        # the base config: the experiment with the first level of every swept key
        base = ([f"experiment={experiment}"] if experiment else []) + [
            o if override_key(o) not in axes else f"{override_key(o)}={axes[override_key(o)][0]}"
            for o in plain(rest)]
        config = load_config(base)
        findings = [] if args.no_claims else (
            rb.hypothesis_findings(experiment, rb.experiment_axes(experiment))
            if experiment else [])
        findings += [rb.parse_finding(t) for t in args.finding]
        # a key the findings compare, or one the command line fixes, is not drawn
        fixed = {override_key(o) for o in rest} | {k for f in findings for k in f.keys}
        applies = {a.key: a for a in world_assumptions(config)}
        every = [a for a in applies.values() if a.key not in fixed]
        if args.assumptions:
            wanted = [k.strip() for k in args.assumptions.split(",") if k.strip()]
            for k in wanted:
                if k not in applies:
                    fail(f"--assumptions: {k!r} is not a world assumption of this config; "
                         f"known: {', '.join(applies)}")
                if k in fixed:
                    fail(f"--assumptions: {k!r} is fixed by the command line or compared by "
                         "a finding")
            every = [a for a in every if a.key in wanted]
        if not every:
            fail("no world assumption left to draw (every one is fixed by an override)")
        study_plan = rb.plan(experiment, every, findings, rest)
        for corner in ("low", "high"):
            load_config([*base, *(f"{a.key}={_text(a, getattr(a, corner))}" for a in every)])
        metrics = set(summary_metrics(base))
        for f in findings:
            if f.metric not in metrics:
                fail(f"finding {f.name!r}: metric {f.metric!r} is not a number of summary.json")
        design = sa.design(rb.dimensions(every), args.worlds, method=args.method,
                           seed=args.seed)
    except (ConfigError, rb.StudyError, ValueError) as exc:
        fail(str(exc))
    return study_plan, design, rest


def _text(a, value: float) -> str:
    return str(int(round(value))) if a.integer else repr(float(value))


def _definition(args, study_plan: rb.Plan, design: sa.Design, rest: list[str]) -> dict:
    """What a study directory holds: its worlds and the arms run in them.

    The findings are not part of it: a finding that compares arms the study ran can be added
    by rerunning the command with it (no run is made); one that needs other arms changes the
    axes, so it is another study.
    """
    return {"experiment": study_plan.experiment, "method": design.method,
            "worlds": design.worlds, "seed": args.seed, "replicates": args.replicates,
            "assumptions": [[a.key, a.low, a.high, a.log, a.integer]
                            for a in study_plan.assumptions],
            "axes": study_plan.axes, "overrides": plain(rest)}


def _open(args, definition: dict) -> Path:
    """Create or reopen the study directory; refuse another study's, or a busy one."""
    return open_study_dir(args.out, definition, "robustness study")


def write_worlds(out: Path, study_plan: rb.Plan, design: sa.Design) -> list[str]:
    """Write every world's point file (atomically, unchanged ones left alone); their names."""
    names = []
    folder = out / "points" / GROUP
    folder.mkdir(parents=True, exist_ok=True)
    for i, values in enumerate(rb.world_values(design, study_plan.assumptions)):
        name = rb.world_name(i)
        path = folder / f"{name}.yaml"
        text = point_text(values, header=[f"plausible world {i} of {design.worlds} "
                                          f"({design.method} design, seed {design.seed})"])
        if not path.exists() or path.read_text() != text:
            atomic_write(path, lambda tmp, t=text: Path(tmp).write_text(t))
        names.append(name)
    return names


def sweep_command(out: Path, names: list[str], study_plan: rb.Plan, rest: list[str],
                  replicates: int) -> list[str]:
    """The ``mindshare -m`` overrides of the study's sweep."""
    search = (out / "points").resolve().as_uri()
    exp = study_plan.experiment
    axes = [f"{k}={','.join(v)}" for k, v in study_plan.axes.items()]
    kept = [o for o in rest if override_key(o) not in study_plan.axes]
    return [*([f"experiment={exp}"] if exp else []), "hydra.sweeper.params=null",
            f"+{GROUP}={','.join(names)}", *axes, f"hydra.searchpath=['{search}']",
            f"replicates={replicates}", f"name=robustness_{exp or 'study'}",
            f"hydra.sweep.dir='{(out / 'sweep').resolve()}'", *kept]


def main(argv: list[str] | None = None) -> None:
    """Console script ``mindshare-robustness`` (``--help`` for its options)."""
    t0 = time.perf_counter()
    # overrides may come before and after the options (key=value --worlds 64 key=value)
    args = parser().parse_intermixed_args(argv)
    study_plan, design, rest = check_inputs(args)
    args.out = args.out or f"results/robustness/{study_plan.experiment or 'study'}"
    out = _open(args, _definition(args, study_plan, design, rest))
    signal.signal(signal.SIGTERM, on_sigterm)
    names = write_worlds(out, study_plan, design)
    runs = study_plan.runs(design.worlds, args.replicates)
    print(f"mindshare-robustness: {design.worlds} worlds ({design.method} design over "
          f"{len(study_plan.assumptions)} assumptions) x {runs // design.worlds} runs each = "
          f"{runs} runs -> {out}", file=sys.stderr, flush=True)
    t1 = time.perf_counter()
    status = run_sweep(sweep_command(out, names, study_plan, rest, args.replicates))
    t2 = time.perf_counter()
    if status not in (0, 1):
        if status == 2:
            raise SystemExit(2)
        print(f"mindshare: the study's sweep stopped (exit status {status}); rerun the same "
              "command to resume", file=sys.stderr, flush=True)
        raise SystemExit(status)
    from sim.studies import robustness_report as report  # noqa: PLC0415 - pandas, matplotlib
    from sim.sweep.table import runs_table  # noqa: PLC0415 - pandas, after the sweep

    table = runs_table(out / "sweep")
    results = rb.analyse(design, table, study_plan, seed=args.seed)
    command = shlex.join(["mindshare-robustness", *(argv if argv is not None else sys.argv[1:])])
    timing = {"setup_s": t1 - t0, "sweep_s": t2 - t1, "analysis_s": time.perf_counter() - t2}
    written = report.write_outputs(out, study_plan, design, results, command=command,
                                   replicates=args.replicates, timing=timing,
                                   charts=not args.no_charts)
    for r in results:
        print(f"  {r.sentence()}" + (f" [{rb.cell_text(r.cell)}]" if r.cell else ""))
    print(f"-> {written}")
    if status == 1:
        print("mindshare: some runs failed (sweep/ says which); their worlds are left out",
              file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
