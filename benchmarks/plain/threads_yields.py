"""Plain threads: N OS threads × K `time.sleep(0)`, started and joined by a `main` thread.

Mirrors `benchmarks/scenarios/threads_yields.yaml` op for op: a `main` thread starts N
threads one after another (`Thread.start`, as the scenario's `gather` does) and joins
them all; each one gives the GIL up K times with `time.sleep(0)`. The process's first
thread only waits for `main`, as simtui's worker supervises its scenario's threads. The
default switch interval and a 1 MiB thread stack, as in simtui's threads runtime. No
simtui code.

Usage: python benchmarks/plain/threads_yields.py [TASKS YIELDS]
"""

from __future__ import annotations

import sys
import threading
import time

TASKS = 100
YIELDS = 2000


def _worker(yields: int) -> None:
    sleep = time.sleep
    for _ in range(yields):
        sleep(0)


def _main(tasks: int, yields: int) -> None:
    threads = [threading.Thread(target=_worker, args=(yields,), daemon=True)
               for _ in range(tasks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def workload(tasks: int = TASKS, yields: int = YIELDS) -> None:
    """The whole program, callable in-process (the interpreter benchmark's baseline)."""
    previous = threading.stack_size(1 << 20)
    try:
        main = threading.Thread(target=_main, args=(tasks, yields), daemon=True)
        main.start()
        main.join()
    finally:
        threading.stack_size(previous)


if __name__ == "__main__":
    workload(*(int(a) for a in sys.argv[1:3]))
