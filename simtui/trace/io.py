"""Writing and reading the JSONL trace: batch encoding, line splitting, the header."""

from __future__ import annotations

import gc
import platform
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import IO, Any

import orjson

from simtui import __version__
from simtui.scenario.model import Scenario
from simtui.trace.events import FIELDS, FORMAT, VERSION


def make_header(scenario: Scenario, runtime: str, time_scale: float) -> dict[str, Any]:
    """The first line of a trace (trace-format.md, Header)."""
    return {
        "type": "header",
        "format": FORMAT,
        "version": VERSION,
        "scenario": scenario.name,
        "title": scenario.title,
        "source": scenario.source,
        "runtime": runtime,
        "python": platform.python_version(),
        "simtui": __version__,
        "time_scale": time_scale,
        "options": scenario.options_for(runtime),
        "tasks": list(scenario.instances),
    }


def _builders() -> dict[str, Callable[[int, float, tuple[Any, ...]], dict[str, Any]]]:
    """One small function per event type that builds its JSON object from a record.

    Written out per type because the flusher runs this for every event of a run, on a
    thread that competes for the GIL with the runtime being recorded (threads): a
    generic loop over FIELDS costs several times more.
    """

    def generic(kind: str) -> Callable[[int, float, tuple[Any, ...]], dict[str, Any]]:
        names = FIELDS[kind]

        def build(seq: int, t: float, r: tuple[Any, ...]) -> dict[str, Any]:
            ev: dict[str, Any] = {"seq": seq, "t": t, "type": kind, "task": r[2]}
            for name, value in zip(names, r[3:], strict=False):
                if value is not None:
                    ev[name] = value
            return ev

        return build

    def step(seq: int, t: float, r: tuple[Any, ...]) -> dict[str, Any]:
        return {"seq": seq, "t": t, "type": "step", "task": r[2], "index": r[3], "op": r[4],
                "line": r[5], "col": r[6]}

    def ready(seq: int, t: float, r: tuple[Any, ...]) -> dict[str, Any]:
        if r[3] is None:
            return {"seq": seq, "t": t, "type": "ready", "task": r[2]}
        return {"seq": seq, "t": t, "type": "ready", "task": r[2], "item": r[3]}

    def run(seq: int, t: float, r: tuple[Any, ...]) -> dict[str, Any]:
        if r[4] is None:
            return {"seq": seq, "t": t, "type": "run", "task": r[2], "from": r[3]}
        return {"seq": seq, "t": t, "type": "run", "task": r[2], "from": r[3], "item": r[4]}

    def suspend(seq: int, t: float, r: tuple[Any, ...]) -> dict[str, Any]:
        ev = {"seq": seq, "t": t, "type": "suspend", "task": r[2], "reason": r[3]}
        if r[4] is not None:
            ev["detail"] = r[4]
        if len(r) > 5 and r[5] is not None:
            ev["until"] = r[5]
        return ev

    def create(seq: int, t: float, r: tuple[Any, ...]) -> dict[str, Any]:
        return {"seq": seq, "t": t, "type": "create", "task": r[2], "parent": r[3]}

    table = {kind: generic(kind) for kind in FIELDS}
    table.update(step=step, ready=ready, run=run, suspend=suspend, create=create)
    return table


_BUILD = _builders()


class Encoder:
    """Turns recorded tuples into JSONL, numbering events and keeping `t` monotonic."""

    def __init__(self, t0_ns: int) -> None:
        self.t0_ns = t0_ns
        self.seq = 0
        self.last_ns = t0_ns
        self.ended = False

    def encode(self, records: Sequence[tuple[Any, ...]]) -> bytes:
        """Encode records up to and including an `end` one; later records are dropped."""
        # The cyclic GC is paused while encoding: every event builds a dict, and with a big
        # batch of records alive the collections it triggers cost more than the encoding
        # (measured ×3 on 200k events). Nothing made here is cyclic.
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return b"".join(
                self._encode(records[k : k + 4096]) for k in range(0, len(records), 4096)
            )
        finally:
            if was_enabled:
                gc.enable()

    def _encode(self, records: Sequence[tuple[Any, ...]]) -> bytes:
        if self.ended:
            return b""
        out: list[bytes] = []
        dumps = orjson.dumps
        build = _BUILD
        t0, last, seq = self.t0_ns, self.last_ns, self.seq
        for rec in records:
            # Threads stamp the clock before appending, so two records can land out of
            # order by a few nanoseconds; the trace's clock must never go back.
            ns = rec[0]
            if ns < last:
                ns = last
            last = ns
            kind = rec[1]
            # t in seconds with 0.1 µs resolution: integer division is exact and cheap.
            out.append(dumps(build[kind](seq, (ns - t0) // 100 / 1e7, rec)))
            seq += 1
            if kind == "end":
                self.ended = True
                break
        self.last_ns, self.seq = last, seq
        if not out:
            return b""
        out.append(b"")
        return b"\n".join(out)


def encode_header(header: dict[str, Any]) -> bytes:
    return orjson.dumps(header) + b"\n"


def split_lines(buffer: bytearray, chunk: bytes) -> list[bytes]:
    """Append `chunk` to `buffer`; return the complete lines and keep the rest buffered."""
    buffer += chunk
    cut = buffer.rfind(b"\n")
    if cut < 0:
        return []
    lines = bytes(buffer[:cut]).split(b"\n")
    del buffer[: cut + 1]
    return lines


def parse_lines(lines: Iterable[bytes]) -> list[dict[str, Any]]:
    loads = orjson.loads
    return [loads(line) for line in lines if line]


def take_events(buffer: bytearray, chunk: bytes) -> list[dict[str, Any]]:
    """Append `chunk` to `buffer` and parse every complete line in it; keep the rest.

    The complete lines are parsed as one JSON array in a single call, which costs a
    fifth less per event than a call per line; anything odd in them (a blank or broken
    line) falls back to line by line, so errors surface exactly as before.
    """
    buffer += chunk
    cut = buffer.rfind(b"\n")
    if cut < 0:
        return []
    block = bytes(buffer[:cut])
    del buffer[: cut + 1]
    try:
        events = orjson.loads(b"[" + block.replace(b"\n", b",") + b"]")
    except orjson.JSONDecodeError:
        return parse_lines(block.split(b"\n"))
    if all(type(e) is dict for e in events):
        return events  # type: ignore[no-any-return]
    return parse_lines(block.split(b"\n"))


def read_jsonl(stream: IO[bytes]) -> Iterator[dict[str, Any]]:
    """Every object of a JSONL trace file, header first."""
    buffer = bytearray()
    while chunk := stream.read(1 << 18):
        yield from take_events(buffer, chunk)
    if buffer.strip():
        yield orjson.loads(bytes(buffer))
