"""The world a run happens in: the population and its layers, built from a config.

Each layer's graph draws from its own named stream and memberships from ``population``, so
changing one layer's parameters leaves the other layer and the population unchanged.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import networkx as nx
import numpy as np

from sim.config import Config, ConfigError, Generator, LayerConfig, Mode, TopicConfig
from sim.progress import Progress
from sim.rng import Streams
from sim.world.generators import community_small_world, preferential_attachment
from sim.world.graph_files import networkx_to_edges, read_graph
from sim.world.layer import Layer
from sim.world.topics import TopicLayer, follow_topics

log = logging.getLogger("mindshare")


@dataclass(frozen=True, eq=False)
class World:
    """Population size, layers and the membership matrix (C13).

    Attributes:
        n: number of agents N.
        layers: the layers, in a fixed order (personal, professional, topic when enabled; or
            the one file layer).
        member: bool array (n_layers, N); ``member[l, i]`` is True when agent i is on layer l.
        loyalty: initial loyalty L of every agent, in [0, 1] (C11).
        drivers: (N, 4) weights over the drivers fun, ambition, security, achievement, each
            row summing to 1 (C4).
    """

    n: int
    layers: tuple[Layer, ...]
    member: np.ndarray
    loyalty: np.ndarray
    drivers: np.ndarray

    @cached_property
    def layer_names(self) -> tuple[str, ...]:
        """Names of the layers, in the order of :attr:`layers`."""
        return tuple(layer.name for layer in self.layers)

    @cached_property
    def members_any(self) -> np.ndarray:
        """Sorted ids of the agents on at least one layer (computed once per world)."""
        return np.flatnonzero(self.member.any(axis=0))


#: Bytes of worlds :func:`shared_world` keeps in a process; the least recently used go first.
#: A bound, not a measured figure: at N = 10^4 a default world is about 1 MiB
#: (``world_bytes``), so a sweep's worker keeps a few hundred.
WORLD_CACHE_BYTES = 256 * 2**20

_WORLDS: OrderedDict[str, World] = OrderedDict()


def _arrays(world: World) -> list[np.ndarray]:
    """A world's arrays, its layers' included."""
    arrays = [world.member, world.loyalty, world.drivers]
    for layer in world.layers:
        arrays += [layer.members, layer.indptr, layer.indices]
    return arrays


def _freeze(world: World) -> None:
    """Make a world's arrays read-only: it is shared by the runs that step on it."""
    for array in _arrays(world):
        array.flags.writeable = False


def world_bytes(world: World) -> int:
    """Bytes held by a world's arrays (its layers' included)."""
    return sum(a.nbytes for a in _arrays(world))


def shared_world(config: Config, *, progress: Progress | None = None) -> World:
    """The world of ``config``, built once per process and shared by the runs that need it.

    A world depends on the mode, the seed, the replicate, ``n`` and the ``network`` and
    ``population`` settings only, so the runs of a sweep's cells (strategies, ``p``,
    budgets...) at one replicate share it. Its arrays are made read-only. Generated layers
    only: a world with a layer read from a file (which may change on disk) is built afresh
    every time.
    """
    net = config.network
    if config.graph is not None or any(getattr(net, name).generator is Generator.file
                                       for name in ("personal", "professional")):
        return build_world(config, Streams(config.seed, config.replicate), progress=progress)
    key = repr((config.mode, config.seed, config.replicate, config.n, net.personal,
                net.professional, net.topic, config.population))
    world = _WORLDS.get(key)
    if world is not None:
        _WORLDS.move_to_end(key)
        return world
    world = build_world(config, Streams(config.seed, config.replicate), progress=progress)
    _freeze(world)
    size = world_bytes(world)
    if size <= WORLD_CACHE_BYTES:
        _WORLDS[key] = world
        while sum(world_bytes(w) for w in _WORLDS.values()) > WORLD_CACHE_BYTES:
            _WORLDS.popitem(last=False)
    return world


#: The last stack of shared worlds made, and the worlds it was made of: a sweep's worker runs
#: one cell's batch of replicates after another on the same worlds.
_STACKED: list[tuple[list[World], World]] = []


