"""The claims of the domain brief (C1-C15), as data, and which claims each shipped experiment tests.

This is the one place that says what each claim states, where it comes from and which mechanism
of the model implements it.

The config schema tags its keys with claim ids, the config reference and the README cite them,
and the reports name the claims a sweep tests; all of them read this registry, so an id is
written once and a typo fails loudly (:func:`claim` raises :class:`UnknownClaimError`).

The sources are the five articles the brief is written from, by file name (their three-digit
prefix is how the brief cites them). This module imports nothing of ``sim``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

#: The source articles, by the prefix the brief cites them with.
SOURCES: Mapping[str, str] = MappingProxyType({
    "000": "000_33512cf43e7110fd.txt",
    "001": "001_d6a02f9cd637104e.txt",
    "002": "002_37d4918b4112d77e.txt",
    "003": "003_625253423fa7e0dd.txt",
    "004": "004_6364f863466a9b4d.txt",
})


class UnknownClaimError(LookupError):
    """A claim id that the registry does not have."""


class UnknownExperimentError(LookupError):
    """An experiment name that is not one of the shipped experiments."""


@dataclass(frozen=True)
class Claim:
    """One claim of the domain brief.

    Attributes:
        id: ``C1`` .. ``C15``.
        statement: what the source articles claim, in one sentence.
        phrase: the claim in a few words, for slides.
        sources: the source articles' file names.
        mechanism: the mechanism of the model that implements it, in one line.
    """

    id: str
    statement: str
    phrase: str
    sources: tuple[str, ...]
    mechanism: str

    @property
    def number(self) -> int:
        """The claim's number (``C13`` -> 13), its order in lists."""
        return int(self.id[1:])


@dataclass(frozen=True)
class Experiment:
    """A shipped experiment (``conf/experiment/<name>.yaml``) and the claims it tests.

    Attributes:
        name: the experiment's name.
        claims: ids of the claims it tests, in numeric order (none for a utility such as the
            reduction mode).
    """

    name: str
    claims: tuple[str, ...]


def _claim(number: int, statement: str, phrase: str, sources: str, mechanism: str) -> Claim:
    """A claim from its number and the prefixes of its sources (``"002 003"``)."""
    return Claim(id=f"C{number}", statement=statement, phrase=phrase,
                 sources=tuple(SOURCES[p] for p in sources.split()), mechanism=mechanism)


_CLAIMS = (
    _claim(1, "Social networks are not equal: on personal networks people spend time "
              "(relaxed, entertainment), on professional networks they invest it "
              "(goal-oriented, career).",
           "people spend time on personal networks, invest it on professional ones", "000",
           "each layer has a mindset distribution: an active member's session is leisure or "
           "goal (`network.*.p_goal`)"),
    _claim(2, "People are 3x more likely to use personal networks for entertainment and 3x more "
              "likely to use professional networks to stay on top of their career.",
           "3x more entertainment on personal, 3x more career on professional networks", "000",
           "content fit depends on the mindset: entertainment fits leisure, insight fits goal "
           "(`share.fit`)"),
    _claim(3, "Professional-network users expect to hear more about brands there (+26%) and "
              "want analyses.",
           "professional users expect brands (+26% receptivity)", "000",
           "a per-layer brand receptivity multiplies the share probability "
           "(`network.*.receptivity`)"),
    _claim(4, "Emotion works on professional networks too: ambition, security and achievement "
              "are strong there, and the myth that only personal networks are emotional is "
              "wrong.",
           "emotion works on professional networks too", "000",
           "content has an emotional tone over {fun, ambition, security, achievement}; "
           "resonance = driver weights . tone, drivers activated by the mindset "
           "(`share.emotion`)"),
    _claim(5, "Brands must adapt each content to each platform.",
           "adapt each content to each platform", "000",
           "a content item has one variant per layer (adapted) or one for all (generic) "
           "(`strategy.adapted`)"),
    _claim(6, "Followers should relay messages into their own networks of influence, and links "
              "grow \"exponentially, like a virus\".",
           "followers relay messages into their own networks", "000 004",
           "sharing is a cascade along each layer's graph, with cross-posts to the sharer's "
           "other layers (`network.crosspost`)"),
    _claim(7, "Users want fun, simplicity and direct benefits, and love sharing good deals with "
              "friends.",
           "fun, simple, direct benefits and deals get shared", "001",
           "an incentive raises the share probability and costs budget (`strategy.incentive`)"),
    _claim(8, "Networks should bring consumers to the brand (social login, owned channels), not "
              "keep them inside the network.",
           "bring consumers to the brand's owned channels", "001",
           "a call to action converts sharers to the owned channel, whose members get later "
           "posts directly (`strategy.cta`)"),
    _claim(9, "Follower or like counts do not make or break a campaign; listening to "
              "communities does.",
           "listening to communities beats follower counts", "002",
           "seeding policies (followers, engagement, random, per community, k-core) and "
           "listening, which reallocates placements (`strategy.seeding`, `strategy.listening`)"),
    _claim(10, "Forcing a perception against what a community says is counter-productive, and "
               "lying destroys brand value.",
           "forcing a perception or lying destroys brand value", "002 003",
           "inauthentic content can be detected, cuts loyalty and can start a backlash cascade "
           "(`strategy.authenticity`)"),
    _claim(11, "Engagement is repeated interactions that build emotional investment: be "
               "consistent, not there one day and gone the next.",
           "engagement is consistent, repeated interaction", "003",
           "loyalty L in [0, 1] grows with engagement and drifts back without it; regular or "
           "bursty cadence (`loyalty.growth`, `strategy.cadence`)"),
    _claim(12, "Loyalty or rejection is decided quickly and loudly online.",
           "loyalty or rejection is decided quickly and loudly", "003",
           "loyal (L >= 0.7) and detractor states are outcomes, beside reach "
           "(`loyalty.loyal`, `loyalty.detractor`)"),
    _claim(13, "Facebook suits B2C and LinkedIn B2B; LinkedIn has about 500M members against "
               "more than 1.5B for Facebook.",
           "professional networks are about a third of personal ones", "004",
           "layer membership: professional membership about 1/3 of personal "
           "(`network.*.membership`)"),
    _claim(14, "On Twitter n people follow m conversations, through hashtags and interest "
               "groups.",
           "people follow conversations (topics), not only people", "004",
           "an optional third, topic layer: a share into a topic reaches its active followers "
           "(`network.topic.enabled`)"),
    _claim(15, "Networks enter private space at relaxed moments, when people are receptive.",
           "people are receptive at relaxed moments", "004",
           "a per-layer activity rate: the chance a member is active in a step "
           "(`network.*.activity`)"),
)

