"""Override strings (``key=value``, ``+key=value``, ``~key``): the one parser of them.

It also says what is wrong with a list of overrides that is not one, and with a key the
schema does not have, however it is written (``foo=1``, ``+foo=1``, ``++foo=1``), with the
keys it may have meant.

A run or a sweep is defined by its command line's overrides; they are stored in ``sweep.json``
and ``.hydra/overrides.yaml`` and read back by sweeps, tables and reports. This module reads
them as text, without Hydra (the command line parses sweep syntax such as ``a=1,2`` with Hydra's
own grammar, :mod:`sim.cli`); everything else reads them through :func:`parse_override` and
:func:`override_values`.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from sim.config.errors import ConfigError
from sim.config.schema import Config

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


def check_overrides(overrides: Any) -> list[str]:
    """``overrides`` as a list, if it is a list (or tuple) of strings.

    Raises:
        TypeError: one line saying what was given and what is expected (a string alone is
            not a list of overrides: ``load_config("p=0.1")`` is ``load_config(["p=0.1"])``).
    """
    if overrides is None:
        return []
    if isinstance(overrides, (str, bytes)):
        raise TypeError(f"overrides={overrides!r}: must be a list of strings, not a string; "
                        f"e.g. load_config([{overrides!r}])")
    if not isinstance(overrides, (list, tuple)):
        raise TypeError(f"overrides={overrides!r}: must be a list of strings such as "
                        f"['p=0.1'], not {type(overrides).__name__}")
    for item in overrides:
        if not isinstance(item, str):
            raise TypeError(f"overrides={list(overrides)!r}: must be a list of strings such "
                            f"as ['p=0.1']; {item!r} is a {type(item).__name__}")
    return list(overrides)


def _schema_keys(obj: Any = None, prefix: str = "") -> list[str]:
    """Every dotted key of the schema, nested sections included."""
    obj = Config() if obj is None else obj
    keys = []
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        keys.append(prefix + f.name)
        if dataclasses.is_dataclass(value):
            keys.extend(_schema_keys(value, f"{prefix}{f.name}."))
    return keys


def unknown_key(key: str, value: Any = None) -> ConfigError:
    """The one-line error for a key the schema does not have, with the keys it may mean.

    ``pp='0.1': unknown key (did you mean p?); known keys here: name, mode, ...``: close
    names at the same place first (:func:`difflib.get_close_matches`), then keys elsewhere
    with the same last part (``posts`` -> ``strategy.posts``), else keys elsewhere whose last
    part is close; three at most.
    """
    *parents, last = key.split(".")
    parent: Any = Config()
    for part in parents:
        child = getattr(parent, part, None)
        if not dataclasses.is_dataclass(child):
            break
        parent = child
    here = [f.name for f in dataclasses.fields(parent)]
    everywhere = _schema_keys()
    # close names here, then the same name elsewhere (posts -> strategy.posts), then close
    # names elsewhere
    where = key[:-len(last)]
    guesses = [where + name for name in difflib.get_close_matches(last, here, n=3, cutoff=0.6)]
    guesses += [k for k in everywhere if k.rsplit(".", 1)[-1] == last and k != key]
    if not guesses:
        lasts = {k.rsplit(".", 1)[-1] for k in everywhere}
        close = set(difflib.get_close_matches(last, lasts, n=3, cutoff=0.8))
        guesses = [k for k in everywhere if k.rsplit(".", 1)[-1] in close]
    guesses = list(dict.fromkeys(guesses))[:3]
    hint = f" (did you mean {' or '.join(guesses)}?)" if guesses else ""
    return ConfigError(key, value, f"unknown key{hint}; known keys here: {', '.join(here)}")


def first_unknown_key(tree: Mapping[str, Any], schema: Any = None,
                      prefix: str = "") -> tuple[str, Any] | None:
    """The first key of a composed config (plain nested mappings) that the schema lacks.

    Hydra adds a key written ``+key=value`` or ``++key=value`` to the composed config
    whatever the schema says, and the typed config would then drop it without a word.

    Returns:
        ``(dotted key, its value)``, or None when every key is in the schema.
    """
    schema = Config() if schema is None else schema
    fields = {f.name: getattr(schema, f.name) for f in dataclasses.fields(schema)}
    for name, value in tree.items():
        key = f"{prefix}{name}"
        if name not in fields:
            return key, value
        if isinstance(value, Mapping) and dataclasses.is_dataclass(fields[name]):
            found = first_unknown_key(value, fields[name], key + ".")
            if found:
                return found
    return None
