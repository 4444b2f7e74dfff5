"""The asyncio runtime on real runs: queues, locks, joins, errors, cancellation, options."""

from __future__ import annotations

import os
import sys
import time

import pytest

from simtui.trace.stream import WorkerProcess
from tests.tracehelp import end, of, outputs, run_trace, scenario_from, validate


def run(text: str, scale: float = 0.01, **kw: object) -> list[dict]:
    return run_trace(text, "asyncio", time_scale=scale, snapshots=True, **kw)  # type: ignore[arg-type]


def test_producer_consumer_is_fifo_and_bounded() -> None:
    events = run_trace("producer_consumer", "asyncio", time_scale=0.01, snapshots=True)
    assert end(events)["status"] == "ok"
    assert validate(events) == []
    put = [t.split(" put ")[1] for t in outputs(events) if " put " in t]
    got = [t.removeprefix("consumer got ") for t in outputs(events) if t.startswith("consumer got")]
    assert sorted(put) == sorted(f"job {p}.{k}" for p in range(2) for k in (1, 2, 3))
    assert got == put  # first in, first out
    full = [e for e in of(events, "suspend") if e["reason"] == "queue" and "full" in e["detail"]]
    assert full, "a queue of two must make the producers wait"
    empty = [e for e in of(events, "suspend", "consumer") if e["reason"] == "queue"]
    assert empty and empty[0]["detail"] == "jobs, empty"


def test_lock_contention_passes_the_lock_in_waiting_order() -> None:
    events = run_trace("lock_contention", "asyncio", time_scale=0.01, snapshots=True)
    assert end(events)["status"] == "ok"
    assert validate(events) == []
    holds = [t for t in outputs(events) if t.endswith("holds the lock")]
    assert holds == [f"worker {k} holds the lock" for k in range(4)]
    waits = [e["task"] for e in of(events, "suspend") if e["reason"] == "lock"]
    assert waits == ["worker[1]", "worker[2]", "worker[3]"]
    lock_wakes = [e["task"] for e in of(events, "wake") if e["reason"] == "lock"]
    assert lock_wakes == waits
    # nobody holds the lock twice at once: holds and releases alternate
    marks = [t.split()[2] for t in outputs(events) if "lock" in t and "wants" not in t]
    assert marks == ["holds", "released"] * 4


def test_yield_is_a_round_robin_through_the_ready_queue() -> None:
    events = run("""
tasks:
  main:
    - gather: w
  w:
    count: 3
    steps:
      - repeat: {times: 2, steps: [yield, {print: "w{i}"}]}
""")
    assert outputs(events) == ["w0", "w1", "w2", "w0", "w1", "w2"]
    yields = of(events, "suspend")
    assert {e["reason"] for e in yields if e["task"] != "main"} == {"yield"}
    assert validate(events) == []


def test_cpu_blocks_the_loop_and_is_recorded_as_block() -> None:
    events = run("""
tasks:
  main:
    - gather: [a, b]
  a: [{cpu: 2}, {print: a}]
  b: [{print: b}]
""")
    (block,) = of(events, "block")
    assert block["task"] == "a" and block["reason"] == "cpu"
    assert block["duration"] == pytest.approx(0.02)
    assert outputs(events) == ["a", "b"]  # b could not run while a burned the CPU


def test_io_round_trips_overlap() -> None:
    events = run("""
tasks:
  main:
    - gather: c
  c:
    count: 3
    steps: [{io: 1}, {print: "c{i} answered"}]
""", scale=0.1)
    assert end(events)["status"] == "ok"
    assert validate(events) == []
    io = [e for e in of(events, "suspend") if e["reason"] == "io"]
    assert {e["task"] for e in io} == {"c[0]", "c[1]", "c[2]"}
    # the three requests overlap: every task is waiting on its socket before any is done
    first_waits = [min(e["seq"] for e in io if e["task"] == f"c[{k}]") for k in range(3)]
    first_done = min(e["seq"] for e in of(events, "done") if e["task"] != "main")
    assert max(first_waits) < first_done
    assert sorted(outputs(events)) == [f"c{k} answered" for k in range(3)]


def test_join_waits_for_a_task_that_is_not_started_yet() -> None:
    events = run("""
tasks:
  main:
    - spawn: waiter
    - yield
    - spawn: late
    - join: waiter
  waiter: [{join: late}, {print: "late has finished"}]
  late: [{print: "late runs"}]
""")
    assert end(events)["status"] == "ok"
    assert outputs(events) == ["late runs", "late has finished"]
    joins = [e["detail"] for e in of(events, "suspend", "waiter")]
    assert joins[0] == "late, not started yet"
    assert validate(events) == []


def test_join_of_a_finished_task_does_not_suspend() -> None:
    events = run("""
tasks:
  main:
    - spawn: quick
    - sleep: 1
    - join: quick
    - print: joined
  quick: [{print: quick}]
""")
    reasons = [e["reason"] for e in of(events, "suspend", "main")]
    assert reasons == ["sleep"]  # the join found `quick` done: no suspension is claimed
    assert outputs(events) == ["quick", "joined"]


