"""The slide deck (``deck.pptx``), written with python-pptx.

It has a title slide, one slide per chart with its takeaway as the slide title, a methods slide,
appendix tables and, when some runs failed or are missing, a slide listing them.

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
from sim.report.design import short_key, tested_claims
from sim.report.outcomes import OUTCOMES, display, fmt
from sim.report.stats import ALPHA, LEVEL

WIDTH, HEIGHT = Inches(13.333), Inches(7.5)
FONT = "Arial"
INK, GREY, ACCENT = RGBColor(0x1A, 0x1A, 0x1A), RGBColor(0x5F, 0x5F, 0x5F), \
    RGBColor(0x00, 0x72, 0xB2)
HEADER_FILL, ROW_FILL = RGBColor(0xF0, 0xF0, 0xF0), RGBColor(0xFF, 0xFF, 0xFF)
#: Appendix tables: outcome columns and strategy rows per slide; with at most
#: TRANSPOSE_UP_TO strategies, one row per outcome instead (OUTCOME_ROWS per slide).
TABLE_COLUMNS, TABLE_ROWS = 5, 10
TRANSPOSE_UP_TO, OUTCOME_ROWS = 4, 8
#: Longest title that fits one line at 28 pt across the slide (Arial, about 0.5 em a letter).
ONE_LINE_CHARS = 62
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
    methods_slide(prs, rep)
    appendix_slides(prs, rep)
    problems_slide(prs, rep)
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
    slide = prs.slides.add_slide(prs.slide_layouts[TITLE_ONLY_LAYOUT])
    _title(slide, chart.title)
    one_line = len(chart.title) <= ONE_LINE_CHARS
    image = chart.files.get("deck", chart.files["png"])
    with Image.open(image) as im:
        w_px, h_px = im.size
    top, bottom = (0.95 if one_line else 1.35), 7.35
    height = bottom - top
    width = height * w_px / h_px
    if width > 12.9:
        width, height = 12.9, 12.9 * h_px / w_px
    slide.shapes.add_picture(str(image), Inches((13.333 - width) / 2), Inches(top),
                             Inches(width), Inches(height))
    slide.notes_slide.notes_text_frame.text = (
        f"{chart.subtitle}\n{chart.files['png'].name} in the report's charts folder.")


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
                 _clip(r.values, 48)] for r in changed.itertuples()][:12]
        _text(_box(slide, 7.1, 1.3, 5.8, 0.5),
              [("Parameters that differ from the defaults", 18, True, INK)])
        _table(slide, ["parameter", "default", "this sweep"], rows, 7.1, 1.85, 5.8,
               widths=[2.2, 1.3, 3.3], size=12)


def _span(values) -> str:
    lo, hi = int(min(values)), int(max(values))
    return str(lo) if lo == hi else f"{lo}-{hi}"


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def appendix_slides(prs, rep: Any) -> None:
    """Every outcome by strategy (mean, 95% CI, letters), on as few slides as fit.

    The tables have one row per outcome with up to :data:`TRANSPOSE_UP_TO` strategies, else one
    row per strategy.
    """
    arms = rep.arms
    if arms.empty:
        return
    keys = list(dict.fromkeys(arms["outcome"]))
    rank_by = "reached" if "reached" in keys else keys[0]
    order = arms[arms["outcome"] == rank_by].sort_values("rank")["arm"].tolist()
    table = arms.set_index(["outcome", "arm"])

    def cell(key: str, arm: str) -> str:
        r, o = table.loc[(key, arm)], OUTCOMES[key]
        return (f"{fmt(o, r['mean'])} [{fmt(o, r['ci_low'])}, {fmt(o, r['ci_high'])}] "
                f"{r['letters']}")

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


def problems_slide(prs, rep: Any) -> None:
    """The runs that failed or never finished, when there are any."""
    problems = rep.problems
    if problems.empty:
        return
    slide = prs.slides.add_slide(prs.slide_layouts[TITLE_ONLY_LAYOUT])
    _title(slide, f"Appendix: {len(problems)} run(s) did not finish and are left out", size=24)
    rows = [[str(r.run), str(r.status), display(str(r.strategy)) if isinstance(r.strategy, str)
             else "", "" if r.replicate is None or r.replicate != r.replicate else
             str(r.replicate), _clip(str(r.error or ""), 70)]
            for r in problems.head(TABLE_ROWS).itertuples()]
    _table(slide, ["run", "status", "strategy", "replicate", "error"], rows, 0.5, 1.4, 12.33,
           widths=[1.2, 1.1, 2.0, 1.1, 6.9], size=12)
    if len(problems) > TABLE_ROWS:
        _text(_box(slide, 0.5, 6.85, 12.3, 0.5),
              [(f"... and {len(problems) - TABLE_ROWS} more: see summary.md.", 12, False,
                GREY)])
