"""Recording overhead of the threads runtime (targets.md P1 threads ≤ 1.2×, P2 trace size).

Two workloads, each run instrumented (the real `threads_rt.run` with a real `Probe`,
its records then encoded to JSONL by the worker's `Encoder`) and uninstrumented (plain
threads doing the same work with no simtui code), interleaved in one process, several
rounds, reporting the median of the paired ratios:

- `cpu` (the P1 figure): 3 threads × 0.3 s of calibrated pure-Python work, started by a
  `main` thread and joined, the scenario `threads_cpu` describes. This is what a threads
  trace records: GIL handoffs seen from instrumented work units.
- `yields` (reported too): 1,000 threads × 100 `yield` steps (`time.sleep(0)`), the
  P1 shape of the other runtimes. Every step of it is a GIL release and re-acquire of
  about a microsecond, so recording four events per step weighs far more here than on
  the other runtimes' costlier steps.

`ratio` times the run alone (what recording adds to it); `ratio_with_encoding` adds the
time to encode its trace to JSONL, which the worker's flusher does on another thread while
the run goes on, under the same GIL. `events_per_step` counts every event of the trace
(GIL handoffs included) per `step` event, so it is large for the few long `cpu` steps.

Run alone: `python benchmarks/overhead_threads.py [ROUNDS]`.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any

from _paired import encoded, paired_rounds, run_alone

from simtui.runtimes import threads_rt
from simtui.runtimes.base import CpuWork, RunContext
from simtui.runtimes.probe import Probe
from simtui.scenario.loader import load_text

RUNTIME = "threads"
TARGET = 1.2

CPU_THREADS = 3
CPU_SECONDS = 0.3
YIELD_THREADS = 1000
YIELDS = 100

CPU_SCENARIO = f"""
tasks:
  main:
    - gather: worker
  worker:
    count: {CPU_THREADS}
    steps:
      - cpu: {CPU_SECONDS}
"""

YIELD_SCENARIO = f"""
tasks:
  main:
    - gather: worker
  worker:
    count: {YIELD_THREADS}
    steps:
      - repeat:
          times: {YIELDS}
          steps:
            - yield
"""


def _instrumented(text: str, cpu: CpuWork) -> tuple[float, float, int, int, int]:
    """Seconds of the run, seconds to encode its trace, events, bytes and task steps."""
    scenario = load_text(text, "<bench>", runtime=RUNTIME)
    start = time.perf_counter()
    probe = Probe(list(scenario.instances))
    outcome = threads_rt.run(scenario, probe, RunContext(scale=1.0, cpu=cpu))
    ran = time.perf_counter()
    assert outcome.status == "ok", outcome
    encode, events, nbytes, steps = encoded(probe)
    return ran - start, encode, events, nbytes, steps


def _plain_threads(n: int, target: Any) -> float:
    """Seconds for a main thread that starts `n` threads running `target` and joins them."""

    def main() -> None:
        threads = [threading.Thread(target=target, daemon=True) for _ in range(n)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    start = time.perf_counter()
    runner = threading.Thread(target=main, daemon=True)
    runner.start()
    runner.join()
    return time.perf_counter() - start


def _plain_cpu(cpu: CpuWork) -> float:
    n = cpu.units(CPU_SECONDS)
    unit = cpu.unit

    def work() -> None:
        for _ in range(n):
            unit()

    return _plain_threads(CPU_THREADS, work)


def _plain_yields() -> float:
    sleep = time.sleep

    def work() -> None:
        for _ in range(YIELDS):
            sleep(0)

    return _plain_threads(YIELD_THREADS, work)


def measure(rounds: int = 5) -> dict[str, Any]:
    """The P1/P2 figures of the threads runtime; `ratio` is the cpu workload's."""
    sys.setswitchinterval(0.005)
    cpu = CpuWork.calibrate()
    # No untimed warm-up round: one round of the cpu workload alone takes about a second.
    cpu_figures = paired_rounds(
        rounds, lambda: _instrumented(CPU_SCENARIO, cpu), lambda: _plain_cpu(cpu), warmup=False
    )
    yield_figures = paired_rounds(
        rounds, lambda: _instrumented(YIELD_SCENARIO, cpu), _plain_yields, warmup=False
    )
    return {
        "runtime": RUNTIME,
        "target": TARGET,
        "workload": f"{CPU_THREADS} threads × cpu {CPU_SECONDS} s",
        **cpu_figures,
        "yields": {"workload": f"{YIELD_THREADS} threads × {YIELDS} yields", **yield_figures},
    }


if __name__ == "__main__":
    sys.exit(run_alone(sys.argv, RUNTIME, TARGET, measure))
