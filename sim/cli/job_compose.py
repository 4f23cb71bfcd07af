"""Composition of a sweep's job configs at a fraction of Hydra's cost: Hydra launcher glue.

Loaded only by the command line's sweep glue (:mod:`sim.cli.sweep_callback`) and by the
processes that run a sweep's jobs; the rest of ``sim`` never imports it. What it needs of
Hydra's internals (applying overrides, the override directory name, config groups, the
launchers' loader) it gets from :mod:`sim.cli.hydra_internals`.

Hydra composes every job of a sweep from scratch, twice: once in the driver, which checks every
job and lists its runs before any starts, and once in the process that runs the job. A
composition reads every YAML file and schema again (~70 ms of CPU here), as long as a
10,000-agent run's whole simulation. Most jobs of a sweep differ only in plain values
(``p=0.1`` against ``p=0.12``); only a few change a config group (``strategy=adapted``), which
changes which files are composed. :class:`JobConfigLoader` wraps Hydra's config loader so that
each process composes once per combination of config-group choices (the *base*) and makes each
job's config by applying the job's value overrides to a copy of its base, with Hydra's own
override code, then setting what Hydra derives from the overrides (``hydra.overrides.task``,
``hydra.job.override_dirname``). The result is the config Hydra would compose, node for node
(``tests/test_sweep_compose.py`` checks it on every experiment). Overrides that add, delete,
or place keys (``+key``, ``~key``, ``key@package``) take Hydra's own path.

The driver composes the bases first, while it plans the sweep; :meth:`JobConfigLoader.ship`
packs them (pickled, up to :data:`SHIP_LIMIT` bytes) into the loader that travels with every
job, so that a job's process unpacks its base (~1 ms) instead of composing it (~70 ms), with
its own working directory set in ``hydra.runtime.cwd`` (``hydra.runtime.config_sources`` stays
the driver's: where the driver found the configs, which a job on another node only reports).
"""

from __future__ import annotations

import os
import pickle
import time
import uuid
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf, open_dict, read_write

from sim.cli.compose import unusual
from sim.cli.hydra_internals import (
    apply_values,
    compose_jobs_with,
    is_group,
    launcher_class,
    override_dirname,
)

#: Bases composed by this process for the sweep :data:`_SWEEP`, by (config name, group and
#: Hydra overrides in order). A process that runs jobs of several sweeps (a pool's worker, a
#: test) composes again for each: config files may have changed in between.
_BASES: dict[tuple[str, tuple[str, ...]], bytes] = {}   # pickled: a copy costs an unpickle
_SWEEP: str | None = None
#: Most bytes of pickled bases a loader carries to the jobs' processes: it travels with each
#: job, so a sweep of many config-group combinations lets its jobs compose their own.
SHIP_LIMIT = 1 << 20
#: CPU seconds this process spent making job configs since :func:`take_compose_cpu`.
_spent = 0.0


def composed_bases() -> int:
    """How many bases this process holds for its current sweep."""
    return len(_BASES)


def forget_bases() -> None:
    """Forget the bases this process composed, as a new process would start."""
    global _SWEEP
    _BASES.clear()
    _SWEEP = None


def take_compose_cpu() -> float:
    """CPU seconds this process spent composing job configs since the last call; resets it."""
    global _spent
    spent, _spent = _spent, 0.0
    return spent


