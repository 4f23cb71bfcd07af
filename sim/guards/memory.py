"""Memory: a run's peak resident memory, estimated from its config before anything is built.

:func:`estimate_peak_bytes` adds up the arrays a run allocates, phase by phase, from the
config alone (N, memberships, mean degrees, ``m``, ``company_degree``, topics, posts, steps,
trace settings; for a graph file, its size and 16 samples spread over it):

- **build**: the population's uniforms, then each layer in turn: the layers already built
  plus the one being built at its transient peak (generator output, endpoint copies, the
  COO -> CSR conversion: ~76 bytes per edge; reading a file adds its bytes and ~75 bytes per
  edge of parsing arrays, ~155 for string ids);
- **run**: the world (CSR arrays: 8 bytes per edge and 4 per agent per layer; memberships),
  the per-(post, agent) arrays of :class:`sim.engine.brand.BrandModel` (``activated`` bool and
  ``contacts`` uint16, ``posts + 1`` rows), per-agent state and one step's temporaries, plus
  the exposures the run keeps (feed, trace, result tables and their Parquet conversion) and
  the activations (tables and diffusion-forest metrics);
- a **baseline** for the interpreter and its imports, and matplotlib when ``output.chart``.

The number of exposures is the one figure the config does not fix: it depends on whether
cascades take off. The typical estimate (``Estimate.peak``) assumes the exposures seen per
directed edge per published post that the default scenario saw at ``p``
(:data:`SEEN_PER_EDGE_BY_P`, measured at eight values of ``p``, with a margin), so it never
falls as ``p`` grows. In reduction mode the single cascade is assumed to
take off (:data:`IC_SEEN_PER_EDGE`), growing with ``p``.

``Estimate.ceiling`` holds for every config, whatever its cascades do: an agent shares a post
at most once per layer (``activated`` is set once per post and agent), so exposures are at
most the layers' directed edges (their *audience*) times the published posts plus the
backlash post, and activations at most N times as many posts. It is what
:func:`check_memory` compares with the memory available.

Calibration (``experiments/bench/bench.py --sections memory``; ``tests/test_memory.py``):
against the peak RSS (``ru_maxrss``) of fresh ``mindshare`` processes on Linux x86-64, the
estimate is within 10% for the default scenario at N = 10^5 and 10^6 (4% and 6% over), within
15% for every config tried once the number of exposures is known, and 0.55x-1.4x from the
config alone for settings far more or far less viral than the default (reduction mode:
0.89x-1.14x on BA files of 10^5 and 10^6 nodes at p = 0.05 and 0.3). The test holds it to
25% at N = 2 * 10^5, a margin for other environments.

:func:`check_memory` (called by :func:`sim.outputs.results.simulate` before the world is
built) refuses a run whose estimate exceeds the memory available to the process
(``MemAvailable`` of ``/proc/meminfo`` and the cgroup's ``memory.max`` headroom, whichever is
smaller) with a one-line :class:`InsufficientMemoryError` naming needed vs available, the
largest parts and the key that drives them most (the one furthest above its default); the
figure compared is the ceiling, so a run let through cannot exceed it. A graph file larger
than the memory available is refused first, naming the file's key, size and the limit. The
environment variable ``MINDSHARE_MEMORY_LIMIT`` overrides the available memory (``8G``,
``512M``, ``2T``, bytes) or turns the check off (``off``); reading what is available is
:mod:`sim.guards.meminfo`'s.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from dataclasses import dataclass, field

import numpy as np

from sim.config import Config, ConfigError, Generator, Mode, Trace
from sim.config.schema import compression
from sim.guards.meminfo import ENV, available_bytes, resident_bytes

__all__ = ["Estimate", "InsufficientMemoryError", "LayerSize", "available_bytes",
           "check_memory", "dominant_key", "estimate_peak_bytes", "format_bytes",
           "graph_paths", "layer_sizes"]

MiB = 2**20
#: Resident memory of the interpreter and the packages a run imports (numpy, scipy, pandas,
#: pyarrow, mesa, Hydra): 168-193 MiB measured on Linux x86-64 with Python 3.13 (more when
#: nothing is byte-compiled yet, PYTHONDONTWRITEBYTECODE).
BASELINE = 184 * MiB
#: matplotlib and the chart, when ``output.chart`` (measured: ~46 MiB).
CHART = 48 * MiB
#: Peak bytes per edge while a generated layer is built, the built layer included: generator
#: output and endpoint copies, COO -> CSR conversion (measured 50-55 per edge, tracemalloc,
#: the default personal and professional layers at N = 2 x 10^5)...
BUILD_PER_EDGE = 55
#: ... and per member and per agent of the population (CSR row pointers, member ids, groups).
BUILD_PER_MEMBER, BUILD_PER_AGENT = 20, 10
#: Parsing an edge list: resident bytes per edge beyond the file's bytes (ids, relabelling,
#: canonical edges; 70-90 measured for integer ids, ~150 for string ids) and the 8 MiB
#: blocks' temporaries.
READ_PER_EDGE, READ_PER_EDGE_STRINGS, READ_BLOCKS = 75, 155, 16 * MiB
#: Topic layer: bytes per follow link while built, and per agent (pointers, audience).
TOPIC_PER_FOLLOW, TOPIC_PER_AGENT = 80, 40
#: Per agent, model state beyond the per-post arrays (member copy, first exposure per
#: channel, loyalty, counters; 4 bytes per channel + 40) and one step's temporaries (activity
#: and mindset draws: 10 per channel + 14).
STATE_PER_AGENT, STATE_PER_CHANNEL = 40, 5
STEP_PER_AGENT, STEP_PER_CHANNEL = 14, 10
#: Resident bytes per exposure seen at the run's peak: 27 in the model's trace, its
#: concatenation and DataFrame, and the Arrow table Parquet writes from (fitted to peak RSS:
#: 76-85); without a trace, only the feed and the step's arrays remain (~11).
BYTES_PER_SEEN, BYTES_PER_SEEN_NO_TRACE = 80, 12
#: Per step and channel, the recorder's counters and gauges (13 int64 or float64), the
#: timeseries built from them and its Arrow table: 3 copies; assumption from the array sizes.
RECORDER_PER_STEP = 3 * 13 * 8
#: Resident bytes per activation beyond its exposure (log, table, diffusion forest, Parquet).
BYTES_PER_ACTIVATION = 40
#: Exposures seen per directed edge per published post, by ``p`` (linear between the points,
#: the last one beyond): the default scenario at N = 10^5 (seed 0, each ``p``) saw 0.0002 at
#: p = 0.0208, 0.0003 at 0.05, 0.043 at 0.08, 0.033 at 0.1, 0.10 at 0.15, 0.17 at 0.2, 0.25 at
#: 0.3 and 0.27 at 0.5; the points are those with a margin of about a fifth, never falling as
#: ``p`` grows (cascades take off between 0.05 and 0.08 on the default networks).
SEEN_PER_EDGE_BY_P = ((0.0, 0.0005), (0.05, 0.0005), (0.08, 0.05), (0.15, 0.12),
                      (0.2, 0.21), (0.3, 0.30))
#: ... and what a saturated cascade sees (0.25-0.27 measured at p = 0.3-0.5).
SEEN_PER_EDGE_SATURATED = 0.30
#: Posts of the scenario those figures come from.
CALIBRATED_POSTS = 10
#: Activations per exposure seen, by ``p`` (the same runs: 0.086 at p = 0.0208, 0.11 at 0.1,
#: 0.14 at 0.15, 0.21 at 0.3, 0.26 at 0.5; with a margin), and saturated.
ACTIVATIONS_PER_SEEN_BY_P = ((0.0, 0.10), (0.1, 0.13), (0.15, 0.17), (0.3, 0.25), (0.5, 0.30))
ACTIVATIONS_PER_SEEN, ACTIVATIONS_PER_SEEN_SATURATED = 0.12, 0.30
#: Reduction mode: exposures seen per directed edge by a cascade that takes off (0.34 measured
#: at p = 0.5 on Barabasi-Albert graphs; fewer at small p: 0.095 at p = 0.05), scaled by
#: ``min(1, p / IC_SATURATING_P)``; heavy-tailed graphs take off far below the mean-field
#: threshold ``1 / k``, so no threshold is assumed.
IC_SEEN_PER_EDGE, IC_SATURATING_P = 0.35, 0.125

log = logging.getLogger(__name__)


class InsufficientMemoryError(ConfigError):
    """A run whose estimated peak memory exceeds what is available; the message is one line.

    Attributes:
        estimate: the :class:`Estimate`.
        available: bytes available to the process.
    """

    def __init__(self, key: str, value: object, allowed: str, *, estimate: Estimate,
                 available: int) -> None:
        super().__init__(key, value, allowed)
        self.estimate, self.available = estimate, available


@dataclass(frozen=True)
class LayerSize:
    """The expected size of one layer and the bytes it takes.

    Attributes:
        name: the layer.
        members: agents on it (expected).
        edges: undirected edges (follow links for the topic layer), expected.
        final: bytes the built layer keeps.
        transient: peak bytes while it is built (the built layer included).
        keys: config keys its size grows with.
        audience: exposures one share by every member would make in all (twice the edges;
            for the topic layer, the visible co-followers of every follow link).
    """

    name: str
    members: int
    edges: int
    final: int
    transient: int
    keys: tuple[str, ...]
    audience: int = 0

    def __post_init__(self) -> None:
        if not self.audience:
            object.__setattr__(self, "audience", 2 * self.edges)


@dataclass(frozen=True)
class Estimate:
    """A run's estimated peak resident memory, in bytes.

    Attributes:
        peak: the whole process at its peak: ``baseline + max(build, run)``.
        build: the world being built (beyond the baseline).
        run: the model running, then its results collected and written (beyond the baseline).
        ceiling: ``peak`` if every member shared every published post on every layer: no
            run of this config can take more (what :func:`check_memory` compares).
        baseline: interpreter and imports (and the chart's matplotlib).
        n_agents: N (estimated from the file when ``graph`` is set).
        exposures: exposures assumed seen.
        layers: the layers' sizes.
        parts: the largest contributions at the peak, bytes by name.
        keys: for each part, the config keys that drive it.
    """

    peak: int
    build: int
    run: int
    ceiling: int
    baseline: int
    n_agents: int
    exposures: int
    layers: tuple[LayerSize, ...]
    parts: dict[str, int] = field(default_factory=dict)
    keys: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def drivers(self) -> tuple[str, ...]:
        """Config keys of the largest part, most important first."""
        if not self.parts:
            return ()
        return self.keys.get(max(self.parts, key=self.parts.get), ())

    def describe(self, top: int = 2, shown: int = 3) -> str:
        """``"layers 1.2 GiB (n, network.personal.mean_degree), ..."`` for the largest parts.

        Each part names its first ``shown`` keys (``...`` when it has more).
        """
        ranked = sorted(self.parts.items(), key=lambda kv: -kv[1])[:top]

        def names(part: str) -> str:
            keys = self.keys.get(part, ())
            return ", ".join(keys[:shown]) + (", ..." if len(keys) > shown else "")
        return ", ".join(f"{name} {format_bytes(size)} ({names(name)})" for name, size in ranked)


def format_bytes(n: float) -> str:
    """``1536 -> "1.5 KiB"``, binary units up to PiB."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB" and abs(n) < 1024**2:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n / 1024:.1f} PiB"


