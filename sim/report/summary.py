"""The written summary of a report, as Markdown (``summary.md``) and HTML (``summary.html``).

Both are rendered from one list of blocks (headings, paragraphs, lists, tables, images), so
they always say the same thing: takeaways, the sweep and its failed or missing runs, each
outcome by arm with its CI and ranking, the paired differences, the charts and the methods.
"""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.outputs.files import atomic_write
from sim.report import verdicts
from sim.report.design import replicates_per_cell, short_key, tested_claims
from sim.report.outcomes import OUTCOMES, display, fmt
from sim.report.stats import ALPHA, LEVEL

#: Pairs listed per outcome before only the distinguishable ones are.
MAX_PAIRS = 15

METHODS = (
    "Each strategy's mean over replicates comes with a {level:.0%} BCa bootstrap interval "
    "(bias-corrected and accelerated; {b:,} resamples of the replicates drawn with numpy's "
    "seeded default generator). Differences between two strategies are paired by replicate "
    "(seed and replicate index), since replicates with the same index share their random "
    "numbers: for each pair, the mean difference with its BCa interval from the same "
    "resamples, the ratio of means, Cohen's d_z (mean difference / SD of the differences) and "
    "a two-sided paired t-test. P-values are Holm-adjusted over all pairs of an outcome; a "
    "difference is distinguishable from zero when the adjusted p-value is below {alpha}. "
    "Ranks are by mean; strategies that share a letter are not distinguishable. Intervals are "
    "not adjusted for multiplicity. With fewer than about 10 replicates, bootstrap intervals "
    "are narrower than their nominal level: add replicates before trusting a close call."
)


#: Shown where an interval cannot be computed (fewer than two replicates).
NO_INTERVAL = "none (1 replicate)"


def _ci(low: float, high: float, o: Any) -> str:
    if not (np.isfinite(low) and np.isfinite(high)):
        return NO_INTERVAL
    return f"[{fmt(o, low)}, {fmt(o, high)}]"


def _diff_ci(low: float, high: float, o: Any) -> str:
    if not (np.isfinite(low) and np.isfinite(high)):
        return NO_INTERVAL
    return f"[{_diff(low, o)}, {_diff(high, o)}]"


def _diff(value: float, o: Any) -> str:
    if not np.isfinite(value):
        return "n/a"
    scale = o.scale if o is not None else 1.0
    v = value * scale
    return f"{v:+,.0f}" if abs(v) >= 100 else f"{v:+.3g}"


