"""What a sweep varied, read from its runs' overrides or, failing those, their configs.

A *factor* is a swept key: an override key (``strategy=adapted``, ``network=both``,
``p=0.1``) whose value differs across the runs of the manifest (or of the runs'
``.hydra/overrides.yaml``), other than ``seed``, ``replicate`` and ``replicates``. Without
overrides, factors are read from the resolved configs: keys whose value differs across runs and
that are not a function of a factor found before them (``strategy.name`` first, so
``strategy.adapted`` varying with the strategy is not a factor of its own).

The *arm* is the factor compared in rankings: the strategy when strategies differ, else the
first other factor; ``p`` is never the arm, it has the viral-threshold chart. The remaining
factors make the *cells* in which arms are compared. Replicates are paired on (``seed``,
``replicate``) within a cell, as common random numbers make them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sim.claims import EXPERIMENTS, ordered
from sim.config import NOT_FACTORS, Config, config_dict, dotted_keys, override_values
from sim.config.reference import key_claims, key_sources
from sim.report.collect import CONFIG_PREFIX, ReportError

#: Keys examined first, in this order.
FIRST = ("strategy", "strategy.name", "p")
#: The dose factor with its own chart (the viral threshold); never the arm.
DOSE = "p"
#: Pairing key of replicates within a cell.
PAIR_KEYS = ("seed", "replicate")
STRATEGY_KEYS = ("strategy", "strategy.name")


@dataclass
class Design:
    """Factors, arm and cells of a sweep.

    Attributes:
        factors: swept keys (override keys, or config keys without the ``config.`` prefix),
            arm first.
        arm: the factor compared in rankings, or ``None`` (only ``p`` varies, or nothing).
        cells: the other factors.
        levels: each factor's values, sorted.
        values: each run's factor values (index of the runs table, one column per factor).
        source: ``"overrides"`` or ``"configs"``: where the factors were read.
    """

    factors: list[str]
    arm: str | None
    cells: list[str]
    levels: dict[str, list[Any]] = field(default_factory=dict)
    values: pd.DataFrame = field(default_factory=pd.DataFrame)
    source: str = "configs"

    @property
    def by_strategy(self) -> bool:
        """Whether the arms are strategies."""
        return self.arm in STRATEGY_KEYS


def _parse(value: str) -> Any:
    """An override value as a number when it is one."""
    try:
        number = float(value)
    except ValueError:
        return value
    return int(number) if number.is_integer() and "." not in value and "e" not in value \
        else number


def _override_table(runs: pd.DataFrame) -> pd.DataFrame | None:
    """One column per override key (values parsed), or ``None`` when some overrides are unknown.

    ``None`` means a run that has a config has no known overrides.
    """
    if "overrides" not in runs:
        return None
    known = runs["overrides"].notna()
    has_config = runs[CONFIG_PREFIX + "mode"].notna() if CONFIG_PREFIX + "mode" in runs \
        else known
    if not known.any() or (has_config & ~known).any():
        return None
    rows = []
    for text in runs["overrides"]:
        items = json.loads(text) if isinstance(text, str) else []
        rows.append({key: _parse(value) for key, value in override_values(map(str, items)).items()
                     if not key.startswith("hydra.")})
    return pd.DataFrame(rows, index=runs.index)


def _varying(table: pd.DataFrame, keys: list[str]) -> list[str]:
    return [k for k in keys if k not in NOT_FACTORS
            and table[k].astype("string").nunique(dropna=False) > 1]


def _independent(table: pd.DataFrame, ordered: list[str]) -> list[str]:
    """Keys of ``ordered`` that are not a function of the keys kept before them."""
    kept: list[str] = []
    for key in ordered:
        col = table[key].astype("string").fillna("<null>")
        if kept:
            by = [table[f].astype("string").fillna("<null>") for f in kept]
            if (col.groupby(by).nunique() <= 1).all():
                continue
        kept.append(key)
    return kept


def detect(runs: pd.DataFrame) -> Design:
    """Find the factors of a sweep from its runs table (``overrides`` and ``config.*``)."""
    table = _override_table(runs)
    source = "overrides"
    if table is None:
        source = "configs"
        configured = runs[runs[CONFIG_PREFIX + "mode"].notna()] if (
            CONFIG_PREFIX + "mode") in runs else runs.iloc[:0]
        table = configured[[c for c in runs.columns if c.startswith(CONFIG_PREFIX)]]
        table = table.rename(columns=lambda c: c.removeprefix(CONFIG_PREFIX))
    varied = _varying(table, list(table.columns))
    ordered = [k for k in FIRST if k in varied] + [k for k in varied if k not in FIRST]
    factors = _independent(table, ordered)
    arm = next((f for f in factors if f != DOSE), None)
    if arm is not None:
        factors.remove(arm)
        factors.insert(0, arm)
    levels = {f: sorted(table[f].dropna().unique().tolist(), key=_sort_key) for f in factors}
    return Design(factors=factors, arm=arm, cells=[f for f in factors if f != arm],
                  levels=levels, values=table[factors].reindex(runs.index), source=source)


def _sort_key(value: Any) -> tuple[int, Any]:
    return (0, float(value)) if isinstance(value, (int, float)) else (1, str(value))


def short_key(key: str) -> str:
    """A config key's last two parts, or one when it is unambiguous.

    ``strategy.split`` -> ``split``; ``network.professional.activity`` ->
    ``professional.activity``.
    """
    parts = key.split(".")
    return parts[-1] if parts[0] in ("strategy", "") or len(parts) <= 2 else ".".join(parts[-2:])


def cell_label(keys: list[str], values: tuple) -> str:
    """``["p"], (0.1,)`` -> ``p=0.1``; no keys -> ``all``."""
    if not keys:
        return "all"
    return ", ".join(f"{short_key(k)}={value_text(v)}"
                     for k, v in zip(keys, values, strict=True))


def label_arms(runs: pd.DataFrame, design: Design) -> pd.DataFrame:
    """The runs with ``arm`` and ``cell`` columns: the arm factor's and the others' values.

    ``arm`` is the arm factor's value (a strategy name, or ``split=0.3``); ``cell`` the other
    factors' values (``p=0.1``, or ``all``).

    Args:
        runs: the runs table.
        design: the sweep's design (:func:`detect`).
    """
    out = runs.copy()
    values = design.values.reindex(out.index)
    if design.by_strategy:
        out["arm"] = values[design.arm].astype("string").fillna(out["strategy"])
    elif design.arm is not None:
        key = short_key(design.arm)
        out["arm"] = [f"{key}={value_text(v)}" for v in values[design.arm]]
    else:
        out["arm"] = out["strategy"].astype("string").fillna("all")
    out["cell"] = ([cell_label(design.cells, vs)
                    for vs in zip(*(values[f] for f in design.cells), strict=True)]
                   if design.cells else "all")
    return out


def value_text(value: Any) -> str:
    """A factor value as shown: ``0.1``, ``10``, ``both``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) >= 1 else f"{value:g}"
    return f"{value:g}" if isinstance(value, float) else str(value)


