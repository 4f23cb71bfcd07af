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

import dataclasses
import enum
import hashlib
import json
import math
import os
from collections.abc import Iterator
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


class Trace(enum.Enum):
    """Which exposures the run keeps in its trace."""

    all = "all"
    """Every exposure (parent, child, layer, post, step, whether it led to a share)."""
    activations = "activations"
    """Only the exposures that activated their receiver (the diffusion forest)."""


def _f(default: Any, doc: str, *, lo: float | None = None, hi: float | None = None,
       unit: str = "", claims: tuple[str, ...] = (), source: str = "", kind: str = "") -> Any:
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
    """
    meta = {"doc": doc, "lo": lo, "hi": hi, "unit": unit, "claims": check_claims(claims),
            "source": source, "kind": kind}
    return field(default=default, metadata=meta)


def _nested(factory: Any, doc: str) -> Any:
    return field(default_factory=factory, metadata={"doc": doc})


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
    path: str | None = _f(None, "Edge list or GraphML file when generator=file; its nodes "
                          "are the layer's members (relabelled 0..n-1, mapping kept).")
    mean_degree: int = _f(10, "community_small_world: ring-lattice degree k (even).",
                          lo=2, unit="edges per node", kind="even")
    rewire: float = _f(0.1, "community_small_world: probability that a lattice edge is "
                       "rewired (Watts-Strogatz beta).", lo=0, hi=1, unit="per edge")
    community_size: float = _f(100.0, "community_small_world: mean community size.",
                               lo=1, unit="agents")
    mixing: float = _f(0.2, "community_small_world: share of rewired edges that leave the "
                       "community.", lo=0, hi=1, unit="fraction")
    m: int = _f(5, "preferential_attachment: edges added per new node (Barabasi-Albert m).",
                lo=1, unit="edges")
    company_size: float = _f(20.0, "preferential_attachment: mean company size.", lo=1,
                             unit="agents")
    company_degree: float = _f(4.0, "preferential_attachment: mean extra links to colleagues.",
                               lo=0, unit="edges per node")
    activity: float = _f(0.8, "Probability that a member is active on this layer in a step; "
                         "exposures wait in the feed until then.", lo=0, hi=1,
                         unit="per agent per step",
                         claims=("C15",),
                         source="personal daily, professional less often (assumption)")
    p_goal: float = _f(0.25, "Probability that an active member's session mindset is `goal` "
                       "(else `leisure`).", lo=0, hi=1, unit="per session",
                       claims=("C1", "C2"), source="3x more entertainment on personal, 3x more "
                       "career on professional")
    receptivity: float = _f(1.0, "Multiplier on the share probability of brand content on "
                            "this layer (the result is capped at 1).", lo=0, hi=10,
                            unit="factor", claims=("C3",),
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
                           source="assumption")
    topic_size: float = _f(50.0, "Mean followers per topic: the number of topics is "
                           "round(members * follows / topic_size), so a share's audience does "
                           "not grow with N.", lo=1, hi=1e7, unit="followers per topic",
                           claims=("C14",), source="assumption")
    follows: float = _f(3.0, "Mean topics followed per member (1 + Poisson(follows - 1), "
                        "duplicates merged).", lo=1, hi=1000, unit="topics per member",
                        claims=("C14",),
                        source="n people follow m conversations (assumption)")
    popularity: float = _f(0.5, "Zipf exponent of topic popularity: topic t is chosen with "
                           "weight (t + 1)^-popularity (0: all alike).", lo=0, hi=5,
                           source="assumption")
    visibility: float = _f(0.1, "Probability that a follower of a topic gets a given post of "
                           "that topic in its feed (topic feeds are crowded).", lo=0, hi=1,
                           unit="per follower per post", source="assumption")
    activity: float = _f(0.5, "Probability that a member is active on the topic layer in a "
                         "step.", lo=0, hi=1, unit="per agent per step",
                         claims=("C15",), source="assumption")
    p_goal: float = _f(0.5, "Probability that an active member's session mindset is `goal`.",
                       lo=0, hi=1, unit="per session", source="assumption")
    receptivity: float = _f(1.0, "Multiplier on the share probability of brand content on "
                            "the topic layer.", lo=0, hi=10, unit="factor",
                            source="assumption")


@dataclass
class NetworkConfig:
    """The multiplex: one population, one graph per platform (C6, C13, C14)."""

    personal: LayerConfig = _nested(_personal, "The personal (Facebook-like) layer.")
    professional: LayerConfig = _nested(_professional,
                                        "The professional (LinkedIn-like) layer.")
    topic: TopicConfig = _nested(TopicConfig, "The optional topic (Twitter-like) layer.")
    crosspost: float = _f(0.1, "Probability that a sharer also posts the content on each of "
                          "its other layers.", lo=0, hi=1, unit="per share per layer",
                          claims=("C6",), source="assumption")
    feed_ttl: int = _f(3, "Steps an unseen exposure stays in a member's feed before it "
                       "expires.", lo=1, unit="steps", source="assumption")


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
                        "everyone alike.", lo=0.01, hi=1000, claims=("C4",), source="assumption")
    loyalty_mean: float = _f(0.3, "Mean initial loyalty L (Beta distributed).", lo=0.001,
                             hi=0.999, claims=("C11",), source="assumption")
    loyalty_concentration: float = _f(10.0, "Concentration a+b of the initial loyalty's Beta "
                                      "distribution.", lo=0.01, hi=1e6,
                                      source="assumption")


@dataclass
class ShareConfig:
    """Coefficients of the share rule (C2-C7), on the logit scale.

    ``P = min(1, receptivity * sigmoid(logit(p) + fit*(fit_c - 0.5) + emotion*(res - 0.5)
    + loyalty*(L - 0.5) + incentive*inc + social*ln(s) - fatigue*ln(1 + f)))``.
    """

    fit: float = _f(3.0, "Weight of content fit with the session mindset (entertainment fits "
                    "leisure, insight fits goal).", lo=0, hi=50, unit="logit per unit fit",
                    claims=("C1", "C2"), source="assumption")
    emotion: float = _f(2.0, "Weight of emotional resonance (activated drivers . tone).",
                        lo=0, hi=50, unit="logit per unit resonance", claims=("C4",),
                        source="assumption")
    loyalty: float = _f(2.0, "Weight of the agent's loyalty L.", lo=0, hi=50,
                        unit="logit per unit loyalty", claims=("C11",), source="assumption")
    incentive: float = _f(1.5, "Weight of the post's incentive level.", lo=0, hi=50,
                          unit="logit per unit incentive", claims=("C7",), source="assumption")
    social: float = _f(0.5, "Weight of social reinforcement: ln of the number of sharing "
                       "contacts seen for this post.", lo=0, hi=50,
                       unit="logit per ln(contacts)", claims=("C6",), source="assumption")
    fatigue: float = _f(0.3, "Weight of fatigue: ln(1 + brand exposures seen before).", lo=0,
                        hi=50, unit="logit per ln(exposures)", source="assumption")
    threshold: int = _f(1, "Complex contagion: sharing contacts an agent must have seen for a "
                        "post before it can share it (1 = simple contagion).", lo=1, hi=1000,
                        unit="contacts", claims=("C6",), source="assumption")


@dataclass
class LoyaltyConfig:
    """Loyalty dynamics (C11, C12): saturating growth with engagement, decay without it."""

    growth: float = _f(0.15, "Growth on a step with engagement: L += growth * q * (1 - L), q "
                       "the step's best engagement quality (1 for a share).", lo=0, hi=1,
                       unit="per step", claims=("C11",), source="assumption")
    decay: float = _f(0.03, "Drift back to the agent's initial loyalty B on a step without "
                      "engagement: L = B + (L - B) * (1 - decay).", lo=0, hi=1,
                      unit="per step", claims=("C11",), source="assumption")
    spacing: float = _f(5.0, "Spacing effect: an engagement dt steps after the previous one "
                        "gains only 1 - exp(-dt / spacing) of the full growth, so consecutive "
                        "days add little (0: no such effect).", lo=0, hi=1000, unit="steps",
                        claims=("C11",), source="consistency over bursts (assumption)")
    loyal: float = _f(0.7, "Loyalty at or above which an agent counts as loyal.", lo=0, hi=1,
                      claims=("C12",), source="assumption")
    detractor: float = _f(0.15, "Loyalty below which a detection makes a detractor.", lo=0,
                          hi=1, claims=("C12",), source="assumption")


@dataclass
class AuthenticityConfig:
    """Inauthentic content and backlash (C10)."""

    detection: float = _f(0.05, "Probability that seeing fully inauthentic content reveals "
                          "it; scaled by (1 - authenticity).", lo=0, hi=1, unit="per exposure",
                          claims=("C10",), source="assumption")
    cut: float = _f(0.5, "Share of loyalty lost on detection.", lo=0, hi=1,
                    claims=("C10",), source="assumption")
    backlash: float = _f(0.08, "Probability of relaying negative word of mouth, scaled by "
                         "(1 - L).", lo=0, hi=1, unit="per exposure", claims=("C10", "C12"),
                         source="assumption")
    wom_cut: float = _f(0.1, "Share of loyalty lost per negative word-of-mouth exposure seen.",
                        lo=0, hi=1, claims=("C10",), source="assumption")


@dataclass
class OwnedConfig:
    """The brand's owned channel (C8)."""

    conversion: float = _f(0.5, "Probability that a share of a post with a call to action "
                           "converts the sharer, times its loyalty L.", lo=0, hi=1,
                           unit="per share", claims=("C8",), source="assumption")
    p_goal: float = _f(0.5, "Probability of a goal mindset when reading the owned channel.",
                       lo=0, hi=1, source="assumption")


