"""Threads runtime, real runs: the GIL lets one thread run Python at a time (claim C11)."""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from pathlib import Path

import pytest

from simtui.replay.model import Replay
from simtui.trace.model import Trace
from tests.tracehelp import Event, end, of, outputs, run_trace, validate

SCALE = 0.1
"""threads_cpu: 3 × 0.1 s of work; threads_io: waits of 0.1 s and 0.15 s."""


def running_intervals(events: list[Event]) -> dict[str, list[tuple[float, float]]]:
    """Each task's running intervals in the derived state: from its `run` until it gives
    the GIL away (suspend, done, error) or another task runs."""
    spans: dict[str, list[tuple[float, float]]] = defaultdict(list)
    running: str | None = None
    since = 0.0
    for e in events[1:]:
        kind, task = e["type"], e.get("task")
        if kind == "run":
            if running is not None:
                spans[running].append((since, e["t"]))
            running, since = task, e["t"]
        elif kind in ("suspend", "done", "error") and task == running:
            spans[running].append((since, e["t"]))
            running = None
    return spans


def preempt_slices(events: list[Event]) -> list[float]:
    """Lengths of the running intervals that ended with the interpreter taking the GIL."""
    out = []
    started: dict[str, float] = {}
    for e in events[1:]:
        if e["type"] == "run":
            started[e["task"]] = e["t"]
        elif e["type"] == "suspend" and e["reason"] == "preempt" and e["task"] in started:
            out.append(e["t"] - started[e["task"]])
    return out


def ready_before_every_run(events: list[Event]) -> list[str]:
    """Runs of a task that was not made ready since it last gave the GIL away."""
    runnable: set[str] = set()
    problems = []
    for e in events[1:]:
        kind, task = e["type"], e.get("task")
        if kind == "ready":
            runnable.add(task)
        elif kind == "run":
            if task not in runnable:
                problems.append(f"seq {e['seq']}: {task} runs without a ready")
            runnable.discard(task)
        elif kind in ("suspend", "done", "error"):
            runnable.discard(task)
    return problems


@pytest.fixture(scope="module")
def cpu_trace() -> list[Event]:
    return run_trace("threads_cpu", runtime="threads", time_scale=SCALE)


@pytest.fixture(scope="module")
def io_trace() -> list[Event]:
    return run_trace("threads_io", runtime="threads", time_scale=SCALE)


def test_cpu_trace_is_valid_and_honest(cpu_trace: list[Event]) -> None:
    assert validate(cpu_trace) == []
    assert end(cpu_trace)["status"] == "ok"
    assert ready_before_every_run(cpu_trace) == []


def test_cpu_bound_threads_never_run_at_once(cpu_trace: list[Event]) -> None:
    spans = sorted(s for task in running_intervals(cpu_trace).values() for s in task)
    for (_, stop), (start, _) in zip(spans, spans[1:], strict=False):
        assert start >= stop, f"two threads running at once around t={start}"
    # The three workers do the same work, so each was seen running for about a third of
    # their running time: the handoffs are attributed to the right threads, not all
    # lumped onto one. Shares, not seconds, and coarse: on a busy machine the OS may
    # stop a thread while it holds the GIL, which lengthens that thread's turns.
    per_worker = running_intervals(cpu_trace)
    busy = [sum(b - a for a, b in per_worker[f"worker[{k}]"]) for k in range(3)]
    for k in range(3):
        assert 0.1 < busy[k] / sum(busy) < 0.6, busy


def test_cpu_bound_threads_take_the_sum_of_their_times(cpu_trace: list[Event]) -> None:
    # Three threads × 1 s of work at this scale. Measured against the work the run really
    # did (its CPU, from `end.recorder`), not against the steps' nominal seconds: `cpu` is
    # calibrated when the worker starts, and the machine may be busier or quieter then
    # than during the run, which makes the same step more or less work than its seconds.
    cpu = end(cpu_trace)["recorder"]["run_cpu"]
    elapsed = end(cpu_trace)["elapsed"]
    per_worker = running_intervals(cpu_trace)
    busy = sum(b - a for k in range(3) for a, b in per_worker[f"worker[{k}]"])
    # Under the GIL one thread computes at a time, so the run lasts at least as long as
    # all the work together (three threads computing at once on two cores would take
    # about half of it), and the workers' turns, which never overlap, hold that work.
    # A loaded machine only makes the run and the turns longer than the CPU.
    assert elapsed >= 0.9 * cpu, (elapsed, cpu)
    assert busy >= 0.8 * cpu, (busy, cpu)
    assert elapsed >= busy, (elapsed, busy)


