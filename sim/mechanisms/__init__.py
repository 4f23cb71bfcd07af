"""The mechanisms: the rules of the domain (claims C1-C15) as pure vectorised functions.

Each module implements claims of :mod:`sim.claims` with its equation and units: content fit
and emotional resonance (:mod:`~sim.mechanisms.content`, C1-C5), the share rule
(:mod:`~sim.mechanisms.share`, C2-C7, C10), the feed (:mod:`~sim.mechanisms.feed`, C15),
incentives (:mod:`~sim.mechanisms.incentives`, C7), the owned channel
(:mod:`~sim.mechanisms.owned`, C8), and loyalty, detection and backlash
(:mod:`~sim.mechanisms.loyalty`, C10-C12). They take arrays and a keyword-only ``rng`` where they
draw; the engine decides when each one runs.
"""
