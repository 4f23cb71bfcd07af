"""The memory estimate (sim.guards.memory): its parts, its accuracy against a measured peak, the
available-memory figure (MemAvailable, cgroups, MINDSHARE_MEMORY_LIMIT) and the refusal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import sim.guards.meminfo as meminfo
import sim.outputs.results
from sim import ConfigError, load_config, simulate
from sim.guards.memory import (
    InsufficientMemoryError,
    available_bytes,
    check_memory,
    estimate_peak_bytes,
    layer_sizes,
)
from sim.world.graph_files import write_edgelist

MINDSHARE = str(Path(sys.executable).parent / "mindshare")
GiB = 2**30


@pytest.fixture(autouse=True)
def _no_limit_from_the_environment(monkeypatch):
    monkeypatch.delenv("MINDSHARE_MEMORY_LIMIT", raising=False)


# --- the estimate's parts --------------------------------------------------------------------

def test_layer_sizes_follow_the_generators_and_the_built_world_agrees():
    config = load_config(["n=20000", "output.chart=false"])
    n, layers = layer_sizes(config)
    assert n == 20000 and [layer.name for layer in layers] == ["personal", "professional"]
    world = simulate(config).model.world
    for expected, built in zip(layers, world.layers, strict=True):
        assert expected.members == pytest.approx(built.members.size, rel=0.03)
        assert expected.edges == pytest.approx(built.n_edges, rel=0.05)
        # the CSR arrays, member ids and groups the built layer keeps
        kept = sum(a.nbytes for a in (built.indptr, built.indices, built.members, built.groups))
        assert expected.final == pytest.approx(kept, rel=0.08)


def test_per_post_state_grows_with_posts_times_n():
    small = estimate_peak_bytes(load_config(["n=100000", "strategy.posts=10"]))
    large = estimate_peak_bytes(load_config(["n=100000", "strategy.posts=1000",
                                             "budget.total=10000"]))
    assert large.parts["per-post state"] == 3 * 1001 * 100000     # activated + contacts
    assert small.parts["per-post state"] == 3 * 11 * 100000
    assert large.keys["per-post state"] == ("n", "strategy.posts")


def test_trace_settings_and_layers_move_the_estimate_the_right_way():
    base = estimate_peak_bytes(load_config(["n=1000000"]))
    no_trace = estimate_peak_bytes(load_config(["n=1000000", "output.write_trace=false"]))
    activations = estimate_peak_bytes(load_config(["n=1000000", "output.trace=activations"]))
    denser = estimate_peak_bytes(load_config(["n=1000000", "network.personal.mean_degree=30"]))
    one_layer = estimate_peak_bytes(load_config(["n=1000000",
                                                 "network.professional.enabled=false"]))
    assert no_trace.run < activations.run < base.run < base.ceiling - base.baseline
    assert denser.build > base.build and one_layer.run < base.run
    assert one_layer.build == base.build     # the personal layer is built first, and larger
    assert base.peak == base.baseline + max(base.build, base.run)


def test_graph_file_size_is_extrapolated_from_samples(tmp_path):
    rng = np.random.default_rng(0)
    edges = np.unique(np.sort(rng.integers(0, 50_000, size=(300_000, 2)), axis=1), axis=0)
    edges = edges[edges[:, 0] != edges[:, 1]]
    path = tmp_path / "sorted.txt"
    write_edgelist(path, edges)                   # sorted: short lines first
    n, [layer] = layer_sizes(load_config(["experiment=independent_cascade",
                                          f"graph={path}"]))
    assert layer.edges == pytest.approx(len(edges), rel=0.05)
    assert n == pytest.approx(int(edges.max()) + 1, rel=0.01)
    names = np.array([f"user{i}" for i in range(50_000)], dtype=object)
    write_edgelist(tmp_path / "names.txt", edges[rng.permutation(len(edges))], names)
    n, [layer] = layer_sizes(load_config(["experiment=independent_cascade",
                                          f"graph={tmp_path / 'names.txt'}"]))
    assert layer.edges == pytest.approx(len(edges), rel=0.05)
    assert n == layer.edges                       # unknown ids: as many nodes as edges


# --- accuracy -----------------------------------------------------------------------------

#: Runs one command from a small launcher and reports its own peak RSS (ru_maxrss, KiB):
#: forked from the test process, the child would inherit pytest's high-water mark.
_LAUNCHER = """
import json, os, subprocess, sys
proc = subprocess.Popen(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
_, status, ru = os.wait4(proc.pid, 0)
json.dump({"status": os.waitstatus_to_exitcode(status), "maxrss_kib": ru.ru_maxrss,
           "stderr": proc.stderr.read().decode()[-2000:]}, open(sys.argv[1], "w"))
"""


def _measured_run(tmp_path, overrides) -> tuple[int, dict]:
    """Run ``mindshare`` in a child process; its peak RSS in bytes and its summary."""
    usage = tmp_path / "usage.json"
    subprocess.run([sys.executable, "-S", "-c", _LAUNCHER, str(usage), MINDSHARE, *overrides,
                    f"hydra.run.dir={tmp_path / 'run'}"], cwd=tmp_path, check=True,
                   timeout=600)
    measured = json.loads(usage.read_text())
    assert measured["status"] == 0, measured["stderr"]
    return (measured["maxrss_kib"] * 1024,
            json.loads((tmp_path / "run" / "summary.json").read_text()))


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ru_maxrss in KiB: Linux")
def test_estimate_is_within_25_percent_of_the_measured_peak(tmp_path):
    overrides = ["n=200000", "steps=60", "output.chart=false", "output.progress=false"]
    peak, summary = _measured_run(tmp_path, overrides)
    config = load_config(overrides)
    estimate = estimate_peak_bytes(config)
    assert estimate.peak == pytest.approx(peak, rel=0.25)
    # with the cascade's size known, what is left is the interpreter's share, which varies
    # with the environment by ~20 MiB (byte-compiled or not)
    known = estimate_peak_bytes(config, exposures=summary["exposures_seen"],
                                activations=summary["activations"])
    assert known.peak == pytest.approx(peak, rel=0.25)
    assert estimate.ceiling > peak


# --- available memory --------------------------------------------------------------------

@pytest.mark.parametrize("text, value", [("8G", 8 * GiB), ("512MiB", 512 * 2**20),
                                         ("1.5T", int(1.5 * 2**40)), ("123456", 123456),
                                         ("64 kb", 64 * 1024)])
def test_memory_limit_from_the_environment(monkeypatch, text, value):
    monkeypatch.setenv("MINDSHARE_MEMORY_LIMIT", text)
    assert available_bytes() == (value, "MINDSHARE_MEMORY_LIMIT")


def test_memory_limit_off_and_bad_values(monkeypatch):
    monkeypatch.setenv("MINDSHARE_MEMORY_LIMIT", "off")
    assert available_bytes() == (None, "off")
    huge = load_config(["n=2000000000", "strategy.posts=10000"])
    assert check_memory(huge).peak > 2**40          # estimated, not refused
    monkeypatch.setenv("MINDSHARE_MEMORY_LIMIT", "lots")
    with pytest.raises(ConfigError, match=r"MINDSHARE_MEMORY_LIMIT='lots': must be off or a "
                                          r"size such as 8G, 512M or 2T"):
        available_bytes()


@pytest.mark.skipif(not os.path.exists("/proc/meminfo"), reason="Linux only")
def test_available_memory_is_at_most_memavailable():
    text = Path("/proc/meminfo").read_text()
    line = next(ln for ln in text.splitlines() if ln.startswith("MemAvailable:"))
    value, source = available_bytes()
    assert source in ("MemAvailable", "cgroup memory limit")
    assert 0 < value <= int(line.split()[1]) * 1024 * 1.05


def _tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text + "\n")


def test_cgroup_v2_limit_on_an_ancestor(tmp_path):
    _tree(tmp_path, {"proc": "0::/jobs/run1",
                     "fs/jobs/run1/memory.max": "max", "fs/jobs/run1/memory.current": "100",
                     "fs/jobs/memory.max": str(4 * GiB), "fs/jobs/memory.current": str(GiB),
                     "fs/memory.max": "max", "fs/memory.current": "0"})
    assert meminfo._cgroup_headroom(str(tmp_path / "proc"), str(tmp_path / "fs")) == 3 * GiB


def test_cgroup_v1_limit_and_unlimited(tmp_path):
    _tree(tmp_path, {"proc": "4:memory:/box\n3:cpu:/box",
                     "fs/memory/box/memory.limit_in_bytes": str(2 * GiB),
                     "fs/memory/box/memory.usage_in_bytes": str(GiB // 2),
                     "fs/memory/memory.limit_in_bytes": "9223372036854771712",
                     "fs/memory/memory.usage_in_bytes": "5"})
    room = meminfo._cgroup_headroom(str(tmp_path / "proc"), str(tmp_path / "fs"))
    assert room == 2 * GiB - GiB // 2
    _tree(tmp_path, {"proc": "4:memory:/elsewhere"})     # namespaced: the mount's own group
    assert meminfo._cgroup_headroom(str(tmp_path / "proc"), str(tmp_path / "fs")) is None


# --- the refusal -------------------------------------------------------------------------

def test_a_run_that_does_not_fit_is_refused_before_building(monkeypatch):
    config = load_config(["n=3000000", "strategy.posts=2000", "budget.total=10000"])
    monkeypatch.setattr(sim.outputs.results, "build_world", lambda *a, **k: pytest.fail("built"))
    monkeypatch.setenv("MINDSHARE_MEMORY_LIMIT", "4G")
    with pytest.raises(InsufficientMemoryError) as err:
        simulate(config)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith("n=3000000: the run needs up to ")
    assert ("of memory at its peak (if every post reached every member of its layers; about "
            in message)
    assert "but 4.0 GiB is available (MINDSHARE_MEMORY_LIMIT)" in message
    assert "per-post state 16.8 GiB (n, strategy.posts)" in message
    assert "lower n (or set output.write_trace=false: up to " in message
    assert message.endswith("or set MINDSHARE_MEMORY_LIMIT=off to run anyway")
    assert err.value.estimate.ceiling > 16 * GiB and err.value.available == 4 * GiB


def test_the_check_compares_the_ceiling_so_a_run_let_through_fits():
    config = load_config(["n=100000"])
    estimate = estimate_peak_bytes(config)
    assert estimate.peak < estimate.ceiling
    assert check_memory(config, available=estimate.ceiling) == estimate
    with pytest.raises(InsufficientMemoryError, match="is available \\(given\\)"):
        check_memory(config, available=estimate.ceiling - 1)
    # between the typical figure and the ceiling: refused, since the cascade could saturate
    with pytest.raises(InsufficientMemoryError):
        check_memory(config, available=(estimate.peak + estimate.ceiling) // 2)


@pytest.mark.parametrize("mode", [[], ["experiment=independent_cascade"]])
def test_the_estimate_never_falls_as_p_grows_and_stays_below_its_ceiling(tmp_path, mode):
    graph = []
    if mode:
        path = tmp_path / "ring.txt"
        path.write_text("".join(f"{i} {(i + 1) % 5000}\n{i} {(i + 7) % 5000}\n"
                                for i in range(5000)))
        graph = [f"graph={path}"]
    estimates = [estimate_peak_bytes(load_config([*mode, *graph, "n=200000", f"p={p}"]))
                 for p in np.linspace(0, 1, 21).round(2)]
    peaks, seen = [e.peak for e in estimates], [e.exposures for e in estimates]
    assert peaks == sorted(peaks) and seen == sorted(seen) and seen[-1] > seen[0]
    assert len({e.ceiling for e in estimates}) == 1          # the ceiling does not depend on p
    assert all(e.peak <= e.ceiling for e in estimates)


@pytest.mark.parametrize("overrides, key", [
    (["n=200000", "p=0.5"], "n=200000"),
    (["strategy.posts=2000", "strategy.interval=1", "steps=2000", "budget.total=100000"],
     "strategy.posts=2000"),
    (["network.personal.mean_degree=3000"], "network.personal.mean_degree=3000"),
    (["n=2000000000", "strategy.posts=10000"], "n=2000000000"),
])
def test_the_refusal_names_the_key_that_drives_the_estimate(overrides, key):
    with pytest.raises(InsufficientMemoryError) as err:
        check_memory(load_config(overrides), available=300 * 2**20)
    assert str(err.value).startswith(f"{key}: the run needs up to ")


def test_a_graph_file_larger_than_the_memory_is_refused_before_reading(tmp_path, monkeypatch):
    path = tmp_path / "big.txt"
    path.write_text("0 1\n1 2\n" * 200_000)               # 1.5 MiB
    config = load_config(["experiment=independent_cascade", f"graph={path}"])
    monkeypatch.setattr(sim.outputs.results, "build_world", lambda *a, **k: pytest.fail("read"))
    monkeypatch.setenv("MINDSHARE_MEMORY_LIMIT", "1M")
    with pytest.raises(InsufficientMemoryError) as err:
        simulate(config)
    assert str(err.value) == (
        f"graph='{path}': the file is 1.5 MiB, more than the 1.0 MiB of memory available "
        "(MINDSHARE_MEMORY_LIMIT); reading it takes at least its size: use a smaller file, or "
        "set MINDSHARE_MEMORY_LIMIT=off to run anyway")


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ru_maxrss in KiB: Linux")
@pytest.mark.parametrize("overrides", [
    # a saturating cascade: everyone active every step, every share rule weight at its top
    ["n=30000", "p=0.95", "network.personal.activity=1", "network.professional.activity=1",
     "network.personal.receptivity=10", "network.professional.receptivity=10",
     "network.feed_ttl=60", "network.crosspost=1", "strategy.posts=20",
     "strategy.interval=2", "budget.total=18000"],
    ["n=60000", "p=0.5"],
])
def test_the_ceiling_bounds_the_measured_peak_of_a_viral_run(tmp_path, overrides):
    overrides = [*overrides, "output.chart=false", "output.progress=false"]
    peak, summary = _measured_run(tmp_path, overrides)
    estimate = estimate_peak_bytes(load_config(overrides))
    assert peak <= estimate.ceiling
    # the run did saturate: a large part of the ceiling's exposures were seen
    assert summary["exposures_seen"] > 0.1 * (estimate.ceiling - estimate.baseline) / 80 or (
        "p=0.5" in overrides)
