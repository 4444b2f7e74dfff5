"""The OS-threads runtime: every task instance is a real thread that contends for the GIL.

There is no Python hook for "the GIL changed hands", so each thread reports what it sees
for itself, when it sees it, straight into the probe's records:

- A record from a thread is an *observation*: at that moment that thread was executing
  Python code, so it held the GIL. Every step starts with one; `cpu` steps run in
  calibrated work units, and after each unit the thread compares one shared slot, "who
  holds the GIL as the records say", with itself (one comparison per unit).
- A thread that records while the slot names another thread has seen a GIL handoff. It
  records the consequences then, at its own clock reading: the previous holder, which
  had not given the GIL up by any call it recorded, lost it (`suspend preempt`, and
  `ready`: it is runnable still), or, if its last record was a `yield`, gave it away
  there (`suspend yield`, `ready`); then its own `run`. Those `suspend`s and `ready`s are
  deduced, not seen: they carry `inferred: true`. The `run` is the thread's own.
- A yield (`time.sleep(0)`) records its step and nothing more. Only if another thread
  records before the yielder does is it a handoff (see above); a yield that nobody
  answered leaves the thread running, and the trace says no more than its step.
- A blocking call (`time.sleep`, a socket, a lock, an event, a queue, a join,
  `Thread.start`) is recorded by the thread that makes it: `suspend` just before the
  call, and when the call returns, at one clock reading, `wake` (what it observed) and
  `run`. Nobody else places its wake: not at a sleeper's deadline, not at the setter's
  `set`. Its `ready` is inferred: the OS makes it runnable at a moment nobody sees, and
  it then waits for the GIL. A thread that knowingly ends another's wait records that
  `ready` as it does (a new thread's first record for its starter, `set` for the event's
  waiters, a thread's end for the joiner it was the last to keep waiting), so a waiter
  waiting for the GIL is never shown as waiting for its event; otherwise (sleep, I/O, a
  lock or a queue, whose waiter the OS or a timer picks) the waiter records it itself,
  with its wake.
- `Thread.start()` is recorded by the starter as it calls it: the new thread's `create`
  and `ready`, and the starter's own `suspend` (start() waits until the new thread has
  signalled that it runs). The new thread records its first `run` when it first records.
- One lock is held for each record and each change of the slot: an observation and what
  it implies reach the records together, in the order the threads made them, with
  clock readings that never go back. It is held for a few bytecodes and never across a
  blocking call, so a thread rarely waits for it.
- Nothing in the worker interprets records: its flusher only writes them to the pipe
  (every 0.1 s for threads: fewer wake-ups perturb the GIL schedule less), and the
  worker's main thread only watches for deadlock: every live thread blocked on simtui's
  own primitives (locks, events, queues, joins), each still unsatisfiable, unchanged
  across two polls. Blocked threads cannot be woken, so the run ends there; the threads
  are daemons and die with the worker. A handoff through one of those two threads
  (a scenario thread → the flusher → another scenario thread) is invisible: it shows as
  the second thread preempting the first.

The run ends when every thread has ended, as a Python program waits for its threads, not
only for `main`; with status `error` if a task raised (the others go on, as real threads
do). The ready "queue" of threads is a set: the OS picks which runnable thread takes the
GIL next, so a trace of threads never claims FIFO order, and it has no `queue` snapshots:
there is no ready-queue data structure to read.
"""

from __future__ import annotations

import queue
import struct
import sys
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from simtui.runtimes.base import Outcome, RunContext, io_connect, io_exchange
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
    SET,
    SLEEP,
    SPAWN,
    WAIT,
    YIELD,
    Program,
    Run,
)
from simtui.runtimes.probe import Probe, pack, pack2, pack3
from simtui.scenario.model import Scenario
from simtui.trace import labels
from simtui.trace.layout import (
    CREATE,
    DONE,
    ERROR,
    NONE,
    OUTPUT,
    READY,
    RUN,
    STEP,
    SUSPEND,
    WAKE,
    x_word,
)

POLL = 0.1
"""Seconds between two looks of the deadlock watcher (the worker's flusher runs at the
same pace for threads: fewer wake-ups perturb the GIL schedule less)."""

