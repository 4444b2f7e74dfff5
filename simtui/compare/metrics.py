"""What a comparison measures in each run, computed from the run's trace alone.

Every figure is read from the events of one trace (`measure`), so a saved trace measures
the same as the run that made it. Each field's docstring says exactly what it counts.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any, Protocol

from simtui.trace.events import queue_discipline

TIMED_OPS = frozenset({"sleep", "cpu", "block", "io"})
"""The ops that take time of their own: the steps a comparison follows (`StepGroup`)."""
WAIT_REASONS = frozenset({"sleep", "io"})
"""The `suspend` reasons that count as a task's own wait (`Metrics.waiting`)."""

_INSTANCE = re.compile(r"\[[0-9]+\]\Z")


class TraceLike(Protocol):
    """The part of a `Trace` (simtui.replay.model) that measuring reads."""

    header: dict[str, Any]
    end: dict[str, Any] | None

    def __len__(self) -> int: ...
    def kind(self, i: int) -> str: ...
    def t(self, i: int) -> float: ...
    def task(self, i: int) -> str | None: ...
    def field(self, i: int, name: str) -> Any: ...


def definition_of(task: str) -> str:
    """The task definition an instance belongs to: `coco[3]` → `coco`, `main` → `main`."""
    return _INSTANCE.sub("", task)


@dataclass(frozen=True, slots=True)
class StepGroup:
    """Every execution of one step of the scenario in one run (`sleep: 3` at line 21, run by
    `coco[0]` … `coco[9]`): when they ran, for how long, and how they shared the time.

    An execution runs from the task's `step` event to its next `step`, `done` or `error`
    (or the end of the trace): the step itself, plus any wait for its turn afterwards.
    """

    definition: str
    """The task definition whose instances executed it (`coco`)."""
    index: int
    """The step's position in its definition (the `step` event's `index`)."""
    op: str
    line: int
    col: int
    count: int
    """How many times it was executed (instances × repeats)."""
    start: float
    """`t` of the first execution's start."""
    end: float
    """`t` of the last execution's end."""
    total: float
    """The executions' durations added up: the time they would take one after another."""
    longest: float
    """The longest single execution."""
    union: float
    """The time during which at least one of them was executing."""
    blocked: float
    """The `duration` of the `block` events recorded during them (the scheduler held)."""
    preemptions: int
    """`suspend` events with reason `preempt` during them (the GIL taken away)."""

    @property
    def span(self) -> float:
        """From the first start to the last end: how long they took in all."""
        return self.end - self.start

    @property
    def concurrency(self) -> float:
        """`total` ÷ `union`: 1 when they ran one after another, N when N ran at once."""
        return self.total / self.union if self.union > 0 else 1.0


@dataclass(frozen=True, slots=True)
class Metrics:
    """One run's figures."""

    status: str | None
    """The `end` event's status; None for a trace without one."""
    elapsed: float
    """The `end` event's `elapsed` (seconds); the last event's `t` without one."""
    switches: int
    """`run` events: every time the runtime gave control to a task or ran one of its own
    callbacks (a timer, gather's done-callback): the TUI's switch count."""
    callbacks: int
    """The `run` events of callbacks (no task, an `item`), counted in `switches`."""
    preemptions: int
    """`suspend` events with reason `preempt`: the interpreter took the GIL away."""
    longest_queue: int | None
    """The most entries the ready queue held at once: an entry joins at `ready` (a task, or
    a callback by its `item`) and leaves at the `run` that takes it. None for a runtime
    with no ready queue (the header's `queue` is `none`: raw greenlet)."""
    blocked: float
    """The `duration` of every `block` event added up: how long blocking calls held the
    whole scheduler (asyncio's and gevent's `cpu`, an unpatched `block`, every timed step on
    raw greenlet), as asked for, time scale applied."""
    waiting: float
    """The time tasks spent waiting in `sleep` or `io`, added up over the tasks: from each
    `suspend` with one of those reasons to the task's next `wake` (or the end)."""
    finish_order: tuple[str, ...]
    """The tasks in the order of their `done` events."""
    outputs: tuple[str, ...]
    """The text of every `output` event, in order."""
    stuck: tuple[tuple[str, str], ...]
    """The `end` event's `stuck` entries as (task, what it waits on)."""
    message: str | None
    """The `end` event's `message` (why a run was killed)."""
    groups: tuple[StepGroup, ...]
    """The timed steps (`TIMED_OPS`), one group per step of the scenario, in the order
    they were first executed."""

    @property
    def overlap(self) -> float:
        """`waiting` ÷ `elapsed`: about 1 when the waits came one after another, N when N
        tasks waited at the same time (0 when nothing waited)."""
        return self.waiting / self.elapsed if self.elapsed > 0 else 0.0


class QueueLength:
    """The ready queue's length as a trace's events come, one at a time: an entry joins at
    `ready` (a task, or a callback by its `item`) and leaves at the `run` that takes it; a
    queue that is a set (threads) holds a task once. `Metrics.longest_queue` is its most."""

    __slots__ = ("_as_set", "_queued", "size")

    def __init__(self, discipline: str) -> None:
        self._as_set = discipline == "set"
        self._queued: Counter[str] = Counter()
        self.size = 0

    def ready(self, task: str | None, item: object) -> None:
        entry = task if task is not None else "\0" + str(item)
        if not (self._as_set and self._queued[entry]):
            self._queued[entry] += 1
            self.size += 1

    def run(self, task: str | None, item: object) -> None:
        entry = task if task is not None else "\0" + str(item)
        if self._queued[entry] > 0:  # a gevent timer switches in with no queue entry
            self._queued[entry] -= 1
            self.size -= 1


