"""The model: a ``mesa.Model`` whose state lives in numpy arrays and whose step is vectorised.

:class:`BrandModel` owns the world (population and layers), the feed of pending exposures, the
per-(post, agent) activation state, the trace and the preallocated time series. Agents
(:class:`sim.agents.Consumer`) are views of one row of that state, created on demand.
"""

from __future__ import annotations

import mesa
import numpy as np

from .agents import Consumer
from .cascade import Exposures, decide, distinct, expose, first_success
from .config import Config, ConfigError, Mode, Trace
from .recorder import Recorder
from .rng import Streams
from .world import World, build_world


class BrandModel(mesa.Model):
    """Brand content spreading on a multiplex of platforms.

    Step ``t`` (one day) runs these phases, in this order, each over all agents at once and
    each computed from the state at the start of the phase (synchronous update):

    1. **post**: posts scheduled at ``t`` are placed on their seed agents, who share them on
       the layer they were placed on (exposures sent now are seen from ``t + 1``);
    2. **activity**: each member is active on each layer with that layer's activity rate
       (C15); reduction mode: everyone is active;
    3. **feed**: every pending exposure whose receiver is active on its layer is seen; unseen
       ones wait in the feed for ``network.feed_ttl`` steps, then expire; exposures to agents
       who already shared that post are dropped;
    4. **decide**: one share decision per seen exposure, ``share iff u < P`` (C6, C7);
    5. **activate**: for each (post, agent) the first successful exposure activates the agent,
       its sender becoming the agent's parent in the diffusion tree;
    6. **share**: every newly activated agent shares on the layer it was activated on, and
       cross-posts on each of its other layers with probability ``network.crosspost`` (C6);
       its neighbours there get exposures, seen from ``t + 1``;
    7. **record**: the step's figures go into the preallocated time series.

    Launch (``t = 0``, in the constructor) runs phase 1 for posts scheduled at 0 and phase 7.
    In reduction mode (``mode=independent_cascade``) P = ``p`` for every exposure and the run
    stops when no exposure is pending: this *is* the independent cascade model.

    Args:
        config: a validated config.
        world: a prebuilt world (population and layers) to reuse across runs; built from
            ``config`` (streams ``population``, ``personal``, ``professional``) when omitted.
    """

    def __init__(self, config: Config, *, world: World | None = None) -> None:
        self.streams = Streams(config.seed, config.replicate)
        super().__init__(rng=self.streams["mesa"])
        self.config = config
        self.world = world if world is not None else build_world(config, self.streams)
        self.reduction = config.mode is Mode.independent_cascade
        n, n_layers = self.world.n, len(self.world.layers)
        self.n_agents = n
        self._members_any = np.flatnonzero(self.world.member.any(axis=0))
        if config.seeds > self._members_any.size:
            raise ConfigError("seeds", config.seeds,
                              f"must be <= {self._members_any.size}, the number of agents "
                              "on at least one layer")
        net = config.network
        self._activity = np.array([self._layer_config(name).activity
                                   for name in self.world.layer_names])
        self._crosspost = 0.0 if self.reduction else net.crosspost
        self._ttl = net.feed_ttl
        # One post at launch; strategies add schedules.
        self.schedule: dict[int, list[int]] = {0: [0]}
        self.n_posts = 1
        self.activated = np.zeros((self.n_posts, n), dtype=bool)
        self.exposed = np.zeros((n_layers, n), dtype=bool)
        self.pending = Exposures.empty()
        self.edges_examined = 0
        self.recorder = Recorder(config.steps, self.world.layer_names)
        self._activations: list[tuple[np.ndarray, ...]] = []
        self._trace: list[tuple[Exposures, np.ndarray, int]] = []
        self._views: dict[int, Consumer] = {}
        self.t = 0
        self._post(0)
        self.recorder.close_step(0)
        self.running = not self._finished()

    def _layer_config(self, name: str):
        if name == "graph":
            from .config import LayerConfig
            return LayerConfig()
        return getattr(self.config.network, name)

    # -- phases --------------------------------------------------------------------------

    def step(self) -> None:
        """Advance one step through the phases listed in the class docstring."""
        self.t += 1
        t = self.t
        self._post(t)
        active = self._draw_activity()
        seen, self.pending = self._feed(active)
        if len(seen):
            probability = self._share_probability(seen)
            success = decide(probability, self.streams["sharing"])
            winners = first_success(seen, success, self.n_agents)
            self._keep_trace(seen, success, winners)
            batch = seen.take(winners)
            self._activate(batch.child, batch.post, batch.parent, batch.layer, t)
        self.recorder.close_step(t)
        self.running = not self._finished()

    def _post(self, t: int) -> None:
        """Phase 1: place each post scheduled at ``t`` on ``seeds`` random members (C9)."""
        for post in self.schedule.get(t, ()):
            rng = self.streams["seeding"]
            seeds = np.sort(rng.choice(self._members_any, size=self.config.seeds, replace=False))
            # Each seed is placed on one of its layers, uniformly.
            member = self.world.member[:, seeds]
            pick = np.floor(rng.random(seeds.size) * member.sum(axis=0)).astype(np.int64)
            layer = np.argmax(np.cumsum(member, axis=0) > pick, axis=0).astype(np.int8)
            posts = np.full(seeds.size, post, dtype=np.int32)
            self._activate(seeds, posts, np.full(seeds.size, -1, dtype=np.int64), layer, t)

    def _draw_activity(self) -> np.ndarray | None:
        """Phase 2: who is active on each layer (C15); ``None`` means everyone."""
        if self.reduction or np.all(self._activity >= 1.0):
            return None
        u = self.streams["activity"].random(self.world.member.shape)
        return self.world.member & (u < self._activity[:, None])

    def _feed(self, active: np.ndarray | None) -> tuple[Exposures, Exposures]:
        """Phase 3: split pending exposures into seen now, still waiting, expired or moot."""
        pend, t = self.pending, self.t
        if len(pend) == 0:
            return pend, pend
        live = ~self.activated[pend.post, pend.child]
        ready = live & (pend.born < t)
        if active is not None:
            ready &= active[pend.layer, pend.child]
        waiting = live & ~ready
        expired = waiting & (t - pend.born >= self._ttl)
        self.recorder.add("expired", pend.layer[expired])
        seen = pend.take(ready)
        self._mark_exposed(seen)
        self.recorder.add("seen", seen.layer)
        return seen, pend.take(waiting & ~expired)

    def _share_probability(self, seen: Exposures) -> np.ndarray:
        """Phase 4: P per exposure. Reduction mode: the constant ``p`` (independent cascade)."""
        return np.full(len(seen), self.config.p)

    def _activate(self, agents: np.ndarray, posts: np.ndarray, parents: np.ndarray,
                  layers: np.ndarray, t: int) -> None:
        """Phases 5 and 6: mark activations, then share on the activation layer and cross-post."""
        if agents.size == 0:
            return
        self.activated[posts, agents] = True
        self._activations.append((agents, posts, parents, layers,
                                  np.full(agents.size, t, dtype=np.int32)))
        self.recorder.add("activations", layers)
        batches = []
        for k, layer in enumerate(self.world.layers):
            on = layers == k
            sharers, share_posts, origins = agents[on], posts[on], layers[on]
            if self._crosspost > 0:
                cross = (layers != k) & self.world.member[k, agents]
                u = self.streams["crosspost"].random(agents.size)
                cross &= u < self._crosspost
                sharers = np.concatenate([sharers, agents[cross]])
                share_posts = np.concatenate([share_posts, posts[cross]])
                origins = np.concatenate([origins, layers[cross]])
            self.recorder.add("shares", np.full(sharers.size, k))
            batch, examined = expose(layer, k, sharers, share_posts, origins, t)
            self.edges_examined += examined
            batch = batch.take(~self.activated[batch.post, batch.child])
            self.recorder.add("sent", batch.layer)
            self.recorder.add("spillover", batch.layer[batch.origin != batch.layer])
            batches.append(batch)
        self.pending = Exposures.concat([self.pending, *batches])

    def _mark_exposed(self, seen: Exposures) -> None:
        fresh = ~self.exposed[seen.layer, seen.child]
        if fresh.any():
            layer, child = seen.layer[fresh], seen.child[fresh]
            key = distinct(layer.astype(np.int64) * self.n_agents + child)
            self.exposed[layer, child] = True
            self.recorder.add("newly_exposed", key // self.n_agents)

    def _keep_trace(self, seen: Exposures, success: np.ndarray, winners: np.ndarray) -> None:
        if not self.config.output.write_trace:
            return
        shared = np.zeros(len(seen), dtype=bool)
        shared[winners] = True
        if self.config.output.trace is Trace.activations:
            seen, shared = seen.take(winners), shared[winners]
        self._trace.append((seen, shared, self.t))

    def _finished(self) -> bool:
        if self.t >= self.config.steps:
            return True
        if self.reduction:
            return len(self.pending) == 0 and not any(s > self.t for s in self.schedule)
        return False

    # -- inspection ----------------------------------------------------------------------

    def run(self) -> BrandModel:
        """Step until the horizon (or, in reduction mode, until no exposure is pending)."""
        while self.running:
            self.step()
        return self

    def activations(self) -> dict[str, np.ndarray]:
        """All activations so far: agent, post, parent (-1 for seeds), layer, step."""
        names = ("agent", "post", "parent", "layer", "step")
        if not self._activations:
            return {k: np.empty(0, dtype=np.int64) for k in names}
        return {k: np.concatenate([chunk[j] for chunk in self._activations])
                for j, k in enumerate(names)}

    def trace(self) -> dict[str, np.ndarray]:
        """Every decided exposure: parent, child, layer, origin, post, sent, step, shared."""
        if not self._trace:
            seen, shared, steps = Exposures.empty(), np.empty(0, bool), np.empty(0, np.int32)
        else:
            seen = Exposures.concat([c[0] for c in self._trace])
            shared = np.concatenate([c[1] for c in self._trace])
            steps = np.concatenate([np.full(len(c[0]), c[2], dtype=np.int32)
                                    for c in self._trace])
        return {"parent": seen.parent, "child": seen.child, "layer": seen.layer,
                "origin": seen.origin, "post": seen.post, "sent": seen.born, "step": steps,
                "shared": shared}

    def consumer(self, index: int) -> Consumer:
        """The agent view of row ``index`` (0-based), created and registered on first use."""
        if not 0 <= index < self.n_agents:
            raise IndexError(f"agent index {index} outside [0, {self.n_agents - 1}]")
        if index not in self._views:
            self._views[index] = Consumer(self, index)
        return self._views[index]

    def consumers(self) -> list[Consumer]:
        """Views of every agent, registered with Mesa (``model.agents``) for its tooling."""
        return [self.consumer(i) for i in range(self.n_agents)]
