"""Typed configuration: the schema of every run, its documentation and its validation.

Every key is a dataclass field whose ``metadata`` carries its documentation (``doc``), its unit
and its allowed range. :func:`validate` walks the whole tree and raises :class:`ConfigError` with
a one-line message naming the dotted key, the value and what is allowed; the README's config
reference is generated from the same metadata (:func:`config_reference`), so docs and checks
cannot drift apart.

This module is plain Python: Hydra only registers these classes in its ConfigStore
(:mod:`sim.cli`).
"""

from __future__ import annotations

import dataclasses
import enum
import math
import os
from dataclasses import dataclass, field
from typing import Any, Iterator


class ConfigError(ValueError):
    """An invalid configuration value; the message is one line: ``key=value: what is allowed``."""

    def __init__(self, key: str, value: Any, allowed: str) -> None:
        self.key, self.value, self.allowed = key, value, allowed
        super().__init__(f"{key}={value!r}: {allowed}")


class Mode(enum.Enum):
    """How a run is simulated."""

    full = "full"
    """Every mechanism that is switched on in the config."""
    independent_cascade = "independent_cascade"
    """Reduction mode: the pure independent cascade model with p = ``p`` (DOMAIN section 3)."""


class Generator(enum.Enum):
    """How a layer's graph is made."""

    community_small_world = "community_small_world"
    preferential_attachment = "preferential_attachment"
    file = "file"


class Trace(enum.Enum):
    """Which exposures the run keeps in its trace."""

    all = "all"
    """Every exposure (parent, child, layer, post, step, whether it led to a share)."""
    activations = "activations"
    """Only the exposures that activated their receiver (the diffusion forest)."""


def _f(default: Any, doc: str, *, lo: float | None = None, hi: float | None = None,
       unit: str = "", source: str = "", kind: str = "") -> Any:
    """A dataclass field with its documentation and range in ``metadata``."""
    meta = {"doc": doc, "lo": lo, "hi": hi, "unit": unit, "source": source, "kind": kind}
    return field(default=default, metadata=meta)


def _nested(factory: Any, doc: str) -> Any:
    return field(default_factory=factory, metadata={"doc": doc})


@dataclass
class LayerConfig:
    """One platform (layer): who is on it and how its graph is made (C13, C15)."""

    enabled: bool = _f(True, "Whether this layer exists in the run.")
    membership: float = _f(0.9, "Share of agents who are members of this layer; members are "
                           "drawn independently per layer.", lo=0, hi=1, unit="fraction",
                           source="C13: professional ~ 1/3 of personal (500M vs 1.5B)")
    generator: Generator = _f(Generator.community_small_world,
                              "Graph family: community_small_world (clustered, communities), "
                              "preferential_attachment (hubs, company clusters) or file.")
    path: str | None = _f(None, "Edge list or GraphML file when generator=file; its nodes "
                          "are the layer's members (relabelled 0..n-1, mapping kept).")
    mean_degree: int = _f(10, "community_small_world: ring-lattice degree k (even).",
                          lo=2, unit="edges per node", kind="even")
    rewire: float = _f(0.1, "community_small_world: probability that a lattice edge is "
                       "rewired (Watts-Strogatz beta).", lo=0, hi=1, unit="per edge")
    community_size: float = _f(100.0, "community_small_world: mean community size.",
                               lo=1, unit="agents")
    mixing: float = _f(0.2, "community_small_world: share of rewired edges that leave the "
                       "community.", lo=0, hi=1, unit="fraction")
    m: int = _f(5, "preferential_attachment: edges added per new node (Barabasi-Albert m).",
                lo=1, unit="edges")
    company_size: float = _f(20.0, "preferential_attachment: mean company size.", lo=1,
                             unit="agents")
    company_degree: float = _f(4.0, "preferential_attachment: mean extra links to colleagues.",
                               lo=0, unit="edges per node")
    activity: float = _f(1.0, "Probability that a member is active on this layer in a step; "
                         "exposures wait in the feed until then.", lo=0, hi=1,
                         unit="per agent per step", source="C15 (assumption)")


def _personal() -> LayerConfig:
    return LayerConfig()


def _professional() -> LayerConfig:
    return LayerConfig(membership=0.3, generator=Generator.preferential_attachment)


@dataclass
class NetworkConfig:
    """The multiplex: one population, one graph per platform (C6, C13)."""

    personal: LayerConfig = _nested(_personal, "The personal (Facebook-like) layer.")
    professional: LayerConfig = _nested(_professional,
                                        "The professional (LinkedIn-like) layer.")
    crosspost: float = _f(0.1, "Probability that a sharer also posts the content on each of "
                          "its other layers.", lo=0, hi=1, unit="per share per layer",
                          source="C6 (assumption)")
    feed_ttl: int = _f(3, "Steps an unseen exposure stays in a member's feed before it "
                       "expires.", lo=1, unit="steps", source="assumption")


