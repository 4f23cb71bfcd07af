"""The slide deck (``deck.pptx``), written with python-pptx.

It has a title slide, one slide per chart with its takeaway as the slide title, the verdicts on
the experiment's claims, a methods slide, the assumptions and limitations, appendix tables and,
when some runs failed or are missing, a slide listing them. With fewer than 10 replicates per
cell, every slide says so at its foot.

Slides are 16:9 (13.33 x 7.5 in). Every slide's title is a real title placeholder (so outline
view, screen readers and ``slide.shapes.title`` see it); the chart images are the deck copies
written by :func:`sim.report.style.save`, whose title band is left to the slide title. Each
chart slide's notes hold its subtitle and footnote.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.util import Emu, Inches, Pt

from sim.claims import claim
from sim.outputs.files import atomic_write
from sim.report import verdicts
from sim.report.design import short_key, tested_claims
from sim.report.outcomes import OUTCOMES, display, fmt
from sim.report.stats import ALPHA, LEVEL
from sim.report.summary import replicate_flag
from sim.report.takeaways import cell_order

WIDTH, HEIGHT = Inches(13.333), Inches(7.5)
FONT = "Arial"
INK, GREY, ACCENT = RGBColor(0x1A, 0x1A, 0x1A), RGBColor(0x5F, 0x5F, 0x5F), \
    RGBColor(0x00, 0x72, 0xB2)
WARN = RGBColor(0xB2, 0x3A, 0x00)
HEADER_FILL, ROW_FILL = RGBColor(0xF0, 0xF0, 0xF0), RGBColor(0xFF, 0xFF, 0xFF)
#: Appendix tables: outcome columns and strategy rows per slide; with at most
#: TRANSPOSE_UP_TO strategies, one row per outcome instead (OUTCOME_ROWS per slide).
TABLE_COLUMNS, TABLE_ROWS = 5, 10
TRANSPOSE_UP_TO, OUTCOME_ROWS = 4, 8
#: Longest title that fits one line at 28 pt across the slide (Arial, about 0.5 em a letter).
ONE_LINE_CHARS = 62
#: Rows of the methods slide's table of parameters (the others are in the summary).
METHODS_ROWS = 10
#: Layouts of the default template.
TITLE_LAYOUT, TITLE_ONLY_LAYOUT = 0, 5


def _text(frame, lines: list[tuple[str, int, bool, RGBColor]], *, align=PP_ALIGN.LEFT) -> None:
    """Fill a text frame with ``(text, size, bold, colour)`` paragraphs."""
    frame.word_wrap = True
    for i, (text, size, bold, colour) in enumerate(lines):
        para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        para.alignment = align
        run = para.add_run()
        run.text = text
        run.font.size, run.font.bold, run.font.name = Pt(size), bold, FONT
        run.font.color.rgb = colour
        para.space_after = Pt(6)


def _title(slide, text: str, size: int = 28, *,
           box: tuple[float, float, float, float] = (0.5, 0.3, 12.33, 1.0),
           anchor: MSO_ANCHOR = MSO_ANCHOR.TOP) -> None:
    """Place the slide's title placeholder and fill it.

    ``box`` is its left, top, width and height in inches; across the top by default.
    """
    shape = slide.shapes.title
    shape.left, shape.top, shape.width, shape.height = (Inches(v) for v in box)
    frame = shape.text_frame
    frame.clear()
    frame.vertical_anchor = anchor
    _text(frame, [(text, size, True, INK)])


def _box(slide, left: float, top: float, width: float, height: float):
    return slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width),
                                    Inches(height)).text_frame


def _table(slide, header: list[str], rows: list[list[str]], left: float, top: float,
           width: float, widths: list[float] | None = None, size: int = 14) -> None:
    """A plain table: grey header row, white body, no banding."""
    shape = slide.shapes.add_table(len(rows) + 1, len(header), Inches(left), Inches(top),
                                   Inches(width), Inches(0.4 * (len(rows) + 1)))
    table = shape.table
    table.first_row = True
    if widths:
        total = sum(widths)
        for j, w in enumerate(widths):
            table.columns[j].width = Emu(int(Inches(width) * w / total))
    for i, row in enumerate([header, *rows]):
        for j, value in enumerate(row):
            cell = table.cell(i, j)
            cell.fill.solid()
            cell.fill.fore_color.rgb = HEADER_FILL if i == 0 else ROW_FILL
            cell.margin_left = cell.margin_right = Inches(0.08)
            frame = cell.text_frame
            frame.clear()
            _text(frame, [(str(value), size, i == 0, INK)])


def write_deck(rep: Any, path: Path) -> Path:
    """Write the report's deck to ``path`` (through a temporary file) and return the path."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = WIDTH, HEIGHT
    title_slide(prs, rep)
    for chart in rep.charts:
        chart_slide(prs, chart, rep)
    verdict_slide(prs, rep)
    methods_slide(prs, rep)
    assumptions_slide(prs, rep)
    appendix_slides(prs, rep)
    problems_slide(prs, rep)
    flag = replicate_flag(rep)
    if flag:  # on every slide: the room sees it whatever slide is shown
        for slide in prs.slides:
            _text(_box(slide, 0.5, 7.1, 12.3, 0.35), [(flag + ".", 11, True, WARN)])
    atomic_write(path, lambda tmp: prs.save(tmp))
    return path


