"""Section ``calibration`` of the benchmarks: what a small calibration costs on this machine.

``mindshare-calibrate`` (shipped parameters file; the shipped targets file when there is one,
else the test fixture ``tests/calibration/targets_small.yaml``) with 40 trials in rounds of 20,
3 replicates each, N = 2,000, on the default launcher (joblib, one worker per core), in a
temporary directory; then the same command again, which finds every trial told and only
rewrites the outputs. Each command runs under the benchmark's small launcher, which reads the
CPU time of the whole process tree with ``os.wait4``. ``--quick``: 8 trials in rounds of 4, 2
replicates, N = 1,000. Figures are documented in ``experiments/bench/README.md``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
FULL = {"trials": 40, "batch": 20, "replicates": 3, "n": 2000}
QUICK = {"trials": 8, "batch": 4, "replicates": 2, "n": 1000}


def _targets() -> Path:
    shipped = ROOT / "conf" / "calibration" / "targets.yaml"
    return shipped if shipped.exists() else ROOT / "tests" / "calibration" / "targets_small.yaml"


def _timed(launcher: str, usage: Path, command: list[str], cwd: Path, log: Path) -> dict:
    with open(log, "ab") as out:
        subprocess.run([sys.executable, "-S", "-c", launcher, str(usage), *command], cwd=cwd,
                       stdout=out, stderr=out, stdin=subprocess.DEVNULL, check=False)
    data = json.loads(usage.read_text())
    data["cpu_s"] = data["user_s"] + data["sys_s"]
    return data


def bench_calibration(launcher: str, log: Callable[[str], None], *, quick: bool = False
                      ) -> dict[str, Any]:
    """Run a small calibration twice (the second finds it done) and return its figures."""
    import pandas as pd

    budget = QUICK if quick else FULL
    script = Path(sys.executable).with_name("mindshare-calibrate")
    targets = _targets()
    with tempfile.TemporaryDirectory(prefix="bench_calibration_") as tmp:
        work = Path(tmp)
        out = work / "study"
        command = [str(script), "--targets", str(targets), "--trials", str(budget["trials"]),
                   "--batch", str(budget["batch"]), "--replicates", str(budget["replicates"]),
                   "--out", str(out), f"n={budget['n']}"]
        log(f"  calibration: {budget['trials']} trials x {budget['replicates']} replicates, "
            f"N = {budget['n']}")
        first = _timed(launcher, work / "usage1.json", command, work, work / "log.txt")
        if first["exit_code"] != 0:
            raise RuntimeError("mindshare-calibrate failed:\n"
                               + (work / "log.txt").read_text()[-3000:])
        again = _timed(launcher, work / "usage2.json", command, work, work / "log.txt")
        trials = pd.read_parquet(out / "trials.parquet")
        runs = sum(1 for _ in (out / "rounds").rglob("summary.json"))
        rounds = len(list((out / "rounds").iterdir()))
        complete = int((trials["state"] == "complete").sum())
        parameters = int(len(pd.read_csv(out / "parameters.csv")))
    return {
        "targets_file": str(targets.relative_to(ROOT)), "parameters": parameters,
        "targets": len(_count_targets(targets)),
        "trials": int(len(trials)), "trials_complete": complete, "rounds": rounds,
        "replicates": budget["replicates"], "n": budget["n"], "runs": runs,
        "workers": os.cpu_count(), "wall_s": first["wall_s"], "cpu_s": first["cpu_s"],
        "wall_s_per_trial": first["wall_s"] / max(len(trials), 1),
        "runs_per_minute": 60 * runs / first["wall_s"],
        "rerun_wall_s": again["wall_s"], "rerun_cpu_s": again["cpu_s"],
        "rerun_exit_code": again["exit_code"],
        "best_distance": float(trials["distance"].min()),
    }


def _count_targets(path: Path) -> list:
    import yaml

    return (yaml.safe_load(path.read_text()) or {}).get("targets", [])
