"""A worker that does not end its own trace: the parent ends the stream with `killed`.

Whatever happens to the worker (killed from outside, stopped, ended by its watchdog), the
stream `WorkerProcess` yields ends with one `end` event whose `seq` and `t` continue the
worker's, with `status: killed` and a `message` saying why, and no process is left.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from simtui.trace import stream
from simtui.trace.stream import WorkerProcess
from simtui.trace.wire import Batch
from tests.tracehelp import scenario_from

Event = dict


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _wait_gone(pgid: int) -> bool:
    deadline = time.monotonic() + 10
    while _group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not _group_alive(pgid)


class _Collected:
    """A worker started with `on_events`, its events, and when it exited."""

    def __init__(self, text: str, runtime: str) -> None:
        self.events: list[Event] = []
        self.got_some = threading.Event()
        self.exited = threading.Event()
        self.worker = WorkerProcess(scenario_from(text), runtime, on_events=self._on_events,
                                    on_exit=lambda w: self.exited.set()).start()
        assert self.worker.proc is not None
        self.pid = self.worker.proc.pid

    def _on_events(self, decoded: Batch) -> None:
        batch = decoded.events()
        self.events.extend(batch)
        if any(e["type"] == "step" for e in batch):
            self.got_some.set()

    def finish(self, timeout: float = 60) -> list[Event]:
        try:
            assert self.exited.wait(timeout), "the worker was never ended"
        finally:
            self.worker.kill()
            self.worker.wait(10)
        return self.events


def _check_continues(events: list[Event]) -> Event:
    """The stream is whole: header, numbered events, one `end` that continues them."""
    assert events[0]["type"] == "header"
    body = events[1:]
    assert [e["seq"] for e in body] == list(range(len(body)))
    times = [e["t"] for e in body]
    assert times == sorted(times)
    kinds = [e["type"] for e in body]
    assert kinds.count("end") == 1 and kinds[-1] == "end"
    last = body[-1]
    assert last["task"] is None and isinstance(last["elapsed"], float)
    return last


SLEEPER = """
timeout: 30
tasks:
  main:
    - print: started
    - sleep: 30
"""


def test_a_worker_killed_from_outside_ends_with_killed_and_the_signal() -> None:
    run = _Collected(SLEEPER, "asyncio")
    assert run.got_some.wait(30)
    os.kill(run.pid, signal.SIGKILL)
    events = run.finish()
    last = _check_continues(events)
    assert last["status"] == "killed"
    assert "SIGKILL" in last["message"]
    assert last["t"] >= events[-2]["t"]
    assert not run.worker.killed  # not by simtui: it says who
    assert _wait_gone(run.pid)


def test_a_stopped_worker_is_noticed_killed_and_its_trace_ended(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A shorter grace than the default keeps the test short; the rule is the same.
    monkeypatch.setattr(stream, "GRACE", 1.0)
    text = "timeout: 1\ntasks:\n  main:\n    - print: started\n    - sleep: 30\n"
    run = _Collected(text, "asyncio")
    assert run.got_some.wait(30)
    os.kill(run.pid, signal.SIGSTOP)  # SIGKILL ends a stopped process too
    events = run.finish()
    last = _check_continues(events)
    assert last["status"] == "killed"
    assert "stopped" in last["message"] and "1 s timeout" in last["message"]
    assert run.worker.killed
    assert _wait_gone(run.pid)


def test_a_stopped_worker_is_killed_also_when_read_with_events(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(stream, "GRACE", 1.0)
    text = "timeout: 1\ntasks:\n  main:\n    - print: started\n    - sleep: 30\n"
    worker = WorkerProcess(scenario_from(text), "asyncio").start()
    assert worker.proc is not None
    events: list[Event] = []
    try:
        for event in worker.events():
            events.append(event)
            if event["type"] == "output":
                os.kill(worker.proc.pid, signal.SIGSTOP)
    finally:
        worker.kill()
        worker.wait(10)
    last = _check_continues(events)
    assert last["status"] == "killed" and "stopped" in last["message"]
    assert _wait_gone(worker.proc.pid)


GIL_HOG = """
runtime: threads
timeout: 1
options: {threads: {switch_interval: 30}}
tasks:
  main:
    - gather: w
  w:
    count: 2
    steps:
      - cpu: 120
"""


def test_a_run_whose_threads_keep_the_gil_is_ended_by_the_watchdog_soon_after_its_timeout(
) -> None:
    # With a 30 s switch interval a busy thread keeps the GIL for 30 s at a time: the
    # worker's flusher cannot run to write `timeout`. Its watchdog, which needs no GIL,
    # ends it a second past the timeout, and the parent writes why.
    run = _Collected(GIL_HOG, "threads")
    events = run.finish()
    last = _check_continues(events)
    assert last["status"] == "killed", last
    assert "watchdog" in last["message"] and "1 s timeout" in last["message"]
    assert not run.worker.killed  # the watchdog ended it, not the parent's backstop
    assert last["elapsed"] < 1 + 3
    assert "Timeout (" in run.worker.error_text  # the watchdog's stack dump, for a bug report
    assert _wait_gone(run.pid)


def test_a_worker_killed_before_its_header_still_makes_a_whole_trace() -> None:
    worker = WorkerProcess(scenario_from(SLEEPER), "asyncio")
    worker.start()
    assert worker.proc is not None
    os.kill(worker.proc.pid, signal.SIGKILL)  # most likely still importing
    events = list(worker.events())
    worker.wait(10)
    assert events[0]["type"] == "header" and events[0]["runtime"] == "asyncio"
    last = _check_continues(events)
    assert last["status"] == "killed" and "SIGKILL" in last["message"]
