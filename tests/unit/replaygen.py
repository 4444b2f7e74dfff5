"""Replay test helpers: a random scheduler that emits valid traces, and a naive reducer.

The generator plays the part of a runtime (asyncio, gevent, greenlet or threads) with
random choices, emitting the events the real runtimes emit, in their orders and with
their quirks (gevent's wake-then-run, threads' runnable set and preemption, greenlet's
explicit switches and returns, callbacks in the ready queue). The reducer derives the
state after each event the obvious way, event by event, with no keyframes or caching:
the model must agree with it everywhere.
"""

from __future__ import annotations

import random
from typing import Any

from simtui.replay.state import ReadyEntry, TaskView

RUNTIMES = ("asyncio", "gevent", "greenlet", "threads")
OPS = ("sleep", "print", "cpu", "spawn", "join", "acquire")
WAIT_REASONS = ("sleep", "join", "gather", "lock", "event", "queue", "io")

Event = dict[str, Any]


def generate(
    rnd: random.Random,
    runtime: str,
    steps: int,
    snapshots: bool = False,
    finish: bool = True,
    strict: bool = False,
) -> list[Event]:
    """A trace (header first, `end` last) of a random schedule on `runtime`.

    With `finish=False` tasks never end, so the run lasts all `steps`. With `strict=True`
    every switch is recorded, as the format requires; by default the schedule also has
    switches nobody recorded (a thread losing the GIL, a greenlet switching away, without
    a `suspend`), which no runtime writes but which a reader must still show sensibly.
    """
    events: list[Event] = []
    clock = [0.0]

    def emit(kind: str, task: str | None, **fields: Any) -> None:
        if rnd.random() < 0.6:  # several events often share one clock reading
            clock[0] = round(clock[0] + rnd.choice((1e-7, 1e-5, 0.003)), 7)
        ev = {"seq": len(events) - 1, "t": clock[0], "type": kind, "task": task}
        ev.update(fields)
        events.append(ev)

    header: Event = {
        "type": "header", "format": "simtui-trace", "version": 1, "scenario": "generated",
        "runtime": runtime, "tasks": [],
    }
    events.append(header)
    fifo = runtime in ("asyncio", "gevent")
    queue: list[tuple[str, str]] = []  # ("task", name) or ("cb", item), as the runtime holds them
    waiting: dict[str, str] = {}
    woken: set[str] = set()  # gevent: woken by the hub, switched to without a queue entry
    loose: set[str] = set()  # runnable but in no queue (threads preempted, greenlets switched)
    alive: list[str] = []
    running: str | None = None
    last: str | None = None
    made = 0

    def create(parent: str | None) -> str:
        nonlocal made
        name = "main" if made == 0 else f"t{made}"
        made += 1
        header["tasks"].append(name)
        alive.append(name)
        emit("create", name, parent=parent)
        if runtime == "greenlet":
            loose.add(name)
        else:
            enqueue(name)
        return name

    def enqueue(name: str) -> None:
        if ("task", name) not in queue:
            queue.append(("task", name))
            emit("ready", name)

    def run(name: str | None, item: str | None = None) -> None:
        nonlocal running, last
        fields: dict[str, Any] = {"from": last}
        if item is not None:
            fields["item"] = item
        emit("run", name, **fields)
        if name is not None:
            running = last = name
            loose.discard(name)
            woken.discard(name)
            waiting.pop(name, None)
        else:
            running = None

    def suspend(name: str, reason: str) -> None:
        nonlocal running
        fields: dict[str, Any] = {"reason": reason}
        if rnd.random() < 0.5:
            fields["detail"] = rnd.choice(("t1", "lock db", "3 left"))
        if reason == "sleep" and rnd.random() < 0.8:
            fields["until"] = round(clock[0] + 0.5, 7)
        emit("suspend", name, **fields)
        waiting[name] = reason
        running = None

    create(None)
    if runtime == "greenlet":
        run("main")
    for _ in range(steps):
        if running is not None:
            me = running
            choice = rnd.random()
            if choice < 0.25:
                emit("step", me, index=rnd.randrange(6), op=rnd.choice(OPS),
                     line=rnd.randrange(1, 40), col=rnd.randrange(1, 9))
            elif choice < 0.30:
                emit("output", me, text=f"{me} says {rnd.randrange(100)}")
            elif choice < 0.35:
                emit("block", me, reason=rnd.choice(("cpu", "block")), duration=0.25)
            elif choice < 0.43 and made < 12:
                create(me)
            elif choice < 0.50 and waiting and runtime != "greenlet":
                other = rnd.choice(sorted(waiting))
                if runtime == "gevent" and rnd.random() < 0.5:
                    emit("wake", other, reason=waiting.pop(other))
                    woken.add(other)
                else:
                    if rnd.random() < 0.5:
                        emit("wake", other, reason=waiting[other])
                    waiting.pop(other)
                    enqueue(other)
            elif choice < 0.55 and fifo:
                item = rnd.choice(("gather._done_callback", "timer"))
                queue.append(("cb", item))
                emit("ready", None, item=item)
            elif 0.55 <= choice < 0.62 and finish:
                alive.remove(me)
                if rnd.random() < 0.85:
                    emit("done", me)
                else:
                    emit("error", me, message="boom")
                running = None
            elif runtime == "greenlet":
                targets = sorted(n for n in alive if n != me)
                if not targets:
                    continue
                to = rnd.choice(targets)
                if strict or rnd.random() < 0.8:
                    suspend(me, "switch")
                else:
                    waiting[me] = "switch"  # greenlet switched away without a word
                run(to)
            elif runtime == "threads":
                if rnd.random() < 0.5 or not queue:
                    suspend(me, rnd.choice(WAIT_REASONS))
                elif strict or rnd.random() < 0.5:
                    emit("suspend", me, reason="preempt")
                    running = None
                    enqueue(me)
                else:
                    # The GIL changes hands without the holder saying so.
                    k = rnd.randrange(len(queue))
                    _, to = queue.pop(k)
                    loose.add(me)
                    run(to)
            else:
                if rnd.random() < 0.4:
                    # A bare yield (`sleep(0)`): re-queued, either order of the two events.
                    if rnd.random() < 0.5:
                        emit("suspend", me, reason="yield")
                        running = None
                        enqueue(me)
                    else:
                        enqueue(me)
                        emit("suspend", me, reason="yield")
                        running = None
                else:
                    suspend(me, rnd.choice(WAIT_REASONS))
            continue
        # The scheduler picks what runs next.
        options = []
        if queue:
            options.append("queue")
        if woken:
            options.append("woken")
        if runtime == "threads" and loose or runtime == "greenlet" and (loose or waiting):
            options.append("loose")
        if waiting and runtime != "greenlet":
            options.append("timer")
        if not options:
            break
        pick = rnd.choice(options)
        if pick == "queue":
            if snapshots and runtime != "threads":  # threads have no real queue to read
                emit("queue", None, ready=[name for _, name in queue])
            k = 0 if fifo else rnd.randrange(len(queue))
            what, name = queue.pop(k)
            if what == "task":
                run(name)
            else:
                run(None, name)
        elif pick == "woken":
            name = rnd.choice(sorted(woken))
            run(name)
        elif pick == "loose":
            # greenlet: a finished greenlet returns to another (its parent, in the real one)
            pool = loose | set(waiting) if runtime == "greenlet" else loose
            run(rnd.choice(sorted(pool)))
        else:
            name = rnd.choice(sorted(waiting))
            reason = waiting.pop(name)
            emit("wake", name, reason=reason)
            enqueue(name)
    stuck = [{"task": n, "waiting_on": r} for n, r in waiting.items() if n in alive]
    fields: dict[str, Any] = {"status": "deadlock" if stuck else "ok", "elapsed": clock[0]}
    if stuck:
        fields["stuck"] = stuck
    emit("end", None, **fields)
    return events


