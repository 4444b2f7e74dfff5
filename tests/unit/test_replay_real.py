"""The replay model on traces recorded from the real runtimes, with their ready-queue snapshots."""

from __future__ import annotations

import functools

import pytest

from simtui.replay.model import Replay
from simtui.trace.model import Trace
from tests.tracehelp import run_trace
from tests.unit.replaygen import Reference

SCALE = 0.01

CASES = [
    ("gather10", "asyncio", True),
    ("producer_consumer", "asyncio", True),
    ("gevent_spawn3", "gevent", True),
    ("greenlet_pingpong", "greenlet", False),
    ("threads_io", "threads", False),
]


@functools.cache
def record(scenario: str, runtime: str, snapshots: bool) -> list[dict]:
    return run_trace(scenario, runtime, time_scale=SCALE, snapshots=snapshots)


def recorded_case(scenario: str, runtime: str, snapshots: bool):
    return scenario, runtime, record(scenario, runtime, snapshots)


@pytest.fixture(params=CASES, ids=[f"{s}-{r}" for s, r, _ in CASES])
def recorded(request):
    return recorded_case(*request.param)


def test_every_state_of_a_real_run_equals_the_naive_reducer(recorded):
    _, _, events = recorded
    replay = Replay(Trace.from_events(events), keyframe_min=16, keyframe_bytes_per_event=1 << 30)
    ref = Reference(events[0])
    for i, ev in enumerate(events[1:]):
        ref.apply(ev)
        state = replay.state(i)
        assert state.running == ref.running and state.ready == ref.ready(), f"event {i}: {ev}"
        assert dict(state.tasks) == ref.views()
        assert state.waiting == tuple(ref.waiting) and state.done == tuple(ref.done)


def test_the_derived_queue_equals_the_runtimes_own_snapshots(recorded):
    _, runtime, events = recorded
    trace = Trace.from_events(events)
    replay = Replay(trace)
    snapshots = [i for i in range(len(trace)) if trace.kind(i) == "queue"]
    if runtime in ("asyncio", "gevent"):
        assert snapshots, "recorded with --snapshots: the runtime must report its queue"
    for i in snapshots:
        assert [e.name for e in replay.state(i).ready] == trace.field(i, "ready"), f"event {i}"
    for i in range(len(trace)):
        state = replay.state(i)
        if state.running is not None:
            assert state.running not in [e.name for e in state.ready if not e.callback]


def test_gather10_shows_ten_tasks_queued_in_order_then_all_asleep():
    _, _, events = recorded_case("gather10", "asyncio", True)
    replay = Replay(Trace.from_events(events))
    cocos = [f"coco[{i}]" for i in range(10)]
    states = [replay.state(i) for i in range(len(replay))]
    assert any([e.name for e in s.ready if e.name in cocos] == cocos for s in states)
    asleep = [
        s for s in states
        if all(s.tasks.get(c) and s.tasks[c].status == "waiting" for c in cocos)
    ]
    assert asleep, "all ten coroutines sleep at once"
    view = asleep[0].tasks["coco[0]"]
    assert view.reason == "sleep" and view.until is not None and view.until > view.since
    assert states[-1].status == "ok"
    assert set(cocos) <= set(states[-1].done)


def test_greenlet_leaves_task_b_suspended():
    _, _, events = recorded_case("greenlet_pingpong", "greenlet", False)
    replay = Replay(Trace.from_events(events))
    last = replay.state(len(replay) - 1)
    assert last.tasks["task_b"].status == "waiting"
    assert last.tasks["task_b"].reason == "switch"
    assert "task_b" in last.waiting and "task_b" not in last.done
    assert [s["task"] for s in last.stuck] == ["task_b"]
    assert replay.status_at("task_b", last.t) == "waiting"


def test_came_from_is_the_task_that_ran_last():
    """Once a task suspends or finishes, "from" is that task, not the one that ran before it
    (gather10: after coco[9] suspends, not coco[8])."""
    events = record("gather10", "asyncio", False)
    replay = Replay(Trace.from_events(events))
    checked = 0
    for i, e in enumerate(events[1:]):
        state = replay.state(i)
        if e["type"] in ("suspend", "done") and state.running is None:
            assert state.came_from == e["task"], (i, e)
            checked += 1
        if e["type"] == "run":
            assert state.came_from == e["from"]
    assert checked >= 11, "ten coroutines go to sleep, then each finishes"
