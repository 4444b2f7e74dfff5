"""Raw greenlet's side of `simtui bench`: the cheapest switch there is, the others' unit."""

from __future__ import annotations

import time

SWITCHES = 20_000


def switch(n: int = SWITCHES) -> float:
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
