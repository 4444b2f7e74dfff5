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
- Switches, through `greenlet.settrace`: `X → hub → Y` is reported as one switch,
  `suspend(X)` then `run(Y, from=X)`. When a timer or an I/O watcher (or a callback that
  notifies waiters, like `_notify_links`) switches into Y straight from the hub, Y was
  never in the queue: the trace shows `wake(Y)` then `run(Y)`.
- Timer deadlines, through the loop's `timer()`: a started libev timer's `at` is its
  expiry on the monotonic clock.

`main` runs in a Greenlet spawned like every other task (so its start goes through the
hub's queue); the process's root greenlet waits for it with `join`. When the hub runs out
of work while greenlets still wait, gevent throws `LoopExit` into the root: that is the
`deadlock` outcome.
"""

from __future__ import annotations

import contextlib
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
from simtui.runtimes.probe import Probe
from simtui.scenario.model import Scenario, Step, render_text, walk
from simtui.trace import labels

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
            task = state.name_of(id(owner))
            if task is None:
                if isinstance(owner, Waiter):
                    # Its greenlet is set once someone waits on it; in `gevent.sleep(0)`
                    # that is the current greenlet, right after this call.
                    task = state.name_of(id(owner.greenlet or getcurrent()))
            elif getattr(func, "__name__", None) != "switch":
                task = None
            if task is None:
                return run_callback(self, state.wrap(func, owner), *args)
            pending = state.pending
            pending[task] = pending.get(task, 0) + 1
            state.probe.ready(task)
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
        state.probe.run(None, state.last_from, self.label)
        return self.func(*args)


class GeventRun:
    """One run of a scenario on the gevent hub."""

    def __init__(self, scenario: Scenario, probe: Probe, ctx: RunContext):
        self.scenario = scenario
        self.probe = probe
        self.ctx = ctx
        self.record = probe.recording
        self.snapshots = probe.snapshots
        self.greenlets: dict[str, gevent.Greenlet] = {}
        self.names: dict[int, str] = {}
        """id(greenlet) → task; the greenlets are kept alive by `greenlets`, so ids stay unique."""
        self.labels: dict[int, str] = {}
        """id(lock/event/queue) → its scenario name, to name their hub callbacks."""
        self.waiting: dict[str, tuple[str, str | None]] = {}
        """Task → (reason, detail) while it is inside an op that may switch to the hub."""
        self.items: dict[str, str] = {}
        self.started: set[str] = set()
        self.spawned: dict[str, gevent.event.Event] = {}
        self.locks: dict[str, gevent.lock.BoundedSemaphore] = {}
        self.holders: dict[str, str] = {}
        """Lock name → the task holding it, to say whom a waiter waits for."""
        self.events: dict[str, gevent.event.Event] = {}
        self.queues: dict[str, gevent.queue.Queue] = {}
        self.last_from: str | None = None
        self.name_of = self.names.get
        self.pending: dict[str, int] = {}
        """Task → its entries in the hub's queue (a task's own switch callbacks)."""
        self.last_timer: Any = None
        self.loop: Any = None
        self.failed = False
        self._previous: Callable[[str, tuple[Any, Any]], None] | None = None
        self.patched_sleep = monkey.is_object_patched("time", "sleep")

    # -- the hub's queue -------------------------------------------------------------------

    def wrap(self, func: Callable[..., Any], owner: object) -> _Queued:
        """Record a callback that is not a task's switch entering the queue, and wrap it."""
        if owner is None:
            label = getattr(func, "__qualname__", None) or repr(func)
        else:
            names = self.names
            whose = names.get(id(owner)) or self.labels.get(id(owner)) or type(owner).__name__
            label = labels.notifier(whose, getattr(func, "__name__", "?"))
        self.probe.ready(None, label)
        return _Queued(func, label, self)

    def queue_labels(self) -> list[str]:
        """The names of what the hub's real callback queue holds now, in order (O(n))."""
        out = []
        names = self.names
        for cb in self.loop._callbacks:
            f = cb.callback
            if f is None:  # stopped: the hub will skip it
                continue
            label = getattr(f, "label", None)
            if label is None:
                owner = getattr(f, "__self__", None)
                label = names.get(id(owner))
                if label is None and isinstance(owner, Waiter):
                    label = names.get(id(owner.greenlet))
            out.append(label or getattr(f, "__qualname__", None) or repr(f))
        return out

    # -- switches ---------------------------------------------------------------------------

    def _tracer(self) -> Callable[[str, tuple[Any, Any]], None]:
        """The greenlet tracer: a closure over what it needs, as it runs twice per switch.

        It appends the Probe's records directly (the very tuples Probe.suspend, .run,
        .wake and .done build): a Python call per event would be a third of its cost.
        """
        name_of, previous, probe = self.name_of, self._previous, self.probe
        waiting, pending, snapshots = self.waiting, self.pending, self.snapshots
        state = self

        def trace(event: str, args: tuple[Any, Any]) -> None:
            try:
                origin, target = args
                came = name_of(id(origin))
                to = name_of(id(target))
                if came is not None:
                    if origin.dead:
                        probe.done(came)
                    else:
                        waited = waiting.get(came)
                        if waited is None:
                            probe.suspend(came, "yield")
                        else:
                            reason, detail = waited
                            until = state._deadline() if reason == "sleep" else None
                            probe.suspend(came, reason, detail, until)
                    state.last_from = came
                if to is not None:
                    n = pending.get(to)
                    if n:  # the hub popped this task's entry from its queue and runs it
                        if n == 1:
                            del pending[to]
                        else:
                            pending[to] = n - 1
                        if snapshots:
                            state.probe.queue([to, *state.queue_labels()])
                    else:
                        # Straight from a timer, an I/O watcher or a notifier: never queued.
                        waited = waiting.get(to)
                        probe.wake(to, waited[0] if waited else "switch")
                        if snapshots:
                            state.probe.queue(state.queue_labels())
                    probe.run(to, state.last_from)
            except Exception:  # a tracer that raises is uninstalled by greenlet: never raise
                pass
            if previous is not None:
                with contextlib.suppress(Exception):
                    previous(event, args)

        return trace

    def _deadline(self) -> float | None:
        """When the timer just armed by the suspending greenlet fires, in trace seconds."""
        t = self.last_timer
        at = getattr(t, "at", None)  # libuv timers have none
        if at is None or not t.active:
            return None
        # libev: a started timer's `at` is its expiry on the monotonic clock.
        return round(self.probe.now() + (at - time.monotonic()), 7)

    # -- tasks ----------------------------------------------------------------------------------

    def spawn(self, name: str, parent: str | None) -> gevent.Greenlet:
        """`gevent.spawn`, in its two halves, so the task is named before it is queued."""
        if name in self.greenlets:
            raise RuntimeError(f"{name} was already spawned")
        g = gevent.Greenlet(self._steps, name)
        self.greenlets[name] = g
        self.names[id(g)] = name
        self.probe.create(name, parent)
        g.start()
        started = self.spawned.get(name)
        if started is not None:
            started.set()
        return g

    def _waiting(self, task: str, reason: str, detail: str | None) -> None:
        self.waiting[task] = (reason, detail)

    def _steps(self, name: str) -> None:
        self.started.add(name)
        try:
            self._do_steps(name)
        except greenlet.GreenletExit:
            return  # killed or collected after the run ended: nothing to record
        except Exception as e:  # a scenario-level failure (e.g. the io server refused)
            self.failed = True
            self.probe.error(name, f"{type(e).__name__}: {e}")

    def _do_steps(self, name: str) -> None:
        probe = self.probe
        scale = self.ctx.scale
        waiting = self.waiting
        record = self.record
        for step, frame in walk(self.scenario, name):
            if record:  # Probe.step's record, appended directly: once per step
                probe.step(name, step.index, step.op, step.line, step.col)
            op = step.op
            if op == "yield":
                waiting[name] = ("yield", None)
                gevent.sleep(0)
                del waiting[name]
            elif op == "print":
                text = render_text(step.text, frame.index, frame.name, self.items.get(name, ""))
                probe.output(name, text)
            elif op == "sleep":
                waiting[name] = ("sleep", labels.sleep(step.seconds))  # as written
                self.last_timer = None  # `sleep: 0` arms none: no stale deadline
                gevent.sleep(step.seconds * scale)
                del waiting[name]
            elif op in ("call", "repeat"):
                pass  # expanded by walk()
            else:
                self._other(name, step, frame.index, frame.name, step.seconds * scale)

    def _other(self, name: str, step: Step, index: int, inst: str, seconds: float) -> None:
        op = step.op
        probe = self.probe
        waiting = self.waiting
        if op == "cpu":
            probe.block(name, "cpu", seconds)
            waiting[name] = ("cpu", "holds the hub")  # only for `end.stuck`: no switch here
            self.ctx.cpu.burn(seconds)
            del waiting[name]
        elif op == "block":
            if self.patched_sleep:
                # monkey.patch_all() made time.sleep gevent.sleep: a cooperative wait.
                waiting[name] = ("sleep", labels.sleep(step.seconds, patched=True))
                self.last_timer = None
                time.sleep(seconds)
                del waiting[name]
            else:
                # The real time.sleep: the hub (and every other greenlet) waits with it.
                probe.block(name, "block", seconds)
                waiting[name] = ("block", "time.sleep, holds the hub")
                time.sleep(seconds)
                del waiting[name]
        elif op == "io":
            port = self.ctx.io_port
            if port is None:
                raise RuntimeError("no delay server for `io`")
            waiting[name] = ("io", labels.io(step.seconds, labels.CONNECT))
            sock = gevent.socket.create_connection(("127.0.0.1", port))
            with sock:
                waiting[name] = ("io", labels.io(step.seconds, labels.REPLY))
                sock.sendall(io_payload(seconds))
                while sock.recv(64):
                    pass
            del waiting[name]
        elif op == "spawn":
            for ref in step.refs:
                self.spawn(ref, name)
        elif op == "join":
            for ref in step.refs:
                g = self.greenlets.get(ref)
                if g is None:  # not spawned yet: wait until some task spawns it
                    waiting[name] = ("join", labels.join(ref, started=False))
                    self.spawned.setdefault(ref, gevent.event.Event()).wait()
                    g = self.greenlets[ref]
                waiting[name] = ("join", labels.join(ref))
                g.join()
            waiting.pop(name, None)
        elif op == "gather":
            gs = [self.greenlets.get(ref) or self.spawn(ref, name) for ref in step.refs]
            waiting[name] = ("gather", labels.gather(step.refs))
            gevent.joinall(gs)
            del waiting[name]
        elif op in ("acquire", "release"):
            lock = self.locks.get(step.name)
            if lock is None:
                lock = self.locks[step.name] = gevent.lock.BoundedSemaphore(1)
                self.labels[id(lock)] = f"lock {step.name}"
            if op == "acquire":
                waiting[name] = ("lock", labels.lock(step.name, self.holders.get(step.name)))
                lock.acquire()
                del waiting[name]
                self.holders[step.name] = name
            else:
                lock.release()
                self.holders.pop(step.name, None)
        elif op in ("wait", "set"):
            event = self.events.get(step.name)
            if event is None:
                event = self.events[step.name] = gevent.event.Event()
                self.labels[id(event)] = f"event {step.name}"
            if op == "wait":
                waiting[name] = ("event", labels.event(step.name))
                event.wait()
                del waiting[name]
            else:
                event.set()
        elif op in ("put", "get"):
            queue = self.queues.get(step.name)
            if queue is None:
                queue = self.queues[step.name] = gevent.queue.Queue(
                    self.scenario.queues.get(step.name)
                )
                self.labels[id(queue)] = f"queue {step.name}"
            if op == "put":
                waiting[name] = ("queue", labels.queue(step.name, full=True))
                queue.put(render_text(step.text, index, inst, self.items.get(name, "")))
                del waiting[name]
            else:
                waiting[name] = ("queue", labels.queue(step.name, full=False))
                self.items[name] = queue.get()
                del waiting[name]
        else:  # the loader refuses ops a runtime cannot do; this is a bug if reached
            raise RuntimeError(f"`{op}` is not supported on gevent")

    # -- the run -------------------------------------------------------------------------------

    def stuck(self) -> list[dict[str, str]]:
        """Every task not finished, with what it waits on."""
        out = []
        for name, g in list(self.greenlets.items()):
            if g.dead:
                continue
            entry = {"task": name, "waiting_on": labels.NEVER_STARTED}
            if name in self.started:  # else spawned, its start still queued
                wait = labels.read_wait(*(self.waiting.get(name) or ("yield", None)))
                if wait.reason == "lock":  # whoever holds it now, not when the wait began
                    holder = self.holders.get(wait.subject)
                    wait = labels.read_wait("lock", labels.lock(wait.subject, holder))
                entry["waiting_on"] = wait.text()
                if wait.holder is not None:
                    entry["held_by"] = wait.holder
            out.append(entry)
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
        if self.record:
            self.loop._simtui = self
            self._previous = greenlet.gettrace()
            greenlet.settrace(self._tracer())
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
                greenlet.settrace(self._previous)
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
