"""Agents as views: a ``Consumer`` holds only its row index into the model's arrays.

Mesa numbers agents from 1 (``unique_id``); the simulation indexes arrays from 0 (``index``),
and ``unique_id == index + 1`` whatever order the views are created in. Views are created on
demand: one by ``model.consumer(i)``, all of them by the first read of ``model.agents`` (or
``model.consumers()``, ``model.agents_by_type``), so a run that never asks for them never pays
for a million Python objects (:class:`AgentViews` says what views cost).

What is Mesa-compatible: a view is a ``mesa.Agent`` registered with its model, so
``model.agents`` (an ``AgentSet``) takes ``select``, ``get``, ``agg``, ``groupby`` and ``do``
over the read-only properties below, and a ``mesa.DataCollector``'s agent reporters can name
them. What is not: a view has no state of its own and does not act; the model steps every
agent at once (its ``step()`` lists the phases), so ``Consumer.step`` does nothing, the
properties cannot be set, and a view cannot be removed (the population is fixed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import mesa
import numpy as np
from mesa.agentset import AbstractAgentSet

if TYPE_CHECKING:
    from sim.engine.base import ModelBase


class Consumer(mesa.Agent):
    """One person; a read-only view of row ``index`` of the model's state, holding none itself.

    Every property reads the model's arrays when asked, so a view always shows the current
    step. In reduction mode (:class:`sim.engine.cascade.CascadeModel`) there is no loyalty
    dynamics, owned channel, backlash or fatigue: those properties then give the world's
    initial loyalty, ``False`` and ``0``.

    Mindsets are not exposed: a session's mindset (goal or leisure) is drawn for every member
    and channel each step and used within the step; the model does not keep it.

    Args:
        model: the model owning the state.
        index: 0-based row in every per-agent array.
    """

    model: ModelBase

    def __init__(self, model: ModelBase, index: int) -> None:
        # set before Mesa registers the view: the model derives unique_id from it
        self.index = int(index)
        super().__init__(model)

    @property
    def layers(self) -> tuple[str, ...]:
        """Names of the layers (platforms) this person is a member of (C13)."""
        world = self.model.world
        return tuple(name for k, name in enumerate(world.layer_names)
                     if world.member[k, self.index])

    def neighbours(self, layer: str) -> np.ndarray:
        """0-based indices of this person's contacts on ``layer``, sorted.

        On the topic layer its contacts are the co-followers of its topics.
        """
        lay = self.model.world.layers[self.model.world.layer_names.index(layer)]
        _, contacts = lay.neighbours(np.array([self.index]))
        return np.unique(contacts).astype(np.int64)

    @property
    def loyalty(self) -> float:
        """Loyalty to the brand now, in [0, 1] (C10, C11).

        Reduction mode: the world's initial loyalty, which the cascade neither reads nor
        changes.
        """
        state = getattr(self.model, "loyalty", None)    # full mode only
        return float((self.model.world.loyalty if state is None else state)[self.index])

    @property
    def initial_loyalty(self) -> float:
        """Loyalty before the campaign (the world's), in [0, 1] (C11)."""
        return float(self.model.world.loyalty[self.index])

    @property
    def loyal(self) -> bool:
        """Whether loyalty is at least ``loyalty.loyal`` (the ``loyal`` gauge counts these)."""
        return self.loyalty >= self.model.config.loyalty.loyal

    @property
    def owned_channel(self) -> bool:
        """Whether this person has joined the brand's owned channel (C8; full mode)."""
        owned = self.model.owned
        return owned >= 0 and bool(self.model.member[owned, self.index])

    @property
    def shared(self) -> np.ndarray:
        """Per post: whether this person has shared it (been activated), bool array."""
        return self.model.activated[:, self.index].copy()

    @property
    def posts_shared(self) -> int:
        """Brand posts this person has shared, seed placements included."""
        return int(np.count_nonzero(self.model.activated[:self.model.n_posts, self.index]))

    @property
    def reached(self) -> bool:
        """Whether brand content reached this person: seen on a channel, or seeded with it.

        The ``reached`` series and summary count these people.
        """
        return bool(self.model.first_reached[:, self.index].any())

    @property
    def engaged(self) -> bool:
        """Whether this person shared a brand post of their own accord (seeds do not count).

        The ``engaged`` series and summary count these people.
        """
        return bool(self.model.first_engaged[:, self.index].any())

    @property
    def exposed(self) -> tuple[str, ...]:
        """Layers on which this person has seen brand content."""
        first_seen = self.model.first_seen
        return tuple(name for k, name in enumerate(self.model.world.layer_names)
                     if first_seen[k, self.index] > 0)

    @property
    def detractor(self) -> bool:
        """Whether this person saw through inauthentic content and speaks against the brand.

        Full mode (C12): a detractor's activation is on the backlash row.
        """
        backlash = getattr(self.model, "backlash_post", None)    # full mode only
        return backlash is not None and bool(self.model.activated[backlash, self.index])

    @property
    def fatigue(self) -> int:
        """Brand exposures this person has seen so far (fatigue lowers P; full mode)."""
        state = getattr(self.model, "fatigue", None)    # full mode only
        return 0 if state is None else int(state[self.index])

    def remove(self) -> None:
        """Refused: the population is fixed, a view cannot leave it.

        Raises:
            TypeError: always.
        """
        raise TypeError("a Consumer is a view of a fixed population and cannot be removed")

    def __repr__(self) -> str:
        return f"Consumer(index={self.index}, layers={self.layers})"


class AgentViews(mesa.Model):
    """A ``mesa.Model`` whose agents are :class:`Consumer` views of its arrays, made on demand.

    :attr:`agents` is the population: Mesa's ``AgentSet`` of one view per agent, in index
    order, created and registered on its first read (or that of :attr:`agents_by_type`,
    :attr:`agent_types`, :meth:`consumers`); :meth:`consumer` makes a single one. Mesa's
    registry (``_all_agents``, ``_agents_by_type``, ``register_agent``) is used as Mesa uses
    it, so ``model.agents``, ``model.agents_by_type[Consumer]``, :meth:`consumer` and
    :meth:`consumers` give the same objects.

    Cost, paid only by a model whose agents are read: about 300 bytes per view (294 at
    N = 10^6 and 325 at 10^5, measured with ``python -c "import tracemalloc; from sim import
    load_config; from sim.engine.brand import BrandModel; m = BrandModel(load_config([
    'n=1000000', 'steps=1'])); tracemalloc.start(); m.agents;
    print(tracemalloc.get_traced_memory()[0] / m.n_agents)"``) and a few microseconds each,
    most of it Mesa's registration (the same command timing ``m.agents`` with
    ``time.perf_counter``: 8 s for 10^6 views on a busy 2-core machine).

    Subclasses set ``n_agents`` and call :meth:`_reserve_views` before any view is asked.
    """

    n_agents: int

    def _reserve_views(self) -> None:
        """No view yet; ids 1..n are kept for the views, other agents get ids after them."""
        self._views: dict[int, Consumer] = {}
        # whether every view exists, in index order in Mesa's registry
        self._population = False
        self.agent_id_counter = self.n_agents + 1

    @property
    def agents(self) -> AbstractAgentSet:
        """The population as Mesa's ``AgentSet`` of views, one per agent, in index order.

        Created on the first read (construction and steps never make them). A batch's model
        (:class:`sim.engine.brand.BrandModel` with ``batch``) holds every run's agents (agent
        ``r * n + i`` is agent ``i`` of run ``r``); each model of its ``runs()`` holds its
        own run's. Any agent of another class you create is in it too, after the population.
        """
        if not self._population:
            self._populate()
        return self._all_agents

    @agents.setter
    def agents(self, agents: Any) -> None:
        mesa.Model.agents.fset(self, agents)    # refused, with Mesa's own message

    @property
    def agents_by_type(self) -> dict[type, AbstractAgentSet]:
        """Mesa's ``{agent class: AgentSet}``; ``Consumer`` maps to the population."""
        if not self._population:
            self._populate()
        return self._agents_by_type

    @property
    def agent_types(self) -> list[type]:
        """The agent classes registered: ``Consumer``, and any you added."""
        return list(self.agents_by_type)

    def register_agent(self, agent: mesa.Agent) -> None:
        """Register ``agent`` with the model (Mesa calls this from ``Agent.__init__``).

        A view of this model's population gets ``unique_id = index + 1`` whatever order the
        views are created in, so ids match across runs; an agent of another class gets Mesa's
        next id, which starts after the population's.
        """
        if not (isinstance(agent, Consumer) and agent.model is self):
            super().register_agent(agent)
            return
        counter, self.agent_id_counter = self.agent_id_counter, agent.index + 1
        try:
            super().register_agent(agent)   # takes the counter as unique_id, and signals
        finally:
            self.agent_id_counter = counter

    def _populate(self) -> None:
        """Create the views not made yet and register all of them in index order."""
        views = self._views
        for view in views.values():     # registered in the order consumer(i) was asked
            self.deregister_agent(view)
        for i in range(self.n_agents):
            view = views.get(i)
            if view is None:
                views[i] = Consumer(self, i)
            else:
                self.register_agent(view)
        self._population = True

    def consumer(self, index: int) -> Consumer:
        """The agent view of row ``index`` (0-based), created and registered on first use."""
        if not 0 <= index < self.n_agents:
            raise IndexError(f"agent index {index} outside [0, {self.n_agents - 1}]")
        if index not in self._views:
            self._views[index] = Consumer(self, index)
        return self._views[index]

    def consumers(self) -> list[Consumer]:
        """Views of every agent, in index order (the population of :attr:`agents`)."""
        if not self._population:
            self._populate()
        return [self._views[i] for i in range(self.n_agents)]
