"""The explorer: its state logic without a browser, then the page driven in a real Chromium.

The browser test starts ``mindshare explore`` on a free loopback port and drives it with
Playwright in Debian's Chromium (``/usr/bin/chromium``, installed by ``make test``; the browser
download of ``playwright install`` is not needed). It fails, with the command to run, when that
browser is missing. Its screenshot is kept in ``results/artefacts/explorer.png``.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from sim import simulate
from sim.cli.compose import load_config
from sim.config import ConfigError
from sim.explore import session
from sim.explore.session import Explorer, Setting, control, override_line

ROOT = Path(__file__).resolve().parents[1]
MINDSHARE = Path(sys.executable).with_name("mindshare")
CHROMIUM = os.environ.get("MINDSHARE_CHROMIUM", "/usr/bin/chromium")
ARTEFACTS = ROOT / "results" / "artefacts"
SMALL = ("n=2000",)


# -- controls ---------------------------------------------------------------------------------


def test_every_control_takes_its_kind_and_range_from_the_schema():
    split = control("strategy.split")
    assert (split.kind, split.low, split.high, split.range_from) == ("float", 0.1, 0.6,
                                                                      "plausible")
    incentive = control("strategy.incentive")      # no plausible range: the allowed one
    assert (incentive.low, incentive.high, incentive.range_from) == (0.0, 1.0, "allowed")
    activity = control("network.professional.activity")    # a range per layer
    assert (activity.low, activity.high) == (0.1, 0.6)
    assert control("strategy.seeding").choices == ("random", "degree", "engagement",
                                                   "community", "kcore")
    assert control("strategy.cta").kind == "check"
    assert control("strategy.interval", steps=30).high == 30     # steps capped at the horizon
    for ctl in session.controls():
        if ctl.kind in ("int", "float"):
            assert ctl.low < ctl.high and 0 < ctl.step <= ctl.high - ctl.low, ctl
            config = load_config(["strategy=adapted"])
            value = session.value_of(config, ctl.key)
            assert ctl.low <= value <= ctl.high or ctl.key == "budget.total", ctl
    with pytest.raises(ConfigError, match="strategy.nope"):
        control("strategy.nope")


def test_every_strategys_values_sit_on_their_sliders_grid():
    for name in session.strategy_names():
        config = load_config([f"strategy={name}"])
        for ctl in session.controls():
            if ctl.kind == "float":
                value = session.value_of(config, ctl.key)
                step = session.grid_step(ctl, value)
                assert step <= ctl.step
                k = (value - ctl.low) / step
                assert abs(k - round(k)) < 1e-6, (name, ctl.key, value, step)


def test_a_moved_control_is_an_override_only_where_it_differs_from_the_strategy():
    own = session.values(load_config(["strategy=adapted"]))
    setting = Setting("adapted").with_value("strategy.split", 0.45)
    assert setting.moved == {"strategy.split": 0.45}
    back = setting.with_value("strategy.split", own["strategy.split"])
    assert back.moved == {}
    assert setting.with_strategy("broadcast").moved == {}


def test_the_override_line_gives_the_explorers_config():
    setting = (Setting("influencers", base=SMALL).with_value("p", 0.015)
               .with_value("strategy.adapted", True).with_value("strategy.seeding", "kcore"))
    line = override_line(setting)
    assert line == ("mindshare strategy=influencers n=2000 p=0.015 strategy.adapted=true "
                    "strategy.seeding=kcore")
    explorer = Explorer(setting.strategy, base=setting.base, moved=setting.moved)
    assert load_config(line.split()[1:]) == explorer.config
    compared = dataclasses.replace(setting, compare="broadcast")
    assert override_line(compared).startswith("mindshare -m strategy=influencers,broadcast ")


# -- the stepped model ------------------------------------------------------------------------


def test_the_explorers_run_is_the_command_lines_run():
    explorer = Explorer("adapted", base=SMALL)
    while explorer.running:
        explorer.step()
    assert explorer.day == explorer.config.steps
    ts = simulate(explorer.config).timeseries
    for k, layer in enumerate(explorer.layer_names):
        rows = ts[ts["layer"] == layer].sort_values("step")
        np.testing.assert_array_equal(explorer.series()["reached"][:, k], rows["reached"])
        np.testing.assert_array_equal(explorer.series()["shares"][:, k], rows["shares"])


def test_two_strategies_share_the_world_and_the_random_numbers():
    same = Explorer("broadcast", "adapted", base=SMALL)
    assert same.arms[0].model.world is same.arms[1].model.world
    alone = Explorer("adapted", base=SMALL)
    for _ in range(20):
        same.step()
        alone.step()
    # the compared arm is the run of that strategy alone, draw for draw
    for name, arr in alone.series().items():
        np.testing.assert_array_equal(same.series(1)[name], arr)
    assert not np.array_equal(same.series(0)["reached"], same.series(1)["reached"])


def test_states_and_cascade_edges_read_the_models_arrays():
    explorer = Explorer("influencers", base=SMALL)
    for _ in range(15):
        explorer.step()
    model, agents = explorer.arms[0].model, explorer.sample.agents
    states = explorer.states()
    shared = model.activated[:model.n_posts, agents].any(axis=0)
    loyal = model.loyalty[agents] >= model.config.loyalty.loyal
    assert np.array_equal(states == 2, shared & ~loyal & ~model.activated[-1, agents])
    assert np.array_equal(states == 0, ~model.exposed[:2, agents].any(axis=0) & ~shared
                          & ~loyal)
    acts = model.activations()
    for k, (pairs, latest) in enumerate(explorer.cascade_edges()):
        for a, b in pairs:
            hit = ((acts["parent"] == agents[a]) & (acts["agent"] == agents[b])
                   & (acts["layer"] == k))
            assert hit.any()
        assert latest.sum() <= len(pairs)


def test_the_sample_is_fixed_connected_and_laid_out_once():
    explorer = Explorer("broadcast", base=("n=5000",))
    sample = explorer.sample
    assert sample.agents.size == session.SAMPLE and np.all(np.diff(sample.agents) > 0)
    assert sample.xy.shape == (session.SAMPLE, 2) and np.isfinite(sample.xy).all()
    assert sum(len(e) for e in sample.edges) > session.SAMPLE // 2   # a snowball, not dust
    again = Explorer("adapted", base=("n=5000",))
    assert again.sample is sample                 # same world: same sample, same places
    for k, layer in enumerate(explorer.world.layers):
        for a, b in sample.edges[k][:50]:
            _, contacts = layer.neighbours(np.array([sample.agents[a]]))
            assert sample.agents[b] in contacts


def test_the_explorer_refuses_what_it_cannot_show():
    with pytest.raises(ConfigError, match="mode"):
        Explorer("broadcast", base=("experiment=independent_cascade",))
    with pytest.raises(ConfigError, match="strategy.posts"):
        Explorer("broadcast", base=SMALL, moved={"strategy.posts": -1})


def test_the_command_refuses_bad_overrides_before_serving():
    out = subprocess.run([MINDSHARE, "explore", "--port", "1", "n=-5"], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 2
    assert "n=-5" in out.stderr and "Traceback" not in out.stderr
    out = subprocess.run([MINDSHARE, "explore", "--port", "70000"], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 2 and "--port=70000" in out.stderr


# -- in a real browser ------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, server: subprocess.Popen, timeout: float = 120) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if server.poll() is not None:
            raise AssertionError(f"mindshare explore exited with {server.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"mindshare explore did not listen on port {port} in {timeout} s")


@pytest.fixture
def browser():
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        pytest.fail(f"no Chromium at {CHROMIUM}: the browser test needs Debian's chromium "
                    "(`apt-get install chromium`, which `make test` runs), or set "
                    "MINDSHARE_CHROMIUM to another Chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"])
        yield chromium
        chromium.close()


@pytest.fixture
def explorer_url(tmp_path):
    port = _free_port()
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen([MINDSHARE, "explore", "--port", str(port), "n=3000"],
                              stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        _wait_for_port(port, server)
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.terminate()
        server.wait(30)
        log.close()
        text = (tmp_path / "server.log").read_text(errors="replace")
        assert "Traceback" not in text, text[-3000:]


def _image(page, cls: str) -> str:
    return page.locator(f".{cls}").first.get_attribute("src") or ""


def _status(page) -> str:
    return page.locator(".mindshare-status").inner_text()


def test_the_page_plays_a_chosen_strategy_in_a_real_browser(browser, explorer_url):
    page = browser.new_page(viewport={"width": 1600, "height": 1100})
    page.goto(explorer_url)
    page.get_by_text("Day 0 of 60").wait_for(timeout=90_000)
    # pick a strategy in the list
    page.locator(".v-select").filter(has_text="strategy").first.click()
    page.locator(".v-list-item").filter(has_text="influencers").first.click()
    page.wait_for_function(
        "() => { const s = document.querySelector('.mindshare-status');"
        " return s && s.innerText.includes('last step: influencers'); }", timeout=60_000)
    network0, curves0 = _image(page, "mindshare-network"), _image(page, "mindshare-curves")
    assert network0 and curves0
    page.get_by_role("button", name="▶").click()
    page.wait_for_function(
        "() => { const s = document.querySelector('.mindshare-status');"
        " return s && /Day ([5-9]|[1-9][0-9]) of/.test(s.innerText); }", timeout=90_000)
    page.get_by_role("button", name="❚❚").click()
    assert _image(page, "mindshare-curves") != curves0, "the curves did not change"
    assert _image(page, "mindshare-network") != network0, "the network view did not change"
    assert page.locator(".mindshare-error, .v-alert.error").count() == 0
    # compare with a second strategy: both step, on the same world
    page.locator(".v-select").filter(has_text="compare with").first.click()
    page.locator(".menuable__content__active .v-list-item").filter(
        has_text="broadcast").first.click()
    page.wait_for_function(
        "() => { const s = document.querySelector('.mindshare-status');"
        " return s && s.innerText.includes('broadcast'); }", timeout=60_000)
    for day in range(1, 9):
        page.get_by_role("button", name="Step").click()
        page.wait_for_function(
            "d => { const s = document.querySelector('.mindshare-status');"
            " return s && s.innerText.startsWith('Day ' + d + ' of'); }", arg=day,
            timeout=60_000)
    assert page.locator(".mindshare-error, .v-alert.error").count() == 0
    # the override line
    page.get_by_role("button", name="Write override line").click()
    field = page.locator(".mindshare-override textarea")
    field.wait_for(timeout=30_000)
    # nothing was moved: the line is the strategies and the command's own override only
    assert field.input_value() == "mindshare -m strategy=influencers,broadcast n=3000"
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / "explorer.png"))
    assert (ARTEFACTS / "explorer.png").stat().st_size > 10_000
