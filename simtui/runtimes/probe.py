"""The probe: the one API every runtime reports to; it records trace events in O(1) each.

Each runtime adapts its own hooks (asyncio's loop and task factory, greenlet's tracer,
gevent's loop, instrumented thread work) to these calls, in the manner of Trio's
`Instrument`. A call only appends a tuple to a list: no encoding, no I/O, no lock, so
it is cheap, safe from any thread (list.append is atomic under the GIL) and never
changes the schedule it records. The worker's flusher drains the list in batches.

The hottest hooks (asyncio's ready deque, the greenlet tracer, gevent's callbacks) append
`Record` tuples to `Probe.events` themselves, stamped with `Probe._clock`, instead of
calling these methods: a Python call per event is a fifth of a task step. The tuple format
below is therefore part of the probe's API, and `tests/unit/test_trace_encoder.py` pins it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from simtui.scenario.model import Step

Record = tuple[Any, ...]
"""(t_ns, type, task, *fields in trace.events.FIELDS order)."""


class Probe:
    """Records what a runtime reports, as trace events with a monotonic timestamp."""

    def __init__(self, snapshots: bool = False) -> None:
        self.events: list[Record] = []
        self.snapshots = snapshots
        """Whether the runtime should report `queue` snapshots of its real ready queue."""
        self.stuck_provider: Callable[[], list[dict[str, str]]] | None = None
        """Set by a runtime: the tasks still waiting, with what on, for `end` at a timeout."""
        self._rec = self.events.append
        self._clock = time.perf_counter_ns
        self.t0 = self._clock()

    def now(self) -> float:
        """Seconds since the run started, on the trace's clock."""
        return (self._clock() - self.t0) / 1e9

    def at(self, perf_counter_seconds: float) -> float:
        """A `time.perf_counter()`-based instant as trace seconds (for timer deadlines)."""
        return perf_counter_seconds - self.t0 / 1e9

    def create(self, task: str, parent: str | None) -> None:
        self._rec((self._clock(), "create", task, parent))

    def ready(self, task: str | None, item: str | None = None) -> None:
        """`task` (or, for a callback that is not a task's step, `item`) entered the ready queue."""
        self._rec((self._clock(), "ready", task, item))

    def run(self, task: str | None, prev: str | None, item: str | None = None) -> None:
        """`task` starts or resumes (or the scheduler runs callback `item`); `prev` ran before."""
        self._rec((self._clock(), "run", task, prev, item))

    def suspend(
        self, task: str, reason: str, detail: str | None = None, until: float | None = None
    ) -> None:
        """`task` gave control away; `until` is the trace time a timer will wake it."""
        self._rec((self._clock(), "suspend", task, reason, detail, until))

    def wake(self, task: str, reason: str) -> None:
        self._rec((self._clock(), "wake", task, reason))

    def step(self, task: str, step: Step) -> None:
        self._rec((self._clock(), "step", task, step.index, step.op, step.line, step.col))

    def output(self, task: str, text: str) -> None:
        self._rec((self._clock(), "output", task, text))

    def block(self, task: str, reason: str, duration: float) -> None:
        """`task` holds the whole scheduler for `duration` seconds (a `cpu` or blocking step)."""
        self._rec((self._clock(), "block", task, reason, duration))

    def done(self, task: str) -> None:
        self._rec((self._clock(), "done", task))

    def error(self, task: str | None, message: str) -> None:
        self._rec((self._clock(), "error", task, message))

    def queue(self, ready: list[str]) -> None:
        """A snapshot of the runtime's real ready queue, read from its own data structure."""
        self._rec((self._clock(), "queue", None, ready))

    def end(self, status: str, stuck: list[dict[str, str]] | None = None) -> None:
        """The run is over. `stuck` lists `{"task", "waiting_on"}` of tasks left waiting."""
        self._rec((self._clock(), "end", None, status, round(self.now(), 7), stuck))


def nothing(*args: object) -> None:
    """Does nothing: what a silent recorder calls."""
    return None


class SilentProbe:
    """A probe that records nothing: runtimes run with it for the uninstrumented baseline
    of the overhead benchmark (the same interpreter, no recording)."""

    snapshots = False
    stuck_provider = None

    def __getattr__(self, name: str) -> Callable[..., None]:
        return nothing
