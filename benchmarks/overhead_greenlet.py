"""Recording overhead of the greenlet runtime (targets.md P1: greenlet ≤ 2.0×; P2 trace size).

Workload: a ping-pong chain of 1,000 greenlets, `t0` … `t999`, each switching 100 times
to the next one (`t999` to `t0`): `main` spawns them all and switches to `t0`, and the
run ends when `t0` has made its 100 switches and returns to its parent. About 100,000
explicit switches. Three variants run interleaved in one process, several rounds (the
order alternates):

- instrumented: `greenlet_rt.run` with a real `Probe` and its greenlet tracer, every
  event recorded;
- uninstrumented (the P1 baseline): the same runtime executing the same scenario with
  no tracer and nothing recorded;
- raw library code (context only): the same chain of bare greenlets calling `switch()`
  in a loop, no simtui code. The gap between it and the baseline is the scenario
  interpreter, not recording.

Times are this process's CPU time with the garbage collector paused, for every variant
alike; the trace's JSONL encoding is timed apart (`encode_s`, `ratio_with_encoding`), as
the worker's flusher does it while the run goes on (see `_paired.timed_recorded`).

Run alone: `python benchmarks/overhead_greenlet.py [ROUNDS]`.
"""

from __future__ import annotations

import sys
from functools import partial
from typing import Any

import greenlet
from _paired import cpu_clock, paired_rounds, paused_gc, run_alone, timed_recorded, timed_unrecorded

from simtui.runtimes import greenlet_rt
from simtui.runtimes.base import Outcome, RunContext
from simtui.runtimes.probe import Probe
from simtui.scenario.loader import load_text
from simtui.scenario.model import Scenario

RUNTIME = "greenlet"
TARGET = 2.0

TASKS = 1000
SWITCHES = 100


def _scenario_text() -> str:
    # Each greenlet is first started by main and switches straight back: a greenlet
    # started from inside another one runs on top of its starter's stack and recursion
    # depth, so starting the chain link by link would nest 1,000 deep.
    names = [f"t{k}" for k in range(TASKS)]
    lines = ["tasks:", "  main:", f"    - spawn: [{', '.join(names)}]"]
    lines += [f"    - switch: {name}" for name in names]
    lines += ["    - switch: t0"]
    for k, name in enumerate(names):
        lines += [
            f"  {name}:",
            "    - switch: main",
            f"    - repeat: {{times: {SWITCHES}, steps: [{{switch: {names[(k + 1) % TASKS]}}}]}}",
        ]
    return "\n".join(lines) + "\n"


SCENARIO = _scenario_text()


def _run(scenario: Scenario, probe: Probe) -> Outcome:
    return greenlet_rt.GreenletRun(scenario, probe, RunContext(scale=1.0)).run()


def _raw() -> float:
    chain: list[greenlet.greenlet] = []

    def body(k: int) -> None:
        main_greenlet.switch()
        following = chain[(k + 1) % TASKS]
        for _ in range(SWITCHES):
            following.switch()

    def main() -> None:
        chain.extend(greenlet.greenlet(lambda k=k: body(k)) for k in range(TASKS))
        for link in chain:
            link.switch()
        chain[0].switch()

    main_greenlet = greenlet.greenlet(main)
    with paused_gc():
        start = cpu_clock()
        main_greenlet.switch()
        took = cpu_clock() - start
    # The suspended greenlets of the chain are collected here, outside the timed part.
    chain.clear()
    return took


def measure(rounds: int = 5) -> dict[str, Any]:
    """Median figures over `rounds` interleaved rounds (after one warm-up round)."""
    scenario = load_text(SCENARIO, "<overhead_greenlet>", runtime=RUNTIME)
    run = partial(_run, scenario)
    tasks = list(scenario.instances)
    figures = paired_rounds(
        rounds,
        lambda: timed_recorded(run, tasks),
        lambda: timed_unrecorded(run, tasks),
        _raw,
        steps_per_run=TASKS * SWITCHES,
    )
    return {
        "runtime": RUNTIME,
        "target": TARGET,
        "workload": f"ping-pong chain of {TASKS} greenlets x {SWITCHES} switches",
        **figures,
    }


if __name__ == "__main__":
    sys.exit(run_alone(sys.argv, RUNTIME, TARGET, measure))
