"""The explanation over real traces: each kind of sentence checked against the trace it explains."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

import pytest

from simtui import durations
from simtui.replay.explain import Narrator, explain, switch_interval, waits
from simtui.replay.model import Replay
from simtui.replay.state import State
from simtui.scenario.loader import bundled_scenarios, load_scenario
from simtui.trace import labels
from simtui.trace.model import Trace
from tests.tracehelp import Event, run_trace

TIME_SCALE = 0.02
"""Real sleeps, shortened: a 3 s sleep takes 60 ms."""

CASES = [(path.stem, rt)
         for path in bundled_scenarios() for rt in load_scenario(str(path)).runtimes]


@cache
def _trace(name: str, runtime: str) -> tuple[Event, ...]:
    return tuple(run_trace(name, runtime, time_scale=TIME_SCALE))


def replay_of(events: tuple[Event, ...] | list[Event]) -> Replay:
    return Replay(Trace.from_events(list(events)))


@cache
def sentences(name: str, runtime: str) -> tuple[str, ...]:
    """The sentence at every cursor position of a real run, from before the first event."""
    events = _trace(name, runtime)
    replay = replay_of(events)
    interval = switch_interval(events[0])
    out, prev = [], None
    for i in range(-1, len(replay)):
        state = replay.state(i)
        out.append(explain(runtime, state, prev, interval))
        prev = state
    return tuple(out)


def stops(events: tuple[Event, ...] | list[Event]) -> Iterator[tuple[int, State, str]]:
    """(event index, state, sentence) at every stop of a trace, as the Why pane has them."""
    replay = replay_of(events)
    header = events[0]
    runtime = str(header["runtime"])
    for i in replay.stops:
        state = replay.state(i)
        prev = replay.state(i - 1)
        yield i, state, explain(runtime, state, prev, switch_interval(header))


def _need(name: str, runtime: str) -> None:
    assert (name, runtime) in CASES, f"no bundled scenario {name} on {runtime}"


# -- every sentence, everywhere -------------------------------------------------------------


@pytest.mark.parametrize(("name", "runtime"), CASES, ids=[f"{n}-{r}" for n, r in CASES])
def test_every_position_of_a_real_run_has_a_sentence(name: str, runtime: str) -> None:
    texts = sentences(name, runtime)
    assert len(texts) >= 3
    for i, text in enumerate(texts):
        assert text.strip(), f"empty sentence at event {i - 1}"
        assert "{" not in text and not re.search(r"\bNone\b", text), (
            f"unfilled text at event {i - 1}: {text}")
        assert not re.search(r": a `\w+` event\.$", text), f"a fallback at event {i - 1}: {text}"


@pytest.mark.parametrize(("name", "runtime"), CASES, ids=[f"{n}-{r}" for n, r in CASES])
def test_a_stop_names_no_task_with_a_capital_it_does_not_have(name: str, runtime: str) -> None:
    events = _trace(name, runtime)
    tasks = {e["task"] for e in events[1:] if e.get("task")}
    capped = {t[0].upper() + t[1:] for t in tasks if t[:1].islower()}
    for _, _, text in stops(events):
        for word in re.findall(r"[A-Za-z_][\w\[\]]*", text):
            assert word not in capped, f"{word!r} is not how the task is named: {text}"


def test_the_narrator_gives_at_each_stop_what_the_finished_trace_gives() -> None:
    """`--explain` narrates as the run streams in: an idle stop decided one event late
    must read the same as in the whole trace."""
    events = list(_trace("lock_contention", "asyncio"))
    narrator = Narrator()
    live = []
    for event in events:
        live += [(e, why) for e, why in narrator.feed(event) if e.get("type") != "header"]
    live += narrator.close()
    whole = {i: text for i, _, text in stops(events)}
    assert [why for _, why in live if why is not None] == list(whole.values())
    assert [e for e, _ in live] == events[1:]


# -- the stops between switches -------------------------------------------------------------


IDLE_WORDS = {
    "asyncio": "The loop has nothing ready: it sleeps in select() until t = {t}, when {task}'s "
               "timer is due.",
    "gevent": "The hub has nothing ready: it waits in its libev loop until t = {t}, when "
              "{task}'s timer is due.",
    "threads": "No thread holds the GIL: every thread waits in the OS until t = {t}, when "
               "{task}'s time.sleep ends.",
}


@pytest.mark.parametrize("runtime", sorted(IDLE_WORDS))
def test_an_idle_stop_says_what_the_scheduler_waits_for(runtime: str) -> None:
    _need("gather10", runtime)
    events = _trace("gather10", runtime)
    idle = [(i, text) for i, state, text in stops(events) if state.stop == "idle"]
    assert idle, "all ten asleep is a stop"
    i, text = idle[0]
    # The moment the last task went to wait, all ten asleep: nothing is left to run.
    assert events[i + 1]["type"] == "suspend"
    sleeps = [e for e in events[1 : i + 2] if e["type"] == "suspend" and e["reason"] == "sleep"]
    assert len(sleeps) == 10
    first = min(sleeps, key=lambda e: e["until"])
    expected = IDLE_WORDS[runtime].format(t=f"{first['until']:.4f} s", task=first["task"])
    assert text.endswith(expected), text
    # And the run really waited: the next event is later, the timer's or its wake.
    assert events[i + 2]["t"] > events[i + 1]["t"]


def test_no_idle_stop_where_something_is_still_to_run() -> None:
    for name, runtime in CASES:
        events = _trace(name, runtime)
        for i, state, _ in stops(events):
            if state.stop == "idle":
                assert state.running is None, (name, runtime, i)
                assert not state.ready, (name, runtime, i, state.ready)
                assert state.waiting, (name, runtime, i)
                assert events[i + 2]["type"] != "end", (name, runtime, i)


@pytest.mark.parametrize(("name", "runtime", "words"), [
    ("gather10_blocking", "asyncio", "calls time.sleep, which blocks the whole event loop for "
                                     "{d}: no other Task can run until it returns"),
    ("gevent_unpatched", "gevent", "calls the real time.sleep, not monkey-patched in this run: "
                                   "it blocks the hub's only thread for {d}"),
    ("threads_cpu", "asyncio", "runs pure-Python work with no await: it holds the event loop "
                               "for {d}"),
    ("threads_cpu", "gevent", "runs pure-Python work that never switches to the hub: it holds "
                              "the hub for {d}"),
])
def test_a_blocked_stop_says_how_long_the_scheduler_was_held(
    name: str, runtime: str, words: str
) -> None:
    _need(name, runtime)
    events = _trace(name, runtime)
    blocks = [e for e in events if e["type"] == "block"]
    held = [(i, state, text) for i, state, text in stops(events) if state.stop == "blocked"]
    assert len(held) == len(blocks) >= 3
    for block, (i, state, text) in zip(blocks, held, strict=True):
        assert events[i + 1] is block, "the stop is the blocking call itself"
        after = events[i + 2]
        assert after["task"] == block["task"], "nothing else ran meanwhile"
        d = durations.format(after["t"] - block["t"], 3)
        assert text.startswith(f"{block['task']} " + words.format(d=d)), text
        assert state.held is not None and state.held.task == block["task"]


# -- waits, and who ends them ---------------------------------------------------------------


@pytest.mark.parametrize("runtime", ["asyncio", "gevent", "threads"])
def test_an_io_wait_names_its_phase(runtime: str) -> None:
    _need("threads_io", runtime)
    texts = sentences("threads_io", runtime)
    events = _trace("threads_io", runtime)
    phases = 0
    for i, e in enumerate(events[1:]):
        text = texts[i + 1]
        if e["type"] == "suspend" and e["reason"] == "io":
            phase = labels.read_wait("io", e["detail"]).phase
            phases += 1
            if phase == labels.CONNECT:
                assert "connect" in text and "reply" not in text, text
            else:
                assert phase == labels.REPLY and "reply" in text and "connect" not in text, text
        if e["type"] in ("wake", "run") and e.get("task"):
            # Waking from a connect is never the reply arriving (the server answers later).
            last = [x for x in events[1 : i + 1]
                    if x["type"] == "suspend" and x["task"] == e["task"]]
            connect = bool(last) and last[-1]["reason"] == "io" and labels.read_wait(
                "io", last[-1]["detail"]).phase == labels.CONNECT
            assert not connect or f"reply to {e['task']} arrived" not in text, text
    assert phases >= 6, "three requests, a connect and a reply each"


@pytest.mark.parametrize("runtime", ["asyncio", "gevent", "threads"])
def test_a_lock_wait_names_the_holder(runtime: str) -> None:
    _need("lock_contention", runtime)
    texts = sentences("lock_contention", runtime)
    events = _trace("lock_contention", runtime)
    waits = 0
    for i, e in enumerate(events[1:]):
        if e["type"] == "suspend" and e["reason"] == "lock":
            holder = labels.read_wait("lock", e["detail"]).holder
            assert holder is not None
            assert f"lock db, held by {holder}" in texts[i + 1], texts[i + 1]
            waits += 1
    assert waits == 3, "workers 1, 2 and 3 find the lock taken"


@pytest.mark.parametrize("runtime", ["asyncio", "gevent"])
def test_a_release_says_who_hands_the_lock_to_whom(runtime: str) -> None:
    _need("lock_contention", runtime)
    events = _trace("lock_contention", runtime)
    told = {}
    for _, state, text in stops(events):
        ev = state.event or {}
        if ev.get("type") == "run" and ev.get("task") and "released lock db" in text:
            told[ev["task"]] = text
    for k in (1, 2, 3):
        me = f"worker[{k}]"
        wake = next(e for e in events[1:] if e["type"] == "wake" and e["task"] == me
                    and e["reason"] == "lock")
        releaser = [e["task"] for e in events[1 : wake["seq"] + 1]
                    if e["type"] == "step" and e["op"] == "release"][-1]
        assert me in told, f"no stop says {me} got the lock"
        assert f"{releaser} released lock db" in told[me], told[me]
        others = [f"worker[{j}]" for j in range(k + 1, 4)]
        if others:
            assert "its longest waiter" in told[me] and all(o in told[me] for o in others)


# -- the end ----------------------------------------------------------------------------------


ABBA = """\
timeout: 5
tasks:
  main:
    - gather: [a, b]
  a:
    - acquire: x
    - sleep: 0.05
    - acquire: y
  b:
    - acquire: y
    - sleep: 0.05
    - acquire: x
