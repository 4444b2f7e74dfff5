"""The probe: where every runtime records what it observes, as packed records (`trace.layout`).

A record is two 64-bit integers packed (`struct`) onto one `bytearray`: no Python object
stays alive per event (so the cyclic GC has nothing more to walk as a run goes on),
nothing is encoded in the worker, and an append is atomic under the GIL, so any thread may
record. (Packing then extending costs about half what `array.extend` of the same words
does, which goes through them one by one.) The
strings and other fields an event carries are declared once in the probe's tables (`x`,
`item`) and a record refers to them by number; the worker's flusher writes the records and
the new declarations as they are (`trace.wire`) and the parent turns them into a trace.

Runtimes record in two ways, both of which end in `put`:

- the named methods (`create`, `ready`, `suspend`, ...) for what happens once in a while;
- on their hot paths, words made once (`offsets`, `task_word`, `layout.x_word`) and one
  `put(pack(clock() - offset, word))` — or `pack2`/`pack3` for two or three records at
  one clock reading.

A probe made with `record=False` records nothing, and says so (`recording`): its `put`
drops what it is given, and a runtime installs no hook and builds no record it would drop.
That is the one way of not recording (the uninstrumented side of the benchmarks).
"""

from __future__ import annotations

import struct
import time
from collections.abc import Callable, Sequence
from typing import Any

from simtui.trace import layout
from simtui.trace.layout import NONE

Extras = tuple[Any, ...]
"""An event's fields other than seq, t, type and task, in `events.FIELDS` order."""

pack = struct.Struct("=qq").pack
"""One record's bytes, from its two words."""
pack2 = struct.Struct("=4q").pack
pack3 = struct.Struct("=6q").pack


def _drop(data: bytes) -> None:
    """What a probe that does not record does with a record."""


