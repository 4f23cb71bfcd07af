"""A sweep's results at a glance: per job, each headline metric's mean and 95% interval.

One row per job (its swept values), with the mean and 95% interval of each headline metric
over the job's replicates::

    python -m sim.sweep.table results/mindset_divide/sweep [--metrics reached,mean_loyalty]

prints the table and writes it next to ``sweep.json`` as ``summary_table.txt`` and
``summary_table.csv`` (numbers unrounded). Runs are read through the manifest, so failed and
missing runs (stale ones, of another config, and damaged ones, whose files do not verify,
among them) are counted, not silently dropped. The interval is ``mean +- 1.96 sd / sqrt(n)``
over replicates; comparisons between strategies are paired by replicate (common random
numbers), so a difference is usually better resolved than the two intervals suggest.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from sim.config import NOT_FACTORS, override_values
from sim.outputs.files import atomic_write
from sim.outputs.rundir import RunState, read_run
from sim.sweep.manifest import read_manifest

#: Metrics shown by default, those present in the runs' summaries.
METRICS = ("reached", "engaged", "reached_personal", "reached_professional", "mean_loyalty")


def runs_table(sweep_dir: str | Path) -> pd.DataFrame:
    """One row per run of the manifest: its override values, replicate, status and summary.

    The override values are text, ``status`` is a :class:`~sim.outputs.rundir.RunState` value
    and the numbers of the run's ``summary.json`` are empty unless it is complete. The swept
    keys, in the sweep's order, are in ``.attrs["factors"]``.
    """
    root = Path(sweep_dir)
    rows, keys = [], {}
    for entry in read_manifest(root)["runs"]:
        pairs = override_values(entry["overrides"])
        row = {k: v for k, v in pairs.items() if k not in NOT_FACTORS}
        keys.update(dict.fromkeys(row))
        row["replicate"] = int(pairs.get("replicate", 0))
        run = read_run(root / entry["dir"], entry.get("config_hash"))
        row["status"] = str(run.state)
        if run.state is RunState.COMPLETE:
            row.update({k: v for k, v in run.summary.items() if k not in row
                        and isinstance(v, (int, float)) and not isinstance(v, bool)})
        rows.append(row)
    runs = pd.DataFrame(rows)
    runs.attrs["factors"] = [k for k in keys if runs[k].nunique(dropna=False) > 1]
    return runs


def summary_table(runs: pd.DataFrame, by: Sequence[str],
                  metrics: Sequence[str] = METRICS) -> pd.DataFrame:
    """Per combination of ``by``: runs complete / expected, and each metric's mean and interval.

    The mean and 95% half-interval are columns ``<metric>`` and ``<metric>_ci``; rows are in
    the sweep's order.

    Args:
        runs: :func:`runs_table`.
        by: the keys whose combinations make the rows.
        metrics: the ``summary.json`` keys to summarise (those with no value are left out).
    """
    metrics = [m for m in metrics if m in runs and runs[m].notna().any()]
    keys = list(by)
    groups = runs.groupby(keys, sort=False, dropna=False) if keys else [((), runs)]
    rows = []
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        done = g[g["status"] == "complete"]
        row = dict(zip(keys, key, strict=True))
        row.update(complete=len(done), runs=len(g), failed=int((g["status"] == "failed").sum()))
        for m in metrics:
            values = done[m].dropna().astype(float)
            row[m] = values.mean() if len(values) else math.nan
            row[f"{m}_ci"] = (1.96 * values.std(ddof=1) / math.sqrt(len(values))
                              if len(values) > 1 else math.nan)
        rows.append(row)
    return pd.DataFrame(rows)


def _fmt(mean: float, ci: float) -> str:
    if math.isnan(mean):
        return "-"
    digits = 0 if abs(mean) >= 100 else 2 if abs(mean) >= 1 else 3
    return f"{mean:.{digits}f}" + ("" if math.isnan(ci) else f" ± {ci:.{digits}f}")


def render(table: pd.DataFrame, by: Sequence[str], metrics: Sequence[str]) -> str:
    """The table as aligned text: factors, ``runs`` (complete/expected), ``mean ± ci``."""
    metrics = [m for m in metrics if m in table]
    header = [*by, "runs", *metrics]
    body = [[*(str(r[k]) for k in by), f"{r['complete']}/{r['runs']}",
             *(_fmt(r[m], r[f"{m}_ci"]) for m in metrics)] for _, r in table.iterrows()]
    widths = [max(len(h), *(len(b[i]) for b in body)) if body else len(h)
              for i, h in enumerate(header)]
    lines = ["  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True))]
    lines += ["  ".join(c.rjust(w) for c, w in zip(b, widths, strict=True)) for b in body]
    return "\n".join(lines) + "\n"


def write_summary(sweep_dir: str | Path, metrics: Sequence[str] = METRICS) -> str:
    """Build, write (``summary_table.txt``, ``summary_table.csv``) and return the table text."""
    root = Path(sweep_dir)
    manifest = read_manifest(root)
    runs = runs_table(root)
    by = runs.attrs["factors"]
    table = summary_table(runs, by, metrics)
    failed = int((runs["status"] == "failed").sum())
    # a stale or damaged run is one to redo, as a missing one is
    missing = int(runs["status"].isin([RunState.MISSING, RunState.STALE,
                                       RunState.DAMAGED]).sum())
    title = (f"{manifest.get('name')}: {len(runs)} runs"
             + (f", {failed} failed" if failed else "") + (f", {missing} missing" if missing
                                                           else "")
             + "; mean ± 95% interval over replicates\n")
    text = title + render(table, by, metrics)
    atomic_write(root / "summary_table.txt", lambda tmp: Path(tmp).write_text(text))
    atomic_write(root / "summary_table.csv", lambda tmp: table.to_csv(tmp, index=False))
    return text


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m sim.sweep.table SWEEP_DIR [--metrics a,b]``."""
    ap = argparse.ArgumentParser(prog="python -m sim.sweep.table",
                                 description=__doc__.splitlines()[0])
    ap.add_argument("sweep_dir", type=Path)
    ap.add_argument("--metrics", default=",".join(METRICS),
                    help="comma-separated summary.json keys (default: %(default)s)")
    args = ap.parse_args(argv)
    try:
        text = write_summary(args.sweep_dir, [m for m in args.metrics.split(",") if m])
    except (OSError, ValueError) as exc:
        print(f"sweep_table: error: {args.sweep_dir}: {' '.join(str(exc).split())}",
              file=sys.stderr)
        return 2
    print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
