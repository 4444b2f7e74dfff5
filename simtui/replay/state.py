"""What the replay model derives at an event index: immutable values the panes render."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

TASK_STATUSES = ("new", "ready", "running", "waiting", "blocking", "done", "error")
"""`blocking`: the task holds the whole scheduler (a `block` event: asyncio/gevent `cpu`,
unpatched `block`) until its next event."""


@dataclass(frozen=True, slots=True)
class TaskView:
    """One task at a point of the trace."""

    name: str
    status: str
    """One of TASK_STATUSES."""
    since: float
    """Trace time at which the task entered `status`."""
    reason: str | None = None
    """While waiting: the suspend reason (sleep, join, gather, lock, event, queue, io,
    switch, preempt); while blocking: the block reason."""
    detail: str | None = None
    """While waiting: what on, in the trace's words (`labels.read_wait` reads it:
    `coco[3]`, `db, held by worker[0]`, `1 s, reply`)."""
    until: float | None = None
    """While waiting on a timer: the trace time it fires."""
    step: int | None = None
    """Index of the task's current step (its last `step` event), or None before any."""
    op: str | None = None
    line: int | None = None
    col: int | None = None
    parent: str | None = None
    woken: bool = False
    """While waiting: what it waited for happened, and it is not in the ready queue yet."""
    waited: str | None = None
    """The reason of the task's last `suspend`, kept after it left that wait: what a task
    that is ready or running again was waiting for (`lock`, `sleep`, `preempt` …)."""
    waited_detail: str | None = None
    """The detail of that last `suspend` (`db, held by worker[0]`)."""
    waited_since: float | None = None
    """Trace time of that last `suspend`."""
    woken_by: str | None = None
    """The task whose action ended the task's last wait: the one running when the wake
    happened (releasing a lock, setting an event, finishing), or the one that queued the
    callback that woke it. None when the scheduler did (a timer, I/O, a preemption)."""


@dataclass(frozen=True, slots=True)
class ReadyEntry:
    """One entry of the ready queue: a task, or a callback that is not a task's step."""

    name: str
    """Task name, or the callback's item name (e.g. `gather done-callback`)."""
    callback: bool
    arrived: bool
    """True when the entry joined the queue since the previous switch."""


STOP_KINDS = ("switch", "idle", "blocked", "end")
"""Where stepping pauses (`Replay.stops`): a context switch (`run`); the scheduler idle,
with nothing ready until a timer or I/O (the event after which that is so); a blocking
call that holds the whole scheduler (its `block` event); the run's end."""


@dataclass(frozen=True, slots=True)
class Held:
    """A blocking call that holds the whole scheduler (asyncio or gevent `cpu`, an unpatched
    `block`, any blocking call on raw greenlet)."""

    task: str
    reason: str
    """The `block` event's reason: `cpu`, `block` (time.sleep), `sleep`, `io` (greenlet)."""
    since: float
    """Trace time of the `block` event."""
    seconds: float | None
    """How long nothing else ran: from the `block` event to the next one (None while
    that event has not come: the call is still running)."""
    asked: float | None = None
    """The duration the `block` event announced (at the run's time scale), if any."""


@dataclass(frozen=True, slots=True)
class Total:
    """How many times something happened in a run, and how long it took in all."""

    count: int = 0
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class RunSummary:
    """What a finished run showed, measured from its trace (for the end-of-run sentence)."""

    elapsed: float
    time_scale: float
    tasks: int
    switches: int
    waits: Mapping[str, Total]
    """Per suspend reason: the waits a wake ended, and their summed length (suspend to
    wake). They may overlap: ten 3 s sleeps at once sum to 30 s."""
    blocks: Mapping[str, Total]
    """Per block reason: the blocking calls, and how long each held the scheduler."""
    preempts: int
    """Threads: how many times the interpreter took the GIL from a running thread."""
    locks: tuple[str, ...] = ()
    """The locks tasks waited for, in the order first waited for."""
    switch_interval: float | None = None
    """Threads: the run's switch interval, when the trace header gives it."""

    def waited(self, *reasons: str) -> Total:
        """The waits of these reasons together."""
        picked = [self.waits[r] for r in reasons if r in self.waits]
        return Total(sum(t.count for t in picked), sum(t.seconds for t in picked))

    def blocked(self) -> Total:
        return Total(sum(t.count for t in self.blocks.values()),
                     sum(t.seconds for t in self.blocks.values()))


@dataclass(frozen=True, slots=True)
class State:
    """Everything the screen shows after applying events 0..index (index -1: nothing yet)."""

    index: int
    t: float
    """Trace time of event `index` (0.0 before any)."""
    switch: int
    """How many `run` events are at or before `index`."""
    running: str | None
    """The task now running (holding the GIL, for threads), or None: the scheduler itself."""
    running_item: str | None
    """A callback the scheduler is running (a `run` with task null), if any."""
    came_from: str | None
    """The task that ran last before the one running now: the `from` of the last `run`,
    or, once the running task has suspended, yielded or finished, that task itself."""
    ready: tuple[ReadyEntry, ...]
    """The ready queue in order, head first (for threads: the runnable set, unordered)."""
    departed: str | None
    """The entry that left the head of the ready queue at the last switch."""
    tasks: Mapping[str, TaskView]
    """Every task created so far, by name."""
    waiting: tuple[str, ...]
    """Waiting tasks, in the order they started waiting."""
    done: tuple[str, ...]
    output_count: int
    """How many `output` events are at or before `index` (see Replay.outputs)."""
    event: Mapping[str, Any] | None
    """The event at `index`."""
    status: str | None = None
    """The run's end status once the `end` event is reached."""
    stuck: tuple[Mapping[str, Any], ...] = ()
    stop: str | None = None
    """Which of STOP_KINDS this event is, or None when stepping does not pause here."""
    held: Held | None = None
    """At a blocked stop (a `block` event): the call, and how long it held the scheduler."""
    summary: RunSummary | None = None
    """Once the `end` event is reached: what the run showed."""
