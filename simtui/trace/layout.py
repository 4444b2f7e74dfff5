"""The record layout: one trace event as two 64-bit words, declared once for every layer.

The worker's recorder packs each event into two native 64-bit integers appended to one
`bytearray`; the flusher writes those bytes to the pipe as they are; the parent
cuts them into the columns of a `Trace` without touching one event at a time. No Python
object stays alive per event, nothing is encoded in the worker, and a record is 16 bytes.

    word 0:  t | kind << 56     t: nanoseconds since the run's t0 (56 bits: 2.2 years)
    word 1:  task | x << 32     both int32; -1 is "none"

- `kind` is the event type's code, its position in `events.TYPES` (below 16).
- `task` is the event's task: its index in the header's `tasks` list; `NONE` for the
  scheduler itself; for a ready-queue entry that is not a task's step (`ready`/`run` with
  a null task and an `item`), `callback_key(n)`, the item being the name declared n-th
  (the trace's names are the header's tasks followed by the declared names, in order).
- `x` indexes the declared extra-field tuples (in `events.FIELDS` order for the kind):
  every event's fields but `seq`, `t`, `type` and `task`. `NONE`: the event has none
  (`done`, a task's `ready`). Declarations travel beside the records (see `trace.wire`);
  a record only ever refers to one declared before it.

The hot paths of the runtimes build word 0 as `clock() - offset(kind, t0)` (one
subtraction, no shift) and word 1 from constants made once per task or per step, and
pack them with `struct` (`runtimes.probe.pack`).
"""

from __future__ import annotations

import sys
from array import array

from simtui.trace.events import TYPES

KIND: dict[str, int] = {name: code for code, name in enumerate(TYPES)}
CREATE, READY, RUN, SUSPEND, WAKE, STEP, OUTPUT, BLOCK, DONE, ERROR, QUEUE, END = (
    KIND[name]
    for name in (
        "create", "ready", "run", "suspend", "wake", "step", "output", "block", "done",
        "error", "queue", "end",
    )
)
assert len(KIND) <= 16

WORDS = 2
"""64-bit words per record."""
RECORD_BYTES = 8 * WORDS
NONE = -1
"""A record's task or x when there is none."""
T_BITS = 56
T_MASK = (1 << T_BITS) - 1
_LOW = 0xFFFFFFFF


def offset(kind: int, t0: int) -> int:
    """What to subtract from a clock reading to get word 0 of a `kind` record."""
    return t0 - (kind << T_BITS)


def word1(task: int, x: int = NONE) -> int:
    """Word 1 of a record: its task and its extra fields."""
    return (task & _LOW) | (x << 32)


def task_word(task: int) -> int:
    """The task half of word 1, to be or-ed with `x_word(x)` on a hot path."""
    return task & _LOW


def x_word(x: int) -> int:
    """The extra-fields half of word 1 (`NONE` included)."""
    return x << 32


def callback_key(name_id: int) -> int:
    """The task column of a ready-queue entry named by the `name_id`-th trace name."""
    return -2 - name_id


# Where each field sits in the record's 16 bytes, on this machine's byte order.
_LITTLE = sys.byteorder == "little"
_KIND_BYTE = 7 if _LITTLE else 0
"""The kind's byte within word 0 (its most significant one)."""
_TASK_WORD, _X_WORD = (2, 3) if _LITTLE else (3, 2)


def columns(
    data: bytes | bytearray | memoryview,
) -> tuple[bytes, array[int], array[int], array[int]]:
    """Cut whole records into columns: kinds (one byte each), t (ns since t0), task, x.

    Every step is a strided copy done in C: nothing is done once per event in Python.
    Word 0 is taken whole (one copy of 8-byte items) and its kind byte then zeroed in one
    strided write, which costs less than half of copying its seven time bytes one by
    one: this runs on every byte the parent reads from a worker.
    """
    view = memoryview(data).cast("B")
    n = len(view) // RECORD_BYTES
    view = view[: n * RECORD_BYTES]
    word0 = view.cast("q")[0::WORDS].tobytes()
    kinds = word0[_KIND_BYTE::8]
    t_bytes = bytearray(word0)
    t_bytes[_KIND_BYTE::8] = bytes(n)  # word 0 without its kind byte
    t = array("q")
    t.frombytes(t_bytes)
    halves = view.cast("i")
    task = array("i")
    task.frombytes(halves[_TASK_WORD::4].tobytes())
    x = array("i")
    x.frombytes(halves[_X_WORD::4].tobytes())
    return kinds, t, task, x