def _p(value: float) -> str:
    if not np.isfinite(value):
        return "n/a"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def blocks(rep: Any) -> list[tuple]:
    """The summary as a list of blocks, each a tuple whose first item says what it is.

    The blocks are ``("h1"|"h2"|"h3"|"p", text)``, ``("ul", items)``,
    ``("table", header, rows)`` and ``("img", alt, src)``.
    """
    runs, design = rep.sweep.runs, rep.design
    manifest = rep.sweep.manifest or {}
    name = manifest.get("experiment") or manifest.get("name") or rep.sweep.root.name
    counts = {s: int((runs["status"] == s).sum()) for s in ("complete", "failed", "missing")}
    arm_word = "strategy" if design.by_strategy or design.arm is None else short_key(design.arm)
    out: list[tuple] = [("h1", f"{name}: report"), (
        "p", f"Sweep `{rep.sweep.root}`: {len(runs):,} runs, {counts['complete']:,} complete, "
             f"{counts['failed']:,} failed, {counts['missing']:,} missing. Config fingerprint "
             f"`{rep.fingerprint}`.")]
    flag = replicate_flag(rep)
    if flag:
        out.append(("p", f"Warning: {flag}."))
    if rep.charts:
        out += [("h2", "Takeaways"), ("ul", [c.title for c in rep.charts])]
    out += _verdict_blocks(rep)
    out.append(("h2", "Sweep"))
    facts = [["factors", ", ".join(f"`{f}` ({len(design.levels[f])} values)"
                                   for f in design.factors) or "none (one configuration)"]]
    done = rep.sweep.complete
    if len(done):
        per_config = (design.values.loc[done.index].groupby(design.factors).size()
                      if design.factors else pd.Series([len(done)]))
        facts.append(["replicates per configuration", _range(per_config)])
        facts.append(["seeds", ", ".join(map(str, sorted(done["seed"].dropna().unique())))])
        if "n_agents" in done:
            facts.append(["agents (N)", _range(done["n_agents"])])
    found = tested_claims(rep)
    if found:
        facts.append(["claims tested", ", ".join(found)])
    out.append(("table", ["", ""], facts))
    if len(rep.changed):
        out += [("h3", "Parameters that differ from the defaults"),
                ("table", ["key", "default", "values in this sweep", "source"],
                 [[f"`{r.key}`", r.default, r.values, r.source]
                  for r in rep.changed.itertuples()])]
    out.append(("h2", "Failed and missing runs"))
    problems = rep.problems
    if problems.empty:
        out.append(("p", "None: every run finished."))
    else:
        out += [("p", f"{len(problems)} run(s) did not finish; they are left out of the "
                      "statistics (pairs lose those replicates)."),
                ("table", ["run", "status", "strategy", "replicate", "error"],
                 [[f"`{r.run}`", r.status, _s(r.strategy), _s(r.replicate), _s(r.error)]
                  for r in problems.itertuples()])]
    for note in rep.notes:
        out.append(("p", note))
    if not rep.arms.empty:
        out += _outcome_blocks(rep, arm_word)
        out += _money_blocks(rep, arm_word)
        out += _cell_blocks(rep, arm_word)
    if rep.charts:
        out.append(("h2", "Charts"))
        for c in rep.charts:
            out += [("h3", c.title), ("p", c.subtitle), ("img", c.title, f"charts/{c.name}.png")]
    out += [("h2", "Methods"), ("p", METHODS.format(level=LEVEL, b=_resamples(rep),
                                                     alpha=ALPHA))]
    if design.cells:
        out.append(("p", f"This sweep also varies {', '.join(map(short_key, design.cells))}: "
                         "strategies are compared within each value (pairs matched by "
                         "replicate), and n counts the replicates of one value; the charts "
                         "draw means pooled over those values (their subtitles say so), "
                         "but no takeaway states a figure pooled over them."))
    out += [("h2", "Assumptions and limitations"),
            ("ul", verdicts.assumptions(rep, tested_claims(rep)))]
    out += [("h2", "Files"), ("table", ["file", "what"], _files(rep))]
    return out


def _resamples(rep: Any) -> int:
    return int(rep.bootstrap)


def _range(values: pd.Series) -> str:
    values = pd.Series(values).dropna()
    if values.empty:
        return "n/a"
    lo, hi = int(values.min()), int(values.max())
    return f"{lo:,}" if lo == hi else f"{lo:,}-{hi:,}"


def _s(value: Any) -> str:
    return "" if value is None or value is pd.NA or (isinstance(value, float)
                                                      and np.isnan(value)) else str(value)


