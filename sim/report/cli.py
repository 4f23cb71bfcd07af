"""The ``mindshare-report`` command: a sweep directory in, a report directory out.

``mindshare-report SWEEP_DIR [--out DIR]`` collects every run of the sweep, compares the
strategies, draws the charts and writes the deck (see :func:`sim.report.build.report`). It
prints one progress line per stage on stderr and, at the end, where the report, charts, deck
and tables are, and how many runs failed or are missing. Exit status: 0 when the report was
written, 1 when the sweep has no complete run (the summary still lists the failed and missing
ones), 2 on a bad argument or an unreadable sweep directory (one line naming it). A report is
never written inside a run directory, where its tables would replace the run's own.

``mindshare-report --cascade RUN_DIR [--post K] [--out DIR]`` draws one finished run's
cascade chart instead (:func:`sim.outputs.cascade.draw_run_cascade`): the largest diffusion
tree of the run (or of post K) from its ``activations.parquet``, written as ``cascade.png``
into the run directory (or DIR), the same chart as ``mindshare output.cascade_chart=true``.
Exit status 2 when the directory has no ``activations.parquet`` or nobody shared post K.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from sim.outputs.lock import enclosing_run_dir

PROG = "mindshare-report"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    ap = argparse.ArgumentParser(
        prog=PROG, description="Turn a mindshare sweep directory into tables, statistics, "
        "slide-ready charts and a .pptx deck.")
    ap.add_argument("sweep_dir", type=Path, metavar="SWEEP_DIR", nargs="?",
                    help="the sweep directory (run directories below it, sweep.json beside)")
    ap.add_argument("--cascade", type=Path, default=None, metavar="RUN_DIR",
                    help="instead of a report: draw RUN_DIR's largest diffusion tree as "
                         "cascade.png in RUN_DIR (or --out DIR)")
    ap.add_argument("--post", type=int, default=None, metavar="K",
                    help="with --cascade: draw post K's largest tree (posts from 0)")
    ap.add_argument("--out", type=Path, default=None, metavar="DIR",
                    help="report directory (default: SWEEP_DIR/report)")
    ap.add_argument("--bootstrap", type=int, default=4000, metavar="B",
                    help="bootstrap resamples for the intervals (default: %(default)s)")
    ap.add_argument("--seed", type=int, default=0,
                    help="seed of the bootstrap's generator (default: %(default)s)")
    ap.add_argument("--no-charts", action="store_true",
                    help="tables and statistics only (no charts, no deck)")
    ap.add_argument("--no-deck", action="store_true", help="charts but no deck.pptx")
    ap.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    ap.add_argument("--robustness", type=Path, default=None, metavar="STUDY_DIR",
                    help="a mindshare-robustness study of the same experiment: each claim's "
                         "verdict then says in what share of plausible worlds it holds")
    args = ap.parse_args(argv)
    if (args.sweep_dir is None) == (args.cascade is None):
        ap.error("give either SWEEP_DIR (a report) or --cascade RUN_DIR (one run's cascade)")
    if args.post is not None and args.cascade is None:
        ap.error(f"--post={args.post}: applies only with --cascade RUN_DIR")
    if args.post is not None and args.post < 0:
        ap.error(f"--post={args.post}: must be >= 0 (posts are numbered from 0)")
    if args.bootstrap < 100:
        ap.error(f"--bootstrap={args.bootstrap}: must be at least 100")
    if args.seed < 0:
        ap.error(f"--seed={args.seed}: must be >= 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Console script ``mindshare-report``; returns the exit status."""
    args = parse_args(argv)
    if args.cascade is not None:
        return _cascade(args.cascade, args.post, args.out)
    out = args.out if args.out is not None else args.sweep_dir / "report"
    inside = enclosing_run_dir(out)
    if inside is not None:
        where = ("is a run directory" if inside == out.resolve()
                 else f"is inside the run directory {inside}")
        print(f"{PROG}: error: --out={out} {where}, whose files the report would replace; "
              "choose a directory outside the runs (default: SWEEP_DIR/report)",
              file=sys.stderr)
        return 2
    # --help and a bad argument answer at once, before pandas and matplotlib load
    from sim.report.build import report  # noqa: PLC0415 - start-up: arguments first
    from sim.report.collect import ReportError  # noqa: PLC0415 - start-up: arguments first

    t0 = time.perf_counter()

    def progress(message: str) -> None:
        if not args.quiet:
            print(f"{PROG}: [{time.perf_counter() - t0:5.1f} s] {message}", file=sys.stderr,
                  flush=True)

    try:
        rep = report(args.sweep_dir, args.out, bootstrap=args.bootstrap, seed=args.seed,
                     charts=not args.no_charts, deck=not args.no_deck, progress=progress,
                     robustness=args.robustness)
    except (ReportError, OSError) as exc:
        print(f"{PROG}: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    out = rep.out
    print(f"report:  {out / 'summary.md'}  (and summary.html)")
    if rep.charts:
        print(f"charts:  {out / 'charts'}/  ({len(rep.charts)} charts, PNG at 200 dpi and SVG)")
    if "deck.pptx" in rep.files:
        print(f"deck:    {rep.files['deck.pptx']}  ({_slides(rep.files['deck.pptx'])} slides)")
    print(f"tables:  {out / 'runs.parquet'}, {out / 'timeseries.parquet'}, "
          f"{out / 'outcomes.csv'}, {out / 'differences.csv'}")
    status = rep.sweep.runs["status"]
    failed, missing = int((status == "failed").sum()), int((status == "missing").sum())
    if failed or missing:
        print(f"runs:    {int((status == 'complete').sum())} complete, {failed} failed, "
              f"{missing} missing (listed in summary.md and report.json)")
    if not (status == "complete").any():
        print(f"{PROG}: error: {args.sweep_dir}: no complete run to report on", file=sys.stderr)
        return 1
    return 0


def _cascade(run_dir: Path, post: int | None, out: Path | None) -> int:
    """Draw one run's cascade chart (``--cascade``); returns the exit status."""
    from sim.outputs.cascade import NoCascade, draw_run_cascade  # noqa: PLC0415 - start-up

    try:
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
        path = draw_run_cascade(run_dir, post=post, out=out)
    except (NoCascade, OSError) as exc:
        print(f"{PROG}: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    print(f"cascade: {path}")
    return 0


def _slides(path: Path) -> int:
    """Number of slides of the deck at ``path``."""
    from pptx import Presentation  # noqa: PLC0415 - start-up: python-pptx only after a deck

    return len(Presentation(str(path)).slides)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
