"""What an optimisation writes: the trials, the Pareto front, the named strategies, charts, deck.

In the study directory: ``trials.parquet`` (one row per trial: levers, each objective's mean
and 95% replicate interval, whether it is on the front, its levers in words), ``front.csv``
(the front best-first along the first objective, each point with the strategy name it is saved
under, :func:`front_names`), ``named.csv`` (each named strategy against the front, with a
sentence), ``summary.json`` (the same figures, flat), ``report.md``, the charts ``front.png``
and ``levers.png`` (with SVG copies) and ``deck.pptx``. The command line writes the front's
strategy files (``conf/strategy/front_NN.yaml``) under the names :func:`front_names` gives.

Its words and numbers come from :mod:`sim.studies.optimise_text`, its charts from
:mod:`sim.studies.optimise_charts`. A named strategy is *on the front* when no front point is
at least as good on every objective and better on one; *beyond* it when it is that much better
than a front point; *behind* it otherwise. Its shortfall
(:func:`sim.studies.optimise.shortfall`) says how far behind, in units of each objective's
range over the trials.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sim.outputs.files import atomic_write
from sim.report import deck as dk
from sim.report import style
from sim.report.outcomes import display
from sim.studies.optimise import (
    Objective,
    Outcome,
    trials_scale,
)
from sim.studies.optimise_charts import front_chart, levers_chart
from sim.studies.optimise_text import (
    better_way,
    by_shortfall,
    front_names,
    interval_text,
    objective_interval,
    percent,
    phrase,
    placement,
    range_text,
    short_name,
)

#: Most rows per table slide, and the inches a table may fill (from 1.4 in to the slide's foot).
SLIDE_ROWS, SLIDE_HEIGHT = 8, 5.8


# ---- tables -----------------------------------------------------------------------------


def _objective_columns(samples: Mapping[str, Sequence[float]],
                       objectives: Sequence[Objective]) -> dict[str, float]:
    row = {}
    for o in objectives:
        row[f"{o.metric}_mean"], row[f"{o.metric}_low"], row[f"{o.metric}_high"] = \
            objective_interval(samples, o)
    return row


def trials_frame(outcome: Outcome) -> pd.DataFrame:
    """One row per trial: number, state, error, levers, objectives' intervals, on_front, words."""
    columns = ["number", "state", "error", *(lv.name for lv in outcome.levers),
               *(f"{o.metric}_{part}" for o in outcome.objectives
                 for part in ("mean", "low", "high")), "on_front", "description"]
    rows = []
    for t in outcome.trials:
        row: dict[str, Any] = {"number": t.number, "state": t.state, "error": t.error}
        row.update({lv.name: t.values.get(lv.name) for lv in outcome.levers})
        row.update(_objective_columns(t.samples, outcome.objectives))
        row.update(on_front=bool(t.on_front), description=outcome.words(t))
        rows.append(row)
    return pd.DataFrame(rows, columns=columns)


def front_frame(outcome: Outcome) -> pd.DataFrame:
    """The front best-first: rank, trial, strategy name, words, objectives' intervals, levers."""
    columns = ["rank", "trial", "strategy", "description",
               *(f"{o.metric}_{part}" for o in outcome.objectives
                 for part in ("mean", "low", "high")), *(lv.name for lv in outcome.levers)]
    rows = []
    for rank, (t, name) in enumerate(zip(outcome.front, front_names(outcome), strict=True), 1):
        row: dict[str, Any] = {"rank": rank, "trial": t.number, "strategy": name,
                               "description": outcome.words(t)}
        row.update(_objective_columns(t.samples, outcome.objectives))
        row.update({lv.name: t.values.get(lv.name) for lv in outcome.levers})
        rows.append(row)
    return pd.DataFrame(rows, columns=columns)


def named_frame(outcome: Outcome) -> pd.DataFrame:
    """Each named strategy against the front, by shortfall (nearest the front first)."""
    columns = ["name", *(f"{o.metric}_{part}" for o in outcome.objectives
                         for part in ("mean", "low", "high")),
               "shortfall", "shortfall_in", "on_front", "verdict", "nearest", "beaten_by",
               "sentence", "error"]
    scaled = bool(outcome.front) and bool((trials_scale(outcome.trials,
                                                       outcome.objectives) > 0).all())
    rows = []
    for s in by_shortfall(outcome.named):
        where = placement(outcome, s)
        row: dict[str, Any] = {"name": s.name}
        row.update(_objective_columns(s.samples, outcome.objectives))
        row.update(shortfall=s.shortfall,
                   shortfall_in="searched range" if scaled else "objective units",
                   on_front=where["on_front"], verdict=where["verdict"],
                   nearest=where["nearest"], beaten_by=where["beaten_by"],
                   sentence=where["sentence"], error=s.error)
        rows.append(row)
    return pd.DataFrame(rows, columns=columns)