def test_cpu_threads_are_preempted_near_the_switch_interval(cpu_trace: list[Event]) -> None:
    slices = preempt_slices(cpu_trace)
    assert len(slices) >= 10, slices
    # 5 ms interval: the holder keeps the GIL ~5 ms after a waiter asks; coarse bounds
    # because the OS may run the waiter late on a busy two-core machine.
    assert 0.001 < statistics.median(slices) < 0.05, statistics.median(slices)
    preempted = {e["task"] for e in of(cpu_trace, "suspend") if e["reason"] == "preempt"}
    assert {"worker[0]", "worker[1]", "worker[2]"} <= preempted


SWITCHY = """
options:
  threads:
    switch_interval: {interval}
tasks:
  main:
    - gather: spin
  spin:
    count: 2
    steps:
      - cpu: 0.15
"""


def test_switch_interval_option_changes_the_preemptions() -> None:
    counts = {}
    for interval in ("1ms", "50ms"):
        events = run_trace(SWITCHY.format(interval=interval), runtime="threads")
        assert validate(events) == []
        assert end(events)["status"] == "ok"
        counts[interval] = sum(1 for e in of(events, "suspend") if e["reason"] == "preempt")
    assert events[0]["options"] == {"switch_interval": 0.05}
    # ~0.3 s of contended work: ~6 handoffs at 50 ms, many more at 1 ms (a busy machine
    # runs the waiting thread late, and the kernel may round tiny intervals up to its
    # own tick, so only a coarse factor).
    assert counts["1ms"] > 2 * counts["50ms"], counts


def test_io_trace_is_valid(io_trace: list[Event]) -> None:
    assert validate(io_trace) == []
    assert end(io_trace)["status"] == "ok"
    assert ready_before_every_run(io_trace) == []


def test_waiting_threads_overlap(io_trace: list[Event]) -> None:
    # Waits of 1 s, 1 s, 1 s and 1.5 s (0.1 s and 0.15 s at this scale).
    waiters = ["fetch[0]", "fetch[1]", "fetch[2]", "nap"]
    # The long wait of each is its last one (an io step first waits for its connection).
    suspended = [[e for e in of(io_trace, "suspend", w) if e["reason"] != "preempt"][-1]["t"]
                 for w in waiters]
    woken = [of(io_trace, "wake", w)[-1]["t"] for w in waiters]
    # They waited at the same time: together their waits last longer than the span from
    # the first one's start to the last one's end, which one wait after another could not.
    # On a loaded machine the waits last longer and the threads start later, alike: this
    # holds whenever the waits overlapped, whatever the clock says.
    waits = [b - a for a, b in zip(suspended, woken, strict=True)]
    assert sum(waits) > max(woken) - min(suspended), (waits, suspended, woken)
    # A blocking sleep is never shorter than asked, however busy the machine is (less
    # the trace clock's 0.1 µs resolution).
    assert waits[-1] >= 1.5 * SCALE - 2e-7, waits
    reasons = {e["task"]: e["reason"] for e in of(io_trace, "suspend")
               if e["task"] in waiters and e["reason"] != "preempt"}
    assert reasons == {"fetch[0]": "io", "fetch[1]": "io", "fetch[2]": "io", "nap": "sleep"}


def test_a_sleeper_wakes_when_its_sleep_returns_not_at_its_deadline(
    io_trace: list[Event],
) -> None:
    (nap,) = [e for e in of(io_trace, "suspend", "nap") if e["reason"] == "sleep"]
    (woke,) = of(io_trace, "wake", "nap")
    # The sleeper says it woke, when time.sleep has returned and it holds the GIL: never
    # before its deadline, and at the very instant it runs again. Its `ready` is placed
    # there too, and marked inferred: the OS made it runnable some time before (when its
    # timer expired), which nobody can observe.
    assert woke["t"] >= nap["until"] - 1e-7
    i = woke["seq"] + 1
    ready, ran = io_trace[i + 1], next(e for e in io_trace[i + 1:] if e["type"] == "run")
    assert (ready["type"], ready["task"], ready.get("inferred")) == ("ready", "nap", True)
    assert ran["task"] == "nap" and ran["t"] == woke["t"]
    assert "inferred" not in woke and "inferred" not in ran


