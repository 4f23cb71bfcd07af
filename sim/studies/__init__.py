"""Studies built on sweeps: calibration to published facts, in plain Python.

A study asks many questions of the model (a round of parameter points at a time), each
answered by an ordinary sweep whose runs are read back from their run directories. The command
line (:mod:`sim.cli.calibrate`) starts the sweeps; this package plans them and reads them.
"""
