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
        self.shared = Run(scenario, probe)
        # asyncio's primitives bind to the running loop when first used.
        self.shared.primitives(asyncio.Lock, asyncio.Event, asyncio.Queue)
        self.task_names = list(probe.tasks)
        """Task id → name."""
        self.ids: dict[asyncio.Task[Any], int] = {}
        """Our Tasks → their task ids (held only for the run)."""
        self.tasks: dict[str, asyncio.Task[Any]] = {}
        self.started: set[str] = set()
        self.finished: set[str] = set()
        self.coro_meta: dict[Any, tuple[str, str | None]] = {}
        self.start_waiters: dict[str, asyncio.Future[None]] = {}
        self.waiting = self.shared.waiting
        self.holders = self.shared.holders
        self.timer_owner: dict[int, str] = {}
        self.items: dict[int, str] = {}
        """Names of the entries in the ready deque that are not task steps, by handle id:
        fixed when they enter, because cancelling a handle clears its callback."""
        self.constructing: int | None = None
        self.sleep_note: tuple[str, str] | None = None
        self.io_pending = 0
        self.cancelling = False
        self.failed = False
        self.prev: list[int] = [NONE]
        """The task that ran last (its id): the `from` of the next `run`."""
        self.stamp: list[int] = [NONE]
        """The task whose `yield` just recorded its re-queueing `ready` with its step: the
        deque's next append of that task (the very re-queueing) records nothing more."""
        self.main_task: asyncio.Task[Any] | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        # Word 1 halves made once: each task's, and each task's as the `from` of a run.
        self.task_words = self.shared.task_words
        self.from_words = [x_word(probe.x((name, None))) for name in self.task_names]
        self.from_words.append(x_word(probe.x((None, None))))  # [-1]: nobody ran before
        self.yield_word = x_word(probe.x(("yield", None, None)))

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
            child = None
            if args and args[0].__class__ is _Task and args[0] in self.ids:
                child = self.task_names[self.ids[args[0]]]
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
        tid = self.ids.get(task)
        return self.task_names[tid] if tid is not None else self.item_name(handle)

    def adopt(self, task: Any) -> int | None:
        """A Task still inside its constructor is the one the factory is building."""
        tid = self.constructing
        if tid is not None:
            self.ids[task] = tid
        return tid

    # -- the loop -------------------------------------------------------------------------

    def make_loop(self) -> asyncio.AbstractEventLoop:
        rt = self
        probe = self.probe
        clock, put = probe.clock, probe.put
        ids = self.ids
        task_names = self.task_names
        waiting = self.waiting
        prev = self.prev
        stamp = self.stamp
        item_name = self.item_name
        items = self.items
        snapshots = probe.snapshots
        task_words, from_words = self.task_words, self.from_words
        ready_at = probe.offsets[READY]
        run_at = probe.offsets[RUN]
        no_x = x_word(NONE)

        class ReadyQueue(collections.deque):  # type: ignore[type-arg]
            """`loop._ready`: every append is a `ready`, every popleft a `run`."""

            __slots__ = ()

            def append(self, handle: Any) -> None:
                _deque_append(self, handle)
                try:  # the hot path: a step or wakeup of one of our tasks
                    tid = ids[handle._callback.__self__]
                except (AttributeError, KeyError, TypeError):
                    owner = getattr(handle._callback, "__self__", None)
                    adopted = rt.adopt(owner) if owner.__class__ is _Task else None
                    if adopted is None:
                        item = items[id(handle)] = item_name(handle)
                        probe.ready(None, item)
                        return
                    tid = adopted
                if handle._args:  # task_wakeup: the future it awaited is done
                    why = waiting.pop(task_names[tid], None)
                    if why is not None:
                        probe.wake(task_names[tid], "cancel" if rt.cancelling else why[0])
                elif stamp[0] == tid:  # re-queued by the yield that recorded this already
                    stamp[0] = NONE
                    return
                put(pack(clock() - ready_at, task_words[tid] | no_x))

            def popleft(self) -> Any:
                if snapshots:
                    probe.queue([rt.name_of(h) for h in self])
                handle = _deque_popleft(self)
                try:
                    tid = ids[handle._callback.__self__]
                except (AttributeError, KeyError, TypeError):
                    # A cancelled entry is popped and skipped by the loop; recording it
                    # too keeps the derived queue equal to the real one.
                    item = items.pop(id(handle), None) or item_name(handle)
                    last = prev[0]
                    probe.run(None, task_names[last] if last >= 0 else None, item)
                    return handle
                put(pack(clock() - run_at, task_words[tid] | from_words[prev[0]]))
                prev[0] = tid
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
        if task is not None and task in self.ids:
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
        if self.scenario.options.flag("asyncio", "eager_tasks"):
            kw.setdefault("eager_start", True)
        tid = self.probe.tasks[name]
        saved, self.constructing = self.constructing, tid
        try:
            task = _Task(coro, loop=loop, **kw)
        finally:
            self.constructing = saved
        self.ids[task] = tid
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
        coro = self.steps(name, self.shared.program(name), "", True)
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

    async def steps(self, name: str, program: Program, item: str, top: bool) -> str:
        """Run `program`'s steps in task `name`, each op for real on the running loop.

        A task's coroutine runs its whole program (`top`); a `call` awaits a coroutine of
        this very function on the callee's program, inside the same task: `await coro()`,
        as on the real loop (no Task, no ready entry). Returns the item a `get` took last.
        """
        record = self.record
        clock, put = self.clock, self.probe.put
        offsets = self.probe.offsets
        step_at, suspend_at, ready_at, output_at = (
            offsets[STEP], offsets[SUSPEND], offsets[READY], offsets[OUTPUT])
        tid = self.probe.tasks[name]
        tw = self.task_words[tid]
        yield_word = tw | self.yield_word
        ready_word = tw | x_word(NONE)
        stamp = self.stamp
        scale = self.ctx.scale
        sleep = asyncio.sleep
        try:
            for ins in program.steps():
                op = ins.op
                if op is YIELD:
                    if record:  # one instant: the step, its yield and its re-queueing
                        t = clock()
                        put(pack3(t - step_at, tw | ins.xw, t - suspend_at, yield_word,
                                  t - ready_at, ready_word))
                        stamp[0] = tid
                    await sleep(0)
                elif op is PRINT:
                    if record:
                        out = ins.out or x_word(self.probe.x((self.shared.text(ins, name, item),)))
                        t = clock()
                        put(pack2(t - step_at, tw | ins.xw, t - output_at, tw | out))
                    continue
                elif record:
                    put(pack(clock() - step_at, tw | ins.xw))
                if op is SLEEP:
                    seconds = ins.step.seconds * scale
                    detail = labels.sleep(ins.step.seconds)
                    if seconds > 0:
                        if record:
                            self.sleep_note = (name, detail)  # call_at records the suspend
                        await sleep(seconds)
                    else:
                        self.probe.suspend(name, "sleep", detail)
                        await sleep(0)
                elif op is CALL:
                    assert ins.callee is not None
                    item = await self.steps(name, ins.callee, item, False)
                elif op is not REPEAT and op is not YIELD:
                    got = await self.do(name, ins, item)
                    if got is not None:
                        item = got
        except asyncio.CancelledError:
            if top:
                self.finish(name, "error", CANCELLED_AT_END if self.cancelling else "cancelled")
            raise
        except ScenarioFailure as exc:
            if top:
                self.failed = True
                message = exc.message if exc.task == name else f"{exc.task} failed: {exc.message}"
                self.finish(name, "error", message)
            raise
        if top:
            self.finish(name, "done")
        return item

    async def do(self, name: str, ins: Instr, item: str) -> str | None:
        """The ops that are not on the hot path. Returns the item a `get` took."""
        step = ins.step
        op = ins.op
        note = self.note_suspend
        shared = self.shared
        if op is CPU:
            seconds = step.seconds * self.ctx.scale
            self.probe.block(name, "cpu", seconds)
            self.ctx.cpu.burn(seconds)
        elif op is BLOCK:
            seconds = step.seconds * self.ctx.scale
            self.probe.block(name, "block", seconds)
            time.sleep(seconds)  # the point: a blocking call holds the whole loop
        elif op is IO:
            seconds = step.seconds * self.ctx.scale
            self.io_pending += 1
            try:
                await self.io_round_trip(name, step.seconds, seconds)
            finally:
                self.io_pending -= 1
        elif op is SPAWN:
            for ref in step.refs:
                if ref not in self.started:
                    asyncio.get_running_loop().create_task(self.coro_for(ref, name))
        elif op is JOIN:
            for ref in step.refs:
                if ref not in self.tasks:
                    waiter = self.start_waiters.get(ref)
                    if waiter is None:
                        waiter = asyncio.get_running_loop().create_future()
                        self.start_waiters[ref] = waiter
                    await _watch(waiter, note, name, "join", labels.join(ref, started=False))
                await _watch(self.tasks[ref], note, name, "join", labels.join(ref))
        elif op is GATHER:
            aws = [self.tasks.get(r) or self.coro_for(r, name) for r in step.refs]
            await _watch(asyncio.gather(*aws), note, name, "gather", labels.gather(step.refs))
        elif op is ACQUIRE:
            holder = self.holders.get(step.name)
            lock = shared.locks[step.name]
            await _watch(lock.acquire(), note, name, "lock", labels.lock(step.name, holder))
            self.holders[step.name] = name
        elif op is RELEASE:
            try:
                shared.locks[step.name].release()
            except RuntimeError as exc:
                raise ScenarioFailure(name, f"release lock {step.name}: {exc}") from None
            self.holders.pop(step.name, None)
        elif op is WAIT:
            event = shared.events[step.name]
            await _watch(event.wait(), note, name, "event", labels.event(step.name))
        elif op is SET:
            shared.events[step.name].set()
        elif op is PUT:
            queue = shared.queues[step.name]
            text = shared.text(ins, name, item)
            await _watch(queue.put(text), note, name, "queue", labels.queue(step.name, full=True))
        elif op is GET:
            queue = shared.queues[step.name]
            got: str = await _watch(
                queue.get(), note, name, "queue", labels.queue(step.name, full=False))
            return got
        else:  # the loader rejects anything else for asyncio (e.g. `switch`)
            raise ScenarioFailure(name, f"`{step.op}` is not supported on asyncio")
        return None

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
        last = self.prev[0]
        running = self.task_names[last] if last >= 0 else None
        out = []
        for name in list(self.tasks):
            if name in self.finished:
                continue
            why = waiting.get(name)
            if why is None:
                out.append({"task": name, "waiting_on": "running" if name == running else "ready"})
            else:
                out.append(self.shared.wait_entry(name, *why))
        return out

    def run(self) -> Outcome:
        self.probe.stuck_provider = self.stuck
        options = self.scenario.options
        runner = asyncio.Runner(debug=options.flag("asyncio", "debug"), loop_factory=self.make_loop)
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
            name = self.task_names[self.ids[task]]
            if name not in self.finished:
                self.finish(name, "error", CANCELLED_AT_END + " (before its first step)")

    def forget(self) -> None:
        """Hold no task, future or handle once the run is over."""
        shared = self.shared
        for table in (self.ids, self.tasks, self.coro_meta, self.start_waiters, self.items,
                      self.timer_owner, shared.locks, shared.events, shared.queues):
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
