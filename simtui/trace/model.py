"""The in-memory trace: every event of one run stored in columns, loaded, extended and saved.

`Trace` keeps every event compactly: one small integer column per event for the type, the
task and an index into a table of interned extra fields, and a float column for `t`. An
event dict is built only when asked for. The replay model (`simtui.replay.model`) reads
these columns directly.
"""

from __future__ import annotations

import itertools
import operator
from array import array
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, overload

from simtui.trace.events import ALWAYS, FIELDS, TYPES
from simtui.trace.layout import (
    BLOCK,
    CREATE,
    DONE,
    END,
    ERROR,
    KIND,
    NONE,
    OUTPUT,
    QUEUE,
    READY,
    RUN,
    STEP,
    SUSPEND,
    WAKE,
)
from simtui.trace.reader import TraceError, check_header, read_trace
from simtui.trace.wire import Batch

__all__ = [
    "BLOCK", "CREATE", "DONE", "END", "ERROR", "KIND", "OUTPUT", "QUEUE", "READY", "RUN",
    "STEP", "SUSPEND", "WAKE", "Trace", "TraceError",
]

_NO_TASK = NONE
"""Task column for an event whose `task` is null. A `ready`/`run` of a callback (null task,
with `item`) stores `-2 - (the item's name id)` instead (`layout.callback_key`), so that a
queue entry's key is its task column. The columns are those of the record layout."""


_NFIELDS = [4 + len(FIELDS[name]) for name in TYPES]
_FIELD_NAMES = [FIELDS[name] for name in TYPES]


class _Names(dict[str, int]):
    """Interns task and callback names: name -> small id, with `list` holding id -> name."""

    __slots__ = ("list",)

    def __init__(self) -> None:
        super().__init__()
        self.list: list[str] = []

    def __missing__(self, name: str) -> int:
        if not isinstance(name, str):
            raise TypeError(f"{name!r} is not a name")
        n = self[name] = len(self.list)
        self.list.append(name)
        return n


class _Interned(dict[Any, int]):
    """Interns extra-field tuples into `table`, so repeated ones (steps, reasons) share one."""

    __slots__ = ("table",)

    def __init__(self, table: list[Any]) -> None:
        super().__init__()
        self.table = table

    def __missing__(self, key: Any) -> int:
        n = self[key] = len(self.table)
        self.table.append(key)
        return n


