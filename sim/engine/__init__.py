"""The engine: the models that order the mechanisms step by step over numpy state.

:class:`~sim.engine.brand.BrandModel` is the full brand model (phases 1-9 of its docstring);
:class:`~sim.engine.cascade.CascadeModel` is reduction mode, the independent cascade, driving the
kernel of :mod:`sim.engine.kernel`; both share :class:`~sim.engine.base.ModelBase` (streams,
world, activation log, trace, agent views) and :func:`~sim.engine.factory.make_model` picks one
from ``config.mode``. Exposures are parallel arrays (:mod:`sim.engine.exposures`), per-step
figures go to the :mod:`~sim.engine.recorder`, and :mod:`sim.engine.reference` holds the
per-agent rules the vectorised kernel is tested against.

Mesa users find what they look for, built from the arrays only when asked: ``model.agents``
(read-only :class:`~sim.engine.agents.Consumer` views, made on first read),
``model.datacollector`` (the recorded series, read as a ``mesa.DataCollector``'s) and
``model.step()`` / ``model.running`` / ``model.steps`` (:class:`~sim.engine.base.ModelBase`
says what is Mesa-compatible and what is not).
"""
