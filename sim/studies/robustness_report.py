"""What a robustness study writes: tables, a report, charts and a deck.

In the study directory: ``robustness.csv`` (one row per finding and cell: share of worlds in
which it holds and its interval, the effect's median and 10-90% band, the most influential
assumption, where it fails), ``indices.csv`` (every assumption's sensitivity indices),
``worlds.parquet`` (each world's assumption values and effects), ``summary.json`` (the same
figures, flat, with the study's timing), ``report.md``, the charts ``robustness.png``,
``tornado_<k>.png`` and ``failure_<k>.png`` (with SVG copies) and ``deck.pptx``.
"""

from __future__ import annotations

import json
import math
import textwrap
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.patches import Rectangle

from sim.outputs.files import atomic_write
from sim.report import deck as dk
from sim.report import style
from sim.studies import robustness as rb
from sim.studies import sensitivity as sa

#: A colour per verdict (:data:`sim.studies.robustness.VERDICTS`), from teal (robust) to
#: red (fails); none is a channel colour.
VERDICT_COLOURS = {"robust": "#0e8c9a", "holds in most worlds": "#7fc4cc",
                   "fails in most worlds": "#e8a3a3", "fails": "#a50026",
                   "not measured": "#d9d9d9"}
#: Panels (cells) per finding chart, and assumptions per tornado panel.
MAX_PANELS, TORNADO_BARS = 4, 10
HOLD_COLOUR, FAIL_COLOUR = "#b0b0b0", "#a50026"


def _write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda tmp: Path(tmp).write_text(text))


def _pct(x: float) -> str:
    return "-" if not math.isfinite(x) else f"{x:.0%}"


def _g(x: float, digits: int = 3) -> str:
    return "-" if not math.isfinite(x) else f"{x:.{digits}g}"


def _label(r: rb.Result) -> str:
    return r.finding.name + (f" [{rb.cell_text(r.cell)}]" if r.cell else "")


def summary(plan: rb.Plan, design: sa.Design, results: Sequence[rb.Result],
            timing: Mapping[str, float], replicates: int) -> dict[str, Any]:
    """The study's figures as one flat mapping (``summary.json``)."""
    out: dict[str, Any] = {
        "experiment": plan.experiment, "method": design.method, "worlds": design.worlds,
        "assumptions": len(plan.assumptions), "replicates": replicates,
        "runs": plan.runs(design.worlds, replicates), "seed": design.seed,
        **{f"time_{k}": round(v, 3) for k, v in timing.items()}}
    for r in results:
        key = _label(r)
        s = r.share
        out[f"{key}.share"] = s.share if s else None
        out[f"{key}.share_low"] = s.low if s else None
        out[f"{key}.share_high"] = s.high if s else None
        out[f"{key}.verdict"] = r.verdict
        out[f"{key}.effect_median"] = r.median if math.isfinite(r.median) else None
        out[f"{key}.top_assumption"] = r.top.key if r.top else None
    return out


def write_outputs(out: Path, plan: rb.Plan, design: sa.Design, results: Sequence[rb.Result], *,
                  command: str, replicates: int, timing: Mapping[str, float],
                  charts: bool = True) -> Path:
    """Write every output of the study into ``out``; returns the report's path."""
    t0 = time.perf_counter()
    table = rb.results_frame(results, plan)
    atomic_write(out / "robustness.csv", lambda tmp: table.to_csv(tmp, index=False))
    idx = rb.indices_frame(results)
    atomic_write(out / "indices.csv", lambda tmp: idx.to_csv(tmp, index=False))
    worlds = rb.worlds_frame(design, plan.assumptions, results)
    atomic_write(out / "worlds.parquet", lambda tmp: worlds.to_parquet(tmp, index=False))
    made: list[style.Chart] = []
    if charts:
        made.append(robustness_chart(out, results, design, replicates))
        for k, group in enumerate(_by_finding(results), start=1):
            made.append(tornado_chart(out, k, group, design, replicates))
            made.append(failure_chart(out, k, group, design, plan, replicates))
    timing = {**timing, "report_s": time.perf_counter() - t0}
    text = report_markdown(plan, design, results, command=command, replicates=replicates,
                           timing=timing, charts=made)
    path = out / "report.md"
    _write_text(path, text)
    if charts:
        write_deck(out / "deck.pptx", plan, design, results, made, replicates)
    flat = summary(plan, design, results, {**timing, "report_s": time.perf_counter() - t0},
                   replicates)
    _write_text(out / "summary.json", json.dumps(flat, indent=1) + "\n")
    return path