def fingerprint(hashes: pd.Series) -> str:
    """The sweep's config fingerprint: 12 hex digits of sha256 over its runs' config hashes.

    The runs' distinct ``config_hash`` values are sorted first: same fingerprint, same set of
    configs.
    """
    text = "\n".join(sorted(str(h) for h in hashes.dropna().unique()))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def changed_from_defaults(runs: pd.DataFrame) -> pd.DataFrame:
    """Config keys whose value differs from the schema's default in at least one run.

    Returns:
        One row per key: ``key``, ``default``, ``values`` (the sweep's distinct values, as
        text), ``varied`` (whether runs differ on it) and ``source`` (the claim, C1..C15,
        or assumption, from the config reference).
    """
    defaults = dotted_keys(config_dict(Config()))
    sources = key_sources()
    rows = []
    for key, default in defaults.items():
        col = CONFIG_PREFIX + key
        if key in NOT_FACTORS or key.startswith("output.") or col not in runs:
            continue
        values = runs[col].dropna().unique().tolist()
        if not values or all(_same(v, default) for v in values):
            continue
        shown = sorted({value_text(v) for v in values}, key=lambda s: _sort_key(_num(s)))
        rows.append({"key": key, "default": value_text(default) if default is not None else "null",
                     "values": ", ".join(shown[:12]) + (" ..." if len(shown) > 12 else ""),
                     "varied": len(values) > 1, "source": sources.get(key, "")})
    return pd.DataFrame(rows, columns=["key", "default", "values", "varied", "source"])




