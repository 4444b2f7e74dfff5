"""Plain gevent: N greenlets × K `gevent.sleep(0)`, joined by `main`.

Mirrors `benchmarks/scenarios/gevent_yields.yaml` op for op: the process is monkey-patched
first (`monkey.patch_all()`, the scenario's default `gevent.monkey_patch`), then a `main`
greenlet spawns N greenlets (`gevent.spawn`, as the scenario's `gather` does) and joins
them all (`gevent.joinall`); each one yields to the hub K times with `gevent.sleep(0)`.
No simtui code. Called in-process (`workload`), it does not patch: the recorder
benchmark's variants all run unpatched alike.

Usage: python benchmarks/plain/gevent_yields.py [TASKS YIELDS]
"""

from __future__ import annotations

import sys

import gevent

TASKS = 1000
YIELDS = 1500


def _worker(yields: int) -> None:
    sleep = gevent.sleep
    for _ in range(yields):
        sleep(0)


def _main(tasks: int, yields: int) -> None:
    gevent.joinall([gevent.spawn(_worker, yields) for _ in range(tasks)])


def workload(tasks: int = TASKS, yields: int = YIELDS) -> None:
    """The whole program, callable in-process (the interpreter benchmark's baseline)."""
    gevent.spawn(_main, tasks, yields).join()


if __name__ == "__main__":
    from gevent import monkey

    monkey.patch_all()
    workload(*(int(a) for a in sys.argv[1:3]))
