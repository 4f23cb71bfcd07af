"""The model: a ``mesa.Model`` whose state lives in numpy arrays and whose step is vectorised.

:class:`BrandModel` owns the world (population and layers), the feed of pending exposures, the
per-(post, agent) state, loyalty, the budget ledger, the trace and the preallocated time series.
Agents (:class:`sim.engine.agents.Consumer`) are views of one row of that state, created on demand.
Mechanisms live in their own modules (:mod:`sim.mechanisms.content`, :mod:`sim.mechanisms.share`,
:mod:`sim.mechanisms.loyalty`, :mod:`sim.strategies`); this module only orders them.
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.config import Config, Mode, Seeding, Trace
from sim.engine.agents import Consumer
from sim.engine.exposures import Exposures, decide, expose, first_success
from sim.engine.kernel import IndependentCascade, check_seeds, random_seeds
from sim.engine.recorder import Recorder
from sim.mechanisms import content as ct
from sim.mechanisms.loyalty import detect, update_loyalty
from sim.mechanisms.share import backlash_probability, share_probability
from sim.progress import Progress
from sim.rng import Streams
from sim.strategies import (
    UNSEEDED,
    Listener,
    choose_seeds,
    k_core_numbers,
    layer_split,
    make_ledger,
    post_steps,
    seed_price,
    seeds_per_layer,
)
from sim.world.population import World, build_world


class BrandModel(mesa.Model):
    """Brand content spreading on a multiplex of platforms, building or losing loyalty.

    Step ``t`` (one day) runs these phases, in this order, each over all agents at once and
    each computed from the state at the start of the phase (synchronous update):

    1. **post** (C5, C8, C9): posts scheduled at ``t`` are paid for and placed on seed agents
       chosen by the seeding policy (listening first re-splits placements between layers);
       the seeds share them; owned-channel members get them directly;
    2. **activity and mindset** (C1, C2, C15): each member is active on each layer with the
       layer's activity rate and draws a session mindset, goal or leisure;
    3. **feed**: pending exposures whose receiver is active are seen; others wait up to
       ``network.feed_ttl`` steps; exposures to agents who already shared that post drop out;
    4. **decide** (C2-C7, C10): one share decision per seen exposure, ``share iff u < P``;
    5. **activate**: per (post, agent) the first successful exposure activates the agent;
       incentives are paid while the incentive budget lasts;
    6. **share** (C6): new sharers expose their neighbours on the layer they were activated on
       (owned-channel readers on all their layers) and cross-post to their other layers;
    7. **owned channel** (C8): sharers of a post with a call to action join the owned channel
       with probability ``owned.conversion * L``;
    8. **loyalty and backlash** (C10-C12): loyalty grows with engagement and decays without
       it; inauthentic content may be seen through, cutting loyalty and making detractors,
       who start a backlash cascade of negative word of mouth;
    9. **record**: the step's figures go into the preallocated time series.

    Launch (``t = 0``, in the constructor) runs phase 1 for posts scheduled at 0 and phase 9.
    In reduction mode (``mode=independent_cascade``) phases 2, 7 and 8 are skipped, P = ``p``
    for every exposure, and the run stops when no exposure is pending: this *is* the
    independent cascade model.

    Args:
        config: a validated config.
        world: a prebuilt world to reuse across runs; built from ``config`` when omitted.
    """

    def __init__(self, config: Config, *, world: World | None = None) -> None:
        self.streams = Streams(config.seed, config.replicate)
        # Mesa gets its own seed from stream "mesa" (an int: Mesa builds its generators itself)
        super().__init__(rng=int(self.streams.sequence("mesa").generate_state(1, np.uint64)[0]))
        self.config = config
        self.world = world if world is not None else build_world(config, self.streams)
        self.reduction = config.mode is Mode.independent_cascade
        n, n_layers = self.world.n, len(self.world.layers)
        self.n_agents = n
        self.layer_names = self.world.layer_names
        self.channels = self.layer_names + (() if self.reduction else ("owned",))
        self.owned = None if self.reduction else n_layers
        self.member = (self.world.member if self.reduction else
                       np.vstack([self.world.member, np.zeros((1, n), dtype=bool)]))
        self._members_any = self.world.members_any
        self._setup_strategy()
        rows = self.n_posts + (0 if self.reduction else 1)
        self.backlash_post = None if self.reduction else self.n_posts
        self.activated = np.zeros((rows, n), dtype=bool)
        # step + 1 at which each agent first saw brand content on each channel (0: never);
        # reduction mode derives it from the activation log when asked (first_seen)
        self._first_seen = (None if self.reduction else
                            np.zeros((len(self.channels), n), dtype=np.int32))
        # loyalty changes only in full mode: reduction mode reads the world's array
        self.loyalty = (self.world.loyalty if self.reduction
                        else self.world.loyalty.astype(np.float64, copy=True))
        self.initial_loyalty = None if self.reduction else float(self.loyalty.mean())
        self.past_shares = np.zeros(n, dtype=np.int32)
        if not self.reduction:
            self.contacts = np.zeros((rows, n), dtype=np.uint16)
            self.fatigue = np.zeros(n, dtype=np.int32)
            self._last_engaged = np.full(n, -10**6, dtype=np.int64)
        self._pending = Exposures.empty()
        # reduction mode runs the independent-cascade kernel on row 0 of `activated`; its
        # counters are derived from the activation log when the time series is read
        self._cascade = (IndependentCascade(self.world.layers, self.activated[0], config.p)
                         if self.reduction else None)
        self._replayed: tuple[int, dict[str, np.ndarray]] | None = None
        self.edges_examined = 0
        derived = {"newly_exposed": self._newly_exposed}
        if self.reduction:
            derived |= {name: self._derived(name) for name in
                        ("sent", "seen", "activations", "shares")}
        self.recorder = Recorder(config.steps, self.channels, derived=derived)
        self._activations: list[tuple[np.ndarray, ...]] = []
        self._trace: list[tuple[Exposures, np.ndarray, int]] = []
        self._views: dict[int, Consumer] = {}
        self._goal: np.ndarray | None = None
        self._brand_seen = np.zeros(len(self.channels), dtype=np.int64)
        self._brand_success = np.zeros(len(self.channels), dtype=np.int64)
        self.t = 0
        self._post(0)
        self._record()
        self.running = not self._finished()

    def _setup_strategy(self) -> None:
        cfg, names = self.config, self.layer_names
        if self.reduction:
            check_seeds(cfg.seeds, self._members_any)
            self.post_step = np.array([0])
            self.n_posts = 1
            return
        strategy, net = cfg.strategy, cfg.network
        # Posts scheduled beyond the horizon are never published nor paid for; the summary
        # says how many went out (posts_published) and what was spent.
        self.post_step = post_steps(strategy)
        self.n_posts = strategy.posts
        layer_cfgs = [getattr(net, name) if name != "graph" else net.personal for name in names]
        self._activity = np.array([lc.activity for lc in layer_cfgs])
        self._p_goal = np.array([lc.p_goal for lc in layer_cfgs] + [cfg.owned.p_goal])
        self._receptivity = np.array([lc.receptivity for lc in layer_cfgs] + [1.0])
        self.content = ct.content_table(strategy, self.channels)
        self._resonance = ct.resonance_table(self.world.drivers, self.content.tones)
        self.ledger = make_ledger(cfg.budget, strategy, names)
        self._prices = np.array([seed_price(cfg.budget, name) for name in names])
        self._cores = [None] * len(names)
        # the listener weighs only layers that take placements (not the topic layer)
        mean_degree = np.array([lay.degree()[lay.members].mean()
                                if lay.members.size and lay.name not in UNSEEDED else 0.0
                                for lay in self.world.layers])
        self.listener = Listener(names, mean_degree, self._prices)

    # -- phases --------------------------------------------------------------------------

    def step(self) -> None:
        """Advance one step through the phases listed in the class docstring.

        In reduction mode a call that finds nothing pending only ends the run (``running``
        becomes false, ``t`` stays).
        """
        self._advance()

    def _advance(self) -> bool:
        """One step; ``False`` when reduction mode found nothing to decide (no step taken)."""
        if self.reduction:
            return self._step_independent_cascade()
        self.t += 1
        t = self.t
        self._post(t)
        active = self._draw_activity()
        seen, self._pending = self._feed(active)
        if len(seen):
            probability, brand = self._share_probability(seen)
            success = decide(probability, self.streams["sharing"])
            winners = first_success(seen, success, self.n_agents)
            self._keep_trace(seen, success, winners)
            batch = seen.take(winners)
            self._pay_incentives(batch)
            self._activate(batch.child, batch.post, batch.parent, batch.layer, t)
            self._convert_to_owned(batch)
            self._loyalty_and_backlash(seen, brand, batch)
        else:
            self._loyalty_and_backlash(seen, np.zeros(0, bool), seen)
        self._record()
        self.running = not self._finished()
        return True

    def _post(self, t: int) -> None:
        """Phase 1: pay for and place each post scheduled at ``t`` (C5, C8, C9)."""
        for post in np.flatnonzero(self.post_step == t):
            if self.reduction:
                self._place_random(int(post))
                continue
            cfg = self.config
            split = cfg.strategy.split
            if cfg.strategy.listening and post > 0:
                split = self.listener.split(t, int(post), self._brand_success[:-1],
                                            self._brand_seen[:-1], self.streams["listening"],
                                            split)
            per_post = self.ledger.seed_pool / self.n_posts
            counts = seeds_per_layer(per_post, layer_split(split, self.layer_names),
                                     self._prices)
            self.ledger.spend("posts", cfg.budget.post)
            agents, layers = [], []
            taken = np.zeros(self.n_agents, dtype=bool)   # one placement per agent and post
            for k, layer in enumerate(self.world.layers):
                if (cfg.strategy.seeding is Seeding.kcore and self._cores[k] is None
                        and counts[k] > 0):
                    self._cores[k] = k_core_numbers(layer)
                chosen = choose_seeds(cfg.strategy.seeding, layer, int(counts[k]),
                                      rng=self.streams["seeding"], loyalty=self.loyalty,
                                      shares=self.past_shares, core=self._cores[k],
                                      taken=taken)
                taken[chosen] = True
                agents.append(chosen)
                layers.append(np.full(chosen.size, k, dtype=np.int8))
            agents, layers = np.concatenate(agents), np.concatenate(layers)
            self.ledger.spend("seeds", float(np.dot(np.bincount(layers, minlength=len(
                self.layer_names)), self._prices)))
            posts = np.full(agents.size, post, dtype=np.int32)
            self._activate(agents, posts, np.full(agents.size, -1, dtype=np.int64), layers, t)
            self._deliver_owned(int(post), t)

    def _place_random(self, post: int) -> None:
        """Reduction-mode seeding: ``seeds`` distinct random members, each on one of its layers."""
        seeds, layers = random_seeds(self.world.member, self._members_any, self.config.seeds,
                                     self.streams["seeding"])
        self._cascade.start(seeds, layers, self.streams["sharing"])
        self.edges_examined = self._cascade.examined
        self._activations.append((seeds, None, np.full(seeds.size, -1, dtype=np.int64),
                                  layers, self.t))

    def _step_independent_cascade(self) -> bool:
        """Phases 3 to 6 of reduction mode: the kernel's step (:mod:`sim.engine.kernel`).

        Every pending exposure is seen (everyone is active) and decided with P = ``p``; the
        first success per agent activates it. The counters are not kept while stepping: the
        activation log determines them (:meth:`_derived`).
        """
        cascade = self._cascade
        trace = self.config.output.write_trace
        if trace:
            seen, live = self._cascade_pending()
        step = cascade.step()
        if step is None:
            self.running = False
            return False
        self.t += 1
        if step.agents.size:
            self._activations.append((step.agents, None, step.parents, step.layers, self.t))
        if trace:
            # the activating exposures, as positions among the pending ones
            self._keep_trace(seen, None, np.searchsorted(live, step.exposures))
        self.edges_examined = cascade.examined
        self.recorder.skip_step(self.t)
        self.running = not self._finished()
        return True

    def _cascade_pending(self) -> tuple[Exposures, np.ndarray]:
        """Reduction mode's pending exposures (sent at ``t``, to agents not yet active), and
        their positions among all the exposures the kernel's next step decides."""
        parents, children, layers = self._cascade.exposures()
        live = (~self.activated[0][children]).nonzero()[0]
        k, lay = live.size, layers[live]
        return Exposures(parent=parents[live], child=children[live], layer=lay, origin=lay,
                         post=np.zeros(k, dtype=np.int32),
                         born=np.full(k, self.t, dtype=np.int32)), live

    def _derived(self, name: str):
        """Reduction mode's counter ``name`` as a function of the rows recorded."""
        return lambda rows: self._replay()[name][:rows]

    def _replay(self) -> dict[str, np.ndarray]:
        """What reduction mode does not count while stepping, rebuilt from the activation log
        in one pass over the activated agents' neighbours (cached until the next step).

        An agent activated at step s on layer l shares there at s and sends one exposure to
        each neighbour on l not yet active at the end of s; every exposure sent at s is seen
        at s + 1 (everyone is active in reduction mode), if the run got there. Returns the
        per-(step, layer) counters ``activations``, ``shares``, ``sent`` and ``seen``, and
        ``first_seen`` (see :attr:`first_seen`).
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
        for k, lay in enumerate(self.world.layers):
            on = layer == k
            agents = acts["agent"][on]
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
        out = {"activations": activations, "shares": activations.copy(), "sent": sent,
               "seen": seen, "first_seen": first}
        self._replayed = (self.t, out)
        return out

    def _newly_exposed(self, rows: int) -> np.ndarray:
        """Agents first exposed per step and channel, derived from ``first_seen`` (rows, C)."""
        out = np.zeros((rows, len(self.channels)), dtype=np.int64)
        for c, first in enumerate(self.first_seen):
            seen = first[first > 0] - 1
            out[:, c] = np.bincount(seen, minlength=rows)[:rows]
        return out

    def _deliver_owned(self, post: int, t: int) -> None:
        """Owned-channel members get the post directly, whatever their feeds do (C8)."""
        readers = np.flatnonzero(self.member[self.owned] & ~self.activated[post])
        if readers.size == 0:
            return
        k = readers.size
        batch = Exposures(parent=np.full(k, -1, dtype=np.int64), child=readers,
                          layer=np.full(k, self.owned, dtype=np.int8),
                          origin=np.full(k, self.owned, dtype=np.int8),
                          post=np.full(k, post, dtype=np.int32),
                          born=np.full(k, t, dtype=np.int32))
        self.recorder.add("sent", batch.layer)
        self._pending = Exposures.concat([self._pending, batch])

    def _draw_activity(self) -> np.ndarray | None:
        """Phase 2: who is active on each channel (C15) and in which mindset (C1, C2).

        One uniform per agent and channel for activity and one for mindset, every step, for
        everyone: two strategies on the same replicate see the same sessions.
        """
        if self.reduction:
            return None
        n_layers = len(self.layer_names)
        u = self.streams["activity"].random((n_layers, self.n_agents), dtype=np.float32)
        active = np.empty(self.member.shape, dtype=bool)
        np.less(u, self._activity[:, None].astype(np.float32), out=active[:n_layers])
        active[:n_layers] &= self.world.member
        active[self.owned] = self.member[self.owned]
        g = self.streams["mindset"].random(self.member.shape, dtype=np.float32)
        self._goal = g < self._p_goal[:, None].astype(np.float32)
        return active

    def _feed(self, active: np.ndarray | None) -> tuple[Exposures, Exposures]:
        """Phase 3: split pending exposures into seen now, still waiting, expired or moot."""
        pend, t = self._pending, self.t
        if len(pend) == 0:
            return pend, pend
        live = ~self._at(self.activated, pend.post, pend.child)
        ready = live & (pend.born < t)
        if active is not None:
            ready &= self._at(active, pend.layer, pend.child)
        waiting = live & ~ready
        expired = waiting & (t - pend.born >= self.config.network.feed_ttl)
        self.recorder.add("expired", pend.layer[expired])
        seen = pend.take(ready)
        return seen, pend.take(waiting & ~expired)

    def _share_probability(self, seen: Exposures) -> tuple[np.ndarray, np.ndarray]:
        """Phase 4: P per seen exposure (:mod:`sim.mechanisms.share`), and which exposures are brand posts.

        Reduction mode: the constant ``p`` (the independent cascade).
        """
        brand = seen.post < self.n_posts
        # 1-D ufunc.at with a value of the array's own dtype takes numpy's fast path (~25x
        # faster than the 2-D form with a Python int)
        np.add.at(self.contacts.reshape(-1), seen.post.astype(np.int64) * self.n_agents
                  + seen.child, np.uint16(1))
        b = seen.take(brand)
        self._mark_exposed(b)
        self.recorder.add("seen", b.layer)
        self.recorder.add("backlash_seen", seen.layer[~brand])
        self._brand_seen += np.bincount(b.layer, minlength=len(self.channels))
        # gathers from 2-D and 3-D state through flat indices (faster than tuple indexing)
        child = b.child
        goal = self._at(self._goal, b.layer, child)
        fit = ct.fit(self.content, b.post, b.layer, goal)
        tone = self.content.tone_id[b.post, b.layer]
        res = np.take(self._resonance.reshape(-1), (tone * 2 + goal) * self.n_agents + child)
        contacts = self._at(self.contacts, b.post, child)
        incentive = self.content.incentive[b.post]
        if self.ledger.affordable_rewards(self._reward_price(), 1) == 0:
            incentive = np.zeros_like(incentive)
        probability = np.empty(len(seen))
        probability[brand] = share_probability(
            self.config.p, self.config.share, receptivity=self._receptivity[b.layer],
            fit=fit, resonance=res, loyalty=self.loyalty[b.child], incentive=incentive,
            contacts=contacts, fatigue=self.fatigue[b.child])
        back = seen.take(~brand)
        probability[~brand] = backlash_probability(self.config.authenticity.backlash,
                                                   self.loyalty[back.child])
        self.fatigue += np.bincount(b.child, minlength=self.n_agents).astype(np.int32)
        # engagement quality for the loyalty phase: authentic fit and resonance (C11)
        self._quality = (b.child, self.content.authenticity[b.post] * 0.5 * (fit + res))
        return probability, brand

    def _reward_price(self) -> float:
        return self.config.budget.incentive * self.config.strategy.incentive

    def _pay_incentives(self, batch: Exposures) -> None:
        """Phase 5: pay the incentivised shares the incentive pool can still afford (C7)."""
        if self.reduction or self.config.strategy.incentive <= 0:
            return
        wanted = int(np.sum(batch.post < self.n_posts))
        paid = self.ledger.affordable_rewards(self._reward_price(), wanted)
        if paid:
            self.ledger.spend("incentive", paid * self._reward_price())

    def _activate(self, agents: np.ndarray, posts: np.ndarray, parents: np.ndarray,
                  layers: np.ndarray, t: int) -> None:
        """Phases 5 and 6: mark activations, then share on the activation layer and cross-post."""
        if agents.size == 0:
            return
        self.activated.reshape(-1)[posts.astype(np.int64) * self.n_agents + agents] = True
        self._activations.append((agents, posts, parents, layers, t))
        brand = posts < self.n_posts
        self.recorder.add("activations", layers[brand])
        self.recorder.add("detractions", layers[~brand])
        self.past_shares[agents[brand]] += 1
        non_seed = brand & (parents >= 0)
        self._brand_success += np.bincount(layers[non_seed], minlength=len(self.channels))
        n_layers = len(self.layer_names)
        crosspost = 0.0 if self.reduction else self.config.network.crosspost
        batches = []
        for k, layer in enumerate(self.world.layers):
            on = layers == k
            if self.owned is not None:      # owned-channel readers relay on all their layers
                on |= (layers == self.owned) & self.world.member[k, agents]
            sharers, share_posts, origins = agents[on], posts[on], layers[on]
            if crosspost > 0:
                # owned-channel readers already relay everywhere: only layer sharers cross-post
                cross = (layers < n_layers) & (layers != k) & self.world.member[k, agents]
                cross &= self.streams["crosspost"].random(agents.size) < crosspost
                sharers = np.concatenate([sharers, agents[cross]])
                share_posts = np.concatenate([share_posts, posts[cross]])
                origins = np.concatenate([origins, layers[cross]])
            is_brand = share_posts < self.n_posts
            self.recorder.add("shares", np.full(int(is_brand.sum()), k))
            batch, examined = expose(layer, k, sharers, share_posts, origins, t,
                                     rng=self.streams["topic_feed"])
            self.edges_examined += examined
            batch = batch.take(~self._at(self.activated, batch.post, batch.child))
            brand_sent = batch.post < self.n_posts
            self.recorder.add("sent", batch.layer[brand_sent])
            self.recorder.add("spillover", batch.layer[brand_sent & (batch.origin != batch.layer)])
            batches.append(batch)
        self._pending = Exposures.concat([self._pending, *batches])

    def _convert_to_owned(self, batch: Exposures) -> None:
        """Phase 7: sharers of a call-to-action post may join the owned channel (C8)."""
        brand = batch.post < self.n_posts
        cta = brand & self.content.cta[np.minimum(batch.post, self.n_posts - 1)]
        if not cta.any():
            return
        agents = batch.child[cta]
        u = self.streams["owned"].random(agents.size)
        join = u < self.config.owned.conversion * self.loyalty[agents]
        self.member[self.owned, agents[join]] = True

    def _loyalty_and_backlash(self, seen: Exposures, brand: np.ndarray,
                              winners: Exposures) -> None:
        """Phase 8: loyalty update, detection of inauthentic content, backlash seeds (C10-C12)."""
        cfg = self.config
        if len(seen) == 0:
            self._quality = (np.empty(0, np.int64), np.empty(0))
        sharers = winners.child[winners.post < self.n_posts]
        negative = seen.child[~brand] if len(seen) else np.empty(0, np.int64)
        update_loyalty(self.loyalty, self.world.loyalty, self._last_engaged, self.t,
                       *self._quality, sharers, negative, cfg.loyalty, cfg.authenticity)
        b = seen.take(brand) if len(seen) else seen
        auth = self.content.authenticity[b.post] if len(b) else np.empty(0)
        agents, layers = detect(self.loyalty, b.child, b.layer, auth, cfg.authenticity,
                                cfg.loyalty, self.activated[self.backlash_post],
                                rng=self.streams["detection"])
        if agents.size:
            layers = np.where(layers == self.owned, self._home_layer(agents), layers)
            posts = np.full(agents.size, self.backlash_post, dtype=np.int32)
            self._activate(agents, posts, np.full(agents.size, -1, dtype=np.int64),
                           layers.astype(np.int8), self.t)

    def _home_layer(self, agents: np.ndarray) -> np.ndarray:
        """The first layer each agent is a member of (where an owned-channel reader speaks)."""
        return np.argmax(self.world.member[:, agents], axis=0)

    def _mark_exposed(self, seen: Exposures) -> None:
        self._mark_exposed_arrays(seen.layer, seen.child)

    def _mark_exposed_arrays(self, layer: np.ndarray, child: np.ndarray) -> None:
        """Record first exposures per channel and count the newly exposed agents."""
        for c in range(len(self.channels)):
            on = child[layer == c]
            if on.size == 0:
                continue
            row = self._first_seen[c]
            # every duplicate writes the same value, so the order of the writes is irrelevant
            row[on[row[on] == 0]] = self.t + 1

    @property
    def first_seen(self) -> np.ndarray:
        """(channels, N) int32: step + 1 at which each agent first saw brand content (0: never).

        Reduction mode does not track it while stepping (the hot path only needs activations):
        it is rebuilt from the activation log (:meth:`_replay`): an agent is first exposed on a
        layer the step after a neighbour on that layer shares, unless it had already shared.
        """
        if self.reduction:
            return self._replay()["first_seen"]
        return self._first_seen

    @property
    def exposed(self) -> np.ndarray:
        """(channels, N) bool: who has seen brand content on each channel."""
        return self.first_seen > 0

    @property
    def pending(self) -> Exposures:
        """Exposures waiting in feeds (sent, not yet seen)."""
        if self.reduction:
            return self._cascade_pending()[0]
        return self._pending

    def _record(self) -> None:
        """Phase 9: commit the step's counters and, in full mode, the loyalty gauges."""
        t = self.t
        if self.reduction:
            self.recorder.skip_step(t)
            return
        loyal = self.loyalty >= self.config.loyalty.loyal
        detractor = self.activated[self.backlash_post]
        self.recorder.gauge("members", t, self.member.sum(axis=1))
        self.recorder.gauge("mean_loyalty", t, np.array(
            [self.loyalty[m].mean() if m.any() else np.nan for m in self.member]))
        self.recorder.gauge("loyal", t, np.array([np.count_nonzero(loyal & m)
                                                  for m in self.member]))
        self.recorder.gauge("detractors", t, np.array([np.count_nonzero(detractor & m)
                                                       for m in self.member]))
        self.recorder.close_step(t)

    def _keep_trace(self, seen: Exposures, success: np.ndarray | None,
                    winners: np.ndarray) -> None:
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
            return self._cascade.done
        return False

    # -- inspection ----------------------------------------------------------------------

    def run(self, *, progress: Progress | None = None) -> BrandModel:
        """Step until the horizon (or, in reduction mode, until no exposure is pending).

        Args:
            progress: reports the step, reach so far and time left (full mode).
        """
        # The phases are driven directly rather than through Mesa's per-step event dispatch
        # (about 20 us a step, which dominates small cascades); Mesa's step and time
        # counters are kept as model.step() would keep them.
        report = progress is not None and not self.reduction
        while self.running:
            if not self._advance():
                break
            self.steps += 1
            self.time += 1
            if report:
                progress.step(self.t, self.config.steps, self._reach_so_far)
        return self

    def _at(self, state: np.ndarray, row: np.ndarray, agent: np.ndarray) -> np.ndarray:
        """``state[row, agent]`` for a (rows, N) array, through a flat index: several times
        faster than tuple indexing on millions of entries."""
        return np.take(state.reshape(-1), row.astype(np.int64) * self.n_agents + agent)

    def _reach_so_far(self) -> str:
        return f"reach {int(self.activated[:self.n_posts].any(axis=0).sum()):,}"

    def activations(self) -> dict[str, np.ndarray]:
        """All activations: agent, post, parent (-1 for seeds and roots), layer, step.

        In full mode, post ``n_posts`` is the backlash: its activations are detractors.
        """
        names = ("agent", "post", "parent", "layer", "step")
        if not self._activations:
            return {k: np.empty(0, dtype=np.int64) for k in names}
        cols: dict[str, list[np.ndarray]] = {k: [] for k in names}
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
