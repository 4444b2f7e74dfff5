"""What a comparison measures, on small hand-made traces where every figure is known."""

from __future__ import annotations

from typing import Any

import pytest

from simtui.compare.metrics import definition_of, measure, output_difference
from simtui.trace.model import Trace


def trace(queue: str, *events: tuple[Any, ...], end: dict[str, Any] | None = None) -> Trace:
    """A trace from (t, type, task, fields) tuples, numbered in order, ended `ok`."""
    header = {"type": "header", "format": "simtui-trace", "version": 1, "scenario": "t",
              "runtime": "asyncio", "queue": queue, "time_scale": 1.0, "tasks": []}
    out: list[dict[str, Any]] = [header]
    for seq, (t, kind, task, *fields) in enumerate(events):
        e = {"seq": seq, "t": t, "type": kind, "task": task}
        e.update(fields[0] if fields else {})
        out.append(e)
    last = events[-1][0] if events else 0.0
    out.append({"seq": len(events), "t": last, "type": "end", "task": None,
                **(end or {"status": "ok", "elapsed": last})})
    return Trace.from_events(out)


def step(t: float, task: str, op: str, line: int, index: int = 0) -> tuple[Any, ...]:
    return (t, "step", task, {"index": index, "op": op, "line": line, "col": 7})


def test_switches_count_every_run_and_callbacks_are_told_apart() -> None:
    m = measure(trace(
        "fifo",
        (0.0, "ready", "a"), (0.0, "run", "a", {"from": None}),
        (0.1, "ready", None, {"item": "timer a"}),
        (0.1, "run", None, {"from": "a", "item": "timer a"}),
        (0.2, "run", "a", {"from": "a"}),
    ))
    assert (m.switches, m.callbacks, m.preemptions) == (3, 1, 0)


def test_the_longest_queue_counts_entries_from_ready_to_the_run_that_takes_them() -> None:
    m = measure(trace(
        "fifo",
        (0.0, "ready", "a"), (0.0, "ready", "b"), (0.0, "ready", None, {"item": "cb"}),
        (0.1, "run", "a", {"from": None}),       # 2 left: b, cb
        (0.2, "ready", "a"),                      # 3
        (0.3, "run", "b", {"from": "a"}),
        (0.3, "run", None, {"from": "b", "item": "cb"}),
        (0.4, "wake", "c", {"reason": "sleep"}),
        (0.4, "run", "c", {"from": "b"}),          # a gevent timer: no entry to take
        (0.5, "ready", "b"), (0.5, "ready", "d"), (0.5, "ready", "e"),  # a, b, d, e
    ))
    assert m.longest_queue == 4


def test_a_set_queue_holds_a_thread_once_and_a_greenlet_trace_has_no_queue() -> None:
    threads = measure(trace(
        "set", (0.0, "ready", "a"), (0.0, "ready", "a"), (0.0, "ready", "b"),
        (0.1, "run", "a", {"from": None}), (0.2, "run", "b", {"from": "a"})))
    assert threads.longest_queue == 2
    greenlet = measure(trace("none", (0.0, "run", "a", {"from": None})))
    assert greenlet.longest_queue is None


def test_blocked_adds_the_block_durations() -> None:
    m = measure(trace(
        "fifo",
        (0.0, "run", "a", {"from": None}), step(0.0, "a", "cpu", 5),
        (0.0, "block", "a", {"reason": "cpu", "duration": 1.0}),
        (1.0, "run", "b", {"from": "a"}), step(1.0, "b", "block", 9),
        (1.0, "block", "b", {"reason": "block", "duration": 0.5}),
        (1.5, "done", "b"),
    ))
    assert m.blocked == 1.5


def test_waiting_is_sleep_and_io_from_suspend_to_wake_and_overlap_divides_by_elapsed() -> None:
    m = measure(trace(
        "fifo",
        (0.0, "suspend", "a", {"reason": "sleep"}),
        (0.0, "suspend", "b", {"reason": "io"}),
        (0.0, "suspend", "c", {"reason": "lock"}),    # not a wait of its own
        (0.5, "suspend", "d", {"reason": "sleep"}),   # still waiting at the end
        (1.0, "wake", "a", {"reason": "sleep"}),
        (2.0, "wake", "b", {"reason": "io"}),
        (2.0, "wake", "c", {"reason": "lock"}),
        end={"status": "ok", "elapsed": 2.0},
    ))
    assert m.waiting == pytest.approx(1.0 + 2.0 + 1.5)
    assert m.overlap == pytest.approx(4.5 / 2.0)
    assert measure(trace("fifo", (0.0, "run", "a", {"from": None}),
                         end={"status": "ok", "elapsed": 0.0})).overlap == 0.0


