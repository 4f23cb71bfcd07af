"""The catalogue of bad inputs, each through the real ``mindshare`` command in a subprocess.

Every case must exit with status 2, print nothing on stdout and exactly one line on stderr
(``mindshare: error: `` and the expected message: the key or file, the value and what is
allowed), and leave nothing behind: the working directory stays empty and the inputs are
unchanged. Cases that are not errors (self-loops, duplicate edges, ids that are not 0..n-1)
run, say what was done with them, and keep the id mapping. The subprocesses of the selected
cases run a few at a time (each costs ~2 s of start-up).

Every range of the schema is checked in bulk in-process through :func:`sim.load_config`
(generated from the fields' ``lo``/``hi`` metadata: every numeric key has both, and each bound
passes while the nearest value beyond it is refused), which is fast; the CLI cases above
sample each kind of check. The Python API's bad inputs (a :class:`Config` built or changed in
Python, overrides that are not a list) have their own table, checked in-process.

Input files are of every kind a path can name: regular files, directories, devices, named
pipes, sockets, symbolic links to each and dangling ones, unreadable files (not as root,
who reads them anyway).
"""

from __future__ import annotations

import dataclasses
import gzip
import math
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from sim import ConfigError, GraphFileError, load_config, simulate
from sim.config import Config
from sim.config.schema import _allowed, _walk
from sim.world.graph_files import read_graph

MINDSHARE = str(Path(sys.executable).parent / "mindshare")
IC = "experiment=independent_cascade"
RING = "".join(f"{i} {(i + 1) % 40}\n" for i in range(40))
FORMAT = ("expected 2 or more: `u v` (whitespace or comma separated, # or % starts a "
          "comment)")
STRATEGIES = ", ".join(sorted(p.stem for p in (Path(__file__).parents[1] / "conf" / "strategy")
                              .glob("*.yaml")))
EXPERIMENTS = ", ".join(sorted(p.stem for p in (Path(__file__).parents[1] / "conf" /
                                                "experiment").glob("*.yaml")))
NOT_REGULAR = "not a regular file; expected an edge list or GraphML file"
ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
#: As root, a case about permissions runs without the capabilities that read any file.
SETPRIV = shutil.which("setpriv")
UNPRIVILEGED = (SETPRIV, "--inh-caps=-dac_override,-dac_read_search",
                "--bounding-set=-dac_override,-dac_read_search")
#: A block device of this machine, if it has one.
BLOCK = next((str(p) for p in sorted(Path("/dev").glob("*"))
              if not p.is_symlink() and p.exists() and stat.S_ISBLK(p.stat().st_mode)), None)


@dataclasses.dataclass(frozen=True)
class Special:
    """An input that is not a plain file: ``fifo``, ``socket``, ``link`` (to ``target``: an
    earlier input's name or an absolute path) or ``mode`` (``content`` with mode ``mode``)."""

    kind: str
    target: str = ""
    content: bytes = b""
    mode: int = 0o644


FIFO, SOCKET = Special("fifo"), Special("socket")


def _link(target: str) -> Special:
    return Special("link", target=target)


