"""Typed configuration: the schema of every run, its documentation and its validation.

Every key is a dataclass field whose ``metadata`` carries its documentation (``doc``), its unit,
its allowed range and its provenance (``claims``, ids of :mod:`sim.claims`, and ``source``, in
words). :func:`validate` walks the whole tree and raises
:class:`~sim.config.errors.ConfigError` with a one-line message naming the dotted key, the value
and what is allowed; the README's config reference is generated from the same metadata
(:func:`sim.config.reference.config_reference`), so docs and checks cannot drift apart.

This module is plain Python: Hydra only registers these classes in its ConfigStore
(:mod:`sim.cli`).
"""

from __future__ import annotations

import copy
import dataclasses
import enum
import functools
import hashlib
import json
import math
import os
import stat
import typing
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from sim.claims import check as check_claims
from sim.config.errors import ConfigError


class Mode(enum.Enum):
    """How a run is simulated."""

    full = "full"
    """Every mechanism that is switched on in the config."""
    independent_cascade = "independent_cascade"
    """Reduction mode: the pure independent cascade with p = ``p`` (README, "Reduction mode")."""


class Generator(enum.Enum):
    """How a layer's graph is made."""

    community_small_world = "community_small_world"
    preferential_attachment = "preferential_attachment"
    file = "file"


#: Largest population: more people than live on Earth (8.1 billion in 2024, UN World
#: Population Prospects 2024), so no real audience is refused.
MAX_AGENTS = 10**10
_AGENTS_WHY = "more than the world's population (8.1e9 in 2024, UN World Population Prospects)"
#: Longest horizon in steps: assumption; 2,700 years of daily steps in full mode, and ten
#: times reduction mode's default cap on a cascade's generations (10^5).
MAX_STEPS = 10**6
_STEPS_WHY = ("assumption: ten times reduction mode's default cap (1e5 generations), 2,700 "
              "years of daily steps")
#: Most contacts per member: LinkedIn caps connections at 30,000 (Facebook caps friends at
#: 5,000), so no platform's graph has a larger mean degree.
MAX_DEGREE = 30_000
_DEGREE_WHY = "the platforms' caps on contacts: LinkedIn 30,000 connections, Facebook 5,000"
#: Largest budget or price in EUR: assumption; up to 10^15 a budget divided by the smallest
#: placement price (0.01 EUR) is a count that int64 holds exactly.
MAX_MONEY = 1e15
_MONEY_WHY = ("assumption: more than any campaign's budget; up to 1e15 EUR a budget over the "
              "smallest placement price (0.01 EUR) stays an exact int64 count of placements")
#: Largest seed or replicate index: they are written as int64.
MAX_INT64 = 2**63 - 1
_INT64_WHY = "written as a 64-bit integer in summary.json and the tables"


class Trace(enum.Enum):
    """Which exposures the run keeps in its trace."""

    all = "all"
    """Every exposure (parent, child, layer, post, step, whether it led to a share)."""
    activations = "activations"
    """Only the exposures that activated their receiver (the diffusion forest)."""


#: What a key with a plausible range is (:func:`_f`'s ``role``).
ROLES = ("world", "lever", "definition", "model")


def _f(default: Any, doc: str, *, lo: float | None = None, hi: float | None = None,
       unit: str = "", claims: tuple[str, ...] = (), source: str = "", kind: str = "",
       hi_source: str = "", plausible: Any = None, log: bool = False, role: str = "") -> Any:
    """A dataclass field with its documentation, provenance and range in ``metadata``.

    Args:
        default: the key's default value.
        doc: what the key means, one or two sentences.
        lo: smallest allowed value, if any.
        hi: largest allowed value, if any.
        unit: the value's unit.
        claims: ids of the claims of the domain brief behind the key (:mod:`sim.claims`);
            checked against the registry here, so an unknown id fails at import.
        source: the provenance in words: what the claims' sources say about the value, or
            ``assumption`` for a default no source gives.
        kind: a further check (``even``).
        hi_source: why ``hi`` is the largest value: a source, or ``assumption: <why>``
            (probabilities and fractions, bounded by 1, need none).
        plausible: for an assumption, its plausible range ``(low, high, why)``: the values a
            robustness study draws worlds from (:mod:`sim.config.assumptions`); ``why`` is the
            calibration interval, a source, or ``assumption: <judgement>``. A mapping from
            the parent section's name to such a range where the same field has different
            ranges in different sections (a layer's ``activity``).
        log: draw the plausible range on a log scale.
        role: ``world`` (an assumption about the world, drawn by robustness studies; the
            default when ``plausible`` is given), ``lever`` (a choice of the brand's, never
            drawn), ``definition`` (a threshold that defines an outcome) or ``model`` (a
            structural switch of the model).
    """
    if role and role not in ROLES:
        raise ValueError(f"role={role!r}: must be one of {', '.join(ROLES)}")
    meta = {"doc": doc, "lo": lo, "hi": hi, "unit": unit, "claims": check_claims(claims),
            "source": source, "kind": kind, "hi_source": hi_source, "plausible": plausible,
            "log": log, "role": role or ("world" if plausible is not None else "")}
    return field(default=default, metadata=meta)


def _nested(factory: Any, doc: str) -> Any:
    return field(default_factory=factory, metadata={"doc": doc})


#: Provenance of the defaults fitted by ``mindshare-calibrate`` to the published facts of
#: ``conf/calibration/targets.yaml`` (values and intervals: ``conf/calibration/fitted.yaml``).
_CALIBRATED = ("calibrated to published cascade and engagement facts (best trial; 10-90% of "
               "accepted trials {}); results/examples/calibration/report.md")


def _cal(interval: str) -> str:
    return _CALIBRATED.format(interval)


_RECEPTIVITY_WHY = ("assumption: C3 measures 1.26; at 10 almost any share probability "
                    "reaches the cap of 1")
_WEIGHT_WHY = ("assumption: at a weight of 50 the share probability is already 0 or 1 to "
               "within 1e-10")


