"""The assumptions of the model and their plausible ranges, read from the schema's metadata.

A key's plausible range (:func:`sim.config.schema._f`'s ``plausible``) says which values of an
assumption a researcher could not rule out: the calibration's interval for a calibrated key, a
published range, or a stated judgement. Robustness studies draw *worlds* over the ranges of
the keys whose role is ``world`` (:func:`world_assumptions`); levers (the brand's choices),
definitions of outcomes and structural switches of the model carry a range for the reader but
are never drawn.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from sim.config.schema import Config, Generator, Mode, _walk

#: Keys of a layer that only its generator uses.
_GENERATOR_KEYS = {
    Generator.community_small_world: ("mean_degree", "rewire", "community_size", "mixing"),
    Generator.preferential_attachment: ("m", "company_size", "company_degree"),
}


@dataclass(frozen=True)
class Assumption:
    """One key's plausible range.

    Attributes:
        key: the dotted key (``share.fatigue``).
        default: its value in the config it was read from.
        low: the range's low end.
        high: the range's high end.
        log: whether worlds are drawn on a log scale.
        integer: whether the key is an integer (``even`` too, for a ring lattice's degree).
        even: whether the key must be even.
        why: where the range comes from.
        unit: the key's unit.
        role: ``world``, ``lever``, ``definition`` or ``model``.
    """

    key: str
    default: float
    low: float
    high: float
    log: bool
    integer: bool
    why: str
    unit: str = ""
    role: str = "world"
    even: bool = False

    def text(self) -> str:
        """``0.099-0.81 (log scale): why``."""
        scale = ", log scale" if self.log else ""
        return f"{self.low:g}-{self.high:g}{scale}: {self.why}"


def _range(meta: Any, key: str) -> tuple[float, float, str] | None:
    spec = meta.get("plausible")
    if isinstance(spec, dict):
        parent = key.split(".")[-2] if "." in key else ""
        spec = spec.get(parent)
    return spec


def _assumption(key: str, f: dataclasses.Field, value: Any) -> Assumption | None:
    meta = f.metadata
    spec = _range(meta, key)
    if spec is None:
        return None
    low, high, why = spec
    return Assumption(key=key, default=value, low=low, high=high, log=bool(meta.get("log")),
                      integer=isinstance(value, int) and not isinstance(value, bool),
                      why=why, unit=meta.get("unit", ""), role=meta.get("role") or "world",
                      even=meta.get("kind") == "even")


def all_assumptions(config: Config | None = None) -> list[Assumption]:
    """Every key with a plausible range, whatever its role, in schema order."""
    config = Config() if config is None else config
    out = []
    for key, f, value in _walk(config):
        a = _assumption(key, f, value)
        if a is not None:
            out.append(a)
    return out


def plausible(key: str, config: Config | None = None) -> Assumption:
    """The plausible range of ``key``.

    Raises:
        KeyError: the key has none (a run control, a sourced fact, or not a key).
    """
    for a in all_assumptions(config):
        if a.key == key:
            return a
    raise KeyError(f"{key}: no plausible range (not an assumption of the model)")


def _applies(key: str, config: Config) -> bool:
    """Whether ``key`` changes anything in a run of ``config``."""
    parts = key.split(".")
    if config.mode is Mode.independent_cascade:
        return key == "p"
    if parts[0] == "network" and len(parts) == 3:
        section = parts[1]
        if section == "topic":
            return config.network.topic.enabled
        layer = getattr(config.network, section)
        if config.graph is not None or not layer.enabled:
            return False
        for generator, keys in _GENERATOR_KEYS.items():
            if parts[2] in keys:
                return layer.generator is generator
        return True
    if parts[0] == "budget" and len(parts) == 3:
        layer = getattr(config.network, parts[1], None)
        return layer is None or (layer.enabled and config.graph is None)
    return True


def world_assumptions(config: Config | None = None) -> list[Assumption]:
    """The assumptions a robustness study draws for ``config``: role ``world``, and applying.

    A layer's keys apply when the layer is on (and no ``graph`` file replaces the layers), its
    generator's keys only for that generator; the topic layer's when it is on; in reduction
    mode only ``p``. ``default`` is each key's value in ``config``.
    """
    config = Config() if config is None else config
    return [a for a in all_assumptions(config) if a.role == "world" and _applies(a.key, config)]