# -- layer sizes ---------------------------------------------------------------------------


def layer_sizes(config: Config) -> tuple[int, tuple[LayerSize, ...]]:
    """N and the expected size of each layer of a run, from its config alone.

    Generated layers: ``membership * N`` members; community small world ``members * k / 2``
    edges; preferential attachment ``m (members - m) + members * company_degree / 2``; topic
    layer ``members * follows`` links. Graph files: edges and nodes extrapolated from the
    first MiB of the file (see :func:`_file_size`).

    Returns:
        ``(N, layers)``.
    """
    if config.graph is not None:
        edges, nodes, extra = _file_size(config.graph)
        n = max(2, nodes)
        return n, (_file_layer("graph", n, edges, nodes, extra, ("graph",)),)
    n = config.n
    layers = []
    for name in ("personal", "professional"):
        spec = getattr(config.network, name)
        if not spec.enabled:
            continue
        key = f"network.{name}"
        members = int(spec.membership * n)
        if spec.generator is Generator.file:
            edges, nodes, extra = _file_size(spec.path)
            layers.append(_file_layer(name, n, edges, min(nodes, n), extra, (f"{key}.path",)))
            continue
        if spec.generator is Generator.community_small_world:
            edges = members * spec.mean_degree // 2
            keys = ("n", f"{key}.membership", f"{key}.mean_degree")
        else:
            edges = int(spec.m * max(members - spec.m, 0) + members * spec.company_degree / 2)
            keys = ("n", f"{key}.membership", f"{key}.m", f"{key}.company_degree")
        final = 12 * members + 4 * (n + 1) + 8 * edges
        transient = BUILD_PER_EDGE * edges + BUILD_PER_MEMBER * members + BUILD_PER_AGENT * n
        layers.append(LayerSize(name, members, edges, final, transient, keys))
    topic = getattr(config.network, "topic", None)
    if topic is not None and topic.enabled:
        members = int(topic.membership * n)
        size = getattr(topic, "topic_size", 50.0)
        topics = max(1, round(members * topic.follows / size))
        follows = int(members * min(topic.follows, topics))
        final = 16 * (n + 1) + 16 * follows + 16 * members + 8 * (topics + 1)
        transient = final + TOPIC_PER_FOLLOW * follows + TOPIC_PER_AGENT * n
        audience = int(follows * size * getattr(topic, "visibility", 1.0))
        layers.append(LayerSize("topic", members, follows, final, transient,
                                ("n", "network.topic.membership", "network.topic.follows"),
                                audience=audience))
    return n, tuple(layers)


