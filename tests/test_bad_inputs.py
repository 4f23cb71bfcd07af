"""The catalogue of bad inputs, each through the real ``mindshare`` command in a subprocess.

Every case must exit with status 2, print nothing on stdout and exactly one line on stderr
(``mindshare: error: `` and the expected message: the key or file, the value and what is
allowed), and leave nothing behind: the working directory stays empty and the inputs are
unchanged. Cases that are not errors (self-loops, duplicate edges, ids that are not 0..n-1)
run, say what was done with them, and keep the id mapping. The subprocesses of the selected
cases run a few at a time (each costs ~2 s of start-up).

Every range of the schema is checked in bulk in-process through :func:`sim.load_config`
(generated from the fields' ``lo``/``hi`` metadata, both bounds of every ranged key), which is
fast; the CLI cases above sample each kind of check.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from sim import ConfigError, load_config
from sim.config import Config
from sim.config.schema import _allowed, _walk

MINDSHARE = str(Path(sys.executable).parent / "mindshare")
IC = "experiment=independent_cascade"
RING = "".join(f"{i} {(i + 1) % 40}\n" for i in range(40))
FORMAT = "expected 2: `u v` (whitespace or comma separated, # starts a comment)"
STRATEGIES = ", ".join(sorted(p.stem for p in (Path(__file__).parents[1] / "conf" / "strategy")
                              .glob("*.yaml")))
EXPERIMENTS = ", ".join(sorted(p.stem for p in (Path(__file__).parents[1] / "conf" /
                                                "experiment").glob("*.yaml")))


@dataclasses.dataclass(frozen=True)
class Case:
    """One bad input: the files it needs, the command's arguments (``{name}`` is the path of
    input file ``name``) and the exact error line (same placeholders; ``regex`` if it is one).
    ``config``: the same error comes from :func:`sim.load_config` (checked in-process too)."""

    id: str
    args: tuple[str, ...]
    line: str
    files: tuple[tuple[str, bytes | str | None], ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    regex: bool = False
    config: bool = False


def _files(**files):
    return tuple(files.items())


CASES = [
    # --- graph files --------------------------------------------------------------------
    Case("edge list: a line with one field", (IC, "graph={g}"),
         f"graph file '{{g}}': line 2 has 1 field; {FORMAT}", _files(g="0 1\n1\n")),
    Case("edge list: a line with three fields", (IC, "graph={g}"),
         f"graph file '{{g}}': line 2 has 3 fields; {FORMAT}", _files(g="0 1\n1 2 0.5\n")),
    Case("binary junk", (IC, "graph={g}"),
         "graph file '{g}' is not a text edge list (binary data at byte 0); expected UTF-8 "
         "text with one `u v` pair per line", _files(g=b"\x89PNG\r\n\x1a\n\x00\x00\x00")),
    Case("empty file", (IC, "graph={g}"),
         "graph file '{g}' has no edges; expected one `u v` pair per line", _files(g="")),
    Case("only comments and self-loops", (IC, "graph={g}"),
         "graph file '{g}' has no edges other than 1 self-loop(s); expected at least one "
         "`u v` pair", _files(g="# nothing here\n3 3\n")),
    Case("missing file", (IC, "graph={missing}"), "graph='{missing}': file does not exist",
         _files(missing=None), config=True),
    Case("a directory instead of a file", (IC, "graph={d}"),
         "graph='{d}': is a directory; expected an edge list or GraphML file",
         _files(d="/"), config=True),
    Case("GraphML that does not parse", (IC, "graph={g.graphml}"),
         "graph file '{g.graphml}' does not parse as GraphML (no element found: line 1, "
         "column 29); expected a GraphML document, or an edge list named other than "
         "*.graphml / *.xml", _files(**{"g.graphml": "<graphml><graph><node id='a'>"})),
    Case("layer file with a bad line", ("network.personal.generator=file",
                                        "network.personal.path={g}"),
         f"graph file '{{g}}': line 2 has 1 field; {FORMAT}", _files(g="0 1\n1\n")),
    Case("layer file larger than the population", ("n=20", "network.personal.generator=file",
                                                   "network.personal.path={ring}"),
         "network.personal.path='{ring}': has 40 nodes but n=20; raise n to at least 40",
         _files(ring=RING)),
    Case("file layer without a path", ("network.personal.generator=file",),
         "network.personal.path=None: a path to an edge list or GraphML file is required",
         config=True),
    # --- config values, types and names -------------------------------------------------
    Case("range: above the maximum", ("p=1.5",), "p=1.5: must be in [0, 1]", config=True),
    Case("range: below the minimum", ("n=1",), "n=1: must be >= 2", config=True),
    Case("range: nested key", ("network.crosspost=2",),
         "network.crosspost=2.0: must be in [0, 1]", config=True),
    Case("not a number", ("p=nan",), "p=nan: must be a finite number", config=True),
    Case("infinite budget", ("budget.total=inf",), "budget.total=inf: must be a finite number",
         config=True),
    Case("odd lattice degree", ("network.personal.mean_degree=7",),
         "network.personal.mean_degree=7: must be an even integer", config=True),
    Case("not an integer", ("n=abc",),
         "n='abc': Value 'abc' of type 'str' could not be converted to Integer", config=True),
    Case("a fraction where an integer is needed", ("seeds=1.5",),
         "seeds=1.5: Value '1.5' of type 'float' could not be converted to Integer",
         config=True),
    Case("not a boolean", ("strategy.cta=maybe",),
         "strategy.cta='maybe': Value 'maybe' is not a valid bool (type str)", config=True),
    Case("unknown option", ("network.personal.generator=tree",),
         "network.personal.generator='tree': Invalid value 'tree', expected one of "
         "[community_small_world, preferential_attachment, file]", config=True),
    Case("unknown key", ("foo=1",), r"foo='1': unknown key; known keys here: name, mode, "
         r"seed, .*\bn, steps, graph, p, seeds, network, .*strategy, output", regex=True,
         config=True),
    Case("unknown nested key", ("network.personal.foo=1",),
         r"network.personal.foo='1': unknown key; known keys here: enabled, membership, "
         r"generator, path, mean_degree, .*receptivity", regex=True, config=True),
    Case("unknown strategy", ("strategy=nope",),
         f"strategy='nope': unknown strategy; available: {STRATEGIES}", config=True),
    Case("unknown experiment", ("experiment=nope",),
         f"experiment='nope': unknown experiment; available: {EXPERIMENTS}", config=True),
    # --- conflicting options ------------------------------------------------------------
    Case("more seeds than agents", (IC, "graph={ring}", "seeds=60"),
         "seeds=60: must be <= 40, the number of agents on at least one layer",
         _files(ring=RING)),
    Case("budget too small for one post", ("budget.total=5",),
         "budget.total=5.0: too small for strategy.posts=10: posts cost 20 and one seed per "
         "post 5; needs at least 25"),
    Case("lattice degree above the layer's members", ("n=20",
                                                      "network.personal.mean_degree=30"),
         "network.personal.mean_degree=30: must be below the layer's 17 members "
         "(n * network.personal.membership)"),
    Case("attachment m above the layer's members", ("n=20", "network.professional.m=10"),
         "network.professional.m=10: must be below the layer's 6 members - 1 "
         "(n * network.professional.membership)"),
    Case("no layer at all", ("network.personal.enabled=false",
                             "network.professional.enabled=false"),
         "network.personal.enabled=False: at least one layer must be enabled (or set "
         "graph=PATH)", config=True),
    Case("topic layer in reduction mode", (IC, "network.topic.enabled=true"),
         "network.topic.enabled=True: must be false in mode=independent_cascade (reduction "
         "mode runs on graphs only)", config=True),
    # --- where the run writes and what it needs -------------------------------------------
    Case("run directory under a regular file", ("hydra.run.dir={afile}/run",),
         "hydra.run.dir='{afile}/run': '{afile}' is a file, not a directory; choose a "
         "directory the run can create", _files(afile="not a directory\n")),
    Case("sweep directory under a regular file", ("-m", "p=0.1,0.2",
                                                  "hydra.sweep.dir={afile}/sweep"),
         "hydra.sweep.dir='{afile}/sweep': '{afile}' is a file, not a directory; choose a "
         "directory the run can create", _files(afile="not a directory\n")),
    Case("run directory where nothing can be created", ("hydra.run.dir=/proc/mindshare/x",),
         "hydra.run.dir='/proc/mindshare/x': cannot create directories in '/proc' (No such "
         "file or directory); choose a writable directory"),
    Case("more memory than available", ("n=2000000000", "strategy.posts=10000"),
         r"n=2000000000: the run needs about 55\.7 TiB of memory at its peak but [0-9.]+ "
         r"[KMGT]iB is available \((MemAvailable|cgroup memory limit)\); largest parts: "
         r"per-post state 54\.6 TiB \(n, strategy\.posts\), exposures .*; lower them, or set "
         r"MINDSHARE_MEMORY_LIMIT=off to run anyway", regex=True),
    Case("a memory limit that is not a size", ("n=300", "network.personal.mean_degree=4"),
         "MINDSHARE_MEMORY_LIMIT='lots': must be off or a size such as 8G, 512M or 2T",
         env=(("MINDSHARE_MEMORY_LIMIT", "lots"),)),
    # --- writers, leftovers and sweeps checked whole ---
    Case("run flag: a bad value leaves no run directory", ("-r", "p=1.5"),
         "p=1.5: must be in [0, 1]"),
    Case("config named: a bad value leaves no run directory", ("--config-name=config",
                                                              "p=1.5"),
         "p=1.5: must be in [0, 1]"),
    Case("sweep: one job's budget too small for its posts", ("-m", "budget.total=1000,5",
                                                            "n=300", "steps=3"),
         "budget.total=5.0: too small for strategy.posts=10: posts cost 20 and one seed per "
         "post 5; needs at least 25 (in the job budget.total=5 n=300 steps=3)"),
]


def _paths(case: Case, root: Path) -> dict[str, str]:
    """Create the case's input files under ``root``; their paths by placeholder name."""
    paths = {}
    for name, content in case.files:
        path = root / name
        if content is None:                     # a file that must not exist
            pass
        elif content == "/":
            path.mkdir()
        else:
            path.write_bytes(content.encode() if isinstance(content, str) else content)
        paths[name] = str(path)
    return paths


