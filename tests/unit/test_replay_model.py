"""The replay model against a naive reducer, on random valid traces of every runtime's shape."""

from __future__ import annotations

import bisect
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simtui.replay.model import Replay
from simtui.trace.model import Trace
from tests.unit.replaygen import RUNTIMES, Reference, generate

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

traces = st.builds(
    lambda seed, runtime, steps, snapshots: generate(
        random.Random(seed), runtime, steps, snapshots
    ),
    st.integers(0, 2**32),
    st.sampled_from(RUNTIMES),
    st.integers(0, 150),
    st.booleans(),
)


def small_keyframes(trace: Trace, every: int) -> Replay:
    """A replay whose keyframes are `every` events apart, to exercise restoring them."""
    return Replay(trace, keyframe_min=every, keyframe_bytes_per_event=1 << 30)


def reference_states(events):
    ref = Reference(events[0])
    out = []
    for ev in events[1:]:
        ref.apply(ev)
        out.append((
            ref.running, ref.running_item, ref.came_from, ref.ready(), ref.departed,
            ref.views(), tuple(ref.waiting), tuple(ref.done), ref.outputs, ref.status,
            ref.stuck,
        ))
    return out


def observed(state):
    return (
        state.running, state.running_item, state.came_from, state.ready, state.departed,
        dict(state.tasks), state.waiting, state.done, state.output_count, state.status,
        state.stuck,
    )


@SETTINGS
@given(traces, st.integers(1, 40), st.randoms(use_true_random=False))
def test_seek_equals_stepping_from_the_start(events, every, rnd):
    trace = Trace.from_events(events)
    replay = small_keyframes(trace, every)
    expected = reference_states(events)
    assert len(replay) == len(trace) == len(expected)
    order = list(range(len(expected)))
    rnd.shuffle(order)  # random seeks, then a walk backwards: every path to a state
    for i in order + order[::-1][:10] + list(range(len(expected) - 1, -1, -1)):
        state = replay.state(i)
        assert state.index == i
        assert state.event == events[i + 1]
        assert state.t == events[i + 1]["t"]
        assert observed(state) == expected[i], f"event {i}: {events[i + 1]}"
    before = replay.state(-1)
    assert before.running is None and before.ready == () and dict(before.tasks) == {}


@SETTINGS
@given(traces)
def test_the_running_task_is_never_in_the_ready_queue(events):
    replay = Replay(Trace.from_events(events))
    for i in range(len(replay)):
        state = replay.state(i)
        if state.running is not None:
            assert state.running not in [e.name for e in state.ready if not e.callback]
            assert state.tasks[state.running].status in ("running", "blocking")
        running = [n for n, v in state.tasks.items() if v.status in ("running", "blocking")]
        assert len(running) <= 1, f"event {i}: {running} all running"


@SETTINGS
@given(traces.filter(lambda evs: any(e["type"] == "queue" for e in evs)))
def test_the_derived_ready_queue_equals_every_snapshot(events):
    trace = Trace.from_events(events)
    replay = Replay(trace)
    snapshots = [i for i in range(len(trace)) if trace.kind(i) == "queue"]
    for i in snapshots:
        assert [e.name for e in replay.state(i).ready] == trace.field(i, "ready")