def _file_layer(name: str, n: int, edges: int, nodes: int, extra: int,
                keys: tuple[str, ...]) -> LayerSize:
    final = 12 * nodes + 4 * (n + 1) + 8 * edges
    transient = max(extra, BUILD_PER_EDGE * edges + BUILD_PER_MEMBER * nodes)
    return LayerSize(name, nodes, edges, final, transient, keys)


#: Lines of each sampled block whose ids :func:`_file_size` reads (the first ones).
ID_SAMPLE_LINES = 64
#: Decompressed size of a compressed graph file, as a multiple of its size. An assumption:
#: text edge lists shrink 3 to 10 times with gzip, bz2, xz or zstd; the high end keeps the
#: memory check on the safe side.
COMPRESSION_RATIO = 10


def _decompressed_head(path: str, codec: str, size: int) -> bytes:
    """Up to ``size`` decompressed bytes from the start of a compressed file."""
    import lzma  # noqa: PLC0415 - compressed files only

    if codec == "xz":
        with lzma.open(path, "rb") as f:
            data = f.read(size)
    else:
        import pyarrow as pa  # noqa: PLC0415 - compressed files only

        with pa.input_stream(path, compression=codec) as f:
            data = f.read(size)
    return data[:data.rfind(b"\n") + 1] or data