def inferred_problems(events: list[Event]) -> list[str]:
    """Events that are neither a thread's own observation nor marked inferred: only a
    lost GIL (a preempt, or a yield another thread answered) and every `ready` but a new
    thread's (its starter's, at its create) are deduced; a thread's wake, run, steps and
    end are its own, and a `wake` is recorded at the waking thread's clock reading, the
    instant it runs."""
    problems = []
    body = events[1:-1]
    for j, e in enumerate(body):
        kind, inferred = e["type"], e.get("inferred")
        if kind == "suspend" and e["reason"] in ("preempt", "yield"):
            if inferred is not True:
                problems.append(f"seq {e['seq']}: {e['reason']} of {e['task']} not inferred")
        elif kind == "ready":
            created = j > 0 and body[j - 1]["type"] == "create"
            if created == (inferred is True):
                problems.append(f"seq {e['seq']}: ready of {e['task']} inferred={inferred}")
        elif inferred is not None:
            problems.append(f"seq {e['seq']}: {kind} of {e['task']} marked inferred")
        if kind == "wake":
            ran = next(x for x in body[j + 1:] if x["type"] == "run")
            if (ran["task"], ran["t"]) != (e["task"], e["t"]):
                problems.append(f"seq {e['seq']}: {e['task']} woke, {ran['task']} ran next")
    return problems


def test_every_event_is_observed_or_marked_inferred(
    cpu_trace: list[Event], io_trace: list[Event]
) -> None:
    queued = run_trace(QUEUE, runtime="threads")
    for events in (cpu_trace, io_trace, queued):
        assert inferred_problems(events) == []
    # Each trace has both kinds: a thread's own observations and deduced handoffs.
    assert any(e.get("inferred") for e in cpu_trace if e["type"] == "suspend")
    assert any(e.get("inferred") for e in io_trace if e["type"] == "ready")


def test_a_yield_nobody_answered_is_only_its_step() -> None:
    # One thread alone: time.sleep(0) gives the GIL up and takes it back at once, as no
    # other scenario thread waits for it. Nothing was handed over: no suspend, no run.
    events = run_trace(ALONE, runtime="threads")
    assert validate(events) == []
    yields = [e for e in of(events, "step", "main") if e["op"] == "yield"]
    assert len(yields) == 50
    assert of(events, "suspend") == []
    assert len(of(events, "run")) == 1  # its first


def test_a_yield_another_thread_answered_is_an_inferred_handoff() -> None:
    events = run_trace(TWO_YIELDING, runtime="threads")
    assert validate(events) == []
    lost = [e for e in of(events, "suspend") if e["reason"] == "yield"]
    assert lost, "two threads yielding 200 times each never handed the GIL over"
    for e in lost:
        # Seen only when the other thread records: its run is at the same instant.
        ready, ran = events[e["seq"] + 2], events[e["seq"] + 3]
        assert e["inferred"] is True and ready["inferred"] is True
        assert (ready["type"], ready["task"]) == ("ready", e["task"])
        assert ran["type"] == "run" and ran["from"] == e["task"] != ran["task"]
        assert ran["t"] == e["t"] and "inferred" not in ran
        # And the yielder's own last record before it was that yield step.
        before = [x for x in events[1 : e["seq"] + 1] if x.get("task") == e["task"]]
        assert before[-1]["type"] == "step" and before[-1]["op"] == "yield"


ALONE = """
tasks:
  main:
    - repeat: {times: 50, steps: [yield]}
"""

TWO_YIELDING = """
tasks:
  main:
    - gather: w
  w:
    count: 2
    steps:
      - repeat: {times: 200, steps: [yield]}
"""


def test_gather10_prints_what_asyncio_prints() -> None:
    on_threads = run_trace("gather10", runtime="threads", time_scale=0.01)
    on_asyncio = run_trace("gather10", runtime="asyncio", time_scale=0.01)
    assert validate(on_threads) == []
    assert end(on_threads)["status"] == "ok"
    got, want = outputs(on_threads), outputs(on_asyncio)
    # Same lines; main's lines in the same places. The ten wake-ups are ~0.1 ms apart
    # and the OS picks which woken thread takes the GIL, so their order may differ.
    assert sorted(got) == sorted(want)
    assert got[:2] == want[:2] and got[-1] == want[-1]
    for k in range(10):
        assert got.index(f"코루틴 {k} 대기") < got.index(f"코루틴 {k} 종료")
    # Slept together, not in turn: every sleep began before the first one ended.
    cocos = [f"coco[{k}]" for k in range(10)]
    sleeps = [e["seq"] for e in of(on_threads, "suspend") if e["task"] in cocos
              and e["reason"] == "sleep"]
    wakes = [e["seq"] for e in of(on_threads, "wake") if e["task"] in cocos]
    assert len(sleeps) == len(wakes) == 10
    assert max(sleeps) < min(wakes)


