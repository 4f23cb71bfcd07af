"""The explorer's state: controls, the stepped model, the sampled network and the override line.

No web library here: the page (:mod:`sim.explore.app`) only shows what this module computes,
so everything a user can do in the browser is tested without one.

A setting is a strategy (any ``conf/strategy/*.yaml``), an optional second strategy to compare,
and values of some keys (:data:`LEVERS`, the strategy's own choices, and :data:`ASSUMPTIONS`,
what nobody knows for sure). Each control's kind and range come from the config schema:
booleans are check boxes, enums are lists, numbers are sliders over the key's plausible range
when it has one (the range robustness studies draw from) and its allowed range otherwise.
Choosing a strategy sets every control to that strategy's value; a key's override is kept only
where it differs from it, so :func:`override_line` is the shortest command that gives the run.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import time
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any

import mesa
import numpy as np

from sim.cli.compose import load_config
from sim.config import Config, ConfigError, Mode
from sim.engine.factory import make_model
from sim.world.population import World, shared_world

#: The strategy's levers shown as controls (README, "Strategies").
LEVERS: tuple[str, ...] = (
    "budget.total", "strategy.split", "strategy.seeding", "strategy.adapted",
    "strategy.incentive", "strategy.cadence", "strategy.interval", "strategy.cta",
    "strategy.authenticity", "strategy.listening",
)
#: Key assumptions shown as controls: the base share probability, content fit and emotion,
#: mindsets and activity per layer, cross-posting, loyalty growth, detection of inauthenticity.
ASSUMPTIONS: tuple[str, ...] = (
    "p", "share.fit", "share.emotion", "network.personal.p_goal",
    "network.professional.p_goal", "network.personal.activity",
    "network.professional.activity", "network.crosspost", "loyalty.growth",
    "authenticity.detection",
)
#: Population sizes offered (the network view samples :data:`SAMPLE` agents of any of them).
SIZES: tuple[int, ...] = (1_000, 10_000, 100_000)
#: Agents drawn in the network view.
SAMPLE = 300
#: Slider positions across a numeric range.
SLIDER_STEPS = 50

#: Colour states of an agent in the network view, in order of precedence (last wins).
STATES: tuple[str, ...] = ("unaware", "saw it", "shared", "loyal", "detractor")


def strategy_names() -> list[str]:
    """The shipped strategies (``conf/strategy/*.yaml``), sorted."""
    folder = files("sim.conf") / "strategy"
    return sorted(e.name.removesuffix(".yaml") for e in folder.iterdir()
                  if e.name.endswith(".yaml"))


@dataclass(frozen=True)
class Control:
    """One control of the page, described from the config schema.

    Attributes:
        key: the dotted config key.
        label: what the page shows (the key's last part and its unit).
        kind: ``check``, ``choice``, ``int`` or ``float``.
        doc: the schema's description of the key, shown as a hint.
        low: smallest slider value (numbers only).
        high: largest slider value (numbers only).
        step: slider step (numbers only).
        choices: the allowed values of an enum (``choice`` only).
        range_from: ``plausible`` or ``allowed``: where ``low`` and ``high`` come from.
    """

    key: str
    label: str
    kind: str
    doc: str
    low: float | None = None
    high: float | None = None
    step: float | None = None
    choices: tuple[str, ...] = ()
    range_from: str = ""

    def coerce(self, value: Any) -> Any:
        """``value`` as this control holds it: a bool, an enum's value, an int or a float."""
        if self.kind == "check":
            return bool(value)
        if self.kind == "choice":
            return value.value if isinstance(value, enum.Enum) else str(value)
        if self.kind == "int":
            return int(round(float(value)))
        return float(value)

    def text(self, value: Any) -> str:
        """``value`` written as an override's value."""
        value = self.coerce(value)
        if self.kind == "check":
            return "true" if value else "false"
        if self.kind == "float":
            return f"{value:.6g}"
        return str(value)


def _field(key: str) -> tuple[dataclasses.Field, Any]:
    """The schema field of a dotted key and its type hint."""
    obj: Any = Config
    parts = key.split(".")
    for part in parts[:-1]:
        hints = typing.get_type_hints(obj)
        obj = hints[part]
    fields = {f.name: f for f in dataclasses.fields(obj)}
    if parts[-1] not in fields:
        raise ConfigError(key, None, "a key of the config schema")
    return fields[parts[-1]], typing.get_type_hints(obj)[parts[-1]]


def _nice_step(low: float, high: float) -> float:
    """A round slider step giving about :data:`SLIDER_STEPS` positions over ``[low, high]``."""
    raw = (high - low) / SLIDER_STEPS
    if raw <= 0:
        return 1.0
    mag = 10 ** np.floor(np.log10(raw))
    return float(min((m * mag for m in (1, 2, 5, 10) if m * mag >= raw), default=10 * mag))


@functools.cache
def control(key: str, steps: int = 60) -> Control:
    """The control of ``key``: its kind from the type, its range from the schema's metadata.

    A number's range is its plausible range when the schema gives one, else its allowed
    ``[lo, hi]``; a step count is capped at the run's ``steps``.
    """
    f, hint = _field(key)
    meta = f.metadata
    unit = f" ({meta['unit']})" if meta.get("unit") else ""
    label = f"{key}{unit}"
    doc = meta.get("doc", "")
    if hint is bool:
        return Control(key, label, "check", doc)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return Control(key, label, "choice", doc, choices=tuple(m.value for m in hint))
    plausible = meta.get("plausible")
    if isinstance(plausible, Mapping):   # a range per section (a layer's activity)
        plausible = plausible.get(key.split(".")[-2])
    if isinstance(plausible, tuple):
        low, high, source = float(plausible[0]), float(plausible[1]), "plausible"
    else:
        low, high, source = meta.get("lo"), meta.get("hi"), "allowed"
        if low is None or high is None:
            raise ConfigError(key, None, "a key with a range in the schema")
        low, high = float(low), float(high)
    if hint is int:
        if "step" in meta.get("unit", ""):
            high = min(high, float(steps))
        return Control(key, label, "int", doc, low, high, 1.0, range_from=source)
    step = _nice_step(low, high)
    # the grid starts on a multiple of the step, so round defaults (3000 EUR) sit on it
    low = max(float(np.floor(low / step) * step), meta["lo"] if meta.get("lo") is not None
              else -np.inf)
    return Control(key, label, "float", doc, low, high, step, range_from=source)


def grid_step(ctl: Control, value: float) -> float:
    """The slider step of ``ctl`` holding ``value``: its own, or finer when ``value`` needs it.

    A slider moves a value that is not on its grid onto it, which the page would take for the
    user's change; so the step is at most the value's last decimal (0.0208: 0.0001).
    """
    for decimals in range(12):
        if abs(round(value, decimals) - value) <= 1e-12 * max(1.0, abs(value)):
            return min(ctl.step, 10.0 ** -decimals)
    return ctl.step


def controls(steps: int = 60) -> list[Control]:
    """Every control of the page: the levers, then the assumptions."""
    return [control(key, steps) for key in (*LEVERS, *ASSUMPTIONS)]


def value_of(config: Config, key: str) -> Any:
    """The value of dotted ``key`` in ``config``."""
    obj: Any = config
    for part in key.split("."):
        obj = getattr(obj, part)
    return obj


def values(config: Config) -> dict[str, Any]:
    """The value of every control in ``config``, as the controls hold them."""
    return {c.key: c.coerce(value_of(config, c.key)) for c in controls(config.steps)}


@dataclass(frozen=True)
class Setting:
    """What the explorer runs: strategies, base overrides and the values moved by the user.

    Attributes:
        strategy: the strategy run (a ``conf/strategy`` name).
        compare: a second strategy run beside it on the same world and random numbers, or
            ``""`` for none.
        base: overrides given to ``mindshare explore`` on the command line (``n=100000``,
            layer files...), applied before the controls.
        moved: control values that differ from the strategy's own, by key.
    """

    strategy: str = "broadcast"
    compare: str = ""
    base: tuple[str, ...] = ()
    moved: Mapping[str, Any] = field(default_factory=dict)

    def overrides(self, strategy: str | None = None) -> list[str]:
        """The overrides of the run of ``strategy`` (default: the first)."""
        moved = [f"{key}={control(key).text(v)}" for key, v in sorted(self.moved.items())]
        return [f"strategy={strategy or self.strategy}", *self.base, *moved]

    def config(self, strategy: str | None = None) -> Config:
        """The run's config, composed as the command line composes it."""
        return load_config(self.overrides(strategy))

    def with_value(self, key: str, value: Any) -> Setting:
        """This setting with control ``key`` set to ``value`` (dropped if it is the default)."""
        own = values(load_config([f"strategy={self.strategy}", *self.base]))
        moved = dict(self.moved)
        value = control(key).coerce(value)
        if value == own.get(key):
            moved.pop(key, None)
        else:
            moved[key] = value
        return dataclasses.replace(self, moved=moved)

    def with_strategy(self, strategy: str) -> Setting:
        """Another strategy, every control back to that strategy's own values."""
        return dataclasses.replace(self, strategy=strategy, moved={})


def override_line(setting: Setting) -> str:
    """The command line of the setting's run, to paste into a run or a sweep command.

    With a comparison, the strategy is swept over both: ``mindshare -m strategy=a,b ...``
    runs the two on the same worlds, as the explorer does.
    """
    parts = setting.overrides()
    if setting.compare and setting.compare != setting.strategy:
        parts[0] = f"strategy={setting.strategy},{setting.compare}"
        return "mindshare -m " + " ".join(parts)
    return "mindshare " + " ".join(parts)


# -- the sample drawn by the network view --------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """A fixed sample of agents, laid out once, and each layer's edges among them.

    Attributes:
        agents: the sampled agents' indices, (S,).
        xy: their positions, (S, 2), the same on every layer's panel.
        edges: per layer, the edges among sampled agents as positions into ``agents``,
            (E, 2) each, one row per undirected edge.
    """

    agents: np.ndarray
    xy: np.ndarray
    edges: tuple[np.ndarray, ...]


def sample_world(world: World, size: int = SAMPLE, seed: int = 0) -> Sample:
    """A connected-looking sample of ``world``: a snowball from a few agents, laid out once.

    Agents drawn at random from a large world share almost no edge, so the sample grows from a
    random member through at most four random contacts per person and layer, breadth first,
    restarting from another random member when it runs out, until ``size`` agents. The layout
    is NetworkX's spring layout of the union of the layers' edges among them (seeded), so the
    same person sits at the same place in every panel and every step.
    """
    import networkx as nx  # noqa: PLC0415 - the network view only; the sample is built once

    rng = np.random.default_rng(seed)
    size = min(size, world.n)
    members = world.members_any
    if members.size == 0:
        members = np.arange(world.n)
    chosen: dict[int, None] = {}
    queue: list[int] = []
    while len(chosen) < size:
        if not queue:
            start = int(rng.choice(members))
            if start in chosen:
                remaining = np.setdiff1d(members, np.fromiter(chosen, dtype=np.int64))
                if remaining.size == 0:
                    break
                start = int(rng.choice(remaining))
            chosen[start] = None
            queue.append(start)
            continue
        node = queue.pop(0)
        for layer in world.layers:
            _, contacts = layer.neighbours(np.array([node]))
            contacts = np.unique(contacts)
            contacts = contacts[~np.isin(contacts, np.fromiter(chosen, dtype=np.int64))]
            for c in rng.permutation(contacts)[:4]:
                if len(chosen) >= size:
                    break
                chosen[int(c)] = None
                queue.append(int(c))
    agents = np.sort(np.fromiter(chosen, dtype=np.int64))
    position = {int(a): k for k, a in enumerate(agents)}
    edges = []
    for layer in world.layers:
        parents, children = layer.neighbours(agents)
        inside = np.isin(children, agents)
        pairs = np.array([(position[int(a)], position[int(b)])
                          for a, b in zip(parents[inside], children[inside], strict=True)
                          if a < b], dtype=np.int64).reshape(-1, 2)
        edges.append(np.unique(pairs, axis=0))
    graph = nx.Graph()
    graph.add_nodes_from(range(agents.size))
    for pairs in edges:
        graph.add_edges_from(map(tuple, pairs.tolist()))
    layout = nx.spring_layout(graph, seed=seed, iterations=60)
    xy = np.array([layout[k] for k in range(agents.size)], dtype=float).reshape(-1, 2)
    return Sample(agents, xy, tuple(edges))


# -- the model the page steps ----------------------------------------------------------------


@dataclass
class Arm:
    """One strategy's run in the explorer: its name, its model and its last step's time."""

    strategy: str
    model: Any
    step_ms: float = 0.0


class Explorer(mesa.Model):
    """One strategy's run, or two on the same world with the same random numbers, stepped.

    Mesa's controller (:func:`mesa.visualization.solara_viz.ModelController`) steps it, and
    builds a new one from the same keyword arguments on reset. Both runs use one world (built
    once per process and setting, :func:`sim.world.population.shared_world`) and the same seed
    and replicate, so they share every draw their strategies do not change, as two cells of a
    sweep at one replicate do.

    Args:
        strategy: the strategy run.
        compare: a second strategy, or ``""``.
        base: overrides applied before the controls (``n=100000``, layer files...).
        moved: control values that differ from the strategy's own.
        compose: how a config is made from overrides (default: as the command line does).

    Raises:
        ConfigError: a bad key or value, or a reduction-mode config (the explorer shows the
            full model's mindsets and loyalty).
    """

    def __init__(self, strategy: str = "broadcast", compare: str = "",
                 base: Sequence[str] = (), moved: Mapping[str, Any] | None = None,
                 compose: Callable[[list[str]], Config] | None = None) -> None:
        super().__init__()
        self.setting = Setting(strategy, compare if compare != strategy else "", tuple(base),
                               dict(moved or {}))
        compose = compose or load_config
        first = compose(self.setting.overrides())
        if first.mode is not Mode.full:
            raise ConfigError("mode", first.mode.value, "full (the explorer shows the full "
                              "model)")
        t0 = time.perf_counter()
        self.world = shared_world(first)
        self.build_ms = 1000 * (time.perf_counter() - t0)
        self.config = first
        self.arms = [Arm(strategy, make_model(first, world=self.world))]
        if self.setting.compare:
            other = compose(self.setting.overrides(self.setting.compare))
            self.arms.append(Arm(self.setting.compare, make_model(other, world=self.world)))
        self.sample = _sample(self.world, first)
        self.layer_names = self.world.layer_names
        self.running = True
        self.draw_ms = 0.0

    @property
    def day(self) -> int:
        """Steps (days) done."""
        return int(self.arms[0].model.t)

    def step(self) -> None:
        """Advance every arm one step; stop when the horizon is reached."""
        for arm in self.arms:
            if arm.model.running:
                t0 = time.perf_counter()
                arm.model.step()
                arm.step_ms = 1000 * (time.perf_counter() - t0)
        self.running = any(arm.model.running for arm in self.arms)

    def series(self, arm: int = 0) -> dict[str, np.ndarray]:
        """The curves of one arm so far, each an array (days, layers).

        ``reached`` and ``engaged`` are cumulative people, ``shares`` those of each day,
        ``loyal_pct`` loyal members as a percentage of the layer's members.
        """
        model = self.arms[arm].model
        layers = len(self.layer_names)
        rec = model.recorder.arrays()
        members = rec["members"][:, :layers]
        with np.errstate(invalid="ignore", divide="ignore"):
            loyal_pct = np.where(members > 0, 100.0 * rec["loyal"][:, :layers] / members,
                                 np.nan)
        return {"reached": rec["reached"][:, :layers], "shares": rec["shares"][:, :layers],
                "engaged": rec["engaged"][:, :layers], "loyal_pct": loyal_pct}

    def states(self, arm: int = 0) -> np.ndarray:
        """Each sampled agent's state, an index into :data:`STATES` (the highest that holds)."""
        model = self.arms[arm].model
        agents = self.sample.agents
        layers = len(self.layer_names)
        out = np.zeros(agents.size, dtype=np.int8)
        out[model.exposed[:layers, agents].any(axis=0)] = 1
        out[model.activated[:model.n_posts, agents].any(axis=0)] = 2
        out[model.loyalty[agents] >= model.config.loyalty.loyal] = 3
        out[model.activated[model.backlash_post, agents]] = 4
        return out

    def cascade_edges(self, arm: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per layer, the shares so far between sampled agents: ``(edges, latest)``.

        ``edges`` are (E, 2) positions into the sample (sharer, receiver who shared it on);
        ``latest`` marks those of the last step.
        """
        model = self.arms[arm].model
        acts = model.activations()
        position = np.full(self.world.n, -1, dtype=np.int64)
        position[self.sample.agents] = np.arange(self.sample.agents.size)
        parent, child = acts["parent"], acts["agent"]
        keep = (parent >= 0) & (acts["post"] < model.n_posts)
        parent, child = parent[keep], child[keep]
        layer, step = acts["layer"][keep], acts["step"][keep]
        inside = (position[parent] >= 0) & (position[child] >= 0)
        out = []
        for k in range(len(self.layer_names)):
            on = inside & (layer == k)
            pairs = np.stack([position[parent[on]], position[child[on]]], axis=1)
            out.append((pairs, step[on] == model.t))
        return out


def _sample(world: World, config: Config) -> Sample:
    """The world's sample, computed once per world object."""
    key = id(world)
    cached = _SAMPLES.get(key)
    if cached is not None and cached[0] is world:
        return cached[1]
    sample = sample_world(world, SAMPLE, seed=config.seed)
    _SAMPLES.clear()    # one world at a time: the page shows one setting
    _SAMPLES[key] = (world, sample)
    return sample


_SAMPLES: dict[int, tuple[World, Sample]] = {}