def _outcome_blocks(rep: Any, arm_word: str) -> list[tuple]:
    out: list[tuple] = [("h2", f"Outcomes by {arm_word}"), (
        "p", f"Mean over replicates, {LEVEL:.0%} BCa bootstrap interval, rank (1 = best) and "
             "letters: those sharing a letter are not distinguishable.")]
    cells = bool(rep.design.cells) and not rep.cell_arms.empty
    arms = rep.cell_arms if cells else rep.arms
    diffs = rep.cell_diffs if cells else rep.diffs
    where = ", ".join(map(short_key, rep.design.cells)) if cells else ""
    if cells:
        out.append(("p", f"Compared within each {where}: n is the replicates of the "
                         f"{arm_word} at that {where}."))
    for key in dict.fromkeys(arms["outcome"]):
        o = OUTCOMES[key]
        rows = arms[arms["outcome"] == key]
        order = {c: i for i, c in enumerate(sorted(set(rows["cell"]), key=_cell_order))}
        rows = rows.assign(_k=rows["cell"].map(order)).sort_values(["_k", "rank"])
        out += [("h3", o.label + (" (lower is better)" if o.better == "lower" else "")),
                ("table", ([where] if cells else []) + ["rank", arm_word, "mean",
                                                        f"{LEVEL:.0%} CI", "n", "group"],
                 [([r.cell] if cells else []) + [
                     str(r.rank), display(r.arm), fmt(o, r.mean), _ci(r.ci_low, r.ci_high, o),
                     str(r.n), r.letters] for r in rows.itertuples()])]
    out += [("h2", "Paired differences"), (
        "p", f"A - B per replicate pair: mean difference with its {LEVEL:.0%} BCa interval, "
             f"ratio of means, Cohen's d_z, Holm-adjusted p-value; 'yes' when distinguishable "
             f"from zero at {ALPHA}.")]
    for key in dict.fromkeys(diffs["outcome"]):
        o = OUTCOMES[key]
        rows = diffs[diffs["outcome"] == key]
        note = None
        if len(rows) > MAX_PAIRS:
            shown = rows[rows["distinguishable"]]
            note = (f"{len(shown)} of {len(rows)} pairs are distinguishable; only those are "
                    "listed (all are in differences.csv).")
            rows = shown
        out.append(("h3", o.label))
        if note:
            out.append(("p", note))
        out.append(("table", ([where] if cells else []) + [
                        "A - B", "difference", f"{LEVEL:.0%} CI", "ratio", "d_z", "p (Holm)",
                        "n (pairs)", "distinguishable"],
                    [([r.cell] if cells else []) + [
                      f"{display(r.arm_a)} - {display(r.arm_b)}", _diff(r.diff, o),
                      _diff_ci(r.ci_low, r.ci_high, o),
                      f"{r.ratio:.2f}" if np.isfinite(r.ratio) else "n/a",
                      f"{r.d_z:.2f}" if np.isfinite(r.d_z) else "n/a", _p(r.p_holm),
                      str(r.n_pairs), "yes" if r.distinguishable else "no"]
                     for r in rows.itertuples()]))
    return out


#: Budget lines of ``summary.json`` shown in the money table, before and after the tiers.
MONEY_BEFORE = (("spent_posts", "posts"),)
MONEY_AFTER = (("spent_incentives", "incentives and perks"), ("spent_owned", "owned channel"),
               ("spent", "total"))
TIER_PREFIX = "spent_placements_"


def _money_blocks(rep: Any, arm_word: str) -> list[tuple]:
    """Where the money went, per arm: posts, placements by influencer tier, the rest (EUR).

    Means over the arm's complete runs (all cells pooled); a tier no arm paid is left out.
    """
    runs = rep.labelled
    if runs.empty or "spent" not in runs:
        return []
    tiers = [c for c in runs.columns if c.startswith(TIER_PREFIX)
             and runs[c].fillna(0).to_numpy().any()]
    lines = [*MONEY_BEFORE, *((c, "placements: " + c.removeprefix(TIER_PREFIX) + " tier")
                              for c in tiers), *MONEY_AFTER]
    lines = [(c, label) for c, label in lines if c in runs]
    means = runs.groupby("arm")[[c for c, _ in lines]].mean()
    order = [a for a in dict.fromkeys(rep.arms["arm"]) if a in means.index]
    return [("h2", "Where the money went"), (
        "p", "Mean EUR per run by budget line; placements by the influencer tier of the "
             "seeded member (followers: regular under 1,000, nano 1,000-10,000, micro "
             "10,000-50,000, mid 50,000-500,000, macro 500,000-1,000,000, mega above); "
             "ambassadors are paid perks, counted with incentives."),
        ("table", [arm_word, *(label for _, label in lines)],
         [[display(a), *(f"{means.loc[a, c]:,.0f}" for c, _ in lines)] for a in order])]