def _finite(x: float) -> float | None:
    return float(x) if x is not None and math.isfinite(x) else None


def summary(outcome: Outcome) -> dict[str, Any]:
    """The study's figures as one flat mapping (``summary.json``)."""
    st = outcome.settings
    done = [t for t in outcome.trials if t.state == "complete"]
    places = [placement(outcome, s) for s in outcome.named]
    out: dict[str, Any] = {
        "objectives": ",".join(o.metric for o in outcome.objectives),
        "directions": ",".join(o.direction for o in outcome.objectives),
        "levers": ",".join(lv.name for lv in outcome.levers),
        "trials": len(outcome.trials), "complete": len(done),
        "failed": len(outcome.trials) - len(done), "front_size": len(outcome.front),
        "named": len(outcome.named), "named_on_front": sum(p["on_front"] for p in places),
        "named_behind_front": sum(p["verdict"] == "behind the front" for p in places),
        **{k: st.get(k) for k in ("n", "steps", "budget", "replicates", "seed", "sampler",
                                  "batch", "base_strategy")},
        "overrides": " ".join(st.get("overrides") or [])}
    for o in outcome.objectives:
        means = [(t.mean(o.metric), t.number) for t in outcome.front]
        means = [m for m in means if math.isfinite(m[0])]
        best = (max if o.maximise else min)(means) if means else (math.nan, None)
        out[f"best_{o.metric}"], out[f"best_{o.metric}_trial"] = _finite(best[0]), best[1]
    for s, p in zip(outcome.named, places, strict=True):
        out[f"named.{s.name}.shortfall"] = _finite(s.shortfall)
        out[f"named.{s.name}.verdict"] = p["verdict"]
    return out


# ---- writing ----------------------------------------------------------------------------


def _write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda tmp: Path(tmp).write_text(text))


def write_outputs(out: Path, outcome: Outcome, *, command: str,
                  charts: bool = True) -> list[Path]:
    """Write every output of the study into ``out``; returns the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    tables = {"trials.parquet": trials_frame(outcome), "front.csv": front_frame(outcome),
              "named.csv": named_frame(outcome)}
    for name, frame in tables.items():
        path = out / name
        if name.endswith(".parquet"):
            atomic_write(path, lambda tmp, f=frame: f.to_parquet(tmp, index=False))
        else:
            atomic_write(path, lambda tmp, f=frame: f.to_csv(tmp, index=False))
        written.append(path)
    made: list[style.Chart] = []
    if charts and outcome.front:
        made = [front_chart(out, outcome), levers_chart(out, outcome)]
        written += [p for c in made for k, p in c.files.items() if k != "deck"]
    text = report_markdown(outcome, command=command, out=out, charts=made)
    _write_text(out / "report.md", text)
    _write_text(out / "summary.json", json.dumps(summary(outcome), indent=1) + "\n")
    written += [out / "report.md", out / "summary.json",
                write_deck(out / "deck.pptx", outcome, made, out=out)]
    return written


# ---- report -----------------------------------------------------------------------------


def _rerun(outcome: Outcome, out: Path, name: str) -> str:
    extra = " ".join(outcome.settings.get("overrides") or [])
    return (f"mindshare strategy={name} hydra.searchpath=[file://{out.resolve()}/conf]"
            + (f" {extra}" if extra else ""))


def headline(outcome: Outcome) -> str:
    """The report's first paragraph: trials, the front and its two ends, the named strategies."""
    objs, front, st = outcome.objectives, outcome.front, outcome.settings
    done = sum(t.state == "complete" for t in outcome.trials)
    text = (f"{len(outcome.trials)} trials searched {len(outcome.levers)} levers at a budget of "
            f"EUR {float(st['budget']):,.2f} ({done} complete). ")
    if not front:
        return text + "No trial completed with a value on every objective, so there is no front."
    names = front_names(outcome)
    ends = ", ".join(phrase(o, front[0].mean(o.metric)) for o in objs)
    if len(front) == 1:
        text += (f"One of them is on the Pareto front, best on every objective: {names[0]} "
                 f"({outcome.words(front[0])}), {ends}.")
    else:
        other = ", ".join(phrase(o, front[-1].mean(o.metric)) for o in objs)
        text += (f"{len(front)} are on the Pareto front. At one end, {names[0]} "
                 f"({outcome.words(front[0])}) has {ends}; at the other, {names[-1]} "
                 f"({outcome.words(front[-1])}) has {other}.")
    if outcome.named:
        places = [placement(outcome, s)["verdict"] for s in outcome.named]
        on = sum(p in ("on the front", "beyond the front") for p in places)
        behind, missing = places.count("behind the front"), places.count("not placed")
        if len(places) == 1:
            return text + f" The one shipped strategy run at the same budget is {places[0]}."
        text += (f" Of the {len(outcome.named)} shipped strategies run at the same budget, "
                 f"{on} {'is' if on == 1 else 'are'} on or beyond the front and {behind} "
                 "behind it" + (f"; {missing} could not be placed (see below)" if missing
                                else "") + ".")
    return text


