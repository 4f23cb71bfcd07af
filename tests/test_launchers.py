"""One small sweep through every launcher: the same runs, byte for byte.

The sweep (2 strategies x 2 replicates at tiny N) runs with the basic launcher (in-process, the
reference), the default local pool (joblib), submitit's local executor, a Ray cluster started
for the sweep and a Ray cluster started beforehand with ``ray start`` (both on this machine,
on the loopback interface). Each must list the same runs in ``sweep.json`` and write every
run's files with the same bytes (timings aside): same seeds, same outputs, whatever runs the
jobs.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from sweep_helpers import MINDSHARE, SMALL, differing, run_files, sweep_dir


def sweep(cwd: Path, *extra: str, env: dict[str, str] | None = None,
          timeout: float = 300) -> subprocess.CompletedProcess:
    cwd.mkdir(parents=True, exist_ok=True)
    return subprocess.run([MINDSHARE, *SMALL, *extra], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env=env)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict[str, bytes]:
    """The files of the small sweep run in-process, one job after the other."""
    cwd = tmp_path_factory.mktemp("basic")
    proc = sweep(cwd, "hydra/launcher=basic")
    assert proc.returncode == 0, proc.stderr[-2000:]
    files = run_files(sweep_dir(cwd))
    assert len(json.loads(files["sweep.json"])["runs"]) == 4
    assert {k.rsplit("/", 1)[-1] for k in files} >= {"summary.json", "status.json",
                                                     "timeseries.parquet", "config.yaml"}
    return files


def check_same_runs(cwd: Path, proc: subprocess.CompletedProcess,
                    reference: dict[str, bytes]) -> None:
    assert proc.returncode == 0, proc.stderr[-3000:]
    last = proc.stdout.strip().splitlines()[-1]
    assert "4 runs: 4 complete (4 run now, 0 already complete), 0 failed, 0 missing" in last
    assert differing(run_files(sweep_dir(cwd)), reference) == []


def test_the_local_pool_writes_the_same_bytes_as_the_basic_launcher(tmp_path, reference):
    proc = sweep(tmp_path)                      # the default: joblib, one worker per core
    assert "2 workers" in proc.stderr or "1 workers" in proc.stderr, proc.stderr
    check_same_runs(tmp_path, proc, reference)


def test_submitit_local_writes_the_same_bytes_as_the_basic_launcher(tmp_path, reference):
    proc = sweep(tmp_path, "hydra/launcher=submitit_local")
    assert "launcher submitit_local" in proc.stderr
    check_same_runs(tmp_path, proc, reference)
    # submitit keeps its job files in the sweep directory, out of the runs' way
    assert (sweep_dir(tmp_path) / ".submitit").is_dir()


#: A Ray cluster of this machine only: every service on the loopback interface, no token
#: written to the home directory, no usage report.
RAY_ENV = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_AUTH_MODE": "disabled",
           "RAY_USAGE_STATS_ENABLED": "0"}


@pytest.fixture
def ray_tmp():
    """Ray's session files, in a directory of their own (short: Ray's socket paths are
    limited), removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix="ray"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.slow
def test_a_local_ray_cluster_writes_the_same_bytes_as_the_basic_launcher(tmp_path, reference,
                                                                         ray_tmp):
    # hydra/launcher=ray starts a cluster for the sweep. Its workers' working directory is a
    # Ray working_dir, not the driver's: the jobs must still write into the driver's sweep.
    working_dir = tmp_path / "code"
    working_dir.mkdir()
    (working_dir / "README").write_text("shipped to every worker\n")
    proc = sweep(tmp_path / "run", "hydra/launcher=ray",
                 "+hydra.launcher.ray.init.num_cpus=2",
                 "+hydra.launcher.ray.init.include_dashboard=false",
                 f"+hydra.launcher.ray.init._temp_dir={ray_tmp}",
                 f"+hydra.launcher.ray.init.runtime_env={{working_dir:{working_dir}}}",
                 env={**os.environ, **RAY_ENV})
    assert "launcher ray " in proc.stderr
    check_same_runs(tmp_path / "run", proc, reference)
    assert not list(working_dir.rglob("results"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_a_running_ray_cluster_writes_the_same_bytes_as_the_basic_launcher(tmp_path, reference,
                                                                           ray_tmp):
    # The README's recipe on one node: `ray start --head`, then the sweep connects to it
    # (hydra/launcher=ray_cluster) and its jobs run on the cluster's workers.
    port = free_port()
    env = {**os.environ, **RAY_ENV}
    head = subprocess.Popen([str(Path(MINDSHARE).parent / "ray"), "start", "--head", "--block",
                             f"--port={port}", "--num-cpus=2", "--include-dashboard=false",
                             f"--temp-dir={ray_tmp}"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:                                   # until the head's GCS accepts clients
            assert head.poll() is None and time.monotonic() < deadline, "no Ray head"
            with socket.socket() as client:
                if client.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)
        proc = sweep(tmp_path, "hydra/launcher=ray_cluster",
                     f"hydra.launcher.ray.init.address=127.0.0.1:{port}", env=env)
    finally:
        os.killpg(head.pid, signal.SIGKILL)       # the head and every process it started
        head.wait()
    assert "launcher ray_cluster" in proc.stderr
    check_same_runs(tmp_path, proc, reference)

def test_the_slurm_launcher_config_submits_one_core_per_job():
    # what `mindshare -m hydra/launcher=slurm hydra.launcher.partition=...` hands to submitit
    import hydra
    from hydra.utils import instantiate

    from sim.cli.compose import initialized, register_configs

    register_configs()
    with initialized():
        cfg = hydra.compose("config", return_hydra_config=True,
                            overrides=["hydra/launcher=slurm", "hydra.launcher.partition=cpu",
                                       "hydra.launcher.account=lab"])
    launcher = instantiate(cfg.hydra.launcher)
    assert type(launcher).__name__ == "SlurmLauncher"
    assert {k: launcher.params[k] for k in ("partition", "account", "cpus_per_task", "mem_gb",
                                            "timeout_min")} == {
        "partition": "cpu", "account": "lab", "cpus_per_task": 1, "mem_gb": 4,
        "timeout_min": 240}
    assert launcher.params["submitit_folder"].endswith("sweep/.submitit/%j")


def test_a_launcher_whose_extra_is_missing_is_named_with_its_install_command():
    from sim.cli.errors import config_error

    # what Hydra says of `hydra/launcher=slurm` when hydra-submitit-launcher is not installed
    missing = Exception("In 'hydra/launcher/slurm': Could not find "
                        "'hydra/launcher/submitit_slurm'\n\nAvailable options in "
                        "'hydra/launcher':\n\tbasic\n\tjoblib\n\tlocal\n\tslurm")
    assert str(config_error(missing)) == (
        "hydra/launcher='submitit_slurm': unknown hydra/launcher; available: basic, joblib, "
        "local, slurm (submitit_slurm needs: pip install 'mindshare[slurm]')")
