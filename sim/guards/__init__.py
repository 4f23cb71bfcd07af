"""Checks that refuse a run before any work: its memory and its output directory.

:mod:`sim.guards.memory` estimates a run's peak memory from its config and refuses a run that
would not fit in what :mod:`sim.guards.meminfo` finds available; :mod:`sim.guards.output_dir`
proves the output directory can be created. Each refusal is one line naming the keys at fault.
"""