@dataclass
class BudgetConfig:
    """Budget and costs: strategies are compared at equal ``total`` (C7, C9)."""

    total: float = _f(100.0, "Budget of the campaign.", lo=0, unit="budget units")
    post: float = _f(2.0, "Cost of producing and publishing one post.", lo=0,
                     unit="units per post", source="assumption")
    seed_personal: float = _f(0.5, "Cost of one seeded placement on the personal layer.",
                              lo=0.001, unit="units per seed", source="assumption")
    seed_professional: float = _f(1.0, "Cost of one seeded placement on the professional "
                                  "layer.", lo=0.001, unit="units per seed",
                                  source="assumption")
    incentive: float = _f(0.2, "Cost of rewarding one incentivised share, times the "
                          "incentive level.", lo=0, unit="units per share",
                          claims=("C7",), source="assumption")


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
    posts: int = _f(10, "Posts in the campaign.", lo=1, hi=10_000)
    cadence: Cadence = _f(Cadence.regular, "regular, or bursty (same posts, grouped).",
                          claims=("C11",))
    interval: int = _f(5, "Steps between posts (regular); bursts start every interval * "
                       "burst steps.", lo=1, unit="steps")
    burst: int = _f(5, "Posts per burst (bursty cadence).", lo=1)
    first_post: int = _f(0, "Step of the first post.", lo=0, unit="step")
    split: float = _f(0.3, "Share of seeded placements on the professional layer.", lo=0,
                      hi=1, claims=("C13",), source="assumption")
    seeding: Seeding = _f(Seeding.random, "Who gets the seeded placements.", claims=("C9",))
    adapted: bool = _f(False, "One content variant per platform (else the generic variant "
                       "everywhere).", claims=("C5",))
    generic: Variant = _v(0.6, 0.4, 0.5, 0.2, 0.2, 0.2)
    personal: Variant = _v(0.9, 0.2, 0.6, 0.1, 0.1, 0.1)
    professional: Variant = _v(0.2, 0.9, 0.1, 0.3, 0.3, 0.3)
    incentive: float = _f(0.0, "Incentive level offered for sharing (deals, rewards).", lo=0,
                          hi=1, claims=("C7",))
    incentive_budget: float = _f(0.0, "Share of the budget set aside to pay incentives; "
                                 "incentives stop when it is spent.", lo=0, hi=1)
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
    progress: bool = _f(True, "Log progress of long runs: layers that took over a second to "
                        "build, and every 5 s the step, elapsed time and time left.")