def replicate_flag(rep: Any) -> str:
    """A warning when a cell has fewer than 10 replicates (empty otherwise)."""
    runs = getattr(rep, "labelled", None)
    if runs is None or runs.empty:
        return ""
    few, _ = replicates_per_cell(runs)
    if few < 2:
        return ("One replicate per configuration: no interval can be given, no difference is "
                "claimed and no claim is judged")
    if few < verdicts.MIN_REPLICATES:
        return (f"Only {few} replicates per configuration (fewer than "
                f"{verdicts.MIN_REPLICATES}): intervals are too narrow to trust, and no claim "
                "is judged")
    return ""


def _verdict_blocks(rep: Any) -> list[tuple]:
    """The verdict on each claim statement of the sweep's experiment, with its evidence."""
    found = getattr(rep, "verdicts", [])
    if not found:
        return [("h2", "Claims"), ("p", "No claim is judged: this sweep is not a shipped "
                                        "experiment, so it states no testable statement.")]
    return [("h2", "Claims"), (
        "p", "Each claim of the experiment as a testable statement, with its verdict: "
             "supported (the paired difference is in the stated direction and its 95% "
             "interval excludes 0 in every cell), contradicted (wholly in the other "
             f"direction), inconclusive (otherwise, or fewer than {verdicts.MIN_REPLICATES} "
             "paired replicates)."),
        ("table", ["claim", "statement", "verdict", "evidence"],
         [[v.hypothesis.claim, v.hypothesis.statement, v.verdict, v.told]
          for v in found])]


def _cell_blocks(rep: Any, arm_word: str) -> list[tuple]:
    """People reached within each cell (e.g. each p): what the pooled tables average over."""
    arms = rep.cell_arms
    key = "reached"
    if arms.empty or not (arms["outcome"] == key).any():
        return []
    o = OUTCOMES[key]
    rows = arms[arms["outcome"] == key]
    order = list(dict.fromkeys(rep.arms[rep.arms["outcome"] == key].sort_values("rank")["arm"]))
    order += [a for a in dict.fromkeys(rows["arm"]) if a not in order]
    table = rows.set_index(["cell", "arm"])
    body = []
    for cell in sorted(dict.fromkeys(rows["cell"]), key=_cell_order):
        line = [cell]
        for arm in order:
            if (cell, arm) in table.index:
                r = table.loc[(cell, arm)]
                line.append(f"{fmt(o, r['mean'])} {_ci(r['ci_low'], r['ci_high'], o)} "
                            f"{r['letters']}")
            else:
                line.append("n/a")
        body.append(line)
    return [("h2", f"{o.label} within each {', '.join(map(short_key, rep.design.cells))}"),
            ("p", f"Mean, {LEVEL:.0%} BCa interval and letters, compared within the row only."),
            ("table", ["", *(display(a) for a in order)], body)]


def _cell_order(label: str) -> list[Any]:
    """Sort key of a cell label: ``p=0.06`` before ``p=0.1`` (numbers compared as numbers)."""
    parts = re.split(r"(-?\d+(?:\.\d+)?(?:e-?\d+)?)", label)
    return [(0, float(t), "") if i % 2 else (1, 0.0, t) for i, t in enumerate(parts)]