@dataclass
class LayerConfig:
    """One platform (layer): who is on it and how its graph is made (C13, C15)."""

    enabled: bool = _f(True, "Whether this layer exists in the run.")
    membership: float = _f(0.9, "Share of agents who are members of this layer; members are "
                           "drawn independently per layer.", lo=0, hi=1, unit="fraction",
                           claims=("C13",),
                           source="professional ~ 1/3 of personal (500M vs 1.5B)")
    generator: Generator = _f(Generator.community_small_world,
                              "Graph family: community_small_world (clustered, communities), "
                              "preferential_attachment (hubs, company clusters) or file.")
    path: str | None = _f(None, "Graph file when generator=file (edge list, CSV, Parquet or "
                          "GraphML; .gz/.bz2/.xz/.zst read): its nodes are the layer's "
                          "members, one agent per label across all layer files (the same "
                          "label on two files is one person); mapping in nodes.parquet.")
    p: float | None = _f(None, "independent_cascade mode: this layer's probability that one "
                         "exposure convinces (null: p). Full mode has receptivity instead.",
                         lo=0, hi=1, unit="per exposure",
                         source="a setting of the reduction mode, not a measured value")
    mean_degree: int = _f(10, "community_small_world: ring-lattice degree k (even).",
                          lo=2, hi=MAX_DEGREE, unit="edges per node", kind="even",
                          hi_source=_DEGREE_WHY,
        plausible=(6, 20, "assumption: a graph of close contacts, from a few to a "
                   "couple of dozen per member (the platforms' full friend lists"
                   " are larger; the ring lattice stands for the ties a brand "
                   "post travels on)"))
    rewire: float = _f(0.1, "community_small_world: probability that a lattice edge is "
                       "rewired (Watts-Strogatz beta).", lo=0, hi=1, unit="per edge",
        plausible=(0.02, 0.3, "assumption: from a nearly regular lattice to the random end "
                   "of the small-world regime"))
    community_size: float = _f(100.0, "community_small_world: mean community size.",
                               lo=1, hi=MAX_AGENTS, unit="agents", hi_source=_AGENTS_WHY,
        plausible=(30, 300, "assumption: a third to three times the default: a circle of "
                   "friends to a village"))
    mixing: float = _f(0.2, "community_small_world: share of rewired edges that leave the "
                       "community.", lo=0, hi=1, unit="fraction",
        plausible=(0.05, 0.6, "assumption: from closed communities to most rewired ties "
                   "leaving them"))
    m: int = _f(5, "preferential_attachment: edges added per new node (Barabasi-Albert m).",
                lo=1, hi=MAX_DEGREE // 2, unit="edges",
                hi_source="half of " + _DEGREE_WHY + " (the mean degree is about 2 m)",
        plausible=(2, 10, "assumption: from a sparse graph (mean degree about 4) to "
                   "twice the default"))
    company_size: float = _f(20.0, "preferential_attachment: mean company size.", lo=1,
                             hi=MAX_AGENTS, unit="agents", hi_source=_AGENTS_WHY,
        plausible=(5, 100, "assumption: from small firms to large departments"))
    company_degree: float = _f(4.0, "preferential_attachment: mean extra links to colleagues.",
                               lo=0, hi=MAX_DEGREE, unit="edges per node",
                               hi_source=_DEGREE_WHY,
        plausible=(1, 10, "assumption: from one colleague to ten per member"))
    activity: float = _f(0.8, "Probability that a member is active on this layer in a step; "
                         "exposures wait in the feed until then.", lo=0, hi=1,
                         unit="per agent per step",
                         claims=("C15",),
                         source="personal daily, professional less often (assumption)",
        plausible={"personal": (0.5, 0.95, "assumption: from every other day to almost daily"),
                   "professional": (0.1, 0.6, "assumption: from under once a week to more "
                                    "than every other day")})
    p_goal: float = _f(0.25, "Probability that an active member's session mindset is `goal` "
                       "(else `leisure`).", lo=0, hi=1, unit="per session",
                       claims=("C1", "C2"), source="3x more entertainment on personal, 3x more "
                       "career on professional")
    receptivity: float = _f(1.0, "Multiplier on the share probability of brand content on "
                            "this layer (the result is capped at 1).", lo=0, hi=10,
                            unit="factor", claims=("C3",), hi_source=_RECEPTIVITY_WHY,
                            source="professional = 1.26 x personal")


def _personal() -> LayerConfig:
    return LayerConfig()


def _professional() -> LayerConfig:
    return LayerConfig(membership=0.3, generator=Generator.preferential_attachment,
                       activity=0.35, p_goal=0.75, receptivity=1.26)


