"""The wire from the worker to its parent: frames of packed records, decoded into batches.

The stream on the worker's trace pipe is a sequence of frames, each `length` (4 bytes,
little-endian: the payload's size), `type` (1 byte) and the payload:

- `HEADER`: the trace header (`events.make_header`), marshalled; the first frame.
- `DECLARE`: `(names, extras)`, marshalled: the names and extra-field tuples declared
  since the previous one (`runtimes.probe`). Records refer to them by number.
- `RECORDS`: whole records (`trace.layout`), as the worker's array holds them.

Nothing is encoded per event in the worker: a record travels as the 16 bytes it was
recorded as, and what it refers to travels once. `Decoder` (the parent's side) cuts
records into columns with strided copies done in C and hands them on as `Batch`es, which
the `Trace` takes in as they are and the exporters (`trace.export`) turn into JSONL, text
or Chrome JSON. A batch can also be read as event dicts (`Batch.events`), the trace
format's objects, for whoever needs one event at a time.
"""

from __future__ import annotations

import itertools
import marshal
import operator
import struct
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from simtui.trace import layout
from simtui.trace.events import ALWAYS, FIELDS, TYPES

HEADER, DECLARE, RECORDS = 1, 2, 3
_FRAME = struct.Struct("<IB")
FRAME_BYTES = _FRAME.size
MAX_FRAME = 1 << 30
"""A longer frame is not one the worker writes: the stream is broken."""

Event = dict[str, Any]
_FIELD_NAMES = [FIELDS[name] for name in TYPES]
_END = bytes([layout.END])
_KINDS = bytes(range(len(TYPES)))
"""Every kind code: what is left of a kinds column once they are deleted is not one."""
def _seconds(ns: int) -> float:
    """Nanoseconds → the trace's `t`: seconds at a resolution of 0.1 µs."""
    return ns // 100 / 1e7


class WireError(ValueError):
    """The stream is not what a worker writes: nothing after this point can be trusted."""


def frame(kind: int, payload: bytes | bytearray | memoryview) -> bytes:
    """A whole frame (for small payloads; records are written as a header then the view)."""
    return frame_header(kind, len(payload)) + bytes(payload)


def frame_header(kind: int, size: int) -> bytes:
    return _FRAME.pack(size, kind)


def header_frame(header: dict[str, Any]) -> bytes:
    return frame(HEADER, marshal.dumps(header))


def declare_frame(names: list[str], extras: list[tuple[Any, ...]]) -> bytes:
    return frame(DECLARE, marshal.dumps((names, extras)))


class Sender:
    """The worker's side: frames of what a recorder holds, nothing encoded per event.

    `declarations` sends what was declared since the last call; call it after counting
    the records to send and before sending them (every record counted refers only to
    what was declared before it).
    """

    def __init__(self, names_known: int) -> None:
        self.names_sent = names_known
        """Names the reader knows: the header's tasks, then those declared and sent."""
        self.extras_sent = 0

    def declarations(self, names: list[str], extras: list[tuple[Any, ...]]) -> bytes:
        """A frame of the names and extras declared since the last call (b"" if none)."""
        n, x = len(names), len(extras)
        if n == self.names_sent and x == self.extras_sent:
            return b""
        data = declare_frame(names[self.names_sent : n], extras[self.extras_sent : x])
        self.names_sent, self.extras_sent = n, x
        return data

    @staticmethod
    def records(words: bytes | bytearray | memoryview) -> tuple[bytes, memoryview]:
        """A frame of whole records: its header, and the records' bytes as they are."""
        view = memoryview(words).cast("B")
        return frame_header(RECORDS, len(view)), view


FRAME_RECORDS = 4096
"""Records per frame, as the worker writes them."""


def encode(header: dict[str, Any], names: list[str], extras: list[tuple[Any, ...]],
           records: bytes | bytearray) -> bytes:
    """A whole stream at once: what the worker writes over a run, in one piece."""
    sender = Sender(len(header["tasks"]))
    out = [header_frame(header), sender.declarations(names, extras)]
    view = memoryview(records)
    step = FRAME_RECORDS * layout.RECORD_BYTES
    for k in range(0, len(view), step):
        head, body = sender.records(view[k : k + step])
        out += [head, bytes(body)]
    return b"".join(out)


