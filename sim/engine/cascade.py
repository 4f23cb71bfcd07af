"""Reduction mode as a model: the independent cascade, run by the kernel, with a Mesa face.

:class:`CascadeModel` drives :class:`sim.engine.kernel.IndependentCascade` one step at a time
and keeps only the activation log while stepping; the time-series counters, the first exposures
and the pending exposures are derived from that log and the graphs when asked (:meth:`_replay`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sim.config import Config, Mode
from sim.engine.base import ModelBase
from sim.engine.exposures import Exposures
from sim.engine.kernel import IndependentCascade, check_seeds, layer_ps, random_seeds
from sim.engine.recorder import Recorder
from sim.world.population import World

#: Counters derived from the activation log rather than counted while stepping.
_REPLAYED = ("sent", "seen", "activations", "shares")


class CascadeModel(ModelBase):
    """The independent cascade on the world's layers: reduction mode (``mode=independent_cascade``).

    One post; every effect but the base probability is off, so P = ``p`` for every exposure
    (``network.<layer>.p`` on a layer that sets it), everyone is active every step, and
    nothing crosses between layers unless ``multiplex``. Launch (``t = 0``, in the
    constructor) places the post on ``seeds`` distinct random agents, each on one of its
    layers. Step ``t`` then runs, for all agents at once:

    1. **feed**: every exposure sent at ``t - 1`` is seen;
    2. **decide** (C6): each is a success with its layer's probability (the kernel's success
       clocks);
    3. **activate**: per agent, the first successful exposure activates it, on that layer;
    4. **share**: the agents activated at ``t`` expose their neighbours on their activation
       layer (with ``multiplex``: on every layer they are on), to be seen at ``t + 1``;
    5. **record**: nothing is counted while stepping; the counters are derived at the end.

    The run stops at the horizon or after the first step that leaves nothing pending; a call
    to :meth:`step` that finds nothing to decide only ends the run (``t`` stays).

    Args:
        config: a validated reduction-mode config.
        world: a prebuilt world to reuse across runs; built from ``config`` when omitted.
    """

    mode = Mode.independent_cascade
    other = "BrandModel"

    def __init__(self, config: Config, *, world: World | None = None) -> None:
        super().__init__(config, world=world)
        members_any = self.world.members_any
        check_seeds(config.seeds, members_any)
        self.channels = self.layer_names
        self.n_posts = 1
        self.post_step = np.array([0])
        self.activated = np.zeros((1, self.n_agents), dtype=bool)
        # the kernel keeps row 0 of `activated` up to date
        self._cascade = IndependentCascade(self.world.layers, self.activated[0],
                                           layer_ps(config, self.world.layers),
                                           multiplex=config.multiplex)
        self._replayed: tuple[int, dict[str, np.ndarray]] | None = None
        derived = {"reached_new": self._reached_new, "engaged_new": self._engaged_new}
        derived |= {name: self._derived(name) for name in _REPLAYED}
        self.recorder = Recorder(config.steps, self.channels, derived=derived)
        seeds, layers = random_seeds(self.world.member, members_any, config.seeds,
                                     self.streams["seeding"])
        self._cascade.start(seeds, layers, self.streams["sharing"])
        self.edges_examined = self._cascade.examined
        self._log_activations(seeds, None, np.full(seeds.size, -1, dtype=np.int64), layers, 0)
        self.recorder.skip_step(0)
        self.running = not self._finished()

    def _advance(self) -> bool:
        """One step of the kernel (phases 1 to 4 of the class docstring), then phase 5."""
        trace = self.config.output.write_trace
        if trace:
            seen, live = self._pending_exposures()
        step = self._cascade.step()
        if step is None:
            self.running = False
            return False
        self.t += 1
        if step.agents.size:
            self._log_activations(step.agents, None, step.parents, step.layers, self.t)
        if trace:
            # the activating exposures, as positions among the pending ones
            self._keep_trace(seen, np.searchsorted(live, step.exposures))
        self.edges_examined = self._cascade.examined
        self.recorder.skip_step(self.t)
        self.running = not self._finished()
        return True

    def _finished(self) -> bool:
        return self.t >= self.config.steps or self._cascade.done

    @property
    def pending(self) -> Exposures:
        """Exposures waiting in feeds: sent at ``t``, to agents not yet active."""
        return self._pending_exposures()[0]

    def _pending_exposures(self) -> tuple[Exposures, np.ndarray]:
        """The pending exposures, and their positions in the kernel's next step.

        A position is an index among all the exposures that step decides.
        """
        parents, children, layers = self._cascade.exposures()
        live = (~self.activated[0][children]).nonzero()[0]
        k, lay = live.size, layers[live]
        return Exposures(parent=parents[live], child=children[live], layer=lay, origin=lay,
                         post=np.zeros(k, dtype=np.int32),
                         born=np.full(k, self.t, dtype=np.int32)), live

    @property
    def share_lag(self) -> int:
        """1: every exposure is decided the step after its share."""
        return 1

    @property
    def first_seen(self) -> np.ndarray:
        """(channels, N) int32: step + 1 at which each agent first saw the post (0: never).

        Not tracked while stepping (the hot path only needs activations): rebuilt from the
        activation log (:meth:`_replay`): an agent is first exposed on a layer the step after
        a neighbour on that layer shares, unless it had already shared.
        """
        return self._replay()["first_seen"]

    def _derived(self, name: str) -> Callable[[int], np.ndarray]:
        """Counter ``name`` as a function of the rows recorded."""
        return lambda rows: self._replay()[name][:rows]

    def _replay(self) -> dict[str, np.ndarray]:
        """What is not counted while stepping, rebuilt from the activation log.

        The rebuild is one pass over the activated agents' neighbours, cached until the next
        step.

        An agent activated at step s on layer l shares there at s (with ``multiplex``, on each
        of its layers) and sends one exposure to each neighbour there not yet active at the
        end of s; every exposure sent at s is seen
        at s + 1 (everyone is active), if the run got there. Returns the per-(step, layer)
        counters ``activations``, ``shares``, ``sent`` and ``seen``, and ``first_seen``.
        """
        if self._replayed is not None and self._replayed[0] == self.t:
            return self._replayed[1]
        rows = self.t + 1
        acts = self.activations()
        n_layers = len(self.channels)
        step = acts["step"].astype(np.int64)
        layer = acts["layer"].astype(np.int64)
        activations = np.bincount(step * n_layers + layer,
                                  minlength=rows * n_layers)[:rows * n_layers]
        activations = activations.reshape(rows, n_layers)
        act_step = np.full(self.n_agents, np.iinfo(np.int64).max, dtype=np.int64)
        act_step[acts["agent"]] = step
        sent = np.zeros((rows, n_layers), dtype=np.int64)
        never = np.iinfo(np.int32).max
        first = np.full((n_layers, self.n_agents), never, dtype=np.int32)
        shares = activations.copy()
        for k, lay in enumerate(self.world.layers):
            # multiplex: every activated agent shares on each of its layers
            on = self.world.member[k, acts["agent"]] if self.config.multiplex else layer == k
            agents = acts["agent"][on]
            if self.config.multiplex:
                shares[:, k] = np.bincount(step[on], minlength=rows)[:rows]
            children, _ = lay.expand(agents)
            when = step[on].repeat(lay.degree()[agents])
            keep = act_step[children] > when
            children, when = children[keep], when[keep]
            sent[:, k] = np.bincount(when, minlength=rows)[:rows]
            # seen at step s + 1, stored as step + 1
            np.minimum.at(first[k], children, (when + 2).astype(np.int32))
        # never exposed, or only by exposures sent at the last step (never seen)
        first[first > self.t + 1] = 0
        seen = np.zeros_like(sent)
        seen[1:] = sent[:-1]
        out = {"activations": activations, "shares": shares, "sent": sent,
               "seen": seen, "first_seen": first}
        self._replayed = (self.t, out)
        return out
