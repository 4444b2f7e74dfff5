"""One or two sentences on why the trace is where it is: the teaching voice of simtui.

`explain(runtime, state, prev)` reads only the replay `State` at the cursor (and the one an
event earlier): the current event, the tasks' statuses and reasons, the ready queue. It
never claims what the trace does not show; where a cause is not in the trace (why the
OS picked one thread over another) it says so.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from simtui.durations import format as format_seconds
from simtui.replay.state import State, TaskView
from simtui.trace import labels

SWITCH_INTERVAL_NOTE = "the interpreter's switch interval (5 ms by default)"

_QUEUE = {"asyncio": "the loop's ready queue", "gevent": "the hub's callback queue",
          "threads": "the set of runnable threads", "greenlet": "nothing (greenlet has no queue)"}

# What each op is on each runtime (scenario-format.md, "What each op means"): noun phrases.
_OP_MEANS: Mapping[str, Mapping[str, str]] = {
    "asyncio": {
        "sleep": "await asyncio.sleep, a timer the Task waits on while the loop runs others",
        "yield": "await asyncio.sleep(0), one trip to the back of the ready queue",
        "cpu": "pure-Python work with no await, which keeps the loop stuck until it ends",
        "block": "the standard time.sleep, which blocks the whole event loop",
        "io": "a real request over asyncio streams; the loop runs others while it waits",
        "spawn": "asyncio.create_task, which queues a new Task and runs none of it yet",
        "join": "an await on the Task until it finishes",
        "gather": "asyncio.gather: one Task per coroutine, then a wait for all of them",
        "acquire": "await asyncio.Lock.acquire()", "release": "asyncio.Lock.release()",
        "wait": "await asyncio.Event.wait()", "set": "asyncio.Event.set()",
        "put": "await asyncio.Queue.put()", "get": "await asyncio.Queue.get()",
    },
    "gevent": {
        "sleep": "gevent.sleep: a libev timer, then a switch to the hub",
        "yield": "gevent.sleep(0), a trip to the back of the hub's callback queue",
        "cpu": "pure-Python work that never switches to the hub, so nothing else runs",
        "block": "time.sleep, cooperative when monkey-patched, blocking the hub otherwise",
        "io": "a real request on a gevent socket; it waits in the hub while others run",
        "spawn": "gevent.spawn, which queues the start on the hub and runs nothing yet",
        "join": "Greenlet.join, a wait in the hub until it finishes",
        "gather": "a spawn of each, then gevent.joinall",
        "acquire": "a gevent lock's acquire()", "release": "a gevent lock's release()",
        "wait": "gevent Event.wait()", "set": "gevent Event.set()",
        "put": "gevent Queue.put()", "get": "gevent Queue.get()",
    },
    "greenlet": {
        "sleep": "time.sleep; with no scheduler nothing else can run meanwhile",
        "cpu": "pure-Python work", "block": "time.sleep", "io": "a blocking socket request",
        "spawn": "a greenlet created but not started: only a switch starts it",
        "switch": "greenlet.switch(), which hands control exactly there",
    },
    "threads": {
        "sleep": "time.sleep, which sleeps in the OS and releases the GIL",
        "yield": "time.sleep(0), a hint to let another thread take the GIL",
        "cpu": "pure-Python work that holds the GIL until the switch interval takes it away",
        "block": "time.sleep, which releases the GIL",
        "io": "a blocking socket request, which releases the GIL while it waits",
        "spawn": "Thread.start, a new OS thread", "join": "Thread.join()",
        "gather": "a start of every thread, then a join of them all",
        "acquire": "threading.Lock.acquire()", "release": "threading.Lock.release()",
        "wait": "threading.Event.wait()", "set": "threading.Event.set()",
        "put": "queue.Queue.put()", "get": "queue.Queue.get()",
    },
}

_WAITING_OPS = frozenset({"sleep", "io", "join", "gather", "acquire", "wait", "get", "put"})
"""Ops during which a thread gives the GIL up itself."""

_DURATION_TEXT = re.compile(r"(\d+(?:\.\d+)?)\s?(s|ms|µs|us|ns|m|min|h)\Z")
_UNIT_SECONDS = {"s": 1.0, "ms": 1e-3, "µs": 1e-6, "us": 1e-6, "ns": 1e-9, "m": 60.0,
                 "min": 60.0, "h": 3600.0}


class _Ctx:
    """The facts one explanation is built from."""

    __slots__ = ("ev", "interval", "prev", "runtime", "state")

    def __init__(self, runtime: str, state: State, prev: State | None,
                 switch_interval: float | None = None) -> None:
        self.runtime = runtime
        self.state = state
        self.prev = prev
        self.ev: Mapping[str, Any] = state.event or {}
        self.interval = (
            f"the interpreter's switch interval ({_seconds(switch_interval)} in this run)"
            if switch_interval else SWITCH_INTERVAL_NOTE
        )

    @property
    def task(self) -> str | None:
        return self.ev.get("task")

    def view(self, name: str | None) -> TaskView | None:
        return self.state.tasks.get(name) if name else None

    def before(self, name: str | None) -> TaskView | None:
        """The task one event earlier (what it was doing before this event)."""
        if not name or self.prev is None:
            return None
        return self.prev.tasks.get(name)

    def position(self, name: str, callback: bool = False) -> tuple[int, int] | None:
        """1-based place of `name` in the ready queue, and the queue's length."""
        for k, entry in enumerate(self.state.ready):
            if entry.name == name and entry.callback == callback:
                return k + 1, len(self.state.ready)
        return None


