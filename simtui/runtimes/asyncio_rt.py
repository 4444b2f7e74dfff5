"""The asyncio runtime: runs a scenario on the real asyncio event loop and records it.

How it observes the loop (runtime-instrumentation.md §2):

- The loop is a `SelectorEventLoop` subclass whose `_ready` is a deque subclass. Every
  `append` is a `ready` event and every `popleft` a `run` event, so the derived FIFO is
  the loop's own deque. A handle belongs to a task when `handle._callback.__self__` is one
  of our Tasks (its step, or its wakeup after the future it awaited completed: then a
  `wake` comes first). Any other entry — a fired sleep timer, gather's done-callback, a
  transport callback — is a `ready`/`run` with `task: null` and a readable `item`.
  A cancelled handle that the loop pops and skips is still recorded as a `run` of its
  item, so the derived queue never drifts from the real one.
- Timers: `call_at` is overridden. The sleep it schedules gives the sleeper's `suspend`
  its `until` (loop time and `perf_counter` are both CLOCK_MONOTONIC on Linux; the
  offset between them is measured once anyway).
- Tasks are created through a task factory `factory(loop, coro, **kw)` that records
  `create` and names the task with its scenario instance (never asyncio's task names).
  Completion is recorded by the interpreter, never with `add_done_callback` (that would
  add entries to the very queue being shown). Task objects are held only for the run.
- Steps: each task runs an interpreter over `walk(scenario, instance)` that records
  `step` and does the op for real. `suspend` is recorded only when the task really gives
  control away: `yield` and timed `sleep` always do; for joins, gathers, locks, events,
  queues and I/O the awaitable is driven by a thin wrapper that records `suspend` each
  time it actually yields to the Task. `await coro()` (`call`) runs inline: no Task, no
  ready entry.
- Recording: the hooks record through the probe (`runtimes.probe`), into packed records.
- Clock reads: reading `perf_counter_ns` costs about as much as the rest of a record, so
  a `yield` step records its `step`, its `suspend` and the `ready` its re-queueing makes
  next (in the same uninterrupted stretch, nothing else running) at one clock reading.
- `asyncio.eager_tasks` (3.12+): tasks are created with `eager_start=True`; their first
  step then runs inside the creator's step, so their `step`/`output` events appear
  nested there with no `run` of their own, as on the real loop.

How a run ends:

- `ok` when `main` finishes and no scenario task failed. Like `asyncio.run`, the tasks
  still pending then are cancelled and awaited; that is recorded (`wake` with reason
  `cancel`, their `run`, and an `error` "cancelled ..." for each) and does not change
  the status.
- `error` when a scenario task raised (e.g. released a lock nobody holds). As on asyncio,
  the exception propagates to whoever awaits that task (`join`, `gather`), each of which
  records its own `error`; the run goes on until `main` ends.
- `deadlock`, at once, when nothing is ready, no timer is scheduled, no I/O is in flight
  and `main` is still waiting: `stuck` lists every unfinished task and what it waits on.
  Nothing after that is recorded (the pending tasks are not cancelled).
- `timeout` / `limit` are enforced by the worker; `stuck` then comes from this runtime.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import time
import types
from collections.abc import Awaitable, Callable, Generator
from typing import Any

from simtui.runtimes.base import Outcome, RunContext, io_payload
from simtui.runtimes.probe import Probe
from simtui.scenario.model import Scenario, Step, render_text, walk
from simtui.trace import labels
from simtui.trace.layout import READY, STEP, SUSPEND

_Task = asyncio.Task
_TimerHandle = asyncio.TimerHandle
_deque_append = collections.deque.append
_deque_popleft = collections.deque.popleft

CANCELLED_AT_END = "cancelled: main finished, and asyncio.run cancels every task still pending"


class _Deadlock(Exception):
    """Raised out of the loop when no task can ever make progress again."""


class ScenarioFailure(Exception):
    """A scenario-level failure in a task (`error` event), e.g. releasing a free lock."""

    def __init__(self, task: str, message: str) -> None:
        super().__init__(message)
        self.task = task
        self.message = message


@types.coroutine
def _watch(
    aw: Awaitable[Any], note: Callable[[str, str, str], None], name: str, reason: str, detail: str
) -> Generator[Any, None, Any]:
    """Await `aw`, recording `suspend` each time it really yields control to the Task."""
    it = aw.__await__()
    exc: BaseException | None = None
    while True:
        try:
            future = it.send(None) if exc is None else it.throw(exc)
        except StopIteration as stop:
            return stop.value
        note(name, reason, detail)
        try:
            yield future
        except BaseException as e:  # cancellation and close must reach the inner awaitable
            exc = e
        else:
            exc = None


class AsyncioRun:
    """One run of a scenario on a real asyncio event loop, reported to a probe."""

    def __init__(self, scenario: Scenario, probe: Probe, ctx: RunContext) -> None:
        self.scenario = scenario
        self.probe = probe
        self.ctx = ctx
        self.record = probe.recording
        """False runs the same interpreter on a plain loop, recording nothing: the
        uninstrumented side of the overhead benchmark."""
        self.clock = probe.clock
        # loop.time() is time.monotonic(); the probe's clock is perf_counter.
        self.mono_to_perf = time.perf_counter() - time.monotonic()
        self.names: dict[asyncio.Task[Any], str] = {}
        self.tasks: dict[str, asyncio.Task[Any]] = {}
        self.started: set[str] = set()
        self.finished: set[str] = set()
        self.coro_meta: dict[Any, tuple[str, str | None]] = {}
        self.start_waiters: dict[str, asyncio.Future[None]] = {}
        self.waiting: dict[str, tuple[str, str]] = {}
        self.timer_owner: dict[int, str] = {}
        self.items: dict[int, str] = {}
        """Names of the entries in the ready deque that are not task steps, by handle id:
        fixed when they enter, because cancelling a handle clears its callback."""
        self.constructing: str | None = None
        self.sleep_note: tuple[str, str] | None = None
        self.io_pending = 0
        self.cancelling = False
        self.failed = False
        self.prev: list[str | None] = [None]
        self.stamp: list[Any] = [None, 0]
        """(task, clock) of a `yield` just recorded: the `ready` its re-queueing makes
        next, in the same uninterrupted stretch, reuses that clock reading."""
        self.main_task: asyncio.Task[Any] | None = None
        self.locks: dict[str, asyncio.Lock] = {}
        self.holders: dict[str, str] = {}
        """Lock name → the task holding it, to say whom a waiter waits for."""
        self.events: dict[str, asyncio.Event] = {}
        self.queues: dict[str, asyncio.Queue[str]] = {}
        self.loop: asyncio.AbstractEventLoop | None = None

    # -- naming ready-queue entries -------------------------------------------------------

    def item_name(self, handle: asyncio.Handle) -> str:
        """A readable name for a ready entry that is not one of our tasks' steps."""
        if isinstance(handle, _TimerHandle):
            owner = self.timer_owner.pop(id(handle), None)
            if owner is not None:
                return labels.timer(owner)
        cb = handle._callback  # type: ignore[attr-defined]
        if cb is None:  # a handle cancelled after it was queued: the loop will skip it
            return labels.CANCELLED
        while isinstance(cb, functools.partial):
            cb = cb.func
        target = getattr(cb, "__self__", None)
        if target.__class__ is _Task:
            return "task " + getattr(target.get_coro(), "__qualname__", "?")
        qual = getattr(cb, "__qualname__", None) or type(cb).__name__
        if qual.startswith("gather."):
            args = handle._args  # type: ignore[attr-defined]
            child = self.names.get(args[0]) if args and args[0].__class__ is _Task else None
            return labels.gather_done(child)
        if qual == "_run_until_complete_cb":
            return labels.STOP_LOOP
        short = qual.rsplit(".", 1)[-1].lstrip("_")
        module = getattr(cb, "__module__", None) or ""
        if module.endswith(("selector_events", "streams")):
            return labels.io_callback(short)
        return short

    def name_of(self, handle: asyncio.Handle) -> str:
        """The name a `ready` event gave this entry (snapshots must use the same)."""
        item = self.items.get(id(handle))
        if item is not None:
            return item
        task = handle._callback.__self__  # type: ignore[attr-defined]
        return self.names.get(task) or self.item_name(handle)

    def adopt(self, task: Any) -> str | None:
        """A Task still inside its constructor is the one the factory is building."""
        name = self.constructing
        if name is not None:
            self.names[task] = name
        return name

    # -- the loop -------------------------------------------------------------------------

    def make_loop(self) -> asyncio.AbstractEventLoop:
        rt = self
        names = self.names
        waiting = self.waiting
        prev = self.prev
        stamp = self.stamp
        item_name = self.item_name
        items = self.items
        probe = self.probe
        snapshots = self.probe.snapshots

        class ReadyQueue(collections.deque):  # type: ignore[type-arg]
            """`loop._ready`: every append is a `ready`, every popleft a `run`."""

            __slots__ = ()

            def append(self, handle: Any) -> None:
                _deque_append(self, handle)
                try:  # the hot path: a step or wakeup of one of our tasks
                    name = names[handle._callback.__self__]
                except (AttributeError, KeyError, TypeError):
                    name = None
                    owner = getattr(handle._callback, "__self__", None)
                    if owner.__class__ is _Task:
                        name = rt.adopt(owner)
                    if name is None:
                        item = items[id(handle)] = item_name(handle)
                        probe.ready(None, item)
                        return
                if handle._args:  # task_wakeup: the future it awaited is done
                    why = waiting.pop(name, None)  # type: ignore[arg-type]
                    if why is not None:
                        reason = "cancel" if rt.cancelling else why[0]
                        probe.wake(name, reason)
                elif stamp[0] is name:  # re-queued by the yield it just recorded
                    stamp[0] = None
                    probe.emit(READY, probe.key(name), t=stamp[1])
                    return
                probe.ready(name)

            def popleft(self) -> Any:
                if snapshots:
                    probe.queue([rt.name_of(h) for h in self])
                handle = _deque_popleft(self)
                try:
                    name = names[handle._callback.__self__]
                except (AttributeError, KeyError, TypeError):
                    # A cancelled entry is popped and skipped by the loop; recording it
                    # too keeps the derived queue equal to the real one.
                    item = items.pop(id(handle), None) or item_name(handle)
                    probe.run(None, prev[0], item)
                    return handle
                probe.run(name, prev[0])
                prev[0] = name
                return handle

        class RecordingLoop(asyncio.SelectorEventLoop):
            """The real selector loop, with its ready queue and timers observed."""

            def __init__(self) -> None:
                super().__init__()
                if rt.record:
                    self._ready = ReadyQueue()  # type: ignore[assignment]

            def call_at(  # type: ignore[override]
                self, when: float, callback: Any, *args: Any, context: Any = None
            ) -> Any:
                timer = super().call_at(when, callback, *args, context=context)
                note = rt.sleep_note
                if note is not None:
                    rt.sleep_note = None
                    name, detail = note
                    rt.timer_owner[id(timer)] = name
                    waiting[name] = ("sleep", detail)
                    until = round(probe.at(when + rt.mono_to_perf), 7)
                    probe.suspend(name, "sleep", detail, until)
                return timer

            def _timer_handle_cancelled(self, handle: Any) -> None:
                if handle._scheduled:  # asyncio.sleep cancels its timer after it fired too
                    rt.timer_owner.pop(id(handle), None)
                super()._timer_handle_cancelled(handle)  # type: ignore[misc]

            def _run_once(self) -> None:
                main = rt.main_task
                if (
                    not self._ready
                    and not self._stopping  # type: ignore[attr-defined]
                    and main is not None
                    and not main.done()
                    and rt.io_pending == 0
                    and not any(not h._cancelled for h in self._scheduled)  # type: ignore[attr-defined]
                ):
                    raise _Deadlock
                super()._run_once()  # type: ignore[misc]

        loop = RecordingLoop()
        loop.set_task_factory(self.factory)  # type: ignore[arg-type]
        loop.set_exception_handler(self.on_loop_exception)
        self.loop = loop
        return loop

    def on_loop_exception(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        # Failures of our tasks are already `error` events; anything else is reported.
        task = context.get("task") or context.get("future")
        if task is not None and task in self.names:
            return
        if isinstance(context.get("exception"), ScenarioFailure):
            return
        loop.default_exception_handler(context)

    def factory(self, loop: asyncio.AbstractEventLoop, coro: Any, **kw: Any) -> asyncio.Task[Any]:
        meta = self.coro_meta.pop(coro, None)
        if meta is None:  # asyncio's own tasks, e.g. shutting down async generators
            return _Task(coro, loop=loop, **kw)
        name, parent = meta
        self.probe.create(name, parent)
        if self.scenario.options.asyncio_eager_tasks:
            kw.setdefault("eager_start", True)
        saved, self.constructing = self.constructing, name
        try:
            task = _Task(coro, loop=loop, **kw)
        finally:
            self.constructing = saved
        self.names[task] = name
        self.tasks[name] = task
        if parent is None:
            self.main_task = task
        waiter = self.start_waiters.pop(name, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        return task

    # -- tasks ----------------------------------------------------------------------------

    def coro_for(self, name: str, parent: str | None) -> Any:
        self.started.add(name)
        coro = self.interpret(name)
        self.coro_meta[coro] = (name, parent)
        return coro

    def note_suspend(self, name: str, reason: str, detail: str) -> None:
        self.waiting[name] = (reason, detail)
        self.probe.suspend(name, reason, detail)

    def finish(self, name: str, kind: str, message: str | None = None) -> None:
        self.finished.add(name)
        self.waiting.pop(name, None)
        if kind == "done":
            self.probe.done(name)
        else:
            self.probe.error(name, message)

    async def interpret(self, name: str) -> None:
        """Run one task instance's steps, doing each op for real on the running loop."""
        probe = self.probe
        clock = self.clock
        scale = self.ctx.scale
        yielding = probe.x(("yield", None, None))
        sleep = asyncio.sleep
        record = self.record
        stamp = self.stamp
        try:
            item = ""
            for step, frame in walk(self.scenario, name):
                op = step.op
                if record:
                    t = clock()
                    probe.emit(STEP, probe.key(name),
                               probe.x((step.index, op, step.line, step.col)), t)
                if op == "yield":
                    if record:  # the same instant: nothing runs between the step and its yield
                        probe.emit(SUSPEND, probe.key(name), yielding, t)
                        stamp[0] = name
                        stamp[1] = t
                    await sleep(0)
                elif op == "print":
                    text = render_text(step.text, frame.index, frame.name, item)
                    probe.output(name, text)
                elif op == "sleep":
                    seconds = step.seconds * scale
                    detail = labels.sleep(step.seconds)
                    if seconds > 0:
                        if record:
                            self.sleep_note = (name, detail)  # call_at records the suspend
                        await sleep(seconds)
                    else:
                        probe.suspend(name, "sleep", detail)
                        await sleep(0)
                elif op == "call" or op == "repeat":
                    pass  # walk() runs the callee's steps inline, in this very task
                else:
                    got = await self.do(name, step, frame.index, frame.name, item)
                    if got is not None:
                        item = got
        except asyncio.CancelledError:
            self.finish(name, "error", CANCELLED_AT_END if self.cancelling else "cancelled")
            raise
        except ScenarioFailure as exc:
            self.failed = True
            message = exc.message if exc.task == name else f"{exc.task} failed: {exc.message}"
            self.finish(name, "error", message)
            raise
        self.finish(name, "done")

    async def do(self, name: str, step: Step, index: int, me: str, item: str) -> str | None:
        """The ops that are not on the hot path. Returns the item a `get` took."""
        op = step.op
        note = self.note_suspend
        if op == "cpu":
            seconds = step.seconds * self.ctx.scale
            self.probe.block(name, "cpu", seconds)
            self.ctx.cpu.burn(seconds)
        elif op == "block":
            seconds = step.seconds * self.ctx.scale
            self.probe.block(name, "block", seconds)
            time.sleep(seconds)  # the point: a blocking call holds the whole loop
        elif op == "io":
            seconds = step.seconds * self.ctx.scale
            self.io_pending += 1
            try:
                await self.io_round_trip(name, step.seconds, seconds)
            finally:
                self.io_pending -= 1
        elif op == "spawn":
            for ref in step.refs:
                if ref not in self.started:
                    asyncio.get_running_loop().create_task(self.coro_for(ref, name))
        elif op == "join":
            for ref in step.refs:
                if ref not in self.tasks:
                    waiter = self.start_waiters.get(ref)
                    if waiter is None:
                        waiter = asyncio.get_running_loop().create_future()
                        self.start_waiters[ref] = waiter
                    await _watch(waiter, note, name, "join", labels.join(ref, started=False))
                await _watch(self.tasks[ref], note, name, "join", labels.join(ref))
        elif op == "gather":
            aws = [self.tasks.get(r) or self.coro_for(r, name) for r in step.refs]
            await _watch(asyncio.gather(*aws), note, name, "gather", labels.gather(step.refs))
        elif op == "acquire":
            lock = self.locks.get(step.name) or self.locks.setdefault(step.name, asyncio.Lock())
            holder = self.holders.get(step.name)
            await _watch(lock.acquire(), note, name, "lock", labels.lock(step.name, holder))
            self.holders[step.name] = name
        elif op == "release":
            lock = self.locks.get(step.name) or self.locks.setdefault(step.name, asyncio.Lock())
            try:
                lock.release()
            except RuntimeError as exc:
                raise ScenarioFailure(name, f"release lock {step.name}: {exc}") from None
            self.holders.pop(step.name, None)
        elif op == "wait":
            event = self.event(step.name)
            await _watch(event.wait(), note, name, "event", labels.event(step.name))
        elif op == "set":
            self.event(step.name).set()
        elif op == "put":
            queue = self.queue(step.name)
            text = render_text(step.text, index, me, item)
            await _watch(queue.put(text), note, name, "queue", labels.queue(step.name, full=True))
        elif op == "get":
            queue = self.queue(step.name)
            got: str = await _watch(
                queue.get(), note, name, "queue", labels.queue(step.name, full=False))
            return got
        else:  # the loader rejects anything else for asyncio (e.g. `switch`)
            raise ScenarioFailure(name, f"`{op}` is not supported on asyncio")
        return None

    def event(self, key: str) -> asyncio.Event:
        return self.events.get(key) or self.events.setdefault(key, asyncio.Event())

    def queue(self, key: str) -> asyncio.Queue[str]:
        found = self.queues.get(key)
        if found is None:
            found = self.queues[key] = asyncio.Queue(self.scenario.queues.get(key, 0))
        return found

    async def io_round_trip(self, name: str, written: float, seconds: float) -> None:
        """A real request to the delay server, each of its two waits recorded as such:
        the connection, then the reply (which comes `seconds` after the request)."""
        port = self.ctx.io_port
        if port is None:
            raise ScenarioFailure(name, "no delay server is running for `io`")
        note = self.note_suspend
        reader, writer = await _watch(asyncio.open_connection("127.0.0.1", port), note, name,
                                      "io", labels.io(written, labels.CONNECT))
        await _watch(self._request(reader, writer, seconds), note, name, "io",
                     labels.io(written, labels.REPLY))

    @staticmethod
    async def _request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                       seconds: float) -> None:
        try:
            writer.write(io_payload(seconds))
            await writer.drain()
            while await reader.read(64):
                pass
        finally:
            writer.close()
            await writer.wait_closed()

    # -- the run --------------------------------------------------------------------------

    def stuck(self) -> list[dict[str, str]]:
        """Every started, unfinished task and what it waits on (also used at a timeout)."""
        waiting = dict(self.waiting)
        running = self.prev[0]
        out = []
        for name in list(self.tasks):
            if name in self.finished:
                continue
            why = waiting.get(name)
            if why is None:
                what = "running" if name == running else "ready"
            else:
                wait = labels.read_wait(*why)
                if wait.reason == "lock":  # whoever holds it now, not when the wait began
                    holder = self.holders.get(wait.subject)
                    wait = labels.read_wait("lock", labels.lock(wait.subject, holder))
                what = wait.text()
            entry = {"task": name, "waiting_on": what}
            if why is not None and wait.holder is not None:
                entry["held_by"] = wait.holder
            out.append(entry)
        return out

    def run(self) -> Outcome:
        self.probe.stuck_provider = self.stuck
        options = self.scenario.options
        runner = asyncio.Runner(debug=options.asyncio_debug, loop_factory=self.make_loop)
        status = "ok"
        try:
            runner.run(self.coro_for(self.scenario.main, None))
        except _Deadlock:
            stuck = self.stuck()
            self.stop_recording()
            self.loop.close()  # type: ignore[union-attr]
            self.forget()
            return Outcome("deadlock", stuck)
        except ScenarioFailure:
            status = "error"
        try:
            self.cancel_pending()
        finally:
            self.stop_recording()
            runner.close()
        if self.failed:
            status = "error"
        self.forget()
        return Outcome(status)

    def cancel_pending(self) -> None:
        """What `asyncio.run` does when main ends: cancel the tasks left and await them."""
        loop = self.loop
        assert loop is not None
        pending = [t for t in self.tasks.values() if not t.done()]
        if not pending:
            return
        self.cancelling = True
        for task in pending:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        for task in pending:  # cancelled before their first step: the body never ran
            name = self.names[task]
            if name not in self.finished:
                self.finish(name, "error", CANCELLED_AT_END + " (before its first step)")

    def forget(self) -> None:
        """Hold no task, future or handle once the run is over."""
        for table in (self.names, self.tasks, self.coro_meta, self.start_waiters, self.items,
                      self.timer_owner, self.locks, self.events, self.queues):
            table.clear()  # type: ignore[attr-defined]
        self.main_task = None
        self.loop = None

    def stop_recording(self) -> None:
        """From here on, nothing the loop does belongs to the scenario."""
        loop = self.loop
        if loop is not None:
            loop._ready = collections.deque(loop._ready)  # type: ignore[attr-defined]
            loop.set_exception_handler(lambda loop, context: None)
        self.sleep_note = None


def run(scenario: Scenario, probe: Probe, ctx: RunContext) -> Outcome:
    """Run `scenario` on a real asyncio event loop, reporting every switch to `probe`."""
    return AsyncioRun(scenario, probe, ctx).run()
