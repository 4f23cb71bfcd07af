"""Override strings (``key=value``, ``+key=value``, ``~key``): the one parser of them.

A run or a sweep is defined by its command line's overrides; they are stored in ``sweep.json``
and ``.hydra/overrides.yaml`` and read back by sweeps, tables and reports. This module reads
them as text, without Hydra (the command line parses sweep syntax such as ``a=1,2`` with Hydra's
own grammar, :mod:`sim.cli`); everything else reads them through :func:`parse_override` and
:func:`override_values`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

#: Overrides that choose how many runs a job makes, not what a run computes.
BATCH_KEYS: tuple[str, ...] = ("replicate", "replicates")
#: Override keys that are never factors of a sweep's design: they name the sweep or the
#: experiment, or they pick replicates (a different ``seed`` is a different replicate world).
NOT_FACTORS: tuple[str, ...] = ("experiment", "name", "seed", *BATCH_KEYS)
_PREFIXES = "+~"


class Override(NamedTuple):
    """One override: its ``key`` and its ``value``.

    ``key`` is without its ``+``/``++``/``~`` prefix; ``value`` is as written (None for a
    deletion ``~key`` without a value).
    """

    key: str
    value: str | None


def parse_override(text: str) -> Override:
    """``"+a.b=1"`` -> ``Override("a.b", "1")``; ``"~a"`` -> ``Override("a", None)``."""
    key, sep, value = str(text).partition("=")
    return Override(key.lstrip(_PREFIXES).strip(), value if sep else None)


def override_key(text: str) -> str:
    """The key an override sets, without its prefix."""
    return parse_override(text).key


def override_values(overrides: Iterable[str]) -> dict[str, str]:
    """``{key: value}`` of the overrides that set a value (later ones win)."""
    out = {}
    for text in overrides:
        key, value = parse_override(text)
        if value is not None:
            out[key] = value
    return out


def without_keys(overrides: Iterable[str], keys: Iterable[str]) -> tuple[str, ...]:
    """The overrides that do not set one of ``keys``, in their order."""
    dropped = set(keys)
    return tuple(o for o in overrides if override_key(o) not in dropped)
