"""The immutable value panes draw: one per cursor move or batch of events, and the slices in it.

Nothing here imports Textual: the session (`session.py`) builds a `PlayerView`, the screen
binds it, and each pane draws only the part it is given. The slices (`OutputLines`,
`EventRows`, `TimelineData`) are windows onto the run's append-only records, bounded where
the view was made: a view taken while the run grows keeps showing what it showed.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, overload

from simtui import durations
from simtui.replay.explain import gloss
from simtui.replay.state import State, TaskView
from simtui.runtimespec import RuntimeSpec
from simtui.scenario.model import DURATION_OPS, Scenario, Step
from simtui.trace import labels


@dataclass(frozen=True, slots=True)
class Source:
    """The scenario file as the source pane shows it, and where a load failed in it."""

    name: str
    """The path as the user gave it (the pane's title)."""
    text: str
    error_line: int | None = None
    """The line of the first problem when the file on disk does not load."""


# -- slices of the run -------------------------------------------------------------------


class _Outputs(Protocol):
    def __getitem__(self, i: int) -> tuple[int, float, str | None, str]: ...


class OutputLines(Sequence[tuple[str | None, str]]):
    """The `print` lines up to the cursor: (task, text), oldest first."""

    __slots__ = ("_count", "_outputs")

    def __init__(self, outputs: _Outputs | Sequence[tuple[int, float, str | None, str]],
                 count: int) -> None:
        self._outputs = outputs
        self._count = count

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, i: int) -> tuple[str | None, str]: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[tuple[str | None, str]]: ...
    def __getitem__(self, i: int | slice) -> Any:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(self._count))]
        if i < 0:
            i += self._count
        if not 0 <= i < self._count:
            raise IndexError(i)
        _, _, task, text = self._outputs[i]
        return task, text


class _Events(Protocol):
    def __getitem__(self, i: int) -> Mapping[str, Any]: ...


class EventRows(Sequence[Mapping[str, Any]]):
    """The run's events as they were when the view was made (the raw event log reads it)."""

    __slots__ = ("_length", "_trace")

    def __init__(self, trace: _Events, length: int) -> None:
        self._trace = trace
        self._length = length

    def __len__(self) -> int:
        return self._length

    @overload
    def __getitem__(self, i: int) -> Mapping[str, Any]: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[Mapping[str, Any]]: ...
    def __getitem__(self, i: int | slice) -> Any:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(self._length))]
        if i < 0:
            i += self._length
        if not 0 <= i < self._length:
            raise IndexError(i)
        return self._trace[i]

    def __iter__(self) -> Iterator[Mapping[str, Any]]:
        return (self._trace[i] for i in range(self._length))


class _Segmented(Protocol):
    """What the timeline reads from a replay (or a hand-built stand-in in a test)."""

    @property
    def tasks(self) -> Sequence[str]: ...
    @property
    def stops(self) -> Sequence[int]: ...
    def segments(self, task: str) -> tuple[Sequence[float], Sequence[str]]: ...
    def segment_indices(self, task: str) -> Sequence[int]: ...


@dataclass(frozen=True, slots=True)
class Segments:
    """One task's states over the run, up to the view: `n` of each sequence are valid."""

    times: Sequence[float]
    """Trace time at which each state starts, ascending."""
    statuses: Sequence[str]
    indices: Sequence[int]
    """The event index at which each state starts."""
    n: int


class TimelineData:
    """The timeline's slice of the run: tasks, their states and the stop index (switches,
    idle and blocked moments, the end), bounded to the events known when the view was made.

    The sequences are the run's own (never copied: a task may have 200,000 states); every
    read is bounded by `n`, found by bisection, so a row costs what it draws.
    """

    __slots__ = ("_n_stops", "_source", "end_t", "length", "start_t", "tasks")

    def __init__(self, source: _Segmented, length: int, n_stops: int,
                 start_t: float, end_t: float) -> None:
        self._source = source
        self.length = length
        """Events known to the view."""
        self._n_stops = n_stops
        self.tasks: Sequence[str] = tuple(source.tasks)
        self.start_t = start_t
        """The trace time of the first event: the time axis' left edge."""
        self.end_t = end_t
        """The trace time of the last known event: the time axis' right edge."""

    @property
    def stop_count(self) -> int:
        """How many stops the view knows: the switch axis' length."""
        return self._n_stops

    def segments(self, task: str) -> Segments:
        times, statuses = self._source.segments(task)
        indices = self._source.segment_indices(task)
        n = len(statuses)
        if n and indices and indices[n - 1] >= self.length:  # states the view does not know
            n = bisect.bisect_left(indices, self.length, 0, n)
        return Segments(times, statuses, indices, n)

    def stop_position(self, event_index: int) -> int:
        """The first stop (counted from 1) at which a state that begins at `event_index` is
        in effect: the column of stop p shows each task as it is at stop p. A state that
        begins and ends between two stops shows at none."""
        return bisect.bisect_left(self._source.stops, event_index, 0, self._n_stops) + 1

    def stop_position_at(self, event_index: int) -> int:
        """The stop the cursor at `event_index` is at or just past (counted from 1)."""
        return bisect.bisect_right(self._source.stops, event_index, 0, self._n_stops)

    def stop_event(self, k: int) -> int:
        """The event index of stop `k` (1-based)."""
        return self._source.stops[k - 1]


# -- the view ----------------------------------------------------------------------------

Line = tuple[str, str]
"""One line of a pane: its text and its role (`title`, ``, `dim`, `alert`), which the
pane maps to a style of the theme."""