@dataclass
class Config:
    """One run: population, layers, share rule, horizon, seed.

    ``p`` and ``seeds`` are the headline knobs; in ``mode=independent_cascade`` every other
    effect is off (activity 1, no cross-posting, one decision per exposure) and the run goes on
    until no exposure is left, ``steps`` being only a cap.
    """

    name: str = _f("default", "Run name; output directories are grouped under it.")
    mode: Mode = _f(Mode.full, "full, or independent_cascade (reduction mode).")
    seed: int = _f(0, "Root seed of the run's SeedSequence.", lo=0)
    replicate: int = _f(0, "Replicate index, the SeedSequence spawn key; replicates of two "
                        "strategies with the same index share their random numbers.", lo=0)
    replicates: int = _f(1, "Replicates run one after the other by one job: replicate, "
                         "replicate + 1, ..., each in its own run directory replicate=<r> "
                         "(1: a single run writes straight into its directory). Sweeps batch "
                         "replicates to keep overhead low (README, Sweeps).", lo=1, hi=100_000)
    n: int = _f(10_000, "Number of agents (ignored when graph is set: n = nodes in the file).",
                lo=2, unit="agents")
    steps: int = _f(60, "Horizon (a cap in independent_cascade mode).", lo=1,
                    unit="steps (days)")
    graph: str | None = _f(None, "Edge list or GraphML file: when set, the run has this one "
                           "layer (named graph) instead of personal and professional.")
    p: float = _f(0.15, "Base share probability per exposure, sigmoid(b0).", lo=0, hi=1,
                  unit="per exposure", source="assumption")
    seeds: int = _f(10, "Seed agents of the post in independent_cascade mode, drawn at random "
                    "among members (in full mode the strategy's budget sets the seeds).",
                    lo=1, unit="agents")
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