@dataclass
class Tables:
    """What records refer to: the trace's names (tasks first) and the declared extras."""

    names: list[str] = field(default_factory=list)
    extras: list[tuple[Any, ...]] = field(default_factory=list)


@dataclass(eq=False)
class Batch:
    """Consecutive events of one stream, in columns (the layout of `Trace`'s own).

    `tables` is shared with the decoder and only ever grows; `names` and `extras` say how
    much of it this batch's events may refer to, so a reader on another thread never looks
    past what was there when the batch was made.
    """

    tables: Tables
    start: int
    """The `seq` of the first event."""
    kinds: bytes = b""
    tasks: array[int] = field(default_factory=lambda: array("i"))
    ts: array[float] = field(default_factory=lambda: array("d"))
    xs: array[int] = field(default_factory=lambda: array("i"))
    names: int = 0
    extras: int = 0
    header: dict[str, Any] | None = None
    """Set on the stream's first batch (which then may have no events)."""

    def __len__(self) -> int:
        return len(self.kinds)

    @property
    def stop(self) -> int:
        return self.start + len(self.kinds)

    @property
    def end(self) -> Event | None:
        """The `end` event, when this batch holds it (it is then the last)."""
        if self.kinds[-1:] == _END:
            return self.event(len(self.kinds) - 1)
        return None

    def event(self, j: int) -> Event:
        """The `j`-th event of the batch as the trace format's object."""
        k = self.kinds[j]
        task = self.tasks[j]
        names = self.tables.names
        ev: Event = {
            "seq": self.start + j,
            "t": self.ts[j],
            "type": TYPES[k],
            "task": names[task] if task >= 0 else None,
        }
        x = self.xs[j]
        if x >= 0:
            for name, value in zip(_FIELD_NAMES[k], self.tables.extras[x], strict=False):
                if value is not None or name in ALWAYS:
                    ev[name] = value
        return ev

    def events(self) -> list[Event]:
        """The header (if any) and every event, as the trace format's objects."""
        out = [dict(self.header)] if self.header is not None else []
        out += [self.event(j) for j in range(len(self.kinds))]
        return out


