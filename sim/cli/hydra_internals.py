"""Every use of Hydra's internals by the command line, in one place.

Hydra has no public API for what the sweep glue needs: listing a sweep's jobs the way the basic
sweeper does, applying value overrides to a composed config, the directory name Hydra derives
from a job's overrides, telling a config group from a key, giving a job's config to
:class:`~hydra.core.hydra_config.HydraConfig` without a copy, skipping the sweeper's second
composition of every job, and changing how a launcher composes and launches its jobs. Each
function below wraps one such use, says why it is needed and what breaks if Hydra changes it;
the other modules of :mod:`sim.cli` call these functions and touch no ``hydra._internal``
module, no private attribute and no Hydra class.

:func:`missing` lists the internals the installed Hydra lacks (``tests/test_hydra_internals.py``
fails with it, naming the installed and the tested version); :data:`TESTED_HYDRA` is the
version these uses were written and tested against.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.core.override_parser.types import Override
from hydra.plugins.launcher import Launcher
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext
from hydra.utils import get_class
from omegaconf import DictConfig

#: The hydra-core version whose internals this module was written and tested against.
TESTED_HYDRA = "1.3.8"


def incompatible(what: str) -> str:
    """The message for an internal of Hydra that is missing or changed.

    It says ``what``, with the installed and the tested version of hydra-core.
    """
    return (f"hydra-core {hydra.__version__} {what}; mindshare's command line relies on "
            f"Hydra internals tested with hydra-core {TESTED_HYDRA} (sim/cli/hydra_internals.py)")


try:
    # Private modules of Hydra: the config loader's override code and the basic sweeper.
    from hydra._internal.config_loader_impl import ConfigLoaderImpl, get_overrides_dirname
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
except ImportError as exc:  # a Hydra that moved them: say which versions, not just the name
    raise ImportError(incompatible(f"has no {exc.name or exc}")) from exc

#: ``hydra.sweeper._target_`` of Hydra's basic sweeper (the default one): the only sweeper
#: whose jobs :func:`sweep_jobs` lists as it launches them.
BASIC_SWEEPER = f"{BasicSweeper.__module__}.{BasicSweeper.__qualname__}"
#: Marks a launcher method replaced by :func:`_patch`, holding the method it replaced.
_ORIGINAL = "_mindshare_original"


def is_basic_sweeper(config: DictConfig) -> bool:
    """Whether the sweep ``config`` runs with Hydra's basic sweeper."""
    return config.hydra.sweeper.get("_target_") == BASIC_SWEEPER


def sweep_jobs(overrides: list[Override]) -> list[list[str]]:
    """Each job's overrides, in the order the basic sweeper launches them.

    Why internal: the manifest must list the jobs before any starts, in the sweeper's order,
    and only ``BasicSweeper.split_arguments`` (a static method of a private class) knows it.
    If Hydra renames it or changes its return (a list of batches, each a list of jobs), the
    sweep's planning fails at its start.
    """
    [batch] = BasicSweeper.split_arguments(overrides, None)   # no max_batch_size: one batch
    return batch


def skip_second_validation() -> None:
    """Make the basic sweeper, in this process, skip its second composition of every job.

    The sweeper composes every job before launching them (``validate_batch_is_legal``), which
    the sweep's planning has just done.

    Why internal: a monkeypatch of the method, which the basic sweeper inherits from
    :class:`hydra.plugins.sweeper.Sweeper`; the second pass costs 0.1 to 0.25 s per job,
    serially, before the first job starts. The patch is on ``Sweeper``, not on
    ``BasicSweeper``: Hydra loads its core plugins by executing their modules afresh, so the
    sweeper it runs is an instance of another ``BasicSweeper`` class than the one an import
    gives, and only their shared base is the same class. Only the driver calls this, once it
    knows the sweeper is the basic one. If Hydra stops calling the method, nothing breaks but
    the delay comes back; if it removes it, :func:`missing` says so.
    """
    Sweeper.validate_batch_is_legal = lambda self, batch: None


def apply_values(overrides: list[Override], config: DictConfig) -> None:
    """Apply value overrides (``key=value``) to a composed ``config``, as Hydra's loader does.

    Hydra's config loader applies them after composing.

    Why internal: ``ConfigLoaderImpl._apply_overrides_to_config`` is private; a job's config made
    from a composed base must set its values with Hydra's own code (types, interpolations,
    errors) to be the config Hydra would compose. If Hydra renames it, every sweep fails at its
    planning; if it changes what it does, ``tests/test_sweep_compose.py`` fails.
    """
    ConfigLoaderImpl._apply_overrides_to_config(overrides, config)


def override_dirname(overrides: list[Override], dirname: DictConfig) -> str:
    """``hydra.job.override_dirname`` of a job with ``overrides``, from the settings ``dirname``.

    The settings are ``hydra.job.config.override_dirname``.

    Why internal: ``get_overrides_dirname`` lives in Hydra's private config loader module; a
    config made from a base must derive the name exactly as Hydra does (a user's
    ``hydra.sweep.subdir`` may use it). If Hydra moves it, sweeps fail at their planning.
    """
    return get_overrides_dirname(overrides=overrides, kv_sep=dirname.kv_sep,
                                 item_sep=dirname.item_sep, exclude_keys=dirname.exclude_keys)


