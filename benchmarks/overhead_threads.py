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

import statistics
import sys
import threading
import time
from typing import Any

from simtui.runtimes import threads_rt
from simtui.runtimes.base import CpuWork, RunContext
from simtui.runtimes.probe import Probe
from simtui.scenario.loader import load_text
from simtui.trace.io import Encoder

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
    probe = Probe()
    outcome = threads_rt.run(scenario, probe, RunContext(scale=1.0, cpu=cpu))
    ran = time.perf_counter()
    data = Encoder(probe.t0).encode(probe.events)
    encoded = time.perf_counter()
    assert outcome.status == "ok", outcome
    steps = sum(1 for rec in probe.events if rec[1] == "step")
    return ran - start, encoded - ran, len(probe.events), len(data), steps


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


def _paired(rounds: int, plain, text: str, cpu: CpuWork) -> dict[str, Any]:
    ratios, with_encoding, inst_times, encode_times, plain_times = [], [], [], [], []
    events = size = steps = 0
    for k in range(rounds):
        # Alternate which variant goes first, so drift on a shared machine cancels out.
        if k % 2:
            p = plain()
            i, e, events, size, steps = _instrumented(text, cpu)
        else:
            i, e, events, size, steps = _instrumented(text, cpu)
            p = plain()
        ratios.append(i / p)
        with_encoding.append((i + e) / p)
        inst_times.append(i)
        encode_times.append(e)
        plain_times.append(p)
    return {
        "ratio": statistics.median(ratios),
        "ratio_with_encoding": statistics.median(with_encoding),
        "instrumented_s": statistics.median(inst_times),
        "encode_s": statistics.median(encode_times),
        "plain_s": statistics.median(plain_times),
        "bytes_per_event": size / events,
        "events_per_step": events / steps,
        "events": events,
    }


def measure(rounds: int = 5) -> dict[str, Any]:
    """The P1/P2 figures of the threads runtime; `ratio` is the cpu workload's."""
    sys.setswitchinterval(0.005)
    cpu = CpuWork.calibrate()
    cpu_figures = _paired(rounds, lambda: _plain_cpu(cpu), CPU_SCENARIO, cpu)
    yield_figures = _paired(rounds, _plain_yields, YIELD_SCENARIO, cpu)
    result: dict[str, Any] = dict(cpu_figures)
    result["workload"] = f"{CPU_THREADS} threads × cpu {CPU_SECONDS} s"
    result["yields"] = yield_figures
    result["yields"]["workload"] = f"{YIELD_THREADS} threads × {YIELDS} yields"
    result["target"] = TARGET
    return result


def _line(f: dict[str, Any]) -> str:
    return (
        f"  {f['workload']}: {f['ratio']:.3f}× recording, {f['ratio_with_encoding']:.3f}× "
        f"with JSONL encoding; instrumented {f['instrumented_s']:.3f} s "
        f"(+{f['encode_s']:.3f} s encoding), plain {f['plain_s']:.3f} s; {f['events']} events, "
        f"{f['bytes_per_event']:.1f} B/event, {f['events_per_step']:.2f} events/step"
    )


def main(argv: list[str]) -> int:
    rounds = int(argv[1]) if len(argv) > 1 else 5
    r = measure(rounds)
    print(
        f"threads recording overhead ({rounds} rounds, median of paired ratios; target ≤ {TARGET}×)"
    )
    print(_line(r))
    print(_line(r["yields"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