def explain(
    runtime: str, state: State, prev: State | None = None, switch_interval: float | None = None
) -> str:
    """Why the trace is where it is at `state`, in one sentence (two at most).

    `runtime` is the trace's runtime; `prev` is the state one event earlier, when known:
    it tells what a task was doing just before (the reason it was woken, say).
    `switch_interval` is the run's (threads: the trace header's options), when known.
    """
    if state.event is None:
        return _START.get(runtime, "Nothing has run yet.")
    ctx = _Ctx(runtime, state, prev, switch_interval)
    kind = str(ctx.ev.get("type", ""))
    handler = _HANDLERS.get(kind)
    text = handler(ctx) if handler is not None else None
    if not text:
        text = f"{ctx.task or 'The scheduler'}: a `{kind}` event."
    return text


# -- the first moment ------------------------------------------------------------------------

_START = {
    "asyncio": "Nothing has run yet: asyncio.run(main()) will create an event loop, wrap main "
               "in a Task and queue it; the loop then runs its ready entries one at a time, "
               "in order.",
    "greenlet": "Nothing has run yet: with raw greenlet there is no scheduler; main runs "
                "first, and control moves only where a switch() sends it, or to a finished "
                "greenlet's parent.",
    "gevent": "Nothing has run yet: gevent's hub, a greenlet running a libev loop, will "
              "start each spawned greenlet from its callback queue and switch to another "
              "whenever one waits.",
    "threads": "Nothing has run yet: every task will be a real OS thread; they share one "
               "GIL, so only one runs Python code at a time, and the OS decides which.",
}


# -- event handlers --------------------------------------------------------------------------


def _create(c: _Ctx) -> str:
    task, parent = c.task or "?", c.ev.get("parent")
    rt = c.runtime
    creator = c.view(parent)
    how = (creator.op if creator is not None else None) or ""
    if parent is None:
        return {
            "asyncio": f"asyncio.run() wrapped {task}() in a Task, the first entry its "
                       "event loop will run.",
            "greenlet": f"{task} is the greenlet the program starts in; every greenlet it "
                        "creates gets it as parent.",
            "gevent": f"{task} is spawned as a greenlet; the hub will start it from its "
                      "callback queue.",
            "threads": f"{task} is the scenario's first thread.",
        }.get(rt, f"{task} was created.")
    if rt == "asyncio":
        via = "asyncio.gather" if how == "gather" else "asyncio.create_task"
        return (f"{parent} made a Task for {task} ({via}): calling a coroutine function "
                "only builds a coroutine object; nothing of it has run yet.")
    if rt == "greenlet":
        return (f"{parent} created greenlet {task}, whose parent is {parent}; it does nothing "
                "until something switches to it.")
    if rt == "gevent":
        return (f"{parent} spawned greenlet {task} (gevent.spawn): it is not running yet, its "
                "start is queued on the hub.")
    if rt == "threads":
        return (f"{parent} created thread {task}, a real OS thread; once started it competes "
                "for the GIL with the others.")
    return f"{parent} created {task}."


def _ready(c: _Ctx) -> str:
    task, item, rt = c.task, c.ev.get("item"), c.runtime
    if task is None:
        return _ready_callback(c, str(item or "a callback"))
    pos = c.position(task)
    where = f" (position {pos[0]} of {pos[1]})" if pos else ""
    before = c.before(task)
    status = before.status if before else None
    reason = before.reason if before else None
    if rt == "threads":
        others = [e.name for e in c.state.ready if e.name != task and not e.callback]
        rivals = f", along with {_names(others)}" if others else ""
        if reason == "preempt":
            return (f"{task} lost the GIL but can still run: it waits for it again{rivals}; "
                    "there is no queue, the OS picks the next holder.")
        if status == "new":
            return (f"{task} has started and is runnable: it waits for the GIL{rivals}; the "
                    "OS, not a queue, decides who gets it.")
        why = _woken(c.runtime, reason, before.detail if before else None)
        return f"{task} is runnable again ({why}): it now waits for the GIL{rivals}."
    if rt == "gevent":
        if status == "new":
            return (f"gevent.spawn queued {task}'s start on the hub's callback queue"
                    f"{where}; the hub runs callbacks in order whenever the running greenlet "
                    "waits.")
        if reason == "yield":
            return (f"{task} yielded (gevent.sleep(0)): it goes to the back of the hub's "
                    f"queue{where}.")
        why = _woken(c.runtime, reason, before.detail if before else None)
        return (f"{task} can go on ({why}): the hub queued a callback{where} that will "
                "switch back into it.")
    # asyncio (and anything else with a FIFO ready queue)
    if status == "new":
        return (f"{task}'s Task is appended to the loop's ready queue{where}: it takes its "
                "first step when the loop reaches it (first in, first out).")
    if reason == "yield" or status == "running":
        return (f"{task} yielded (asyncio.sleep(0)): its Task goes to the back of the ready "
                f"queue{where}, behind everything already there.")
    why = _woken(c.runtime, reason, before.detail if before else None)
    return (f"{task} can go on ({why}), so its Task's wakeup is appended to the ready queue"
            f"{where}; it resumes when the loop gets there.")


