"""gevent's voice: greenlets, one hub greenlet running libev, and its callback queue.

Every greenlet runs until it waits; waiting is a switch to the hub. The hub is itself a
greenlet, running a libev loop: it runs the callbacks queued on it in order (the start of
each spawned greenlet, the notifications of locks, events and finished greenlets), and
when a timer or an I/O watcher fires it switches straight into the greenlet that armed
it, with no trip through that queue. Monkey patching (on unless the scenario says
`monkey_patch: false`) turns blocking standard-library calls such as time.sleep into
these cooperative waits; an unpatched blocking call holds the hub and everyone with it.
"""

from __future__ import annotations

from simtui.replay.state import TaskView
from simtui.replay.voices._words import (
    Moment,
    at,
    cap,
    joined,
    names,
    paren,
    position,
    seconds,
    sleep_length,
    sockets_of,
    wait_of,
)
from simtui.replay.voices.neutral import Voice
from simtui.runtimespec import RuntimeSpec
from simtui.trace import labels

_OPS = {
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
}

_GLOSSES = {
    "notify_links": "wakes whoever waits for {owner} to finish",
    "unlock": "wakes a greenlet waiting on {owner}",
}
"""What the hub's notifier methods do, said of the object whose method it is."""


class GeventVoice(Voice):
    """The hub's chapter."""

    def start(self, m: Moment) -> str:
        return ("Nothing has run yet: gevent's hub, a greenlet running a libev loop, will "
                "start each spawned greenlet from its callback queue and switch to another "
                "whenever one waits.")

    def create(self, m: Moment) -> str:
        task, parent = m.task, m.event.get("parent")
        if parent is None:
            return (f"{task} is spawned as a greenlet; the hub will start it from its "
                    "callback queue.")
        return (f"{parent} spawned greenlet {task} (gevent.spawn): it is not running yet, "
                "its start is queued on the hub.")

    def done(self, m: Moment) -> str:
        return (f"{m.task} finished: the greenlet is dead; a greenlet that joins it hears of "
                "it through a link notification on the hub.")

    # -- the callback queue -----------------------------------------------------------------

    def ready_first(self, m: Moment, task: str, where: str) -> str:
        return (f"gevent.spawn queued {task}'s start on the hub's callback queue{where}; "
                "the hub runs callbacks in order whenever the running greenlet waits.")

    def ready_yielded(self, m: Moment, task: str, where: str) -> str:
        return (f"{task} yielded (gevent.sleep(0)): it goes to the back of the hub's "
                f"queue{where}.")

    def ready_woken(self, m: Moment, task: str, where: str, cause: str) -> str:
        return (f"{m.sentence(cause)}: the hub queued a callback{where} that will switch back into "
                f"{task}.")

    def gloss(self, item: labels.Item) -> str:
        if item.kind == "notify":
            if item.subject == "AsyncResult":
                return "wakes whoever waits on a gevent result (a socket's or a thread's)"
            template = _GLOSSES.get(item.method)
            if template:
                return template.format(owner=item.subject)
            return f"gevent calls {item.method} of {item.subject}"
        return super().gloss(item)

    def ready_callback(self, m: Moment, item: labels.Item) -> str:
        where = position(m.state, item.raw, callback=True)
        owner = item.owner
        if item.method == "notify_links" and item.subject in m.state.tasks:
            return (f"{item.subject} is finished: gevent queued its link notification on the "
                    f"hub{where}; running it wakes whoever joins {item.subject}.")
        if item.subject == "AsyncResult":
            return (f"A gevent result is ready (an AsyncResult, such as the answer of the "
                    f"address lookup gevent runs in its thread pool): the hub queued its "
                    f"notification{where}.")
        if owner is not None:
            by = m.state.running
            did = f"{by} changed {item.subject}: " if by else f"{cap(item.subject)} changed: "
            return (f"{did}gevent queued its notification{where}; running it wakes a "
                    f"greenlet waiting on {owner[0]} {owner[1]}.")
        return f"The hub queued callback {item.raw}{where}: gevent's own work, not a greenlet."

    def queue_name(self) -> str:
        return "the hub's callback queue"

    # -- switches ---------------------------------------------------------------------------

    def first_run(self, m: Moment, task: str) -> str:
        return f"The hub starts {task}, the first greenlet in its callback queue."

    def run(self, m: Moment) -> str:
        task, came = m.event.get("task"), m.event.get("from")
        if task is None or came is None or came == task:
            return super().run(m)
        before = m.before(task)
        if before is not None and before.status == "waiting" and before.woken:
            # A timer or I/O watcher (or a notification callback) switches into its
            # greenlet directly: it never went through the callback queue.
            cause = self.cause(m, task, before)
            cause += self.handoff(m, task)
            if m.prev is not None and m.prev.running_item:
                return (f"{m.sentence(cause)}: the callback the hub is running switches into "
                        f"{task} ({came} ran before it).")
            return (f"{m.sentence(cause)}, and the hub switches straight into {task}, with no "
                    f"trip through its callback queue ({came} ran before it).")
        came_view = m.view(came)
        if came_view is not None and came_view.status == "ready" and came_view.op != "yield":
            return self.resume(m, task, also=came)
        if (came_view is not None and came_view.status in ("waiting", "done", "error")
                and before is not None and before.status == "ready" and before.step is not None
                and before.since > came_view.since):
            stopped = "began to wait" if came_view.status == "waiting" else "finished"
            return (f"{task} resumes{self.where(m, task)}{self.woken_tail(m, task)}: the hub "
                    f"switched back into it; no greenlet ran since {came} {stopped}.")
        return super().run(m)

    def resume(self, m: Moment, task: str, also: str | None = None) -> str:
        tail = f"; {also}, which ran before it, is queued too" if also else ""
        who = ("the callback the hub ran switched back into it" if m.prev is not None
               and m.prev.running_item else "the hub switched back into it")
        return f"{task} resumes{self.where(m, task)}{self.woken_tail(m, task)}: {who}{tail}."

    def left(self, m: Moment, came: str, task: str) -> str:
        v = m.view(came)
        if v is not None and v.status == "ready":
            return f"{came} yielded (gevent.sleep(0)) and went to the back of the hub's queue"
        return super().left(m, came, task)

    def next(self, m: Moment, came: str, task: str) -> str:
        before = m.before(task)
        start = "starts" if before is not None and before.step is None else "resumes"
        if m.state.departed == task:
            return (f"the hub switches to the next greenlet in its queue, {task}, which "
                    f"{start}{self.woken_tail(m, task)}")
        return f"the hub switches to {task}, which {start}{self.woken_tail(m, task)}"

    def run_callback(self, m: Moment, item: labels.Item) -> str:
        owner = item.owner
        if item.method == "notify_links" and item.subject in m.state.tasks:
            joining = [v.name for v in m.waiting() if _joins(v, item.subject)]
            if not joining:
                return (f"The hub runs {item.subject}'s link notification: no greenlet "
                        f"joins {item.subject}, so it wakes nobody.")
            return (f"The hub runs {item.subject}'s link notification: it wakes "
                    f"{names(joining)}, which {'joins' if len(joining) == 1 else 'join'} "
                    f"{item.subject}.")
        if item.subject == "AsyncResult":
            return ("The hub runs the notification of a gevent result (an AsyncResult, such "
                    "as the answer of an address lookup from its thread pool): it wakes the "
                    "greenlet waiting for it.")
        if owner is not None:
            return (f"The hub runs the notification queued when {item.subject} changed: it "
                    f"wakes a greenlet waiting on {owner[0]} {owner[1]}.")
        return (f"The hub runs callback {item.raw}, of one of gevent's own objects: "
                "gevent's own work between greenlets.")

    # -- waits ------------------------------------------------------------------------------

    def waits(self, m: Moment, who: str, v: TaskView) -> str:
        wait = wait_of(v)
        reason = wait.reason
        if reason == "sleep":
            if wait.has(labels.PATCHED):
                return (f"{who} called time.sleep, which monkey patching turned into "
                        "gevent.sleep: instead of blocking the hub it armed a timer and "
                        "switched to the hub")
            return (f"{who} called gevent.sleep{paren(sleep_length(v))}: it armed a libev "
                    "timer and switched to the hub")
        if reason == "gather":
            return f"{who} waits in joinall for {joined(wait)}: it switched to the hub"
        if reason == "join":
            return f"{who} waits in join for {joined(wait)}: it switched to the hub"
        if reason == "io":
            if wait.phase == labels.CONNECT:
                return f"{who} waits while it connects to the delay server: it switched to the hub"
            step = f" (a {seconds(wait.seconds)} `io` step)" if wait.seconds is not None else ""
            return (f"{who} sent its request and waits for the server's reply{step}: an I/O "
                    "watcher is armed and it switched to the hub")
        if reason in ("lock", "event", "queue"):
            return f"{super().waits(m, who, v)}: it switched to the hub"
        return super().waits(m, who, v)

    def suspend(self, m: Moment) -> str:
        task = m.task
        reason = str(m.event.get("reason") or "")
        until = m.event.get("until")
        due = f" due at {at(float(until))}" if isinstance(until, int | float) else ""
        if reason == "sleep":
            if labels.read_wait(reason, m.event.get("detail")).has(labels.PATCHED):
                return (f"{task} calls time.sleep, which is gevent.sleep in disguise (monkey "
                        f"patching): the greenlet arms a timer{due} and yields to the hub "
                        "instead of blocking it, so the others keep running.")
            length = sleep_length(None, m.event)
            return (f"{task} calls gevent.sleep{' for ' + length if length else ''}: a libev "
                    f"timer is armed{due}, and the greenlet switches to the hub.")
        if reason == "yield":
            return (f"{task} yields with gevent.sleep(0): it goes to the back of the hub's "
                    "callback queue and switches to the hub.")
        v = m.view(task)
        if v is None or not v.reason:
            return super().suspend(m)
        tail = "" if m.state.stop == "idle" else "; the hub runs whatever is ready next"
        return f"{self.waits(m, task, v)}{tail}."

    def wake(self, m: Moment) -> str:
        task = m.task
        reason = str(m.event.get("reason") or "")
        if reason == "sleep":
            return f"{task}'s libev timer fired: the hub will switch back into it."
        before = m.before(task) or m.view(task)
        cause = self.cause(m, task, before)
        last = m.prev.event if m.prev is not None else None
        by = (last.get("item") if last is not None and last.get("type") == "run"
              and last.get("task") is None else None)
        via = f" (woken by {by})" if by else ""
        return f"{m.sentence(cause)}{via}: the hub will switch back into {task}."

    # -- the hub blocked, the hub idle ------------------------------------------------------

    def idle(self, m: Moment) -> str:
        timer, io = m.next_timer(), m.io_waiters()
        if timer is None and not io:
            return super().idle(m)
        due = (f"until {at(timer.until or 0.0)}, when {timer.name}'s timer is due"
               if timer is not None else "")
        if io:
            sockets = sockets_of(io)
            how = f"for I/O on {sockets}" + (f", or at most {due}" if due else "")
        else:
            how = due
        return f"The hub has nothing ready: it waits in its libev loop {how}."

    def block(self, m: Moment) -> str:
        asked, held = m.blocking()
        if m.event.get("reason") == "cpu":
            return (f"{m.task} runs pure-Python work{asked} that never switches to the hub: it "
                    f"holds the hub{held}, and no other greenlet can run until it ends.")
        return (f"{m.task} calls the real time.sleep{asked}, not monkey-patched in this run: "
                f"it blocks the hub's only thread{held}, and no greenlet can run until it "
                "returns.")

    def blocking_call(self, reason: str) -> str:
        return "pure-Python work" if reason == "cpu" else "the real time.sleep"

    def op_means(self, op: str) -> str:
        means = _OPS.get(op)
        return f"on gevent, {means}" if means else ""


def _joins(v: TaskView, task: str) -> bool:
    """Whether `v` waits in a join or joinall that may be for `task` (a long joinall's
    detail names only its first and last greenlet; an old trace's may name none)."""
    joined = wait_of(v).joined
    return v.reason in ("gather", "join") and (not joined or task in joined)


def voice(spec: RuntimeSpec | None) -> Voice:
    return GeventVoice(spec)
