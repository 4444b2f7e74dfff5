"""The voice of OS threads under the GIL: one runs Python at a time, and the OS picks which.

Every task is a real OS thread. They share one GIL: only the thread that holds it runs
Python code. A thread gives it up when it waits (time.sleep, a socket call, a lock, an
event, a join), and also when another thread has waited for it longer than the switch
interval: the waiter then asks, and the holder drops it at its next check. The interval
is a minimum wait, not a period, and there is no queue: which runnable thread gets the
GIL next is the OS's choice, so turns need not be round-robin or regular.
"""

from __future__ import annotations

from simtui.replay.state import TaskView
from simtui.replay.voices._words import (
    Moment,
    at,
    joined,
    names,
    paren,
    sleep_length,
    sockets_of,
    wait_of,
)
from simtui.replay.voices.neutral import Voice
from simtui.runtimespec import RuntimeSpec
from simtui.trace import labels

_OPS = {
    "sleep": "time.sleep, which sleeps in the OS and releases the GIL",
    "yield": "time.sleep(0), a hint to let another thread take the GIL",
    "cpu": "pure-Python work: it keeps the GIL until a waiting thread asks for it",
    "block": "time.sleep, which releases the GIL",
    "io": "a blocking socket request, which releases the GIL while it waits",
    "spawn": "Thread.start, a new OS thread", "join": "Thread.join()",
    "gather": "a start of every thread, then a join of them all",
    "acquire": "threading.Lock.acquire()", "release": "threading.Lock.release()",
    "wait": "threading.Event.wait()", "set": "threading.Event.set()",
    "put": "queue.Queue.put()", "get": "queue.Queue.get()",
}

_WAITING_OPS = frozenset({"sleep", "block", "io", "join", "gather", "acquire", "wait", "get",
                          "put", "spawn"})
"""Ops during which a thread gives the GIL up itself."""


