"""Benchmark section ``report``: ``mindshare-report`` on a synthetic sweep of 1,000 runs.

A few real runs (``write_sweep`` of ``tests/synthetic_sweep.py``: 4 strategies x 2 replicates,
N = 2,000, 30 days) are cloned into 1,000 run directories (4 strategies x 250 replicates) laid
out as the ``mindshare`` command lays out a sweep, each with its own ``summary.json`` (every
metric scaled by a seeded 1 + 5% noise, so that the statistics have something to compare),
``.hydra/config.yaml``, ``status.json``, time series and activations, plus ``sweep.json``.
Then the report is timed three ways: collecting the tables alone, tables and statistics
(``charts=False``), and the whole report with charts and deck. See ``README.md``.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from sim.config import override_values
from sim.outputs.files import file_digest
from sim.outputs.rundir import write_complete

#: Where ``synthetic_sweep.py`` is: the sweep writer lives with the tests, its main users.
TESTS = Path(__file__).resolve().parents[2] / "tests"

STRATEGIES = ("broadcast", "adapted", "ambassadors", "influencers")
BASE_REPLICATES = 2
BASE_OVERRIDES = ["n=2000", "steps=30"]
#: Metrics left as they are when cloning a run (identifiers, counts of the set-up).
KEEP = ("seed", "replicate", "n_agents", "steps", "posts_published", "budget_total")


def clone_sweep(base: Path, root: Path, runs: int, seed: int) -> Path:
    """Write a sweep of ``runs`` runs into ``root`` from the runs of ``base`` (a
    ``write_sweep`` directory), replicates numbered 0.. within each strategy."""
    rng = np.random.default_rng(seed)
    entries = json.loads((base / "sweep.json").read_text())["runs"]
    by_strategy: dict[str, list[Path]] = {}
    for entry in entries:
        strategy = override_values(entry["overrides"])["strategy"]
        by_strategy.setdefault(strategy, []).append(base / entry["dir"])
    per = runs // len(by_strategy)
    manifest = []
    for strategy, sources in by_strategy.items():
        for rep in range(per):
            src = sources[rep % len(sources)]
            rel = f"strategy={strategy}/replicate={rep}"
            dst = root / rel
            (dst / ".hydra").mkdir(parents=True)
            for name in ("timeseries.parquet", "activations.parquet"):
                shutil.copyfile(src / name, dst / name)
            config = (src / ".hydra" / "config.yaml").read_text()
            config = re.sub(r"^replicate: \d+$", f"replicate: {rep}", config, flags=re.M)
            (dst / ".hydra" / "config.yaml").write_text(config)
            summary = json.loads((src / "summary.json").read_text())
            for key, value in summary.items():
                if isinstance(value, float) and key not in KEEP:
                    summary[key] = value * (1 + 0.05 * rng.standard_normal())
            digest = f"{rng.integers(2**63):016x}"
            summary.update(replicate=rep, config_hash=digest)
            (dst / "summary.json").write_text(json.dumps(summary))
            names = ("timeseries.parquet", "activations.parquet", ".hydra/config.yaml",
                     "summary.json")
            write_complete(dst, digest, {n: file_digest(dst / n) for n in names})
            manifest.append({"dir": rel, "config_hash": digest,
                             "overrides": [f"strategy={strategy}", f"replicate={rep}"]})
    (root / "sweep.json").write_text(json.dumps(
        {"name": "bench_report", "experiment": None, "total": len(manifest), "runs": manifest}))
    return root


def bench_report(runs: int, seed: int, log) -> dict[str, Any]:
    """Time the report on a synthetic sweep of ``runs`` runs.

    Args:
        runs: runs in the sweep (a multiple of 4).
        seed: seed of the clones' noise and of the report's bootstrap.
        log: a function printing one progress line.

    Returns:
        The section's figures (see ``experiments/bench/README.md``).
    """
    from sim.report import report
    from sim.report.collect import collect

    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))
    from synthetic_sweep import write_sweep

    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        base = write_sweep(tmp / "base", strategies=STRATEGIES, replicates=BASE_REPLICATES,
                           overrides=BASE_OVERRIDES, seed=seed)
        log(f"report: {len(STRATEGIES) * BASE_REPLICATES} base runs in "
            f"{time.perf_counter() - t0:.1f} s; cloning them into {runs} runs")
        root = clone_sweep(base, tmp / "sweep", runs, seed)
        size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
        t0 = time.perf_counter()
        sweep = collect(root)
        collect_s = time.perf_counter() - t0
        log(f"report: collected {len(sweep.runs)} runs in {collect_s:.2f} s")
        t0 = time.perf_counter()
        report(root, tmp / "tables", charts=False, seed=seed)
        tables_s = time.perf_counter() - t0
        log(f"report: tables and statistics in {tables_s:.2f} s")
        t0 = time.perf_counter()
        full = report(root, tmp / "full", seed=seed)
        full_s = time.perf_counter() - t0
        log(f"report: with {len(full.charts)} charts and the deck in {full_s:.2f} s")
        return {
            "runs": len(sweep.runs), "strategies": len(STRATEGIES),
            "n_agents": int(sweep.runs["n_agents"].iloc[0]),
            "timeseries_rows": len(sweep.timeseries), "sweep_mb": size / 2**20,
            "collect_s": collect_s, "tables_and_stats_s": tables_s, "full_report_s": full_s,
            "charts": len(full.charts), "bootstrap": full.bootstrap,
            "targets": {"tables_under_10s": tables_s < 10},
        }