def _by_finding(results: Sequence[rb.Result]) -> list[list[rb.Result]]:
    groups: dict[str, list[rb.Result]] = {}
    for r in results:
        groups.setdefault(r.finding.name, []).append(r)
    return list(groups.values())


def _footnote(design: sa.Design, replicates: int, extra: str = "") -> str:
    return (f"{design.worlds} plausible worlds ({design.method} design, seed {design.seed}), "
            f"{replicates} paired replicates per world and arm" + (f"; {extra}" if extra else ""))


# ---- charts -----------------------------------------------------------------------------


def robustness_chart(out: Path, results: Sequence[rb.Result], design: sa.Design,
                     replicates: int) -> style.Chart:
    """One bar per finding and cell: the share of worlds in which it holds, with its CI."""
    fig, ax = style.figure()
    rows = list(results)[::-1]
    ys = np.arange(len(rows))
    shares = [r.share.share if r.share else 0.0 for r in rows]
    colours = [VERDICT_COLOURS[r.verdict] for r in rows]
    ax.barh(ys, shares, color=colours, height=0.6)
    for y, r in zip(ys, rows, strict=True):
        if r.share:
            ax.plot([r.share.low, r.share.high], [y, y], color=style.INK, lw=1.5)
            label = f"{r.share.share:.0%}  {r.verdict}"
            if r.share.low > 0.55:        # a long bar: the label inside it, left of the line
                ax.text(r.share.low - 0.02, y, label, va="center", ha="right", fontsize=13,
                        color="white", fontweight="bold")
            else:
                ax.text(r.share.high + 0.02, y, label, va="center", fontsize=13,
                        color=style.INK)
    ax.set_yticks(ys, [_wrap(_label(r), 38) for r in rows], fontsize=12)
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    ax.axvline(0.5, color=style.GREY, lw=1, ls="--")
    ax.axvline(0.9, color=style.GREY, lw=1, ls=":")
    ax.set_xlabel("share of plausible worlds in which the finding holds")
    robust = sum(r.verdict == "robust" for r in results)
    most = sum(r.verdict in ("robust", "holds in most worlds") for r in results)
    title = (f"{robust} of {len(results)} findings hold in at least 90% of plausible worlds"
             if robust else f"No finding holds in 90% of plausible worlds; {most} of "
             f"{len(results)} hold in most")
    chart = style.finish("robustness", fig, title,
                         "Bar: share of worlds where the paired effect has the claimed sign; "
                         "line: its 95% interval; dashed 50%, dotted 90%",
                         _footnote(design, replicates))
    chart.data = {"robust": robust, "most": most, "findings": len(results)}
    return style.save(chart, out, deck_directory=out / "deck_charts")


def _wrap(text: str, width: int) -> str:

    return "\n".join(textwrap.wrap(text, width)[:2])


