"""gevent runtime on real runs: the hub's queue, timers, monkey patching (claims C8–C10)."""

from __future__ import annotations

import pytest

from tests.tracehelp import end, of, outputs, run_trace, validate

SCALE = 0.2


def _first_index(events: list[dict], kind: str, task: str) -> int:
    return next(i for i, e in enumerate(events) if e["type"] == kind and e.get("task") == task)


def test_c8_three_greenlets_start_via_the_hub_and_sleep_together() -> None:
    events = run_trace("gevent_spawn3", runtime="gevent", time_scale=SCALE, snapshots=True)
    assert validate(events) == []
    tasks = [f"my_task[{i}]" for i in range(3)]
    assert outputs(events) == [f"Task {i} 시작" for i in range(3)] + [
        f"Task {i} 종료" for i in range(3)
    ]
    # spawn only queues each greenlet's start; the hub runs them, in order.
    assert [e["task"] for e in of(events, "ready") if e["task"] in tasks] == tasks
    for task in tasks:
        assert _first_index(events, "ready", task) < _first_index(events, "run", task)
    # All three are asleep on their timers before the first one wakes: they overlap.
    sleeps = [e for e in of(events, "suspend") if e["reason"] == "sleep"]
    assert [e["task"] for e in sleeps] == tasks
    assert all(e["until"] == pytest.approx(e["t"] + SCALE, abs=0.05) for e in sleeps)
    last_sleep = max(events.index(e) for e in sleeps)
    assert all(events.index(w) > last_sleep for w in of(events, "wake") if w["task"] in tasks)
    last = end(events)
    assert last["status"] == "ok"
    assert last["elapsed"] >= SCALE * 0.9  # the sleep is real; the overlap above: not 3 s


def test_c9_monkey_patched_time_sleep_is_cooperative() -> None:
    events = run_trace("gevent_monkey", runtime="gevent", time_scale=SCALE, snapshots=True)
    assert validate(events) == []
    assert of(events, "block") == []
    waits = [e for e in of(events, "suspend") if e["task"].startswith("worker")]
    assert [e["reason"] for e in waits] == ["sleep"] * 3
    assert all("patched to gevent.sleep" in e["detail"] for e in waits)
    # Cooperative: all three sleep at once (every sleep begins before the first wakes),
    # so the run takes ~1 s at scale, not 3 s.
    wakes = [e for e in of(events, "wake") if e["task"].startswith("worker")]
    assert len(wakes) == 3
    assert max(events.index(e) for e in waits) < min(events.index(e) for e in wakes)
    last = end(events)
    assert last["status"] == "ok"


def test_c9_unpatched_time_sleep_blocks_the_hub_and_runs_sequentially() -> None:
    events = run_trace("gevent_unpatched", runtime="gevent", time_scale=SCALE, snapshots=True)
    assert validate(events) == []
    workers = [f"worker[{i}]" for i in range(3)]
    blocks = of(events, "block")
    assert [(b["task"], b["reason"]) for b in blocks] == [(w, "block") for w in workers]
    # Strictly one after another: a worker starts only after the previous one is done.
    for before, after in zip(workers, workers[1:], strict=False):
        assert _first_index(events, "done", before) < _first_index(events, "run", after)
    assert not [e for e in of(events, "suspend") if e["task"] in workers]
    last = end(events)
    assert last["status"] == "ok"
    assert last["elapsed"] >= SCALE * 3 * 0.95  # ~3 s at scale


def test_c10_a_hundred_users_have_their_requests_in_flight_together() -> None:
    events = run_trace("locust_users", runtime="gevent", time_scale=SCALE, snapshots=True)
    assert validate(events) == []
    users = {e["task"] for e in of(events, "create") if e["task"].startswith("user[")}
    assert len(users) >= 100
    in_io: set[str] = set()
    most = 0
    for e in events:
        if e["type"] == "suspend" and e["reason"] == "io":
            in_io.add(e["task"])
            most = max(most, len(in_io))
        elif e["type"] == "run":
            in_io.discard(e["task"])
    assert most >= 50  # requests overlap on one thread
    assert len(of(events, "wake")) >= 100  # sockets wake their greenlets from the hub
    assert outputs(events)[-1] == "load test finished"
    last = end(events)
    assert last["status"] == "ok"
    # Sequential requests would never have more than one in flight (`most` above).


GATHER10 = (
    ["main() 코루틴 시작", "main() 코루틴 양보"]
    + [f"코루틴 {i} 대기" for i in range(10)]
    + [f"코루틴 {i} 종료" for i in range(10)]
    + ["모든 코루틴 종료"]
)