class _Open:
    """A step execution in progress, while measuring."""

    __slots__ = ("blocked", "key", "preemptions", "start")

    def __init__(self, key: tuple[str, int, str, int, int], start: float) -> None:
        self.key = key
        self.start = start
        self.blocked = 0.0
        self.preemptions = 0


def measure(trace: TraceLike) -> Metrics:
    """The figures of one run, in one pass over its events."""
    kind, t_of, task_of, field = trace.kind, trace.t, trace.task, trace.field
    discipline = queue_discipline(trace.header)
    queue = QueueLength(discipline)
    longest = 0
    switches = callbacks = preemptions = 0
    blocked = waiting = 0.0
    since: dict[str, float] = {}
    finished: list[str] = []
    outputs: list[str] = []
    current: dict[str, _Open] = {}
    runs: dict[tuple[str, int, str, int, int], list[tuple[float, float, float, int]]] = {}
    t = 0.0

    def close(task: str, at: float) -> None:
        o = current.pop(task, None)
        if o is not None:
            runs[o.key].append((o.start, at, o.blocked, o.preemptions))

    for i in range(len(trace)):
        k = kind(i)
        task = task_of(i)
        t = t_of(i)
        if k == "run":
            switches += 1
            if task is None:
                callbacks += 1
            queue.run(task, field(i, "item") if task is None else None)
        elif k == "ready":
            queue.ready(task, field(i, "item") if task is None else None)
            longest = max(longest, queue.size)
        elif task is None:
            continue
        elif k == "step":
            close(task, t)
            op = field(i, "op")
            if op in TIMED_OPS:
                key = (definition_of(task), int(field(i, "index")), op,
                       int(field(i, "line")), int(field(i, "col") or 0))
                runs.setdefault(key, [])
                current[task] = _Open(key, t)
        elif k == "suspend":
            reason = field(i, "reason")
            if reason == "preempt":
                preemptions += 1
                if task in current:
                    current[task].preemptions += 1
            elif reason in WAIT_REASONS:
                since[task] = t
        elif k == "wake":
            start = since.pop(task, None)
            if start is not None:
                waiting += t - start
        elif k == "block":
            duration = float(field(i, "duration") or 0.0)
            blocked += duration
            if task in current:
                current[task].blocked += duration
        elif k in ("done", "error"):
            close(task, t)
            if k == "done":
                finished.append(task)
        elif k == "output":
            outputs.append(str(field(i, "text")))

    end = trace.end or {}
    elapsed = float(end.get("elapsed", t))
    last = max(t, elapsed)
    for task in list(current):
        close(task, last)
    waiting += sum(last - start for start in since.values())
    stuck = tuple((str(s.get("task")), str(s.get("waiting_on")))
                  for s in end.get("stuck") or () if isinstance(s, dict))
    return Metrics(
        status=end.get("status"),
        elapsed=elapsed,
        switches=switches,
        callbacks=callbacks,
        preemptions=preemptions,
        longest_queue=None if discipline == "none" else longest,
        blocked=blocked,
        waiting=waiting,
        finish_order=tuple(finished),
        outputs=tuple(outputs),
        stuck=stuck,
        message=end.get("message"),
        groups=tuple(_group(key, execs) for key, execs in runs.items() if execs),
    )


def _group(key: tuple[str, int, str, int, int],
           execs: list[tuple[float, float, float, int]]) -> StepGroup:
    definition, index, op, line, col = key
    spans = sorted((a, b) for a, b, _, _ in execs)
    union = 0.0
    cur_a, cur_b = spans[0]
    for a, b in spans[1:]:
        if a > cur_b:
            union += cur_b - cur_a
            cur_a, cur_b = a, b
        else:
            cur_b = max(cur_b, b)
    union += cur_b - cur_a
    return StepGroup(
        definition=definition, index=index, op=op, line=line, col=col,
        count=len(execs),
        start=spans[0][0],
        end=max(b for _, b in spans),
        total=sum(b - a for a, b in spans),
        longest=max(b - a for a, b in spans),
        union=union,
        blocked=sum(x[2] for x in execs),
        preemptions=sum(x[3] for x in execs),
    )


def output_difference(first: tuple[str, ...], other: tuple[str, ...]) -> int | None:
    """The 1-based line where `other`'s output first differs from `first`'s; None if equal."""
    for n, (a, b) in enumerate(zip(first, other, strict=False), 1):
        if a != b:
            return n
    if len(first) != len(other):
        return min(len(first), len(other)) + 1
    return None


def outputs_comparable(first: Metrics, other: Metrics, same_scenario: bool) -> bool:
    """Whether two runs' outputs can be compared line by line: runs of one scenario can;
    runs of two scenarios only when they print the same lines (gather10 and
    gather10_blocking), in whatever order."""
    return same_scenario or sorted(first.outputs) == sorted(other.outputs)
