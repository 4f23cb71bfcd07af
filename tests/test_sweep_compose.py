"""A sweep's job configs made from a composed base are the configs Hydra composes itself."""

import copy
import pickle
from pathlib import Path

import pytest
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from hydra.errors import ConfigCompositionException
from hydra.types import RunMode
from omegaconf import OmegaConf, open_dict

import sim.cli.job_compose as sweep_compose
from sim.cli.compose import initialized, register_configs, to_config
from sim.cli.job_compose import JobConfigLoader, composed_bases, forget_bases, take_compose_cpu
from sim.cli.sweep_callback import job_overrides
from sim.config import config_hash

EXPERIMENTS = sorted(p.stem for p in (Path(__file__).parents[1] / "conf" / "experiment").glob(
    "*.yaml") if p.stem != "independent_cascade")


@pytest.fixture(autouse=True)
def _forget_the_job_config():
    """Tests that type a job's config set Hydra's job config (a sweep's): unset it after, or
    later ``${run_or_sweep:...}`` values in this process would resolve as in a sweep."""
    yield
    HydraConfig.instance().cfg = None


@pytest.fixture()
def loader():
    register_configs()
    with initialized():
        yield GlobalHydra.instance().config_loader()


def _master(loader, overrides):
    """The config of ``mindshare -m <overrides>``, as the sweep's driver holds it."""
    return loader.load_configuration(config_name="config",
                                     overrides=["hydra.mode=MULTIRUN", *overrides],
                                     run_mode=RunMode.MULTIRUN)


def _typed(job):
    """The job's typed run config, as the driver makes it from the composed config."""
    HydraConfig.instance().set_config(job)
    task = copy.deepcopy(job)
    with open_dict(task):
        del task["hydra"]
    return to_config(task)


def _same(real, fast, typed=True):
    assert OmegaConf.to_container(fast, resolve=False) == OmegaConf.to_container(
        real, resolve=False)
    assert OmegaConf.get_type(fast, "hydra") is OmegaConf.get_type(real, "hydra")
    assert OmegaConf.is_struct(fast) == OmegaConf.is_struct(real)
    if typed:
        assert config_hash(_typed(fast)) == config_hash(_typed(real))


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_every_job_of_every_experiment_is_the_config_hydra_composes(loader, experiment):
    master = _master(loader, [f"experiment={experiment}", "n=500", "replicates=2"])
    fast = JobConfigLoader(loader)
    jobs = job_overrides(master)
    assert len(jobs) > 1
    for overrides in jobs:
        _same(loader.load_sweep_config(master, list(overrides)),
              fast.load_sweep_config(master, list(overrides)))
    # one base per combination of config-group choices, not one composition per job
    groups = {tuple(o for o in job if o.split("=")[0] in ("strategy", "network")) for job in jobs}
    assert composed_bases() == len(groups) < len(jobs)


def test_group_and_value_overrides_on_the_command_line_and_hydra_overrides(loader):
    master = _master(loader, ["experiment=mindset_divide", "network=personal,both",
                              "steps=2", "seed=7,8", "hydra/launcher=basic",
                              "hydra.sweep.dir=/tmp/elsewhere"])
    fast = JobConfigLoader(loader)
    jobs = job_overrides(master)
    assert len(jobs) == 2 * 3 * 3 * 2 * 2       # strategies x p x budgets x networks x seeds
    for overrides in jobs[::7]:
        real = loader.load_sweep_config(master, list(overrides))
        made = fast.load_sweep_config(master, list(overrides))
        _same(real, made)
        assert made.hydra.job.override_dirname == real.hydra.job.override_dirname
        assert "seed=" in made.hydra.job.override_dirname
    assert take_compose_cpu() > 0 and take_compose_cpu() == 0


def test_overrides_that_add_or_delete_keys_and_bad_keys_behave_as_in_hydra(loader):
    master = _master(loader, ["experiment=mindset_divide"])
    fast = JobConfigLoader(loader)
    job = ["strategy=adapted", "p=0.1", "+extra=1"]
    _same(loader.load_sweep_config(master, job), fast.load_sweep_config(master, job),
          typed=False)
    for bad in (["strategy=adapted", "no_such_key=1"], ["strategy=no_such_strategy"]):
        with pytest.raises(ConfigCompositionException) as real:
            loader.load_sweep_config(master, bad)
        with pytest.raises(ConfigCompositionException) as made:
            fast.load_sweep_config(master, bad)
        assert str(made.value) == str(real.value)


def test_the_loader_carries_the_driver_bases_to_a_job_process(loader, monkeypatch, tmp_path):
    master = _master(loader, ["experiment=mindset_divide"])
    fast = JobConfigLoader(loader)
    jobs = [list(job) for job in job_overrides(master)]
    for job in jobs:
        fast.load_sweep_config(master, job)
    assert fast.ship() == 2
    travelled = pickle.loads(pickle.dumps(fast))
    assert travelled.sweep == fast.sweep
    # in the job's process: nothing composed yet, and Hydra may not compose at all
    forget_bases()
    real = [loader.load_sweep_config(master, job) for job in jobs[:3]]
    monkeypatch.setattr(type(loader), "load_configuration", None)
    for job, expected in zip(jobs, real, strict=False):   # only the first jobs' are composed
        _same(expected, travelled.load_sweep_config(master, job), typed=False)
    # a job's process elsewhere: the base keeps nothing of the driver's working directory
    monkeypatch.chdir(tmp_path)
    assert travelled.load_sweep_config(master, jobs[-1]).hydra.runtime.cwd == str(tmp_path)
    # a new sweep in the same process composes its bases again (files may have changed)
    with pytest.raises(TypeError):
        JobConfigLoader(loader).load_sweep_config(master, jobs[0])


