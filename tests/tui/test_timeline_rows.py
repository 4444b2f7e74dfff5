"""The timeline draws a long-lived task's row from a bounded sample of its states."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from simtui.replay.model import Replay
from simtui.trace.model import Trace
from simtui.tui.view import TimelineData
from simtui.tui.widgets import timeline
from simtui.tui.widgets.timeline import TimelinePane

TRACES = Path(__file__).parent / "traces"


class _Pane(TimelinePane):
    axis = "switch"  # type: ignore[assignment]  # the row code runs without mounting the widget


def _data(trace: Trace) -> tuple[Replay, TimelineData]:
    """The timeline's slice of a whole trace, as the session hands it down."""
    replay = Replay(trace)
    replay.sync()
    n = len(replay)
    return replay, TimelineData(replay, n, replay.stop_count(n - 1), trace.t(0), trace.t(n - 1))


def _pane(axis: str) -> _Pane:
    _Pane.axis = axis  # type: ignore[assignment]
    pane = _Pane.__new__(_Pane)
    pane._bars = {}
    return pane


@pytest.mark.parametrize("axis", ["switch", "time"])
@pytest.mark.parametrize("width", [40, 100])
def test_sampled_rows_match_exact_rows_when_columns_hold_few_states(axis: str, width: int) -> None:
    replay, data = _data(Trace.load(TRACES / "threads_cpu-threads.jsonl"))
    pane = _pane(axis)
    for task in replay.tasks:
        seg = data.segments(task)
        exact = pane._exact_bar(seg, width, data)
        sampled = pane._sampled_bar(seg, width, data)
        assert sampled == exact, task


def _alternating(switches: int) -> Trace:
    events: list[dict[str, Any]] = [
        {"type": "header", "format": "simtui-trace", "version": 1, "runtime": "threads",
         "tasks": ["a", "b"]},
        {"seq": 0, "t": 0.0, "type": "create", "task": "a", "parent": None},
        {"seq": 1, "t": 0.0, "type": "create", "task": "b", "parent": "a"},
    ]
    for k in range(switches):
        me, other = ("a", "b") if k % 2 == 0 else ("b", "a")
        events.append({"seq": len(events) - 1, "t": k * 1e-4, "type": "run", "task": me,
                       "from": other if k else None})
    return Trace.from_events(events)


class _Counting(Sequence[str]):
    def __init__(self, items: Sequence[str]) -> None:
        self.items = items
        self.reads = 0

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i):  # type: ignore[no-untyped-def, override]
        self.reads += 1
        return self.items[i]


def _reads(axis: str, switches: int, width: int) -> tuple[int, tuple[str, ...]]:
    """How many of task a's states drawing its row reads, and the row."""
    replay, data = _data(_alternating(switches))
    times, statuses = replay.segments("a")
    assert len(statuses) > timeline.EXACT_SEGMENTS * width  # so the sampled path is taken
    counting = _Counting(statuses)
    replay.segments = lambda task: (times, counting)  # type: ignore[method-assign]
    bar = _pane(axis)._bar("a", width, data)
    return counting.reads, bar


@pytest.mark.parametrize("axis", ["switch", "time"])
def test_a_row_with_many_states_reads_a_bounded_sample(axis: str) -> None:
    width = 100
    short_reads, _ = _reads(axis, 50_000, width)
    long_reads, bar = _reads(axis, 200_000, width)
    # Four times the states, the same work: a row costs O(width), not O(states).
    assert long_reads <= short_reads * 1.2
    assert long_reads <= width * 2 * timeline.SAMPLES
    # a alternates between running and ready all along: every column shows it running.
    assert set(bar) == {"running"}


def test_a_sleeping_thread_is_drawn_waiting_on_the_switch_axis() -> None:
    """coroutine_basics on threads: main's one sleep lies between two switches. The
    scheduler's idle moment is a stop of its own, and its column shows main waiting."""
    from tests.tracehelp import run_trace

    trace = Trace.from_events(run_trace("coroutine_basics", "threads", time_scale=0.02))
    replay, data = _data(trace)
    sleep = next(i for i in range(len(trace)) if trace.kind(i) == "suspend")
    assert replay.state(sleep).stop == "idle"
    pane = _pane("switch")
    width = 2 * (len(replay.stops) + 1)  # two columns per stop
    seg = data.segments("main")
    bar = pane._exact_bar(seg, width, data)
    column = 2 * replay.stop_count(sleep)
    assert bar[column] == "waiting", bar
    assert "waiting" in pane._sampled_bar(seg, width, data)