def tornado_chart(out: Path, k: int, group: Sequence[rb.Result], design: sa.Design,
                  replicates: int) -> style.Chart:
    """The sensitivity indices of one finding's effect, one panel per cell."""
    shown = list(group)[:MAX_PANELS]
    fig, axes = style.figure(1, len(shown), squeeze=False)
    morris = design.method == "morris"
    tops = []
    for ax, r in zip(axes.flat, shown, strict=True):
        if not r.indices:
            ax.text(0.5, 0.5, _wrap(r.indices_error or "no indices", 40), ha="center",
                    va="center", transform=ax.transAxes, fontsize=13, color=style.GREY)
            ax.set_axis_off()
            continue
        top = r.indices[:TORNADO_BARS][::-1]
        tops.append(r.indices[0].key)
        ys = np.arange(len(top))
        if morris:
            main = [i.mu_star for i in top]
            ax.barh(ys, main, xerr=[i.mu_star_conf for i in top], color="#0e8c9a", height=0.6,
                    error_kw={"ecolor": style.INK, "lw": 1.2})
            ax.set_xlabel("mu* (mean |elementary effect|)")
        elif design.method == "lhs":
            rho = [i.rank_corr for i in top]
            ax.barh(ys, rho, xerr=[i.rank_corr_conf for i in top], height=0.6,
                    color=["#0e8c9a" if v >= 0 else "#a50026" for v in rho],
                    error_kw={"ecolor": style.INK, "lw": 1.2})
            ax.axvline(0, color=style.GREY, lw=1)
            ax.set_xlabel("rank correlation with the effect (Spearman)")
            ax.set_xlim(-1, 1)
        else:
            ax.barh(ys + 0.18, [i.total for i in top], xerr=[i.total_conf for i in top],
                    color="#0e8c9a", height=0.36, label="total order",
                    error_kw={"ecolor": style.INK, "lw": 1.2})
            ax.barh(ys - 0.18, [i.first for i in top], xerr=[i.first_conf for i in top],
                    color="#7fc4cc", height=0.36, label="first order",
                    error_kw={"ecolor": style.INK, "lw": 1.2})
            ax.set_xlabel("Sobol index (share of the effect's variance)")
            ax.set_xlim(-0.1, 1.05)      # shares of variance: wider intervals are clipped
            ax.legend(loc="lower right", fontsize=12)
        ax.set_yticks(ys, [i.key for i in top], fontsize=12)
        ax.set_title(rb.cell_text(r.cell) if r.cell else "", fontsize=14)
    name = group[0].finding.name
    clear = [r.top.key for r in shown if r.top_is_clear]
    common = max(set(clear), key=clear.count) if clear else None
    title = (f"{name}: the effect depends most on {common}" if common else
             f"{name}: no assumption stands out at {design.worlds} worlds" if tops else
             f"{name}: no sensitivity indices")
    chart = style.finish(f"tornado_{k}", fig, title,
                         f"{group[0].finding.statement}; assumptions by influence on the "
                         "effect across worlds, with 95% intervals"
                         + (" (holding for all assumptions together)"
                            if design.method == "lhs" else ""),
                         _footnote(design, replicates))
    chart.data = {"top": common}
    return style.save(chart, out, deck_directory=out / "deck_charts")


def failure_chart(out: Path, k: int, group: Sequence[rb.Result], design: sa.Design,
                  plan: rb.Plan, replicates: int) -> style.Chart:
    """Where one finding fails: the worlds on the region's assumptions, one panel per cell."""
    shown = list(group)[:MAX_PANELS]
    fig, axes = style.figure(1, len(shown), squeeze=False)
    keys = [a.key for a in plan.assumptions]
    logs = {a.key: a.log for a in plan.assumptions}
    for ax, r in zip(axes.flat, shown, strict=True):
        ok = np.isfinite(r.effect)
        holds = r.effect > 0
        rules = list(r.region.rules) if r.region else []
        xkey = rules[0].key if rules else (r.top.key if r.top else keys[0])
        other = [u.key for u in rules if u.key != xkey]
        x = design.values[:, keys.index(xkey)]
        if other:
            ykey = other[0]
            y = design.values[:, keys.index(ykey)]
            ax.set_ylabel(ykey)
            if logs[ykey]:
                ax.set_yscale("log")
        else:
            ykey, y = None, r.effect
            ax.set_ylabel("effect (better - worse)")
            ax.axhline(0, color=style.GREY, lw=1)
        ax.scatter(x[ok & holds], y[ok & holds], s=18, color=HOLD_COLOUR, label="holds")
        ax.scatter(x[ok & ~holds], y[ok & ~holds], s=22, color=FAIL_COLOUR, label="fails")
        if logs[xkey]:
            ax.set_xscale("log")
        ax.set_xlabel(xkey)
        if r.region:
            _draw_region(ax, r.region, xkey, ykey, holds=r.region_holds)
            ax.set_title(_wrap(r.where, 44), fontsize=13)
        elif r.share and r.share.holds == r.share.worlds:
            ax.set_title("holds in every world", fontsize=13)
        ax.legend(loc="best", fontsize=12)
        if r.cell:
            ax.text(0.0, 1.12, rb.cell_text(r.cell), transform=ax.transAxes, fontsize=12,
                    color=style.GREY)
    name = group[0].finding.name
    first = next((r for r in shown if r.region), None)
    title = (f"{name} {first.where}" if first else f"{name}: no region stands out")
    chart = style.finish(f"failure_{k}", fig, title,
                         "Each dot a plausible world: grey where the finding holds, red where "
                         "it fails; box: where it fails (or, for a finding that fails in most "
                         "worlds, where it holds), found by a shallow decision tree",
                         _footnote(design, replicates))
    chart.data = {"region": first.region.text() if first else None}
    return style.save(chart, out, deck_directory=out / "deck_charts")


