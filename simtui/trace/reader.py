"""Reading a saved trace file robustly: every problem is one `TraceError` with its line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from simtui.files import open_regular, reason
from simtui.trace.events import FIELDS, FORMAT, VERSION

# Fields the contract requires of each event type (trace-format.md, Events); the others
# are optional and left out of the JSON when they are null.
REQUIRED: dict[str, tuple[str, ...]] = {
    "create": ("parent",),
    "run": ("from",),
    "suspend": ("reason",),
    "wake": ("reason",),
    "step": ("index", "op", "line"),
    "output": ("text",),
    "block": ("reason",),
    "error": ("message",),
    "queue": ("ready",),
    "end": ("status", "elapsed"),
}

CHUNK = 1 << 20
MAX_LINE = 64 << 20
"""A longer line is not a trace event (and must not be read into memory whole)."""


class TraceError(Exception):
    """A file or stream that is not a valid simtui trace; `str()` is `SOURCE:LINE: message`."""

    def __init__(self, message: str, source: str = "<trace>", line: int | None = None) -> None:
        self.message = message
        self.source = source
        self.line = line
        where = source if line is None else f"{source}:{line}"
        super().__init__(f"{where}: {message}")


def check_header(obj: Any, source: str = "<trace>") -> dict[str, Any]:
    """The header object, or TraceError if line 1 is not a simtui trace header."""
    if not isinstance(obj, dict) or obj.get("type") != "header":
        raise TraceError("not a simtui trace: the first line is not a header", source, 1)
    if obj.get("format") != FORMAT:
        raise TraceError(f"format {obj.get('format')!r}, expected {FORMAT!r}", source, 1)
    if obj.get("version") != VERSION:
        raise TraceError(
            f"trace format version {obj.get('version')!r}, this simtui reads {VERSION}", source, 1
        )
    return obj


def check_event(ev: Any, seq: int, last_t: float, source: str, line: int) -> float:
    """Check one event against the contract; return its `t`."""
    if not isinstance(ev, dict):
        raise TraceError("not a JSON object", source, line)
    kind = ev.get("type")
    if kind not in FIELDS:
        raise TraceError(f"unknown event type {kind!r}", source, line)
    if ev.get("seq") != seq:
        raise TraceError(f"seq {ev.get('seq')!r}, expected {seq}", source, line)
    t = ev.get("t")
    if isinstance(t, bool) or not isinstance(t, int | float):
        raise TraceError(f"t {t!r} is not a number", source, line)
    if t < last_t:
        raise TraceError(f"t {t} goes back in time (previous {last_t})", source, line)
    if "task" not in ev:
        raise TraceError(f"{kind} event without 'task'", source, line)
    task = ev["task"]
    if task is not None and not isinstance(task, str):
        raise TraceError(f"task {task!r} is not a name", source, line)
    for name in REQUIRED.get(kind, ()):
        if name not in ev:
            raise TraceError(f"{kind} event without '{name}'", source, line)
    for name in ("parent", "from", "item"):
        value = ev.get(name)
        if value is not None and not isinstance(value, str):
            raise TraceError(f"{name} {value!r} is not a name", source, line)
    if kind == "queue" and not isinstance(ev["ready"], list):
        raise TraceError("queue 'ready' is not a list", source, line)
    return float(t)


def read_trace(path: str | Path) -> Iterator[dict[str, Any]]:
    """Every object of a trace file, header first, each checked; raises TraceError.

    A trace without its `end` (a run cut short) is accepted; a half-written last line,
    an event after `end`, or anything that is not the format is not. Only a regular file
    is read (`simtui.files.open_regular`).
    """
    source = str(path)
    try:  # a FIFO, a device or a directory is refused before it could block the reader
        stream = open_regular(path)
    except OSError as e:
        raise TraceError(reason(e), source) from None
    try:
        line_no = 0
        seq = 0
        last_t = 0.0
        ended = False
        header_seen = False
        rest = b""
        while True:
            try:
                chunk = stream.read(CHUNK)
            except OSError as e:
                raise TraceError(e.strerror or str(e), source) from None
            final = not chunk
            data = rest + chunk
            if final:
                lines, rest = data.split(b"\n"), b""
            else:
                cut = data.rfind(b"\n")
                if cut < 0:
                    if len(data) > MAX_LINE:
                        raise TraceError("line too long: not a simtui trace", source, line_no + 1)
                    rest = data
                    continue
                lines, rest = data[:cut].split(b"\n"), data[cut + 1 :]
            for raw in lines:
                line_no += 1
                if not raw.strip():
                    continue
                try:
                    obj = orjson.loads(raw)
                except orjson.JSONDecodeError as e:
                    what = "truncated or not JSON" if final and raw is lines[-1] else "not JSON"
                    raise TraceError(f"{what}: {e}", source, line_no) from None
                if not header_seen:
                    yield check_header(obj, source)
                    header_seen = True
                    continue
                if ended:
                    raise TraceError("event after 'end'", source, line_no)
                last_t = check_event(obj, seq, last_t, source, line_no)
                seq += 1
                ended = obj["type"] == "end"
                yield obj
            if final:
                break
        if not header_seen:
            raise TraceError("empty file: not a simtui trace", source)
    finally:
        stream.close()
