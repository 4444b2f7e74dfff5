"""Recording overhead of the asyncio runtime (targets.md P1 asyncio ≤ 1.5×, P2 trace size).

Workload: 1,000 tasks × 100 `yield` steps (`await asyncio.sleep(0)`), gathered by `main`.
Three variants run interleaved in one process, several rounds; each figure is the median
of the per-round (paired) ratios:

- instrumented: `AsyncioRun` with a real `Probe`: the recorded ready deque, the task
  factory, the interpreter's `step`/`suspend` records;
- uninstrumented (`plain`, the P1 baseline): the same `AsyncioRun` interpreter on a plain
  loop with recording off (`record=False`): what recording adds;
- raw library: the same workload hand-written in asyncio, with no simtui code at all
  (`ratio_vs_raw_library`: what simtui as a whole costs, interpreter included).

`ratio_with_encoding` adds the time the worker spends making the wire bytes of its
records (the flusher does it on another thread during a real run, under the same GIL).
Bytes per event and events per step come from the JSONL the parent writes from them
(`simtui.trace.export.JsonlWriter`); a step is a `step` event. Run alone:
`python benchmarks/overhead_asyncio.py [ROUNDS]`, or with the others through
`benchmarks/recording_overhead.py`.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import time
from typing import Any

from _paired import encoded, paired_rounds, run_alone

from simtui.runtimes.asyncio_rt import AsyncioRun
from simtui.runtimes.base import RunContext
from simtui.runtimes.probe import Probe
from simtui.scenario.loader import load_text
from simtui.scenario.model import Scenario

RUNTIME = "asyncio"
TARGET = 1.5

TASKS = 1000
YIELDS = 100

# CPU time of this process, not wall time: on a shared, loaded machine the wall clock
# mostly measures waiting for a core. The benchmark runs no other thread.
_cpu = time.process_time

SCENARIO = f"""
tasks:
  main:
    - gather: worker
  worker:
    count: {TASKS}
    steps:
      - repeat: {{times: {YIELDS}, steps: [yield]}}
"""


def _instrumented(scenario: Scenario) -> tuple[float, float, int, int, int]:
    """Seconds to run, seconds to encode, events, JSONL bytes, `step` events."""
    probe = Probe(list(scenario.instances))
    gc.collect()
    start = _cpu()
    outcome = AsyncioRun(scenario, probe, RunContext(scale=1.0)).run()
    took = _cpu() - start
    assert outcome.status == "ok", outcome
    encode, events, nbytes, steps = encoded(probe)
    return took, encode, events, nbytes, steps


def _uninstrumented(scenario: Scenario) -> float:
    probe = Probe(list(scenario.instances), record=False)
    gc.collect()
    start = _cpu()
    outcome = AsyncioRun(scenario, probe, RunContext(scale=1.0)).run()
    took = _cpu() - start
    assert outcome.status == "ok" and not probe.records, outcome
    return took


async def _raw_worker() -> None:
    for _ in range(YIELDS):
        await asyncio.sleep(0)


async def _raw_main() -> None:
    await asyncio.gather(*(_raw_worker() for _ in range(TASKS)))


def _raw_library() -> float:
    gc.collect()
    start = _cpu()
    with asyncio.Runner() as runner:
        runner.run(_raw_main())
    return _cpu() - start


def measure(rounds: int = 5) -> dict[str, Any]:
    """Median figures over `rounds` interleaved rounds (after one warm-up round)."""
    scenario = load_text(SCENARIO, "<overhead_asyncio>", runtime=RUNTIME)
    figures = paired_rounds(
        rounds,
        lambda: _instrumented(scenario),
        lambda: _uninstrumented(scenario),
        _raw_library,
        steps_per_run=TASKS * YIELDS,
    )
    return {
        "runtime": RUNTIME,
        "target": TARGET,
        "workload": f"{TASKS} tasks x {YIELDS} yields (asyncio.sleep(0))",
        **figures,
    }


if __name__ == "__main__":
    sys.exit(run_alone(sys.argv, RUNTIME, TARGET, measure))