@dataclass
class TopicConfig:
    """The optional topic platform (C14): agents follow conversations, not people."""

    enabled: bool = _f(False, "Whether the topic layer exists in the run (a third, "
                       "Twitter-like platform; off by default).", claims=("C14",))
    membership: float = _f(0.3, "Share of agents on the topic platform, drawn independently "
                           "of the other layers.", lo=0, hi=1, unit="fraction",
                           source="assumption",
        plausible=(0.1, 0.5, "assumption: a third to five thirds of the default"))
    topic_size: float = _f(50.0, "Mean followers per topic: the number of topics is "
                           "round(members * follows / topic_size), so a share's audience does "
                           "not grow with N.", lo=1, hi=1e7, unit="followers per topic",
                           hi_source="assumption: a conversation with more followers than "
                           "that is a broadcast, not a topic",
                           claims=("C14",), source="assumption",
        plausible=(10, 200, "assumption: a fifth to four times the default"), log=True)
    follows: float = _f(3.0, "Mean topics followed per member (1 + Poisson(follows - 1), "
                        "duplicates merged).", lo=1, hi=1000, unit="topics per member",
                        hi_source="assumption: more conversations than one person can follow",
                        claims=("C14",),
                        source="n people follow m conversations (assumption)",
        plausible=(1.5, 10, "assumption: half to about three times the default"))
    popularity: float = _f(0.5, "Zipf exponent of topic popularity: topic t is chosen with "
                           "weight (t + 1)^-popularity (0: all alike).", lo=0, hi=5,
                           hi_source="assumption: at 5 the second topic already gets only "
                           "2^-5 = 3% of the first one's follows",
                           source="assumption",
        plausible=(0.0, 1.5, "assumption: from equally popular topics to a strong head"))
    visibility: float = _f(0.1, "Probability that a follower of a topic gets a given post of "
                           "that topic in its feed (topic feeds are crowded).", lo=0, hi=1,
                           unit="per follower per post", source="assumption",
        plausible=(0.02, 0.3, "assumption: a fifth to three times the default"), log=True)
    activity: float = _f(0.5, "Probability that a member is active on the topic layer in a "
                         "step.", lo=0, hi=1, unit="per agent per step",
                         claims=("C15",), source="assumption",
        plausible=(0.2, 0.8, "assumption: between the professional and the personal "
                   "defaults and beyond"))
    p_goal: float = _f(0.5, "Probability that an active member's session mindset is `goal`.",
                       lo=0, hi=1, unit="per session", source="assumption",
        plausible=(0.25, 0.75, "assumption: between the personal and the professional "
                   "layers' values"))
    receptivity: float = _f(1.0, "Multiplier on the share probability of brand content on "
                            "the topic layer.", lo=0, hi=10, unit="factor",
                            hi_source=_RECEPTIVITY_WHY,
                            source="assumption",
        plausible=(0.8, 1.3, "assumption: around the personal value 1, up to the "
                   "professional 1.26"))


@dataclass
class NetworkConfig:
    """The multiplex: one population, one graph per platform (C6, C13, C14)."""

    personal: LayerConfig = _nested(_personal, "The personal (Facebook-like) layer.")
    professional: LayerConfig = _nested(_professional,
                                        "The professional (LinkedIn-like) layer.")
    topic: TopicConfig = _nested(TopicConfig, "The optional topic (Twitter-like) layer.")
    crosspost: float = _f(0.103, "Probability that a sharer also posts the content on each of "
                          "its other layers.", lo=0, hi=1, unit="per share per layer",
                          claims=("C6",), source=_cal("0.017-0.11"),
        plausible=(0.017, 0.11, "the calibration's 10-90% interval of accepted trials"))
    feed_ttl: int = _f(8, "Steps an unseen exposure stays in a member's feed before it "
                       "expires.", lo=1, hi=MAX_STEPS, unit="steps", source=_cal("4-7"),
                       hi_source=_STEPS_WHY,
        plausible=(4, 8, "the calibration's 10-90% interval of accepted trials (4-7), "
                   "widened to the calibrated default 8"))


class Cadence(enum.Enum):
    """When a strategy's posts go out (C11)."""

    regular = "regular"
    """One post every ``strategy.interval`` steps."""
    bursty = "bursty"
    """Bursts of ``strategy.burst`` posts on consecutive steps, the same mean rate."""


class Seeding(enum.Enum):
    """Who receives a post's paid placements on a layer (C9)."""

    random = "random"
    degree = "degree"
    """Most-followed members ("influencers"): highest degree on the layer."""
    engagement = "engagement"
    """Most engaged members ("ambassadors"): highest loyalty, then most past shares."""
    community = "community"
    """One member in each of the largest communities (companies on the professional layer)."""
    kcore = "kcore"
    """Members of the innermost k-cores."""


@dataclass
class PopulationConfig:
    """Agent traits drawn once per run (stream ``population``; C4, C11)."""

    drivers: float = _f(2.0, "Dirichlet concentration of each agent's weights over the "
                        "emotional drivers {fun, ambition, security, achievement}; large = "
                        "everyone alike.", lo=0.01, hi=1000, claims=("C4",), source="assumption",
                        hi_source="assumption: at 1000 every agent's weights are equal to "
                        "within 3%",
        plausible=(0.5, 10, "assumption: from agents driven by one emotion each to nearly"
                   " alike agents"), log=True)
    loyalty_mean: float = _f(0.3, "Mean initial loyalty L (Beta distributed).", lo=0.001,
                             hi=0.999, claims=("C11",), source="assumption",
                             hi_source="the mean of a Beta distribution is below 1",
        plausible=(0.15, 0.5, "assumption: half to 1.7 times the default"))
    loyalty_concentration: float = _f(10.0, "Concentration a+b of the initial loyalty's Beta "
                                      "distribution.", lo=0.01, hi=1e6,
                                      hi_source="assumption: at 1e6 every agent starts "
                                      "at the mean loyalty to within 0.001",
                                      source="assumption",
        plausible=(3, 30, "assumption: a third to three times the default"), log=True)


