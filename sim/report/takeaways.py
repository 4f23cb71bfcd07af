"""Chart titles that state the takeaway, computed from the statistics, never written by hand.

Every title follows the data: the leader is the arm with the best mean, and a lead is claimed
only when the paired difference with the runner-up is distinguishable from zero (Holm-adjusted
paired t-test, :mod:`sim.report.stats`); otherwise the title says "no clear difference".
Amounts are told as the outcome prefers (:func:`sim.report.outcomes.told`): "1.8x more", "7%
more", "3 points".

A sweep that also varies other factors (its *cells*, e.g. ``p``) never gets a headline pooled
over them: the lead is read within each cell, and a title states the difference per value, as
a range with its values ("4.2x more people than Broadcast at p = 0.15, up to 11.5x at p =
0.06"), or says that the best strategy depends on the factor, with the values where the lead
changes hands. With one replicate no interval can be given, and titles say so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.report.outcomes import LAYER_PEOPLE, OUTCOMES, Outcome, display, fmt, told


@dataclass
class Lead:
    """Who leads on one outcome.

    Attributes:
        outcome: the outcome.
        order: arms, best first.
        means: their means, in that order.
        clear: the best is distinguishable from the runner-up.
        tied: the leading group: the best and the arms ranked right below it that are not
            distinguishable from it, up to the first one that is.
        amount: how much better the best is than the runner-up, as told (or ``None``).
        highs: upper ends of the arms' intervals, in the same order.
        n: fewest replicates of an arm (1: no interval can be given).
        cells: the lead within each cell, when the sweep has several (then ``amount`` is
            ``None`` and ``clear`` means clear in every cell, with the same leader).
    """

    outcome: Outcome
    order: list[str]
    means: list[float]
    clear: bool
    tied: list[str]
    amount: str | None
    highs: list[float] | None = None
    n: int = 2
    cells: dict[str, Lead] = field(default_factory=dict)


def lead(arms: pd.DataFrame, diffs: pd.DataFrame, key: str, cell: str = "all", *,
         within: tuple[pd.DataFrame, pd.DataFrame] | None = None) -> Lead | None:
    """The lead on outcome ``key`` in ``cell``, or ``None`` when the outcome was not compared.

    Args:
        arms: per-arm statistics.
        diffs: paired differences.
        key: the outcome.
        cell: the cell read.
        within: the statistics within each cell (``cell_arms``, ``cell_diffs``); when they
            hold several cells, the lead is read in each cell where two arms ran, and no
            amount is pooled over cells.
    """
    rows = arms[(arms["outcome"] == key) & (arms["cell"] == cell)].sort_values("rank")
    if rows.empty:
        return None
    if within is not None:
        per_cell = cell_leads(*within, key)
        pooled = lead(arms, diffs, key, cell)
        several = within[0]["cell"].nunique() > 1 if len(within[0]) else False
        if per_cell and several and pooled is not None:
            leaders = {ld.order[0] for ld in per_cell.values()}
            pooled.clear = len(leaders) == 1 and all(ld.clear for ld in per_cell.values())
            if not pooled.clear:
                pooled.tied = pooled.order
            pooled.amount, pooled.cells = None, per_cell
            pooled.n = min(ld.n for ld in per_cell.values())
        return pooled
    order, means = rows["arm"].tolist(), rows["mean"].tolist()
    # the leading group: the best and the arms right below it that are not distinguishable
    # from it, stopping at the first that is (a weak arm with a wide interval is no leader)
    flags = rows["tied_best"].tolist()
    stop = flags.index(False) if False in flags else len(flags)
    tied = order[:max(stop, 1)]
    outcome = OUTCOMES[key]
    highs = rows["ci_high"].tolist()
    n = int(rows["n"].min()) if "n" in rows else 2
    if len(order) < 2:
        return Lead(outcome, order, means, False, order, None, highs, n)
    pair = diffs[(diffs["outcome"] == key) & (diffs["cell"] == cell)
                 & (((diffs["arm_a"] == order[0]) & (diffs["arm_b"] == order[1]))
                    | ((diffs["arm_a"] == order[1]) & (diffs["arm_b"] == order[0])))]
    clear = bool(pair["distinguishable"].iloc[0]) if len(pair) else False
    return Lead(outcome, order, means, clear, tied, told(outcome, means[0], means[1]), highs,
                n)


def cell_leads(cell_arms: pd.DataFrame, cell_diffs: pd.DataFrame, key: str) -> dict[str, Lead]:
    """The lead on ``key`` within each cell that ran two arms or more, in the cells' order."""
    if cell_arms.empty:
        return {}
    rows = cell_arms[cell_arms["outcome"] == key]
    out = {}
    for cell in sorted(dict.fromkeys(rows["cell"]), key=cell_order):
        ld = lead(cell_arms, cell_diffs, key, cell)
        if ld is not None and len(ld.order) > 1:
            out[cell] = ld
    return out


