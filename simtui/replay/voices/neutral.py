"""The neutral voice: what is true of any scheduler, and the base every runtime's voice builds on.

A voice turns the replay `State` at the cursor into one or two sentences. `Voice` says
what holds whatever the scheduler (a task that prints, a wait a release ended, a run
that deadlocked) in the nouns of the runtime's spec; each runtime's module subclasses
it and says the rest in that runtime's own terms. A trace of a runtime simtui does not
know gets this voice as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from simtui.replay.state import RunSummary, TaskView
from simtui.replay.voices._words import (
    TIMED,
    Moment,
    at,
    cap,
    deadlock,
    joined,
    last_wait_of,
    names,
    paren,
    position,
    seconds,
    sleep_length,
    sockets_of,
    span,
    stuck_phrase,
    summary_sentence,
    wait_of,
)
from simtui.runtimespec import RuntimeSpec
from simtui.trace import labels


class Voice:
    """What is true of any scheduler, in the nouns of the runtime's spec.

    A runtime's voice subclasses this and overrides what its runtime says differently;
    a trace of a runtime simtui does not know gets this voice as it is: plainer, never
    wrong, never a crash.
    """

    def __init__(self, spec: RuntimeSpec | None) -> None:
        self.spec = spec
        self.scheduler = spec.scheduler if spec is not None else "the scheduler"
        """`the event loop`, `the hub`: what decides who runs next."""
        self.noun = spec.task_noun if spec is not None else "task"
        self.handlers: Mapping[str, Callable[[Moment], str]] = {
            "create": self.create, "ready": self.ready, "run": self.run,
            "suspend": self.suspend, "wake": self.wake, "step": self.step,
            "output": self.output, "block": self.block, "done": self.done,
            "error": self.error, "queue": self.queue, "end": self.end,
        }

    # -- the entry point --------------------------------------------------------------------

    def explain(self, m: Moment) -> str:
        """The sentence at the cursor: the event's own, or the stop's where it is one."""
        if m.state.event is None:
            return self.start(m)
        handler = self.handlers.get(m.kind)
        text = handler(m) if handler is not None else ""
        if m.state.stop == "idle":
            text = f"{text} {self.idle(m)}" if text else self.idle(m)
        return text or f"{m.event.get('task') or cap(self.scheduler)}: a `{m.kind}` event."

    # -- the moments between switches -------------------------------------------------------

    def start(self, m: Moment) -> str:
        return (f"Nothing has run yet: each task will be a {self.noun}, and "
                f"{self.scheduler} decides which one runs.")

    def idle(self, m: Moment) -> str:
        """Nothing is ready: what the scheduler waits for (a sentence)."""
        return f"{cap(self.scheduler)} has nothing ready: {self.idle_wait(m)}."

    def idle_wait(self, m: Moment) -> str:
        """`it sleeps until t = 3.0004 s, when coco[0]'s timer is due` (a clause)."""
        timer = m.next_timer()
        io = m.io_waiters()
        if timer is None and not io:
            return (f"no timer or I/O is pending, so nothing can wake "
                    f"{names([v.name for v in m.waiting()]) or 'the waiting tasks'}")
        when = (f"until {at(timer.until or 0.0)}, when {timer.name}'s timer is due"
                if timer is not None else "")
        if not io:
            return f"it waits {when}"
        sockets = f"I/O on {sockets_of(io)}"
        return f"it waits for {sockets}" + (f", or at most {when}" if when else "")

    def blocking_call(self, reason: str) -> str:
        return {"cpu": "pure-Python work", "block": "time.sleep", "sleep": "time.sleep",
                "io": "a blocking socket call"}.get(reason, f"a blocking call ({reason})")

    # -- one sentence per event -------------------------------------------------------------

    def create(self, m: Moment) -> str:
        parent = m.event.get("parent")
        if parent is None:
            return f"{m.task} is the first {self.noun}."
        return f"{parent} created {self.noun} {m.task}; it has not run yet."

    def ready(self, m: Moment) -> str:
        """A task (or a callback) entered the ready queue: for its first step, after a
        yield, or woken from a wait; each voice words the three (`ready_first`,
        `ready_yielded`, `ready_woken`)."""
        if m.event.get("task") is None:
            return self.ready_callback(m, labels.read_item(m.event.get("item")))
        task = m.task
        before = m.before(task)
        where = position(m.state, task)
        if before is not None and before.status == "new":
            return self.ready_first(m, task, where)
        if before is None or before.status == "running" or before.reason == "yield":
            return self.ready_yielded(m, task, where)
        cause = self.cause(m, task, before)
        return self.ready_woken(m, task, where, cause)

    def ready_first(self, m: Moment, task: str, where: str) -> str:
        return f"{task} is queued for its first step{where}."

    def ready_yielded(self, m: Moment, task: str, where: str) -> str:
        return f"{task} is ready to run again{where}."

    def ready_woken(self, m: Moment, task: str, where: str, cause: str) -> str:
        """`cause`: what ended the wait, as a clause."""
        return f"{task} is ready to run again{where}."

    def ready_callback(self, m: Moment, item: labels.Item) -> str:
        where = position(m.state, item.raw, callback=True)
        return f"{cap(self.scheduler)} queued {item.raw}{where}: {self.gloss(item)}."

    def gloss(self, item: labels.Item) -> str:
        """What a queued callback does, in plain words (a clause, for a pane beside its
        internal name as much as for a sentence)."""
        if item.kind == "timer":
            return f"{item.subject}'s sleep is over: running it wakes {item.subject}"
        if item.kind == "gather_done":
            return f"counts {item.subject} as finished for the gather"
        if item.kind == "cancelled":
            return f"cancelled after it was queued: {self.scheduler} skips it"
        if item.kind == "notify":
            return f"{self.scheduler} calls {item.method} of {item.subject}"
        return "the runtime's own work, not a task"

    def run(self, m: Moment) -> str:
        task = m.event.get("task")
        came = m.event.get("from")
        if task is None:
            return self.run_callback(m, labels.read_item(m.event.get("item")))
        if came is None:
            return self.first_run(m, task)
        if came == task:
            return self.resume(m, task)
        return f"{self.queued(m)}{self.left(m, came, task)}; {self.next(m, came, task)}."

    def queued(self, m: Moment) -> str:
        """`After queueing 10 new Tasks in order (coco[0] … coco[9]), ` when the task that
        ran last filled a FIFO ready queue with new tasks (where the order is the lesson)."""
        if self.spec is None or self.spec.queue != "fifo" or m.prev is None:
            return ""
        new = []
        for e in m.prev.ready:
            if not e.arrived or e.callback:
                continue  # asked first: a task's view is built on access, per entry
            before = m.before(e.name)
            if before is not None and before.step is None:
                new.append(e.name)
        if len(new) < 2:
            return ""
        return f"After queueing {len(new)} new {self.noun}s in order ({span(new)}), "

    def first_run(self, m: Moment, task: str) -> str:
        return f"{task} starts running: it is the first to run."

    def run_callback(self, m: Moment, item: labels.Item) -> str:
        return f"{cap(self.scheduler)} runs {item.raw}: {self.gloss(item)}."

    def resume(self, m: Moment, task: str) -> str:
        """`task` runs again, and no other task ran since it stopped."""
        return f"{task} resumes{self.where(m, task)}{self.woken_tail(m, task)}."

    def where(self, m: Moment, task: str) -> str:
        v = m.view(task)
        return f" after its `{v.op}` (line {v.line})" if v and v.op and v.line else ""

    def left(self, m: Moment, came: str, task: str) -> str:
        """Why `came` stopped running (a clause)."""
        v = m.view(came)
        if v is None:
            return f"{came} stopped running"
        if v.status == "done":
            return f"{came} finished"
        if v.status == "error":
            return f"{came} raised an error and ended"
        if v.status in ("waiting", "blocking") and v.reason:
            return self.waits(m, came, v)
        if v.status == "ready":
            return f"{came} gave up control and is ready again"
        return f"{came} gave up control"

    def next(self, m: Moment, came: str, task: str) -> str:
        """Where control went, and why there (a clause)."""
        return f"{task} runs{self.fresh(m, task)}{self.woken_tail(m, task)}"

    def fresh(self, m: Moment, task: str) -> str:
        before = m.before(task)
        if before is not None and before.status in ("new", "ready") and before.step is None:
            return ", which takes its first step"
        return ""

    def woken_tail(self, m: Moment, task: str) -> str:
        """`, woken when worker[0] released lock db (its longest waiter; …)` for a task that
        runs again after a wait another task ended; nothing otherwise."""
        v = m.view(task)
        wait = last_wait_of(v)
        if v is None or wait.reason in TIMED or wait.reason in ("", "yield", "preempt"):
            return ""
        before = m.before(task)
        if before is not None and before.status == "running":
            return ""
        return f", woken when {self.woken(wait, v.woken_by, task)}{self.handoff(m, task)}"

    def handoff(self, m: Moment, task: str) -> str:
        """` (its longest waiter: b and c still wait)` for a task a release woke."""
        v = m.view(task)
        if v is None or v.waited != "lock" or not v.woken_by:
            return ""
        longest, others = m.longest_waiter(task)
        if longest and others:
            still = "still waits" if len(others) == 1 else "still wait"
            return f" (its longest waiter: {names(others)} {still})"
        return " (its only waiter)" if longest else ""

    def cause(self, m: Moment, task: str, before: TaskView | None) -> str:
        """What ended the wait `task` was in (`before`: the task then), and who did it."""
        v = m.view(task)
        return self.woken(wait_of(before), v.woken_by if v else None, task)

    def woken(self, wait: labels.Wait, by: str | None, task: str) -> str:
        """What ended `task`'s wait on `wait`, and who did it (a clause that can open a
        sentence: it names `task` where it speaks of it)."""
        subject = wait.subject
        if wait.reason == "lock":
            what = f"lock {subject}" if subject else "the lock"
            return f"{by} released {what}" if by else f"{what} was released"
        if wait.reason == "event":
            if wait.started_thread is not None:
                return f"{wait.started_thread} signalled that it started"
            what = f"event {subject}" if subject else "the event"
            return f"{by} set {what}" if by else f"{what} was set"
        if wait.reason == "queue":
            what = f"queue {subject}" if subject else "the queue"
            did = "took an item from" if wait.has(labels.FULL) else "put an item on"
            if by:
                return f"{by} {did} {what}"
            return (f"room was made on {what}" if wait.has(labels.FULL)
                    else f"an item was put on {what}")
        if wait.reason == "join":
            joined = wait.joined
            if joined is None or len(joined) > 1:
                return f"the last of {span(joined) if joined else subject} finished"
            return f"{subject} finished" if subject else f"the task {task} joins finished"
        if wait.reason == "gather":
            return self.gather_over(task, by)
        if wait.reason == "switch":
            return f"{by} switched back to {task}" if by else f"a switch came back to {task}"
        if wait.reason == "sleep":
            return f"{task}'s sleep is over"
        if wait.reason == "io":
            return self.io_over(wait, task)
        return f"{task}'s {wait.reason} wait is over" if wait.reason else f"{task}'s wait is over"

    def gather_over(self, task: str, by: str | None) -> str:
        """What ends a wait for several tasks: each one's end, or only the last's."""
        return f"{by} finished" if by else f"a task {task} waits for finished"

    def io_over(self, wait: labels.Wait, task: str) -> str:
        if wait.phase == labels.CONNECT:
            return f"{task}'s wait while connecting to the server is over"
        if wait.phase == labels.REPLY:
            return f"the server's reply to {task} arrived"
        return f"{task}'s socket is ready"

    def waits(self, m: Moment, who: str, v: TaskView) -> str:
        """`who` suspended on what `v` says it waits for (a clause)."""
        wait = wait_of(v)
        reason = wait.reason
        if reason == "sleep":
            length = sleep_length(v)
            return f"{who} sleeps{paren(length)}"
        if reason == "lock":
            held = f", held by {wait.holder}" if wait.holder else ""
            return f"{who} waits for lock {wait.subject or '?'}{held}"
        if reason == "io":
            return f"{who} {self.io_wait(wait)}"
        if reason in ("join", "gather"):
            return f"{who} waits for {joined(wait)} to finish"
        if reason == "event":
            if wait.started_thread is not None:
                return f"{who} waits until {wait.started_thread} has started"
            return f"{who} waits for event {wait.subject or '?'} to be set"
        if reason == "queue":
            note = paren(", ".join(wait.notes))
            return f"{who} waits on queue {wait.subject or '?'}{note}"
        if reason == "switch":
            return f"{who} switched to {wait.subject or 'another greenlet'}"
        if reason == "yield":
            return f"{who} yielded"
        if v.status == "blocking":
            return f"{who} blocks {self.scheduler} ({self.blocking_call(reason)})"
        return f"{who} suspended ({wait.text()})"

    def io_wait(self, wait: labels.Wait) -> str:
        """`waits for the server's reply (a 1 s `io` step)` (a predicate)."""
        step = f" (a {seconds(wait.seconds)} `io` step)" if wait.seconds is not None else ""
        if wait.phase == labels.CONNECT:
            return f"waits while it connects to the delay server{step}"
        return f"waits for the server's reply{step}"

    def suspend(self, m: Moment) -> str:
        task = m.task
        v = m.view(task)
        if v is None or v.status not in ("waiting", "ready") or not v.reason:
            return f"{task} gives control away ({m.event.get('reason') or '?'})."
        return f"{self.waits(m, task, v)}."

    def wake(self, m: Moment) -> str:
        task = m.task
        v = m.view(task)
        before = m.before(task) or v
        wait = labels.read_wait(str(m.event.get("reason") or ""),
                                before.detail if before is not None else None)
        by = v.woken_by if v is not None else None
        return f"{m.sentence(self.woken(wait, by, task))}: {task} can go on."

    def step(self, m: Moment) -> str:
        op = str(m.event.get("op") or "?")
        line = m.event.get("line")
        where = f" (line {line})" if line else ""
        if op == "call":
            return (f"{m.task} calls another task's steps{where} as a plain function: they "
                    f"run inside {m.task}, with no switch.")
        means = self.op_means(op)
        return f"{m.task} reaches `{op}`{where}" + (f": {means}." if means else ".")

    def op_means(self, op: str) -> str:
        """What a scenario op is on this runtime (a noun phrase), or nothing."""
        return ""

    def output(self, m: Moment) -> str:
        text = str(m.event.get("text", ""))
        if len(text) > 80:
            text = text[:79] + "…"
        return f"{m.task} prints \u201c{text}\u201d."

    def block(self, m: Moment) -> str:
        """A blocking call holds the scheduler: a stop, which says how long once known."""
        reason = str(m.event.get("reason") or "")
        asked, held = m.blocking()
        return (f"{m.task} makes a blocking call ({self.blocking_call(reason)}){asked} and "
                f"holds {self.scheduler}{held}: nothing else can run until it returns.")

    def done(self, m: Moment) -> str:
        return f"{m.task} finished."

    def error(self, m: Moment) -> str:
        who = m.event.get("task") or cap(self.scheduler)
        return f"{who} raised an error: {m.event.get('message', '')}"

    def queue(self, m: Moment) -> str:
        ready = [str(x) for x in m.event.get("ready") or []]
        listed = ", ".join(ready) if ready else "empty"
        return (f"A snapshot of {self.queue_name()}, read from the runtime's own data "
                f"structure: {listed}.")

    def queue_name(self) -> str:
        return "the ready queue"

    # -- the end ----------------------------------------------------------------------------

    def end(self, m: Moment) -> str:
        ev = m.event
        status = str(ev.get("status") or m.state.status or "")
        elapsed = ev.get("elapsed")
        after = f" after {seconds(float(elapsed))}" if isinstance(elapsed, int | float) else ""
        stuck = [s for s in (ev.get("stuck") or m.state.stuck or ()) if isinstance(s, Mapping)]
        if status == "ok":
            text = self.ended_ok(m, after, stuck)
        elif status == "deadlock":
            text = f"Deadlock{after}: {deadlock(stuck)}."
        elif status == "timeout":
            listed = "; ".join(stuck_phrase(s) for s in stuck)
            tail = f"; unfinished: {listed}" if listed else ""
            text = f"The run hit the scenario's timeout{after} and was stopped{tail}."
        elif status == "error":
            failed = [n for n, v in m.state.tasks.items() if v.status == "error"]
            text = f"The run ended with an error{' in ' + names(failed) if failed else ''}{after}."
        elif status == "limit":
            text = f"The run was stopped{after}: it reached the event limit."
        elif status == "killed":
            message = ev.get("message")
            text = f"The run did not finish{after}{': ' + str(message) if message else ''}."
        else:
            text = f"The run ended ({status or 'unknown status'}){after}."
        summary = m.state.summary
        if status == "ok" and summary is not None:
            shown = self.summary(summary)
            if shown:
                text = f"{text} {shown}"
        return text

    def ended_ok(self, m: Moment, after: str, stuck: list[Mapping[str, Any]]) -> str:
        if stuck:
            listed = "; ".join(stuck_phrase(s) for s in stuck)
            return f"The run ended normally{after}; still waiting at the end: {listed}."
        return f"The run ended normally{after}: every task finished."

    def summary(self, s: RunSummary) -> str:
        """What the run showed, in the scenario's terms (a sentence, or nothing)."""
        return summary_sentence(s, self.scheduler, self.blocking_call)