def is_group(loader: Any, key: str) -> bool:
    """Whether ``key`` names a config group (``strategy``) rather than a key (``p``).

    Why internal: Hydra's public ``ConfigLoader`` does not say; its implementation's
    ``repository`` attribute does. If Hydra removes the attribute, sweeps fail at their
    planning with an AttributeError.
    """
    return bool(loader.repository.group_exists(key))


@contextmanager
def job_hydra_config(job: DictConfig) -> Iterator[None]:
    """Within the block, :class:`HydraConfig` holds the composed ``job``; restored after.

    Interpolations such as ``${hydra:job.override_dirname}`` then resolve as in the job.

    Why internal: it sets the singleton's ``cfg`` attribute directly; ``set_config`` would
    first copy the whole config, for every job of the sweep. If Hydra renames the attribute,
    a job's directory no longer resolves while planning and the sweep fails at its start.
    """
    instance = HydraConfig.instance()
    saved = instance.cfg
    instance.cfg = job  # type: ignore[assignment]
    try:
        yield
    finally:
        instance.cfg = saved


def launcher_class(config: DictConfig) -> type | None:
    """The class of the sweep's launcher (``hydra.launcher._target_``), None without one."""
    target = (config.hydra.get("launcher") or {}).get("_target_")
    return get_class(str(target)) if target else None


def compose_jobs_with(launcher: type, loader: Any) -> None:
    """Make every ``launcher`` of this process compose its jobs through ``loader``.

    Why internal: a monkeypatch of the launcher class's ``setup``. Every launcher Hydra ships
    (basic, joblib, Ray, submitit) keeps the ``hydra_context`` given to ``setup`` and composes
    a job with ``hydra_context.config_loader.load_sweep_config``, in the driver or pickled into
    the job's process; Hydra has no setting for the loader. If a launcher stops doing so, its
    jobs compose with Hydra's own loader: correct, only slower.
    """
    def wrap(setup: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(setup)
        def wrapped(self: Any, *, hydra_context: Any, **kwargs: Any) -> None:
            setup(self, hydra_context=dataclasses.replace(hydra_context, config_loader=loader),
                  **kwargs)
        return wrapped

    _patch(launcher, "setup", wrap)


def replace_launch(launcher: type,
                   wrap: Callable[[Callable[..., Sequence[Any]]], Callable[..., Sequence[Any]]]
                   ) -> None:
    """Replace the ``launch`` method of ``launcher`` (in this process) by ``wrap(launch)``.

    Why internal: a monkeypatch of the launcher class; Hydra calls ``launch(job_overrides,
    initial_job_idx)`` of its launcher and has no hook around it. If Hydra changes that
    signature, the wrapped method fails on its first call.
    """
    _patch(launcher, "launch", wrap)


def _patch(cls: type, name: str, wrap: Callable[[Callable[..., Any]], Callable[..., Any]]
           ) -> None:
    """Set ``cls.<name>`` to ``wrap`` of its original method.

    Patching again replaces the previous patch instead of stacking on it.
    """
    current = getattr(cls, name)
    original = getattr(current, _ORIGINAL, current)
    patched = wrap(original)
    setattr(patched, _ORIGINAL, original)
    setattr(cls, name, patched)


def missing(loader: Any = None) -> list[str]:
    """The internals of Hydra used here that the installed Hydra lacks or has changed.

    Args:
        loader: a config loader of an initialised Hydra
            (``GlobalHydra.instance().config_loader()``), to check :func:`is_group` too.
    """
    problems = []
    split = getattr(BasicSweeper, "split_arguments", None)
    if split is None or _params(split)[:2] != ["overrides", "max_batch_size"]:
        problems.append("BasicSweeper.split_arguments(overrides, max_batch_size)")
    if not callable(getattr(Sweeper, "validate_batch_is_legal", None)):
        problems.append("Sweeper.validate_batch_is_legal")
    apply = getattr(ConfigLoaderImpl, "_apply_overrides_to_config", None)
    if apply is None or _params(apply) != ["overrides", "cfg"]:
        problems.append("ConfigLoaderImpl._apply_overrides_to_config(overrides, cfg)")
    if sorted(_params(get_overrides_dirname)) != ["exclude_keys", "item_sep", "kv_sep",
                                                  "overrides"]:
        problems.append("get_overrides_dirname(overrides, exclude_keys, item_sep, kv_sep)")
    if loader is not None and not callable(
            getattr(getattr(loader, "repository", None), "group_exists", None)):
        problems.append("ConfigLoaderImpl.repository.group_exists")
    if "cfg" not in vars(HydraConfig.instance()):
        problems.append("HydraConfig.cfg")
    if "hydra_context" not in _params(Launcher.setup):
        problems.append("Launcher.setup(hydra_context=...)")
    if _params(Launcher.launch)[1:] != ["job_overrides", "initial_job_idx"]:
        problems.append("Launcher.launch(job_overrides, initial_job_idx)")
    if "config_loader" not in {f.name for f in dataclasses.fields(HydraContext)}:
        problems.append("HydraContext.config_loader")
    return problems


def _params(function: Callable[..., Any]) -> list[str]:
    return list(inspect.signature(function).parameters)