def _samples(path: str, size: int, blocks: int, block: int) -> list[bytes]:
    """``blocks`` blocks of whole lines spread evenly over the file (all of a small file)."""
    with open(path, "rb") as f:
        if size <= blocks * block:
            return [f.read()]
        samples = []
        for k in range(blocks):
            offset = (size - block) * k // (blocks - 1)
            f.seek(offset)
            data = f.read(block)
            if offset:                          # drop the partial first line
                data = data[data.find(b"\n") + 1:]
            samples.append(data[:data.rfind(b"\n") + 1] if offset + block < size else data)
        return samples


def _file_size(path: str | None, blocks: int = 16, block: int = 64 * 1024
               ) -> tuple[int, int, int]:
    """Edges, nodes and parsing bytes of a graph file, extrapolated from samples of it.

    Reads ``blocks`` blocks of ``block`` bytes spread evenly over the file (the whole file
    when it is smaller), so that files sorted by id (short lines first) are not misjudged.
    Edge lists: complete lines per byte (comment and blank lines count as edges: an upper
    estimate) times the size; nodes are ``max id + 1`` when every sampled id is an integer
    and that is at most twice the edges, else as many as edges (a sparse graph of mean degree
    2: an upper estimate for social graphs). GraphML: ``<edge`` and ``<node`` tags likewise.
    The ids are looked at on the first :data:`ID_SAMPLE_LINES` lines of each block only (a
    Python pass; the line counts are counted in C over every block). A compressed file
    (``.gz``, ``.bz2``, ``.xz``, ``.zst``) is sampled from its first decompressed MiB and
    taken to be :data:`COMPRESSION_RATIO` times its size once decompressed.
    A file that cannot be read counts as empty (reading it reports the problem).
    """
    import lzma  # noqa: PLC0415 - its error type only

    try:
        size = os.path.getsize(path)
        codec = compression(str(path))
        if codec is not None:
            samples = [_decompressed_head(str(path), codec, blocks * block)]
            size *= COMPRESSION_RATIO
        else:
            samples = _samples(path, size, blocks, block)
    except (OSError, TypeError, ValueError, EOFError, lzma.LZMAError):
        return 0, 0, 0
    sampled = sum(len(x) for x in samples)
    if not sampled:
        return 0, 0, 0
    scale = size / sampled
    if str(path).lower().endswith((".graphml", ".xml")):
        edges = max(1, int(sum(x.count(b"<edge") for x in samples) * scale))
        nodes = max(2, int(sum(x.count(b"<node") for x in samples) * scale))
        # networkx builds Python objects per node and edge: ~1 KiB each, measured
        return edges, min(nodes, 2 * edges), size + 1024 * (edges + nodes)
    lines = sum(x.count(b"\n") + (not x.endswith(b"\n")) for x in samples)
    edges = max(1, int(lines * scale))
    ids = [t for x in samples for line in x.split(b"\n", ID_SAMPLE_LINES)[:ID_SAMPLE_LINES]
           for t in line.split(b"#", 1)[0].split(b"%", 1)[0].replace(b",", b" ")
           .split()[:2]]
    numeric = bool(ids) and all(t.isdigit() for t in ids)
    top = max(map(int, ids)) + 1 if numeric else 0
    nodes = top if numeric and top <= 2 * edges else edges
    per_edge = READ_PER_EDGE if numeric else READ_PER_EDGE_STRINGS
    return edges, max(2, nodes), size + READ_BLOCKS + per_edge * edges


