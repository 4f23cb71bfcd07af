"""Composing a config as the command does, for the command itself and for notebooks.

It owns the schema in Hydra's ConfigStore, the ``run_or_sweep`` resolver, and
:func:`load_config`, which is ``sim.load_config``.

Importing this module registers the resolver, so every process that composes the config (the
command, a sweep's job process, a notebook) resolves ``${run_or_sweep:a,b}``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import hydra
from hydra.core.config_store import ConfigStore
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from sim.cli.errors import config_error
from sim.config import Config, ConfigError

#: The package holding ``config.yaml`` and its config groups (``conf/`` in the source tree).
CONFIG_MODULE = "sim.conf"
#: Hydra's ``version_base``: the defaults of Hydra 1.3.
VERSION_BASE = "1.3"


def register_configs() -> None:
    """Register the schema so that ``conf/config.yaml`` is checked against it."""
    ConfigStore.instance().store(name="base_config", node=Config)


@contextmanager
def initialized() -> Iterator[None]:
    """Within the block, Hydra is initialised on :data:`CONFIG_MODULE` (``hydra.compose`` works).

    Hydra is cleared before and after, so that any earlier initialisation is forgotten.
    """
    GlobalHydra.instance().clear()
    try:
        with hydra.initialize_config_module(CONFIG_MODULE, version_base=VERSION_BASE):
            yield
    finally:
        GlobalHydra.instance().clear()


def load_config(overrides: list[str] | None = None) -> Config:
    """Compose the config exactly as the CLI does and return it typed and validated.

    Args:
        overrides: Hydra overrides, e.g. ``["experiment=independent_cascade", "p=0.2"]``.

    Raises:
        ConfigError: a bad key, type or value, with a one-line message.
    """
    register_configs()
    try:
        with initialized():
            cfg = hydra.compose("config", overrides=list(overrides or []))
    except Exception as exc:  # Hydra's composition errors carry the reason in their cause
        raise config_error(exc, overrides or []) from exc
    return to_config(cfg)


def to_config(cfg: DictConfig) -> Config:
    """Convert a composed DictConfig (without Hydra's own node) to a validated :class:`Config`.

    Raises:
        ConfigError: a bad key, type or value, with a one-line message.
    """
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
