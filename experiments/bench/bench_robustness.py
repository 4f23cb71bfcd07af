"""Section ``robustness`` of the benchmarks: what a robustness study costs on this machine.

``mindshare-robustness experiment=mindset_divide budget.total=3000 --method lhs --worlds 256
--replicates 4`` at N = 10,000: 256 plausible worlds x 2 strategies x 4 replicates = 2,048 runs
on the default launcher (joblib, one worker per core), in a temporary directory, under the
benchmark's small launcher (wall time, and CPU time of the whole process tree). The study's own
overhead is its set-up (checks, design, world files), analysis and report, against the time of
its sweep, as the study measures them itself (``summary.json``: ``time_*``). ``--quick``: 16
worlds, 1 replicate, N = 1,000. Figures are documented in ``experiments/bench/README.md``.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench_calibration import _timed

FULL = {"worlds": 256, "replicates": 4, "n": 10_000}
QUICK = {"worlds": 16, "replicates": 1, "n": 1000}


def bench_robustness(launcher: str, log: Callable[[str], None], *, quick: bool = False
                     ) -> dict[str, Any]:
    """Run one robustness study and return its figures."""
    size = QUICK if quick else FULL
    script = Path(sys.executable).with_name("mindshare-robustness")
    with tempfile.TemporaryDirectory(prefix="bench_robustness_") as tmp:
        work = Path(tmp)
        out = work / "study"
        command = [str(script), "experiment=mindset_divide", "budget.total=3000",
                   f"n={size['n']}", "--method", "lhs", "--worlds", str(size["worlds"]),
                   "--replicates", str(size["replicates"]), "--out", str(out)]
        log(f"  robustness: {size['worlds']} worlds x 2 strategies x {size['replicates']} "
            f"replicates, N = {size['n']}")
        usage = _timed(launcher, work / "usage.json", command, work, work / "log.txt")
        if usage["exit_code"] != 0:
            raise RuntimeError("mindshare-robustness failed:\n"
                               + (work / "log.txt").read_text()[-3000:])
        summary = json.loads((out / "summary.json").read_text())
    own = summary["time_setup_s"] + summary["time_analysis_s"] + summary["time_report_s"]
    return {
        "experiment": "mindset_divide", "method": "lhs", "worlds": summary["worlds"],
        "assumptions": summary["assumptions"], "replicates": summary["replicates"],
        "n": size["n"], "runs": summary["runs"], "workers": os.cpu_count(),
        "wall_s": usage["wall_s"], "cpu_s": usage["cpu_s"],
        "runs_per_minute": 60 * summary["runs"] / usage["wall_s"],
        "sweep_s": summary["time_sweep_s"], "setup_s": summary["time_setup_s"],
        "analysis_s": summary["time_analysis_s"], "report_s": summary["time_report_s"],
        "own_overhead_s": own, "own_overhead_share_of_runs": own / summary["time_sweep_s"],
    }