def _draw_region(ax, region: sa.Region, xkey: str, ykey: str | None, *,
                 holds: bool = False) -> None:
    """Shade the region's box on the panel (its rules on the x and y keys)."""
    def bounds(key: str | None, lim: tuple[float, float]) -> tuple[float, float]:
        lo, hi = lim
        for rule in region.rules:
            if rule.key == key:
                if rule.op == "<":
                    hi = min(hi, rule.threshold)
                else:
                    lo = max(lo, rule.threshold)
        return lo, hi
    ax.figure.canvas.draw()
    x0, x1 = bounds(xkey, ax.get_xlim())
    y0, y1 = bounds(ykey, ax.get_ylim()) if ykey else ax.get_ylim()
    colour = "#0e8c9a" if holds else FAIL_COLOUR
    ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, facecolor=colour, alpha=0.08,
                           edgecolor=colour, lw=1.5, ls="--"))


# ---- report -----------------------------------------------------------------------------


def report_markdown(plan: rb.Plan, design: sa.Design, results: Sequence[rb.Result], *,
                    command: str, replicates: int, timing: Mapping[str, float],
                    charts: Sequence[style.Chart] = ()) -> str:
    """The study's report in Markdown."""
    runs = plan.runs(design.worlds, replicates)
    name = plan.experiment or "custom study"
    lines = [f"# Robustness: {name.replace('_', ' ')}", "",
             f"Command: `{command}`", "",
             f"{design.worlds} plausible worlds drawn over {len(plan.assumptions)} world "
             f"assumptions ({design.method} design, seed {design.seed}); in each, "
             f"{replicates} paired replicates of every arm: {runs} runs. "
             + _axes_text(plan), ""]
    lines += ["## Findings", "",
              "| finding | cell | verdict | holds in (95% CI) | effect median (10-90%) | "
              "most influential | where |",
              "|---|---|---|---|---|---|---|"]
    for r in results:
        s = r.share
        held = f"{_pct(s.share)} ({_pct(s.low)}-{_pct(s.high)}), {s.holds}/{s.worlds}" if s \
            else "-"
        top = (f"`{r.top.key}`" + ("" if r.top_is_clear else " (not clear)")) if r.top else "-"
        where = r.where or "-"
        lines.append(f"| {r.finding.name} | {rb.cell_text(r.cell)} | {r.verdict} | {held} | "
                     f"{_g(r.median)} ({_g(r.p10)} to {_g(r.p90)}) | {top} | {where} |")
    lines += ["", "In words:", ""]
    lines += [f"- {r.sentence()}" + (f" [{rb.cell_text(r.cell)}]" if r.cell else "")
              for r in results]
    lines += ["", "## Which assumptions drive each effect", ""]
    for r in results:
        lines.append(f"**{_label(r)}** ({r.finding.statement}; effect = {r.finding.metric}, "
                     f"{r.finding.arm_text(r.finding.better)} minus "
                     f"{r.finding.arm_text(r.finding.worse)}"
                     + ("" if r.finding.higher else ", sign flipped: lower is better") + ")")
        lines.append("")
        if not r.indices:
            lines += [f"No indices: {r.indices_error}", ""]
            continue
        if design.method == "morris":
            lines += ["| assumption | mu* | 95% +- | sigma |", "|---|---|---|---|"]
            lines += [f"| `{i.key}` | {_g(i.mu_star)} | {_g(i.mu_star_conf)} | {_g(i.sigma)} |"
                      for i in r.indices[:TORNADO_BARS]]
        elif design.method == "lhs":
            lines += ["| assumption | rank correlation | 95% +- (all together) | first order "
                      "(RBD-FAST) | 95% +- |", "|---|---|---|---|---|"]
            lines += [f"| `{i.key}` | {_g(i.rank_corr, 2)} | {_g(i.rank_corr_conf, 2)} | "
                      f"{_g(i.first, 2)} | {_g(i.first_conf, 2)} |"
                      for i in r.indices[:TORNADO_BARS]]
        else:
            lines += ["| assumption | first order | 95% +- | total order | 95% +- |",
                      "|---|---|---|---|---|"]
            lines += [f"| `{i.key}` | {_g(i.first, 2)} | {_g(i.first_conf, 2)} | "
                      f"{_g(i.total, 2)} | {_g(i.total_conf, 2)} |"
                      for i in r.indices[:TORNADO_BARS]]
        lines += ["", "Every assumption's indices: `indices.csv`.", ""]
    if charts:
        lines += ["## Charts", ""]
        lines += [f"![{c.title}]({c.files['png'].name})" for c in charts]
        lines.append("")
    lines += ["## The plausible worlds", "",
              "Each world draws every assumption below from its plausible range (uniformly, "
              "or log-uniformly where marked), the others at the config's values. The ranges "
              "are the schema's (`mindshare --help`, README config reference).", "",
              "| assumption | low | high | scale | why |", "|---|---|---|---|---|"]
    lines += [f"| `{a.key}` | {_g(a.low, 4)} | {_g(a.high, 4)} | "
              f"{'log' if a.log else 'integer' if a.integer else 'linear'} | {a.why} |"
              for a in plan.assumptions]
    lines += ["", "## How to read it", "", METHOD_NOTE.format(method=design.method), "",
              f"Time: setup {timing.get('setup_s', 0):.1f} s, runs {timing.get('sweep_s', 0):.1f}"
              f" s, analysis {timing.get('analysis_s', 0):.1f} s, report "
              f"{timing.get('report_s', 0):.1f} s.", ""]
    return "\n".join(lines)


