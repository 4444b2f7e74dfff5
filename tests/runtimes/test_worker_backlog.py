"""A run that records events faster than the worker can write them stays bounded in memory."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from simtui.trace.stream import WorkerProcess
from simtui.trace.wire import Batch
from tests.tracehelp import scenario_from

RUNAWAY = """
timeout: 4
tasks:
  main:
    - spawn: b
    - repeat: {times: 10000000, steps: [yield]}
  b:
    - repeat: {times: 10000000, steps: [yield]}
"""

SLOW = 3.0
"""Seconds during which the reader takes each batch slowly (50 ms each) before it reads at
full speed."""


def _peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


# gevent monkey-patches by default: `_thread.get_ident()` then names the current greenlet,
# not the thread, so the flusher must not ask it whom to signal.
@pytest.mark.parametrize("runtime", ["asyncio", "gevent"])
def test_a_runaway_run_is_paused_to_write_its_backlog_so_memory_stays_bounded(
    runtime: str,
) -> None:
    # The reader takes its first batches slowly, so the worker cannot write as fast as the
    # run records whatever the machine's speed: a pipe that a reader drains at ~20,000
    # events/s against a loop that records hundreds of thousands. Without pausing the run
    # to write its backlog, the records pile up in the worker (270-450 MB within those 3 s,
    # measured); with it the worker stays near its size at rest (~55 MB). Then the reader
    # catches up, and the run's own timeout ends it. How fast a runaway run streams is
    # measured by benchmarks/runaway.py, not here.
    seen = {"events": 0, "batches": 0, "last_seq": -1, "gaps": 0, "fast": 0}
    last: list[dict] = []
    done = threading.Event()

    def on_events(decoded: Batch) -> None:
        batch = decoded.events()
        for e in batch:
            if "seq" in e:
                if e["seq"] != seen["last_seq"] + 1:
                    seen["gaps"] += 1
                seen["last_seq"] = e["seq"]
        seen["events"] += len(batch)
        seen["batches"] += 1
        last[:] = batch[-1:]
        if time.monotonic() < slow_until:
            time.sleep(0.05)
        else:
            seen["fast"] += 1

    scenario = scenario_from(RUNAWAY, runtime)
    assert runtime != "gevent" or scenario.options.flag("gevent", "monkey_patch")
    slow_until = time.monotonic() + SLOW
    worker = WorkerProcess(scenario, runtime, on_events=on_events,
                           on_exit=lambda w: done.set()).start()
    assert worker.proc is not None
    peak = 0.0
    try:
        while not done.wait(0.2):
            rss = _peak_rss_mb(worker.proc.pid)
            if rss is not None:
                peak = max(peak, rss)
    finally:
        worker.kill()
        worker.wait(10)
    assert seen["fast"] > 0  # the slow phase happened and ended
    assert worker.ended and not worker.killed, worker.error_text  # its own timeout ended it
    assert last[0]["type"] == "end" and last[0]["status"] == "timeout"
    assert seen["gaps"] == 0  # every recorded event was written, in order
    assert seen["events"] == seen["last_seq"] + 2  # the header and events 0 … end
    assert 0 < peak < 200, f"worker peak RSS {peak:.0f} MB"
