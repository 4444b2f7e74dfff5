"""asyncio's voice: one event loop, a FIFO ready queue of Task steps and callbacks, and timers.

`asyncio.run(main())` makes a loop and a Task for main. The loop repeats one thing: it
moves the timers that are due from its heap to the ready queue, then runs every entry of
the ready queue in order. An entry is a Task's next step (up to its next `await` that
really waits) or a plain callback (a timer's, gather's done-callback, a socket's). A
Task that awaits something gives control back to the loop; nothing else ever takes it.
With nothing ready, the loop sleeps in its selector until the next timer is due or a
socket is ready.
"""

from __future__ import annotations

from simtui.replay.state import TaskView
from simtui.replay.voices._words import (
    Moment,
    article,
    at,
    joined,
    names,
    position,
    scaled,
    seconds,
    sleep_length,
    sockets_of,
    wait_of,
)
from simtui.replay.voices.neutral import Voice
from simtui.runtimespec import RuntimeSpec
from simtui.trace import labels

_OPS = {
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
}


class AsyncioVoice(Voice):
    """The event loop's chapter."""

    def start(self, m: Moment) -> str:
        return ("Nothing has run yet: asyncio.run(main()) will create an event loop, wrap "
                "main in a Task and queue it; the loop then runs its ready entries one at a "
                "time, in order.")

    # -- Tasks come and go ------------------------------------------------------------------

    def create(self, m: Moment) -> str:
        task, parent = m.task, m.event.get("parent")
        if parent is None:
            return (f"asyncio.run() wrapped {task}() in a Task, the first entry its event "
                    "loop will run.")
        creator = m.view(parent)
        via = "asyncio.gather" if creator is not None and creator.op == "gather" else (
            "asyncio.create_task")
        return (f"{parent} made a Task for {task} ({via}): calling a coroutine function only "
                "builds a coroutine object; nothing of it has run yet.")

    def done(self, m: Moment) -> str:
        task = m.task
        v = m.view(task)
        if v is None or v.parent is None:
            return (f"{task}'s coroutine returned: its Task is done, and asyncio.run() will "
                    "stop the loop.")
        return (f"{task}'s coroutine returned: its Task is done; whatever awaits it (a "
                "gather's done-callback, a joining Task) hears of it through the ready "
                "queue.")

    # -- the ready queue --------------------------------------------------------------------

    def ready_first(self, m: Moment, task: str, where: str) -> str:
        return (f"{task}'s Task is appended to the loop's ready queue{where}: it takes "
                "its first step when the loop reaches it (first in, first out).")

    def ready_yielded(self, m: Moment, task: str, where: str) -> str:
        return (f"{task} yielded (asyncio.sleep(0)): its Task goes to the back of the "
                f"ready queue{where}, behind everything already there.")

    def ready_woken(self, m: Moment, task: str, where: str, cause: str) -> str:
        return (f"{m.sentence(cause)}, so {task}'s wakeup is appended to the ready queue{where}; "
                "it resumes when the loop gets there.")

    def ready_callback(self, m: Moment, item: labels.Item) -> str:
        where = position(m.state, item.raw, callback=True)
        if item.kind == "timer":
            return (f"The timer of {item.subject}'s sleep is due: the loop moves it from its "
                    f"timer heap to the ready queue{where}; running it will wake "
                    f"{item.subject}.")
        if item.kind == "gather_done":
            return (f"{item.subject} finished, so its Task queued gather's done-callback"
                    f"{where}: a plain callback, not a Task, that counts the finished "
                    "children.")
        if item.kind == "stop_loop":
            return ("main's Task is done: asyncio.run()'s callback that stops the loop is "
                    f"queued{where}.")
        if item.kind == "io":
            return (f"The loop queued {item.raw}{where}: a callback of asyncio's own socket "
                    "and stream machinery, not a Task's step.")
        return (f"The loop queued {item.raw}{where}: a callback of asyncio's own machinery, "
                "not a Task's step.")

    def queue_name(self) -> str:
        return "the loop's ready queue"

    def gather_over(self, task: str, by: str | None) -> str:
        # gather's outer future is done only when its last child is: one wake in all.
        return f"the last of the Tasks {task} gathered finished"

    # -- switches ---------------------------------------------------------------------------

    def first_run(self, m: Moment, task: str) -> str:
        return (f"The loop takes its first ready entry, {task}'s Task, and runs it: "
                f"asyncio.run() has started {task}().")

    def run(self, m: Moment) -> str:
        task, came = m.event.get("task"), m.event.get("from")
        if task is None or came is None or came == task:
            return super().run(m)
        came_view = m.view(came)
        if came_view is not None and came_view.status == "ready" and came_view.op != "yield":
            # `from` is only the last Task that ran: it has been woken and queued since,
            # so the switch is about `task` reaching the head of the queue.
            return self.resume(m, task, also=came)
        before = m.before(task)
        if (came_view is not None and came_view.status in ("waiting", "done", "error")
                and before is not None and before.status == "ready" and before.step is not None
                and before.since > came_view.since):
            # `task` was queued only after `came` had stopped: nothing ran in between but
            # the loop's own callbacks.
            stopped = "began to wait" if came_view.status == "waiting" else "finished"
            return (f"{self.resumed(m, task)}; no Task ran since {came} {stopped}.")
        return super().run(m)

    def resume(self, m: Moment, task: str, also: str | None = None) -> str:
        tail = f"; {also}, which ran before it, waits further back" if also else ""
        return f"{self.resumed(m, task)}{tail}."

    def resumed(self, m: Moment, task: str) -> str:
        return (f"{task} resumes{self.where(m, task)}{self.woken_tail(m, task)}: its wakeup "
                "reached the head of the ready queue, so the loop runs its Task again")

    def left(self, m: Moment, came: str, task: str) -> str:
        v = m.view(came)
        if v is not None and v.status == "ready":
            return f"{came} yielded (asyncio.sleep(0)) and went to the back of the ready queue"
        return super().left(m, came, task)

    def next(self, m: Moment, came: str, task: str) -> str:
        head = "the next ready entry" if m.state.departed == task else "a ready entry"
        return f"the loop runs {head}, {task}{self.fresh(m, task)}{self.woken_tail(m, task)}"

    def gloss(self, item: labels.Item) -> str:
        if item.kind == "stop_loop":
            return "main is done: this stops the loop"
        if item.kind == "cancelled":
            return "cancelled after it was queued: the loop skips it"
        if item.kind == "io":
            return "asyncio's socket and stream machinery: connecting, reading, writing"
        if item.kind == "notify":  # a Task not the scenario's, whose name has a dot in it
            return "the runtime's own work, not a task"
        return super().gloss(item)

    def run_callback(self, m: Moment, item: labels.Item) -> str:
        if item.kind == "timer":
            who = item.subject
            return (f"The loop runs the due timer of {who}'s sleep: it completes the sleep's "
                    f"future, whose callback puts {who}'s Task back on the ready queue.")
        if item.kind == "gather_done":
            gathering = [v.name for v in m.waiting() if v.reason == "gather"]
            who = names(gathering) if gathering else "the gathering Task"
            return (f"The loop runs gather's done-callback for {item.subject}: it counts "
                    f"{item.subject} as finished; when the last child is counted, {who} is "
                    "woken.")
        if item.kind == "stop_loop":
            return ("The loop runs asyncio.run()'s last callback: main's Task is done, so "
                    "the loop stops and is closed.")
        if item.kind == "cancelled":
            return ("The loop reaches a callback that was cancelled after it was queued: it "
                    "pops it and skips it.")
        if item.kind == "io":
            return (f"The loop runs {item.raw}, a callback of asyncio's socket and stream "
                    "machinery (connecting, reading, writing): no Task runs meanwhile.")
        return (f"The loop runs {item.raw}, a callback of asyncio's own machinery: no Task "
                "runs meanwhile.")

    # -- waits ------------------------------------------------------------------------------

    def waits(self, m: Moment, who: str, v: TaskView) -> str:
        wait = wait_of(v)
        reason = wait.reason
        if reason == "sleep":
            return f"{who} awaited {_sleep(v)}: it suspends on a timer"
        if reason == "lock":
            held = f", held by {wait.holder}" if wait.holder else ", which another Task holds"
            return f"{who} awaits lock {wait.subject}{held}: its Task suspends until it is free"
        if reason == "gather":
            return (f"{who} awaits gather ({joined(wait)}): its Task suspends until they are "
                    "all done")
        if reason == "join":
            return f"{who} awaits {wait.subject}'s Task: it suspends until {wait.subject} finishes"
        if reason == "event":
            return f"{who} awaits event {wait.subject}: its Task suspends until a Task sets it"
        if reason == "queue":
            if wait.has(labels.FULL):
                return (f"{who} awaits a put on queue {wait.subject}, which is full: its Task "
                        "suspends until a get makes room")
            return (f"{who} awaits a get from queue {wait.subject}, which is empty: its Task "
                    "suspends until a put brings an item")
        if reason == "io":
            if wait.phase == labels.CONNECT:
                return (f"{who} awaits its connection to the delay server "
                        "(asyncio.open_connection): the socket waits in the loop's selector")
            step = f" (a {seconds(wait.seconds)} `io` step)" if wait.seconds is not None else ""
            return (f"{who} sent its request and awaits the server's reply{step}: the socket "
                    "waits in the loop's selector")
        return super().waits(m, who, v)

    def suspend(self, m: Moment) -> str:
        task = m.task
        reason = str(m.event.get("reason") or "")
        host = _eager_host(m, task)
        if host is not None:
            detail = m.event.get("detail")
            return (f"{task} suspends ({reason}{': ' + str(detail) if detail else ''}): its "
                    f"eager first step ends, and control returns to {host}, inside its "
                    "create_task call.")
        if reason == "sleep":
            length = sleep_length(None, m.event)
            until = m.event.get("until")
            due = f" due at {at(float(until))}" if isinstance(until, int | float) else ""
            wait = labels.read_wait(reason, m.event.get("detail"))
            real = float(until) - m.t if isinstance(until, int | float) else None
            more = scaled(wait.seconds, real)
            return (f"{task} awaits asyncio.sleep{' for ' + length if length else ''}{more}: "
                    f"the loop arms a timer{due}, and the Task gives control back to the "
                    "loop.")
        if reason == "yield":
            return (f"{task} awaits asyncio.sleep(0): it gives control back to the loop "
                    "without waiting for anything, and its Task goes straight back on the "
                    "ready queue.")
        v = m.view(task)
        if v is None or not v.reason:
            return super().suspend(m)
        tail = "" if m.state.stop == "idle" else "; the loop moves on to its next ready entry"
        return f"{self.waits(m, task, v)}{tail}."

    def wake(self, m: Moment) -> str:
        task = m.task
        reason = str(m.event.get("reason") or "")
        if reason == "sleep":
            return (f"{task}'s timer fired: its sleep's future is complete, so the Task's "
                    "wakeup goes on the ready queue.")
        before = m.before(task) or m.view(task)
        cause = self.cause(m, task, before)
        return f"{m.sentence(cause)}: {task} can go on; its Task will be queued to resume."

    # -- the loop blocked, the loop idle ----------------------------------------------------

    def idle(self, m: Moment) -> str:
        timer, io = m.next_timer(), m.io_waiters()
        if timer is None and not io:
            return super().idle(m)
        sockets = f"for I/O on {sockets_of(io)}"
        due = (f"until {at(timer.until or 0.0)}, when {timer.name}'s timer is due"
               if timer is not None else "")
        if io:
            how = f"waits in select() {sockets}" + (f", or at most {due}" if due else "")
        else:
            how = f"sleeps in select() {due}"
        return f"The loop has nothing ready: it {how}."

    def block(self, m: Moment) -> str:
        asked, held = m.blocking()
        if m.event.get("reason") == "cpu":
            return (f"{m.task} runs pure-Python work with no await{asked}: it holds the event "
                    f"loop{held}, and no other Task can run until it returns.")
        return (f"{m.task} calls time.sleep{asked}, which blocks the whole event loop{held}: "
                "no other Task can run until it returns (await asyncio.sleep would let them).")

    def blocking_call(self, reason: str) -> str:
        return "pure-Python work" if reason == "cpu" else "time.sleep"

    # -- steps ------------------------------------------------------------------------------

    def step(self, m: Moment) -> str:
        op = str(m.event.get("op") or "?")
        line = m.event.get("line")
        where = f" (line {line})" if line else ""
        task = m.task
        if op == "call":
            return (f"{task} awaits a coroutine directly{where}: `await coro()` runs it "
                    f"inline in {task}'s own Task; no new Task is made and nothing enters "
                    "the ready queue.")
        host = _eager_host(m, task)
        if host is not None:
            return (f"{task} reaches `{op}`{where} eagerly: with the eager task factory its "
                    f"first step runs inside {host}'s create_task call, before {host} gives "
                    "control away.")
        return super().step(m)

    def op_means(self, op: str) -> str:
        means = _OPS.get(op)
        return f"on asyncio, {means}" if means else ""


def _sleep(v: TaskView) -> str:
    """`a 3 s sleep`, from the sleep's written length or its timer."""
    length = sleep_length(v)
    return article(f"{length} sleep") if length else "a sleep"


def _eager_host(m: Moment, task: str) -> str | None:
    """The Task whose create_task call runs `task`'s first steps eagerly, if that is so.

    With asyncio's eager task factory a new Task's first step runs inside `create_task`,
    before its creator yields: the trace shows the child's steps with no `run` of it.
    """
    host = m.state.running
    if host is None or host == task:
        return None
    v = m.before(task) or m.view(task)
    return host if v is not None and v.status in ("new", "ready", "running") else None


def voice(spec: RuntimeSpec | None) -> Voice:
    return AsyncioVoice(spec)
