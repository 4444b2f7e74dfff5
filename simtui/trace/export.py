"""Renderings of a trace, made in the parent process: JSONL (the trace format), readable
text, Chrome Trace Event JSON.

Every writer takes the decoded batches of a live run (`write_batch`, see `trace.wire`) or
one event dict at a time (`write`). JSONL is written straight from a batch's columns: the
part of a line after `seq` and `t` is the same for every event of one type, task and
declared fields, so it is encoded once and reused.
"""

from __future__ import annotations

import itertools
import operator
import re
from collections.abc import Iterable
from typing import IO, Any, Protocol

import orjson

from simtui.safe import printable
from simtui.trace.wire import Batch

Event = dict[str, Any]

# What JSON lets through raw but a terminal may act on: DEL, the C1 controls (U+009B is
# CSI), the bidi marks, embeddings, overrides and isolates, and the line separators.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def _json(obj: object) -> str:
    """`obj` as JSON that is safe to write to a terminal and reads back the same.

    orjson escapes C0 controls; the others above are legal raw in JSON, so a trace piped
    to a terminal could still act on them. Written as `\\uXXXX` escapes instead, they
    decode to the very same strings.
    """
    text = orjson.dumps(obj).decode()
    # orjson writes no raw C0 control, so a printable line (one scan in C) holds none of
    # the characters above: the common case.
    if text.isprintable():
        return text
    return _JSON_UNSAFE.sub(_json_escape, text)


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group(0)):04x}"


class Writer(Protocol):
    def write(self, event: Event) -> None: ...
    def write_batch(self, batch: Batch) -> None: ...
    def close(self) -> None: ...


class _EventWriter:
    """A writer that renders one event dict at a time."""

    def write(self, event: Event) -> None:
        raise NotImplementedError

    def write_batch(self, batch: Batch) -> None:
        for event in batch.events():
            self.write(event)


def open_writer(fmt: str, out: IO[str]) -> Writer:
    """A writer of `fmt` (`text`, `jsonl`, `chrome`) on the text stream `out`."""
    if fmt == "jsonl":
        return JsonlWriter(out)
    if fmt == "chrome":
        return ChromeWriter(out)
    return TextWriter(out)


CACHE_LIMIT = 200_000
"""Encoded line tails kept at most (events with a unique field, a deadline, have their own)."""


