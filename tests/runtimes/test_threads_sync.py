"""Threads runtime, real runs: waits that end are no deadlock; errors and runaways end cleanly."""

from __future__ import annotations

import os

from simtui.trace.stream import WorkerProcess
from tests.tracehelp import Event, end, of, run_trace, scenario_from, validate


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


def test_an_event_waiter_and_a_joiner_say_themselves_when_they_woke() -> None:
    # Not at the setter's `set`, not at the joined thread's `done`: each waiting thread
    # records its wake when its blocking call has returned and it holds the GIL again, at
    # the instant it runs. The thread that ended the wait knows it did: it records the
    # waiter's `ready` as it does so, marked inferred (the waiter is runnable from then
    # on, waiting for the GIL, but it did not see that itself).
    text = """
tasks:
  main:
    - spawn: late
    - wait: go
    - join: late
  late:
    - sleep: 0.05
    - set: go
    - cpu: 0.05
"""
    events = run_trace(text, runtime="threads")
    assert validate(events) == []
    assert end(events)["status"] == "ok"
    (set_step,) = [e for e in of(events, "step", "late") if e["op"] == "set"]
    (done,) = of(events, "done", "late")
    for reason, released_by in (("event", set_step), ("join", done)):
        # The last `event` wake: the first one ends main's Thread.start.
        woke = [e for e in of(events, "wake", "main") if e["reason"] == reason][-1]
        assert "inferred" not in woke
        ran = next(e for e in events[woke["seq"] + 1 :] if e["type"] == "run")
        assert (ran["task"], ran["t"]) == ("main", woke["t"])
        readies = [e for e in of(events, "ready", "main")
                   if released_by["seq"] < e["seq"] < woke["seq"]]
        assert len(readies) == 1 and readies[0]["inferred"] is True, readies
        assert readies[0]["t"] >= released_by["t"]
    # The setter ran on past its `set` (its cpu step) before main could wake.
    assert [e for e in of(events, "wake", "main") if e["reason"] == "event"][-1]["t"] > \
        set_step["t"]


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
