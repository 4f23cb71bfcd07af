"""The internals of Hydra that the command line relies on are there in the installed Hydra.

They are all used in :mod:`sim.cli.hydra_internals`; a Hydra that moved or changed one fails
here with one message naming what is missing, the installed and the tested version.
"""

import importlib
from pathlib import Path

import hydra
import pytest
from hydra.core.global_hydra import GlobalHydra


def test_the_hydra_internals_the_command_line_relies_on_are_there():
    try:
        internals = importlib.import_module("sim.cli.hydra_internals")
    except ImportError as exc:      # its message names both versions
        pytest.fail(str(exc))
    from sim.cli.compose import initialized, register_configs

    register_configs()
    with initialized():
        missing = internals.missing(GlobalHydra.instance().config_loader())
    assert not missing, internals.incompatible(f"lacks or changed {', '.join(missing)}")


def test_the_message_names_the_installed_and_the_tested_hydra():
    from sim.cli.hydra_internals import TESTED_HYDRA, incompatible

    text = incompatible("has no X")
    assert f"hydra-core {hydra.__version__} has no X" in text
    assert f"tested with hydra-core {TESTED_HYDRA}" in text


def test_patching_a_launcher_again_replaces_the_patch():
    from sim.cli.hydra_internals import replace_launch

    class Launcher:
        def launch(self, job_overrides, initial_job_idx):
            return ["launched"]

    for tag in ("a", "b"):
        replace_launch(Launcher, lambda launch, tag=tag: lambda self, jobs, first: [
            tag, *launch(self, jobs, first)])
    assert Launcher().launch([["x=1"]], 0) == ["b", "launched"]


def test_no_other_module_uses_hydra_internals():
    root = Path(__file__).parents[1] / "sim"
    users = sorted(str(p.relative_to(root)) for p in root.rglob("*.py")
                   if p.name != "hydra_internals.py" and "hydra._internal" in p.read_text())
    assert users == []