def shared_stack(worlds: list[World]) -> World:
    """:func:`stack_worlds` of ``worlds``, kept for the next batch on the same shared worlds.

    Only worlds from :func:`shared_world` (read-only) are kept, and only one stack, made
    read-only too, of at most a quarter of :data:`WORLD_CACHE_BYTES`; other worlds are
    stacked afresh.
    """
    if _STACKED:
        kept, stacked = _STACKED[0]
        if len(kept) == len(worlds) and all(a is b for a, b in zip(kept, worlds, strict=True)):
            return stacked
    stacked = stack_worlds(worlds)
    if all(not world.member.flags.writeable for world in worlds):
        _STACKED.clear()
        if world_bytes(stacked) <= WORLD_CACHE_BYTES // 4:
            _freeze(stacked)
            _STACKED.append((list(worlds), stacked))
    return stacked


def stack_worlds(worlds: list[World]) -> World:
    """Worlds of the same size and layers as one world of blocks, for a batch of runs.

    Agent ``r * n + i`` is agent ``i`` of ``worlds[r]``, and no edge joins two blocks
    (:class:`sim.engine.brand.BrandModel`). Graph layers only; the stacked layers keep no
    labels nor groups.
    """
    n = worlds[0].n
    layers = []
    for k, name in enumerate(worlds[0].layer_names):
        parts = [world.layers[k] for world in worlds]
        if any(isinstance(part, TopicLayer) for part in parts):
            raise ValueError("topic layers cannot be stacked")
        edges = np.cumsum([0] + [part.indices.size for part in parts])
        ptr_type = np.int32 if edges[-1] < np.iinfo(np.int32).max else np.int64
        indptr = np.concatenate([part.indptr[:-1].astype(ptr_type) + ptr_type(e)
                                 for part, e in zip(parts, edges, strict=False)]
                                + [np.array([edges[-1]], dtype=ptr_type)])
        indices = np.concatenate([part.indices + np.int32(r * n)
                                  for r, part in enumerate(parts)])
        members = np.concatenate([part.members + r * n for r, part in enumerate(parts)])
        layers.append(Layer(name=name, members=members, indptr=indptr, indices=indices))
    return World(n=n * len(worlds), layers=tuple(layers),
                 member=np.hstack([world.member for world in worlds]),
                 loyalty=np.concatenate([world.loyalty for world in worlds]),
                 drivers=np.vstack([world.drivers for world in worlds]))


def build_world(config: Config, streams: Streams, *, progress: Progress | None = None) -> World:
    """Build the population and its layers.

    With ``config.graph`` set, the run has one layer named ``graph`` read from that file, and
    N is its node count. Otherwise each enabled layer draws its members independently with
    probability ``membership`` (C13) and generates or loads its graph over them.

    Args:
        config: a validated config.
        streams: the run's random streams.
        progress: reports layers that were slow to build.

    Raises:
        ConfigError: a file layer with more nodes than the population.
        GraphFileError: a graph file that does not parse.
    """
    if config.graph is not None:
        edges, labels, _ = read_graph(config.graph)
        n = len(labels)
        layer = Layer.from_edges("graph", edges, np.arange(n), n, labels=labels)
        return World(n=n, layers=(layer,), member=np.ones((1, n), dtype=bool),
                     **traits(config, n, streams["population"]))

    specs = [(name, getattr(config.network, name)) for name in ("personal", "professional")]
    specs = [(name, spec) for name, spec in specs if spec.enabled]
    files = {name: read_graph(spec.path)[:2] for name, spec in specs
             if spec.generator is Generator.file}
    n, agents = config.n, None
    if files:
        # one agent per label named in any layer file, whatever the file: a multiplex
        agents = agent_labels([labels for _, labels in files.values()])
        if config.n == DEFAULT_N:
            n = agents.size
        elif config.n < agents.size:
            raise ConfigError("n", config.n, f"is below the {agents.size:,} people the layer "
                              f"files name ({', '.join(files)}); leave n out (it is taken "
                              f"from the files) or set n >= {agents.size}")
        _warn_disjoint(files, config)
    rng_pop = streams["population"]
    # One uniform per agent and layer, drawn for both layers whatever is enabled, so that
    # switching a layer off does not move the other layer's members.
    u = rng_pop.random((2, n))
    layers = []
    progress = progress or Progress(lambda _: None)
    for name, spec in specs:
        row = 0 if name == "personal" else 1
        members = np.flatnonzero(u[row] < spec.membership)
        progress.begin()
        if name in files:
            edges, labels = files[name]
            layers.append(Layer.from_edges(name, edges, label_positions(agents, labels), n,
                                           labels=labels))
        else:
            layers.append(_build_layer(name, spec, members, n, streams[name]))
        progress.built(f"the {name} layer: {members.size:,} members, "
                       f"{layers[-1].n_edges:,} edges")
    people = traits(config, n, rng_pop)
    if config.network.topic.enabled:
        progress.begin()
        layers.append(_build_topic_layer(config.network.topic, n, streams["topic"]))
        progress.built(f"the topic layer: {layers[-1].members.size:,} members, "
                       f"{layers[-1].n_edges:,} follow links")
    member = np.zeros((len(layers), n), dtype=bool)
    for k, layer in enumerate(layers):
        member[k, layer.members] = True
    return World(n=n, layers=tuple(layers), member=member, **people)


