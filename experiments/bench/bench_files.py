"""Section 9 of ``bench.py``: one question asked of an edge-list file, ours against cynetdiff's.

A Barabasi-Albert graph (m = 5, the project's generator) is written as an edge list
(``sim.world.graph_files.write_edgelist``: a comment line, then one ``u v`` pair per line) at
N = 10^5 and 10^6. The question: one independent cascade, p = 0.05, from 10 seeds. Ours is
what a user types, ``load_config([... graph=FILE ...])`` then ``simulate(config)`` (the trace
off), the file parsed afresh (the process's parse cache emptied) but Hydra initialised and the
config's base composed (an earlier question on another file, as a notebook or a sweep would
have). cynetdiff's is the shortest path its documentation suggests for a file: ``np.loadtxt``,
the CSR built with scipy (both directions), ``IndependentCascadeModel`` and the cascade from
the same 10 seeds. Both in this process, side by side, after a warm-up on a small file; each
figure the best of three. Also timed: our second question on the same file (parse cached).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

P, SEEDS, ROUNDS = 0.05, 10, 3


def _ours(path: Path) -> tuple[float, float, int]:
    from sim import load_config, simulate
    from sim.world import graph_files

    graph_files._GRAPHS.clear()
    t0 = time.perf_counter()
    config = load_config(["experiment=independent_cascade", f"graph={path}", f"p={P}",
                          f"seeds={SEEDS}", "output.write_trace=false"])
    result = simulate(config)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    simulate(load_config(["experiment=independent_cascade", f"graph={path}", f"p={P}",
                          f"seeds={SEEDS}", "output.write_trace=false", "replicate=1"]))
    return first, time.perf_counter() - t0, int(result.summary["engaged"])


def _cynetdiff(path: Path, seeds: np.ndarray) -> tuple[float, int] | str:
    try:
        from cynetdiff.models import IndependentCascadeModel
    except ImportError as exc:
        return f"cynetdiff not importable: {exc}"
    import scipy.sparse as sp

    t0 = time.perf_counter()
    edges = np.loadtxt(path, dtype=np.int64, comments="#")
    n = int(edges.max()) + 1
    rows = np.concatenate([edges[:, 0], edges[:, 1]])
    cols = np.concatenate([edges[:, 1], edges[:, 0]])
    csr = sp.csr_matrix((np.ones(rows.size, dtype=np.int8), (rows, cols)), shape=(n, n))
    model = IndependentCascadeModel(np.ascontiguousarray(csr.indptr[:-1], dtype=np.uint32),
                                    np.ascontiguousarray(csr.indices, dtype=np.uint32),
                                    activation_prob=P, rng=np.random.default_rng(0))
    model.set_seeds([int(s) for s in seeds])
    model.advance_until_completion()
    elapsed = time.perf_counter() - t0
    return elapsed, sum(1 for _ in model.get_activated_nodes()) - len(seeds)


def bench_files(log: Callable[[str], None], *, quick: bool = False) -> dict[str, Any]:
    """Per size: our first and second question, cynetdiff's, the ratio and the targets."""
    from sim.world.generators import preferential_attachment
    from sim.world.graph_files import write_edgelist

    sizes = [10_000] if quick else [100_000, 1_000_000]
    out: dict[str, Any] = {"p": P, "seeds": SEEDS, "rounds": ROUNDS, "sizes": {}}
    with tempfile.TemporaryDirectory(prefix="mindshare-bench-files-") as tmp:
        small = Path(tmp) / "warm.txt"
        edges, _ = preferential_attachment(2_000, m=5, company_degree=0.0,
                                           rng=np.random.default_rng(1))
        write_edgelist(small, edges)
        _ours(small)
        _cynetdiff(small, np.arange(SEEDS))
        for n in sizes:
            edges, _ = preferential_attachment(n, m=5, company_degree=0.0,
                                               rng=np.random.default_rng([0, n]))
            path = Path(tmp) / f"ba{n}.txt"
            write_edgelist(path, edges)
            seeds = np.random.default_rng(n).choice(n, size=SEEDS, replace=False)
            ours = [_ours(path) for _ in range(ROUNDS)]
            theirs = [_cynetdiff(path, seeds) for _ in range(ROUNDS)]
            row: dict[str, Any] = {
                "edges": len(edges), "file_bytes": path.stat().st_size,
                "ours_first_question_s": min(o[0] for o in ours),
                "ours_cached_question_s": min(o[1] for o in ours),
                "ours_engaged": ours[0][2],
            }
            if isinstance(theirs[0], str):
                row["cynetdiff"] = theirs[0]
            else:
                row["cynetdiff_question_s"] = min(t[0] for t in theirs)
                row["cynetdiff_engaged"] = theirs[0][1]
                row["ours_over_cynetdiff"] = (row["ours_first_question_s"]
                                              / row["cynetdiff_question_s"])
            out["sizes"][str(n)] = row
            log(f"files: N = {n:,}: ours {row['ours_first_question_s']:.3f} s (again "
                f"{row['ours_cached_question_s']:.3f} s), cynetdiff "
                f"{row.get('cynetdiff_question_s', float('nan')):.3f} s")
    mid, big = out["sizes"].get("100000"), out["sizes"].get("1000000")
    out["targets"] = {
        "within_cynetdiff_at_1e5": (bool(mid["ours_over_cynetdiff"] <= 1.0)
                                    if mid and "ours_over_cynetdiff" in mid else None),
        "under_1_5s_at_1e6": bool(big["ours_first_question_s"] < 1.5) if big else None,
    }
    return out
