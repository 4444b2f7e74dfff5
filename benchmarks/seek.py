"""P4 and P5: random seek in a long trace, and the memory a loaded trace takes (targets.md).

Usage: python benchmarks/seek.py [--events 10000,1000000] [--tasks 100,10000] [--seeks 300]

A synthetic trace in the shape of a real asyncio run: a FIFO ready queue, each run of a
task does a step and then yields (`sleep(0)`: back to the queue), sleeps on a timer (waits,
woken later), prints, or blocks; about 70 % of the tasks ready and 30 % waiting. For each
size it builds `Trace` + `Replay` under tracemalloc (memory kept per event, keyframes
included), then times random `state(i)` seeks (wall, and the thread's CPU time: on a shared
machine the wall p99 mostly measures other processes), stepping forward by one event
and stepping back by one. P4 is the ratio of seek times in the longest trace to the shortest, same
task count, in this one run (with 10,000 tasks the short trace is mostly their creation:
it takes two events to create and queue each). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
import tracemalloc
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simtui.replay.model import Replay  # noqa: E402
from simtui.trace.model import Trace  # noqa: E402


def synthetic(n_events: int, n_tasks: int, seed: int = 1) -> Iterator[dict[str, Any]]:
    """A valid trace of `n_events` events (header first), generated lazily."""
    rnd = random.Random(seed)
    names = [f"user[{i}]" for i in range(n_tasks)]
    yield {"type": "header", "format": "simtui-trace", "version": 1, "scenario": "synthetic",
           "runtime": "asyncio", "tasks": names}
    seq = 0
    t = 0.0
    ready: deque[str] = deque()
    waiting: list[str] = []
    prev = None
    for name in names:
        yield {"seq": seq, "t": t, "type": "create", "task": name, "parent": None}
        yield {"seq": seq + 1, "t": t, "type": "ready", "task": name}
        seq += 2
        ready.append(name)
    limit = n_events - 1
    while seq < limit:
        t = round(t + 2e-6, 7)
        if not ready or len(waiting) > 0.3 * n_tasks:
            # A timer fires: the oldest sleeper wakes and is queued again.
            w = waiting.pop(rnd.randrange(min(len(waiting), 8)))
            yield {"seq": seq, "t": t, "type": "wake", "task": w, "reason": "sleep"}
            yield {"seq": seq + 1, "t": t, "type": "ready", "task": w}
            seq += 2
            ready.append(w)
            continue
        me = ready.popleft()
        yield {"seq": seq, "t": t, "type": "run", "task": me, "from": prev}
        step = rnd.randrange(4)
        yield {"seq": seq + 1, "t": t, "type": "step", "task": me, "index": step,
               "op": ("sleep", "print", "cpu", "sleep")[step], "line": 10 + step, "col": 7}
        seq += 2
        prev = me
        r = rnd.random()
        if r < 0.05:
            yield {"seq": seq, "t": t, "type": "output", "task": me, "text": f"{me} did it"}
            seq += 1
        elif r < 0.08:
            yield {"seq": seq, "t": t, "type": "block", "task": me, "reason": "cpu",
                   "duration": 0.001}
            seq += 1
        if rnd.random() < 0.55:
            yield {"seq": seq, "t": t, "type": "suspend", "task": me, "reason": "yield"}
            yield {"seq": seq + 1, "t": t, "type": "ready", "task": me}
            seq += 2
            ready.append(me)
        else:
            yield {"seq": seq, "t": t, "type": "suspend", "task": me, "reason": "sleep",
                   "detail": "0.5s", "until": round(t + 0.5, 7)}
            seq += 1
            waiting.append(me)
    yield {"seq": seq, "t": t, "type": "end", "task": None, "status": "ok", "elapsed": t}


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def measure(n_events: int, n_tasks: int, seeks: int) -> dict[str, float]:
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    t0 = time.perf_counter()
    trace = Trace.from_events(synthetic(n_events, n_tasks))
    t1 = time.perf_counter()
    replay = Replay(trace)
    t2 = time.perf_counter()
    gc.collect()
    kept = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    n = len(trace)
    rnd = random.Random(2)
    times, cpu = [], []
    for _ in range(seeks):
        i = rnd.randrange(n)
        s, c = time.perf_counter(), time.thread_time()
        replay.state(i)
        times.append(time.perf_counter() - s)
        cpu.append(time.thread_time() - c)
    forward, back = [], []
    start = rnd.randrange(n // 2)
    replay.state(start)
    for i in range(start + 1, min(n, start + 200)):
        s = time.perf_counter()
        replay.state(i)
        forward.append(time.perf_counter() - s)
    for i in range(min(n, start + 200) - 2, start, -1):
        s = time.perf_counter()
        replay.state(i)
        back.append(time.perf_counter() - s)
    state = replay.state(n - 2)
    return {
        "events": n,
        "tasks": n_tasks,
        "ready": len(state.ready),
        "waiting": len(state.waiting),
        "keyframes": replay.keyframes,
        "bytes_per_event": kept / n,
        "trace_s": t1 - t0,
        "replay_s": t2 - t1,
        "seek_ms_median": statistics.median(times) * 1e3,
        "seek_ms_p99": pct(times, 99) * 1e3,
        "seek_cpu_ms_p99": pct(cpu, 99) * 1e3,
        "step_ms_median": statistics.median(forward) * 1e3,
        "back_ms_median": statistics.median(back) * 1e3,
        "back_ms_p99": pct(back, 99) * 1e3,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--events", default="10000,1000000")
    p.add_argument("--tasks", default="100,10000")
    p.add_argument("--seeks", type=int, default=300)
    a = p.parse_args(argv)
    sizes = [int(x) for x in a.events.split(",")]
    task_counts = [int(x) for x in a.tasks.split(",")]
    print(f"python {sys.version.split()[0]}; building under tracemalloc (build times are "
          "inflated by it), seeks timed without it")
    print(f"{'events':>9} {'tasks':>6} {'ready':>6} {'wait':>5} {'kf':>5} {'B/event':>8} "
          f"{'seek p50':>9} {'seek p99':>9} {'cpu p99':>9} {'step':>7} {'back p50':>9} "
          f"{'back p99':>9}")
    results: dict[tuple[int, int], dict[str, float]] = {}
    for tasks in task_counts:
        for events in sizes:
            r = measure(events, tasks, a.seeks)
            results[(events, tasks)] = r
            print(f"{r['events']:>9} {tasks:>6} {r['ready']:>6} {r['waiting']:>5} "
                  f"{r['keyframes']:>5} {r['bytes_per_event']:>8.1f} "
                  f"{r['seek_ms_median']:>7.3f}ms {r['seek_ms_p99']:>7.3f}ms "
                  f"{r['seek_cpu_ms_p99']:>7.3f}ms "
                  f"{r['step_ms_median']:>5.3f}ms {r['back_ms_median']:>7.3f}ms "
                  f"{r['back_ms_p99']:>7.3f}ms", flush=True)
    lo, hi = min(sizes), max(sizes)
    if lo != hi:
        for tasks in task_counts:
            a_, b_ = results[(lo, tasks)], results[(hi, tasks)]
            print(f"P4 {tasks} tasks: seek {hi} ÷ {lo} events: median "
                  f"{b_['seek_ms_median'] / a_['seek_ms_median']:.2f}, p99 "
                  f"{b_['seek_ms_p99'] / a_['seek_ms_p99']:.2f}, CPU-time p99 "
                  f"{b_['seek_cpu_ms_p99'] / a_['seek_cpu_ms_p99']:.2f} (target ≤ 2); p99 "
                  f"{b_['seek_ms_p99']:.2f} ms wall, {b_['seek_cpu_ms_p99']:.2f} ms CPU "
                  "(target ≤ 5 ms)")
    for tasks in task_counts:
        r = results[(hi, tasks)]
        print(f"P5 {tasks} tasks, {hi} events: {r['bytes_per_event']:.1f} bytes/event "
              f"(target ≤ {250 if tasks <= 100 else 600})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