"""


@pytest.mark.parametrize("runtime", ["asyncio", "gevent", "threads"])
def test_a_deadlock_names_its_cycle(runtime: str) -> None:
    events = run_trace(ABBA, runtime)
    assert events[-1]["status"] == "deadlock"
    *_, (_, state, text) = stops(events)
    assert state.stop == "end"
    cycles = ("a waits for lock y held by b, which waits for lock x held by a",
              "b waits for lock x held by a, which waits for lock y held by b")
    assert any(c in text for c in cycles), text
    assert "main waits for a and b to finish" in text


@pytest.mark.parametrize("runtime", ["asyncio", "gevent", "threads"])
def test_the_waiting_list_says_who_holds_the_lock_a_task_waits_for(runtime: str) -> None:
    events = run_trace(ABBA, runtime)
    replay = replay_of(events)
    state = replay.state(len(replay) - 2)  # the last moment before the deadlock is found
    said = {name: waits(state.tasks[name]) for name in state.waiting}
    holders = {e["task"]: labels.read_wait("lock", e["detail"]).holder
               for e in events[1:] if e["type"] == "suspend" and e["reason"] == "lock"}
    assert holders == {"a": "b", "b": "a"}
    assert said["a"] == "waits for lock y, held by b" and said["b"] == "waits for lock x, held by a"
    assert said["main"] == "waits for a and b to finish"


def _end(name: str, runtime: str) -> str:
    *_, (_, state, text) = stops(_trace(name, runtime))
    assert state.stop == "end"
    return text


def _waited(events: tuple[Event, ...], reason: str) -> float:
    """The summed length of every wait of `reason` that a wake ended: suspend to wake."""
    since: dict[str, float] = {}
    total = 0.0
    for e in events[1:]:
        if e["type"] == "suspend":
            since[e["task"]] = e["t"] if e["reason"] == reason else -1.0
        elif e["type"] == "wake" and since.get(e["task"], -1.0) >= 0:
            total += e["t"] - since.pop(e["task"])
    return total


@pytest.mark.parametrize("runtime", ["asyncio", "gevent", "threads"])
def test_the_end_of_overlapping_sleeps_says_they_overlapped(runtime: str) -> None:
    events = _trace("gather10", runtime)
    text = _end("gather10", runtime)
    elapsed = durations.format(events[-1]["elapsed"], 3)
    slept = durations.format(_waited(events, "sleep"), 3)
    assert f"{elapsed} in all (time scale {TIME_SCALE:g}) for {slept} of 10 sleeps: they " \
           "overlapped." in text, text


def test_the_end_of_blocking_sleeps_says_they_ran_one_after_another() -> None:
    events = _trace("gather10_blocking", "asyncio")
    held = sum(state.held.seconds or 0.0 for _, state, _ in stops(events)
               if state.stop == "blocked" and state.held)
    text = _end("gather10_blocking", "asyncio")
    assert (f"{durations.format(held, 3)} of it in 10 calls of time.sleep, one after "
            "another: each held the event loop, so nothing overlapped them.") in text, text


def test_the_end_of_cpu_bound_threads_counts_the_gil_handoffs() -> None:
    events = _trace("threads_cpu", "threads")
    preempts = sum(1 for e in events if e["type"] == "suspend" and e["reason"] == "preempt")
    text = _end("threads_cpu", "threads")
    assert preempts >= 2, "three CPU-bound threads, each longer than the switch interval"
    assert f"it changed hands {preempts} times by preemption" in text, text
    assert "a 5 ms switch interval, which is a minimum, not a period" in text


@pytest.mark.parametrize("runtime", ["asyncio", "gevent", "threads"])
def test_the_end_of_a_lock_queue_says_the_sleeps_did_not_overlap(runtime: str) -> None:
    events = _trace("lock_contention", runtime)
    text = _end("lock_contention", runtime)
    waited = durations.format(_waited(events, "lock"), 3)
    assert "of 4 sleeps: they did not overlap" in text, text
    assert f"tasks waited {waited} in all for lock db" in text, text


def test_the_end_of_the_greenlet_example_says_task_b_is_abandoned() -> None:
    text = _end("greenlet_pingpong", "greenlet")
    assert "task_b never finished: nobody switched back to it" in text


# -- switches, in each runtime's words ------------------------------------------------------


def _has(name: str, runtime: str, *needles: str) -> bool:
    return any(all(n in t for n in needles) for t in sentences(name, runtime))


def test_gather10_on_asyncio_queues_ten_tasks_in_order() -> None:
    _need("gather10", "asyncio")
    assert _has("gather10", "asyncio",
                "After queueing 10 new Tasks in order (coco[0] … coco[9]), main awaits gather",
                "the loop runs the next ready entry, coco[0], which takes its first step")
    assert _has("gather10", "asyncio", "coco[3] awaited a 3 s sleep", "timer",
                "the loop runs the next ready entry, coco[4]")
    assert _has("gather10", "asyncio", "gather's done-callback for coco[9]", "main")


def test_pingpong_on_greenlet_explains_the_return_to_the_parent() -> None:
    _need("greenlet_pingpong", "greenlet")
    assert _has("greenlet_pingpong", "greenlet", "task_a returned", "its parent, main",
                "task_b", "stays suspended")


def test_unpatched_gevent_explains_the_blocked_hub() -> None:
    _need("gevent_unpatched", "gevent")
    assert _has("gevent_unpatched", "gevent", "not monkey-patched", "blocks the hub's only thread")


def test_patched_gevent_explains_the_cooperative_sleep() -> None:
    _need("gevent_monkey", "gevent")
    assert _has("gevent_monkey", "gevent", "gevent.sleep in disguise")


def test_cpu_threads_explain_the_gil_handoff() -> None:
    _need("threads_cpu", "threads")
    assert _has("threads_cpu", "threads", "lost the GIL", "switch interval (5 ms in this run)",
                "the OS gave it to", "no hook sees the handoff: the trace infers it from")


def test_queue_snapshots_do_not_hide_a_direct_switch_from_the_hub() -> None:
    """With --snapshots a `queue` event sits before each `run`: the sentence must not change."""
    _need("gevent_monkey", "gevent")
    events = run_trace("gevent_monkey", "gevent", time_scale=TIME_SCALE, snapshots=True)
    replay = replay_of(events)
    texts, prev = [], None
    for i in range(-1, len(replay)):
        state = replay.state(i)
        texts.append(explain("gevent", state, prev))
        prev = state
    assert any("snapshot of the hub's callback queue" in t for t in texts)
    assert any("the hub switches straight into worker[" in t for t in texts)


def test_a_runtime_simtui_does_not_know_gets_a_plain_voice() -> None:
    events = [dict(e) for e in _trace("lock_contention", "gevent")]
    events[0] = {**events[0], "runtime": "fibers"}
    del events[0]["queue"]
    replay = replay_of(events)
    prev = None
    for i in range(-1, len(replay)):
        state = replay.state(i)
        text = explain("fibers", state, prev)
        prev = state
        assert text.strip()
        assert not re.search(r"\b(hub|greenlet|gevent|GIL|asyncio)\b", text.replace(
            "notify_links", "")), text