def cell_order(label: str) -> list:
    """Sort key of a cell label: ``p=0.06`` before ``p=0.1`` (numbers compared as numbers)."""
    parts = re.split(r"(-?\d+(?:\.\d+)?(?:e-?\d+)?)", label)
    return [(0, float(t), "") if i % 2 else (1, 0.0, t) for i, t in enumerate(parts)]


def _factor(cells: list[str]) -> str:
    """The factors of cell labels: ``["p=0.1", "p=0.15"]`` -> ``p``."""
    keys = dict.fromkeys(part.split("=")[0].strip() for c in cells for part in c.split(","))
    return ", ".join(keys)


def _where(cells: list[str], every: list[str]) -> str:
    """Cells as a phrase: ``p = 0.06 to 0.1`` (consecutive in ``every``) or ``p = 0.06, 0.15``.

    Args:
        cells: the cells told.
        every: all cells, in order (runs of three or more consecutive cells are told as a
            range).
    """
    keys = {c.split("=")[0] for c in cells}
    single = len(keys) == 1 and all("," not in c for c in cells)
    if not single:
        return "; ".join(c.replace("=", " = ") for c in cells)
    values = [c.split("=", 1)[1] for c in cells]
    index = [every.index(c) for c in cells]
    groups: list[list[int]] = []
    for i, k in enumerate(index):
        if groups and k == index[groups[-1][-1]] + 1:
            groups[-1].append(i)
        else:
            groups.append([i])
    parts = [f"{values[g[0]]} to {values[g[-1]]}" if len(g) >= 3 else
             ", ".join(values[i] for i in g) for g in groups]
    return f"{next(iter(keys))} = " + ", ".join(parts)


def _size(o: Outcome, better: float, worse: float) -> float:
    """How much better, as a number to order amounts (the ratio, or the gap)."""
    if o.compare == "ratio":
        hi, lo = (better, worse) if o.better != "lower" else (worse, better)
        return hi / lo if lo > 0 else np.inf
    return abs(better - worse)


