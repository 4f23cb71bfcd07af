"""The command line: the only module that imports Hydra.

``mindshare key=value ...`` composes ``conf/config.yaml`` over the typed schema in
:mod:`sim.config`, checks it (one-line error, exit 2, nothing written, when it is wrong), runs
:func:`sim.simulate` and writes the run's outputs into the directory Hydra chose.
:func:`load_config` gives notebooks the same composition and checks.
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
import sys
import time
from pathlib import Path

import hydra
from hydra.core.config_store import ConfigStore
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from .config import Config, ConfigError
from .networks.io import GraphFileError
from .preflight import check_run_dir

log = logging.getLogger("mindshare")
CONFIG_MODULE = "sim.conf"


def register_configs() -> None:
    """Register the schema so that ``conf/config.yaml`` is checked against it."""
    ConfigStore.instance().store(name="base_config", node=Config)


def load_config(overrides: list[str] | None = None) -> Config:
    """Compose the config exactly as the CLI does and return it typed and validated.

    Args:
        overrides: Hydra overrides, e.g. ``["experiment=independent_cascade", "p=0.2"]``.

    Raises:
        ConfigError: a bad key, type or value, with a one-line message.
    """
    register_configs()
    GlobalHydra.instance().clear()
    try:
        with hydra.initialize_config_module(CONFIG_MODULE, version_base="1.3"):
            cfg = hydra.compose("config", overrides=list(overrides or []))
    except Exception as exc:  # Hydra's composition errors carry the reason in their cause
        raise _one_line(exc, overrides or []) from exc
    finally:
        GlobalHydra.instance().clear()
    return to_config(cfg)


def to_config(cfg: DictConfig) -> Config:
    """Convert a composed DictConfig (without Hydra's own node) to a validated :class:`Config`."""
    try:
        return OmegaConf.to_object(cfg)
    except ConfigError:
        raise
    except OmegaConfBaseException as exc:
        raise _one_line(exc) from exc


def _one_line(exc: BaseException, overrides: list[str] = ()) -> ConfigError:
    """Turn Hydra / OmegaConf errors into a one-line :class:`ConfigError`."""
    given = dict(o.lstrip("+~").split("=", 1) for o in overrides if "=" in o)
    cause = exc
    while cause.__cause__ is not None and not isinstance(cause, (OmegaConfBaseException,
                                                                 ConfigError)):
        cause = cause.__cause__
    if isinstance(cause, ConfigError):
        return cause
    text = " ".join(str(cause).split())
    if isinstance(cause, OmegaConfBaseException) and getattr(cause, "full_key", None):
        key, value = cause.full_key, getattr(cause, "value", None)
        reason = str(cause.msg if hasattr(cause, "msg") else cause).splitlines()[0]
        if "not in struct" in reason or "Key '" in reason and "not in" in reason:
            return _unknown(key, given)
        return ConfigError(key, value, reason)
    if "Could not find" in text and "Available options" in str(cause):
        lines = str(cause).splitlines()
        group = lines[0].split("'")[-2].split("/")[0] if "'" in lines[0] else "option"
        opts = [ln.strip() for ln in lines if ln.startswith("\t") and "=" not in ln]
        wanted = lines[0].split("'")[-2].split("/")[-1] if "'" in lines[0] else "?"
        return ConfigError(group, wanted, f"unknown {group}; available: {', '.join(opts)}")
    if "Could not override" in text or "not in struct" in text:
        return _unknown(text.split("'")[1] if "'" in text else "?", given)
    return ConfigError("overrides", None, text[:300])


def _unknown(key: str, given: dict[str, str]) -> ConfigError:
    parent = Config()
    for part in key.split(".")[:-1]:
        parent = getattr(parent, part, parent)
    known = ", ".join(f.name for f in dataclasses.fields(parent))
    return ConfigError(key, given.get(key), f"unknown key; known keys here: {known}")


def _fail(message: str) -> None:
    print(f"mindshare: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def _task(cfg: DictConfig) -> float:
    out_dir = Path(HydraConfig.get().runtime.output_dir)
    try:
        config = to_config(cfg)
        from .run import simulate, write_outputs
        t0 = time.perf_counter()
        result = simulate(config)
    except (ConfigError, GraphFileError) as exc:
        _discard(out_dir)
        _fail(str(exc))
    write_outputs(result, out_dir, trace=config.output.write_trace)
    if config.output.chart:
        from .plots import save_reach_chart
        save_reach_chart(result.timeseries, out_dir / "reach.png",
                         title=f"{config.name}: cumulative reach per layer")
    s = result.summary
    log.info("reach %d (%.1f%% of %d agents), %d steps, %.2f s -> %s", s["reach"],
             100 * s["reach_fraction"], s["n_agents"], s["steps"],
             time.perf_counter() - t0, out_dir)
    return float(s["reach"])


_EXISTED: set[Path] = set()


def _discard(out_dir: Path) -> None:
    """Remove a failed run's directory (Hydra's own files only) and the empty parents that
    Hydra created for it; directories that existed before the command are kept."""
    shutil.rmtree(out_dir, ignore_errors=True)
    for parent in out_dir.resolve().parents:
        if parent in _EXISTED or parent == Path.cwd().resolve():
            break
        try:
            parent.rmdir()
        except OSError:
            break


def main() -> None:
    """Console script ``mindshare``: check the overrides, then hand over to Hydra."""
    register_configs()
    args = sys.argv[1:]
    here = Path.cwd().resolve()
    _EXISTED.update(p for p in (here / "results", *(here / "results").glob("*"))
                    if p.is_dir())
    if not any(a in ("-m", "--multirun") or a.startswith("-") for a in args):
        try:
            load_config(args)
            check_run_dir(args)     # a run directory that cannot be created fails here
        except ConfigError as exc:
            _fail(str(exc))
    hydra.main(config_path=f"pkg://{CONFIG_MODULE}", config_name="config",
               version_base="1.3")(_task)()
