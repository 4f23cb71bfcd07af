"""Section ``sweep`` of the benchmarks: throughput and overhead of the sweep machinery.

A real ``mindshare -m experiment=mindset_divide`` (2 strategies x 3 levels of p x 3 budgets x 20
replicates = 360 runs at N = 10,000) on the default launcher (joblib, one worker per core), in a
temporary directory, then the same command again, which finds every run complete and skips it.
Each command is started by the benchmark's small launcher, which reads the CPU time of the whole
process tree (driver and workers) with ``os.wait4``. Every run records the CPU seconds of its
simulation (``cpu_s`` in ``timing.json``), so the machinery's cost is measured in CPU seconds,
which other load on the machine changes much less than wall time. Figures are documented in
``experiments/bench/README.md``. """

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: The mindset_divide sweep at N = 10,000 (360 runs).
EXPERIMENT = "mindset_divide"
#: The smoke test's sweep (--quick): 2 x 3 x 3 x 2 = 36 runs at N = 2,000.
QUICK = ("replicates=2", "n=2000")
#: Every SAMPLE-th run of the sweep is rerun in-process to time the files it writes.
SAMPLE = 5
#: Target: what the machinery adds per run, as a fraction of the run's own time.
TARGET_PER_RUN = 0.10
#: Target: wall seconds for the same command to find the complete sweep and say so.
TARGET_RESUME_S = 2.0


def _command(mindshare: str, launcher: str, usage: Path, args: list[str], cwd: Path,
             log: Path) -> dict[str, Any]:
    """Run ``mindshare args`` through the launcher; its wall time, exit code and CPU time."""
    with open(log, "ab") as out:
        subprocess.run([sys.executable, "-S", "-c", launcher, str(usage), mindshare, *args],
                       cwd=cwd, stdout=out, stderr=out, stdin=subprocess.DEVNULL, check=False)
    data = json.loads(usage.read_text())
    data["cpu_s"] = data["user_s"] + data["sys_s"]
    return data


def _plan_cpu_s(args: list[str], reps: int = 5) -> tuple[float, float, int]:
    """CPU seconds the driver spends planning the sweep ``args`` (Hydra initialised):
    :func:`sim.cli.sweep_callback.plan_sweep`, which composes every job (one base per combination of
    config groups), types it and lists its runs; those of one job's composition by Hydra
    alone; and the number of bases."""
    import hydra
    from hydra.core.global_hydra import GlobalHydra
    from hydra.types import RunMode

    import sim.cli.job_compose as sweep_compose
    from sim.cli.compose import CONFIG_MODULE, register_configs
    from sim.cli.job_compose import JobConfigLoader
    from sim.cli.sweep_callback import job_overrides, plan_sweep

    register_configs()
    GlobalHydra.instance().clear()
    with hydra.initialize_config_module(CONFIG_MODULE, version_base="1.3"):
        loader = GlobalHydra.instance().config_loader()
        master = loader.load_configuration(
            config_name="config", overrides=["hydra.mode=MULTIRUN", *args],
            run_mode=RunMode.MULTIRUN)
        job = list(job_overrides(master)[0])
        loader.load_sweep_config(master, job)
        t = time.process_time()
        for _ in range(reps):
            loader.load_sweep_config(master, job)
        hydra_alone = (time.process_time() - t) / reps
        plan_sweep(master, JobConfigLoader(loader))
        t = time.process_time()
        for _ in range(reps):
            plan_sweep(master, JobConfigLoader(loader))   # a new sweep: no base composed yet
        plan = (time.process_time() - t) / reps
        bases = len(sweep_compose._BASES)
    GlobalHydra.instance().clear()
    return plan, hydra_alone, bases


def _per_run(sweep: Path, entries: list[dict[str, Any]]) -> tuple[float, float]:
    """Rerun ``entries`` in this process, into a scratch directory, through the same function
    a sweep's jobs use (:func:`sim.sweep.jobs.execute_run`); return the mean CPU seconds per run
    outside the simulation (preparing the run directory, writing every file) and inside it."""
    from sim.outputs.rundir import RunSpec, config_yaml, read_run_config
    from sim.sweep.jobs import execute_run

    outside = inside = 0.0
    with tempfile.TemporaryDirectory(prefix="mindshare-bench-run-") as tmp:
        # one run first, untimed: what a process pays once (imports, first writes) is the
        # sweep's fixed cost, not a run's
        for k, entry in enumerate([entries[0], *entries]):
            config = read_run_config(sweep / entry["dir"])
            # a job dumps its config once for all its replicates (sim.sweep.jobs.plan_runs)
            spec = RunSpec(dir=Path(tmp) / str(k), config=config, overrides=(),
                           config_hash=entry["config_hash"], config_text=config_yaml(config))
            t = time.process_time()
            execute_run(spec)
            total = time.process_time() - t
            if k == 0:
                continue
            cpu = json.loads((spec.dir / "timing.json").read_text())["cpu_s"]
            outside += total - cpu
            inside += cpu
    return outside / len(entries), inside / len(entries)