def _ready_callback(c: _Ctx, item: str) -> str:
    rt = c.runtime
    pos = c.position(item, callback=True)
    where = f" (position {pos[0]} of {pos[1]})" if pos else ""
    if rt == "asyncio":
        if item.startswith("timer "):
            who = item[len("timer "):]
            return (f"The timer of {who}'s sleep is due: the loop moves it from its timer heap "
                    f"to the ready queue{where}; running it will wake {who}.")
        if item.startswith("gather: "):
            child = item[len("gather: "):].removesuffix(" done")
            return (f"{child} finished, so its Task queued gather's done-callback{where}: a "
                    "plain callback, not a task, that counts the finished children.")
        if item.startswith("run_until_complete"):
            return ("main's Task is done: asyncio.run()'s callback that stops the loop is "
                    f"queued{where}.")
        return (f"The loop queued {item}{where}: a callback of asyncio's own machinery (its "
                "transports and streams), not a task's step.")
    if rt == "gevent":
        if item.endswith(".notify_links"):
            who = item[: -len(".notify_links")]
            if who in c.state.tasks:
                return (f"{who} is finished: gevent queued its link notification on the hub"
                        f"{where}; running it wakes whoever joins {who}.")
            return (f"{who} changed state: gevent queued the callback that notifies whoever "
                    f"waits on it{where}.")
        if item.endswith(".unlock"):
            what = item[: -len(".unlock")]
            return (f"{_cap(what)} changed: gevent queued a callback{where} to wake a greenlet "
                    "waiting on it.")
        return f"The hub queued callback {item}{where}: gevent's own work, not a greenlet."
    return f"{_cap(item)} was queued{where}."


def _run(c: _Ctx) -> str:
    task, came, rt = c.task, c.ev.get("from"), c.runtime
    if task is None:
        return _run_callback(c, str(c.ev.get("item") or "a callback"), came)
    if came is None:
        return {
            "asyncio": f"The loop takes its first ready entry, {task}'s Task, and runs it: "
                       f"asyncio.run() has started {task}().",
            "greenlet": f"{task} starts running: it is the greenlet the program began in.",
            "gevent": f"The hub starts {task}, the first greenlet in its callback queue.",
            "threads": f"{task} takes the GIL and starts running Python code.",
        }.get(rt, f"{task} starts running.")
    if came == task:
        return _resume_self(c, task)
    woke = _woken_just_now(c, task)
    if rt == "gevent" and woke is not None:
        # A timer or I/O watcher switches into its greenlet straight from the hub.
        before = c.prev.tasks.get(task) if c.prev is not None else None
        why = _woken(rt, woke, before.detail if before else None)
        return (f"{task} can go on ({why}), and the hub switches straight into it, with no "
                f"trip through its callback queue ({came} ran before it).")
    came_view = c.view(came)
    if (came_view is not None and came_view.status == "ready" and came_view.op != "yield"
            and rt != "threads"):
        # `from` is only the last task that ran: it has since been woken and queued too, so
        # the switch is about `task` reaching the head of the queue, not about `came`.
        return _resume_self(c, task, also=came)
    before = c.before(task)
    if (came_view is not None and came_view.status in ("waiting", "done", "error")
            and before is not None and before.status == "ready" and before.step is not None
            and before.since > came_view.since):
        # `task` became ready only after `came` had stopped: nothing ran in between but
        # the scheduler's own work, so the switch is about `task` being ready, not `came`.
        return _resume_after_idle(c, task, came, came_view)
    why = _why_left(c, came, task)
    if rt == "threads" and came_view is not None and came_view.status == "ready":
        return f"{why}."  # the handoff clause already says who got the GIL
    then = _who_next(c, came, task)
    return f"{why}; {then}."