def _build_topic_layer(spec: TopicConfig, n: int, rng: np.random.Generator) -> TopicLayer:
    """The topic layer (C14) from its own stream: members, then the topics they follow."""
    members = np.flatnonzero(rng.random(n) < spec.membership)
    topics = max(1, round(members.size * spec.follows / spec.topic_size))
    follows = follow_topics(members.size, topics=topics, follows=spec.follows,
                            popularity=spec.popularity, rng=rng)
    return TopicLayer.from_follows("topic", follows, members, n, topics,
                                   visibility=spec.visibility)


def traits(config: Config, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Initial loyalty ~ Beta(mean * c, (1 - mean) * c) and driver weights ~ Dirichlet(a).

    In reduction mode (``mode=independent_cascade``), where no trait has any effect, nothing
    is drawn: every agent has the mean loyalty and equal driver weights (drawing them cost a
    fifth of a question asked of a 10^5-node file). They are drawn last from the stream, so
    the memberships and graphs are the same in both modes.
    """
    pop = config.population
    if config.mode is Mode.independent_cascade:
        return {"loyalty": np.full(n, pop.loyalty_mean),
                "drivers": np.full((n, 4), 0.25, dtype=np.float32)}
    a = pop.loyalty_mean * pop.loyalty_concentration
    b = (1.0 - pop.loyalty_mean) * pop.loyalty_concentration
    loyalty = rng.beta(a, b, size=n)
    drivers = rng.dirichlet(np.full(4, pop.drivers), size=n).astype(np.float32)
    return {"loyalty": loyalty, "drivers": drivers}


#: ``n`` when no value is given (the schema's default). With layers read from files, this
#: value means "as many agents as the files name"; any other value must agree with them.
DEFAULT_N: int = Config.__dataclass_fields__["n"].default

#: Layer names a world built from graphs may use: each takes its settings from
#: ``network.<name>`` (``graph``: one layer, ``network.personal``'s settings).
GRAPH_LAYERS = ("personal", "professional")


def agent_labels(labels: Sequence[np.ndarray], population: Iterable | None = None
                 ) -> np.ndarray:
    """The agents of a world whose layers name their nodes: one per distinct label, sorted.

    Labels are compared as :func:`sim.world.graph_files.read_graph` gives them: integers
    (int64) when every layer's are, else strings (an integer label ``7`` is the string
    ``"7"`` then). Agent ``i`` is the ``i``-th label in sorted order (numeric for integers).

    Args:
        labels: each layer's node labels.
        population: all the agents' labels, when some are on no layer; it must contain every
            layer's labels.

    Raises:
        ValueError: a layer names someone outside ``population``, or ``population`` repeats
            a label.
    """
    parts = [np.asarray(part) for part in labels]
    if population is not None:
        given = np.asarray(list(population))
        if given.dtype.kind in "iu" or given.dtype == bool:
            given = given.astype(np.int64)
        parts_all = [*parts, given]
    else:
        parts_all = parts
    ints = all(part.dtype == np.int64 for part in parts_all)
    union = np.unique(np.concatenate([part if ints else part.astype(str)
                                      for part in parts_all]))
    if population is not None:
        people = given if ints else given.astype(str)
        if np.unique(people).size != people.size:
            raise ValueError(f"population: {people.size} labels, only "
                             f"{np.unique(people).size} distinct")
        if union.size > people.size:
            outside = np.setdiff1d(union, people)
            raise ValueError(f"population: {outside.size} label(s) on a layer are not in it, "
                             f"e.g. {outside[0]!r}")
    return union if ints else union.astype(object)


def label_positions(agents: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The agent index of each label (every label is one of ``agents``, sorted)."""
    if agents.dtype == np.int64:
        return np.searchsorted(agents, np.asarray(labels, dtype=np.int64))
    return np.searchsorted(agents.astype(str), np.asarray(labels).astype(str))


