"""The command line and the config: composition, every option, the reduction mode from the
command line, the generated README table (the bad-input catalogue: tests/test_bad_inputs.py)."""

import dataclasses
import enum
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sim import ConfigError, load_config, simulate
from sim.config import Config, config_reference, render_readme
from sim.config.schema import _check_file

BIN = Path(sys.executable).parent
MINDSHARE = str(BIN / "mindshare")
EXPERIMENTS = sorted(p.stem for p in (Path(__file__).parents[1] / "conf" / "experiment")
                     .glob("*.yaml"))


def run_cli(args, cwd):
    return subprocess.run([MINDSHARE, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def enum_overrides():
    for key, _field, value in _walk_fields(Config()):
        if isinstance(value, enum.Enum):
            for member in type(value):
                yield f"{key}={member.value}"


def _walk_fields(obj, prefix=""):
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value):
            yield from _walk_fields(value, f"{prefix}{f.name}.")
        else:
            yield f"{prefix}{f.name}", f, value


def test_default_config_composes_and_validates():
    config = load_config()
    assert isinstance(config, Config)
    assert config.network.professional.membership == pytest.approx(
        config.network.personal.membership / 3)


@pytest.mark.parametrize("override", [o for o in enum_overrides() if "=file" not in o])
def test_every_option_converts(override):
    load_config([override])


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_every_experiment_composes(experiment):
    assert load_config([f"experiment={experiment}"]).name == experiment


def test_unreadable_file_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "g.txt"
    path.write_text("0 1\n")
    monkeypatch.setattr(os, "access", lambda *a, **k: False)
    with pytest.raises(ConfigError, match="not readable"):
        _check_file("graph", str(path))


def test_independent_cascade_from_the_command_line(tmp_path):
    graph = tmp_path / "ring.txt"
    graph.write_text("# a ring of 200 nodes plus chords\n" + "".join(
        f"{i} {(i + 1) % 200}\n{i} {(i + 7) % 200}\n" for i in range(200)))
    args = ["experiment=independent_cascade", f"graph={graph}", "p=0.4", "seeds=3", "seed=5"]
    proc = run_cli(args, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    [summary_path] = list((tmp_path / "results").rglob("summary.json"))
    run_dir = summary_path.parent
    summary = json.loads(summary_path.read_text())
    assert {"timeseries.parquet", ".hydra"} <= {p.name for p in run_dir.iterdir()}
    expected = simulate(load_config(args)).summary
    assert summary["engaged"] == expected["engaged"] and summary["steps"] == expected["steps"]
    assert summary["seeded"] == 3 and summary["seed"] == 5
    assert summary["reached"] >= 3 and summary["steps"] >= 1


def test_config_reference_in_readme_is_up_to_date():
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    # `make docs` regenerates the table from the schema's metadata
    assert render_readme(readme) == readme
    for key, *_ in config_reference():
        assert f"`{key}`" in readme, key


@pytest.mark.slow
def test_non_editable_install_finds_its_configs_from_any_directory(tmp_path):
    root = Path(__file__).parents[1]
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(wheels), str(root)], check=True, timeout=300)
    target = tmp_path / "site"
    [wheel] = list(wheels.glob("*.whl"))
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                    str(target), str(wheel)], check=True, timeout=300)
    work = tmp_path / "elsewhere"
    work.mkdir()
    code = ("import sys, sim; assert sim.__file__.startswith(sys.argv[1]), sim.__file__; "
            "sys.argv = ['mindshare', 'n=300', 'steps=3', 'network.personal.mean_degree=4']; "
            "from sim.cli.main import main; main()")
    env = {**os.environ, "PYTHONPATH": str(target)}
    proc = subprocess.run([sys.executable, "-c", code, str(target)], cwd=work, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert list((work / "results").rglob("summary.json"))


def test_config_errors_cross_process_boundaries_intact():
    import pickle

    from sim.config import ConfigError
    from sim.guards.memory import InsufficientMemoryError, estimate_peak_bytes

    error = pickle.loads(pickle.dumps(ConfigError("p", 1.5, "must be in [0, 1]")))
    assert (type(error), str(error), error.key) == (ConfigError, "p=1.5: must be in [0, 1]", "p")
    estimate = estimate_peak_bytes(load_config(["n=1000"]))
    memory = InsufficientMemoryError("n", 10, "too big", estimate=estimate, available=5)
    again = pickle.loads(pickle.dumps(memory))
    assert type(again) is InsufficientMemoryError and str(again) == str(memory)
    assert again.available == 5 and again.estimate == estimate
