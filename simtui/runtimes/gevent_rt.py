"""gevent runtime: the scenario's tasks are real `Greenlet`s scheduled by the real hub.

What is observed, and how (runtime-instrumentation.md §4):

- The hub's callback queue, through a subclass of the configured loop class installed
  with `gevent.config.loop` before the hub exists. Its `run_callback` records every
  enqueue: `ready(task)` when the callback is a task's own switch (a spawned Greenlet's
  start, the `Waiter` of `gevent.sleep(0)`), whose dequeue is the hub's switch into that
  task; `ready(None, item=...)` for any other callback (a finished greenlet's
  `_notify_links`, a queue's `_unlock`), which is queued wrapped so that the hub's call
  records its dequeue. The queue is FIFO, so this is exact. With `--snapshots` the real
  queue (`loop._callbacks`) is read before each `run`.
- Switches, with no greenlet tracer: `X → hub → Y` is reported as one switch,
  `suspend(X)` then `run(Y, from=X)`. The hub calls the current greenlet's `switch_out`
  before every switch into it (any wait in gevent: a sleep, a Waiter, a join, a lock, an
  event, a queue, a socket), and every task is a Greenlet whose `switch_out` records its
  `suspend` then. Y says it runs at the first point it can once it has control: where
  `gevent.sleep(0)` or its first step returns to the interpreter, where the gevent call
  of a waiting op returns, or — when gevent's own code in Y queues a callback first —
  in that `run_callback`, before the callback's `ready`. Nothing else runs meanwhile,
  so the order is the real one. When the hub popped Y's entry from its queue that is a
  `run`; when a timer or an I/O watcher (or a callback that notifies waiters, like
  `_notify_links`) switched into Y straight from the hub, Y was never in the queue: the
  trace shows `wake(Y)` then `run(Y)`. A `yield` records its step, its re-queueing and
  its suspend at one clock reading. A task records its `done` as its steps end.
- Timer deadlines, through the loop's `timer()`: a started libev timer's `at` is its
  expiry on the monotonic clock.

`main` runs in a Greenlet spawned like every other task (so its start goes through the
hub's queue); the process's root greenlet waits for it with `join`. When the hub runs out
of work while greenlets still wait, gevent throws `LoopExit` into the root: that is the
`deadlock` outcome.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import gevent
import gevent.event
import gevent.lock
import gevent.queue
import gevent.socket
import greenlet
from gevent import monkey
from gevent.exceptions import LoopExit
from gevent.hub import Waiter
from greenlet import getcurrent

from simtui.runtimes.base import Outcome, RunContext, io_payload
from simtui.runtimes.interp import (
    ACQUIRE,
    BLOCK,
    CALL,
    CPU,
    GATHER,
    GET,
    IO,
    JOIN,
    PRINT,
    PUT,
    RELEASE,
    REPEAT,
    SET,
    SLEEP,
    SPAWN,
    WAIT,
    YIELD,
    Instr,
    Program,
    Run,
)
from simtui.runtimes.probe import Probe, pack, pack2, pack3
from simtui.scenario.model import Scenario
from simtui.trace import labels
from simtui.trace.layout import NONE, OUTPUT, READY, RUN, STEP, SUSPEND, x_word

_loop_classes: dict[Any, Any] = {}


def _tracing_loop_class(base: Any) -> Any:
    """A subclass of gevent's loop class that reports its callback queue and its timers."""
    cls = _loop_classes.get(base)
    if cls is not None:
        return cls
    run_callback = base.run_callback
    make_timer = base.timer

    class TracingLoop(base):  # type: ignore[valid-type, misc]
        _simtui: GeventRun | None = None

        def run_callback(self, func: Callable[..., Any], *args: Any) -> Any:
            state = self._simtui
            if state is None:
                return run_callback(self, func, *args)
            # A task's own switch (a spawned Greenlet's start, the Waiter of
            # `gevent.sleep(0)`) is queued unchanged and counted in `pending`: the hub's
            # switch into that task is its dequeue. Inlined: this runs for every yield.
            owner = getattr(func, "__self__", None)
            stamped = state.stamp[0]
            if stamped >= 0 and owner.__class__ is Waiter and owner.greenlet is None:  # type: ignore[union-attr]
                # The Waiter of `gevent.sleep(0)` in the task whose yield just recorded
                # this very `ready` (its greenlet is set only when it waits, next).
                state.stamp[0] = NONE
                state.pending[stamped] += 1
                return run_callback(self, func, *args)
            state.catch_up()
            tid = state.ids.get(id(owner))
            if tid is None:
                if isinstance(owner, Waiter):
                    tid = state.ids.get(id(owner.greenlet or getcurrent()))
            elif getattr(func, "__name__", None) != "switch":
                tid = None
            if tid is None:
                return run_callback(self, state.wrap(func, owner), *args)
            state.pending[tid] += 1
            state.probe.ready(state.names[tid])
            return run_callback(self, func, *args)

        def timer(self, *args: Any, **kwargs: Any) -> Any:
            t = make_timer(self, *args, **kwargs)
            state = self._simtui
            if state is not None:
                state.last_timer = t
            return t

    TracingLoop.__name__ = TracingLoop.__qualname__ = f"Tracing{base.__name__}"
    _loop_classes[base] = TracingLoop
    return TracingLoop


