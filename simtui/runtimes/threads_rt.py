"""The OS-threads runtime: every task instance is a real thread that contends for the GIL.

There is no Python hook for "the GIL changed hands", so the threads report what they can
see for themselves and one consumer turns that into the trace:

- Each scenario thread appends raw records to one shared list (a single `list.append`
  each: atomic under the GIL, no I/O, so recording never releases the GIL and never
  changes the schedule it records). A record from a thread is also an *observation*: at
  that point in the list, that thread was executing Python code, so it held the GIL.
- `cpu` steps run in calibrated work units. After each unit a thread compares one shared
  slot, "who recorded last", with itself and appends an `obs` record only when it
  changed: one comparison per unit, an append only at a GIL handoff.
- The worker's main thread drains the list every `POLL` seconds, in order, and replays it
  through a small state machine that knows who holds the GIL. A record from a thread that
  does not hold it means the GIL changed hands: the holder, which had not given the GIL up
  itself, was preempted (`suspend preempt`, then `ready`: it is runnable again), and the
  new thread runs (`run`, `from` the previous holder). Because only this one consumer
  interprets the records, the trace stays consistent whatever interleaving the threads
  had between their comparison and their append: a race can only make an observation
  late, never false.
- A blocked thread becomes runnable (`wake`, `ready`) before it gets the GIL back (`run`),
  and the gap between them is the wait for the GIL. Where another thread releases it,
  that thread says so: a new thread for its starter, whose `Thread.start()` waits until
  the new thread runs; `Event.set` for the event's waiters; a thread's end for the threads
  joining it. The consumer places a sleeper's wake at its timer's deadline. Locks, queues
  and I/O wake a waiter the OS chooses, so that thread says so itself when its blocking
  call returns.
- The same main thread watches for deadlock: every live thread blocked on simtui's own
  primitives (locks, events, queues, joins), each still unsatisfiable, unchanged across
  two polls. Blocked threads cannot be woken, so the run ends there; the threads are
  daemons and die with the worker.

The run ends when every thread has ended, as a Python program waits for its threads, not
only for `main`; with status `error` if a task raised (the others go on, as real threads
do). The ready "queue" of threads is a set: the OS picks which runnable thread takes the
GIL next, so a trace of threads never claims FIFO order, and it has no `queue` snapshots:
there is no ready-queue data structure to read.
"""

from __future__ import annotations

import heapq
import itertools
import queue
import sys
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from simtui.runtimes.base import Outcome, RunContext, io_connect, io_exchange
from simtui.runtimes.interp import Program, Run
from simtui.runtimes.probe import Probe
from simtui.scenario.model import Scenario, render_text
from simtui.trace import labels, layout

POLL = 0.1
"""Seconds between two passes of the consumer and deadlock watcher (the worker's flusher
runs at the same pace for threads: fewer wake-ups perturb the GIL schedule less)."""

STABLE_POLLS = 2
"""A deadlock must look the same on this many consecutive polls before the run ends: a
thread whose blocking call just returned needs a moment to clear its waiting entry."""

DRAIN = 20_000
"""Raw records read at most when the run ends at its timeout (a few tens of ms)."""

THREAD_STACK = 1 << 20
"""Stack size of scenario threads: the default 8 MiB is plenty more than they need, and
scenarios may start thousands of them."""

# Waits the deadlock watcher counts: nothing but another scenario thread can end them.
_PRIMITIVE_WAITS = frozenset({"lock", "event", "get", "put", "join"})


class _TaskError(Exception):
    """A scenario-level failure of one task (e.g. `release` of an unlocked lock)."""


class _Wait:
    """What one blocked thread waits on, for the deadlock watcher and the stuck list."""

    __slots__ = ("kind", "detail", "target", "task", "reason", "left")

    def __init__(
        self, kind: str, detail: str, target: Any, task: str = "", reason: str = ""
    ) -> None:
        self.kind = kind
        """lock, event, get, put, join (primitives); sleep, io, start (they end by themselves)."""
        self.detail = detail
        """The suspend's detail (`trace.labels`): `db, held by w[0]`, `jobs, empty`."""
        self.target = target
        """The primitive, or for joins the tuple of task names waited for."""
        self.task = task
        """The waiting task (for joins: whom the last joined thread to end tells)."""
        self.reason = reason or {"get": "queue", "put": "queue", "start": "event"}.get(kind, kind)
        """The trace's suspend reason (`join` or `gather` for joins, `queue` for get/put)."""
        self.left: set[str] = set(target) if kind == "join" else set()
        """For joins: the joined tasks not yet ended."""