@dataclasses.dataclass(frozen=True)
class Case:
    """One bad input: the files it needs, the command's arguments (``{name}`` is the path of
    input file ``name``) and the exact error line (same placeholders; ``regex`` if it is one).
    ``config``: the same error comes from :func:`sim.load_config` (checked in-process too).
    ``permissions``: about file permissions; as root, the command runs without the
    capabilities that read any file (``setpriv``), and the in-process check is skipped."""

    id: str
    args: tuple[str, ...]
    line: str
    files: tuple[tuple[str, bytes | str | None], ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    regex: bool = False
    config: bool = False
    skip: str = ""
    permissions: bool = False


def _files(**files):
    return tuple(files.items())


#: A gzip edge list cut 8 bytes before its end (its checksum and length are missing).
TRUNCATED_GZIP = gzip.compress(b"0 1\n1 2\n2 3\n", mtime=0)[:-8]

CASES = [
    # --- graph files --------------------------------------------------------------------
    Case("edge list: a line with one field", (IC, "graph={g}"),
         f"graph file '{{g}}': line 2 has 1 field; {FORMAT}", _files(g="0 1\n1\n")),
    Case("edge list: an empty id in a CSV edge table", (IC, "graph={g.csv}"),
         f"graph file '{{g.csv}}': line 3 has 1 field; {FORMAT}",
         _files(**{"g.csv": "source,target\n0,1\n1,\n2,3\n"})),
    Case("edge list: a header and no edge", (IC, "graph={g.csv}"),
         "graph file '{g.csv}' has a header (`source target`) and no edges; expected one "
         "`u v` pair per line after it", _files(**{"g.csv": "source,target\n"})),
    Case("edge list: a truncated gzip file", (IC, "graph={g.txt.gz}"),
         "graph file '{g.txt.gz}' is not a complete gzip file (Truncated compressed stream); "
         "expected a gzip-compressed edge list",
         _files(**{"g.txt.gz": TRUNCATED_GZIP})),
    Case("edge list: a gzip file that is not gzip", (IC, "graph={g.txt.gz}"),
         r"graph file '{g.txt.gz}' is not a complete gzip file \(.+\); expected a "
         r"gzip-compressed edge list", _files(**{"g.txt.gz": "0 1\n1 2\n"}), regex=True),
    Case("Parquet file that is not Parquet", (IC, "graph={g.parquet}"),
         r"graph file '{g.parquet}' does not read as Parquet \(.+\); expected a Parquet "
         r"edge table", _files(**{"g.parquet": "0 1\n"}), regex=True),
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
         f"graph='{{d}}': is a directory, {NOT_REGULAR}",
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
         "n=20: is below the 40 people the layer files name (personal); leave n out (it is "
         "taken from the files) or set n >= 40",
         _files(ring=RING)),
    Case("file layer without a path", ("network.personal.generator=file",),
         "network.personal.path=None: a path to an edge list or GraphML file is required",
         config=True),
    # --- config values, types and names -------------------------------------------------
    Case("range: above the maximum", ("p=1.5",), "p=1.5: must be in [0, 1]", config=True),
    Case("range: below the minimum", ("n=1",), "n=1: must be in [2, 1e+10]", config=True),
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
         r"seed, .*\bn, steps, graph, p, multiplex, seeds, network, .*strategy, output", regex=True,
         config=True),
    Case("unknown nested key", ("network.personal.foo=1",),
         r"network.personal.foo='1': unknown key; known keys here: enabled, membership, "
         r"generator, path, p, mean_degree, .*receptivity", regex=True, config=True),
    Case("unknown strategy", ("strategy=nope",),
         f"strategy='nope': unknown strategy; available: {STRATEGIES}", config=True),
    Case("unknown experiment", ("experiment=nope",),
         f"experiment='nope': unknown experiment; available: {EXPERIMENTS}", config=True),
    # --- conflicting options ------------------------------------------------------------
    Case("more seeds than agents", (IC, "graph={ring}", "seeds=60"),
         "seeds=60: must be <= 40, the number of agents on at least one layer",
         _files(ring=RING)),
    Case("budget too small for one post", ("budget.total=5",),
         "budget.total=5.0: too small for strategy.posts=10: posts cost 1056.6 EUR and one "
         "placement per post 106.7 EUR; needs at least 1163.3 EUR"),
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
         r"n=2000000000: the run needs up to 82\.9 TiB of memory at its peak \(if every post "
         r"reached every member of its layers; about 55\.0 TiB typically\) but [0-9.]+ "
         r"[KMGT]iB is available \((MemAvailable|cgroup memory limit)\); largest parts: "
         r"per-post state 54\.6 TiB \(n, strategy\.posts\), exposures .*; lower n, or set "
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
    Case("sweep: one job's budget too small for its posts", ("-m", "budget.total=3000,5",
                                                            "n=300", "steps=3"),
         "budget.total=5.0: too small for strategy.posts=10: posts cost 1056.6 EUR and one "
         "placement per post 106.7 EUR; needs at least 1163.3 EUR (in the job budget.total=5 "
         "n=300 steps=3)"),
    # --- file kinds, upper bounds, keys however written -----------------------------------
    # a graph path names one of every kind of file; only a readable regular file is read,
    # and no more of it than the memory available
    Case("graph: a character device that never ends", (IC, "graph=/dev/zero"),
         f"graph='/dev/zero': is a character device, {NOT_REGULAR}", config=True),
    Case("graph: the null device", (IC, "graph=/dev/null"),
         f"graph='/dev/null': is a character device, {NOT_REGULAR}", config=True),
    Case("graph: a block device", (IC, f"graph={BLOCK or '/dev/none'}"),
         f"graph='{BLOCK}': is a block device, {NOT_REGULAR}", config=True, skip="block"),
    Case("graph: a named pipe without a writer", (IC, "graph={fifo}"),
         f"graph='{{fifo}}': is a named pipe (FIFO), {NOT_REGULAR}", _files(fifo=FIFO),
         config=True),
    Case("graph: a socket", (IC, "graph={sock}"),
         f"graph='{{sock}}': is a socket, {NOT_REGULAR}", _files(sock=SOCKET), config=True),
    Case("graph: a link to a directory", (IC, "graph={link}"),
         f"graph='{{link}}': is a directory (through a symbolic link to '{{d}}'), "
         f"{NOT_REGULAR}", _files(d="/", link=_link("d")), config=True),
    Case("graph: a link to a character device", (IC, "graph={link}"),
         f"graph='{{link}}': is a character device (through a symbolic link to '/dev/zero'), "
         f"{NOT_REGULAR}", _files(link=_link("/dev/zero")), config=True),
    Case("graph: a link to a named pipe", (IC, "graph={link}"),
         f"graph='{{link}}': is a named pipe (FIFO) (through a symbolic link to '{{fifo}}'), "
         f"{NOT_REGULAR}", _files(fifo=FIFO, link=_link("fifo")), config=True),
    Case("graph: a link to a socket", (IC, "graph={link}"),
         f"graph='{{link}}': is a socket (through a symbolic link to '{{sock}}'), "
         f"{NOT_REGULAR}", _files(sock=SOCKET, link=_link("sock")), config=True),
    Case("graph: a dangling link", (IC, "graph={link}"),
         "graph='{link}': is a symbolic link to '{gone}', which does not exist",
         _files(gone=None, link=_link("gone")), config=True),
    Case("graph: a link to a regular file is followed", (IC, "graph={link}"),
         f"graph file '{{link}}': line 2 has 1 field; {FORMAT}",
         _files(g="0 1\n1\n", link=_link("g"))),
    Case("graph: a link to an empty file", (IC, "graph={link}"),
         "graph file '{link}' has no edges; expected one `u v` pair per line",
         _files(g="", link=_link("g"))),
    Case("graph: an unreadable file", (IC, "graph={g}"),
         "graph='{g}': file is not readable (permission denied)",
         _files(g=Special("mode", content=RING.encode(), mode=0)), config=True, permissions=True),
    Case("graph: a file larger than the memory limit", (IC, "graph={g}"),
         "graph='{g}': the file is 1.5 MiB, more than the 1.0 MiB of memory available "
         "(MINDSHARE_MEMORY_LIMIT); reading it takes at least its size: use a smaller file, or "
         "set MINDSHARE_MEMORY_LIMIT=off to run anyway", _files(g="0 1\n1 2\n" * 200_000),
         env=(("MINDSHARE_MEMORY_LIMIT", "1M"),)),
    Case("layer path: a character device", ("network.personal.generator=file",
                                            "network.personal.path=/dev/zero"),
         f"network.personal.path='/dev/zero': is a character device, {NOT_REGULAR}",
         config=True),
    Case("layer path: a named pipe", ("network.professional.generator=file",
                                      "network.professional.path={fifo}"),
         f"network.professional.path='{{fifo}}': is a named pipe (FIFO), {NOT_REGULAR}",
         _files(fifo=FIFO), config=True),
    Case("layer path: a dangling link", ("network.personal.generator=file",
                                         "network.personal.path={link}"),
         "network.personal.path='{link}': is a symbolic link to '{gone}', which does not "
         "exist", _files(gone=None, link=_link("gone")), config=True),
    # the memory check holds for any cascade: it compares the ceiling, not the typical figure
    Case("memory: a viral run above the limit", ("n=200000", "p=0.5"),
         r"n=200000: the run needs up to [0-9.]+ GiB of memory at its peak \(if every post "
         r"reached every member of its layers; about [0-9.]+ MiB typically\) but 350\.0 MiB "
         r"is available \(MINDSHARE_MEMORY_LIMIT\); largest parts: exposures [0-9.]+ GiB "
         r"\(n, strategy\.posts, output\.write_trace, \.\.\.\), agent state .*; lower n \(or "
         r"set output\.write_trace=false: up to [0-9.]+ MiB\), or set "
         r"MINDSHARE_MEMORY_LIMIT=off to run anyway", regex=True,
         env=(("MINDSHARE_MEMORY_LIMIT", "350M"),)),
    # every numeric key has an upper bound; huge values are refused before any work
    Case("upper bound: a trillion steps", ("steps=1000000000000",),
         "steps=1000000000000: must be in [1, 1e+06]", config=True),
    Case("upper bound: first post at 10^30", ("strategy.first_post=" + "1" + "0" * 30,),
         "strategy.first_post=" + "1" + "0" * 30 + ": must be in [0, 1e+06]", config=True),
    Case("upper bound: an interval beyond int64", ("strategy.interval=9223372036854775808",),
         "strategy.interval=9223372036854775808: must be in [1, 1e+06]", config=True),
    Case("upper bound: a budget of 1e300", ("budget.total=1e300",),
         "budget.total=1e+300: must be in [0, 1e+15]", config=True),
    Case("upper bound: a seed beyond int64", ("seed=9223372036854775808",),
         "seed=9223372036854775808: must be in [0, 2^63 - 1]", config=True),
    Case("upper bound: more agents than people on Earth", ("n=20000000000",),
         "n=20000000000: must be in [2, 1e+10]", config=True),
    Case("an integer given as a huge float", ("n=1e30",),
         "n=1e+30: Value '1e+30' of type 'float' could not be converted to Integer",
         config=True),
    Case("an integer given as nan", ("steps=nan",),
         "steps=nan: Value 'nan' of type 'float' could not be converted to Integer",
         config=True),
    Case("an integer given as infinity", ("seed=inf",),
         "seed=inf: Value 'inf' of type 'float' could not be converted to Integer",
         config=True),
    # unknown keys however they are written, with the keys they may mean
    Case("unknown key added with ++", ("++foo=1",), r"foo='1': unknown key; known keys here: "
         r"name, mode, seed, .*strategy, output", regex=True, config=True),
    Case("unknown key added with +", ("+foo=1",), r"foo='1': unknown key; known keys here: "
         r"name, mode, seed, .*strategy, output", regex=True, config=True),
    Case("unknown nested key added with +", ("+network.personal.bar=2",),
         r"network.personal.bar='2': unknown key; known keys here: enabled, membership, "
         r".*receptivity", regex=True, config=True),
    Case("unknown key in a sweep, added with ++", ("-m", "++foo=1", "p=0.1,0.2"),
         r"foo='1': unknown key; known keys here: name, .*output", regex=True),
    Case("misspelt key: did you mean", ("pp=0.1",),
         r"pp='0.1': unknown key \(did you mean p\?\); known keys here: name, mode, .*output",
         regex=True, config=True),
    Case("misspelt nested key: did you mean", ("strategy.post=3",),
         r"strategy.post='3': unknown key \(did you mean strategy.posts\?\); "
         r"known keys here: "
         r"name, posts, .*listening", regex=True, config=True),
    Case("key at the wrong level: did you mean", ("mean_degree=4",),
         r"mean_degree='4': unknown key \(did you mean network.personal.mean_degree or "
         r"network.professional.mean_degree\?\); known keys here: name, .*output", regex=True,
         config=True),
    # --- budget and prices ---
    Case("placement base price of zero", ("budget.personal.base=0",),
         "budget.personal.base=0.0: must be in [0.01, 1e+15]", config=True),
    Case("negative professional CPM", ("budget.professional.cpm=-1",),
         "budget.professional.cpm=-1.0: must be in [0, 1e+15]", config=True),
    Case("ambassador perk of zero", ("budget.ambassador=0",),
         "budget.ambassador=0.0: must be in [0.01, 1e+15]", config=True),
    Case("negative owned-channel upkeep", ("budget.owned=-0.1",),
         "budget.owned=-0.1: must be in [0, 1e+15]", config=True),
    Case("production premium not a number", ("budget.post_premium=nan",),
         "budget.post_premium=nan: must be a finite number", config=True),
    Case("share reward above the largest money", ("budget.reward=1e16",),
         "budget.reward=1e+16: must be in [0, 1e+15]", config=True),
    Case("former budget key: budget.post", ("budget.post=2",),
         r"budget.post='2': unknown key \(did you mean budget.post_base\?\); known keys here: "
         r"total, personal, .*post_premium", regex=True, config=True),
    Case("adapted content too dear for the budget", ("strategy=adapted", "budget.total=2300"),
         "budget.total=2300.0: too small for strategy.posts=10: posts cost 2286.1 EUR and "
         "one placement per post 106.7 EUR; needs at least 2392.8 EUR"),
]