class Trace:
    """Every event of one run, stored compactly (not one dict per event).

    One writer may `extend` while one reader uses the events (e.g. a reader thread and the
    UI): `len()` only counts an event once all its columns are written.
    """

    def __init__(self, header: dict[str, Any] | None = None) -> None:
        self.header: dict[str, Any] = header or {}
        self.end: dict[str, Any] | None = None
        self.names = _Names()
        self.names[None] = _NO_TASK  # type: ignore[index]
        self._kind = array("b")
        self._task = array("i")
        self._t = array("d")
        self._x = array("i")
        self._extras: list[Any] = []
        self._intern = _Interned(self._extras)
        self._fx = self._extractors()
        self._fed_by: Any = None
        """The stream tables the columns were taken from as they are (False: none can be)."""
        self._wire_extras = 0
        """How many of the extras came from that stream, unchanged."""
        self._raw: dict[int, dict[str, Any]] = {}
        """Events with fields beyond the format's, kept whole."""
        self._n = 0

    def __len__(self) -> int:
        return self._n

    @overload
    def __getitem__(self, i: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, i: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, i: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self._n))]
        n = self._n
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(f"event {i} out of range (trace has {n})")
        raw = self._raw.get(i)
        if raw is not None:
            return dict(raw)
        k = self._kind[i]
        tid = self._task[i]
        ev: dict[str, Any] = {
            "seq": i,
            "t": self._t[i],
            "type": TYPES[k],
            "task": self.names.list[tid] if tid >= 0 else None,
        }
        x = self._x[i]
        if x >= 0:
            for name, value in zip(_FIELD_NAMES[k], self._extras[x], strict=False):
                if value is not None or name in ALWAYS:
                    ev[name] = value
        return ev

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for i in range(self._n):
            yield self[i]

    # -- cheap column access for the replay model and the panes -----------------------------

    def kind(self, i: int) -> str:
        return TYPES[self._kind[i]]

    def t(self, i: int) -> float:
        return self._t[i]

    def task(self, i: int) -> str | None:
        tid = self._task[i]
        return self.names.list[tid] if tid >= 0 else None

    def field(self, i: int, name: str) -> Any:
        """One extra field of event i (None when absent), without building the dict."""
        raw = self._raw.get(i)
        if raw is not None:
            return raw.get(name)
        x = self._x[i]
        if x < 0:
            return None
        names = _FIELD_NAMES[self._kind[i]]
        return self._extras[x][names.index(name)] if name in names else None

    # -- building ------------------------------------------------------------------------------

    @classmethod
    def from_events(cls, events: Iterable[dict[str, Any]]) -> Trace:
        """A trace of `events`, the header first."""
        trace = cls()
        trace.extend(events)
        return trace

    @classmethod
    def load(cls, path: str | Path) -> Trace:
        """Read a saved JSONL trace; raises TraceError (with the line) if it is not one."""
        events = read_trace(path)
        trace = cls(next(events))
        try:
            trace.extend(events)
        except TraceError as e:
            if e.source != "<trace>":
                raise
            raise TraceError(e.message, str(path), e.line) from None
        return trace

    def extend(self, events: Iterable[dict[str, Any]] | Iterable[Batch] | Batch) -> None:
        """Append events: dicts (a header dict first sets `.header`) or decoded batches
        (`trace.wire`), taken in column by column; raises TraceError on a bad one."""
        if isinstance(events, Batch):
            events = (events,)
        it = iter(events)
        first = next(it, None)
        if first is None:
            return
        if isinstance(first, Batch):
            self._extend_batch(first)
            for batch in it:
                self._extend_batch(batch)  # type: ignore[arg-type]
            return
        if isinstance(first, dict) and first.get("type") == "header":
            self.header = check_header(first)
        else:
            it = itertools.chain((first,), it)
        while batch := list(itertools.islice(it, 1 << 16)):
            self._fed_by = False  # numbered here: a stream's names and extras no longer line up
            self._append(batch)  # type: ignore[arg-type]

    def _extend_batch(self, batch: Batch) -> None:
        """Take in a decoded batch as it is: its columns are this trace's columns.

        The batch's names and extras were numbered by the stream they came from; a trace
        fed only from that stream numbers them the same, so the columns are appended with
        no per-event work. Otherwise (events from elsewhere came first) they are renumbered.
        """
        if batch.header is not None:
            self.header = check_header(batch.header)
        if not len(batch):
            return
        if self.end is not None:
            raise TraceError("event after 'end'", line=self._n + 2)
        tables = batch.tables
        names = self.names
        same = self._fed_by in (None, tables)
        for j in range(len(names.list), batch.names):
            if names[tables.names[j]] != j:
                same = False
        if same and self._wire_extras == len(self._extras):
            self._extras.extend(tables.extras[self._wire_extras : batch.extras])
            self._wire_extras = len(self._extras)
            self._fed_by = tables
            self._kind.frombytes(batch.kinds)
            self._task.extend(batch.tasks)
            self._t.extend(batch.ts)
            self._x.extend(batch.xs)
            n = self._n + len(batch)
            if batch.kinds[-1] == END:
                self.end = batch.event(len(batch) - 1)
            self._n = n
            return
        self._fed_by = False
        self._append([batch.event(j) for j in range(len(batch))])

    def _extractors(self) -> list[Any]:
        """Per type: event dict -> index of its extra fields in the table (-1: none)."""
        intern = self._intern
        extras = self._extras

        def unique(tup: tuple[Any, ...]) -> int:
            # A timer's deadline, a duration, a snapshot: unique or unhashable, so not
            # worth a slot in the interning dict.
            extras.append(tup)
            return len(extras) - 1

        def ready(e: dict[str, Any]) -> int:
            item, inferred = e.get("item"), e.get("inferred")
            if inferred is not None:
                return intern[(item, inferred)]
            return -1 if item is None else intern[(item,)]

        def suspend(e: dict[str, Any]) -> int:
            until, inferred = e.get("until"), e.get("inferred")
            tup: tuple[Any, ...] = (e["reason"], e.get("detail"), until)
            if inferred is not None:
                tup += (inferred,)
            return intern[tup] if until is None else unique(tup)

        return [
            lambda e: intern[(e["parent"],)],
            ready,
            lambda e: intern[(e["from"], e.get("item"))],
            suspend,
            lambda e: intern[(e["reason"],)],
            lambda e: intern[(e["index"], e["op"], e["line"], e.get("col"))],
            lambda e: intern[(e["text"],)],
            lambda e: unique((e["reason"], e.get("duration"))),
            lambda e: -1,
            lambda e: intern[(e["message"],)],
            lambda e: unique((e["ready"],)),
            lambda e: unique((e["status"], e["elapsed"], e.get("stuck"), e.get("message"),
                              e.get("recorder"))),
        ]

    def _append(self, batch: list[dict[str, Any]]) -> None:
        if self.end is not None:
            raise TraceError("event after 'end'", line=self._n + 2)
        start = self._n
        ids = self.names
        n_extras = len(self._extras)
        try:
            # Column by column: each pass is a comprehension or a C-level map, far cheaper
            # per event than one loop that does everything.
            code = KIND
            kinds = [code[e["type"]] for e in batch]
            ts = array("d", [e["t"] for e in batch])
            tasks = [ids[e["task"]] for e in batch]
            fx = self._fx
            xs = array("i", [fx[k](e) for k, e in zip(kinds, batch, strict=True)])
        except (KeyError, TypeError, ValueError, OverflowError):
            del self._extras[n_extras:]
            self._append_slowly(batch)  # finds and reports the bad event
            return
        if -1 in tasks:
            # A callback in the ready queue (null task, with `item`): key it by its item.
            j = tasks.index(-1)
            while True:
                k = kinds[j]
                if k in (READY, RUN):
                    item = batch[j].get("item")
                    if item is not None:
                        tasks[j] = -2 - ids[item]
                try:
                    j = tasks.index(-1, j + 1)
                except ValueError:
                    break
        if any(map(operator.gt, map(len, batch), map(_NFIELDS.__getitem__, kinds))):
            nfields = _NFIELDS
            for j, e in enumerate(batch):
                if len(e) > nfields[kinds[j]]:
                    self._raw[start + j] = e
        if END in kinds:
            j = kinds.index(END)
            if j != len(kinds) - 1:
                del self._extras[n_extras:]
                self._append_slowly(batch[: j + 1])
                raise TraceError("event after 'end'", line=start + j + 3)
            self.end = batch[j]
        self._kind.frombytes(bytes(kinds))
        self._task.fromlist(tasks)
        self._t.extend(ts)
        self._x.extend(xs)
        self._n = start + len(batch)

    def _append_slowly(self, batch: list[dict[str, Any]]) -> None:
        """Append one event at a time up to a bad one, which raises TraceError."""
        fx = self._fx
        for e in batch:
            i = self._n
            try:
                k = KIND[e["type"]]
                task = e["task"]
                tid = self.names[task]
                if task is None and k in (READY, RUN) and e.get("item") is not None:
                    tid = -2 - self.names[e["item"]]
                row = (k, tid, e["t"], fx[k](e))
                array("i", row[1:2]), array("d", row[2:3]), array("i", row[3:])
            except (KeyError, TypeError, ValueError, OverflowError, AttributeError) as ex:
                kind = e.get("type") if isinstance(e, dict) else None
                what = f"bad {kind!r} event" if kind else "bad event"
                raise TraceError(f"{what}: {type(ex).__name__} {ex}", line=i + 2) from None
            self._kind.append(row[0])
            self._task.append(row[1])
            self._t.append(row[2])
            self._x.append(row[3])
            if len(e) > _NFIELDS[k]:
                self._raw[i] = e
            self._n = i + 1
            if k == END:
                self.end = e
                return