STABLE_POLLS = 2
"""A deadlock must look the same on this many consecutive polls before the run ends: a
thread whose blocking call just returned needs a moment to clear its waiting entry."""

THREAD_STACK = 1 << 20
"""Stack size of scenario threads: the default 8 MiB is plenty more than they need, and
scenarios may start thousands of them."""

# Waits the deadlock watcher counts: nothing but another scenario thread can end them.
_PRIMITIVE_WAITS = frozenset({"lock", "event", "get", "put", "join"})

pack4 = struct.Struct("=8q").pack
"""Four records at one clock reading: a handoff seen at a yield (see `_ThreadsRun._steps`)."""

# The slot (`_ThreadsRun.gil`): who holds the GIL as the records say, who ran last, and
# whether the holder's last record was a yield.
_HOLDER, _LAST, _YIELDED = 0, 1, 2


class _TaskError(Exception):
    """A scenario-level failure of one task (e.g. `release` of an unlocked lock)."""


class _Wait:
    """What one blocked thread waits on, for the deadlock watcher and the stuck list."""

    __slots__ = ("kind", "detail", "target", "reason", "task", "left")

    def __init__(self, kind: str, detail: str, target: Any, reason: str = "",
                 task: int = NONE) -> None:
        self.kind = kind
        """lock, event, get, put, join (primitives); sleep, io, start (they end by themselves)."""
        self.detail = detail
        """The suspend's detail (`trace.labels`): `db, held by w[0]`, `jobs, empty`."""
        self.target = target
        """The primitive, or for joins the tuple of task names waited for."""
        self.reason = reason or {"get": "queue", "put": "queue", "start": "event"}.get(kind, kind)
        """The trace's suspend reason (`join` or `gather` for joins, `queue` for get/put)."""
        self.task = task
        """For joins: the waiting task's id, whom the last joined thread to end releases."""
        self.left: set[str] = set(target) if kind == "join" else set()
        """For joins: the joined tasks not yet ended."""


def run(scenario: Scenario, probe: Probe, ctx: RunContext) -> Outcome:
    """Run `scenario` on real threads under the GIL, reporting to `probe`."""
    return _ThreadsRun(scenario, probe, ctx).run()


