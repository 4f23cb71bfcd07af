"""Section 8 of ``bench.py``: a job's replicates in one pass, against the same runs one by one.

The default scenario at N = 10^4 and 60 steps, replicates 0..19 of one strategy: CPU seconds
per run of ``simulate`` called once per replicate, then of ``simulate_batch`` on the 20 (their
worlds built inside), then of ``simulate_batch`` for a second strategy on the same replicates,
whose worlds the first batch left in the process's world cache (the cells of a sweep that
share a world). Every run's summary is checked equal to its single run's. All in this process,
side by side, after one warm-up run; three rounds, alternating, each figure the round's
fastest (the CPU time of one figure varies by a fifth between rounds on a shared machine).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

BATCH = 20
ROUNDS = 3


def _cpu(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.process_time()
    out = fn()
    return time.process_time() - start, out


def bench_batch(log: Callable[[str], None], *, quick: bool = False) -> dict[str, Any]:
    """CPU per run alone and in a batch of 20, with the ratios and the target (1/4)."""
    from sim import load_config
    from sim.outputs.results import simulate, simulate_batch
    from sim.world import population

    n, steps = (2_000, 30) if quick else (10_000, 60)
    out: dict[str, Any] = {"n": n, "steps": steps, "batch": BATCH}
    configs = {}
    for strategy in ("broadcast", "adapted"):
        base = load_config([f"n={n}", f"steps={steps}", f"strategy={strategy}"])
        configs[strategy] = [dataclasses.replace(base, replicate=r) for r in range(BATCH)]
    simulate(configs["broadcast"][0])                       # imports, first-call costs
    alone_s = batch_s = shared_s = float("inf")
    for _ in range(ROUNDS):
        population._WORLDS.clear()
        seconds, alone = _cpu(lambda: [simulate(c) for c in configs["broadcast"]])
        alone_s = min(alone_s, seconds)
        population._WORLDS.clear()
        seconds, batch = _cpu(lambda: simulate_batch(configs["broadcast"]))
        batch_s = min(batch_s, seconds)
        seconds, _ = _cpu(lambda: simulate_batch(configs["adapted"]))
        shared_s = min(shared_s, seconds)
    same = all(a.summary == b.summary for a, b in zip(alone, batch, strict=True))
    out.update({
        "alone_cpu_ms_per_run": 1e3 * alone_s / BATCH,
        "batch_cpu_ms_per_run": 1e3 * batch_s / BATCH,
        "shared_worlds_batch_cpu_ms_per_run": 1e3 * shared_s / BATCH,
        "batch_over_alone": batch_s / alone_s,
        "shared_worlds_batch_over_alone": shared_s / alone_s,
        "summaries_identical": same,
        "parts_ms_per_run": {k: 1e3 * sum(r.timing[k] for r in batch) / BATCH
                             for k in ("build_s", "run_s", "collect_s")},
        "alone_parts_ms_per_run": {k: 1e3 * sum(r.timing[k] for r in alone) / BATCH
                                   for k in ("build_s", "run_s", "collect_s")},
    })
    out["targets"] = {"batch_quarter_of_alone": bool(batch_s / alone_s <= 0.25),
                      "summaries_identical": same}
    log(f"batch: {BATCH} runs at N = {n:,}: alone {out['alone_cpu_ms_per_run']:.1f} ms CPU a "
        f"run, in a batch {out['batch_cpu_ms_per_run']:.1f} ms "
        f"({out['batch_over_alone']:.2f}x), sharing cached worlds "
        f"{out['shared_worlds_batch_cpu_ms_per_run']:.1f} ms "
        f"({out['shared_worlds_batch_over_alone']:.2f}x); identical summaries: {same}")
    return out