@dataclass
class ShareConfig:
    """Coefficients of the share rule (C2-C7), on the logit scale.

    ``P = min(1, receptivity * sigmoid(logit(p) + fit*(fit_c - 0.5) + emotion*(res - 0.5)
    + loyalty*(L - 0.5) + incentive*inc + social*ln(s) - fatigue*ln(1 + f)))``.
    """

    fit: float = _f(0.666, "Weight of content fit with the session mindset (entertainment fits "
                    "leisure, insight fits goal).", lo=0, hi=50, unit="logit per unit fit",
                    hi_source=_WEIGHT_WHY, claims=("C1", "C2"), source=_cal("0.18-0.80"),
        plausible=(0.18, 0.80, "the calibration's 10-90% interval of accepted trials"))
    emotion: float = _f(2.0, "Weight of emotional resonance (activated drivers . tone).",
                        lo=0, hi=50, unit="logit per unit resonance", claims=("C4",),
                        hi_source=_WEIGHT_WHY, source="assumption",
        plausible=(0.5, 3.0, "assumption: the emotion experiment's lowest level to 1.5 "
                   "times the default; the calibration cannot pin it (README, "
                   "The calibrated defaults)"))
    loyalty: float = _f(2.0, "Weight of the agent's loyalty L.", lo=0, hi=50,
                        unit="logit per unit loyalty", claims=("C11",), source="assumption",
                        hi_source=_WEIGHT_WHY,
        plausible=(0.5, 4.0, "assumption: a quarter to twice the default"))
    incentive: float = _f(1.5, "Weight of the post's incentive level.", lo=0, hi=50,
                          unit="logit per unit incentive", claims=("C7",), source="assumption",
                        hi_source=_WEIGHT_WHY,
        plausible=(0.5, 3.0, "assumption: a third to twice the default"))
    social: float = _f(0.857, "Weight of social reinforcement: ln of the number of sharing "
                       "contacts seen for this post.", lo=0, hi=50,
                       unit="logit per ln(contacts)", claims=("C6",), source=_cal("0.59-1.11"),
                        hi_source=_WEIGHT_WHY,
        plausible=(0.59, 1.11, "the calibration's 10-90% interval of accepted trials"))
    fatigue: float = _f(0.174, "Weight of fatigue: ln(1 + brand exposures seen before).", lo=0,
                        hi=50, unit="logit per ln(exposures)", source=_cal("0.099-0.81"),
                        hi_source=_WEIGHT_WHY,
        plausible=(0.099, 0.81, "the calibration's 10-90% interval of accepted trials"))
    threshold: int = _f(1, "Complex contagion: sharing contacts an agent must have seen for a "
                        "post before it can share it (1 = simple contagion).", lo=1, hi=1000,
                        hi_source="assumption: more sharing contacts than almost any member "
                        "of a social graph has",
                        unit="contacts", claims=("C6",), source="assumption",
        plausible=(1, 2, "assumption: simple contagion or two contacts; a structural "
                   "choice, not drawn"), role="model")


@dataclass
class LoyaltyConfig:
    """Loyalty dynamics (C11, C12): saturating growth with engagement, decay without it."""

    growth: float = _f(0.15, "Growth on a step with engagement: L += growth * q * (1 - L), q "
                       "the step's best engagement quality (1 for a share).", lo=0, hi=1,
                       unit="per step", claims=("C11",), source="assumption",
        plausible=(0.05, 0.3, "assumption: a third to twice the default"))
    decay: float = _f(0.03, "Drift back to the agent's initial loyalty B on a step without "
                      "engagement: L = B + (L - B) * (1 - decay).", lo=0, hi=1,
                      unit="per step", claims=("C11",), source="assumption",
        plausible=(0.01, 0.1, "assumption: a third to about three times the default"), log=True)
    spacing: float = _f(5.0, "Spacing effect: an engagement dt steps after the previous one "
                        "gains only 1 - exp(-dt / spacing) of the full growth, so consecutive "
                        "days add little (0: no such effect).", lo=0, hi=1000, unit="steps",
                        hi_source="assumption: longer than any campaign, so growth stays "
                        "near 0",
                        claims=("C11",), source="consistency over bursts (assumption)",
        plausible=(0.0, 10.0, "assumption: from no spacing effect to twice the default (the"
                   " sign of consistency vs bursts turns within this range)"))
    loyal: float = _f(0.7, "Loyalty at or above which an agent counts as loyal.", lo=0, hi=1,
                      claims=("C12",), source="assumption",
        plausible=(0.6, 0.8, "assumption: a definition of the outcome, not a fact about "
                   "the world"), role="definition")
    detractor: float = _f(0.15, "Loyalty below which a detection makes a detractor.", lo=0,
                          hi=1, claims=("C12",), source="assumption",
        plausible=(0.1, 0.25, "assumption: a definition of the outcome, not a fact about "
                   "the world"), role="definition")


@dataclass
class AuthenticityConfig:
    """Inauthentic content and backlash (C10)."""

    detection: float = _f(0.05, "Probability that seeing fully inauthentic content reveals "
                          "it; scaled by (1 - authenticity).", lo=0, hi=1, unit="per exposure",
                          claims=("C10",), source="assumption",
        plausible=(0.01, 0.2, "assumption: a fifth to four times the default"), log=True)
    cut: float = _f(0.5, "Share of loyalty lost on detection.", lo=0, hi=1,
                    claims=("C10",), source="assumption",
        plausible=(0.2, 0.8, "assumption: from a fifth to most of the loyalty lost"))
    backlash: float = _f(0.08, "Probability of relaying negative word of mouth, scaled by "
                         "(1 - L).", lo=0, hi=1, unit="per exposure", claims=("C10", "C12"),
                         source="assumption",
        plausible=(0.02, 0.2, "assumption: a quarter to 2.5 times the default"))
    wom_cut: float = _f(0.1, "Share of loyalty lost per negative word-of-mouth exposure seen.",
                        lo=0, hi=1, claims=("C10",), source="assumption",
        plausible=(0.03, 0.3, "assumption: a third to three times the default"))


@dataclass
class OwnedConfig:
    """The brand's owned channel (C8)."""

    conversion: float = _f(0.5, "Probability that a share of a post with a call to action "
                           "converts the sharer, times its loyalty L.", lo=0, hi=1,
                           unit="per share", claims=("C8",), source="assumption",
        plausible=(0.1, 0.8, "assumption: a fifth to 1.6 times the default"))
    p_goal: float = _f(0.5, "Probability of a goal mindset when reading the owned channel.",
                       lo=0, hi=1, source="assumption",
        plausible=(0.25, 0.75, "assumption: between the personal and the professional "
                   "layers' values"))


#: Euro per US dollar: the ECB's euro foreign exchange reference rate of 28 February 2025,
#: 1 EUR = 1.0411 USD; every default below that a source gives in USD is divided by it
#: (docs/prices.md shows the arithmetic).
USD_PER_EUR = 1.0411
_NANO_FIT = ("fitted to Hootsuite, 'Instagram influencer rates' (blog, undated): "
             "nano-influencers (1,000-10,000 followers) charge $25-$150 per post; the line "
             "through (1,000, $25) and (10,000, $150)")


