"""The world a run happens in: the population and its layers, built from a config.

Each layer's graph draws from its own named stream and memberships from ``population``, so
changing one layer's parameters leaves the other layer and the population unchanged.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from sim.config import Config, ConfigError, Generator, LayerConfig, TopicConfig
from sim.progress import Progress
from sim.rng import Streams
from sim.world.generators import community_small_world, preferential_attachment
from sim.world.graph_files import read_graph
from sim.world.layer import Layer
from sim.world.topics import TopicLayer, follow_topics


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


def world_bytes(world: World) -> int:
    """Bytes held by a world's arrays (its layers' included)."""
    arrays = [world.member, world.loyalty, world.drivers]
    for layer in world.layers:
        arrays += [layer.members, layer.indptr, layer.indices]
    return sum(a.nbytes for a in arrays)


def shared_world(config: Config, *, progress: Progress | None = None) -> World:
    """The world of ``config``, built once per process and shared by the runs that need it.

    A world depends on the seed, the replicate, ``n`` and the ``network`` and ``population``
    settings only, so the runs of a sweep's cells (strategies, ``p``, budgets...) at one
    replicate share it. Its arrays are made read-only. Generated layers only: a world with a
    layer read from a file (which may change on disk) is built afresh every time.
    """
    net = config.network
    if config.graph is not None or any(getattr(net, name).generator is Generator.file
                                       for name in ("personal", "professional")):
        return build_world(config, Streams(config.seed, config.replicate), progress=progress)
    key = repr((config.seed, config.replicate, config.n, net.personal, net.professional,
                net.topic, config.population))
    world = _WORLDS.get(key)
    if world is not None:
        _WORLDS.move_to_end(key)
        return world
    world = build_world(config, Streams(config.seed, config.replicate), progress=progress)
    for array in (world.member, world.loyalty, world.drivers,
                  *(a for layer in world.layers
                    for a in (layer.members, layer.indptr, layer.indices))):
        array.flags.writeable = False
    size = world_bytes(world)
    if size <= WORLD_CACHE_BYTES:
        _WORLDS[key] = world
        while sum(world_bytes(w) for w in _WORLDS.values()) > WORLD_CACHE_BYTES:
            _WORLDS.popitem(last=False)
    return world


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

    n = config.n
    specs = [(name, getattr(config.network, name)) for name in ("personal", "professional")]
    specs = [(name, spec) for name, spec in specs if spec.enabled]
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
    """Initial loyalty ~ Beta(mean * c, (1 - mean) * c) and driver weights ~ Dirichlet(a)."""
    pop = config.population
    a = pop.loyalty_mean * pop.loyalty_concentration
    b = (1.0 - pop.loyalty_mean) * pop.loyalty_concentration
    loyalty = rng.beta(a, b, size=n)
    drivers = rng.dirichlet(np.full(4, pop.drivers), size=n).astype(np.float32)
    return {"loyalty": loyalty, "drivers": drivers}


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
    if spec.generator is Generator.file:
        edges, labels, _ = read_graph(spec.path)
        if len(labels) > n:
            raise ConfigError(f"{key}.path", spec.path,
                              f"has {len(labels)} nodes but n={n}; raise n to at least "
                              f"{len(labels)}")
        # The file's nodes become a random subset of the population of the file's size.
        members = np.sort(rng.choice(n, size=len(labels), replace=False))
        return Layer.from_edges(name, edges, members, n, labels=labels)
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
