"""The golden cases: configs whose outputs must not change unless a change means them to.

Each case is a list of overrides for :func:`sim.load_config`; ``{graph}`` stands for the
shipped edge list ``tests/golden/graph.txt``. :func:`write_case` writes the files compared by
``tests/test_golden.py``; ``python tests/golden/cases.py`` rewrites every expected file (see
"Golden files" in ``tests/golden/README.md`` for when that is right).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
#: The graph file, relative to the repository's root (the working directory of every case), so
#: that the run's config, and so its ``config_hash``, is the same in every clone.
GRAPH = "tests/golden/graph.txt"
#: Files compared, byte for byte (summary.json without its version_* keys; see README.md).
FILES = ("summary.json", "timeseries.parquet", "activations.parquet")
STRATEGIES = sorted(p.stem for p in (ROOT / "conf" / "strategy").glob("*.yaml"))
BASE = ["n=2000", "seed=11"]
CASES: dict[str, list[str]] = {
    "default": BASE,
    "reduction_file": ["experiment=independent_cascade", "graph={graph}", "p=0.3", "seeds=5",
                       "seed=3"],
    "topics_crosspost": [*BASE, "network.topic.enabled=true", "network.crosspost=0.3"],
    **{f"strategy_{s}": [*BASE, f"strategy={s}"] for s in STRATEGIES},
}


def overrides(case: str) -> list[str]:
    """The overrides of ``case``, with the graph file's path filled in."""
    return [o.replace("{graph}", GRAPH) for o in CASES[case]]


def write_case(case: str, out: Path) -> None:
    """Run ``case`` from the repository's root and write its outputs into ``out``."""
    import os

    from sim import load_config, simulate, write_outputs

    here = os.getcwd()
    os.chdir(ROOT)
    try:
        write_outputs(simulate(load_config(overrides(case))), out, trace=False)
    finally:
        os.chdir(here)


def normalised_summary(path: Path) -> bytes:
    """``summary.json`` without the ``version_*`` keys, which name the installed packages."""
    data = json.loads(path.read_text())
    kept = {k: v for k, v in data.items() if not k.startswith("version_")}
    return (json.dumps(kept, indent=2) + "\n").encode()


def refresh(cases: list[str]) -> None:
    """Rewrite the expected files of ``cases`` from the current code."""
    import shutil
    import tempfile

    for case in cases:
        with tempfile.TemporaryDirectory() as tmp:
            write_case(case, Path(tmp))
            target = HERE / case
            target.mkdir(exist_ok=True)
            for name in FILES:
                if name == "summary.json":
                    (target / name).write_bytes(normalised_summary(Path(tmp) / name))
                else:
                    shutil.copyfile(Path(tmp) / name, target / name)
        print(f"refreshed {case}")


if __name__ == "__main__":
    refresh(sys.argv[1:] or list(CASES))