def _paths(case: Case, root: Path) -> dict[str, str]:
    """Create the case's input files under ``root``; their paths by placeholder name."""
    paths: dict[str, str] = {}
    for name, content in case.files:
        path = root / name
        if content is None:                     # a file that must not exist
            pass
        elif content == "/":
            path.mkdir()
        elif isinstance(content, Special):
            if content.kind == "fifo":
                os.mkfifo(path)
            elif content.kind == "socket":       # the file stays after the socket closes
                with socket.socket(socket.AF_UNIX) as sock:
                    sock.bind(str(path))
            elif content.kind == "link":
                path.symlink_to(paths.get(content.target, content.target))
            else:
                path.write_bytes(content.content)
                path.chmod(content.mode)
        else:
            path.write_bytes(content.encode() if isinstance(content, str) else content)
        paths[name] = str(path)
    return paths


def _fill(text: str, paths: dict[str, str], *, regex: bool = False) -> str:
    for name, path in paths.items():
        text = text.replace("{" + name + "}", re.escape(path) if regex else path)
    return text


def _inputs(root: Path) -> dict[str, object]:
    """What each input is: a regular file's bytes, else its kind, mode and size."""
    state: dict[str, object] = {}
    for p in root.iterdir():
        info = p.lstat()
        if stat.S_ISLNK(info.st_mode):
            state[p.name] = ("link", os.readlink(p))
        elif stat.S_ISREG(info.st_mode) and os.access(p, os.R_OK):
            state[p.name] = p.read_bytes()
        else:
            state[p.name] = (stat.S_IFMT(info.st_mode), info.st_mode, info.st_size)
    return state