def across(cells: dict[str, Lead]) -> str:
    """Title of a comparison made within each cell: per value, as a range, or "depends on".

    Never a figure pooled over the cells: a common leader's amounts are told at the values
    where they are smallest and largest, a leader that changes with the factor is told with
    the values where it leads, and cells with no clear difference are named.
    """
    every = list(cells)
    factor = _factor(every)
    first = next(iter(cells.values()))
    o = first.outcome
    if max(ld.n for ld in cells.values()) < 2:
        return (f"{_cap(o.short)} by {factor}: one replicate per {factor}, so no interval "
                "can be given and no difference is claimed")
    clear = {c: ld for c, ld in cells.items() if ld.clear}
    unclear = [c for c in every if c not in clear]
    if not clear:
        arms = list(dict.fromkeys(a for ld in cells.values() for a in ld.order))
        if any(len(ld.tied) < len(ld.order) for ld in cells.values()):
            # some trail clearly: only the lead is shared
            common = [a for a in arms if all(a in ld.tied for ld in cells.values())]
            shared = (f"; {_group(common)} share the lead at every {factor}"
                      if len(common) > 1 else "")
            return (f"{_cap(o.short)}: no clear leader at any {factor} "
                    f"({_where(every, every)}){shared}")
        who = (f"between {_names(arms)}" if len(arms) == 2
               else f"among the {len(arms)} strategies")
        return (f"{_cap(o.short)}: no clear difference {who} at any {factor} "
                f"({_where(every, every)})")
    leaders = list(dict.fromkeys(ld.order[0] for ld in clear.values()))
    rest = f"; no clear difference at {_where(unclear, every)}" if unclear else ""
    if len(leaders) > 1:
        parts = []
        for arm in leaders:
            mine = [c for c, ld in clear.items() if ld.order[0] == arm]
            parts.append(f"{display(arm)} at {_where(mine, every)}")
        text = f"The best strategy on {o.short} depends on {factor}: " + "; ".join(parts)
        switch = [(a, b) for a, b in zip(every, every[1:], strict=False)
                  if a in clear and b in clear and clear[a].order[0] != clear[b].order[0]]
        if switch and "," not in factor:
            a, b = switch[0]
            text += (f" (the lead changes between {factor} = {a.split('=', 1)[1]} and "
                     f"{b.split('=', 1)[1]})")
        return text + rest
    best = leaders[0]
    seconds = {ld.order[1] for ld in clear.values()}
    sized = sorted(clear.items(), key=lambda kv: _size(o, kv[1].means[0], kv[1].means[1]))
    (c_lo, ld_lo), (c_hi, ld_hi) = sized[0], sized[-1]
    a_lo = told(o, ld_lo.means[0], ld_lo.means[1])
    a_hi = told(o, ld_hi.means[0], ld_hi.means[1])
    where = "at every " + factor if not unclear else "at " + _where(list(clear), every)
    if len(seconds) > 1 or a_lo is None or a_hi is None:
        return f"{display(best)} leads on {o.short} {where}{rest}"
    runner = display(next(iter(seconds)))
    lo_at, hi_at = c_lo.replace("=", " = "), c_hi.replace("=", " = ")
    if a_lo == a_hi or len(clear) == 1:
        sentence = o.sentence.format(a=display(best), b=runner, amount=a_lo)
        at = f"at {lo_at}" if len(clear) == 1 else where
        return f"{sentence} {at}{rest}"
    sentence = o.sentence.format(a=display(best), b=runner, amount=a_lo)
    return f"{sentence} at {lo_at}, up to {a_hi} at {hi_at}{rest}"


def _names(arms: list[str]) -> str:
    names = [display(a) for a in arms]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def ranking(lead_: Lead) -> str:
    """Title of a ranking: "Adapted content reaches 1.8x more people than Broadcast"."""
    o, order = lead_.outcome, lead_.order
    if len(order) < 2:
        return f"{display(order[0])}: {o.short} {_plain(o, lead_.means[0])}"
    if lead_.cells:
        return across(lead_.cells)
    if lead_.n < 2:
        return (f"{_cap(o.short)}: {display(order[0])} has the best mean, in one replicate "
                "each; no interval can be given, no difference is claimed")
    if lead_.clear and lead_.amount:
        sentence = o.sentence.format(a=display(order[0]), b=display(order[1]),
                                     amount=lead_.amount)
        if len(order) == 2:
            return sentence
        return sentence.replace(f" than {display(order[1])}",
                                f" than the next best, {display(order[1])}")
    if len(lead_.tied) == len(order):
        if len(order) == 2:
            return f"{_cap(o.short)}: no clear difference between {_names(order)}"
        return f"{_cap(o.short)}: no clear difference among the {len(order)} strategies"
    return f"{_group(lead_.tied)} lead on {o.short}, with no clear difference between them"


def _group(arms: list[str]) -> str:
    """A leading group, named in full up to three."""
    return _names(arms) if len(arms) <= 3 else f"{display(arms[0])} and {len(arms) - 1} others"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _plain(o: Outcome, value: float) -> str:
    return fmt(o, value)


