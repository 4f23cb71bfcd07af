"""The generated parts of the README, and each config key's provenance for the reports.

The README's generated parts are the config reference (every key with its meaning, unit,
default, range and source) and the table of the domain brief's claims; a key's provenance is
its claims and its source.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

from sim.claims import CLAIMS
from sim.config.assumptions import all_assumptions
from sim.config.schema import Config, _allowed, _walk

#: Every key's plausible range, by key.
_PLAUSIBLE = {a.key: a for a in all_assumptions()}


def config_reference_markdown() -> str:
    """The config reference as a Markdown table (pasted into the README)."""
    lines = ["| key | default | allowed | unit | meaning |", "|---|---|---|---|---|"]
    for key, default, allowed, unit, doc in config_reference():
        lines.append(f"| `{key}` | `{default}` | {allowed} | {unit} | {doc} |")
    return "\n".join(lines)


def config_reference() -> list[tuple[str, str, str, str, str]]:
    """Rows (key, default, allowed, unit, doc and source) for the README's config reference."""
    rows = []
    for key, f, value in _walk(Config()):
        meta = f.metadata
        if isinstance(value, enum.Enum):
            allowed = " / ".join(m.value for m in type(value))
            shown = value.value
        elif meta.get("lo") is not None or meta.get("hi") is not None:
            allowed, shown = _allowed(meta).removeprefix("must be "), value
        else:
            allowed, shown = "", value
        source = source_text(meta)
        doc = meta["doc"] + (f" Source: {source}." if source else "")
        doc += plausible_text(key)
        rows.append((key, "null" if shown is None else str(shown), allowed,
                     meta.get("unit", ""), doc))
    return rows


def plausible_text(key: str) -> str:
    """`` Plausible: 0.099-0.81 (why).`` for a key with a plausible range, else empty.

    Levers, definitions and structural switches say so: a robustness study does not draw them.
    """
    a = _PLAUSIBLE.get(key)
    if a is None:
        return ""
    role = {"lever": " (a lever: not drawn as a world)",
            "definition": " (a definition: not drawn as a world)",
            "model": " (a structural switch: not drawn as a world)"}.get(a.role, "")
    scale = ", log scale" if a.log else ""
    return f" Plausible: {a.low:g}-{a.high:g}{scale}{role}; {a.why}."


def source_text(meta: Mapping[str, Any]) -> str:
    """A key's provenance in words, from its metadata's ``claims`` and ``source``.

    ``C13: professional ~ 1/3 of personal (500M vs 1.5B)`` (claims and what their sources say),
    ``C10, C12 (assumption)`` (a claim's mechanism, an assumed value), ``C9`` (a claim alone),
    ``assumption`` (no claim); empty when the key has neither.
    """
    ids, note = ", ".join(meta.get("claims", ())), meta.get("source", "")
    if not ids or not note:
        return ids or note
    return f"{ids} (assumption)" if note == "assumption" else f"{ids}: {note}"


def key_claims() -> dict[str, tuple[str, ...]]:
    """Each config key (dotted) with the ids of the claims behind it (possibly none)."""
    return {key: tuple(f.metadata.get("claims", ())) for key, f, _ in _walk(Config())}


def key_sources() -> dict[str, str]:
    """Each config key (dotted) with its provenance in words (:func:`source_text`)."""
    return {key: source_text(f.metadata) for key, f, _ in _walk(Config())}


def claims_markdown() -> str:
    """The claims of the domain brief as a Markdown table (pasted into the README)."""
    lines = ["| claim | statement | source | mechanism in the model |", "|---|---|---|---|"]
    for c in CLAIMS.values():
        sources = ", ".join(f"`{s}`" for s in c.sources)
        lines.append(f"| {c.id} | {c.statement} | {sources} | {c.mechanism} |")
    return "\n".join(lines)


#: The README's generated blocks: their markers and what renders them.
_BLOCKS = (
    ("<!-- config-reference:start -->", "<!-- config-reference:end -->",
     config_reference_markdown),
    ("<!-- claims:start -->", "<!-- claims:end -->", claims_markdown),
)


def render_readme(text: str) -> str:
    """``text`` (the README) with its generated tables regenerated.

    The tables are the claims, regenerated from the claims registry, and the config reference,
    regenerated from the schema.
    """
    for start, end, render in _BLOCKS:
        head, rest = text.split(start)
        _, tail = rest.split(end)
        text = f"{head}{start}\n{render()}\n{end}{tail}"
    return text
