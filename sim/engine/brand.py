"""The full model: brand posts spreading on a multiplex of platforms, building or losing loyalty.

:class:`BrandModel` owns the state that lives across steps: memberships (with the owned
channel), the feed of pending exposures, the per-(post, agent) activations and contacts,
loyalty, fatigue, the budget ledger, the first exposures and the time series. Each step orders
the mechanisms, which live in their own modules (:mod:`sim.mechanisms`, :mod:`sim.strategies`);
the phases hand what they compute to the next ones as arguments (:class:`Sessions`,
:class:`Reception`), never through attributes.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sim.config import Config, Mode, Seeding
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
from sim.world.population import World

#: Age (steps after publication) at which each post's audience is measured for
#: ``audience_decay``, so that every post is compared over the same span. An assumption: 15
#: is the span the default campaign's last post (day 45 of 60) gets before the horizon. In
#: default runs continued to day 120 a post's audience at age 15 was 90% of its day-120
#: audience on average with broadcast content and 65% with adapted content (viral cascades
#: keep growing): the window does not see a post's whole audience, it sees every post's
#: first 15 days, which is what makes early and late posts comparable.
AUDIENCE_WINDOW = 15


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

    Args:
        config: a validated full-mode config.
        world: a prebuilt world to reuse across runs; built from ``config`` when omitted.
    """

    mode = Mode.full
    other = "CascadeModel"

    def __init__(self, config: Config, *, world: World | None = None) -> None:
        super().__init__(config, world=world)
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
        self.initial_loyalty = float(self.loyalty.mean())
        self.past_shares = np.zeros(n, dtype=np.int32)
        self.fatigue = np.zeros(n, dtype=np.int32)
        self._last_engaged = np.full(n, -10**6, dtype=np.int64)
        self._pending = Exposures.empty()
        #: audience of each brand post at age AUDIENCE_WINDOW (-1: not that old at the horizon)
        self.window_audience = np.full(self.n_posts, -1, dtype=np.int64)
        self.recorder = Recorder(config.steps, self.channels,
                                 derived={"reached_new": self._reached_new,
                                          "engaged_new": self._engaged_new})
        # brand exposures seen and successful per channel, for the listening strategy
        self._brand_seen = np.zeros(len(self.channels), dtype=np.int64)
        self._brand_success = np.zeros(len(self.channels), dtype=np.int64)
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
        self.ledger = make_ledger(cfg.budget, strategy, self.channels)
        self._reward_price = reward_price(cfg.budget.reward, strategy.incentive)
        self._perk = strategy.seeding is Seeding.engagement
        self._price_cfg = [layer_price(cfg.budget, name) for name in names]
        self._cores = [None] * len(names)
        # the listener weighs only layers that take placements (not the topic layer), each
        # at the price of a placement on a member of mean degree
        mean_degree = np.array([lay.degree()[lay.members].mean()
                                if lay.members.size and lay.name not in UNSEEDED else 0.0
                                for lay in self.world.layers])
        mean_price = np.array([cfg.budget.ambassador if self._perk else
                               float(placement_price(p, d))
                               for p, d in zip(self._price_cfg, mean_degree, strict=True)])
        self.listener = Listener(names, mean_degree, mean_price)

    # -- phases --------------------------------------------------------------------------

    def _advance(self) -> bool:
        """One step: the phases of the class docstring, in order."""
        self.t += 1
        self._post()
        sessions = self._draw_sessions()
        seen, self._pending = self._feed(sessions.active)
        if len(seen):
            reception = self._receive(seen, sessions.goal)
            success = decide(reception.probability, self.streams["sharing"])
            winners = first_success(seen, success, self.n_agents)
            self._keep_trace(seen, winners)
            batch = seen.take(winners)
            self._pay_incentives(batch)
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
            self._place(int(post))
            self._deliver_owned(int(post))
            self.ledger.release(int(post) + 1)

    def _place(self, post: int) -> None:
        """Pay the post's production, buy its placements in policy order, make the seeds share.

        The post's placement money (:meth:`Ledger.placement_money`, the owned channel's
        upkeep to the horizon kept back) is split between layers; on each layer it buys
        members in the seeding policy's order while the next one is affordable, at
        ``base + cpm * followers / 1000`` (ambassadors: the perk). Layers are served from the
        smaller share to the larger, money one cannot spend going to the next; what the last
        cannot spend goes to the next posts.
        """
        cfg = self.config
        split = cfg.strategy.split
        if cfg.strategy.listening and post > 0:
            split = self.listener.split(self.t, post, self._brand_success[:-1],
                                        self._brand_seen[:-1], self.streams["listening"], split)
        ledger = self.ledger
        owned_members = int(self.member[self.owned].sum()) if ledger.owned_open else 0
        reserve = owned_members * ledger.owned_rate * (cfg.steps - self.t + 1)
        money = ledger.placement_money(post, reserve) * layer_split(split, self.layer_names)
        ledger.spend("posts", ledger.post_cost)
        agents, layers = [], []
        taken = np.zeros(self.n_agents, dtype=bool)   # one placement per agent and post
        left = 0.0
        # the layer with the smaller share first: what it cannot spend goes to the next one
        for k in np.argsort(money, kind="stable"):
            layer = self.world.layers[k]
            money[k] += left
            left = float(money[k])
            if money[k] <= 0:
                continue
            if (cfg.strategy.seeding is Seeding.kcore and self._cores[k] is None):
                self._cores[k] = k_core_numbers(layer)
            cheapest = cfg.budget.ambassador if self._perk else self._price_cfg[k].base
            order = seed_order(cfg.strategy.seeding, layer, int(money[k] // cheapest) + 1,
                               rng=self.streams["seeding"], loyalty=self.loyalty,
                               shares=self.past_shares, core=self._cores[k], taken=taken)
            followers = layer.degree()[order]
            prices = (np.full(order.size, cfg.budget.ambassador) if self._perk
                      else placement_price(self._price_cfg[k], followers))
            n = affordable(prices, float(money[k]))
            ledger.buy_placements(prices[:n], tier_of(followers[:n]), perk=self._perk)
            left -= float(prices[:n].sum())
            chosen = np.sort(order[:n])
            taken[chosen] = True
            agents.append(chosen)
            layers.append(np.full(chosen.size, k, dtype=np.int8))
        if not agents:
            return
        agents, layers = np.concatenate(agents), np.concatenate(layers)
        posts = np.full(agents.size, post, dtype=np.int32)
        self._activate(agents, posts, np.full(agents.size, -1, dtype=np.int64), layers)

    def _deliver_owned(self, post: int) -> None:
        """Owned-channel members get the post directly, whatever their feeds do (C8).

        Nothing is delivered once the channel has closed for want of upkeep.
        """
        if not self.ledger.owned_open:
            return
        readers = owned_readers(self.member[self.owned], self.activated[post])
        if readers.size == 0:
            return
        k = readers.size
        batch = Exposures(parent=np.full(k, -1, dtype=np.int64), child=readers,
                          layer=np.full(k, self.owned, dtype=np.int8),
                          origin=np.full(k, self.owned, dtype=np.int8),
                          post=np.full(k, post, dtype=np.int32),
                          born=np.full(k, self.t, dtype=np.int32))
        self.recorder.add("sent", batch.layer)
        self._pending = Exposures.concat([self._pending, batch])

    def _draw_sessions(self) -> Sessions:
        """Phase 2: who is active on each channel (C15) and in which mindset (C1, C2).

        One uniform per agent and channel for activity and one for mindset, every step, for
        everyone: two strategies on the same replicate see the same sessions.
        """
        n_layers = len(self.layer_names)
        u = self.streams["activity"].random((n_layers, self.n_agents), dtype=np.float32)
        active = np.empty(self.member.shape, dtype=bool)
        np.less(u, self._activity[:, None].astype(np.float32), out=active[:n_layers])
        active[:n_layers] &= self.world.member
        active[self.owned] = self.member[self.owned]
        g = self.streams["mindset"].random(self.member.shape, dtype=np.float32)
        return Sessions(active=active, goal=g < self._p_goal[:, None].astype(np.float32))

    def _feed(self, active: np.ndarray) -> tuple[Exposures, Exposures]:
        """Phase 3: the pending exposures seen now, and those still waiting (C15)."""
        pend = self._pending
        split = sort_feed(pend.born, self._at(self.activated, pend.post, pend.child),
                          self._at(active, pend.layer, pend.child), self.t,
                          ttl=self.config.network.feed_ttl)
        self.recorder.add("expired", pend.layer[split.expired])
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
        self.recorder.add("seen", b.layer)
        self.recorder.add("backlash_seen", seen.layer[~brand])
        self._brand_seen += np.bincount(b.layer, minlength=len(self.channels))
        # gathers from 2-D and 3-D state through flat indices (faster than tuple indexing)
        child = b.child
        session_goal = self._at(goal, b.layer, child)
        fit = ct.fit(self.content, b.post, b.layer, session_goal)
        tone = self.content.tone_id[b.post, b.layer]
        res = self._resonance.reshape(-1).take((tone * 2 + session_goal) * self.n_agents
                                               + child)
        incentive = offered(self.content.incentive[b.post],
                            self.ledger.affordable_rewards(self._reward_price, 1))
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

    def _pay_incentives(self, batch: Exposures) -> None:
        """Phase 5: pay the rewarded shares the incentive pool can still afford (C7)."""
        if self.config.strategy.incentive <= 0:
            return
        self.ledger.pay_rewards(self._reward_price, rewarded_shares(batch.post, self.n_posts),
                                self.t)

    def _pay_owned(self) -> None:
        """Phase 7's end: pay the step's upkeep of the owned channel's members (C8)."""
        members = int(self.member[self.owned].sum())
        if members:
            self.ledger.pay_owned(members, self.t)

    def _activate(self, agents: np.ndarray, posts: np.ndarray, parents: np.ndarray,
                  layers: np.ndarray) -> None:
        """Phases 5 and 6: mark activations, then share on the activation layer and cross-post."""
        if agents.size == 0:
            return
        t = self.t
        self.activated.reshape(-1)[posts.astype(np.int64) * self.n_agents + agents] = True
        self._log_activations(agents, posts, parents, layers, t)
        brand = posts < self.n_posts
        self.recorder.add("activations", layers[brand])
        self.recorder.add("detractions", layers[~brand])
        self.past_shares[agents[brand]] += 1
        non_seed = brand & (parents >= 0)
        self._brand_success += np.bincount(layers[non_seed], minlength=len(self.channels))
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
        joined = join_owned(batch.child, cta, self.loyalty, self.config.owned.conversion,
                            rng=self.streams["owned"])
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
                                rng=self.streams["detection"])
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
        t = self.t
        for post in np.flatnonzero(self.post_step + AUDIENCE_WINDOW == t):
            self.window_audience[post] = np.count_nonzero((self.contacts[post] > 0)
                                                          | self.activated[post])
        loyal = self.loyalty >= self.config.loyalty.loyal
        detractor = self.activated[self.backlash_post]
        members = np.count_nonzero(self.member, axis=1)
        self.recorder.gauge("members", t, members)
        self.recorder.gauge("spent", t, np.full(len(self.channels), self.ledger.spent))
        self.recorder.gauge("mean_loyalty", t, np.array(
            [self.loyalty[m].mean() if k else np.nan for m, k in zip(self.member, members,
                                                                     strict=True)]))
        self.recorder.gauge("loyal", t, np.count_nonzero(self.member & loyal, axis=1))
        self.recorder.gauge("detractors", t, np.count_nonzero(self.member & detractor, axis=1))
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

    def _at(self, state: np.ndarray, row: np.ndarray, agent: np.ndarray) -> np.ndarray:
        """``state[row, agent]`` for a (rows, N) array, through a flat index.

        Several times faster than tuple indexing on millions of entries.
        """
        return state.reshape(-1).take(row.astype(np.int64) * self.n_agents + agent)