class _ThreadsRun:
    """One run: the threads, the slot they record their observations against, the watcher."""

    def __init__(self, scenario: Scenario, probe: Probe, ctx: RunContext) -> None:
        self.scenario = scenario
        self.probe = probe
        self.ctx = ctx
        self.scale = ctx.scale
        self.record = probe.recording
        """False runs the same threads recording nothing (the benchmarks' other side)."""
        self.lock = threading.Lock()
        """Held for every record and every change of `gil` (see the module doc)."""
        self.gil: list[Any] = [NONE, NONE, False]
        """Who holds the GIL as the records say (a task id; NONE once it gave the GIL up
        itself), who ran last (the next `run`'s `from`), and whether the holder's last
        record was a yield."""
        self.clock = probe.clock
        self.put = probe.put
        self.names = list(probe.tasks)
        """Task id → name."""
        self.threads: dict[str, threading.Thread] = {}
        self.live: set[str] = set()
        """Started and not yet done."""
        self.waiting: dict[str, _Wait] = {}
        self.holders: dict[str, str] = {}
        """Lock name → the thread holding it, to say whom a waiter waits for."""
        self.all_done = threading.Event()
        self.failed = False
        # Who releases whom (all under `lock`): a thread suspended in a wait another
        # thread knowingly ends (its starter's Thread.start, an event's set, the end of
        # the threads it joins) is made ready by that thread, inferred, as it ends it.
        self.suspended: set[int] = set()
        """Threads between their `suspend` and their `wake`."""
        self.released: set[int] = set()
        """Suspended threads another thread has made ready (their wake then has no ready)."""
        self.event_waiters: dict[str, set[int]] = {}
        self.join_waits: dict[str, list[_Wait]] = {}
        # Created before any thread starts: no race on first mention.
        self.shared = Run(scenario, probe)
        self.shared.primitives(threading.Lock, threading.Event, queue.Queue)
        self.locks: dict[str, threading.Lock] = self.shared.locks
        self.events: dict[str, threading.Event] = self.shared.events
        self.queues: dict[str, queue.Queue[str]] = self.shared.queues
        # Words made once: the x halves of the records the threads make most.
        x = probe.x
        self.tw = self.shared.task_words
        self.from_w = [x_word(x((name, None))) for name in self.names]
        self.from_w.append(x_word(x((None, None))))  # [NONE]: the first run comes from nobody
        self.ready_inferred = x_word(x((None, True)))
        self.lost = [x_word(x(("preempt", None, None, True))),
                     x_word(x(("yield", None, None, True)))]
        """A holder's inferred suspend: preempted, or (its last record a yield) yielded."""
        self.wakes = {reason: x_word(x((reason,)))
                      for reason in ("sleep", "io", "lock", "event", "queue", "join", "gather")}
        self.o = probe.offsets

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
        """Start `main`, then watch for deadlock until every thread is done."""
        self.probe.stuck_provider = self.stuck
        # `main` is a thread like the others: this thread stays free to watch for
        # deadlock, and the worker's flusher can always end a runaway run.
        main = self.scenario.main
        thread = threading.Thread(target=self._body, args=(main,), name=main, daemon=True)
        self.threads[main] = thread
        self.live.add(main)
        if self.record:
            me = self.probe.tasks[main]
            with self.lock:
                t = self.clock()
                self.put(pack2(t - self.o[CREATE], self.tw[me] | x_word(self.probe.x((None,))),
                               t - self.o[READY], self.tw[me] | x_word(NONE)))
        thread.start()
        previous: dict[str, _Wait] | None = None
        stable = 0
        while not self.all_done.wait(POLL):
            stuck, snapshot = self._deadlock()
            if stuck is None:
                previous, stable = None, 0
                continue
            if previous is not None and _same(previous, snapshot):
                stable += 1
            else:
                previous, stable = snapshot, 1
            if stable >= STABLE_POLLS:
                return Outcome("deadlock", stuck)
        return Outcome("error" if self.failed else "ok")

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
        held = self.gil[_HOLDER]
        holder = self.names[held] if held != NONE else None
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

    # ----------------------------------------------------------------- observations
    # Each is called with `self.lock` held, or takes it; `me` is the recording thread's id.

    def _take(self, me: int, t: int) -> bytes:
        """`me` records while the slot names another thread, or no one: the GIL changed
        hands. The records of what that implies, at `me`'s clock reading `t`."""
        gil = self.gil
        held, last, yielded = gil
        gil[_HOLDER] = gil[_LAST] = me
        gil[_YIELDED] = False
        tw, o = self.tw, self.o
        if held == NONE:  # the last holder gave the GIL up itself, and said so
            return pack(t - o[RUN], tw[me] | self.from_w[last])
        # It had not: the interpreter took the GIL from it (or it gave it away at the
        # yield it recorded last). Seen only now, by the new holder: inferred.
        return pack3(t - o[SUSPEND], tw[held] | self.lost[yielded],
                     t - o[READY], tw[held] | self.ready_inferred,
                     t - o[RUN], tw[me] | self.from_w[held])

    def _step(self, me: int, xw: int) -> None:
        """`me` starts a step: an observation (lock held)."""
        t = self.clock()
        if self.gil[_HOLDER] != me:
            self.put(self._take(me, t))
        else:
            self.gil[_YIELDED] = False
        self.put(pack(t - self.o[STEP], self.tw[me] | xw))

    def _give_up(self, me: int, extras: tuple[Any, ...], unique: bool = False,
                 register: Callable[[], None] | None = None) -> None:
        """`me` is about to block in a call that releases the GIL: its `suspend`;
        `register` tells whoever will end the wait (called with the lock held)."""
        probe = self.probe
        with self.lock:
            self.suspended.add(me)
            if register is not None:
                register()
            t = self.clock()
            if self.gil[_HOLDER] != me:
                self.put(self._take(me, t))
            if unique:  # a sleep's deadline: one of its own
                extras = (*extras[:2], (t - probe.t0) / 1e9 + extras[2])
                x = probe.unique(extras)
            else:
                x = probe.x(extras)
            self.put(pack(t - self.o[SUSPEND], self.tw[me] | x_word(x)))
            self.gil[_HOLDER] = NONE

    def _back(self, me: int, reason: str, waiters: set[int] | None = None) -> None:
        """`me`'s blocking call returned and it holds the GIL again: what it observes.
        Its `ready` is inferred, here unless the thread that ended the wait recorded it."""
        with self.lock:
            t = self.clock()
            o, tw = self.o, self.tw
            self.suspended.discard(me)
            if waiters is not None:
                waiters.discard(me)
            if me in self.released:
                self.released.discard(me)
                self.put(pack(t - o[WAKE], tw[me] | self.wakes[reason]))
            else:
                self.put(pack2(t - o[WAKE], tw[me] | self.wakes[reason],
                               t - o[READY], tw[me] | self.ready_inferred))
            self.put(self._take(me, t))

    def _release(self, waiter: int, t: int) -> None:
        """`waiter`'s wait was just ended by the recording thread, which knows it: it is
        runnable from now on (lock held). Its `ready`, inferred: it is not the waiter's
        own observation (the waiter says when it woke, later, as it holds the GIL)."""
        if waiter in self.suspended and waiter not in self.released:
            self.released.add(waiter)
            self.put(pack(t - self.o[READY], self.tw[waiter] | self.ready_inferred))

    # ----------------------------------------------------------------- threads

    def _body(self, name: str, starter: int = NONE) -> None:
        me = self.probe.tasks[name]
        if self.record:
            # Its first observation: it runs (its create and ready are its starter's),
            # and its starter's Thread.start() can return: it signalled that it runs.
            with self.lock:
                t = self.clock()
                self.put(self._take(me, t))
                if starter != NONE:
                    self._release(starter, t)
        try:
            self._steps(name, me)
        except _TaskError as e:
            self._end(name, me, str(e))
        except Exception as e:  # a bug in simtui: still end the task visibly
            self._end(name, me, f"{type(e).__name__}: {e}")
        else:
            self._end(name, me, None)

    def _end(self, name: str, me: int, error: str | None) -> None:
        """The thread's last record: done (or error)."""
        if error is not None:
            self.failed = True
        if self.record:
            with self.lock:
                t = self.clock()
                if self.gil[_HOLDER] != me:
                    self.put(self._take(me, t))
                if error is None:
                    self.put(pack(t - self.o[DONE], self.tw[me] | x_word(NONE)))
                else:
                    x = x_word(self.probe.x((error,)))
                    self.put(pack(t - self.o[ERROR], self.tw[me] | x))
                self.gil[_HOLDER] = NONE
                # A joiner can go on once the last thread it joins has ended.
                for wait in self.join_waits.pop(name, ()):
                    wait.left.discard(name)
                    if not wait.left:
                        self._release(wait.task, t)
        self.live.discard(name)
        if not self.live:
            self.all_done.set()

    def _steps(self, name: str, me: int, program: Program | None = None, item: str = "") -> str:
        """Run `program` (the task's own by default) in thread `name` (id `me`); a `call`
        is a plain call of this. Returns the item a `get` took last."""
        record = self.record
        lock, gil, clock, put = self.lock, self.gil, self.clock, self.put
        o = self.o
        step_at, output_at = o[STEP], o[OUTPUT]
        suspend_at, ready_at, run_at = o[SUSPEND], o[READY], o[RUN]
        tws, from_w, lost, ready_inferred = self.tw, self.from_w, self.lost, self.ready_inferred
        tw = tws[me]
        scale = self.scale
        waiting = self.waiting
        sleep = time.sleep
        shared = self.shared
        take = self._take
        if program is None:
            program = shared.program(name)
        for ins in program.steps():
            op = ins.op
            if op is YIELD:
                # The hot path of a yielding workload: `_take` written out, with its
                # records and the step's packed at once.
                if record:
                    with lock:
                        t = clock()
                        held = gil[0]
                        if held == me:
                            put(pack(t - step_at, tw | ins.xw))
                        elif held == NONE:
                            put(pack2(t - run_at, tw | from_w[gil[1]], t - step_at, tw | ins.xw))
                            gil[0] = gil[1] = me
                        else:
                            put(pack4(t - suspend_at, tws[held] | lost[gil[2]],
                                      t - ready_at, tws[held] | ready_inferred,
                                      t - run_at, tw | from_w[held], t - step_at, tw | ins.xw))
                            gil[0] = gil[1] = me
                        # Whether it gave the GIL away, the next thread to record says.
                        gil[2] = True
                sleep(0)
                continue
            if op is PRINT:
                if record:
                    with lock:
                        out = ins.out or x_word(self.probe.x((shared.text(ins, name, item),)))
                        t = clock()
                        if gil[_HOLDER] != me:
                            put(take(me, t))
                        else:
                            gil[_YIELDED] = False
                        put(pack2(t - step_at, tw | ins.xw, t - output_at, tw | out))
                continue
            if record:
                with lock:
                    self._step(me, ins.xw)
            step = ins.step
            if op is CPU:
                self._cpu(me, self.ctx.cpu.units(step.seconds * scale))
            elif op is SLEEP or op is BLOCK:
                d = step.seconds * scale
                detail = labels.sleep(step.seconds)
                waiting[name] = _Wait("sleep", detail, None)
                if record:
                    self._give_up(me, ("sleep", detail, d), unique=True)
                sleep(d)
                del waiting[name]
                if record:
                    self._back(me, "sleep")
            elif op is IO:
                self._io(name, me, step.seconds, step.seconds * scale)
            elif op is SPAWN:
                for ref in step.refs:
                    self._start(name, me, ref)
            elif op is GATHER:
                for ref in step.refs:
                    self._start(name, me, ref)
                self._join(name, me, step.refs, "gather")
            elif op is JOIN:
                self._join(name, me, step.refs, "join")
            elif op is ACQUIRE:
                lk = self.locks[step.name]
                if not lk.acquire(False):
                    detail = labels.lock(step.name, self.holders.get(step.name))
                    self._block(name, me, _Wait("lock", detail, lk), lk.acquire)
                self.holders[step.name] = name
            elif op is RELEASE:
                try:
                    self.locks[step.name].release()
                except RuntimeError:
                    raise _TaskError(f"release of lock {step.name!r}, which is not held") from None
                self.holders.pop(step.name, None)
            elif op is WAIT:
                event = self.events[step.name]
                if not event.is_set():
                    self._block(name, me, _Wait("event", labels.event(step.name), event),
                                event.wait, self.event_waiters.setdefault(step.name, set()))
            elif op is SET:
                self.events[step.name].set()
                # Its waiters are runnable from now on; each says when it woke itself.
                waiters = self.event_waiters.get(step.name)
                if record and waiters:
                    with lock:
                        t = clock()
                        if gil[_HOLDER] != me:
                            put(take(me, t))
                        for waiter in list(waiters):
                            self._release(waiter, t)
            elif op is PUT:
                q = self.queues[step.name]
                text = shared.text(ins, name, item)
                try:
                    q.put_nowait(text)
                except queue.Full:
                    wait = _Wait("put", labels.queue(step.name, full=True), q)
                    self._block(name, me, wait, partial(q.put, text))
            elif op is GET:
                q = self.queues[step.name]
                try:
                    item = q.get_nowait()
                except queue.Empty:
                    wait = _Wait("get", labels.queue(step.name, full=False), q)
                    item = str(self._block(name, me, wait, q.get))
            elif op is CALL:
                assert ins.callee is not None
                item = self._steps(name, me, ins.callee, item)
            # `repeat` only records its step: the program expands it.
        return item

    def _cpu(self, me: int, n: int) -> None:
        # The hot loop: one work unit, one comparison; the lock only at a GIL handoff.
        unit = self.ctx.cpu.unit
        if not self.record:
            for _ in range(n):
                unit()
            return
        gil, lock, clock, put, take = self.gil, self.lock, self.clock, self.put, self._take
        for _ in range(n):
            unit()
            if gil[_HOLDER] != me:
                with lock:
                    if gil[_HOLDER] != me:  # looked again with the lock: it is so
                        put(take(me, clock()))

    def _block(self, name: str, me: int, wait: _Wait, call: Callable[[], object],
               waiters: set[int] | None = None) -> object:
        """Suspend on a primitive that is not available now, block on it, wake; what
        the blocking call returned. `waiters`: where a releaser that knows it looks."""
        self.waiting[name] = wait
        if self.record:
            register = None if waiters is None else partial(waiters.add, me)
            self._give_up(me, (wait.reason, wait.detail, None), register=register)
        result = call()
        del self.waiting[name]
        if self.record:
            self._back(me, wait.reason, waiters)
        return result

    def _io(self, name: str, me: int, written: float, seconds: float) -> None:
        port = self.ctx.io_port
        if port is None:
            raise _TaskError("no delay server for `io`")
        # The two blocking calls of a request, each its own wait: the connection to the
        # delay server, then its reply, which comes `seconds` after the request.
        try:
            sock = self._io_wait(name, me, written, labels.CONNECT, io_connect, port)
            with sock:
                self._io_wait(name, me, written, labels.REPLY, io_exchange, sock, seconds)
        except OSError as e:
            raise _TaskError(f"io request failed: {e}") from None

    def _io_wait(self, name: str, me: int, written: float, phase: str,
                 call: Callable[..., Any], *args: Any) -> Any:
        detail = labels.io(written, phase)
        self.waiting[name] = _Wait("io", detail, None)
        if self.record:
            self._give_up(me, ("io", detail, None))
        try:
            return call(*args)
        finally:
            self.waiting.pop(name, None)
            if self.record:
                self._back(me, "io")

    def _start(self, name: str, me: int, ref: str) -> None:
        """`Thread.start`: the new thread exists and is runnable from this call, which
        waits on the new thread's `started` event until the new thread runs."""
        if ref in self.threads:
            raise _TaskError(f"{ref} was already started (threads can only be started once)")
        thread = threading.Thread(target=self._body, args=(ref, me), name=ref, daemon=True)
        self.threads[ref] = thread
        self.live.add(ref)
        detail = labels.thread_start(ref)
        self.waiting[name] = _Wait("start", detail, None)
        record = self.record
        new = self.probe.tasks[ref]
        if record:
            probe, o, tw = self.probe, self.o, self.tw
            with self.lock:
                created = x_word(probe.x((name,)))
                suspended = x_word(probe.x(("event", detail, None)))
                t = self.clock()
                if self.gil[_HOLDER] != me:
                    self.put(self._take(me, t))
                self.put(pack3(t - o[CREATE], tw[new] | created,
                               t - o[READY], tw[new] | x_word(NONE),
                               t - o[SUSPEND], tw[me] | suspended))
                self.gil[_HOLDER] = NONE
                self.suspended.add(me)
        refused = None
        try:
            thread.start()
        except RuntimeError as e:  # the OS refused another thread
            self.live.discard(ref)
            del self.threads[ref]
            refused = f"cannot start {ref}: {e}"
            if record:
                with self.lock:
                    x = x_word(self.probe.x((refused,)))
                    self.put(pack(self.clock() - self.o[ERROR], self.tw[new] | x))
        finally:
            self.waiting.pop(name, None)
        if record:
            self._back(me, "event")
        if refused is not None:
            raise _TaskError(refused)

    def _join(self, name: str, me: int, refs: tuple[str, ...], reason: str) -> None:
        threads = []
        for ref in refs:
            if ref == name:
                raise _TaskError(f"{name} cannot join itself")
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
        wait = self.waiting[name] = _Wait("join", detail, pending, reason, me)

        def register() -> None:  # a joined thread that ended meanwhile never tells
            for ref in pending:
                self.join_waits.setdefault(ref, []).append(wait)

        if self.record:
            self._give_up(me, (reason, detail, None), register=register)
        for thread in threads:
            thread.join()
        del self.waiting[name]
        if self.record:
            self._back(me, reason)


def _same(a: dict[str, _Wait], b: dict[str, _Wait]) -> bool:
    """The same threads waiting on the very same waits (not a new wait on the same thing)."""
    return a.keys() == b.keys() and all(a[k] is b[k] for k in a)