def test_finish_order_outputs_status_and_stuck_come_from_the_trace() -> None:
    m = measure(trace(
        "fifo",
        (0.1, "output", "b", {"text": "b says"}), (0.1, "done", "b"),
        (0.2, "output", "a", {"text": "a says"}), (0.2, "done", "a"),
        (0.3, "error", "c", {"message": "boom"}),
        end={"status": "deadlock", "elapsed": 0.4,
             "stuck": [{"task": "main", "waiting_on": "lock x"}]},
    ))
    assert m.finish_order == ("b", "a")
    assert m.outputs == ("b says", "a says")
    assert (m.status, m.elapsed, m.stuck) == ("deadlock", 0.4, (("main", "lock x"),))


def test_a_step_group_sees_overlapping_executions() -> None:
    # Three instances of one `sleep` step, all at once: the gather10 shape.
    events: list[tuple[Any, ...]] = []
    for k in range(3):
        events.append(step(0.001 * k, f"w[{k}]", "sleep", 21, index=1))
    for k in range(3):
        events.append(step(1.0 + 0.001 * k, f"w[{k}]", "print", 22, index=2))
        events.append((1.0 + 0.001 * k, "done", f"w[{k}]"))
    (g,) = measure(trace("fifo", *events)).groups
    assert (g.definition, g.index, g.op, g.line, g.count) == ("w", 1, "sleep", 21, 3)
    assert g.total == pytest.approx(3.0)
    assert g.span == pytest.approx(1.002) and g.union == pytest.approx(1.002)
    assert g.concurrency == pytest.approx(3.0 / 1.002)


def test_a_step_group_sees_executions_one_after_another_and_what_blocked_them() -> None:
    events: list[tuple[Any, ...]] = []
    for k in range(3):
        events += [step(k * 1.0, f"w[{k}]", "block", 9, index=1),
                   (k * 1.0, "block", f"w[{k}]", {"reason": "block", "duration": 1.0}),
                   (k * 1.0 + 1.0, "done", f"w[{k}]")]
    (g,) = measure(trace("fifo", *events)).groups
    assert g.count == 3 and g.union == pytest.approx(3.0) and g.concurrency == pytest.approx(1)
    assert g.blocked == 3.0 and g.preemptions == 0


def test_preemptions_during_a_step_are_counted_for_it() -> None:
    events = [step(0.0, "w[0]", "cpu", 5), step(0.0, "w[1]", "cpu", 5),
              (0.1, "suspend", "w[0]", {"reason": "preempt"}),
              (0.2, "suspend", "w[1]", {"reason": "preempt"}),
              (0.3, "suspend", "w[0]", {"reason": "preempt"}),
              (0.4, "done", "w[0]"), (0.5, "done", "w[1]"),
              (0.6, "suspend", "main", {"reason": "preempt"})]  # outside the step
    m = measure(trace("set", *events))
    (g,) = m.groups
    assert g.preemptions == 3 and m.preemptions == 4


def test_a_repeated_step_is_one_group_and_steps_without_time_are_left_out() -> None:
    events = [step(0.0, "u[0]", "print", 3), step(0.0, "u[0]", "io", 4, index=1),
              step(0.3, "u[0]", "io", 4, index=1), step(0.6, "u[0]", "print", 5, index=2),
              (0.6, "done", "u[0]")]
    (g,) = measure(trace("fifo", *events)).groups
    assert (g.op, g.count, g.total, g.union) == ("io", 2, pytest.approx(0.6),
                                                 pytest.approx(0.6))


def test_a_step_still_going_at_the_end_lasts_until_the_end() -> None:
    (g,) = measure(trace("fifo", step(1.0, "main", "sleep", 3),
                         end={"status": "timeout", "elapsed": 5.0})).groups
    assert g.total == pytest.approx(4.0)


def test_helpers() -> None:
    assert definition_of("coco[12]") == "coco" and definition_of("main") == "main"
    assert output_difference(("a", "b"), ("a", "b")) is None
    assert output_difference(("a", "b"), ("a", "c")) == 2
    assert output_difference(("a", "b"), ("a",)) == 2
    assert output_difference(("a",), ("a", "b")) == 2