# -- the estimate -------------------------------------------------------------------------


def _published_posts(config: Config, *, exact: bool = False) -> float:
    """Posts published before the horizon, counted sub-linearly beyond :data:`CALIBRATED_POSTS`.

    Beyond it, ``k`` posts count as ``10 sqrt(k / 10)``: the budget buys fewer seeds per post
    and fatigue grows, so later posts reach less (200 posts saw 2.2x the exposures of 10).
    ``exact``: the number of posts itself (for the ceiling).
    """
    # sim.strategies imports the world (networkx, pandas, scipy), which an estimate made from
    # the config alone does not need
    from sim.strategies import post_steps  # noqa: PLC0415 - start-up: no world for the estimate

    k = max(1, int(np.count_nonzero(post_steps(config.strategy) <= config.steps)))
    return k if exact or k <= CALIBRATED_POSTS else CALIBRATED_POSTS * (k / CALIBRATED_POSTS) ** 0.5


def _by_p(points: tuple[tuple[float, float], ...], p: float) -> float:
    """A figure measured at several ``p``, linear between the points, the last one beyond."""
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        if p <= x1:
            return y0 + (y1 - y0) * max(0.0, p - x0) / (x1 - x0)
    return points[-1][1]


def estimate_peak_bytes(config: Config, *, exposures: int | None = None,
                        activations: int | None = None) -> Estimate:
    """Estimate a run's peak resident memory from its config, before building anything.

    Args:
        config: a validated config.
        exposures: exposures seen, when known (a finished run's ``exposures_seen``), instead
            of the assumed :data:`SEEN_PER_EDGE_BY_P`; for calibration.
        activations: activations, when known (``len(activations.parquet)``).

    Returns:
        The :class:`Estimate` (bytes), with the parts that make up its peak and the keys that
        drive them.
    """
    n, layers = layer_sizes(config)
    baseline = BASELINE + (CHART if config.output.chart else 0)
    n_layers = len(layers)
    population = 16 * n                                  # membership uniforms
    people = 8 * n + 16 * n + n_layers * n               # loyalty, drivers, member matrix
    built, build = 0, population
    for layer in layers:
        build = max(build, population + built + layer.transient)
        built += layer.final
    build = max(build, population + built + people + 32 * n)     # Dirichlet draws in float64
    world = built + people + 8 * n                                # members_any

    directed = sum(layer.audience for layer in layers)
    reduction = config.mode is Mode.independent_cascade
    if reduction:
        posts, channels = 1, n_layers
        state = 2 * n + 4 * n + 12 * channels * n                 # activated, shares, replay
        # the kernel: claims (int64), and int64 copies of each layer's CSR arrays
        state += 8 * n + sum(16 * n + 8 * layer.audience for layer in layers)
        # a cascade lasts at most one generation per agent
        state += RECORDER_PER_STEP * channels * (min(config.steps, n) + 1)
        members = max(1, sum(layer.members for layer in layers))
        seen = (config.seeds * directed / members
                + IC_SEEN_PER_EDGE * directed * min(1.0, config.p / IC_SATURATING_P))
        typical = min(directed, seen)
        acts_typical = min(n, config.seeds + typical * ACTIVATIONS_PER_SEEN_SATURATED)
        # every node shares once, to every neighbour
        saturated, acts_saturated = directed + config.seeds, n
    else:
        posts, channels = config.strategy.posts, n_layers + 1
        state = (3 * (posts + 1) * n + (STATE_PER_AGENT + STATE_PER_CHANNEL * channels) * n
                 + (STEP_PER_AGENT + STEP_PER_CHANNEL * channels) * n
                 + RECORDER_PER_STEP * channels * (config.steps + 1))
        published = _published_posts(config, exact=True)
        per_edge = _by_p(SEEN_PER_EDGE_BY_P, config.p)
        acts_per_seen = _by_p(ACTIVATIONS_PER_SEEN_BY_P, config.p)
        # every member shares every published post (and the backlash post) on every layer
        saturated = directed * (published + 1)
        acts_saturated = n * (published + 1)
        typical = min(saturated, per_edge * directed * _published_posts(config))
        acts_typical = min(typical * acts_per_seen, acts_saturated)

    if exposures is not None:
        typical = exposures
        acts_typical = activations if activations is not None else typical * (
            ACTIVATIONS_PER_SEEN)

    def dynamic(seen: float, acts: float) -> float:
        if not config.output.write_trace:
            return BYTES_PER_SEEN_NO_TRACE * seen + BYTES_PER_ACTIVATION * acts
        if config.output.trace is Trace.activations:
            return BYTES_PER_SEEN_NO_TRACE * seen + (BYTES_PER_SEEN + BYTES_PER_ACTIVATION) * acts
        return BYTES_PER_SEEN * seen + BYTES_PER_ACTIVATION * acts

    run = world + state + dynamic(typical, acts_typical)
    ceiling_run = world + state + dynamic(saturated, acts_saturated)
    peak = baseline + max(build, run)

    layer_keys = tuple(dict.fromkeys(k for layer in layers for k in layer.keys))
    # the parts at the ceiling, the figure the check compares
    if build >= ceiling_run:
        parts = {"layers": built + max(layer.transient - layer.final for layer in layers)
                 if layers else 0, "agent state": population + people + 32 * n}
    else:
        parts = {"layers": world - people, "agent state": people + state
                 - 3 * (posts + 1) * n * (not reduction),
                 "exposures": int(dynamic(saturated, acts_saturated))}
        if not reduction:
            parts["per-post state"] = 3 * (posts + 1) * n
    size = "graph" if config.graph is not None else "n"
    keys = {"layers": layer_keys, "agent state": (size,),
            "per-post state": ("n", "strategy.posts"),
            "exposures": (size, "strategy.posts", "output.write_trace", *layer_keys[1:],
                          "steps", "strategy.interval")
            if not reduction else layer_keys}
    return Estimate(peak=int(peak), build=int(build), run=int(run),
                    ceiling=int(baseline + max(build, ceiling_run)), baseline=baseline,
                    n_agents=n, exposures=int(typical), layers=layers,
                    parts={k: int(v) for k, v in parts.items()}, keys=keys)