class JsonlWriter:
    """The trace exactly as the runtime recorded it, one object per line (the characters a
    terminal would act on written as JSON escapes: the same strings when read back)."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self._tails: dict[tuple[int, int, int], str] = {}

    def write(self, event: Event) -> None:
        self.out.write(_json(event))
        self.out.write("\n")

    def write_batch(self, batch: Batch) -> None:
        if batch.header is not None:
            self.write(batch.header)
        if len(batch):
            self.out.write(self.encode(batch))

    def encode(self, batch: Batch) -> str:
        """The batch's events as JSONL lines.

        Every piece of a line is made for the whole batch at once by a C-level call (the
        numbers by `str` and orjson, the tails looked up by `map`) and the lines are
        joined in one go: no Python code runs once per event but for a tail not seen yet.
        """
        tails = self._tails
        if len(tails) > CACHE_LIMIT:
            tails.clear()
        n = len(batch)
        keys = list(zip(batch.kinds, batch.tasks, batch.xs, strict=True))
        found = list(map(tails.get, keys))
        if None in found:
            for j, tail in enumerate(found):
                if tail is None:
                    tail = tails.get(keys[j])
                    if tail is None:
                        tail = tails[keys[j]] = self._tail(batch, j)
                    found[j] = tail
        seqs = map(str, range(batch.start, batch.start + n))
        ts = orjson.dumps(batch.ts.tolist())[1:-1].decode().split(",")
        pieces = zip(itertools.repeat('{"seq":'), seqs, itertools.repeat(',"t":'), ts, found,
                     strict=False)
        return "".join(itertools.chain.from_iterable(pieces))  # type: ignore[arg-type]

    @staticmethod
    def _tail(batch: Batch, j: int) -> str:
        """What follows `t` in the line of event `j`, its newline included."""
        event = batch.event(j)
        del event["seq"], event["t"]
        return "," + _json(event)[1:] + "\n"

    def close(self) -> None:
        self.out.flush()


def describe(event: Event) -> str:
    """What happened, in a few words (the text format and the TUI's event log)."""
    text = _describe(event)
    # Deduced at the next observation point, not seen as it happened: say so.
    return f"{text} (inferred)" if event.get("inferred") is True else text


def _describe(event: Event) -> str:
    kind: str = event["type"]
    if kind == "create":
        parent = event.get("parent")
        return f"created by {parent}" if parent else "created"
    if kind == "ready":
        item = event.get("item")
        return f"{item} queued" if item and event.get("task") is None else "enters the ready queue"
    if kind == "run":
        item = event.get("item")
        came = event.get("from")
        what = f"runs callback {item}" if event.get("task") is None and item else "runs"
        return f"{what} (from {came})" if came else what
    if kind == "suspend":
        text = f"suspends: {event['reason']}"
        detail = event.get("detail")
        if detail:  # a detail that already names the reason ("queue jobs") is not repeated
            text = f"suspends: {detail}" if detail.startswith(f"{event['reason']} ") else (
                f"{text} {detail}")
        if event.get("until") is not None:
            text += f", wakes at {event['until']:.4f}s"
        return text
    if kind == "wake":
        return f"wakes ({event['reason']})"
    if kind == "step":
        return f"step {event['index']}: {event['op']}  (line {event['line']})"
    if kind == "output":
        return f"prints {event['text']!r}"
    if kind == "block":
        return f"blocks the scheduler: {event['reason']} {event.get('duration', 0):g}s"
    if kind == "done":
        return "done"
    if kind == "error":
        return f"error: {event['message']}"
    if kind == "queue":
        return "ready queue: [" + ", ".join(event["ready"]) + "]"
    if kind == "end":
        text = f"run ended: {event['status']} after {event['elapsed']:.4f}s"
        stuck = event.get("stuck")
        if stuck:
            text += "; stuck: " + ", ".join(f"{s['task']} ({s['waiting_on']})" for s in stuck)
        return text
    return kind


class TextWriter(_EventWriter):
    """One readable line per event: `  3.0012s  coco[4]   run   (from coco[3])`."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.width = 10

    def write(self, event: Event) -> None:
        # Each line is escaped as a whole (names, texts and messages are the scenario's);
        # the task is escaped before it is padded, so the columns line up.
        if event.get("type") == "header":
            self.out.write(printable(
                f"# {event.get('scenario')} on {event.get('runtime')} "
                f"(Python {event.get('python')}, time scale {event.get('time_scale')})"
            ) + "\n")
            tasks = event.get("tasks") or [""]
            self.width = min(24, max(10, *(len(printable(t)) for t in tasks)))
            return
        task = printable(event.get("task") or "-")
        kind = event["type"]
        self.out.write(printable(
            f"{event['t']:9.4f}s  {task:<{self.width}} {kind:<8} {describe(event)}") + "\n")

    def close(self) -> None:
        self.out.flush()


class ChromeWriter(_EventWriter):
    """`simtui run --format chrome`: one run as Chrome Trace Event JSON (see `ChromeTrace`).

    A slice needs its end before it can be written, so the file is written on `close`.
    """

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.doc = ChromeTrace()
        self.run = self.doc.run()

    def write(self, event: Event) -> None:
        self.run.write(event)

    def close(self) -> None:
        self.run.close()
        self.doc.write(self.out)


def _us(t: float) -> float:
    """Seconds as microseconds, rounded to 0.001 µs: `655.7`, not `655.6999999999999`."""
    return round(t * 1e6, 3)


# The order of events that share a timestamp, for the viewers that bind a flow to the slice
# open on its track when they read it: a run slice first (a longer slice before a shorter
# one, so that nesting is read right), then the flows bound to it, then what it encloses.
_SLICE, _FLOW, _CHILD, _INSTANT = range(4)


class ChromeTrace:
    """Chrome Trace Event JSON of one or more runs: a process per run, a thread per task.

    Perfetto and chrome://tracing show each run as a process (named by `run(name)`, in the
    order the runs were added), each task as one of its threads, and the runtime's own
    callbacks (asyncio's timers and done-callbacks, gevent's hub callbacks) on a
    `scheduler` thread of their own. Every running interval is a complete event (`ph: X`)
    named by the step it was in when it gave control away (`sleep · line 21`), with where
    control came `from`, the step's `op` and `line`, and why it ended as `args`; a blocking
    call is a `block` slice inside it. A flow arrow (`ph: s` → `ph: f`) goes from each
    slice to the next one that got control, on whichever track: the handoffs. Outputs,
    suspensions and errors are instant events; the end of a run is a process instant.
    Timestamps are microseconds since the run started, rounded to 0.001 µs.
    """

    def __init__(self) -> None:
        self.events: list[tuple[tuple[float, int, float], dict[str, Any]]] = []
        self.meta: list[dict[str, Any]] = []
        self.runs: list[dict[str, Any]] = []
        self._flow_ids = itertools.count(1)

    def run(self, name: str | None = None) -> ChromeRun:
        """A new process for one run; give it the run's events with `write`, then `close`."""
        return ChromeRun(self, len(self.runs) + 1, name)

    def add(self, events: Iterable[Event], name: str | None = None) -> None:
        """One whole run (its header first)."""
        run = self.run(name)
        for event in events:
            run.write(event)
        run.close()

    def emit(self, cls: int, event: dict[str, Any]) -> None:
        """Add one trace event; `cls` orders it among those at the same timestamp."""
        self.events.append(((event["ts"], cls, -float(event.get("dur", 0.0))), event))

    def next_flow(self) -> int:
        """A flow id no other flow of the document has (flow ids are not per process)."""
        return next(self._flow_ids)

    def document(self) -> dict[str, Any]:
        """The JSON object: `traceEvents` in time order, and what each run was."""
        ordered = [e for _, e in sorted(self.events, key=operator.itemgetter(0))]
        other: dict[str, Any] = dict(self.runs[0]) if len(self.runs) == 1 else {
            "runs": self.runs}
        return {"traceEvents": [*self.meta, *ordered], "displayTimeUnit": "ms",
                "otherData": other}

    def write(self, out: IO[str]) -> None:
        out.write(_json(self.document()))
        out.write("\n")
        out.flush()


