"""Checks that let a run fail before any work: can its output directory be created?

A run writes into a directory that may not exist yet (``results/<name>/<time>``, or whatever
``hydra.run.dir`` / ``hydra.sweep.dir`` says). :func:`check_output_dir` finds the nearest
part of that path that exists and proves a directory can be created there, so that a path
under a regular file, under ``/proc`` or on a read-only file system is refused with one line
naming the key, the path and the reason, before the world is built. Memory is checked by
:mod:`sim.guards.memory`.

:func:`check_output_dir` is plain Python; the command line resolves ``hydra.run.dir`` or
``hydra.sweep.dir`` with Hydra's own config and passes it here
(:func:`sim.cli.compose.load_config_and_dirs`).
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from sim.config import ConfigError

__all__ = ["check_output_dir"]


#: Longest file-name component most file systems accept (bytes).
_NAME_MAX = 255


def check_output_dir(key: str, path: str | os.PathLike) -> Path:
    """Refuse an output directory that cannot be created or written to.

    The test is practical rather than based on permission bits (which say nothing for root,
    nor for ``/proc`` or read-only mounts): a temporary directory is created in the nearest
    existing ancestor of ``path`` and removed at once, so nothing is left behind.

    Args:
        key: the config key the path came from, for the message (``hydra.run.dir``).
        path: the directory the run will write into, absolute or relative to the working
            directory; it need not exist.

    Returns:
        The nearest existing ancestor of ``path`` (``path`` itself if it exists).

    Raises:
        ConfigError: one line naming ``key``, the path and why it cannot be used.
    """
    target = Path(path)
    if str(path) == "":
        raise ConfigError(key, str(path), "an output directory is required")
    for part in target.parts:
        if len(os.fsencode(part)) > _NAME_MAX:
            raise ConfigError(key, str(path), f"path component '{part[:40]}...' is longer "
                              f"than {_NAME_MAX} bytes; choose a shorter directory name")
    existing = target
    while not os.path.lexists(existing) and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        what = "a file" if existing.exists() else "a broken link"
        raise ConfigError(key, str(path), f"'{existing}' is {what}, not a directory; choose "
                          "a directory the run can create")
    try:
        probe = tempfile.mkdtemp(prefix=".mindshare-write-check-", dir=existing)
    except OSError as exc:
        reason = exc.strerror or errno.errorcode.get(exc.errno or 0, str(exc))
        raise ConfigError(key, str(path), f"cannot create directories in '{existing}' "
                          f"({reason}); choose a writable directory") from None
    os.rmdir(probe)
    return existing
