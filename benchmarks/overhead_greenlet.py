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

Times are this process's CPU time. The garbage collector is paused during each timed run,
for every variant alike: here the records pile up in memory and each collection would
walk them all, whereas in a real run the worker's flusher drains them every 30 ms.

The records are then encoded with the worker's `Encoder` for the byte count; that time
is reported separately (`encode_s`, `ratio_with_encoding`): in a real run the worker's
flusher thread does it in batches while the run goes on.

Run alone: `python benchmarks/overhead_greenlet.py [ROUNDS]`.
"""

from __future__ import annotations

import contextlib
import gc
import statistics
import sys
import time
from collections.abc import Iterator
from typing import Any

import greenlet

from simtui.runtimes import greenlet_rt
from simtui.runtimes.base import RunContext
from simtui.runtimes.probe import Probe
from simtui.scenario.loader import load_text
from simtui.trace.io import Encoder

RUNTIME = "greenlet"
TARGET = 2.0

_clock = time.process_time
"""CPU time of this process: the workload is single-threaded, and on a shared machine the
wall clock also counts the time other processes hold the CPU."""

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
        outcome = greenlet_rt.GreenletRun(scenario, probe, RunContext(scale=1.0)).run()
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
        run = greenlet_rt.GreenletRun(scenario, Probe(), RunContext(scale=1.0), record=False)
        outcome = run.run()
        took = _clock() - start
    assert outcome.status == "ok", outcome.status
    return took


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
    with _paused_gc():
        start = _clock()
        main_greenlet.switch()
        took = _clock() - start
    # The suspended greenlets of the chain are collected here, outside the timed part.
    chain.clear()
    return took


def measure(rounds: int = 5) -> dict[str, Any]:
    """Median figures over `rounds` interleaved rounds (after one warm-up round)."""
    scenario = load_text(SCENARIO, "<overhead_greenlet>", runtime=RUNTIME)
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
        "workload": f"ping-pong chain of {TASKS} greenlets x {SWITCHES} switches",
        "ratio": med(ratios),
        "instrumented_s": med(inst_s),
        "plain_s": med(plain_s),
        "encode_s": med(enc_s),
        "ratio_with_encoding": med(enc_ratios),
        "raw_library_s": med(raw_s),
        "ratio_vs_raw_library": med(raw_ratios),
        "us_per_step_recording": (med(inst_s) - med(plain_s)) / (TASKS * SWITCHES) * 1e6,
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
