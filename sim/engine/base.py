"""What both models share: a ``mesa.Model`` with the run's streams, world, logs and run loop.

:class:`ModelBase` owns the random streams (and the seed of Mesa's own generator), the world,
the activation log, the trace of decided exposures, the agent views (Mesa's ``model.agents``,
made on first read, :class:`~sim.engine.agents.AgentViews`), the recorded series as Mesa's
``DataCollector`` reads them, and the loop that steps a model to its end while keeping Mesa's
``steps`` and ``time`` counters. The two models built on it are
:class:`sim.engine.brand.BrandModel` (the full model, ``mode=full``) and
:class:`sim.engine.cascade.CascadeModel` (reduction mode, ``mode=independent_cascade``); each
says which mode it runs in its class attribute ``mode``, which is how outputs tell them apart.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from sim.config import Config, ConfigError, Mode, Trace
from sim.engine.agents import AgentViews
from sim.engine.exposures import Exposures
from sim.engine.recorder import Recorder, SeriesCollector
from sim.progress import Progress
from sim.rng import Streams
from sim.world.population import World, build_world

#: Columns of :meth:`ModelBase.activations`, in order.
ACTIVATION_COLUMNS = ("agent", "post", "parent", "layer", "step")


class ModelBase(AgentViews):
    """A run of one mode on one world: streams, world, logs, agent views and the run loop.

    Subclasses set, before their first step: ``channels`` (layer names, plus ``"owned"`` in
    full mode), ``n_posts`` and ``post_step``, ``activated`` ((rows, N) bool, row ``c``: who
    shared post ``c``), ``recorder`` and ``running``; and they implement :meth:`_advance`,
    :attr:`first_seen`, :attr:`pending` and :attr:`share_lag`.

    **Mesa conventions.** The state lives in numpy arrays; what Mesa users look for is
    built from them on demand, so a run that never asks pays nothing in its step:

    - :attr:`agents` is the population, Mesa's ``AgentSet`` of read-only
      :class:`~sim.engine.agents.Consumer` views (``len(model.agents) == n``), created on
      its first read; ``select``, ``get``, ``agg``, ``groupby``, ``do`` and
      ``agents_by_type[Consumer]`` work as Mesa documents; ``unique_id == index + 1``.
      Cost: about 300 bytes and a few microseconds per view (measured in
      :class:`~sim.engine.agents.AgentViews`).
    - :attr:`datacollector` reads the recorded series as a ``mesa.DataCollector``'s model
      data (``model_vars``, ``get_model_vars_dataframe()``); :meth:`model_series` gives
      them as arrays.
    - ``model.step()`` advances one step (``t``, the model's day), ``running`` turns false
      at the end, ``run_model()`` and :meth:`run` step to the end; ``steps`` and ``time``
      count the calls of ``model.step()`` as Mesa does (a call after the end changes
      nothing else). A ``mesa.DataCollector`` of your own, collected after each
      ``model.step()``, gets one row per step.

    Not Mesa-like: agents do not act (the model steps them all at once, in the phases of
    its ``step()``), there are no births or deaths, no space, and no agent-level series
    (read ``model.agents.get(...)`` when you want them).

    Args:
        config: a validated config whose ``mode`` is the subclass's :attr:`mode`.
        world: a prebuilt world to reuse across runs; built from ``config`` when omitted.

    Raises:
        ConfigError: on a config of another mode (naming the model that runs it).
    """

    #: The mode this model runs (``Config.mode``).
    mode: ClassVar[Mode]
    #: The class that runs the other modes, named in the error a wrong config gets.
    other: ClassVar[str]

    channels: tuple[str, ...]
    #: channel index of the owned channel (full mode), -1 when the model has none
    owned: int = -1
    n_posts: int
    post_step: np.ndarray
    activated: np.ndarray
    recorder: Recorder

    def __init__(self, config: Config, *, world: World | None = None) -> None:
        if config.mode is not self.mode:
            raise ConfigError("mode", config.mode.value,
                              f"{type(self).__name__} runs mode={self.mode.value}; use "
                              f"{self.other} or sim.engine.factory.make_model")
        self.streams = Streams(config.seed, config.replicate)
        # Mesa gets its own seed from stream "mesa" (an int: Mesa builds its generators itself)
        super().__init__(rng=int(self.streams.sequence("mesa").generate_state(1, np.uint64)[0]))
        self.config = config
        self.world = world if world is not None else build_world(config, self.streams)
        self.n_agents = self.world.n
        self.layer_names = self.world.layer_names
        #: the current step; step 0 is the launch, run by the constructor
        self.t = 0
        #: contacts examined by sharing so far (exposures created, filtered or not)
        self.edges_examined = 0
        # entries (agents, posts, parents, layers, step): the step of all the entries, or of
        # each (one run of a batch); same for the trace's (exposures, shared, step)
        self._activations: list[tuple[np.ndarray, np.ndarray | None, np.ndarray,
                                      np.ndarray | None, int | np.ndarray]] = []
        self._trace: list[tuple[Exposures, np.ndarray, int | np.ndarray]] = []
        self._reserve_views()
        # a collector a user assigns to model.datacollector, in Mesa's way
        self._datacollector: Any = None
        # first_reached / first_engaged of the current step, computed once
        self._firsts: tuple[tuple[int, int], dict[str, np.ndarray]] = ((-1, -1), {})

    # -- stepping --------------------------------------------------------------------------

    def step(self) -> None:
        """Advance one step through the phases listed in the class docstring.

        Called through Mesa (``model.step()``), which counts every call in ``steps`` and
        ``time``; once the run has ended (:attr:`running` false) a call changes nothing else.
        """
        if self.running:
            self._advance()

    def _advance(self) -> bool:
        """One step; ``False`` when there was nothing left to do (no step taken)."""
        raise NotImplementedError

    def run(self, *, progress: Progress | None = None) -> ModelBase:
        """Step until the run ends (:attr:`running` turns false).

        Args:
            progress: reports the step, people reached so far and time left, where the model
                reports.
        """
        # The phases are driven directly rather than through Mesa's per-step event dispatch
        # (about 20 us a step, which dominates small cascades); Mesa's step and time
        # counters are kept as model.step() would keep them. Mesa's own step event waits
        # meanwhile, so that a model.step() after run() is the next step, not a replay of
        # the ones run() took.
        schedule = self._default_schedule
        schedule.pause()
        try:
            while self.running:
                if not self._advance():
                    break
                self.steps += 1
                self.time += 1
                if progress is not None:
                    self._report(progress)
        finally:
            schedule.resume()
        return self

    def _report(self, progress: Progress) -> None:
        """Report a step to ``progress``; by default nothing (a model opts in)."""

    # -- logs ------------------------------------------------------------------------------

    def _log_activations(self, agents: np.ndarray, posts: np.ndarray | None,
                         parents: np.ndarray, layers: np.ndarray | None, t: int) -> None:
        """Append activations to the log (``None`` posts: post 0; ``None`` layers: layer 0)."""
        self._activations.append((agents, posts, parents, layers, t))

    def _keep_trace(self, seen: Exposures, winners: np.ndarray) -> None:
        """Keep the step's decided exposures for :meth:`trace` when ``output.write_trace``.

        Args:
            seen: the exposures decided this step, in decision order.
            winners: positions in ``seen`` of the exposures that activated their receiver.
        """
        if not self.config.output.write_trace:
            return
        shared = np.zeros(len(seen), dtype=bool)
        shared[winners] = True
        if self.config.output.trace is Trace.activations:
            seen, shared = seen.take(winners), shared[winners]
        self._trace.append((seen, shared, self.t))

    def activations(self) -> dict[str, np.ndarray]:
        """All activations: agent, post, parent (-1 for seeds and roots), layer, step."""
        if not self._activations:
            return {k: np.empty(0, dtype=np.int64) for k in ACTIVATION_COLUMNS}
        cols: dict[str, list[np.ndarray]] = {k: [] for k in ACTIVATION_COLUMNS}
        for agents, posts, parents, layers, t in self._activations:
            k = agents.size
            cols["agent"].append(agents.astype(np.int64))
            cols["post"].append(np.zeros(k, np.int32) if posts is None else posts)
            cols["parent"].append(parents.astype(np.int64))
            cols["layer"].append(np.zeros(k, np.int8) if layers is None else layers)
            cols["step"].append(np.full(k, t, dtype=np.int32))
        return {k: np.concatenate(v) for k, v in cols.items()}

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

    # -- exposure state --------------------------------------------------------------------

    @property
    def first_seen(self) -> np.ndarray:
        """(channels, N) int32: step + 1 at which each agent first saw brand content (0: never)."""
        raise NotImplementedError

    @property
    def exposed(self) -> np.ndarray:
        """(channels, N) bool: who has seen brand content on each channel."""
        return self.first_seen > 0

    @property
    def pending(self) -> Exposures:
        """Exposures waiting in feeds (sent, not yet seen)."""
        raise NotImplementedError

    @property
    def share_lag(self) -> int:
        """The most steps between a share and a share it causes (its exposures' lifetime)."""
        raise NotImplementedError

    def seeded_mask(self, acts: dict[str, np.ndarray]) -> np.ndarray:
        """Which of the activations ``acts`` are paid seed placements of a brand post.

        A seed has no parent and was placed on a layer; an owned-channel reader who shares a
        post it got from the brand also has no parent, but engaged of its own accord.
        """
        return (acts["post"] < self.n_posts) & (acts["parent"] < 0) & (acts["layer"] != self.owned)

    def _cached(self, name: str, compute) -> np.ndarray:
        """``compute()``, computed once per step (the logs only grow between steps)."""
        key = (self.t, len(self._activations))
        if self._firsts[0] != key:
            self._firsts = (key, {})
        if name not in self._firsts[1]:
            self._firsts[1][name] = compute()
        return self._firsts[1][name]

    @property
    def first_reached(self) -> np.ndarray:
        """(channels, N) int32: step + 1 at which each agent was first reached on each channel.

        Reached: saw brand content on the channel, or was seeded there (0: never).
        """
        return self._cached("reached", self._first_reached)

    def _first_reached(self) -> np.ndarray:
        acts = self.activations()
        return self._first_step(acts, self.seeded_mask(acts), self.first_seen)

    @property
    def first_engaged(self) -> np.ndarray:
        """(channels, N) int32: step + 1 at which each agent first shared a brand post there.

        Seed placements do not count (0: never engaged on the channel).
        """
        return self._cached("engaged", self._first_engaged)

    def _first_engaged(self) -> np.ndarray:
        acts = self.activations()
        return self._first_step(acts, (acts["post"] < self.n_posts) & ~self.seeded_mask(acts))

    def _first_step(self, acts: dict[str, np.ndarray], on: np.ndarray,
                    start: np.ndarray | None = None) -> np.ndarray:
        """First step + 1 per (layer, agent) among ``start`` and the activations ``on``.

        Returns:
            (channels, N) int32; 0 where neither ``start`` nor an activation has one.
        """
        never = np.iinfo(np.int32).max
        first = (np.full((len(self.channels), self.n_agents), never, dtype=np.int32)
                 if start is None else np.where(start > 0, start, never).astype(np.int32))
        np.minimum.at(first, (acts["layer"][on].astype(np.int64), acts["agent"][on]),
                      (acts["step"][on] + 1).astype(np.int32))
        first[first == never] = 0
        return first

    @staticmethod
    def _new_per_step(first: np.ndarray, rows: int) -> np.ndarray:
        """Agents counted for the first time per step and channel, from a ``first_*`` array."""
        out = np.zeros((rows, first.shape[0]), dtype=np.int64)
        for c, row in enumerate(first):
            out[:, c] = np.bincount(row[row > 0] - 1, minlength=rows)[:rows]
        return out

    def _reached_new(self, rows: int) -> np.ndarray:
        """People reached for the first time per step and channel (rows, C)."""
        return self._new_per_step(self.first_reached, rows)

    def _engaged_new(self, rows: int) -> np.ndarray:
        """People who shared a brand post for the first time per step and channel (rows, C)."""
        return self._new_per_step(self.first_engaged, rows)

    # -- model-level series, read as from a mesa.DataCollector ------------------------------

    @property
    def datacollector(self) -> Any:
        """The recorded series through ``mesa.DataCollector``'s reading methods.

        A :class:`~sim.engine.recorder.SeriesCollector` over :meth:`model_series`, built from
        the recorder's arrays when read (nothing is collected while stepping). A collector you
        assign (``model.datacollector = mesa.DataCollector(...)``, as Mesa models do) replaces
        it; you call its ``collect(model)`` yourself after each ``model.step()``.
        """
        if self._datacollector is not None:
            return self._datacollector
        return SeriesCollector(self.model_series)

    @datacollector.setter
    def datacollector(self, collector: Any) -> None:
        self._datacollector = collector

    def model_series(self) -> dict[str, np.ndarray]:
        """Model-level series, one value per step recorded (step 0, the launch, first).

        ``reached`` and ``engaged``: distinct people reached / engaged so far on any channel
        (the summary's ``reached`` and ``engaged`` at the last step); then the recorder's
        figures per channel, ``<figure>_<channel>`` (:meth:`Recorder.series`; NaN where the
        mode keeps no such figure: reduction mode has no loyalty or money).

        Raises:
            ValueError: on a batch of runs, whose recorder holds every run's columns; each
                model of its ``runs()`` has its own series.
        """
        if getattr(self, "n_runs", 1) > 1:
            raise ValueError("a batch records several runs: read each run's series from "
                             "model.runs()")
        rows = self.recorder.last + 1
        out = {"reached": self._people_so_far(self.first_reached, rows),
               "engaged": self._people_so_far(self.first_engaged, rows)}
        out.update(self.recorder.series())
        return out

    @staticmethod
    def _people_so_far(first: np.ndarray, rows: int) -> np.ndarray:
        """Distinct people counted by step, on any channel, from a ``first_*`` array."""
        never = np.iinfo(np.int32).max
        earliest = np.where(first > 0, first, never).min(axis=0)
        earliest = earliest[earliest != never]
        return np.cumsum(np.bincount(earliest - 1, minlength=rows)[:rows])
