"""A run that records events faster than the worker can write them stays bounded in memory."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from simtui.trace.stream import WorkerProcess
from tests.tracehelp import scenario_from

RUNAWAY = """
timeout: 6
tasks:
  main:
    - spawn: b
    - repeat: {times: 10000000, steps: [yield]}
  b:
    - repeat: {times: 10000000, steps: [yield]}
"""


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
    counts = {"events": 0}
    done = threading.Event()

    def on_events(batch: list[dict]) -> None:
        counts["events"] += len(batch)

    scenario = scenario_from(RUNAWAY, runtime)
    assert runtime != "gevent" or scenario.options.gevent_monkey_patch
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
    assert worker.ended and not worker.killed  # the worker's own timeout wrote `end`
    # Millions of events were recorded and written; without pausing the run to write its
    # backlog the worker held them all in memory (over a gigabyte within ten seconds).
    assert counts["events"] > 500_000
    assert 0 < peak < 200, f"worker peak RSS {peak:.0f} MB"