def over_time(leads: dict[str, Lead], curves: dict[str, pd.DataFrame], horizon: int) -> str:
    """Title of reach over time, from the per-layer leads and the mean curves.

    The layer told is the one where the leader's lead is clear and largest; "from day t" is
    the first step from which the leader's mean stays above every other arm's.

    Args:
        leads: per layer, the lead on ``reached_<layer>``.
        curves: per layer, mean people reached so far by step (index) and arm (columns).
        horizon: the last step.
    """
    # a layer tells only if the leader and the runner-up both have a curve there (an arm of a
    # one-network sweep has none on the other network)
    clear = [(layer, ld) for layer, ld in leads.items() if ld.clear and len(ld.order) > 1
             and layer in curves and set(ld.order[:2]) <= set(curves[layer].columns)]
    if not clear:
        arms = next(iter(leads.values())).order if leads else []
        if len(arms) < 2:
            layer, ld = max(leads.items(), key=lambda kv: kv[1].means[0])
            return (f"Reach builds to {_plain(ld.outcome, ld.means[0])} "
                    f"{LAYER_PEOPLE[layer]} by day {horizon}")
        layer, ld = min(leads.items(), key=lambda kv: len(kv[1].tied) / len(kv[1].order))
        if ld.n < 2:
            return ("Reach over time: one replicate per strategy, so no interval can be given "
                    "and no difference is claimed")
        if len(ld.tied) == len(ld.order):
            return "Reach over time: no clear difference among the strategies on any network"
        where = "" if layer == "graph" else f" on the {layer} network"
        return (f"{_group(ld.tied)} lead{where} by day {horizon}, with no clear difference "
                "between them")
    layer, ld = max(clear, key=lambda kv: kv[1].means[0] / max(kv[1].means[1], 1e-12))
    curve = curves[layer]
    best, rest = ld.order[0], [a for a in ld.order[1:] if a in curve.columns]
    ahead = (curve[best].to_numpy()[:, None] > curve[rest].to_numpy()).all(axis=1)
    behind = np.flatnonzero(~ahead)
    start = int(curve.index[behind[-1] + 1]) if len(behind) else int(curve.index[0])
    when = f"from day {start}" if start > max(int(curve.index[0]), 1) else "from day one"
    where = "" if layer == "graph" else f" on the {layer} network"
    noun = "professionals" if layer == "professional" else "people"
    if ld.cells:                # compared within each cell: no figure pooled over them
        return (f"{display(best)} pulls ahead{where} {when}, at every "
                f"{_factor(list(ld.cells))}")
    if ld.amount is None:       # no ratio to tell (the runner-up reached no one there)
        return (f"{display(best)} pulls ahead{where} {when}: "
                f"{_plain(ld.outcome, ld.means[0])} {noun} by day {horizon}, vs "
                f"{_plain(ld.outcome, ld.means[1])} for {display(rest[0])}")
    return (f"{display(best)} pulls ahead{where} {when}: {ld.amount} more {noun} than "
            f"{display(rest[0])} by day {horizon}")


def tradeoff(frontier: list[str], lead_x: Lead, lead_y: Lead) -> str:
    """Title of virality vs loyalty, from the Pareto frontier and the leads on both outcomes.

    A win is claimed only when both leads are clear.

    Args:
        frontier: arms no other arm beats on both outcomes (by means), by ``x`` descending.
        lead_x: the lead on the horizontal outcome.
        lead_y: the lead on the vertical outcome.
    """
    ox, oy = lead_x.outcome, lead_y.outcome
    top_x, top_y = lead_x.order[0], lead_y.order[0]
    clear = lead_x.clear and lead_y.clear
    if len(frontier) == 1:
        if clear:
            return f"{display(frontier[0])} wins on both {ox.short} and {oy.short}"
        return (f"{display(frontier[0])} has the best means on both {ox.short} and "
                f"{oy.short}, but no clear lead"
                + (" (one replicate: no interval can be given)" if lead_x.n < 2 else ""))
    if clear:
        return (f"No strategy wins both: {display(top_x)} leads on {ox.short}, "
                f"{display(top_y)} on {oy.short}")
    return (f"No clear winner on both: best means, {display(top_x)} on {ox.short} and "
            f"{display(top_y)} on {oy.short}"
            + (" (one replicate: no interval can be given)" if lead_x.n < 2 else ""))


def loyalty_within_cells(cells: dict[str, Lead], horizon: int) -> str:
    """Title of loyalty trajectories pooled over other factors: a leader only, never a figure.

    The panels pool over the cells, so no figure read from them is told; a strategy is named
    only when it leads clearly on loyalty gained within every cell.
    """
    factor = _factor(list(cells))
    leaders = {ld.order[0] for ld in cells.values() if ld.clear}
    if len(leaders) == 1 and all(ld.clear for ld in cells.values()):
        return (f"{display(leaders.pop())} builds the most loyalty at every {factor} swept "
                f"(members' gains by day {horizon}, pooled over {factor})")
    return (f"Members' loyalty gained by day {horizon}, pooled over {factor}: no strategy "
            f"leads clearly at every {factor}")