@dataclass
class PriceConfig:
    """The price of a paid placement on one layer: ``base + cpm * followers / 1000`` (C9).

    ``followers`` is the seeded member's degree on the layer. Prices are in EUR.
    """

    base: float = _f(10.67, "Fixed part of a placement's price, whatever the audience.",
                     lo=0.01, hi=MAX_MONEY, unit="EUR per placement", claims=("C9",),
                     source=_NANO_FIT + " meets 0 followers at $11.11 = 10.67 EUR "
                     "(extrapolated below 1,000 followers: assumption)",
                     hi_source=_MONEY_WHY,
                     plausible=(5.34, 21.34, "assumption: half to twice the fitted intercept, "
                                "which is extrapolated below 1,000 followers"))
    cpm: float = _f(13.34, "Price per thousand followers of the seeded member on the layer.",
                    lo=0, hi=MAX_MONEY, unit="EUR per 1,000 followers", claims=("C9",),
                    source=_NANO_FIT + " rises $13.89 per 1,000 followers = 13.34 EUR",
                    hi_source=_MONEY_WHY)


@dataclass
class ProfessionalPriceConfig(PriceConfig):
    """The price of a paid placement on the professional layer (C9, C13).

    The personal line, its cpm scaled by how much dearer professional audiences are.
    """

    base: float = _f(10.67, "Fixed part of a placement's price, whatever the audience.",
                     lo=0.01, hi=MAX_MONEY, unit="EUR per placement", claims=("C9",),
                     source="assumption: the personal base (a creator's fee for making the "
                     "post does not depend on the platform); plausible 5-50 EUR",
                     hi_source=_MONEY_WHY,
        plausible=(5.0, 50.0, "assumption: the range docs/prices.md gives"))
    cpm: float = _f(57.17, "Price per thousand followers of the seeded member on the layer.",
                    lo=0, hi=MAX_MONEY, unit="EUR per 1,000 followers", claims=("C9", "C13"),
                    source="personal cpm 13.34 EUR x 45/10.5, the ratio of LinkedIn's to "
                    "Meta's ad CPM (midpoints of $30-60 and $6-15: Prooflytics 2026, 'CPM "
                    "benchmarks by platform')", hi_source=_MONEY_WHY)


@dataclass
class BudgetConfig:
    """Budget and prices in EUR: strategies are compared at equal ``total`` (C7-C9).

    A post pays its production (one variant per platform when adapted), its placements at
    audience prices (ambassadors: a perk each instead), rewards for incentivised shares, and
    the owned channel's upkeep (README, "Budget and prices"; sources in docs/prices.md).
    """

    total: float = _f(3000.0, "Budget of the campaign, in euros: 10 generic posts at the "
                      "default quality and about 18 placements each at default prices.",
                      lo=0, hi=MAX_MONEY, unit="EUR", hi_source=_MONEY_WHY,
                      source="assumption: a small campaign; plausible 500-50,000 EUR",
        plausible=(500, 50000, "assumption: a small to a mid-size campaign"), log=True,
        role="lever")
    personal: PriceConfig = _nested(PriceConfig, "Placement prices on the personal layer "
                                    "(and on a layer read from a file).")
    professional: ProfessionalPriceConfig = _nested(ProfessionalPriceConfig, "Placement "
                                                    "prices on the professional layer.")
    ambassador: float = _f(9.61, "Perk paid per placement on an ambassador (seeding="
                           "engagement), instead of the audience price.", lo=0.01,
                           hi=MAX_MONEY, unit="EUR per placement", claims=("C9",),
                           source="SocialLadder, 'How to reward brand ambassadors' (blog, "
                           "undated): a $10 reward per promotional task = 9.61 EUR",
                           hi_source=_MONEY_WHY)
    reward: float = _f(2.0, "Reward for one incentivised share at incentive level 1 (times "
                       "strategy.incentive).", lo=0, hi=MAX_MONEY, unit="EUR per share",
                       claims=("C7",), source="assumption: a voucher or discount; "
                       "plausible 0.5-10 EUR", hi_source=_MONEY_WHY,
        plausible=(0.5, 10.0, "assumption: a voucher or discount"))
    owned: float = _f(0.0192, "Upkeep of the owned channel per member and 30 days, charged "
                      "daily (1/30 of it per member and step).", lo=0, hi=MAX_MONEY,
                      unit="EUR per member per 30 days", claims=("C8",),
                      source="novaexpress.ai (2025), 'Email marketing pricing models': "
                      "Mailchimp Standard $100/month for 5,000 contacts = $0.02 = 0.0192 EUR",
                      hi_source=_MONEY_WHY)
    post_base: float = _f(19.21, "Production cost of one content variant of zero quality.",
                          lo=0, hi=MAX_MONEY, unit="EUR per variant", claims=("C5",),
                          source="amalthefilm.com, 'How much should you charge for social "
                          "media post designing' (undated): $20-$200 per post by experience; $20 = "
                          "19.21 EUR (the bottom of the range)", hi_source=_MONEY_WHY)
    post_premium: float = _f(86.45, "Production cost per unit of quality (entertainment + "
                             "insight, 0-2) of a variant: a variant costs post_base + "
                             "post_premium * (entertainment + insight).", lo=0, hi=MAX_MONEY,
                             unit="EUR per unit of quality", claims=("C5",),
                             source="the same range: quality 2 costs $200, so ($200 - $20) "
                             "/ 2 = $90 = 86.45 EUR per unit (mapping designer experience "
                             "to quality: assumption)", hi_source=_MONEY_WHY,
                             plausible=(43.0, 86.45, "assumption: from half the default to the "
                                        "default, which prices quality 2 at the top of the "
                                        "source's range"))