class Decoder:
    """The parent's side of the wire: bytes in, `Batch`es out, in order."""

    def __init__(self) -> None:
        self.tables = Tables()
        self.header: dict[str, Any] | None = None
        self.seq = 0
        """Events decoded so far: the next one's `seq`."""
        self.ended = False
        self._last_ns = 0
        self._buffer = bytearray()

    @property
    def t(self) -> float:
        """The `t` of the last event decoded (0 before any)."""
        return _seconds(self._last_ns)

    def feed(self, chunk: bytes) -> list[Batch]:
        """Take in bytes read from the pipe; the batches they complete (records of
        consecutive frames are joined into one batch). Raises WireError."""
        buf = self._buffer
        buf += chunk
        out: list[Batch] = []
        records: list[bytes] = []
        pos = 0
        while len(buf) - pos >= FRAME_BYTES:
            size, kind = _FRAME.unpack_from(buf, pos)
            if size > MAX_FRAME:
                raise WireError(f"a frame of {size} bytes")
            if len(buf) - pos - FRAME_BYTES < size:
                break
            payload = bytes(buf[pos + FRAME_BYTES : pos + FRAME_BYTES + size])
            pos += FRAME_BYTES + size
            if kind == RECORDS:
                records.append(payload)
                continue
            if records:
                out.append(self._records(records))
                records = []
            if kind == DECLARE:
                self._declare(payload)
            elif kind == HEADER:
                out.append(self._header(payload))
            else:
                raise WireError(f"unknown frame type {kind}")
        if records:
            out.append(self._records(records))
        del buf[:pos]
        return [b for b in out if len(b) or b.header is not None]

    def close(self) -> None:
        """The stream ended; raises WireError if it ended inside a frame."""
        if self._buffer:
            raise WireError(f"the stream ended inside a frame ({len(self._buffer)} bytes)")

    def _header(self, payload: bytes) -> Batch:
        if self.header is not None:
            raise WireError("a second header")
        try:
            header = marshal.loads(payload)
        except (EOFError, ValueError, TypeError) as e:
            raise WireError(f"a header that cannot be read: {e}") from None
        return self.start(header)

    def start(self, header: dict[str, Any]) -> Batch:
        """The stream's header (read from the wire, or made by the parent for a worker that
        wrote none): its tasks are the first names; the batch that carries it."""
        tasks = header.get("tasks") if isinstance(header, dict) else None
        if not isinstance(tasks, list) or not all(isinstance(t, str) for t in tasks):
            raise WireError("a header without its list of tasks")
        self.header = header
        self.tables.names.extend(tasks)
        return self._batch(b"", array("q"), array("i"), array("i"), header)

    def _declare(self, payload: bytes) -> None:
        try:
            names, extras = marshal.loads(payload)
        except (EOFError, ValueError, TypeError) as e:
            raise WireError(f"declarations that cannot be read: {e}") from None
        if self.header is None:
            raise WireError("declarations before the header")
        self.tables.names.extend(names)
        self.tables.extras.extend(map(tuple, extras))

    def _records(self, payloads: list[bytes]) -> Batch:
        if self.header is None:
            raise WireError("records before the header")
        data = payloads[0] if len(payloads) == 1 else b"".join(payloads)
        if len(data) % layout.RECORD_BYTES:
            raise WireError("a frame of records that is not a whole number of them")
        kinds, t, tasks, xs = layout.columns(data)
        if self.ended:  # nothing after `end` belongs to the trace
            return self._batch(b"", array("q"), array("i"), array("i"))
        cut = kinds.find(_END)
        if cut >= 0:
            self.ended = True
            n = cut + 1
            kinds, t, tasks, xs = kinds[:n], t[:n], tasks[:n], xs[:n]
        if kinds:
            tables = self.tables
            if (kinds.translate(None, _KINDS) or max(tasks) >= len(tables.names)
                    or min(tasks) < layout.callback_key(len(tables.names) - 1)
                    or max(xs) >= len(tables.extras) or min(xs) < layout.NONE):
                raise WireError(f"a record that refers to nothing (after event {self.seq})")
        return self._batch(kinds, t, tasks, xs)

    def _batch(self, kinds: bytes, t: array[int], tasks: array[int], xs: array[int],
               header: dict[str, Any] | None = None) -> Batch:
        # The trace's clock never goes back, whatever order two threads' clock readings
        # reached the records in (a check in C; the running maximum only when needed);
        # then nanoseconds become seconds at 0.1 µs resolution, exactly `ns // 100 / 1e7`.
        ns: Iterable[int] = t
        if t:
            if t[0] >= self._last_ns and all(map(operator.le, t, itertools.islice(t, 1, None))):
                self._last_ns = t[-1]
            else:
                ns = itertools.accumulate(t, max, initial=self._last_ns)
                next(ns)
                self._last_ns = max(self._last_ns, max(t))
        repeat = itertools.repeat
        ts = array("d", map(operator.truediv, map(operator.floordiv, ns, repeat(100)),
                            repeat(1e7)))
        batch = Batch(self.tables, self.seq, kinds, tasks, ts, xs,
                      len(self.tables.names), len(self.tables.extras), header)
        self.seq += len(kinds)
        return batch

    def add(self, event: Event) -> Batch:
        """One event the parent writes itself (its `end` for a worker that wrote none),
        numbered and timed after the worker's, as a batch of its own."""
        kind = layout.KIND[event["type"]]
        values = tuple(event.get(name) for name in FIELDS[event["type"]])
        self.tables.extras.append(values)
        x = len(self.tables.extras) - 1
        task = event.get("task")
        key = layout.NONE if task is None else self.tables.names.index(task)
        ns = max(self._last_ns, round(float(event.get("t") or 0.0) * 1e9))
        batch = self._batch(bytes([kind]), array("q", [ns]), array("i", [key]),
                            array("i", [x]))
        if kind == layout.END:
            self.ended = True
        return batch