def _resume_after_idle(c: _Ctx, task: str, came: str, came_view: TaskView) -> str:
    v = c.view(task)
    where = f" after its `{v.op}` (line {v.line})" if v and v.op and v.line else ""
    stopped = "finished" if came_view.status != "waiting" else "began to wait"
    if c.runtime == "threads":
        return (f"{task} is runnable again and takes the GIL, resuming{where}; no other "
                f"thread ran since {came} {stopped}.")
    if c.runtime == "gevent":
        return (f"{task} resumes{where}: the hub switched back into it; no greenlet ran since "
                f"{came} {stopped}.")
    return (f"{task} resumes{where}: its wakeup reached the head of the ready queue, so the "
            f"loop runs its Task again; no task ran since {came} {stopped}.")


def _eager_in(c: _Ctx, task: str) -> str | None:
    """The task whose create_task call runs `task`'s first steps eagerly, if that is so.

    With asyncio's eager task factory a new Task's first step runs inside `create_task`,
    before the creator yields: the trace shows the child's steps with no `run` of it.
    """
    host = c.state.running
    if c.runtime != "asyncio" or host is None or host == task:
        return None
    v = c.before(task) or c.view(task)
    return host if v is not None and v.status in ("new", "ready", "running") else None


def _woken_just_now(c: _Ctx, task: str) -> str | None:
    """The wait reason when `task` was woken and switched to without entering the queue."""
    before = c.before(task)
    if before is not None and before.status == "waiting" and before.woken:
        return before.reason or ""
    ev = c.prev.event if c.prev is not None else None
    if ev is not None and ev.get("type") == "wake" and ev.get("task") == task:
        return str(ev.get("reason") or "")
    return None


def _why_left(c: _Ctx, came: str, task: str) -> str:
    """Why `came` stopped running (a clause)."""
    rt = c.runtime
    v = c.view(came)
    if v is None:
        return f"{came} stopped running"
    if v.status == "done":
        return {"greenlet": f"{came} returned", "threads": f"{came}'s thread finished"}.get(
            rt, f"{came} finished")
    if v.status == "error":
        return f"{came} raised an error and ended"
    if v.status == "ready":
        if v.op == "yield":
            means = {"asyncio": "asyncio.sleep(0)", "gevent": "gevent.sleep(0)",
                     "threads": "time.sleep(0)"}.get(rt, "a yield")
            return f"{came} yielded ({means}) and is ready again"
        if rt == "threads":
            if v.op in _WAITING_OPS:
                return (f"{came}'s `{v.op}` is over and it is runnable again, but the GIL "
                        f"went to {task}: the OS decides which waiting thread gets it")
            return (f"{came} lost the GIL: {c.interval} forced a handoff, and which "
                    f"waiting thread gets it is up to the OS, this time {task}")
        if rt == "gevent":
            return f"{came} yielded (gevent.sleep(0)) and went to the back of the hub's queue"
        return f"{came} yielded (asyncio.sleep(0)) and went to the back of the ready queue"
    if v.status in ("waiting", "blocking") and v.reason:
        return _waits_clause(c, came, v)
    return f"{came} gave up control"


def _waits_clause(c: _Ctx, who: str, v: TaskView) -> str:
    """`who` suspended for `v.reason` (a clause, runtime-specific)."""
    rt, reason, detail = c.runtime, v.reason or "", v.detail or ""
    dur = _duration(detail, v.until, v.since)
    if reason == "sleep":
        if rt == "asyncio":
            return f"{who} awaited a{_an(dur)} sleep: it suspends on a timer"
        if rt == "gevent":
            if labels.read_wait(reason, detail).has(labels.PATCHED) or v.op == "block":
                return (f"{who} called time.sleep, which monkey patching turned into "
                        "gevent.sleep: instead of blocking the hub it armed a timer and "
                        "switched to the hub")
            return (f"{who} called gevent.sleep{_paren(dur)}: it armed a libev timer and "
                    "switched to the hub")
        if rt == "threads":
            return f"{who} called time.sleep{_paren(dur)}, which releases the GIL"
        return f"{who} sleeps{_paren(dur)}"
    if reason in ("gather", "join"):
        what = f"{reason} ({detail})" if detail else reason
        if rt == "asyncio":
            until = ("they are all done" if reason == "gather"
                     else f"{detail} finishes" if detail else "it finishes")
            return f"{who} awaits {what}: its Task suspends until {until}"
        if rt == "gevent":
            if reason == "gather":
                return (f"{who} waits in joinall for {detail or 'its greenlets'}: it switched "
                        "to the hub")
            return f"{who} waits in join for {detail or 'a greenlet'}: it switched to the hub"
        if rt == "threads":
            return f"{who} waits in Thread.join ({detail or reason}), which releases the GIL"
        return f"{who} waits for {what}"
    if reason == "lock":
        lw = labels.read_wait(reason, detail)
        name = lw.subject
        held = f"lock {name}" if name else "a lock"
        if lw.holder:
            return f"{who} waits for {held}, held by {lw.holder}" + (
                ", which releases the GIL" if rt == "threads" else "")
        if rt == "threads":
            return f"{who} blocks on {held}, held by another thread, which releases the GIL"
        return f"{who} waits for {held}, which another task holds"
    if reason == "event":
        started = labels.read_wait(reason, detail).started_thread
        if started is not None:
            return (f"{who} waits in Thread.start until {started} signals that it is "
                    "running (waiting releases the GIL)")
        name = labels.read_wait(reason, detail).subject
        return f"{who} waits for event {name or '(unnamed)'} to be set"
    if reason == "queue":
        qw = labels.read_wait(reason, detail)
        name = qw.subject
        text = f"{who} waits on queue {name}" if name else f"{who} waits on a queue"
        if qw.notes:
            text += f" ({', '.join(qw.notes)})"
        return text + (", which releases the GIL" if rt == "threads" else "")
    if reason == "io":
        iw = labels.read_wait(reason, detail)
        written = _seconds(iw.seconds) if iw.seconds is not None else ""
        what = ("waits for its connection to the delay server to open"
                if iw.phase == labels.CONNECT else
                f"waits for the server's reply, which comes {written} after the request"
                if written else "waits for the server's reply")
        if rt == "asyncio":
            return f"{who} {what}: the socket waits in the selector and the Task suspends"
        if rt == "gevent":
            return f"{who} {what}: an I/O watcher is armed and it switched to the hub"
        if rt == "threads":
            return f"{who} {what}, blocked in a socket call, which releases the GIL"
        return f"{who} {what}"
    if reason == "switch":
        return f"{who} called switch() to {detail or 'another greenlet'}"
    if reason == "yield":
        return f"{who} yielded"
    if reason == "preempt":
        return (f"{who} lost the GIL: {c.interval} forced a handoff, and the OS "
                "chose the next holder")
    return f"{who} suspended ({reason}{': ' + detail if detail else ''})"


