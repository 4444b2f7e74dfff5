"""The parent's side alone: how fast the UI process decodes and replays a worker's stream.

Usage: python benchmarks/decode.py [--events 1000000] [--tasks 100] [--reps 3]

(`stream.py` measures a real run end to end; this one takes the worker out of the
figure, to show the parent's ceiling: the target is ≥ 1,000,000 events/s decoded and
replayed.)

A child process writes a realistic trace (the synthetic asyncio-shaped run of
`benchmarks/seek.py`, recorded in the worker's wire format) through a pipe as fast as the
pipe takes it; it is recorded before the clock starts so that the child is never the
bottleneck. The parent does what the UI does with a live run: read the pipe in
chunks, decode them (`simtui.trace.wire`), `Trace.extend`, `Replay.sync()`.
Reported: events/s from the first byte to the last event synced (wall), the parent's CPU
time per event, and the parent's split into parse / extend / sync. Prints figures;
asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simtui.replay.model import Replay  # noqa: E402
from simtui.trace.model import Trace  # noqa: E402
from simtui.trace.wire import Decoder  # noqa: E402

CHUNK = 1 << 18


def produce(n_events: int, n_tasks: int) -> None:
    """Child: record the trace, wait for the go byte on stdin, write it all to stdout."""
    from benchmarks.seek import synthetic
    from simtui.runtimes.probe import Probe
    from simtui.trace import layout, wire
    from simtui.trace.events import FIELDS

    events = synthetic(n_events, n_tasks)
    header = next(events)
    probe = Probe(header["tasks"])
    for e in events:  # the records the worker would make, in its wire format
        kind = e["type"]
        item = e.get("item") if e["task"] is None else None
        key = probe.item(item) if item is not None else probe.key(e["task"])
        fields = tuple(e.get(name) for name in FIELDS[kind])
        x = layout.NONE if not fields or fields == (None,) and kind == "ready" else probe.x(
            fields)
        probe.emit(layout.KIND[kind], key, x, probe.t0 + round(e["t"] * 1e9))
    blob = wire.encode(header, probe.names, probe.extras, probe.records)
    sys.stdin.buffer.read(1)
    view = memoryview(blob)
    while view:
        n = os.write(1, view[: 1 << 16])
        view = view[n:]


def consume(proc: subprocess.Popen[bytes]) -> dict[str, float]:
    assert proc.stdin is not None and proc.stdout is not None
    fd = proc.stdout.fileno()
    trace = Trace()
    replay = Replay(trace)
    decoder = Decoder()
    parse_s = extend_s = sync_s = 0.0
    clock = time.perf_counter
    proc.stdin.write(b"g")
    proc.stdin.close()
    first = os.read(fd, CHUNK)
    w0, c0 = clock(), time.process_time()
    chunk = first
    while chunk:
        a = clock()
        events = decoder.feed(chunk)
        b = clock()
        trace.extend(events)
        c = clock()
        replay.sync()
        d = clock()
        parse_s += b - a
        extend_s += c - b
        sync_s += d - c
        chunk = os.read(fd, CHUNK)
    wall, cpu = clock() - w0, time.process_time() - c0
    if proc.wait() != 0:  # a producer that failed would otherwise read as a short trace
        raise SystemExit(f"the producer exited {proc.returncode}")
    n = len(replay)
    assert trace.end is not None and n == len(trace)
    return {
        "events": n,
        "rate": n / wall,
        "cpu_us": cpu / n * 1e6,
        "parse_us": parse_s / n * 1e6,
        "extend_us": extend_s / n * 1e6,
        "sync_us": sync_s / n * 1e6,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--events", type=int, default=1_000_000)
    p.add_argument("--tasks", type=int, default=100)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--produce", action="store_true", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.produce:
        produce(a.events, a.tasks)
        return 0
    root = Path(__file__).resolve().parent.parent
    results = []
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; "
          f"{a.events} events, {a.tasks} tasks")
    for rep in range(a.reps):
        proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.decode", "--produce", "--events",
             str(a.events), "--tasks", str(a.tasks)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=root,
        )
        r = consume(proc)
        results.append(r)
        print(f"  run {rep + 1}: {r['rate']:>9,.0f} events/s; "
              f"parent CPU {r['cpu_us']:.2f} µs/event "
              f"(parse {r['parse_us']:.2f}, extend {r['extend_us']:.2f}, "
              f"sync {r['sync_us']:.2f})", flush=True)
    rate = statistics.median(r["rate"] for r in results)
    cpu = statistics.median(r["cpu_us"] for r in results)
    print(f"P6 decode: median {rate:,.0f} events/s decoded and replayed "
          f"(target ≥ 1,000,000); parent CPU "
          f"{cpu:.2f} µs/event, i.e. {1e6 / cpu:,.0f} events/s per core")
    return 0


if __name__ == "__main__":
    sys.exit(main())
