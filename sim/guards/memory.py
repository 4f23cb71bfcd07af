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
cascades take off. The estimate assumes :data:`SEEN_PER_EDGE` exposures seen per directed
edge per published post (what the default scenario does at N = 10^4..10^6, with a margin);
``Estimate.ceiling`` assumes :data:`SEEN_PER_EDGE_SATURATED` instead, what a run whose every
post saturates its layers does (p >= 0.3 with the default share rule). In reduction mode the
single cascade is assumed to take off (:data:`IC_SEEN_PER_EDGE`), growing with ``p``.

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
smaller) with a one-line :class:`InsufficientMemoryError` naming needed vs available and the
keys that drive the estimate. The environment variable ``MINDSHARE_MEMORY_LIMIT`` overrides
the available memory (``8G``, ``512M``, ``2T``, bytes) or turns the check off (``off``);
reading what is available is :mod:`sim.guards.meminfo`'s.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

import numpy as np

from sim.config import Config, ConfigError, Generator, Mode, Trace
from sim.guards.meminfo import ENV, available_bytes, resident_bytes

__all__ = ["Estimate", "InsufficientMemoryError", "LayerSize", "available_bytes",
           "check_memory", "estimate_peak_bytes", "format_bytes", "layer_sizes"]

MiB = 2**20
#: Resident memory of the interpreter and the packages a run imports (numpy, scipy, pandas,
#: pyarrow, mesa, Hydra): 168-193 MiB measured on Linux x86-64 with Python 3.13 (more when
#: nothing is byte-compiled yet, PYTHONDONTWRITEBYTECODE).
BASELINE = 184 * MiB
#: matplotlib and the chart, when ``output.chart`` (measured: ~46 MiB).
CHART = 48 * MiB
#: Peak bytes per edge while a generated layer is built, the built layer included: generator
#: output and endpoint copies, COO -> CSR conversion (measured 74-77 per edge, tracemalloc)...
BUILD_PER_EDGE = 76
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
#: Resident bytes per activation beyond its exposure (log, table, diffusion forest, Parquet).
BYTES_PER_ACTIVATION = 40
#: Exposures seen per directed edge per published post: typical (default scenario, with a
#: margin: 0.010-0.025 measured) and saturated (0.15-0.26 measured at p = 0.3-0.9).
SEEN_PER_EDGE, SEEN_PER_EDGE_SATURATED = 0.03, 0.30
#: Posts of the scenario those figures come from.
CALIBRATED_POSTS = 10
#: Activations per exposure seen: typical and saturated (0.09 and 0.27 measured).
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
        ceiling: ``peak`` if every published post saturated its layers.
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

    def describe(self, top: int = 2) -> str:
        """``"layers 1.2 GiB (n, network.personal.mean_degree), ..."`` for the largest parts."""
        ranked = sorted(self.parts.items(), key=lambda kv: -kv[1])[:top]
        return ", ".join(f"{name} {format_bytes(size)} ({', '.join(self.keys.get(name, ()))})"
                         for name, size in ranked)


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


def _file_size(path: str | None, blocks: int = 16, block: int = 64 * 1024
               ) -> tuple[int, int, int]:
    """Edges, nodes and parsing bytes of a graph file, extrapolated from samples of it.

    Reads ``blocks`` blocks of ``block`` bytes spread evenly over the file (the whole file
    when it is smaller), so that files sorted by id (short lines first) are not misjudged.
    Edge lists: complete lines per byte (comment and blank lines count as edges: an upper
    estimate) times the size; nodes are ``max id + 1`` when every sampled id is an integer
    and that is at most twice the edges, else as many as edges (a sparse graph of mean degree
    2: an upper estimate for social graphs). GraphML: ``<edge`` and ``<node`` tags likewise.
    A file that cannot be read counts as empty (reading it reports the problem).
    """
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            if size <= blocks * block:
                samples = [f.read()]
            else:
                samples = []
                for k in range(blocks):
                    offset = (size - block) * k // (blocks - 1)
                    f.seek(offset)
                    data = f.read(block)
                    if offset:                          # drop the partial first line
                        data = data[data.find(b"\n") + 1:]
                    samples.append(data[:data.rfind(b"\n") + 1] if offset + block < size
                                   else data)
    except (OSError, TypeError, ValueError):
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
    ids = [t for x in samples for line in x.splitlines()
           for t in line.split(b"#", 1)[0].replace(b",", b" ").split()]
    numeric = bool(ids) and all(t.isdigit() for t in ids)
    top = max(map(int, ids)) + 1 if numeric else 0
    nodes = top if numeric and top <= 2 * edges else edges
    per_edge = READ_PER_EDGE if numeric else READ_PER_EDGE_STRINGS
    return edges, max(2, nodes), size + READ_BLOCKS + per_edge * edges


# -- the estimate -------------------------------------------------------------------------