class JobConfigLoader:
    """A Hydra config loader whose ``load_sweep_config`` reuses a composed base per process.

    Every other attribute is the wrapped loader's. Pickled with the launcher's context into the
    job's process, it carries only the wrapped loader and a token naming the sweep; bases are
    kept per process and per sweep.
    """

    def __init__(self, loader: Any) -> None:
        self.loader = loader
        self.sweep = uuid.uuid4().hex
        self.shipped: dict[tuple[str, tuple[str, ...]], bytes] = {}

    def ship(self) -> int:
        """Pack the bases this process composed for the sweep into the loader; return how many.

        The bases are packed only if they fit in :data:`SHIP_LIMIT` bytes; the number returned
        is how many the loader carries.
        """
        if _SWEEP != self.sweep:
            return 0
        if sum(map(len, _BASES.values())) <= SHIP_LIMIT:
            self.shipped = dict(_BASES)
        return len(self.shipped)

    def __getattr__(self, name: str) -> Any:
        if name in ("loader", "sweep", "shipped"):     # not set yet (while unpickling)
            raise AttributeError(name)
        return getattr(self.loader, name)

    def load_sweep_config(self, master_config: DictConfig,
                          sweep_overrides: list[str]) -> DictConfig:
        """The config of the job ``sweep_overrides`` of the sweep ``master_config``."""
        global _spent, _SWEEP
        start = time.process_time()
        if _SWEEP != self.sweep:
            _BASES.clear()
            _SWEEP = self.sweep
        try:
            return self._compose(master_config, list(sweep_overrides))
        finally:
            _spent += time.process_time() - start

    def _compose(self, master: DictConfig, sweep_overrides: list[str]) -> DictConfig:
        lines = list(OmegaConf.to_container(master.hydra.overrides.hydra)) + sweep_overrides
        parsed = OverridesParser.create(config_loader=self.loader).parse_overrides(lines)
        # `+group=option` of a study's point file: merged into the base, not composed anew
        added = {id(o): _global_file(master, o) for o in parsed if _addable(o)}
        if any(unusual(o) and added.get(id(o)) is None for o in parsed):
            return self.loader.load_sweep_config(master, sweep_overrides)
        is_value = [not o.is_hydra_override() and id(o) not in added
                    and not is_group(self.loader, o.key_or_group) for o in parsed]
        values = [o for o, v in zip(parsed, is_value, strict=True) if v]
        base_lines = tuple(o.input_line for o, v in zip(parsed, is_value, strict=True)
                           if not v and id(o) not in added)
        name = str(master.hydra.job.config_name)
        key = (name, base_lines)
        if key not in _BASES and key in self.shipped:
            _BASES[key] = self.shipped[key]
        if key not in _BASES:
            _BASES[key] = pickle.dumps(self.loader.load_configuration(
                config_name=name, overrides=list(base_lines), run_mode=RunMode.RUN))
        config = pickle.loads(_BASES[key])         # a fresh copy, 5x faster than deepcopy
        if config.hydra.runtime.cwd != os.getcwd():      # a base from the driver
            with read_write(config.hydra.runtime):
                config.hydra.runtime.cwd = os.getcwd()
        for override in parsed:
            if id(override) in added:
                # Hydra appends the option to the defaults list and merges it last, before
                # the command line's values
                try:
                    config.merge_with(added[id(override)])
                except Exception:  # noqa: BLE001 - a key the base lacks: Hydra's path says
                    return self.loader.load_sweep_config(master, sweep_overrides)
                with read_write(config.hydra.runtime), open_dict(config.hydra.runtime):
                    config.hydra.runtime.choices[override.key_or_group] = override.value()
        apply_values(values, config)
        app = [o for o in parsed if not o.is_hydra_override()]
        with open_dict(config.hydra):
            config.hydra.overrides.task = [o.input_line for o in app]
            config.hydra.job.override_dirname = override_dirname(
                app, config.hydra.job.config.override_dirname)
        OmegaConf.copy_cache(from_config=master, to_config=config)
        return config


def _addable(override: Override) -> bool:
    """``+group=option``: one option of a config group added to the defaults, nothing else."""
    return (override.is_add() and not override.is_force_add() and override.package is None
            and not override.is_sweep_override() and not override.is_hydra_override()
            and isinstance(override.value(), str))


def _global_file(master: DictConfig, override: Override) -> DictConfig | None:
    """The option file of ``+group=option`` when the fast path may merge it, else None.

    That is when the option is a file ``<dir>/<group>/<option>.yaml`` of a ``file://`` entry
    of ``hydra.searchpath`` (the first one that has it, as Hydra looks), in the ``_global_``
    package (its first line ``# @package _global_``) and without a defaults list: a study's
    point, which sets values and nothing else. Anything else takes Hydra's own path.
    """
    for entry in master.hydra.searchpath or ():
        entry = str(entry)
        if not entry.startswith("file://"):
            continue
        path = os.path.join(entry.removeprefix("file://"), override.key_or_group,
                            f"{override.value()}.yaml")
        try:
            stat = os.stat(path)
        except OSError:
            continue
        key = (path, stat.st_mtime_ns, stat.st_size)
        if key not in _OPTIONS:          # a point serves every job of its row: parse it once
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
            node = OmegaConf.create(text)
            usable = (text.split("\n", 1)[0].strip() == "# @package _global_"
                      and isinstance(node, DictConfig) and "defaults" not in node)
            _OPTIONS[key] = node if usable else None
        return _OPTIONS[key]
    return None


#: Option files read by :func:`_global_file`, by (path, modification time, size); merging
#: one into a config leaves it unchanged, so one parsed copy serves every job.
_OPTIONS: dict[tuple[str, int, int], DictConfig | None] = {}


def install(config: DictConfig, loader: JobConfigLoader) -> None:
    """Make the sweep's launcher (``hydra.launcher._target_``) compose its jobs through ``loader``.

    The launcher class is changed in this process only.
    """
    launcher = launcher_class(config)
    if launcher is not None:
        compose_jobs_with(launcher, loader)
