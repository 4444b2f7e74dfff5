"""The explanation sentences: the right facts for each runtime and event, from hand-built states."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pytest

from simtui.replay.explain import explain, gloss
from simtui.replay.state import Held, ReadyEntry, State, TaskView
from simtui.scenario.model import RUNTIMES
from simtui.trace import labels


def tv(name: str, status: str = "waiting", **kw: Any) -> TaskView:
    return TaskView(name=name, status=status, since=kw.pop("since", 1.0), **kw)


def st(event: Mapping[str, Any] | None, *tasks: TaskView, ready: tuple[str, ...] = (),
       callbacks: tuple[str, ...] = (), departed: str | None = None,
       running_item: str | None = None, status: str | None = None) -> State:
    entries = tuple(ReadyEntry(n, False, False) for n in ready) + tuple(
        ReadyEntry(n, True, False) for n in callbacks)
    running = next((t.name for t in tasks if t.status == "running"), None)
    return State(
        index=0, t=float((event or {}).get("t", 0.0)), switch=0, running=running,
        running_item=running_item, came_from=(event or {}).get("from"), ready=entries,
        departed=departed, tasks={t.name: t for t in tasks},
        waiting=tuple(t.name for t in tasks if t.status == "waiting"),
        done=tuple(t.name for t in tasks if t.status == "done"), output_count=0,
        event=event, status=status,
    )


def ev(kind: str, task: str | None = None, **fields: Any) -> dict[str, Any]:
    return {"seq": 0, "t": fields.pop("t", 2.0), "type": kind, "task": task, **fields}


# -- switches -------------------------------------------------------------------------------


def test_asyncio_run_after_a_sleep_names_both_tasks_the_timer_and_the_loop() -> None:
    state = st(ev("run", "coco[4]", **{"from": "coco[3]"}),
               tv("coco[3]", reason="sleep", detail="3 s", until=4.0, op="sleep", line=21),
               tv("coco[4]", "running"), departed="coco[4]")
    prev = st(ev("suspend", "coco[3]"), tv("coco[4]", "ready"))
    text = explain("asyncio", state, prev)
    assert text.startswith("coco[3] awaited a 3 s sleep")
    assert "timer" in text
    assert "the loop runs the next ready entry, coco[4]" in text
    assert "first step" in text, "coco[4] had no step yet: it starts"


def test_sleep_duration_falls_back_to_the_timer_when_detail_has_none() -> None:
    state = st(ev("run", "b", **{"from": "a"}),
               tv("a", reason="sleep", detail="", since=1.0, until=1.25), tv("b", "running"))
    assert "250 ms" in explain("gevent", state)


def test_asyncio_task_resuming_after_its_timer_callback() -> None:
    state = st(ev("run", "main", **{"from": "main"}),
               tv("main", "running", op="sleep", line=28))
    text = explain("asyncio", state)
    assert "main resumes after its `sleep` (line 28)" in text
    assert "head of the ready queue" in text


def test_asyncio_resume_when_the_previous_task_stopped_long_before() -> None:
    # `from` is only the last task that ran: here worker[3] suspended before worker[0] woke.
    state = st(ev("run", "worker[0]", **{"from": "worker[3]"}),
               tv("worker[3]", reason="lock", detail="lock db", since=1.0),
               tv("worker[0]", "running", op="sleep", line=24, step=2, since=2.0))
    prev = st(ev("ready", "worker[0]"), tv("worker[3]", reason="lock", since=1.0),
              tv("worker[0]", "ready", step=2, since=1.9))
    text = explain("asyncio", state, prev)
    assert text.startswith("worker[0] resumes after its `sleep` (line 24)")
    assert "no Task ran since worker[3] began to wait" in text


def test_threads_preemption_names_the_switch_interval_and_the_os() -> None:
    state = st(ev("run", "worker[1]", **{"from": "worker[0]"}),
               tv("worker[0]", "ready", op="cpu", step=1), tv("worker[1]", "running"),
               ready=("worker[0]", "main"))
    text = explain("threads", state)
    assert "worker[0] lost the GIL" in text
    assert "switch interval (5 ms by default)" in text
    assert "the OS gave it to worker[1]" in text


def test_threads_preemption_quotes_the_runs_own_switch_interval() -> None:
    state = st(ev("run", "worker[1]", **{"from": "worker[0]"}),
               tv("worker[0]", "ready", op="cpu", step=1), tv("worker[1]", "running"),
               ready=("worker[0]", "main"))
    text = explain("threads", state, switch_interval=0.001)
    assert "switch interval (1 ms in this run)" in text
    assert "5 ms" not in text


def test_threads_yield_is_not_called_a_preemption() -> None:
    state = st(ev("run", "b", **{"from": "a"}), tv("a", "ready", op="yield", step=1),
               tv("b", "running"))
    text = explain("threads", state)
    assert "yielded (time.sleep(0))" in text
    assert "switch interval" not in text


def test_threads_sleep_releases_the_gil() -> None:
    state = st(ev("run", "b", **{"from": "a"}),
               tv("a", reason="sleep", detail="time.sleep", until=1.03, since=1.0),
               tv("b", "running"), ready=())
    text = explain("threads", state)
    assert "a called time.sleep (30 ms), which releases the GIL" in text
    assert "the OS gave the GIL to b" in text


def test_greenlet_finished_returns_to_parent_and_the_other_stays_suspended() -> None:
    state = st(ev("run", "main", **{"from": "task_a"}),
               tv("task_a", "done", parent="main"), tv("main", "running"),
               tv("task_b", reason="switch", detail="task_a", parent="main"))
    text = explain("greenlet", state)
    assert text.startswith("task_a returned")
    assert "its parent, main" in text
    assert "not to whoever switched to it" in text
    assert "task_b" in text and "stays suspended" in text


def test_greenlet_switch_goes_exactly_where_it_says() -> None:
    state = st(ev("run", "task_b", **{"from": "task_a"}),
               tv("task_a", reason="switch", detail="task_b"), tv("task_b", "running"))
    prev = st(ev("suspend", "task_a"), tv("task_b", "new"))
    text = explain("greenlet", state, prev)
    assert "task_a called switch() to task_b" in text
    assert "no scheduler decides" in text
    assert "starts from its first step" in text


def test_gevent_timer_switches_straight_into_the_greenlet() -> None:
    prev = st(ev("wake", "w0", reason="sleep"), tv("w0", reason="sleep", woken=True),
              tv("w2", reason="sleep"))
    state = st(ev("run", "w0", **{"from": "w2"}), tv("w0", "running"),
               tv("w2", reason="sleep"))
    text = explain("gevent", state, prev)
    assert "w0's sleep is over" in text
    assert "straight into w0" in text
    assert "w2" in text


def test_gevent_patched_time_sleep_yields_to_the_hub() -> None:
    state = st(ev("suspend", "w0", reason="sleep", until=1.02,
                  detail="1 s, time.sleep patched to gevent.sleep"),
               tv("w0", reason="sleep", detail="1 s, time.sleep patched to gevent.sleep",
                  op="block"))
    text = explain("gevent", state)
    assert "gevent.sleep in disguise" in text
    assert "yields to the hub instead of blocking it" in text


def test_gevent_switch_after_patched_sleep() -> None:
    state = st(ev("run", "w1", **{"from": "w0"}),
               tv("w0", reason="sleep", detail="1 s, time.sleep patched to gevent.sleep",
                  op="block"),
               tv("w1", "running"), departed="w1")
    text = explain("gevent", state)
    assert "monkey patching turned into gevent.sleep" in text
    assert "the hub switches to the next greenlet in its queue, w1" in text


# -- the scheduler held by one task ----------------------------------------------------------


def test_asyncio_time_sleep_blocks_the_whole_loop() -> None:
    state = st(ev("block", "coco[0]", reason="block", duration=0.5), tv("coco[0]", "blocking"))
    text = explain("asyncio", state)
    assert "calls time.sleep (500 ms), which blocks the whole event loop" in text
    assert "no other Task can run until it returns" in text
    measured = replace(state, held=Held("coco[0]", "block", 2.0, 0.503, 0.5))
    assert "blocks the whole event loop for 503 ms" in explain("asyncio", measured)


def test_asyncio_cpu_blocks_the_loop() -> None:
    text = explain("asyncio", st(ev("block", "w", reason="cpu", duration=2.0)))
    assert "pure-Python work" in text and "holds the event loop" in text and "2 s" in text


def test_gevent_unpatched_time_sleep_blocks_the_hub() -> None:
    text = explain("gevent", st(ev("block", "w", reason="block", duration=1.0)))
    assert "not monkey-patched" in text
    assert "blocks the hub's only thread" in text and "no greenlet can run" in text


def test_greenlet_blocking_call_has_nothing_else_to_run() -> None:
    text = explain("greenlet", st(ev("block", "task_g", reason="sleep", duration=1.0)))
    assert text.startswith("task_g calls time.sleep (1 s)")
    assert "greenlet has no scheduler" in text and "nothing else runs" in text


# -- asyncio specifics -----------------------------------------------------------------------


def test_await_coro_runs_inline_without_a_task() -> None:
    state = st(ev("step", "main", index=1, op="call", line=24, col=7), tv("main", "running"))
    text = explain("asyncio", state)
    assert "inline" in text and "no new Task" in text and "ready queue" in text
    plain = explain("gevent", state)
    assert "plain function" in plain and "asyncio" not in plain


def test_gather_done_callback_names_child_and_gatherer() -> None:
    state = st(ev("run", None, item="gather: coco[3] done", **{"from": "coco[9]"}),
               tv("main", reason="gather", detail="10 tasks"), running_item="gather: coco[3] done")
    text = explain("asyncio", state)
    assert "gather's done-callback for coco[3]" in text
    assert "main is woken" in text


def test_gather_done_callback_queued() -> None:
    state = st(ev("ready", None, item="gather: coco[0] done"), callbacks=("gather: coco[0] done",))
    text = explain("asyncio", state)
    assert "coco[0] finished" in text and "done-callback" in text and "not a Task" in text
    assert "position 1 of 1" in text


def test_timer_firing_on_asyncio() -> None:
    queued = explain("asyncio", st(ev("ready", None, item="timer coco[0]"),
                                   callbacks=("timer coco[0]",)))
    assert "timer of coco[0]'s sleep is due" in queued and "timer heap" in queued
    ran = explain("asyncio", st(ev("run", None, item="timer coco[0]", **{"from": "coco[9]"})))
    assert "due timer of coco[0]'s sleep" in ran and "back on the ready queue" in ran
    woke = explain("asyncio", st(ev("wake", "coco[0]", reason="sleep"),
                                 tv("coco[0]", reason="sleep", woken=True)))
    assert "coco[0]'s timer fired" in woke


def test_ready_after_wake_says_why() -> None:
    prev = st(ev("wake", "w1", reason="lock"), tv("w1", reason="lock", detail="lock db"))
    state = st(ev("ready", "w1"), tv("w1", "ready"), ready=("x", "w1"))
    text = explain("asyncio", state, prev)
    assert "lock db was released" in text and "position 2 of 2" in text


def test_first_task_and_loop_stop() -> None:
    first = explain("asyncio", st(ev("run", "main", **{"from": None}), tv("main", "running")))
    assert "first ready entry" in first and "asyncio.run()" in first
    stop = explain("asyncio", st(ev("run", None, item="run_until_complete: stop the loop",
                                    **{"from": "main"})))
    assert "loop stops" in stop


# -- ends ------------------------------------------------------------------------------------


def test_deadlock_lists_who_waits_on_what() -> None:
    state = st(ev("end", None, status="deadlock", elapsed=0.1,
                  stuck=[{"task": "a", "waiting_on": "lock x"},
                         {"task": "b", "waiting_on": "event go"}]), status="deadlock")
    text = explain("threads", state)
    assert text.startswith("Deadlock")
    assert "a waits for lock x" in text and "b waits for event go to be set" in text


def test_timeout_end() -> None:
    state = st(ev("end", None, status="timeout", elapsed=60.0,
                  stuck=[{"task": "a", "waiting_on": "sleep"}]))
    text = explain("asyncio", state)
    assert "timeout" in text and "60 s" in text and "a is asleep" in text


def test_timeout_end_with_tasks_still_busy_says_what_they_were_doing() -> None:
    state = st(ev("end", None, status="timeout", elapsed=60.0,
                  stuck=[{"task": "main", "waiting_on": "running"},
                         {"task": "b", "waiting_on": "ready"}]))
    text = explain("asyncio", state)
    assert "main is still running" in text and "b is still ready" in text
    assert "waits on running" not in text


def test_greenlet_end_with_an_abandoned_greenlet() -> None:
    state = st(ev("end", None, status="ok", elapsed=0.006,
                  stuck=[{"task": "task_b", "waiting_on": "switch"}]))
    text = explain("greenlet", state)
    assert "task_b never finished" in text and "suspended forever" in text


def test_error_and_limit_ends() -> None:
    err = explain("asyncio", st(ev("end", None, status="error", elapsed=1.0),
                                tv("worker[2]", "error"), tv("main", "done")))
    assert "ended with an error in worker[2] after 1 s" in err
    assert "main" not in err  # only the task that raised is named
    assert "event limit" in explain("gevent", st(ev("end", None, status="limit", elapsed=1.0)))


def test_killed_end_says_why_the_run_did_not_finish() -> None:
    why = "the worker was killed by SIGKILL, from outside simtui"
    text = explain("gevent", st(ev("end", None, status="killed", elapsed=2.5, message=why)))
    assert text.startswith("The run did not finish") and why in text and "2.5 s" in text


# -- every runtime and the quiet events ------------------------------------------------------


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_first_moment_is_runtime_specific(runtime: str) -> None:
    text = explain(runtime, st(None))
    word = {"asyncio": "event loop", "greenlet": "no scheduler", "gevent": "hub",
            "threads": "GIL"}[runtime]
    assert word in text


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_quiet_events_get_a_short_factual_sentence(runtime: str) -> None:
    out = explain(runtime, st(ev("output", "child[3]", text="hello")))
    assert "child[3] prints" in out and "hello" in out
    created = explain(runtime, st(ev("create", "child[3]", parent="spawner"),
                                  tv("spawner", "running")))
    assert created.startswith("spawner ") and "child[3]" in created
    step = explain(runtime, st(ev("step", "w", index=0, op="sleep", line=7, col=5)))
    assert "`sleep`" in step and "line 7" in step
    done = explain(runtime, st(ev("done", "w"), tv("w", "done", parent="main")))
    assert done.startswith("w")
    snap = explain(runtime, st(ev("queue", None, ready=["a", "b"])))
    assert "a, b" in snap and "snapshot" in snap
    error = explain(runtime, st(ev("error", "w", message="boom")))
    assert "boom" in error


_REASONS = ("sleep", "yield", "join", "gather", "lock", "event", "queue", "io", "switch",
            "preempt", None)
_STATUSES = ("new", "ready", "running", "waiting", "blocking", "done", "error")


def test_every_event_and_task_situation_gives_a_sentence() -> None:
    """No combination raises or comes back empty, whatever the runtime."""
    events = [
        ev("create", "t", parent=None), ev("create", "t", parent="m"), ev("ready", "t"),
        ev("ready", None, item="something"), ev("run", "t", **{"from": "m"}),
        ev("run", "t", **{"from": None}), ev("run", "t", **{"from": "t"}),
        ev("run", None, item="cb", **{"from": "m"}), ev("wake", "t", reason="x"),
        ev("step", "t", index=0, op="put", line=1, col=1), ev("block", "t", reason="io",
                                                             duration=0.1),
        ev("done", "t"), ev("error", None, message="m"), ev("queue", None, ready=[]),
        ev("end", None, status="ok", elapsed=0.0), ev("end", None, status="weird"),
        ev("mystery", "t"),
    ]
    for runtime, event, status, reason in itertools.product(
            (*RUNTIMES, "other"), events, _STATUSES, _REASONS):
        m = tv("m", status, reason=reason, detail="d", until=3.0, op="cpu", line=2, step=0)
        e = dict(event)
        if e["type"] == "wake":
            e["reason"] = reason or "sleep"
        state = st(e, m, tv("t", "running"), ready=("m",))
        text = explain(runtime, state, st(None, m))
        assert text and text.strip(), (runtime, e, status, reason)
    for runtime, reason in itertools.product(RUNTIMES, _REASONS):
        text = explain(runtime, st(ev("suspend", "t", reason=reason, detail="d"),
                                   tv("t", reason=reason, detail="d")))
        assert text.strip()


def test_gevent_notification_of_a_non_greenlet_is_not_called_a_finished_task() -> None:
    queued = explain("gevent", st(ev("ready", None, item="lock db.notify_links"),
                                  tv("w", reason="lock", detail="db"),
                                  callbacks=("lock db.notify_links",)))
    assert "finished" not in queued and "lock db" in queued
    ran = explain("gevent", st(ev("run", None, item="Semaphore.notify_links", **{"from": "w"}),
                               tv("main", reason="gather")))
    assert "gevent's own objects" in ran and "main" not in ran
    link = explain("gevent", st(ev("run", None, item="w.notify_links", **{"from": "w"}),
                                tv("w", "done"), tv("main", reason="gather")))
    assert "it wakes main, which joins w" in link


def test_join_waits_for_one_task_and_gather_for_all() -> None:
    join = explain("asyncio", st(ev("suspend", "main", reason="join", detail="consumer"),
                                 tv("main", reason="join", detail="consumer")))
    assert "until consumer finishes" in join
    gather = explain("asyncio", st(ev("suspend", "main", reason="gather", detail="3 tasks"),
                                   tv("main", reason="gather", detail="3 tasks")))
    assert "until they are all done" in gather


def test_woken_by_a_callback_only_right_after_it_ran() -> None:
    prev = st(ev("run", None, item="queue jobs.unlock", **{"from": "p"}),
              tv("c", reason="queue", detail="jobs (empty)"))
    state = st(ev("wake", "c", reason="queue"), tv("c", reason="queue", woken=True),
               running_item="queue jobs.unlock")
    assert "woken by queue jobs.unlock" in explain("gevent", state, prev)
    later = st(ev("step", "x", op="print"))
    assert "woken by" not in explain("gevent", state, later)


def test_eager_task_steps_run_inside_the_creators_call() -> None:
    # With the eager task factory the child's steps appear with no `run` of the child.
    step = st(ev("step", "w[0]", index=0, op="print", line=11), tv("main", "running"),
              tv("w[0]", "new"))
    text = explain("asyncio", step, step)
    assert "eagerly" in text and "inside main's create_task call" in text
    prev = st(ev("step", "w[0]", op="sleep"), tv("main", "running"), tv("w[0]", "new"))
    suspend = st(ev("suspend", "w[0]", reason="sleep", detail="1 s"), tv("main", "running"),
                 tv("w[0]", reason="sleep", detail="1 s"))
    text = explain("asyncio", suspend, prev)
    assert "control returns to main" in text
    normal = st(ev("step", "w[0]", op="print", line=11), tv("w[0]", "running"))
    assert "eagerly" not in explain("asyncio", normal, normal)


def test_a_scaled_sleep_says_how_long_it_really_is() -> None:
    scaled = explain("asyncio", st(ev("suspend", "c", t=1.0, reason="sleep", detail="3 s",
                                      until=1.06)))
    assert "for 3 s (60 ms at this run's time scale)" in scaled
    real = explain("asyncio", st(ev("suspend", "c", t=1.0, reason="sleep", detail="3 s",
                                    until=4.0)))
    assert "for 3 s:" in real and "time scale" not in real


def test_a_cancelled_asyncio_handle_is_named_as_such() -> None:
    text = explain("asyncio", st(ev("run", None, item="NoneType", **{"from": "u"})))
    assert "cancelled" in text and "NoneType" not in text


# -- queued callbacks in plain words ----------------------------------------------------------


@pytest.mark.parametrize(
    ("runtime", "item", "words"),
    [
        ("asyncio", labels.timer("coco[0]"), "coco[0]'s sleep is over: running it wakes coco[0]"),
        ("asyncio", labels.gather_done("coco[3]"), "counts coco[3] as finished for the gather"),
        ("asyncio", labels.STOP_LOOP, "main is done: this stops the loop"),
        ("asyncio", labels.CANCELLED, "cancelled after it was queued: the loop skips it"),
        ("asyncio", labels.io_callback("sock_connect_cb"),
         "asyncio's socket and stream machinery: connecting, reading, writing"),
        ("asyncio", "something", "the runtime's own work, not a task"),
        ("gevent", labels.notifier("worker[0]", "_notify_links"),
         "wakes whoever waits for worker[0] to finish"),
        ("gevent", labels.notifier("lock db", "unlock"), "wakes a greenlet waiting on lock db"),
        ("gevent", "AsyncResult.notify_links",
         "wakes whoever waits on a gevent result (a socket's or a thread's)"),
        ("gevent", "Hub.run_callback", "gevent calls run_callback of Hub"),
        ("gevent", "something", "the runtime's own work, not a task"),
    ],
)
def test_a_queued_callback_is_glossed_in_its_runtimes_words(
    runtime: str, item: str, words: str
) -> None:
    assert gloss(runtime, item) == words


@pytest.mark.parametrize(
    ("runtime", "item", "foreign"),
    [
        # A Task that is not one of the scenario's, with a dotted name, reads as a notifier.
        ("asyncio", "task helper.<locals>.step", "gevent"),
        ("gevent", labels.io_callback("sock_connect_cb"), "asyncio"),
        ("trio", "Hub.run_callback", "gevent"),
        ("trio", labels.io_callback("sock_connect_cb"), "asyncio"),
    ],
)
def test_no_runtime_glosses_a_callback_in_another_runtimes_words(
    runtime: str, item: str, foreign: str
) -> None:
    said = gloss(runtime, item)
    assert said and foreign not in said, said
