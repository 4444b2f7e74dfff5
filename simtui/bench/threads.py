"""The threads' side of `simtui bench`: a handoff between two OS threads, through the GIL."""

from __future__ import annotations

import threading
import time

SWITCHES = 20_000 // 4
"""Fewer than the others': each handoff costs the OS a wake-up."""


def switch(n: int = SWITCHES) -> float:
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