@dataclass
class Variant:
    """One version of a content item: its value and its emotional tone (C2, C4, C5)."""

    entertainment: float = _f(0.6, "Entertainment value; the fit for a leisure mindset.",
                              lo=0, hi=1)
    insight: float = _f(0.4, "Insight / analysis value; the fit for a goal mindset.", lo=0,
                        hi=1)
    fun: float = _f(0.5, "Tone on the fun driver.", lo=0, hi=1)
    ambition: float = _f(0.2, "Tone on the ambition driver.", lo=0, hi=1)
    security: float = _f(0.2, "Tone on the security driver.", lo=0, hi=1)
    achievement: float = _f(0.2, "Tone on the achievement driver.", lo=0, hi=1)


def _v(e: float, i: float, fun: float, amb: float, sec: float, ach: float) -> Any:
    return field(default_factory=lambda: Variant(e, i, fun, amb, sec, ach),
                 metadata={"doc": "content variant"})


@dataclass
class StrategyConfig:
    """A brand strategy: what is posted, when, where, to whom, and how (C5-C11)."""

    name: str = _f("broadcast", "Strategy name (one of conf/strategy/*.yaml, or your own).")
    posts: int = _f(10, "Posts in the campaign.", lo=1, hi=10_000,
                    hi_source="assumption: a post a day for 27 years")
    cadence: Cadence = _f(Cadence.regular, "regular, or bursty (same posts, grouped).",
                          claims=("C11",))
    interval: int = _f(5, "Steps between posts (regular); bursts start every interval * "
                       "burst steps.", lo=1, hi=MAX_STEPS, unit="steps",
                       hi_source=_STEPS_WHY)
    burst: int = _f(5, "Posts per burst (bursty cadence).", lo=1, hi=10_000,
                    hi_source="at most strategy.posts' largest value")
    first_post: int = _f(0, "Step of the first post.", lo=0, hi=MAX_STEPS, unit="step",
                         hi_source=_STEPS_WHY)
    split: float = _f(0.3, "Share of seeded placements on the professional layer.", lo=0,
                      hi=1, claims=("C13",), source="assumption",
        plausible=(0.1, 0.6, "assumption: a strategy's choice"), role="lever")
    seeding: Seeding = _f(Seeding.random, "Who gets the seeded placements.", claims=("C9",))
    adapted: bool = _f(False, "One content variant per platform (else the generic variant "
                       "everywhere).", claims=("C5",))
    generic: Variant = _v(0.6, 0.4, 0.5, 0.2, 0.2, 0.2)
    personal: Variant = _v(0.9, 0.2, 0.6, 0.1, 0.1, 0.1)
    professional: Variant = _v(0.2, 0.9, 0.1, 0.3, 0.3, 0.3)
    incentive: float = _f(0.0, "Incentive level offered for sharing (deals, rewards).", lo=0,
                          hi=1, claims=("C7",))
    incentive_budget: float = _f(0.0, "Share of the budget set aside to pay incentives, "
                                 "released in equal parts as each post goes out (unspent "
                                 "parts carry over); the offer stops while the released "
                                 "money is spent.", lo=0, hi=1, claims=("C7",))
    cta: bool = _f(False, "Posts carry a call to action to the owned channel.", claims=("C8",))
    authenticity: float = _f(1.0, "Authenticity of the content (1 = honest).", lo=0, hi=1,
                             claims=("C10",))
    listening: bool = _f(False, "Reallocate each post's placements between layers by Thompson "
                         "sampling on the engagement observed so far.", claims=("C9",))


@dataclass
class OutputConfig:
    """What a run writes besides ``summary.json`` and ``timeseries.parquet``."""

    trace: Trace = _f(Trace.all, "Exposures kept in trace.parquet: all, or only those that "
                      "activated their receiver.")
    write_trace: bool = _f(True, "Write trace.parquet (the exposure trace).")
    chart: bool = _f(True, "Write reach.png: people reached and engaged per channel, by day.")
    cascade_chart: bool = _f(False, "Write cascade.png: one post's diffusion tree (who passed "
                             "it to whom, on which network, by day), drawn from "
                             "activations.parquet, which every run writes.")
    cascade_post: int | None = _f(None, "Post drawn in cascade.png (0 = the first post); null: "
                                  "the post with the run's largest diffusion tree.", lo=0,
                                  hi=9_999, hi_source="posts are numbered below "
                                  "strategy.posts, at most 10000")
    progress: bool = _f(True, "Log progress of long runs: layers that took over a second to "
                        "build, and every 5 s the step, elapsed time and time left.")


#: Largest replicate index (replicate + replicates stays within int64).
MAX_REPLICATE = 2**62


