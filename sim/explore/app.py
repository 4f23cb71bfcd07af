"""The explorer's page (Solara): controls on the left, the layers and the curves on the right.

Served by ``mindshare explore`` (:mod:`sim.cli.explore`), which passes its own overrides
(``n=100000``, layer files...) in the environment variable
:data:`sim.cli.explore.ARGS_ENV`. Play, step and
reset are Mesa's own controller (:func:`mesa.visualization.solara_viz.ModelController`, as in
every SolaraViz page); the model it steps is :class:`sim.explore.session.Explorer`, rebuilt
when a control changes. Everything shown is computed by :mod:`sim.explore.session` and drawn
by :mod:`sim.explore.views`.
"""

from __future__ import annotations

import io
import json
import os
import time
from typing import Any

import solara
from mesa.visualization.solara_viz import ModelController
from mesa.visualization.utils import force_update, update_counter

from sim.cli.explore import ARGS_ENV
from sim.config import ConfigError, GraphFileError
from sim.explore import session, views

#: Label of the second strategy's "none" choice.
NONE = "none"


def base_overrides() -> tuple[str, ...]:
    """The overrides ``mindshare explore`` was started with."""
    return tuple(json.loads(os.environ.get(ARGS_ENV, "[]")))


def _first_strategy(base: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """The strategy named in the base overrides (default ``broadcast``), and the rest."""
    strategy = "broadcast"
    rest = []
    for item in base:
        if item.startswith("strategy="):
            strategy = item.split("=", 1)[1]
        else:
            rest.append(item)
    return strategy, tuple(rest)


@solara.component
def ControlInput(ctl: session.Control, value: Any, on_value) -> None:
    """One control: a check box, a list or a slider, its hint the schema's description."""
    if ctl.kind == "check":
        solara.Checkbox(label=ctl.label, value=bool(value), on_value=on_value)
    elif ctl.kind == "choice":
        solara.Select(label=ctl.label, values=list(ctl.choices), value=value,
                      on_value=on_value)
    elif ctl.kind == "int":
        solara.Text(f"{ctl.label}: {ctl.text(value)}")
        solara.SliderInt(label="", value=int(value), min=int(ctl.low), max=int(ctl.high),
                         step=1, on_value=on_value, thumb_label=True)
    else:
        # a value off the slider's grid would be moved onto it, and reported as a change
        step = session.grid_step(ctl, value)
        solara.Text(f"{ctl.label}: {ctl.text(value)}")
        solara.SliderFloat(label="", value=float(value), min=ctl.low, max=ctl.high,
                           step=step, on_value=on_value, thumb_label=True)


def _png(figure) -> bytes:
    """The figure as PNG bytes (drawn here, so the page's timing includes the drawing)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


@solara.component
def Views(model: session.Explorer) -> None:
    """A status line, the network view of the first strategy and the curves of both.

    The status line says the day, the time of each strategy's last step and the time to draw
    the views.
    """
    update_counter.get()

    def draw() -> tuple[bytes, bytes]:
        t0 = time.perf_counter()
        images = _png(views.network_figure(model)), _png(views.curves_figure(model))
        model.draw_ms = 1000 * (time.perf_counter() - t0)
        return images

    network, curves = solara.use_memo(draw, [model, model.day])
    steps = ", ".join(f"{a.strategy} {a.step_ms:.0f} ms" for a in model.arms)
    # plain text, not Markdown: Solara's Markdown fetches a math renderer from a CDN
    solara.Text(f"Day {model.day} of {model.config.steps} · {model.world.n:,} people · "
                f"last step: {steps} · views drawn in {model.draw_ms:.0f} ms · world ready "
                f"in {model.build_ms:.0f} ms", classes=["mindshare-status"],
                style={"font-size": "16px", "font-weight": "500"})
    solara.Image(network, classes=["mindshare-network"])
    solara.Image(curves, classes=["mindshare-curves"])


@solara.component
def Page() -> None:
    """The whole page."""
    strategy0, base = _first_strategy(base_overrides())
    setting, set_setting = solara.use_state(session.Setting(strategy0, "", base))
    error = solara.use_reactive(None)
    line = solara.use_reactive("")

    def build(new: session.Setting) -> session.Explorer | None:
        try:
            return session.Explorer(new.strategy, new.compare, new.base, new.moved)
        except (ConfigError, GraphFileError, OSError) as exc:
            error.set(str(exc))
            return None

    model = solara.use_reactive(solara.use_memo(lambda: build(setting), []))
    params = solara.use_reactive({"strategy": setting.strategy, "compare": setting.compare,
                                  "base": setting.base, "moved": dict(setting.moved)})
    playing_interval = solara.use_reactive(150)
    render_interval = solara.use_reactive(1)
    threads = solara.use_reactive(False)

    def apply(new: session.Setting) -> None:
        error.set(None)
        built = build(new)
        if built is None:
            return
        set_setting(new)
        params.set({"strategy": new.strategy, "compare": new.compare, "base": new.base,
                    "moved": dict(new.moved)})
        line.set("")
        model.set(built)
        force_update()

    config_values = solara.use_memo(lambda: session.values(setting.config()), [setting])

    with solara.AppBar():
        solara.AppBarTitle("mindshare explorer")
    with solara.Sidebar(), solara.Column():
        with solara.Card("Run"):
            if model.value is not None:
                ModelController(model, model_parameters=params, play_interval=playing_interval,
                                render_interval=render_interval, use_threads=threads)
            solara.SliderInt("Play interval (ms)", value=playing_interval, min=0, max=1000,
                             step=50)
        with solara.Card("Strategies"):
            names = session.strategy_names()
            solara.Select(label="strategy", values=names, value=setting.strategy,
                          on_value=lambda v: apply(setting.with_strategy(v)))
            solara.Select(label="compare with", values=[NONE, *names],
                          value=setting.compare or NONE,
                          on_value=lambda v: apply(
                              session.Setting(setting.strategy, "" if v == NONE else v,
                                              setting.base, setting.moved)))
        with solara.Card("Command line"):
            solara.Button("Write override line", color="primary",
                          on_click=lambda: line.set(session.override_line(setting)))
            if line.value:
                with solara.Div(classes=["mindshare-override"]):
                    solara.InputTextArea("paste into a run or a sweep", value=line.value,
                                         rows=4)
        for title, keys in (("Levers", session.LEVERS), ("Assumptions", session.ASSUMPTIONS)):
            with solara.Card(title):
                for key in keys:
                    ctl = session.control(key, model.value.config.steps
                                          if model.value is not None else 60)
                    ControlInput(ctl, config_values[key],
                                 on_value=lambda v, k=key: apply(setting.with_value(k, v)))
    if error.value:
        solara.Error(error.value, classes=["mindshare-error"])
    if model.value is not None:
        Views(model.value)
