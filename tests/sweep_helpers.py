"""Helpers for tests that run real sweeps in subprocesses: start, wait, kill, compare, scan."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

MINDSHARE = str(Path(sys.executable).parent / "mindshare")
#: Files that may differ between two runs of the same config: wall-clock timings.
TIMING = ("timing.json",)
#: The name of the sweeps below (a sweep without a name is named after what it sweeps).
NAME = "small"
#: A small sweep: 2 strategies x 2 replicates at tiny N (4 runs in 2 jobs).
SMALL = ["-m", "strategy=broadcast,adapted", "replicates=2", "n=300", "steps=3", f"name={NAME}"]
#: A sweep long enough to be killed in the middle: 4 jobs x 6 replicates.
KILLABLE = ["-m", "strategy=broadcast,adapted", "p=0.1,0.2", "replicates=6", "n=2000",
            "steps=30", f"name={NAME}"]


def sweep_dir(cwd: Path, name: str = NAME) -> Path:
    """Where ``mindshare -m ... name=<name>`` run in ``cwd`` writes its sweep."""
    return cwd / "results" / name / "sweep"


def run_files(sweep: Path) -> dict[str, bytes]:
    """Every file of every run listed in the manifest (timings aside), and the manifest."""
    manifest = json.loads((sweep / "sweep.json").read_text())
    files = {"sweep.json": (sweep / "sweep.json").read_bytes()}
    for entry in manifest["runs"]:
        for path in sorted((sweep / entry["dir"]).rglob("*")):
            if path.is_file() and path.name not in TIMING:
                files[path.relative_to(sweep).as_posix()] = path.read_bytes()
    return files


def differing(a: dict[str, bytes], b: dict[str, bytes]) -> list[str]:
    """Files missing from one side or whose bytes differ."""
    return sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))


def start(args: list[str], cwd: Path, env: dict[str, str] | None = None, *,
          program: str | Path = MINDSHARE) -> subprocess.Popen:
    """Start ``program args`` (``mindshare`` by default) in its own process group (session),
    output to files in ``cwd`` (``stdout.txt``, ``stderr.txt``).

    ``SIGINT`` gets its default action back in the child: a shell without job control starts
    background jobs with it ignored, and an ignored signal stays ignored across ``exec``, so a
    test suite run in the background would otherwise send Ctrl-C to a process that cannot hear it.
    """
    return subprocess.Popen([program, *args], cwd=cwd, env=env,
                            stdout=(cwd / "stdout.txt").open("w"),
                            stderr=(cwd / "stderr.txt").open("w"), start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def output(cwd: Path) -> tuple[str, str]:
    """What a process from :func:`start` printed: stdout, stderr."""
    return (cwd / "stdout.txt").read_text(), (cwd / "stderr.txt").read_text()


def complete_runs(sweep: Path) -> list[Path]:
    """``status.json`` of every run of ``sweep`` that says it is complete (written last)."""
    done = []
    for path in sorted(sweep.rglob("status.json")):
        try:
            if json.loads(path.read_text()).get("status") == "complete":
                done.append(path)
        except (OSError, ValueError):
            pass
    return done


def wait_for_runs(proc: subprocess.Popen, sweep: Path, count: int,
                  timeout: float = 300) -> int:
    """Wait until ``count`` runs of ``sweep`` are complete while ``proc`` still runs."""
    deadline = time.monotonic() + timeout
    while (done := len(complete_runs(sweep))) < count:
        assert proc.poll() is None, "the sweep ended before it could be killed"
        assert time.monotonic() < deadline, f"only {done} runs complete"
        time.sleep(0.02)
    return done


def children(pid: int) -> list[int]:
    """Direct child processes of ``pid`` (Linux ``/proc``)."""
    kids: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            kids += [int(k) for k in (task / "children").read_text().split()]
        except OSError:
            pass
    return kids


def command_line(pid: int) -> str:
    """The command line of a process, or "" once it is gone."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def alive(pids: list[int]) -> list[int]:
    """Those of ``pids`` still running (zombies, which only await their parent, excepted)."""
    running = []
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            running.append(pid)
    return running


def wait_gone(pids: list[int], timeout: float = 10) -> list[int]:
    """Wait up to ``timeout`` seconds for ``pids`` to end; return those still running."""
    deadline = time.monotonic() + timeout
    while (left := alive(pids)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL ``proc``'s whole process group if anything of it is left (test clean-up)."""
    import signal

    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def broken_files(root: Path) -> list[str]:
    """Files under ``root`` that a killed write could have left unreadable: every ``*.json``
    must parse and every ``*.parquet`` must open with its full footer and all its rows."""
    import pyarrow.parquet as pq

    broken = []
    for path in sorted(root.rglob("*.json")):
        try:
            json.loads(path.read_text())
        except ValueError as exc:
            broken.append(f"{path}: {exc}")
    for path in sorted(root.rglob("*.parquet")):
        try:
            pq.read_table(path)
        except Exception as exc:  # noqa: BLE001 - any failure to read is what we look for
            broken.append(f"{path}: {exc}")
    return broken


def temporary_files(root: Path) -> list[Path]:
    """Temporary files of interrupted writes (``.<name>.<random>.tmp``)."""
    return sorted(root.rglob("*.tmp"))