def bench_sweep(mindshare: str, launcher: str, log: Callable[[str], None], *,
                quick: bool = False) -> dict[str, Any]:
    """Time the sweep, then its resumption; return the figures of the ``sweep`` section.

    Args:
        mindshare: path of the ``mindshare`` console script.
        launcher: Python source of the launcher (argv: usage file, command...).
        log: where progress lines go.
        quick: the small sweep of ``QUICK`` instead of the 360 runs at N = 10,000.
    """
    import joblib

    args = ["-m", f"experiment={EXPERIMENT}", "name=bench_sweep", *(QUICK if quick else ())]
    with tempfile.TemporaryDirectory(prefix="mindshare-bench-sweep-") as tmp:
        root = Path(tmp)
        output = root / "output.log"
        log(f"sweep: mindshare {' '.join(args)}")
        first = _command(mindshare, launcher, root / "usage1.json", args, root, output)
        if first["exit_code"] != 0:
            return {"error": output.read_text(errors="replace")[-2000:], **first}
        log(f"sweep: {first['wall_s']:.1f} s wall; again, every run already complete")
        again = _command(mindshare, launcher, root / "usage2.json", args, root, output)
        sweep = root / "results" / "bench_sweep" / "sweep"
        manifest = json.loads((sweep / "sweep.json").read_text())
        timings = [json.loads((sweep / e["dir"] / "timing.json").read_text())
                   for e in manifest["runs"]]
        log(f"sweep: every {SAMPLE}th run again in this process, to time its files")
        outside, inside = _per_run(sweep, manifest["runs"][::SAMPLE])
    runs = len(timings)
    jobs = len({str(Path(e["dir"]).parent) for e in manifest["runs"]})
    run_cpu = sum(t["cpu_s"] for t in timings)
    run_wall = sum(t["build_s"] + t["run_s"] + t["collect_s"] for t in timings)
    workers = joblib.cpu_count()
    plan, hydra_alone, bases = _plan_cpu_s(args[1:])
    jobs_setup = sum(t.get("setup_cpu_s", 0.0) for t in timings)
    per_run = outside / inside
    setup_per_run = (plan + jobs_setup) / runs
    with_setup = (outside + setup_per_run) / inside
    out = {
        "command": "mindshare " + " ".join(args), "runs": runs, "jobs": jobs,
        "workers": workers, "n": 2000 if quick else 10_000,
        "load_average_1min": os.getloadavg()[0],
        "wall_s": first["wall_s"], "runs_per_minute": runs / first["wall_s"] * 60,
        "cpu_s": first["cpu_s"], "run_cpu_s": run_cpu, "run_wall_s": run_wall,
        "mean_run_cpu_s": run_cpu / runs, "mean_run_wall_s": run_wall / runs,
        "median_run_cpu_s": statistics.median(t["cpu_s"] for t in timings),
        "parallel_efficiency": run_cpu / (first["wall_s"] * workers),
        "resume_wall_s": again["wall_s"], "resume_cpu_s": again["cpu_s"],
        "resume_exit_code": again["exit_code"],
        "overhead": {
            "per_run_files_cpu_ms": 1000 * outside, "per_run_sample_run_cpu_ms": 1000 * inside,
            "per_run_fraction": per_run,
            "hydra_compose_cpu_s": hydra_alone, "compose_bases": bases,
            "driver_plan_cpu_s": plan, "jobs_setup_cpu_s": jobs_setup,
            "setup_per_run_cpu_ms": 1000 * setup_per_run,
            "per_run_fraction_with_setup": with_setup,
            "fixed_cpu_s": again["cpu_s"], "fixed_fraction": again["cpu_s"] / run_cpu,
            "all_in_fraction": (first["cpu_s"] - run_cpu) / run_cpu,
        },
        "targets": {"per_run_under_10pct": bool(per_run <= TARGET_PER_RUN),
                    "per_run_with_setup_under_10pct":
                        bool(with_setup <= TARGET_PER_RUN),
                    "resume_under_2s": bool(again["wall_s"] < TARGET_RESUME_S)},
    }
    log(f"sweep: {runs} runs in {first['wall_s']:.1f} s ({out['runs_per_minute']:.0f} runs/min); "
        f"per-run overhead {100 * per_run:.1f}% of run CPU "
        f"({100 * with_setup:.1f}% with the configs' setup), all in "
        f"{100 * out['overhead']['all_in_fraction']:.0f}%; resume of the complete sweep "
        f"{again['wall_s']:.1f} s")
    return out