def test_thread_start_hands_the_gil_to_the_new_thread() -> None:
    events = run_trace("gather10", runtime="threads", time_scale=0.01)
    assert validate(events) == []
    starts = [e for e in of(events, "suspend", "main") if e["reason"] == "event"]
    assert [e["detail"] for e in starts] == [f"Thread.start of coco[{k}]" for k in range(10)]
    handed = 0
    for k, start in enumerate(starts):
        task = f"coco[{k}]"
        # The thread exists and is runnable from the moment Thread.start() is called: its
        # create and ready are the starter's, at the instant the starter suspends in it.
        created, ready = events[start["seq"] - 1], events[start["seq"]]
        assert (created["type"], created["task"], created["parent"]) == ("create", task, "main")
        assert (ready["type"], ready["task"]) == ("ready", task)
        assert created["t"] == ready["t"] == start["t"]
        # Thread.start() waits until the new thread signals that it runs: the new thread
        # takes the GIL first and records its own first run, then the starter's call
        # returns. Rarely the starter retakes the GIL first and says so itself.
        ran = next(e for e in events[start["seq"] + 1:] if e["type"] == "run" and e["task"] == task)
        woke = next(e for e in events[start["seq"] + 1:] if e["type"] == "wake"
                    and e["task"] == "main")
        handed += ran["seq"] < woke["seq"] and ran["from"] == "main"
    assert handed >= 5, handed


QUEUE = """
tasks:
  main:
    - spawn: consumer
    - gather: producer
    - set: finished
    - join: consumer
    - print: "main done"
  producer:
    count: 3
    steps:
      - put: {queue: jobs, item: "job {i}"}
  consumer:
    - repeat:
        times: 3
        steps:
          - get: jobs
          - print: "got {item}"
    - wait: finished
    - print: "consumer done"
"""


def test_queue_items_and_events_flow_between_threads() -> None:
    events = run_trace(QUEUE, runtime="threads")
    assert validate(events) == []
    assert end(events)["status"] == "ok"
    got = outputs(events)
    assert sorted(got[:3]) == ["got job 0", "got job 1", "got job 2"]
    assert got[3:] == ["consumer done", "main done"]
    assert ready_before_every_run(events) == []


SHORT_TIMEOUT = """
timeout: 0.1
tasks:
  main:
    - spawn: napper
    - sleep: 30
  napper:
    - sleep: 30
"""


@pytest.mark.parametrize("attempt", range(6))
def test_a_run_cut_at_a_short_timeout_keeps_what_it_recorded(attempt: int) -> None:
    # The threads' records reach the trace through the runtime's own consumer, every
    # 0.1 s: a timeout that comes first must not leave a trace of only its `end`, whose
    # stuck list names tasks the trace never created (one run in four did).
    events = run_trace(SHORT_TIMEOUT, "threads")
    assert validate(events) == []
    last = end(events)
    assert last["status"] == "timeout"
    created = {e["task"] for e in of(events, "create")}
    assert {s["task"] for s in last["stuck"]} == created == {"main", "napper"}
    assert {e["task"] for e in of(events, "suspend")} == {"main", "napper"}


def test_the_end_says_what_recording_cost_the_run(cpu_trace: list[Event]) -> None:
    # Known only once the run is over, so it is in `end`, not the header (written first).
    cost = end(cpu_trace)["recorder"]
    assert set(cost) == {"writer_cpu", "run_cpu", "writer_share"}
    assert 0 <= cost["writer_cpu"] <= cost["run_cpu"]
    assert cost["writer_share"] == pytest.approx(cost["writer_cpu"] / cost["run_cpu"], abs=1e-4)
    # The run's CPU is the run's own: the three `cpu` steps are most of it, and the run
    # cannot have used more than both cores for its whole length.
    assert 0 < cost["run_cpu"] <= 2 * end(cpu_trace)["elapsed"], cost


def test_a_saved_threads_trace_reads_back_with_what_was_inferred(
    tmp_path: Path, cpu_trace: list[Event]
) -> None:
    path = tmp_path / "cpu.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in cpu_trace), encoding="utf-8")
    trace = Trace.load(path)
    assert list(trace) == cpu_trace[1:]
    # The replay follows it to the end: every thread done, nothing left runnable.
    last = Replay(trace).state(len(trace) - 1)
    assert last.status == "ok" and last.ready == () and len(last.done) == 4