def world_from_graphs(config: Config, graphs: Mapping[str, nx.Graph], *,
                      population: Iterable | None = None,
                      streams: Streams | None = None) -> World:
    """A world whose layers are NetworkX graphs, aligned by node label.

    The agents are the union of the graphs' nodes (or ``population``), one per label, sorted
    (:func:`agent_labels`); an agent is a member of a layer when it is a node of its graph,
    and its neighbours there are the graph's. Nodes may be any hashable labels whose
    strings differ (``1`` and ``"1"`` cannot both be nodes). Traits are drawn as for any
    world, from the ``population`` stream of ``config``'s seed and replicate.

    Args:
        config: the run's config (its ``n`` is not used: the graphs say how many agents).
        graphs: ``{"personal": G1, "professional": G2}``, either, or ``{"graph": G}``.
        population: labels of all the agents, when some are on no layer.
        streams: the run's streams; ``Streams(config.seed, config.replicate)`` by default.

    Raises:
        ValueError: an unknown layer name, an empty graph, or labels outside ``population``.
    """
    names = list(graphs)
    if not names or not (set(names) <= set(GRAPH_LAYERS) or names == ["graph"]):
        raise ValueError(f"layers: {names}; expected 'personal', 'professional' or both, or "
                         "'graph' alone")
    named = []
    for name in [n for n in (*GRAPH_LAYERS, "graph") if n in graphs]:
        edges, labels = networkx_to_edges(graphs[name])
        if labels.size == 0:
            raise ValueError(f"layers: the {name!r} graph has no nodes")
        if labels.dtype == object and any(str(x) == "" for x in labels):
            raise ValueError(f"layers: the {name!r} graph has a node whose label is empty; "
                             "give every node a non-empty label")
        named.append((name, edges, labels))
    agents = agent_labels([labels for _, _, labels in named], population)
    n = agents.size
    streams = streams or Streams(config.seed, config.replicate)
    layers = [Layer.from_edges(name, edges, label_positions(agents, labels), n, labels=labels)
              for name, edges, labels in named]
    member = np.zeros((len(layers), n), dtype=bool)
    for k, layer in enumerate(layers):
        member[k, layer.members] = True
    return World(n=n, layers=tuple(layers), member=member,
                 **traits(config, n, streams["population"]))


def _warn_disjoint(files: Mapping[str, tuple[np.ndarray, np.ndarray]], config: Config) -> None:
    """Warn when two layer files name no one in common while sharers cross-post."""
    if len(files) < 2 or config.network.crosspost <= 0:
        return
    (a, (_, la)), (b, (_, lb)) = list(files.items())[:2]
    ints = la.dtype == np.int64 and lb.dtype == np.int64
    common = np.intersect1d(la if ints else la.astype(str), lb if ints else lb.astype(str))
    if common.size == 0:
        log.warning("layer files: no agent is on both the %s and the %s layer (no label in "
                    "common), so network.crosspost=%s never applies", a, b,
                    config.network.crosspost)


def single_layer_world(layer: Layer, config: Config | None = None, *,
                       rng: np.random.Generator | None = None) -> World:
    """A world of one layer whose members are the whole population (tests, benchmarks)."""
    n = layer.n_agents
    rng = rng if rng is not None else np.random.default_rng(0)
    return World(n=n, layers=(layer,), member=np.ones((1, n), dtype=bool),
                 **traits(config or Config(), n, rng))


def _build_layer(name: str, spec: LayerConfig, members: np.ndarray, n: int,
                 rng: np.random.Generator) -> Layer:
    key = f"network.{name}"
    size = members.size
    if spec.generator is Generator.community_small_world:
        if size <= spec.mean_degree:
            raise ConfigError(f"{key}.mean_degree", spec.mean_degree,
                              f"must be below the layer's {size} members "
                              f"(n * {key}.membership)")
        edges, groups = community_small_world(
            size, mean_degree=spec.mean_degree, rewire=spec.rewire,
            community_size=spec.community_size, mixing=spec.mixing, rng=rng)
    else:
        if size <= spec.m + 1:
            raise ConfigError(f"{key}.m", spec.m, f"must be below the layer's {size} members - 1 "
                              f"(n * {key}.membership)")
        edges, groups = preferential_attachment(
            size, m=spec.m, company_size=spec.company_size,
            company_degree=spec.company_degree, rng=rng)
    return Layer.from_edges(name, edges, members, n, groups=groups)