def _fill(text: str, paths: dict[str, str], *, regex: bool = False) -> str:
    for name, path in paths.items():
        text = text.replace("{" + name + "}", re.escape(path) if regex else path)
    return text


def _inputs(root: Path) -> dict[str, bytes | None]:
    return {p.name: (p.read_bytes() if p.is_file() else None) for p in root.iterdir()}


def _run(case: Case, root: Path) -> dict:
    inputs, work = root / "inputs", root / "work"
    inputs.mkdir(parents=True)
    work.mkdir()
    paths = _paths(case, inputs)
    before = _inputs(inputs)
    env = {**os.environ, **dict(case.env)}
    if "MINDSHARE_MEMORY_LIMIT" not in dict(case.env):
        env.pop("MINDSHARE_MEMORY_LIMIT", None)
    proc = subprocess.run([MINDSHARE, *(_fill(a, paths) for a in case.args)], cwd=work,
                          capture_output=True, text=True, timeout=300, env=env)
    return {"proc": proc, "paths": paths, "left": sorted(os.listdir(work)),
            "inputs_changed": _inputs(inputs) != before}


@pytest.fixture(scope="module")
def outcomes(request, tmp_path_factory):
    """Run the selected cases' commands, a few at a time, once for the module."""
    wanted = [item.callspec.params["case"] for item in request.session.items
              if item.originalname == "test_bad_input_fails_in_one_line_and_writes_nothing"]
    roots = {case.id: tmp_path_factory.mktemp("bad") for case in wanted}
    with ThreadPoolExecutor(max_workers=max(2, min(4, os.cpu_count() or 2))) as pool:
        futures = {case.id: pool.submit(_run, case, roots[case.id]) for case in wanted}
        return {key: future.result() for key, future in futures.items()}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_fails_in_one_line_and_writes_nothing(case, outcomes):
    got = outcomes[case.id]
    proc = got["proc"]
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    expected = _fill(case.line, got["paths"], regex=case.regex)
    message = lines[0].removeprefix("mindshare: error: ")
    assert lines[0].startswith("mindshare: error: ")
    if case.regex:
        assert re.fullmatch(expected, message), message
    else:
        assert message == expected
    assert got["left"] == [], "the failed run left files behind"
    assert not got["inputs_changed"]
    if case.config:                            # the same check from Python, same words
        with pytest.raises(ConfigError) as err:
            load_config([_fill(a, got["paths"]) for a in case.args])
        assert (re.fullmatch(expected, str(err.value)) if case.regex
                else str(err.value) == expected)