def _run(case: Case, root: Path) -> dict:
    inputs, work = root / "inputs", root / "work"
    inputs.mkdir(parents=True)
    work.mkdir()
    paths = _paths(case, inputs)
    before = _inputs(inputs)
    env = {**os.environ, **dict(case.env)}
    if "MINDSHARE_MEMORY_LIMIT" not in dict(case.env):
        env.pop("MINDSHARE_MEMORY_LIMIT", None)
    prefix = list(UNPRIVILEGED) if case.permissions and ROOT else []
    proc = subprocess.run([*prefix, MINDSHARE, *(_fill(a, paths) for a in case.args)], cwd=work,
                          capture_output=True, text=True, timeout=300, env=env)
    return {"proc": proc, "paths": paths, "left": sorted(os.listdir(work)),
            "inputs_changed": _inputs(inputs) != before}


@pytest.fixture(scope="module")
def outcomes(request, tmp_path_factory):
    """Run the selected cases' commands, a few at a time, once for the module."""
    wanted = [item.callspec.params["case"] for item in request.session.items
              if item.originalname == "test_bad_input_fails_in_one_line_and_writes_nothing"
              and not _skipped(item.callspec.params["case"])]
    roots = {case.id: tmp_path_factory.mktemp("bad") for case in wanted}
    with ThreadPoolExecutor(max_workers=max(2, min(4, os.cpu_count() or 2))) as pool:
        futures = {case.id: pool.submit(_run, case, roots[case.id]) for case in wanted}
        return {key: future.result() for key, future in futures.items()}