def members_loyalty(gains: dict[str, dict[str, float]], clear: dict[str, bool],
                    horizon: int) -> str:
    """Title of the loyalty trajectories, from the gains the panels end on.

    Args:
        gains: per layer, per arm, the loyalty its members gained by the last day, in points
            (the value the panel's line ends on).
        clear: per layer, whether the leader there gains clearly more than the runner-up.
        horizon: the last day.
    """
    def where(layer: str) -> str:
        return "" if layer == "graph" else f" on the {layer} network"

    def pts(value: float) -> str:
        return f"{value:+.1f}"

    layers = [layer for layer, by_arm in gains.items() if by_arm]
    arms = list(dict.fromkeys(a for layer in layers for a in gains[layer]))
    if len(arms) == 1:
        parts = [f"{pts(gains[layer][arms[0]])} points{where(layer)}" for layer in layers]
        return f"Members' loyalty changes by {' and '.join(parts)} by day {horizon}"
    ranked = {layer: sorted(gains[layer], key=gains[layer].get, reverse=True)
              for layer in layers if len(gains[layer]) > 1}
    told = [layer for layer in ranked if clear.get(layer)]
    if told:
        layer = max(told, key=lambda x: gains[x][ranked[x][0]] - gains[x][ranked[x][1]])
        best, second = ranked[layer][:2]
        return (f"{display(best)} builds members' loyalty fastest{where(layer)}: "
                f"{pts(gains[layer][best])} points by day {horizon}, vs "
                f"{pts(gains[layer][second])} for {display(second)}")
    values = [v for layer in layers for v in gains[layer].values()]
    return (f"No clear leader on members' loyalty: changes of {pts(min(values))} to "
            f"{pts(max(values))} points by day {horizon}")


def heatmap(best_by_column: list[tuple[str, str, bool]], factor: str) -> str:
    """Title of a two-factor heatmap from the best row of each column (in column order).

    Args:
        best_by_column: ``(column label, best arm, clearly best)`` per column.
        factor: the column factor's short name.
    """
    winners = [arm for _, arm, _ in best_by_column]
    clear = [c for *_, c in best_by_column]
    cols = [c for c, *_ in best_by_column]
    if len(set(winners)) == 1:
        span = f"at every {factor} from {cols[0]} to {cols[-1]}"
        if all(clear):
            return f"{display(winners[0])} reaches the most people {span}"
        if not any(clear):
            return f"{display(winners[0])} has the top mean reach {span}, never clearly"
        return (f"{display(winners[0])} reaches the most people {span}, clearly at "
                f"{sum(clear)} of {len(cols)}")
    # the best of a column is told only where it is clearly the best
    told_cols = [(c, a) for c, a, ok in best_by_column if ok]
    if not told_cols:
        return f"No strategy is clearly the best at any {factor} from {cols[0]} to {cols[-1]}"
    runs, start = [], 0
    for i in range(1, len(told_cols) + 1):
        if i == len(told_cols) or told_cols[i][1] != told_cols[start][1]:
            runs.append((told_cols[start][1], told_cols[start][0], told_cols[i - 1][0]))
            start = i
    parts = [f"{display(a)} for {factor} {lo}" if lo == hi else
             f"{display(a)} for {factor} {lo} to {hi}" for a, lo, hi in runs[:3]]
    rest = [c for c, _, ok in best_by_column if not ok]
    tail = f"; no clear best at {factor} {', '.join(rest)}" if rest else ""
    if len({a for _, a in told_cols}) == 1:
        return f"{display(told_cols[0][1])} is clearly the best for " + \
            ", ".join(p.split(" for ", 1)[1] for p in parts) + tail
    return f"The best strategy depends on {factor}: " + ", ".join(parts) + tail


