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
    """While waiting: what on, as the runtime said (`coco[3]`, `lock db`, `3 left`)."""
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


@dataclass(frozen=True, slots=True)
class ReadyEntry:
    """One entry of the ready queue: a task, or a callback that is not a task's step."""

    name: str
    """Task name, or the callback's item name (e.g. `gather done-callback`)."""
    callback: bool
    arrived: bool
    """True when the entry joined the queue since the previous switch."""


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
    """The `from` of the last `run`."""
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