class _Slice:
    """A running interval still open: who runs, since when, and what it did meanwhile."""

    __slots__ = ("blocks", "flow_in", "item", "source", "start", "task", "tid")

    def __init__(self, task: str | None, item: str | None, tid: int, start: float,
                 source: str | None, flow_in: int | None) -> None:
        self.task = task
        self.item = item
        self.tid = tid
        self.start = start
        self.source = source
        self.flow_in = flow_in
        self.blocks: list[tuple[float, float, str]] = []


class ChromeRun:
    """The events of one run, turned into slices, instants and flows of one process."""

    def __init__(self, doc: ChromeTrace, pid: int, name: str | None) -> None:
        self.doc = doc
        self.pid = pid
        self.name = name
        self.tids: dict[str | None, int] = {}
        self.steps: dict[str, tuple[str, int]] = {}
        """Each task's step in progress: (op, line)."""
        self.open: _Slice | None = None
        self.last: tuple[int, float] | None = None
        """The track and start of the last slice closed: where the next flow starts."""
        self.info: dict[str, Any] = {}
        self.t = 0.0
        """The `t` of the last event: where a trace cut short ends."""
        doc.runs.append(self.info)

    def _meta(self, name: str, args: dict[str, Any], tid: int | None = None) -> None:
        event: dict[str, Any] = {"ph": "M", "name": name, "pid": self.pid, "args": args}
        if tid is not None:
            event["tid"] = tid
        self.doc.meta.append(event)

    def _tid(self, task: str | None) -> int:
        tid = self.tids.get(task)
        if tid is None:
            tid = self.tids[task] = len(self.tids) + 1
            self._meta("thread_name", {"name": task if task is not None else "scheduler"}, tid)
            # The scheduler's track on top, then the tasks in the order they appeared.
            self._meta("thread_sort_index", {"sort_index": 0 if task is None else tid}, tid)
        return tid

    def write(self, event: Event) -> None:
        kind = event.get("type")
        if kind == "header":
            self.info.update({k: event.get(k) for k in
                              ("scenario", "runtime", "python", "time_scale", "options")})
            name = self.name or f"{event.get('scenario')} on {event.get('runtime')}"
            self.info["name"] = name
            self._meta("process_name", {"name": name})
            self._meta("process_sort_index", {"sort_index": self.pid})
            return
        t = self.t = float(event["t"])
        task = event.get("task")
        if kind == "run":
            self._switch(t, task, event.get("item"), event.get("from"))
        elif task is None:
            if kind == "end":
                self._end(t, event)
        elif kind == "create":
            self._tid(task)
        elif kind == "step":
            self.steps[task] = (str(event.get("op")), int(event.get("line") or 0))
        elif kind in ("suspend", "done", "error"):
            reason = event.get("reason")
            if self.open is not None and self.open.task == task:
                self._close(t, f"suspend: {reason}" if kind == "suspend" else kind)
            if kind == "suspend":
                args = {k: event[k] for k in ("detail", "until") if event.get(k) is not None}
                self._instant(task, t, f"suspend: {reason}", "suspend", args)
            elif kind == "error":
                self._instant(task, t, f"error: {event.get('message')}", "error", {})
        elif kind == "block":
            duration = float(event.get("duration") or 0.0)
            what = f"block: {event.get('reason')}"
            if self.open is not None and self.open.task == task:
                self.open.blocks.append((t, duration, what))
            else:
                self._block(self._tid(task), t, t + duration, what)
        elif kind == "output":
            self._instant(task, t, str(event.get("text")), "output", {})
        elif kind == "end":
            self._end(t, event)

    def _switch(self, t: float, task: str | None, item: str | None, source: str | None) -> None:
        if self.open is not None:  # whoever ran loses control: one runs at a time
            self._close(t, "switch")
        tid = self._tid(task)
        flow = None
        if self.last is not None:
            flow = self.doc.next_flow()
            last_tid, last_ts = self.last
            self.doc.emit(_FLOW, {"ph": "s", "id": flow, "cat": "handoff", "name": "handoff",
                                   "pid": self.pid, "tid": last_tid, "ts": last_ts})
        self.open = _Slice(task, item if task is None else None, tid, t, source, flow)

    def _close(self, t: float, ended: str) -> None:
        s = self.open
        assert s is not None
        self.open = None
        start, end = _us(s.start), _us(t)
        event: dict[str, Any] = {"ph": "X", "pid": self.pid, "tid": s.tid, "ts": start,
                                 "dur": max(0.0, round(end - start, 3))}
        if s.task is None:
            event.update(name=str(s.item), cat="callback", args={"from": s.source,
                                                                 "item": s.item})
        else:
            op, line = self.steps.get(s.task, ("run", 0))
            event.update(name=f"{op} · line {line}" if line else op, cat="run",
                         args={"from": s.source, "op": op, "line": line, "ended": ended})
        self.doc.emit(_SLICE, event)
        for at, duration, what in s.blocks:  # inside their slice, as the viewers need
            self._block(s.tid, at, min(at + duration, t), what)
        if s.flow_in is not None:
            self.doc.emit(_FLOW, {"ph": "f", "bp": "e", "id": s.flow_in, "cat": "handoff",
                                   "name": "handoff", "pid": self.pid, "tid": s.tid,
                                   "ts": start})
        self.last = (s.tid, start)

    def _block(self, tid: int, start: float, end: float, what: str) -> None:
        a = _us(start)
        self.doc.emit(_CHILD, {"ph": "X", "name": what, "cat": "block", "pid": self.pid,
                                "tid": tid, "ts": a, "dur": max(0.0, round(_us(end) - a, 3))})

    def _instant(self, task: str, t: float, name: str, cat: str, args: dict[str, Any]) -> None:
        event: dict[str, Any] = {"ph": "i", "s": "t", "name": name, "cat": cat,
                                 "pid": self.pid, "tid": self._tid(task), "ts": _us(t)}
        if args:
            event["args"] = args
        self.doc.emit(_INSTANT, event)

    def _end(self, t: float, event: Event) -> None:
        if self.open is not None:
            self._close(t, "end")
        status = event.get("status")
        self.info.update(status=status, elapsed=event.get("elapsed"))
        args = {k: event[k] for k in ("stuck", "message") if event.get(k)}
        end: dict[str, Any] = {"ph": "i", "s": "p", "name": f"run ended: {status}",
                               "cat": "end", "pid": self.pid, "ts": _us(t)}
        if args:
            end["args"] = args
        self.doc.emit(_INSTANT, end)

    def close(self) -> None:
        """The run is over (a trace cut short ends its last slice at its last event)."""
        if self.open is not None:
            self._close(self.t, "the trace ends")


def json_text(obj: object, indent: bool = False) -> str:
    """`obj` as JSON that is safe to print to a terminal and reads back the same (as
    `JsonlWriter` writes it), on one line or indented for people."""
    if not indent:
        return _json(obj)
    text = orjson.dumps(obj, option=orjson.OPT_INDENT_2).decode()
    return text if text.replace("\n", "").isprintable() else _JSON_UNSAFE.sub(_json_escape, text)
