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

Times are this process's CPU time. The garbage collector is paused during each timed
run, for every variant alike: here the 400,000 records pile up in memory and each
collection would walk them all, whereas in a real run the worker's flusher drains them
every 30 ms.

The records are then encoded with the worker's `Encoder` for the byte count; that time
is reported separately (`encode_s`, `ratio_with_encoding`): in a real run the worker's
flusher thread does it in batches while the run goes on.

Run alone: `python benchmarks/overhead_gevent.py [ROUNDS]`.
"""

from __future__ import annotations

import contextlib
import gc
import statistics
import sys
import time
from collections.abc import Iterator
from typing import Any

import gevent

from simtui.runtimes import gevent_rt
from simtui.runtimes.base import RunContext
from simtui.runtimes.probe import Probe
from simtui.scenario.loader import load_text
from simtui.trace.io import Encoder

RUNTIME = "gevent"
TARGET = 2.0

_clock = time.process_time
"""CPU time of this process: the workload is single-threaded, and on a shared machine the
wall clock also counts the time other processes hold the CPU."""

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


@contextlib.contextmanager
def _paused_gc() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _instrumented(scenario: Any) -> tuple[float, float, int, int, int]:
    """Run and encode seconds, events, encoded bytes and task steps of one instrumented run."""
    probe = Probe()
    with _paused_gc():
        start = _clock()
        outcome = gevent_rt.GeventRun(scenario, probe, RunContext(scale=1.0)).run()
        took = _clock() - start
    assert outcome.status == "ok", outcome.status
    start = _clock()
    data = Encoder(probe.t0).encode(probe.events)
    encode = _clock() - start
    steps = sum(1 for rec in probe.events if rec[1] == "step")
    return took, encode, len(probe.events), len(data), steps


def _uninstrumented(scenario: Any) -> float:
    with _paused_gc():
        start = _clock()
        outcome = gevent_rt.GeventRun(scenario, Probe(), RunContext(scale=1.0), record=False).run()
        took = _clock() - start
    assert outcome.status == "ok", outcome.status
    return took


def _raw() -> float:
    sleep = gevent.sleep

    def worker() -> None:
        for _ in range(YIELDS):
            sleep(0)

    def main() -> None:
        gevent.joinall([gevent.spawn(worker) for _ in range(TASKS)])

    with _paused_gc():
        start = _clock()
        gevent.spawn(main).join()
        return _clock() - start


def measure(rounds: int = 5) -> dict[str, Any]:
    """Median figures over `rounds` interleaved rounds (after one warm-up round)."""
    scenario = load_text(SCENARIO, "<overhead_gevent>", runtime=RUNTIME)
    _instrumented(scenario)
    _uninstrumented(scenario)
    ratios, enc_ratios, raw_ratios = [], [], []
    inst_s, plain_s, raw_s, enc_s = [], [], [], []
    events = nbytes = steps = 0
    for r in range(rounds):
        if r % 2:
            plain = _uninstrumented(scenario)
            took, encode, events, nbytes, steps = _instrumented(scenario)
        else:
            took, encode, events, nbytes, steps = _instrumented(scenario)
            plain = _uninstrumented(scenario)
        raw = _raw()
        inst_s.append(took)
        plain_s.append(plain)
        raw_s.append(raw)
        enc_s.append(encode)
        ratios.append(took / plain)
        enc_ratios.append((took + encode) / plain)
        raw_ratios.append(took / raw)
    med = statistics.median
    return {
        "runtime": RUNTIME,
        "target": TARGET,
        "workload": f"{TASKS} greenlets x {YIELDS} gevent.sleep(0)",
        "ratio": med(ratios),
        "instrumented_s": med(inst_s),
        "plain_s": med(plain_s),
        "encode_s": med(enc_s),
        "ratio_with_encoding": med(enc_ratios),
        "raw_library_s": med(raw_s),
        "ratio_vs_raw_library": med(raw_ratios),
        "us_per_step_recording": (med(inst_s) - med(plain_s)) / (TASKS * YIELDS) * 1e6,
        "events": events,
        "bytes_per_event": nbytes / events,
        "events_per_step": events / steps,
        "rounds": rounds,
    }


def main(argv: list[str]) -> int:
    rounds = int(argv[1]) if len(argv) > 1 else 5
    result = measure(rounds)
    for key, value in result.items():
        print(f"{key:>24}: {value:.3f}" if isinstance(value, float) else f"{key:>24}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
