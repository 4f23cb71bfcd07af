"""The headline outcomes a report compares, and how each is named, read and worded.

Every outcome is a ``summary.json`` key. It says which direction is better (or that none is),
how a difference is best told to a room (a ratio, "1.8x more", or a difference in points or
days), and the sentence a takeaway title uses. Strategy display names live here too.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Layers whose people reached and engaged a report breaks out, in this order.
LAYERS = ("personal", "professional", "topic", "graph", "owned")
#: Who the people of each layer are, in a sentence ("reaches 1.8x more professionals").
LAYER_PEOPLE = {"personal": "people on personal networks", "professional": "professionals",
                "topic": "topic followers", "graph": "people", "owned": "owned-channel members"}


@dataclass(frozen=True)
class Outcome:
    """One headline outcome.

    The words follow the README's vocabulary: people *reached* saw the content (or were
    seeded with it), people *engaged* shared it of their own accord, people *seeded* had it
    placed on them.

    Attributes:
        key: its ``summary.json`` key.
        label: axis and table label, with its unit.
        short: a few words for titles ("people reached", "mean loyalty").
        better: ``"higher"``, ``"lower"`` or ``None`` (no better direction).
        compare: ``"ratio"`` (tell "1.8x more") or ``"difference"`` (tell "+3 points").
        scale: factor from the stored value to the told value (100 for fractions in points).
        unit: unit of the told difference ("points", "days"), for ``compare="difference"``.
        sentence: takeaway template with ``{a}``, ``{b}`` (display names) and ``{amount}``.
        undefined: what a table shows where the value is undefined (a cost per person when
            nobody was gained).
    """

    key: str
    label: str
    short: str
    better: str | None
    compare: str
    sentence: str
    scale: float = 1.0
    unit: str = ""
    undefined: str = "n/a"


def _reached(layer: str) -> Outcome:
    return Outcome(f"reached_{layer}", f"People reached on the {layer} network (saw it)",
                   f"{layer} people reached", "higher", "ratio",
                   "{a} reaches {amount} more " + LAYER_PEOPLE[layer] + " than {b}")


def _engaged(layer: str) -> Outcome:
    return Outcome(f"engaged_{layer}", f"People engaged on the {layer} network (shared)",
                   f"{layer} people engaged", "higher", "ratio",
                   "{a} gets {amount} more " + LAYER_PEOPLE[layer] + " sharing than {b}")


OUTCOMES: dict[str, Outcome] = {o.key: o for o in [
    Outcome("reached", "People reached (saw the content or were seeded)", "people reached",
            "higher", "ratio", "{a} reaches {amount} more people than {b}"),
    Outcome("engaged", "People engaged (shared, seeds aside)", "people engaged", "higher",
            "ratio", "{a} gets {amount} more people sharing than {b}"),
    *(_reached(layer) for layer in LAYERS),
    *(_engaged(layer) for layer in LAYERS),
    Outcome("shares", "Shares", "shares", "higher", "ratio",
            "{a} earns {amount} more shares than {b}"),
    Outcome("reproduction_number", "Reproduction number R (shares caused per first-generation "
            "sharer)", "reproduction number", "higher", "ratio",
            "{a} gets {amount} more shares out of each first-generation sharer than {b}"),
    Outcome("structural_virality", "Structural virality (hops)", "structural virality",
            "higher", "ratio", "{a} spreads in {amount} deeper cascades than {b}"),
    Outcome("days_to_half_engaged", "Days until half of the people engaged had shared",
            "days to half engaged", "lower", "difference",
            "{a} gets half its sharers {amount} sooner than {b}", unit="days"),
    Outcome("mean_loyalty", "Mean loyalty at the end (points of 100)", "mean loyalty",
            "higher", "difference", "{a} ends {amount} higher on loyalty than {b}",
            scale=100.0, unit="points"),
    Outcome("loyalty_gain", "Loyalty gained (points of 100)", "loyalty gained", "higher",
            "difference", "{a} builds {amount} more loyalty than {b}", scale=100.0,
            unit="points"),
    Outcome("loyal_share", "Loyal customers (share of people)", "loyal customers", "higher",
            "ratio", "{a} makes {amount} more loyal customers than {b}"),
    Outcome("detractor_share", "Detractors (share of people)", "detractors", "lower",
            "ratio", "{a} makes {amount} fewer detractors than {b}"),
    Outcome("owned_members", "Owned-channel members", "owned-channel members", "higher",
            "ratio", "{a} brings {amount} more people to the owned channel than {b}"),
    Outcome("loyalty_gain_per_eur", "Loyalty gained per EUR (loyalty points summed over "
            "people)", "loyalty per EUR", "higher", "ratio",
            "{a} buys {amount} more loyalty per euro than {b}"),
    Outcome("cost_per_reached", "Cost per person reached (EUR)", "cost per person reached",
            "lower", "ratio", "{a} reaches a person for {amount} less than {b}",
            undefined="nobody reached"),
    Outcome("cost_per_engaged", "Cost per person engaged (EUR)", "cost per person engaged",
            "lower", "ratio", "{a} gets a person sharing for {amount} less than {b}",
            undefined="nobody engaged"),
    Outcome("cost_per_loyal_gained", "Cost per loyal customer gained (EUR)",
            "cost per loyal customer", "lower", "ratio",
            "{a} makes a loyal customer for {amount} less than {b}",
            undefined="none gained"),
    Outcome("cost_per_owned_member", "Cost per owned-channel member (EUR)",
            "cost per owned-channel member", "lower", "ratio",
            "{a} brings a person to the owned channel for {amount} less than {b}",
            undefined="no member"),
]}

#: Display names of the strategies of ``conf/strategy/``; others are shown as written.
#: Each is the subject of a singular verb in titles ("Influencer seeding reaches ...").
STRATEGY_NAMES = {
    "broadcast": "Broadcast", "adapted": "Adapted content",
    "ambassadors": "Ambassador seeding", "influencers": "Influencer seeding",
    "communities": "Community seeding", "core": "Core seeding",
    "brand_centric": "Brand-centric", "incentives": "Sharing rewards",
    "listening": "Listening", "emotional_pro": "Emotional pro content",
    "rational_pro": "Rational pro content", "promotional": "Promotional content",
    "bursty": "Bursty posting", "inauthentic": "Inauthentic content",
}


#: Display names of other arms (``conf/network/`` choices).
ARM_NAMES = {"network=both": "Personal + professional", "network=personal": "Personal only",
             "network=professional": "Professional only"}


def display(arm: str) -> str:
    """How an arm is named on a slide.

    ``adapted`` -> ``Adapted content``, ``network=both`` -> ``Personal + professional``,
    ``split=0.3`` as is.
    """
    if arm in STRATEGY_NAMES:
        return STRATEGY_NAMES[arm]
    if arm in ARM_NAMES:
        return ARM_NAMES[arm]
    if "=" in arm:
        return arm
    text = arm.replace("_", " ")
    return text[:1].upper() + text[1:]


def told(outcome: Outcome, better: float, worse: float) -> str | None:
    """How much better ``better`` is than ``worse``, as told in a title.

    For example "1.8x", "12%", "3 points", "2 days"; ``None`` when it cannot be told (a zero
    or missing baseline).
    """
    if outcome.compare == "ratio":
        hi, lo = (better, worse) if outcome.better != "lower" else (worse, better)
        if not (lo > 0 and hi >= lo):
            return None
        ratio = hi / lo
        if ratio >= 9.95:
            return f"{ratio:.0f}x"
        if ratio >= 1.095:
            return f"{ratio:.1f}x"
        pct = 100 * (ratio - 1)
        # below 1% two significant digits, so a real gain never reads "0% more"
        return f"{pct:.0f}%" if pct >= 0.95 else f"{pct:.2g}%"
    gap = abs(better - worse) * outcome.scale
    digits = 0 if gap >= 10 else 1
    return f"{gap:.{digits}f} {outcome.unit}".strip()


def fmt(outcome: Outcome | None, value: float) -> str:
    """A value as shown in tables and on charts (shares in %, loyalty in points)."""
    if value != value:  # NaN
        return outcome.undefined if outcome is not None else "n/a"
    key = outcome.key if outcome else ""
    if outcome is not None and outcome.scale != 1.0:
        return f"{value * outcome.scale:.1f}"
    if key.endswith("_share") or key == "reached_fraction":
        return f"{100 * value:.1f}%"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"
