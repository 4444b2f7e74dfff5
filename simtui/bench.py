"""`simtui bench`: what one switch costs on each runtime, measured on this machine (claim C7).

Plain, uninstrumented workloads of the same shape on every runtime, repeated with the
runtimes interleaved; the median of the repetitions is reported, with its ratio to the
median of a raw greenlet switch.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable

SWITCHES = 20_000


def greenlet_switch(n: int = SWITCHES) -> float:
    """Two greenlets switching to each other: seconds per switch."""
    import greenlet

    def pong() -> None:
        while True:
            main.switch()

    main = greenlet.getcurrent()
    other = greenlet.greenlet(pong)
    start = time.perf_counter()
    for _ in range(n // 2):
        other.switch()
    took = time.perf_counter() - start
    other.throw(greenlet.GreenletExit)
    return took / n


def asyncio_switch(n: int = SWITCHES, tasks: int = 100) -> float:
    """`tasks` coroutines each doing `await asyncio.sleep(0)`: seconds per task step."""
    import asyncio

    per = max(1, n // tasks)

    async def worker() -> None:
        for _ in range(per):
            await asyncio.sleep(0)

    async def main() -> float:
        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(tasks)))
        return time.perf_counter() - start

    return asyncio.run(main()) / (per * tasks)


def gevent_switch(n: int = SWITCHES, tasks: int = 100) -> float:
    """`tasks` greenlets each doing `gevent.sleep(0)` through the hub: seconds per yield."""
    import gevent

    per = max(1, n // tasks)

    def worker() -> None:
        for _ in range(per):
            gevent.sleep(0)

    start = time.perf_counter()
    gevent.joinall([gevent.spawn(worker) for _ in range(tasks)])
    return (time.perf_counter() - start) / (per * tasks)


def threads_switch(n: int = SWITCHES // 4) -> float:
    """Two OS threads handing control to each other through events: seconds per handoff."""
    ping, pong = threading.Event(), threading.Event()

    def other() -> None:
        for _ in range(n // 2):
            ping.wait()
            ping.clear()
            pong.set()

    thread = threading.Thread(target=other, daemon=True)
    thread.start()
    start = time.perf_counter()
    for _ in range(n // 2):
        ping.set()
        pong.wait()
        pong.clear()
    took = time.perf_counter() - start
    thread.join()
    return took / n


MEASURES: dict[str, Callable[[], float]] = {
    "greenlet": greenlet_switch,
    "gevent": gevent_switch,
    "asyncio": asyncio_switch,
    "threads": threads_switch,
}
WHAT = {
    "greenlet": "greenlet.switch() between two greenlets",
    "gevent": "gevent.sleep(0), 100 greenlets, via the hub",
    "asyncio": "await asyncio.sleep(0), 100 tasks, via the loop",
    "threads": "threading.Event handoff between two threads",
}


def run(repeats: int = 5) -> dict[str, dict[str, float]]:
    """Median seconds per switch per runtime, and its ratio to the greenlet switch's.

    The ratio is that of the two medians printed beside it, so a slower time never
    shows a smaller ratio (a median of per-repetition ratios need not agree with the
    medians of the times).
    """
    samples: dict[str, list[float]] = {name: [] for name in MEASURES}
    for fn in MEASURES.values():  # warm-up: imports, first hub, thread start
        fn()
    for _ in range(repeats):
        for name, fn in MEASURES.items():  # interleaved: load changes hit every runtime
            samples[name].append(fn())
    medians = {name: statistics.median(values) for name, values in samples.items()}
    return {
        name: {"seconds": seconds, "ratio": seconds / medians["greenlet"]}
        for name, seconds in medians.items()
    }


def main(repeats: int = 5) -> int:
    import platform

    print(f"per-switch cost on this machine (Python {platform.python_version()}, "
          f"median of {repeats} interleaved repetitions)")
    results = run(repeats)
    for name, r in sorted(results.items(), key=lambda kv: kv[1]["seconds"]):
        print(f"  {name:<9} {r['seconds'] * 1e6:8.2f} µs  ×{r['ratio']:5.1f}  {WHAT[name]}")
    print("greenlet switches in C with no scheduler; gevent and asyncio add a scheduler "
          "(the hub, the event loop); threads need the OS and the GIL.")
    return 0