class Reference:
    """The naive reducer: the state after each event, derived the obvious way."""

    def __init__(self, header: Event) -> None:
        self.threads = header.get("runtime") == "threads"
        self.events: list[Event] = []
        self.running: str | None = None
        self.running_item: str | None = None
        self.came_from: str | None = None
        self.queue: list[tuple[tuple[str, str], int]] = []  # (key, arrival index)
        self.queued_by: dict[int, str | None] = {}  # arrival index -> task running then
        self.departed_at: int | None = None
        self.departed: str | None = None
        self.last_run = -1
        self.tasks: dict[str, dict[str, Any]] = {}
        self.waiting: list[str] = []
        self.done: list[str] = []
        self.outputs = 0
        self.status: str | None = None
        self.stuck: tuple[Any, ...] = ()

    def _set(self, name: str, status: str, i: int, **fields: Any) -> None:
        task = self.tasks.setdefault(name, {"step": None, "op": None, "line": None,
                                            "col": None, "parent": None, "waited": None,
                                            "waited_detail": None, "waited_since": None,
                                            "woken_by": None})
        now = {"reason": None, "detail": None, "until": None, "woken": False}
        now.update(fields)
        task.update(status=status, since=self.events[i]["t"], **now)

    def _unwait(self, name: str) -> None:
        if name in self.waiting:
            self.waiting.remove(name)

    def apply(self, ev: Event) -> None:
        i = len(self.events)
        self.events.append(ev)
        kind, task = ev["type"], ev["task"]
        info = self.tasks.get(task) if task is not None else None
        if kind == "create":
            self._set(task, "new", i)
            self.tasks[task]["parent"] = ev["parent"]
            self.tasks[task]["created"] = True
        elif kind == "ready":
            key = ("task", task) if task is not None else ("cb", ev.get("item"))
            self.queue.append((key, i))
            self.queued_by[i] = self.running
            if task is not None:
                if self.running == task:
                    self.running = None
                    self.came_from = task
                self._set(task, "ready", i)
                self._unwait(task)
        elif kind == "run":
            prev = self.running
            if prev is not None and prev != task and self.tasks[prev]["status"] in (
                "running", "blocking"
            ):
                if self.threads:
                    self._set(prev, "ready", i)
                else:
                    self._set(prev, "waiting", i)
                    self._unwait(prev)
                    self.waiting.append(prev)
            key = ("task", task) if task is not None else ("cb", ev.get("item"))
            self.departed = self.departed_at = None
            for pos, (k, arrived) in enumerate(self.queue):
                if k == key:
                    del self.queue[pos]
                    self.departed, self.departed_at = key[1], arrived
                    break
            self.came_from = ev["from"]
            self.last_run = i
            if task is not None:
                self.running, self.running_item = task, None
                if self.tasks[task]["status"] != "running":
                    self._set(task, "running", i)
                self._unwait(task)
            else:
                self.running, self.running_item = None, ev.get("item")
        elif kind == "suspend":
            if self.running == task:
                self.running = None
                self.came_from = task
            info = self.tasks[task]
            info["waited"], info["waited_detail"] = ev["reason"], ev.get("detail")
            info["waited_since"] = ev["t"]
            self._unwait(task)
            in_queue = any(k == ("task", task) for k, _ in self.queue)
            fields = {"reason": ev["reason"], "detail": ev.get("detail"), "until": ev.get("until")}
            if ev["reason"] == "preempt" or in_queue:
                self._set(task, "ready", i, **fields)
            else:
                self._set(task, "waiting", i, **fields)
                self.waiting.append(task)
        elif kind == "wake":
            if info["status"] == "waiting":
                info["woken"] = True
                if ev["reason"] in ("sleep", "io"):
                    info["woken_by"] = None
                elif self.running is not None:
                    info["woken_by"] = self.running
                elif self.running_item is not None and self.departed_at is not None:
                    info["woken_by"] = self.queued_by.get(self.departed_at)
                else:
                    info["woken_by"] = None
        elif kind == "step":
            info.update(step=ev["index"], op=ev["op"], line=ev["line"], col=ev.get("col"))
            if info["status"] == "blocking":
                self._set(task, "running", i)
        elif kind == "output":
            self.outputs += 1
            if info is not None and info["status"] == "blocking":
                self._set(task, "running", i)
        elif kind == "block":
            self._unwait(task)
            self._set(task, "blocking", i, reason=ev["reason"],
                      until=ev["t"] + ev["duration"])
        elif kind in ("done", "error"):
            if self.running == task:
                self.running = None
                self.came_from = task
            self._unwait(task)
            self._set(task, "done" if kind == "done" else "error", i)
            self.done.append(task)
        elif kind == "end":
            self.status = ev["status"]
            self.stuck = tuple(ev.get("stuck") or ())

    def ready(self) -> tuple[ReadyEntry, ...]:
        return tuple(
            ReadyEntry(name, what == "cb", arrival > self.last_run)
            for (what, name), arrival in self.queue
        )

    def views(self) -> dict[str, TaskView]:
        out = {}
        for name, d in self.tasks.items():
            if d.get("created"):
                out[name] = TaskView(
                    name=name, status=d["status"], since=d["since"], reason=d["reason"],
                    detail=d["detail"], until=d["until"], step=d["step"], op=d["op"],
                    line=d["line"], col=d["col"], parent=d["parent"], woken=d["woken"],
                    waited=d["waited"], waited_detail=d["waited_detail"],
                    waited_since=d["waited_since"],
                    woken_by=d["woken_by"],
                )
        return out