def title_slide(prs, rep: Any) -> None:
    """The deck's title, what was compared, and the headline takeaway."""
    slide = prs.slides.add_slide(prs.slide_layouts[TITLE_LAYOUT])
    manifest = rep.sweep.manifest or {}
    name = str(manifest.get("experiment") or manifest.get("name")
               or rep.sweep.root.name).replace("_", " ")
    done = rep.sweep.complete
    arms = done["strategy"].nunique() if rep.design.by_strategy else None
    what = (f"{arms} brand strategies on personal and professional networks" if arms
            else "Brand strategies on personal and professional networks")
    _title(slide, name[:1].upper() + name[1:], 44, box=(0.8, 1.6, 11.7, 1.5),
           anchor=MSO_ANCHOR.BOTTOM)
    sub = slide.placeholders[1]
    sub.left, sub.top, sub.width, sub.height = (Inches(0.8), Inches(3.25), Inches(11.7),
                                                Inches(3.2))
    lines = [(what, 24, False, GREY)]
    if rep.charts:
        lines.append((rep.charts[0].title, 28, True, ACCENT))
    n = done["n_agents"].max() if "n_agents" in done and len(done) else None
    facts = f"{len(done):,} simulated campaigns"
    if n is not None and np.isfinite(n):
        facts += f" of {int(n):,} people each"
    lines.append((f"{facts}  |  mindshare  |  {dt.date.today():%d %B %Y}", 16, False, GREY))
    sub.text_frame.clear()
    _text(sub.text_frame, lines)
    bar = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, Inches(0.8), Inches(1.35), Inches(1.6),
                                 Inches(0.12))
    bar.fill.solid()
    bar.fill.fore_color.rgb = ACCENT
    bar.line.fill.background()


def chart_slide(prs, chart: Any, rep: Any) -> None:
    """One chart: its takeaway as the title, the picture under it, details in the notes."""
    add_chart_slide(prs, chart, bottom=7.0 if replicate_flag(rep) else 7.35)


def add_chart_slide(prs, chart: Any, *, bottom: float = 7.35) -> None:
    """A slide with a chart (:class:`sim.report.style.Chart`).

    Its takeaway is the title, its deck copy is under it down to ``bottom`` inches, its
    subtitle in the notes.
    """
    slide = prs.slides.add_slide(prs.slide_layouts[TITLE_ONLY_LAYOUT])
    _title(slide, chart.title)
    one_line = len(chart.title) <= ONE_LINE_CHARS
    image = chart.files.get("deck", chart.files["png"])
    with Image.open(image) as im:
        w_px, h_px = im.size
    top = 0.95 if one_line else 1.35
    height = bottom - top
    width = height * w_px / h_px
    if width > 12.9:
        width, height = 12.9, 12.9 * h_px / w_px
    slide.shapes.add_picture(str(image), Inches((13.333 - width) / 2), Inches(top),
                             Inches(width), Inches(height))
    slide.notes_slide.notes_text_frame.text = (
        f"{chart.subtitle}\n{chart.files['png'].name} in the report's charts folder.")