class _Queued:
    """Queued in place of a callback that is not a task's switch: named, recording its dequeue."""

    __slots__ = ("func", "label", "state")

    def __init__(self, func: Callable[..., Any], label: str, state: GeventRun) -> None:
        self.func = func
        self.label = label
        self.state = state

    def __call__(self, *args: Any) -> Any:
        state = self.state
        if state.snapshots:
            # The hub has just popped this entry from the head of its FIFO: the queue as it
            # stood when it picked it is this entry followed by what is still there.
            state.probe.queue([self.label, *state.queue_labels()])
        last = state.last_from[0]
        state.probe.run(None, state.names[last] if last >= 0 else None, self.label)
        return self.func(*args)


class GeventRun:
    """One run of a scenario on the gevent hub."""

    def __init__(self, scenario: Scenario, probe: Probe, ctx: RunContext):
        self.scenario = scenario
        self.probe = probe
        self.ctx = ctx
        self.record = probe.recording
        self.snapshots = probe.snapshots
        self.shared = Run(scenario, probe)
        self.names = list(probe.tasks)
        """Task id → name."""
        self.greenlets: dict[str, gevent.Greenlet] = {}
        self.ids: dict[int, int] = {}
        """id(greenlet) → task id; `greenlets` keeps them alive, so ids stay unique."""
        self.labels: dict[int, str] = {}
        """id(lock/event/queue) → its scenario name, to name their hub callbacks."""
        self.waiting = self.shared.waiting
        """Task → (reason, detail) while it is inside an op that may switch to the hub."""
        self.holders = self.shared.holders
        self.items: dict[str, str] = {}
        self.started: set[str] = set()
        self.spawned: dict[str, gevent.event.Event] = {}
        self.last_from = [NONE]
        """The task that gave control away last (its id): the `from` of the next `run`."""
        self.current = [NONE]
        """The task recorded as having control (its id); NONE while the hub (or the root)
        has it."""
        self.left = [NONE]
        """The task whose yield recorded its suspend itself: its switch to the hub, next,
        records nothing more."""
        self.stamp = [NONE]
        """The task whose yield recorded its re-queueing `ready` with its step."""
        self.pending = [0] * len(self.names)
        """Per task id: its entries in the hub's queue (a task's own switch callbacks)."""
        self.last_timer: Any = None
        self.loop: Any = None
        self.failed = False
        self.task_class = self._task_class()
        self.patched_sleep = monkey.is_object_patched("time", "sleep")
        self.from_words = [x_word(probe.x((name, None))) for name in self.names]
        self.from_words.append(x_word(probe.x((None, None))))  # [-1]: nobody yet
        self.yield_word = x_word(probe.x(("yield", None, None)))

    # -- the hub's queue -------------------------------------------------------------------

    def wrap(self, func: Callable[..., Any], owner: object) -> _Queued:
        """Record a callback that is not a task's switch entering the queue, and wrap it."""
        if owner is None:
            label = getattr(func, "__qualname__", None) or repr(func)
        else:
            tid = self.ids.get(id(owner))
            whose = (self.names[tid] if tid is not None else None) or self.labels.get(
                id(owner)) or type(owner).__name__
            label = labels.notifier(whose, getattr(func, "__name__", "?"))
        self.probe.ready(None, label)
        return _Queued(func, label, self)

    def queue_labels(self) -> list[str]:
        """The names of what the hub's real callback queue holds now, in order (O(n))."""
        out = []
        ids, names = self.ids, self.names
        for cb in self.loop._callbacks:
            f = cb.callback
            if f is None:  # stopped: the hub will skip it
                continue
            label = getattr(f, "label", None)
            if label is None:
                owner = getattr(f, "__self__", None)
                tid = ids.get(id(owner))
                if tid is None and isinstance(owner, Waiter):
                    tid = ids.get(id(owner.greenlet))
                label = names[tid] if tid is not None else None
            out.append(label or getattr(f, "__qualname__", None) or repr(f))
        return out

    # -- switches ---------------------------------------------------------------------------

    def _task_class(self) -> type[gevent.Greenlet]:
        """gevent's Greenlet, telling this run each time it switches to the hub.

        gevent's hub calls the current greenlet's `switch_out` before every switch into
        it (every wait: `gevent.sleep`, a Waiter, a join, a lock, an event, a queue, a
        socket): the moment a task gives control away, whatever gevent call it is in.
        """
        state = self

        class Task(gevent.Greenlet):  # type: ignore[misc]
            __slots__ = ("tid",)

            def switch_out(self) -> None:
                state.switched_out(self.tid)

        return Task

    def switched_out(self, tid: int) -> None:
        """Task `tid` is switching to the hub."""
        current = self.current
        if current[0] != tid:  # it got control back out of sight: it says so first
            self.resumed(tid)
        current[0] = NONE
        self.last_from[0] = tid
        if self.left[0] == tid:  # its yield recorded its suspend already
            self.left[0] = NONE
            return
        if self.record:
            name = self.names[tid]
            reason, detail = self.waiting.get(name) or ("yield", None)
            until = self._deadline() if reason == "sleep" else None
            self.probe.suspend(name, reason, detail, until)

    def resumed(self, tid: int) -> None:
        """Task `tid` runs: it says so at the first point it can, unless it said so already.

        The hub popped its entry from the queue (its start, its yield's Waiter), or it
        was switched into straight from a timer, an I/O watcher or a notifier (never
        queued): then it was woken first. Nothing of the run happens between that
        switch and this point but gevent's own code in this task, which is observed too
        (`catch_up`): what it queues comes after this.
        """
        current = self.current
        if current[0] == tid:
            return
        current[0] = tid
        if not self.record:
            return
        name = self.names[tid]
        probe = self.probe
        if self.pending[tid]:
            self.pending[tid] -= 1
            if self.snapshots:
                probe.queue([name, *self.queue_labels()])
        else:
            waited = self.waiting.get(name)
            probe.wake(name, waited[0] if waited else "switch")
            if self.snapshots:
                probe.queue(self.queue_labels())
        probe.put(pack(probe.clock() - probe.offsets[RUN],
                       self.shared.task_words[tid] | self.from_words[self.last_from[0]]))

    def catch_up(self) -> None:
        """Whatever greenlet is current now: if a task got control unseen, it runs."""
        tid = self.ids.get(id(getcurrent()))
        if tid is not None and self.current[0] != tid:
            self.resumed(tid)

    def _deadline(self) -> float | None:
        """When the timer just armed by the suspending greenlet fires, in trace seconds."""
        t = self.last_timer
        at = getattr(t, "at", None)  # libuv timers have none
        if at is None or not t.active:
            return None
        # libev: a started timer's `at` is its expiry on the monotonic clock (gevent.sleep
        # brings the loop's time up to date before it starts the timer).
        return round(self.probe.now() + (at - time.monotonic()), 7)

    # -- tasks ----------------------------------------------------------------------------------

    def spawn(self, name: str, parent: str | None) -> gevent.Greenlet:
        """`gevent.spawn`, in its two halves, so the task is named before it is queued."""
        if name in self.greenlets:
            raise RuntimeError(f"{name} was already spawned")
        g = self.task_class(self._body, name)
        g.tid = self.probe.tasks[name]
        self.greenlets[name] = g
        self.ids[id(g)] = g.tid
        self.probe.create(name, parent)
        g.start()
        started = self.spawned.get(name)
        if started is not None:
            started.set()
        return g

    def _body(self, name: str) -> None:
        tid = self.probe.tasks[name]
        self.resumed(tid)
        self.started.add(name)
        try:
            self.steps(name, self.shared.program(name))
        except greenlet.GreenletExit:
            return  # killed or collected after the run ended: nothing to record
        except Exception as e:  # a scenario-level failure (e.g. the io server refused)
            self.failed = True
            self.probe.error(name, f"{type(e).__name__}: {e}")
        self.probe.done(name)
        # Still current, running gevent's end of a greenlet (what it queues is its own),
        # until its greenlet returns to the hub.
        self.last_from[0] = tid

    def steps(self, name: str, program: Program) -> None:
        """Run `program`'s steps in task `name`; a `call` is a plain call of this."""
        probe = self.probe
        record = self.record
        clock, put = probe.clock, probe.put
        offsets = probe.offsets
        step_at, suspend_at, ready_at, output_at = (
            offsets[STEP], offsets[SUSPEND], offsets[READY], offsets[OUTPUT])
        tid = probe.tasks[name]
        tw = self.shared.task_words[tid]
        ready_word = tw | x_word(NONE)
        yield_word = tw | self.yield_word
        stamp, left, current = self.stamp, self.left, self.current
        sleep = gevent.sleep
        resumed = self.resumed
        for ins in program.steps():
            op = ins.op
            if op is YIELD:
                if record:  # one instant: the step, its re-queueing and giving control away
                    t = clock()
                    put(pack3(t - step_at, tw | ins.xw, t - ready_at, ready_word,
                              t - suspend_at, yield_word))
                    stamp[0] = left[0] = tid
                sleep(0)
                if current[0] != tid:
                    resumed(tid)
                continue
            if op is PRINT:
                if record:
                    out = ins.out or x_word(probe.x((self.shared.text(
                        ins, name, self.items.get(name, "")),)))
                    t = clock()
                    put(pack2(t - step_at, tw | ins.xw, t - output_at, tw | out))
                continue
            if record:
                put(pack(clock() - step_at, tw | ins.xw))
            if op is CALL:
                assert ins.callee is not None
                self.steps(name, ins.callee)
            elif op is REPEAT:
                pass  # the program expands it
            elif op is SPAWN:
                for ref in ins.step.refs:
                    self.spawn(ref, name)
            elif op is SET:
                self.shared.events[ins.step.name].set()
            elif op is RELEASE:
                self.shared.locks[ins.step.name].release()
                self.holders.pop(ins.step.name, None)
            elif op is CPU:
                seconds = ins.step.seconds * self.ctx.scale
                probe.block(name, "cpu", seconds)
                self.waiting[name] = ("cpu", "holds the hub")  # only for `end.stuck`
                self.ctx.cpu.burn(seconds)
                del self.waiting[name]
            elif op is BLOCK and not self.patched_sleep:
                # The real time.sleep: the hub (and every other greenlet) waits with it.
                seconds = ins.step.seconds * self.ctx.scale
                probe.block(name, "block", seconds)
                self.waiting[name] = ("block", "time.sleep, holds the hub")
                time.sleep(seconds)
                del self.waiting[name]
            else:
                self._waiting_op(name, tid, ins, ins.step.seconds * self.ctx.scale)

    def _waiting_op(self, name: str, tid: int, ins: Instr, seconds: float) -> None:
        """The ops that may wait, switching to the hub inside gevent. Each wait is seen
        as it starts (`switched_out`); when the gevent call returns, the task says it
        runs again if it had to wait (`resumed`), before its wait is forgotten."""
        op = ins.op
        step = ins.step
        waiting = self.waiting
        back = self.resumed
        if op is SLEEP:
            waiting[name] = ("sleep", labels.sleep(step.seconds))  # as written
            self.last_timer = None  # `sleep: 0` arms none: no stale deadline
            gevent.sleep(seconds)
            back(tid)
            del waiting[name]
        elif op is BLOCK:
            # monkey.patch_all() made time.sleep gevent.sleep: a cooperative wait.
            waiting[name] = ("sleep", labels.sleep(step.seconds, patched=True))
            self.last_timer = None
            time.sleep(seconds)
            back(tid)
            del waiting[name]
        elif op is IO:
            port = self.ctx.io_port
            if port is None:
                raise RuntimeError("no delay server for `io`")
            waiting[name] = ("io", labels.io(step.seconds, labels.CONNECT))
            sock = gevent.socket.create_connection(("127.0.0.1", port))
            back(tid)
            with sock:
                waiting[name] = ("io", labels.io(step.seconds, labels.REPLY))
                sock.sendall(io_payload(seconds))
                back(tid)
                while sock.recv(64):
                    back(tid)
                back(tid)
            del waiting[name]
        elif op is JOIN:
            for ref in step.refs:
                g = self.greenlets.get(ref)
                if g is None:  # not spawned yet: wait until some task spawns it
                    waiting[name] = ("join", labels.join(ref, started=False))
                    self.spawned.setdefault(ref, gevent.event.Event()).wait()
                    back(tid)
                    g = self.greenlets[ref]
                waiting[name] = ("join", labels.join(ref))
                g.join()
                back(tid)
            waiting.pop(name, None)
        elif op is GATHER:
            gs = [self.greenlets.get(ref) or self.spawn(ref, name) for ref in step.refs]
            waiting[name] = ("gather", labels.gather(step.refs))
            gevent.joinall(gs)
            back(tid)
            del waiting[name]
        elif op is ACQUIRE:
            waiting[name] = ("lock", labels.lock(step.name, self.holders.get(step.name)))
            self.shared.locks[step.name].acquire()
            back(tid)
            del waiting[name]
            self.holders[step.name] = name
        elif op is WAIT:
            waiting[name] = ("event", labels.event(step.name))
            self.shared.events[step.name].wait()
            back(tid)
            del waiting[name]
        elif op is PUT:
            waiting[name] = ("queue", labels.queue(step.name, full=True))
            item = self.shared.text(ins, name, self.items.get(name, ""))
            self.shared.queues[step.name].put(item)
            back(tid)
            del waiting[name]
        elif op is GET:
            waiting[name] = ("queue", labels.queue(step.name, full=False))
            self.items[name] = self.shared.queues[step.name].get()
            back(tid)
            del waiting[name]
        else:  # the loader refuses ops a runtime cannot do; this is a bug if reached
            raise RuntimeError(f"`{step.op}` is not supported on gevent")

    # -- the run -------------------------------------------------------------------------------

    def stuck(self) -> list[dict[str, str]]:
        """Every task not finished, with what it waits on. Also called at a timeout, from
        another thread: who runs is what the run recorded last, not that thread's current
        greenlet."""
        running = self.current[0]
        out = []
        for name, g in list(self.greenlets.items()):
            if g.dead:
                continue
            if name not in self.started:  # spawned, its start still queued
                out.append({"task": name, "waiting_on": labels.NEVER_STARTED})
                continue
            why = self.waiting.get(name)
            if why is None and self.probe.tasks[name] == running:
                out.append({"task": name, "waiting_on": "running"})
                continue
            out.append(self.shared.wait_entry(name, *(why or ("yield", None))))
        return out

    def run(self) -> Outcome:
        original = gevent.config.loop
        base = original
        if getattr(base, "_simtui", False) is not False:  # our subclass, from an earlier run
            base = base.__mro__[1]
        wanted = _tracing_loop_class(base) if self.record else base
        if _hub_exists() and type(gevent.get_hub().loop) is not wanted:
            # A hub made before the run (e.g. by a patched subprocess) has a loop that
            # cannot be observed: replace it with a fresh hub whose loop can.
            gevent.get_hub().destroy(destroy_loop=True)
        gevent.config.loop = wanted
        hub = gevent.get_hub()
        self.loop = hub.loop
        shared = self.shared  # made with the hub they belong to
        shared.primitives(lambda: gevent.lock.BoundedSemaphore(1), gevent.event.Event,
                          lambda maxsize: gevent.queue.Queue(maxsize or None))
        for kind, table in (("lock", shared.locks), ("event", shared.events),
                            ("queue", shared.queues)):
            for key, primitive in table.items():
                self.labels[id(primitive)] = f"{kind} {key}"
        if self.record:
            self.loop._simtui = self
        self.probe.stuck_provider = self.stuck
        status = "ok"
        try:
            main = self.spawn(self.scenario.main, None)
            try:
                main.join()
            except LoopExit:
                status = "deadlock"
        finally:
            if self.record:
                self.loop._simtui = None
            gevent.config.loop = original
        stuck = self.stuck()
        if status == "ok" and self.failed:
            status = "error"
        return Outcome(status, stuck or None)


def _hub_exists() -> bool:
    from gevent._hub_local import get_hub_if_exists

    return get_hub_if_exists() is not None


def run(scenario: Scenario, probe: Probe, ctx: RunContext) -> Outcome:
    """Run every instance of `scenario` as Greenlets on the gevent hub, reporting to `probe`."""
    return GeventRun(scenario, probe, ctx).run()