def run(scenario: Scenario, probe: Probe, ctx: RunContext) -> Outcome:
    """Run `scenario` on real threads under the GIL, reporting to `probe`."""
    return _ThreadsRun(scenario, probe, ctx).run()


class _ThreadsRun:
    """One run: the threads, their shared records, and the consumer/watcher state."""

    def __init__(self, scenario: Scenario, probe: Probe, ctx: RunContext) -> None:
        self.scenario = scenario
        self.probe = probe
        self.ctx = ctx
        self.scale = ctx.scale
        self.t0 = probe.t0
        self.raw: list[tuple[Any, ...]] = []
        """The threads' own records, `(clock, what, task, ...)`, for the consumer to read."""
        self.out = _emitter(probe)
        """Records one trace event given as `(clock, type, task, *fields)`."""
        self.consuming = threading.Lock()
        self.rec = self.raw.append
        self.clock = time.perf_counter_ns
        self.slot: list[str | None] = [None]
        """The thread that recorded last; None after it gave the GIL up itself."""
        self.threads: dict[str, threading.Thread] = {}
        self.live: set[str] = set()
        """Started and not yet done."""
        self.waiting: dict[str, _Wait] = {}
        self.holders: dict[str, str] = {}
        """Lock name → the thread holding it, to say whom a waiter waits for."""
        self.all_done = threading.Event()
        self.failed = False
        # Created before any thread starts: no race on first mention.
        self.shared = Run(scenario, probe)
        self.shared.primitives(threading.Lock, threading.Event, queue.Queue)
        self.locks: dict[str, threading.Lock] = self.shared.locks
        self.events: dict[str, threading.Event] = self.shared.events
        self.queues: dict[str, queue.Queue[str]] = self.shared.queues
        # Consumer state: who holds the GIL according to the records so far.
        self.holder: str | None = None
        self.last: str | None = None
        self.ready_set: set[str] = set()
        self.blocked: set[str] = set()
        """Suspended in the trace and not yet made ready."""
        self.timers: list[tuple[int, int, str]] = []
        """Heap of (deadline ns, n, task) of sleeps, to make sleepers ready on time."""
        self.timer_seq = itertools.count()
        # Who to tell when something ends: waiters of each event, join waits on each task.
        self.event_waiters: dict[str, set[str]] = {n: set() for n in self.events}
        self.join_waits: dict[str, list[_Wait]] = {}

    # ----------------------------------------------------------------- supervisor

    def run(self) -> Outcome:
        interval = self.scenario.options.seconds("threads", "switch_interval")
        if interval is not None:
            sys.setswitchinterval(interval)
        previous_stack = threading.stack_size(THREAD_STACK)
        try:
            return self._supervise()
        finally:
            threading.stack_size(previous_stack)

    def _supervise(self) -> Outcome:
        """Start `main`, then consume records and watch for deadlock until all are done."""
        self.probe.stuck_provider = self.stuck
        self.probe.drain = self.drain
        # `main` is a thread like the others: this thread stays free to consume records
        # and watch for deadlock, and the worker's flusher can always end a runaway run.
        main = self.scenario.main
        thread = threading.Thread(target=self._body, args=(main,), name=main, daemon=True)
        self.threads[main] = thread
        self.live.add(main)
        self.rec((self.clock(), "create", main, None))
        thread.start()
        previous: dict[str, _Wait] | None = None
        stable = 0
        while not self.all_done.wait(POLL):
            self.consume()
            stuck, snapshot = self._deadlock()
            if stuck is None:
                previous, stable = None, 0
                continue
            if previous is not None and _same(previous, snapshot):
                stable += 1
            else:
                previous, stable = snapshot, 1
            if stable >= STABLE_POLLS:
                self.consume()
                return Outcome("deadlock", stuck)
        self.consume()
        return Outcome("error" if self.failed else "ok")

    def consume(self) -> None:
        """Turn the raw records so far into trace events, in order (see the module doc).

        Called by the supervising thread every poll, and (`drain`) by the worker's flusher
        when it ends the run at its timeout: one at a time."""
        with self.consuming:
            self._consume(len(self.raw))

    def drain(self) -> None:
        """What the flusher calls at a timeout: the oldest records, a bounded number of
        them (a runaway thread records faster than they can be read: the trace is then
        the run up to some point before the timeout, all of it in order).

        It waits a little for a pass of the consumer under way, and no longer: the
        flusher may be running on the consumer's own thread (the worker's signal to
        write a backlog interrupts whatever the main thread does), and then waiting
        would never end."""
        if not self.consuming.acquire(timeout=0.1):
            return
        try:
            self._consume(min(len(self.raw), DRAIN))
        finally:
            self.consuming.release()

    def _consume(self, n: int) -> None:
        raw = self.raw
        if not n:
            return
        batch = raw[:n]
        del raw[:n]  # records appended meanwhile stay for the next pass
        out = self.out
        holder, last = self.holder, self.last
        ready, blocked, timers = self.ready_set, self.blocked, self.timers
        for r in batch:
            t = r[0]
            if timers and timers[0][0] <= t:
                self._expire_timers(t)
            kind = r[1]
            actor = r[3] if kind == "create" else r[4] if kind == "notify" else r[2]
            if kind == "wake" and actor in blocked:
                # Nobody saw it become runnable: it says so itself, now.
                blocked.discard(actor)
                ready.add(actor)
                out(r)
                out((t, "ready", actor, None))
            if actor is not holder and actor is not None:
                if holder is not None:
                    # The holder did not give the GIL up itself: the interpreter took it.
                    out((t, "suspend", holder, "preempt", None, None))
                    out((t, "ready", holder, None))
                    ready.add(holder)
                if actor in ready:
                    ready.discard(actor)
                else:
                    blocked.discard(actor)
                    out((t, "ready", actor, None))
                out((t, "run", actor, last, None))
                holder = last = actor
            if kind == "step":
                out(r)
            elif kind == "yield":
                # One record for the hot path: the step, its suspend, and the ready
                # that follows at once (time.sleep(0) leaves the thread runnable).
                out((t, "step", actor, r[3], "yield", r[4], r[5]))
                out((t, "suspend", actor, "yield", None, None))
                out((t, "ready", actor, None))
                ready.add(actor)
                holder = None
            elif kind == "print":
                out((t, "step", actor, r[3], "print", r[4], r[5]))
                out((t, "output", actor, r[6]))
            elif kind == "suspend":
                out(r)
                holder = None
                blocked.add(actor)
                if r[3] == "sleep":
                    deadline = self.t0 + round(r[5] * 1e9)
                    heapq.heappush(timers, (deadline, next(self.timer_seq), actor))
            elif kind == "notify":
                # The thread that released `waiter` (started it, set its event) made
                # it runnable; the end of a joined thread says so in its `done`.
                self._release(t, r[2], r[3])
            elif kind == "done" or kind == "error":
                out(r[:-1])
                holder = None
                for waiter, reason in r[-1]:
                    self._release(t, waiter, reason)
            elif kind == "create":
                out(r)
                ready.add(r[2])  # a started thread is runnable at once
                out((t, "ready", r[2], None))
            elif kind == "output":
                out(r)
            # obs, wake: the thread is running; nothing else to say.
        self.holder, self.last = holder, last

    def _release(self, t: int, waiter: str, reason: str) -> None:
        """`waiter` became runnable at `t` because another thread released it."""
        if waiter in self.blocked:
            self.blocked.discard(waiter)
            self.ready_set.add(waiter)
            self.out((t, "wake", waiter, reason))
            self.out((t, "ready", waiter, None))

    def _expire_timers(self, t: int) -> None:
        """Sleepers whose timer expired by `t` are runnable, whether or not they can take
        the GIL then: the wait for it is what a threads trace should show."""
        timers = self.timers
        while timers and timers[0][0] <= t:
            deadline, _, sleeper = heapq.heappop(timers)
            self._release(deadline, sleeper, "sleep")

    def _deadlock(self) -> tuple[list[dict[str, str]] | None, dict[str, _Wait]]:
        """The stuck list if every live thread waits on a primitive nobody can satisfy."""
        live = list(self.live)
        waiting = dict(self.waiting)
        if not live:
            return None, waiting
        for name in live:
            w = waiting.get(name)
            if w is None or w.kind not in _PRIMITIVE_WAITS or self._satisfiable(w):
                return None, waiting
        return self._stuck_list(live, waiting), waiting

    def _satisfiable(self, w: _Wait) -> bool:
        kind, target = w.kind, w.target
        if kind == "lock":
            return not target.locked()
        if kind == "event":
            return bool(target.is_set())
        if kind == "get":
            return bool(target.qsize() > 0)
        if kind == "put":
            return not target.full()
        if kind == "join":
            return not any(name in self.live for name in target)
        return True

    def _stuck_list(self, names: list[str], waiting: dict[str, _Wait]) -> list[dict[str, str]]:
        holder = self.slot[0]
        chosen = set(names)
        out = []
        for name in self.scenario.instances:
            if name not in chosen:
                continue
            w = waiting.get(name)
            entry = {"task": name, "waiting_on": "running" if name == holder else "ready"}
            if w is not None:
                detail = w.detail
                if w.kind == "join":  # those still running, not all it began to wait for
                    detail = labels.gather([t for t in w.target if t in self.live])
                elif w.kind == "lock":  # whoever holds it now, not when the wait began
                    subject = labels.read_wait("lock", detail).subject
                    detail = labels.lock(subject, self.holders.get(subject))
                wait = labels.read_wait(w.reason, detail)
                entry["waiting_on"] = wait.text()
                if wait.holder is not None:
                    entry["held_by"] = wait.holder
            out.append(entry)
        return out

    def stuck(self) -> list[dict[str, str]]:
        """Threads still alive, with what each waits on (for a `timeout` end)."""
        return self._stuck_list(list(self.live), dict(self.waiting))

    # ----------------------------------------------------------------- threads

    def _body(self, me: str, starter: str | None = None) -> None:
        rec, clock, slot = self.rec, self.clock, self.slot
        slot[0] = me
        if starter is not None:
            # Thread.start() in the starter returns once this thread has signalled that
            # it runs (just before this function): the starter is runnable from now on.
            rec((clock(), "notify", starter, "event", me))
        try:
            self._steps(me)
        except _TaskError as e:
            self._end(me, ("error", str(e)))
        except Exception as e:  # a bug in simtui: still end the task visibly
            self._end(me, ("error", f"{type(e).__name__}: {e}"))
        else:
            self._end(me, ("done",))

    def _end(self, me: str, how: tuple[str, ...]) -> None:
        """The thread's last record: done (or error), with the joiners it releases."""
        if how[0] == "error":
            self.failed = True
        self.live.discard(me)
        # A joiner is runnable once the last thread it joins has ended.
        released = []
        for wait in self.join_waits.pop(me, ()):
            wait.left.discard(me)
            if not wait.left:
                released.append((wait.task, wait.reason))
        self.slot[0] = me
        self.rec((self.clock(), how[0], me, *how[1:], tuple(released)))
        self.slot[0] = None
        if not self.live:
            self.all_done.set()

    def _steps(self, me: str, program: Program | None = None, item: str = "") -> str:
        """Run `program` (the task's own by default) in thread `me`; a `call` is a plain
        call of this. Returns the item a `get` took last."""
        rec, clock, slot = self.rec, self.clock, self.slot
        scale = self.scale
        waiting = self.waiting
        sleep = time.sleep
        own = self.shared.frames[me]
        if program is None:
            program = self.shared.program(me)
        # Ordering of slot writes and appends: an observation sets the slot first and then
        # appends; giving the GIL up appends first and then clears the slot. Either way a
        # thread preempted between the two is seen by the next thread that records.
        for ins in program.steps():
            step = ins.step
            frame = ins.frame or own
            op = step.op
            slot[0] = me
            if op == "yield":
                rec((clock(), "yield", me, step.index, step.line, step.col))
                slot[0] = None
                sleep(0)
                # No record of its own when it is back: the next step's record (every
                # op starts with one) shows this thread running again, within a step.
                continue
            if op == "print":
                text = render_text(step.text, frame.index, frame.name, item)
                rec((clock(), "print", me, step.index, step.line, step.col, text))
                continue
            rec((clock(), "step", me, step.index, op, step.line, step.col))
            if op == "cpu":
                self._cpu(me, self.ctx.cpu.units(step.seconds * scale))
            elif op == "sleep" or op == "block":
                d = step.seconds * scale
                t = clock()
                detail = labels.sleep(step.seconds)
                waiting[me] = _Wait("sleep", detail, None)
                rec((t, "suspend", me, "sleep", detail, (t + d * 1e9 - self.t0) / 1e9))
                slot[0] = None
                sleep(d)
                del waiting[me]
                slot[0] = me
                rec((clock(), "wake", me, "sleep"))
            elif op == "io":
                self._io(me, step.seconds, step.seconds * scale)
            elif op == "spawn":
                for ref in step.refs:
                    self._start(me, ref)
            elif op == "gather":
                for ref in step.refs:
                    self._start(me, ref)
                self._join(me, step.refs, "gather")
            elif op == "join":
                self._join(me, step.refs, "join")
            elif op == "acquire":
                lock = self.locks[step.name]
                if not lock.acquire(False):
                    detail = labels.lock(step.name, self.holders.get(step.name))
                    self._block(me, _Wait("lock", detail, lock), lock.acquire)
                self.holders[step.name] = me
            elif op == "release":
                try:
                    self.locks[step.name].release()
                except RuntimeError:
                    raise _TaskError(f"release of lock {step.name!r}, which is not held") from None
                self.holders.pop(step.name, None)
            elif op == "wait":
                event = self.events[step.name]
                if not event.is_set():
                    wait = _Wait("event", labels.event(step.name), event)
                    self._block(me, wait, event.wait, self.event_waiters[step.name])
            elif op == "set":
                self.events[step.name].set()
                # Every thread waiting on the event is runnable from now on.
                for waiter in list(self.event_waiters[step.name]):
                    slot[0] = me
                    rec((clock(), "notify", waiter, "event", me))
            elif op == "put":
                q = self.queues[step.name]
                text = render_text(step.text, frame.index, frame.name, item)
                try:
                    q.put_nowait(text)
                except queue.Full:
                    wait = _Wait("put", labels.queue(step.name, full=True), q)
                    self._block(me, wait, partial(q.put, text))
            elif op == "get":
                q = self.queues[step.name]
                try:
                    item = q.get_nowait()
                except queue.Empty:
                    wait = _Wait("get", labels.queue(step.name, full=False), q)
                    item = str(self._block(me, wait, q.get))
            elif op == "call":
                assert ins.callee is not None
                item = self._steps(me, ins.callee, item)
            # `repeat` only records its step: the program expands it.
        return item

    def _cpu(self, me: str, n: int) -> None:
        # The hot loop: one work unit, one comparison; an append only at a GIL handoff.
        rec, clock, slot = self.rec, self.clock, self.slot
        unit = self.ctx.cpu.unit
        for _ in range(n):
            unit()
            if slot[0] is not me:
                slot[0] = me
                rec((clock(), "obs", me))

    def _block(
        self, me: str, wait: _Wait, call: Callable[[], object], waiters: set[str] | None = None
    ) -> object:
        """Suspend on a primitive that is not available now, block on it, wake; what
        the blocking call returned."""
        rec, clock, slot = self.rec, self.clock, self.slot
        reason = wait.reason
        self.waiting[me] = wait
        rec((clock(), "suspend", me, reason, wait.detail, None))
        # Registered after the suspend record, so a notify never precedes it.
        if waiters is not None:
            waiters.add(me)
        slot[0] = None
        result = call()
        if waiters is not None:
            waiters.discard(me)
        del self.waiting[me]
        slot[0] = me
        rec((clock(), "wake", me, reason))
        return result

    def _io(self, me: str, written: float, seconds: float) -> None:
        port = self.ctx.io_port
        if port is None:
            raise _TaskError("no delay server for `io`")
        # The two blocking calls of a request, each its own wait: the connection to the
        # delay server, then its reply, which comes `seconds` after the request.
        try:
            sock = self._io_wait(me, written, labels.CONNECT, io_connect, port)
            with sock:
                self._io_wait(me, written, labels.REPLY, io_exchange, sock, seconds)
        except OSError as e:
            raise _TaskError(f"io request failed: {e}") from None

    def _io_wait(self, me: str, written: float, phase: str, call: Callable[..., Any],
                 *args: Any) -> Any:
        rec, clock, slot = self.rec, self.clock, self.slot
        detail = labels.io(written, phase)
        self.waiting[me] = _Wait("io", detail, None)
        rec((clock(), "suspend", me, "io", detail, None))
        slot[0] = None
        try:
            return call(*args)
        finally:
            self.waiting.pop(me, None)
            slot[0] = me
            rec((clock(), "wake", me, "io"))

    def _start(self, me: str, ref: str) -> None:
        """`Thread.start`: the starter waits on the new thread's `started` event, which
        hands the GIL to the new thread; the trace shows that wait as it is."""
        rec, clock, slot = self.rec, self.clock, self.slot
        if ref in self.threads:
            raise _TaskError(f"{ref} was already started (threads can only be started once)")
        thread = threading.Thread(target=self._body, args=(ref, me), name=ref, daemon=True)
        self.threads[ref] = thread
        self.live.add(ref)
        slot[0] = me
        rec((clock(), "create", ref, me))
        detail = labels.thread_start(ref)
        self.waiting[me] = _Wait("start", detail, None)
        rec((clock(), "suspend", me, "event", detail, None))
        slot[0] = None
        try:
            thread.start()
        except RuntimeError as e:  # the OS refused another thread
            self.live.discard(ref)
            del self.threads[ref]
            raise _TaskError(f"cannot start {ref}: {e}") from None
        finally:
            self.waiting.pop(me, None)
        slot[0] = me
        rec((clock(), "wake", me, "event"))

    def _join(self, me: str, refs: tuple[str, ...], reason: str) -> None:
        rec, clock, slot = self.rec, self.clock, self.slot
        threads = []
        for ref in refs:
            if ref == me:
                raise _TaskError(f"{me} cannot join itself")
            thread = self.threads.get(ref)
            if thread is None:
                raise _TaskError(f"join {ref}: it was never started (spawn it first)")
            threads.append(thread)
        pending = tuple(ref for ref in refs if ref in self.live)
        if not pending:
            for thread in threads:
                thread.join()
            return
        detail = labels.gather(pending)
        wait = _Wait("join", detail, pending, me, reason)
        self.waiting[me] = wait
        rec((clock(), "suspend", me, reason, detail, None))
        # Registered after the suspend record; a task that ended meanwhile never tells,
        # and this thread then says itself that it woke.
        join_waits = self.join_waits
        for ref in pending:
            join_waits.setdefault(ref, []).append(wait)
        slot[0] = None
        for thread in threads:
            thread.join()
        del self.waiting[me]
        slot[0] = me
        rec((clock(), "wake", me, reason))


def _emitter(probe: Probe) -> Callable[[tuple[Any, ...]], None]:
    """The consumer's way of recording an event, from its `(clock, type, task, *fields)`."""
    kinds, key, declare, emit = layout.KIND, probe.key, probe.x, probe.emit

    def out(r: tuple[Any, ...]) -> None:
        kind = kinds[r[1]]
        fields = r[3:]
        # A task's `ready` and `done` have no fields (threads have no callback entries).
        x = layout.NONE if kind == layout.READY or not fields else declare(fields)
        emit(kind, key(r[2]), x, r[0])

    return out


def _same(a: dict[str, _Wait], b: dict[str, _Wait]) -> bool:
    """The same threads waiting on the very same waits (not a new wait on the same thing)."""
    return a.keys() == b.keys() and all(a[k] is b[k] for k in a)
