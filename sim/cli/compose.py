"""Composing a config as the command does, for the command itself and for notebooks.

It owns the schema in Hydra's ConfigStore, the ``run_or_sweep`` resolver, and
:func:`load_config`, which is ``sim.load_config``.

Importing this module registers the resolver, so every process that composes the config (the
command, a sweep's job process, a notebook) resolves ``${run_or_sweep:a,b}``.
"""

from __future__ import annotations

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


def _compose(overrides: list[str] | None,
             with_dirs: bool) -> tuple[Config, dict[str, str | None]]:
    """Compose, type and validate ``overrides``; with Hydra's directories if ``with_dirs``."""
    overrides = check_overrides(overrides)
    with _LOCK:
        register_configs()
        try:
            with initialized():
                cfg = hydra.compose("config", overrides=overrides,
                                    return_hydra_config=with_dirs)
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