# -- the check -------------------------------------------------------------------------


def check_memory(config: Config, *, available: int | None = None) -> Estimate:
    """Refuse a run that could exceed the memory available, before anything is built.

    Compares the estimate's ceiling (what the run takes if every post reached every member of
    its layers, so that any run let through fits) with the memory available plus what this
    process already holds (the estimate's baseline is largely there already), or with
    ``MINDSHARE_MEMORY_LIMIT``, the most the process may use. A graph file larger than that
    is refused first: reading it takes at least its size.

    Args:
        config: a validated config.
        available: the most the process may use, bytes (default: see above).

    Returns:
        The estimate, when the run fits (or the check is off, or memory is unknown).

    Raises:
        InsufficientMemoryError: a one-line message with needed vs available, the largest
            parts and the key that drives them; ``MINDSHARE_MEMORY_LIMIT=off`` skips the check.
    """
    source = "given"
    if available is None:
        available, source = available_bytes()
        if available is not None and source != ENV:
            available += resident_bytes()
    if available is not None:
        _check_files(config, available, source)
    estimate = estimate_peak_bytes(config)
    if available is None or estimate.ceiling <= available:
        return estimate
    name = max(estimate.parts, key=estimate.parts.get)
    key = dominant_key(config, estimate.keys.get(name, ()))
    lower = f"lower {key}"
    if name == "exposures" and config.output.write_trace:
        light = dataclasses.replace(config, output=dataclasses.replace(config.output,
                                                                       write_trace=False))
        lower += (" (or set output.write_trace=false: up to "
                  f"{format_bytes(estimate_peak_bytes(light).ceiling)})")
    typical = (f"; about {format_bytes(estimate.peak)} typically"
               if estimate.peak < 0.9 * estimate.ceiling else "")
    raise InsufficientMemoryError(
        key, _value(config, key),
        f"the run needs up to {format_bytes(estimate.ceiling)} of memory at its peak (if "
        f"every post reached every member of its layers{typical}) but "
        f"{format_bytes(available)} is available ({source}); largest parts: "
        f"{estimate.describe()}; {lower}, or set {ENV}=off to run anyway",
        estimate=estimate, available=available)


