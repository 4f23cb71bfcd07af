"""Composing a config as the command does, for the command itself and for notebooks.

It owns the schema in Hydra's ConfigStore, the ``run_or_sweep`` resolver, and
:func:`load_config`, which is ``sim.load_config``.

Importing this module registers the resolver, so every process that composes the config (the
command, a sweep's job process, a notebook) resolves ``${run_or_sweep:a,b}``.
"""

from __future__ import annotations

import pickle
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import hydra
from hydra.core.config_store import ConfigStore
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf, open_dict
from omegaconf.errors import OmegaConfBaseException

from sim.cli.errors import config_error
from sim.config import (
    Config,
    ConfigError,
    check_overrides,
    first_unknown_key,
    override_values,
    unknown_key,
)

#: The package holding ``config.yaml`` and its config groups (``conf/`` in the source tree).
CONFIG_MODULE = "sim.conf"
#: Hydra's ``version_base``: the defaults of Hydra 1.3.
VERSION_BASE = "1.3"
#: Hydra's initialisation is global to the process: one composition at a time.
_LOCK = threading.RLock()


def register_configs() -> None:
    """Register the schema so that ``conf/config.yaml`` is checked against it."""
    ConfigStore.instance().store(name="base_config", node=Config)


@contextmanager
def initialized() -> Iterator[None]:
    """Within the block, Hydra is initialised on :data:`CONFIG_MODULE` (``hydra.compose`` works).

    Hydra is cleared before and after, so that any earlier initialisation is forgotten; the
    block holds a lock, so threads compose one after the other.
    """
    with _LOCK:
        GlobalHydra.instance().clear()
        try:
            with hydra.initialize_config_module(CONFIG_MODULE, version_base=VERSION_BASE):
                yield
        finally:
            GlobalHydra.instance().clear()


def load_config(overrides: list[str] | None = None) -> Config:
    """Compose the config exactly as the CLI does and return it typed and validated.

    Safe to call from several threads at once (Hydra's global state is held by one at a time).

    Args:
        overrides: Hydra overrides, e.g. ``["experiment=independent_cascade", "p=0.2"]``.

    Raises:
        TypeError: ``overrides`` is not a list of strings.
        ConfigError: a bad key, type or value, with a one-line message.
    """
    return _compose(overrides, with_dirs=False)[0]


def load_config_and_dirs(overrides: list[str]) -> tuple[Config, dict[str, str | None]]:
    """:func:`load_config`, and the directories Hydra would write to, from one composition.

    The command checks a run's config and its directory before Hydra starts; composing once
    with Hydra's own node, then dropping it, does both for the price of one composition.

    Returns:
        The validated config, and ``{"run": hydra.run.dir, "sweep": hydra.sweep.dir}`` as
        Hydra resolves them for ``overrides`` (``None`` where one does not resolve: Hydra
        then reports the problem itself).

    Raises:
        TypeError, ConfigError: as :func:`load_config`.
    """
    return _compose(overrides, with_dirs=True)


def unusual(override: Any) -> bool:
    """An override a fast path leaves to Hydra: it adds, deletes or places a key, or sweeps.

    ``override``: a parsed :class:`hydra.core.override_parser.types.Override`.
    """
    return (override.is_add() or override.is_force_add() or override.is_delete()
            or override.package is not None or override.is_sweep_override())


#: Composed configs by their config-group overrides (pickled), for :func:`_compose_fast`.
_BASES: dict[tuple[str, ...], bytes] = {}
#: Keys seen in overrides: whether each names a config group (``strategy``) or a value (``p``).
_GROUPS: dict[str, bool] = {}


def _compose_fast(overrides: list[str]) -> Config | None:
    """The config of ``overrides`` from a base composed before, or None to compose it anew.

    As a sweep's jobs do (:mod:`sim.cli.job_compose`), the overrides that choose config-group
    options (``experiment=...``, ``strategy=...``) make the *base*, composed by Hydra once per
    process and combination; the value overrides (``p=0.1``, ``graph=...``) are applied to a
    copy with Hydra's own code. The config is then Hydra's, node for node
    (``tests/test_sweep_compose.py``). Anything unusual (``+key``, ``~key``, ``key@pkg``, a key
    never seen, a base not composed yet) and any error go to Hydra's path, which composes,
    caches the base and reports errors with its own words.
    """
    from hydra.core.override_parser.overrides_parser import (  # noqa: PLC0415 - here only
        OverridesParser,
    )

    from sim.cli.hydra_internals import apply_values  # noqa: PLC0415 - sim.cli's own module

    try:
        parsed = OverridesParser.create().parse_overrides(overrides)
    except Exception:  # noqa: BLE001 - Hydra's path reports the problem
        return None
    if any(unusual(o) or o.is_hydra_override() or o.key_or_group not in _GROUPS
           for o in parsed):
        return None
    base = tuple(o.input_line for o in parsed if _GROUPS[o.key_or_group])
    if base not in _BASES:
        return None
    config = pickle.loads(_BASES[base])
    try:
        apply_values([o for o in parsed if not _GROUPS[o.key_or_group]], config)
    except Exception:  # noqa: BLE001 - Hydra's path reports the problem
        return None
    try:
        # the base has no unknown key and a value for one would not apply (struct config):
        # typing is all that is left of to_config
        return OmegaConf.to_object(config)
    except ConfigError:
        raise
    except OmegaConfBaseException:
        return None