def _axes_text(plan: rb.Plan) -> str:
    parts = [f"{k} = {', '.join(v)}" for k, v in plan.axes.items()]
    held = [f"{k} {why}" for k, why in plan.held.items()]
    text = "Arms and cells: " + "; ".join(parts) + "."
    if held:
        text += " Not swept: " + "; ".join(held) + "."
    return text


METHOD_NOTE = (
    "A finding *holds* in a world when its paired effect (the better arm minus the worse, "
    "averaged over the replicates both completed, on the same random numbers) has the claimed "
    "sign; a tie does not hold. The share of worlds has a 95% Wilson interval, computed as if "
    "the worlds were independent draws: the {method} design spreads them more evenly than "
    "random draws, so the interval is approximate. The verdict reads the share: robust (90% "
    "or more), holds in most worlds (50-90%), fails in most worlds (10-50%), fails (under "
    "10%). The sensitivity indices are SALib's (first and total order Sobol indices for a "
    "sobol design: the share of the effect's variance across worlds due to one assumption "
    "alone, and with its interactions; mu* for morris: the mean absolute elementary effect); "
    "with few worlds per assumption their intervals are wide, so read the ranking, not the "
    "digits. The failure region is the leaf of a shallow decision tree (scikit-learn) on the "
    "assumptions that holds the most failing worlds at a failure rate above the average: a "
    "description of where the finding fails, not a proof that it fails only there. Within a "
    "world the replicates measure simulation noise; across worlds the spread measures what we "
    "do not know about the world.")


# ---- deck -------------------------------------------------------------------------------


def write_deck(path: Path, plan: rb.Plan, design: sa.Design, results: Sequence[rb.Result],
               charts: Sequence[style.Chart], replicates: int) -> Path:
    """The study's slides.

    A title, the robustness bars, each finding's drivers and region, the verdicts in words
    and the assumptions' ranges.
    """
    prs = dk.new_presentation()
    name = (plan.experiment or "custom study").replace("_", " ")
    dk.add_title_slide(prs, f"Robustness: {name}", [
        f"{design.worlds} plausible worlds, {len(plan.assumptions)} assumptions drawn",
        charts[0].title if charts else "",
        f"{plan.runs(design.worlds, replicates):,} simulated campaigns  |  mindshare"])
    for chart in charts:
        dk.add_chart_slide(prs, chart)
    rows = [[r.finding.name + (f" [{rb.cell_text(r.cell)}]" if r.cell else ""),
             (f"holds in {r.share.share:.0%} of plausible worlds" if r.share else "-"),
             (r.top.key + ("" if r.top_is_clear else " (not clear)")) if r.top else "-",
             r.where or "-"]
            for r in results]
    for start in range(0, len(rows), 8):
        dk.add_table_slide(prs, "Verdicts across plausible worlds",
                           ["finding", "verdict", "most influential", "where"],
                           rows[start:start + 8], widths=[3, 2.5, 2.2, 4])
    ranges = [[a.key, _g(a.low, 4), _g(a.high, 4), "log" if a.log else "linear"]
              for a in plan.assumptions]
    for start in range(0, len(ranges), 12):
        dk.add_table_slide(prs, "The plausible worlds: assumptions and their ranges",
                           ["assumption", "low", "high", "scale"], ranges[start:start + 12],
                           widths=[4, 1.5, 1.5, 1.2], size=12)
    return dk.save_presentation(prs, path)