def test_event_wakes_its_waiters() -> None:
    events = run("""
tasks:
  main:
    - spawn: [a, b]
    - sleep: 1
    - set: go
    - join: [a, b]
  a: [{wait: go}, {print: a}]
  b: [{wait: go}, {print: b}]
""")
    assert [e["task"] for e in of(events, "wake") if e["reason"] == "event"] == ["a", "b"]
    assert outputs(events) == ["a", "b"]
    assert validate(events) == []


def test_releasing_a_free_lock_is_an_error_that_propagates_to_the_joiner() -> None:
    events = run("""
tasks:
  main: [{spawn: bad}, {join: bad}, {print: unreachable}]
  bad: [{release: db}]
""")
    assert end(events)["status"] == "error"
    errors = {e["task"]: e["message"] for e in of(events, "error")}
    assert "release lock db" in errors["bad"]
    assert errors["main"].startswith("bad failed: release lock db")
    assert "unreachable" not in outputs(events)
    assert validate(events) == []


def test_an_error_nobody_awaits_still_makes_the_run_an_error() -> None:
    events = run("""
tasks:
  main: [{spawn: bad}, {sleep: 1}, {print: "main goes on"}]
  bad: [{release: db}]
""")
    assert end(events)["status"] == "error"
    assert outputs(events) == ["main goes on"]
    assert [e["task"] for e in of(events, "done")] == ["main"]


def test_tasks_left_when_main_ends_are_cancelled_like_asyncio_run() -> None:
    events = run("""
tasks:
  main: [{spawn: [sleeper, never]}, {yield: }, {print: "main ends"}]
  sleeper: [{sleep: 100}, {print: unreachable}]
  never: [{wait: go}]
""".replace("{yield: }", "yield"))
    assert end(events)["status"] == "ok"
    assert "unreachable" not in outputs(events)
    errors = {e["task"]: e["message"] for e in of(events, "error")}
    assert set(errors) == {"sleeper", "never"}
    assert all(m.startswith("cancelled") for m in errors.values())
    cancelled = {e["task"] for e in of(events, "wake") if e["reason"] == "cancel"}
    assert cancelled == {"sleeper", "never"}
    assert validate(events) == []


def test_a_task_cancelled_before_its_first_step_is_reported() -> None:
    # `a` is already queued when main ends, so it still runs in that loop iteration, after
    # the loop's stop callback was queued; `late`, which `a` spawns, is queued behind it.
    events = run("""
tasks:
  main: [{spawn: a}, {print: "main ends"}]
  a: [{spawn: late}]
  late: [{print: unreachable}]
""")
    assert end(events)["status"] == "ok"
    (error,) = of(events, "error", "late")
    assert "before its first step" in error["message"]
    assert not of(events, "step", "late")


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def test_no_process_is_left_behind_after_a_timeout() -> None:
    # `io` makes the worker start the delay server in its process group as well.
    scenario = scenario_from("""
timeout: 0.5
tasks:
  main: [{io: 30}]
""", "asyncio")
    worker = WorkerProcess(scenario, "asyncio", 1.0).start()
    events = list(worker.events())
    worker.wait(10)
    assert events[-1]["type"] == "end" and events[-1]["status"] == "timeout"
    assert events[-1]["stuck"] == [{"task": "main", "waiting_on": "io 30 s, reply"}]
    assert worker.proc is not None
    deadline = time.monotonic() + 5
    while _group_alive(worker.proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _group_alive(worker.proc.pid)


@pytest.mark.skipif(sys.version_info < (3, 12), reason="eager tasks need Python 3.12")
def test_eager_tasks_run_their_first_step_inside_the_creator() -> None:
    events = run("""
options:
  asyncio: {eager_tasks: true}
tasks:
  main: [{spawn: child}, {print: "main after spawn"}, {join: child}]
  child: [{print: "child first step"}, {yield: }, {print: "child again"}]
""".replace("{yield: }", "yield"))
    assert outputs(events) == ["child first step", "main after spawn", "child again"]
    child = [e["type"] for e in events if e.get("task") == "child"]
    # created, then its first step ran at once, with no `ready`/`run` before it
    assert child[:3] == ["create", "step", "output"]
    assert child.index("ready") > child.index("suspend")
    assert validate(events) == []


def test_debug_option_runs_the_same_schedule() -> None:
    events = run("""
options:
  asyncio: {debug: true}
tasks:
  main: [{gather: w}]
  w:
    count: 2
    steps: [{print: "w{i}"}, yield, {print: "w{i} again"}]
""")
    assert events[0]["options"]["debug"] is True
    assert outputs(events) == ["w0", "w1", "w0 again", "w1 again"]
    assert validate(events) == []
