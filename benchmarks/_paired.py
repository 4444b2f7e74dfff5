"""Paired-round measuring, medians and printing shared by the `overhead_<runtime>.py` benchmarks."""

from __future__ import annotations

import contextlib
import gc
import io
import statistics
import time
from collections.abc import Callable, Iterator
from typing import Any

from simtui.runtimes.base import Outcome
from simtui.runtimes.probe import Probe
from simtui.trace import wire
from simtui.trace.export import JsonlWriter
from simtui.trace.layout import STEP

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


def encoded(probe: Probe) -> tuple[float, int, int, int]:
    """What the probe recorded, through the wire and into JSONL as the parent writes it:
    seconds to make the wire bytes (the worker's whole encoding), events, JSONL bytes and
    `step` events."""
    header = {"type": "header", "tasks": list(probe.tasks)}
    start = cpu_clock()
    data = wire.encode(header, probe.names, probe.extras, probe.records)
    took = cpu_clock() - start
    out = io.StringIO()
    writer = JsonlWriter(out)
    events = steps = 0
    for batch in wire.Decoder().feed(data):
        if len(batch):
            writer.out.write(writer.encode(batch))
            events += len(batch)
            steps += batch.kinds.count(STEP)
    return took, events, len(out.getvalue().encode()), steps


def timed_recorded(run: Callable[[Probe], Outcome], tasks: list[str]
                   ) -> tuple[float, float, int, int, int]:
    """One `run(probe)` on CPU time with the collector paused, then its records encoded
    for the wire (timed apart: in a real run the worker's flusher does that while the run
    goes on). Returns what `Instrumented` does."""
    probe = Probe(tasks)
    with paused_gc():
        start = cpu_clock()
        outcome = run(probe)
        took = cpu_clock() - start
    assert outcome.status == "ok", outcome.status
    encode, events, nbytes, steps = encoded(probe)
    return took, encode, events, nbytes, steps


def timed_unrecorded(run: Callable[[Probe], Outcome], tasks: list[str]) -> float:
    """Seconds of one `run(probe)` with a probe that does not record, on CPU time with the
    collector paused."""
    with paused_gc():
        start = cpu_clock()
        outcome = run(Probe(tasks, record=False))
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