def test_gather10_runs_on_gevent_with_the_articles_output() -> None:
    events = run_trace("gather10", runtime="gevent", time_scale=0.05, snapshots=True)
    assert validate(events) == []
    assert outputs(events) == GATHER10
    assert end(events)["status"] == "ok"


def test_gather10_outputs_equal_on_gevent_and_asyncio() -> None:
    on_gevent = outputs(run_trace("gather10", runtime="gevent", time_scale=0.05))
    on_asyncio = outputs(run_trace("gather10", runtime="asyncio", time_scale=0.05))
    assert on_gevent == on_asyncio


def test_locks_events_and_a_bounded_queue_hand_over_through_the_hub() -> None:
    text = """
queues:
  jobs: {maxsize: 1}
tasks:
  main:
    - spawn: [consumer, producer, guard]
    - join: [consumer, producer, guard]
    - print: "all done"
  producer:
    - set: go
    - put: {queue: jobs, item: "job a"}
    - put: {queue: jobs, item: "job b"}
  consumer:
    - wait: go
    - get: jobs
    - print: "got {item}"
    - get: jobs
    - print: "got {item}"
  guard:
    - acquire: L
    - yield
    - release: L
    - acquire: L
    - print: "guard twice"
"""
    events = run_trace(text, runtime="gevent", time_scale=SCALE, snapshots=True)
    assert validate(events) == []
    said = outputs(events)
    assert sorted(said) == ["all done", "got job a", "got job b", "guard twice"]
    assert said.index("got job a") < said.index("got job b") < said.index("all done")
    reasons = {(e["task"], e["reason"]) for e in of(events, "suspend")}
    assert ("producer", "queue") in reasons  # the bounded queue was full
    assert ("consumer", "event") in reasons
    assert end(events)["status"] == "ok"


def test_cpu_holds_the_hub_so_nothing_else_runs_meanwhile() -> None:
    text = """
tasks:
  main:
    - gather: [busy, other]
  busy:
    - cpu: 0.5
  other:
    - print: "other ran"
"""
    events = run_trace(text, runtime="gevent", time_scale=SCALE, snapshots=True)
    assert validate(events) == []
    assert [(b["task"], b["reason"]) for b in of(events, "block")] == [("busy", "cpu")]
    assert of(events, "block")[0]["duration"] == pytest.approx(0.5 * SCALE)
    # `other` was queued before busy started, yet runs only once busy is done.
    assert _first_index(events, "ready", "other") < _first_index(events, "run", "busy")
    assert _first_index(events, "done", "busy") < _first_index(events, "run", "other")
    assert outputs(events) == ["other ran"]


def test_sleep_zero_has_no_wake_time_even_while_another_timer_is_armed() -> None:
    text = """
tasks:
  main:
    - spawn: a
    - yield
    - sleep: 0
    - print: "main goes on"
  a:
    - sleep: 1
"""
    events = run_trace(text, runtime="gevent", time_scale=SCALE, snapshots=True)
    assert validate(events) == []
    waits = {(e["task"], e["reason"]): e.get("until") for e in of(events, "suspend")}
    assert waits[("a", "sleep")] == pytest.approx(SCALE, abs=0.05)
    assert waits[("main", "sleep")] is None  # gevent.sleep(0) arms no timer


def test_a_sleeper_wakes_no_earlier_than_its_stated_until() -> None:
    # `until` is the timer's own due time (libev's `at` once gevent.sleep started it, the
    # loop's time brought up to date first): the hub cannot fire it before then. Sleeps
    # of different lengths, and CPU work in between that leaves the loop's clock behind.
    text = """
tasks:
  main:
    - gather: s
  s:
    count: 4
    steps:
      - cpu: 0.02
      - sleep: 0.3
"""
    events = run_trace(text, runtime="gevent", time_scale=SCALE)
    assert validate(events) == []
    sleeps = {e["task"]: e for e in of(events, "suspend") if e["reason"] == "sleep"}
    woke = {e["task"]: e["t"] for e in of(events, "wake") if e["reason"] == "sleep"}
    assert set(sleeps) == set(woke) == {f"s[{k}]" for k in range(4)}
    seconds = 0.3 * SCALE
    for task, suspend in sleeps.items():
        due = suspend["until"]
        # Armed just before the task gave control away, for the sleep's length...
        assert suspend["t"] + seconds - 0.005 <= due <= suspend["t"] + seconds + 1e-6
        # ...and never fired before it.
        assert woke[task] >= due - 1e-6, (task, due, woke[task])