def _published_posts(config: Config) -> float:
    """Posts published before the horizon, counted sub-linearly beyond :data:`CALIBRATED_POSTS`.

    Beyond it, ``k`` posts count as ``10 sqrt(k / 10)``: the budget buys fewer seeds per post
    and fatigue grows, so later posts reach less (200 posts saw 2.2x the exposures of 10).
    """
    # sim.strategies imports the world (networkx, pandas, scipy), which an estimate made from
    # the config alone does not need
    from sim.strategies import post_steps  # noqa: PLC0415 - start-up: no world for the estimate

    k = max(1, int(np.count_nonzero(post_steps(config.strategy) <= config.steps)))
    return k if k <= CALIBRATED_POSTS else CALIBRATED_POSTS * (k / CALIBRATED_POSTS) ** 0.5


def estimate_peak_bytes(config: Config, *, exposures: int | None = None,
                        activations: int | None = None) -> Estimate:
    """Estimate a run's peak resident memory from its config, before building anything.

    Args:
        config: a validated config.
        exposures: exposures seen, when known (a finished run's ``exposures_seen``), instead
            of the assumed :data:`SEEN_PER_EDGE`; for calibration.
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
        members = max(1, sum(layer.members for layer in layers))
        seen = (config.seeds * directed / members
                + IC_SEEN_PER_EDGE * directed * min(1.0, config.p / IC_SATURATING_P))
        typical = saturated = min(directed, seen)
        acts_typical = acts_saturated = min(n, config.seeds + typical
                                            * ACTIVATIONS_PER_SEEN_SATURATED)
    else:
        posts, channels = config.strategy.posts, n_layers + 1
        state = (3 * (posts + 1) * n + (STATE_PER_AGENT + STATE_PER_CHANNEL * channels) * n
                 + (STEP_PER_AGENT + STEP_PER_CHANNEL * channels) * n)
        edges_posts = directed * _published_posts(config)
        typical = SEEN_PER_EDGE * edges_posts
        saturated = SEEN_PER_EDGE_SATURATED * edges_posts
        acts_typical = min(typical * ACTIVATIONS_PER_SEEN, posts * n)
        acts_saturated = min(saturated * ACTIVATIONS_PER_SEEN_SATURATED, posts * n)

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
    if build >= run:
        parts = {"layers": built + max(layer.transient - layer.final for layer in layers)
                 if layers else 0, "agent state": population + people + 32 * n}
    else:
        parts = {"layers": world - people, "agent state": people + state
                 - 3 * (posts + 1) * n * (not reduction),
                 "exposures": int(dynamic(typical, acts_typical))}
        if not reduction:
            parts["per-post state"] = 3 * (posts + 1) * n
    keys = {"layers": layer_keys, "agent state": ("n",),
            "per-post state": ("n", "strategy.posts"),
            "exposures": ("p", "strategy.posts", "output.write_trace", "output.trace")
            if not reduction else ("p", "graph" if config.graph else "n")}
    if config.graph is not None:
        keys["agent state"] = ("graph",)
    return Estimate(peak=int(peak), build=int(build), run=int(run),
                    ceiling=int(baseline + max(build, ceiling_run)), baseline=baseline,
                    n_agents=n, exposures=int(typical), layers=layers,
                    parts={k: int(v) for k, v in parts.items()}, keys=keys)


# -- the check -------------------------------------------------------------------------


def check_memory(config: Config, *, available: int | None = None) -> Estimate:
    """Refuse a run that would not fit in memory, before anything is built.

    Compares the estimated peak with the memory available plus what this process already
    holds (the estimate's baseline is largely there already), or with
    ``MINDSHARE_MEMORY_LIMIT``, the most the process may use.

    Args:
        config: a validated config.
        available: the most the process may use, bytes (default: see above).

    Returns:
        The estimate, when the run fits (or the check is off, or memory is unknown).

    Raises:
        InsufficientMemoryError: a one-line message with needed vs available and the keys
            that drive the estimate; ``MINDSHARE_MEMORY_LIMIT=off`` skips the check.
    """
    source = "given"
    if available is None:
        available, source = available_bytes()
        if available is not None and source != ENV:
            available += resident_bytes()
    estimate = estimate_peak_bytes(config)
    if available is None:
        return estimate
    room = available
    if estimate.peak <= room:
        if estimate.ceiling > room:
            log.warning("memory: this run needs about %s, but up to %s if every post's cascade "
                        "saturated its layers, more than the %s available (%s); "
                        "output.write_trace=false lowers that", format_bytes(estimate.peak),
                        format_bytes(estimate.ceiling), format_bytes(room), source)
        return estimate
    key = next(iter(estimate.drivers), "n")
    value = _value(config, key)
    raise InsufficientMemoryError(
        key, value,
        f"the run needs about {format_bytes(estimate.peak)} of memory at its peak but "
        f"{format_bytes(room)} is available ({source}); largest parts: "
        f"{estimate.describe()}; lower them, or set {ENV}=off to run anyway",
        estimate=estimate, available=room)


def _value(config: Config, key: str) -> object:
    obj: object = config
    for part in key.split("."):
        obj = getattr(obj, part, None)
    return obj.value if hasattr(obj, "value") else obj
