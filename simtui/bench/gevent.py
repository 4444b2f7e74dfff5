"""gevent's side of `simtui bench`: a yield to the hub and back."""

from __future__ import annotations

import time

SWITCHES = 20_000


def switch(n: int = SWITCHES, tasks: int = 100) -> float:
    """`tasks` greenlets each doing `gevent.sleep(0)` through the hub: seconds per yield."""
    import gevent

    per = max(1, n // tasks)

    def worker() -> None:
        for _ in range(per):
            gevent.sleep(0)

    start = time.perf_counter()
    gevent.joinall([gevent.spawn(worker) for _ in range(tasks)])
    return (time.perf_counter() - start) / (per * tasks)