@dataclass
class Config:
    """One run: population, layers, share rule, horizon, seed.

    ``p`` and ``seeds`` are the headline knobs; in ``mode=independent_cascade`` every other
    effect is off (activity 1, no cross-posting, one decision per exposure) and the run goes on
    until no exposure is left, ``steps`` being only a cap.
    """

    name: str = _f("default", "Run name; output directories are grouped under it.")
    mode: Mode = _f(Mode.full, "full, or independent_cascade (reduction mode).")
    seed: int = _f(0, "Root seed of the run's SeedSequence.", lo=0, hi=MAX_INT64,
                   hi_source=_INT64_WHY)
    replicate: int = _f(0, "Replicate index, the SeedSequence spawn key; replicates of two "
                        "strategies with the same index share their random numbers.", lo=0,
                        hi=MAX_REPLICATE,
                        hi_source=_INT64_WHY + ", replicate + replicates included")
    replicates: int = _f(1, "Replicates run one after the other by one job: replicate, "
                         "replicate + 1, ..., each in its own run directory replicate=<r> "
                         "(1: a single run writes straight into its directory). Sweeps batch "
                         "replicates to keep overhead low (README, Sweeps).", lo=1, hi=100_000,
                         hi_source="assumption: 1e5 replicates give a proportion to +-0.3 "
                         "percentage points (95%)")
    n: int = _f(10_000, "Number of agents (ignored when graph is set: n = nodes in the file; "
                "left at 10000 with layer files: n = the labels they name; a smaller n is "
                "refused, a larger one adds agents without a label).",
                lo=2, hi=MAX_AGENTS, unit="agents", hi_source=_AGENTS_WHY)
    steps: int = _f(60, "Horizon (a cap in independent_cascade mode).", lo=1,
                    hi=MAX_STEPS, unit="steps (days)", hi_source=_STEPS_WHY)
    graph: str | None = _f(None, "Edge list or GraphML file: when set, the run has this one "
                           "layer (named graph) instead of personal and professional.")
    p: float = _f(0.0208, "Base share probability per exposure, sigmoid(b0).", lo=0, hi=1,
                  unit="per exposure", source=_cal("0.012-0.023"),
                  plausible=(0.012, 0.0231, "the calibration's 10-90% interval of accepted "
                             "trials"), log=True)
    multiplex: bool = _f(False, "independent_cascade mode: an activated agent exposes its "
                         "neighbours on every layer it is on (the multiplex independent "
                         "cascade); false: on the layer it was activated on only.")
    seeds: int = _f(10, "Seed agents of the post in independent_cascade mode, drawn at random "
                    "among members (in full mode the strategy's budget sets the seeds).",
                    lo=1, hi=MAX_AGENTS, unit="agents", hi_source=_AGENTS_WHY)
    network: NetworkConfig = _nested(NetworkConfig, "Layers and cross-posting.")
    population: PopulationConfig = _nested(PopulationConfig, "Agent traits.")
    share: ShareConfig = _nested(ShareConfig, "Share rule coefficients.")
    loyalty: LoyaltyConfig = _nested(LoyaltyConfig, "Loyalty dynamics.")
    authenticity: AuthenticityConfig = _nested(AuthenticityConfig, "Detection and backlash.")
    owned: OwnedConfig = _nested(OwnedConfig, "Owned channel.")
    budget: BudgetConfig = _nested(BudgetConfig, "Budget and costs.")
    strategy: StrategyConfig = _nested(StrategyConfig, "The brand's strategy.")
    output: OutputConfig = _nested(OutputConfig, "Extra outputs.")

    def __post_init__(self) -> None:
        validate(self)


def _walk(obj: Any, prefix: str = "") -> Iterator[tuple[str, dataclasses.Field, Any]]:
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        key = f"{prefix}{f.name}"
        if dataclasses.is_dataclass(value):
            yield from _walk(value, key + ".")
        else:
            yield key, f, value


def _number(x: float) -> str:
    """A bound as written in messages: exactly (``1e+10``, ``2^63 - 1``, ``36500``, ``0.5``)."""
    if not isinstance(x, int) or abs(x) < 10**6:
        return f"{x:g}"
    if float(f"{x:g}") == x:
        return f"{x:g}"
    for k in range(32, 65):
        if x in (2**k, 2**k - 1):
            return f"2^{k}" + (" - 1" if x == 2**k - 1 else "")
    return str(x)


def _allowed(meta: dict) -> str:
    lo, hi = meta.get("lo"), meta.get("hi")
    if lo is not None and hi is not None:
        return f"must be in [{_number(lo)}, {_number(hi)}]"
    if lo is not None:
        return f"must be >= {_number(lo)}"
    return f"must be <= {_number(hi)}"


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _kind_error(hint: Any, value: Any, meta: dict) -> str | None:
    """What is wrong with the type of ``value`` for a field typed ``hint``; None if nothing.

    ``bool`` is not a number, ``str`` is not an int, a float is not an int (a config read by
    Hydra has its values converted already; a :class:`Config` built or changed in Python has
    not).
    """
    ranged = f" {_allowed(meta).removeprefix('must be ')}" if (
        meta.get("lo") is not None or meta.get("hi") is not None) else ""
    got = type(value).__name__
    if hint is bool:
        return None if isinstance(value, bool) else f"must be true or false, not {got}"
    if hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return None
        return f"must be an integer{ranged}, not {got}"
    if hint is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return None
        return f"must be a number{ranged}, not {got}"
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        if isinstance(value, hint):
            return None
        return f"must be one of {' / '.join(m.value for m in hint)} ({hint.__name__}), not {got}"
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return None if isinstance(value, hint) else f"must be a {hint.__name__}, not {got}"
    args = typing.get_args(hint)                      # str | None
    if args and str in args:
        return None if value is None or isinstance(value, str) else (
            f"must be a string or null, not {got}")
    if args and float in args:                        # float | None
        return None if value is None or (isinstance(value, (int, float)) and not isinstance(
            value, bool)) else f"must be a number{ranged} or null, not {got}"
    if hint is str:
        return None if isinstance(value, str) else f"must be a string, not {got}"
    return None


def _check_types(obj: Any, prefix: str = "") -> None:
    hints = _hints(type(obj))
    for f in dataclasses.fields(obj):
        value, key = getattr(obj, f.name), f"{prefix}{f.name}"
        problem = _kind_error(hints[f.name], value, f.metadata)
        if problem:
            raise ConfigError(key, value, problem)
        if dataclasses.is_dataclass(value):
            _check_types(value, key + ".")