class ThreadsVoice(Voice):
    """The GIL's chapter."""

    def start(self, m: Moment) -> str:
        return ("Nothing has run yet: every task will be a real OS thread; they share one "
                "GIL, so only one runs Python code at a time, and the OS decides which.")

    def create(self, m: Moment) -> str:
        task, parent = m.task, m.event.get("parent")
        if parent is None:
            return f"{task} is the scenario's first thread."
        return (f"{parent} created thread {task}, a real OS thread; once started it competes "
                "for the GIL with the others.")

    def done(self, m: Moment) -> str:
        return (f"{m.task}'s thread finished: it gives up the GIL for good, and a thread "
                "joining it can go on.")

    # -- the runnable set -------------------------------------------------------------------

    def rivals(self, m: Moment, task: str) -> str:
        others = [e.name for e in m.state.ready if e.name != task and not e.callback]
        return f", along with {names(others)}" if others else ""

    def ready(self, m: Moment) -> str:
        task = m.task
        before = m.before(task)
        rivals = self.rivals(m, task)
        if before is not None and before.reason == "preempt":
            return (f"{task} lost the GIL but can still run: it waits for it again{rivals}; "
                    "there is no queue, the OS picks the next holder.")
        if before is None or before.status == "new":
            return (f"{task} has started and is runnable: it waits for the GIL{rivals}; the "
                    "OS, not a queue, decides who gets it.")
        if before.status == "running":
            return f"{task} yielded (time.sleep(0)): it is still runnable{rivals}."
        cause = self.cause(m, task, before)
        return f"{m.sentence(cause)}: {task} is runnable again and waits for the GIL{rivals}."

    def queue_name(self) -> str:
        return "the set of runnable threads"

    def gather_over(self, task: str, by: str | None) -> str:
        # The wait is for every thread: it ends once, when the last one has finished.
        return f"the last of the threads {task} joins finished"

    # -- who holds the GIL ------------------------------------------------------------------

    def first_run(self, m: Moment, task: str) -> str:
        return f"{task} takes the GIL and starts running Python code."

    def run(self, m: Moment) -> str:
        task, came = m.event.get("task"), m.event.get("from")
        if task is None or came is None or came == task:
            return super().run(m)
        came_view = m.view(came)
        before = m.before(task)
        if (came_view is not None and came_view.status in ("waiting", "done", "error")
                and before is not None and before.status == "ready" and before.step is not None
                and before.since > came_view.since):
            stopped = "began to wait" if came_view.status == "waiting" else "finished"
            return (f"{task} is runnable again and takes the GIL, resuming"
                    f"{self.where(m, task)}{self.woken_tail(m, task)}; no other thread ran "
                    f"since {came} {stopped}.")
        if came_view is not None and came_view.status == "ready":
            return f"{self.left(m, came, task)}{self.woken_tail(m, task)}."
        return super().run(m)

    def resume(self, m: Moment, task: str) -> str:
        return (f"{task} takes the GIL again and resumes{self.where(m, task)}"
                f"{self.woken_tail(m, task)}.")

    def left(self, m: Moment, came: str, task: str) -> str:
        v = m.view(came)
        if v is not None and v.status == "done":
            return f"{came}'s thread finished"
        if v is not None and v.status == "ready":
            if v.op == "yield":
                return f"{came} yielded (time.sleep(0)) and the OS gave the GIL to {task}"
            if v.reason == "preempt" or v.op not in _WAITING_OPS:
                # No hook sees a GIL handoff: the trace infers it (`inferred: true`)
                # from the first record of the thread that now runs.
                return (f"{came} lost the GIL (no hook sees the handoff: the trace infers "
                        f"it from {task}'s next record): a thread that had waited "
                        f"{m.switch_interval()} for it asked for it, {came} dropped it at "
                        f"its next check, and the OS gave it to {task}")
            return (f"{came}'s `{v.op}` is over and it is runnable again, but the GIL went "
                    f"to {task}: the OS decides which waiting thread gets it")
        return super().left(m, came, task)

    def next(self, m: Moment, came: str, task: str) -> str:
        others = sum(1 for e in m.state.ready if not e.callback)
        among = f", one of {others + 1} runnable threads" if others else ""
        return f"the OS gave the GIL to {task}{among}{self.woken_tail(m, task)}"

    # -- waits ------------------------------------------------------------------------------

    def waits(self, m: Moment, who: str, v: TaskView) -> str:
        wait = wait_of(v)
        reason = wait.reason
        if reason == "sleep":
            return f"{who} called time.sleep{paren(sleep_length(v))}, which releases the GIL"
        if reason in ("gather", "join"):
            return (f"{who} waits in Thread.join for {joined(wait)}, which "
                    "releases the GIL")
        if reason == "event" and wait.started_thread is not None:
            return (f"{who} waits in Thread.start until {wait.started_thread} signals that it "
                    "is running (waiting releases the GIL)")
        if reason == "io":
            if wait.phase == labels.CONNECT:
                return (f"{who} connects to the delay server in a blocking socket call, which "
                        "releases the GIL")
            step = f" (a {wait.subject} `io` step)" if wait.subject else ""
            return (f"{who} waits for the server's reply{step} in a blocking socket call, "
                    "which releases the GIL")
        if reason == "preempt":
            return f"{who} lost the GIL, and the OS chose the next holder"
        if reason == "lock":
            held = f", held by {wait.holder}" if wait.holder else ""
            return f"{who} blocks on lock {wait.subject}{held}, which releases the GIL"
        if reason in ("event", "queue"):
            return f"{super().waits(m, who, v)}, which releases the GIL"
        return super().waits(m, who, v)

    def suspend(self, m: Moment) -> str:
        task = m.task
        reason = str(m.event.get("reason") or "")
        if reason == "preempt":
            return (f"{task} is preempted: a thread waiting for the GIL asked for it after "
                    f"{m.switch_interval()}, so {task} drops it at its next check; it is "
                    "still runnable.")
        if reason == "sleep":
            length = sleep_length(None, m.event)
            return (f"{task} calls time.sleep{' for ' + length if length else ''}: the thread "
                    "sleeps in the OS and releases the GIL, so another thread can run.")
        if reason == "yield":
            return (f"{task} calls time.sleep(0): a hint to let another thread take the GIL; "
                    "it stays runnable.")
        v = m.view(task)
        if v is None or not v.reason:
            return super().suspend(m)
        tail = "" if m.state.stop == "idle" else "; another thread can take it"
        return f"{self.waits(m, task, v)}{tail}."

    def wake(self, m: Moment) -> str:
        task = m.task
        before = m.before(task) or m.view(task)
        cause = self.cause(m, task, before)
        return (f"{m.sentence(cause)}: {task} can go on; the thread is runnable again, but it must "
                "win the GIL to continue.")

    def idle(self, m: Moment) -> str:
        timer, io = m.next_timer(), m.io_waiters()
        if timer is None and not io:
            return ("No thread holds the GIL, and no timer or I/O can wake one: "
                    f"{names([v.name for v in m.waiting()]) or 'every thread'} can only be "
                    "woken by another thread.")
        due = (f"until {at(timer.until or 0.0)}, when {timer.name}'s time.sleep ends"
               if timer is not None else "")
        if io:
            sockets = sockets_of(io)
            how = f"for I/O on {sockets}" + (f", or {due}" if due else "")
        else:
            how = due
        return f"No thread holds the GIL: every thread waits in the OS {how}."

    def op_means(self, op: str) -> str:
        means = _OPS.get(op)
        return f"on threads, {means}" if means else ""


def voice(spec: RuntimeSpec | None) -> Voice:
    return ThreadsVoice(spec)