def _who_next(c: _Ctx, came: str, task: str) -> str:
    """Where control went, and why there (a clause)."""
    rt = c.runtime
    before = c.before(task)
    fresh = before is not None and before.status in ("new", "ready") and before.step is None
    if rt == "asyncio":
        head = "the next ready entry" if c.state.departed == task else "a ready entry"
        return f"the loop runs {head}, {task}" + (", which takes its first step" if fresh else "")
    if rt == "gevent":
        start = "starts" if fresh else "resumes"
        return f"the hub switches to the next greenlet in its queue, {task}, which {start}"
    if rt == "threads":
        others = sum(1 for e in c.state.ready if not e.callback)
        among = f", one of {others + 1} runnable threads" if others else ""
        return f"the OS gave the GIL to {task}{among}"
    if rt == "greenlet":
        came_view = c.view(came)
        if came_view is not None and came_view.status == "done":
            left = [n for n, v in c.state.tasks.items()
                    if v.status == "waiting" and v.reason == "switch" and v.detail == came
                    and n != task]
            stays = (f"; {_names(left)}, which switched to {came}, stays suspended"
                     if left else "")
            return (f"a finished greenlet's control goes to its parent, {task}, not to "
                    f"whoever switched to it{stays}")
        start = "starts from its first step" if fresh else "resumes inside its own switch() call"
        return f"control goes exactly there, no scheduler decides: {task} {start}"
    return f"{task} runs"


def _resume_self(c: _Ctx, task: str, also: str | None = None) -> str:
    v = c.view(task)
    where = f" after its `{v.op}` (line {v.line})" if v and v.op and v.line else ""
    rt = c.runtime
    if rt == "asyncio":
        tail = f"; {also}, which ran before it, waits further back" if also else ""
        return (f"{task} resumes{where}: its wakeup reached the head of the ready queue, so "
                f"the loop runs its Task again{tail}.")
    if rt == "gevent":
        tail = f"; {also}, which ran before it, is queued too" if also else ""
        return f"{task} resumes{where}: the hub switched back into it{tail}."
    if rt == "threads":
        return f"{task} takes the GIL again and resumes{where}."
    return f"{task} resumes{where}."