def _objective_header(objs: Sequence[Objective]) -> list[str]:
    return [f"{short_name(o)} (95% interval), {better_way(o)}" for o in objs]


def front_rows(outcome: Outcome) -> list[list[str]]:
    """The front in words: rank, strategy name, levers described, each objective's interval."""
    return [[str(k), name, outcome.words(t),
             *(interval_text(o, *objective_interval(t.samples, o)) for o in outcome.objectives)]
            for k, (t, name) in enumerate(zip(outcome.front, front_names(outcome),
                                               strict=True), 1)]


def named_rows(outcome: Outcome) -> list[list[str]]:
    """The named strategies by shortfall: name, objectives' intervals, shortfall, verdict."""
    scaled = bool(outcome.front) and bool((trials_scale(outcome.trials,
                                                       outcome.objectives) > 0).all())
    rows = []
    for s in by_shortfall(outcome.named):
        where = placement(outcome, s)
        short = (percent(s.shortfall) if scaled and math.isfinite(s.shortfall)
                 and where["verdict"] == "behind the front" else "-")
        rows.append([display(s.name), *(interval_text(o, *objective_interval(s.samples, o))
                                        for o in outcome.objectives), short, where["verdict"]])
    return rows


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
            *("| " + " | ".join(r) + " |" for r in rows)]


def method_text(outcome: Outcome) -> list[str]:
    """The method in paragraphs: levers, objectives, sampler, replicates, intervals."""
    st = outcome.settings
    levers = "; ".join(f"**{lv.name}** ({range_text(lv)}): {lv.doc}" for lv in outcome.levers)
    objs = "; ".join(f"{o.label} (`{o.metric}`, {better_way(o)})" for o in outcome.objectives)
    r = int(st["replicates"])
    return [
        f"Levers searched, at a fixed budget of EUR {float(st['budget']):,.2f} with the rest of "
        f"the strategy from `{st.get('base_strategy')}`: {levers}.",
        f"Objectives: {objs}.",
        f"Sampler: {st['sampler']} (Optuna), {len(outcome.trials)} trials asked in rounds of "
        f"{st['batch']}, seed {st['seed']}; {int(st['n']):,} people over {st['steps']} days.",
        f"Common random numbers: every trial and every shipped strategy ran on the same "
        f"replicates 0..{r - 1} with the same seed ({st['seed']}), so they share the same "
        "worlds and the same draws wherever their levers do not change them, and they are "
        "compared paired. A trial's value is its mean over those replicates; the Pareto front "
        "is the set of complete trials that no other trial matches on every objective and "
        "beats on one.",
        f"Intervals: 95% t-intervals over the {r} replicates of each point. They measure the "
        "simulation's noise at that point only; they do not account for the search's own "
        "selection (the front's points were chosen because their means came out best, so "
        "their means lean optimistic), and the front's ranks are not tested against each "
        "other.",
        "Shortfall of a shipped strategy: the smallest improvement, in units of the range the "
        "search covered on each objective (its best minus its worst trial mean), that it needs "
        "on every objective at once to match some front point (the additive epsilon "
        "indicator); it is counted unscaled on an objective where every trial is equal."]


