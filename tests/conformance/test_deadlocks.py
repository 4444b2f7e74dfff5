"""Every deadlock shape, on every runtime that can express it, ends with exactly its stuck tasks."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pytest

from tests.conformance.recorded import run
from tests.conformance.runtimes import FACTS, RuntimeFacts, cases
from tests.tracehelp import Event, end, of, validate

# A deadlock is found when progress stops, long before this: a run that reaches it has
# missed the deadlock and fails at once instead of waiting out the default minute.
TIMEOUT = "timeout: 5\n"


@dataclass(frozen=True)
class Shape:
    """A scenario that can never finish, and what each runtime says is stuck in it."""

    text: str
    stuck: Mapping[str, str]
    """Task → waiting_on, as most runtimes word it."""
    worded: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Runtime → the entries it words its own way (the rest as in `stuck`)."""
    when: Callable[[RuntimeFacts], bool] | None = None
    """What a runtime must be, besides able to run the ops, for the shape to be this."""

    def expected(self, runtime: str) -> dict[str, str]:
        return {**self.stuck, **self.worded.get(runtime, {})}


# The loader refuses a join of a task no step spawns; here the spawn exists but comes
# after the join that waits for it, so it is never reached.
JOIN_LATE = TIMEOUT + """
tasks:
  main:
    - spawn: w
    - join: w
    - spawn: late
  w:
    - join: late
  late:
    - print: "late runs"
"""

DEADLOCKS: Mapping[str, Shape] = {
    # Both tasks are started before either joins the other (threads cannot join a
    # thread that is not started yet).
    "join_cycle": Shape(TIMEOUT + """
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
""", {"main": "join a", "a": "join b", "b": "join a"}),
    "event_never_set": Shape(TIMEOUT + """
tasks:
  main:
    - spawn: w
    - join: w
  w:
    - wait: go
""", {"main": "join w", "w": "event go"}),
    "get_on_an_empty_queue": Shape(TIMEOUT + """
tasks:
  main:
    - gather: taker
  taker:
    count: 2
    steps:
      - get: jobs
""", {"main": "gather taker[0] taker[1]", "taker[0]": "queue jobs, empty",
        "taker[1]": "queue jobs, empty"}),
    "put_on_a_full_queue": Shape(TIMEOUT + """
queues: {q: {maxsize: 1}}
tasks:
  main:
    - put: {queue: q, item: x}
    - put: {queue: q, item: y}
""", {"main": "queue q, full"}),
    "lock_never_released": Shape(TIMEOUT + """
tasks:
  main:
    - acquire: db
    - spawn: w
    - join: w
  w:
    - acquire: db
""", {"main": "join w", "w": "lock db, held by main"}),
    "lock_kept_by_a_finished_task": Shape(TIMEOUT + """
tasks:
  main:
    - spawn: holder
    - join: holder
    - acquire: L
  holder:
    - acquire: L
""", {"main": "lock L, held by holder"}),
    "join_of_a_task_never_started": Shape(JOIN_LATE, {"main": "join w",
                                                      "w": "join late, not started yet"},
                                          when=lambda facts: facts.join_before_start == "waits"),
}


def stuck_of(last: Event) -> dict[str, str]:
    stuck = last.get("stuck") or []
    names = [s["task"] for s in stuck]
    assert len(names) == len(set(names)), f"a task listed twice: {stuck}"
    return {s["task"]: s["waiting_on"] for s in stuck}


@pytest.mark.parametrize(("runtime", "shape"), cases(DEADLOCKS))
def test_a_deadlock_ends_the_run_with_exactly_the_stuck_tasks(runtime: str, shape: str) -> None:
    events = run(DEADLOCKS[shape].text, runtime)
    assert validate(events) == []
    last = end(events)
    assert last["status"] == "deadlock"
    assert stuck_of(last) == DEADLOCKS[shape].expected(runtime)
    # Each stuck task's last word in the trace is the suspend it never woke from.
    for task in stuck_of(last):
        mine = [e for e in events[1:-1] if e.get("task") == task]
        assert mine[-1]["type"] == "suspend", (task, mine[-1])
    if FACTS[runtime].deadlock == "at once":
        # The scheduler runs out of work the moment the last task suspends (targets.md
        # R2: within 1 s of the last possible progress). A polled deadlock is found
        # within the scenario's timeout, which the status above already shows.
        assert last["elapsed"] - events[-2]["t"] < 1.0


# Where `join` before `start` fails (as Thread.join does), the same shape is an error.
JOIN_ERRORS: Mapping[str, Shape] = {
    "join_of_a_task_never_started": Shape(
        JOIN_LATE, {}, when=lambda facts: facts.join_before_start == "error"
    ),
}


@pytest.mark.parametrize(("runtime", "shape"), cases(JOIN_ERRORS))
def test_a_join_before_start_fails_where_the_runtime_refuses_it(runtime: str, shape: str) -> None:
    events = run(JOIN_ERRORS[shape].text, runtime)
    assert validate(events) == []
    (error,) = of(events, "error")
    assert error["task"] == "w"
    assert error["message"] == "join late: it was never started (spawn it first)"
    assert end(events)["status"] == "error"
    # As with a real thread that raises, the joiner goes on: main spawns `late` after all.
    assert sorted(e["task"] for e in of(events, "done")) == ["late", "main"]
    assert [e["text"] for e in of(events, "output")] == ["late runs"]


LEFT_SUSPENDED: Mapping[str, Shape] = {
    # The article's task_b: when `a` returns, control goes to its parent, main; `b` is
    # still inside its switch when the program ends.
    "left_suspended_in_a_switch": Shape("""
tasks:
  main:
    - spawn: [a, b]
    - switch: a
  a:
    - switch: b
    - print: "a ends"
  b:
    - switch: a
    - print: never
""", {"b": "switch"}),
    "spawned_but_never_switched_to": Shape("""
tasks:
  main:
    - spawn: [a, idle]
    - switch: a
  a:
    - print: "a ends"
  idle:
    - print: never
""", {"idle": "never started"}),
}


@pytest.mark.parametrize(("runtime", "shape"), cases(LEFT_SUSPENDED))
def test_tasks_left_suspended_when_main_ends_are_listed_and_the_run_is_ok(
    runtime: str, shape: str
) -> None:
    events = run(LEFT_SUSPENDED[shape].text, runtime)
    assert validate(events) == []
    last = end(events)
    assert last["status"] == "ok"  # the real program simply ends
    assert stuck_of(last) == LEFT_SUSPENDED[shape].expected(runtime)
    assert "never" not in [e["text"] for e in of(events, "output")]
    assert [e["task"] for e in of(events, "done")][-1] == "main"
