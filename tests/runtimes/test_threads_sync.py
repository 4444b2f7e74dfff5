"""Threads runtime, real runs: deadlocks, scenario errors and runaways end the run cleanly."""

from __future__ import annotations

import os

import pytest

from simtui.trace.stream import WorkerProcess
from tests.tracehelp import Event, end, of, run_trace, scenario_from, validate

DEADLOCKS = {
    "join cycle": (
        """
tasks:
  main:
    - spawn: [a, b]
    - set: go
    - join: a
  a:
    - wait: go
    - join: b
  b:
    - wait: go
    - join: a
""",
        {"main": "join a", "a": "join b", "b": "join a"},
    ),
    "event never set": (
        """
tasks:
  main:
    - spawn: w
    - join: w
  w:
    - wait: never
""",
        {"main": "join w", "w": "event never"},
    ),
    "queue nobody fills": (
        """
tasks:
  main:
    - spawn: w
    - get: jobs
  w:
    - print: "w does not put"
""",
        {"main": "queue jobs, empty"},
    ),
    "lock never released": (
        """
tasks:
  main:
    - acquire: db
    - spawn: w
    - join: w
  w:
    - acquire: db
""",
        {"main": "join w", "w": "lock db, held by main"},
    ),
    "bounded queue nobody drains": (
        """
queues: {q: {maxsize: 1}}
tasks:
  main:
    - put: {queue: q, item: x}
    - put: {queue: q, item: y}
""",
        {"main": "queue q, full"},
    ),
}


@pytest.mark.parametrize("shape", list(DEADLOCKS))
def test_deadlock_shapes_end_with_the_stuck_threads(shape: str) -> None:
    text, stuck = DEADLOCKS[shape]
    events = run_trace(text, runtime="threads")
    assert validate(events) == []
    last = end(events)
    assert last["status"] == "deadlock"
    assert {s["task"]: s["waiting_on"] for s in last["stuck"]} == stuck
    # Every stuck thread's last word in the trace is the suspend it never woke from.
    for task in stuck:
        mine = [e for e in events[1:-1] if e.get("task") == task]
        assert mine[-1]["type"] == "suspend", (task, mine[-1])


def test_waits_that_end_by_themselves_are_not_a_deadlock() -> None:
    # main waits on an event that a sleeping thread sets later: not stuck meanwhile.
    text = """
tasks:
  main:
    - spawn: late
    - wait: go
    - print: "main saw go"
  late:
    - sleep: 0.4
    - set: go
"""
    events = run_trace(text, runtime="threads")
    assert validate(events) == []
    assert end(events)["status"] == "ok"
    # The setter made main runnable: main's wake is recorded when `late` sets the event.
    woke = of(events, "wake", "main")[-1]  # the first one ends its Thread.start wait
    (step,) = [e for e in of(events, "step", "late") if e["op"] == "set"]
    assert woke["seq"] > step["seq"]
    assert woke["t"] <= next(e["t"] for e in of(events, "run", "main") if e["seq"] > woke["seq"])


def test_a_scenario_error_ends_the_task_and_the_run_with_error() -> None:
    text = """
tasks:
  main:
    - spawn: w
    - join: w
    - print: "main goes on after w failed"
  w:
    - release: db
"""
    events = run_trace(text, runtime="threads")
    assert validate(events) == []
    (err,) = of(events, "error")
    assert err["task"] == "w" and "db" in err["message"]
    # As with a real thread that raises, the joiner goes on; the run reports the error.
    assert [e["text"] for e in of(events, "output")] == ["main goes on after w failed"]
    assert end(events)["status"] == "error"


def test_join_of_a_thread_not_started_yet_is_an_error() -> None:
    # Thread.join() before Thread.start() raises on real threads, too.
    text = """
tasks:
  main:
    - join: w
    - spawn: w
  w:
    - print: "never"
"""
    events = run_trace(text, runtime="threads")
    assert validate(events) == []
    (err,) = of(events, "error", "main")
    assert "never started" in err["message"]


def _gone(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_a_runaway_cpu_step_ends_with_timeout_and_no_process_left() -> None:
    text = """
timeout: 0.5
tasks:
  main:
    - spawn: spinner
    - cpu: 30
  spinner:
    - cpu: 30
"""
    worker = WorkerProcess(scenario_from(text, "threads"), "threads").start()
    try:
        events: list[Event] = list(worker.events())
    finally:
        returncode = worker.wait(10)
    assert validate(events) == []
    last = end(events)
    assert last["status"] == "timeout"  # written by the worker itself: see `killed` below
    stuck = {s["task"]: s["waiting_on"] for s in last["stuck"]}
    assert stuck.keys() == {"main", "spinner"}
    # One holds the GIL, the other is runnable and waits for it.
    assert sorted(stuck.values()) == ["ready", "running"]
    # The worker ended itself (it was not killed by the parent) and took its group along.
    assert returncode is not None and not worker.killed
    assert worker.proc is not None and _gone(worker.proc.pid)