def _run_callback(c: _Ctx, item: str, came: str | None) -> str:
    rt = c.runtime
    if rt == "asyncio":
        if item.startswith("timer "):
            who = item[len("timer "):]
            return (f"The loop runs the due timer of {who}'s sleep: it completes the sleep's "
                    f"future, whose callback puts {who}'s Task back on the ready queue.")
        if item.startswith("gather: "):
            child = item[len("gather: "):].removesuffix(" done")
            waiting = [n for n, v in c.state.tasks.items()
                       if v.status == "waiting" and v.reason == "gather"]
            who = _names(waiting) if waiting else "the gathering task"
            return (f"The loop runs gather's done-callback for {child}: it counts {child} as "
                    f"finished; when the last child is counted, {who} is woken.")
        if item.startswith("run_until_complete"):
            return ("The loop runs asyncio.run()'s last callback: main's Task is done, so the "
                    "loop stops and is closed.")
        if item in ("NoneType", "cancelled"):
            # A Handle's callback is dropped when it is cancelled after being queued.
            return ("The loop reaches a callback that was cancelled after it was queued: it "
                    "pops it and skips it.")
        return (f"The loop runs {item}, a callback of asyncio's own I/O machinery: no task "
                "runs meanwhile, this is the loop's own work.")
    if rt == "gevent":
        if item.endswith(".notify_links"):
            who = item[: -len(".notify_links")]
            if who not in c.state.tasks:
                return (f"The hub runs {who}'s notification callback: it wakes the greenlets "
                        f"waiting on {who}.")
            waiting = [n for n, v in c.state.tasks.items()
                       if v.status == "waiting" and v.reason in ("gather", "join")]
            wakes = f" ({_names(waiting)})" if waiting else ""
            return (f"The hub runs {who}'s link notification: it wakes the greenlets that "
                    f"join {who}{wakes}.")
        if item.endswith(".unlock"):
            what = item[: -len(".unlock")]
            return (f"The hub runs the callback queued when {what} changed: it wakes a "
                    f"greenlet waiting on {what}.")
        return f"The hub runs callback {item}: gevent's own work between greenlets."
    return f"The scheduler runs {item}."


def _suspend(c: _Ctx) -> str:
    task, rt = c.task or "?", c.runtime
    reason = str(c.ev.get("reason") or "")
    detail = str(c.ev.get("detail") or "")
    until = c.ev.get("until")
    t = float(c.ev.get("t") or 0.0)
    dur = _duration(detail, until, t)
    wake = f" due at t = {until:.4f} s" if isinstance(until, (int, float)) else ""
    host = _eager_in(c, task)
    if host is not None:
        return (f"{task} suspends ({reason}{': ' + detail if detail else ''}): its eager "
                f"first step ends, and control returns to {host}, inside its create_task "
                "call.")
    if reason == "sleep":
        if rt == "asyncio":
            dur += _scaled_note(detail, until, t)
            return (f"{task} awaits asyncio.sleep{_for(dur)}: the loop arms a timer{wake}, and "
                    "the Task gives control back to the loop.")
        if rt == "gevent":
            if labels.read_wait(reason, detail).has(labels.PATCHED):
                return (f"{task} calls time.sleep, which is gevent.sleep in disguise (monkey "
                        f"patching): the greenlet arms a timer{wake} and yields to the hub "
                        "instead of blocking it, so the others keep running.")
            return (f"{task} calls gevent.sleep{_for(dur)}: a libev timer is armed{wake}, and "
                    "the greenlet switches to the hub.")
        if rt == "threads":
            return (f"{task} calls time.sleep{_for(dur)}: the thread sleeps in the OS and "
                    "releases the GIL, so another thread can run.")
    if reason == "preempt":
        return (f"{task} is preempted: {c.interval} asked it to drop the GIL so "
                "that a waiting thread can take it.")
    if reason == "switch":
        return (f"{task} calls switch() to {detail or 'another greenlet'}: it stays suspended "
                "at that call until some greenlet switches back to it.")
    if reason == "yield":
        means = {"asyncio": "asyncio.sleep(0)", "gevent": "gevent.sleep(0)",
                 "threads": "time.sleep(0)"}.get(rt, "a yield")
        return f"{task} yields with {means}: it gives control away without waiting for anything."
    view = c.view(task)
    clause = _waits_clause(c, task, view) if view is not None and view.reason else None
    if clause:
        tail = {"asyncio": "; the loop moves on to its next ready entry",
                "gevent": "; the hub runs whatever is ready next",
                "threads": "" if "GIL" in clause else "; another thread can take the GIL",
                }.get(rt, "")
        return f"{clause}{tail}."
    return f"{task} suspends ({reason})."


def _wake(c: _Ctx) -> str:
    task, rt = c.task or "?", c.runtime
    reason = str(c.ev.get("reason") or "")
    before = c.before(task) or c.view(task)
    why = _woken(rt, reason, before.detail if before else None)
    if rt == "asyncio":
        if reason == "sleep":
            return (f"{task}'s timer fired: its sleep's future is complete, so the Task's "
                    "wakeup goes on the ready queue.")
        return f"{task} can go on ({why}): its Task will be queued to resume."
    if rt == "gevent":
        if reason == "sleep":
            return f"{task}'s libev timer fired: the hub will switch back into it."
        last = c.prev.event if c.prev is not None else None
        by = (last.get("item") if last is not None and last.get("type") == "run"
              and last.get("task") is None else None)
        via = f", woken by {by}" if by else ""
        return f"{task} can go on ({why}{via}): the hub will switch back into it."
    if rt == "threads":
        return (f"{task} can go on ({why}): the thread is runnable again, but it must win the "
                "GIL to continue.")
    return f"{task} can go on ({why})."


