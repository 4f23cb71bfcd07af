"""One writer per run or sweep directory, and nothing of an earlier run left beside a new one.

A command that writes a run directory (``mindshare``) or a sweep directory (``mindshare -m``)
first takes the directory's lock (:func:`claim`): an exclusive ``flock`` on
``<directory>/.mindshare.lock`` through the ``filelock`` library, held until the process ends.
A second command that wants the same directory is refused at once (:class:`DirectoryBusy`)
instead of mixing its files with the first's; the operating system drops the lock of a
process that dies, so a killed command never blocks the next one. The lock file itself stays
(empty): removing it while another process may be opening it would let two writers hold two
different files.

A run directory reused by a new run is emptied of the files the run-directory contract knows
(:data:`RUN_FILES`, :data:`sim.outputs.rundir.RUN_DIR` subdirectories) before the new run
writes, so that an old ``trace.parquet`` or ``reach.png`` never sits beside a new summary
(:func:`clear_run_outputs`); files the contract does not know are kept. A report is never
written inside a run directory (:func:`enclosing_run_dir`).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from filelock import FileLock, Timeout

from sim.outputs.rundir import CONFIG, END_FILES, OVERRIDES, RUN_DIR

#: The lock file of a run or sweep directory.
LOCK_FILE = ".mindshare.lock"
#: Every file a single run may write at the top of its run directory (Hydra's log included).
RUN_FILES = (*END_FILES, CONFIG, OVERRIDES, "timing.json", "reach.png", "cascade.png",
             "mindshare.log", "timeseries.parquet", "activations.parquet", "posts.parquet",
             "listening.parquet", "trace.parquet", "nodes.parquet")

#: Locks held by this process, by directory: kept referenced until the process ends.
_HELD: dict[Path, FileLock] = {}


class DirectoryBusy(RuntimeError):
    """Another process holds the lock of a run or sweep directory."""

    def __init__(self, directory: Path) -> None:
        super().__init__(f"{directory} is being written by another mindshare command")
        self.directory = directory


def claim(directory: str | os.PathLike) -> Path:
    """Take the lock of ``directory`` (created if need be) for the rest of this process.

    Claiming a directory this process already holds does nothing.

    Returns:
        The lock file's path.

    Raises:
        DirectoryBusy: another process holds the lock.
        OSError: the directory or its lock file cannot be created.
    """
    directory = Path(os.path.abspath(directory))
    path = directory / LOCK_FILE
    if directory in _HELD:
        return path
    directory.mkdir(parents=True, exist_ok=True)
    lock = FileLock(path, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise DirectoryBusy(directory) from None
    _HELD[directory] = lock
    return path


def release(directory: str | os.PathLike) -> None:
    """Release the lock of ``directory`` if this process holds it (it ends with the process)."""
    lock = _HELD.pop(Path(os.path.abspath(directory)), None)
    if lock is not None:
        lock.release()


def clear_run_outputs(run_dir: str | os.PathLike, keep_replicates: range | None = None
                      ) -> list[str]:
    """Remove what an earlier run left in ``run_dir``: the files the contract knows.

    Those are :data:`RUN_FILES`, temporary files of a killed write, and ``replicate=<r>``
    directories of an earlier run of several replicates, except those in ``keep_replicates``
    (the new run's own, which it resumes). Anything else is kept.

    Returns:
        The names removed, relative to ``run_dir``.
    """
    root = Path(run_dir)
    removed = []
    for name in RUN_FILES:
        path = root / name
        if path.is_file() or path.is_symlink():
            path.unlink()
            removed.append(name)
    for tmp in (*root.glob(".*.tmp"), *root.glob(".hydra/.*.tmp")):
        tmp.unlink(missing_ok=True)
        removed.append(tmp.relative_to(root).as_posix())
    prefix = RUN_DIR.format("")
    for sub in sorted(root.glob(RUN_DIR.format("*"))):
        number = sub.name.removeprefix(prefix)
        if not sub.is_dir() or not number.isdigit():
            continue
        if keep_replicates is not None and int(number) in keep_replicates:
            continue
        shutil.rmtree(sub)
        removed.append(sub.name)
    hydra_dir = root / Path(CONFIG).parent
    if hydra_dir.is_dir() and not any(hydra_dir.iterdir()):
        hydra_dir.rmdir()
    return removed


def is_run_dir(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a run directory: it holds a run's config or end files."""
    path = Path(path)
    return any((path / name).is_file() for name in (CONFIG, *END_FILES))


def enclosing_run_dir(path: str | os.PathLike) -> Path | None:
    """The run directory ``path`` is, or is inside of, or None."""
    path = Path(os.path.abspath(path))
    for candidate in (path, *path.parents):
        if is_run_dir(candidate):
            return candidate
    return None