def _skipped(case: Case) -> str:
    if case.permissions and ROOT and SETPRIV is None:
        return "root reads any file and setpriv is missing (test_graph_io checks the message)"
    if case.skip == "block" and BLOCK is None:
        return "no block device on this machine"
    return ""


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_fails_in_one_line_and_writes_nothing(case, outcomes):
    if _skipped(case):
        pytest.skip(_skipped(case))
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
    if case.config and not (case.permissions and ROOT):   # from Python too, same words
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


def test_a_header_line_is_skipped_and_said_not_read_as_an_edge(tmp_path):
    """``source target`` above integer ids: skipped with one warning line; the ids stay
    integers, sorted as numbers, and no extra agents appear."""
    import pandas as pd

    graph = tmp_path / "edges.csv"
    graph.write_text("source,target\n10,2\n2,3\n3,10\n")
    work = tmp_path / "work"
    work.mkdir()
    proc = subprocess.run([MINDSHARE, IC, f"graph={graph}", "p=1", "seeds=1",
                           f"hydra.run.dir={work / 'run'}"], cwd=work, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    notes = [ln for ln in (proc.stdout + proc.stderr).splitlines() if "is a header" in ln]
    assert len(notes) == 1 and notes[0].endswith(
        f"graph file '{graph}': line 1 `source target` is a header, not an edge: skipped")
    nodes = pd.read_parquet(work / "run" / "nodes.parquet")
    assert nodes["label"].tolist() == [2, 3, 10] and str(nodes["label"].dtype) == "int64"


# --- every config range, from the schema -------------------------------------------------

def _numeric_keys():
    return [(key, f.metadata, type(value)) for key, f, value in _walk(Config())
            if isinstance(value, (int, float)) and not isinstance(value, bool)]


def _beyond(kind: type, bound: float, direction: int) -> float:
    """The nearest value of ``kind`` beyond ``bound`` (an integer: the next one)."""
    if kind is int:
        return int(bound) + direction
    return math.nextafter(float(bound), direction * math.inf)


def _range_cases():
    for key, meta, kind in _numeric_keys():
        for name, bound, direction in (("lo", meta["lo"], -1), ("hi", meta["hi"], 1)):
            yield pytest.param(key, kind(bound), None, id=f"{key}={name}")
            yield pytest.param(key, _beyond(kind, bound, direction), _allowed(meta),
                               id=f"{key}<lo" if direction < 0 else f"{key}>hi")
        if kind is float:
            yield pytest.param(key, math.inf, "must be a finite number", id=f"{key}=inf")


RANGES = list(_range_cases())


def test_every_numeric_key_has_both_bounds_and_every_bound_is_covered():
    numeric = _numeric_keys()
    assert len(numeric) > 80
    unbounded = [key for key, meta, _ in numeric if meta["lo"] is None or meta["hi"] is None]
    assert unbounded == [], "numeric keys without a lower or an upper bound"
    # an upper bound says why, unless it is that of a probability or a fraction
    unexplained = [key for key, meta, _ in numeric if meta["hi"] != 1 and not meta["hi_source"]]
    assert unexplained == []
    covered = {(p.values[0], p.id.rsplit(p.values[0], 1)[1]) for p in RANGES}
    for key, _, _ in numeric:
        assert {(key, "=lo"), (key, "<lo"), (key, "=hi"), (key, ">hi")} <= covered


@pytest.mark.parametrize("key, value, allowed", RANGES)
def test_every_bound_passes_and_the_nearest_value_beyond_it_is_refused(key, value, allowed):
    if allowed is None:                     # the bound itself
        config = load_config([f"{key}={value!r}"])
        obj = config
        for part in key.split("."):
            obj = getattr(obj, part)
        assert obj == value
        return
    with pytest.raises(ConfigError) as err:
        load_config([f"{key}={value!r}"])
    assert str(err.value) == f"{key}={value!r}: {allowed}"
    assert err.value.key == key


INT_KEYS = [key for key, _, kind in _numeric_keys() if kind is int]


@pytest.mark.parametrize("text", ["1e30", "nan", "inf"])
@pytest.mark.parametrize("key", INT_KEYS)
def test_an_integer_key_refuses_floats_huge_and_not_finite(key, text):
    with pytest.raises(ConfigError) as err:
        load_config([f"{key}={text}"])
    message = str(err.value)
    assert "\n" not in message and message.startswith(f"{key}=")
    assert "could not be converted to Integer" in message


# --- the Python API ------------------------------------------------------------------------

def _changed(**values):
    """A loaded config with some values changed afterwards, then simulated."""
    def call():
        config = load_config(["n=300", "output.chart=false", "output.progress=false"])
        for key, value in values.items():
            *parents, last = key.split("__")
            obj = config
            for part in parents:
                obj = getattr(obj, part)
            setattr(obj, last, value)
        return simulate(config)
    return call


API_CASES = [
    ("Config(p=True)", lambda: Config(p=True), ConfigError,
     "p=True: must be a number in [0, 1], not bool"),
    ("Config(n='100')", lambda: Config(n="100"), ConfigError,
     "n='100': must be an integer in [2, 1e+10], not str"),
    ("Config(n=1e30)", lambda: Config(n=1e30), ConfigError,
     "n=1e+30: must be an integer in [2, 1e+10], not float"),
    ("Config(steps=nan)", lambda: Config(steps=math.nan), ConfigError,
     "steps=nan: must be an integer in [1, 1e+06], not float"),
    ("Config(steps=10**12)", lambda: Config(steps=10**12), ConfigError,
     "steps=1000000000000: must be in [1, 1e+06]"),
    ("Config(budget.total=1e300)", lambda: Config(budget=dataclasses.replace(
        Config().budget, total=1e300)), ConfigError, "budget.total=1e+300: must be in [0, 1e+15]"),
    ("Config(mode='full')", lambda: Config(mode="full"), ConfigError,
     "mode='full': must be one of full / independent_cascade (Mode), not str"),
    ("Config(strategy=5)", lambda: Config(strategy=5), ConfigError,
     "strategy=5: must be a StrategyConfig, not int"),
    ("Config(output.chart='no')", lambda: Config(output=dataclasses.replace(
        Config().output, chart="no")), ConfigError, "output.chart='no': must be true or false, "
     "not str"),
    ("Config(graph=3)", lambda: Config(graph=3), ConfigError,
     "graph=3: must be a string or null, not int"),
    ("Config(graph='/dev/zero')", lambda: Config(mode=Config().mode, graph="/dev/zero"),
     ConfigError, f"graph='/dev/zero': is a character device, {NOT_REGULAR}"),
    ("simulate: p changed to 2.0", _changed(p=2.0), ConfigError, "p=2.0: must be in [0, 1]"),
    ("simulate: n changed to -5", _changed(n=-5), ConfigError, "n=-5: must be in [2, 1e+10]"),
    ("simulate: p changed to True", _changed(p=True), ConfigError,
     "p=True: must be a number in [0, 1], not bool"),
    ("simulate: posts changed to a string", _changed(strategy__posts="ten"), ConfigError,
     "strategy.posts='ten': must be an integer in [1, 10000], not str"),
    ("simulate: a layer's share probability changed", _changed(
        network__personal__receptivity=11.0), ConfigError,
     "network.personal.receptivity=11.0: must be in [0, 10]"),
    ("simulate: a graph changed to a device", _changed(graph="/dev/zero"), ConfigError,
     f"graph='/dev/zero': is a character device, {NOT_REGULAR}"),
    ("simulate: not a Config", lambda: simulate(["p=0.1"]), ConfigError,
     "config=['p=0.1']: must be a Config (sim.load_config([...]))"),
    ("load_config: a string", lambda: load_config("p=0.1"), TypeError,
     "overrides='p=0.1': must be a list of strings, not a string; e.g. "
     "load_config(['p=0.1'])"),
    ("load_config: a dict", lambda: load_config({"p": 0.1}), TypeError,
     "overrides={'p': 0.1}: must be a list of strings such as ['p=0.1'], not dict"),
    ("load_config: a number in the list", lambda: load_config(["n=100", 0.1]), TypeError,
     "overrides=['n=100', 0.1]: must be a list of strings such as ['p=0.1']; 0.1 is a float"),
    ("load_config: ++ unknown key", lambda: load_config(["++foo=1"]), ConfigError, None),
    ("load_config: misspelt key", lambda: load_config(["pp=0.1"]), ConfigError, None),
    ("read_graph: a character device", lambda: read_graph("/dev/zero"), GraphFileError,
     f"graph file '/dev/zero' is a character device, {NOT_REGULAR}"),
    ("read_graph: a directory", lambda: read_graph("/"), GraphFileError,
     f"graph file '/' is a directory, {NOT_REGULAR}"),
]


@pytest.mark.parametrize("call, error, message", [c[1:] for c in API_CASES],
                         ids=[c[0] for c in API_CASES])
def test_python_api_bad_input_raises_one_line(call, error, message):
    with pytest.raises(error) as err:
        call()
    assert type(err.value) is error
    text = str(err.value)
    assert "\n" not in text
    if message is not None:
        assert text == message


def test_a_named_pipe_as_graph_file_neither_hangs_nor_is_read(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(GraphFileError, match="is a named pipe"):
        read_graph(fifo)                        # opened without blocking, then refused


def test_load_config_from_eight_threads_at_once():
    """Hydra's state is global: without the lock, threads see each other's initialisation
    ("GlobalHydra is already initialized") or compose with another's overrides."""
    import threading

    values = [round(0.01 * (k + 1), 2) for k in range(8)]
    for _ in range(5):
        start = threading.Barrier(len(values))

        def load(p, start=start):
            start.wait()                        # all eight call at the same moment
            config = load_config([f"p={p}", f"n={1000 + int(p * 100)}", f"name=t{p}"])
            return config.p, config.n, config.name

        with ThreadPoolExecutor(max_workers=len(values)) as pool:
            got = list(pool.map(load, values))
        assert got == [(p, 1000 + int(p * 100), f"t{p}") for p in values]


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