@dataclass(frozen=True, slots=True)
class PlayerView:
    """Everything the panes draw at one cursor position of one run."""

    run_id: int
    """Increments with each new run: panes drop their caches when it changes."""
    state: State
    runtime: str | None
    """The run's runtime; None until a scenario has loaded (or the trace names none)."""
    spec: RuntimeSpec | None
    """What the runtime is (its scheduler's noun, its task noun); None when unknown."""
    queue: str
    """How the ready queue is ordered: `fifo`, `set` or `none` (the trace header says)."""
    title: str
    path: str
    """The file on screen as the header shows it (`./gather10.yaml`); empty for a bundled
    scenario, whose name says it."""
    choosable: bool
    """The runtime can be changed here (the header's ▾ opens the picker)."""
    mode: str
    """`playing`, `paused` or `live` (following the newest event)."""
    speed: float
    """Switches per second while playing."""
    lifecycle: str
    """The run: `none`, `starting`, `live`, `ended`, `killed`, `failed` or `replay`."""
    progress: str
    """What the recording is doing (`recording 3.2 s`); empty once it is over."""
    recorded: int
    """Switches recorded so far."""
    length: int
    """Events recorded so far."""
    time_scale: float
    """The run's scale of scenario time (the scenario's own times the command line's)."""
    running: tuple[Line, ...]
    """The Running pane's lines."""
    explanation: str
    outputs: OutputLines
    timeline: TimelineData
    events: EventRows
    source: Source | None
    error: str
    """The error banner; empty: none."""
    axis: str
    """The timeline's x axis: `switch` or `time`."""
    scenario: Scenario | None = None

    @property
    def event(self) -> Mapping[str, Any] | None:
        return self.state.event

    @property
    def live(self) -> bool:
        """The worker is still producing events."""
        return self.lifecycle in ("starting", "live")


# -- words the panes show ----------------------------------------------------------------


def clock(t: float) -> str:
    """A point on the run's clock (`t = …`, `wakes …`): seconds, four decimals."""
    return f"{t:.4f} s"


def describe_step(step: Step) -> str:
    """A step as the user wrote it, durations in the one unit style (`sleep 500 ms`)."""
    if step.op in DURATION_OPS:
        return f"{step.op} {durations.format(step.seconds)}"
    return step.describe()


def wait_text(task: TaskView) -> str:
    """What a waiting task waits for, as a person reads it: `lock db, held by w[0]`."""
    return labels.read_wait(task.reason, task.detail).text()


def step_table(scenario: Scenario | None) -> dict[tuple[str, int], Step]:
    """Every step of every task definition by its pre-order index."""
    table: dict[tuple[str, int], Step] = {}
    if scenario is None:
        return table
    for name, definition in scenario.tasks.items():
        stack = list(reversed(definition.steps))
        while stack:
            step = stack.pop()
            table[(name, step.index)] = step
            stack.extend(reversed(step.body))
    return table


def running_lines(state: State, spec: RuntimeSpec | None, queue: str,
                  scenario: Scenario | None,
                  steps: Mapping[tuple[str, int], Step]) -> tuple[Line, ...]:
    """The Running pane: who runs, at which step, and where control came from."""
    if state.index < 0:
        return (("nothing has run yet", "dim"),)
    lines: list[Line] = []
    if state.running is None:
        if state.running_item:
            lines.append((f"callback {state.running_item}", "title"))
            lines.append((gloss(spec.name if spec else None, state.running_item), ""))
            lines.append(("the scheduler runs it between tasks", "dim"))
        elif state.status:
            lines.append((f"run ended: {state.status}", "title"))
        else:
            return tuple(_idle(spec, queue))  # (where the last switch came from is past)
    else:
        task = state.tasks.get(state.running)
        lines.append((state.running, "title"))
        step, nsteps = _step_of(state, scenario, steps)
        if step is not None:
            lines.append((f"step {step.index + 1}/{nsteps}  {describe_step(step)}", ""))
        elif task is not None and task.op:
            lines.append((f"step {(task.step or 0) + 1}  {task.op}", ""))
        elif task is not None and task.step is None:
            lines.append(("starts: no step run yet", "dim"))
        if task is not None and task.status == "blocking":
            lines.append((f"blocks the scheduler: {task.reason}", "alert"))
    if state.came_from:
        lines.append((f"from {state.came_from}", "dim"))
    return tuple(lines)


def _idle(spec: RuntimeSpec | None, queue: str) -> list[Line]:
    """Nothing runs: what the scheduler does meanwhile, in the runtime's own nouns."""
    noun = spec.task_noun if spec is not None else "task"
    if queue == "none":
        return [("nothing runs", "title"),
                (f"{spec.scheduler if spec else 'no scheduler'}: control goes only where "
                 "a switch sends it", "")]
    if queue == "set":
        who = spec.scheduler if spec is not None else "the OS"
        return [(f"no {noun} runs", "title"),
                (f"every {noun} waits; {who} decides who runs next", "")]
    who = spec.scheduler if spec is not None else "the scheduler"
    return [(who, "title"), (f"no {noun} runs: it waits for the next timer or I/O", "")]


def _step_of(state: State, scenario: Scenario | None,
             steps: Mapping[tuple[str, int], Step]) -> tuple[Step | None, int]:
    """The Step the running task is at, and its definition's step count (0 when unknown)."""
    view = state.tasks.get(state.running) if state.running else None
    if view is None or scenario is None or view.step is None:
        return None, 0
    inst = scenario.instances.get(view.name)
    if inst is None:
        return None, 0
    definition = scenario.tasks[inst.definition]
    return steps.get((inst.definition, view.step)), definition.nsteps