def _allowed(meta: dict) -> str:
    lo, hi = meta.get("lo"), meta.get("hi")
    if lo is not None and hi is not None:
        return f"must be in [{lo:g}, {hi:g}]"
    if lo is not None:
        return f"must be >= {lo:g}"
    return f"must be <= {hi:g}"


def validate(config: Config) -> None:
    """Check every range and every cross-key constraint; raise :class:`ConfigError` at the first.

    Args:
        config: a fully typed config (``OmegaConf.to_object`` calls this via ``__post_init__``).

    Raises:
        ConfigError: one line naming the dotted key, the value and what is allowed.
    """
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
    if config.network.topic.enabled and config.mode is Mode.independent_cascade:
        raise ConfigError("network.topic.enabled", True, "must be false in "
                          "mode=independent_cascade (reduction mode runs on graphs only)")
    if config.graph is not None:
        _check_file("graph", config.graph)
    elif not (config.network.personal.enabled or config.network.professional.enabled):
        raise ConfigError("network.personal.enabled", False,
                          "at least one layer must be enabled (or set graph=PATH)")


def _check_file(key: str, path: str | None) -> None:
    """Cheap checks that let a bad path fail before any work; parsing errors come at load."""
    if path is None or path == "":
        raise ConfigError(key, path, "a path to an edge list or GraphML file is required")
    if not os.path.exists(path):
        raise ConfigError(key, path, "file does not exist")
    if os.path.isdir(path):
        raise ConfigError(key, path, "is a directory; expected an edge list or GraphML file")
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


def config_hash(config: Config) -> str:
    """A 16-hex-digit fingerprint of every key of a resolved config, seed and replicate included.

    Two runs with the same hash compute the same numbers. It is the ``sha256`` of the canonical
    JSON of :func:`config_dict` (sorted keys, floats by ``repr``).
    """
    text = json.dumps(config_dict(config), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]