def _step(c: _Ctx) -> str:
    task, rt = c.task or "?", c.runtime
    op = str(c.ev.get("op") or "?")
    line = c.ev.get("line")
    at = f" (line {line})" if line else ""
    if op == "call":
        if rt == "asyncio":
            return (f"{task} awaits a coroutine directly{at}: `await coro()` runs it inline in "
                    f"{task}'s own Task; no new Task is made and nothing enters the ready "
                    "queue.")
        return (f"{task} calls another task's steps{at} as a plain function: they run inside "
                f"{task}, with no switch.")
    host = _eager_in(c, task)
    if host is not None:
        return (f"{task} reaches `{op}`{at} eagerly: with the eager task factory its first "
                f"step runs inside {host}'s create_task call, before {host} gives control "
                "away.")
    means = _OP_MEANS.get(rt, {}).get(op)
    if op == "print":
        return f"{task} reaches a `print`{at}."
    if op == "repeat":
        return f"{task} enters a `repeat` loop{at}."
    if means:
        return f"{task} reaches `{op}`{at}: on {rt}, {means}."
    return f"{task} reaches `{op}`{at}."


def _output(c: _Ctx) -> str:
    task = c.task or "?"
    text = str(c.ev.get("text", ""))
    if len(text) > 80:
        text = text[:79] + "…"
    return f"{task} prints \u201c{text}\u201d."


def _block(c: _Ctx) -> str:
    task, rt = c.task or "?", c.runtime
    reason = str(c.ev.get("reason") or "")
    duration = c.ev.get("duration")
    d = _seconds(float(duration)) if isinstance(duration, (int, float)) else ""
    if rt == "asyncio":
        if reason == "cpu":
            return (f"{task} runs {d} of pure-Python work with no await: the event loop is "
                    "blocked, no other task can run until it returns.")
        return (f"{task} calls time.sleep{_paren(d)}: time.sleep blocks the whole event loop, "
                "no other task can run until it returns (asyncio.sleep would not).")
    if rt == "gevent":
        if reason == "cpu":
            return (f"{task} runs {d} of pure-Python work: it never switches to the hub, so "
                    "no other greenlet can run until it ends.")
        return (f"{task} calls time.sleep{_paren(d)} without monkey patching: the real "
                "time.sleep blocks the hub's only thread, so no greenlet can run until it "
                "returns.")
    if rt == "greenlet":
        what = {"cpu": f"runs {d} of pure-Python work", "io": f"makes a {d} blocking request",
                "sleep": f"calls time.sleep{_paren(d)}", "block": f"calls time.sleep{_paren(d)}",
                }.get(reason, f"blocks ({reason} {d})")
        return (f"{task} {what}: greenlet has no scheduler, so control stays here until it "
                "returns.")
    return f"{task} blocks the scheduler ({reason}{_paren(d)}): nothing else runs until it returns."


def _done(c: _Ctx) -> str:
    task, rt = c.task or "?", c.runtime
    v = c.view(task)
    parent = v.parent if v is not None else None
    if rt == "asyncio":
        if parent is None:
            return (f"{task}'s coroutine returned: its Task is done, and asyncio.run() will "
                    "stop the loop.")
        return (f"{task}'s coroutine returned: its Task is done, and the callbacks waiting "
                "on it (a gather's, an awaiting task's) are scheduled on the ready queue.")
    if rt == "greenlet":
        if parent:
            return (f"{task} returned: the greenlet is dead, and control passes to its "
                    f"parent, {parent}.")
        return (f"{task} returned: the program's main greenlet is done, so the run ends; a "
                "greenlet still suspended is simply abandoned.")
    if rt == "gevent":
        return (f"{task} finished: the greenlet is dead, and the hub will notify its links "
                "(the greenlets joining it).")
    if rt == "threads":
        return (f"{task}'s thread finished: it gives up the GIL for good, and a thread "
                "joining it can go on.")
    return f"{task} finished."


def _error(c: _Ctx) -> str:
    who = c.task or "The scheduler"
    return f"{who} raised an error: {c.ev.get('message', '')}"


def _queue(c: _Ctx) -> str:
    ready = [str(x) for x in c.ev.get("ready") or []]
    where = _QUEUE.get(c.runtime, "the ready queue")
    listed = ", ".join(ready) if ready else "empty"
    return (f"A snapshot of {where}, read from the runtime's own data structure: {listed}.")