#: Every claim by id, in numeric order.
CLAIMS: Mapping[str, Claim] = MappingProxyType({c.id: c for c in _CLAIMS})

_EXPERIMENTS = (
    Experiment("mindset_divide", ("C1", "C2", "C3", "C5")),
    Experiment("emotion_professional", ("C4",)),
    Experiment("influence_seeding", ("C9",)),
    Experiment("brand_centric", ("C8",)),
    Experiment("relationship_quality", ("C10", "C11", "C12")),
    Experiment("viral_threshold", ("C6",)),
    Experiment("independent_cascade", ()),
)

#: Every shipped experiment by name (``conf/experiment/<name>.yaml``).
EXPERIMENTS: Mapping[str, Experiment] = MappingProxyType({e.name: e for e in _EXPERIMENTS})


@dataclass(frozen=True)
class Hypothesis:
    """A claim stated as a testable statement about one outcome of a sweep.

    Either a comparison of two arms (``better`` against ``worse``, paired by replicate within
    each cell of the sweep) or a trend over a factor (``trend``: the outcome at the factor's
    largest value against its smallest, paired by replicate, within each value of the other
    factors). The report gives each a verdict from the paired difference's interval.

    Attributes:
        claim: the claim it tests (``C1`` .. ``C15``).
        outcome: the ``summary.json`` key it is about (``engaged``, ``loyalty_gain``, ...).
        better: the arm the claim says does better (a strategy name, or ``network=both``).
        worse: the arm it does better than.
        trend: instead of two arms, the factor over which the outcome is claimed to move.
        higher: whether "better" (or the trend) means a higher value of the outcome (``False``
            for outcomes such as detractors, where better is lower).
        statement: the statement in words, for slides.
    """

    claim: str
    outcome: str
    statement: str
    better: str | None = None
    worse: str | None = None
    trend: str | None = None
    higher: bool = True

    def __post_init__(self) -> None:
        """Check the claim id and that the statement is a comparison or a trend, not both."""
        if self.claim not in CLAIMS:
            raise UnknownClaimError(f"unknown claim {self.claim!r} in a hypothesis")
        if (self.trend is None) == (self.better is None or self.worse is None):
            raise ValueError(f"hypothesis on {self.outcome!r}: give better and worse, or trend")


