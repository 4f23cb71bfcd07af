"""The full model: brand posts spreading on a multiplex of platforms, building or losing loyalty.

:class:`BrandModel` owns the state that lives across steps: memberships (with the owned
channel), the feed of pending exposures, the per-(post, agent) activations and contacts,
loyalty, fatigue, the budget ledger, the first exposures and the time series. Each step orders
the mechanisms, which live in their own modules (:mod:`sim.mechanisms`, :mod:`sim.strategies`);
the phases hand what they compute to the next ones as arguments (:class:`Sessions`,
:class:`Reception`), never through attributes.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from sim.config import Config, Generator, Mode, Seeding
from sim.engine.base import ModelBase
from sim.engine.exposures import Exposures, decide, expose, first_success
from sim.engine.recorder import Recorder
from sim.mechanisms import content as ct
from sim.mechanisms.feed import sort_feed
from sim.mechanisms.incentives import offered, reward_price, rewarded_shares
from sim.mechanisms.loyalty import detect, update_loyalty
from sim.mechanisms.owned import join_owned, owned_readers
from sim.mechanisms.share import backlash_probability, share_probability
from sim.progress import Progress
from sim.rng import Draws, Streams
from sim.strategies import (
    UNSEEDED,
    Listener,
    affordable,
    k_core_numbers,
    layer_price,
    layer_split,
    make_ledger,
    placement_price,
    post_steps,
    seed_order,
    tier_of,
)
from sim.world.population import World, shared_stack

#: Age (steps after publication) at which each post's audience is measured for
#: ``audience_decay``, so that every post is compared over the same span. An assumption: 15
#: is the span the default campaign's last post (day 45 of 60) gets before the horizon. In
#: default runs continued to day 120 a post's audience at age 15 was 90% of its day-120
#: audience on average with broadcast content and 65% with adapted content (viral cascades
#: keep growing): the window does not see a post's whole audience, it sees every post's
#: first 15 days, which is what makes early and late posts comparable.
AUDIENCE_WINDOW = 15

log = logging.getLogger("mindshare")


class Sessions(NamedTuple):
    """Phase 2's draw: who is on each channel this step, and in which mindset.

    Attributes:
        active: (channels, N) bool, active on the channel this step (C15).
        goal: (channels, N) bool, session mindset is goal (else leisure) (C1, C2).
    """

    active: np.ndarray
    goal: np.ndarray


class Reception(NamedTuple):
    """Phase 4's verdict on the step's seen exposures.

    Attributes:
        probability: P of each seen exposure (share rule, or backlash relay).
        brand: which seen exposures are of brand posts (the rest: negative word of mouth).
        quality: engagement quality of each brand exposure, in ``seen.take(brand)`` order:
            authenticity * (fit + resonance) / 2, in [0, 1] (C11).
    """

    probability: np.ndarray
    brand: np.ndarray
    quality: np.ndarray

    @classmethod
    def nothing(cls) -> Reception:
        """The reception of a step that saw no exposure."""
        return cls(np.empty(0), np.zeros(0, dtype=bool), np.empty(0))


class BrandModel(ModelBase):
    """Brand content spreading on a multiplex of platforms, building or losing loyalty.

    Step ``t`` (one day) runs these phases, in this order, each over all agents at once and
    each computed from the state at the start of the phase (synchronous update):

    1. **post** (C5, C8, C9): posts scheduled at ``t`` are paid for (production) and their
       placement money buys seed agents in the seeding policy's order at audience prices
       (listening first re-splits the money between layers); the seeds share them;
       owned-channel members get them directly; each post releases its part of the
       incentive pool;
    2. **activity and mindset** (C1, C2, C15): each member is active on each layer with the
       layer's activity rate and draws a session mindset, goal or leisure;
    3. **feed** (C15): pending exposures whose receiver is active are seen; others wait up to
       ``network.feed_ttl`` steps; exposures to agents who already shared that post drop out;
    4. **decide** (C2-C7, C10): one share decision per seen exposure, ``share iff u < P``;
    5. **activate** (C7): per (post, agent) the first successful exposure activates the
       agent; incentives are paid while the incentive budget lasts;
    6. **share** (C6): new sharers expose their neighbours on the layer they were activated on
       (owned-channel readers on all their layers) and cross-post to their other layers;
    7. **owned channel** (C8): sharers of a post with a call to action join the owned channel
       with probability ``owned.conversion * L``; the step's upkeep of its members is paid
       (when the budget cannot pay it, the channel closes: no more posts are delivered);
    8. **loyalty and backlash** (C10-C12): loyalty grows with engagement and decays without
       it; inauthentic content may be seen through, cutting loyalty and making detractors,
       who start a backlash cascade of negative word of mouth;
    9. **record**: the step's figures (money spent so far included) go into the
       preallocated time series.

    Launch (``t = 0``, in the constructor) runs phase 1 for posts scheduled at 0 and phase 9.
    In per-post arrays and in :meth:`activations`, post ``n_posts`` is the backlash: its
    activations are the detractors. Reduction mode is another model:
    :class:`sim.engine.cascade.CascadeModel`.

    **A batch of runs.** Given ``batch``, the model advances several runs of one config that
    differ only in ``replicate`` together: their worlds are stacked into one world of R
    blocks of n agents (agent ``r * n + i`` is agent ``i`` of run ``r``), so that a step is the
    same few dozen array operations for all of them. Each run keeps its own random streams
    (every draw goes to the stream of its agent's run, :class:`sim.rng.Draws`), its own
    ledger, listener and counters, and every operation keeps each run's entries in the order
    the run alone would have them; :meth:`runs` then hands out one model per run whose state
    and outputs are those of the run made alone, byte for byte. Batches take generated
    layers only (:func:`batchable`).

    Args:
        config: a validated full-mode config (with ``batch``: the first run's).
        world: a prebuilt world to reuse across runs; built from ``config`` when omitted.
        batch: ``(config, world)`` of each run of a batch, instead of ``config`` and ``world``.
    """

    mode = Mode.full
    other = "CascadeModel"

    def __init__(self, config: Config, *, world: World | None = None,
                 batch: Sequence[tuple[Config, World]] = ()) -> None:
        if batch:
            _check_batch(batch)
            config, world = batch[0][0], shared_stack([w for _, w in batch])
        super().__init__(config, world=world)
        #: the runs advancing together (one unless ``batch``), their configs and worlds
        self.n_runs = max(len(batch), 1)
        self.configs = [c for c, _ in batch] or [config]
        self.worlds = [w for _, w in batch] or [self.world]
        #: agents per run
        self.n_run = self.n_agents // self.n_runs
        self.run_streams = ([Streams(c.seed, c.replicate) for c in self.configs] if batch
                            else [self.streams])
        self._draws: dict[str, Draws] = {}
        n, n_layers = self.n_agents, len(self.world.layers)
        self.channels = self.layer_names + ("owned",)
        #: channel index of the owned channel (after the layers)
        self.owned = n_layers
        self.member = np.vstack([self.world.member, np.zeros((1, n), dtype=bool)])
        self._setup_strategy()
        #: row index of the backlash in per-post arrays (after the brand posts)
        self.backlash_post = self.n_posts
        self.activated = np.zeros((self.n_posts + 1, n), dtype=bool)
        self.contacts = np.zeros((self.n_posts + 1, n), dtype=np.uint16)
        # step + 1 at which each agent first saw brand content on each channel (0: never)
        self._first_seen = np.zeros((len(self.channels), n), dtype=np.int32)
        self.loyalty = self.world.loyalty.astype(np.float64, copy=True)
        self.initial_loyalty = float(self.loyalty.mean()) if self.n_runs == 1 else np.nan
        self.past_shares = np.zeros(n, dtype=np.int32)
        self.fatigue = np.zeros(n, dtype=np.int32)
        self._last_engaged = np.full(n, -10**6, dtype=np.int64)
        self._pending = Exposures.empty()
        # audience of each brand post at age AUDIENCE_WINDOW, per run
        self._window = np.full((self.n_runs, self.n_posts), -1, dtype=np.int64)
        # a batch's counters have one column per (run, channel), run-major
        self.recorder = Recorder(config.steps, self.channels * self.n_runs,
                                 derived={"reached_new": self._reached_new,
                                          "engaged_new": self._engaged_new})
        # brand exposures seen and successful per run and channel, for the listening strategy
        self._brand_seen = np.zeros((self.n_runs, len(self.channels)), dtype=np.int64)
        self._brand_success = np.zeros((self.n_runs, len(self.channels)), dtype=np.int64)
        self._examined = np.zeros(self.n_runs, dtype=np.int64)
        #: per run, placements of a post on a layer that took every member they could
        #: (the layer too small for the money): ``placements_capped`` in the summary
        self.placements_capped = np.zeros(self.n_runs, dtype=np.int64)
        # per run, the members of each layer (own ids), for the loyalty gauges
        self._layer_members: list[list[np.ndarray]] | None = None
        if self.n_runs == 1:
            #: audience of each brand post at age AUDIENCE_WINDOW (-1: not that old at the
            #: horizon)
            self.window_audience = self._window[0]
        self._post()
        self._record()
        self.running = self.t < config.steps

    def _setup_strategy(self) -> None:
        cfg, names = self.config, self.layer_names
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
        self.ledgers = [make_ledger(cfg.budget, strategy, self.channels)
                        for _ in range(self.n_runs)]
        self._reward_price = reward_price(cfg.budget.reward, strategy.incentive)
        self._perk = strategy.seeding is Seeding.engagement
        self._price_cfg = [layer_price(cfg.budget, name) for name in names]
        self._cores = [[None] * len(names) for _ in range(self.n_runs)]
        self.listeners = [self._listener(world) for world in self.worlds]
        if self.n_runs == 1:
            #: the run's budget ledger and listening strategy
            self.ledger, self.listener = self.ledgers[0], self.listeners[0]

    def _listener(self, world: World) -> Listener:
        """The listening strategy of a run on ``world``.

        It weighs only layers that take placements (not the topic layer), each at the price
        of a placement on a member of mean degree.
        """
        mean_degree = np.array([lay.degree()[lay.members].mean()
                                if lay.members.size and lay.name not in UNSEEDED else 0.0
                                for lay in world.layers])
        mean_price = np.array([self.config.budget.ambassador if self._perk else
                               float(placement_price(p, d))
                               for p, d in zip(self._price_cfg, mean_degree, strict=True)])
        return Listener(self.layer_names, mean_degree, mean_price)

    # -- phases --------------------------------------------------------------------------

    def _advance(self) -> bool:
        """One step: the phases of the class docstring, in order."""
        self.t += 1
        self._post()
        sessions = self._draw_sessions()
        seen, self._pending = self._feed(sessions.active)
        if len(seen):
            reception = self._receive(seen, sessions.goal)
            success = decide(reception.probability, seen.child, self._draw("sharing"))
            winners = first_success(seen, success, self.n_agents)
            self._keep_trace(seen, winners)
            batch = seen.take(winners)
            self._pay_incentives(seen, batch)
            self._activate(batch.child, batch.post, batch.parent, batch.layer)
            self._convert_to_owned(batch)
        else:
            reception, batch = Reception.nothing(), seen
        self._pay_owned()
        self._loyalty_and_backlash(seen, reception, batch)
        self._record()
        self.running = self.t < self.config.steps
        return True

    def _post(self) -> None:
        """Phase 1: pay for and place each post scheduled now, and deliver it to the owned channel.

        Claims C5, C8 and C9.
        """
        for post in np.flatnonzero(self.post_step == self.t):
            # every run buys its placements, then the seeds of all runs share at once
            seeds = [self._place(int(post), r) for r in range(self.n_runs)]
            agents = np.concatenate([agents for agents, _ in seeds])
            if agents.size:
                layers = np.concatenate([layers for _, layers in seeds])
                self._activate(agents, np.full(agents.size, post, dtype=np.int32),
                               np.full(agents.size, -1, dtype=np.int64), layers)
            for r in range(self.n_runs):
                self._deliver_owned(int(post), r)
                self.ledgers[r].release(int(post) + 1)

    def _place(self, post: int, r: int) -> tuple[np.ndarray, np.ndarray]:
        """Pay the post's production and buy its placements in policy order: the seeds.

        The post's placement money (:meth:`Ledger.placement_money`, the owned channel's
        upkeep to the horizon kept back) is split between layers; on each layer it buys
        members in the seeding policy's order while the next one is affordable, at
        ``base + cpm * followers / 1000`` (ambassadors: the perk). Layers are served from the
        smaller share to the larger, money one cannot spend going to the next; what the last
        cannot spend goes to the next posts. ``r`` is the run (of a batch) placing the post.

        Returns:
            ``(agents, layers)``: the seeds (int64) and the layer of each (int8).
        """
        cfg = self.config
        rows, streams, offset = self._rows(r), self.run_streams[r], r * self.n_run
        split = cfg.strategy.split
        if cfg.strategy.listening and post > 0:
            split = self.listeners[r].split(self.t, post, self._brand_success[r, :-1],
                                            self._brand_seen[r, :-1], streams["listening"],
                                            split)
        ledger = self.ledgers[r]
        owned_members = int(self.member[self.owned, rows].sum()) if ledger.owned_open else 0
        reserve = owned_members * ledger.owned_rate * (cfg.steps - self.t + 1)
        money = ledger.placement_money(post, reserve) * layer_split(split, self.layer_names)
        ledger.spend("posts", ledger.post_cost)
        agents, layers = [], []
        taken = np.zeros(self.n_run, dtype=bool)   # one placement per agent and post
        left = 0.0
        # the layer with the smaller share first: what it cannot spend goes to the next one
        for k in np.argsort(money, kind="stable"):
            layer = self.worlds[r].layers[k]
            money[k] += left
            left = float(money[k])
            if money[k] <= 0:
                continue
            cores = self._cores[r]
            if cfg.strategy.seeding is Seeding.kcore and cores[k] is None:
                cores[k] = k_core_numbers(layer)
            cheapest = cfg.budget.ambassador if self._perk else self._price_cfg[k].base
            wanted = int(money[k] // cheapest) + 1
            order = seed_order(cfg.strategy.seeding, layer, wanted,
                               rng=streams["seeding"], loyalty=self.loyalty[rows],
                               shares=self.past_shares[rows], core=cores[k], taken=taken)
            followers = layer.degree()[order]
            prices = (np.full(order.size, cfg.budget.ambassador) if self._perk
                      else placement_price(self._price_cfg[k], followers))
            n = affordable(prices, float(money[k]))
            if n == order.size < wanted:
                self._capped(r, post, layer, wanted, order.size)
            ledger.buy_placements(prices[:n], tier_of(followers[:n]), perk=self._perk)
            left -= float(prices[:n].sum())
            chosen = np.sort(order[:n])
            taken[chosen] = True
            agents.append(chosen + offset)
            layers.append(np.full(chosen.size, k, dtype=np.int8))
        if not agents:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int8)
        return np.concatenate(agents), np.concatenate(layers)

    def _capped(self, r: int, post: int, layer, wanted: int, placed: int) -> None:
        """Count a post placed on every member of a layer its money could still pay for.

        The money it could not spend goes on to the next layer and the next posts; the first
        time in a run it happens, a warning says so (``placements_capped`` in the summary).
        """
        if self.placements_capped[r] == 0:
            log.warning("post %d placed on all %d members of the %s layer it could (its "
                        "money would buy about %d placements): the layer is smaller than the "
                        "budget; the rest goes to the next layer and posts", post, placed,
                        layer.name, wanted - 1)
        self.placements_capped[r] += 1

    def _deliver_owned(self, post: int, r: int) -> None:
        """Owned-channel members get the post directly, whatever their feeds do (C8).

        Nothing is delivered once the channel has closed for want of upkeep. ``r``: the run.
        """
        if not self.ledgers[r].owned_open:
            return
        rows = self._rows(r)
        readers = owned_readers(self.member[self.owned, rows], self.activated[post, rows])
        if readers.size == 0:
            return
        readers = readers + r * self.n_run
        k = readers.size
        batch = Exposures(parent=np.full(k, -1, dtype=np.int64), child=readers,
                          layer=np.full(k, self.owned, dtype=np.int8),
                          origin=np.full(k, self.owned, dtype=np.int8),
                          post=np.full(k, post, dtype=np.int32),
                          born=np.full(k, self.t, dtype=np.int32))
        self._count("sent", batch.layer, readers)
        self._pending = Exposures.concat([self._pending, batch])

    def _draw_sessions(self) -> Sessions:
        """Phase 2: who is active on each channel (C15) and in which mindset (C1, C2).

        One uniform per agent and channel for activity and one for mindset, every step, for
        everyone: two strategies on the same replicate see the same sessions.
        """
        n_layers, channels = len(self.layer_names), len(self.channels)
        activity = self._activity.astype(np.float32)
        p_goal = self._p_goal.astype(np.float32)
        active = np.empty(self.member.shape, dtype=bool)
        if self.n_runs == 1:
            u = self.streams["activity"].random((n_layers, self.n_agents), dtype=np.float32)
            np.less(u, activity[:, None], out=active[:n_layers])
            g = self.streams["mindset"].random(self.member.shape, dtype=np.float32)
            goal = g < p_goal[:, None]
        else:
            # each run draws its (channels, n) block as it would alone; compared through a
            # (channels, runs, n) view of the (channels, runs * n) state
            runs, n = self.n_runs, self.n_run
            u = np.empty((runs, n_layers, n), dtype=np.float32)
            g = np.empty((runs, channels, n), dtype=np.float32)
            for r, streams in enumerate(self.run_streams):
                streams["activity"].random((n_layers, n), dtype=np.float32, out=u[r])
                streams["mindset"].random((channels, n), dtype=np.float32, out=g[r])
            np.less(u.transpose(1, 0, 2), activity[:, None, None],
                    out=active[:n_layers].reshape(n_layers, runs, n))
            goal = np.empty(self.member.shape, dtype=bool)
            np.less(g.transpose(1, 0, 2), p_goal[:, None, None],
                    out=goal.reshape(channels, runs, n))
        active[:n_layers] &= self.world.member
        active[self.owned] = self.member[self.owned]
        return Sessions(active=active, goal=goal)

    def _feed(self, active: np.ndarray) -> tuple[Exposures, Exposures]:
        """Phase 3: the pending exposures seen now, and those still waiting (C15)."""
        pend = self._pending
        split = sort_feed(pend.born, self._at(self.activated, pend.post, pend.child),
                          self._at(active, pend.layer, pend.child), self.t,
                          ttl=self.config.network.feed_ttl)
        self._count("expired", pend.layer[split.expired], pend.child[split.expired])
        return pend.take(split.seen), pend.take(split.kept)

    def _receive(self, seen: Exposures, goal: np.ndarray) -> Reception:
        """Phase 4: each seen exposure's P, which ones are brand posts, the brand ones' quality.

        P comes from :mod:`sim.mechanisms.share` (the share rule for brand posts, the backlash
        relay for negative word of mouth); quality is the engagement quality of each brand
        exposure. Also counts contacts, exposures and fatigue.

        Args:
            seen: the exposures seen this step.
            goal: the step's session mindsets (:class:`Sessions`).
        """
        brand = seen.post < self.n_posts
        # 1-D ufunc.at with a value of the array's own dtype takes numpy's fast path (~25x
        # faster than the 2-D form with a Python int)
        np.add.at(self.contacts.reshape(-1), seen.post.astype(np.int64) * self.n_agents
                  + seen.child, np.uint16(1))
        b = seen.take(brand)
        self._mark_exposed(b)
        self._count("seen", b.layer, b.child)
        self._count("backlash_seen", seen.layer[~brand], seen.child[~brand])
        self._brand_seen += self._per_run(b.layer, b.child)
        # gathers from 2-D and 3-D state through flat indices (faster than tuple indexing)
        child = b.child
        session_goal = self._at(goal, b.layer, child)
        fit = ct.fit(self.content, b.post, b.layer, session_goal)
        tone = self.content.tone_id[b.post, b.layer]
        res = self._resonance.reshape(-1).take((tone * 2 + session_goal) * self.n_agents
                                               + child)
        incentive = self.content.incentive[b.post]
        if self.n_runs == 1:
            incentive = offered(incentive, self.ledger.affordable_rewards(self._reward_price, 1))
        else:
            payable = np.array([ledger.affordable_rewards(self._reward_price, 1)
                                for ledger in self.ledgers])
            incentive = np.where(payable[self._group(child)] == 0, 0.0, incentive)
        probability = np.empty(len(seen))
        probability[brand] = share_probability(
            self.config.p, self.config.share, receptivity=self._receptivity[b.layer],
            fit=fit, resonance=res, loyalty=self.loyalty[child], incentive=incentive,
            contacts=self._at(self.contacts, b.post, child), fatigue=self.fatigue[child])
        back = seen.take(~brand)
        probability[~brand] = backlash_probability(self.config.authenticity.backlash,
                                                   self.loyalty[back.child])
        self.fatigue += np.bincount(child, minlength=self.n_agents).astype(np.int32)
        quality = self.content.authenticity[b.post] * 0.5 * (fit + res)
        return Reception(probability=probability, brand=brand, quality=quality)

    def _pay_incentives(self, seen: Exposures, batch: Exposures) -> None:
        """Phase 5: pay the rewarded shares the incentive pool can still afford (C7).

        A run pays in a step where it saw exposures (``seen``); ``batch``: the winners.
        """
        if self.config.strategy.incentive <= 0:
            return
        if self.n_runs == 1:
            self.ledger.pay_rewards(self._reward_price,
                                    rewarded_shares(batch.post, self.n_posts), self.t)
            return
        saw = np.bincount(self._group(seen.child), minlength=self.n_runs)
        group = self._group(batch.child)
        for r in np.flatnonzero(saw):
            self.ledgers[r].pay_rewards(self._reward_price,
                                        rewarded_shares(batch.post[group == r], self.n_posts),
                                        self.t)

    def _pay_owned(self) -> None:
        """Phase 7's end: pay the step's upkeep of the owned channel's members (C8)."""
        members = np.count_nonzero(self.member[self.owned].reshape(self.n_runs, -1), axis=1)
        for r in np.flatnonzero(members):
            self.ledgers[r].pay_owned(int(members[r]), self.t)

    def _activate(self, agents: np.ndarray, posts: np.ndarray, parents: np.ndarray,
                  layers: np.ndarray) -> None:
        """Phases 5 and 6: mark activations, then share on the activation layer and cross-post."""
        if agents.size == 0:
            return
        t = self.t
        self.activated.reshape(-1)[posts.astype(np.int64) * self.n_agents + agents] = True
        self._log_activations(agents, posts, parents, layers, t)
        brand = posts < self.n_posts
        self._count("activations", layers[brand], agents[brand])
        self._count("detractions", layers[~brand], agents[~brand])
        self.past_shares[agents[brand]] += 1
        non_seed = brand & (parents >= 0)
        self._brand_success += self._per_run(layers[non_seed], agents[non_seed])
        n_layers = len(self.layer_names)
        crosspost = self.config.network.crosspost
        batches = []
        for k, layer in enumerate(self.world.layers):
            # owned-channel readers relay on all their layers
            on = (layers == k) | ((layers == self.owned) & self.world.member[k, agents])
            sharers, share_posts, origins = agents[on], posts[on], layers[on]
            if crosspost > 0:
                # owned-channel readers already relay everywhere: only layer sharers cross-post
                cross = (layers < n_layers) & (layers != k) & self.world.member[k, agents]
                cross &= self._draw("crosspost")(agents) < crosspost
                sharers = np.concatenate([sharers, agents[cross]])
                share_posts = np.concatenate([share_posts, posts[cross]])
                origins = np.concatenate([origins, layers[cross]])
            is_brand = share_posts < self.n_posts
            self._count("shares", np.full(int(is_brand.sum()), k), sharers[is_brand])
            batch, examined = expose(layer, k, sharers, share_posts, origins, t,
                                     rng=self.streams["topic_feed"])
            if self.n_runs == 1:
                self.edges_examined += examined
            else:
                self._examined += np.bincount(self._group(batch.child), minlength=self.n_runs)
            batch = batch.take(~self._at(self.activated, batch.post, batch.child))
            brand_sent = batch.post < self.n_posts
            self._count("sent", batch.layer[brand_sent], batch.child[brand_sent])
            spill = brand_sent & (batch.origin != batch.layer)
            self._count("spillover", batch.layer[spill], batch.child[spill])
            batches.append(batch)
        self._pending = Exposures.concat([self._pending, *batches])

    def _convert_to_owned(self, batch: Exposures) -> None:
        """Phase 7: sharers of a call-to-action post may join the owned channel (C8)."""
        brand = batch.post < self.n_posts
        cta = brand & self.content.cta[np.minimum(batch.post, self.n_posts - 1)]
        joined = join_owned(batch.child, cta, self.loyalty, self.config.owned.conversion,
                            uniforms=self._draw("owned"))
        self.member[self.owned, joined] = True

    def _loyalty_and_backlash(self, seen: Exposures, reception: Reception,
                              winners: Exposures) -> None:
        """Phase 8: loyalty update, detection of inauthentic content, backlash seeds (C10-C12).

        Args:
            seen: the exposures seen this step.
            reception: phase 4's verdict on them.
            winners: the exposures that activated their receiver this step.
        """
        cfg = self.config
        b = seen.take(reception.brand)
        sharers = winners.child[winners.post < self.n_posts]
        negative = seen.child[~reception.brand]
        update_loyalty(self.loyalty, self.world.loyalty, self._last_engaged, self.t,
                       b.child, reception.quality, sharers, negative, cfg.loyalty,
                       cfg.authenticity)
        agents, layers = detect(self.loyalty, b.child, b.layer,
                                self.content.authenticity[b.post], cfg.authenticity,
                                cfg.loyalty, self.activated[self.backlash_post],
                                uniforms=self._draw("detection"),
                                groups=None if self.n_runs == 1 else self._group(b.child))
        if agents.size:
            layers = np.where(layers == self.owned, self._home_layer(agents), layers)
            posts = np.full(agents.size, self.backlash_post, dtype=np.int32)
            self._activate(agents, posts, np.full(agents.size, -1, dtype=np.int64),
                           layers.astype(np.int8))

    def _home_layer(self, agents: np.ndarray) -> np.ndarray:
        """The first layer each agent is a member of (where an owned-channel reader speaks)."""
        return np.argmax(self.world.member[:, agents], axis=0)

    def _mark_exposed(self, seen: Exposures) -> None:
        """Record the first exposure of each agent on each channel (for ``first_seen``)."""
        for c in range(len(self.channels)):
            on = seen.child[seen.layer == c]
            if on.size == 0:
                continue
            row = self._first_seen[c]
            # every duplicate writes the same value, so the order of the writes is irrelevant
            row[on[row[on] == 0]] = self.t + 1

    def _record(self) -> None:
        """Phase 9: the loyalty gauges, audiences at the window's end, then commit the counters."""
        t, runs, channels = self.t, self.n_runs, len(self.channels)
        for post in np.flatnonzero(self.post_step + AUDIENCE_WINDOW == t):
            audience = (self.contacts[post] > 0) | self.activated[post]
            self._window[:, post] = np.count_nonzero(audience.reshape(runs, -1), axis=1)
        loyal = self.loyalty >= self.config.loyalty.loyal
        detractor = self.activated[self.backlash_post]

        def per_run(mask: np.ndarray) -> np.ndarray:
            """Count of each (run, channel) row of a (channels, runs * n) mask, run-major."""
            return np.count_nonzero(mask.reshape(channels, runs, -1), axis=2).T.reshape(-1)

        members = per_run(self.member)
        if self._layer_members is None:     # fixed: only the owned channel's change
            self._layer_members = [[np.flatnonzero(self.member[c, self._rows(r)])
                                    for c in range(self.owned)] for r in range(runs)]
        mean_loyalty = np.full(runs * channels, np.nan)
        for r in range(runs):
            rows = self._rows(r)
            loyalty = self.loyalty[rows]
            for c in range(channels):
                if members[r * channels + c]:
                    values = (loyalty.take(self._layer_members[r][c]) if c < self.owned
                              else loyalty[self.member[c, rows]])
                    # ndarray.mean's own sum and division (the same value), without its
                    # Python wrapper: this runs runs x channels times a step
                    mean_loyalty[r * channels + c] = np.add.reduce(values) / values.size
        self.recorder.gauge("members", t, members)
        self.recorder.gauge("spent", t, np.repeat([ledger.spent for ledger in self.ledgers],
                                                  channels))
        self.recorder.gauge("mean_loyalty", t, mean_loyalty)
        self.recorder.gauge("loyal", t, per_run(self.member & loyal))
        self.recorder.gauge("detractors", t, per_run(self.member & detractor))
        self.recorder.close_step(t)

    # -- inspection ----------------------------------------------------------------------

    @property
    def first_seen(self) -> np.ndarray:
        """(channels, N) int32: step + 1 at which each agent first saw brand content (0: never)."""
        return self._first_seen

    @property
    def pending(self) -> Exposures:
        """Exposures waiting in feeds (sent, not yet seen)."""
        return self._pending

    @property
    def share_lag(self) -> int:
        """``network.feed_ttl``: an exposure is seen at most that many steps after its share."""
        return self.config.network.feed_ttl

    def _report(self, progress: Progress) -> None:
        progress.step(self.t, self.config.steps, self._reach_so_far)

    def _reach_so_far(self) -> str:
        reached, engaged = self.first_reached.any(axis=0), self.first_engaged.any(axis=0)
        return f"reached {int(reached.sum()):,}, engaged {int(engaged.sum()):,}"

    # -- batches of runs ------------------------------------------------------------------

    def _rows(self, r: int) -> slice:
        """Run ``r``'s block of agents in the state arrays."""
        return slice(r * self.n_run, (r + 1) * self.n_run)

    def _group(self, agents: np.ndarray) -> np.ndarray:
        """The run of each agent (its block): ``agents // n``."""
        return agents // self.n_run

    def _draw(self, name: str) -> Draws:
        """Stream ``name`` of every run, as one :class:`~sim.rng.Draws` keyed by agent."""
        if name not in self._draws:
            self._draws[name] = Draws([s[name] for s in self.run_streams], self.n_run)
        return self._draws[name]

    def _count(self, counter: str, layers: np.ndarray, agents: np.ndarray) -> None:
        """Count one event per entry of ``layers`` in the column of its agent's run."""
        if self.n_runs > 1 and len(layers):
            layers = layers + len(self.channels) * self._group(agents)
        self.recorder.add(counter, layers)

    def _per_run(self, layers: np.ndarray, agents: np.ndarray) -> np.ndarray:
        """Events per (run, channel), shape (runs, channels), one per entry of ``layers``."""
        channels = len(self.channels)
        if self.n_runs > 1:
            layers = layers + channels * self._group(agents)
        return np.bincount(layers, minlength=self.n_runs * channels).reshape(self.n_runs, -1)

    def runs(self) -> list[BrandModel]:
        """One finished model per run: the model itself, or each run of a batch.

        A batch's run ``r`` comes out as the model it would be had it run alone: its config,
        world, streams, ledger and listener, its block of every state array, its columns of
        the counters, and its entries of the logs, pending feed and trace in their order,
        with agents numbered from 0 again.
        """
        if self.n_runs == 1:
            return [self]
        split = self._split_logs()
        return [self._run_model(r, split) for r in range(self.n_runs)]

    def _run_model(self, r: int, split: tuple) -> BrandModel:
        run = BrandModel.__new__(BrandModel)
        ModelBase.__init__(run, self.configs[r], world=self.worlds[r])
        rows, offset, channels = self._rows(r), r * self.n_run, len(self.channels)
        run.streams = self.run_streams[r]
        run.steps, run.time, run.t, run.running = self.steps, self.time, self.t, self.running
        run.n_runs, run.configs, run.worlds, run.n_run = 1, [run.config], [run.world], self.n_run
        run.run_streams, run._draws = [run.streams], {}
        for name in ("channels", "owned", "post_step", "n_posts", "content", "_activity",
                     "_p_goal", "_receptivity", "_reward_price", "_perk", "_price_cfg",
                     "backlash_post"):
            setattr(run, name, getattr(self, name))
        for name in ("member", "activated", "contacts", "_first_seen"):
            setattr(run, name, getattr(self, name)[:, rows].copy())
        for name in ("loyalty", "past_shares", "fatigue", "_last_engaged"):
            setattr(run, name, getattr(self, name)[rows].copy())
        run._resonance = self._resonance[..., rows].copy()
        run.initial_loyalty = float(run.world.loyalty.astype(np.float64).mean())
        run._cores = [self._cores[r]]
        run.ledgers, run.listeners = [self.ledgers[r]], [self.listeners[r]]
        run.ledger, run.listener = self.ledgers[r], self.listeners[r]
        run._window = self._window[r:r + 1].copy()
        run.window_audience = run._window[0]
        run._brand_seen = self._brand_seen[r:r + 1].copy()
        run._brand_success = self._brand_success[r:r + 1].copy()
        run._examined = np.zeros(1, dtype=np.int64)
        run.placements_capped = self.placements_capped[r:r + 1].copy()
        run._layer_members = None if self._layer_members is None else [self._layer_members[r]]
        run.edges_examined = int(self._examined[r])
        run.recorder = self.recorder.columns_of(slice(r * channels, (r + 1) * channels),
                                                self.channels,
                                                derived={"reached_new": run._reached_new,
                                                         "engaged_new": run._engaged_new})
        acts, mine = split[0], split[1][r]
        # one log entry holding every activation, its step per entry
        run._activations = [(acts["agent"][mine] - offset, acts["post"][mine],
                             _local(acts["parent"][mine], offset), acts["layer"][mine],
                             acts["step"][mine])] if mine.size else []
        trace, mine = split[2], split[3][r]
        run._trace = [(_relabel(trace[0].take(mine), offset), trace[1][mine], trace[2][mine])
                      ] if mine.size else []
        pending = self._pending
        run._pending = _relabel(pending.take(self._group(pending.child) == r), offset)
        return run

    def _split_logs(self) -> tuple:
        """The activation log and the trace, each as one batch with each run's positions.

        Returns:
            ``(activations, positions, (exposures, shared, steps), positions)``: positions
            are, per run, the indices of its entries in log order.
        """
        acts = self.activations()
        if self._trace:
            trace = (Exposures.concat([entry[0] for entry in self._trace]),
                     np.concatenate([entry[1] for entry in self._trace]),
                     np.concatenate([np.full(len(entry[0]), entry[2], dtype=np.int32)
                                     for entry in self._trace]))
        else:
            trace = (Exposures.empty(), np.empty(0, bool), np.empty(0, np.int32))

        def positions(agents: np.ndarray) -> list[np.ndarray]:
            group = self._group(agents)
            order = np.argsort(group, kind="stable")
            ends = np.searchsorted(group[order], np.arange(self.n_runs + 1))
            return [order[ends[r]:ends[r + 1]] for r in range(self.n_runs)]

        return acts, positions(acts["agent"]), trace, positions(trace[0].child)

    def _at(self, state: np.ndarray, row: np.ndarray, agent: np.ndarray) -> np.ndarray:
        """``state[row, agent]`` for a (rows, N) array, through a flat index.

        Several times faster than tuple indexing on millions of entries.
        """
        return state.reshape(-1).take(row.astype(np.int64) * self.n_agents + agent)


def _local(agents: np.ndarray, offset: int) -> np.ndarray:
    """Agent ids of a batch's block as the run's own ids (-1, no agent, stays -1)."""
    return np.where(agents >= 0, agents - offset, agents)


def _relabel(batch: Exposures, offset: int) -> Exposures:
    """Exposures of one run of a batch with the run's own agent ids."""
    return Exposures(_local(batch.parent, offset), batch.child - offset, batch.layer,
                     batch.origin, batch.post, batch.born)


def batchable(config: Config) -> bool:
    """Whether runs of ``config`` can advance as a batch (:class:`BrandModel`'s ``batch``).

    Full mode on generated layers: layers read from files, and the topic layer (whose
    audience sampling merges shares by topic), run one by one.
    """
    net = config.network
    return (config.mode is Mode.full and config.graph is None and not net.topic.enabled
            and all(getattr(net, name).generator is not Generator.file
                    for name in ("personal", "professional")))


def one_config(configs: Sequence[Config]) -> bool:
    """Whether ``configs`` are one config at several replicates (equal in every other field)."""
    first = configs[0]
    names = [f.name for f in dataclasses.fields(first) if f.name != "replicate"]
    return all(getattr(c, name) == getattr(first, name) for c in configs[1:] for name in names)


def _check_batch(batch: Sequence[tuple[Config, World]]) -> None:
    """Refuse a batch whose runs differ in more than ``replicate``, or that cannot batch."""
    first, world = batch[0]
    if not batchable(first):
        raise ValueError("a batch of runs takes full-mode configs on generated layers "
                         "(no graph file, no topic layer)")
    if not one_config([c for c, _ in batch]):
        raise ValueError("the runs of a batch must differ in `replicate` only")
    for _, other in batch[1:]:
        if other.n != world.n or other.layer_names != world.layer_names:
            raise ValueError("the runs of a batch must have worlds of the same size and layers")