def _same(value: Any, default: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return value == default
    try:
        return float(value) == float(default)
    except (TypeError, ValueError):
        return str(value) == str(default)


def _num(text: str) -> Any:
    try:
        return float(text)
    except ValueError:
        return text


def claims(keys: Iterable[str]) -> list[str]:
    """The claims (``C1``..``C15``) behind config keys, in numeric order.

    Keys are dotted, as in :func:`sim.config.dotted_keys`; the claims are read from the schema's
    metadata, and keys the schema does not have add none.
    """
    behind = key_claims()
    return ordered(c for key in keys for c in behind.get(str(key), ()))


def experiment_claims(name: str) -> list[str]:
    """The claims a shipped experiment (``conf/experiment/<name>.yaml``) tests.

    They come from the claims registry (:data:`sim.claims.EXPERIMENTS`); an experiment it does
    not list tests none.
    """
    known = EXPERIMENTS.get(name)
    return list(known.claims) if known is not None else []


def tested_claims(rep: Any) -> list[str]:
    """The claims a sweep tests, in numeric order.

    They are those its experiment tests, and those behind the parameters it changed from the
    defaults (the schema's metadata).
    """
    found = set(claims(rep.changed["key"]) if len(rep.changed) else [])
    experiment = (rep.sweep.manifest or {}).get("experiment")
    if experiment:
        found |= set(experiment_claims(str(experiment)))
    return ordered(found)


def check_one_definition(runs: pd.DataFrame, root: Any = "") -> None:
    """Refuse runs of different sweep definitions (different swept keys) in one directory.

    Two signs betray them: runs whose override keys differ (``p=...`` runs beside
    ``strategy=...`` runs), and, beside a manifest, runs it does not list that vary keys the
    listed runs do not.

    Raises:
        ReportError: one line naming both definitions.
    """
    done = runs[runs["status"] != "missing"]
    groups: dict[frozenset[str], list[Any]] = {}
    if "overrides" in done:
        for idx, text in done["overrides"].items():
            if isinstance(text, str):
                keys = frozenset(k for k in override_values(map(str, json.loads(text)))
                                 if k not in NOT_FACTORS and not k.startswith("hydra."))
                groups.setdefault(keys, []).append(idx)
    if len(groups) > 1:
        (_, a), (_, b) = sorted(groups.items(), key=lambda kv: -len(kv[1]))[:2]
        _refuse(root, runs, a, b, "", "")
    if "in_manifest" not in done:
        return
    listed = done["in_manifest"].fillna(False).astype(bool)
    if listed.all() or not listed.any():
        return
    configs = runs.drop(columns=["overrides"], errors="ignore")
    every, mine = detect(configs.loc[done.index]), detect(configs.loc[done.index[listed]])
    if set(every.factors) != set(mine.factors):
        _refuse(root, configs.loc[done.index], list(done.index[listed]),
                list(done.index[~listed]), " (in sweep.json)", " (not in sweep.json)")


def _refuse(root: Any, runs: pd.DataFrame, a: list[Any], b: list[Any], tag_a: str,
            tag_b: str) -> None:
    """Raise the one-line error naming two sweep definitions by what each varies."""
    design = detect(runs.drop(columns=["overrides"], errors="ignore")
                    if tag_a else runs.loc[a + b])
    values = design.values

    def name(idx: list[Any]) -> str:
        parts = []
        for f in design.factors:
            levels = sorted(values.loc[idx, f].dropna().unique().tolist(), key=_sort_key)
            if not levels:
                continue
            key = "strategy" if f in STRATEGY_KEYS else short_key(f)
            parts.append(f"{key}={','.join(value_text(v) for v in levels)}")
        return " ".join(parts) + f" ({len(idx)} runs)"

    raise ReportError(f"{root}: runs of two sweep definitions are mixed here: {name(a)}{tag_a} "
                      f"and {name(b)}{tag_b}; report on a directory that holds one sweep")


def replicates_per_cell(runs: pd.DataFrame) -> tuple[int, int]:
    """Fewest and most complete replicates of an arm in a cell (``arm`` and ``cell`` labelled)."""
    if runs.empty:
        return 0, 0
    counts = runs.groupby(["arm", "cell"], observed=True).size()
    return int(counts.min()), int(counts.max())