_HYPOTHESES: dict[str, tuple[Hypothesis, ...]] = {
    "mindset_divide": (
        Hypothesis("C5", "engaged", "Adapted content gets more people to share than one "
                   "generic post everywhere", better="adapted", worse="broadcast"),
        Hypothesis("C2", "engaged_professional", "Adapted content (insight for goal-minded "
                   "sessions) gets more professionals to share than generic content",
                   better="adapted", worse="broadcast"),
        Hypothesis("C5", "loyalty_gain", "Adapted content builds more loyalty than generic "
                   "content", better="adapted", worse="broadcast"),
    ),
    "emotion_professional": (
        Hypothesis("C4", "engaged", "Emotional content gets more professionals to share than "
                   "purely rational content", better="emotional_pro", worse="rational_pro"),
        Hypothesis("C4", "loyalty_gain", "Emotional content builds more loyalty on the "
                   "professional network than rational content", better="emotional_pro",
                   worse="rational_pro"),
    ),
    "influence_seeding": (
        Hypothesis("C9", "engaged", "Seeding one member per community gets more people to "
                   "share than seeding the members with the most followers",
                   better="communities", worse="influencers"),
        Hypothesis("C9", "reached", "Seeding per community reaches more people than seeding "
                   "by follower count", better="communities", worse="influencers"),
    ),
    "brand_centric": (
        Hypothesis("C8", "owned_members", "A call to action brings more people to the brand's "
                   "owned channel", better="brand_centric", worse="broadcast"),
        Hypothesis("C8", "loyalty_gain", "Bringing sharers to the owned channel builds more "
                   "loyalty", better="brand_centric", worse="broadcast"),
        Hypothesis("C8", "audience_decay", "With an owned channel, the audience wears out "
                   "less from post to post", better="brand_centric", worse="broadcast",
                   higher=False),
    ),
    "relationship_quality": (
        Hypothesis("C10", "loyalty_gain", "Authentic content builds more loyalty than "
                   "inauthentic content", better="broadcast", worse="inauthentic"),
        Hypothesis("C10", "detractor_share", "Inauthentic content makes more detractors than "
                   "authentic content", better="broadcast", worse="inauthentic", higher=False),
        Hypothesis("C11", "loyalty_gain", "Consistent posting builds more loyalty than one "
                   "burst of the same posts", better="broadcast", worse="bursty"),
        Hypothesis("C12", "loyal_share", "Authentic, consistent content makes more loyal "
                   "customers than inauthentic content in one burst", better="broadcast",
                   worse="promotional"),
    ),
    "viral_threshold": (
        Hypothesis("C6", "reached_fraction", "The share of people reached rises with the share "
                   "probability p, on every network", trend="p"),
    ),
}

#: Each shipped experiment's claims as testable statements, by experiment name.
HYPOTHESES: Mapping[str, tuple[Hypothesis, ...]] = MappingProxyType(_HYPOTHESES)


def claim(claim_id: str) -> Claim:
    """The claim with this id.

    Args:
        claim_id: ``C1`` .. ``C15``.

    Raises:
        UnknownClaimError: the registry has no such claim.
    """
    try:
        return CLAIMS[claim_id]
    except (KeyError, TypeError):
        raise UnknownClaimError(
            f"unknown claim {claim_id!r}: the claims are {', '.join(CLAIMS)}") from None


def check(claim_ids: Iterable[str]) -> tuple[str, ...]:
    """``claim_ids`` as a tuple, each checked against the registry.

    Raises:
        UnknownClaimError: at the first id the registry does not have.
    """
    return tuple(claim(c).id for c in claim_ids)


def ordered(claim_ids: Iterable[str]) -> list[str]:
    """Distinct claim ids in numeric order (``C2`` before ``C10``), each checked.

    Raises:
        UnknownClaimError: at the first id the registry does not have.
    """
    return [c.id for c in sorted({claim(c) for c in claim_ids}, key=lambda c: c.number)]


def experiment(name: str) -> Experiment:
    """The shipped experiment with this name.

    Raises:
        UnknownExperimentError: no shipped experiment has this name.
    """
    try:
        return EXPERIMENTS[name]
    except KeyError:
        raise UnknownExperimentError(f"unknown experiment {name!r}: the shipped experiments are "
                                f"{', '.join(EXPERIMENTS)}") from None


for _e in _EXPERIMENTS:
    check(_e.claims)  # a typo in the table above fails at import, not in a report
    if not {h.claim for h in _HYPOTHESES.get(_e.name, ())} <= set(_e.claims):
        raise UnknownClaimError(f"{_e.name}: a hypothesis tests a claim the experiment does "
                                "not name")
if not set(_HYPOTHESES) <= set(EXPERIMENTS):
    raise UnknownExperimentError("a hypothesis of an experiment that is not shipped")
del _e