def graph_paths(config: Config) -> list[tuple[str, str]]:
    """``(key, path)`` of every graph file the run reads."""
    if config.graph is not None:
        return [("graph", config.graph)]
    return [(f"network.{name}.path", layer.path)
            for name in ("personal", "professional")
            if (layer := getattr(config.network, name)).enabled
            and layer.generator is Generator.file and layer.path]


def _check_files(config: Config, available: int, source: str) -> None:
    """Refuse a graph file larger than the memory available, before reading a byte of it."""
    for key, path in graph_paths(config):
        try:
            size = os.path.getsize(path)
        except OSError:
            continue                                # reading it reports the problem
        if size > available:
            raise InsufficientMemoryError(
                key, path, f"the file is {format_bytes(size)}, more than the "
                f"{format_bytes(available)} of memory available ({source}); reading it takes "
                f"at least its size: use a smaller file, or set {ENV}=off to run anyway",
                estimate=estimate_peak_bytes(config), available=available)


def dominant_key(config: Config, keys: tuple[str, ...]) -> str:
    """Of ``keys``, the one that drives the estimate most: furthest above its default.

    ``graph`` (a file) wins when it is among them; other keys compare by value over default
    (``n=200000`` is 20x its default, ``strategy.posts=2000`` 200x); the first key on ties.
    """
    if "graph" in keys:
        return "graph"
    default = Config.__new__(Config)                 # the schema's defaults, unvalidated
    for f in dataclasses.fields(Config):
        setattr(default, f.name, f.default_factory() if f.default_factory
                is not dataclasses.MISSING else f.default)
    best, ratio = (keys[0] if keys else "n"), 0.0
    for key in keys:
        value, base = _value(config, key), _value(default, key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not base:
            continue
        if value / base > ratio * 1.0001:
            best, ratio = key, value / base
    return best


def _value(config: Config, key: str) -> object:
    obj: object = config
    for part in key.split("."):
        obj = getattr(obj, part, None)
    return obj.value if hasattr(obj, "value") else obj