def validate(config: Config) -> None:
    """Check every type, range and cross-key constraint; raise :class:`ConfigError` at the first.

    Args:
        config: a fully typed config (``OmegaConf.to_object`` calls this via ``__post_init__``;
            :func:`sim.simulate` again, for a config changed after it was made).

    Raises:
        ConfigError: one line naming the dotted key, the value and what is allowed.
    """
    if not isinstance(config, Config):
        raise ConfigError("config", config, "must be a Config (sim.load_config([...]))")
    _check_types(config)
    for key, f, value in _walk(config):
        meta = f.metadata
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(key, value, "must be a finite number")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            lo, hi = meta.get("lo"), meta.get("hi")
            if (lo is not None and value < lo) or (hi is not None and value > hi):
                raise ConfigError(key, value, _allowed(meta))
        if meta.get("kind") == "even" and value % 2:
            raise ConfigError(key, value, "must be an even integer")
    for name in ("personal", "professional"):
        layer: LayerConfig = getattr(config.network, name)
        if config.graph is None and layer.enabled and layer.generator is Generator.file:
            _check_file(f"network.{name}.path", layer.path)
    if config.mode is Mode.full:
        if config.multiplex:
            raise ConfigError("multiplex", True, "applies to mode=independent_cascade only (in "
                              "full mode sharers reach their other layers by "
                              "network.crosspost)")
        for name in ("personal", "professional"):
            if getattr(config.network, name).p is not None:
                raise ConfigError(f"network.{name}.p", getattr(config.network, name).p,
                                  "applies to mode=independent_cascade only (full mode: "
                                  f"p and network.{name}.receptivity)")
    _check_cascade_post(config)
    if config.network.topic.enabled and config.mode is Mode.independent_cascade:
        raise ConfigError("network.topic.enabled", True, "must be false in "
                          "mode=independent_cascade (reduction mode runs on graphs only)")
    if config.graph is not None:
        _check_file("graph", config.graph)
    elif not (config.network.personal.enabled or config.network.professional.enabled):
        raise ConfigError("network.personal.enabled", False,
                          "at least one layer must be enabled (or set graph=PATH)")


def _check_cascade_post(config: Config) -> None:
    """Refuse a cascade post that cannot be drawn: no chart asked for, or no such post."""
    post = config.output.cascade_post
    if post is None:
        return
    if not config.output.cascade_chart:
        raise ConfigError("output.cascade_post", post, "applies only with "
                          "output.cascade_chart=true (set it, or leave cascade_post null)")
    posts = config.strategy.posts if config.mode is Mode.full else 1
    if post >= posts:
        where = (f"strategy.posts={posts}" if config.mode is Mode.full
                 else "mode=independent_cascade, which has one post")
        raise ConfigError("output.cascade_post", post, f"must be below {posts} ({where}; "
                          "posts are numbered from 0), or null for the run's largest tree")


#: What a path names when it is not a regular file, by ``stat`` type test.
_FILE_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"),
               (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
               (stat.S_ISSOCK, "a socket"))


#: Compressed graph files by suffix: the codec that opens them.
COMPRESSED = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz", ".zst": "zstd", ".zstd": "zstd"}


def compression(path: str) -> str | None:
    """The codec of a compressed graph file, by its suffix (:data:`COMPRESSED`), or None."""
    return COMPRESSED.get(os.path.splitext(str(path).lower())[1])


def file_kind(mode: int) -> str:
    """``"a regular file"``, ``"a directory"``, ``"a character device"``, ... for a stat mode."""
    for test, kind in _FILE_KINDS:
        if test(mode):
            return kind
    return "a regular file" if stat.S_ISREG(mode) else "not a regular file"


def _check_file(key: str, path: str | None) -> None:
    """Refuse a graph path that names no readable regular file, before any work.

    Devices (``/dev/zero`` never ends), named pipes (reading one without a writer waits
    forever), sockets and directories are refused here; parsing errors come at load, and a
    file larger than the memory available is refused by the memory check
    (:mod:`sim.guards.memory`).
    """
    if path is None or path == "":
        raise ConfigError(key, path, "a path to an edge list or GraphML file is required")
    try:
        info = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise ConfigError(key, path, f"is a symbolic link to '{os.readlink(path)}', "
                              "which does not exist") from None
        raise ConfigError(key, path, "file does not exist") from None
    except OSError as e:
        raise ConfigError(key, path, f"cannot be read ({e.strerror or e})") from None
    if not stat.S_ISREG(info.st_mode):
        via = f" (through a symbolic link to '{os.path.realpath(path)}')" if os.path.islink(
            path) else ""
        raise ConfigError(key, path, f"is {file_kind(info.st_mode)}{via}, not a regular file; "
                          "expected an edge list or GraphML file")
    if not os.access(path, os.R_OK):
        raise ConfigError(key, path, "file is not readable (permission denied)")


def config_dict(config: Config) -> dict[str, Any]:
    """The config as plain nested dicts of str, int, float, bool and None (enums by value)."""
    def plain(value: Any) -> Any:
        if dataclasses.is_dataclass(value):
            return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, enum.Enum):
            return value.value
        return value
    return plain(config)


def dotted_keys(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dicts to dotted keys: ``{"share": {"fit": 1}}`` -> ``{"share.fit": 1}``."""
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, Mapping):
            flat.update(dotted_keys(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def config_hash(config: Config) -> str:
    """A 16-hex-digit fingerprint of every key of a resolved config, seed and replicate included.

    Two runs with the same hash compute the same numbers. It is the ``sha256`` of the canonical
    JSON of :func:`config_dict` (sorted keys, floats by ``repr``).
    """
    text = json.dumps(config_dict(config), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def replicate_configs(config: Config, replicates: Iterable[int]) -> list[tuple[Config, str]]:
    """``config`` at each replicate ``r``, with its :func:`config_hash`, made cheaply.

    The same configs and hashes as ``dataclasses.replace(config, replicate=r)`` and
    ``config_hash`` of it, without validating and converting the whole config once per
    replicate (a sweep's planning makes one per run): only ``replicate`` differs, so each is
    a shallow copy of ``config`` (they share its nested sections, which nothing mutates) and
    its hash comes from one dict of ``config`` with the replicate set.

    Raises:
        ConfigError: on ``replicate``, for an ``r`` outside its allowed range.
    """
    tree = config_dict(config)
    out = []
    for r in replicates:
        r = int(r)
        if not 0 <= r <= MAX_REPLICATE:
            raise ConfigError("replicate", r, f"must be in [0, {MAX_REPLICATE}]")
        run = copy.copy(config)
        run.replicate = r
        tree["replicate"] = r
        text = json.dumps(tree, sort_keys=True, separators=(",", ":"))
        out.append((run, hashlib.sha256(text.encode()).hexdigest()[:16]))
    return out