def new_presentation():
    """An empty 16:9 deck in the report's style."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = WIDTH, HEIGHT
    return prs


def add_title_slide(prs, title: str, lines: list[str]) -> None:
    """A title slide: the title, then lines under it (the second one as the takeaway)."""
    slide = prs.slides.add_slide(prs.slide_layouts[TITLE_LAYOUT])
    _title(slide, title, 40, box=(0.8, 1.6, 11.7, 1.5), anchor=MSO_ANCHOR.BOTTOM)
    sub = slide.placeholders[1]
    sub.left, sub.top, sub.width, sub.height = (Inches(0.8), Inches(3.25), Inches(11.7),
                                                Inches(3.2))
    sub.text_frame.clear()
    styled = [(t, 28 if i == 1 else 18, i == 1, ACCENT if i == 1 else GREY)
              for i, t in enumerate(lines) if t]
    _text(sub.text_frame, styled)


def add_table_slide(prs, title: str, header: list[str], rows: list[list[str]], *,
                    widths: list[float] | None = None, size: int = 14) -> None:
    """A slide with a title and a plain table."""
    slide = prs.slides.add_slide(prs.slide_layouts[TITLE_ONLY_LAYOUT])
    _title(slide, title)
    _table(slide, header, rows, 0.5, 1.4, 12.3, widths, size)


def save_presentation(prs, path: Path) -> Path:
    """Write a deck atomically; returns its path."""
    atomic_write(path, lambda tmp: prs.save(tmp))
    return path


def _model_line(done: pd.DataFrame) -> str:
    """One sentence on the model: version, N, networks, horizon or reduction mode."""
    def first(col: str, default: Any) -> Any:
        return done[col].dropna().iloc[0] if col in done and done[col].notna().any() \
            else default

    layers = [c.removeprefix("members_") for c in done.columns
              if c.startswith("members_") and done[c].fillna(0).gt(0).any()]
    where = (" and ".join(layers) + (" networks" if len(layers) > 1 else " network")
             if layers else "given networks")
    n = int(done["n_agents"].max()) if "n_agents" in done and len(done) else 0
    tail = (f", {int(done['config.steps'].max())} days per campaign"
            if first("config.mode", "full") == "full" and "config.steps" in done
            else ", independent cascade (reduction mode)")
    return (f"mindshare {first('version_mindshare', '?')}: agent-based simulation of {n:,} "
            f"people on the {where}{tail}")


def methods_slide(prs, rep: Any) -> None:
    """The methods slide: model, claims tested, design, statistics, and non-default parameters.

    The parameters listed are those that differ from the defaults.
    """
    slide = prs.slides.add_slide(prs.slide_layouts[TITLE_ONLY_LAYOUT])
    _title(slide, "Methods")
    done, design = rep.sweep.complete, rep.design
    found = tested_claims(rep)
    tested = "; ".join(f"{c}: {claim(c).phrase}" for c in found) or "none named"
    seeds = sorted(done["seed"].dropna().unique().tolist())
    factors = ", ".join(short_key(f) if f != "strategy.name" else "strategy"
                        for f in design.factors) or "none"
    per_config = (design.values.loc[done.index].groupby(design.factors).size()
                  if design.factors and len(done) else pd.Series([len(done)]))
    counts = {s: int((rep.sweep.runs["status"] == s).sum()) for s in ("failed", "missing")}
    design_text = (
        f"Swept: {factors}. {len(done):,} runs ({counts['failed']} failed, "
        f"{counts['missing']} missing); replicates per configuration: {_span(per_config)}; "
        f"seed{'s' if len(seeds) > 1 else ''} {', '.join(map(str, seeds))}. Replicates share "
        "random numbers across strategies, so comparisons are paired.")
    stats_text = (
        f"Means with {LEVEL:.0%} BCa bootstrap CIs ({rep.bootstrap:,} resamples); paired "
        f"differences by replicate; paired t-tests, Holm-adjusted, at {ALPHA}; effect sizes "
        "(Cohen's d_z) in the summary.")
    lines = [("Model", 18, True, INK), (_model_line(done), 16, False, INK),
             ("Claims tested", 18, True, INK), (tested, 16, False, INK),
             ("Design", 18, True, INK), (design_text, 16, False, INK),
             ("Statistics", 18, True, INK), (stats_text, 16, False, INK)]
    _text(_box(slide, 0.5, 1.3, 6.3, 5.9), lines)
    changed = rep.changed
    if len(changed):
        rows = [[short_key(r.key) if r.key != "strategy.name" else "strategy", r.default,
                 r.values] for r in changed.itertuples()]
        shown = rows[:METHODS_ROWS]
        _text(_box(slide, 7.1, 1.3, 5.8, 0.5),
              [("Parameters that differ from the defaults", 18, True, INK)])
        # cells wrap: every value is written whole, in a size that lets the rows fit
        chars = sum(max(len(r[2]) / 30, 1) for r in shown)
        _table(slide, ["parameter", "default", "this sweep"], shown, 7.1, 1.85, 5.8,
               widths=[2.2, 1.3, 3.3], size=12 if chars <= 12 else 10)
        if len(rows) > len(shown):
            _text(_box(slide, 7.1, 6.55, 5.8, 0.4),
                  [(f"... and {len(rows) - len(shown)} more: see summary.md.", 12, False,
                    GREY)])


def _span(values) -> str:
    lo, hi = int(min(values)), int(max(values))
    return str(lo) if lo == hi else f"{lo}-{hi}"


def appendix_slides(prs, rep: Any) -> None:
    """Every outcome by strategy (mean, 95% CI, letters), on as few slides as fit.

    The tables have one row per outcome with up to :data:`TRANSPOSE_UP_TO` strategies, else one
    row per strategy.
    """
    arms = rep.arms
    if arms.empty:
        return
    if rep.design.cells and not rep.cell_arms.empty:
        cell_appendix_slides(prs, rep)
        return
    keys = list(dict.fromkeys(arms["outcome"]))
    rank_by = "reached" if "reached" in keys else keys[0]
    order = arms[arms["outcome"] == rank_by].sort_values("rank")["arm"].tolist()
    table = arms.set_index(["outcome", "arm"])

    def cell(key: str, arm: str) -> str:
        r, o = table.loc[(key, arm)], OUTCOMES[key]
        ci = (f"[{fmt(o, r['ci_low'])}, {fmt(o, r['ci_high'])}]" if np.isfinite(r["ci_low"])
              else "(no interval)")
        return f"{fmt(o, r['mean'])} {ci} {r['letters']}"

    pages: list[tuple[list[str], list[list[str]], list[float]]] = []
    if len(order) <= TRANSPOSE_UP_TO:
        header = ["outcome", *(display(a) for a in order)]
        for i in range(0, len(keys), OUTCOME_ROWS):
            rows = [[OUTCOMES[k].label, *(cell(k, a) for a in order)]
                    for k in keys[i:i + OUTCOME_ROWS]]
            pages.append((header, rows, [3.4] + [2.6] * len(order)))
    else:
        for c in range(0, len(keys), TABLE_COLUMNS):
            cols = keys[c:c + TABLE_COLUMNS]
            for r in range(0, len(order), TABLE_ROWS):
                rows = [[display(a), *(cell(k, a) for k in cols)]
                        for a in order[r:r + TABLE_ROWS]]
                pages.append((["strategy", *(OUTCOMES[k].label for k in cols)], rows,
                              [2.4] + [2.6] * len(cols)))
    for k, (header, rows, widths) in enumerate(pages, start=1):
        slide = prs.slides.add_slide(prs.slide_layouts[TITLE_ONLY_LAYOUT])
        _title(slide, f"Appendix: outcomes by strategy, mean [{LEVEL:.0%} CI]"
                      + (f" ({k}/{len(pages)})" if len(pages) > 1 else ""), size=24)
        _table(slide, header, rows, 0.5, 1.3, 12.33, widths=widths, size=13)
        _text(_box(slide, 0.5, 6.85, 12.3, 0.5),
              [("Letters: strategies sharing a letter are not distinguishable (paired "
                f"t-tests, Holm, {ALPHA}). Loyalty in points of 100.", 12, False, GREY)])


#: Most appendix slides of a sweep with cells (every table is in outcomes.csv).
CELL_PAGES = 8


def cell_appendix_slides(prs, rep: Any) -> None:
    """Every outcome by strategy within each cell (mean, 95% CI, letters, n per cell).

    One table per outcome, a row per cell, a column per strategy (up to
    :data:`TRANSPOSE_UP_TO` per slide); never a figure pooled over the cells.
    """
    arms = rep.cell_arms
    where = ", ".join(map(short_key, rep.design.cells))
    order = [a for a in dict.fromkeys(rep.arms.sort_values("rank")["arm"])]
    order += [a for a in dict.fromkeys(arms["arm"]) if a not in order]
    table = arms.set_index(["outcome", "cell", "arm"])
    cells = sorted(dict.fromkeys(arms["cell"]), key=cell_order)
    pages = []
    for key in dict.fromkeys(arms["outcome"]):
        o = OUTCOMES[key]
        for c in range(0, len(order), TRANSPOSE_UP_TO):
            cols = order[c:c + TRANSPOSE_UP_TO]
            for r in range(0, len(cells), TABLE_ROWS):
                rows = []
                for cell in cells[r:r + TABLE_ROWS]:
                    line = [cell]
                    for arm in cols:
                        if (key, cell, arm) in table.index:
                            x = table.loc[(key, cell, arm)]
                            ci = (f"[{fmt(o, x['ci_low'])}, {fmt(o, x['ci_high'])}]"
                                  if np.isfinite(x["ci_low"]) else "no interval")
                            line.append(f"{fmt(o, x['mean'])} {ci} {x['letters']} "
                                        f"(n = {int(x['n'])})")
                        else:
                            line.append("did not run")
                    rows.append(line)
                pages.append((o.label, [where, *(display(a) for a in cols)], rows,
                              [2.0] + [2.6] * len(cols)))
    for k, (label, header, rows, widths) in enumerate(pages[:CELL_PAGES], start=1):
        slide = prs.slides.add_slide(prs.slide_layouts[TITLE_ONLY_LAYOUT])
        _title(slide, f"Appendix: {label} within each {where}, mean [{LEVEL:.0%} CI]",
               size=22)
        _table(slide, header, rows, 0.5, 1.3, 12.33, widths=widths, size=12)
        note = ("Letters: strategies sharing a letter are not distinguishable within the row "
                f"(paired t-tests, Holm, {ALPHA}); n: replicates in the cell.")
        if k == min(len(pages), CELL_PAGES) and len(pages) > CELL_PAGES:
            note += f" {len(pages) - CELL_PAGES} more tables in outcomes.csv."
        _text(_box(slide, 0.5, 6.6, 12.3, 0.4), [(note, 12, False, GREY)])


def problems_slide(prs, rep: Any) -> None:
    """The runs that failed or never finished, when there are any."""
    problems = rep.problems
    if problems.empty:
        return
    slide = prs.slides.add_slide(prs.slide_layouts[TITLE_ONLY_LAYOUT])
    _title(slide, f"Appendix: {len(problems)} run(s) did not finish and are left out", size=24)
    rows = [[str(r.run), str(r.status), display(str(r.strategy)) if isinstance(r.strategy, str)
             else "", "" if r.replicate is None or r.replicate != r.replicate else
             str(r.replicate), str(r.error or "")]
            for r in problems.head(TABLE_ROWS).itertuples()]
    _table(slide, ["run", "status", "strategy", "replicate", "error"], rows, 0.5, 1.4, 12.33,
           widths=[1.2, 1.1, 2.0, 1.1, 6.9], size=12)
    if len(problems) > TABLE_ROWS:
        _text(_box(slide, 0.5, 6.85, 12.3, 0.5),
              [(f"... and {len(problems) - TABLE_ROWS} more: see summary.md.", 12, False,
                GREY)])


#: Colours of the verdicts on the verdict slide.
VERDICT_COLOURS = {verdicts.SUPPORTED: RGBColor(0x00, 0x7A, 0x3D),
                   verdicts.CONTRADICTED: RGBColor(0xB2, 0x22, 0x22),
                   verdicts.INCONCLUSIVE: GREY}


def verdict_slide(prs, rep: Any) -> None:
    """The verdict on each claim of the experiment, with its evidence (figures, interval, n)."""
    slide = prs.slides.add_slide(prs.slide_layouts[TITLE_ONLY_LAYOUT])
    found = list(getattr(rep, "verdicts", []))
    if not found:
        _title(slide, "Claims: none stated for this sweep")
        _text(_box(slide, 0.5, 1.4, 12.3, 1.0), [(
            "This sweep is not a shipped experiment, so it states no claim to judge; the "
            "charts compare its arms.", 16, False, INK)])
        return
    counts = {k: sum(v.verdict == k for v in found) for k in VERDICT_COLOURS}
    _title(slide, "Claims: " + ", ".join(f"{n} {k}" for k, n in counts.items() if n))
    lines: list[tuple[str, int, bool, RGBColor]] = []
    chars = sum(len(v.told) + len(v.hypothesis.statement) for v in found)
    size = 14 if chars <= 900 else 12 if chars <= 1600 else 10
    for v in found:
        lines.append((f"{v.hypothesis.claim} {v.verdict.upper()}: {v.hypothesis.statement}",
                      size + 2, True, VERDICT_COLOURS[v.verdict]))
        lines.append((v.told, size, False, INK))
    _text(_box(slide, 0.5, 1.3, 12.3, 5.6), lines)


def assumptions_slide(prs, rep: Any) -> None:
    """What the results rest on: assumed parameters, replicates, population, what is left out."""
    slide = prs.slides.add_slide(prs.slide_layouts[TITLE_ONLY_LAYOUT])
    _title(slide, "Assumptions and limitations")
    lines = verdicts.assumptions(rep, tested_claims(rep))
    _text(_box(slide, 0.5, 1.3, 12.3, 5.6),
          [("- " + line, 15 if len(lines) <= 9 else 13, False, INK) for line in lines])
