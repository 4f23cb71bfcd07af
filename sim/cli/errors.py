"""How the command line reports a bad input: one line, ``mindshare: error: ...``, exit 2.

:func:`config_error` turns what Hydra and OmegaConf raise on a bad override (an unknown key or
config group, a wrong type, a launcher whose extra is not installed) into a one-line
:class:`~sim.config.ConfigError`; :func:`fail` prints such a line and exits.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import NoReturn

from omegaconf.errors import OmegaConfBaseException

from sim.config import ConfigError, unknown_key
from sim.config.overrides import override_values

#: Launchers that come with an optional extra of the package.
EXTRAS = {"ray": "ray", "submitit_slurm": "slurm", "submitit_local": "slurm"}


def fail(message: str) -> NoReturn:
    """Print ``mindshare: error: <message>`` on stderr and exit with status 2."""
    print(f"mindshare: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def config_error(exc: BaseException, overrides: Sequence[str] = ()) -> ConfigError:
    """The one-line :class:`ConfigError` for an error of Hydra's composition or OmegaConf's typing.

    A :class:`ConfigError` in the error's causes is returned as it is.

    Args:
        exc: what Hydra or OmegaConf raised; Hydra carries the reason in ``__cause__``.
        overrides: the overrides composed, to name the value given to an unknown key.
    """
    given = override_values(overrides)
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
        path = lines[0].split("'")[-2] if "'" in lines[0] else "option/?"
        group, wanted = path.rsplit("/", 1) if "/" in path else ("option", path)
        opts = [ln.strip() for ln in lines if ln.startswith("\t") and "=" not in ln]
        extra = EXTRAS.get(wanted, "") if group == "hydra/launcher" else ""
        return ConfigError(group, wanted, f"unknown {group}; available: {', '.join(opts)}"
                           + (f" ({wanted} needs: pip install 'mindshare[{extra}]')"
                              if extra else ""))
    if "Could not override" in text or "not in struct" in text:
        return _unknown(text.split("'")[1] if "'" in text else "?", given)
    return ConfigError("overrides", None, text[:300])


def _unknown(key: str, given: dict[str, str]) -> ConfigError:
    """An unknown key, with the keys known at its place in the schema and close ones."""
    return unknown_key(key, given.get(key))
