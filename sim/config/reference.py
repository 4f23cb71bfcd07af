"""The config reference: every key with its meaning, unit, default and range, for the README."""

from __future__ import annotations

import enum

from sim.config.schema import Config, _allowed, _walk


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
        doc = meta["doc"] + (f" Source: {meta['source']}." if meta.get("source") else "")
        rows.append((key, "null" if shown is None else str(shown), allowed,
                     meta.get("unit", ""), doc))
    return rows


_MARKERS = ("<!-- config-reference:start -->", "<!-- config-reference:end -->")


def render_readme(text: str) -> str:
    """``text`` (the README) with its config reference table regenerated from the schema."""
    start, end = _MARKERS
    head, rest = text.split(start)
    _, tail = rest.split(end)
    return f"{head}{start}\n{config_reference_markdown()}\n{end}{tail}"