class Probe:
    """Records what a runtime reports, as packed records with their fields declared once."""

    def __init__(self, tasks: Sequence[str], snapshots: bool = False, record: bool = True):
        self.records = bytearray()
        """The records not yet written, 16 bytes each (`trace.layout`)."""
        self.recording = record
        self.put: Callable[[bytes], None] = self.records.extend if record else _drop
        """Append whole packed records: the only way records are made."""
        self.snapshots = snapshots and record
        """Whether the runtime should report `queue` snapshots of its real ready queue."""
        self.stuck_provider: Callable[[], list[dict[str, str]]] | None = None
        """Set by a runtime: the tasks still waiting, with what on, for `end` at a timeout."""
        self.drain: Callable[[], None] | None = None
        """Set by a runtime that keeps records of its own before they are the probe's (the
        threads' consumer): makes them the probe's now, from any thread."""
        self.clock = time.perf_counter_ns
        self.t0 = self.clock()
        self.offsets = [layout.offset(kind, self.t0) for kind in range(16)]
        """Per kind: word 0 of a record is `clock() - offsets[kind]`."""
        self.tasks: dict[str, int] = {name: i for i, name in enumerate(tasks)}
        """Task name → its id, its place in the header's `tasks`."""
        self.names: list[str] = list(tasks)
        """The trace's names: the tasks, then the names declared for ready-queue entries."""
        self._name_ids: dict[str, int] = dict(self.tasks)
        self.extras: list[Extras] = []
        """Declared extra fields; a record's x is an index into this list."""
        self._x: dict[Extras, int] = {}

    # -- declarations ------------------------------------------------------------------------

    def x(self, extras: Extras) -> int:
        """The declaration of `extras`, made once however often it is recorded."""
        found = self._x.get(extras)
        if found is None:
            found = self._x[extras] = len(self.extras)
            self.extras.append(extras)
        return found

    def unique(self, extras: Extras) -> int:
        """A declaration made for one event (a deadline, a snapshot): not looked up again."""
        self.extras.append(extras)
        return len(self.extras) - 1

    def key(self, task: str | None) -> int:
        """The task column of a task's record (`NONE` for the scheduler itself)."""
        return NONE if task is None else self.tasks[task]

    def item(self, name: str) -> int:
        """The task column of a ready-queue entry that is not a task's step, named `name`."""
        found = self._name_ids.get(name)
        if found is None:
            found = self._name_ids[name] = len(self.names)
            self.names.append(name)
        return layout.callback_key(found)

    def task_word(self, task: str | None) -> int:
        """The task half of word 1 for `task`'s records."""
        return layout.task_word(self.key(task))

    # -- time ----------------------------------------------------------------------------------

    def now(self) -> float:
        """Seconds since the run started, on the trace's clock."""
        return (self.clock() - self.t0) / 1e9

    def at(self, perf_counter_seconds: float) -> float:
        """A `time.perf_counter()`-based instant as trace seconds (for timer deadlines)."""
        return perf_counter_seconds - self.t0 / 1e9

    # -- events, one at a time ------------------------------------------------------------------

    def emit(self, kind: int, key: int, x: int = NONE, t: int | None = None) -> None:
        """One record of `kind` for task column `key`, at clock reading `t` (now if None)."""
        if t is None:
            t = self.clock()
        self.put(pack(t - self.offsets[kind], layout.word1(key, x)))

    def create(self, task: str, parent: str | None) -> None:
        self.emit(layout.CREATE, self.key(task), self.x((parent,)))

    def ready(self, task: str | None, item: str | None = None) -> None:
        """`task` (or, for a callback that is not a task's step, `item`) entered the ready queue."""
        if task is None and item is not None:
            self.emit(layout.READY, self.item(item), self.x((item,)))
        else:
            self.emit(layout.READY, self.key(task))

    def run(self, task: str | None, prev: str | None, item: str | None = None) -> None:
        """`task` starts or resumes (or the scheduler runs callback `item`); `prev` ran before."""
        key = self.item(item) if task is None and item is not None else self.key(task)
        self.emit(layout.RUN, key, self.x((prev, item)))

    def suspend(
        self, task: str, reason: str, detail: str | None = None, until: float | None = None
    ) -> None:
        """`task` gave control away; `until` is the trace time a timer will wake it."""
        extras = (reason, detail, until)
        self.emit(layout.SUSPEND, self.key(task),
                  self.x(extras) if until is None else self.unique(extras))

    def wake(self, task: str | None, reason: str) -> None:
        self.emit(layout.WAKE, self.key(task), self.x((reason,)))

    def output(self, task: str, text: str) -> None:
        self.emit(layout.OUTPUT, self.key(task), self.x((text,)))

    def block(self, task: str, reason: str, duration: float) -> None:
        """`task` holds the whole scheduler for `duration` seconds (a `cpu` or blocking step)."""
        self.emit(layout.BLOCK, self.key(task), self.unique((reason, duration)))

    def done(self, task: str) -> None:
        self.emit(layout.DONE, self.key(task))

    def error(self, task: str | None, message: str | None) -> None:
        self.emit(layout.ERROR, self.key(task), self.x((message,)))

    def queue(self, ready: list[str]) -> None:
        """A snapshot of the runtime's real ready queue, read from its own data structure."""
        self.emit(layout.QUEUE, NONE, self.unique((ready,)))

    def end(self, status: str, stuck: list[dict[str, str]] | None = None,
            recorder: dict[str, float] | None = None) -> None:
        """The run is over. `stuck` lists `{"task", "waiting_on"}` of tasks left waiting;
        `recorder` is what recording cost the run (the worker's `Flusher.cost`)."""
        self.emit(layout.END, NONE,
                  self.unique((status, round(self.now(), 7), stuck, None, recorder)))

    def step(self, task: str, index: int, op: str, line: int, col: int) -> None:
        """`task` starts step `index` of its scenario (`op` at `line`:`col`)."""
        self.emit(layout.STEP, self.key(task), self.x((index, op, line, col)))
