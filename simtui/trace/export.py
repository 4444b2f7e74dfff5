"""Renderings of a trace, made in the parent process: JSONL (the trace format), readable
text, Chrome Trace Event JSON.

Every writer takes the decoded batches of a live run (`write_batch`, see `trace.wire`) or
one event dict at a time (`write`). JSONL is written straight from a batch's columns: the
part of a line after `seq` and `t` is the same for every event of one type, task and
declared fields, so it is encoded once and reused.
"""

from __future__ import annotations

import itertools
import re
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
    kind = event["type"]
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
    """Chrome Trace Event JSON: a track per task, a slice per running interval.

    Opens in Perfetto and chrome://tracing. Slices need to know when a run interval ends,
    so events are collected and the file is written on `close`.
    """

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.events: list[dict[str, Any]] = []
        self.tids: dict[str, int] = {}
        self.open: dict[str, float] = {}
        self.meta: dict[str, Any] = {}

    def _tid(self, task: str | None) -> int:
        name = task or "scheduler"
        if name not in self.tids:
            self.tids[name] = len(self.tids) + 1
            self.events.append({"ph": "M", "name": "thread_name", "pid": 1,
                                "tid": self.tids[name], "args": {"name": name}})
        return self.tids[name]

    def _close_slice(self, task: str, t: float, why: str) -> None:
        start = self.open.pop(task, None)
        if start is not None:
            self.events.append({"ph": "X", "name": why, "cat": "run", "pid": 1,
                                "tid": self._tid(task), "ts": start * 1e6,
                                "dur": max(0.0, (t - start) * 1e6)})

    def write(self, event: Event) -> None:
        kind = event.get("type")
        if kind == "header":
            self.meta = {k: event.get(k) for k in ("scenario", "runtime", "python", "time_scale")}
            name = f"{event.get('scenario')} on {event.get('runtime')}"
            self.events.append({"ph": "M", "name": "process_name", "pid": 1,
                                "args": {"name": name}})
            self._tid(None)
            return
        t = float(event["t"])
        task = event.get("task")
        if kind == "create" and task:
            self._tid(task)
        elif kind == "run" and task:
            prev = event.get("from")
            if prev and prev in self.open:
                self._close_slice(prev, t, "run")
            self.open[task] = t
        elif kind in ("suspend", "done", "error") and task:
            self._close_slice(task, t, "run")
            if kind == "suspend":
                self.events.append({"ph": "i", "s": "t", "name": f"suspend: {event['reason']}",
                                    "pid": 1, "tid": self._tid(task), "ts": t * 1e6})
        elif kind == "block" and task:
            self.events.append({"ph": "X", "name": f"block: {event['reason']}", "cat": "block",
                                "pid": 1, "tid": self._tid(task), "ts": t * 1e6,
                                "dur": float(event.get("duration") or 0) * 1e6})
        elif kind == "output":
            self.events.append({"ph": "i", "s": "t", "name": event["text"], "cat": "output",
                                "pid": 1, "tid": self._tid(task), "ts": t * 1e6})
        elif kind == "end":
            for name in list(self.open):
                self._close_slice(name, t, "run")
            self.meta["status"] = event.get("status")
            self.meta["elapsed"] = event.get("elapsed")

    def close(self) -> None:
        doc = {"traceEvents": self.events, "displayTimeUnit": "ms", "otherData": self.meta}
        self.out.write(_json(doc))
        self.out.write("\n")
        self.out.flush()
