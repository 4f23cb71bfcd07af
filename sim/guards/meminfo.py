"""How much memory this process may use: /proc/meminfo, cgroup limits, MINDSHARE_MEMORY_LIMIT.

:func:`available_bytes` is what :func:`sim.guards.memory.check_memory` compares a run's estimated
peak with: the environment variable ``MINDSHARE_MEMORY_LIMIT`` when set (the most a run may
use, e.g. ``8G``, or ``off``), else the smaller of ``MemAvailable`` and the headroom left under
the process's cgroup memory limit (v2 ``memory.max`` or v1 ``memory.limit_in_bytes``, on the
group or any ancestor). Linux only; elsewhere the figure is unknown and nothing is refused.
"""

from __future__ import annotations

import os
import re

from sim.config import ConfigError

__all__ = ["ENV", "available_bytes", "parse_size", "resident_bytes"]

#: The environment variable that overrides the available memory or turns the check off.
ENV = "MINDSHARE_MEMORY_LIMIT"


def parse_size(text: str) -> int | None:
    """``"8G"``, ``"512MiB"``, ``"1.5T"``, ``"123456"`` -> bytes (binary units); None if bad."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgtp]?)(?:i?b)?\s*", text, re.IGNORECASE)
    if not m:
        return None
    unit = m.group(2).lower()
    return int(float(m.group(1)) * 1024 ** ("kmgtp".find(unit) + 1 if unit else 0))


def _read(path: str) -> str | None:
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def _cgroup_headroom(cgroups: str = "/proc/self/cgroup",
                     mount: str = "/sys/fs/cgroup") -> int | None:
    """Bytes the process's cgroup (v2 or v1) may still allocate before its limit, or None.

    Args:
        cgroups: the process's cgroup membership file.
        mount: where the cgroup file systems are mounted.
    """
    best = None
    groups = _read(cgroups) or ""
    for line in groups.splitlines():
        if line.count(":") < 2:
            continue
        _, controllers, path = line.split(":", 2)
        if controllers == "":                                    # cgroup v2
            root, files = mount, ("memory.max", "memory.current")
        elif "memory" in controllers.split(","):                 # cgroup v1
            root = os.path.join(mount, "memory")
            files = ("memory.limit_in_bytes", "memory.usage_in_bytes")
        else:
            continue
        here = os.path.join(root, path.lstrip("/"))
        if not os.path.isdir(here):       # a namespaced path: the mount is our own group
            here = root
        # The limit may be set on any ancestor: walk up to the hierarchy's root.
        while True:
            limit, usage = _read(os.path.join(here, files[0])), _read(os.path.join(here,
                                                                                  files[1]))
            if limit and usage and limit != "max" and limit.isdigit() and usage.isdigit():
                if int(limit) < 2**60:
                    room = max(0, int(limit) - int(usage))
                    best = room if best is None else min(best, room)
            if os.path.normpath(here) == os.path.normpath(root):
                break
            here = os.path.dirname(here)
    return best


def available_bytes() -> tuple[int | None, str]:
    """Memory this process may use: ``(bytes, where the figure comes from)``.

    ``MINDSHARE_MEMORY_LIMIT`` when set (the most the process may use in all, or ``off``:
    ``(None, "off")``); otherwise the memory not in use yet, the smaller of ``MemAvailable``
    (``/proc/meminfo``) and the cgroup's headroom; ``None`` when neither can be read.

    Raises:
        ConfigError: ``MINDSHARE_MEMORY_LIMIT`` is neither ``off`` nor a size.
    """
    env = os.environ.get(ENV)
    if env is not None and env.strip():
        if env.strip().lower() in ("off", "0", "false", "no"):
            return None, "off"
        value = parse_size(env)
        if value is None:
            raise ConfigError(ENV, env, "must be off or a size such as 8G, 512M or 2T")
        return value, ENV
    found: list[tuple[int, str]] = []
    meminfo = _read("/proc/meminfo") or ""
    m = re.search(r"^MemAvailable:\s+(\d+)\s*kB", meminfo, re.MULTILINE)
    if m:
        found.append((int(m.group(1)) * 1024, "MemAvailable"))
    room = _cgroup_headroom()
    if room is not None:
        found.append((room, "cgroup memory limit"))
    if not found:
        return None, "unknown"
    return min(found)


def resident_bytes() -> int:
    """The process's current resident memory (``/proc/self/statm``), 0 if unknown."""
    statm = _read("/proc/self/statm")
    try:
        return int(statm.split()[1]) * os.sysconf("SC_PAGE_SIZE") if statm else 0
    except (ValueError, IndexError, OSError):
        return 0
