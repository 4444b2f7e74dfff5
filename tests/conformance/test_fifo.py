"""On runtimes whose ready queue is FIFO, tasks start, and come back from a yield, in order."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pytest

from tests.conformance.recorded import run
from tests.conformance.runtimes import RuntimeFacts, cases
from tests.tracehelp import Event, end, of, outputs, validate


def _fifo(facts: RuntimeFacts) -> bool:
    return facts.queue == "fifo"


@dataclass(frozen=True)
class Order:
    """A scenario whose tasks start in a known order, and what they print."""

    text: str
    started: tuple[str, ...]
    """The tasks other than main, in the order they are spawned."""
    said: tuple[str, ...]
    when: Callable[[RuntimeFacts], bool] = _fifo


ORDERS: Mapping[str, Order] = {
    "gather_of_a_template": Order("""
tasks:
  main:
    - gather: w
  w:
    count: 5
    steps:
      - print: "w{i}"
""", tuple(f"w[{k}]" for k in range(5)), tuple(f"w{k}" for k in range(5))),
    # Spawned over several steps, in an order that is neither alphabetical nor the order
    # the tasks are defined in.
    "spawns_in_turn": Order("""
tasks:
  main:
    - spawn: c
    - spawn: [a, d]
    - spawn: b
    - join: [a, b, c, d]
  a: [{print: a}]
  b: [{print: b}]
  c: [{print: c}]
  d: [{print: d}]
""", ("c", "a", "d", "b"), ("c", "a", "d", "b")),
    # A yield puts the task back at the tail: a round robin.
    "yields_go_round": Order("""
tasks:
  main:
    - gather: w
  w:
    count: 3
    steps:
      - repeat: {times: 2, steps: [{print: "w{i}"}, yield]}
""", ("w[0]", "w[1]", "w[2]"), ("w0", "w1", "w2", "w0", "w1", "w2")),
}


def first_runs(events: list[Event], tasks: tuple[str, ...]) -> list[str]:
    seen: list[str] = []
    for e in of(events, "run"):
        if e["task"] in tasks and e["task"] not in seen:
            seen.append(e["task"])
    return seen


@pytest.mark.parametrize(("runtime", "order"), cases(ORDERS))
def test_tasks_start_in_the_order_they_entered_the_ready_queue(runtime: str, order: str) -> None:
    case = ORDERS[order]
    events = run(case.text, runtime)
    assert validate(events) == []
    assert end(events)["status"] == "ok"
    tasks = case.started
    assert [e["task"] for e in of(events, "create") if e["task"] in tasks] == list(tasks)
    entered = [e["task"] for e in of(events, "ready") if e["task"] in tasks]
    assert entered[: len(tasks)] == list(tasks)
    assert first_runs(events, tasks) == list(tasks)
    assert outputs(events) == list(case.said)
