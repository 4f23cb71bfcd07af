"""Progress lines: silent for short work, regular for long work, with the time left."""

from sim import load_config, simulate
from sim.progress import Progress


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_steps_are_reported_every_few_seconds_with_the_time_left():
    clock, lines = Clock(), []
    progress = Progress(lines.append, every=5.0, clock=clock)
    for t in range(1, 11):           # 2 s per step, 10 steps
        clock.now += 2.0
        progress.step(t, 10, lambda: "reach 7")
    # a line 6, 12 and 18 s after the start (>= 5 s apart), not one per step; the time
    # left is the mean time per step so far times the steps to go
    assert lines == ["step 3/10 (30%), reach 7, 6 s elapsed, ~14 s left",
                     "step 6/10 (60%), reach 7, 12 s elapsed, ~8 s left",
                     "step 9/10 (90%), reach 7, 18 s elapsed, ~2 s left"]


def test_a_slow_build_stage_is_reported_and_a_fast_one_is_not():
    clock, lines = Clock(), []
    progress = Progress(lines.append, slow=1.0, clock=clock)
    progress.begin()
    clock.now += 0.2
    progress.built("the personal layer")
    progress.begin()
    clock.now += 3.0
    progress.built("the professional layer")
    assert lines == ["built the professional layer in 3.0 s"]


def test_a_run_reports_through_the_given_progress():
    lines = []
    config = load_config(["n=2000", "steps=8", "output.write_trace=false"])
    simulate(config, progress=Progress(lines.append, every=0.0, slow=0.0))
    assert any(line.startswith("built the personal layer: ") for line in lines)
    steps = [line for line in lines if line.startswith("step ")]
    assert steps and steps[-1].startswith("step 8/8 (100%), reached ")