@dataclass
class OutputConfig:
    """What a run writes besides ``summary.json`` and ``timeseries.parquet``."""

    trace: Trace = _f(Trace.all, "Exposures kept in trace.parquet: all, or only those that "
                      "activated their receiver.")
    write_trace: bool = _f(True, "Write trace.parquet (the exposure trace).")
    chart: bool = _f(True, "Write reach.png, cumulative reach per layer over time.")


@dataclass
class Config:
    """One run: population, layers, share rule, horizon, seed.

    ``p`` and ``seeds`` are the headline knobs; in ``mode=independent_cascade`` every other
    effect is off (activity 1, no cross-posting, one decision per exposure) and the run goes on
    until no exposure is left, ``steps`` being only a cap.
    """

    name: str = _f("default", "Run name; output directories are grouped under it.")
    mode: Mode = _f(Mode.full, "full, or independent_cascade (reduction mode).")
    seed: int = _f(0, "Root seed of the run's SeedSequence.", lo=0)
    replicate: int = _f(0, "Replicate index, the SeedSequence spawn key; replicates of two "
                        "strategies with the same index share their random numbers.", lo=0)
    n: int = _f(10_000, "Number of agents (ignored when graph is set: n = nodes in the file).",
                lo=2, unit="agents")
    steps: int = _f(60, "Horizon (a cap in independent_cascade mode).", lo=1,
                    unit="steps (days)")
    graph: str | None = _f(None, "Edge list or GraphML file: when set, the run has this one "
                           "layer (named graph) instead of personal and professional.")
    p: float = _f(0.15, "Base share probability per exposure, sigmoid(b0).", lo=0, hi=1,
                  unit="per exposure", source="assumption")
    seeds: int = _f(10, "Seed agents per post, drawn at random among members.", lo=1,
                    unit="agents")
    network: NetworkConfig = _nested(NetworkConfig, "Layers and cross-posting.")
    output: OutputConfig = _nested(OutputConfig, "Extra outputs.")

    def __post_init__(self) -> None:
        validate(self)


def _walk(obj: Any, prefix: str = "") -> Iterator[tuple[str, dataclasses.Field, Any]]:
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        key = f"{prefix}{f.name}"
        if dataclasses.is_dataclass(value):
            yield from _walk(value, key + ".")
        else:
            yield key, f, value


def _allowed(meta: dict) -> str:
    lo, hi = meta.get("lo"), meta.get("hi")
    if lo is not None and hi is not None:
        return f"must be in [{lo:g}, {hi:g}]"
    if lo is not None:
        return f"must be >= {lo:g}"
    return f"must be <= {hi:g}"


def validate(config: Config) -> None:
    """Check every range and every cross-key constraint; raise :class:`ConfigError` at the first.

    Args:
        config: a fully typed config (``OmegaConf.to_object`` calls this via ``__post_init__``).

    Raises:
        ConfigError: one line naming the dotted key, the value and what is allowed.
    """
    for key, f, value in _walk(config):
        meta = f.metadata
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(key, value, "must be a finite number")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            lo, hi = meta.get("lo"), meta.get("hi")
            if (lo is not None and value < lo) or (hi is not None and value > hi):
                raise ConfigError(key, value, _allowed(meta))
        if meta.get("kind") == "even" and value % 2:
            raise ConfigError(key, value, "must be an even integer")
    for name in ("personal", "professional"):
        layer: LayerConfig = getattr(config.network, name)
        if config.graph is None and layer.enabled and layer.generator is Generator.file:
            _check_file(f"network.{name}.path", layer.path)
    if config.graph is not None:
        _check_file("graph", config.graph)
    elif not (config.network.personal.enabled or config.network.professional.enabled):
        raise ConfigError("network.personal.enabled", False,
                          "at least one layer must be enabled (or set graph=PATH)")


def _check_file(key: str, path: str | None) -> None:
    """Cheap checks that let a bad path fail before any work; parsing errors come at load."""
    if path is None or path == "":
        raise ConfigError(key, path, "a path to an edge list or GraphML file is required")
    if not os.path.exists(path):
        raise ConfigError(key, path, "file does not exist")
    if os.path.isdir(path):
        raise ConfigError(key, path, "is a directory; expected an edge list or GraphML file")
    if not os.access(path, os.R_OK):
        raise ConfigError(key, path, "file is not readable (permission denied)")


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