def test_a_loader_ships_no_bases_past_its_limit(loader, monkeypatch):
    master = _master(loader, ["experiment=mindset_divide"])
    fast = JobConfigLoader(loader)
    fast.load_sweep_config(master, ["strategy=adapted", "p=0.1"])
    monkeypatch.setattr(sweep_compose, "SHIP_LIMIT", 1000)
    assert fast.ship() == 0 and fast.shipped == {}


def test_a_studys_points_are_merged_into_the_base_as_hydra_merges_them(loader, tmp_path):
    # a round of a study sweeps +point=<option> (a _global_ file of values on the search
    # path): the fast path merges the file into one base instead of composing every job
    from sim.studies.points import round_overrides, write_point

    points = tmp_path / "points"
    names = [write_point(points, 0, {"p": 0.031, "share.social": 0.75, "steps": 7}),
             write_point(points, 1, {"network.personal.activity": 0.4, "n": 900}),
             write_point(points, 2, {"budget.total": 5000.0})]
    extra = ["experiment=mindset_divide", "p=0.05", "strategy=broadcast,adapted"]
    master = _master(loader, round_overrides(names, points, tmp_path / "sweep", replicates=2,
                                             name="r", extra=extra))
    fast = JobConfigLoader(loader)
    jobs = job_overrides(master)
    assert len(jobs) == 2 * 3 * 3          # strategies x points x the experiment's budgets
    for overrides in jobs:
        real = loader.load_sweep_config(master, list(overrides))
        made = fast.load_sweep_config(master, list(overrides))
        _same(real, made)
        assert made.hydra.runtime.choices.point in names
    assert composed_bases() == 2          # one per strategy, none per point
    # the command line's values win over the point's, as in Hydra
    first = fast.load_sweep_config(master, list(jobs[0]))
    assert first.p == 0.05 and first.steps == 7
    # a point that sets a key the config lacks takes Hydra's path, and fails as there
    bad = write_point(points, 3, {"no_such_key": 1})
    job = [f"+point={bad}", "strategy=adapted"]
    with pytest.raises(ConfigCompositionException) as real:
        loader.load_sweep_config(master, job)
    with pytest.raises(ConfigCompositionException) as made:
        fast.load_sweep_config(master, job)
    assert str(made.value) == str(real.value)


LOAD_CASES = [
    ["experiment=independent_cascade", "graph=tests/golden/graph.txt", "p=0.05", "seeds=10"],
    ["strategy=adapted", "p=0.1", "budget.total=6000", "n=3000"],
    ["experiment=mindset_divide", "strategy=listening", "network.crosspost=0.3",
     "network.personal.mean_degree=8", "output.write_trace=false", "name=x"],
    ["network=personal", "steps=5", "network.topic.enabled=true", "seed=7", "replicate=3"],
    ["experiment=independent_cascade", "multiplex=true", "network.professional.p=0.2"],
    [],
]


@pytest.mark.parametrize("overrides", LOAD_CASES, ids=lambda o: " ".join(o) or "defaults")
def test_load_config_made_from_a_base_is_the_config_hydra_composes(overrides, monkeypatch):
    import sim.cli.compose as compose
    from sim import load_config

    monkeypatch.setattr(compose, "_BASES", {})
    monkeypatch.setattr(compose, "_GROUPS", {})
    composed = load_config(overrides)              # Hydra's own path, which keeps the base
    assert compose._compose_fast(overrides) is not None       # the next one takes the base
    made = load_config(overrides)
    assert made == composed and config_hash(made) == config_hash(composed)
    # other values on the same base: the same as Hydra composing them
    other = [*overrides, "p=0.07", "seed=3"]
    fast = load_config(other)
    monkeypatch.setattr(compose, "_BASES", {})
    assert fast == load_config(other) and config_hash(fast) == config_hash(load_config(other))


def test_load_config_on_a_base_reports_errors_as_hydra_does(monkeypatch):
    import sim.cli.compose as compose
    from sim import ConfigError, load_config

    monkeypatch.setattr(compose, "_BASES", {})
    monkeypatch.setattr(compose, "_GROUPS", {})
    load_config(["p=0.1"])
    for bad in (["p=1.5"], ["p=abc"], ["foo=1"], ["network.personal.nope=2"], ["+foo=1"]):
        with pytest.raises(ConfigError) as fast:
            load_config(bad)
        monkeypatch.setattr(compose, "_BASES", {})
        with pytest.raises(ConfigError) as slow:
            load_config(bad)
        assert str(fast.value) == str(slow.value)
