"""Recording overhead of the gevent runtime (targets.md P1: gevent ≤ 2.0×; P2 trace size).

Workload: 1,000 greenlets × 100 `yield` steps (`gevent.sleep(0)`), gathered by `main`.
Three variants run interleaved in one process, several rounds (the order alternates):

- instrumented: `gevent_rt.run` with a real `Probe` — the tracing loop subclass (callback
  queue and timers) and the greenlet tracer installed, every event recorded;
- uninstrumented (the P1 baseline): the same runtime executing the same scenario on a
  plain hub, with no tracer, no loop subclass and nothing recorded;
- raw library code (context only): greenlets calling `gevent.sleep(0)` in a loop, no
  simtui code at all. The gap between it and the baseline is the scenario interpreter,
  not recording.

Times are this process's CPU time with the garbage collector paused, for every variant
alike; the trace's JSONL encoding is timed apart (`encode_s`, `ratio_with_encoding`), as
the worker's flusher does it while the run goes on (see `_paired.timed_recorded`).

Run alone: `python benchmarks/overhead_gevent.py [ROUNDS]`.
"""

from __future__ import annotations

import sys
from functools import partial
from typing import Any

import gevent
from _paired import cpu_clock, paired_rounds, paused_gc, run_alone, timed_recorded, timed_unrecorded

from simtui.runtimes import gevent_rt
from simtui.runtimes.base import Outcome, RunContext
from simtui.runtimes.probe import Probe
from simtui.scenario.loader import load_text
from simtui.scenario.model import Scenario

RUNTIME = "gevent"
TARGET = 2.0

TASKS = 1000
YIELDS = 100

SCENARIO = f"""
tasks:
  main:
    - gather: w
  w:
    count: {TASKS}
    steps:
      - repeat:
          times: {YIELDS}
          steps:
            - yield
"""


def _run(scenario: Scenario, probe: Probe) -> Outcome:
    return gevent_rt.GeventRun(scenario, probe, RunContext(scale=1.0)).run()


def _raw() -> float:
    sleep = gevent.sleep

    def worker() -> None:
        for _ in range(YIELDS):
            sleep(0)

    def main() -> None:
        gevent.joinall([gevent.spawn(worker) for _ in range(TASKS)])

    with paused_gc():
        start = cpu_clock()
        gevent.spawn(main).join()
        return cpu_clock() - start


def measure(rounds: int = 5) -> dict[str, Any]:
    """Median figures over `rounds` interleaved rounds (after one warm-up round)."""
    scenario = load_text(SCENARIO, "<overhead_gevent>", runtime=RUNTIME)
    run = partial(_run, scenario)
    tasks = list(scenario.instances)
    figures = paired_rounds(
        rounds,
        lambda: timed_recorded(run, tasks),
        lambda: timed_unrecorded(run, tasks),
        _raw,
        steps_per_run=TASKS * YIELDS,
    )
    return {
        "runtime": RUNTIME,
        "target": TARGET,
        "workload": f"{TASKS} greenlets x {YIELDS} gevent.sleep(0)",
        **figures,
    }


if __name__ == "__main__":
    sys.exit(run_alone(sys.argv, RUNTIME, TARGET, measure))
