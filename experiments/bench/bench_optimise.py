"""Section 11 of ``bench.py``: the optimiser's sampler against random search, at equal cost.

The model itself is the problem: every lever of ``sim.studies.optimise.LEVERS``, objectives
``reached`` and ``loyalty_gain`` (both maximised), N = 2,000, the default budget, each trial
the mean of 2 replicates (the same replicates for every trial, as ``mindshare-optimise`` runs
them; here in this process, through ``simulate_batch``). For each of ``SEEDS`` seeds, a study
of ``TRIALS`` trials in rounds of ``BATCH`` with multi-objective TPE (the default) and one with
random search; the two studies of a seed are paired: their hypervolumes are computed against
one reference point, the worst value of each objective over both studies' trials. Reported:
each seed's two hypervolumes, how many seeds TPE wins, and the mean ratio.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

import numpy as np

TRIALS, BATCH, REPLICATES, SEEDS, N = 40, 10, 2, 10, 2000


def _evaluator(base: list[str]) -> Callable[[dict[str, Any]], dict[str, list[float]]]:
    from sim import load_config, simulate_batch
    from sim.studies import optimise as op

    config0 = load_config(base)

    def evaluate(values: dict[str, Any]) -> dict[str, list[float]]:
        keys = op.expand(values, config0)
        config = load_config([*base, *(f"{k}={str(v).lower() if isinstance(v, bool) else v}"
                                       for k, v in keys.items())])
        results = simulate_batch([dataclasses.replace(config, replicate=r)
                                  for r in range(REPLICATES)])
        return {m: [float(r.summary[m]) for r in results] for m in ("reached", "loyalty_gain")}

    return evaluate


def bench_optimise(log: Callable[[str], None], *, quick: bool = False) -> dict[str, Any]:
    """TPE against random search, paired over seeds, at equal numbers of evaluations."""
    import logging

    from sim.studies import optimise as op

    # the runs' own warnings (a small layer filled by a post's placements) are not the point
    logging.getLogger("mindshare").setLevel(logging.ERROR)
    seeds = 2 if quick else SEEDS
    objectives = op.parse_objectives("reached,loyalty_gain")
    evaluate = _evaluator([f"n={N}", "output.progress=false", "output.write_trace=false"])
    rows = []
    for seed in range(seeds):
        studies, times = {}, {}
        for sampler in ("tpe", "random"):
            t0 = time.perf_counter()
            studies[sampler] = op.optimise_inline(evaluate, list(op.LEVERS), objectives,
                                                  trials=TRIALS, batch=BATCH, seed=seed,
                                                  sampler=sampler)
            times[sampler] = time.perf_counter() - t0
        values = {s: np.array([[t.mean(o.metric) for o in objectives] for t in trials
                               if t.state == "complete"]) for s, trials in studies.items()}
        reference = np.vstack(list(values.values())).min(axis=0)
        hv = {s: op.hypervolume(v, objectives, reference) for s, v in values.items()}
        rows.append({"seed": seed, "hypervolume_tpe": hv["tpe"],
                     "hypervolume_random": hv["random"],
                     "ratio": hv["tpe"] / hv["random"] if hv["random"] > 0 else float("inf"),
                     "tpe_s": round(times["tpe"], 1), "random_s": round(times["random"], 1)})
        log(f"  seed {seed}: hypervolume TPE {hv['tpe']:.4g}, random {hv['random']:.4g} "
            f"({times['tpe']:.0f} s and {times['random']:.0f} s)")
    wins = sum(r["hypervolume_tpe"] > r["hypervolume_random"] for r in rows)
    ratios = [r["ratio"] for r in rows if np.isfinite(r["ratio"])]
    summary = {"trials": TRIALS, "batch": BATCH, "replicates": REPLICATES, "n": N,
               "seeds": seeds, "tpe_wins": wins,
               "mean_ratio": float(np.mean(ratios)) if ratios else None, "rows": rows}
    log(f"  TPE beats random search on hypervolume in {wins} of {seeds} seeds "
        f"(mean ratio {summary['mean_ratio']:.3g}), {TRIALS} trials each")
    return summary