def _end(c: _Ctx) -> str:
    status = str(c.ev.get("status") or c.state.status or "")
    elapsed = c.ev.get("elapsed")
    after = f" after {_seconds(float(elapsed))}" if isinstance(elapsed, (int, float)) else ""
    stuck = list(c.ev.get("stuck") or c.state.stuck or [])
    stuck_text = ", ".join(_stuck_phrase(s) for s in stuck)
    if status == "ok":
        if stuck and c.runtime == "greenlet":
            names = _names([str(s.get("task")) for s in stuck])
            return (f"The run ended normally{after}. {names} never finished: nobody switched "
                    "back to it, so it is left suspended forever and the program just ends.")
        if stuck:
            return f"The run ended normally{after}; still waiting at the end: {stuck_text}."
        return f"The run ended normally{after}: every task finished."
    if status == "deadlock":
        return (f"Deadlock{after}: every remaining task waits and nothing can ever wake "
                f"them ({stuck_text or 'no details'}).")
    if status == "timeout":
        tail = f"; unfinished: {stuck_text}" if stuck_text else ""
        return f"The run hit the scenario's timeout{after} and was stopped{tail}."
    if status == "error":
        failed = [n for n, v in c.state.tasks.items() if v.status == "error"]
        who = f" in {_names(failed)}" if failed else ""
        return f"The run ended with an error{who}{after}."
    if status == "limit":
        return f"The run was stopped{after}: it reached the event limit."
    if status == "killed":
        message = c.ev.get("message")
        why = f": {message}" if message else ""
        return f"The run did not finish{after}{why}."
    return f"The run ended ({status or 'unknown status'}){after}."


_HANDLERS: dict[str, Callable[[_Ctx], str]] = {
    "create": _create, "ready": _ready, "run": _run, "suspend": _suspend, "wake": _wake,
    "step": _step, "output": _output, "block": _block, "done": _done, "error": _error,
    "queue": _queue, "end": _end,
}


# -- wording helpers --------------------------------------------------------------------------


def _woken(runtime: str, reason: str | None, detail: str | None) -> str:
    """Why a waiting task can go on, from what it waited for (a clause)."""
    detail = detail or ""
    if reason == "sleep":
        return "its sleep is over"
    wait = labels.read_wait(reason, detail)
    if reason == "io":
        if wait.phase == labels.CONNECT:
            return "its connection to the server is open"
        return "its network reply arrived"
    if reason == "event" and wait.started_thread is not None:
        started = wait.started_thread
        return f"{started} signalled that it started"
    if reason == "event":
        name = wait.subject
        return f"event {name} was set" if name else "the event was set"
    if reason == "lock":
        name = wait.subject
        return f"lock {name} was released" if name else "the lock was released"
    if reason == "queue":
        name = wait.subject
        return f"queue {name} changed" if name else "the queue changed"
    if reason == "gather":
        if runtime == "gevent":
            return "a greenlet it waits for in joinall finished"
        if runtime == "threads":
            return "every thread it started has finished"
        return "every task it gathered is done"
    if reason == "join":
        joined = wait.subject
        if joined and " " not in joined:
            return f"{joined} finished"
        return "the threads it joins have finished" if runtime == "threads" else (
            "what it joins finished")
    if reason == "switch":
        return "a greenlet switched back to it"
    if reason == "yield":
        return "its yield is over"
    return f"its {reason} is over" if reason else "its wait is over"


def _scaled_note(detail: str, until: object, since: float) -> str:
    """` (60 ms at this run's time scale)` when the timer is not the length written."""
    m = _DURATION_TEXT.match(detail.strip()) if detail else None
    if m is None or not isinstance(until, (int, float)):
        return ""
    written = float(m.group(1)) * _UNIT_SECONDS[m.group(2)]
    real = float(until) - since
    if written <= 0 or real < 0 or abs(real - written) <= 0.2 * written:
        return ""
    return f" ({_seconds(real)} at this run's time scale)"


def _duration(detail: str, until: object, since: float | None) -> str:
    """A sleep's length: as the runtime wrote it, else from the timer's due time."""
    if detail and _DURATION_TEXT.match(detail.strip()):
        return detail.strip()
    if isinstance(until, (int, float)) and since is not None and until >= since:
        return _seconds(float(until) - float(since))
    return ""


def _stuck_phrase(entry: Mapping[str, Any]) -> str:
    """`b waiting on lock db`, or `main running` / `b ready` for a task that was not waiting."""
    task = entry.get("task") or "?"
    on = str(entry.get("waiting_on") or "something")
    if on in ("running", "ready", "runnable"):
        return f"{task} {on}"
    return f"{task} waiting on {on}"


def _seconds(s: float) -> str:
    return format_seconds(s, digits=3)


def _an(dur: str) -> str:
    """` 3 s` / `n 8 ms` after "a": "a 3 s sleep", "an 8 ms sleep", "a sleep"."""
    if not dur:
        return ""
    return ("n " if dur[0] in "8" or dur.startswith(("11 ", "18 ")) else " ") + dur


def _for(dur: str) -> str:
    return f" for {dur}" if dur else ""


def _paren(text: str) -> str:
    return f" ({text})" if text else ""


def _strip(text: str, prefix: str) -> str:
    return text[len(prefix):] if text.startswith(prefix) else text


def _names(names: list[str]) -> str:
    if len(names) <= 3:
        return " and ".join(names) if len(names) <= 2 else f"{names[0]}, {names[1]} and {names[2]}"
    return f"{names[0]}, {names[1]} and {len(names) - 2} others"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]