def test_self_loops_duplicates_and_foreign_ids_are_not_errors(tmp_path):
    """Self-loops and duplicate edges are dropped with one warning line; string ids, gaps and
    ids above 2^40 are relabelled and the mapping is written to nodes.parquet."""
    import pandas as pd

    graph = tmp_path / "people.csv"
    big = 2**40 + 17
    graph.write_text(f"alice,bob\nbob,alice\nbob,{big}\n{big},{big}\n{big},zoe\nzoe,7\n"
                     f"7,alice\n7,alice\n")
    work = tmp_path / "work"
    work.mkdir()
    proc = subprocess.run([MINDSHARE, IC, f"graph={graph}", "p=1", "seeds=1",
                           f"hydra.run.dir={work / 'run'}"], cwd=work, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    notes = [ln for ln in (proc.stdout + proc.stderr).splitlines() if "dropped" in ln]
    assert len(notes) == 1 and notes[0].endswith(
        f"graph file '{graph}': dropped 1 self-loop(s) and 2 duplicate edge(s); kept 5 edges "
        "between 5 nodes")
    nodes = pd.read_parquet(work / "run" / "nodes.parquet")
    assert sorted(nodes["label"]) == sorted(["7", "alice", "bob", str(big), "zoe"])
    acts = pd.read_parquet(work / "run" / "activations.parquet")
    assert len(acts) == 5 and set(acts["agent"]) == set(nodes["agent"])     # p = 1


# --- every config range, from the schema -------------------------------------------------

def _range_cases():
    for key, f, value in _walk(Config()):
        meta = f.metadata
        lo, hi = meta.get("lo"), meta.get("hi")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        kind = type(value)
        step = 1 if kind is int else max(0.5, 0.5 * abs(lo or hi or 1))
        if lo is not None:
            yield pytest.param(key, kind(lo - step), _allowed(meta), id=f"{key}<lo")
        if hi is not None:
            yield pytest.param(key, kind(hi + step), _allowed(meta), id=f"{key}>hi")
        if kind is float and hi is None:      # only finiteness stops an unbounded float
            yield pytest.param(key, math.inf, "must be a finite number", id=f"{key}=inf")


RANGES = list(_range_cases())


def test_every_ranged_key_is_covered():
    ranged = {k for k, f, _ in _walk(Config())
              if f.metadata.get("lo") is not None or f.metadata.get("hi") is not None}
    covered = {p.values[0] for p in RANGES}
    assert ranged == covered and len(ranged) > 50


@pytest.mark.parametrize("key, value, allowed", RANGES)
def test_every_config_range_is_refused_in_one_line(key, value, allowed):
    with pytest.raises(ConfigError) as err:
        load_config([f"{key}={value}"])
    assert str(err.value) == f"{key}={value!r}: {allowed}"
    assert err.value.key == key


# --- the output-directory check in-process -------------------------------------------------

def test_output_dir_check_probes_and_cleans_up(tmp_path, monkeypatch):
    import tempfile

    from sim.guards.output_dir import check_output_dir

    assert check_output_dir("hydra.run.dir", tmp_path / "a" / "b") == tmp_path
    assert list(tmp_path.iterdir()) == []                  # the probe directory is gone
    long = tmp_path / ("x" * 300)
    with pytest.raises(ConfigError, match=r"longer than 255 bytes; choose a shorter"):
        check_output_dir("hydra.run.dir", long)

    def denied(*args, **kwargs):                           # what a non-root user meets
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkdtemp", denied)
    with pytest.raises(ConfigError) as err:
        check_output_dir("hydra.run.dir", tmp_path / "run")
    assert str(err.value) == (f"hydra.run.dir='{tmp_path / 'run'}': cannot create directories "
                              f"in '{tmp_path}' (Permission denied); choose a writable "
                              "directory")