@SETTINGS
@given(traces, st.lists(st.integers(1, 30), min_size=1, max_size=20), st.integers(1, 20))
def test_sync_after_incremental_extend_equals_the_whole_trace(events, cuts, every):
    whole = small_keyframes(Trace.from_events(events), every)
    live_trace = Trace()
    live = small_keyframes(live_trace, every)
    pos = 0
    for cut in cuts * (len(events) // max(1, sum(cuts)) + 2):
        live_trace.extend(events[pos : pos + cut])
        pos += cut
        live.sync()
        if pos >= len(events):
            break
        # The live model answers mid-stream too.
        if len(live):
            assert observed(live.state(len(live) - 1)) == observed(whole.state(len(live) - 1))
    assert len(live) == len(whole)
    assert live_trace.header == events[0]
    assert live_trace.end == events[-1]
    for i in range(len(whole)):
        assert observed(live.state(i)) == observed(whole.state(i))
    assert list(live.switches) == list(whole.switches)
    # Stops decided one event late (an idle moment) are the same in both, and no state
    # made before that event came is left stale.
    assert list(live.stops) == list(whole.stops)
    for i in range(len(whole)):
        assert (live.state(i).stop, live.state(i).held) == (whole.state(i).stop,
                                                             whole.state(i).held)
    assert live.state(len(whole) - 1).summary == whole.state(len(whole) - 1).summary
    assert list(live.outputs) == list(whole.outputs)
    assert list(live.tasks) == list(whole.tasks)
    for task in whole.tasks:
        assert list(live.segments(task)[0]) == list(whole.segments(task)[0])
        assert list(live.segments(task)[1]) == list(whole.segments(task)[1])


@SETTINGS
@given(traces)
def test_switch_index_and_its_neighbours(events):
    replay = Replay(Trace.from_events(events))
    runs = [e["seq"] for e in events[1:] if e["type"] == "run"]
    assert list(replay.switches) == runs
    for i in range(-1, len(replay) + 1):
        after = [r for r in runs if r > i]
        before = [r for r in runs if r < i]
        assert replay.next_switch(i) == (after[0] if after else None)
        assert replay.prev_switch(i) == (before[-1] if before else None)
        assert replay.switch_count(i) == len([r for r in runs if r <= i])
        if 0 <= i < len(replay):
            assert replay.state(i).switch == replay.switch_count(i)


@SETTINGS
@given(traces)
def test_stops_are_the_switches_the_idle_and_blocked_moments_and_the_end(events):
    replay = Replay(Trace.from_events(events))
    stops = list(replay.stops)
    assert stops == sorted(set(stops))
    assert set(replay.switches) <= set(stops)
    body = events[1:]
    for i, ev in enumerate(body):
        state = replay.state(i)
        assert (state.stop is not None) == (i in stops), i
        assert replay.next_stop(i - 1) == min((s for s in stops if s >= i), default=None)
        if ev["type"] == "end":
            assert state.stop == "end"
        elif ev["type"] == "run":
            assert state.stop in ("switch", "idle")
        if ev["type"] == "block" and ev["task"]:
            assert state.stop == "blocked" and state.held is not None
            assert state.held.task == ev["task"] and state.held.reason == ev["reason"]
            if i + 1 < len(body):  # how long it held the scheduler: until the next event
                assert state.held.seconds == body[i + 1]["t"] - ev["t"]
        else:
            assert state.stop != "blocked" and state.held is None
        if state.stop == "idle":
            # Nothing to run and someone to wake: the scheduler waits, and the run goes on.
            assert state.running is None and not state.ready and state.waiting, i
            assert i + 1 < len(body) and body[i + 1]["type"] != "end"
            assert ev["type"] in ("suspend", "done", "error", "run"), ev
        if state.stop is None and ev["type"] == "suspend" and replay.state(i).running is None \
                and not state.ready and state.waiting and i + 1 < len(body) \
                and body[i + 1]["type"] != "end" and state.tasks[ev["task"]].status == "waiting" \
                and replay.state(i - 1).running == ev["task"] \
                and events[0].get("runtime") != "greenlet":
            raise AssertionError(f"event {i}: a task's suspend left nothing to run: idle")


@SETTINGS
@given(traces)
def test_segments_and_status_at_agree_with_state(events):
    replay = Replay(Trace.from_events(events))
    ts = [e["t"] for e in events[1:]]
    for task in replay.tasks:
        times, statuses = replay.segments(task)
        assert list(times) == sorted(times)
        assert len(times) == len(statuses)
        assert all(a != b for a, b in zip(statuses, statuses[1:], strict=False))
    for i, t in enumerate(ts):
        if i + 1 < len(ts) and ts[i + 1] == t:
            continue  # status_at(t) is the status after the last event at t
        state = replay.state(i)
        for task in replay.tasks:
            view = state.tasks.get(task)
            assert replay.status_at(task, t) == (view.status if view else "new"), (i, task)


@SETTINGS
@given(traces)
def test_outputs_and_events_round_trip(events):
    trace = Trace.from_events(events)
    assert list(trace) == events[1:]
    assert [trace[i] for i in range(-1, -len(trace) - 1, -1)] == events[1:][::-1]
    replay = Replay(trace)
    outs = [(e["seq"], e["t"], e["task"], e["text"]) for e in events[1:] if e["type"] == "output"]
    assert list(replay.outputs) == outs
    for i in range(len(replay)):
        state = replay.state(i)
        assert state.output_count == bisect.bisect_right([o[0] for o in outs], i)
    created = [e["task"] for e in events[1:] if e["type"] == "create"]
    assert list(replay.tasks) == created


@settings(max_examples=40, deadline=None)
@given(
    st.builds(
        lambda seed, runtime, steps, snapshots: generate(
            random.Random(seed), runtime, steps, snapshots, strict=True
        ),
        st.integers(0, 2**32),
        st.sampled_from(RUNTIMES),
        st.integers(0, 150),
        st.booleans(),
    )
)
def test_the_generated_traces_follow_the_contract(events):
    # The generator stands in for the runtimes: its strict traces must pass the trace
    # checker (the default ones also hold switches nobody recorded, to test the model).
    from tests.tracehelp import validate

    assert validate(events) == []


def test_a_long_run_whose_queue_is_compacted_still_equals_the_reducer():
    # Thousands of switches: the queue's taken prefix is cut off several times.
    from simtui.replay import model

    events = generate(random.Random(11), "gevent", 12_000, snapshots=True, finish=False)
    runs = sum(e.get("type") == "run" for e in events)
    assert runs > 3 * model.QUEUE_COMPACT
    replay = small_keyframes(Trace.from_events(events), 500)
    expected = reference_states(events)
    for i in [*range(0, len(expected), 7), *range(len(expected) - 1, 0, -97)]:
        assert observed(replay.state(i)) == expected[i], f"event {i}"


def one_pass_waits(events):
    """The run summary's waits, preemptions and locks, in one pass over the whole trace:
    every wait a wake ended is its task's last `suspend` before it, unless the task ran,
    was queued, blocked or ended in between."""
    from simtui.trace import labels

    waits: dict[str, list[float]] = {}
    since: dict[str, dict] = {}
    preempts = 0
    locks: dict[str, None] = {}
    for ev in events[1:]:
        kind, task = ev["type"], ev.get("task")
        if kind == "suspend":
            since[task] = ev
            if ev["reason"] == "preempt":
                preempts += 1
            elif ev["reason"] == "lock":
                subject = labels.read_wait("lock", ev.get("detail")).subject
                if subject:
                    locks[subject] = None
        elif kind == "wake":
            began = since.pop(task, None)
            if began is not None:
                w = waits.setdefault(began["reason"], [0, 0.0])
                w[0] += 1
                w[1] += ev["t"] - began["t"]
        elif kind in ("run", "ready", "done", "error", "block"):
            since.pop(task, None)
    return ({r: (c, round(t, 9)) for r, (c, t) in waits.items()}, preempts, tuple(locks))


@SETTINGS
@given(traces, st.lists(st.integers(1, 30), min_size=1, max_size=20))
def test_the_run_summary_kept_as_events_come_in_equals_one_pass_over_the_trace(events, cuts):
    live_trace = Trace()
    live = Replay(live_trace)
    pos = 0
    while pos < len(events):
        for cut in cuts:
            live_trace.extend(events[pos : pos + cut])
            pos += cut
            live.sync()
    summary = live.state(len(live) - 1).summary
    if live_trace.end is None:
        assert summary is None
        return
    assert summary is not None
    waits = {r: (w.count, round(w.seconds, 9)) for r, w in summary.waits.items()}
    assert (waits, summary.preempts, summary.locks) == one_pass_waits(events)