def _files(rep: Any) -> list[list[str]]:
    what = {
        "runs.parquet": "one row per run: status, error, metrics, resolved config (config.*)",
        "timeseries.parquet": "one row per (run, step, layer) of every complete run",
        "outcomes.csv": "per strategy (and cell): mean, SD, BCa CI, rank, letters",
        "differences.csv": "per pair of strategies: paired difference, CI, ratio, d_z, p, Holm",
        "summary.md": "this summary",
        "summary.html": "this summary, for a browser (charts embedded: it stands alone)",
        "report.json": "the sweep, its design, problems, takeaways and files, for programs",
        "deck.pptx": "the slide deck",
    }
    rows = [[f"`{k}`", v] for k, v in what.items() if k in rep.files or k.startswith("summary")
            or k == "report.json"]
    if rep.charts:
        rows.append(["`charts/*.png`, `charts/*.svg`", "the charts, PNG at 200 dpi and SVG"])
    return rows


def to_markdown(items: list[tuple]) -> str:
    """Render blocks as GitHub-flavoured Markdown."""
    lines: list[str] = []
    for block in items:
        kind = block[0]
        if kind in ("h1", "h2", "h3"):
            lines += ["#" * int(kind[1]) + " " + block[1], ""]
        elif kind == "p":
            lines += [block[1], ""]
        elif kind == "ul":
            lines += [f"- {item}" for item in block[1]] + [""]
        elif kind == "table":
            header, rows = block[1], block[2]
            cell = lambda v: str(v).replace("|", "\\|")  # noqa: E731
            lines += ["| " + " | ".join(map(cell, header)) + " |",
                      "|" + "---|" * len(header)]
            lines += ["| " + " | ".join(map(cell, r)) + " |" for r in rows] + [""]
        elif kind == "img":
            lines += [f"![{block[1]}]({block[2]})", ""]
    return "\n".join(lines)


def _inline(text: str) -> str:
    """HTML-escape, then turn `code` spans into <code>."""
    parts = html.escape(str(text)).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


CSS = ("body{font-family:Arial,Helvetica,sans-serif;max-width:1100px;margin:2em auto;"
       "color:#1a1a1a;line-height:1.45}table{border-collapse:collapse;margin:.6em 0 1.4em}"
       "td,th{border-bottom:1px solid #ddd;padding:.3em .8em;text-align:left}"
       "th{background:#f4f4f4}img{max-width:100%;border:1px solid #eee}code{background:#f4f4f4;"
       "padding:0 .2em}h2{margin-top:1.8em}")


def to_html(items: list[tuple], title: str, base: Path | None = None) -> str:
    """Render blocks as one self-contained HTML page.

    With ``base`` (the report directory), images are embedded as base64 ``data:`` URIs, so the
    page stands alone when sent without its directory; without it they are linked.
    """
    body: list[str] = []
    for block in items:
        kind = block[0]
        if kind in ("h1", "h2", "h3"):
            body.append(f"<{kind}>{_inline(block[1])}</{kind}>")
        elif kind == "p":
            body.append(f"<p>{_inline(block[1])}</p>")
        elif kind == "ul":
            body.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in block[1]) + "</ul>")
        elif kind == "table":
            head = "".join(f"<th>{_inline(h)}</th>" for h in block[1])
            rows = "".join("<tr>" + "".join(f"<td>{_inline(v)}</td>" for v in r) + "</tr>"
                           for r in block[2])
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
        elif kind == "img":
            src = _data_uri(base / block[2]) if base is not None else html.escape(block[2])
            body.append(f'<p><img src="{src}" alt="{html.escape(block[1])}"></p>')
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{CSS}</style></head>\n<body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def _data_uri(path: Path) -> str:
    """A PNG file as a ``data:`` URI."""
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def write_summaries(rep: Any) -> dict[str, Path]:
    """Write ``summary.md`` and ``summary.html`` into the report directory."""
    items = blocks(rep)
    title = items[0][1]
    written = {}
    for name, text in (("summary.md", to_markdown(items)),
                       ("summary.html", to_html(items, title, Path(rep.out)))):
        path = Path(rep.out) / name
        atomic_write(path, lambda tmp, t=text: Path(tmp).write_text(t, encoding="utf-8"))
        written[name] = path
    return written
