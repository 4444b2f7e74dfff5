"""Paired-round measuring, medians and printing shared by the `overhead_<runtime>.py` benchmarks."""

from __future__ import annotations

import contextlib
import gc
import statistics
import time
from collections.abc import Callable, Iterator
from typing import Any

from simtui.runtimes.base import Outcome
from simtui.runtimes.probe import Probe
from simtui.trace.io import Encoder

Instrumented = Callable[[], tuple[float, float, int, int, int]]
"""One instrumented run: seconds to run, seconds to encode its trace, events, JSONL bytes
and `step` events."""

Timed = Callable[[], float]
"""One run of a variant without recording: its seconds."""

cpu_clock = time.process_time
"""CPU time of this process: the workloads timed on it are single-threaded, and on a shared
machine the wall clock also counts the time other processes hold the CPU."""


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Collect, then keep the collector off for a timed run.

    The records of a long run pile up in memory and each collection would walk them all,
    whereas in a real run the worker's flusher drains them every 30 ms. Pause it for every
    variant alike.
    """
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def timed_recorded(run: Callable[[Probe, bool], Outcome]) -> tuple[float, float, int, int, int]:
    """One `run(probe, record=True)` on CPU time with the collector paused, then its records
    encoded with the worker's `Encoder` (timed apart: in a real run the worker's flusher
    does that in batches while the run goes on). Returns what `Instrumented` does."""
    probe = Probe()
    with paused_gc():
        start = cpu_clock()
        outcome = run(probe, True)
        took = cpu_clock() - start
    assert outcome.status == "ok", outcome.status
    start = cpu_clock()
    data = Encoder(probe.t0).encode(probe.events)
    encode = cpu_clock() - start
    steps = sum(1 for rec in probe.events if rec[1] == "step")
    return took, encode, len(probe.events), len(data), steps


def timed_unrecorded(run: Callable[[Probe, bool], Outcome]) -> float:
    """Seconds of one `run(probe, record=False)`, on CPU time with the collector paused."""
    with paused_gc():
        start = cpu_clock()
        outcome = run(Probe(), False)
        took = cpu_clock() - start
    assert outcome.status == "ok", outcome.status
    return took


def paired_rounds(
    rounds: int,
    instrumented: Instrumented,
    plain: Timed,
    raw: Timed | None = None,
    *,
    warmup: bool = True,
    steps_per_run: int | None = None,
) -> dict[str, Any]:
    """Medians over `rounds` rounds of the variants, and of their per-round (paired) ratios.

    `plain` is the uninstrumented P1 baseline (`ratio` = instrumented ÷ plain); `raw` the
    same workload with no simtui code at all (`ratio_vs_raw_library` = instrumented ÷ raw).
    `warmup` runs every variant once, untimed, first. `steps_per_run` (the workload's
    task steps) adds `us_per_step_recording`.
    """
    if warmup:
        instrumented()
        plain()
        if raw is not None:
            raw()
    ratios, enc_ratios, raw_ratios = [], [], []
    inst_s, plain_s, raw_s, enc_s = [], [], [], []
    events = nbytes = steps = 0
    for r in range(rounds):
        # Alternate the order (A/B, then B/A) so a slow spell of a shared machine hits
        # both sides; the raw library runs between them either way.
        if r % 2:
            p = plain()
            w = raw() if raw is not None else None
            took, encode, events, nbytes, steps = instrumented()
        else:
            took, encode, events, nbytes, steps = instrumented()
            w = raw() if raw is not None else None
            p = plain()
        ratios.append(took / p)
        enc_ratios.append((took + encode) / p)
        inst_s.append(took)
        plain_s.append(p)
        enc_s.append(encode)
        if w is not None:
            raw_ratios.append(took / w)
            raw_s.append(w)
    med = statistics.median
    result: dict[str, Any] = {
        "ratio": med(ratios),
        "ratios": [round(x, 3) for x in ratios],
        "instrumented_s": med(inst_s),
        "plain_s": med(plain_s),
        "encode_s": med(enc_s),
        "ratio_with_encoding": med(enc_ratios),
    }
    if raw is not None:
        result["raw_library_s"] = med(raw_s)
        result["ratio_vs_raw_library"] = med(raw_ratios)
    if steps_per_run:
        result["us_per_step_recording"] = (med(inst_s) - med(plain_s)) / steps_per_run * 1e6
    result["events"] = events
    result["bytes_per_event"] = nbytes / events
    result["events_per_step"] = events / steps
    result["rounds"] = rounds
    return result


def _print_figures(figures: dict[str, Any], indent: str) -> None:
    for key, value in figures.items():
        if isinstance(value, dict):
            print(f"{indent}{key}:")
            _print_figures(value, indent + "  ")
        elif isinstance(value, float):
            print(f"{indent}{key:>24}: {value:.3f}")
        else:
            print(f"{indent}{key:>24}: {value}")


def run_alone(
    argv: list[str], runtime: str, target: float, measure: Callable[[int], dict[str, Any]]
) -> int:
    """Run one overhead module alone: `python benchmarks/overhead_<runtime>.py [ROUNDS]`."""
    rounds = int(argv[1]) if len(argv) > 1 else 5
    result = measure(rounds)
    print(f"{runtime} recording overhead ({rounds} rounds, median of paired ratios; "
          f"target ≤ {target}×)")
    _print_figures(result, "")
    return 0