def threshold(takeoff: dict[str, dict[str, Any]], p_min: float, p_max: float, *,
              across_networks: bool = False) -> str:
    """Title of the viral-threshold chart, from where each curve takes off.

    A take-off is told as the data place it: "between p = 0.06 and p = 0.1" (two swept
    values), "by p = 0.1", "below p = 0.06", or no take-off within the range swept, with the
    reach seen. One arm is said to take off first only when its interval ends where the
    other's begins or before.

    Args:
        takeoff: per layer, per arm, the take-off (:class:`sim.report.charts_sweep.Takeoff`:
            ``kind``, ``low``, ``high``, ``start``, ``end``, ``span``).
        p_min: smallest swept ``p``.
        p_max: largest swept ``p``.
        across_networks: the arms are network choices (``network=...``): compare the
            networks, each at its earliest take-off, rather than the arms on one network.
    """
    def told(t: Any) -> str:
        if t.kind == "below":
            return f"below p = {t.low:g}"
        if t.kind == "by":
            return f"by p = {t.high:g}"
        if t.kind == "between":
            return f"between p = {t.low:g} and p = {t.high:g}"
        return f"no take-off up to p = {p_max:g}"

    def where(layer: str) -> str:
        return "" if layer == "graph" else f" on the {layer} network"

    def before(a: Any, b: Any) -> bool:
        return told(a) != told(b) and a.span[1] <= b.span[0]

    def span_of(ts: list[Any]) -> str:
        lo = min(t.span[0] for t in ts)
        hi = max(t.span[1] for t in ts)
        if lo == -np.inf:
            return f"by p = {hi:g}"
        return f"between p = {lo:g} and p = {hi:g}"

    layers = [layer for layer, arms in takeoff.items() if arms]
    every = [t for layer in layers for t in takeoff[layer].values()]
    if not every or all(t.kind == "beyond" for t in every):
        seen = [t for t in every if np.isfinite(t.start)]
        if not seen:
            return f"No take-off within the range swept (p {p_min:g} to {p_max:g})"
        lo, hi = min(t.start for t in seen), max(t.end for t in seen)
        reach = (f"the share engaged rises from {lo:.0%} to {hi:.0%}" if len(seen) == 1
                 else f"members engaged from {lo:.0%} to {hi:.0%}")
        return f"No take-off within the range swept (p {p_min:g} to {p_max:g}; {reach})"

    def key(t: Any) -> tuple[float, float]:
        return t.span

    if across_networks and len(layers) > 1:
        first_at = {layer: min(takeoff[layer].values(), key=key) for layer in layers}
        order = sorted(layers, key=lambda layer: key(first_at[layer]))
        first, last = first_at[order[0]], first_at[order[-1]]
        if told(first) == told(last):
            return f"Every network takes off {told(first)}"
        if before(first, last):
            return (f"The {order[0]} network takes off first: {told(first)}, vs "
                    f"{told(last)} on the {order[-1]} network")
        return ("Take-off points overlap: every network takes off "
                f"{span_of(list(first_at.values()))}")
    arms = list(dict.fromkeys(a for layer in layers for a in takeoff[layer]))
    if len(arms) == 1:
        parts = [(f"cascades take off {told(t)}" if t.kind != "beyond" else told(t)) + where(layer)
                 for layer in layers for t in [takeoff[layer][arms[0]]]]
        text = "; ".join(parts)
        return text[:1].upper() + text[1:]

    def gap(layer: str) -> tuple[bool, float]:
        ts = sorted(takeoff[layer].values(), key=key)
        clear = before(ts[0], ts[-1])
        return clear, min(ts[-1].span[0], p_max) - max(ts[0].span[1], p_min)

    layer = max(layers, key=gap)
    order = sorted(takeoff[layer], key=lambda a: key(takeoff[layer][a]))
    first, last = order[0], order[-1]
    t_first, t_last = takeoff[layer][first], takeoff[layer][last]
    if told(t_first) == told(t_last):
        return f"Every strategy takes off {told(t_first)}{where(layer)}"
    if before(t_first, t_last):
        return (f"{display(first)} takes off first{where(layer)}: {told(t_first)}, vs "
                f"{told(t_last)} for {display(last)}")
    known = [t for t in takeoff[layer].values() if t.kind != "beyond"]
    return f"Take-off points overlap{where(layer)}: every strategy takes off {span_of(known)}"


def cascade(size: int, generations: int, days: int, shares: dict[str, float]) -> str:
    """Title of the cascade drawing: its size, depth, duration and mix of layers."""
    main = max(shares, key=shares.get)
    text = f"One post, {size:,} people, {generations} generations in {days} days"
    if len(shares) > 1:
        return f"{text}: {100 * shares[main]:.0f}% on the {main} network"
    return text if main == "graph" else f"{text}, all on the {main} network"
