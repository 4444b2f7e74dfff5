"""A runaway run through the real worker: events/s streamed to a reader, and worker peak memory.

Usage: python benchmarks/runaway.py [--runtime asyncio] [--seconds 6] [--reps 3]

Two tasks yield to each other as fast as the runtime lets them until the scenario's
timeout ends the run, as `tests/runtimes/test_worker_backlog.py` does, but with a reader
that takes events as fast as they come (only counting them). The worker pauses the run to
write its backlog past `BACKLOG` waiting records, so what is measured is the whole chain:
record, encode, write, read, parse. Reported per repetition: events, events/s over the
run, worker peak RSS (VmHWM); then the median. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simtui.scenario.loader import load_text  # noqa: E402
from simtui.trace.stream import WorkerProcess  # noqa: E402
from simtui.trace.wire import Batch  # noqa: E402

SCENARIO = """
timeout: {seconds}
tasks:
  main:
    - spawn: b
    - repeat: {{times: 10000000, steps: [yield]}}
  b:
    - repeat: {{times: 10000000, steps: [yield]}}
"""


def peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def once(runtime: str, seconds: float) -> tuple[int, float, float]:
    """One runaway run: (events, events per second of the run, worker peak RSS in MB)."""
    scenario = load_text(SCENARIO.format(seconds=seconds), "<runaway>", runtime=runtime)
    count = [0]
    elapsed = [0.0]
    done = threading.Event()

    def on_events(batch: Batch) -> None:
        count[0] += len(batch)
        end = batch.end
        if end is not None:
            elapsed[0] = float(end.get("elapsed") or 0.0)

    worker = WorkerProcess(scenario, runtime, on_events=on_events,
                           on_exit=lambda w: done.set()).start()
    assert worker.proc is not None
    peak = 0.0
    start = time.perf_counter()
    try:
        while not done.wait(0.1):
            rss = peak_rss_mb(worker.proc.pid)
            if rss is not None:
                peak = max(peak, rss)
    finally:
        worker.kill()
        worker.wait(10)
    took = elapsed[0] or (time.perf_counter() - start)
    return count[0], count[0] / took, peak


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runtime", default="asyncio",
                   choices=["asyncio", "gevent", "threads"])
    p.add_argument("--seconds", type=float, default=6.0)
    p.add_argument("--reps", type=int, default=3)
    args = p.parse_args()
    rates, peaks = [], []
    for k in range(args.reps):
        events, rate, peak = once(args.runtime, args.seconds)
        rates.append(rate)
        peaks.append(peak)
        print(f"run {k + 1}: {events:,} events, {rate:,.0f} events/s, worker peak {peak:.0f} MB")
    print(f"{args.runtime} runaway, {args.seconds:g} s: median {statistics.median(rates):,.0f} "
          f"events/s (min {min(rates):,.0f}, max {max(rates):,.0f}); worker peak median "
          f"{statistics.median(peaks):.0f} MB, max {max(peaks):.0f} MB")


if __name__ == "__main__":
    main()
