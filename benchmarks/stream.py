"""P6: worker → parent → replay, end to end on a real run: events/s and wire bytes per event.

Usage: python benchmarks/stream.py [--runtime R]... [--rounds N] [--quick]

Each round starts a real worker (`WorkerProcess`, as `simtui run` and the TUI do) on the
runtime's benchmark scenario (`workloads.py`, the full size) and does with the stream what
the TUI's player does: the reader thread hands over the decoded batches, and this
process's main thread appends each to a `Trace` and calls `Replay.sync()`. Nothing is
pre-encoded: the worker records and writes its packed records while the run goes on, and
this process decodes them, as the TUI does.

Reported per runtime, median and min–max over the rounds: events/s from starting the
worker to the `end` event replayed (what a user waits for) and from the first event to
the last; the parent's CPU per event (reader thread, decoding, `Trace`, `Replay`) and
the rate that would make on one core; the worker's CPU per event; and the bytes per
event on the pipe.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path
from queue import SimpleQueue
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _paired import print_machine, stderr, summarize  # noqa: E402
from workloads import WORKLOADS, Workload  # noqa: E402

from simtui.replay.model import Replay  # noqa: E402
from simtui.scenario.loader import load_scenario  # noqa: E402
from simtui.trace import wire  # noqa: E402
from simtui.trace.model import Trace  # noqa: E402
from simtui.trace.stream import WorkerProcess  # noqa: E402

_wire = [0]
_feed = wire.Decoder.feed


def _counting_feed(self: wire.Decoder, chunk: bytes) -> list[wire.Batch]:
    # One call per chunk read from the pipe (up to 256 KiB): counting costs nothing.
    _wire[0] += len(chunk)
    return _feed(self, chunk)


wire.Decoder.feed = _counting_feed  # type: ignore[method-assign]


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def one_run(scenario: Any, runtime: str) -> dict[str, float]:
    batches: SimpleQueue[wire.Batch | None] = SimpleQueue()
    trace = Trace()
    replay = Replay(trace)
    _wire[0] = 0
    first = None
    done = 0.0
    ingest = 0.0
    worker = WorkerProcess(scenario, runtime, on_events=batches.put,
                           on_exit=lambda _w: batches.put(None))
    c0, k0 = time.process_time(), _children_cpu()
    w0 = time.perf_counter()
    worker.start()
    while (batch := batches.get()) is not None:
        if first is None:
            first = time.perf_counter()
        t = time.thread_time()
        trace.extend(batch)
        replay.sync()
        ingest += time.thread_time() - t
        if trace.end is not None:
            done = time.perf_counter()
    worker.wait(10)
    cpu, worker_cpu = time.process_time() - c0, _children_cpu() - k0
    n = len(replay)
    status = (trace.end or {}).get("status")
    if status != "ok" or n != len(trace):
        raise SystemExit(f"{runtime}: the run ended {status!r} ({worker.error_text})")
    assert first is not None
    return {
        "events": n,
        "rate": n / (done - w0),
        "rate_streaming": n / (done - first),
        "parent_us": cpu / n * 1e6,
        "ingest_us": ingest / n * 1e6,
        "worker_us": worker_cpu / n * 1e6,
        "wire": _wire[0] / n,
        "seconds": done - w0,
    }


def measure(w: Workload, rounds: int, quick: bool, tmp: Path) -> list[dict[str, float]]:
    path = w.scenario_path
    if quick:
        path = tmp / f"{w.name}.yaml"
        path.write_text(w.scenario_text(w.quick), encoding="utf-8")
    scenario = load_scenario(str(path), runtime=w.runtime)
    results = []
    for r in range(rounds):
        got = one_run(scenario, w.runtime)
        stderr(f"  {w.runtime} round {r + 1}: {got['rate']:,.0f} events/s, "
               f"{got['events']:,} events in {got['seconds']:.1f} s")
        results.append(got)
    return results


def report(w: Workload, results: list[dict[str, float]], quick: bool) -> None:
    def s(key: str, fmt: str, unit: str = "") -> str:
        return summarize([r[key] for r in results]).show(fmt, unit)

    rt = w.runtime
    size = w.quick if quick else w.full
    print(f"{rt}: {w.describe(size)}; {len(results)} rounds, {int(results[-1]['events']):,} events")
    print(f"  P6 {rt} stream end to end: {s('rate', ',.0f')} events/s, worker start to "
          f"`end` replayed; {s('rate_streaming', ',.0f')} events/s from the first event")
    parent = summarize([r["parent_us"] for r in results]).median
    print(f"  parent CPU {s('parent_us', '.2f', ' µs')}/event ({1e6 / parent:,.0f} events/s "
          f"on one core), of which Trace + Replay {s('ingest_us', '.2f', ' µs')}; "
          f"worker CPU {s('worker_us', '.2f', ' µs')}/event")
    print(f"  wire: {s('wire', '.1f')} B/event")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--runtime", action="append", choices=list(WORKLOADS),
                   help="only this runtime (repeat for more); default: all")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--quick", action="store_true", help="tiny workloads, one round: a smoke run")
    a = p.parse_args(argv)
    rounds = 1 if a.quick else max(1, a.rounds)
    print_machine()
    for runtime in a.runtime or list(WORKLOADS):
        stderr(f"measuring {runtime} ...")
        w = WORKLOADS[runtime]
        with tempfile.TemporaryDirectory(prefix="simtui-bench-") as tmp:
            results = measure(w, rounds, a.quick, Path(tmp))
        report(w, results, a.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