def report_markdown(outcome: Outcome, *, command: str, out: Path,
                    charts: Sequence[style.Chart] = ()) -> str:
    """The study's report in Markdown."""
    st = outcome.settings
    lines = [f"# Optimisation at EUR {float(st['budget']):,.2f} for {int(st['n']):,} people",
             "", headline(outcome), ""]
    if outcome.front:
        lines += ["## The Pareto front", "",
                  *_table(["rank", "strategy", "levers", *_objective_header(outcome.objectives)],
                          front_rows(outcome)),
                  "", "Every point's lever values: `front.csv`; every trial: `trials.parquet`.",
                  ""]
    if outcome.named:
        lines += ["## The shipped strategies against the front", "",
                  *_table(["strategy", *_objective_header(outcome.objectives),
                           "shortfall (share of the searched range)", "verdict"],
                          named_rows(outcome)), ""]
        lines += [f"- **{display(s.name)}**: {placement(outcome, s)['sentence']}."
                  for s in by_shortfall(outcome.named)]
        lines.append("")
    if charts:
        lines += ["## Charts", ""]
        for c in charts:
            lines += [f"![{c.title}]({c.files['png'].name})", ""]
    lines += ["## Method", "", *(p + "\n" for p in method_text(outcome))]
    if outcome.front:
        lines += ["## Rerun a front point", "",
                  "The front's points are saved as strategies `front_01`, `front_02`, ... in "
                  "`conf/strategy/` of this directory. To rerun one with the study's settings:",
                  "", "```", _rerun(outcome, out, front_names(outcome)[0]), "```", ""]
    lines += ["## Command", "", "```", command, "```", ""]
    return "\n".join(lines)


# ---- deck -------------------------------------------------------------------------------


def _pages(rows: Sequence[Sequence[str]], widths: Sequence[float], size: int) -> list[list]:
    """Rows split into slides: at most :data:`SLIDE_ROWS` each, and no more than fit the slide.

    A cell's height is estimated from its characters per line (Arial: about 0.55 em a
    character) in its column's share of the 12.3-inch table, with the paragraph spacing and
    cell margins.
    """
    total = sum(widths)
    char_in = 0.55 * size / 72
    line_in = 1.2 * size / 72

    def height(row: Sequence[str]) -> float:
        lines = [math.ceil(max(len(cell), 1) / max((12.3 * w / total - 0.16) / char_in, 1))
                 for cell, w in zip(row, widths, strict=True)]
        return max(lines) * line_in + 6 / 72 + 0.1

    pages: list[list] = [[]]
    used = 0.5                                          # the header row
    for row in rows:
        h = height(row)
        if pages[-1] and (len(pages[-1]) >= SLIDE_ROWS or used + h > SLIDE_HEIGHT):
            pages.append([])
            used = 0.5
        pages[-1].append(list(row))
        used += h
    return pages if pages[0] else []


def write_deck(path: Path, outcome: Outcome, charts: Sequence[style.Chart], *,
               out: Path) -> Path:
    """The study's slides: title, charts, the front in words, the shipped strategies, method."""
    st = outcome.settings
    prs = dk.new_presentation()
    done = sum(t.state == "complete" for t in outcome.trials)
    dk.add_title_slide(prs, f"What to do with EUR {float(st['budget']):,.0f}", [
        f"{int(st['n']):,} people, {st['steps']} days; objectives: "
        + ", ".join(short_name(o) for o in outcome.objectives),
        charts[0].title if charts else headline(outcome).split(". ")[-1],
        f"{done} of {len(outcome.trials)} strategies searched, {st['replicates']} replicates "
        f"each  |  mindshare"])
    for chart in charts:
        dk.add_chart_slide(prs, chart)
    header = ["#", "strategy", "levers", *(short_name(o) for o in outcome.objectives)]
    widths = [0.4, 1.1, 5.6, *([2.0] * len(outcome.objectives))]
    pages = _pages(front_rows(outcome), widths, 12)
    for p, rows in enumerate(pages, 1):
        title = "The Pareto front, best first" + (f" ({p} of {len(pages)})"
                                                   if len(pages) > 1 else "")
        dk.add_table_slide(prs, title, header, rows, widths=widths, size=12)
    named = [[display(s.name), placement(outcome, s)["sentence"]]
             for s in by_shortfall(outcome.named)]
    pages = _pages(named, [2.5, 9.8], 12)
    for p, rows in enumerate(pages, 1):
        title = "The shipped strategies against the front" + (
            f" ({p} of {len(pages)})" if len(pages) > 1 else "")
        dk.add_table_slide(prs, title, ["strategy", "where it stands"], rows,
                           widths=[2.5, 9.8], size=12)
    method = method_text(outcome)
    levers = "; ".join(f"{lv.name} ({range_text(lv)})" for lv in outcome.levers)
    rerun = _rerun(outcome, out, "front_01") if outcome.front else "no front to rerun"
    dk.add_table_slide(prs, "Method", ["", ""],
                       [["Levers", f"{levers}; budget fixed at EUR {float(st['budget']):,.2f}"],
                        ["Objectives", method[1].removeprefix("Objectives: ")],
                        ["Search", method[2]], ["Paired runs", method[3]],
                        ["Intervals", method[4]], ["Rerun", rerun]],
                       widths=[1.6, 10.7], size=11)
    return dk.save_presentation(prs, path)