def _remember(overrides: list[str], loader: Any, composed: DictConfig) -> None:
    """Note which keys of ``overrides`` name groups, and compose their base for later.

    ``composed`` is the config of ``overrides``: their base when they set no value.
    """
    from hydra.core.override_parser.overrides_parser import (  # noqa: PLC0415 - here only
        OverridesParser,
    )

    from sim.cli.hydra_internals import is_group  # noqa: PLC0415 - sim.cli's own module

    parsed = OverridesParser.create(config_loader=loader).parse_overrides(overrides)
    if any(unusual(o) or o.is_hydra_override() for o in parsed):
        return
    for o in parsed:
        _GROUPS.setdefault(o.key_or_group, is_group(loader, o.key_or_group))
    base = tuple(o.input_line for o in parsed if _GROUPS[o.key_or_group])
    if base not in _BASES:
        _BASES[base] = pickle.dumps(composed if len(base) == len(parsed) else
                                    hydra.compose("config", overrides=list(base)))


def _compose(overrides: list[str] | None,
             with_dirs: bool) -> tuple[Config, dict[str, str | None]]:
    """Compose, type and validate ``overrides``; with Hydra's directories if ``with_dirs``.

    Without directories, a config whose base was composed before is made from it
    (:func:`_compose_fast`): about 10 ms instead of 100.
    """
    overrides = check_overrides(overrides)
    if not with_dirs:
        with _LOCK:
            fast = _compose_fast(overrides)
        if fast is not None:
            return fast, {}
    with _LOCK:
        register_configs()
        try:
            with initialized():
                cfg = hydra.compose("config", overrides=overrides,
                                    return_hydra_config=with_dirs)
                if not with_dirs:
                    try:        # the next config with the same group choices is made faster
                        _remember(overrides, GlobalHydra.instance().config_loader(), cfg)
                    except Exception:  # noqa: BLE001 - only a missed shortcut
                        pass
        except Exception as exc:  # Hydra's composition errors carry the reason in their cause
            raise config_error(exc, overrides) from exc
        dirs: dict[str, str | None] = {}
        if with_dirs:
            for which in ("run", "sweep"):
                try:
                    dirs[which] = str(cfg.hydra[which].dir)
                except Exception:  # noqa: BLE001 - an unresolvable directory: Hydra's to report
                    dirs[which] = None
            with open_dict(cfg):
                del cfg["hydra"]
        return to_config(cfg, overrides), dirs


def to_config(cfg: DictConfig, overrides: list[str] | tuple[str, ...] = ()) -> Config:
    """Convert a composed DictConfig (without Hydra's own node) to a validated :class:`Config`.

    A key the schema lacks (added by ``+key=value`` or ``++key=value``) is refused too, with
    its value as written in ``overrides`` when it is there.

    Raises:
        ConfigError: a bad key, type or value, with a one-line message.
    """
    tree = OmegaConf.to_container(cfg, resolve=False)
    tree.pop("hydra", None)
    unknown = first_unknown_key(tree)
    if unknown is not None:
        key, value = unknown
        raise unknown_key(key, override_values(overrides).get(key, value))
    try:
        return OmegaConf.to_object(cfg)
    except ConfigError:
        raise
    except OmegaConfBaseException as exc:
        raise config_error(exc) from exc


def run_or_sweep(single: Any, sweep: Any) -> Any:
    """Resolver ``${run_or_sweep:a,b}``: ``a`` in a single run, ``b`` in the jobs of a sweep.

    Args:
        single: the value in a single run (and in :func:`load_config`).
        sweep: the value in the jobs of a sweep (``mindshare -m``).
    """
    if HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN:
        return sweep
    return single


OmegaConf.register_new_resolver("run_or_sweep", run_or_sweep, replace=True)
